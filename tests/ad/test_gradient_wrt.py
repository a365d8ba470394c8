"""`gradient(..., wrt=...)`: the chosen parameters' gradients, equal to the full gradient's,
and no work spent on the other parameters (counted in the optimized program)."""

import importlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdagrad as lg
from lambdagrad.runtime.random_values import random_value
from lambdagrad.testing import check_grad

# the random program generator the optimizer's tests use (tests/transform/program_gen.py)
sys.path.insert(0, str(Path(__file__).parents[1] / "transform"))
programs = importlib.import_module("program_gen").programs

STRAIGHT_LINE = """
def @main(%x: Tensor[(4, 5), float32], %labels: Tensor[(4, 3), float32],
          %w1: Tensor[(6, 5), float32], %w2: Tensor[(3, 6), float32]) -> float32 {
  let %hidden = tanh(nn.dense(%x, %w1));
  let %logits = nn.dense(%hidden, %w2);
  nn.cross_entropy_with_logits(nn.log_softmax(%logits), %labels)
}
"""

CLOSURES = """
def @make_scaler(%k: float32) -> fn (float32) -> float32 {
  fn (%y: float32) -> float32 { multiply(%k, sin(%y)) }
}
def @main(%x: float32, %k: float32) -> float32 {
  let %f = @make_scaler(multiply(%k, %k));
  let %g = fn (%y: float32) { multiply(%y, %x) };
  add(%f(%f(%x)), %g(%k))
}
"""

IF_AND_TUPLES = """
def @main(%x: Tensor[(3), float32], %p: (float32, Tensor[(3), float32])) -> float32 {
  let %s = sum(multiply(%x, %p.1));
  if (greater(%s, 0f)) { multiply(%s, %p.0) } else { sum(sin(%x)) }
}
"""

MATCH_AND_REFS = """
def @main(%o: Option[float32], %x: float32, %w: float32) -> float32 {
  let %r = ref(%x);
  let %scale = fn (%k: float32) -> () { ref_write(%r, multiply(ref_read(%r), %k)) };
  let %u = %scale(%w);
  let %v = match (%o) { Some(%a) => multiply(%a, ref_read(%r)), None => ref_read(%r) };
  multiply(%v, %w)
}
"""

FOLDS = """
def @main(%xs: List[Tensor[(3), float32]], %w: Tensor[(3), float32], %h: Tensor[(3), float32])
    -> float32 {
  let %step = fn (%acc: Tensor[(3), float32], %x: Tensor[(3), float32]) {
    tanh(add(multiply(%acc, %w), sin(%x)))
  };
  let %mapped = @map(fn (%x: Tensor[(3), float32]) { multiply(sin(%x), %w) }, %xs);
  let %right = @foldr(fn (%x: Tensor[(3), float32], %acc: float32) {
    add(%acc, sum(multiply(sin(%x), %h)))
  }, 0f, %xs);
  let %mapped_sum = @foldl(fn (%a: Tensor[(3), float32], %m: Tensor[(3), float32]) {
    add(%a, tanh(%m))
  }, %h, %mapped);
  add(add(sum(@foldl(%step, %h, %xs)), %right), sum(%mapped_sum))
}
"""

TREES = """
def @tree_sum(%t: Tree[Tensor[(2), float32]], %w: Tensor[(2), float32]) -> Tensor[(2), float32] {
  match (%t) {
    Rose(%v, %kids) => @foldl(fn (%acc: Tensor[(2), float32], %c: Tree[Tensor[(2), float32]]) {
      add(%acc, @tree_sum(%c, %w))
    }, multiply(sin(%v), %w), %kids),
  }
}
def @main(%t: Tree[Tensor[(2), float32]], %w: Tensor[(2), float32]) -> float32 {
  sum(multiply(%w, @tree_sum(%t, %w)))
}
"""

POLYMORPHIC = """
def @twice[A](%f: fn (A) -> A, %x: A) -> A { %f(%f(%x)) }
def @main(%x: float32, %v: Tensor[(2), float32]) -> float32 {
  let %a = @twice(fn (%y: float32) { multiply(%y, sin(%y)) }, %x);
  let %b = @twice(fn (%w: Tensor[(2), float32]) { tanh(multiply(%w, %x)) }, %v);
  add(%a, sum(%b))
}
"""

CHECKPOINT = """
def @main(%x: Tensor[(3), float32], %w: Tensor[(3), float32]) -> float32 {
  let %h = annotation.checkpoint(tanh(multiply(%x, %w)));
  let %c = annotation.checkpoint(sin(%x));
  sum(multiply(%h, add(%x, %c)))
}
"""

MUTUAL_RECURSION = """
def @even_poly(%n: nat, %x: float32, %w: float32) -> float32 {
  match (%n) { zero => %x, succ(%p) => multiply(%w, @odd_poly(%p, %x, %w)) }
}
def @odd_poly(%n: nat, %x: float32, %w: float32) -> float32 {
  match (%n) { zero => sin(%x), succ(%p) => add(%x, @even_poly(%p, %x, %w)) }
}
def @main(%x: float32, %w: float32) -> float32 { @even_poly(succ(succ(succ(zero))), %x, %w) }
"""

CLOSURES_IN_DATA = """
def @main(%x: float32, %w: float32) -> float32 {
  let %fs = Cons(fn (%y: float32) { multiply(%y, %w) }, Cons(fn (%y: float32) { sin(%y) }, Nil));
  let %g = if (greater(%x, 0f)) { fn (%y: float32) { multiply(%y, %w) } } else { @fs_head(%fs) };
  let %loop = fn (%n: int32, %y: float32) -> float32 {
    if (equal(%n, 0)) { %y } else { %loop(subtract(%n, 1), multiply(sin(%y), %w)) }
  };
  %loop(2, %g(@foldl(fn (%acc: float32, %f: fn (float32) -> float32) { %f(%acc) }, %x, %fs)))
}
def @fs_head(%fs: List[fn (float32) -> float32]) -> fn (float32) -> float32 {
  match (%fs) { Cons(%f, _) => %f, Nil => fn (%y: float32) { %y } }
}
"""

REFS_OVER_DATA = """
def @main(%xs: List[float32], %w: float32) -> float32 {
  let %r = ref(0f);
  let %add = fn (%a: (), %x: float32) { ref_write(%r, add(ref_read(%r), multiply(sin(%x), %w))) };
  let %u = @foldl(%add, (), %xs);
  ref_read(%r)
}
"""

GLOBAL_STEP = """
def @step(%acc: Tensor[(3), float32], %x: Tensor[(3), float32]) -> Tensor[(3), float32] {
  tanh(multiply(%acc, sin(%x)))
}
def @main(%xs: List[Tensor[(3), float32]], %w: Tensor[(3), float32]) -> float32 {
  sum(@foldl(@step, %w, %xs))
}
"""

GLOBAL_PASSING_ITSELF = """
def @apply(%g: fn (nat, float32) -> float32, %n: nat, %x: float32) -> float32 { %g(%n, %x) }
def @f(%n: nat, %x: float32) -> float32 {
  match (%n) { zero => sin(%x), succ(%p) => multiply(%x, @apply(@f, %p, %x)) }
}
def @plus(%a: float32, %b: float32) -> float32 { add(%a, multiply(%a, %b)) }
def @main(%x: float32, %w: float32) -> float32 {
  multiply(@apply(@f, succ(succ(zero)), %x), @foldl(@plus, %w, Cons(%x, Nil)))
}
"""

PROGRAMS = {
    "straight_line": (STRAIGHT_LINE, [(2, 3), (0, 2)]),
    "closures": (CLOSURES, [(0,), (1, 0)]),
    "if_and_tuples": (IF_AND_TUPLES, [(0,), (1,)]),
    "match_and_refs": (MATCH_AND_REFS, [(1,), (2,)]),
    "folds": (FOLDS, [(1,), (1, 2)]),
    "trees": (TREES, [(1,), (0,)]),
    "polymorphic": (POLYMORPHIC, [(0,), (1,)]),
    "checkpoint": (CHECKPOINT, [(1,)]),
    "mutual_recursion": (MUTUAL_RECURSION, [(1,)]),
    "closures_in_data": (CLOSURES_IN_DATA, [(0,), (1,)]),
    "refs_over_data": (REFS_OVER_DATA, [(1,)]),
    "global_step": (GLOBAL_STEP, [(1,)]),
    "global_passing_itself": (GLOBAL_PASSING_ITSELF, [(0,), (1,)]),
}

CASES = [(name, wrt) for name, (_, wrts) in PROGRAMS.items() for wrt in wrts]


def _inputs(mod: lg.IRModule, seed: int = 0) -> list:
    main = lg.transform.infer_type(mod)["main"]
    rng = np.random.default_rng(seed)
    return [random_value(p.checked_type, mod, rng) for p in main.params]


def _leaves(value) -> list:
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, lg.ConstructorValue):
        return [value.constructor.name, *_leaves(list(value.fields))]
    return [value]


def _assert_same(actual, expected) -> None:
    actual, expected = _leaves(actual), _leaves(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if isinstance(e, str):
            assert a == e
        else:
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def _gradient_module(text: str, wrt, mode="higher_order") -> lg.IRModule:
    """The program's module with `@entry`, the gradient of `@main` for `wrt`, optimized."""
    mod = lg.parse(text, prelude=True)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode=mode, wrt=wrt)
    mod[lg.GlobalVar("entry")] = grad
    return lg.transform.optimize(mod)


def _run(mod: lg.IRModule, kind: str, args) -> tuple:
    return lg.create_executor(kind, mod=mod).evaluate(mod.get_global_var("entry"))(*args)


@pytest.mark.parametrize(("name", "wrt"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_gradients_are_the_full_gradients_components(name, wrt, executor_kind):
    text = PROGRAMS[name][0]
    mod = lg.parse(text, prelude=True)
    args = _inputs(mod)
    main = mod.get_global_var("main")
    full = lg.transform.gradient(main, mod=mod)
    chosen = lg.transform.gradient(main, mod=mod, wrt=wrt)
    run = lg.create_executor(executor_kind, mod=mod)
    value, grads = run.evaluate(full)(*args)
    wrt_value, wrt_grads = run.evaluate(chosen)(*args)
    _assert_same(wrt_value, value)
    _assert_same(wrt_grads, tuple(grads[i] for i in wrt))
    optimized_value, optimized_grads = _run(_gradient_module(text, wrt), executor_kind, args)
    _assert_same(optimized_value, value)
    _assert_same(optimized_grads, wrt_grads)


@pytest.mark.parametrize(("name", "wrt"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_check_grad_through_the_wrt_gradient(name, wrt):
    """Finite differences of the sum of the chosen gradients agree with its gradient: the
    wrt program is an ordinary differentiable program (a second order check)."""
    mod = lg.parse(PROGRAMS[name][0], prelude=True)
    main = lg.transform.infer_type(mod)["main"]
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=wrt)
    params = [lg.var(p.name_hint, p.checked_type) for p in main.params]
    mod[lg.GlobalVar("grads_of")] = lg.Function(params, lg.TupleGetItem(grad(*params), 1))
    check_grad(mod.get_global_var("grads_of"), _inputs(mod, seed=1), mod=mod)


def test_first_order_mode_agrees_and_drops_the_data_gradient(executor_kind):
    args = _inputs(lg.parse(STRAIGHT_LINE))
    full = _run(_gradient_module(STRAIGHT_LINE, None, "first_order"), executor_kind, args)
    mod = _gradient_module(STRAIGHT_LINE, (2, 3), "first_order")
    value, grads = _run(mod, executor_kind, args)
    _assert_same((value, grads), (full[0], full[1][2:]))
    check_grad(lg.parse(STRAIGHT_LINE).get_global_var("main"), args, mod=lg.parse(STRAIGHT_LINE))


def _ops(mod: lg.IRModule) -> dict[str, int]:
    """Op calls in every function of `mod`, summed."""
    total: dict[str, int] = {}
    for gvar in mod.functions:
        for op, n in lg.analysis.count_ops(mod[gvar]).items():
            total[op] = total.get(op, 0) + n
    return total


@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_no_op_computes_the_gradient_of_data_or_labels(mode):
    full = Counter(lg.analysis.count_ops(_gradient_module(STRAIGHT_LINE, None, mode)["entry"]))
    weights = lg.analysis.count_ops(_gradient_module(STRAIGHT_LINE, (2, 3), mode)["entry"])
    # what only the full gradient computes: d%x = dense(d%hidden_pre, transpose(%w1)) and
    # d%labels = -log_softmax(logits) / batch; the weights' program is the rest, op for op
    only_full = {"nn.dense": 1, "transpose": 1, "negative": 1, "divide": 1}
    assert full - Counter(weights) == only_full and not Counter(weights) - full


@pytest.mark.parametrize(
    ("name", "wrt"),
    [("folds", (1, 2)), ("trees", (1,)), ("refs_over_data", (1,)), ("global_step", (1,))],
)
def test_no_op_computes_the_gradient_of_a_folded_list_or_a_tree(name, wrt):
    """The data enter only through sin: its derivative, cos, would be data gradient work,
    in the folds' closures (called with plain list elements) and in the recursion."""
    text = PROGRAMS[name][0]
    assert _ops(_gradient_module(text, None)).get("cos", 0) > 0
    assert "cos" not in _ops(_gradient_module(text, wrt))


def test_derived_globals_are_specialized_by_activity_and_plain_calls_stay_plain():
    mod = lg.parse(TREES, prelude=True)
    lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=(1,))
    derived = {g.name_hint for g in mod.functions if "_grad" in g.name_hint}
    assert "tree_sum_grad_pa" in derived and "tree_sum_grad" not in derived
    mod = lg.parse(TREES, prelude=True)
    lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=(0, 1))
    assert "tree_sum_grad" in {g.name_hint for g in mod.functions}


def test_a_result_that_needs_no_chosen_parameter_has_zero_gradients(executor_kind):
    f = lg.parse_expr("fn (%x: float32, %y: float32) { (multiply(%x, %x), sin(%y)) }")
    run = lg.create_executor(executor_kind).evaluate(lg.transform.gradient(f, wrt=(1,)))
    (xx, sin_y), (dy,) = run(3.0, 0.5)
    assert xx == 9.0 and np.isclose(dy, np.cos(0.5))


@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_vjp_with_wrt(mode, executor_kind):
    f = lg.parse_expr(
        "fn (%x: Tensor[(3), float32], %w: Tensor[(3), float32]) { (multiply(%x, %w), sin(%w)) }"
    )
    x, w = np.array([1.0, 2.0, 3.0], "float32"), np.array([0.5, -1.0, 2.0], "float32")
    ct = (np.array([1.0, 0.0, 2.0], "float32"), np.array([0.5, 0.5, 0.5], "float32"))
    vjp = lg.transform.vjp(f, mode=mode, wrt=(1,))
    _, (dw,) = lg.create_executor(executor_kind).evaluate(vjp)(x, w, ct)
    np.testing.assert_allclose(dw, x * ct[0] + np.cos(w) * ct[1], rtol=1e-6)


@pytest.mark.parametrize(
    ("wrt", "message"),
    [
        ((2,), r"wrt index 2 is out of range: the function has 2 parameters \(%x, %w\)"),
        ((0, -2), r"wrt names parameter %x more than once: the function has 2 parameters"),
        ([0], r"wrt must be a tuple of parameter indices, got \[0\]; the function has 2"),
        (("w",), r"wrt must be a tuple of parameter indices, got \('w',\)"),
        ((True,), r"wrt must be a tuple of parameter indices"),
    ],
)
@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_bad_wrt_is_a_gradient_error_naming_the_parameters(wrt, message, mode):
    f = lg.parse_expr("fn (%x: float32, %w: float32) { multiply(%x, %w) }")
    with pytest.raises(lg.GradientError, match=message):
        lg.transform.gradient(f, mode=mode, wrt=wrt)


def test_a_function_parameter_outside_wrt_called_on_active_values_is_an_error():
    f = lg.parse_expr("fn (%f: fn (float32) -> float32, %x: float32) { %f(%x) }")
    with pytest.raises(lg.GradientError, match="a parameter outside wrt"):
        lg.transform.gradient(f, wrt=(1,))
    with pytest.raises(lg.GradientError, match="parameter %f of type fn"):
        lg.transform.gradient(f, wrt=(0,))


def test_wrt_leaves_the_callers_function_and_module_alone():
    mod = lg.parse(TREES, prelude=True)
    before = {g.name_hint: str(mod[g]) for g in mod.functions}
    lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=(1,))
    assert all(str(mod[lg.GlobalVar(name)]) == text for name, text in before.items())


@pytest.mark.slow
@given(programs(differentiable=True), st.data())
def test_random_programs_wrt_gradients_are_the_full_gradients_components(program, data):
    """Random programs with closures, refs, if, match on lists, folds and recursion; a random
    ordered choice of parameters."""
    count = len(program.main.params)
    chosen = data.draw(st.permutations(range(count)).map(tuple))
    wrt = chosen[: data.draw(st.integers(1, count))] if count else ()
    main = program.mod.get_global_var("main")
    full = lg.transform.gradient(main, mod=program.mod)
    part = lg.transform.gradient(main, mod=program.mod, wrt=wrt)
    run = lg.create_executor(mod=program.mod)
    value, grads = run.evaluate(full)(*program.args)
    wrt_value, wrt_grads = run.evaluate(part)(*program.args)
    _assert_same((wrt_value, wrt_grads), (value, tuple(grads[i] for i in wrt)))
