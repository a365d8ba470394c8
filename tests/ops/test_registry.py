"""The operator registry: every op has its rules, and every op the issue lists exists."""

import pytest

import lambdagrad as lg
from lambdagrad.ops.registry import AttrError, all_op_defs, op_def

ISSUE_OPS = str.split("""
negative abs sign exp log log2 log10 sqrt rsqrt sigmoid tanh sin cos tan sinh cosh asin acos
atan asinh acosh atanh erf floor ceil round nn.relu clip logical_not copy cast cast_like
zeros_like ones_like full_like
add subtract multiply divide power maximum minimum floor_divide mod equal not_equal less
less_equal greater greater_equal logical_and logical_or where
zeros ones full arange one_hot
sum mean variance max min prod argmax argmin logsumexp
reshape reshape_like transpose squeeze expand_dims broadcast_to broadcast_to_like
collapse_sum_like collapse_sum_to concatenate stack split strided_slice strided_set take
gather_nd scatter_add scatter_nd repeat tile pad reverse nn.batch_flatten shape_of cumsum
nn.dense nn.matmul nn.batch_matmul nn.bias_add nn.softmax nn.log_softmax nn.cross_entropy
nn.cross_entropy_with_logits nn.conv2d nn.conv2d_transpose nn.max_pool2d nn.avg_pool2d
nn.global_avg_pool2d nn.layer_norm nn.batch_norm nn.dropout annotation.checkpoint
""")
# issue 16: Relay's ops and spellings
RELAY_OPS = str.split("""
dyn.zeros dyn.ones contrib_reverse_reshape reverse_reshape nn.conv2d_backward_weight
""")


@pytest.mark.parametrize("definition", all_op_defs(), ids=lambda d: d.op.name)
def test_every_op_has_an_implementation_and_a_type_relation(definition):
    assert definition.impl is not None
    assert definition.type_rel is not None


@pytest.mark.parametrize("name", ISSUE_OPS + RELAY_OPS)
def test_every_op_the_issue_lists_is_registered_and_buildable(name):
    assert op_def(name).impl is not None
    builder = lg.op
    for part in name.split("."):
        builder = getattr(builder, part)
    assert callable(builder)


def test_pad_is_an_alias_of_nn_pad():
    call = lg.op.pad(lg.var("x", shape=(2,)), pad_width=[[1, 1]])
    assert call.op is lg.Op.get("nn.pad")
    assert op_def("pad") is op_def("nn.pad")


@pytest.mark.parametrize(
    ("name", "attrs", "fragment"),
    [
        ("take", {"mode": "nearest"}, "not one of"),
        ("scatter_nd", {"mode": "mul"}, "not one of"),
        ("nn.pad", {"pad_width": [[1, 2, 3]]}, "pairs"),
        ("cumsum", {"axis": [0, 1]}, "int?"),
        ("full", {"shape": (2,), "dtype": "complex"}, "dtype"),
        ("split", {"indices_or_sections": 1.5}, "sections"),
    ],
)
def test_attribute_kinds_reject_bad_values(name, attrs, fragment):
    args = [lg.var(f"a{i}") for i in range(op_def(name).num_inputs)]
    with pytest.raises(AttrError, match=fragment):
        lg.ops.make_call(name, args, attrs)


def test_optional_attributes_accept_none():
    x = lg.var("x", shape=(2, 3))
    assert lg.op.cumsum(x, axis=None, dtype=None).attrs["axis"] is None
    assert lg.op.take(x, lg.var("i", shape=(1,), dtype="int32"), axis=None).attrs["axis"] is None
