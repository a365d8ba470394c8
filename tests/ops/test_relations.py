"""Type relations of the ops, through type inference: the result type of good arguments, and
for bad ones an error that names the op, the argument and the shapes."""

import pytest

import lambdagrad as lg


def T(*shape, dtype="float32"):
    return lg.TensorType(shape, dtype)


def infer_call(name, arg_types, **attrs):
    args = [lg.var(f"a{i}", t) for i, t in enumerate(arg_types)]
    return lg.transform.infer_type(lg.ops.make_call(name, args, attrs)).checked_type


I32, I64 = "int32", "int64"
UNARY = [
    "negative",
    "abs",
    "sign",
    "exp",
    "log",
    "log2",
    "log10",
    "sqrt",
    "rsqrt",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "erf",
    "floor",
    "ceil",
    "round",
    "nn.relu",
    "copy",
    "zeros_like",
    "ones_like",
]
BINARY = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "maximum",
    "minimum",
    "floor_divide",
    "mod",
]
COMPARE = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
REDUCE = ["sum", "mean", "variance", "max", "min", "prod", "logsumexp"]

GOOD = [
    *[(name, [T(2, 3)], {}, T(2, 3)) for name in UNARY],
    *[(name, [T(3, 1), T(4)], {}, T(3, 4)) for name in BINARY],
    *[(name, [T(None, 1), T(1, 5)], {}, T(None, 5, dtype="bool")) for name in COMPARE],
    ("logical_and", [T(2, dtype="bool"), T(dtype="bool")], {}, T(2, dtype="bool")),
    ("logical_or", [T(dtype="bool"), T(3, dtype="bool")], {}, T(3, dtype="bool")),
    ("logical_not", [T(3, dtype="bool")], {}, T(3, dtype="bool")),
    ("clip", [T(4)], {"a_min": 0, "a_max": 1}, T(4)),
    ("cast", [T(2)], {"dtype": "int64"}, T(2, dtype="int64")),
    ("cast_like", [T(2), T(5, dtype="float64")], {}, T(2, dtype="float64")),
    ("full_like", [T(2, 2), T()], {}, T(2, 2)),
    ("annotation.checkpoint", [lg.TupleType((T(2), T()))], {}, lg.TupleType((T(2), T()))),
    ("where", [T(3, 1, dtype="bool"), T(4), T(1)], {}, T(3, 4)),
    ("where", [T(3, 1, dtype=I32), T(4), T(1)], {}, T(3, 4)),
    ("where", [T(3), T(3, dtype=I64), T(3, dtype=I64)], {}, T(3, dtype=I64)),
    ("zeros", [], {"shape": (2, 3)}, T(2, 3)),
    ("ones", [], {"shape": (4,), "dtype": "int32"}, T(4, dtype="int32")),
    ("full", [T()], {"shape": (2,), "dtype": "float64"}, T(2, dtype="float64")),
    ("arange", [], {"start": 1, "stop": 7, "step": 2}, T(3)),
    ("arange", [], {"start": 5}, T(5)),
    ("one_hot", [T(3, dtype="int32")], {"depth": 4}, T(3, 4)),
    ("one_hot", [T(3, dtype="int32")], {"depth": 4, "axis": 0}, T(4, 3)),
    *[(name, [T(2, 3, 4)], {"axis": 1}, T(2, 4)) for name in REDUCE],
    ("sum", [T(2, 3, 4)], {}, T()),
    ("sum", [T(2, 3, 4)], {"axis": [-1, 0], "keepdims": True}, T(1, 3, 1)),
    ("mean", [T(2, 3, 4)], {"axis": 1, "exclude": True}, T(3)),
    ("variance", [T(2, 3)], {"axis": 0, "unbiased": True}, T(3)),
    ("argmax", [T(2, 3)], {"axis": 1}, T(2, dtype="int32")),
    ("argmin", [T(2, 3)], {}, T(dtype="int32")),
    ("reshape", [T(2, 3, 4)], {"newshape": (0, -1)}, T(2, 12)),
    ("reshape", [T(6)], {"newshape": (3, 2)}, T(3, 2)),
    ("reshape", [T(None, 4)], {"newshape": (-1, 2)}, T(None, 2)),
    ("reshape", [T(2, None, 4)], {"newshape": (-3, 0)}, T(None, 4)),
    ("reverse_reshape", [T(10, 5, 4)], {"newshape": (-1, 0)}, T(50, 4)),
    ("reverse_reshape", [T(2, 3, None)], {"newshape": (-1, 0)}, T(6, None)),
    ("reshape_like", [T(6), T(2, 3, dtype="int32")], {}, T(2, 3)),
    ("transpose", [T(2, 3, 4)], {}, T(4, 3, 2)),
    ("transpose", [T(2, 3, 4)], {"axes": (0, 2, 1)}, T(2, 4, 3)),
    ("squeeze", [T(1, 3, 1)], {}, T(3)),
    ("squeeze", [T(1, 3, 1)], {"axis": 0}, T(3, 1)),
    ("expand_dims", [T(2, 3)], {"axis": 1, "num_newaxis": 2}, T(2, 1, 1, 3)),
    ("expand_dims", [T(2)], {"axis": -1}, T(2, 1)),
    ("broadcast_to", [T(3, 1)], {"shape": (2, 3, 4)}, T(2, 3, 4)),
    ("broadcast_to_like", [T(1), T(2, 5)], {}, T(2, 5)),
    ("collapse_sum_like", [T(2, 3), T(3)], {}, T(3)),
    ("collapse_sum_to", [T(2, 3)], {"shape": (1, 3)}, T(1, 3)),
    ("concatenate", [lg.TupleType((T(2, 3), T(2, 5)))], {"axis": 1}, T(2, 8)),
    ("concatenate", [lg.TupleType((T(2, 3), T(None, 3)))], {}, T(None, 3)),
    ("stack", [lg.TupleType((T(2), T(2), T(2)))], {"axis": 1}, T(2, 3)),
    ("split", [T(6, 2)], {"indices_or_sections": 3}, lg.TupleType((T(2, 2),) * 3)),
    ("split", [T(6)], {"indices_or_sections": (1, 4)}, lg.TupleType((T(1), T(3), T(2)))),
    ("strided_slice", [T(5, 4)], {"begin": (1,), "end": (5,), "strides": (2,)}, T(2, 4)),
    ("strided_slice", [T(5, 4)], {"begin": (0, -1), "end": (3, 4)}, T(3, 1)),
    ("take", [T(5, 4), T(2, 3, dtype="int32")], {"axis": 0}, T(2, 3, 4)),
    ("take", [T(5, 4), T(7, dtype="int64")], {}, T(7)),
    ("repeat", [T(2, 3)], {"repeats": 2, "axis": 1}, T(2, 6)),
    ("tile", [T(2, 3)], {"reps": (2, 1, 2)}, T(2, 2, 6)),
    ("reverse", [T(2, 3)], {"axis": 1}, T(2, 3)),
    ("nn.batch_flatten", [T(2, 3, 4)], {}, T(2, 12)),
    ("shape_of", [T(2, 3, 4)], {}, T(3, dtype="int32")),
    ("cumsum", [T(2, 3)], {}, T(6)),
    ("cumsum", [T(2, 3)], {"axis": 1}, T(2, 3)),
    ("nn.pad", [T(2, 3)], {"pad_width": ((1, 1), (0, 2))}, T(4, 5)),
    ("nn.dense", [T(8, 2, 3), T(4, 3)], {}, T(8, 2, 4)),
    ("nn.matmul", [T(2, 3), T(3, 4)], {}, T(2, 4)),
    ("nn.matmul", [T(3, 2), T(4, 3)], {"transpose_a": True, "transpose_b": True}, T(2, 4)),
    ("nn.batch_matmul", [T(5, 2, 3), T(5, 4, 3)], {}, T(5, 2, 4)),
    ("nn.batch_matmul", [T(1, 2, 3), T(5, 3, 4)], {"transpose_b": False}, T(5, 2, 4)),
    ("nn.bias_add", [T(2, 3, 4), T(3)], {}, T(2, 3, 4)),
    ("nn.softmax", [T(2, 3)], {}, T(2, 3)),
    ("nn.log_softmax", [T(2, 3)], {"axis": 0}, T(2, 3)),
    ("nn.cross_entropy", [T(2, 3), T(2, 3)], {}, T()),
    ("nn.cross_entropy_with_logits", [T(2, 3), T(2, 3)], {}, T()),
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
    ("add", [T(3, 4), T(5)], {}, ["argument 0", "(3, 4)", "argument 1", "(5,)"]),
    ("add", [T(3), T(3, dtype="int32")], {}, ["float32", "int32"]),
    ("where", [T(3, dtype=I32), T(3), T(3, dtype=I32)], {}, ["argument 1", "argument 2"]),
    ("where", [T(2, dtype=I32), T(3), T(3)], {}, ["argument 0", "(2,)", "argument 1"]),
    ("logical_not", [T(2)], {}, ["argument 0", "bool", "float32"]),
    ("full_like", [T(2), T(2)], {}, ["argument 1", "scalar", "(2,)"]),
    ("sum", [T(2, 3)], {"axis": 2}, ["axis 2", "rank 2"]),
    ("reshape", [T(2, 3)], {"newshape": (4, 2)}, ["(2, 3)", "(4, 2)"]),
    ("reshape", [T(2, 3)], {"newshape": (-1, -1)}, ["more than one -1"]),
    ("reshape", [T(2, 3)], {"newshape": (-5,)}, ["-5 is not a dimension", "(2, 3)"]),
    ("reshape", [T(2, 3)], {"newshape": (-3, -3)}, ["(-3, -3)", "more dimensions than there are"]),
    ("reshape", [T(6)], {"newshape": (-4, 2)}, ["-4 needs the two dimensions"]),
    (
        "contrib_reverse_reshape",
        [T(2, 3, 4)],
        {"newshape": (2, -2)},
        ["argument 0", "(2, 3, 4)", "(2, -2)"],
    ),
    ("transpose", [T(2, 3)], {"axes": (0, 0)}, ["not a permutation", "rank 2"]),
    ("squeeze", [T(2, 3)], {"axis": 0}, ["axis 0", "(2, 3)"]),
    ("broadcast_to", [T(3)], {"shape": (2, 4)}, ["(3,)", "(2, 4)"]),
    ("collapse_sum_like", [T(2, 3), T(4)], {}, ["argument 1", "(4,)", "(2, 3)"]),
    ("concatenate", [lg.TupleType((T(2, 3), T(4, 5)))], {"axis": 1}, ["(2, 3)", "(4, 5)"]),
    ("concatenate", [lg.TupleType((T(2), T(2, dtype="int32")))], {}, ["field 1", "int32"]),
    ("stack", [lg.TupleType((T(2), T(3)))], {}, ["(2,)", "(3,)"]),
    ("split", [T(5)], {"indices_or_sections": 2}, ["(5,)", "2 equal sections"]),
    ("take", [T(5), T(2)], {"axis": 0}, ["argument 1", "integer"]),
    ("nn.dense", [T(2, 3), T(4, 5)], {}, ["argument 0 has shape (2, 3)", "(4, 5)", "last"]),
    ("nn.matmul", [T(2, 3), T(4, 5)], {}, ["(2, 3)", "(4, 5)"]),
    ("nn.batch_matmul", [T(2, 2, 3), T(3, 4, 3)], {}, ["batch", "(2, 2, 3)", "(3, 4, 3)"]),
    ("nn.bias_add", [T(2, 3), T(2)], {}, ["bias", "(2,)", "(2, 3)"]),
    ("nn.cross_entropy", [T(2, 3), T(3)], {}, ["(2, 3)", "(3,)"]),
    ("exp", [lg.TupleType(())], {}, ["argument 0", "must be a tensor"]),
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


def test_the_core_ops_have_a_row_here():
    """Every op family type inference relies on keeps a row in the table."""
    core = {"add", "sum", "nn.dense", "reshape", "concatenate", "nn.matmul", "where"}
    assert core <= {row[0] for row in GOOD}


def test_relation_defaults_follow_relay():
    assert lg.ops.op_def("nn.batch_matmul").attrs["transpose_b"].default is True
    assert lg.ops.op_def("nn.softmax").attrs["axis"].default == -1
    assert lg.ops.op_def("nn.bias_add").attrs["axis"].default == 1
