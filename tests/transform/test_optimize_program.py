"""optimize_program: a function optimized with every global it reaches, the module untouched."""

from pathlib import Path

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.transform.effects import reached_globals

WORKLOADS = Path(__file__).parents[2] / "bench" / "workloads"
# each bench workload and the parameters (its weights) it differentiates
BENCH = {
    "mlp": (2, 3, 4, 5),
    "rnn_list": (2, 3, 4),
    "treelstm": (1, 2, 3, 4, 5),
    "scalar_loop": (0,),
    "rnn_list_helpers": (2, 3, 4),
    "treelstm_helpers": (1, 2, 3, 4, 5),
}


def bench_gradient(name: str) -> tuple[lg.IRModule, lg.Function]:
    mod = lg.parse((WORKLOADS / f"{name}.rly").read_text(), prelude=True)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=BENCH[name])
    return mod, grad


@pytest.mark.parametrize("name", sorted(BENCH))
def test_the_function_and_its_globals_are_optimized_as_in_the_whole_module(name):
    mod, grad = bench_gradient(name)
    before = dict(mod.functions)
    func, optimized = lg.transform.optimize_program(grad, mod)
    assert mod.functions == before and all(mod[g] is f for g, f in before.items())
    whole = mod.copy()
    whole["entry"] = grad
    whole = lg.transform.optimize(whole)
    assert lg.analysis.alpha_equal(func, whole["entry"])
    for gvar in reached_globals(grad, mod):
        assert lg.analysis.alpha_equal(optimized[gvar], whole[gvar]), gvar.name_hint
    assert lg.analysis.alpha_equal(lg.transform.optimize(grad, mod=mod), func)


@pytest.mark.parametrize("name", ["rnn_list", "treelstm", "scalar_loop"])
def test_the_derived_globals_of_recursive_functions_are_optimized(name):
    mod, grad = bench_gradient(name)
    _, optimized = lg.transform.optimize_program(grad, mod)
    derived = [g for g in mod.functions if "_grad" in g.name_hint]
    assert derived
    assert set(derived) <= set(reached_globals(grad, mod))
    for gvar in derived:
        assert not lg.analysis.alpha_equal(optimized[gvar], mod[gvar]), gvar.name_hint


def test_the_optimized_program_runs_on_its_module_and_agrees():
    mod = lg.parse(
        """
        def @pow(%x: float32, %n: int32) -> float32 {
          if (less(%n, 1)) { 1f } else { multiply(%x, @pow(%x, subtract(%n, 1))) }
        }
        def @main(%x: float32) -> float32 { @pow(sin(%x), 3) }
        """
    )
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    func, optimized = lg.transform.optimize_program(grad, mod)
    expected = lg.create_executor("debug", mod).evaluate(grad)(0.7)
    actual = lg.create_executor("compiled", optimized).evaluate(func)(0.7)
    np.testing.assert_allclose(actual[1][0], expected[1][0], rtol=1e-6)
    np.testing.assert_allclose(actual[1][0], 3 * np.sin(0.7) ** 2 * np.cos(0.7), rtol=1e-5)


def test_a_non_function_or_missing_module_is_an_lg_error():
    with pytest.raises(lg.Error, match="optimize_program"):
        lg.transform.optimize_program(lg.parse_expr("1f"), lg.IRModule())
    with pytest.raises(lg.Error, match="optimize_program"):
        lg.transform.optimize_program(lg.parse_expr("fn (%x: float32) { %x }"), None)
    mod = lg.parse("def @main(%x: float32) -> float32 { %x }")
    with pytest.raises(lg.Error, match="expected a function .* got GlobalVar and IRModule"):
        lg.transform.optimize_program(mod.get_global_var("main"), mod)


@pytest.mark.parametrize("level", [3, "2", True])
def test_a_bad_level_is_an_lg_error_naming_the_call_and_the_value(level):
    func = lg.parse_expr("fn (%x: float32) { %x }")
    with pytest.raises(lg.Error, match=rf"optimize_program: level .* got {level!r}"):
        lg.transform.optimize_program(func, lg.IRModule(), level=level)
    with pytest.raises(lg.Error, match=rf"^optimize: level .* got {level!r}"):
        lg.transform.optimize(func, level=level)
