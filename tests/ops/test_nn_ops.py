"""nn ops against numpy references (naive loops for convolution and pooling)."""

import numpy as np
import pytest
from op_testing import case_id, check_case, run_op

import lambdagrad as lg

RNG = np.random.default_rng(2)


def data(shape, dtype="float32", low=-2, high=2):
    if dtype.startswith("int"):
        return RNG.integers(low, high + 1, size=shape).astype(dtype)
    return RNG.uniform(low, high, size=shape).astype(dtype)


def conv_ref(x, w, stride=1, pad=(0, 0, 0, 0), dil=1, groups=1):
    """Direct convolution, one output element at a time (square strides and dilation)."""
    top, left, bottom, right = pad
    x = np.pad(x.astype("float64"), ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = (h - dil * (kh - 1) - 1) // stride + 1, (wd - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for b_, oc, i, j in np.ndindex(n, o, oh, ow):
        g = oc // (o // groups)
        for ic, p, q in np.ndindex(cg, kh, kw):
            out[b_, oc, i, j] += (
                x[b_, g * cg + ic, i * stride + p * dil, j * stride + q * dil] * w[oc, ic, p, q]
            )
    return out


def backward_weight_ref(g, x, kernel, stride=1, pad=(0, 0, 0, 0), dil=1, groups=1):
    """conv2d's weight gradient, one weight element at a time."""
    top, left, bottom, right = pad
    x = np.pad(x.astype("float64"), ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, o, oh, ow = g.shape
    cg = x.shape[1] // groups
    out = np.zeros((o, cg, *kernel))
    for oc, ic, p, q in np.ndindex(out.shape):
        channel = oc // (o // groups) * cg + ic
        for b_, i, j in np.ndindex(n, oh, ow):
            out[oc, ic, p, q] += (
                g[b_, oc, i, j] * x[b_, channel, i * stride + p * dil, j * stride + q * dil]
            )
    return out


NHWC, HWIO = (0, 2, 3, 1), (2, 3, 1, 0)  # from NCHW and OIHW
NCHW, OIHW = (0, 3, 1, 2), (3, 2, 0, 1)  # from NHWC and HWIO


def conv_transpose_ref(x, w, stride=1, pad=(0, 0, 0, 0), dil=1, groups=1, out_pad=0):
    """Scatter each input pixel times the kernel, then crop the padding."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = (
        n,
        og * groups,
        (h - 1) * stride + dil * (kh - 1) + 1 + out_pad,
        (wd - 1) * stride + dil * (kw - 1) + 1 + out_pad,
    )
    out = np.zeros(full)
    for b_, ic, i, j, oc, p, q in np.ndindex(n, c, h, wd, og, kh, kw):
        g = ic // cg
        out[b_, g * og + oc, i * stride + p * dil, j * stride + q * dil] += (
            x[b_, ic, i, j] * w[ic, oc, p, q]
        )
    top, left, bottom, right = pad
    return out[:, :, top : full[2] - bottom, left : full[3] - right]


def pool_ref(x, k, stride, pad, reduce, include_pad=False, ceil=False):
    """Pooling over explicit windows; padding never wins a max, and counts if asked."""
    top, left, bottom, right = pad
    n, c, h, w = x.shape
    grow = stride - 1 if ceil else 0
    oh, ow = (
        (h + top + bottom - k + grow) // stride + 1,
        (w + left + right - k + grow) // stride + 1,
    )
    out = np.zeros((n, c, oh, ow))
    for b_, ch, i, j in np.ndindex(n, c, oh, ow):
        rows = [i * stride + p - top for p in range(k)]
        cols = [j * stride + q - left for q in range(k)]
        cells = [x[b_, ch, y, z] for y in rows for z in cols if 0 <= y < h and 0 <= z < w]
        inside = [
            (y, z) for y in rows for z in cols if -top <= y < h + bottom and -left <= z < w + right
        ]
        out[b_, ch, i, j] = (
            reduce(cells)
            if reduce is max
            else sum(cells) / (len(inside) if include_pad else len(cells))
        )
    return out


def softmax_ref(x, axis):
    e = np.exp(x.astype("float64"))
    return e / e.sum(axis=axis, keepdims=True)


def norm_ref(x, gamma, beta, axes, axis, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def batch_norm_ref(x, gamma, beta, mean, var):
    axes = (0, 2, 3) if x.ndim == 4 else (0,)
    out = norm_ref(x.astype("float64"), gamma, beta, axes, 1)
    return out, x.mean(axis=axes), x.var(axis=axes)


IMG = data((2, 4, 5, 6))
CASES = [
    *[
        ("nn.dense", [data(xs, dt), data((3, 4), dt)], {}, lambda x, w: x.astype(float) @ w.T)
        for dt in ["float16", "float32", "float64", "int32", "int64"]
        for xs in [(4,), (2, 4), (2, 5, 4)]
    ],
    *[
        (
            "nn.matmul",
            [data(a, "float64"), data(b, "float64")],
            {"transpose_a": ta, "transpose_b": tb},
            lambda x, y, ta=ta, tb=tb: (x.T if ta else x) @ (y.T if tb else y),
        )
        for ta, tb, a, b in [
            (False, False, (2, 3), (3, 4)),
            (True, False, (3, 2), (3, 4)),
            (False, True, (2, 3), (4, 3)),
            (True, True, (3, 2), (4, 3)),
        ]
    ],
    (
        "nn.batch_matmul",
        [data((2, 3, 4)), data((2, 5, 4))],
        {},
        lambda a, b: np.einsum("bik,bjk->bij", a, b),
    ),
    (
        "nn.batch_matmul",
        [data((1, 3, 4), "int32"), data((2, 4, 5), "int32")],
        {"transpose_b": False},
        lambda a, b: np.einsum("ik,bkj->bij", a[0], b),
    ),
    (
        "nn.batch_matmul",
        [data((2, 4, 3)), data((2, 4, 5))],
        {"transpose_a": True, "transpose_b": False},
        lambda a, b: np.einsum("bki,bkj->bij", a, b),
    ),
    *[
        (
            "nn.bias_add",
            [data((2, 3, 4), dt), data((n,), dt)],
            {"axis": axis},
            lambda x, v, axis=axis: (
                x + np.expand_dims(v, tuple(a for a in range(3) if a != axis % 3))
            ),
        )
        for dt in ["float32", "int64"]
        for axis, n in [(1, 3), (-1, 4), (0, 2)]
    ],
    *[
        (name, [data(shape, dt)], {"axis": axis}, lambda x, axis=axis, f=f: f(x, axis))
        for name, f in [
            ("nn.softmax", softmax_ref),
            ("nn.log_softmax", lambda x, a: np.log(softmax_ref(x, a))),
        ]
        for dt in ["float16", "float32", "float64"]
        for shape, axis in [((5,), 0), ((3, 4), -1), ((3, 4), 0)]
    ],
    ("nn.softmax", [np.array([1000.0, 1000.0], "float32")], {}, lambda x: [0.5, 0.5]),
    ("nn.log_softmax", [np.array([-1000.0, 0.0], "float64")], {}, lambda x: [-1000.0, 0.0]),
    *[
        (
            "nn.cross_entropy",
            [data(s, dt, 0.1, 1), data(s, dt, 0, 1)],
            {},
            lambda p, t: -np.sum(np.log(p.astype(float)) * t) / len(p),
        )
        for dt in ["float32", "float64"]
        for s in [(4,), (2, 3)]
    ],
    *[
        (
            "nn.cross_entropy_with_logits",
            [data(s, dt), data(s, dt, 0, 1)],
            {},
            lambda p, t: -np.sum(p.astype(float) * t) / len(p),
        )
        for dt in ["float32", "float64"]
        for s in [(4,), (2, 3)]
    ],
    # convolution
    ("nn.conv2d", [IMG, data((3, 4, 3, 3))], {}, conv_ref),
    (
        "nn.conv2d",
        [IMG.astype("float64"), data((6, 2, 2, 3), "float64")],
        {"strides": 2, "padding": (1, 2), "dilation": (2, 2), "groups": 2, "channels": 6},
        lambda x, w: conv_ref(x, w, 2, (1, 2, 1, 2), 2, 2),
    ),
    (
        "nn.conv2d",
        [data((1, 2, 4, 4), "int32"), data((2, 1, 2, 2), "int32")],
        {"padding": (1, 0, 0, 1), "groups": 2, "kernel_size": (2, 2)},
        lambda x, w: conv_ref(x, w, 1, (1, 0, 0, 1), 1, 2),
    ),
    (
        "nn.conv2d",
        [IMG.transpose(NHWC), data((3, 4, 3, 3)).transpose(HWIO)],
        {"data_layout": "NHWC", "kernel_layout": "HWIO", "padding": 1},
        lambda x, w: conv_ref(x.transpose(NCHW), w.transpose(OIHW), 1, (1,) * 4).transpose(NHWC),
    ),
    (
        "nn.conv2d",
        [IMG.transpose(NHWC).astype("float64"), data((6, 2, 2, 3), "float64")],
        {"data_layout": "NHWC", "out_layout": "NCHW", "groups": 2, "strides": 2},
        lambda x, w: conv_ref(x.transpose(NCHW), w, 2, (0,) * 4, 1, 2),
    ),
    (
        "nn.conv2d",
        [IMG, data((3, 4, 2, 2)).transpose(HWIO)],
        {"kernel_layout": "HWIO", "out_layout": "NHWC", "out_dtype": "float64", "dilation": 2},
        lambda x, w: conv_ref(x, w.transpose(OIHW), 1, (0,) * 4, 2).transpose(NHWC),
    ),
    (
        "nn.conv2d",
        [data((1, 2, 4, 4), "int32"), data((3, 2, 2, 2), "int32")],
        {"out_dtype": "int64"},
        lambda x, w: conv_ref(x, w),
    ),
    (
        "nn.conv2d_backward_weight",
        [data((2, 3, 3, 5)), IMG],
        {"kernel_size": (3, 2)},
        lambda g, x: backward_weight_ref(g, x, (3, 2)),
    ),
    (
        "nn.conv2d_backward_weight",
        [data((2, 6, 3, 3), "float64"), IMG.astype("float64")],
        {"kernel_size": 2, "strides": 2, "padding": 1, "dilation": 2, "groups": 2, "channels": 6},
        lambda g, x: backward_weight_ref(g, x, (2, 2), 2, (1,) * 4, 2, 2),
    ),
    (
        "nn.conv2d_backward_weight",
        [data((2, 3, 3, 5)).transpose(NHWC), IMG.transpose(NHWC)],
        {
            "kernel_size": (3, 2),
            "data_layout": "NHWC",
            "kernel_layout": "NHWC",
            "out_layout": "HWIO",
            "out_dtype": "float64",
        },
        lambda g, x: backward_weight_ref(g.transpose(NCHW), x.transpose(NCHW), (3, 2)).transpose(
            HWIO
        ),
    ),
    (
        "nn.conv2d_transpose",
        [data((2, 4, 3, 3)), data((4, 2, 3, 3))],
        {},
        lambda x, w: conv_transpose_ref(x, w),
    ),
    (
        "nn.conv2d_transpose",
        [data((1, 2, 3, 3)), data((2, 3, 2, 2))],
        {"data_layout": "NCHW", "kernel_layout": "IOHW", "out_dtype": "float64", "strides": 2},
        lambda x, w: conv_transpose_ref(x.astype("float64"), w.astype("float64"), 2),
    ),
    (
        "nn.conv2d_transpose",
        [data((1, 4, 3, 4), "float64"), data((4, 3, 2, 3), "float64")],
        {"strides": 2, "padding": 1, "output_padding": 1, "dilation": 2, "groups": 2},
        lambda x, w: conv_transpose_ref(x, w, 2, (1, 1, 1, 1), 2, 2, 1),
    ),
    # pooling
    *[
        (name, [IMG], {"pool_size": 2}, lambda x, f=f: pool_ref(x, 2, 1, (0,) * 4, f))
        for name, f in [("nn.max_pool2d", max), ("nn.avg_pool2d", sum)]
    ],
    *[
        (
            name,
            [data((1, 2, 5, 6), dt)],
            {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": ceil},
            lambda x, f=f, ceil=ceil: pool_ref(x, 3, 2, (1,) * 4, f, ceil=ceil),
        )
        for name, f in [("nn.max_pool2d", max), ("nn.avg_pool2d", sum)]
        for dt in ["float32", "float64", "int32"]
        for ceil in [False, True]
    ],
    (
        "nn.avg_pool2d",
        [IMG],
        {"pool_size": (2, 2), "padding": (1, 0, 0, 1), "count_include_pad": True},
        lambda x: pool_ref(x, 2, 1, (1, 0, 0, 1), sum, include_pad=True),
    ),
    *[
        (
            "nn.global_avg_pool2d",
            [data((2, 3, 4, 5), dt)],
            {},
            lambda x: x.astype(float).mean(axis=(2, 3), keepdims=True),
        )
        for dt in ["float16", "float32", "float64"]
    ],
    # normalization
    *[
        (
            "nn.layer_norm",
            [data(s, dt), data((s[-1],), dt), data((s[-1],), dt)],
            {},
            lambda x, g, b: norm_ref(x.astype(float), g, b, -1, -1),
        )
        for dt in ["float32", "float64"]
        for s in [(5,), (2, 3), (2, 3, 4)]
    ],
    (
        "nn.layer_norm",
        [data((2, 3)), data((2,)), data((2,))],
        {"axis": 0, "center": False, "scale": False},
        lambda x, g, b: norm_ref(x.astype(float), np.ones(2), np.zeros(2), 0, 0),
    ),
    *[
        (
            "nn.batch_norm",
            [data(s, dt), *(data((s[1],), dt) for _ in range(4))],
            {},
            lambda x, g, b, m, v: batch_norm_ref(x, g, b, m, v),
        )
        for dt in ["float32", "float64"]
        for s in [(4, 3), (2, 3, 2, 2)]
    ],
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_nn_op_against_numpy(case):
    check_case(case)


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.9])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_is_a_pure_function_of_its_key(rate, dtype):
    x = np.ones((40, 50), dtype)
    first = run_op("nn.dropout", [x, np.array(7, "int64")], rate=rate)
    again = run_op("nn.dropout", [x, np.array(7, "int64")], rate=rate)
    other = run_op("nn.dropout", [x, np.array(8, "int64")], rate=rate)
    np.testing.assert_array_equal(first, again)
    kept = first != 0
    np.testing.assert_allclose(first[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs(kept.mean() - (1 - rate)) < 0.05
    assert rate == 0 or (other != first).any()


def test_dropout_accepts_an_int32_key_and_negative_keys():
    x = np.ones(10, "float32")
    out = run_op("nn.dropout", [x, np.array(-3, "int32")], rate=0.5)
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_take_fast_mode_reports_out_of_range_indices():
    with pytest.raises(lg.EvaluationError, match="take"):
        run_op("take", [np.zeros(3, "float32"), np.array([5], "int32")], mode="fast")
