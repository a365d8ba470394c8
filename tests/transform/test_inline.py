"""Inlining: golden programs with fresh binders, recursion never inlined, values unchanged."""

import numpy as np
import pytest
from same_values import GRADIENT_PROGRAMS, assert_same_values

import lambdagrad as lg
from lambdagrad.transform.inline import inline


def check(before: str, after: str, **options):
    result = inline(lg.parse_expr(before), **options)
    assert lg.analysis.alpha_equal(result, lg.parse_expr(after)), str(result)


def test_a_function_called_once_is_inlined_and_its_binding_goes():
    check(
        """fn (%x: float32) {
            let %f = fn (%a: float32, %b: float32) { let %s = add(%a, %b); exp(%s) };
            %f(%x, log(%x))
        }""",
        """fn (%x: float32) {
            let %a: float32 = %x;
            let %b: float32 = log(%x);
            let %s = add(%a, %b);
            exp(%s)
        }""",
        max_size=0,
    )


def test_a_small_function_is_inlined_at_each_call_with_fresh_binders():
    f = lg.parse_expr(
        """fn (%x: float32) {
            let %sq = fn (%y: float32) { let %z = multiply(%y, %y); %z };
            add(%sq(%x), %sq(%x))
        }"""
    )
    result = inline(f)
    expected = lg.parse_expr(
        """fn (%x: float32) {
            add({ let %y1: float32 = %x; let %z1 = multiply(%y1, %y1); %z1 },
                { let %y2: float32 = %x; let %z2 = multiply(%y2, %y2); %z2 })
        }"""
    )
    assert lg.analysis.alpha_equal(result, expected), str(result)
    binders = lg.analysis.bound_vars(result)
    assert len(binders) == len({id(v) for v in binders}) == 5


def test_a_large_function_used_twice_or_passed_on_stays():
    text = """fn (%x: float32, %g: fn (fn (float32) -> float32) -> float32) {
        let %f = fn (%y: float32) { exp(exp(exp(exp(exp(exp(exp(%y))))))) };
        let %h = fn (%y: float32) { %y };
        (%f(%x), %f(%x), %g(%h))
    }"""
    check(text, text, max_size=3)


def test_direct_calls_of_function_literals_are_inlined():
    check(
        "fn (%x: float32) { (fn (%y: float32) { negative(%y) })(%x) }",
        "fn (%x: float32) { let %y: float32 = %x; negative(%y) }",
    )


def test_recursive_closures_are_not_inlined():
    text = """fn (%n: int32) {
        let %loop = fn (%i: int32) -> int32 {
            if (equal(%i, 0)) { %i } else { %loop(subtract(%i, 1)) }
        };
        %loop(%n)
    }"""
    check(text, text)


def test_small_non_recursive_globals_are_inlined_recursive_ones_are_not():
    mod = lg.parse(
        """
        def @sq(%y: float32) -> float32 { multiply(%y, %y) }
        def @count(%i: int32) -> int32 { if (equal(%i, 0)) { %i } else { @count(subtract(%i, 1)) } }
        def @main(%x: float32, %n: int32) { (@sq(%x), @count(%n)) }
        """
    )
    out = inline(mod)
    expected = lg.parse_expr(
        "fn (%x: float32, %n: int32) { ({ let %y: float32 = %x; multiply(%y, %y) }, @count(%n)) }"
    )
    assert lg.analysis.alpha_equal(out["main"], expected), str(out["main"])
    assert lg.analysis.alpha_equal(out["count"], mod["count"])
    expr = inline(lg.parse_expr("fn (%x: float32) { @sq(%x) }"), mod=mod)
    expected = lg.parse_expr("fn (%x: float32) { let %y: float32 = %x; multiply(%y, %y) }")
    assert lg.analysis.alpha_equal(expr, expected)


def test_inlined_global_values_unchanged():
    mod = lg.parse(
        """
        def @sq(%y: float32) -> float32 { multiply(%y, %y) }
        def @poly(%y: float32) -> float32 { add(@sq(%y), multiply(3f, %y)) }
        def @main(%x: float32) -> float32 { @poly(@sq(%x)) }
        """
    )
    run = lg.create_executor(mod=mod).evaluate()
    out = lg.create_executor(mod=inline(mod)).evaluate()
    assert lg.analysis.features(inline(mod)["main"]).isdisjoint({"GlobalVar"})
    np.testing.assert_allclose(run(1.5), out(1.5))


@pytest.mark.parametrize("name", sorted(GRADIENT_PROGRAMS))
def test_values_of_higher_order_gradients_unchanged(name):
    grad = lg.transform.gradient(lg.parse_expr(GRADIENT_PROGRAMS[name]))
    assert_same_values(grad, inline(grad, max_size=40))
