"""Reductions over axes: sum, mean, variance, max, min, prod, logsumexp, argmax, argmin.

Attributes follow Relay: `axis` (None for all, an int or a list; negative counts from the
end), `keepdims` (reduced axes stay as size 1) and `exclude` (reduce every other axis).
"""

from __future__ import annotations

from ..ir.types import TensorType, Type
from .registry import AttrSpec, register_op
from .relations import norm_axes, tensor

REDUCE_ATTRS = {
    "axis": AttrSpec("axis", None),
    "keepdims": AttrSpec("bool", False),
    "exclude": AttrSpec("bool", False),
}


def reduced_shape(data: TensorType, attrs) -> tuple:
    """The shape left after reducing `data` as `attrs` say."""
    axes = set(norm_axes(attrs.axis, data.ndim))
    if attrs.exclude:
        axes = set(range(data.ndim)) - axes
    if attrs.keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(data.shape))
    return tuple(d for i, d in enumerate(data.shape) if i not in axes)


def reduce_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    return TensorType(reduced_shape(data, attrs), data.dtype)


def arg_reduce_type(arg_types: list[Type], attrs) -> Type:
    """argmax/argmin: int32 indices."""
    return TensorType(reduced_shape(tensor(arg_types, 0), attrs), "int32")


def reduction(name: str, relation=reduce_type, **extra: AttrSpec):
    """Register a reduction with Relay's axis/keepdims/exclude attributes."""
    return register_op(name, 1, relation, {**REDUCE_ATTRS, **extra})


reduction("sum")
reduction("mean")
reduction("variance", unbiased=AttrSpec("bool", False))
reduction("max")
reduction("min")
reduction("prod")
reduction("logsumexp")
reduction("argmax", arg_reduce_type, select_last_index=AttrSpec("bool", False))
reduction("argmin", arg_reduce_type, select_last_index=AttrSpec("bool", False))
