"""Indexing operators: strided_slice, strided_set, take, gather_nd, scatter_add, scatter_nd.

Slices follow Python's rules (negative begin/end count from the end, out-of-range bounds are
clamped, negative strides walk backwards), as Relay's strided_slice does. Index tensors must
be integers. The scatter ops return an updated copy; their input is never written.
"""

from __future__ import annotations

import numpy as np

from ..ir.types import TensorType, Type
from .registry import AttrSpec, OpTypeError, register_op
from .relations import broadcasts_to, fmt_shape, need_dtype, norm_axis, same_dtype, tensor

SLICE_ATTRS = {
    "begin": AttrSpec("ints"),
    "end": AttrSpec("ints"),
    "strides": AttrSpec("axis", None),
    "axes": AttrSpec("axis", None),
}
TAKE_MODES = {"clip": "clip", "wrap": "wrap", "fast": "raise"}


def slices(data: TensorType, begin, end, strides, axes) -> list[slice]:
    """One slice per axis of `data` (whole axes where `axes` does not name them)."""
    axes = range(len(begin)) if axes is None else axes
    strides = strides or (1,)
    strides = strides * len(begin) if len(strides) == 1 else strides
    if not len(begin) == len(end) == len(strides) == len(axes) <= data.ndim:
        message = f"begin {begin}, end {end}, strides {strides} and axes {tuple(axes)} do not fit"
        raise OpTypeError(f"{message} argument 0 of shape {fmt_shape(data.shape)}", 0)
    if 0 in strides:
        raise OpTypeError("strides must not be zero")
    out = [slice(None)] * data.ndim
    for a, b, e, s in zip(axes, begin, end, strides, strict=True):
        out[norm_axis(a, data.ndim)] = slice(b, e, s)
    return out


def sliced_shape(data: TensorType, attrs) -> tuple:
    cuts = slices(data, attrs.begin, attrs.end, attrs.strides, attrs.axes)
    return tuple(
        None if d is None else len(range(*cut.indices(d)))
        for d, cut in zip(data.shape, cuts, strict=True)
    )


def strided_slice_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    return TensorType(sliced_shape(data, attrs), data.dtype)


def strided_set_type(arg_types: list[Type], attrs) -> Type:
    """``strided_set(data, v)``: `v` must broadcast to the slice it replaces."""
    data, value = tensor(arg_types, 0), tensor(arg_types, 1)
    same_dtype([data, value], [0, 1])
    broadcasts_to(value.shape, sliced_shape(data, attrs), 1)
    return data


def strided_slice(x, begin, end, strides, axes):
    return x[tuple(slices(x, begin, end, strides, axes))]


def strided_set(x, v, begin, end, strides, axes):
    out = x.copy()
    out[tuple(slices(x, begin, end, strides, axes))] = v
    return out


def take_type(arg_types: list[Type], attrs) -> Type:
    data, indices = tensor(arg_types, 0), tensor(arg_types, 1)
    need_dtype(indices, 1, "iu")
    if attrs.batch_dims != 0:
        raise OpTypeError(f"batch_dims={attrs.batch_dims} is not supported, only 0")
    if attrs.axis is None:
        return TensorType(indices.shape, data.dtype)
    axis = norm_axis(attrs.axis, data.ndim)
    return TensorType(data.shape[:axis] + indices.shape + data.shape[axis + 1 :], data.dtype)


def take(x, indices, axis, batch_dims, mode):
    """Relay's take: ``clip`` clamps indices into range, ``wrap`` wraps them, ``fast`` raises."""
    return np.take(x, indices, axis=axis, mode=TAKE_MODES[mode])


def gather_nd_type(arg_types: list[Type], attrs) -> Type:
    """``indices`` of shape ``(M, Y...)`` pick ``data[indices[:, y]]``: shape ``Y + data[M:]``."""
    data, indices = tensor(arg_types, 0), tensor(arg_types, 1)
    need_dtype(indices, 1, "iu")
    depth = _index_depth(data, indices)
    return TensorType(indices.shape[1:] + data.shape[depth:], data.dtype)


def _index_depth(data: TensorType, indices: TensorType) -> int:
    """How many leading axes of `data` an index tensor of shape ``(M, ...)`` addresses (M)."""
    if indices.ndim < 1 or indices.shape[0] is None or indices.shape[0] > data.ndim:
        message = f"argument 1 (indices) of shape {fmt_shape(indices.shape)} must have a known"
        raise OpTypeError(
            f"{message} first dimension of at most the rank of argument 0 of shape "
            f"{fmt_shape(data.shape)}",
            1,
        )
    return indices.shape[0]


def scatter_add_type(arg_types: list[Type], attrs) -> Type:
    """Relay's scatter_add: indices and updates have one shape, no larger than data's."""
    data, indices, updates = (tensor(arg_types, i) for i in range(3))
    need_dtype(indices, 1, "iu")
    same_dtype([data, updates], [0, 2])
    axis = norm_axis(attrs.axis, data.ndim)
    fits = indices.ndim == updates.ndim == data.ndim and all(
        None in (i, u, d) or (i == u and (i <= d or a == axis))
        for a, (i, u, d) in enumerate(zip(indices.shape, updates.shape, data.shape, strict=True))
    )
    if not fits:
        shapes = f"{fmt_shape(indices.shape)} and argument 2 (updates) of shape"
        raise OpTypeError(
            f"argument 1 (indices) of shape {shapes} {fmt_shape(updates.shape)} must agree "
            f"and fit argument 0 of shape {fmt_shape(data.shape)}",
            1,
        )
    return data


def scatter_add(data, indices, updates, axis):
    """``out[..., indices[i, j], ...] += updates[i, j]`` along `axis`, duplicates adding up."""
    out = data.copy()
    where = list(np.indices(indices.shape, sparse=True))
    where[axis] = indices
    np.add.at(out, tuple(where), updates)
    return out


def scatter_nd_type(arg_types: list[Type], attrs) -> Type:
    """``indices (M, Y...)`` and ``updates (Y..., data[M:]...)`` write into a copy of data."""
    data, indices, updates = (tensor(arg_types, i) for i in range(3))
    need_dtype(indices, 1, "iu")
    same_dtype([data, updates], [0, 2])
    expected = indices.shape[1:] + data.shape[_index_depth(data, indices) :]
    if updates.ndim != len(expected) or any(
        None not in (u, e) and u != e for u, e in zip(updates.shape, expected, strict=True)
    ):
        message = f"argument 2 (updates) has shape {fmt_shape(updates.shape)} but indices"
        raise OpTypeError(
            f"{message} of shape {fmt_shape(indices.shape)} into argument 0 of shape "
            f"{fmt_shape(data.shape)} need {fmt_shape(expected)}",
            2,
        )
    return data


def scatter_nd(data, indices, updates, mode):
    """Relay's scatter_nd: ``update`` writes (last duplicate wins), ``add`` accumulates."""
    out = data.copy()
    if mode == "add":
        np.add.at(out, tuple(indices), updates)
    else:
        out[tuple(indices)] = updates
    return out


register_op("strided_slice", 1, strided_slice_type, SLICE_ATTRS, strided_slice)
register_op("strided_set", 2, strided_set_type, SLICE_ATTRS, strided_set)
register_op(
    "take",
    2,
    take_type,
    {
        "axis": AttrSpec("int?", None),
        "batch_dims": AttrSpec("int", 0),
        "mode": AttrSpec("str", "clip", tuple(TAKE_MODES)),
    },
    take,
)
register_op("gather_nd", 2, gather_nd_type, None, lambda data, indices: data[tuple(indices)])
register_op("scatter_add", 3, scatter_add_type, {"axis": AttrSpec("int", 0)}, scatter_add)
register_op(
    "scatter_nd",
    3,
    scatter_nd_type,
    {"mode": AttrSpec("str", "update", ("update", "add"))},
    scatter_nd,
)
