"""Jitted functions (objects with `lower`) inside transformations differentiate their IR."""

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp
from lambdagrad.api.lowered import call_lowered, traced

TEXT = """
def @main(%x: Tensor[(3), float64], %y: float64) -> float64 {
  sum(multiply(sin(%x), %y))
}
"""
x = np.array([0.1, 0.2, 0.3])


class Lowered:
    """A jitted function built from IR text: the protocol, as `lg.jit` implements it."""

    def __init__(self, text):
        self.mod = lg.parse(text)
        self.run = lg.create_executor("compiled", self.mod).evaluate()
        self.lowered = 0

    def lower(self, *args):
        self.lowered += 1
        return self.mod

    def __call__(self, *args):
        if traced(args):
            return call_lowered(self, args)
        return self.run(*args)


@pytest.fixture
def f():
    return Lowered(TEXT)


def test_grad_of_a_jitted_function(f):
    np.testing.assert_allclose(lg.grad(f)(x, 2.0), 2 * np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(lg.grad(f, argnums=1)(x, 2.0), np.sum(np.sin(x)), rtol=1e-12)


def test_jitted_function_called_on_followed_values(f):
    ours = lg.grad(lambda v: f(v * v, 3.0) ** 2)(x)
    expected = 2 * f(x * x, 3.0) * 3.0 * np.cos(x * x) * 2 * x
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_higher_derivatives_through_the_program(f):
    np.testing.assert_allclose(lg.hessian(f)(x, 2.0), np.diag(-2 * np.sin(x)), atol=1e-15)
    second = lg.grad(lg.grad(lambda y: f(x, y) * y))(2.0)
    np.testing.assert_allclose(second, 2 * np.sum(np.sin(x)), rtol=1e-12)


def test_lowered_once_per_signature(f):
    grad = lg.grad(f)
    grad(x, 2.0)
    grad(x + 1.0, 3.0)
    assert f.lowered == 1


def test_vmap_and_jacfwd_of_lg_jit():
    j = lg.jit(lg.parse(TEXT))
    batch = np.stack([x, 2 * x])
    np.testing.assert_allclose(
        lg.vmap(lg.grad(j), in_axes=(0, None))(batch, 2.0), 2 * np.cos(batch), rtol=1e-12
    )
    np.testing.assert_allclose(lg.jacfwd(j)(x, 2.0), 2 * np.cos(x), rtol=1e-12)


def test_plain_call_runs_compiled(f):
    assert float(call_lowered(f, (x, 2.0))) == pytest.approx(2 * np.sum(np.sin(x)))


@lg.jit
def total(xs, w):
    s = w * 0.0
    for x in xs:
        s = s + lnp.tanh(x * w)
    return lnp.sum(s)


ITEMS = [np.array([0.1, 0.2]), np.array([0.3, -0.4]), np.array([1.0, 2.0])]
W = np.array([0.5, 1.5])


def test_gradients_reach_the_arrays_inside_adt_arguments():
    items, w = lg.grad(lambda items, w: total(lg.List(items), w), argnums=(0, 1))(ITEMS, W)
    for x, g in zip(ITEMS, items, strict=True):
        np.testing.assert_allclose(g, W * (1 - np.tanh(x * W) ** 2), rtol=1e-12)
    expected_w = sum(x * (1 - np.tanh(x * W) ** 2) for x in ITEMS)
    np.testing.assert_allclose(w, expected_w, rtol=1e-12)


def test_gradient_with_respect_to_a_list_is_a_list():
    grads = lg.list_items(lg.grad(total)(lg.List(ITEMS), W))
    np.testing.assert_allclose(grads[2], W * (1 - np.tanh(ITEMS[2] * W) ** 2), rtol=1e-12)


def test_hessian_through_a_fold_over_a_list():
    hessian = lg.hessian(lambda w: total(lg.List(ITEMS), w))(W)
    t = [np.tanh(x * W) for x in ITEMS]
    expected = np.diag(sum(-2 * ti * (1 - ti**2) * x**2 for ti, x in zip(t, ITEMS, strict=True)))
    np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-15)
