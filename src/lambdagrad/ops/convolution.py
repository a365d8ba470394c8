"""2-d convolution and pooling in Relay's NCHW layout: conv2d, conv2d_backward_weight,
conv2d_transpose, pools.

Weights are OIHW for conv2d and IOHW for conv2d_transpose, as in Relay; conv2d also takes
NHWC data and HWIO weights (its `data_layout`, `kernel_layout`, `out_layout`), worked on as
NCHW/OIHW with transposes around. `padding` takes 1
value (all sides), 2 (top/bottom, left/right) or 4 (top, left, bottom, right); `strides`,
`dilation` and `pool_size` take 1 or 2 values. The numpy implementations take sliding-window
views of the padded input and contract them with einsum.

Pooling with ``ceil_mode`` extends the bottom/right padding by ``stride - 1`` as TVM does; that
extension never counts as padding in ``avg_pool2d`` (``count_include_pad`` counts only the
explicit padding).

The pooling gradients are ops of their own, so that they can be differentiated again:
``nn.max_pool2d_grad`` and ``nn.avg_pool2d_grad`` (Relay's, arguments ``(out_grad, data)``)
and ``nn.max_pool2d_pick``, the adjoint of ``nn.max_pool2d_grad`` in out_grad.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ir.expr import Call, Expr
from ..ir.types import DTYPES, TensorType, Type
from .gradients import (
    bilinear,
    call,
    known_shape,
    linear_forward,
    register_gradient,
    scalar,
    tensor_type,
    transposed,
    zeros_like_value,
)
from .registry import AttrSpec, OpTypeError, register_op
from .relations import fmt_shape, need_dtype, same_dtype, tensor

WINDOW_ATTRS = {
    "strides": AttrSpec("ints", (1, 1)),
    "padding": AttrSpec("ints", (0, 0)),
    "dilation": AttrSpec("ints", (1, 1)),
}
CONV_ATTRS = {
    **WINDOW_ATTRS,
    "groups": AttrSpec("int", 1),
    "channels": AttrSpec("int?", None),
    "kernel_size": AttrSpec("axis", None),
}
# Relay's conv2d layouts: the data and the result as NCHW or NHWC, the weight as OIHW or HWIO
# (worked on as NCHW/OIHW, with transposes around); an empty out_layout is the data's layout
# and an empty out_dtype the data's dtype.
TO_NCHW = {"NCHW": (0, 1, 2, 3), "NHWC": (0, 3, 1, 2)}
TO_OIHW = {"OIHW": (0, 1, 2, 3), "HWIO": (3, 2, 0, 1)}
DTYPE_OR_EMPTY = ("", *DTYPES)
CONV2D_ATTRS = {
    **CONV_ATTRS,
    "data_layout": AttrSpec("str", "NCHW", tuple(TO_NCHW)),
    "kernel_layout": AttrSpec("str", "OIHW", tuple(TO_OIHW)),
    "out_layout": AttrSpec("str", "", ("", *TO_NCHW)),
    "out_dtype": AttrSpec("str", "", DTYPE_OR_EMPTY),
}
# Relay's conv2d_backward_weight reuses conv2d's attributes: data_layout is the output
# gradient's layout, kernel_layout the data's and out_layout the weight gradient's.
BACKWARD_WEIGHT_ATTRS = {
    **CONV_ATTRS,
    "data_layout": AttrSpec("str", "NCHW", tuple(TO_NCHW)),
    "kernel_layout": AttrSpec("str", "NCHW", tuple(TO_NCHW)),
    "out_layout": AttrSpec("str", "OIHW", tuple(TO_OIHW)),
    "out_dtype": AttrSpec("str", "", DTYPE_OR_EMPTY),
}
# Relay's conv2d_transpose spells its layouts too; only the ones it computes in are taken
CONV_TRANSPOSE_ATTRS = {
    **CONV_ATTRS,
    "output_padding": AttrSpec("ints", (0, 0)),
    "data_layout": AttrSpec("str", "NCHW", ("NCHW",)),
    "kernel_layout": AttrSpec("str", "IOHW", ("IOHW",)),
    "out_layout": AttrSpec("str", "", ("", "NCHW")),
    "out_dtype": AttrSpec("str", "", DTYPE_OR_EMPTY),
}
POOL_ATTRS = {
    "pool_size": AttrSpec("ints", (1, 1)),
    **WINDOW_ATTRS,
    "ceil_mode": AttrSpec("bool", False),
}


def pair(values: tuple, name: str, least: int = 1) -> tuple[int, int]:
    """A 2-d attribute given as 1 or 2 values, each at least `least`."""
    if len(values) not in (1, 2) or min(values) < least:
        raise OpTypeError(f"{name} {values} must be 1 or 2 integers of at least {least}")
    return (values[0], values[-1])


def pad4(padding: tuple) -> tuple[int, int, int, int]:
    """Padding as (top, left, bottom, right) from 1, 2 or 4 non-negative values."""
    if len(padding) not in (1, 2, 4) or min(padding) < 0:
        raise OpTypeError(f"padding {padding} must be 1, 2 or 4 non-negative integers")
    return padding * 4 if len(padding) == 1 else padding * 2 if len(padding) == 2 else padding


def window_count(size, kernel, stride, dilation, pad, ceil_mode=False):
    """How many windows fit along one padded axis (None when the size is unknown)."""
    if None in (size, kernel):
        return None
    span = size + pad - dilation * (kernel - 1) - 1
    return (span + (stride - 1 if ceil_mode else 0)) // stride + 1


def spatial(data: TensorType, kernel: tuple, attrs, ceil_mode: bool = False) -> tuple:
    """The output height and width of a window op over `data`; empty outputs are errors."""
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    top, left, bottom, right = pad4(attrs.padding)
    dims = tuple(
        window_count(data.shape[2 + i], kernel[i], strides[i], dilation[i], pad, ceil_mode)
        for i, pad in enumerate((top + bottom, left + right))
    )
    if any(d is not None and d < 1 for d in dims):
        message = f"argument 0 of shape {fmt_shape(data.shape)} is smaller than the window"
        raise OpTypeError(f"{message} {kernel} (dilation {dilation}, padding {attrs.padding})", 0)
    return dims


def four_d(arg_types: list[Type], i: int, what: str) -> TensorType:
    t = tensor(arg_types, i)
    if t.ndim != 4:
        raise OpTypeError(f"argument {i} ({what}) must be 4-d, got shape {fmt_shape(t.shape)}", i)
    return t


def conv_inputs(arg_types: list[Type], attrs, layout: str) -> tuple:
    """Data and weight of a convolution, checked; `layout` is the weight's ("OIHW"/"IOHW")."""
    data, weight = four_d(arg_types, 0, "data NCHW"), four_d(arg_types, 1, f"weight {layout}")
    same_dtype([data, weight], [0, 1])
    need_dtype(data, 0, "fiu")
    if attrs.groups < 1:
        raise OpTypeError(f"groups must be positive, got {attrs.groups}")
    in_per_group = weight.shape[1] if layout == "OIHW" else weight.shape[0]
    if None not in (data.shape[1], in_per_group) and data.shape[1] != (
        in_per_group * (attrs.groups if layout == "OIHW" else 1)
    ):
        message = f"argument 0 (data) of shape {fmt_shape(data.shape)} does not fit argument 1"
        raise OpTypeError(
            f"{message} (weight {layout}) of shape {fmt_shape(weight.shape)} with groups="
            f"{attrs.groups}",
            1,
        )
    if attrs.kernel_size is not None and pair(attrs.kernel_size, "kernel_size") != weight.shape[2:]:
        message = f"kernel_size {attrs.kernel_size} does not match argument 1 (weight)"
        raise OpTypeError(f"{message} of shape {fmt_shape(weight.shape)}", 1)
    return data, weight


def out_channels(count, attrs) -> int | None:
    if None not in (count, attrs.channels) and count != attrs.channels:
        raise OpTypeError(f"channels={attrs.channels} but the weight gives {count}", 1)
    return count


def conv2d_type(arg_types: list[Type], attrs) -> Type:
    """Relay's conv2d: NCHW/NHWC data, OIHW/HWIO weight, the result in `out_layout` (empty:
    the data's) and `out_dtype` (empty: the data's)."""
    data, weight = nchw_inputs(arg_types, attrs)
    height, width = spatial(data, weight.shape[2:], attrs)
    channels = out_channels(weight.shape[0], attrs)
    out = TensorType((data.shape[0], channels, height, width), attrs.out_dtype or data.dtype)
    return viewed_as(out, from_nchw(result_layout(attrs)))


def nchw_inputs(arg_types: list[Type], attrs) -> tuple[TensorType, TensorType]:
    """conv2d's data and weight, checked, seen as NCHW and OIHW (errors say so)."""
    data = four_d(arg_types, 0, f"data {attrs.data_layout}")
    weight = four_d(arg_types, 1, f"weight {attrs.kernel_layout}")
    viewed = [
        viewed_as(data, TO_NCHW[attrs.data_layout]),
        viewed_as(weight, TO_OIHW[attrs.kernel_layout]),
    ]
    try:
        return conv_inputs(viewed, attrs, "OIHW")
    except OpTypeError as err:
        if (attrs.data_layout, attrs.kernel_layout) == ("NCHW", "OIHW"):
            raise
        seen = f"argument 0 ({attrs.data_layout}) seen as NCHW, argument 1 ({attrs.kernel_layout})"
        raise OpTypeError(f"{err} ({seen} as OIHW)", err.arg_index) from None


def viewed_as(t: TensorType, axes: tuple) -> TensorType:
    """`t` with its axes in the order `axes` (a layout's transpose)."""
    return TensorType(tuple(t.shape[a] for a in axes), t.dtype)


def result_layout(attrs) -> str:
    return attrs.out_layout or attrs.data_layout


def from_nchw(layout: str) -> tuple:
    """The axes that take an NCHW tensor to `layout`."""
    return tuple(np.argsort(TO_NCHW[layout]).tolist())


def from_oihw(layout: str) -> tuple:
    return tuple(np.argsort(TO_OIHW[layout]).tolist())


def backward_weight_type(arg_types: list[Type], attrs) -> Type:
    """Relay's conv2d_backward_weight ``(grad, data)``: the weight gradient of the conv2d of
    data whose output gradient is grad, shape ``(O, C / groups, KH, KW)`` (in `out_layout`);
    `kernel_size` is required."""
    given = [
        four_d(arg_types, 0, f"grad {attrs.data_layout}"),
        four_d(arg_types, 1, f"data {attrs.kernel_layout}"),
    ]
    grad = viewed_as(given[0], TO_NCHW[attrs.data_layout])
    data = viewed_as(given[1], TO_NCHW[attrs.kernel_layout])
    same_dtype([grad, data], [0, 1])
    if attrs.kernel_size is None:
        raise OpTypeError("kernel_size must be given (the forward convolution's kernel size)")
    kernel = pair(attrs.kernel_size, "kernel_size")
    channels = out_channels(grad.shape[1], attrs)
    shapes = f"argument 0 (grad) of shape {fmt_shape(given[0].shape)} and argument 1 (data) of"
    shapes = f"{shapes} shape {fmt_shape(given[1].shape)}"
    if attrs.groups < 1 or any(
        c is not None and c % attrs.groups for c in (data.shape[1], channels)
    ):
        raise OpTypeError(f"groups={attrs.groups} does not divide the channels of {shapes}", 1)
    expected = (data.shape[0], channels, *spatial(data, kernel, attrs))
    if any(None not in (a, b) and a != b for a, b in zip(grad.shape, expected, strict=True)):
        wanted = fmt_shape(viewed_as(TensorType(expected), from_nchw(attrs.data_layout)).shape)
        message = f"{shapes}: convolving the data by a {kernel} kernel gives shape {wanted}"
        raise OpTypeError(f"{message}, not the grad's", 0)
    per_group = None if data.shape[1] is None else data.shape[1] // attrs.groups
    weight = TensorType((channels, per_group, *kernel), attrs.out_dtype or grad.dtype)
    return viewed_as(weight, from_oihw(attrs.out_layout))


def windows(x, kernel: tuple, strides: tuple, dilation: tuple):
    """Sliding (dilated, strided) windows of NCHW `x`: shape ``(N, C, OH, OW, KH, KW)``."""
    (sh, sw), (dh, dw) = pair(strides, "strides"), pair(dilation, "dilation")
    reach = ((kernel[0] - 1) * dh + 1, (kernel[1] - 1) * dw + 1)
    return sliding_window_view(x, reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


def pad_hw(x, padding: tuple, value=0):
    top, left, bottom, right = pad4(padding)
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def conv2d(data, weight, data_layout, kernel_layout, out_layout, out_dtype, **window):
    """conv2d in any of its layouts, computed in NCHW/OIHW and in `out_dtype` (Relay
    accumulates int8 data in int32 that way)."""
    dtype = out_dtype or data.dtype
    data = np.transpose(data, TO_NCHW[data_layout]).astype(dtype)
    out = conv2d_nchw(data, np.transpose(weight, TO_OIHW[kernel_layout]).astype(dtype), **window)
    return np.transpose(out, from_nchw(out_layout or data_layout))


def conv2d_backward_weight(
    grad, data, data_layout, kernel_layout, out_layout, out_dtype, kernel_size, **window
):
    """``dw[o, c, i, j] = sum_{n,p,q} g[n, o, p, q] * xpad[n, G(o) + c, p*s + i*d, q*s + j*d]``:
    each window of the padded data weighted by the output gradient where it lands."""
    dtype = out_dtype or grad.dtype
    grad = np.transpose(grad, TO_NCHW[data_layout]).astype(dtype)
    data = np.transpose(data, TO_NCHW[kernel_layout]).astype(dtype)
    kernel, groups = pair(kernel_size, "kernel_size"), window["groups"]
    patches = windows(
        pad_hw(data, window["padding"]), kernel, window["strides"], window["dilation"]
    )
    n, c, oh, ow, kh, kw = patches.shape
    grouped = patches.reshape(n, groups, c // groups, oh, ow, kh, kw)
    by_group = grad.reshape(n, groups, -1, oh, ow)
    dw = np.einsum("ngchwij,ngohw->gocij", grouped, by_group, optimize=True)
    dw = dw.reshape(-1, c // groups, kh, kw).astype(dtype)
    return np.transpose(dw, from_oihw(out_layout))


def conv2d_nchw(data, weight, strides, padding, dilation, groups, channels, kernel_size):
    """Grouped convolution: each group's input channels meet its own output channels."""
    patches = windows(pad_hw(data, padding), weight.shape[2:], strides, dilation)
    n, c, oh, ow, kh, kw = patches.shape
    grouped = patches.reshape(n, groups, c // groups, oh, ow, kh, kw)
    kernels = weight.reshape(groups, -1, c // groups, kh, kw)
    out = np.einsum("ngchwij,gocij->ngohw", grouped, kernels, optimize=True)
    return out.reshape(n, -1, oh, ow).astype(data.dtype)


def conv2d_transpose_type(arg_types: list[Type], attrs) -> Type:
    """conv2d's gradient for its data: output size ``(H-1)*s - pads + d*(k-1) + out_pad + 1``."""
    data, weight = conv_inputs(arg_types, attrs, "IOHW")
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    extra = pair(attrs.output_padding, "output_padding", 0)
    if any(e >= s for e, s in zip(extra, strides, strict=True)):
        raise OpTypeError(f"output_padding {attrs.output_padding} must be smaller than strides")
    top, left, bottom, right = pad4(attrs.padding)
    dims = [
        None if None in (size, k) else (size - 1) * s - pad + d * (k - 1) + e + 1
        for size, k, s, d, e, pad in zip(
            data.shape[2:],
            weight.shape[2:],
            strides,
            dilation,
            extra,
            (top + bottom, left + right),
            strict=True,
        )
    ]
    if any(d is not None and d < 1 for d in dims):
        message = f"padding {attrs.padding} leaves no output for argument 0"
        raise OpTypeError(f"{message} of shape {fmt_shape(data.shape)}", 0)
    per_group = None if weight.shape[1] is None else weight.shape[1] * attrs.groups
    out_dtype = attrs.out_dtype or data.dtype
    return TensorType((data.shape[0], out_channels(per_group, attrs), *dims), out_dtype)


def conv2d_transpose(data, weight, out_dtype, data_layout, kernel_layout, out_layout, **window):
    """conv2d_transpose (NCHW data, IOHW weight) computed in `out_dtype`."""
    dtype = out_dtype or data.dtype
    return conv2d_transpose_nchw(data.astype(dtype), weight.astype(dtype), **window)


def conv2d_transpose_nchw(
    data, weight, strides, padding, output_padding, dilation, groups, channels, kernel_size
):
    """Each input pixel scatters ``pixel * kernel`` into the output (then padding is cropped)."""
    (sh, sw), (dh, dw) = pair(strides, "strides"), pair(dilation, "dilation")
    oph, opw = pair(output_padding, "output_padding", 0)
    n, c, h, w = data.shape
    _, per_group, kh, kw = weight.shape
    height, width = (h - 1) * sh + dh * (kh - 1) + 1 + oph, (w - 1) * sw + dw * (kw - 1) + 1 + opw
    full = (n, groups, per_group, height, width)
    out = np.zeros(full, dtype=np.result_type(data, weight))
    x = data.reshape(n, groups, c // groups, h, w)
    kernels = weight.reshape(groups, c // groups, per_group, kh, kw)
    for i, j in np.ndindex(kh, kw):
        rows = slice(i * dh, i * dh + (h - 1) * sh + 1, sh)
        cols = slice(j * dw, j * dw + (w - 1) * sw + 1, sw)
        out[..., rows, cols] += np.einsum("ngchw,gco->ngohw", x, kernels[..., i, j])
    top, left, bottom, right = pad4(padding)
    out = out.reshape(n, groups * per_group, height, width)
    return out[:, :, top : height - bottom, left : width - right]


def pool_type(arg_types: list[Type], attrs) -> Type:
    data = four_d(arg_types, 0, "data NCHW")
    need_dtype(data, 0, "fiu")
    height, width = spatial(data, pair(attrs.pool_size, "pool_size"), attrs, attrs.ceil_mode)
    return TensorType(data.shape[:2] + (height, width), data.dtype)


def pool_windows(x, pool_size, strides, padding, dilation, ceil_mode, value, extension=None):
    """Windows of `x` padded with `value` (and, for ``ceil_mode``, `extension` beyond that)."""
    sh, sw = pair(strides, "strides")
    grow = (sh - 1, sw - 1) if ceil_mode else (0, 0)
    padded = pad_hw(x, padding, value)
    fill = value if extension is None else extension
    padded = np.pad(padded, ((0, 0), (0, 0), (0, grow[0]), (0, grow[1])), constant_values=fill)
    return windows(padded, pair(pool_size, "pool_size"), strides, dilation)


def lowest(dtype):
    """The padding value of max pooling: below every value of `dtype`."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def max_pool2d(data, pool_size, strides, padding, dilation, ceil_mode):
    window = (pool_size, strides, padding, dilation, ceil_mode)
    return pool_windows(data, *window, lowest(data.dtype)).max(axis=(-2, -1))


def window_cells(shape: tuple, window: tuple, count_include_pad: bool):
    """How many cells each pooling window averages over: shape ``(1, 1, OH, OW)``."""
    cells = np.ones((1, 1) + tuple(shape[2:]))
    return pool_windows(cells, *window, float(count_include_pad), 0.0).sum(axis=(-2, -1))


def avg_pool2d(data, pool_size, strides, padding, dilation, ceil_mode, count_include_pad):
    """The mean over each window of the cells it covers (padding counts if asked)."""
    window = (pool_size, strides, padding, dilation, ceil_mode)
    total = pool_windows(data.astype(np.float64), *window, 0.0).sum(axis=(-2, -1))
    return (total / window_cells(data.shape, window, count_include_pad)).astype(data.dtype)


def unwindow(patches, shape: tuple, strides, padding, dilation, ceil_mode):
    """The adjoint of `pool_windows`: add window cells ``(N, C, OH, OW, KH, KW)`` back onto
    an NCHW tensor of `shape`, dropping what lands in the padding."""
    n, c, oh, ow, kh, kw = patches.shape
    (sh, sw), (dh, dw) = pair(strides, "strides"), pair(dilation, "dilation")
    top, left, bottom, right = pad4(padding)
    grow = (sh - 1, sw - 1) if ceil_mode else (0, 0)
    height, width = shape[2] + top + bottom + grow[0], shape[3] + left + right + grow[1]
    out = np.zeros((n, c, height, width), dtype=patches.dtype)
    for i, j in np.ndindex(kh, kw):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
        out[:, :, rows, cols] += patches[..., i, j]
    return out[:, :, top : top + shape[2], left : left + shape[3]]


def window_argmax(data, window: tuple):
    """The flat position ``i * KW + j`` of the first maximum of each pooling window."""
    patches = pool_windows(data, *window, lowest(data.dtype))
    return patches.reshape(patches.shape[:4] + (-1,)).argmax(axis=-1)


def max_pool2d_grad(out_grad, data, pool_size, strides, padding, dilation, ceil_mode):
    """Each window's gradient goes to its first maximal element (as numpy and PyTorch do)."""
    window = (pool_size, strides, padding, dilation, ceil_mode)
    best = window_argmax(data, window)
    kh, kw = pair(pool_size, "pool_size")
    hot = best[..., None] == np.arange(kh * kw)
    patches = (hot * out_grad[..., None]).reshape(best.shape + (kh, kw))
    return unwindow(patches, data.shape, *window[1:]).astype(out_grad.dtype)


def max_pool2d_pick(data, values, pool_size, strides, padding, dilation, ceil_mode):
    """For each pooling window of `data`, the element of `values` where `data` is maximal."""
    window = (pool_size, strides, padding, dilation, ceil_mode)
    best = window_argmax(data, window)
    patches = pool_windows(values, *window, 0)
    flat = patches.reshape(best.shape + (-1,))
    return np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]


def avg_pool2d_grad(
    out_grad, data, pool_size, strides, padding, dilation, ceil_mode, count_include_pad
):
    """Each window's gradient, divided by its cell count, spread over the window's cells."""
    window = (pool_size, strides, padding, dilation, ceil_mode)
    share = out_grad / window_cells(data.shape, window, count_include_pad)
    patches = np.broadcast_to(share[..., None, None], share.shape + pair(pool_size, "pool_size"))
    return unwindow(patches, data.shape, *window[1:]).astype(out_grad.dtype)


def pool_grad_type(arg_types: list[Type], attrs) -> Type:
    """``(out_grad, data)``: `out_grad` has data's pooled shape; the result is data's type."""
    out_grad, data = four_d(arg_types, 0, "out_grad"), four_d(arg_types, 1, "data NCHW")
    same_dtype([out_grad, data], [0, 1])
    need_shape(out_grad, 0, pool_type([data], attrs).shape, "the pooled shape of argument 1")
    return data


def pool_pick_type(arg_types: list[Type], attrs) -> Type:
    """``(data, values)`` of one shape give data's pooled shape."""
    data, values = four_d(arg_types, 0, "data NCHW"), four_d(arg_types, 1, "values")
    same_dtype([data, values], [0, 1])
    need_shape(values, 1, data.shape, "the shape of argument 0")
    return pool_type([data], attrs)


def need_shape(t: TensorType, i: int, shape: tuple, what: str) -> None:
    """Argument `i` must have `shape` (unknown dimensions agree with anything)."""
    if any(None not in (a, b) and a != b for a, b in zip(t.shape, shape, strict=True)):
        message = f"argument {i} has shape {fmt_shape(t.shape)} but needs {what}"
        raise OpTypeError(f"{message}, {fmt_shape(shape)}", i)


def global_avg_pool2d_type(arg_types: list[Type], attrs) -> Type:
    data = four_d(arg_types, 0, "data NCHW")
    need_dtype(data, 0, "fiu")
    return TensorType(data.shape[:2] + (1, 1), data.dtype)


def global_avg_pool2d(data):
    return np.mean(data, axis=(2, 3), keepdims=True).astype(data.dtype)


register_op(
    "nn.conv2d",
    2,
    conv2d_type,
    CONV2D_ATTRS,
    conv2d,
    doc=(
        "Relay's 2-d convolution of `data` (`data_layout` NCHW or NHWC) by `weight` "
        "(`kernel_layout` OIHW or HWIO) with `groups`; the result in `out_layout` (empty: the "
        "data's) and computed in `out_dtype` (empty: the data's)."
    ),
)
register_op(
    "nn.conv2d_backward_weight",
    2,
    backward_weight_type,
    BACKWARD_WEIGHT_ATTRS,
    conv2d_backward_weight,
    doc=(
        "Relay's ``nn.conv2d_backward_weight(grad, data)``: the gradient of conv2d with "
        "respect to its weight, given the output gradient `grad` (in `data_layout`) and the "
        "data (in `kernel_layout`); the result in `out_layout` (OIHW or HWIO). `kernel_size` is "
        "required; the other attributes are the forward convolution's."
    ),
)
register_op(
    "nn.conv2d_transpose",
    2,
    conv2d_transpose_type,
    CONV_TRANSPOSE_ATTRS,
    conv2d_transpose,
)
register_op("nn.max_pool2d", 1, pool_type, POOL_ATTRS, max_pool2d)
register_op(
    "nn.avg_pool2d",
    1,
    pool_type,
    {**POOL_ATTRS, "count_include_pad": AttrSpec("bool", False)},
    avg_pool2d,
)
register_op("nn.global_avg_pool2d", 1, global_avg_pool2d_type, None, global_avg_pool2d)
register_op("nn.max_pool2d_grad", 2, pool_grad_type, POOL_ATTRS, max_pool2d_grad)
register_op("nn.max_pool2d_pick", 2, pool_pick_type, POOL_ATTRS, max_pool2d_pick)
register_op(
    "nn.avg_pool2d_grad",
    2,
    pool_grad_type,
    {**POOL_ATTRS, "count_include_pad": AttrSpec("bool", False)},
    avg_pool2d_grad,
)


# Gradients.


class ConvShapes(NamedTuple):
    """The static shapes of a convolution seen as a conv2d: data, result, kernel (KH, KW)."""

    data: tuple
    out: tuple
    kernel: tuple


def sides(attrs) -> tuple:
    """Strides, dilation and total padding per spatial axis: ``((s, d, pad), (s, d, pad))``."""
    top, left, bottom, right = pad4(attrs.padding)
    strides, dilation = pair(attrs.strides, "strides"), pair(attrs.dilation, "dilation")
    return tuple(zip(strides, dilation, (top + bottom, left + right), strict=True))


def conv_weight_grad(data: Expr, out_grad: Expr, shapes: ConvShapes, attrs) -> Expr:
    """``dw[o, c, i, j] = sum_{n,p,q} g[n, o, p, q] * xpad[n, G(o) + c, p*s + i*d, q*s + j*d]``.

    That is a grouped conv2d of data with its batch and channel axes swapped (each group
    folded into the channels) by out_grad as the kernel, strides and dilation exchanged; the
    extra windows that padding can add beyond the kernel size are cut off.
    """
    grads = call(
        "nn.conv2d",
        batch_as_channels(data, shapes.data, attrs.groups),
        call("transpose", out_grad, axes=(1, 0, 2, 3)),
        strides=attrs.dilation,
        padding=attrs.padding,
        dilation=attrs.strides,
        groups=attrs.groups,
    )
    reach = tuple(
        window_count(size, out, d, s, pad)
        for size, out, (s, d, pad) in zip(
            shapes.data[2:], shapes.out[2:], sides(attrs), strict=True
        )
    )
    if reach != shapes.kernel:
        grads = call("strided_slice", grads, begin=(0, 0), end=shapes.kernel, axes=(2, 3))
    return call("transpose", grads, axes=(1, 0, 2, 3))


def batch_as_channels(data: Expr, shape: tuple, groups: int) -> Expr:
    """NCHW `data` as ``(C / groups, groups * N, H, W)``: group-major channels of samples."""
    n, c, height, width = shape
    by_group = call("reshape", data, newshape=(n, groups, c // groups, height, width))
    swapped = call("transpose", by_group, axes=(2, 1, 0, 3, 4))
    return call("reshape", swapped, newshape=(c // groups, groups * n, height, width))


def conv_data_grad(out_grad: Expr, weight: Expr, shapes: ConvShapes, attrs) -> Expr:
    """``dx = conv2d_transpose(g, w)``, its output_padding restoring the rows and columns of
    x that no window reached."""
    extra = tuple(
        size - ((out - 1) * s - pad + d * (k - 1) + 1)
        for size, out, k, (s, d, pad) in zip(
            shapes.data[2:], shapes.out[2:], shapes.kernel, sides(attrs), strict=True
        )
    )
    return call(
        "nn.conv2d_transpose",
        out_grad,
        weight,
        strides=attrs.strides,
        padding=attrs.padding,
        dilation=attrs.dilation,
        groups=attrs.groups,
        output_padding=extra,
    )


def conv2d_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = conv2d_transpose(g, w)`` and ``dw = conv_weight_grad(x, g)``, in NCHW/OIHW
    (transposed there and back for other layouts; g cast to the data's dtype)."""
    data, weight = orig_call.args
    attrs = orig_call.attrs
    out_axes = TO_NCHW[result_layout(attrs)]
    shapes = ConvShapes(
        permuted(known_shape(data), TO_NCHW[attrs.data_layout]),
        permuted(known_shape(orig_call), out_axes),
        permuted(known_shape(weight), TO_OIHW[attrs.kernel_layout])[2:],
    )
    g = transposed_to(in_dtype_of(out_grad, orig_call, data), out_axes)
    x = transposed_to(data, TO_NCHW[attrs.data_layout])
    w = transposed_to(weight, TO_OIHW[attrs.kernel_layout])
    return [
        transposed_to(conv_data_grad(g, w, shapes, attrs), from_nchw(attrs.data_layout)),
        transposed_to(conv_weight_grad(x, g, shapes, attrs), from_oihw(attrs.kernel_layout)),
    ]


def backward_weight_grad(orig_call: Call, out_grad: Expr) -> list:
    """conv2d_backward_weight is bilinear in (g, x): for its output gradient h (a weight),
    ``dg = conv2d(x, h)`` and ``dx = conv_data_grad(g, h)`` (conv2d's data gradient)."""
    grad, data = orig_call.args
    attrs = orig_call.attrs
    shapes = ConvShapes(
        permuted(known_shape(data), TO_NCHW[attrs.kernel_layout]),
        permuted(known_shape(grad), TO_NCHW[attrs.data_layout]),
        pair(attrs.kernel_size, "kernel_size"),
    )
    h = transposed_to(in_dtype_of(out_grad, orig_call, grad), TO_OIHW[attrs.out_layout])
    g = transposed_to(grad, TO_NCHW[attrs.data_layout])
    x = transposed_to(data, TO_NCHW[attrs.kernel_layout])
    window = {k: attrs[k] for k in ("strides", "padding", "dilation", "groups")}
    return [
        transposed_to(call("nn.conv2d", x, h, **window), from_nchw(attrs.data_layout)),
        transposed_to(conv_data_grad(g, h, shapes, attrs), from_nchw(attrs.kernel_layout)),
    ]


def permuted(shape: tuple, axes: tuple) -> tuple:
    return tuple(shape[a] for a in axes)


def transposed_to(expr: Expr, axes: tuple) -> Expr:
    """`expr` transposed by `axes`; itself when that is the identity (the default layouts)."""
    return expr if axes == tuple(range(len(axes))) else call("transpose", expr, axes=axes)


def in_dtype_of(out_grad: Expr, orig_call: Call, arg: Expr) -> Expr:
    """The output gradient in `arg`'s dtype, when out_dtype made the result's differ."""
    if tensor_type(orig_call).dtype == tensor_type(arg).dtype:
        return out_grad
    return call("cast_like", out_grad, arg)


def conv2d_transpose_grad(orig_call: Call, out_grad: Expr) -> list:
    """``dx = conv2d(g, w)`` (conv2d_transpose is its adjoint in x) and
    ``dw = conv_weight_grad(g, x)`` (the conv2d of g by w has x's shape); g in x's dtype."""
    data, weight = orig_call.args
    attrs = orig_call.attrs
    shapes = ConvShapes(known_shape(orig_call), known_shape(data), known_shape(weight)[2:])
    out_grad = in_dtype_of(out_grad, orig_call, data)
    dx = call(
        "nn.conv2d",
        out_grad,
        weight,
        strides=attrs.strides,
        padding=attrs.padding,
        dilation=attrs.dilation,
        groups=attrs.groups,
    )
    return [dx, conv_weight_grad(out_grad, data, shapes, attrs)]


def max_pool2d_gradient(orig_call: Call, out_grad: Expr) -> list:
    """``dx = max_pool2d_grad(g, x)``: each window's g goes to its first maximum."""
    return [call("nn.max_pool2d_grad", out_grad, orig_call.args[0], **orig_call.attrs)]


def max_pool2d_grad_gradient(orig_call: Call, out_grad: Expr) -> list:
    """Linear in g, piecewise constant in x: ``dg = max_pool2d_pick(x, h)``, ``dx = 0``."""
    _, data = orig_call.args
    return [call("nn.max_pool2d_pick", data, out_grad, **orig_call.attrs), zeros_like_value(data)]


def max_pool2d_pick_gradient(orig_call: Call, out_grad: Expr) -> list:
    """Piecewise constant in x, linear in v: ``dx = 0``, ``dv = max_pool2d_grad(g, x)``."""
    data, _ = orig_call.args
    pick_grad = call("nn.max_pool2d_grad", out_grad, data, **orig_call.attrs)
    return [zeros_like_value(data), pick_grad]


def avg_pool2d_gradient(orig_call: Call, out_grad: Expr) -> list:
    """``dx = avg_pool2d_grad(g, x)``: each window's g / count spread over its cells."""
    return [call("nn.avg_pool2d_grad", out_grad, orig_call.args[0], **orig_call.attrs)]


def avg_pool2d_grad_gradient(orig_call: Call, out_grad: Expr) -> list:
    """Linear in g, whose adjoint is the pooling itself: ``dg = avg_pool2d(h)``, ``dx = 0``."""
    _, data = orig_call.args
    return [call("nn.avg_pool2d", out_grad, **orig_call.attrs), zeros_like_value(data)]


def global_avg_pool2d_gradient(orig_call: Call, out_grad: Expr) -> list:
    """``dx = broadcast_to_like(g / (H * W), x)``."""
    data = orig_call.args[0]
    _, _, height, width = known_shape(data)
    share = out_grad * scalar(1 / (height * width), data)
    return [call("broadcast_to_like", share, data)]


register_gradient("nn.conv2d", conv2d_grad)
register_gradient("nn.conv2d_backward_weight", backward_weight_grad)
register_gradient("nn.conv2d_transpose", conv2d_transpose_grad)
register_gradient("nn.max_pool2d", max_pool2d_gradient)
register_gradient("nn.max_pool2d_grad", max_pool2d_grad_gradient)
register_gradient("nn.max_pool2d_pick", max_pool2d_pick_gradient)
register_gradient("nn.avg_pool2d", avg_pool2d_gradient)
register_gradient("nn.avg_pool2d_grad", avg_pool2d_grad_gradient)
register_gradient("nn.global_avg_pool2d", global_avg_pool2d_gradient)
bilinear("nn.conv2d")
bilinear("nn.conv2d_backward_weight")
bilinear("nn.conv2d_transpose")
linear_forward("nn.avg_pool2d")
linear_forward("nn.global_avg_pool2d")
linear_forward("nn.avg_pool2d_grad")
# the pooled positions are piecewise constant in the data: linear in the output gradient
linear_forward("nn.max_pool2d_grad")
transposed("nn.max_pool2d", "nn.max_pool2d_pick")
