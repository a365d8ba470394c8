"""lg.jit over Python lists and tuples: enumerate, zip, len, unrolled as a loop over a tuple
is; asserts on Python values checked while translating."""

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp
from lambdagrad.frontend import JitError

XS = [np.arange(3.0) * i for i in range(4)]


@lg.jit
def weighted(xs, h):
    for i, x in enumerate(xs):
        h = lnp.tanh(h + i * x)
    return lnp.sum(h)


@lg.jit
def paired(xs, ys):
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        total = total + lnp.sum(x * y)
    return total


@lg.jit
def pairs_by_name(xs, ys):
    total = 0.0
    for pair in zip(xs, ys, strict=False):
        total = total + lnp.sum(pair[0] - pair[1])
    return total


@lg.jit
def mean_of(xs):
    assert len(xs) > 0, "an empty list"
    return sum_all(xs) / len(xs)


@lg.jit
def sum_all(xs):
    total = 0.0
    for x in xs:
        total = total + lnp.sum(x)
    return total


def test_enumerate_and_zip_over_lists_are_pythons():
    assert float(weighted(XS, np.zeros(3))) == pytest.approx(weighted.fun(XS, np.zeros(3)))
    assert float(paired(XS, XS[::-1])) == pytest.approx(paired.fun(XS, XS[::-1]))
    assert float(pairs_by_name(XS, XS[:2])) == pytest.approx(pairs_by_name.fun(XS, XS[:2]))
    assert float(mean_of(XS)) == pytest.approx(sum(x.sum() for x in XS) / 4)


def test_gradients_through_enumerate_match_define_by_run():
    jitted = lg.grad(weighted, argnums=1)(XS, np.full(3, 0.1))
    eager = lg.grad(weighted.fun, argnums=1)(XS, np.full(3, 0.1))
    np.testing.assert_allclose(jitted, eager, rtol=1e-12)


def test_a_failed_assert_on_python_values_names_its_message_and_line():
    with pytest.raises(JitError, match="assertion failed: an empty list") as info:
        mean_of(())
    assert f"line {mean_of.fun.__code__.co_firstlineno + 2}" in str(info.value)


@lg.jit
def asserts_a_value(x):
    assert lnp.sum(x) > 0
    return x


@lg.jit
def enumerates_a_list(xs):
    total = 0.0
    for _, x in enumerate(xs):
        total = total + x
    return total


@lg.jit
def indexes_by_a_range(xs):
    total = 0.0
    for i in range(len(xs)):
        total = total + xs[i]
    return total


@pytest.mark.parametrize(
    ("jitted", "argument", "message"),
    [
        (asserts_a_value, np.ones(2), "assert on a value known only when the program runs"),
        (enumerates_a_list, lg.List([1.0, 2.0]), "enumerate and zip run over tuples here"),
        (indexes_by_a_range, (1.0, 2.0), "loop over the tuple itself, or over enumerate"),
        (paired, ((1.0,), (1.0, 2.0)), r"zip\(..., strict=True\) of lengths 1, 2"),
    ],
    ids=["assert", "enumerate_list", "range_index", "zip_strict"],
)
def test_what_cannot_be_translated_says_what_to_write(jitted, argument, message):
    arguments = argument if jitted is paired else (argument,)
    with pytest.raises(JitError, match=message):
        jitted(*arguments)
