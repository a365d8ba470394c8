"""Linear algebra and neural-network operators: dense, matmul, softmax, losses."""

from __future__ import annotations

from ..ir.types import TensorType, Type
from .registry import AttrSpec, OpTypeError, register_op
from .relations import fmt_shape, norm_axis, same_dtype, tensor


def _at_least(t: TensorType, i: int, rank: int) -> None:
    if t.ndim < rank:
        message = f"argument {i} must have rank {rank} or more, got shape {fmt_shape(t.shape)}"
        raise OpTypeError(message, i)


def _contract(a: int | None, b: int | None, x: TensorType, w: TensorType, rule: str) -> None:
    """Two contracted dimensions must agree (unknown dimensions agree with anything)."""
    if None not in (a, b) and a != b:
        message = f"argument 0 has shape {fmt_shape(x.shape)} but argument 1 (weight) has shape"
        raise OpTypeError(f"{message} {fmt_shape(w.shape)}; {rule}", 1)


def dense_type(arg_types: list[Type], attrs) -> Type:
    """``x (..., k)`` and ``w (n, k)`` give ``(..., n)``."""
    x, w = tensor(arg_types, 0), tensor(arg_types, 1)
    dtype = same_dtype([x, w], [0, 1])
    _at_least(x, 0, 1)
    if w.ndim != 2:
        raise OpTypeError(f"argument 1 (weight) must be 2-d, got shape {fmt_shape(w.shape)}", 1)
    _contract(x.shape[-1], w.shape[1], x, w, "the last dimensions must match")
    units = w.shape[0] if attrs.units is None else attrs.units
    return TensorType(x.shape[:-1] + (units,), dtype)


def matmul_type(arg_types: list[Type], attrs) -> Type:
    """``nn.matmul``: 2-d ``a @ b`` with optional transposes."""
    a, b = tensor(arg_types, 0), tensor(arg_types, 1)
    dtype = same_dtype([a, b], [0, 1])
    for t, i in ((a, 0), (b, 1)):
        if t.ndim != 2:
            raise OpTypeError(f"argument {i} must be 2-d, got shape {fmt_shape(t.shape)}", i)
    m, k = reversed(a.shape) if attrs.transpose_a else a.shape
    k2, n = reversed(b.shape) if attrs.transpose_b else b.shape
    _contract(k, k2, a, b, "the contracted dimensions must match")
    return TensorType((m, n), dtype)


def batch_matmul_type(arg_types: list[Type], attrs) -> Type:
    """``(b, m, k)`` with ``(b, n, k)`` (Relay's default transpose_b=True) gives ``(b, m, n)``."""
    a, b = tensor(arg_types, 0), tensor(arg_types, 1)
    dtype = same_dtype([a, b], [0, 1])
    for t, i in ((a, 0), (b, 1)):
        if t.ndim != 3:
            raise OpTypeError(f"argument {i} must be 3-d, got shape {fmt_shape(t.shape)}", i)
    m, k = reversed(a.shape[1:]) if attrs.transpose_a else a.shape[1:]
    k2, n = reversed(b.shape[1:]) if attrs.transpose_b else b.shape[1:]
    _contract(k, k2, a, b, "the contracted dimensions must match")
    batch = _broadcast_batch(a.shape[0], b.shape[0], a, b)
    return TensorType((batch, m, n), dtype)


def _broadcast_batch(x: int | None, y: int | None, a: TensorType, b: TensorType) -> int | None:
    if x == y or y == 1:
        return x
    if x == 1:
        return y
    if None in (x, y):
        return x if y is None else y
    message = f"argument 0 of shape {fmt_shape(a.shape)} and argument 1 of shape"
    raise OpTypeError(f"{message} {fmt_shape(b.shape)} have different batch sizes", 1)


def bias_add_type(arg_types: list[Type], attrs) -> Type:
    data, bias = tensor(arg_types, 0), tensor(arg_types, 1)
    same_dtype([data, bias], [0, 1])
    axis = norm_axis(attrs.axis, data.ndim)
    if (
        bias.ndim != 1
        or None not in (bias.shape[0], data.shape[axis])
        and (bias.shape[0] != data.shape[axis])
    ):
        message = f"argument 1 (bias) of shape {fmt_shape(bias.shape)} does not fit axis {axis}"
        raise OpTypeError(f"{message} of argument 0 of shape {fmt_shape(data.shape)}", 1)
    return data


def softmax_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    norm_axis(attrs.axis, data.ndim)
    return data


def cross_entropy_type(arg_types: list[Type], attrs) -> Type:
    """Predictions and targets of one shape give a scalar loss."""
    pred, target = tensor(arg_types, 0), tensor(arg_types, 1)
    dtype = same_dtype([pred, target], [0, 1])
    agree = pred.ndim == target.ndim and all(
        None in (p, t) or p == t for p, t in zip(pred.shape, target.shape, strict=True)
    )
    if not agree:
        message = f"argument 0 (predictions) has shape {fmt_shape(pred.shape)} but argument 1"
        raise OpTypeError(f"{message} (targets) has shape {fmt_shape(target.shape)}", 1)
    return TensorType((), dtype)


register_op("nn.dense", 2, dense_type, {"units": AttrSpec("any", None)})
register_op(
    "nn.matmul",
    2,
    matmul_type,
    {
        "units": AttrSpec("any", None),
        "transpose_a": AttrSpec("bool", False),
        "transpose_b": AttrSpec("bool", False),
    },
)
register_op(
    "nn.batch_matmul",
    2,
    batch_matmul_type,
    {"transpose_a": AttrSpec("bool", False), "transpose_b": AttrSpec("bool", True)},
)
register_op("nn.bias_add", 2, bias_add_type, {"axis": AttrSpec("int", 1)})
register_op("nn.softmax", 1, softmax_type, {"axis": AttrSpec("int", -1)})
register_op("nn.log_softmax", 1, softmax_type, {"axis": AttrSpec("int", -1)})
register_op("nn.cross_entropy", 2, cross_entropy_type)
register_op("nn.cross_entropy_with_logits", 2, cross_entropy_type)
