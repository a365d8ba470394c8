"""Constant folding: golden before/after programs, size limits, values unchanged."""

import pytest
from same_values import GRADIENT_PROGRAMS, assert_same_values

import lambdagrad as lg
from lambdagrad.transform.fold_constant import fold_constant

GRADIENT_PROGRAMS = {
    **GRADIENT_PROGRAMS,
    "scaled": "fn (%x: Tensor[(3), float32]) { multiply(%x, add(2f, exp(0f))) }",
}


def check(before: str, after: str):
    result = fold_constant(lg.parse_expr(before))
    assert lg.analysis.alpha_equal(result, lg.parse_expr(after)), str(result)


def test_nested_calls_on_constants_fold():
    check(
        "fn (%x: float32) { add(%x, multiply(2f, add(1f, 2f))) }",
        "fn (%x: float32) { add(%x, 6f) }",
    )


def test_let_bound_constants_and_tuples_are_substituted():
    check(
        """fn (%x: float32) {
            let %c = negative(1f);
            let %t = (%c, 3f);
            let %y = add(%x, %t.1);
            multiply(%y, %t.0)
        }""",
        """fn (%x: float32) {
            let %y = add(%x, 3f);
            multiply(%y, -1f)
        }""",
    )


def test_if_on_a_constant_condition_picks_a_branch():
    check(
        "fn (%x: float32) { if (less(1f, 2f)) { exp(%x) } else { log(%x) } }",
        "fn (%x: float32) { exp(%x) }",
    )


def test_small_creations_fold_large_ones_stay():
    result = fold_constant(lg.parse_expr("fn () { (zeros(shape=[2]), ones(shape=[100, 100])) }"))
    small, large = result.body.fields
    assert isinstance(small, lg.Constant) and small.data.tolist() == [0.0, 0.0]
    assert isinstance(large, lg.Call) and large.op.name == "ones"


def test_checkpoints_and_calls_on_variables_stay():
    text = """fn (%x: float32) {
        (annotation.checkpoint(add(%x, 1f)), add(%x, 2f), annotation.checkpoint(1f))
    }"""
    check(text, text)


def test_module_in_module_out():
    mod = lg.parse("def @main(%x: float32) { add(%x, add(1f, 1f)) }")
    out = fold_constant(mod)
    assert isinstance(out, lg.IRModule)
    assert lg.analysis.alpha_equal(out["main"], lg.parse_expr("fn (%x: float32) { add(%x, 2f) }"))
    assert lg.analysis.count_ops(mod) == {"add": 2}


@pytest.mark.parametrize("name", sorted(GRADIENT_PROGRAMS))
def test_values_of_higher_order_gradients_unchanged(name):
    grad = lg.transform.gradient(lg.parse_expr(GRADIENT_PROGRAMS[name]))
    assert_same_values(grad, fold_constant(grad))


def test_a_100000_binding_chain():
    x = lg.var("x", shape=())
    body = x
    for i in range(100_000):
        body = lg.Let(lg.var(f"v{i}"), lg.op.negative(x), body)
    result = fold_constant(lg.Function([x], body))
    assert isinstance(result.body, lg.Let)
