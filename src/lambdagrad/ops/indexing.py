"""Indexing operators: strided_slice, strided_set, take, gather_nd, scatter_add, scatter_nd, and
gather (scatter_add's adjoint, which its gradient needs).

Slices follow Python's rules (negative begin/end count from the end, out-of-range bounds are
clamped, negative strides walk backwards), as Relay's strided_slice does. Index tensors must
be integers. The scatter ops return an updated copy; their input is never written.
"""

from __future__ import annotations

import numpy as np

from ..ir.expr import Call, Expr
from ..ir.types import TensorType, Type
from .gradients import (
    call,
    collapse,
    known_shape,
    linear_forward,
    register_gradient,
    scalar,
    tensor_type,
    zeros_like_value,
)
from .registry import AttrError, AttrSpec, OpTypeError, register_op, register_spelling
from .relations import broadcasts_to, fmt_shape, need_dtype, norm_axis, same_dtype, size, tensor

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


# Relay's end for "to the end of the axis" in size mode (Python's slices clamp it)
TO_THE_END = 2**31 - 1


def slice_mode_spelling(args: list, attrs: dict) -> tuple[str, list, dict]:
    """Relay's ``slice_mode="size"``: `end` holds sizes counted from begin (a negative size runs
    to the end) and strides are ignored. As Relay itself does, the sizes become ends: ``end =
    begin + size``, with strides 1."""
    mode = attrs.pop("slice_mode", "end")
    if mode not in ("end", "size"):
        message = f"attribute slice_mode={mode!r} is not one of 'end', 'size'"
        raise AttrError(f"operator strided_slice: {message}")
    if mode == "size":
        begin, sizes = listed(attrs.get("begin", ())), listed(attrs.get("end", ()))
        if len(begin) != len(sizes):
            message = f"begin {begin} and the sizes in end {sizes} differ in length"
            raise AttrError(f"operator strided_slice with slice_mode='size': {message}")
        attrs["end"] = [b + s if s >= 0 else TO_THE_END for b, s in zip(begin, sizes, strict=True)]
        attrs["strides"] = None
    return "strided_slice", args, attrs


def listed(value) -> list:
    """An ``ints`` attribute as given (one int or a sequence) as a list."""
    return list(value) if isinstance(value, list | tuple) else [value]


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


def along_axis_fits(data: TensorType, indices: TensorType, axis: int) -> bool:
    """Indices of data's rank, no larger than data except along `axis` (unknowns fit)."""
    return indices.ndim == data.ndim and all(
        None in (i, d) or i <= d or a == axis
        for a, (i, d) in enumerate(zip(indices.shape, data.shape, strict=True))
    )


def scatter_add_type(arg_types: list[Type], attrs) -> Type:
    """Relay's scatter_add: indices and updates have one shape, no larger than data's."""
    data, indices, updates = (tensor(arg_types, i) for i in range(3))
    need_dtype(indices, 1, "iu")
    same_dtype([data, updates], [0, 2])
    axis = norm_axis(attrs.axis, data.ndim)
    fits = (
        along_axis_fits(data, indices, axis)
        and updates.ndim == indices.ndim
        and all(None in (i, u) or i == u for i, u in zip(indices.shape, updates.shape, strict=True))
    )
    if not fits:
        shapes = f"{fmt_shape(indices.shape)} and argument 2 (updates) of shape"
        raise OpTypeError(
            f"argument 1 (indices) of shape {shapes} {fmt_shape(updates.shape)} must agree "
            f"and fit argument 0 of shape {fmt_shape(data.shape)}",
            1,
        )
    return data


def gather_type(arg_types: list[Type], attrs) -> Type:
    """Relay's gather (numpy's take_along_axis): the result has the indices' shape."""
    data, indices = tensor(arg_types, 0), tensor(arg_types, 1)
    need_dtype(indices, 1, "iu")
    if not along_axis_fits(data, indices, norm_axis(attrs.axis, data.ndim)):
        message = f"argument 1 (indices) of shape {fmt_shape(indices.shape)} must have the rank"
        raise OpTypeError(
            f"{message} of argument 0 of shape {fmt_shape(data.shape)} and fit it off axis "
            f"{attrs.axis}",
            1,
        )
    return TensorType(indices.shape, data.dtype)


def along_axis(indices, axis: int) -> tuple:
    """The index tuple that pairs each entry of `indices` with its own position off `axis`."""
    where = list(np.indices(indices.shape, sparse=True))
    where[axis] = indices
    return tuple(where)


def gather(data, indices, axis):
    """``out[i, j] = data[indices[i, j], j]`` along `axis` (here 0): scatter_add's adjoint."""
    return data[along_axis(indices, axis)]


def scatter_add(data, indices, updates, axis):
    """``out[..., indices[i, j], ...] += updates[i, j]`` along `axis`, duplicates adding up."""
    out = data.copy()
    np.add.at(out, along_axis(indices, axis), updates)
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


register_op(
    "strided_slice",
    1,
    strided_slice_type,
    SLICE_ATTRS,
    strided_slice,
    doc=(
        "Python's slicing of the `axes` (all, from the first, when None) from `begin` to `end` "
        'by `strides`. Relay\'s ``slice_mode="size"`` (`end` holds sizes, -1 runs to the '
        "end, strides ignored) is accepted and written as ends when the call is built."
    ),
)
register_spelling("strided_slice", slice_mode_spelling)
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
register_op("gather", 2, gather_type, {"axis": AttrSpec("int", 0)}, gather)
register_op(
    "scatter_nd",
    3,
    scatter_nd_type,
    {"mode": AttrSpec("str", "update", ("update", "add"))},
    scatter_nd,
)


# Gradients.


def strided_slice_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = strided_set(zeros_like(x), g)``: g in the slice, zeros elsewhere."""
    data = orig_call.args[0]
    return [call("strided_set", call("zeros_like", data), out_grad, **orig_call.attrs)]


def strided_set_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = strided_set(g, 0)`` (the slice was overwritten), ``dv = collapse(slice(g), v)``."""
    data, value = orig_call.args
    cleared = call("strided_set", out_grad, scalar(0.0, data), **orig_call.attrs)
    return [cleared, collapse(call("strided_slice", out_grad, **orig_call.attrs), value)]


def take_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = scatter_add(0, i', g)`` along the axis (x flattened for axis None), where i' are
    the indices as the mode resolves them, broadcast over the other axes; ``di = 0``.

    Only data's shape must be known: the indices' length is read off g (a -1 in reshape)."""
    data, indices = orig_call.args
    shape, axis = known_shape(data, "the gradient of take"), orig_call.attrs.axis
    if axis is None:
        flat = spread_taken(orig_call, out_grad, (size(shape),), 0)
        return [call("reshape", flat, newshape=shape), zeros_like_value(indices)]
    spread = spread_taken(orig_call, out_grad, shape, norm_axis(axis, len(shape)))
    return [spread, zeros_like_value(indices)]


def spread_taken(orig_call: Call, out_grad: Expr, shape: tuple, axis: int) -> Expr:
    """take's gradient for data of `shape`: g scatter-added where the indices read."""
    data, indices = orig_call.args
    along = tuple(-1 if a == axis else 1 for a in range(len(shape)))
    updates = call("reshape", out_grad, newshape=shape[:axis] + (-1,) + shape[axis + 1 :])
    resolved = resolve_indices(indices, shape[axis], orig_call.attrs.mode)
    where = call("broadcast_to_like", call("reshape", resolved, newshape=along), updates)
    zeros = call("zeros", shape=shape, dtype=tensor_type(data).dtype)
    return call("scatter_add", zeros, where, updates, axis=axis)


def resolve_indices(indices: Expr, extent: int, mode: str) -> Expr:
    """The positions in ``[0, extent)`` that take's `mode` reads: clip clamps, wrap (and
    fast, for in-range negative indices) wrap around."""
    if mode == "clip":
        return call("clip", indices, a_min=0.0, a_max=float(extent - 1))
    return call("floor_mod", indices, scalar(extent, indices))


def scatter_add_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = g``, ``di = 0``, ``du = gather(g, i)`` along the axis."""
    _, indices, _ = orig_call.args
    picked = call("gather", out_grad, indices, axis=orig_call.attrs.axis)
    return [out_grad, zeros_like_value(indices), picked]


def gather_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = scatter_add(zeros_like(x), i, g)`` along the axis, ``di = 0``."""
    data, indices = orig_call.args
    zeros = call("zeros_like", data)
    spread = call("scatter_add", zeros, indices, out_grad, axis=orig_call.attrs.axis)
    return [spread, zeros_like_value(indices)]


def gather_nd_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = scatter_nd(zeros_like(x), i, g, mode="add")``, ``di = 0``."""
    data, indices = orig_call.args
    spread = call("scatter_nd", call("zeros_like", data), indices, out_grad, mode="add")
    return [spread, zeros_like_value(indices)]


def scatter_nd_grad(orig_call: Call, out_grad: Expr) -> list:
    """add: ``dx = g``, ``du = gather_nd(g, i)``. update: ``dx = g`` with the written
    positions zeroed, ``du = gather_nd(g, i)`` where the update was the one written (last of
    duplicates), else 0. ``di = 0``."""
    data, indices, updates = orig_call.args
    picked = call("gather_nd", out_grad, indices)
    if orig_call.attrs.mode == "add":
        return [out_grad, zeros_like_value(indices), picked]
    cleared = call("scatter_nd", out_grad, indices, call("zeros_like", updates), mode="update")
    kept = call("where", written(data, indices, updates), picked, call("zeros_like", picked))
    return [cleared, zeros_like_value(indices), kept]


def written(data: Expr, indices: Expr, updates: Expr) -> Expr:
    """Which updates a scatter_nd in update mode writes: each stamps its own number into
    zeros like data, and finds it there afterwards unless a later duplicate overwrote it."""
    shape = tensor_type(updates).shape
    stamps = call("arange", start=1.0, stop=size(shape) + 1.0, dtype="int32")
    stamps = call("reshape", stamps, newshape=shape)
    blank = call("zeros", shape=tensor_type(data).shape, dtype="int32")
    stamped = call("scatter_nd", blank, indices, stamps, mode="update")
    return call("equal", call("gather_nd", stamped, indices), stamps)


register_gradient("strided_slice", strided_slice_grad)
register_gradient("strided_set", strided_set_grad)
register_gradient("take", take_grad)
register_gradient("gather_nd", gather_nd_grad)
register_gradient("scatter_add", scatter_add_grad)
register_gradient("gather", gather_grad)
register_gradient("scatter_nd", scatter_nd_grad)
# selecting and placing values is linear in the values (indices pass through as they are)
linear_forward("strided_slice")
linear_forward("strided_set", positions=(0, 1))
linear_forward("take")
linear_forward("gather_nd")
linear_forward("gather")
linear_forward("scatter_add", positions=(0, 2))
linear_forward("scatter_nd", positions=(0, 2))
