"""numpy functions lg.jit has no translation of its own for run as lambdagrad.numpy's on
stand-ins for the program values (staging): same values as numpy, IR gradients equal to the
define-by-run ones, and a clear error where lambdagrad.numpy has no such function."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.frontend import JitError

RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))


def outer_rows(x, y):
    return np.outer(x[0], y[1]) * 2.0


def spread(x, y):
    return np.std(x, axis=0) + np.linalg.norm(y)


def softplus_sum(x, y):
    return np.log1p(np.exp(x)) + np.eye(3) @ y


def padded(x, y):
    return np.pad(x, 1) * np.pad(y, 1)


def reshaped(x, y):
    return x.reshape(2, 6) * y.reshape(2, 6) + np.linspace(0.0, 1.0, 6)


def python_values(x, y):
    return max(1.0, 2.0) * x + len(x) * y + np.float64(0.5)


FUNCTIONS = [outer_rows, spread, softplus_sum, padded, reshaped, python_values]


@pytest.mark.parametrize("fun", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_values_are_numpys(fun):
    np.testing.assert_allclose(lg.jit(fun)(X, Y), fun(X, Y), rtol=1e-12)


@pytest.mark.parametrize("fun", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_ir_gradients_equal_the_define_by_run_ones(fun):
    inner = lg.jit(fun)

    def loss(x, y):
        return np.sum(np.tanh(inner(x, y)))

    def eager_loss(x, y):
        return np.sum(np.tanh(fun(x, y)))

    jitted = lg.grad(lg.jit(loss), argnums=(0, 1))(X, Y)
    eager = lg.grad(eager_loss, argnums=(0, 1))(X, Y)
    for got, want in zip(jitted, eager, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_staged_code_is_op_calls_in_the_program():
    ops = lg.analysis.count_ops(lg.jit(outer_rows).lower(X, Y)["main"])
    assert ops.get("multiply", 0) >= 1 and "reshape" in ops


def uses_isnan(x, y):
    return np.isnan(x).any()


def test_a_function_lambdagrad_numpy_lacks_is_named_at_its_line():
    with pytest.raises(JitError) as info:
        lg.jit(uses_isnan)(X, Y)
    message = str(info.value)
    assert "isnan" in message and "lambdagrad.numpy has no isnan" in message
    assert f'File "{__file__}", line {uses_isnan.__code__.co_firstlineno + 1}' in message
