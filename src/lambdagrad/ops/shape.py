"""Shape and data-movement operators: reshape, transpose, concatenate, split, pad, cumsum, ..."""

from __future__ import annotations

import math

import numpy as np

from ..ir.types import TensorType, TupleType, Type
from .registry import AttrSpec, OpTypeError, register_alias, register_op
from .relations import (
    broadcasts_to,
    fmt_shape,
    norm_axes,
    norm_axis,
    size,
    tensor,
    tensor_tuple,
)


def reshape_type(arg_types: list[Type], attrs) -> Type:
    """Relay's reshape: 0 copies the input dimension, -1 is inferred from the rest."""
    data = tensor(arg_types, 0)
    dims = [_reshape_dim(d, i, data) for i, d in enumerate(attrs.newshape)]
    if dims.count(-1) > 1:
        raise OpTypeError(f"newshape {attrs.newshape} has more than one -1")
    known, total = size(tuple(d for d in dims if d != -1)), size(data.shape)
    if -1 in dims:
        fill = None if None in (known, total) or known == 0 else total // known
        dims[dims.index(-1)] = fill
        known = None if fill is None else known * fill
    if None not in (known, total) and known != total:
        message = f"cannot reshape argument 0 of shape {fmt_shape(data.shape)}"
        raise OpTypeError(f"{message} ({total} elements) to {attrs.newshape}", 0)
    return TensorType(tuple(dims), data.dtype)


def _reshape_dim(dim: int, i: int, data: TensorType) -> int | None:
    if dim == 0:
        if i >= data.ndim:
            raise OpTypeError(f"newshape position {i} is 0 but argument 0 has rank {data.ndim}", 0)
        return data.shape[i]
    if dim < -1:
        raise OpTypeError(f"newshape value {dim} is not supported (only -1 and 0 are special)")
    return dim


def reshape_like_type(arg_types: list[Type], attrs) -> Type:
    data, like = tensor(arg_types, 0), tensor(arg_types, 1)
    if None not in (size(data.shape), size(like.shape)) and size(data.shape) != size(like.shape):
        message = f"argument 0 of shape {fmt_shape(data.shape)} cannot be reshaped like"
        raise OpTypeError(f"{message} argument 1 of shape {fmt_shape(like.shape)}", 1)
    return TensorType(like.shape, data.dtype)


def transpose_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    axes = range(data.ndim - 1, -1, -1) if attrs.axes is None else attrs.axes
    order = [norm_axis(a, data.ndim) for a in axes]
    if sorted(order) != list(range(data.ndim)):
        message = f"axes {tuple(axes)} are not a permutation for argument 0 of rank {data.ndim}"
        raise OpTypeError(message, 0)
    return TensorType(tuple(data.shape[a] for a in order), data.dtype)


def squeeze_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    if attrs.axis is None:
        return TensorType(tuple(d for d in data.shape if d != 1), data.dtype)
    axes = norm_axes(attrs.axis, data.ndim)
    for a in axes:
        if data.shape[a] not in (1, None):
            message = f"cannot squeeze axis {a} of size {data.shape[a]}"
            raise OpTypeError(f"{message} in argument 0 of shape {fmt_shape(data.shape)}", 0)
    return TensorType(tuple(d for i, d in enumerate(data.shape) if i not in axes), data.dtype)


def expand_dims_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    axis = norm_axis(attrs.axis, data.ndim + 1)
    shape = data.shape[:axis] + (1,) * attrs.num_newaxis + data.shape[axis:]
    return TensorType(shape, data.dtype)


def broadcast_to_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    broadcasts_to(data.shape, attrs.shape)
    return TensorType(attrs.shape, data.dtype)


def broadcast_to_like_type(arg_types: list[Type], attrs) -> Type:
    data, like = tensor(arg_types, 0), tensor(arg_types, 1)
    broadcasts_to(data.shape, like.shape)
    return TensorType(like.shape, data.dtype)


def collapse_sum_like_type(arg_types: list[Type], attrs) -> Type:
    """Sum `data` down to the shape of argument 1, which must broadcast to it."""
    data, like = tensor(arg_types, 0), tensor(arg_types, 1)
    broadcasts_to(like.shape, data.shape, 1)
    return TensorType(like.shape, data.dtype)


def collapse_sum_to_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    shape = TensorType(attrs.shape).shape
    broadcasts_to(shape, data.shape, 0)
    return TensorType(shape, data.dtype)


def concatenate_type(arg_types: list[Type], attrs) -> Type:
    fields = tensor_tuple(arg_types, 0)
    first = fields[0]
    axis = norm_axis(attrs.axis, first.ndim)
    for j, field in enumerate(fields):
        for i, (a, b) in enumerate(zip(first.shape, field.shape, strict=True)):
            if i != axis and None not in (a, b) and a != b:
                shapes = (
                    f"{fmt_shape(first.shape)} and field {j} has shape {fmt_shape(field.shape)}"
                )
                message = f"field 0 of argument 0 has shape {shapes}; only axis {axis} may differ"
                raise OpTypeError(message, 0)
    total = size(tuple(f.shape[axis] for f in fields))
    joined = None if total is None else sum(f.shape[axis] for f in fields)
    shape = first.shape[:axis] + (joined,) + first.shape[axis + 1 :]
    return TensorType(
        tuple(_known(fields, i) if i != axis else d for i, d in enumerate(shape)), first.dtype
    )


def _known(fields: list[TensorType], i: int) -> int | None:
    """Dimension `i` as far as any of the fields knows it."""
    return next((f.shape[i] for f in fields if f.shape[i] is not None), None)


def stack_type(arg_types: list[Type], attrs) -> Type:
    fields = tensor_tuple(arg_types, 0)
    for j, field in enumerate(fields):
        if any(
            None not in (a, b) and a != b for a, b in zip(fields[0].shape, field.shape, strict=True)
        ):
            message = f"field {j} of argument 0 has shape {fmt_shape(field.shape)}"
            raise OpTypeError(f"{message} but field 0 has {fmt_shape(fields[0].shape)}", 0)
    shape = tuple(_known(fields, i) for i in range(fields[0].ndim))
    axis = norm_axis(attrs.axis, len(shape) + 1)
    return TensorType(shape[:axis] + (len(fields),) + shape[axis:], fields[0].dtype)


def split_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    axis = norm_axis(attrs.axis, data.ndim)
    dim, parts = data.shape[axis], attrs.indices_or_sections
    if isinstance(parts, int):
        sizes = _sections(dim, parts, data)
    else:
        bounds = (0, *parts, dim)
        sizes = [
            None if None in (b, a) else max(b - a, 0)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    fields = (
        TensorType(data.shape[:axis] + (s,) + data.shape[axis + 1 :], data.dtype) for s in sizes
    )
    return TupleType(tuple(fields))


def _sections(dim: int | None, sections: int, data: TensorType) -> list:
    if sections <= 0 or (dim is not None and dim % sections):
        message = f"cannot split argument 0 of shape {fmt_shape(data.shape)}"
        raise OpTypeError(f"{message} into {sections} equal sections", 0)
    return [None if dim is None else dim // sections] * sections


def repeat_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    axis = norm_axis(attrs.axis, data.ndim)
    dim = data.shape[axis]
    repeated = None if dim is None else dim * attrs.repeats
    return TensorType(data.shape[:axis] + (repeated,) + data.shape[axis + 1 :], data.dtype)


def tile_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    width = max(data.ndim, len(attrs.reps))
    shape = (1,) * (width - data.ndim) + data.shape
    reps = (1,) * (width - len(attrs.reps)) + attrs.reps
    dims = (None if d is None else d * r for d, r in zip(shape, reps, strict=True))
    return TensorType(tuple(dims), data.dtype)


def reverse_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    norm_axis(attrs.axis, data.ndim)
    return data


def batch_flatten_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    if data.ndim < 1:
        raise OpTypeError("argument 0 must have at least one dimension, got a scalar", 0)
    return TensorType((data.shape[0], size(data.shape[1:])), data.dtype)


def shape_of_type(arg_types: list[Type], attrs) -> Type:
    return TensorType((tensor(arg_types, 0).ndim,), attrs.dtype)


def cumsum_type(arg_types: list[Type], attrs) -> Type:
    """Relay's cumsum: ``axis=None`` runs over the flattened tensor; `dtype` defaults to data's."""
    data = tensor(arg_types, 0)
    dtype = attrs.dtype or data.dtype
    if attrs.axis is None:
        return TensorType((size(data.shape),), dtype)
    norm_axis(attrs.axis, data.ndim)
    return TensorType(data.shape, dtype)


def pad_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    widths = attrs.pad_width
    if len(widths) != data.ndim or any(len(w) != 2 for w in widths):
        message = f"pad_width {widths} needs one (before, after) pair per axis of argument 0"
        raise OpTypeError(f"{message}, of shape {fmt_shape(data.shape)}", 0)
    dims = (None if d is None else d + b + a for d, (b, a) in zip(data.shape, widths, strict=True))
    return TensorType(tuple(dims), data.dtype)


def reshape(x, newshape):
    """Relay's reshape: 0 copies the input dimension at that position, -1 is inferred."""
    return x.reshape([x.shape[i] if d == 0 else d for i, d in enumerate(newshape)])


def expand_dims(x, axis, num_newaxis):
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) * num_newaxis + x.shape[axis:])


def collapse_sum_to(x, shape):
    """Sum `x` over the axes broadcasting added to a tensor of `shape`, back to `shape`."""
    lead = x.ndim - len(shape)
    widened = [i + lead for i, d in enumerate(shape) if d == 1 and x.shape[i + lead] != 1]
    summed = np.sum(x, axis=tuple(range(lead)) + tuple(widened), keepdims=True, dtype=x.dtype)
    return summed.reshape(shape)


def cumsum(x, axis, dtype, exclusive):
    """Running sums (``exclusive``: of the elements before each one) in `dtype`."""
    data = x.ravel() if axis is None else x
    total = np.cumsum(data, axis=0 if axis is None else axis, dtype=dtype or x.dtype)
    return total - data.astype(total.dtype) if exclusive else total


def pad(x, pad_width, pad_value, pad_mode):
    if pad_mode == "constant":
        return np.pad(x, pad_width, constant_values=np.asarray(pad_value).astype(x.dtype))
    return np.pad(x, pad_width, mode=pad_mode)


def batch_flatten(x):
    return x.reshape(len(x), math.prod(x.shape[1:]))


def like_op(name: str, relation, impl):
    """Register a two-input op whose result takes its shape from argument 1."""
    return register_op(name, 2, relation, None, impl)


register_op("reshape", 1, reshape_type, {"newshape": AttrSpec("shape")}, reshape)
like_op("reshape_like", reshape_like_type, lambda x, like: x.reshape(like.shape))
register_op("transpose", 1, transpose_type, {"axes": AttrSpec("axis", None)}, np.transpose)
register_op("squeeze", 1, squeeze_type, {"axis": AttrSpec("axis", None)}, np.squeeze)
register_op(
    "expand_dims",
    1,
    expand_dims_type,
    {"axis": AttrSpec("int"), "num_newaxis": AttrSpec("int", 1)},
    expand_dims,
)
register_op("broadcast_to", 1, broadcast_to_type, {"shape": AttrSpec("shape")}, np.broadcast_to)
like_op("broadcast_to_like", broadcast_to_like_type, lambda x, like: np.broadcast_to(x, like.shape))
like_op("collapse_sum_like", collapse_sum_like_type, lambda x, like: collapse_sum_to(x, like.shape))
register_op(
    "collapse_sum_to", 1, collapse_sum_to_type, {"shape": AttrSpec("shape")}, collapse_sum_to
)
register_op("concatenate", 1, concatenate_type, {"axis": AttrSpec("int", 0)}, np.concatenate)
register_op("stack", 1, stack_type, {"axis": AttrSpec("int", 0)}, np.stack)
register_op(
    "split",
    1,
    split_type,
    {"indices_or_sections": AttrSpec("sections"), "axis": AttrSpec("int", 0)},
    lambda x, indices_or_sections, axis: tuple(np.split(x, indices_or_sections, axis)),
)
register_op(
    "repeat", 1, repeat_type, {"repeats": AttrSpec("int"), "axis": AttrSpec("int")}, np.repeat
)
register_op("tile", 1, tile_type, {"reps": AttrSpec("ints")}, np.tile)
register_op("reverse", 1, reverse_type, {"axis": AttrSpec("int")}, np.flip)
register_op("nn.batch_flatten", 1, batch_flatten_type, None, batch_flatten)
register_op(
    "shape_of",
    1,
    shape_of_type,
    {"dtype": AttrSpec("dtype", "int32")},
    lambda x, dtype: np.array(x.shape, dtype=dtype),
)
register_op(
    "cumsum",
    1,
    cumsum_type,
    {
        "axis": AttrSpec("int?", None),
        "dtype": AttrSpec("dtype?", None),
        "exclusive": AttrSpec("bool", False),
    },
    cumsum,
)
register_op(
    "nn.pad",
    1,
    pad_type,
    {
        "pad_width": AttrSpec("pairs"),
        "pad_value": AttrSpec("float", 0.0),
        "pad_mode": AttrSpec("str", "constant", ("constant", "edge", "reflect")),
    },
    pad,
)
register_alias("pad", "nn.pad")
