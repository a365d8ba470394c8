"""Operator gradients (Relay's FPrimalGradient), forward-mode rules, and the helpers that make
most of them one line.

A gradient is a function ``grad(orig_call, out_grad) -> list[Expr]`` returning one expression
per argument of the call, built from IR ops, so gradients are programs and can be
differentiated again; a gradient may only use ops that have gradients themselves. `orig_call`
is the original call with typed arguments (``orig_call.args[i].checked_type``), attributes
(``orig_call.attrs``) and type (``orig_call.checked_type``); an expression that uses
`orig_call` itself stands for the forward result, which the AD passes do not recompute.

A forward-mode rule is ``jvp(orig_call, tangents) -> Expr``: the tangent of the result (a
tuple for tuple-valued ops) given one tangent per argument, None where the argument's tangent
is statically zero (integer arguments, constants); at least one tangent is not None. Rules are
built from ops that have rules themselves, so forward mode nests. The family helpers below
register both rules from one formula; an op without a rule of its own gets its gradient
transposed (`transposed_gradient`), and its record says so in ``jvp_source``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import GradientError
from ..ir.expr import Call, Constant, Expr, Function, Tuple, TupleGetItem, Var
from ..ir.op import Op
from ..ir.types import TensorType, TupleType, Type, is_static_tensor
from .registry import make_call, op_def

Gradient = Callable[[Call, Expr], list]
Jvp = Callable[[Call, list], Expr]

LINEAR = "linear: the op itself applied to the tangents (the gradient is its transpose)"
SHARED = "the derivative formula the gradient uses"
TRANSPOSED = "transposed from the gradient (the gradient is linear in the output gradient)"
DECOMPOSED = "forward mode through the same decomposition the gradient uses"
ZERO = "non-differentiable: zero tangent"


def register_gradient(op_name: str, gradient: Gradient | None = None):
    """Set the gradient of op `op_name`; usable as a decorator. Replaces any earlier one.

    >>> import lambdagrad as lg
    >>> @lg.register_gradient("copy")
    ... def copy_grad(orig_call, out_grad):
    ...     return [out_grad]
    """

    def register(fn: Gradient) -> Gradient:
        op_def(Op.get(op_name)).gradient = fn
        return fn

    return register(gradient) if gradient is not None else register


def register_jvp(op_name: str, rule: Jvp | None = None, source: str = "a formula of its own"):
    """Set the forward-mode rule of op `op_name`; usable as a decorator.

    >>> import lambdagrad as lg
    >>> from lambdagrad.ops.gradients import register_jvp
    >>> record = lg.ops.op_def("copy")
    >>> rule, source = record.jvp, record.jvp_source
    >>> @register_jvp("copy", source="the identity")
    ... def copy_jvp(orig_call, tangents):
    ...     return tangents[0]
    >>> record.jvp_source
    'the identity'
    >>> record.jvp, record.jvp_source = rule, source  # as it was, for the other examples
    """

    def register(fn: Jvp) -> Jvp:
        record = op_def(Op.get(op_name))
        record.jvp, record.jvp_source = fn, source
        return fn

    return register(rule) if rule is not None else register


def jvp_of(op: Op) -> Jvp:
    """The forward-mode rule of `op`: its own, else its gradient transposed.

    GradientError when the op has neither a rule nor a gradient.
    """
    record = op_def(op)
    if record.jvp is not None:
        return record.jvp
    gradient_of(op)  # raises the GradientError naming the op
    return transposed_gradient


def zero_gradient(orig_call: Call, out_grad: Expr) -> list:
    """The gradient of a non-differentiable op: zeros shaped like each argument."""
    return [zeros_like_value(arg) for arg in orig_call.args]


def zero_tangent(orig_call: Call, tangents: list) -> Expr:
    """The forward rule of a non-differentiable op: zeros shaped like the result."""
    return zeros_like_value(orig_call)


def non_differentiable(*op_names: str) -> None:
    """Register `op_names` as having zero gradients (comparisons, argmax, shape_of, ...)."""
    for name in op_names:
        register_gradient(name, zero_gradient)
        register_jvp(name, zero_tangent, ZERO)


def is_non_differentiable(op: Op) -> bool:
    return op_def(op).gradient is zero_gradient


def gradient_of(op: Op) -> Gradient:
    """The registered gradient of `op`; GradientError if there is none."""
    grad = op_def(op).gradient
    if grad is None:
        raise GradientError(f"operator {op.name} has no registered gradient")
    return grad


def call(name: str, *args: Expr, **attrs) -> Call:
    """A validated call of op `name`, for writing gradients."""
    return make_call(name, args, attrs)


def zeros_like_value(arg: Expr) -> Expr:
    """Zeros of `arg`'s type; a tuple of zeros for tuple-typed arguments."""
    ty = arg.checked_type
    if isinstance(ty, TupleType):
        fields = [TupleGetItem(arg, i, checked_type=t) for i, t in enumerate(ty.fields)]
        return Tuple([zeros_like_value(f) for f in fields])
    return call("zeros_like", arg)


def tensor_type(expr: Expr) -> TensorType:
    """The checked tensor type of an argument of the original call."""
    ty = expr.checked_type
    if not isinstance(ty, TensorType):
        raise GradientError(f"expected a typed tensor argument, got {expr} of type {ty}")
    return ty


def known_shape(expr: Expr, what: str = "this gradient") -> tuple[int, ...]:
    """The static shape of a typed argument; GradientError when a dimension is unknown."""
    shape = tensor_type(expr).shape
    if None in shape:
        raise GradientError(f"{what} needs known shapes, got {expr} of type {expr.checked_type}")
    return shape


def scalar(value: float, like: Expr) -> Constant:
    """A scalar constant with the dtype of `like` (an argument of the original call)."""
    return Constant(np.array(value, dtype=tensor_type(like).dtype))


def collapse(grad: Expr, arg: Expr, grad_type: Type | None = None) -> Expr:
    """Undo broadcasting: sum `grad` down to the shape of `arg`.

    Callers that know `grad`'s type pass it: when that is `arg`'s own static type there is
    nothing to undo and no op is emitted (the optimizer would remove it, at a cost).
    """
    if is_static_tensor(grad_type) and grad_type == arg.checked_type:
        return grad
    return call("collapse_sum_like", grad, arg)


def unary_gradient(name: str, derivative: Callable[[Expr, Expr], Expr]) -> None:
    """Register ``grad = out_grad * derivative(x, out)`` for a one-input elementwise op, and
    the forward rule ``tangent * derivative(x, out)`` from the same formula."""
    register_gradient(name, lambda c, g: [g * derivative(c.args[0], c)])
    register_jvp(name, lambda c, ts: ts[0] * derivative(c.args[0], c), SHARED)


def linear(name: str, transpose: Callable[[Expr, Call], list]) -> None:
    """Register the gradient of a one-input linear op: ``transpose(out_grad, orig_call)``; its
    forward rule is the op itself on the tangent (see `linear_in`)."""
    register_gradient(name, lambda c, g: transpose(g, c))
    linear_forward(name)


def linear_forward(name: str, positions=(0,)) -> None:
    """Declare op `name` linear in the arguments at `positions`: its forward rule is the op
    applied to their tangents (zeros where a tangent is statically zero), with the other
    arguments (indices, shape donors) as they are."""
    register_jvp(name, linear_in(positions), LINEAR)


def linear_in(positions) -> Jvp:
    """The forward rule of an op linear in the arguments at `positions`."""

    def rule(c: Call, tangents: list) -> Expr:
        args = [
            _tangent_or_zeros(tangents[i], a) if i in positions else a for i, a in enumerate(c.args)
        ]
        return Call(c.op, args, c.attrs)

    return rule


def bilinear(name: str) -> None:
    """Declare op `name` bilinear in its two arguments (products, dense, convolutions):
    ``op(tx, y) + op(x, ty)``, a term only where a tangent is not statically zero."""

    def rule(c: Call, tangents: list) -> Expr:
        (x, y), (tx, ty) = c.args, tangents
        terms = []
        if tx is not None:
            terms.append(Call(c.op, [tx, y], c.attrs))
        if ty is not None:
            terms.append(Call(c.op, [x, ty], c.attrs))
        return _sum_terms(terms)

    register_jvp(name, rule, "bilinear: the op on one tangent and the other primal, summed")


def broadcasting(name: str, dx: Callable, dy: Callable) -> None:
    """Register a binary broadcasting op's gradient from ``d(g, x, y, out)`` for each input.

    Each ``d`` is elementwise and linear in `g`, so the forward rule is the same formulas
    applied to the tangents, summed and broadcast to the result's shape.
    """
    register_gradient(
        name,
        lambda c, g: [
            collapse(dx(g, *c.args, c), c.args[0], c.checked_type),
            collapse(dy(g, *c.args, c), c.args[1], c.checked_type),
        ],
    )

    def rule(c: Call, tangents: list) -> Expr:
        pairs = list(zip((dx, dy), c.args, tangents, strict=True))
        terms = [d(t, *c.args, c) for d, _, t in pairs if t is not None]
        operands = [a for _, a, t in pairs if t is not None]
        total = _sum_terms(terms)
        if all(a.checked_type == c.checked_type for a in operands):
            return total
        return call("broadcast_to_like", total, c)

    register_jvp(name, rule, SHARED)


def _sum_terms(terms: list) -> Expr:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _tangent_or_zeros(tangent: Expr | None, arg: Expr) -> Expr:
    return tangent if tangent is not None else zeros_like_value(arg)


def transposed(*op_names: str) -> None:
    """Give `op_names` the forward rule `transposed_gradient`, saying so in their records."""
    for name in op_names:
        register_jvp(name, transposed_gradient, TRANSPOSED)


def transposed_gradient(orig_call: Call, tangents: list) -> Expr:
    """A forward rule from the gradient: ``J t`` as the transpose of ``u -> J^T u``.

    The registered gradient is linear in its output gradient `u`; the vector-Jacobian product
    of that map with respect to `u`, at cotangent `t`, is the Jacobian-vector product. For
    ops whose gradient is their only rule (reductions like max and prod, losses, pooling).
    """
    from ..ad.api import vjp

    out_type = orig_call.checked_type
    params = _params_like(orig_call)
    u = Var("out_grad", out_type, checked_type=out_type)
    forward = Call(orig_call.op, params, orig_call.attrs, checked_type=out_type)
    grads = Tuple(gradient_of(orig_call.op)(forward, u))
    # with respect to `u` only: the derivatives in the op's arguments are not wanted
    back = vjp(Function([*params, u], grads), mode="first_order", wrt=(len(params),))
    cotangent = Tuple(
        [_tangent_or_zeros(t, a) for t, a in zip(tangents, orig_call.args, strict=True)]
    )
    applied = Call(back, [*orig_call.args, zeros_like_value(orig_call), cotangent])
    return TupleGetItem(TupleGetItem(applied, 1), 0)


def decomposed(build: Callable[..., Expr]) -> Gradient:
    """A gradient taken from a decomposition of the op into simpler differentiable ops.

    ``build(attrs, *args)`` re-expresses the op; its vector-Jacobian product (by first-order
    AD) is the gradient. For ops whose direct formula would need ops of its own.
    """

    def grad(orig_call: Call, out_grad: Expr) -> list:
        from ..ad.api import vjp

        params = _params_like(orig_call)
        back = vjp(Function(params, build(orig_call.attrs, *params)), mode="first_order")
        grads = TupleGetItem(Call(back, [*orig_call.args, out_grad]), 1)
        return [TupleGetItem(grads, i) for i in range(len(params))]

    return grad


def decomposed_forward(build: Callable[..., Expr]) -> Jvp:
    """The forward rule of an op from the decomposition its `decomposed` gradient uses."""

    def rule(orig_call: Call, tangents: list) -> Expr:
        from ..ad.forward import jvp

        params = _params_like(orig_call)
        forward = jvp(Function(params, build(orig_call.attrs, *params)))
        filled = [_tangent_or_zeros(t, a) for t, a in zip(tangents, orig_call.args, strict=True)]
        return TupleGetItem(Call(forward, [*orig_call.args, *filled]), 1)

    return rule


def _params_like(orig_call: Call) -> list[Var]:
    types = [a.checked_type for a in orig_call.args]
    return [Var(f"arg{i}", t, checked_type=t) for i, t in enumerate(types)]
