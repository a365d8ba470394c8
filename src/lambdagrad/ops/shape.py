"""Shape and data-movement operators: reshape, transpose, concatenate, split, take, ..."""

from __future__ import annotations

from ..ir.types import TensorType, TupleType, Type
from .registry import AttrSpec, OpTypeError, register_op
from .relations import (
    broadcasts_to,
    fmt_shape,
    need_dtype,
    norm_axes,
    norm_axis,
    one_axis,
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


def strided_slice_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    begin, end = attrs.begin, attrs.end
    strides = attrs.strides or (1,) * len(begin)
    if not len(begin) == len(end) <= data.ndim or len(strides) not in (1, len(begin)):
        message = f"begin {begin}, end {end} and strides {strides} do not fit"
        raise OpTypeError(f"{message} argument 0 of shape {fmt_shape(data.shape)}", 0)
    strides = strides * len(begin) if len(strides) == 1 else strides
    dims = [
        _slice_dim(d, b, e, s)
        for d, b, e, s in zip(data.shape[: len(begin)], begin, end, strides, strict=True)
    ]
    return TensorType(tuple(dims) + data.shape[len(begin) :], data.dtype)


def _slice_dim(dim: int | None, begin: int, end: int, stride: int) -> int | None:
    if stride == 0:
        raise OpTypeError("strides must not be zero")
    return None if dim is None else len(range(*slice(begin, end, stride).indices(dim)))


def take_type(arg_types: list[Type], attrs) -> Type:
    data, indices = tensor(arg_types, 0), tensor(arg_types, 1)
    need_dtype(indices, 1, "iu")
    if one_axis(attrs.axis) is None:
        return TensorType(indices.shape, data.dtype)
    axis = norm_axis(one_axis(attrs.axis), data.ndim)
    return TensorType(data.shape[:axis] + indices.shape + data.shape[axis + 1 :], data.dtype)


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
    data = tensor(arg_types, 0)
    if one_axis(attrs.axis) is None:
        return TensorType((size(data.shape),), data.dtype)
    norm_axis(one_axis(attrs.axis), data.ndim)
    return data


def pad_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    widths = attrs.pad_width
    if len(widths) != data.ndim or any(len(w) != 2 for w in widths):
        message = f"pad_width {widths} needs one (before, after) pair per axis of argument 0"
        raise OpTypeError(f"{message}, of shape {fmt_shape(data.shape)}", 0)
    dims = (None if d is None else d + b + a for d, (b, a) in zip(data.shape, widths, strict=True))
    return TensorType(tuple(dims), data.dtype)


def like_op(name: str, relation):
    """Register a two-input op whose result takes its shape from argument 1."""
    return register_op(name, 2, relation)


register_op("reshape", 1, reshape_type, {"newshape": AttrSpec("shape")})
like_op("reshape_like", reshape_like_type)
register_op("transpose", 1, transpose_type, {"axes": AttrSpec("axis", None)})
register_op("squeeze", 1, squeeze_type, {"axis": AttrSpec("axis", None)})
register_op(
    "expand_dims",
    1,
    expand_dims_type,
    {"axis": AttrSpec("int"), "num_newaxis": AttrSpec("int", 1)},
)
register_op("broadcast_to", 1, broadcast_to_type, {"shape": AttrSpec("shape")})
like_op("broadcast_to_like", broadcast_to_like_type)
like_op("collapse_sum_like", collapse_sum_like_type)
register_op("collapse_sum_to", 1, collapse_sum_to_type, {"shape": AttrSpec("shape")})
register_op("concatenate", 1, concatenate_type, {"axis": AttrSpec("int", 0)})
register_op("stack", 1, stack_type, {"axis": AttrSpec("int", 0)})
register_op(
    "split",
    1,
    split_type,
    {"indices_or_sections": AttrSpec("any"), "axis": AttrSpec("int", 0)},
)
register_op(
    "strided_slice",
    1,
    strided_slice_type,
    {"begin": AttrSpec("ints"), "end": AttrSpec("ints"), "strides": AttrSpec("axis", None)},
)
register_op(
    "take",
    2,
    take_type,
    {
        "axis": AttrSpec("axis", None),
        "batch_dims": AttrSpec("int", 0),
        "mode": AttrSpec("str", "clip"),
    },
)
register_op("repeat", 1, repeat_type, {"repeats": AttrSpec("int"), "axis": AttrSpec("int")})
register_op("tile", 1, tile_type, {"reps": AttrSpec("ints")})
register_op("reverse", 1, reverse_type, {"axis": AttrSpec("int")})
register_op("nn.batch_flatten", 1, batch_flatten_type)
register_op("shape_of", 1, shape_of_type, {"dtype": AttrSpec("dtype", "int32")})
register_op(
    "cumsum",
    1,
    cumsum_type,
    {"axis": AttrSpec("axis", None), "exclusive": AttrSpec("bool", False)},
)
register_op(
    "nn.pad",
    1,
    pad_type,
    {
        "pad_width": AttrSpec("any"),
        "pad_value": AttrSpec("float", 0.0),
        "pad_mode": AttrSpec("str", "constant"),
    },
)
