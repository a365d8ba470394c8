"""Property tests: a jitted function computes what its Python source computes when run as
plain Python (numpy names run as numpy), on random inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdagrad as lg

from .test_jit import (
    Formula,
    evaluate,
    grow_until,
    power_loop,
    rnn_with_a_step_function,
    signed_scale,
)

floats = st.floats(-3, 3, allow_nan=False, width=64)
vectors = st.lists(floats, min_size=3, max_size=3).map(np.array)


@pytest.mark.slow
@given(vectors, vectors)
def test_if_elif_else(x, w):
    assert np.isclose(signed_scale(x, w), signed_scale.fun(x, w))


@pytest.mark.slow
@given(st.floats(0.5, 1.5), st.integers(0, 12))
def test_for_range_with_break_and_continue(x, n):
    assert np.isclose(power_loop(x, n), power_loop.fun(x, n))


@pytest.mark.slow
@given(st.lists(st.floats(0.1, 5), min_size=2, max_size=2).map(np.array))
def test_while_with_a_value_dependent_trip_count(x):
    total, steps = grow_until(x)
    expected_total, expected_steps = grow_until.fun(x)
    assert steps == expected_steps and np.isclose(total, expected_total)


@pytest.mark.slow
@given(st.lists(vectors, min_size=1, max_size=8), vectors)
def test_fold_with_a_nested_step_function(xs, h):
    w = np.eye(3) * 0.5
    assert np.isclose(
        rnn_with_a_step_function(lg.List(xs), h, w), rnn_with_a_step_function.fun(xs, h, w)
    )


def formulas():
    leaves = st.one_of(st.just(Formula.Input()), floats.map(Formula.Lit))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda ab: Formula.Add(*ab)),
            st.tuples(inner, inner).map(lambda ab: Formula.Mul(*ab)),
            inner.map(Formula.Sin),
        ),
        max_leaves=12,
    )


def reference(formula, x):
    kind, fields = formula.constructor.name, formula.fields
    if kind == "Lit":
        return fields[0]
    if kind == "Input":
        return x
    values = [reference(f, x) for f in fields]
    return {"Add": lambda a, b: a + b, "Mul": lambda a, b: a * b, "Sin": np.sin}[kind](*values)


@pytest.mark.slow
@given(formulas(), floats)
def test_match_over_random_formulas(formula, x):
    assert np.isclose(evaluate(formula, x), reference(formula, x))
