"""JAX rules of the linear-algebra, neural-network, convolution and pooling ops.

Contractions run at ``Precision.HIGHEST`` so that accelerators whose default is a reduced
precision (TPUs, TF32 on GPUs) still compute what the numpy implementation computes.
Pooling windows are cut with static slices, as the numpy implementation's sliding-window
views are, so the ``*_grad`` and ``*_pick`` ops follow it step by step.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ...ops import convolution, nn
from ...ops.convolution import pad4, pair
from .table import rule

HIGHEST = lax.Precision.HIGHEST


def matmul(a, b, transpose_a=False, transpose_b=False):
    """``a @ b`` (batched over leading axes), each transposed in its last two axes if asked."""
    a = jnp.swapaxes(a, -1, -2) if transpose_a else a
    b = jnp.swapaxes(b, -1, -2) if transpose_b else b
    return jnp.matmul(a, b, precision=HIGHEST)


@rule("nn.dense")
def dense(attrs, x, w):
    return jnp.matmul(x, w.T, precision=HIGHEST)


@rule("nn.matmul", "nn.batch_matmul")
def matmul_rule(attrs, a, b):
    return matmul(a, b, attrs.transpose_a, attrs.transpose_b)


def along(vector, ndim: int, axis: int):
    """A 1-d `vector` shaped to broadcast along `axis` of a rank-`ndim` tensor."""
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


@rule("nn.bias_add")
def bias_add(attrs, data, bias):
    return data + along(bias, data.ndim, attrs.axis)


@rule("nn.softmax")
def softmax(attrs, x):
    """``exp(x - max) / sum(exp(x - max))``; the shift is a constant to differentiation."""
    shifted = jnp.exp(x - lax.stop_gradient(jnp.max(x, attrs.axis, keepdims=True)))
    return shifted / jnp.sum(shifted, attrs.axis, keepdims=True)


@rule("nn.log_softmax")
def log_softmax(attrs, x):
    shifted = x - lax.stop_gradient(jnp.max(x, attrs.axis, keepdims=True))
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), attrs.axis, keepdims=True))


@rule("nn.cross_entropy")
def cross_entropy(attrs, pred, target):
    """Relay's loss on probabilities: ``-sum(log(pred) * target) / batch``."""
    return (-jnp.sum(jnp.log(pred) * target) / pred.shape[0]).astype(pred.dtype)


@rule("nn.cross_entropy_with_logits")
def cross_entropy_with_logits(attrs, pred, target):
    return (-jnp.sum(pred * target) / pred.shape[0]).astype(pred.dtype)


def normalize(attrs, data, gamma, beta, axis: int, axes):
    """``(data - mean) / sqrt(var + epsilon) * gamma + beta`` with statistics over `axes`."""
    mean = jnp.mean(data, axes, keepdims=True)
    var = jnp.var(data, axes, keepdims=True)
    out = (data - mean) / jnp.sqrt(var + attrs.epsilon)
    out = out * along(gamma, data.ndim, axis) if attrs.scale else out
    out = out + along(beta, data.ndim, axis) if attrs.center else out
    return out.astype(data.dtype), mean, var


@rule("nn.layer_norm")
def layer_norm(attrs, data, gamma, beta):
    axis = attrs.axis % data.ndim
    return normalize(attrs, data, gamma, beta, axis, axis)[0]


@rule("nn.batch_norm")
def batch_norm(attrs, data, gamma, beta, moving_mean, moving_var):
    """Training mode: normalizes with the batch's own statistics and returns them."""
    axis = attrs.axis % data.ndim
    axes = tuple(a for a in range(data.ndim) if a != axis)
    out, mean, var = normalize(attrs, data, gamma, beta, axis, axes)
    return out, mean.reshape(-1).astype(data.dtype), var.reshape(-1).astype(data.dtype)


@rule("nn.dropout")
def dropout(attrs, data, key):
    """The interpreter's mask (numpy's generator seeded by `key`), drawn on the host.

    The mask depends on the integer key only, so JAX differentiates through the scaling.
    """
    mask_type = jax.ShapeDtypeStruct(data.shape, jnp.bool_)
    keep = jax.pure_callback(
        lambda k: nn.dropout(np.ones(data.shape), k, attrs.rate) != 0,
        mask_type,
        key,
        vmap_method="sequential",
    )
    return jnp.where(keep, data / (1 - attrs.rate), 0).astype(data.dtype)


# ---- convolution


def conv(data, kernel, strides, padding, dilation, groups, lhs_dilation=(1, 1), layouts=None):
    """A grouped convolution (NCHW data by an OIHW kernel unless `layouts` says otherwise);
    `padding` as (low, high) per axis."""
    return lax.conv_general_dilated(
        data,
        kernel,
        window_strides=strides,
        padding=padding,
        lhs_dilation=lhs_dilation,
        rhs_dilation=dilation,
        feature_group_count=groups,
        dimension_numbers=layouts or ("NCHW", "OIHW", "NCHW"),
        precision=HIGHEST,
    )


def window_of(attrs) -> tuple:
    """Strides, (low, high) padding per spatial axis and dilation of a convolution."""
    top, left, bottom, right = pad4(attrs.padding)
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    return strides, ((top, bottom), (left, right)), dilation


@rule("nn.conv2d")
def conv2d(attrs, data, weight):
    """In `out_dtype`, as the numpy implementation computes it."""
    dtype = attrs.out_dtype or data.dtype
    layouts = (attrs.data_layout, attrs.kernel_layout, attrs.out_layout or attrs.data_layout)
    data, weight = data.astype(dtype), weight.astype(dtype)
    return conv(data, weight, *window_of(attrs), attrs.groups, layouts=layouts)


@rule("nn.conv2d_backward_weight")
def conv2d_backward_weight(attrs, grad, data):
    """The transpose of the convolution of `data`, as a linear map of its weight, at grad."""
    groups, kernel = attrs.groups, pair(attrs.kernel_size, "kernel_size")
    channels = grad.shape[attrs.data_layout.index("C")]
    per_group = data.shape[attrs.kernel_layout.index("C")] // groups
    oihw = dict(zip("OIHW", (channels, per_group, *kernel), strict=True))
    dtype = attrs.out_dtype or grad.dtype
    weight = jnp.zeros([oihw[axis] for axis in attrs.out_layout], dtype)
    layouts = (attrs.kernel_layout, attrs.out_layout, attrs.data_layout)

    def convolved(w):
        return conv(data.astype(dtype), w, *window_of(attrs), groups, layouts=layouts)

    (dw,) = jax.linear_transpose(convolved, weight)(grad.astype(dtype))
    return dw


@rule("nn.conv2d_transpose")
def conv2d_transpose(attrs, data, weight):
    """The convolution of the input dilated by the strides with the flipped kernel, whose
    input and output channels swap within each group; padding crops the full output. In
    `out_dtype`, as the numpy implementation computes it."""
    dtype = attrs.out_dtype or data.dtype
    data, weight = data.astype(dtype), weight.astype(dtype)
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    extra = pair(attrs.output_padding, "output_padding", 0)
    top, left, bottom, right = pad4(attrs.padding)
    channels, per_group, kh, kw = weight.shape
    groups = attrs.groups
    kernel = weight.reshape(groups, channels // groups, per_group, kh, kw)
    kernel = jnp.swapaxes(kernel, 1, 2).reshape(groups * per_group, channels // groups, kh, kw)
    kernel = jnp.flip(kernel, (2, 3))
    reach = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    padding = (
        (reach[0] - top, reach[0] - bottom + extra[0]),
        (reach[1] - left, reach[1] - right + extra[1]),
    )
    return conv(data, kernel, (1, 1), padding, dilation, groups, strides)


# ---- pooling


def pool_padding(attrs) -> tuple:
    """(low, high) padding of each axis of NCHW data; ``ceil_mode`` adds ``stride - 1``."""
    top, left, bottom, right = pad4(attrs.padding)
    sh, sw = pair(attrs.strides, "strides")
    grow = (sh - 1, sw - 1) if attrs.ceil_mode else (0, 0)
    return ((0, 0), (0, 0), (top, bottom + grow[0]), (left, right + grow[1]))


def reduce_window(x, init, reducer, attrs):
    pool_size = pair(attrs.pool_size, "pool_size")
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    return lax.reduce_window(
        x,
        init,
        reducer,
        (1, 1, *pool_size),
        (1, 1, *strides),
        pool_padding(attrs),
        window_dilation=(1, 1, *dilation),
    )


@rule("nn.max_pool2d")
def max_pool2d(attrs, data):
    lowest = np.asarray(convolution.lowest(data.dtype), data.dtype)
    return reduce_window(data, lowest, lax.max, attrs)


def window_args(attrs) -> tuple:
    return (attrs.pool_size, attrs.strides, attrs.padding, attrs.dilation, attrs.ceil_mode)


def cell_counts(shape: tuple, attrs) -> np.ndarray:
    """How many cells each window averages over, shape ``(1, 1, OH, OW)`` (a constant)."""
    return convolution.window_cells(shape, window_args(attrs), attrs.count_include_pad)


def float_of(x):
    """`x` in floating point (integer data is averaged as numpy does, in floats)."""
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(float)


@rule("nn.avg_pool2d")
def avg_pool2d(attrs, data):
    total = float_of(data)
    total = reduce_window(total, np.zeros((), total.dtype), lax.add, attrs)
    return (total / cell_counts(data.shape, attrs)).astype(data.dtype)


@rule("nn.global_avg_pool2d")
def global_avg_pool2d(attrs, data):
    return jnp.mean(data, (2, 3), keepdims=True).astype(data.dtype)


def windows(x, attrs, value):
    """The pooling windows of `x` padded with `value`: shape ``(N, C, OH, OW, KH, KW)``."""
    padded = jnp.pad(x, pool_padding(attrs), constant_values=value)
    rows, cols = window_slices(attrs, padded.shape)
    cells = [padded[:, :, r, c] for r, c in itertools.product(rows, cols)]
    kernel = pair(attrs.pool_size, "pool_size")
    return jnp.stack(cells, -1).reshape(cells[0].shape + kernel)


def window_slices(attrs, padded_shape: tuple) -> tuple[list, list]:
    """Per kernel row and column, the slice of the padded input its cell visits."""
    kernel = pair(attrs.pool_size, "pool_size")
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    axes = []
    for size, k, s, d in zip(padded_shape[2:], kernel, strides, dilation, strict=True):
        count = (size - d * (k - 1) - 1) // s + 1
        axes.append([slice(i * d, i * d + (count - 1) * s + 1, s) for i in range(k)])
    return axes[0], axes[1]


def unwindow(patches, shape: tuple, attrs):
    """The adjoint of `windows`: add window cells back onto NCHW `shape`, padding dropped."""
    padding = pool_padding(attrs)
    padded_shape = tuple(d + lo + hi for d, (lo, hi) in zip(shape, padding, strict=True))
    out = jnp.zeros(padded_shape, patches.dtype)
    rows, cols = window_slices(attrs, padded_shape)
    for (i, r), (j, c) in itertools.product(enumerate(rows), enumerate(cols)):
        out = out.at[:, :, r, c].add(patches[..., i, j])
    (top, _), (left, _) = padding[2:]
    return out[:, :, top : top + shape[2], left : left + shape[3]]


def window_argmax(data, attrs):
    """The flat position ``i * KW + j`` of the first maximum of each pooling window."""
    patches = windows(data, attrs, convolution.lowest(data.dtype))
    return jnp.argmax(patches.reshape(patches.shape[:4] + (-1,)), -1)


@rule("nn.max_pool2d_grad")
def max_pool2d_grad(attrs, out_grad, data):
    """Each window's gradient goes to its first maximal element (as numpy and PyTorch do)."""
    kernel = pair(attrs.pool_size, "pool_size")
    best = window_argmax(data, attrs)
    hot = best[..., None] == jnp.arange(kernel[0] * kernel[1])
    patches = (hot * out_grad[..., None]).reshape(best.shape + kernel)
    return unwindow(patches, data.shape, attrs).astype(out_grad.dtype)


@rule("nn.max_pool2d_pick")
def max_pool2d_pick(attrs, data, values):
    """For each pooling window of `data`, the element of `values` where `data` is maximal."""
    best = window_argmax(data, attrs)
    patches = windows(values, attrs, 0)
    flat = patches.reshape(best.shape + (-1,))
    return jnp.take_along_axis(flat, best[..., None], -1)[..., 0]


@rule("nn.avg_pool2d_grad")
def avg_pool2d_grad(attrs, out_grad, data):
    """Each window's gradient, divided by its cell count, spread over the window's cells."""
    share = out_grad / cell_counts(data.shape, attrs)
    kernel = pair(attrs.pool_size, "pool_size")
    patches = jnp.broadcast_to(share[..., None, None], share.shape + kernel)
    return unwindow(patches, data.shape, attrs).astype(out_grad.dtype)
