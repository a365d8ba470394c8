"""Jacobians through reductions, shape ops and indexing: forward mode, reverse mode and JAX
agree (each op's forward rule and gradient rule are exercised)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp

jax.config.update("jax_enable_x64", True)

X = np.array([[1.0, 3.0, 2.0], [0.5, 0.2, 4.0]])


CASES = {
    "max": (lambda x: lnp.max(x, axis=1), lambda x: jnp.max(x, axis=1)),
    "prod": (lambda x: lnp.prod(x, axis=0), lambda x: jnp.prod(x, axis=0)),
    "logsumexp": (
        lambda x: lnp.nn.logsumexp(x, axis=1),
        lambda x: jax.nn.logsumexp(x, axis=1),
    ),
    "softmax": (lnp.nn.softmax, jax.nn.softmax),
    "cumsum": (lambda x: lnp.cumsum(x, axis=1), lambda x: jnp.cumsum(x, axis=1)),
    "var": (lambda x: lnp.var(x, axis=0), lambda x: jnp.var(x, axis=0)),
    "tile": (lambda x: lnp.tile(x, 2), lambda x: jnp.tile(x, 2)),
    "repeat": (lambda x: lnp.repeat(x, 2, axis=1), lambda x: jnp.repeat(x, 2, axis=1)),
    "flip": (lambda x: lnp.flip(x, 1), lambda x: jnp.flip(x, 1)),
    "take": (lambda x: lnp.take(x, np.array([1, 1, 0]), axis=1), lambda x: x[:, [1, 1, 0]]),
    "split": (lambda x: lnp.split(x, 3, axis=1)[1] * 2.0, lambda x: jnp.split(x, 3, axis=1)[1] * 2),
}


@pytest.fixture(scope="module")
def theirs():
    """JAX's Jacobians of every case, from one compilation."""
    jacobians = jax.jit(lambda x: {name: jax.jacrev(f[1])(x) for name, f in CASES.items()})
    return jacobians(X)


@pytest.mark.parametrize("name", CASES)
def test_forward_reverse_and_jax_agree(name, theirs):
    ours = CASES[name][0]
    np.testing.assert_allclose(lg.jacrev(ours)(X), theirs[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lg.jacfwd(ours)(X), theirs[name], rtol=1e-12, atol=1e-15)
