"""lg.jit of lg.grad(f) / lg.value_and_grad(f): the IR gradient of f's whole program."""

import functools

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp
from lambdagrad.api import TransformError


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
    mod = lg.jit(lg.grad(loop)).lower(X, W)
    assert {"main", "main_primal"} <= {g.name_hint for g in mod.functions}
    lg.transform.infer_type(mod)


@lg.jit
def cube(x, n):
    if n <= 0:
        return 1.0
    return x * cube(x, n - 1)


def test_a_gradient_of_a_gradient_keeps_both_primals():
    second = lg.jit(lg.grad(lg.grad(cube)))
    assert second(3.0, 3) == 18.0  # 6x; the first derivative, 3x² = 27, if a primal is lost
    names = {g.name_hint for g in second.lower(3.0, 3).functions}
    assert {"main", "main_primal", "main_primal_1"} <= names


GRAD_OF_LOOP = lg.jit(lg.grad(loop))


@lg.jit
def calls_a_gradient(x, w):
    return GRAD_OF_LOOP(x, w) * 2.0


def test_jitted_code_calls_a_jitted_gradient():
    np.testing.assert_allclose(calls_a_gradient(X, W), 2 * lg.grad(loop)(X, W), rtol=1e-12)


@pytest.mark.parametrize(
    ("fun", "args", "message"),
    [
        (lambda x: x * 2.0, (np.ones(2),), "returning a scalar, got Tensor"),
        (lambda x: (x, x), (1.0,), "returning a scalar, got \\(float64, float64\\)"),
        (lambda x: lnp.sum(x) > 0.0, (np.ones(2),), "floating-point output, got bool"),
        (lambda x: x * 1.0, (3,), "floating-point inputs, got int64 in argument 0"),
        (lambda p: p[0] * p[1], ((1.0, np.int32(2)),), "got int32 in argument 0"),
    ],
)
def test_what_grad_refuses_jit_of_grad_refuses(fun, args, message):
    with pytest.raises(TransformError, match="grad needs"):
        lg.grad(fun)(*args)
    with pytest.raises(TransformError, match=f"grad needs .*{message}"):
        lg.jit(lg.grad(fun))(*args)


def test_has_aux_is_refused_with_a_hint():
    with pytest.raises(lg.Error, match="has_aux=True: jit the function instead"):
        lg.jit(lg.grad(lambda x: (lnp.sum(x), x), has_aux=True))


@lg.jit
def doubled(x):
    return x * 2.0


def test_jit_of_a_wrapper_of_a_jitted_function_is_refused_not_the_inner_result():
    """functools.wraps copies a jitted function's attributes, its compiled cache among them,
    onto the wrapper: lg.jit of the wrapper must not take them (it returned doubled's)."""
    doubled(np.ones(2))  # fills doubled's cache

    @functools.wraps(doubled)
    def plus_one(x):
        return doubled(x) + 1.0

    for wrapper in (plus_one, lg.jacfwd(doubled), lg.hessian(doubled), lg.vmap(doubled)):
        with pytest.raises(lg.Error, match="it wraps another function"):
            lg.jit(wrapper)(np.ones(2))


def with_nested_aux(x):
    y = lnp.tanh(x)
    return lnp.sum(y), (y, (x * 2.0,))


def test_a_jitted_function_with_a_nested_tuple_result_under_grad_and_jacobians():
    grads, aux = lg.grad(lg.jit(with_nested_aux), has_aux=True)(X)
    expected_grads, expected_aux = lg.grad(with_nested_aux, has_aux=True)(X)
    np.testing.assert_allclose(grads, expected_grads, rtol=1e-12)
    np.testing.assert_allclose(aux[1][0], expected_aux[1][0], rtol=1e-12)
    nested = lg.jacrev(lambda x: lg.jit(with_nested_aux)(x)[1])(X)
    np.testing.assert_allclose(nested[1][0], 2.0 * np.eye(3), rtol=1e-12)
