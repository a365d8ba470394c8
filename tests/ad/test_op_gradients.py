"""Every differentiable op of the elementwise, reduction, shape, creation and nn families
passes a finite-difference check at first and second order in both AD modes (third order for
elementwise ops), higher-order AD on both executors, and gradients only use ops that have
gradients themselves."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ops.registry import all_op_defs
from lambdagrad.testing import check_grad


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def away_from_zero(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)


def spread(*shape):
    """Distinct values (no ties), for max/min/maximum."""
    return lambda rng: rng.permutation(np.prod(shape, dtype=int)).reshape(shape) * 0.37 - 1.0


class Case:
    """An op applied to parameters of the given shapes, with a generator per parameter."""

    def __init__(self, name, build, *inputs, dtypes=None):
        self.name, self.build, self.inputs = name, build, inputs
        self.dtypes = dtypes or ["float32"] * len(inputs)

    def function(self, rng):
        values = [make(rng) for make in self.inputs]
        params = [
            lg.var(f"x{i}", shape=np.shape(v), dtype=d)
            for i, (v, d) in enumerate(zip(values, self.dtypes, strict=True))
        ]
        arrays = [np.asarray(v, dtype=d) for v, d in zip(values, self.dtypes, strict=True)]
        return lg.Function(params, self.build(*params)), arrays


def one_hots(indices, on, off):
    """one_hot in the dtype of the parameter `off` (the float64 runs of these cases change it)."""
    return op.one_hot(indices, on, off, depth=4, axis=0, dtype=off.type_annotation.dtype)


op = lg.op
UNARY = [
    Case("negative", op.negative, normal(3, 4)),
    Case("abs", op.abs, away_from_zero(3, 4)),
    Case("exp", op.exp, normal(3)),
    Case("log", op.log, uniform(0.5, 2, 3)),
    Case("log2", op.log2, uniform(0.5, 2, 3)),
    Case("log10", op.log10, uniform(0.5, 2, 3)),
    Case("sqrt", op.sqrt, uniform(0.5, 2, 3)),
    Case("rsqrt", op.rsqrt, uniform(0.5, 2, 3)),
    Case("sigmoid", op.sigmoid, normal(3)),
    Case("tanh", op.tanh, normal(2, 3)),
    Case("sin", op.sin, normal(3)),
    Case("cos", op.cos, normal(3)),
    Case("tan", op.tan, uniform(-1, 1, 3)),
    Case("sinh", op.sinh, normal(3)),
    Case("cosh", op.cosh, normal(3)),
    Case("asin", op.asin, uniform(-0.8, 0.8, 3)),
    Case("acos", op.acos, uniform(-0.8, 0.8, 3)),
    Case("atan", op.atan, normal(3)),
    Case("asinh", op.asinh, normal(3)),
    Case("acosh", op.acosh, uniform(1.5, 3, 3)),
    Case("atanh", op.atanh, uniform(-0.8, 0.8, 3)),
    Case("erf", op.erf, normal(3)),
    Case("relu", op.nn.relu, away_from_zero(3, 2)),
    Case(
        "clip",
        lambda x: op.clip(x, a_min=-0.5, a_max=0.5),
        lambda rng: np.array([-0.9, -0.2, 0.3, 0.8]),
    ),
    Case("copy", op.copy, normal(2)),
    Case("cast", lambda x: op.cast(x, dtype="float64") * op.cast(x, dtype="float64"), normal(3)),
    Case("checkpoint", lambda x: op.annotation.checkpoint(op.tanh(x)), normal(3)),
]
BINARY = [
    Case("add", op.add, normal(3, 4), normal(4)),
    Case("subtract", op.subtract, normal(3, 1), normal(1, 4)),
    Case("multiply", op.multiply, normal(3, 4), normal(3, 4)),
    Case("divide", op.divide, normal(3, 4), away_from_zero(4)),
    Case("power", op.power, uniform(0.5, 2, 3), normal(3)),
    Case("maximum", op.maximum, spread(3, 4), spread(4)),
    Case("minimum", op.minimum, spread(3, 4), spread(4)),
    Case(
        "mod",
        op.mod,
        lambda rng: np.array([2.3, -2.3, 5.6]),
        lambda rng: np.array([1.5, 1.5, -2.5]),
    ),
    Case(
        "floor_mod",
        op.floor_mod,
        lambda rng: np.array([2.3, -2.3, 5.6]),
        lambda rng: np.array([1.5, 1.5, -2.5]),
    ),
    Case("where", lambda x, y: op.where(op.greater(x, y), x * y, x - y), normal(3, 4), normal(4)),
    Case(
        "where_int_condition",
        lambda c, x, y: op.where(c, x * y, x - y),
        lambda rng: rng.integers(-1, 2, (3, 4)),
        normal(3, 4),
        normal(4),
        dtypes=["int32", "float32", "float32"],
    ),
    Case(
        "cast_like",
        lambda x, y: op.cast_like(x, y) * y,
        normal(3),
        normal(3),
        dtypes=["float32", "float64"],
    ),
    Case("full_like", lambda x, v: op.full_like(x, v) * x, normal(3), normal()),
]
REDUCE = [
    Case("sum", lambda x: op.sum(x * x), normal(3, 4)),
    Case("sum_axis", lambda x: op.sum(x * x, axis=1), normal(3, 4)),
    Case("sum_keepdims", lambda x: op.sum(x * x, axis=[0, 2], keepdims=True), normal(2, 3, 2)),
    Case("sum_exclude", lambda x: op.sum(x * x, axis=1, exclude=True), normal(2, 3, 2)),
    Case("mean", lambda x: op.mean(x * x, axis=-1), normal(3, 4)),
    Case("variance", lambda x: op.variance(x, axis=1), normal(3, 4)),
    Case(
        "variance_unbiased",
        lambda x: op.variance(x, axis=0, unbiased=True, keepdims=True),
        normal(3, 4),
    ),
    Case("max", lambda x: op.max(x, axis=1), spread(3, 4)),
    Case("min", lambda x: op.min(x), spread(3, 4)),
    Case("prod", lambda x: op.prod(x, axis=0), away_from_zero(3, 2)),
    Case("logsumexp", lambda x: op.logsumexp(x, axis=1), normal(3, 4)),
]
SHAPE = [
    Case(
        "reshape",
        lambda x: op.reshape(x, newshape=[-1, 2]) * op.reshape(x, newshape=[-1, 2]),
        normal(2, 3, 2),
    ),
    Case("reshape_like", lambda x, y: op.reshape_like(x, y) * y, normal(6), normal(2, 3)),
    Case(
        "reverse_reshape",
        lambda x: op.reverse_reshape(x * x, newshape=[0, -1]) * op.reshape(x, newshape=[3, 4]),
        normal(2, 3, 2),
    ),
    Case(
        "transpose",
        lambda x: op.transpose(x, axes=[1, 2, 0]) * op.transpose(x, axes=[1, 2, 0]),
        normal(2, 3, 4),
    ),
    Case("transpose_default", lambda x: op.transpose(x) * op.transpose(x), normal(2, 3)),
    Case("squeeze", lambda x: op.squeeze(x, axis=[1]) * op.squeeze(x, axis=[1]), normal(3, 1, 2)),
    Case(
        "expand_dims", lambda x: op.expand_dims(x, axis=1) * op.expand_dims(x, axis=1), normal(3, 2)
    ),
    Case("broadcast_to", lambda x: op.broadcast_to(x * x, shape=[3, 4]), normal(1, 4)),
    Case(
        "broadcast_to_like",
        lambda x, y: op.broadcast_to_like(x * x, y) * y,
        normal(4),
        normal(3, 4),
    ),
    Case(
        "collapse_sum_like",
        lambda x, y: op.collapse_sum_like(x * x, y) * y,
        normal(3, 4),
        normal(4),
    ),
    Case("collapse_sum_to", lambda x: op.collapse_sum_to(x * x, shape=[3, 1]), normal(3, 4)),
    Case(
        "concatenate",
        lambda x, y: op.concatenate(lg.Tuple([x, y * y]), axis=1),
        normal(2, 3),
        normal(2, 2),
    ),
    Case("stack", lambda x, y: op.stack(lg.Tuple([x * y, y]), axis=1), normal(2, 3), normal(2, 3)),
    Case(
        "split_sections",
        lambda x: lg.TupleGetItem(op.split(x * x, indices_or_sections=2, axis=1), 1),
        normal(2, 4),
    ),
    Case(
        "split_indices", lambda x: op.split(x * x, indices_or_sections=[1, 3], axis=0), normal(4, 2)
    ),
    Case("repeat", lambda x: op.repeat(x * x, repeats=2, axis=1), normal(2, 3)),
    Case("tile", lambda x: op.tile(x * x, reps=[2, 1, 3]), normal(2, 3)),
    Case("reverse", lambda x: op.reverse(x, axis=1) * x, normal(2, 3)),
    Case("batch_flatten", lambda x: op.nn.batch_flatten(x * x), normal(2, 3, 2)),
    Case("cumsum", lambda x: op.cumsum(x * x, axis=1), normal(2, 3)),
    Case("cumsum_flat_exclusive", lambda x: op.cumsum(x * x, exclusive=True), normal(2, 3)),
    Case(
        "pad_constant",
        lambda x: op.nn.pad(x * x, pad_width=[[1, 0], [2, 1]], pad_value=1.0),
        normal(2, 3),
    ),
    Case(
        "pad_edge",
        lambda x: op.nn.pad(x * x, pad_width=[[1, 2], [0, 1]], pad_mode="edge"),
        normal(2, 3),
    ),
    Case(
        "pad_reflect",
        lambda x: op.nn.pad(x * x, pad_width=[[1, 1], [2, 1]], pad_mode="reflect"),
        normal(3, 4),
    ),
    Case("full", lambda v: op.full(v * v, shape=[2, 3]), normal()),
    Case(
        "arange",
        lambda start, stop, step: (
            op.arange(start * start, stop, step) * op.arange(start, stop, step)
        ),
        lambda rng: 0.9,
        lambda rng: 4.2,
        lambda rng: 0.45,
    ),
    Case("arange_stop", lambda stop: op.arange(stop) * op.arange(stop), lambda rng: 3.4),
    Case(
        "one_hot",
        lambda i, on, off: one_hots(i, on * off, off) * one_hots(i, on, on),
        lambda rng: [[0, 3, 5], [-1, 2, 2]],
        normal(),
        normal(),
        dtypes=["int32", "float32", "float32"],
    ),
]
NN = [
    Case("dense", op.nn.dense, normal(3, 4), normal(5, 4)),
    Case("dense_3d", op.nn.dense, normal(2, 3, 4), normal(5, 4)),
    Case("matmul", op.nn.matmul, normal(3, 4), normal(4, 2)),
    Case(
        "matmul_ta", lambda a, b: op.nn.matmul(a, b, transpose_a=True), normal(4, 3), normal(4, 2)
    ),
    Case(
        "matmul_tb", lambda a, b: op.nn.matmul(a, b, transpose_b=True), normal(3, 4), normal(2, 4)
    ),
    Case(
        "matmul_tatb",
        lambda a, b: op.nn.matmul(a, b, transpose_a=True, transpose_b=True),
        normal(4, 3),
        normal(2, 4),
    ),
    Case("batch_matmul", op.nn.batch_matmul, normal(2, 3, 4), normal(2, 5, 4)),
    Case(
        "batch_matmul_nt",
        lambda a, b: op.nn.batch_matmul(a, b, transpose_b=False),
        normal(2, 3, 4),
        normal(1, 4, 5),
    ),
    Case("bias_add", op.nn.bias_add, normal(2, 3, 2), normal(3)),
    Case("softmax", lambda x: op.nn.softmax(x) * x, normal(3, 4)),
    Case("log_softmax", lambda x: op.nn.log_softmax(x, axis=0) * x, normal(3, 4)),
    Case(
        "cross_entropy",
        lambda p, t: op.nn.cross_entropy(op.nn.softmax(p), t),
        normal(3, 4),
        uniform(0, 1, 3, 4),
    ),
    Case("cross_entropy_with_logits", op.nn.cross_entropy_with_logits, normal(3, 4), normal(3, 4)),
    Case("layer_norm", op.nn.layer_norm, normal(3, 4), normal(4), normal(4)),
    Case(
        "layer_norm_axis0",
        lambda x, g, b: op.nn.layer_norm(x, g, b, axis=0, center=False),
        normal(3, 4),
        normal(3),
        normal(3),
    ),
    Case(
        "batch_norm",
        lambda x, g, b, m, v: op.nn.batch_norm(x, g, b, m, v),
        normal(4, 3, 2),
        normal(3),
        normal(3),
        normal(3),
        uniform(0.5, 1, 3),
    ),
    Case(
        "dropout",
        lambda x, k: op.nn.dropout(x * x, k, rate=0.3),
        normal(4, 5),
        lambda rng: 7,
        dtypes=["float32", "int64"],
    ),
]
CASES = UNARY + BINARY + REDUCE + SHAPE + NN


# Both modes on the interpreter; the compiled executor (which runs the same ops, see
# tests/runtime/test_compiled.py) on the higher-order gradients, which use refs and closures.
MODES_AND_EXECUTORS = [
    ("first_order", "debug"),
    ("higher_order", "debug"),
    ("higher_order", "compiled"),
]


@pytest.mark.parametrize(("mode", "executor"), MODES_AND_EXECUTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_first_and_second_order(case, mode, executor):
    func, inputs = case.function(np.random.default_rng(0))
    check_grad(func, inputs, mode=mode, order=2, executor=executor)


@pytest.mark.parametrize("case", UNARY + BINARY, ids=lambda c: c.name)
def test_third_order_of_elementwise_ops(case):
    func, inputs = case.function(np.random.default_rng(1))
    check_grad(func, inputs, mode="first_order", order=3, rtol=1e-2)


def test_every_op_has_a_gradient_or_is_marked_non_differentiable():
    missing = [d.op.name for d in all_op_defs() if d.gradient is None]
    assert not missing, missing


def test_gradients_only_use_ops_with_gradients():
    """Closure under differentiation: scan the gradient programs of every case."""
    for case in CASES:
        func, _ = case.function(np.random.default_rng(0))
        grad = lg.transform.gradient(func, mode="first_order")
        used = lg.analysis.count_ops(grad)
        lacking = [name for name in used if lg.ops.op_def(name).gradient is None]
        assert not lacking, (case.name, lacking)


def test_a_gradient_that_needs_static_shapes_says_so():
    x, i = lg.var("x", shape=(None, 3)), lg.var("i", shape=(2,), dtype="int32")
    f = lg.Function([x, i], lg.op.sum(lg.op.take(x, i, axis=0)))
    with pytest.raises(lg.GradientError, match="the gradient of take needs known shapes"):
        lg.transform.gradient(f, mode="first_order")


# Relay v0.19's own gradient tests of issue 16's ops (test_op_grad_level3/10), restated.


@pytest.mark.parametrize("executor", ["debug", "compiled"])
@pytest.mark.parametrize(
    ("index_dtype", "value_dtype"), [("int32", "float32"), ("int64", "float64")]
)
def test_relays_one_hot_gradient(index_dtype, value_dtype, executor):
    rng = np.random.default_rng(0)
    i = lg.var("indices", shape=(3, 4), dtype=index_dtype)
    on, off = (lg.var(name, shape=(), dtype=value_dtype) for name in ("on_val", "off_val"))
    func = lg.Function([i, on, off], op.one_hot(i, on, off, 5, -1, value_dtype))
    values = [rng.integers(5, size=(3, 4)).astype(index_dtype)]
    values += [np.array(rng.standard_normal() * 1e-5, dtype=value_dtype) for _ in range(2)]
    check_grad(func, values, executor=executor)


@pytest.mark.parametrize("executor", ["debug", "compiled"])
def test_relays_arange_gradient(executor):
    start, stop, step = (lg.var(name, shape=(), dtype="float64") for name in ("a", "b", "c"))
    func = lg.Function([start, stop, step], op.arange(start, stop, step, "float64"))
    check_grad(func, [np.array(v) for v in (2.5, 9.5, 1.8)], executor=executor)


@pytest.mark.parametrize("build", [op.zeros, op.ones])
def test_relays_zeros_and_ones_gradients(build, executor_kind):
    shape = lg.var("shape_data", shape=(3,), dtype="int32")
    grad = lg.transform.gradient(lg.Function([shape], build(shape, "float32")))
    constant = lg.const(np.array([2, 3, 4], "int32")) * lg.const(np.int32(1))
    dynamic = lg.transform.gradient(lg.Function([], build(constant, "float32")))
    assert str(lg.transform.infer_type(dynamic).checked_type) == (
        "fn () -> (Tensor[(?, ?, ?), float32], ())"
    )
    result, (zeros,) = lg.create_executor(executor_kind).evaluate(grad)(
        np.array([2, 1, 3], "int32")
    )
    assert result.shape == (2, 1, 3) and zeros.dtype == np.int32 and not zeros.any()
