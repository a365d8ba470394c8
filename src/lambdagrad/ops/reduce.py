"""Reductions over axes: sum, mean, variance, max, min, prod, logsumexp, argmax, argmin.

Attributes follow Relay: `axis` (None for all, an int or a list; negative counts from the
end), `keepdims` (reduced axes stay as size 1) and `exclude` (reduce every other axis).
sum and prod take numbers, mean, variance and logsumexp floating-point tensors, max, min,
argmax and argmin any dtype; results keep the input dtype (argmax/argmin give int32).
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.expr import Call, Expr
from ..ir.types import TensorType, Type
from .gradients import (
    call,
    known_shape,
    linear_forward,
    non_differentiable,
    register_gradient,
    scalar,
    tensor_type,
    transposed,
)
from .registry import AttrSpec, register_op
from .relations import need_dtype, norm_axes, tensor

REDUCE_ATTRS = {
    "axis": AttrSpec("axis", None),
    "keepdims": AttrSpec("bool", False),
    "exclude": AttrSpec("bool", False),
}
LAST_INDEX = {"select_last_index": AttrSpec("bool", False)}


def reduced_axes(ndim: int, axis, exclude: bool) -> tuple[int, ...]:
    """The sorted non-negative axes a reduction with `axis` and `exclude` removes."""
    axes = norm_axes(axis, ndim)
    if exclude:
        axes = [a for a in range(ndim) if a not in axes]
    return tuple(axes)


def reduced_shape(data: TensorType, attrs) -> tuple:
    """The shape left after reducing `data` as `attrs` say."""
    axes = reduced_axes(data.ndim, attrs.axis, attrs.exclude)
    if attrs.keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(data.shape))
    return tuple(d for i, d in enumerate(data.shape) if i not in axes)


def reduce_type(kinds: str):
    """The relation of a reduction of a tensor whose dtype is one of numpy's `kinds`."""

    def relation(arg_types: list[Type], attrs) -> Type:
        data = tensor(arg_types, 0)
        need_dtype(data, 0, kinds)
        return TensorType(reduced_shape(data, attrs), data.dtype)

    return relation


def arg_reduce_type(arg_types: list[Type], attrs) -> Type:
    """argmax/argmin: int32 indices."""
    return TensorType(reduced_shape(tensor(arg_types, 0), attrs), "int32")


def over_axes(fn):
    """The impl of a reduction: `fn(x, axis=..., keepdims=..., **extra)` in the input dtype."""

    def impl(x, axis, keepdims, exclude, **extra):
        axes = reduced_axes(x.ndim, axis, exclude)
        return np.asarray(fn(x, axis=axes, keepdims=keepdims, **extra)).astype(x.dtype)

    impl.__name__ = fn.__name__
    return impl


def variance(x, axis, keepdims, unbiased):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=int(unbiased))


def logsumexp(x, axis, keepdims):
    """``log(sum(exp(x)))``, shifted by the maximum so that it does not overflow."""
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    peak = np.where(np.isfinite(peak), peak, 0)
    total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return total if keepdims else np.squeeze(total, axis=axis)


def arg_reduce(pick):
    """argmax/argmin over several axes: the index into the reduced axes, flattened (C order)."""

    def impl(x, axis, keepdims, exclude, select_last_index):
        axes = reduced_axes(x.ndim, axis, exclude)
        kept = [a for a in range(x.ndim) if a not in axes]
        flat = np.transpose(x, kept + list(axes)).reshape([x.shape[a] for a in kept] + [-1])
        if select_last_index:
            index = flat.shape[-1] - 1 - pick(flat[..., ::-1], axis=-1)
        else:
            index = pick(flat, axis=-1)
        shape = [1 if a in axes else d for a, d in enumerate(x.shape)] if keepdims else None
        return index.astype("int32") if shape is None else index.reshape(shape).astype("int32")

    return impl


def reduction(name: str, impl, relation, **extra: AttrSpec):
    """Register a reduction with Relay's axis/keepdims/exclude attributes."""
    return register_op(name, 1, relation, {**REDUCE_ATTRS, **extra}, impl)


reduction("sum", over_axes(np.sum), reduce_type("fiu"))
reduction("prod", over_axes(np.prod), reduce_type("fiu"))
reduction("mean", over_axes(np.mean), reduce_type("f"))
reduction("variance", over_axes(variance), reduce_type("f"), unbiased=AttrSpec("bool", False))
reduction("logsumexp", over_axes(logsumexp), reduce_type("f"))
reduction("max", over_axes(np.max), reduce_type("bfiu"))
reduction("min", over_axes(np.min), reduce_type("bfiu"))
reduction("argmax", arg_reduce(np.argmax), arg_reduce_type, **LAST_INDEX)
reduction("argmin", arg_reduce(np.argmin), arg_reduce_type, **LAST_INDEX)


# ---- gradients: each spreads the output gradient back over the reduced axes


def _axes_of(c: Call) -> tuple[int, ...]:
    return reduced_axes(tensor_type(c.args[0]).ndim, c.attrs.axis, c.attrs.exclude)


def _spread(c: Call, value: Expr) -> Expr:
    """`value` (shaped like the output) broadcast back to the input's shape."""
    kept = value
    if not c.attrs.keepdims:
        for axis in _axes_of(c):  # ascending, so each index is the final position
            kept = call("expand_dims", kept, axis=axis)
    return call("broadcast_to_like", kept, c.args[0])


def _count(c: Call) -> int:
    """How many elements each output element reduces (needs those dimensions known)."""
    x, axes = c.args[0], _axes_of(c)
    dims = [tensor_type(x).shape[a] for a in axes]
    if None in dims:  # only the reduced dimensions must be known; the others may not be
        known_shape(x, f"the gradient of {c.op.name} over axes {axes}")  # raises
    return math.prod(dims)


def _reduce_again(c: Call, name: str, value: Expr) -> Expr:
    """`name` applied to `value` over the same axes as `c`, shaped like `c`'s output."""
    return call(name, value, axis=list(_axes_of(c)), keepdims=c.attrs.keepdims)


def _mean_grad(c: Call, g: Expr) -> list:
    """g spread evenly: g / n."""
    return [_spread(c, g) / scalar(_count(c), c.args[0])]


def _variance_grad(c: Call, g: Expr) -> list:
    """g * 2 (x - mean(x)) / (n - ddof)."""
    x = c.args[0]
    centered = x - _spread(c, _reduce_again(c, "mean", x))
    n = _count(c) - int(c.attrs.unbiased)
    return [_spread(c, g) * centered * scalar(2.0 / max(n, 1), x)]


def _extremum_grad(c: Call, g: Expr) -> list:
    """g shared equally among the elements equal to the extremum."""
    x = c.args[0]
    hits = call("cast_like", call("equal", x, _spread(c, c)), x)
    return [_spread(c, g / _reduce_again(c, "sum", hits)) * hits]


def _prod_grad(c: Call, g: Expr) -> list:
    """g * prod(x) / x (inputs must be non-zero)."""
    return [_spread(c, g * c) / c.args[0]]


def _logsumexp_grad(c: Call, g: Expr) -> list:
    """g * softmax(x) = g * exp(x - logsumexp(x))."""
    return [_spread(c, g) * call("exp", c.args[0] - _spread(c, c))]


register_gradient("sum", lambda c, g: [_spread(c, g)])
register_gradient("mean", _mean_grad)
register_gradient("variance", _variance_grad)
register_gradient("max", _extremum_grad)
register_gradient("min", _extremum_grad)
register_gradient("prod", _prod_grad)
register_gradient("logsumexp", _logsumexp_grad)
non_differentiable("argmax", "argmin")
linear_forward("sum")
linear_forward("mean")
transposed("variance", "max", "min", "prod", "logsumexp")
