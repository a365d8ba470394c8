"""lg.jit on programs with control flow, recursion, closures, folds and match: values against
numpy, gradients (first and second order) against JAX or closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.frontend as lgf

from .helpers import second_derivative, value_and_grads

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(0)


@lg.jit
def dense_tanh(x, w):
    h = np.tanh(x @ w) * 2.0
    return np.sum(h, axis=0)


def test_arithmetic_and_array_functions_against_numpy():
    x = RNG.standard_normal((2, 3)).astype("float32")
    w = RNG.standard_normal((3, 4)).astype("float32")
    out = dense_tanh(x, w)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.sum(np.tanh(x @ w) * 2.0, axis=0), rtol=1e-5)


@lg.jit
def signed_scale(x, w):
    if np.sum(x * w) > 0:
        y = x * w
        z = 2.0
    elif np.sum(x) > 1:
        y = x + w
        z = 3.0
    else:
        y = -x
        z = 0.5
    return np.sum(y * y) * z


def signed_scale_jax(x, w):
    if jnp.sum(x * w) > 0:
        return jnp.sum((x * w) ** 2) * 2.0
    if jnp.sum(x) > 1:
        return jnp.sum((x + w) ** 2) * 3.0
    return jnp.sum(x * x) * 0.5


@pytest.mark.parametrize("x", [[1.0, 2.0, -0.5], [-1.0, 4.0, -3.0], [-1.0, -2.0, 0.5]])
def test_if_elif_else_on_values_merges_variables(x):
    x, w = np.array(x), np.array([0.5, 0.25, 1.0])
    value, grads = value_and_grads(signed_scale, x, w)
    np.testing.assert_allclose(value, signed_scale_jax(x, w))
    expected = jax.grad(signed_scale_jax, argnums=(0, 1))(x, w)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got, want)


DEBUG = False


@lg.jit
def static_condition(x):
    if DEBUG:
        x = x + 100.0
    return x * 2.0


def test_conditions_on_python_constants_are_decided_at_translation():
    mod = static_condition.lower(3.0)
    assert "If" not in lg.analysis.features(mod["main"])
    assert static_condition(3.0) == 6.0


@lg.jit
def grow_until(x):
    steps = 0
    while np.sum(x * x) < 100.0:
        x = x * 1.5
        steps += 1
    return np.sum(x), steps


@lg.jit
def grown_total(x):
    return grow_until(x)[0]


@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0])
def test_while_with_a_value_dependent_trip_count(scale):
    x = np.array([0.5, 1.0]) * scale
    trips = int(np.ceil(np.log(100.0 / np.sum(x * x)) / np.log(1.5**2)))
    total, steps = grow_until(x)
    assert steps == trips
    np.testing.assert_allclose(total, np.sum(x) * 1.5**trips)
    value, (dx,) = value_and_grads(grown_total, x, optimize=True)
    np.testing.assert_allclose(value, total)
    np.testing.assert_allclose(dx, np.full(2, 1.5**trips))


@lg.jit
def power_loop(x, n):
    acc = 1.0
    for i in range(n):
        if i == 2:
            continue
        if i >= 6:
            break
        acc = acc * x
    return acc


@pytest.mark.parametrize("n", [0, 1, 3, 5, 7, 20])
def test_for_range_with_break_and_continue(n):
    trips = len([i for i in range(n) if i != 2 and i < 6])
    x = 1.3
    assert np.isclose(power_loop(x, n), x**trips)
    _, (dx, _) = value_and_grads(power_loop, x, n)
    assert np.isclose(dx, trips * x ** (trips - 1) if trips else 0.0)
    second = trips * (trips - 1) * x ** max(trips - 2, 0)
    assert np.isclose(second_derivative(power_loop, x, n), second)


def test_one_loop_body_whatever_the_trip_count():
    mod = power_loop.lower(1.0, 3)
    compiled = len(power_loop.signatures)
    assert str(power_loop.lower(2.0, 500)) == str(mod)  # the trip count is not in the types
    assert len(power_loop.signatures) == compiled
    assert lg.analysis.count_ops(mod["main"])["multiply"] == 1


@lg.jit
def rnn(xs, h, w, u):
    for x in xs:
        h = np.tanh(h @ w + x @ u)
    return np.sum(h * h)


def rnn_jax(xs, h, w, u):
    for x in xs:
        h = jnp.tanh(h @ w + x @ u)
    return jnp.sum(h * h)


@pytest.mark.parametrize("length", [1, 6])
def test_fold_over_a_list_against_jax(length):
    xs = [RNG.standard_normal(2) for _ in range(length)]
    h, w, u = RNG.standard_normal(3), RNG.standard_normal((3, 3)), RNG.standard_normal((2, 3))
    value, grads = value_and_grads(rnn, lg.List(xs), h, w, u, optimize=True)
    np.testing.assert_allclose(value, rnn_jax(xs, h, w, u), rtol=1e-10)
    expected = jax.grad(rnn_jax, argnums=(1, 2, 3))(xs, h, w, u)
    for got, want in zip(grads[1:], expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
    dxs = lg.list_items(grads[0])
    for got, want in zip(dxs, jax.grad(rnn_jax)(xs, h, w, u), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def test_the_list_length_is_not_in_the_program():
    h, w, u = np.zeros(3), np.eye(3), np.ones((2, 3))
    short = rnn.lower(lg.List([np.ones(2)]), h, w, u)
    compiled = len(rnn.signatures)
    assert str(rnn.lower(lg.List([np.ones(2)] * 50), h, w, u)) == str(short)
    assert len(rnn.signatures) == compiled
    assert lg.analysis.count_ops(short["main"])["tanh"] == 1


def test_a_long_list_runs_without_deep_recursion():
    xs = lg.List([np.full(2, 0.001)] * 100_000)
    value = rnn(xs, np.zeros(3), np.eye(3) * 0.5, np.ones((2, 3)))
    assert np.isfinite(value)


@lg.jit
def sum_of_squares(xs):
    total = 0.0
    for x in xs:
        total = total + x * x
    return total


def test_a_list_of_followed_values_goes_to_the_transformation():
    # the followed values sit in an ADT value, not in a tuple: the call is still the
    # transformation's, not a translation of tracers
    def loss(x):
        return sum_of_squares(lg.List([x, 2.0 * x]))

    assert lg.grad(loss)(1.0) == 10.0
    assert lg.grad(lg.grad(loss))(1.0) == 10.0


@lg.jit
def power(x, n):
    if n <= 0:
        return 1.0
    return x * power(x, n - 1)


@lg.jit
def is_even_scaled(x, n):
    if n == 0:
        return x
    return is_odd_scaled(x * 2.0, n - 1)


@lg.jit
def is_odd_scaled(x, n):
    if n == 0:
        return -x
    return is_even_scaled(x, n - 1)


def test_recursion_becomes_a_recursive_global():
    assert np.isclose(power(1.5, 4), 1.5**4)
    _, (dx, _) = value_and_grads(power, 1.5, 4)
    assert np.isclose(dx, 4 * 1.5**3)
    assert np.isclose(second_derivative(power, 1.5, 4), 12 * 1.5**2)


def test_mutual_recursion_between_jitted_functions():
    mod = is_even_scaled.lower(1.0, 3)
    assert {g.name_hint for g in mod.functions} == {"main", "is_odd_scaled"}
    assert is_even_scaled(1.0, 3) == -4.0  # three halvings of parity, two doublings
    assert is_even_scaled(1.0, 4) == 4.0


@lg.jit
def closures(x):
    scale = 3.0

    def scaled(v):
        return v * scale

    squares = (lambda v: v * v,)
    scale = 5.0  # captured by value: scaled keeps 3
    return scaled(squares[0](x)) + scale


def test_closures_capture_by_value():
    assert closures(2.0) == 2.0 * 2.0 * 3.0 + 5.0
    _, (dx,) = value_and_grads(closures, 2.0)
    assert np.isclose(dx, 12.0)
    assert np.isclose(second_derivative(closures, 2.0), 6.0)


@lg.adt
class Formula:
    Lit = "float64"
    Input = ()
    Add = ("Formula", "Formula")
    Mul = ("Formula", "Formula")
    Sin = "Formula"


@lg.jit
def evaluate(f, x):
    match f:
        case Formula.Lit(value):
            return value
        case Formula.Input():
            return x
        case Formula.Add(a, b):
            return evaluate(a, x) + evaluate(b, x)
        case Formula.Mul(a, b):
            return evaluate(a, x) * evaluate(b, x)
        case Formula.Sin(a):
            return np.sin(evaluate(a, x))


def test_match_over_a_user_adt_values_and_gradients():
    x = Formula.Input()
    f = Formula.Add(Formula.Mul(x, Formula.Sin(x)), Formula.Lit(3.0))  # x sin x + 3
    assert np.isclose(evaluate(f, 0.7), 0.7 * np.sin(0.7) + 3)
    _, (_, dx) = value_and_grads(evaluate, f, 0.7)
    assert np.isclose(dx, np.sin(0.7) + 0.7 * np.cos(0.7))
    mod = evaluate.lower(f, 0.7)
    second = second_derivative(lg.jit(lambda x, f: evaluate(f, x)), 0.7, f)
    assert np.isclose(second, 2 * np.cos(0.7) - 0.7 * np.sin(0.7))
    assert "Match" in lg.analysis.features(mod["main"])


@lg.jit
def depth(t):
    match t:
        case lg.List.Cons(head, rest):
            return head + depth(rest)
        case lg.List.Nil():
            return 0.0


def test_match_over_the_prelude_list():
    assert depth(lg.List([1.0, 2.0, 4.0])) == 7.0


def test_lowered_modules_print_as_text_that_parses_back():
    for mod in [
        signed_scale.lower(np.ones(3), np.ones(3)),
        power_loop.lower(1.0, 3),
        rnn.lower(lg.List([np.ones(2)]), np.zeros(3), np.eye(3), np.ones((2, 3))),
        evaluate.lower(Formula.Input(), 1.0),
        closures.lower(1.0),
        is_even_scaled.lower(1.0, 2),
    ]:
        again = lg.parse(str(mod), prelude=True)
        for gvar, func in mod.functions.items():
            assert lg.analysis.alpha_equal(func, again[gvar.name_hint])


def test_specializes_on_types_and_compiles_once_per_signature():
    f32 = dense_tanh.lower(np.ones((2, 3), "float32"), np.ones((3, 4), "float32"))
    f64 = dense_tanh.lower(np.ones((2, 3)), np.ones((3, 4)))
    assert str(f32) != str(f64)
    compiled = len(dense_tanh.signatures)
    dense_tanh(np.zeros((2, 3), "float32"), np.ones((3, 4), "float32"))
    assert len(dense_tanh.signatures) == compiled
    assert str(power.lower(2.0, 3)["main"].params[1].type_annotation) == "int64"


def test_arguments_are_not_mutated():
    x = np.array([1.0, 2.0])
    before = x.copy()
    grow_until(x)
    value_and_grads(grown_total, x)
    np.testing.assert_array_equal(x, before)


@lg.jit
def rnn_with_a_step_function(xs, h, w):
    def step(state, x):
        return np.tanh(state @ w + x)

    for x in xs:
        h = step(h, x)
    return np.sum(h)


def step_rnn_jax(xs, h, w):
    for x in xs:
        h = jnp.tanh(h @ w + x)
    return jnp.sum(h)


def test_a_nested_def_is_translated_at_its_calls_with_their_types():
    xs, h, w = [RNG.standard_normal(3) for _ in range(4)], np.zeros(3), RNG.standard_normal((3, 3))
    assert np.isclose(rnn_with_a_step_function(lg.List(xs), h, w), step_rnn_jax(xs, h, w))
    _, grads = value_and_grads(rnn_with_a_step_function, lg.List(xs), h, w)
    np.testing.assert_allclose(grads[2], jax.grad(step_rnn_jax, argnums=2)(xs, h, w))


@lg.jit
def nested_recursion(x, n):
    def go(k):
        if k <= 0:
            return 1.0
        return x * go(k - 1)

    return go(n)


def test_a_nested_def_may_call_itself():
    assert nested_recursion(2.0, 5) == 32.0
    assert np.isclose(second_derivative(nested_recursion, 1.5, 3), 6 * 1.5)


@lg.jit
def mlp(x, layers):
    for w, b in layers:
        x = np.tanh(x @ w + b)
    for scale in (2.0, 0.5):
        x = x * scale
    return np.sum(x)


def mlp_jax(x, layers):
    for w, b in layers:
        x = jnp.tanh(x @ w + b)
    return jnp.sum(x)


def test_loops_over_tuples_are_unrolled():
    layers = tuple((RNG.standard_normal((3, 3)), RNG.standard_normal(3)) for _ in range(3))
    x = RNG.standard_normal((2, 3))
    value, (dx, dlayers) = value_and_grads(mlp, x, layers)
    np.testing.assert_allclose(value, mlp_jax(x, layers))
    want_x, want_layers = jax.grad(mlp_jax, argnums=(0, 1))(x, layers)
    np.testing.assert_allclose(dx, want_x)
    for got, want in zip(
        jax.tree_util.tree_leaves(dlayers), jax.tree_util.tree_leaves(want_layers), strict=True
    ):
        np.testing.assert_allclose(got, want)


@lg.jit
def indexing(x, i):
    first = x[0]
    middle = x[1:3]
    picked = x[i]
    zeros = np.zeros(x.shape)
    return first + np.sum(middle) + picked + np.sum(zeros) + x.shape[0], x.T @ x


def test_indexing_slices_and_static_shapes():
    x = np.arange(4.0)
    assert [float(v) for v in indexing(x, 3)] == [float(v) for v in indexing.fun(x, 3)]


@lg.jit
def list_literal(x):
    total = 0.0
    for v in lg.List([x, x * 2.0, x * 3.0]):
        total = total + v
    return total, lg.List.Nil()


def test_lists_built_inside_a_jitted_function():
    total, empty = list_literal(1.5)
    assert total == 9.0 and empty.constructor.name == "Nil"


@lg.jit
def rose_total(tree):
    match tree:
        case lgf.Tree.Rose(value, children):
            total = value
            for child in children:
                total = total + rose_total(child)
            return total


@lg.jit
def value_or(option, default):
    match option:
        case lgf.Option.Some(value):
            return value
        case _:
            return default


def test_match_over_the_prelude_tree_and_option():
    def rose(value, *children):
        return lgf.Tree.Rose(value, lg.List(children))

    assert rose_total(rose(1.0, rose(2.0), rose(3.0, rose(4.0)))) == 10.0
    assert value_or(lgf.Option.Some(2.0), 5.0) == 2.0
    mod = value_or.lower(lgf.Option.Some(2.0), 5.0)  # None has no element to type it by
    clauses = mod["main"].body.clauses
    assert [type(c.lhs).__name__ for c in clauses] == ["PatternConstructor", "PatternWildcard"]


def test_adt_values_are_the_lowered_modules_constructors():
    mod = evaluate.lower(Formula.Input(), 1.0)
    assert mod.get_constructor("Lit") is Formula.Lit.constructor


@lg.jit
def nested_loops(n, m):
    acc = 0
    for i in range(n):
        for j in range(1, m, 2):
            if j > i:
                break
            acc = acc + i * j
    k = 0
    while True:
        k += 1
        if k * k > acc:
            break
    return acc, k


@pytest.mark.parametrize(("n", "m"), [(0, 3), (6, 9), (10, 4)])
def test_nested_loops_and_while_true_with_break(n, m):
    assert [int(v) for v in nested_loops(n, m)] == list(nested_loops.fun(n, m))


@lg.jit
def loop_targets(pairs, n):
    i, count = -1, 0
    for i in range(n):
        count = count + i
    total = 0.0
    first, second = 0.0, 0.0
    for first, second in pairs:
        total = total + first * second
    return i, total, second, count


def test_loop_targets_keep_their_last_value_and_may_be_tuples():
    pairs = lg.List([(1.0, 2.0), (3.0, 4.0)])
    assert [float(v) for v in loop_targets(pairs, 3)] == [2.0, 14.0, 4.0, 3.0]
    assert float(loop_targets(pairs, 0)[0]) == -1.0


@lg.jit
def first_above(xs, threshold):
    for x in xs:
        if np.sum(x) > threshold:
            return x * x
    return xs_fallback(threshold)


@lg.jit
def xs_fallback(threshold):
    return np.zeros(2) + threshold


@lg.jit
def count_until(n, limit):
    total = 0.0
    for _ in range(n):
        for _ in range(n):
            total = total + 1.0
            if total > limit:
                return total * 10.0
    return total


def test_return_inside_loops():
    xs = [np.array([0.1, 0.2]), np.array([1.0, 2.0]), np.array([5.0, 5.0])]
    np.testing.assert_allclose(first_above(lg.List(xs), 1.0), [1.0, 4.0])
    np.testing.assert_allclose(first_above(lg.List(xs), 100.0), [100.0, 100.0])
    _, (dxs, _) = value_and_grads(
        lg.jit(lambda xs, t: np.sum(first_above(xs, t))), lg.List(xs), 1.0
    )
    np.testing.assert_allclose(lg.list_items(dxs)[1], 2 * xs[1])
    for limit in (4.0, 100.0):
        assert count_until(3, limit) == count_until.fun(3, limit)


@lg.jit
def pattern_names_after_match(option):
    value = -1.0
    match option:
        case lgf.Option.Some(value):
            pass
        case _:
            value = 0.0
    return value * 2.0


def test_names_a_case_binds_are_defined_after_the_match():
    assert pattern_names_after_match(lgf.Option.Some(1.5)) == 3.0
