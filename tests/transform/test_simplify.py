"""Algebraic simplification: golden programs, type checks, effects kept, values unchanged."""

import pytest
from same_values import GRADIENT_PROGRAMS, assert_same_values

import lambdagrad as lg
from lambdagrad.transform.simplify import simplify


def check(before: str, after: str, fast_math: bool = False):
    result = simplify(lg.parse_expr(before), fast_math=fast_math)
    assert lg.analysis.alpha_equal(result, lg.parse_expr(after)), str(result)


# Larger than the constants simplify makes of small zeros/ones, so the fills stay visible.
T = "Tensor[(40, 30), float32]"


def test_adding_and_subtracting_zeros_of_the_same_type():
    check(
        f"""fn (%x: {T}, %y: {T}) {{
            let %z = zeros_like(%y);
            (add(%x, %z), add(zeros_like(%y), %x), subtract(%x, %z), add(%x, 0f))
        }}""",
        f"fn (%x: {T}, %y: {T}) {{ let %z = zeros_like(%y); (%x, %x, %x, %x) }}",
    )


def test_multiplying_by_ones_and_by_zeros_with_fast_math():
    check(
        f"""fn (%x: {T}, %y: {T}) {{
            (multiply(%x, ones_like(%y)), multiply(1f, %x), multiply(%x, zeros_like(%y)))
        }}""",
        f"fn (%x: {T}, %y: {T}) {{ (%x, %x, zeros_like(%y)) }}",
        fast_math=True,
    )


# Each of these is NaN somewhere the zero alone would not say: where %x or %w is infinite or
# NaN, or (a divisor) 0; and a mean over an empty axis is NaN.
KEPT_WITHOUT_FAST_MATH = [
    "multiply(%x, 0f)",
    "multiply(zeros(shape=[40, 30], dtype='float32'), %s)",
    "multiply(%x, zeros_like(%x))",
    "multiply(zeros_like(%x), %v)",
    "nn.dense(zeros_like(%x), %w)",
    "nn.dense(%x, zeros_like(%w))",
    "divide(zeros_like(%x), %x)",
    "divide(zeros_like(%x), 0f)",
    "divide(zeros_like(%x), zeros_like(%x))",
    "mean(zeros(shape=[0, 3000], dtype='float32'), axis=0)",
]
SIGNATURE = f"fn (%x: {T}, %w: Tensor[(50, 30), float32], %v: Tensor[(30), float32], %s: float32)"


@pytest.mark.parametrize("body", KEPT_WITHOUT_FAST_MATH)
def test_a_zero_absorbs_no_value_that_may_be_infinite_or_nan(body):
    program = f"{SIGNATURE} {{ {body} }}".replace("'", '"')
    check(program, program)
    fast = simplify(lg.parse_expr(program), fast_math=True)
    assert not lg.analysis.alpha_equal(fast, lg.parse_expr(program))  # Relay's liberty, asked for


def test_a_zero_absorbs_known_finite_values():
    check(
        f"""{SIGNATURE} {{
            (multiply(2f, zeros_like(%x)), nn.dense(zeros_like(%x), ones_like(%w)),
             divide(zeros_like(%x), 4f), multiply(zeros_like(%x), zeros_like(%x)))
        }}""",
        f"""{SIGNATURE} {{
            (zeros_like(%x), zeros(shape=[40, 50], dtype="float32"), zeros_like(%x), zeros_like(%x))
        }}""",
    )
    check(  # 0 / inf is 0 too
        """fn (%x: Tensor[(400, 3), float32]) {
            divide(zeros_like(%x), constant([1.0, -2.0, inf], dtype="float32"))
        }""",
        "fn (%x: Tensor[(400, 3), float32]) { zeros_like(%x) }",
    )


def test_shape_ops_that_already_match_disappear():
    check(
        f"""fn (%x: {T}, %y: {T}) {{
            (collapse_sum_like(%x, %y), broadcast_to_like(%x, %y), broadcast_to(%x, shape=[40, 30]),
             reshape_like(%x, %y), cast(%x, dtype="float32"), copy(%x))
        }}""",
        f"fn (%x: {T}, %y: {T}) {{ (%x, %x, %x, %x, %x, %x) }}",
    )


def test_involutions_and_idempotent_creations():
    check(
        """fn (%x: Tensor[(20, 30, 4), float32]) {
            let %t = transpose(%x, axes=[1, 2, 0]);
            (negative(negative(%x)), transpose(%t, axes=[2, 0, 1]),
             transpose(transpose(%x)), zeros_like(zeros_like(%x)), ones_like(ones_like(%x)))
        }""",
        """fn (%x: Tensor[(20, 30, 4), float32]) {
            let %t = transpose(%x, axes=[1, 2, 0]);
            (%x, %x, %x, zeros_like(%x), ones_like(%x))
        }""",
    )


def test_small_fills_of_a_known_type_are_constants():
    check(
        f"""fn (%x: Tensor[(2, 2), float32], %y: Tensor[(3), float64], %z: {T}) {{
            (zeros_like(%x), ones_like(%y), zeros_like(%z))
        }}""",
        f"""fn (%x: Tensor[(2, 2), float32], %y: Tensor[(3), float64], %z: {T}) {{
            (constant([[0.0, 0.0], [0.0, 0.0]], dtype="float32"),
             constant([1.0, 1.0, 1.0], dtype="float64"), zeros_like(%z))
        }}""",
    )


def test_projections_of_literal_tuples_and_aliases():
    check(
        f"""fn (%x: {T}, %y: {T}) {{
            let %a = %x;
            let %t = (%a, exp(%y));
            (%t.0, (%y, negative(%x)).1)
        }}""",
        f"fn (%x: {T}, %y: {T}) {{ let %t = (%x, exp(%y)); (%x, negative(%x)) }}",
    )


def test_mismatched_shapes_and_effects_are_left_alone():
    text = """fn (%x: Tensor[(300), float32], %y: Tensor[(20, 300), float32], %r: ref(float32)) {
        (collapse_sum_like(%y, %x), multiply(%x, ones_like(%y)), add(%x, zeros(shape=[20, 1])),
         (ref_write(%r, 1f), %x).1, cast(%x, dtype="float64"), transpose(transpose(%y)))
    }"""
    result = simplify(lg.parse_expr(text))
    expected = text.replace("transpose(transpose(%y))", "%y").replace(
        "add(%x, zeros(shape=[20, 1]))", "broadcast_to(%x, shape=[20, 300])"
    )
    assert lg.analysis.alpha_equal(result, lg.parse_expr(expected)), str(result)


def test_first_order_gradient_of_a_square_is_tight():
    square = lg.parse_expr(f"fn (%x: {T}) {{ multiply(%x, %x) }}")
    grad = lg.transform.gradient(square, mode="first_order")
    result = simplify(grad)
    assert lg.analysis.count_ops(result) == {"multiply": 1, "add": 1, "ones_like": 1}
    assert_same_values(grad, result)


def test_module_in_module_out():
    mod = lg.parse(f"def @main(%x: {T}) {{ negative(negative(%x)) }}")
    out = simplify(mod)
    assert lg.analysis.alpha_equal(out["main"], lg.parse_expr(f"fn (%x: {T}) {{ %x }}"))
    assert lg.analysis.count_ops(mod) == {"negative": 2}


GRADIENT_CASES = [(name, "higher_order") for name in sorted(GRADIENT_PROGRAMS)]
GRADIENT_CASES.append(("mlp", "first_order"))  # first-order mode takes straight-line code only


@pytest.mark.parametrize(("name", "mode"), GRADIENT_CASES)
def test_values_of_gradients_unchanged(name, mode):
    grad = lg.transform.gradient(lg.parse_expr(GRADIENT_PROGRAMS[name]), mode=mode)
    assert_same_values(grad, simplify(grad))


def test_a_long_binding_chain():
    x = lg.var("x", shape=())
    body = x
    for i in range(10_000):
        body = lg.Let(lg.var(f"v{i}"), lg.op.negative(x), body)
    result = simplify(lg.Function([x], body))
    assert isinstance(result.body, lg.Let)
