"""Type relations of the ops added with the operator library: good and bad shapes."""

import pytest

import lambdagrad as lg


def T(*shape, dtype="float32"):
    return lg.TensorType(shape, dtype)


def infer_call(name, arg_types, **attrs):
    args = [lg.var(f"a{i}", t) for i, t in enumerate(arg_types)]
    return lg.transform.infer_type(lg.ops.make_call(name, args, attrs)).checked_type


I32, I64 = "int32", "int64"
GOOD = [
    ("floor_mod", [T(3, 1, dtype=I32), T(4, dtype=I32)], {}, T(3, 4, dtype=I32)),
    ("nn.conv2d", [T(2, 3, 8, 8), T(4, 3, 3, 3)], {}, T(2, 4, 6, 6)),
    (
        "nn.conv2d",
        [T(1, 4, 7, 9), T(6, 2, 3, 3)],
        {"strides": 2, "padding": 1, "groups": 2},
        T(1, 6, 4, 5),
    ),
    (
        "nn.conv2d",
        [T(1, 1, 7, 7), T(1, 1, 3, 3)],
        {"dilation": 2, "padding": (1, 0, 0, 1)},
        T(1, 1, 4, 4),
    ),
    ("nn.conv2d", [T(None, 3, 8, None), T(4, 3, 3, 3)], {}, T(None, 4, 6, None)),
    ("nn.conv2d_transpose", [T(1, 4, 3, 3), T(4, 2, 3, 3)], {}, T(1, 2, 5, 5)),
    (
        "nn.conv2d_transpose",
        [T(1, 4, 3, 3), T(4, 2, 3, 3)],
        {"strides": 2, "padding": 1, "output_padding": 1, "groups": 2},
        T(1, 4, 6, 6),
    ),
    ("nn.max_pool2d", [T(1, 2, 6, 6)], {"pool_size": 2, "strides": 2}, T(1, 2, 3, 3)),
    (
        "nn.max_pool2d",
        [T(1, 2, 5, 5)],
        {"pool_size": 2, "strides": 2, "ceil_mode": True},
        T(1, 2, 3, 3),
    ),
    ("nn.avg_pool2d", [T(1, 2, 5, 5)], {"pool_size": 3, "padding": 1}, T(1, 2, 5, 5)),
    ("nn.global_avg_pool2d", [T(2, 3, 4, 5, dtype="float64")], {}, T(2, 3, 1, 1, dtype="float64")),
    ("nn.layer_norm", [T(2, 5), T(5), T(5)], {}, T(2, 5)),
    (
        "nn.batch_norm",
        [T(4, 3, 2), T(3), T(3), T(3), T(3)],
        {},
        lg.TupleType((T(4, 3, 2), T(3), T(3))),
    ),
    ("nn.dropout", [T(3, 4), T(dtype=I64)], {"rate": 0.2}, T(3, 4)),
    ("gather_nd", [T(3, 4, 5), T(2, 7, dtype=I32)], {}, T(7, 5)),
    ("scatter_add", [T(3, 4), T(2, 4, dtype=I64), T(2, 4)], {"axis": 0}, T(3, 4)),
    ("scatter_nd", [T(3, 4), T(1, 6, dtype=I32), T(6, 4)], {"mode": "add"}, T(3, 4)),
    ("strided_set", [T(5, 4), T(4)], {"begin": (0,), "end": (5,), "strides": (2,)}, T(5, 4)),
    (
        "strided_slice",
        [T(5, 4)],
        {"begin": (3,), "end": (0,), "strides": (-1,), "axes": (1,)},
        T(5, 3),
    ),
    ("take", [T(5, 4), T(2, dtype=I32)], {"axis": -1, "mode": "wrap"}, T(5, 2)),
    ("cumsum", [T(2, 3, dtype="bool")], {"dtype": "int32"}, T(6, dtype=I32)),
    ("full", [T(dtype=I64)], {"shape": (2,)}, T(2, dtype=I64)),
    ("pad", [T(2)], {"pad_width": ((1, 2),)}, T(5)),
]

BAD = [
    ("nn.conv2d", [T(2, 3, 8), T(4, 3, 3, 3)], {}, ["argument 0", "4-d", "(2, 3, 8)"]),
    (
        "nn.conv2d",
        [T(2, 3, 8, 8), T(4, 2, 3, 3)],
        {},
        ["argument 0", "(2, 3, 8, 8)", "(4, 2, 3, 3)"],
    ),
    ("nn.conv2d", [T(2, 3, 2, 2), T(4, 3, 3, 3)], {}, ["argument 0", "(2, 3, 2, 2)", "window"]),
    ("nn.conv2d", [T(2, 3, 8, 8), T(4, 3, 3, 3)], {"padding": (1, 2, 3)}, ["padding (1, 2, 3)"]),
    ("nn.conv2d", [T(2, 3, 8, 8), T(4, 3, 3, 3, dtype="float64")], {}, ["argument 1", "float64"]),
    ("nn.conv2d", [T(2, 3, 8, 8), T(4, 3, 3, 3)], {"channels": 5}, ["channels=5"]),
    ("nn.conv2d_transpose", [T(1, 4, 3, 3), T(3, 2, 3, 3)], {}, ["(1, 4, 3, 3)", "(3, 2, 3, 3)"]),
    (
        "nn.conv2d_transpose",
        [T(1, 4, 3, 3), T(4, 2, 3, 3)],
        {"output_padding": 1},
        ["output_padding"],
    ),
    ("nn.max_pool2d", [T(1, 2, 2, 2)], {"pool_size": 3}, ["argument 0", "(1, 2, 2, 2)"]),
    ("nn.avg_pool2d", [T(2, 2)], {"pool_size": 1}, ["argument 0", "4-d", "(2, 2)"]),
    ("nn.global_avg_pool2d", [T(2, 3, 4)], {}, ["argument 0", "(2, 3, 4)"]),
    ("nn.layer_norm", [T(2, 5), T(4), T(5)], {}, ["argument 1", "(4,)", "(2, 5)"]),
    ("nn.batch_norm", [T(4, 3), T(3), T(3), T(2), T(3)], {}, ["argument 3", "(2,)", "(4, 3)"]),
    ("nn.dropout", [T(3), T(2, dtype=I64)], {}, ["argument 1", "scalar", "(2,)"]),
    ("nn.dropout", [T(3), T()], {}, ["argument 1", "integer", "float32"]),
    ("nn.dropout", [T(3), T(dtype=I64)], {"rate": 1.0}, ["rate"]),
    ("gather_nd", [T(3, 4), T(3, 2, dtype=I32)], {}, ["argument 1", "(3, 2)", "(3, 4)"]),
    ("gather_nd", [T(3, 4), T(2, 2)], {}, ["argument 1", "integer"]),
    ("scatter_add", [T(3, 4), T(2, 4, dtype=I64), T(2, 3)], {}, ["(2, 4)", "(2, 3)", "(3, 4)"]),
    ("scatter_nd", [T(3, 4), T(1, 6, dtype=I32), T(6, 3)], {}, ["argument 2", "(6, 3)", "(6, 4)"]),
    (
        "strided_set",
        [T(5, 4), T(3)],
        {"begin": (0,), "end": (5,), "strides": (2,)},
        ["argument 1", "(3,)", "(3, 4)"],
    ),
    ("take", [T(5), T(2, dtype=I32)], {"axis": 0, "batch_dims": 1}, ["batch_dims"]),
    ("exp", [T(3, dtype=I32)], {}, ["argument 0", "floating-point", "int32"]),
    ("add", [T(3, dtype="bool"), T(3, dtype="bool")], {}, ["argument 0", "bool"]),
    ("nn.softmax", [T(3, dtype=I64)], {}, ["argument 0", "int64"]),
    ("nn.cross_entropy", [T(), T()], {}, ["argument 0", "rank 1"]),
    ("sum", [T(3, dtype="bool")], {}, ["argument 0", "bool"]),
]


@pytest.mark.parametrize(("name", "args", "attrs", "expected"), GOOD, ids=lambda v: str(v)[:40])
def test_relation_infers_result_type(name, args, attrs, expected):
    assert infer_call(name, args, **attrs) == expected


@pytest.mark.parametrize(("name", "args", "attrs", "fragments"), BAD, ids=lambda v: str(v)[:40])
def test_relation_rejects_bad_shapes(name, args, attrs, fragments):
    with pytest.raises(lg.TypeInferenceError) as info:
        infer_call(name, args, **attrs)
    message = str(info.value)
    assert message.startswith(name + ":")
    for fragment in fragments:
        assert fragment in message
