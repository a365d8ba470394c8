"""Shape and data-movement operators: reshape, transpose, concatenate, split, pad, cumsum, ..."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..ir.expr import Call, Expr, Tuple, TupleGetItem, Var
from ..ir.types import TensorType, TupleType, Type
from .gradients import (
    call,
    collapse,
    decomposed,
    known_shape,
    linear_forward,
    non_differentiable,
    register_gradient,
    register_jvp,
    tensor_type,
    zeros_like_value,
)
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
    """Relay's reshape: 0 copies an input dimension, -1 is inferred from the rest, -2 copies
    the remaining dimensions, -3 merges two, -4 splits one into the next two values."""
    data = tensor(arg_types, 0)
    return TensorType(checked_newshape(data, attrs.newshape, reverse=False), data.dtype)


def reverse_reshape_type(arg_types: list[Type], attrs) -> Type:
    """Relay's contrib_reverse_reshape: reshape's special values, read from right to left."""
    data = tensor(arg_types, 0)
    return TensorType(checked_newshape(data, attrs.newshape, reverse=True), data.dtype)


def checked_newshape(data: TensorType, newshape: tuple, reverse: bool) -> tuple:
    """`newshape` of argument 0 resolved, with its element count checked."""
    dims = resolve_newshape(data.shape, newshape, reverse)
    known, total = size(dims), size(data.shape)
    if None not in (known, total) and known != total:
        message = f"cannot reshape argument 0 of shape {fmt_shape(data.shape)}"
        raise OpTypeError(f"{message} ({total} elements) to {newshape}", 0)
    return dims


def resolve_newshape(shape: tuple, newshape: tuple, reverse: bool = False) -> tuple:
    """Relay's InferNewShape: the dimensions `newshape` gives a tensor of `shape` (None where
    unknown). `reverse` reads the special values from right to left (reverse_reshape): both
    shapes are reversed, a ``-4, a, b`` group staying a group whose factors trade places.

    >>> resolve_newshape((2, 3, 4), (-4, 1, 2, -2)), resolve_newshape((10, 5, 4), (-1, 0), True)
    ((1, 2, 3, 4), (50, 4))
    """
    if not reverse:
        return _NewShape(shape, newshape).resolve()
    groups = _groups(newshape)
    flipped = [g if g[0] != -4 else (-4, g[2], g[1]) for g in reversed(groups)]
    tokens = tuple(v for g in flipped for v in g)
    return _NewShape(shape[::-1], tokens, newshape).resolve()[::-1]


def _groups(newshape: tuple) -> list[tuple]:
    """The values of `newshape`, a -4 together with the two values that follow it."""
    groups, i = [], 0
    while i < len(newshape):
        width = 3 if newshape[i] == -4 else 1
        groups.append(tuple(newshape[i : i + width]))
        i += width
    return groups


class _NewShape:
    """One left-to-right pass over newshape's values (Relay's InferNewShape)."""

    def __init__(self, shape: tuple, tokens: tuple, spelled: tuple | None = None):
        self.shape, self.tokens, self.spelled = shape, tokens, spelled or tokens
        self.out: list = []
        self.src = 0
        self.copied_in: set[int] = set()  # input dimensions taken over (0, -2, -3, -4)
        self.copied_out: set[int] = set()  # output dimensions that came from them
        self.inferred: int | None = None

    def fail(self, problem: str):
        message = f"newshape {tuple(self.spelled)} does not fit argument 0 of shape"
        raise OpTypeError(f"{message} {fmt_shape(self.shape)}: {problem}", 0)

    def take(self) -> int | None:
        if self.src >= len(self.shape):
            self.fail("it reads more dimensions than there are")
        self.copied_in.add(self.src)
        self.src += 1
        return self.shape[self.src - 1]

    def put(self, dim, copied: bool = True) -> None:
        if copied:
            self.copied_out.add(len(self.out))
        self.out.append(dim)

    def resolve(self) -> tuple:
        i = 0
        while i < len(self.tokens):
            i = self.step(i)
        if self.inferred is not None:
            self.out[self.inferred] = self.inferred_dim()
        return tuple(self.out)

    def step(self, i: int) -> int:
        value = self.tokens[i]
        if value > 0:
            self.put(value, copied=False)
            self.src += 1
        elif value == 0:
            self.put(self.take())
        elif value == -1:
            if self.inferred is not None:
                self.fail("it has more than one -1")
            self.inferred = len(self.out)
            self.put(1, copied=False)
            self.src += 1
        elif value == -2:
            while self.src < len(self.shape):
                self.put(self.take())
        elif value == -3:
            first, second = self.take(), self.take()
            self.put(None if None in (first, second) else first * second)
        elif value == -4:
            if i + 2 >= len(self.tokens):
                self.fail("-4 needs the two dimensions it splits into after it")
            self.split(self.take(), *self.tokens[i + 1 : i + 3])
            return i + 3
        else:
            self.fail(f"{value} is not a dimension or one of the special values 0, -1 .. -4")
        return i + 1

    def split(self, dim, left: int, right: int) -> None:
        """-4: `dim` as ``(left, right)``, one of which may be -1 (inferred)."""
        if left == -1 and right == -1:
            self.fail("-4 cannot split into two -1s")
        if left == -1:
            left = None if dim is None else dim // right
        elif right == -1:
            right = None if dim is None else dim // left
        self.put(left)
        self.put(right)

    def inferred_dim(self) -> int | None:
        """-1: the input dimensions not taken over, divided by the output ones not copied."""
        rest = size(tuple(d for j, d in enumerate(self.shape) if j not in self.copied_in))
        others = [d for j, d in enumerate(self.out) if j not in self.copied_out]
        divisor = size(tuple(others))
        return None if rest is None or not divisor else rest // divisor


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
    """Relay's reshape (see `resolve_newshape` for its special values)."""
    return x.reshape(resolve_newshape(x.shape, newshape))


def reverse_reshape(x, newshape):
    """Relay's reverse_reshape: reshape with the special values read from right to left."""
    return x.reshape(resolve_newshape(x.shape, newshape, reverse=True))


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
register_op(
    "contrib_reverse_reshape",
    1,
    reverse_reshape_type,
    {"newshape": AttrSpec("shape")},
    reverse_reshape,
)
register_alias("reverse_reshape", "contrib_reverse_reshape")
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


# ---- gradients: data movement moves the output gradient back where it came from


def _reshape_back(c: Call, g: Expr) -> list:
    """Shape-only ops: g takes the input's shape again."""
    return [call("reshape_like", g, c.args[0])]


def _transpose_grad(c: Call, g: Expr) -> list:
    """Transpose by the inverse permutation."""
    axes = c.attrs.axes
    if axes is None:
        return [call("transpose", g)]
    ndim = tensor_type(c.args[0]).ndim
    inverse = np.argsort([a % ndim for a in axes]).tolist()
    return [call("transpose", g, axes=inverse)]


def _concatenate_grad(c: Call, g: Expr) -> list:
    """Split g where the inputs were joined."""
    fields = c.args[0].checked_type.fields
    axis = c.attrs.axis % fields[0].ndim
    sizes = [known_shape(_typed(f), f"the gradient of {c.op.name}")[axis] for f in fields]
    bounds = list(itertools.accumulate(sizes))[:-1]
    return [call("split", g, indices_or_sections=bounds, axis=axis)]


def _stack_grad(c: Call, g: Expr) -> list:
    """Split g along the new axis and drop it."""
    fields = c.args[0].checked_type.fields
    axis = c.attrs.axis % (fields[0].ndim + 1)
    parts = call("split", g, indices_or_sections=len(fields), axis=axis)
    return [
        Tuple([call("squeeze", TupleGetItem(parts, i), axis=[axis]) for i in range(len(fields))])
    ]


def _split_grad(c: Call, g: Expr) -> list:
    """Join the parts' gradients."""
    axis = c.attrs.axis % tensor_type(c.args[0]).ndim
    return [call("concatenate", g, axis=axis)]


def _repeat_grad(c: Call, g: Expr) -> list:
    """Sum each run of copies: view g as (..., n, repeats, ...) and sum the repeats."""
    x = c.args[0]
    dims = known_shape(x, f"the gradient of {c.op.name}")
    axis = c.attrs.axis % len(dims)
    runs = (*dims[:axis], dims[axis], c.attrs.repeats, *dims[axis + 1 :])
    return [call("sum", call("reshape", g, newshape=runs), axis=[axis + 1])]


def _tile_grad(c: Call, g: Expr) -> list:
    """Sum the tiles: view g as (reps0, d0, reps1, d1, ...) and sum the reps axes."""
    x = c.args[0]
    dims = known_shape(x, f"the gradient of {c.op.name}")
    reps = tuple(c.attrs.reps)
    rank = max(len(dims), len(reps))
    dims, reps = (1,) * (rank - len(dims)) + dims, (1,) * (rank - len(reps)) + reps
    tiles = [n for pair in zip(reps, dims, strict=True) for n in pair]
    summed = call("sum", call("reshape", g, newshape=tiles), axis=list(range(0, 2 * rank, 2)))
    return [call("reshape_like", summed, x)]


def _cumsum_grad(c: Call, g: Expr) -> list:
    """Running sums from the other end: reverse, cumsum, reverse."""
    x, axis = c.args[0], c.attrs.axis
    if axis is None:
        g, axis = call("reshape", g, newshape=[-1]), 0
    back = call("cumsum", call("reverse", g, axis=axis), axis=axis, exclusive=c.attrs.exclusive)
    back = call("reverse", back, axis=axis)
    return [call("cast_like", call("reshape_like", back, x), x)]


def _pad_grad(c: Call, g: Expr) -> list:
    """Constant padding: slice the interior; edge and reflect: by decomposition."""
    if c.attrs.pad_mode != "constant":
        return _padding_by_slices(c, g)
    dims = known_shape(c.args[0], f"the gradient of {c.op.name}")
    begin = [before for before, _ in c.attrs.pad_width]
    end = [b + d for b, d in zip(begin, dims, strict=True)]
    return [call("strided_slice", g, begin=begin, end=end)]


def _pad_jvp(c: Call, tangents: list) -> Expr:
    """Padding is affine: pad the tangent, with zeros where constant padding adds values."""
    attrs = dict(c.attrs.items())
    if attrs["pad_mode"] == "constant":
        attrs["pad_value"] = 0.0
    return call("nn.pad", tangents[0], **attrs)


def _pad_parts(attrs, x: Expr) -> Expr:
    """Edge or reflect padding written with slices, reverse and concatenate."""
    dims = list(tensor_type(x).shape)
    for axis, (before, after) in enumerate(attrs.pad_width):
        n = dims[axis]
        if attrs.pad_mode == "edge":
            left = call("repeat", _slice(x, axis, 0, 1), repeats=before, axis=axis)
            right = call("repeat", _slice(x, axis, n - 1, n), repeats=after, axis=axis)
        else:
            left = call("reverse", _slice(x, axis, 1, before + 1), axis=axis)
            right = call("reverse", _slice(x, axis, n - 1 - after, n - 1), axis=axis)
        parts = [p for p, size in ((left, before), (x, n), (right, after)) if size]
        x = call("concatenate", Tuple(parts), axis=axis) if len(parts) > 1 else x
        dims[axis] = n + before + after
    return x


def _slice(x: Expr, axis: int, begin: int, end: int) -> Expr:
    return call("strided_slice", x, begin=[begin], end=[end], axes=[axis])


def _typed(ty: Type) -> Expr:
    """A placeholder expression of type `ty`, to read static shapes."""
    return Var("_", ty, checked_type=ty)


_padding_by_slices = decomposed(_pad_parts)

for _name in ("reshape", "contrib_reverse_reshape", "squeeze", "expand_dims", "nn.batch_flatten"):
    register_gradient(_name, _reshape_back)
register_gradient("reshape_like", lambda c, g: [*_reshape_back(c, g), zeros_like_value(c.args[1])])
register_gradient("transpose", _transpose_grad)
register_gradient("broadcast_to", lambda c, g: [collapse(g, c.args[0], c.checked_type)])
register_gradient(
    "broadcast_to_like",
    lambda c, g: [collapse(g, c.args[0], c.checked_type), zeros_like_value(c.args[1])],
)
register_gradient(
    "collapse_sum_like",
    lambda c, g: [call("broadcast_to_like", g, c.args[0]), zeros_like_value(c.args[1])],
)
register_gradient("collapse_sum_to", lambda c, g: [call("broadcast_to_like", g, c.args[0])])
register_gradient("concatenate", _concatenate_grad)
register_gradient("stack", _stack_grad)
register_gradient("split", _split_grad)
register_gradient("repeat", _repeat_grad)
register_gradient("tile", _tile_grad)
register_gradient("reverse", lambda c, g: [call("reverse", g, axis=c.attrs.axis)])
register_gradient("cumsum", _cumsum_grad)
register_gradient("nn.pad", _pad_grad)
register_jvp("nn.pad", _pad_jvp, "affine: the op on the tangent with zero padding")
non_differentiable("shape_of")

# data movement is linear in the data: the forward rule moves the tangent the same way
for _name in (
    "reshape",
    "contrib_reverse_reshape",
    "squeeze",
    "expand_dims",
    "nn.batch_flatten",
    "reshape_like",
    "transpose",
    "broadcast_to",
    "broadcast_to_like",
    "collapse_sum_like",
    "collapse_sum_to",
    "concatenate",
    "stack",
    "split",
    "repeat",
    "tile",
    "reverse",
    "cumsum",
):
    linear_forward(_name)
