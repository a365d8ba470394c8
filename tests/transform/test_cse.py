"""Common subexpression elimination: golden programs, effects never merged, values unchanged."""

import pytest
from same_values import GRADIENT_PROGRAMS, assert_same_values

import lambdagrad as lg
from lambdagrad.transform.cse import eliminate_common_subexpr


def check(before: str, after: str):
    result = eliminate_common_subexpr(lg.parse_expr(before))
    assert lg.analysis.alpha_equal(result, lg.parse_expr(after)), str(result)


def test_repeated_op_calls_tuples_and_projections_merge():
    check(
        """fn (%x: float32, %p: (float32, float32)) {
            let %a = multiply(%x, %x);
            let %b = multiply(%x, %x);
            let %c = %p.0;
            let %d = %p.0;
            ((%a, %c), (%b, %d))
        }""",
        """fn (%x: float32, %p: (float32, float32)) {
            let %a = multiply(%x, %x);
            let %c = %p.0;
            let %t = (%a, %c);
            let %u = (%t, %t);
            %u
        }""",
    )


def test_outer_values_are_reused_in_inner_scopes_but_not_across_branches():
    check(
        """fn (%x: float32, %c: bool) {
            let %a = exp(%x);
            let %f = fn () { exp(%x) };
            if (%c) { log(%x) } else { log(%x) }
        }""",
        """fn (%x: float32, %c: bool) {
            let %a = exp(%x);
            let %f = fn () { %a };
            let %r = if (%c) { let %l = log(%x); %l } else { let %m = log(%x); %m };
            %r
        }""",
    )


def test_different_attributes_or_constants_do_not_merge():
    text = """fn (%x: Tensor[(2, 3), float32]) {
        let %a = sum(%x, axis=[0]);
        let %b = sum(%x, axis=[1]);
        let %c = add(%x, 1f);
        let %d = add(%x, 2f);
        (%a, %b, %c, %d)
    }"""
    result = eliminate_common_subexpr(lg.parse_expr(text))
    assert lg.analysis.count_ops(result) == {"sum": 2, "add": 2}


def test_refs_reads_and_calls_never_merge():
    text = """fn (%x: float32, %g: fn (float32) -> float32) {
        let %r = ref(%x);
        let %s = ref(%x);
        let %a = ref_read(%r);
        let %_ = ref_write(%r, 1f);
        let %b = ref_read(%r);
        let %c = %g(%x);
        let %d = %g(%x);
        let %t = (%r, %s, %a, %b, %c, %d);
        %t
    }"""
    result = eliminate_common_subexpr(lg.parse_expr(text))
    assert lg.analysis.alpha_equal(result, lg.parse_expr(text)), str(result)


def test_module_in_module_out():
    mod = lg.parse("def @main(%x: float32) { add(exp(%x), exp(%x)) }")
    out = eliminate_common_subexpr(mod)
    assert lg.analysis.count_ops(out) == {"exp": 1, "add": 1}
    assert lg.analysis.count_ops(mod) == {"exp": 2, "add": 1}


@pytest.mark.parametrize("name", sorted(GRADIENT_PROGRAMS))
def test_values_of_higher_order_gradients_unchanged(name):
    grad = lg.transform.gradient(lg.parse_expr(GRADIENT_PROGRAMS[name]))
    assert_same_values(grad, eliminate_common_subexpr(grad))


def test_first_order_gradient_shares_its_repeated_products():
    f = lg.parse_expr("fn (%x: Tensor[(3), float32]) { multiply(%x, %x) }")
    grad = lg.transform.gradient(f, mode="first_order")
    result = eliminate_common_subexpr(grad)
    assert lg.analysis.count_ops(result)["multiply"] == 2
    assert_same_values(grad, result)


def test_a_long_binding_chain():
    x = lg.var("x", shape=())
    body = x
    for i in range(10_000):
        body = lg.Let(lg.var(f"v{i}"), lg.op.negative(x), body)
    result = eliminate_common_subexpr(lg.Function([x], body))
    assert isinstance(result.body, lg.Let) and result.body.body is x
