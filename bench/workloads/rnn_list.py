"""rnn_list: a tanh RNN folded over a List of 50 vectors of 32, hidden 64; loss = sum(h_final).

Gradients of the weights (wx, wh, b); the initial state h0 is an input held at zero.
"""

from __future__ import annotations

import numpy as np
from harness import assert_all_close
from pipeline import Thunk, compile_gradient, load, weights_gradient

import lambdagrad as lg

NAME = "rnn_list"
STEPS, N_IN, N_HIDDEN = 50, 32, 64


def setup(seed: int, quick: bool) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "xs": [rng.standard_normal((1, N_IN)).astype(np.float32) for _ in range(STEPS)],
        "h0": np.zeros((1, N_HIDDEN), np.float32),
        "params": [  # wx, wh, b
            (rng.standard_normal((N_HIDDEN, N_IN)) / np.sqrt(N_IN)).astype(np.float32),
            (rng.standard_normal((N_HIDDEN, N_HIDDEN)) / np.sqrt(N_HIDDEN)).astype(np.float32),
            (0.1 * rng.standard_normal(N_HIDDEN)).astype(np.float32),
        ],
    }


def check(expected: list, actual: list) -> None:
    assert_all_close(expected, actual, rtol=1e-4, atol=1e-5)


def make_numpy(inputs: dict):
    xs, h0, (wx, wh, b) = inputs["xs"], inputs["h0"], inputs["params"]

    def grads() -> list:
        x = np.concatenate(xs)
        pre_x = x @ wx.T + b  # the input projections do not depend on h: all steps at once
        hs = np.empty((STEPS + 1, N_HIDDEN), np.float32)
        hs[0] = h0[0]
        for t in range(STEPS):
            hs[t + 1] = np.tanh(pre_x[t] + hs[t] @ wh.T)
        dpre = np.empty((STEPS, N_HIDDEN), np.float32)
        dh = np.ones(N_HIDDEN, np.float32)
        for t in reversed(range(STEPS)):
            dpre[t] = dh * (1 - hs[t + 1] * hs[t + 1])
            dh = dpre[t] @ wh
        # the weight gradients sum over the steps: one matrix product each
        return [dpre.T @ x, dpre.T @ hs[:-1], dpre.sum(axis=0)]

    return grads


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), weights_gradient([2, 3, 4]), executor)
    args = (lg.make_list(inputs["xs"], pipeline.mod), inputs["h0"], *inputs["params"])
    return Thunk(lambda: list(pipeline.run(*args)[1]), pipeline)


def rnn_loss(xp):
    """The loss as an eager user writes it, against array module `xp` (torch, jax.numpy,
    autograd.numpy): a Python loop over the list."""

    def loss(params, xs, h):
        wx, wh, b = params
        for x in xs:
            h = xp.tanh(x @ wx.T + h @ wh.T + b)
        return xp.sum(h)

    return loss


def make_torch(inputs: dict):
    import torch

    xs = [torch.from_numpy(x) for x in inputs["xs"]]
    h0 = torch.from_numpy(inputs["h0"])
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in inputs["params"]]
    wx, wh, b = params

    loss = rnn_loss(torch)

    def grads() -> list:
        return [g.numpy() for g in torch.autograd.grad(loss(params, xs, h0), params)]

    return grads


def make_jax(inputs: dict):
    import jax
    import jax.numpy as jnp

    grad = jax.grad(rnn_loss(jnp))
    args = jax.device_put((tuple(inputs["params"]), inputs["xs"], inputs["h0"]))
    return lambda: [np.asarray(g) for g in grad(*args)]


def make_jax_jit(inputs: dict):
    """A JAX user jits the fold as `lax.scan` over the stacked inputs."""
    import jax
    import jax.numpy as jnp

    def loss(params, xs, h):
        wx, wh, b = params

        def step(h, x):
            return jnp.tanh(x @ wx.T + h @ wh.T + b), None

        return jnp.sum(jax.lax.scan(step, h, jnp.stack(xs))[0])

    grad = jax.jit(jax.grad(loss))
    args = jax.device_put((tuple(inputs["params"]), inputs["xs"], inputs["h0"]))
    return lambda: [np.asarray(g) for g in grad(*args)]


def make_autograd(inputs: dict):
    import autograd
    import autograd.numpy as anp

    grad, params = autograd.grad(rnn_loss(anp)), tuple(inputs["params"])
    return lambda: list(grad(params, inputs["xs"], inputs["h0"]))
