"""Algebraic simplification of the identities AD output is full of.

Rules see through let-bound variables (``let %z = zeros_like(%y); add(%x, %z)`` is
``add(%x, zeros_like(%y))``) and check types first: ``add(x, zeros_like(y))`` is ``x`` only when
the sum has the static type of `x`. An operand is dropped only when evaluating it cannot act
(see `effects.Purity`), so effects and their order stay. Each node is rewritten to a local
fixpoint bottom-up, and the whole pass repeats (with fresh types) until nothing changes, at
most `MAX_ROUNDS` times. Aliases ``let %a = %b;`` are substituted away.

One deliberate liberty, as in Relay: ``multiply(x, zeros_like(y))`` becomes zeros even though
IEEE arithmetic would give NaN where `x` is infinite or NaN.
"""

from __future__ import annotations

import numpy as np

from ..ir.expr import Call, Constant, Expr, GlobalVar, Let, Tuple, TupleGetItem, Var
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import TensorType, Type
from ..ir.visitor import ExprMutator, let_chain, rebuild_lets
from ..ops.registry import make_call
from ..typing import infer_type
from .effects import ATOMS, Purity, map_functions

MAX_ROUNDS = 4
ZEROS = ("zeros_like", "zeros")
ONES = ("ones_like", "ones")


def simplify(target, mod: IRModule | None = None):
    """`target` (an expression or module) with algebraic identities applied.

    `mod` supplies the globals and types an expression refers to.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr('''fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
    ...   let %z = zeros_like(%y);
    ...   negative(negative(add(%x, %z)))
    ... }''')
    >>> print(simplify(f))
    fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
      let %z = zeros_like(%y);
      %x
    }
    """
    target = infer_type(target) if isinstance(target, IRModule) else infer_type(target, mod)
    types: dict[int, tuple[Expr, Type]] = {}
    for _ in range(MAX_ROUNDS):
        # rewrites keep types, so later rounds reuse the types of the first instead of
        # inferring them again (the costly part on long programs)
        rewriter = _Simplifier(types)
        target = map_functions(target, rewriter.visit)
        if not rewriter.changed:
            break
        types = rewriter.types
    return target


def _static(ty: Type | None) -> bool:
    return isinstance(ty, TensorType) and None not in ty.shape


def _same(a: Type | None, b: Type | None) -> bool:
    """Whether `a` and `b` are the same fully known tensor type."""
    return _static(a) and a == b


class _Simplifier(ExprMutator):
    def __init__(self, types: dict[int, tuple[Expr, Type]]):
        super().__init__()
        # rebuilt node id -> (the node, kept alive so its id stays its own; its type)
        self.types = types
        self.defs: dict[int, Expr] = {}  # let-bound variable -> its (simplified) value
        self.renamed: dict[int, Expr] = {}
        self.pure = Purity()
        self.changed = False

    def visit(self, expr: Expr) -> Expr:
        result = super().visit(expr)
        ty = self.type_of(expr)
        if ty is not None:
            self.types.setdefault(id(result), (result, ty))
        return result

    def type_of(self, expr: Expr) -> Type | None:
        if expr.checked_type is not None:
            return expr.checked_type
        known = self.types.get(id(expr))
        return None if known is None else known[1]

    def resolve(self, expr: Expr) -> Expr:
        """The value bound to `expr` when it is a let-bound variable, else `expr`."""
        return self.defs.get(id(expr), expr) if isinstance(expr, Var) else expr

    def visit_var(self, expr: Var) -> Expr:
        return self.renamed.get(id(expr), expr)

    def visit_let(self, expr: Let) -> Expr:
        lets, body = let_chain(expr)
        kept = []
        for let in lets:
            value = self.visit(let.value)
            if isinstance(value, Var | GlobalVar):
                self.renamed[id(let.var)] = value  # an alias: use the original
                self.changed = True
                continue
            self.defs[id(let.var)] = value
            kept.append((let, value))
        return rebuild_lets(kept, self.visit(body))

    def visit_tuple_get_item(self, expr: TupleGetItem) -> Expr:
        item = super().visit_tuple_get_item(expr)
        field = self.project(item)
        if field is None:
            return item
        self.changed = True
        return field

    def project(self, item: TupleGetItem) -> Expr | None:
        """The field a projection of a literal tuple picks, when nothing else is lost."""
        tup = item.tuple_value
        if isinstance(tup, Tuple):
            others = [f for i, f in enumerate(tup.fields) if i != item.index]
            return tup.fields[item.index] if all(self.pure(f) for f in others) else None
        known = self.resolve(tup)
        if isinstance(known, Tuple) and isinstance(known.fields[item.index], ATOMS):
            return known.fields[item.index]  # the tuple was built once: reuse its atom
        return None

    def visit_call(self, expr: Call) -> Expr:
        result = super().visit_call(expr)
        ty = self.type_of(expr)
        for _ in range(8):  # one rule's output may match another rule
            rule = _rule_for(result)
            if rule is None:
                break
            rewritten = rule(self, result, ty)
            if rewritten is None:
                break
            self.changed = True
            self.types.setdefault(id(rewritten), (rewritten, ty))
            result = rewritten
        return result

    # Predicates used by the rules.

    def is_const(self, expr: Expr, names: tuple[str, str], value: float) -> bool:
        known = self.resolve(expr)
        if isinstance(known, Constant):
            return bool(np.all(known.data == value))
        return isinstance(known, Call) and isinstance(known.op, Op) and known.op.name in names

    def zero(self, expr: Expr) -> bool:
        return self.is_const(expr, ZEROS, 0)

    def one(self, expr: Expr) -> bool:
        return self.is_const(expr, ONES, 1)

    def op_arg(self, expr: Expr, name: str) -> Call | None:
        """`expr` (or its let-bound value) when it is a call of the op `name`."""
        known = self.resolve(expr)
        is_call = isinstance(known, Call) and isinstance(known.op, Op)
        return known if is_call and known.op.name == name else None


def _rule_for(expr: Expr):
    if not (isinstance(expr, Call) and isinstance(expr.op, Op)):
        return None
    if expr.op.name in ZERO_IN_ZERO_OUT:
        return _zero_through
    return _RULES.get(expr.op.name)


# Ops whose result is zero when the argument at one of these positions is zero (they are
# linear in it): the gradient of a value nobody uses flows through them as zeros.
ZERO_IN_ZERO_OUT = {
    **dict.fromkeys(("nn.dense", "nn.matmul", "nn.batch_matmul"), (0, 1)),
    **dict.fromkeys(
        (
            "transpose",
            "reshape",
            "reshape_like",
            "expand_dims",
            "squeeze",
            "sum",
            "mean",
            "broadcast_to",
            "broadcast_to_like",
            "collapse_sum_like",
            "collapse_sum_to",
            "nn.batch_flatten",
            "reverse",
            "cumsum",
            "repeat",
            "tile",
            "strided_slice",
            "take",
            "divide",
            "negative",
        ),
        (0,),
    ),
}


def _zero_through(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    """``op(..., zeros, ...)`` is zeros of the result type when `op` is linear there."""
    positions = ZERO_IN_ZERO_OUT[call.op.name]
    zeros = [call.args[i] for i in positions if self.zero(call.args[i])]
    if zeros and _static(ty) and all(self.pure(a) for a in call.args):
        return _zeros_of(self, ty, zeros, call.args)
    return _RULES.get(call.op.name, _no_rule)(self, call, ty)


def _zeros_of(self: _Simplifier, ty: Type, zeros: list, args) -> Expr:
    """Zeros of type `ty`, spelled as a gradient would spell them: a zero argument of that
    type itself, else ``zeros_like`` of an argument of that type, else ``zeros(shape)``."""
    for zero in zeros:
        if _same(self.type_of(zero), ty):
            return zero
    for arg in args:
        if _same(self.type_of(arg), ty):
            return make_call("zeros_like", [arg])
    return make_call("zeros", [], {"shape": ty.shape, "dtype": ty.dtype})


def _no_rule(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    return None


def _as_result(self: _Simplifier, x: Expr, ty: Type) -> Expr | None:
    """`x` standing for a value of type `ty`: itself, or broadcast to the shape of `ty`."""
    x_type = self.type_of(x)
    if _same(x_type, ty):
        return x
    if _static(ty) and isinstance(x_type, TensorType) and x_type.dtype == ty.dtype:
        return make_call("broadcast_to", [x], {"shape": ty.shape})
    return None


def _add(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    x, y = call.args
    if isinstance(self.resolve(y), Constant) and self.zero(x) and self.zero(y):
        x, y = y, x  # of two zeros keep the constant one: it costs no op
    if self.zero(y) and self.pure(y):
        return _as_result(self, x, ty)
    if self.zero(x) and self.pure(x):
        return _as_result(self, y, ty)
    return None


def _subtract(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    x, y = call.args
    if self.zero(y) and self.pure(y):
        return _as_result(self, x, ty)
    if self.zero(x) and self.pure(x) and _same(self.type_of(y), ty):
        return make_call("negative", [y])
    return None


def _multiply(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    for x, y in (call.args, reversed(call.args)):
        if self.one(y) and self.pure(y) and _same(self.type_of(x), ty):
            return x
        if self.zero(y) and _same(self.type_of(y), ty) and self.pure(x):
            return y
        if self.zero(y) and _same(self.type_of(x), ty) and self.pure(y):
            return make_call("zeros_like", [x])
    return None


def _same_as_result(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    """``f(x, like)`` is `x` when `x` already has the result type (and `like` can go)."""
    x, *rest = call.args
    if _same(self.type_of(x), ty) and all(self.pure(r) for r in rest):
        return x
    return None


def _involution(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    inner = self.op_arg(call.args[0], call.op.name)
    return None if inner is None else inner.args[0]


def _idempotent(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    """``zeros_like(z)`` is `z` when `z` is already zeros (of its own type); same for ones."""
    arg = call.args[0]
    if call.op.name == "zeros_like" and self.zero(arg):
        return arg
    if call.op.name == "ones_like" and self.one(arg):
        return arg
    return None


def _cast(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    x_type = self.type_of(call.args[0])
    same_dtype = isinstance(x_type, TensorType) and isinstance(ty, TensorType)
    if same_dtype and x_type.dtype == ty.dtype and all(self.pure(a) for a in call.args[1:]):
        return call.args[0]
    return None


def _copy(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    return call.args[0]


def _transpose(self: _Simplifier, call: Call, ty: Type) -> Expr | None:
    x = call.args[0]
    x_type = self.type_of(x)
    if not isinstance(x_type, TensorType):
        return None
    outer = _permutation(call.attrs.axes, x_type.ndim)
    if outer == list(range(x_type.ndim)):
        return x
    inner = self.op_arg(x, "transpose")
    if inner is None:
        return None
    first = _permutation(inner.attrs.axes, x_type.ndim)
    composed = [first[axis] for axis in outer]
    return inner.args[0] if composed == list(range(x_type.ndim)) else None


def _permutation(axes, ndim: int) -> list[int]:
    if axes is None:
        return list(reversed(range(ndim)))
    return [a % ndim for a in axes]


_RULES = {
    "add": _add,
    "subtract": _subtract,
    "multiply": _multiply,
    "collapse_sum_like": _same_as_result,
    "collapse_sum_to": _same_as_result,
    "broadcast_to_like": _same_as_result,
    "broadcast_to": _same_as_result,
    "reshape_like": _same_as_result,
    "reshape": _same_as_result,
    "negative": _involution,
    "zeros_like": _idempotent,
    "ones_like": _idempotent,
    "cast": _cast,
    "cast_like": _cast,
    "copy": _copy,
    "transpose": _transpose,
}
