"""mlp: batch 64, 784-256-10, tanh, softmax cross entropy; gradients of all weights and biases."""

from __future__ import annotations

import numpy as np
from harness import assert_all_close
from pipeline import Thunk, compile_gradient, load, weights_gradient

NAME = "mlp"
BATCH, SIZES = 64, (784, 256, 10)


def setup(seed: int, quick: bool) -> dict:
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = SIZES
    return {
        "x": rng.standard_normal((BATCH, n_in)).astype(np.float32),
        "labels": np.eye(n_out, dtype=np.float32)[rng.integers(0, n_out, BATCH)],
        "params": [  # w1, b1, w2, b2: Glorot-like scales keep tanh out of saturation
            (rng.standard_normal((n_hidden, n_in)) / np.sqrt(n_in)).astype(np.float32),
            (0.1 * rng.standard_normal(n_hidden)).astype(np.float32),
            (rng.standard_normal((n_out, n_hidden)) / np.sqrt(n_hidden)).astype(np.float32),
            (0.1 * rng.standard_normal(n_out)).astype(np.float32),
        ],
    }


def check(expected: list, actual: list) -> None:
    assert_all_close(expected, actual, rtol=1e-4, atol=1e-6)


def make_numpy(inputs: dict):
    x, labels, (w1, b1, w2, b2) = inputs["x"], inputs["labels"], inputs["params"]

    def grads() -> list:
        hidden = np.tanh(x @ w1.T + b1)
        logits = hidden @ w2.T + b2
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        # d loss / d logits of the mean cross entropy, for label rows that sum to one
        dlogits = (probs - labels) / len(x)
        dpre = (dlogits @ w2) * (1 - hidden * hidden)
        return [dpre.T @ x, dpre.sum(axis=0), dlogits.T @ hidden, dlogits.sum(axis=0)]

    return grads


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), weights_gradient([2, 3, 4, 5]), executor)
    args = (inputs["x"], inputs["labels"], *inputs["params"])
    return Thunk(lambda: list(pipeline.run(*args)[1]), pipeline)


def make_torch(inputs: dict):
    import torch
    import torch.nn.functional as F

    x, labels = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["labels"])
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in inputs["params"]]
    w1, b1, w2, b2 = params

    def grads() -> list:
        logits = F.linear(torch.tanh(F.linear(x, w1, b1)), w2, b2)
        loss = -(labels * F.log_softmax(logits, dim=1)).sum() / len(x)
        return [g.numpy() for g in torch.autograd.grad(loss, params)]

    return grads


def make_jax(inputs: dict, jit: bool = False):
    import jax
    import jax.numpy as jnp

    def loss(params, x, labels):
        w1, b1, w2, b2 = params
        logits = jnp.tanh(x @ w1.T + b1) @ w2.T + b2
        return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=1)) / x.shape[0]

    grad = jax.jit(jax.grad(loss)) if jit else jax.grad(loss)
    args = jax.device_put((tuple(inputs["params"]), inputs["x"], inputs["labels"]))
    return lambda: [np.asarray(g) for g in grad(*args)]


def make_jax_jit(inputs: dict):
    return make_jax(inputs, jit=True)


def make_autograd(inputs: dict):
    import autograd
    import autograd.numpy as anp

    def loss(params, x, labels):
        w1, b1, w2, b2 = params
        logits = anp.tanh(x @ w1.T + b1) @ w2.T + b2
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.sum(labels * log_probs) / x.shape[0]

    grad = autograd.grad(loss)
    params = tuple(inputs["params"])
    return lambda: list(grad(params, inputs["x"], inputs["labels"]))
