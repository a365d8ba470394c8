"""2-d convolution and pooling in Relay's NCHW layout: conv2d, conv2d_transpose, pools.

Weights are OIHW for conv2d and IOHW for conv2d_transpose, as in Relay. `padding` takes 1
value (all sides), 2 (top/bottom, left/right) or 4 (top, left, bottom, right); `strides`,
`dilation` and `pool_size` take 1 or 2 values. The numpy implementations take sliding-window
views of the padded input and contract them with einsum.

Pooling with ``ceil_mode`` extends the bottom/right padding by ``stride - 1`` as TVM does; that
extension never counts as padding in ``avg_pool2d`` (``count_include_pad`` counts only the
explicit padding).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ir.types import TensorType, Type
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
    data, weight = conv_inputs(arg_types, attrs, "OIHW")
    height, width = spatial(data, weight.shape[2:], attrs)
    channels = out_channels(weight.shape[0], attrs)
    return TensorType((data.shape[0], channels, height, width), data.dtype)


def windows(x, kernel: tuple, strides: tuple, dilation: tuple):
    """Sliding (dilated, strided) windows of NCHW `x`: shape ``(N, C, OH, OW, KH, KW)``."""
    (sh, sw), (dh, dw) = pair(strides, "strides"), pair(dilation, "dilation")
    reach = ((kernel[0] - 1) * dh + 1, (kernel[1] - 1) * dw + 1)
    return sliding_window_view(x, reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


def pad_hw(x, padding: tuple, value=0):
    top, left, bottom, right = pad4(padding)
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def conv2d(data, weight, strides, padding, dilation, groups, channels, kernel_size):
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
    return TensorType((data.shape[0], out_channels(per_group, attrs), *dims), data.dtype)


def conv2d_transpose(
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


def max_pool2d(data, pool_size, strides, padding, dilation, ceil_mode):
    lowest = -np.inf if data.dtype.kind == "f" else np.iinfo(data.dtype).min
    patches = pool_windows(data, pool_size, strides, padding, dilation, ceil_mode, lowest)
    return patches.max(axis=(-2, -1))


def avg_pool2d(data, pool_size, strides, padding, dilation, ceil_mode, count_include_pad):
    """The mean over each window of the cells it covers (padding counts if asked)."""
    window = (pool_size, strides, padding, dilation, ceil_mode)
    total = pool_windows(data.astype(np.float64), *window, 0.0).sum(axis=(-2, -1))
    cells = np.ones((1, 1) + data.shape[2:])
    count = pool_windows(cells, *window, float(count_include_pad), 0.0).sum(axis=(-2, -1))
    return (total / count).astype(data.dtype)


def global_avg_pool2d_type(arg_types: list[Type], attrs) -> Type:
    data = four_d(arg_types, 0, "data NCHW")
    need_dtype(data, 0, "fiu")
    return TensorType(data.shape[:2] + (1, 1), data.dtype)


def global_avg_pool2d(data):
    return np.mean(data, axis=(2, 3), keepdims=True).astype(data.dtype)


register_op("nn.conv2d", 2, conv2d_type, CONV_ATTRS, conv2d)
register_op(
    "nn.conv2d_transpose",
    2,
    conv2d_transpose_type,
    {**CONV_ATTRS, "output_padding": AttrSpec("ints", (0, 0))},
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
