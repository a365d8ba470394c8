"""vmap against a Python loop over the batch, with the per-element fallback switched off:
the common op families all have batching rules."""

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp
from lambdagrad.api import batching
from lambdagrad.api.core import apply, prim
from lambdagrad.ops.registry import all_op_defs

rng = np.random.default_rng(1)
W, B = rng.normal(size=(4, 3)), rng.normal(size=3)


@pytest.fixture(autouse=True)
def no_per_element_loop(monkeypatch):
    def refuse(p, *args):
        raise AssertionError(f"{p.name} ran once per batch element")

    monkeypatch.setattr(batching, "per_element", refuse)


FUNCTIONS = {
    "broadcasting": lambda x: lnp.tanh(x * W[0] + B) - 1.0,
    "reductions": lambda x: lnp.sum(x[:, None] * W.T, axis=0) + lnp.max(x) + lnp.mean(x),
    "matmul": lambda x: lnp.matmul(x, W.T) @ W + lnp.dot(W, x) @ W,
    "shapes": lambda x: lnp.transpose(lnp.reshape(lnp.stack([x, x]), (3, 2)))[::-1, 1:],
    "indexing": lambda x: x[1] * x[[0, 2]] + x[None, -1],
    "joining": lambda x: lnp.concatenate([x, B, lnp.split(x, 3)[1]]),
    "nn": lambda x: lnp.nn.log_softmax(x) + lnp.nn.softmax(lnp.expand_dims(x, 0), axis=1)[0],
    "tile_repeat_flip_pad": lambda x: lnp.pad(lnp.tile(lnp.repeat(lnp.flip(x, 0), 2), 2), 1),
    "where": lambda x: lnp.where(x > 0, x, lnp.zeros_like(x)) + lnp.clip(x, -0.5, 0.5),
    "grad": lg.grad(lambda x: lnp.sum(lnp.sin(x @ W.T) ** 2)),
    "jacrev": lg.jacrev(lambda x: lnp.tanh(x @ W.T)),
    "hessian": lg.hessian(lambda x: lnp.sum(lnp.exp(x) * x)),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_vmap_matches_a_loop(name):
    f, xs = FUNCTIONS[name], rng.normal(size=(5, 3))
    expected = np.stack([np.asarray(f(x)) for x in xs])
    np.testing.assert_allclose(lg.vmap(f)(xs), expected, rtol=1e-12, atol=1e-12)


def test_matrix_weights_batched_too():
    ws, xs = rng.normal(size=(5, 4, 3)), rng.normal(size=(5, 2, 3))

    def f(w, x):
        return lnp.tanh(lnp.matmul(x, w.T))

    expected = np.stack([f(w, x) for w, x in zip(ws, xs, strict=True)])
    np.testing.assert_allclose(lg.vmap(f)(ws, xs), expected, rtol=1e-12)


def test_nested_vmap():
    xs = rng.normal(size=(2, 5, 3))
    f = lg.vmap(lg.vmap(lambda x: lnp.sum(x * x)))
    np.testing.assert_allclose(f(xs), np.sum(xs * xs, axis=-1), rtol=1e-12)


def test_rules_are_keyed_by_registered_ops():
    assert set(batching.RULES) <= {definition.op for definition in all_op_defs()}


def test_cast_like_with_only_the_dtype_source_batched():
    def cast(like):  # as the gradient of full_like builds it
        return apply(prim("cast_like"), (np.arange(3.0), like))

    out = lg.vmap(cast)(np.ones((4, 3), np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.tile(np.arange(3.0), (4, 1)))
