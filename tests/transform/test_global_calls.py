"""Gradients through non-recursive helper globals are as tight as with the helper inline."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ir.visitor import post_order

T = "Tensor[(3), float32]"
HELPER = f"""
def @sq(%z: {T}) -> {T} {{ multiply(%z, %z) }}
def @main(%x: {T}) -> {T} {{ @sq(@sq(sin(%x))) }}
"""
INLINE = f"""
def @main(%x: {T}) -> {T} {{ let %s = sin(%x); let %q = multiply(%s, %s); multiply(%q, %q) }}
"""
# the helper reached from inside a recursive loop (its derived global calls @sq's)
IN_LOOP = f"""
def @sq(%z: {T}) -> {T} {{ multiply(%z, %z) }}
def @loop(%x: {T}, %n: int32) -> {T} {{
  if (less(%n, 1)) {{ %x }} else {{ @loop(@sq(sin(%x)), subtract(%n, 1)) }}
}}
def @main(%x: {T}) -> {T} {{ @loop(%x, 3) }}
"""
CLOSURES_AND_REFS = {"RefCreate", "RefRead", "RefWrite", "Function"}


def optimized_gradient(text: str) -> lg.Function:
    mod = lg.parse(text)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    return lg.transform.optimize_program(grad, mod).func


def inner_features(func: lg.Function) -> set[str]:
    return lg.analysis.features(func.body)


def test_a_helper_called_twice_leaves_no_ref_or_closure():
    grad = optimized_gradient(HELPER)
    assert not inner_features(grad) & CLOSURES_AND_REFS
    assert "GlobalVar" not in inner_features(grad)


def test_the_helper_costs_what_the_inline_program_costs():
    through_helper = lg.analysis.count_ops(optimized_gradient(HELPER))
    assert through_helper == lg.analysis.count_ops(optimized_gradient(INLINE))
    assert through_helper["sin"] == 1 and through_helper["cos"] == 1


@pytest.mark.parametrize("level", [1, 2])
def test_the_gradient_keeps_its_value(level):
    mod = lg.parse(IN_LOOP)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    func, optimized = lg.transform.optimize_program(grad, mod, level=level)
    x = np.array([0.3, -0.2, 0.9], "float32")
    expected = lg.create_executor("debug", mod).evaluate(grad)(x)
    actual = lg.create_executor("compiled", optimized).evaluate(func)(x)
    np.testing.assert_allclose(actual[1][0], expected[1][0], rtol=1e-5)


def test_inside_a_recursive_loop_the_helper_is_inlined():
    mod = lg.parse(IN_LOOP)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    _, optimized = lg.transform.optimize_program(grad, mod)
    loop_grads = [g for g in optimized.functions if g.name_hint.startswith("loop_grad")]
    assert loop_grads
    for gvar in loop_grads:
        called = {n.name_hint for n in post_order(optimized[gvar]) if isinstance(n, lg.GlobalVar)}
        assert not any(name.startswith("sq") for name in called), called
