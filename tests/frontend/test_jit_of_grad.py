"""lg.jit of lg.grad(f) / lg.value_and_grad(f): the IR gradient of f's whole program."""

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp


def loop(x, w):
    y = x
    i = 0
    while i < 3:
        y = lnp.sin(y) * w
        i = i + 1
    return lnp.sum(y * y)


X, W = np.array([0.1, 0.5, -0.3]), np.array([1.5, 0.7, 0.2])


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jit_of_grad_agrees_with_define_by_run(argnums):
    compiled = lg.jit(lg.grad(loop, argnums=argnums))(X, W)
    eager = lg.grad(loop, argnums=argnums)(X, W)
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)


def test_jit_of_value_and_grad_of_a_jitted_function():
    value, grad = lg.jit(lg.value_and_grad(lg.jit(loop), argnums=1))(X, W)
    assert np.isclose(value, loop(X, W))
    np.testing.assert_allclose(grad, lg.grad(loop, argnums=1)(X, W), rtol=1e-12)


def test_the_lowered_gradient_is_one_program_calling_the_original():
    mod = lg.jit(lg.grad(loop))(X, W) is not None and lg.jit(lg.grad(loop)).lower(X, W)
    assert {"main", "main_primal"} <= {g.name_hint for g in mod.functions}
    lg.transform.infer_type(mod)


def test_has_aux_is_refused_with_a_hint():
    with pytest.raises(lg.Error, match="has_aux=True: jit the function instead"):
        lg.jit(lg.grad(lambda x: (lnp.sum(x), x), has_aux=True))
