"""Algebraic simplification of the identities AD output is full of.

Rules see through let-bound variables (``let %z = zeros_like(%y); add(%x, %z)`` is
``add(%x, zeros_like(%y))``) and check types first: ``add(x, zeros_like(y))`` is ``x`` only when
the sum has the static type of `x`. Types are worked out forward from annotations, constants
and the ops' type relations, without solving (full inference cost more than all the rewrites
on long programs); where that cannot tell a type, the rules that need it do not fire. An
operand is dropped only when evaluating it cannot act (see `effects.Purity`), so effects and
their order stay. Each node is rewritten to a local fixpoint bottom-up in one forward pass:
uses come after definitions and see their simplified values, so a second pass finds nothing
new. Aliases ``let %a = %b;`` are substituted away.

Results stay what IEEE arithmetic gives, infinities and NaN included, up to the sign of a zero
(``add(x, 0f)`` becomes `x`, which is -0 where the sum was +0; XLA does the same). So a zero
absorbs an operand only when that operand is known to be finite: ``multiply(x, zeros_like(x))``
is NaN where `x` is infinite or NaN and stays, ``multiply(2f, zeros_like(x))`` is zeros, and
``divide(zeros, y)`` is zeros only for a known divisor that is neither 0 nor NaN. With
``fast_math=True`` (an option of `optimize`) every zero absorbs its operands, as in Relay:
``multiply(x, 0f)`` is 0 even where `x` is NaN.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import Error
from ..ir.expr import (
    Call,
    Constant,
    Expr,
    Function,
    GlobalVar,
    If,
    Let,
    Match,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, is_static_tensor
from ..ir.visitor import ExprMutator, let_chain, rebuild_lets
from ..ops.registry import OpTypeError, make_call, op_def
from .effects import ATOMS, Purity, map_functions
from .fold_constant import MAX_ELEMENTS

ZEROS = ("zeros_like", "zeros")
ONES = ("ones_like", "ones")


def simplify(target, mod: IRModule | None = None, fast_math: bool = False):
    """`target` (an expression or module) with algebraic identities applied.

    `mod` is accepted for symmetry with the other passes; the rules need no globals. Results
    keep IEEE semantics on infinities and NaN unless `fast_math` is set (see the module
    docstring): ``multiply(%x, 0f)`` stays, as it is NaN where `%x` is.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr('''fn (%x: Tensor[(50, 50), float32], %y: Tensor[(50, 50), float32]) {
    ...   let %z = zeros_like(%y);
    ...   negative(negative(add(%x, %z)))
    ... }''')
    >>> print(simplify(f))
    fn (%x: Tensor[(50, 50), float32], %y: Tensor[(50, 50), float32]) {
      let %z = zeros_like(%y);
      %x
    }
    >>> g = lg.parse_expr("fn (%x: float32) { multiply(%x, 0f) }")
    >>> print(simplify(g, fast_math=True))
    fn (%x: float32) {
      0f
    }
    """
    if not isinstance(fast_math, bool):
        raise Error(f"simplify: fast_math must be True or False, got {fast_math!r}")
    return map_functions(target, _Simplifier(fast_math).visit, "simplify")


def _concrete(ty: Type | None) -> bool:
    """Whether `ty` is made of fully known tensor types only (what type relations take)."""
    if isinstance(ty, TupleType):
        return all(_concrete(f) for f in ty.fields)
    return is_static_tensor(ty)


def _same(a: Type | None, b: Type | None) -> bool:
    """Whether `a` and `b` are the same fully known tensor type."""
    return is_static_tensor(a) and a == b


class _Simplifier(ExprMutator):
    def __init__(self, fast_math: bool = False):
        super().__init__()
        self.fast_math = fast_math  # zeros absorb operands that may be infinite or NaN
        # Types are worked out only when a rule asks. A rewritten node has the type of the
        # node it replaces. (Entries hold their node: its id must stay its own.)
        self.types: dict[int, tuple[Expr, Type | None]] = {}
        self.origin: dict[int, tuple[Expr, Expr]] = {}  # new node -> the node it replaces
        self.outputs: set[int] = set()  # nodes this pass has returned (not new any more)
        self.rewriting: Expr | None = None  # the original of the call the rules look at
        self.bound: dict[int, Expr] = {}  # let-bound variable -> its original value
        self.defs: dict[int, Expr] = {}  # let-bound variable -> its (simplified) value
        self.renamed: dict[int, Expr] = {}
        self.pure = Purity()

    def visit(self, expr: Expr) -> Expr:
        result = super().visit(expr)
        self.replaced(expr, result)
        return result

    def replaced(self, original: Expr, result: Expr) -> None:
        """Note that `result` stands for `original`. Only a new node takes the original's
        type this way: an existing one (an operand a rule kept) has its own."""
        if result is not original and id(result) not in self.outputs:
            self.origin.setdefault(id(result), (result, original))
        self.outputs.add(id(result))

    def type_of(self, expr: Expr) -> Type | None:
        if expr.checked_type is not None:
            return expr.checked_type
        known = self.types.get(id(expr))
        if known is None:
            original = self.origin.get(id(expr))
            ty = self.infer_locally(expr) if original is None else self.type_of(original[1])
            known = self.types[id(expr)] = (expr, ty)
        return known[1]

    def infer_locally(self, expr: Expr) -> Type | None:
        """The type of `expr` from the types of its parts, or None where they do not tell."""
        rule = _LOCAL_TYPES.get(type(expr))
        return None if rule is None else rule(self, expr)

    def var_type(self, var: Var) -> Type | None:
        value = self.bound.get(id(var))
        return var.type_annotation or (None if value is None else self.type_of(value))

    def call_type(self, call: Call) -> Type | None:
        if isinstance(call.op, Op):
            return self.op_result(call)
        callee = self.type_of(call.op)  # a closure's type says what it returns
        monomorphic = isinstance(callee, FuncType) and not callee.type_params
        return callee.ret_type if monomorphic else None

    def function_type(self, func: Function) -> Type | None:
        params = [p.type_annotation for p in func.params]
        if func.type_params or None in params:
            return None
        ret = func.ret_type or self.type_of(func.body)
        return None if ret is None else FuncType(params, ret)

    def agreed_type(self, branches) -> Type | None:
        """The type every branch has, when they agree."""
        types = {self.type_of(b) for b in branches}
        return types.pop() if len(types) == 1 else None

    def op_result(self, call: Call) -> Type | None:
        args = [self.type_of(a) for a in call.args]
        if not all(_concrete(a) for a in args):
            return None
        try:
            return op_def(call.op).type_rel(args, call.attrs)
        except OpTypeError:
            return None  # ill-typed here: leave it to type inference to report

    def resolve(self, expr: Expr) -> Expr:
        """The value bound to `expr` when it is a let-bound variable, else `expr`."""
        return self.defs.get(id(expr), expr) if isinstance(expr, Var) else expr

    def visit_var(self, expr: Var) -> Expr:
        return self.renamed.get(id(expr), expr)

    def visit_let(self, expr: Let) -> Expr:
        lets, body = let_chain(expr)
        kept = []
        for let in lets:
            self.bound[id(let.var)] = let.value
            value = self.visit(let.value)
            if isinstance(value, Var | GlobalVar):
                self.renamed[id(let.var)] = value  # an alias: use the original
                continue
            self.defs[id(let.var)] = value
            kept.append((let, value))
        return rebuild_lets(kept, self.visit(body))

    def visit_tuple_get_item(self, expr: TupleGetItem) -> Expr:
        item = super().visit_tuple_get_item(expr)
        field = self.project(item)
        if field is None:
            return item
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
        for _ in range(8):  # one rule's output may match another rule
            rule = _rule_for(result)
            if rule is None:
                break
            self.rewriting = expr
            rewritten = rule(self, result)
            if rewritten is None:
                break
            self.replaced(expr, rewritten)
            result = rewritten
        return result

    # Predicates used by the rules.

    def result_type(self) -> Type | None:
        """The type of the call being rewritten (worked out only for rules that need it)."""
        return self.type_of(self.rewriting)

    def is_const(self, expr: Expr, names: tuple[str, str], value: float) -> bool:
        known = self.resolve(expr)
        if isinstance(known, Constant):
            return bool(np.all(known.data == value))
        return isinstance(known, Call) and isinstance(known.op, Op) and known.op.name in names

    def zero(self, expr: Expr) -> bool:
        return self.is_const(expr, ZEROS, 0)

    def one(self, expr: Expr) -> bool:
        return self.is_const(expr, ONES, 1)

    def absorbed(self, expr: Expr, by_divisor: bool = False) -> bool:
        """Whether a zero factor beside `expr` makes the result zero: `expr` is known finite
        (a zero divided by it: known to be neither 0 nor NaN), or fast math says to assume it."""
        if self.fast_math:
            return True
        known = self.resolve(expr)
        if isinstance(known, Call) and isinstance(known.op, Op):
            return known.op.name in ONES or (known.op.name in ZEROS and not by_divisor)
        if not isinstance(known, Constant):
            return False
        data = known.data
        if by_divisor:
            return not np.any(np.isnan(data) | (data == 0))
        return bool(np.all(np.isfinite(data)))

    def op_arg(self, expr: Expr, name: str) -> Call | None:
        """`expr` (or its let-bound value) when it is a call of the op `name`."""
        known = self.resolve(expr)
        is_call = isinstance(known, Call) and isinstance(known.op, Op)
        return known if is_call and known.op.name == name else None


_LOCAL_TYPES = {
    Var: _Simplifier.var_type,
    Constant: lambda self, e: TensorType(e.data.shape, e.data.dtype.name),
    Call: _Simplifier.call_type,
    Function: _Simplifier.function_type,
    Tuple: lambda self, e: _tuple_type([self.type_of(f) for f in e.fields]),
    TupleGetItem: lambda self, e: _field_type(self.type_of(e.tuple_value), e.index),
    Let: lambda self, e: self.type_of(e.body),
    If: lambda self, e: self.agreed_type((e.true_branch, e.false_branch)),
    Match: lambda self, e: self.agreed_type(c.rhs for c in e.clauses),
    RefCreate: lambda self, e: _ref_type(self.type_of(e.value)),
    RefRead: lambda self, e: _read_type(self.type_of(e.ref)),
    RefWrite: lambda self, e: TupleType(()),
}


def _tuple_type(fields: list) -> Type | None:
    return None if None in fields else TupleType(fields)


def _field_type(tup: Type | None, index: int) -> Type | None:
    return tup.fields[index] if isinstance(tup, TupleType) else None


def _ref_type(value: Type | None) -> Type | None:
    return None if value is None else RefType(value)


def _read_type(ref: Type | None) -> Type | None:
    return ref.value if isinstance(ref, RefType) else None


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


def _zero_through(self: _Simplifier, call: Call) -> Expr | None:
    """``op(..., zeros, ...)`` is zeros of the result type when `op` is linear there (and
    the other operands cannot turn the zero into NaN)."""
    positions = ZERO_IN_ZERO_OUT[call.op.name]
    zeros = [call.args[i] for i in positions if self.zero(call.args[i])]
    fires = zeros and all(self.pure(a) for a in call.args) and _absorbing(self, call, zeros)
    if fires and is_static_tensor(self.result_type()):
        return _zeros_of(self, self.result_type(), zeros, call.args)
    return _RULES.get(call.op.name, _no_rule)(self, call)


def _absorbing(self: _Simplifier, call: Call, zeros: list) -> bool:
    """Whether the zero arguments `zeros` of `call` make its result zero under IEEE rules:
    the other factors of a product are finite, a divisor is neither 0 nor NaN, and a mean
    is not over an empty axis (that is NaN)."""
    if self.fast_math:
        return True
    name = call.op.name
    if name == "divide":
        return zeros[0] is call.args[0] and self.absorbed(call.args[1], by_divisor=True)
    if name == "mean":
        arg_type = self.type_of(call.args[0])
        return is_static_tensor(arg_type) and math.prod(arg_type.shape) > 0
    if name not in PRODUCTS:
        return True  # the other arguments give only a shape (``like``) or indices
    others = [a for a in call.args if all(a is not z for z in zeros)]
    return all(self.absorbed(a) for a in others)


PRODUCTS = ("nn.dense", "nn.matmul", "nn.batch_matmul")


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


def _no_rule(self: _Simplifier, call: Call) -> Expr | None:
    return None


def _as_result(self: _Simplifier, x: Expr, ty: Type) -> Expr | None:
    """`x` standing for a value of type `ty`: itself, or broadcast to the shape of `ty`."""
    x_type = self.type_of(x)
    if _same(x_type, ty):
        return x
    if is_static_tensor(ty) and isinstance(x_type, TensorType) and x_type.dtype == ty.dtype:
        return make_call("broadcast_to", [x], {"shape": ty.shape})
    return None


def _add(self: _Simplifier, call: Call) -> Expr | None:
    x, y = call.args
    if isinstance(self.resolve(y), Constant) and self.zero(x) and self.zero(y):
        x, y = y, x  # of two zeros keep the constant one: it costs no op
    if self.zero(y) and self.pure(y):
        return _as_result(self, x, self.result_type())
    if self.zero(x) and self.pure(x):
        return _as_result(self, y, self.result_type())
    return None


def _subtract(self: _Simplifier, call: Call) -> Expr | None:
    x, y = call.args
    if self.zero(y) and self.pure(y):
        return _as_result(self, x, self.result_type())
    if self.zero(x) and self.pure(x) and _same(self.type_of(y), self.result_type()):
        return make_call("negative", [y])
    return None


def _multiply(self: _Simplifier, call: Call) -> Expr | None:
    for x, y in (call.args, reversed(call.args)):
        if self.one(y) and self.pure(y) and _same(self.type_of(x), self.result_type()):
            return x
        if not (self.zero(y) and self.absorbed(x)):
            continue
        if _same(self.type_of(y), self.result_type()) and self.pure(x):
            return y
        if _same(self.type_of(x), self.result_type()) and self.pure(y):
            return make_call("zeros_like", [x])
    return None


def _same_as_result(self: _Simplifier, call: Call) -> Expr | None:
    """``f(x, like)`` is `x` when `x` already has the result type (and `like` can go)."""
    x, *rest = call.args
    if _same(self.type_of(x), self.result_type()) and all(self.pure(r) for r in rest):
        return x
    return None


def _involution(self: _Simplifier, call: Call) -> Expr | None:
    inner = self.op_arg(call.args[0], call.op.name)
    return None if inner is None else inner.args[0]


def _filled_like(self: _Simplifier, call: Call) -> Expr | None:
    """``zeros_like(z)`` is `z` when `z` is already zeros (same for ones); a small one of a
    known type is a constant. One spelling for every small zero keeps programs that reach
    the same zeros by different routes (folded in one AD mode, not in the other) the same."""
    arg = call.args[0]
    if self.is_const(arg, (call.op.name, call.op.name.removesuffix("_like")), FILLS[call.op.name]):
        return arg
    ty = self.result_type()
    if is_static_tensor(ty) and math.prod(ty.shape) <= MAX_ELEMENTS and self.pure(arg):
        return Constant(np.full(ty.shape, FILLS[call.op.name], dtype=ty.dtype))
    return None


FILLS = {"zeros_like": 0, "ones_like": 1}


def _cast(self: _Simplifier, call: Call) -> Expr | None:
    x_type, ty = self.type_of(call.args[0]), self.result_type()
    same_dtype = isinstance(x_type, TensorType) and isinstance(ty, TensorType)
    if same_dtype and x_type.dtype == ty.dtype and all(self.pure(a) for a in call.args[1:]):
        return call.args[0]
    return None


def _copy(self: _Simplifier, call: Call) -> Expr | None:
    return call.args[0]


def _transpose(self: _Simplifier, call: Call) -> Expr | None:
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
    "zeros_like": _filled_like,
    "ones_like": _filled_like,
    "cast": _cast,
    "cast_like": _cast,
    "copy": _copy,
    "transpose": _transpose,
}
