"""scalar_loop: x <- sin(x) * x + 0.5, 1,000 steps on a scalar; d/dx.

In float64 for every library: the map contracts towards a fixed point near 2.25, so the
derivative is a product of 1,000 factors below one (about 1e-196 from x = 0.3), which float32
flushes to zero and would make the check meaningless.
"""

from __future__ import annotations

import numpy as np
from harness import assert_all_close
from pipeline import Thunk, compile_gradient, load, weights_gradient

NAME = "scalar_loop"
STEPS = 1000  # also in scalar_loop.rly


def setup(seed: int, quick: bool) -> dict:
    return {"x": float(np.random.default_rng(seed).uniform(0.1, 1.0))}


def check(expected: list, actual: list) -> None:
    assert_all_close(expected, actual, rtol=1e-9, atol=0)


def make_numpy(inputs: dict):
    x0 = np.float64(inputs["x"])

    def grads() -> list:
        xs = np.empty(STEPS)
        x = x0
        for i in range(STEPS):
            xs[i] = x
            x = np.sin(x) * x + 0.5
        # The backward pass multiplies the step derivatives; all at once, as one product.
        return [np.prod(np.cos(xs) * xs + np.sin(xs))]

    return grads


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), weights_gradient([0]), executor)
    return Thunk(lambda: list(pipeline.run(inputs["x"])[1]), pipeline)


def make_torch(inputs: dict):
    import torch

    x0 = torch.tensor(inputs["x"], dtype=torch.float64, requires_grad=True)

    def grads() -> list:
        x = x0
        for _ in range(STEPS):
            x = torch.sin(x) * x + 0.5
        return [torch.autograd.grad(x, x0)[0].numpy()]

    return grads


def make_jax(inputs: dict):
    import jax
    import jax.numpy as jnp

    def loop(x):
        for _ in range(STEPS):
            x = jnp.sin(x) * x + 0.5
        return x

    grad, x = jax.grad(loop), jnp.float64(inputs["x"])
    return lambda: [np.asarray(grad(x))]


def make_jax_jit(inputs: dict):
    """A JAX user jits a loop as `lax.fori_loop`: unrolling 1,000 steps compiles slowly."""
    import jax
    import jax.numpy as jnp

    def loop(x):
        return jax.lax.fori_loop(0, STEPS, lambda i, x: jnp.sin(x) * x + 0.5, x)

    grad, x = jax.jit(jax.grad(loop)), jnp.float64(inputs["x"])
    return lambda: [np.asarray(grad(x))]


def make_autograd(inputs: dict):
    import autograd
    import autograd.numpy as anp

    def loop(x):
        for _ in range(STEPS):
            x = anp.sin(x) * x + 0.5
        return x

    grad = autograd.grad(loop)
    return lambda: [np.asarray(grad(inputs["x"]))]
