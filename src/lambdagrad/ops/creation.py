"""Creation operators: zeros, ones, full, arange, one_hot."""

from __future__ import annotations

import math

from ..ir.types import TensorType, Type
from .registry import AttrSpec, OpTypeError, register_op
from .relations import need_dtype, need_scalar, norm_axis, tensor

SHAPE_AND_DTYPE = {"shape": AttrSpec("shape"), "dtype": AttrSpec("dtype", "float32")}


def from_attrs(arg_types: list[Type], attrs) -> Type:
    """A tensor of the `shape` and `dtype` attributes."""
    if any(d < 0 for d in attrs.shape):
        raise OpTypeError(f"shape {attrs.shape} has a negative dimension")
    return TensorType(attrs.shape, attrs.dtype)


def full_type(arg_types: list[Type], attrs) -> Type:
    need_scalar(tensor(arg_types, 0), 0)
    return from_attrs(arg_types, attrs)


def arange_type(arg_types: list[Type], attrs) -> Type:
    start, stop = (0.0, attrs.start) if attrs.stop is None else (attrs.start, attrs.stop)
    if attrs.step == 0:
        raise OpTypeError("step must not be zero")
    return TensorType((max(math.ceil((stop - start) / attrs.step), 0),), attrs.dtype)


def one_hot_type(arg_types: list[Type], attrs) -> Type:
    indices = tensor(arg_types, 0)
    need_dtype(indices, 0, "iu")
    shape = list(indices.shape)
    axis = norm_axis(attrs.axis, indices.ndim + 1)
    shape.insert(axis, attrs.depth)
    return TensorType(tuple(shape), attrs.dtype)


register_op("zeros", 0, from_attrs, SHAPE_AND_DTYPE)
register_op("ones", 0, from_attrs, SHAPE_AND_DTYPE)
register_op("full", 1, full_type, SHAPE_AND_DTYPE)
register_op(
    "arange",
    0,
    arange_type,
    {
        "start": AttrSpec("float", 0.0),
        "stop": AttrSpec("any", None),
        "step": AttrSpec("float", 1.0),
        "dtype": AttrSpec("dtype", "float32"),
    },
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
)
