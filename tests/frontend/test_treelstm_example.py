"""examples/treelstm_jit.py: its gradients agree with JAX on the same tree, and it trains."""

import runpy
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import lambdagrad as lg

EXAMPLE = runpy.run_path(str(Path(__file__).parents[2] / "examples" / "treelstm_jit.py"))


def cell_jax(tree, w, bw, ul, ur, bu):
    if tree.constructor.name == "Leaf":
        i, o, u = jnp.split(tree.fields[0] @ w.T + bw, 3, axis=1)
        c = jax.nn.sigmoid(i) * jnp.tanh(u)
        return jax.nn.sigmoid(o) * jnp.tanh(c), c
    (hl, cl), (hr, cr) = (cell_jax(t, w, bw, ul, ur, bu) for t in tree.fields)
    i, fl, fr, o, u = jnp.split(hl @ ul.T + hr @ ur.T + bu, 5, axis=1)
    c = jax.nn.sigmoid(i) * jnp.tanh(u) + jax.nn.sigmoid(fl) * cl + jax.nn.sigmoid(fr) * cr
    return jax.nn.sigmoid(o) * jnp.tanh(c), c


def loss_jax(tree, target, *params):
    return jnp.mean((cell_jax(tree, *params)[0] - target) ** 2)


def test_gradients_agree_with_jax():
    rng = np.random.default_rng(1)
    tree = EXAMPLE["random_tree"](rng, 5)
    target = rng.uniform(size=(1, EXAMPLE["HIDDEN"])).astype("float32")
    params = EXAMPLE["random_params"](rng)
    value, grads = EXAMPLE["gradient_step_function"](tree, target, params)(tree, target, *params)
    assert np.isclose(value, EXAMPLE["loss"](tree, target, *params))
    expected = jax.grad(loss_jax, argnums=(2, 3, 4, 5, 6))(tree, target, *params)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_training_lowers_the_loss():
    history = EXAMPLE["train"](steps=4, n_trees=3)
    assert history[-1] < history[0]


def test_one_program_for_every_tree_shape():
    rng = np.random.default_rng(2)
    params = EXAMPLE["random_params"](rng)
    target = np.zeros((1, EXAMPLE["HIDDEN"]), "float32")
    small, big = (EXAMPLE["random_tree"](rng, n) for n in (1, 30))
    assert str(EXAMPLE["loss"].lower(small, target, *params)) == str(
        EXAMPLE["loss"].lower(big, target, *params)
    )
    assert "Match" in lg.analysis.features(EXAMPLE["loss"].lower(small, target, *params)["cell"])
