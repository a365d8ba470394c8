"""Creation operators: zeros, ones, full, arange, one_hot."""

from __future__ import annotations

import math

import numpy as np

from ..ir.types import TensorType, Type
from .gradients import call, linear_forward, non_differentiable, register_gradient
from .registry import AttrSpec, OpTypeError, register_op
from .relations import need_dtype, need_scalar, norm_axis, tensor

SHAPE_AND_DTYPE = {"shape": AttrSpec("shape"), "dtype": AttrSpec("dtype", "float32")}


def from_attrs(arg_types: list[Type], attrs) -> Type:
    """A tensor of the `shape` and `dtype` attributes."""
    if any(d < 0 for d in attrs.shape):
        raise OpTypeError(f"shape {attrs.shape} has a negative dimension")
    return TensorType(attrs.shape, attrs.dtype)


def full_type(arg_types: list[Type], attrs) -> Type:
    """``full(fill, shape, dtype)``: without `dtype`, the fill value's dtype (as Relay)."""
    fill = tensor(arg_types, 0)
    need_scalar(fill, 0)
    return from_attrs(arg_types, attrs.with_values(dtype=attrs.dtype or fill.dtype))


def arange_bounds(start: float, stop: float | None, step: float) -> tuple[float, int]:
    """The first value and the length of ``arange``; ``stop=None`` counts from 0 to `start`."""
    start, stop = (0.0, start) if stop is None else (start, stop)
    if step == 0:
        raise OpTypeError("step must not be zero")
    return start, max(math.ceil((stop - start) / step), 0)


def arange_type(arg_types: list[Type], attrs) -> Type:
    _, length = arange_bounds(attrs.start, attrs.stop, attrs.step)
    return TensorType((length,), attrs.dtype)


def arange(start, stop, step, dtype):
    first, length = arange_bounds(start, stop, step)
    return (first + step * np.arange(length)).astype(dtype)


def one_hot_type(arg_types: list[Type], attrs) -> Type:
    indices = tensor(arg_types, 0)
    need_dtype(indices, 0, "iu")
    shape = list(indices.shape)
    axis = norm_axis(attrs.axis, indices.ndim + 1)
    shape.insert(axis, attrs.depth)
    return TensorType(tuple(shape), attrs.dtype)


def one_hot(indices, depth, axis, on_value, off_value, dtype):
    """Indices outside ``[0, depth)`` give an all-`off_value` row, as in Relay."""
    hot = np.expand_dims(indices, -1) == np.arange(depth)
    return np.moveaxis(np.where(hot, on_value, off_value), -1, axis).astype(dtype)


def full(fill, shape, dtype):
    return np.full(shape, fill, dtype=dtype or fill.dtype)


register_op("zeros", 0, from_attrs, SHAPE_AND_DTYPE, np.zeros)
register_op("ones", 0, from_attrs, SHAPE_AND_DTYPE, np.ones)
register_op("full", 1, full_type, {**SHAPE_AND_DTYPE, "dtype": AttrSpec("dtype?", None)}, full)
register_op(
    "arange",
    0,
    arange_type,
    {
        "start": AttrSpec("float", 0.0),
        "stop": AttrSpec("float?", None),
        "step": AttrSpec("float", 1.0),
        "dtype": AttrSpec("dtype", "float32"),
    },
    arange,
)
register_op(
    "one_hot",
    1,
    one_hot_type,
    {
        "depth": AttrSpec("int"),
        "axis": AttrSpec("int", -1),
        "on_value": AttrSpec("float", 1.0),
        "off_value": AttrSpec("float", 0.0),
        "dtype": AttrSpec("dtype", "float32"),
    },
    one_hot,
)


# ---- gradients: only `full` has a differentiable input, its fill value
register_gradient("full", lambda c, g: [call("cast_like", call("sum", g), c.args[0])])
non_differentiable("zeros", "ones", "arange", "one_hot")
linear_forward("full")
