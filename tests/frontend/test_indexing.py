"""lg.jit indexing: numpy's basic indexing (ints, slices with any step, None, ...), ints the
program computes, and lists of ints, against numpy itself; gradients through them."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.frontend import JitError

X = np.arange(60.0).reshape(3, 4, 5)


# One function per key: the key is syntax, so it cannot be an argument.
@lg.jit
def row(x):
    return x[1]


@lg.jit
def last_row(x):
    return x[-1]


@lg.jit
def tail(x):
    return x[1:]


@lg.jit
def reversed_rows(x):
    return x[::-1]


@lg.jit
def middle_columns(x):
    return x[:, 1:3]


@lg.jit
def every_other_last(x):
    return x[..., ::2]


@lg.jit
def new_axes_around(x):
    return x[None, 1, ..., -1]


@lg.jit
def int_backwards_new(x):
    return x[1, ::-2, None]


@lg.jit
def backwards_to_first(x):
    return x[:, :, 4::-3]


@lg.jit
def clipped_bounds(x):
    return x[-100:2, 2:100]


@lg.jit
def empty(x):
    return x[:0]


@lg.jit
def rows_by_list(x):
    return x[[2, 0, -1]]


BASIC = {
    row: lambda x: x[1],
    last_row: lambda x: x[-1],
    tail: lambda x: x[1:],
    reversed_rows: lambda x: x[::-1],
    middle_columns: lambda x: x[:, 1:3],
    every_other_last: lambda x: x[..., ::2],
    new_axes_around: lambda x: x[None, 1, ..., -1],
    int_backwards_new: lambda x: x[1, ::-2, None],
    backwards_to_first: lambda x: x[:, :, 4::-3],
    clipped_bounds: lambda x: x[-100:2, 2:100],
    empty: lambda x: x[:0],
    rows_by_list: lambda x: x[[2, 0, -1]],
}


@pytest.mark.parametrize("jitted", BASIC, ids=[f.__name__ for f in BASIC])
def test_indexing_is_numpys(jitted):
    got = jitted(X)
    want = BASIC[jitted](X)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("jitted", BASIC, ids=[f.__name__ for f in BASIC])
def test_gradients_through_indexing_scatter_back(jitted):
    weights = np.random.default_rng(0).normal(size=BASIC[jitted](X).shape)

    @lg.jit
    def loss(x):
        return np.sum(jitted(x) * weights)

    expected = np.zeros_like(X)
    np.add.at(expected, _positions(BASIC[jitted]), weights)
    np.testing.assert_allclose(lg.grad(loss)(X), expected)


def _positions(index):
    """The flat positions of X that `index` picks, in the shape of its result."""
    flat = np.arange(X.size).reshape(X.shape)
    return np.unravel_index(index(flat), X.shape)


@lg.jit
def picked(x, i, j):
    return x[i, 1:, j]


@lg.jit
def picked_row(x, i):
    return x[i]


def test_ints_the_program_computes_mix_with_static_keys():
    for i, j in [(0, 0), (2, 4), (1, -1), (-3, -5)]:
        np.testing.assert_array_equal(picked(X, i, j), X[i, 1:, j])
        np.testing.assert_array_equal(picked_row(X, i), X[i])


@lg.jit
def out_of_bounds(x):
    return x[3]


@lg.jit
def too_many(x):
    return x[0, 0, 0, 0]


@lg.jit
def float_index(x):
    return x[1.5]


@lg.jit
def zero_step(x):
    return x[::0]


@lg.jit
def list_out_of_bounds(x):
    return x[[0, 7]]


@pytest.mark.parametrize(
    ("jitted", "message"),
    [
        (out_of_bounds, "index 3 is out of bounds for axis 0 with size 3"),
        (too_many, "too many indices: 4 for 3 dimension(s)"),
        (float_index, "cannot index a tensor with 1.5"),
        (zero_step, "slice step cannot be zero"),
        (list_out_of_bounds, "index 7 is out of bounds for axis 0 with size 3"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_bad_keys_are_errors_at_the_subscript(jitted, message):
    with pytest.raises(JitError) as info:
        jitted(X)
    text = str(info.value)
    assert message in text
    line = jitted.fun.__code__.co_firstlineno + 2
    assert f'File "{__file__}", line {line}' in text
