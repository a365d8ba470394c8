"""Issue 18, silently wrong results: gradient checks on inf/NaN, nested argument values."""

import re

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.cli import main
from lambdagrad.runtime.random_values import random_value
from lambdagrad.testing import check_grad, check_jvp

EXECUTORS = ["debug", "compiled"]


@pytest.mark.parametrize(
    ("source", "value", "shown"),
    [
        ("fn (%x: Tensor[(3), float32]) { sum(log(%x)) }", [1.0, 0.0, 2.0], "element (1,) is inf"),
        ("fn (%x: Tensor[(2), float32]) { sum(sqrt(%x)) }", [-1.0, 4.0], "element (0,) is nan"),
    ],
)
def test_check_grad_fails_on_a_gradient_that_is_not_finite(source, value, shown):
    with (
        np.errstate(all="ignore"),
        pytest.raises(AssertionError, match="gradient .*" + re.escape(shown)),
    ):
        check_grad(lg.parse_expr(source), [np.array(value)])


def test_check_jvp_fails_on_a_tangent_that_is_not_finite():
    func = lg.parse_expr("fn (%x: Tensor[(3), float32]) { log(%x) }")
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=r"tangent .*\(2,\) is"):
        check_jvp(func, [np.array([1.0, 2.0, 0.0])])


def test_check_grad_still_passes_on_finite_gradients():
    check_grad(lg.parse_expr("fn (%x: Tensor[(3), float32]) { sum(log(%x)) }"), [np.ones(3)])


SUM_LIST = """
def @main(%xs: List[float32]) -> float32 {
  @foldl(fn (%a: float32, %b: float32) { add(%a, %b) }, 0f, %xs)
}
"""


@pytest.fixture
def list_mod():
    return lg.parse(SUM_LIST, prelude=True)


@pytest.mark.parametrize("kind", EXECUTORS)
def test_a_list_element_of_the_wrong_dtype_is_named_with_its_path(list_mod, kind):
    run = lg.create_executor(kind, mod=list_mod).evaluate()
    xs = lg.make_list([np.float32(1), np.float64(1.5)], list_mod)
    with pytest.raises(lg.EvaluationError, match=r"%xs.*Cons field 1, Cons field 0.*float64"):
        run(xs)


@pytest.mark.parametrize("kind", EXECUTORS)
def test_a_constructor_value_with_extra_fields_is_refused(list_mod, kind):
    run = lg.create_executor(kind, mod=list_mod).evaluate()
    bad = lg.ConstructorValue(list_mod.get_constructor("Nil"), [np.float32(1)])
    with pytest.raises(lg.EvaluationError, match="constructor Nil takes 0 field"):
        run(bad)


@pytest.mark.parametrize("kind", EXECUTORS)
def test_python_numbers_in_a_list_take_the_declared_dtype(list_mod, kind):
    result = lg.create_executor(kind, mod=list_mod).evaluate()(lg.make_list([1.5, 2], list_mod))
    assert result.dtype == np.float32 and result == 3.5


@pytest.mark.parametrize("kind", EXECUTORS)
def test_a_long_list_is_checked_without_recursion(list_mod, kind):
    xs = lg.make_list(np.ones(50_000, "float32"), list_mod)
    assert lg.create_executor(kind, mod=list_mod).evaluate()(xs) == 50_000


@pytest.mark.parametrize("kind", EXECUTORS)
def test_ref_contents_are_checked(kind):
    func = lg.parse_expr("fn (%r: ref(float32)) { ref_read(%r) }")
    run = lg.create_executor(kind).evaluate(func)
    with pytest.raises(lg.EvaluationError, match=r"%r.*ref contents.*float64"):
        run(lg.RefValue(np.float64(2)))
    ref = lg.RefValue(np.float32(2))
    assert run(ref) == 2 and run(ref) == 2


def _depth(tree) -> int:
    """Levels of a prelude Tree value (iterative)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in lg.list_items(node.fields[1]))
    return deepest


@pytest.mark.parametrize("seed", range(10))
def test_random_lists_and_trees_exercise_recursion(seed):
    mod = lg.parse("", prelude=True)
    rng = np.random.default_rng(seed)
    element = lg.TensorType((), "float32")
    list_type = lg.TypeCall(mod.get_constructor("Cons").belong_to, [element])
    items = lg.list_items(random_value(list_type, mod, rng))
    assert len(items) >= 3
    tree_type = mod.get_constructor("Rose").belong_to
    assert _depth(random_value(lg.TypeCall(tree_type, [element]), mod, rng)) >= 2


@pytest.mark.parametrize(
    ("definition", "why"),
    [("type Loop { More(Loop) }", "has no finite value"), ("type Empty { }", "no constructors")],
)
def test_random_values_of_an_adt_without_a_base_case_are_refused(tmp_path, capsys, definition, why):
    name = definition.split()[1]
    program = tmp_path / "bad.rly"
    program.write_text(f"{definition}\ndef @main(%v: {name}) -> float32 {{ 1f }}\n")
    assert main(["run", str(program)]) == 1
    assert why in capsys.readouterr().err


def test_run_shows_the_random_inputs_it_used(tmp_path, capsys):
    program = tmp_path / "length.rly"
    program.write_text("def @main(%xs: List[float32], %y: float32) -> int32 { @length(%xs) }\n")
    assert main(["run", str(program), "--arg", "y=1.0"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("// %xs = Cons(") and "(random, --seed 0)" in err
    assert "%y" not in err
    assert int(out) == err.count("Cons(")


def test_long_list_values_print_without_recursion():
    mod = lg.parse("", prelude=True)
    text = repr(lg.make_list(np.arange(5000, dtype="float32"), mod))
    assert text.startswith("Cons(0., Cons(1.,") and text.endswith("Nil" + ")" * 5000)
    assert repr(lg.RefValue((np.float32(1),))) == "ref((1.,))"


def test_list_items_of_something_else_is_an_error():
    with pytest.raises(lg.Error, match="List value, got int"):
        lg.list_items(5)
