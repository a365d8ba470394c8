"""partial_evaluate: golden before/after programs and the store across control flow."""

import numpy as np
import pytest
from hypothesis import given
from program_gen import first_order_programs

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.transform import from_anf, partial_evaluate
from lambdagrad.transform import partial_eval as pe_module

GOLDEN = {
    "known_ref_read_through": (
        """fn (%x: float32) {
             let %r = ref(%x);
             let %u = ref_write(%r, multiply(ref_read(%r), 2f));
             ref_read(%r)
           }""",
        "fn (%x: float32) { multiply(%x, 2f) }",
    ),
    "known_closure_inlined": (
        "fn (%x: float32) { let %f = fn (%y: float32) { add(%y, 1f) }; %f(%f(%x)) }",
        "fn (%x: float32) { add(add(%x, 1f), 1f) }",
    ),
    "constants_folded": (
        "fn (%x: float32) { multiply(%x, add(1f, 2f)) }",
        "fn (%x: float32) { multiply(%x, 3f) }",
    ),
    "projection_of_known_tuple": (
        "fn (%x: float32, %y: float32) { let %t = (%x, (%y, %x)); multiply(%t.1.0, %t.0) }",
        "fn (%x: float32, %y: float32) { multiply(%y, %x) }",
    ),
    "ref_holding_a_closure": (
        """fn (%x: float32) {
             let %r = ref(fn () -> float32 { %x });
             let %u = ref_write(%r, fn () -> float32 { negative(%x) });
             ref_read(%r)()
           }""",
        "fn (%x: float32) { negative(%x) }",
    ),
    "dynamic_if_specializes_the_rest": (
        """fn (%x: float32) {
             let %r = ref(%x);
             let %u = if (greater(%x, 0f)) { ref_write(%r, 1f) } else { ref_write(%r, 2f) };
             multiply(ref_read(%r), %x)
           }""",
        """fn (%x: float32) {
             if (greater(%x, 0f)) { multiply(1f, %x) } else { multiply(2f, %x) }
           }""",
    ),
    "zeros_of_a_static_type_added_away": (
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) {
             let %z = zeros_like(%x);
             subtract(add(%z, %y), %z)
           }""",
        "fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) { %y }",
    ),
    "zeros_kept_where_adding_broadcasts": (
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(3), float32]) {
             add(zeros_like(%x), %y)
           }""",
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(3), float32]) {
             add(zeros_like(%x), %y)
           }""",
    ),
    "zeros_emitted_once_where_used": (
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) {
             let %z = zeros_like(%x);
             (add(%y, %z), %z, subtract(%z, %y), multiply(%z, %y))
           }""",
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) {
             let %z = zeros_like(%x);
             (%y, %z, subtract(%z, %y), multiply(%z, %y))
           }""",
    ),
    "zeros_like_zeros_is_the_same_zeros": (
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) {
             let %z = zeros_like(zeros_like(%x));
             (%z, add(%z, %y))
           }""",
        """fn (%x: Tensor[(2, 3), float32], %y: Tensor[(2, 3), float32]) {
             (zeros_like(%x), %y)
           }""",
    ),
    "zeros_of_an_unknown_shape_stay": (
        "fn (%x: Tensor[(?, 3), float32], %y: Tensor[(?, 3), float32]) { add(zeros_like(%x), %y) }",
        "fn (%x: Tensor[(?, 3), float32], %y: Tensor[(?, 3), float32]) { add(zeros_like(%x), %y) }",
    ),
}


def normalize(expr):
    return from_anf(expr)


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = (lg.parse_expr(t) for t in GOLDEN[name])
    result = normalize(partial_evaluate(before))
    assert alpha_equal(result, after), f"{name}:\n{result}"


def run(func, *args, mod=None):
    return lg.create_executor(mod=mod).evaluate(func)(*args)


def test_match_on_known_constructor_is_decided():
    mod = lg.parse("def @main(%x: float32) { @hd(Cons(%x, Nil)) }", prelude=True)
    out = partial_evaluate(mod)
    assert "Match" not in lg.analysis.features(out["main"])
    assert run(out["main"], 3.0, mod=out) == 3.0


def test_unknown_call_forgets_escaped_refs():
    text = """
    fn (%x: float32, %f: fn (ref(float32)) -> ()) {
      let %r = ref(%x);
      let %u = %f(%r);
      ref_read(%r)
    }"""
    func = lg.parse_expr(text)
    out = partial_evaluate(func)
    assert "RefRead" in lg.analysis.features(out)  # %f may have written %r

    def writer(ref):
        ref.value = np.float32(7)
        return ()

    assert run(out, 1.0, writer) == 7.0


def test_recursion_terminates_and_stays_correct():
    mod = lg.parse(
        """
        def @count(%n: int32, %x: float32) -> float32 {
          if (equal(%n, 0)) { %x } else { @count(subtract(%n, 1), tanh(%x)) }
        }
        def @main(%n: int32, %x: float32) -> float32 { @count(%n, %x) }""",
    )
    out = partial_evaluate(mod)
    np.testing.assert_allclose(run(out["main"], 5, 0.5, mod=out), run(mod["main"], 5, 0.5, mod=mod))


def test_join_past_the_fork_budget(monkeypatch):
    monkeypatch.setattr(pe_module, "FORK_BUDGET", 0)
    text = """
    fn (%x: float32) {
      let %r = ref(%x);
      let %u = if (greater(%x, 0f)) { ref_write(%r, 1f) } else { ref_write(%r, 2f) };
      multiply(ref_read(%r), %x)
    }"""
    out = partial_evaluate(lg.parse_expr(text))
    assert "RefCreate" in lg.analysis.features(out)  # joined: the ref is real now
    assert run(out, 3.0) == 3.0 and run(out, -3.0) == -6.0


def test_long_programs_inline_past_the_fixed_budget(monkeypatch):
    """The inlining budget grows with the program: a gradient whose backpropagator is more
    closure calls than the fixed budget still becomes ref-free (it used to fall back to
    residual closures, quadratically)."""
    monkeypatch.setattr(pe_module, "UNFOLD_BUDGET", 10)
    x = lg.var("x", shape=(3,))
    body = x
    for _ in range(40):
        body = lg.op.tanh(body) * x
    grad = lg.transform.gradient(lg.Function([x], lg.op.sum(body)))
    out = partial_evaluate(grad)
    assert not {"RefCreate", "RefRead", "RefWrite"} & lg.analysis.features(out)
    value = np.linspace(-1, 1, 3).astype("float32")
    np.testing.assert_allclose(run(out, value)[1][0], run(grad, value)[1][0], rtol=1e-5)


@pytest.mark.parametrize(
    "text",
    [
        "fn (%x: Tensor[(3), float32]) { sum(multiply(%x, %x)) }",
        """fn (%x: Tensor[(3), float32]) {
             let %s = sum(%x);
             if (greater(%s, 0f)) { multiply(%s, %s) } else { sum(sin(%x)) }
           }""",
        """fn (%x: float32) {
             let %r = ref(%x);
             let %f = fn (%k: float32) -> () { ref_write(%r, multiply(ref_read(%r), %k)) };
             let %u1 = %f(%x);
             let %u2 = %f(3f);
             ref_read(%r)
           }""",
    ],
)
def test_higher_order_gradients_become_ref_free(text):
    grad = lg.transform.gradient(lg.parse_expr(text))
    out = partial_evaluate(grad)
    assert not {"RefCreate", "RefRead", "RefWrite"} & lg.analysis.features(out)
    functions = [n for n in lg.ir.post_order(out) if isinstance(n, lg.Function)]
    assert functions == [out]
    x = np.array([0.5, -1.0, 2.0], "float32") if "Tensor" in text else np.float32(1.5)
    expected, got = run(grad, x), run(out, x)
    np.testing.assert_allclose(expected[0], got[0], rtol=1e-6)
    np.testing.assert_allclose(expected[1][0], got[1][0], rtol=1e-6)


def test_recursive_gradients_stay_correct():
    mod = lg.parse(
        """def @main(%xs: List[float32], %w: float32) -> float32 {
             @foldl(fn (%a: float32, %b: float32) { add(multiply(%a, %w), %b) }, 1f, %xs)
           }""",
        prelude=True,
    )
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    out = partial_evaluate(grad, mod=mod)
    xs = lg.make_list([np.float32(v) for v in (0.5, -1.0, 2.0)], mod)
    expected, got = run(grad, xs, 1.5, mod=mod), run(out, xs, 1.5, mod=mod)
    assert expected[0] == got[0] and expected[1][1] == got[1][1]
    assert [float(v) for v in lg.list_items(expected[1][0])] == [
        float(v) for v in lg.list_items(got[1][0])
    ]


def test_long_let_chain():
    n = 20_000
    lines = ["fn (%x0: float32) {"] + [f"  let %x{i + 1} = add(%x{i}, 1f);" for i in range(n)]
    func = lg.parse_expr("\n".join([*lines, f"  %x{n}", "}"]))
    out = partial_evaluate(func)
    assert lg.analysis.count_ops(out) == {"add": n}


@pytest.mark.slow
@given(first_order_programs(with_if=True))
def test_partially_evaluated_gradients_are_well_typed(program):
    """Regression: residual names were keyed by the ids of values that could be freed, so a
    new value could take a dead closure's name (found as a gradient returning a closure)."""
    mod = program.mod.copy()
    mod["main"] = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    lg.transform.infer_type(partial_evaluate(mod))
