"""Relay's signatures of the creation ops (values as tensor arguments, the older spellings
building the same calls, static lengths from constants), strided_slice's size mode,
reverse_reshape, conv2d's layouts and conv2d_backward_weight: printing and parsing round
trips, and errors that name the op, the argument and the shapes."""

import numpy as np
import pytest

import lambdagrad as lg


def typed(text: str) -> lg.Type:
    return lg.transform.infer_type(lg.parse_expr(text)).checked_type


def round_trip(text: str) -> None:
    """`text` parses, prints, and parses back to an alpha-equal expression."""
    expr = lg.parse_expr(text)
    again = lg.parse_expr(str(expr))
    assert lg.analysis.alpha_equal(expr, again), str(expr)
    assert str(again) == str(expr)


@pytest.mark.parametrize(
    "text",
    [
        "fn (%a: float32, %b: float32, %c: float32) { arange(%a, %b, %c) }",
        'fn () { arange(1, 7, 2, dtype="int32") }',
        "fn (%i: Tensor[(3), int32], %on: float32) { one_hot(%i, %on, 0f, depth=4, axis=0) }",
        'fn (%s: Tensor[(2), int64]) { dyn.zeros(%s, dtype="int32") }',
        "fn (%s: Tensor[(3), int32]) { dyn.ones(%s) }",
        "fn (%x: Tensor[(10, 5, 4), float32]) { contrib_reverse_reshape(%x, newshape=[-1, 0]) }",
        "fn (%x: Tensor[(4, 5), float32]) { strided_slice(%x, begin=[1], end=[2], axes=[1]) }",
    ],
)
def test_print_and_parse_round_trip(text):
    round_trip(text)


ARANGE_TYPES = [
    ("fn (%a: float32, %b: float32, %c: float32) { arange(%a, %b, %c) }", "Tensor[(?), float32]"),
    ("fn (%b: float32) { arange(0f, %b, 1f) }", "Tensor[(?), float32]"),
    ("fn () { arange(0f, 5f, 1f) }", "Tensor[(5), float32]"),
    ('fn () { arange(10, 1, -3, dtype="int32") }', "Tensor[(3), int32]"),
    ("fn () { arange(start=5.0) }", "Tensor[(5), float32]"),
    ("fn () { arange(start=1.0, stop=2.0, step=0.25) }", "Tensor[(4), float32]"),
]


@pytest.mark.parametrize(("text", "expected"), ARANGE_TYPES)
def test_arange_length_is_known_exactly_when_its_bounds_are_constants(text, expected):
    assert str(typed(text).ret_type) == expected


def test_arange_spellings_build_relays_three_argument_call():
    relay_form = lg.op.arange(lg.const(np.float32(0)), lg.const(np.float32(5)), lg.const(1.0))
    for call in [lg.op.arange(5), lg.op.arange(0, 5), lg.op.arange(start=5.0), relay_form]:
        assert len(call.args) == 3
        assert (call.attrs.start, call.attrs.stop, call.attrs.step) == (0, 5, 1)


def test_arange_attributes_must_agree_with_constant_bounds():
    with pytest.raises(lg.Error, match="arange: attribute stop=6.0 but the argument is 5"):
        lg.parse_expr("fn () { arange(0f, 5f, 1f, stop=6.0) }")


def test_one_hot_spellings_build_relays_three_argument_call():
    i = lg.var("i", shape=(3,), dtype="int32")
    old = lg.op.one_hot(i, depth=3, on_value=2.0, off_value=-1.0)
    relay_form = lg.op.one_hot(i, 2.0, -1.0, depth=3)
    assert lg.analysis.alpha_equal(old, relay_form)
    assert str(relay_form) == 'one_hot(%i, 2f, -1f, depth=3, axis=-1, dtype="float32")'


def test_zeros_of_a_shape_tensor_is_dyn_zeros_and_of_a_constant_the_attribute_form():
    shape = lg.var("s", shape=(2,), dtype="int64")
    assert lg.op.zeros(shape).op.name == "dyn.zeros"
    assert lg.op.ones(shape, dtype="int32").op.name == "dyn.ones"
    static = lg.op.zeros(lg.const(np.array([2, 3])))
    assert static.op.name == "zeros" and static.attrs.shape == (2, 3)
    assert str(typed("fn (%s: Tensor[(2), int64]) { zeros(%s) }").ret_type) == (
        "Tensor[(?, ?), float32]"
    )


BAD = [
    (
        "fn (%a: Tensor[(2), float32]) { arange(%a, 3f, 1f) }",
        ["arange", r"argument 0 \(start\)", "scalar", r"Tensor\[\(2\), float32\]"],
    ),
    ("fn () { arange(0f, 3f, 0f) }", ["arange", "step must not be zero"]),
    (
        "fn (%i: Tensor[(3), int32], %on: Tensor[(2), float32]) { one_hot(%i, %on, 0f, depth=2) }",
        ["one_hot", "argument 1", "scalar", r"\(2,\)"],
    ),
    ("fn (%i: Tensor[(3), float32]) { one_hot(%i, 1f, 0f, depth=2) }", ["argument 0", "integer"]),
    (
        "fn (%s: Tensor[(?), int64]) { dyn.zeros(%s) }",
        ["dyn.zeros", "argument 0 \\(shape\\)", "known length", r"\(\?,\)"],
    ),
    ("fn (%s: Tensor[(2), float32]) { dyn.ones(%s) }", ["dyn.ones", "argument 0", "integer"]),
]


@pytest.mark.parametrize(("text", "fragments"), BAD)
def test_type_errors_name_the_op_the_argument_and_the_shapes(text, fragments):
    with pytest.raises(lg.TypeInferenceError) as caught:
        typed(text)
    for fragment in fragments:
        assert caught.match(fragment)


def test_a_negative_run_time_shape_is_an_evaluation_error(executor_kind):
    func = lg.parse_expr("fn (%s: Tensor[(2), int64]) { dyn.zeros(%s) }")
    with pytest.raises(lg.EvaluationError, match=r"dyn.zeros.*shape \[2, -3\]"):
        lg.create_executor(executor_kind).evaluate(func)(np.array([2, -3]))


def test_slices_by_size_become_ends_as_relay_converts_them():
    x = lg.var("x", shape=(4, 5))
    sized = lg.op.strided_slice(x, begin=[1, -3], end=[2, -1], strides=[2, 2], slice_mode="size")
    assert (sized.attrs.end, sized.attrs.strides) == ((3, 2**31 - 1), None)
    assert "slice_mode" not in sized.attrs
    body = 'strided_slice(%x, begin=[1], end=[2], slice_mode="size")'
    text = f"fn (%x: Tensor[(4, 5), float32]) {{ {body} }}"
    assert str(typed(text).ret_type) == "Tensor[(2, 5), float32]"
    round_trip(text)


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"begin": [0], "end": [1], "slice_mode": "stride"}, "slice_mode='stride' is not one of"),
        ({"begin": [0, 1], "end": [1], "slice_mode": "size"}, r"begin \[0, 1\] and the sizes"),
    ],
)
def test_bad_slice_modes_are_attribute_errors_naming_the_op(attrs, fragment):
    with pytest.raises(lg.Error, match=f"operator strided_slice.*{fragment}"):
        lg.op.strided_slice(lg.var("x", shape=(3, 3)), **attrs)


def test_reverse_reshape_is_relays_contrib_reverse_reshape():
    call = lg.parse_expr("reverse_reshape(%x, newshape=[-1, 0])")
    assert call.op.name == "contrib_reverse_reshape"
    assert str(call) == "contrib_reverse_reshape(%x, newshape=[-1, 0])"


CONV2D = "nn.conv2d(%x, %w, padding=[1, 1], channels=3, kernel_size=[3, 3])"


def test_conv2d_prints_relays_layout_and_dtype_attributes():
    call = lg.parse_expr(CONV2D)
    assert str(call) == (
        "nn.conv2d(%x, %w, strides=[1, 1], padding=[1, 1], dilation=[1, 1], groups=1, "
        'channels=3, kernel_size=[3, 3], data_layout="NCHW", kernel_layout="OIHW", '
        'out_layout="", out_dtype="")'
    )
    round_trip(str(call))
    round_trip('nn.conv2d(%x, %w, data_layout="NHWC", kernel_layout="HWIO", out_dtype="float64")')


@pytest.mark.parametrize(
    ("name", "attr", "value"),
    [
        ("nn.conv2d", "data_layout", "NCHW4c"),
        ("nn.conv2d", "kernel_layout", "OHWI"),
        ("nn.conv2d", "out_layout", "CHWN"),
        ("nn.conv2d_transpose", "kernel_layout", "OIHW"),
        ("nn.conv2d_transpose", "data_layout", "NHWC"),
    ],
)
def test_an_unsupported_layout_is_an_error_naming_the_op_the_attribute_and_the_value(
    name, attr, value
):
    with pytest.raises(lg.Error, match=f"operator {name}: attribute {attr}='{value}'"):
        lg.parse_expr(f'{name}(%x, %w, {attr}="{value}")')


BACKWARD_WEIGHT_ERRORS = [
    ("", ["nn.conv2d_backward_weight", "kernel_size must be given"]),
    (
        ", kernel_size=[2, 2]",
        ["argument 0 \\(grad\\) of shape \\(1, 3, 2, 2\\)", "gives shape \\(1, 3, 3, 3\\)"],
    ),
    (", kernel_size=[3, 3], groups=2", ["groups=2 does not divide the channels"]),
]


@pytest.mark.parametrize(("attrs", "fragments"), BACKWARD_WEIGHT_ERRORS)
def test_conv2d_backward_weight_errors_name_the_arguments_and_shapes(attrs, fragments):
    text = (
        "fn (%g: Tensor[(1, 3, 2, 2), float32], %x: Tensor[(1, 2, 4, 4), float32]) {"
        f" nn.conv2d_backward_weight(%g, %x{attrs}) }}"
    )
    with pytest.raises(lg.TypeInferenceError) as caught:
        typed(text)
    for fragment in fragments:
        assert caught.match(fragment)


def test_relays_python_builders_pass_attributes_positionally():
    shape, i = lg.var("s", shape=(2,), dtype="int32"), lg.var("i", shape=(2,), dtype="int32")
    assert str(lg.op.zeros(shape, "int32")) == 'dyn.zeros(%s, dtype="int32")'
    assert str(lg.op.ones((2, 3), "int64")) == 'ones(shape=[2, 3], dtype="int64")'
    assert lg.op.arange(1, 5, 2, "int32").attrs.dtype == "int32"
    assert str(lg.op.one_hot(i, 1.0, 0.0, 3, 0, "float64")) == (
        'one_hot(%i, 1f64, 0f64, depth=3, axis=0, dtype="float64")'
    )
    with pytest.raises(lg.Error, match="operator one_hot takes at most 6 arguments, got 7"):
        lg.op.one_hot(i, 1.0, 0.0, 3, 0, "float64", 7)


def test_conv2d_errors_in_other_layouts_say_how_the_arguments_were_seen():
    text = (
        "fn (%x: Tensor[(1, 5, 5, 3), float32], %w: Tensor[(3, 3, 2, 4), float32]) {"
        ' nn.conv2d(%x, %w, data_layout="NHWC", kernel_layout="HWIO") }'
    )
    with pytest.raises(lg.TypeInferenceError, match=r"argument 0 \(NHWC\) seen as NCHW"):
        typed(text)


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: lg.op.arange(5, dtype="float128"), "operator arange: attribute dtype='float128'"),
        (lambda: lg.op.arange("five"), "operator arange: 'five' is not a float32 value"),
        (
            lambda: lg.op.one_hot(lg.var("i", shape=(2,), dtype="int32"), "on", 0.0, depth=2),
            "operator one_hot: 'on' is not a float32 value",
        ),
    ],
)
def test_values_that_are_not_numbers_are_errors_naming_the_op(build, fragment):
    with pytest.raises(lg.Error, match=fragment):
        build()
