"""Forward mode on whole programs: closed forms and central differences through tuples,
closures, refs, `if`, `match`, folds over Lists, recursion over trees, polymorphic and mutually
recursive globals and checkpoints, at first and second order, on both executors (the
`executor_kind` fixture); `wrt`; nesting with itself and with reverse mode."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.testing import check_jvp

from .test_gradient_programs import (
    CHECKPOINT,
    CLOSURES,
    GLOBALS,
    IF_PROGRAM,
    MUTUAL,
    REFS,
    SMALL_PROGRAMS,
    TREE_SUM,
)

PROGRAMS = {
    "refs": REFS,
    "if": IF_PROGRAM,
    "globals": GLOBALS,
    "mutual_recursion": MUTUAL,
    "closures": CLOSURES,
    "checkpoint": CHECKPOINT,
    "polymorphic": """
        def @twice[A](%f: fn (A) -> A, %x: A) -> A { %f(%f(%x)) }
        def @main(%x: float32, %v: Tensor[(2), float32]) -> float32 {
          let %a = @twice(fn (%y: float32) { multiply(%y, %y) }, %x);
          let %b = @twice(fn (%w: Tensor[(2), float32]) { tanh(%w) }, %v);
          add(%a, sum(%b))
        }""",
    "foldl": """def @main(%xs: List[float32], %w: float32) -> float32 {
        @foldl(fn (%a: float32, %b: float32) { tanh(add(multiply(%a, %w), %b)) }, 1f, %xs) }""",
    "map_sum": """def @main(%xs: List[float32]) -> float32 {
        @sum_float32(@map(fn (%b: float32) { multiply(%b, sin(%b)) }, %xs)) }""",
    "foldr": """def @main(%xs: List[float32]) -> float32 {
        @foldr(fn (%b: float32, %a: float32) { multiply(add(%a, 1f), %b) }, 0.5f, %xs) }""",
    "list_result": """def @main(%xs: List[float32], %k: float32) -> List[float32] {
        @map(fn (%b: float32) { multiply(%k, exp(%b)) }, %xs) }""",
    "tree_sum": TREE_SUM,
    **SMALL_PROGRAMS,
}


def _inputs(mod, name):
    """Inputs for programs whose parameters are ADT values (seeded random otherwise)."""
    if "List[float32]" not in PROGRAMS[name].split("->")[0].split("{")[0]:
        return None
    xs = lg.make_list([np.float32(v) for v in (0.5, -1.0, 2.0)], mod)
    rest = [np.float32(0.7)] if name in ("foldl", "list_result") else []
    return [xs, *rest]


@pytest.mark.parametrize("name", PROGRAMS)
def test_programs_against_differences_at_second_order(name, executor_kind):
    mod = lg.parse(PROGRAMS[name], prelude=True)
    main = mod.get_global_var("main")
    check_jvp(main, _inputs(mod, name), mod=mod, order=2, executor=executor_kind)


def run_jvp(text, *args, executor="debug", wrt=None):
    mod = lg.parse(text, prelude=True)
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod, wrt=wrt)
    return lg.create_executor(executor, mod=mod).evaluate(forward)(*args)


def test_closed_form_and_integer_leaves_carry_zeros(executor_kind):
    text = """def @main(%x: Tensor[(3), float64], %n: int32) {
        (multiply(%x, sin(%x)), add(%n, 1)) }"""
    x, t = np.array([0.1, 1.0, 2.0]), np.array([1.0, -2.0, 0.5])
    (value, m), (tangent, dm) = run_jvp(text, x, 4, t, 7, executor=executor_kind)
    np.testing.assert_allclose(value, x * np.sin(x))
    np.testing.assert_allclose(tangent, (np.sin(x) + x * np.cos(x)) * t, rtol=1e-12)
    assert m == 5 and dm == 0 and dm.dtype == "int32"


def test_adt_tangents_mirror_their_primal(executor_kind):
    mod = lg.parse(PROGRAMS["list_result"], prelude=True)
    xs = lg.make_list([np.float32(v) for v in (0.5, -1.0)], mod)
    dxs = lg.make_list([np.float32(v) for v in (1.0, 2.0)], mod)
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod)
    value, tangent = lg.create_executor(executor_kind, mod=mod).evaluate(forward)(
        xs, np.float32(3), dxs, np.float32(0.5)
    )
    b, db = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    expected = 3 * np.exp(b) * db + 0.5 * np.exp(b)
    np.testing.assert_allclose([float(v) for v in lg.list_items(tangent)], expected, rtol=1e-6)
    assert len(lg.list_items(value)) == 2


def test_wrt_takes_tangents_for_the_listed_parameters_only(executor_kind):
    text = "def @main(%x: float64, %y: float64, %z: float64) { multiply(multiply(%x, %y), %z) }"
    value, tangent = run_jvp(text, 2.0, 3.0, 5.0, 1.0, 10.0, wrt=(2, 0), executor=executor_kind)
    assert value == 30.0 and tangent == 2.0 * 3.0 * 1.0 + 3.0 * 5.0 * 10.0  # z then x


def test_optimized_straight_line_jvp_is_ref_free_without_zero_tangent_arithmetic():
    text = """def @main(%x: Tensor[(4), float32], %w: Tensor[(4), float32]) {
        sum(tanh(multiply(%x, %w))) }"""
    mod = lg.parse(text)
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod, wrt=(1,))
    optimized = lg.transform.optimize(forward)
    assert not {"RefCreate", "RefRead", "RefWrite", "Function"} & (
        lg.analysis.features(optimized.body)
    )
    ops = lg.analysis.count_ops(optimized)
    # value: multiply, tanh, sum; tangent of w only: a multiply by %x, the tanh slope
    # (1 - tanh^2, times the tangent), a sum; nothing for %x's zero tangent
    assert "zeros_like" not in ops and "zeros" not in ops
    assert ops["multiply"] == 4 and ops["sum"] == 2 and ops["subtract"] == 1


def test_jvp_op_count_is_linear_in_program_size():
    def chain(n):
        body = "%x"
        for _ in range(n):
            body = f"tanh(multiply({body}, %w))"
        return lg.parse(
            f"def @main(%x: Tensor[(3), float32], %w: Tensor[(3), float32]) {{ {body} }}"
        )

    counts = []
    for n in (50, 100):
        mod = chain(n)
        forward = lg.transform.optimize(lg.transform.jvp(mod.get_global_var("main"), mod=mod))
        counts.append(sum(lg.analysis.count_ops(forward).values()))
    # two ops a step: each gives its value and at most three more ops of tangent
    assert counts[1] == 2 * counts[0] and counts[1] <= 4 * (2 * 100)


ROSENBROCK = """
def @main(%x: Tensor[(4), float64]) -> float64 {
  let %a = strided_slice(%x, begin=[0], end=[3]);
  let %b = strided_slice(%x, begin=[1], end=[4]);
  let %d = subtract(%b, multiply(%a, %a));
  let %e = subtract(1f64, %a);
  sum(add(multiply(100f64, multiply(%d, %d)), multiply(%e, %e)))
}
"""


def rosenbrock_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i, i + 1] += -400 * x[i]
        h[i + 1, i] += -400 * x[i]
        h[i + 1, i + 1] += 200
    return h


@pytest.fixture
def rosenbrock():
    mod = lg.parse(ROSENBROCK)
    x = np.array([0.3, -1.2, 0.8, 1.5])
    v = np.array([1.0, 0.5, -2.0, 0.25])
    return mod, x, v, rosenbrock_hessian(x) @ v


@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_forward_over_reverse_hessian_vector_product(rosenbrock, mode, executor_kind):
    mod, x, v, hv = rosenbrock
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode=mode)
    hvp = lg.transform.jvp(grad, mod=mod)
    (_, (g,)), (_, (hv_got,)) = lg.create_executor(executor_kind, mod=mod).evaluate(hvp)(x, v)
    np.testing.assert_allclose(hv_got, hv, rtol=1e-12)
    optimized = lg.transform.optimize(hvp, mod=mod)
    assert not {"RefCreate", "Function"} & lg.analysis.features(optimized.body)


@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_reverse_over_forward_hessian_vector_product(rosenbrock, mode, executor_kind):
    mod, x, v, hv = rosenbrock
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod)
    xs, vs = lg.var("x", shape=(4,), dtype="float64"), lg.var("v", shape=(4,), dtype="float64")
    directional = lg.Function([xs, vs], lg.TupleGetItem(forward(xs, vs), 1))
    grad = lg.transform.gradient(directional, mod=mod, mode=mode)
    _, (hv_got, grad_v) = lg.create_executor(executor_kind, mod=mod).evaluate(grad)(x, v)
    np.testing.assert_allclose(hv_got, hv, rtol=1e-12)
    assert np.all(np.isfinite(grad_v))


def test_forward_over_forward_second_derivative(executor_kind):
    f = lg.parse_expr("fn (%x: float64) { multiply(%x, multiply(%x, sin(%x))) }")
    second = lg.transform.jvp(lg.transform.jvp(f))
    x = 0.7
    # arguments: x, dx, then their tangents; d/dx (f'(x) dx) along x with dx = 1
    (_, _), (_, f2) = lg.create_executor(executor_kind).evaluate(second)(x, 1.0, 1.0, 0.0)
    expected = 2 * np.sin(x) + 4 * x * np.cos(x) - x * x * np.sin(x)
    np.testing.assert_allclose(f2, expected, rtol=1e-12)


def test_no_perturbation_confusion_between_nested_tangents(executor_kind):
    """d/dx [x * (d/dy (x + y))(y=1)] = 1, not 2: each jvp has its own tangent."""
    x, y = lg.var("x", "float64"), lg.var("y", "float64")
    mod = lg.IRModule()
    inner = lg.transform.jvp(lg.Function([x, y], x + y), mod=mod, wrt=(1,))
    outer_x = lg.var("x", "float64")
    dy = lg.TupleGetItem(inner(outer_x, lg.const(1.0, "float64"), lg.const(1.0, "float64")), 1)
    outer = lg.transform.jvp(lg.Function([outer_x], outer_x * dy), mod=mod)
    value, dx = lg.create_executor(executor_kind, mod=mod).evaluate(outer)(3.0, 1.0)
    assert value == 3.0 and dx == 1.0


def test_nested_tangent_that_uses_the_outer_variable(executor_kind):
    """d/dx [x * (d/dy (x * y))(y=x)] = d/dx [x * x] = 2x."""
    x, y = lg.var("x", "float64"), lg.var("y", "float64")
    mod = lg.IRModule()
    inner = lg.transform.jvp(lg.Function([x, y], x * y), mod=mod, wrt=(1,))
    outer_x = lg.var("x", "float64")
    dy = lg.TupleGetItem(inner(outer_x, outer_x, lg.const(1.0, "float64")), 1)
    outer = lg.transform.jvp(lg.Function([outer_x], outer_x * dy), mod=mod)
    value, dx = lg.create_executor(executor_kind, mod=mod).evaluate(outer)(3.0, 1.0)
    assert value == 9.0 and dx == 6.0


@pytest.mark.parametrize(
    ("wrt", "message"),
    [
        ((3,), "wrt index 3 is out of range: the function has 2 parameters"),
        ((0, -2), "wrt names parameter %x more than once"),
    ],
)
def test_bad_wrt_is_a_gradient_error(wrt, message):
    f = lg.parse_expr("fn (%x: float32, %y: float32) { multiply(%x, %y) }")
    with pytest.raises(lg.GradientError, match=message):
        lg.transform.jvp(f, wrt=wrt)


def test_a_function_parameter_has_no_tangent():
    f = lg.parse_expr("fn (%f: fn (float32) -> float32, %x: float32) { %f(%x) }")
    with pytest.raises(lg.GradientError, match="parameter %f .* functions have no tangent"):
        lg.transform.jvp(f)


def test_a_second_jvp_reuses_the_helper_globals_of_the_first():
    mod = lg.parse(PROGRAMS["list_result"], prelude=True)
    lg.transform.jvp(mod.get_global_var("main"), mod=mod)
    before = {g.name_hint for g in mod.functions}
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod)
    assert {g.name_hint for g in mod.functions} == before
    xs = lg.make_list([np.float32(0.5)], mod)
    _, tangent = lg.create_executor(mod=mod).evaluate(forward)(xs, np.float32(2), xs, np.float32(0))
    np.testing.assert_allclose(float(lg.list_items(tangent)[0]), 2 * np.exp(0.5) * 0.5, rtol=1e-6)


def test_ops_without_rules_are_listed_together():
    lg.ops.register_op("test.ruleless", 1, lambda types, attrs: types[0], impl=lambda x: x)
    f = lg.parse_expr("fn (%x: Tensor[(2), float32]) { test.ruleless(sin(%x)) }")
    with pytest.raises(lg.GradientError, match="no forward rule or gradient registered for: "):
        lg.transform.jvp(f)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: lg.transform.jvp(f, mod=5), "jvp: mod must be an IRModule, got int"),
        (lambda f: lg.transform.gradient(f, mod=5), "gradient: mod must be an IRModule"),
        (lambda f: lg.transform.linearize(42), "linearize needs a function, got int"),
        (lambda f: lg.transform.jvp(f, wrt=[0]), "wrt must be a tuple of parameter indices"),
    ],
)
def test_misuse_names_the_transformation(call, message):
    f = lg.parse_expr("fn (%x: float32) { sin(%x) }")
    with pytest.raises(lg.GradientError, match=message):
        call(f)
