"""Building blocks of type relations: argument checks, broadcasting, axes, shape printing.

A type relation gets fully known argument types and the call's attributes and returns the
result type, or raises `OpTypeError` naming the argument and the shapes. Type inference adds
the op name, all argument types and the call itself to the message.
"""

from __future__ import annotations

from ..ir.types import TensorType, TupleType, Type
from .registry import OpTypeError

Shape = tuple[int | None, ...]


def fmt_shape(shape: Shape) -> str:
    """A shape as Python writes tuples, ``?`` for an unknown dimension.

    >>> fmt_shape((3, None)), fmt_shape((5,)), fmt_shape(())
    ('(3, ?)', '(5,)', '()')
    """
    dims = ["?" if d is None else str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def tensor(arg_types: list[Type], i: int) -> TensorType:
    """Argument `i`, which must be a tensor."""
    ty = arg_types[i]
    if not isinstance(ty, TensorType):
        raise OpTypeError(f"argument {i} must be a tensor, got {ty}", i)
    return ty


def tensor_tuple(arg_types: list[Type], i: int) -> list[TensorType]:
    """Argument `i`, which must be a non-empty tuple of tensors of one dtype and rank."""
    ty = arg_types[i]
    if not isinstance(ty, TupleType) or not ty.fields:
        raise OpTypeError(f"argument {i} must be a non-empty tuple of tensors, got {ty}", i)
    fields = [tensor(list(ty.fields), j) for j in range(len(ty.fields))]
    first = fields[0]
    for j, field in enumerate(fields):
        if field.dtype != first.dtype or field.ndim != first.ndim:
            theirs = f"{field.dtype} of shape {fmt_shape(field.shape)}"
            ours = f"{first.dtype} of shape {fmt_shape(first.shape)}"
            raise OpTypeError(f"field {j} of argument {i} is {theirs}, field 0 is {ours}", i)
    return fields


def same_dtype(tensors: list[TensorType], indices: list[int]) -> str:
    """The dtype shared by the given arguments; mismatches are named."""
    first = tensors[0].dtype
    for t, i in zip(tensors, indices, strict=True):
        if t.dtype != first:
            message = f"argument {indices[0]} has dtype {first}"
            raise OpTypeError(f"{message} but argument {i} has dtype {t.dtype}", i)
    return first


def need_dtype(t: TensorType, i: int, kinds: str) -> None:
    """Argument `i` must have a dtype of one of numpy's `kinds` ("b" bool, "f" float, ...)."""
    if _kind(t.dtype) not in kinds:
        names = {"b": "bool", "f": "floating-point", "i": "integer", "u": "unsigned"}
        wanted = " or ".join(names[k] for k in kinds)
        raise OpTypeError(f"argument {i} must be {wanted}, got {t.dtype}", i)


def _kind(dtype: str) -> str:
    return {"bool": "b"}.get(dtype, dtype[0])


def need_scalar(t: TensorType, i: int) -> None:
    if t.ndim != 0:
        raise OpTypeError(f"argument {i} must be a scalar, got shape {fmt_shape(t.shape)}", i)


def broadcast(a: Shape, b: Shape, ia: int = 0, ib: int = 1) -> Shape:
    """Numpy broadcasting of two shapes; an unknown dimension takes the other one's size.

    >>> broadcast((3, 1), (4,)), broadcast((None, 2), (1, 2))
    ((3, 4), (None, 2))
    """
    width = max(len(a), len(b))
    padded = zip((1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b, strict=True)
    return tuple(_broadcast_dim(x, y, a, b, ia, ib) for x, y in padded)


def _broadcast_dim(x, y, a, b, ia, ib) -> int | None:
    if x == y or y == 1:
        return x
    if x == 1:
        return y
    if x is None or y is None:
        return x if y is None else y
    message = (
        f"cannot broadcast argument {ia} of shape {fmt_shape(a)} "
        f"with argument {ib} of shape {fmt_shape(b)}"
    )
    raise OpTypeError(message, ib)


def broadcasts_to(src: Shape, dst: Shape, i: int = 0) -> None:
    """Check that shape `src` (of argument `i`) broadcasts to exactly `dst`."""
    tail = dst[len(dst) - len(src) :]
    fits = len(src) <= len(dst) and all(
        s in (1, d) or s is None or d is None for s, d in zip(src, tail, strict=True)
    )
    if not fits:
        message = f"argument {i} of shape {fmt_shape(src)} does not broadcast to {fmt_shape(dst)}"
        raise OpTypeError(message, i)


def norm_axis(axis: int, ndim: int, i: int = 0) -> int:
    """A non-negative axis of a rank-`ndim` argument `i`; negative axes count from the end."""
    if not -ndim <= axis < ndim:
        raise OpTypeError(f"axis {axis} is out of range for argument {i} of rank {ndim}", i)
    return axis % ndim


def norm_axes(axes, ndim: int, i: int = 0) -> list[int]:
    """Sorted distinct non-negative axes; ``None`` means every axis."""
    if axes is None:
        return list(range(ndim))
    axes = (axes,) if isinstance(axes, int) else axes
    return sorted({norm_axis(a, ndim, i) for a in axes})


def size(shape: Shape) -> int | None:
    """The number of elements, or None when a dimension is unknown."""
    total = 1
    for d in shape:
        if d is None:
            return None
        total *= d
    return total
