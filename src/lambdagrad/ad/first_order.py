"""First-order reverse-mode AD: one straight-line let-chain, no refs, no closures.

The program is flattened into a list of bindings (function literals and non-recursive globals
are inlined), then differentiated by a reverse sweep that sums each variable's adjoint
contributions before applying a gradient rule, so a value used twice is differentiated once.
Control flow, ADTs, refs and recursion are rejected with a hint to use the higher-order mode.
"""

from __future__ import annotations

from ..errors import GradientError
from ..ir.expr import (
    Call,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    Let,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import TensorType, TupleType, Type
from ..ir.visitor import children, make_lets, replace_node
from ..ops.gradients import call, gradient_of, is_non_differentiable
from ..transform.anf import is_checkpoint
from .adjoints import Adjoints
from .adtypes import is_float_tensor
from .structure import has_float_leaf

HINT = 'use mode="higher_order", which handles control flow, ADTs, refs and recursion'


def first_order_gradient(
    func: Function, mod: IRModule, with_cotangent: bool, wrt: tuple[int, ...] | None = None
) -> Function:
    """The first-order gradient of typed, A-normal `func` (see ``gradient``).

    With `wrt` (parameter indices), only those parameters get gradients, and the sweep
    propagates adjoints only into values that depend on them.
    """
    for param in func.params:
        if not _first_order_type(param.checked_type):
            raise GradientError(
                f"first-order AD cannot take parameter %{param.name_hint} of type "
                f"{param.checked_type}; {HINT}"
            )
    flat = _Flattener(mod)
    result = flat.flatten(func.body)
    out_type = func.checked_type.ret_type
    cotangent = Var("cotangent", out_type, checked_type=out_type) if with_cotangent else None
    chosen = list(func.params) if wrt is None else [func.params[i] for i in wrt]
    active = None if wrt is None else _depending_on(chosen, flat.bindings)
    sweep = _ReverseSweep(flat.bindings, active)
    sweep.seed(result, out_type, cotangent)
    grads = sweep.run(chosen)
    body = make_lets(flat.bindings + sweep.bindings, Tuple([result, Tuple(grads)]))
    params = [*func.params, cotangent] if cotangent is not None else list(func.params)
    ret = TupleType([out_type, TupleType([p.checked_type for p in chosen])])
    return Function(params, body, ret)


def _depending_on(params: list[Var], bindings: list[tuple[Var, Expr]]) -> set[Var]:
    """`params` and every bound variable whose value depends on one of them."""
    active = set(params)
    for var, value in bindings:
        if any(isinstance(c, Var) and c in active for c in children(value)):
            active.add(var)
    return active


def _first_order_type(ty: Type) -> bool:
    if isinstance(ty, TupleType):
        return all(_first_order_type(f) for f in ty.fields)
    return isinstance(ty, TensorType)


class _Flattener:
    """Turns an A-normal program into one list of simple bindings, inlining calls."""

    def __init__(self, mod: IRModule):
        self.mod = mod
        self.bindings: list[tuple[Var, Expr]] = []
        self.subst: dict[Var, Expr] = {}
        self.functions: dict[Var, Function] = {}
        self.inlining: list[str] = []

    def flatten(self, expr: Expr) -> Expr:
        """Emit the bindings of `expr` and return the atom holding its value."""
        while isinstance(expr, Let):
            self._bind(expr.var, expr.value)
            expr = expr.body
        return self._value_atom(expr)

    def _bind(self, var: Var, value: Expr) -> None:
        if isinstance(value, Function):
            self.functions[var] = value
            return
        if isinstance(value, Var | Constant | GlobalVar):
            self.subst[var] = self._atom(value)
            return
        if isinstance(value, Call) and not isinstance(value.op, Op | Constructor):
            self.subst[var] = self._inline(value)
            return
        if is_checkpoint(value):  # nothing to recompute in a straight line: run it in place
            self.subst[var] = self.flatten(value.args[0])
            return
        new = Var(var.name_hint, checked_type=var.checked_type)
        self.bindings.append((new, self._simple(value)))
        self.subst[var] = new

    def _value_atom(self, expr: Expr) -> Expr:
        if isinstance(expr, Var | Constant):
            return self._atom(expr)
        holder = Var("result", checked_type=expr.checked_type)
        self._bind(holder, expr)
        return self.subst[holder]

    def _atom(self, expr: Expr) -> Expr:
        if isinstance(expr, Var):
            if expr in self.functions:
                raise self._reject(expr, "a function used as a value")
            return self.subst.get(expr, expr)
        if isinstance(expr, GlobalVar):
            raise self._reject(expr, "a global function used as a value")
        return expr

    def _simple(self, value: Expr) -> Expr:
        match value:
            case Call(op=Op() as callee, args=args, attrs=attrs):
                atoms = [self._atom(a) for a in args]
                return Call(callee, atoms, attrs, checked_type=value.checked_type)
            case Tuple(fields=fields):
                return Tuple([self._atom(f) for f in fields], checked_type=value.checked_type)
            case TupleGetItem(tuple_value=t, index=index):
                return TupleGetItem(self._atom(t), index, checked_type=value.checked_type)
            case Call(op=Constructor()):
                raise self._reject(value, "an ADT constructor")
        raise self._reject(value, _describe(value))

    def _inline(self, call: Call) -> Expr:
        """Inline a call of a function literal or a non-recursive global; its result atom."""
        callee = call.op
        if isinstance(callee, GlobalVar):
            if callee.name_hint in self.inlining:
                raise self._reject(call, f"recursion through @{callee.name_hint}")
            self.inlining.append(callee.name_hint)
            result = self._inline_body(self.mod[callee], call)
            self.inlining.pop()
            return result
        if isinstance(callee, Var) and callee in self.functions:
            return self._inline_body(self.functions[callee], call)
        raise self._reject(call, "a call of an unknown function")

    def _inline_body(self, func: Function, call: Call) -> Expr:
        for param, arg in zip(func.params, call.args, strict=True):
            if arg in self.functions:
                self.functions[param] = self.functions[arg]
            else:
                self.subst[param] = self._atom(arg)
        return self.flatten(func.body)

    @staticmethod
    def _reject(node: Expr, what: str) -> GradientError:
        text = str(node)
        text = text if len(text) < 300 else text[:300] + " ..."
        return GradientError(f"first-order AD does not support {what}:\n  {text}\n{HINT}")


def _describe(value: Expr) -> str:
    names = {
        "If": "if (control flow)",
        "Match": "match (ADTs and control flow)",
        "RefCreate": "references (ref)",
        "RefRead": "references (ref_read)",
        "RefWrite": "references (ref_write)",
    }
    return names.get(type(value).__name__, type(value).__name__)


class _ReverseSweep(Adjoints):
    """Accumulates adjoints backwards over the flat bindings `forward` (see adjoints.py).
    When `active` is given, adjoints flow only into its variables: the others lead to no
    chosen parameter."""

    def __init__(self, forward: list[tuple[Var, Expr]], active: set[Var] | None = None):
        super().__init__(active)
        self.forward = forward

    def carries(self, ty: Type) -> bool:
        return has_float_leaf(ty)

    def adjoint(self, var: Var, ty: Type) -> Expr | None:
        """The summed adjoint of `var`, bound to a variable; None when nothing reached it."""
        parts = self.adjoints.get(var)
        if not parts:
            return None
        if isinstance(ty, TupleType):
            padded = parts + [[] for _ in range(len(ty.fields) - len(parts))]
            fields = [
                self._total(p, t, var.name_hint) if p else _zeros(TupleGetItem(var, i), t)
                for i, (p, t) in enumerate(zip(padded, ty.fields, strict=True))
            ]
            return self.emit(f"grad_{var.name_hint}", Tuple(fields), ty)
        return self._total(parts, ty, var.name_hint)

    def _total(self, parts: list[Expr], ty: Type, name: str) -> Expr:
        total = self.emit(f"grad_{name}", parts[0], ty)
        for part in parts[1:]:
            total = self.emit(f"grad_{name}", _add(total, part, ty), ty)
        return total

    def seed(self, result: Expr, ty: Type, cotangent: Expr | None) -> None:
        """Start the sweep: the output's adjoint is `cotangent`, or ones at every leaf."""
        self.contribute(result, cotangent if cotangent is not None else _ones(result, ty), ty)

    def run(self, params: list[Var]) -> list[Expr]:
        """Sweep the bindings backwards; the gradient of each parameter."""
        for var, value in reversed(self.forward):
            grad = self.adjoint(var, var.checked_type)
            if grad is not None:
                self._backward(var, value, grad)
        return [self._param_gradient(p) for p in params]

    def _param_gradient(self, param: Var) -> Expr:
        grad = self.adjoint(param, param.checked_type)
        return grad if grad is not None else _zeros(param, param.checked_type)

    def _backward(self, var: Var, value: Expr, grad: Expr) -> None:
        match value:
            case Call(op=Op() as callee, args=args):
                self._op_backward(var, value, callee, args, grad)
            case Tuple(fields=fields):
                for i, f in enumerate(fields):
                    self.contribute(f, TupleGetItem(grad, i), f.checked_type)
            case TupleGetItem(tuple_value=t, index=index) if isinstance(t, Var):
                self.contribute_field(t, index, grad)

    def _op_backward(self, var: Var, call: Call, callee: Op, args, grad: Expr) -> None:
        if is_non_differentiable(callee) or not any(has_float_leaf(a.checked_type) for a in args):
            return
        grads = gradient_of(callee)(call, grad)
        for arg, rule in zip(args, grads, strict=True):
            if has_float_leaf(arg.checked_type) and self.wanted(arg):
                expr = replace_node(rule, call, var)
                ty = arg.checked_type
                self.contribute(arg, self.emit(f"grad_{arg.name_hint}", expr, ty), ty)


def _add(a: Expr, b: Expr, ty: Type) -> Expr:
    """`a + b` for tensors, field by field for tuples (non-float leaves keep `a`)."""
    if isinstance(ty, TupleType):
        return Tuple(
            [_add(TupleGetItem(a, i), TupleGetItem(b, i), f) for i, f in enumerate(ty.fields)]
        )
    return call("add", a, b) if is_float_tensor(ty) else a


def _ones(value: Expr, ty: Type) -> Expr:
    if isinstance(ty, TupleType):
        return Tuple([_ones(TupleGetItem(value, i), f) for i, f in enumerate(ty.fields)])
    return call("ones_like", value) if is_float_tensor(ty) else call("zeros_like", value)


def _zeros(value: Expr, ty: Type) -> Expr:
    if isinstance(ty, TupleType):
        return Tuple([_zeros(TupleGetItem(value, i), f) for i, f in enumerate(ty.fields)])
    return call("zeros_like", value)
