"""Linear algebra and neural-network operators: dense, matmul, softmax, losses, norms, dropout.

``nn.cross_entropy`` and ``nn.cross_entropy_with_logits`` divide by the batch size (dimension
0), as Relay does. ``nn.batch_norm`` uses the batch statistics (training mode) and returns them
as the second and third fields. ``nn.dropout(data, key, rate)`` is pure: the integer scalar
`key` seeds the mask, and the result is the scaled output only (Relay's op returns
``(out, mask)``).
"""

from __future__ import annotations

import numpy as np

from ..ir.expr import Call, Expr, Tuple
from ..ir.types import TensorType, TupleType, Type
from .gradients import (
    DECOMPOSED,
    bilinear,
    call,
    collapse,
    decomposed,
    decomposed_forward,
    known_shape,
    linear_forward,
    register_gradient,
    register_jvp,
    scalar,
    tensor_type,
    transposed,
    zeros_like_value,
)
from .registry import AttrSpec, OpTypeError, register_op
from .relations import fmt_shape, need_dtype, need_scalar, norm_axis, same_dtype, tensor


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
    need_dtype(data, 0, "f")
    norm_axis(attrs.axis, data.ndim)
    return data


def cross_entropy_type(arg_types: list[Type], attrs) -> Type:
    """Predictions and targets of one shape give a scalar loss."""
    pred, target = tensor(arg_types, 0), tensor(arg_types, 1)
    dtype = same_dtype([pred, target], [0, 1])
    need_dtype(pred, 0, "f")
    agree = pred.ndim == target.ndim and all(
        None in (p, t) or p == t for p, t in zip(pred.shape, target.shape, strict=True)
    )
    if not agree:
        message = f"argument 0 (predictions) has shape {fmt_shape(pred.shape)} but argument 1"
        raise OpTypeError(f"{message} (targets) has shape {fmt_shape(target.shape)}", 1)
    _at_least(pred, 0, 1)
    return TensorType((), dtype)


def norm_params_type(arg_types: list[Type], data: TensorType, axis: int, first: int) -> None:
    """Arguments `first`... of a normalization are 1-d, of data's size along `axis`."""
    for i in range(first, len(arg_types)):
        param = tensor(arg_types, i)
        same_dtype([data, param], [0, i])
        if (
            param.ndim != 1
            or None not in (param.shape[0], data.shape[axis])
            and (param.shape[0] != data.shape[axis])
        ):
            message = f"argument {i} of shape {fmt_shape(param.shape)} does not fit axis {axis}"
            raise OpTypeError(f"{message} of argument 0 of shape {fmt_shape(data.shape)}", i)


def layer_norm_type(arg_types: list[Type], attrs) -> Type:
    data = tensor(arg_types, 0)
    need_dtype(data, 0, "f")
    norm_params_type(arg_types, data, norm_axis(attrs.axis, data.ndim), 1)
    return data


def batch_norm_type(arg_types: list[Type], attrs) -> Type:
    """``(out, batch_mean, batch_var)``; the statistics are 1-d along `axis`."""
    data = tensor(arg_types, 0)
    need_dtype(data, 0, "f")
    axis = norm_axis(attrs.axis, data.ndim)
    norm_params_type(arg_types, data, axis, 1)
    stats = TensorType((data.shape[axis],), data.dtype)
    return TupleType((data, stats, stats))


def dropout_type(arg_types: list[Type], attrs) -> Type:
    data, key = tensor(arg_types, 0), tensor(arg_types, 1)
    need_dtype(data, 0, "f")
    need_dtype(key, 1, "iu")
    need_scalar(key, 1)
    if not 0 <= attrs.rate < 1:
        raise OpTypeError(f"rate must be in [0, 1), got {attrs.rate}")
    return data


def along(vector, ndim: int, axis: int):
    """A 1-d `vector` shaped to broadcast along `axis` of a rank-`ndim` tensor."""
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def normalize(data, gamma, beta, axis, axes, epsilon, center, scale):
    """``(data - mean) / sqrt(var + epsilon) * gamma + beta`` with statistics over `axes`."""
    mean = np.mean(data, axis=axes, keepdims=True)
    var = np.var(data, axis=axes, keepdims=True)
    out = (data - mean) / np.sqrt(var + epsilon)
    out = out * along(gamma, data.ndim, axis) if scale else out
    out = out + along(beta, data.ndim, axis) if center else out
    return out.astype(data.dtype), mean, var


def layer_norm(data, gamma, beta, axis, epsilon, center, scale):
    return normalize(data, gamma, beta, axis, axis, epsilon, center, scale)[0]


def batch_norm(data, gamma, beta, moving_mean, moving_var, axis, epsilon, center, scale):
    """Training-mode batch norm: normalizes with the batch's own statistics and returns them.

    The moving statistics are accepted for Relay compatibility and not used.
    """
    axis %= data.ndim
    axes = tuple(a for a in range(data.ndim) if a != axis)
    out, mean, var = normalize(data, gamma, beta, axis, axes, epsilon, center, scale)
    return out, mean.reshape(-1).astype(data.dtype), var.reshape(-1).astype(data.dtype)


def dropout(data, key, rate):
    """Zero each element with probability `rate` and scale the rest by ``1 / (1 - rate)``.

    The mask is drawn from ``numpy.random.default_rng(key)`` (key taken modulo 2**64), so one
    key always gives one mask: the op is a pure function of its inputs.
    """
    keep = np.random.default_rng(int(key) % 2**64).random(data.shape) >= rate
    return np.where(keep, data / (1 - rate), 0).astype(data.dtype)


def softmax(x, axis):
    """``exp(x) / sum(exp(x))`` along `axis`, shifted by the maximum for stability."""
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def cross_entropy(pred, target):
    """Relay's loss on probabilities: ``-sum(log(pred) * target) / batch``."""
    return (-np.sum(np.log(pred) * target) / len(pred)).astype(pred.dtype)


def cross_entropy_with_logits(pred, target):
    """Relay's loss on log-probabilities: ``-sum(pred * target) / batch``."""
    return (-np.sum(pred * target) / len(pred)).astype(pred.dtype)


def matmul(a, b, transpose_a, transpose_b):
    """``a @ b`` (batched over leading axes), each transposed in its last two axes if asked."""
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    return a @ (np.swapaxes(b, -1, -2) if transpose_b else b)


def bias_add(data, bias, axis):
    return data + along(bias, data.ndim, axis)


NORM_ATTRS = {
    "epsilon": AttrSpec("float", 1e-5),
    "center": AttrSpec("bool", True),
    "scale": AttrSpec("bool", True),
}

register_op(
    "nn.dense", 2, dense_type, {"units": AttrSpec("int?", None)}, lambda x, w, units: x @ w.T
)
register_op(
    "nn.matmul",
    2,
    matmul_type,
    {
        "units": AttrSpec("int?", None),
        "transpose_a": AttrSpec("bool", False),
        "transpose_b": AttrSpec("bool", False),
    },
    lambda a, b, units, **flags: matmul(a, b, **flags),
)
register_op(
    "nn.batch_matmul",
    2,
    batch_matmul_type,
    {"transpose_a": AttrSpec("bool", False), "transpose_b": AttrSpec("bool", True)},
    matmul,
)
register_op("nn.bias_add", 2, bias_add_type, {"axis": AttrSpec("int", 1)}, bias_add)
register_op("nn.softmax", 1, softmax_type, {"axis": AttrSpec("int", -1)}, softmax)
register_op("nn.log_softmax", 1, softmax_type, {"axis": AttrSpec("int", -1)}, log_softmax)
register_op("nn.cross_entropy", 2, cross_entropy_type, None, cross_entropy)
register_op("nn.cross_entropy_with_logits", 2, cross_entropy_type, None, cross_entropy_with_logits)
register_op(
    "nn.layer_norm", 3, layer_norm_type, {"axis": AttrSpec("int", -1), **NORM_ATTRS}, layer_norm
)
register_op(
    "nn.batch_norm", 5, batch_norm_type, {"axis": AttrSpec("int", 1), **NORM_ATTRS}, batch_norm
)
register_op("nn.dropout", 2, dropout_type, {"rate": AttrSpec("float", 0.5)}, dropout)


# ---- gradients


def _dense_grad(c: Call, g: Expr) -> list:
    """x: g @ w; w: g^T @ x, with leading axes of x folded into the batch."""
    x, w = c.args
    if tensor_type(x).ndim != 2:
        units, inner = tensor_type(w).shape
        g2 = call("reshape", g, newshape=[-1, units])
        x2 = call("reshape", x, newshape=[-1, inner])
    else:
        g2, x2 = g, x
    grad_w = call("nn.dense", call("transpose", g2), call("transpose", x2))
    return [call("nn.dense", g, call("transpose", w)), grad_w]


def _matmul_grads(name: str, c: Call, g: Expr) -> list:
    """d(A @ B): dA = g @ B^T, dB = A^T @ g, re-transposed to match each argument's layout."""
    a, b = c.args
    ta, tb = c.attrs.transpose_a, c.attrs.transpose_b
    if not ta:
        da = call(name, g, b, transpose_a=False, transpose_b=not tb)
    else:
        da = call(name, b, g, transpose_a=tb, transpose_b=True)
    if not tb:
        db = call(name, a, g, transpose_a=not ta, transpose_b=False)
    else:
        db = call(name, g, a, transpose_a=True, transpose_b=ta)
    return [collapse(da, a), collapse(db, b)]


def _bias_add_grad(c: Call, g: Expr) -> list:
    """The bias gets g summed over every axis but `axis`."""
    return [g, call("sum", g, axis=[c.attrs.axis], exclude=True)]


def _softmax_grad(c: Call, g: Expr) -> list:
    """y * (g - sum(g * y))."""
    total = call("sum", g * c, axis=[c.attrs.axis], keepdims=True)
    return [c * (g - total)]


def _log_softmax_grad(c: Call, g: Expr) -> list:
    """g - exp(y) * sum(g)."""
    return [g - call("exp", c) * call("sum", g, axis=[c.attrs.axis], keepdims=True)]


def _softmax_jvp(c: Call, tangents: list) -> Expr:
    """y * (t - sum(y * t))."""
    t = tangents[0]
    return c * (t - call("sum", c * t, axis=[c.attrs.axis], keepdims=True))


def _log_softmax_jvp(c: Call, tangents: list) -> Expr:
    """t - sum(exp(y) * t)."""
    t = tangents[0]
    return t - call("sum", call("exp", c) * t, axis=[c.attrs.axis], keepdims=True)


def _batch(c: Call) -> Expr:
    """The batch size (dimension 0 of the prediction) as a scalar; only it must be known."""
    pred = c.args[0]
    size = tensor_type(pred).shape[0]
    if size is None:
        known_shape(pred, f"the gradient of {c.op.name} (batch size, dimension 0)")  # raises
    return scalar(float(size), pred)


def _cross_entropy_grad(c: Call, g: Expr) -> list:
    """-g * target / pred / n and -g * log(pred) / n."""
    pred, target = c.args
    return [-(g * target / pred) / _batch(c), -(g * call("log", pred)) / _batch(c)]


def _cross_entropy_logits_grad(c: Call, g: Expr) -> list:
    """-g * target / n and -g * pred / n."""
    pred, target = c.args
    return [-(g * target) / _batch(c), -(g * pred) / _batch(c)]


def _along(vector: Expr, ndim: int, axis: int) -> Expr:
    shape = [1] * ndim
    shape[axis] = -1
    return call("reshape", vector, newshape=shape)


def _normalized(attrs, data: Expr, gamma: Expr, beta: Expr, axis: int, axes: list) -> tuple:
    """The normalization written with reductions and elementwise ops, and its statistics."""
    ndim = tensor_type(data).ndim
    mean = call("mean", data, axis=axes, keepdims=True)
    var = call("variance", data, axis=axes, keepdims=True)
    out = (data - mean) * call("rsqrt", var + scalar(attrs.epsilon, data))
    if attrs.scale:
        out = out * _along(gamma, ndim, axis)
    if attrs.center:
        out = out + _along(beta, ndim, axis)
    return out, mean, var


def _layer_norm_parts(attrs, data, gamma, beta) -> Expr:
    axis = attrs.axis % tensor_type(data).ndim
    return _normalized(attrs, data, gamma, beta, axis, [axis])[0]


def _batch_norm_parts(attrs, data, gamma, beta, moving_mean, moving_var) -> Expr:
    ndim = tensor_type(data).ndim
    axis = attrs.axis % ndim
    axes = [a for a in range(ndim) if a != axis]
    out, mean, var = _normalized(attrs, data, gamma, beta, axis, axes)
    flat = [call("reshape", s, newshape=[-1]) for s in (mean, var)]
    return Tuple([out, *flat])


register_gradient("nn.dense", _dense_grad)
register_gradient("nn.matmul", lambda c, g: _matmul_grads("nn.matmul", c, g))
register_gradient("nn.batch_matmul", lambda c, g: _matmul_grads("nn.batch_matmul", c, g))
register_gradient("nn.bias_add", _bias_add_grad)
register_gradient("nn.softmax", _softmax_grad)
register_gradient("nn.log_softmax", _log_softmax_grad)
register_gradient("nn.cross_entropy", _cross_entropy_grad)
register_gradient("nn.cross_entropy_with_logits", _cross_entropy_logits_grad)
register_gradient("nn.layer_norm", decomposed(_layer_norm_parts))
register_gradient("nn.batch_norm", decomposed(_batch_norm_parts))
register_gradient(
    "nn.dropout",
    lambda c, g: [call("nn.dropout", g, c.args[1], rate=c.attrs.rate), zeros_like_value(c.args[1])],
)
for _name in ("nn.dense", "nn.matmul", "nn.batch_matmul"):
    bilinear(_name)
linear_forward("nn.bias_add", positions=(0, 1))
linear_forward("nn.dropout")  # the same key drops the same elements of the tangent
transposed("nn.cross_entropy", "nn.cross_entropy_with_logits")
register_jvp("nn.softmax", _softmax_jvp)
register_jvp("nn.log_softmax", _log_softmax_jvp)
register_jvp("nn.layer_norm", decomposed_forward(_layer_norm_parts), DECOMPOSED)
register_jvp("nn.batch_norm", decomposed_forward(_batch_norm_parts), DECOMPOSED)
