"""newton: the gradient and Hessian of the 10-d Rosenbrock function, then one Newton step.

lambdagrad takes the Hessian by gradient-of-gradient: `gradient` of a function that calls
the `gradient` of @rosenbrock (newton.rly). Without a vmap, the 10 Hessian-vector products
with the unit vectors are batched by hand: the rows of `points` are 10 copies of x, the inner
gradient's row i is the gradient at copy i, and the outer gradient of the sum of that
matrix's diagonal (times `pick`, the identity) is the Hessian, row by row; the gradient with
respect to `pick` is the gradient in every row. The peers use their own Hessian functions.
Every library then takes the step with the same np.linalg.solve (no in-IR solve op exists).
"""

from __future__ import annotations

import numpy as np
from harness import assert_all_close
from pipeline import Thunk, compile_gradient, load

import lambdagrad as lg

NAME = "newton"
N = 10  # also in newton.rly


def setup(seed: int, quick: bool) -> dict:
    return {"x": np.random.default_rng(seed).uniform(-1.5, 1.5, N).astype(np.float32)}


def check(expected: list, actual: list) -> None:
    # the Hessian's entries reach 1e3: float32 rounding is ~1e-4 of them
    assert_all_close(expected, actual, rtol=1e-4, atol=1e-3)


def newton_step(x, g, hessian) -> list:
    """The gradient, the Hessian and x - H^-1 g, in float64 for a stable comparison."""
    step = x - np.linalg.solve(np.asarray(hessian, np.float64), np.asarray(g, np.float64))
    return [np.asarray(g), np.asarray(hessian), step]


def make_numpy(inputs: dict):
    """The closed forms: the Rosenbrock Hessian is tridiagonal."""
    x = inputs["x"]
    inner = np.arange(N - 1)

    def grads() -> list:
        a, b = x[:-1], x[1:]
        d = b - a * a
        g = np.zeros(N, np.float32)
        g[:-1] = -400 * a * d - 2 * (1 - a)
        g[1:] += 200 * d
        hessian = np.zeros((N, N), np.float32)
        hessian[inner, inner] = 1200 * a * a - 400 * b + 2
        hessian[inner + 1, inner + 1] += 200
        hessian[inner, inner + 1] = hessian[inner + 1, inner] = -400 * a
        return newton_step(x, g, hessian)

    return grads


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), _gradient_and_hessian, executor)
    x, eye = inputs["x"], np.eye(N, dtype=np.float32)

    def grads() -> list:
        hessian, gradients = pipeline.run(x, eye)
        return newton_step(x, gradients[0], hessian)

    return Thunk(grads, pipeline)


def _gradient_and_hessian(mod: lg.IRModule) -> lg.Function:
    """fn (x, pick) -> (hessian, gradient in every row), by nested `gradient`."""
    inner = lg.transform.gradient(mod.get_global_var("rosenbrock"), mod=mod)
    points, pick = lg.var("points", shape=(N, N)), lg.var("pick", shape=(N, N))
    gradients = lg.TupleGetItem(lg.TupleGetItem(inner(points), 1), 0)
    diagonal = lg.Function([points, pick], lg.op.sum(gradients * pick))
    outer = lg.transform.gradient(diagonal, mod=mod)
    x, eye = lg.var("x", shape=(N,)), lg.var("eye", shape=(N, N))
    copies = lg.op.broadcast_to(x, shape=(N, N))
    return lg.Function([x, eye], lg.TupleGetItem(outer(copies, eye), 1))


def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def make_torch(inputs: dict):
    """torch.func (functorch) is PyTorch's own Hessian: jacfwd of jacrev, vectorized."""
    import torch
    from torch.func import grad, hessian

    x = torch.from_numpy(inputs["x"])
    return lambda: newton_step(inputs["x"], grad(_rosenbrock)(x), hessian(_rosenbrock)(x))


def make_jax(inputs: dict, jit: bool = False):
    import jax

    def both(x):
        return jax.grad(_rosenbrock)(x), jax.hessian(_rosenbrock)(x)

    both = jax.jit(both) if jit else both
    x = jax.device_put(inputs["x"])
    return lambda: newton_step(inputs["x"], *both(x))


def make_jax_jit(inputs: dict):
    return make_jax(inputs, jit=True)


def make_autograd(inputs: dict):
    import autograd

    grad, hessian = autograd.grad(_rosenbrock), autograd.hessian(_rosenbrock)
    x = inputs["x"]
    return lambda: newton_step(x, grad(x), hessian(x))
