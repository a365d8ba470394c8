"""Gradients of the convolution, pooling and indexing ops (and the helper ops their gradients
use) pass finite-difference checks at first and second order in both AD modes; integer index
inputs get zero gradients."""

import functools

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ops.registry import op_def
from lambdagrad.testing import check_grad, check_jvp

MODES = ("first_order", "higher_order")
HELPER_OPS = ("nn.max_pool2d_grad", "nn.max_pool2d_pick", "nn.avg_pool2d_grad", "gather")


def index(*rows):
    """An int32 index constant."""
    return np.array(rows if len(rows) != 1 else rows[0], dtype="int32")


def case(name, *args, **attrs):
    """``fn(floats) { square(name(args, **attrs)) }``: a shape in `args` is a float parameter,
    an array an index constant. Squaring makes the second-order check non-trivial."""

    def build():
        params = [lg.var(f"x{i}", shape=a) for i, a in enumerate(args) if isinstance(a, tuple)]
        floats = iter(params)
        operands = [next(floats) if isinstance(a, tuple) else lg.const(a) for a in args]
        out = functools.reduce(getattr, name.split("."), lg.op)(*operands, **attrs)
        return lg.Function(params, out * out)

    return build


CONV = {
    "conv2d": case("nn.conv2d", (1, 2, 4, 4), (3, 2, 3, 3)),
    "conv2d_stride_pad": case("nn.conv2d", (1, 2, 5, 5), (3, 2, 3, 3), strides=2, padding=1),
    "conv2d_unreached_rows": case("nn.conv2d", (2, 2, 6, 5), (2, 2, 3, 2), strides=(2, 3)),
    "conv2d_dilation_pad4": case(
        "nn.conv2d", (1, 2, 5, 5), (2, 2, 2, 3), dilation=2, padding=(1, 0, 2, 1)
    ),
    "conv2d_groups": case("nn.conv2d", (2, 4, 4, 4), (4, 2, 2, 2), groups=2, strides=2),
    "conv2d_depthwise": case("nn.conv2d", (1, 3, 5, 5), (3, 1, 3, 3), groups=3, padding=1),
    "conv2d_nhwc_hwio": case(
        "nn.conv2d",
        (1, 5, 5, 4),
        (2, 3, 2, 4),
        data_layout="NHWC",
        kernel_layout="HWIO",
        groups=2,
        strides=2,
        padding=1,
    ),
    "conv2d_nhwc_out_nchw": case(
        "nn.conv2d", (2, 4, 4, 2), (3, 2, 2, 2), data_layout="NHWC", out_layout="NCHW"
    ),
    "conv2d_out_dtype": case("nn.conv2d", (1, 2, 4, 4), (3, 2, 3, 3), out_dtype="float64"),
    "conv2d_backward_weight": case(
        "nn.conv2d_backward_weight", (1, 3, 2, 3), (1, 2, 4, 4), kernel_size=(3, 2)
    ),
    "conv2d_backward_weight_groups_strides": case(
        "nn.conv2d_backward_weight",
        (2, 4, 3, 3),
        (2, 4, 5, 5),
        kernel_size=2,
        strides=2,
        padding=1,
        dilation=(1, 2),
        groups=2,
    ),
    "conv2d_backward_weight_layouts": case(
        "nn.conv2d_backward_weight",
        (1, 3, 3, 2),
        (1, 4, 4, 2),
        kernel_size=(2, 2),
        data_layout="NHWC",
        kernel_layout="NHWC",
        out_layout="HWIO",
    ),
    "conv2d_transpose": case(
        "nn.conv2d_transpose", (1, 3, 3, 3), (3, 2, 3, 3), strides=2, padding=1, output_padding=1
    ),
    "conv2d_transpose_out_dtype": case(
        "nn.conv2d_transpose", (1, 2, 3, 3), (2, 3, 2, 2), strides=2, out_dtype="float64"
    ),
    "conv2d_transpose_groups": case(
        "nn.conv2d_transpose", (1, 4, 3, 3), (4, 1, 2, 2), groups=2, dilation=2, strides=(1, 2)
    ),
}
POOL = {
    "max_pool2d": case("nn.max_pool2d", (1, 2, 4, 4), pool_size=2, strides=2),
    "max_pool2d_overlap_pad": case(
        "nn.max_pool2d", (1, 2, 5, 5), pool_size=3, strides=2, padding=1
    ),
    "max_pool2d_ceil": case("nn.max_pool2d", (2, 1, 5, 5), pool_size=2, strides=2, ceil_mode=True),
    "max_pool2d_dilation": case("nn.max_pool2d", (1, 2, 5, 5), pool_size=2, dilation=2),
    "avg_pool2d": case("nn.avg_pool2d", (1, 2, 4, 4), pool_size=2, strides=2),
    "avg_pool2d_pad": case("nn.avg_pool2d", (1, 2, 4, 5), pool_size=3, padding=1),
    "avg_pool2d_pad_counted": case(
        "nn.avg_pool2d", (1, 2, 4, 5), pool_size=3, padding=(1, 2), count_include_pad=True
    ),
    "avg_pool2d_ceil": case("nn.avg_pool2d", (1, 2, 5, 5), pool_size=2, strides=2, ceil_mode=True),
    "avg_pool2d_ceil_counted": case(
        "nn.avg_pool2d",
        (1, 1, 5, 4),
        pool_size=2,
        strides=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=True,
    ),
    "global_avg_pool2d": case("nn.global_avg_pool2d", (2, 3, 4, 5)),
    "max_pool2d_grad": case(
        "nn.max_pool2d_grad", (1, 2, 2, 2), (1, 2, 5, 5), pool_size=3, strides=2
    ),
    "max_pool2d_pick": case("nn.max_pool2d_pick", (1, 2, 5, 5), (1, 2, 5, 5), pool_size=2),
    "avg_pool2d_grad": case(
        "nn.avg_pool2d_grad", (1, 2, 3, 3), (1, 2, 5, 5), pool_size=3, strides=2, padding=1
    ),
}
INDEXING = {
    "strided_slice": case("strided_slice", (4, 5), begin=(1, 0), end=(3, 5), strides=(1, 2)),
    "strided_slice_negative": case(
        "strided_slice", (4, 5), begin=(-1, 4), end=(-9, 0), strides=(-2, -1)
    ),
    "strided_slice_axes": case("strided_slice", (3, 4, 2), begin=(1,), end=(10,), axes=(1,)),
    "strided_slice_size": case(
        "strided_slice", (4, 5), begin=(1, -3), end=(2, -1), strides=(3, 3), slice_mode="size"
    ),
    "strided_slice_size_axes": case(
        "strided_slice", (3, 4, 2), begin=(-1,), end=(1,), axes=(0,), slice_mode="size"
    ),
    "strided_set": case("strided_set", (4, 5), (2, 3), begin=(0, 1), end=(4, 4), strides=(2, 1)),
    "strided_set_broadcast": case(
        "strided_set", (4, 5), (1,), begin=(3, 4), end=(0, 0), strides=(-1, -2)
    ),
    "take_flat_fast": case("take", (3, 4), index([0, 11], [-1, 5]), axis=None, mode="fast"),
    "take_axis_clip": case("take", (3, 4), index([7, -2, 1, 1]), axis=1, mode="clip"),
    "take_axis_wrap": case("take", (3, 4), index([[4, -1], [0, 0]]), axis=0, mode="wrap"),
    "take_last_axis_fast": case("take", (2, 3, 4), index([-4, 3, 3]), axis=-1, mode="fast"),
    "gather_nd": case("gather_nd", (3, 4), index([0, 2, 2], [1, 3, 3])),
    "gather_nd_rows": case("gather_nd", (3, 4, 2), index([[2, 0], [2, 1]])),
    "scatter_add": case("scatter_add", (3, 4), index([[0, 2, 2, 1]]), (1, 4), axis=0),
    "scatter_add_axis1": case("scatter_add", (2, 3), index([1, 1], [0, 2]), (2, 2), axis=1),
    "gather": case("gather", (3, 4), index([2, 0, 2], [1, 1, 0]), axis=0),
    "gather_axis1": case("gather", (2, 3), index([2, 2, 0, 1], [1, 0, 0, 0]), axis=1),
    "scatter_nd_add": case("scatter_nd", (3, 4), index([0, 2, 0], [1, 3, 1]), (3,), mode="add"),
    "scatter_nd_update": case("scatter_nd", (3, 4), index([0, 2], [1, 3]), (2,)),
    "scatter_nd_update_duplicates": case(
        "scatter_nd", (3, 4), index([0, 2, 0], [1, 3, 1]), (3,), mode="update"
    ),
    "scatter_nd_update_rows": case("scatter_nd", (3, 2), index([[2, 0, 2]]), (3, 2)),
}
CASES = {**CONV, **POOL, **INDEXING}


# Every mode and order on the interpreter; compiled code on second-order higher-order AD.
CHECKS = [(mode, order, "debug") for mode in MODES for order in (1, 2)]
CHECKS.append(("higher_order", 2, "compiled"))


@pytest.mark.parametrize(("mode", "order", "executor"), CHECKS)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_gradient_matches_finite_differences(build, mode, order, executor):
    check_grad(build(), mode=mode, order=order, executor=executor)


TAKES = {
    "take": (lambda x, i: lg.op.take(x, i, axis=1, mode="wrap"), (3, 4), [[5, -1]]),
    "gather_nd": (lg.op.gather_nd, (3, 4), [[0, 2], [1, 1]]),
    "gather": (lambda x, i: lg.op.gather(x, i, axis=1), (3, 4), [[0], [3], [3]]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("build", "shape", "indices"), TAKES.values(), ids=TAKES.keys())
def test_index_inputs_get_zero_gradients(build, shape, indices, mode, executor_kind):
    indices = np.array(indices, dtype="int32")
    x, i = lg.var("x", shape=shape), lg.var("i", shape=indices.shape, dtype="int32")
    with pytest.warns(lg.ZeroGradientWarning, match="parameter %i has type"):
        grad = lg.transform.gradient(lg.Function([x, i], build(x, i)), mode=mode)
    data = np.random.default_rng(0).standard_normal(shape).astype("float32")
    out, (dx, di) = lg.create_executor(executor_kind).evaluate(grad)(data, indices)
    assert di.dtype == np.int32 and di.shape == indices.shape and not di.any()
    assert dx.sum() == out.size


@pytest.mark.parametrize("executor", ["debug", "compiled"])
@pytest.mark.parametrize("name", ["strided_slice_size", "strided_slice_size_axes"])
def test_forward_rule_of_slices_by_size(name, executor):
    check_jvp(INDEXING[name](), executor=executor)


RELAY_CONV = [name for name in CONV if any(part in name for part in ("nhwc", "dtype", "backward"))]


@pytest.mark.parametrize("executor", ["debug", "compiled"])
@pytest.mark.parametrize("name", RELAY_CONV)
def test_forward_rule_of_convolutions_in_relays_layouts(name, executor):
    check_jvp(CONV[name](), executor=executor)


BACKWARD_WEIGHT_ATTRS = [
    {},
    {"strides": (2, 1), "padding": (1, 0, 2, 1), "dilation": (1, 2), "groups": 2},
    {"strides": 2, "padding": 1, "groups": 4, "channels": 8},
]


@pytest.mark.parametrize("attrs", BACKWARD_WEIGHT_ATTRS)
def test_conv2d_backward_weight_is_conv2ds_weight_gradient(attrs, executor_kind):
    rng = np.random.default_rng(0)
    x, w = (
        lg.var("x", shape=(2, 4, 6, 5)),
        lg.var("w", shape=(8, 4 // attrs.get("groups", 1), 3, 2)),
    )
    conv = lg.Function([x, w], lg.op.nn.conv2d(x, w, **attrs))
    out_shape = lg.transform.infer_type(conv).checked_type.ret_type.shape
    g = lg.var("g", shape=out_shape)
    weight_grad = lg.op.nn.conv2d_backward_weight(g, x, kernel_size=(3, 2), **attrs)
    shapes = (v.type_annotation.shape for v in (x, w, g))
    data, weight, cotangent = (rng.standard_normal(s).astype("float32") for s in shapes)
    run = lg.create_executor(executor_kind).evaluate
    _, (_, expected) = run(lg.transform.vjp(conv))(data, weight, cotangent)
    np.testing.assert_allclose(
        run(lg.Function([g, x], weight_grad))(cotangent, data), expected, rtol=1e-5, atol=1e-5
    )


UNKNOWN_LENGTH_TAKES = {
    "flat": ("take(%x, %i)", (5,), "?", [0, 3, 3, -1, 7]),
    "axis_wrap": ('take(%x, %i, axis=1, mode="wrap")', (3, 4), "?, 2", [[0, 5], [-1, 2], [3, 3]]),
}


@pytest.mark.parametrize("executor", ["debug", "compiled"])
@pytest.mark.parametrize(
    ("body", "shape", "index_shape", "indices"),
    UNKNOWN_LENGTH_TAKES.values(),
    ids=UNKNOWN_LENGTH_TAKES.keys(),
)
def test_take_gradient_needs_no_static_index_length(body, shape, index_shape, indices, executor):
    dims = ", ".join(map(str, shape))
    func = lg.parse_expr(
        f"fn (%x: Tensor[({dims}), float32], %i: Tensor[({index_shape}), int32]) {{ {body} }}"
    )
    inputs = [np.random.default_rng(0).standard_normal(shape), np.array(indices, dtype="int32")]
    for mode in MODES:
        check_grad(func, inputs, mode=mode, order=2, executor=executor)
    check_jvp(func, inputs, executor=executor)


@pytest.mark.parametrize("mode", MODES)
def test_scatter_index_inputs_get_zero_gradients(mode, executor_kind):
    x, u = lg.var("x", shape=(3, 4)), lg.var("u", shape=(1, 4))
    i = lg.var("i", shape=(1, 4), dtype="int32")
    func = lg.Function([x, i, u], lg.op.scatter_add(x, i, u, axis=0))
    with pytest.warns(lg.ZeroGradientWarning, match="parameter %i has type"):
        grad = lg.transform.gradient(func, mode=mode)
    indices = np.array([[0, 2, 2, 1]], dtype="int32")
    _, (dx, di, du) = lg.create_executor(executor_kind).evaluate(grad)(
        np.zeros((3, 4), "float32"), indices, np.ones((1, 4), "float32")
    )
    assert not di.any() and di.shape == (1, 4)
    np.testing.assert_array_equal(dx, np.ones((3, 4)))
    np.testing.assert_array_equal(du, np.ones((1, 4)))


def test_max_pool_ties_send_the_gradient_to_the_first_maximum(executor_kind):
    x = lg.var("x", shape=(1, 1, 2, 4))
    grad = lg.transform.gradient(lg.Function([x], lg.op.nn.max_pool2d(x, pool_size=2, strides=2)))
    data = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0]]]], dtype="float32")
    _, (dx,) = lg.create_executor(executor_kind).evaluate(grad)(data)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 0, 1], [0, 0, 0, 0]])


def test_scatter_nd_update_gradient_masks_overwritten_positions(executor_kind):
    x, u = lg.var("x", shape=(3,)), lg.var("u", shape=(3,))
    indices = lg.const(np.array([[1, 2, 1]], dtype="int32"))
    grad = lg.transform.gradient(lg.Function([x, u], lg.op.scatter_nd(x, indices, u)))
    _, (dx, du) = lg.create_executor(executor_kind).evaluate(grad)(
        np.zeros(3, "float32"), np.ones(3, "float32")
    )
    np.testing.assert_array_equal(dx, [1, 0, 0])
    np.testing.assert_array_equal(du, [0, 1, 1])


@pytest.mark.parametrize("name", HELPER_OPS)
def test_helper_ops_have_an_implementation_a_type_relation_and_a_gradient(name):
    definition = op_def(name)
    assert definition.impl is not None
    assert definition.type_rel is not None
    assert definition.gradient is not None


@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_gradients_only_use_ops_with_gradients(build):
    """Closure under differentiation, in the first- and second-order gradient programs."""
    func = build()
    grad = lg.transform.gradient(func, mode="first_order")
    params = [lg.var(p.name_hint, p.type_annotation) for p in func.params]
    second = lg.transform.gradient(
        lg.Function(params, lg.TupleGetItem(lg.Call(grad, params), 1)), mode="first_order"
    )
    used = {**lg.analysis.count_ops(grad), **lg.analysis.count_ops(second)}
    assert not [name for name in used if op_def(name).gradient is None]


T = lg.TensorType
RELATION_ERRORS = [
    ("nn.max_pool2d_grad", [T((1, 2, 3, 3)), T((1, 2, 5, 5))], {"pool_size": 2}, "pooled shape"),
    ("nn.avg_pool2d_grad", [T((1, 2, 2, 2)), T((1, 2, 4))], {}, "4-d"),
    ("nn.max_pool2d_pick", [T((1, 2, 5, 5)), T((1, 2, 5, 4))], {}, r"\(1, 2, 5, 4\)"),
    ("gather", [T((3, 4)), T((2, 5), "int32")], {"axis": 0}, "fit it off axis 0"),
    ("gather", [T((3, 4)), T((2, 4))], {}, "integer"),
]


@pytest.mark.parametrize(("name", "types", "attrs", "fragment"), RELATION_ERRORS)
def test_helper_op_relations_name_the_bad_argument(name, types, attrs, fragment):
    params = [lg.var(f"a{i}", t) for i, t in enumerate(types)]
    body = functools.reduce(getattr, name.split("."), lg.op)(*params, **attrs)
    with pytest.raises(lg.TypeInferenceError, match=fragment):
        lg.transform.infer_type(lg.Function(params, body))
