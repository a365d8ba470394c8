"""Operator gradients (Relay's FPrimalGradient) and the helpers that make most of them one line.

A gradient is a function ``grad(orig_call, out_grad) -> list[Expr]`` returning one expression
per argument of the call, built from IR ops, so gradients are programs and can be
differentiated again; a gradient may only use ops that have gradients themselves. `orig_call`
is the original call with typed arguments (``orig_call.args[i].checked_type``), attributes
(``orig_call.attrs``) and type (``orig_call.checked_type``); an expression that uses
`orig_call` itself stands for the forward result, which the AD passes do not recompute.
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


def zero_gradient(orig_call: Call, out_grad: Expr) -> list:
    """The gradient of a non-differentiable op: zeros shaped like each argument."""
    return [zeros_like_value(arg) for arg in orig_call.args]


def non_differentiable(*op_names: str) -> None:
    """Register `op_names` as having zero gradients (comparisons, argmax, shape_of, ...)."""
    for name in op_names:
        register_gradient(name, zero_gradient)


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
    """Register ``grad = out_grad * derivative(x, out)`` for a one-input elementwise op."""
    register_gradient(name, lambda c, g: [g * derivative(c.args[0], c)])


def linear(name: str, transpose: Callable[[Expr, Call], list]) -> None:
    """Register the gradient of an op linear in its inputs: ``transpose(out_grad, orig_call)``."""
    register_gradient(name, lambda c, g: transpose(g, c))


def broadcasting(name: str, dx: Callable, dy: Callable) -> None:
    """Register a binary broadcasting op's gradient from ``d(g, x, y, out)`` for each input."""
    register_gradient(
        name,
        lambda c, g: [
            collapse(dx(g, *c.args, c), c.args[0], c.checked_type),
            collapse(dy(g, *c.args, c), c.args[1], c.checked_type),
        ],
    )


def decomposed(build: Callable[..., Expr]) -> Gradient:
    """A gradient taken from a decomposition of the op into simpler differentiable ops.

    ``build(attrs, *args)`` re-expresses the op; its vector-Jacobian product (by first-order
    AD) is the gradient. For ops whose direct formula would need ops of its own.
    """

    def grad(orig_call: Call, out_grad: Expr) -> list:
        from ..ad.api import vjp

        types = [a.checked_type for a in orig_call.args]
        params = [Var(f"arg{i}", t, checked_type=t) for i, t in enumerate(types)]
        back = vjp(Function(params, build(orig_call.attrs, *params)), mode="first_order")
        grads = TupleGetItem(Call(back, [*orig_call.args, out_grad]), 1)
        return [TupleGetItem(grads, i) for i in range(len(params))]

    return grad
