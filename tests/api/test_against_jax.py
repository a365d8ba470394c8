"""Each transformation against JAX's, to 1e-9 relative in float64 (closed forms where JAX
refuses Python control flow on values)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.sparse.linalg import cg, gmres, lsqr

import lambdagrad as lg
import lambdagrad.numpy as lnp

jax.config.update("jax_enable_x64", True)

RTOL = 1e-9


class J:
    """JAX's transformations, jitted: JAX compiles each op it runs eagerly, which is slow."""

    grad, value_and_grad, jacrev, jacfwd, jacobian, hessian = (
        staticmethod(lambda *a, t=t, **k: jax.jit(t(*a, **k)))
        for t in (jax.grad, jax.value_and_grad, jax.jacrev, jax.jacfwd, jax.jacobian, jax.hessian)
    )


rng = np.random.default_rng(0)


def close(ours, theirs):
    ours_leaves, ours_tree = jax.tree_util.tree_flatten(ours)
    theirs_leaves, theirs_tree = jax.tree_util.tree_flatten(theirs)
    assert ours_tree == theirs_tree
    for a, b in zip(ours_leaves, theirs_leaves, strict=True):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=1e-12)


def mlp(np_):
    """An MLP loss written against an array module (lnp or jax.numpy)."""

    def loss(params, x, y):
        w1, b1, w2, b2 = params
        hidden = np_.tanh(x @ w1 + b1)
        out = hidden @ w2 + b2
        return np_.mean((out - y) ** 2) + 0.01 * np_.sum(w1 * w1)

    return loss


def mlp_params():
    return (
        rng.normal(size=(4, 8)),
        rng.normal(size=8),
        rng.normal(size=(8, 2)),
        rng.normal(size=2),
    )


def test_mlp_grad_with_tuple_params():
    params, x, y = mlp_params(), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    close(lg.grad(mlp(lnp))(params, x, y), J.grad(mlp(jnp))(params, x, y))


def test_mlp_value_and_grad_argnums():
    params, x, y = mlp_params(), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    ours = lg.value_and_grad(mlp(lnp), argnums=(0, 1))(params, x, y)
    close(ours, J.value_and_grad(mlp(jnp), argnums=(0, 1))(params, x, y))


def scalar_fn(np_):
    return lambda x: np_.sin(x) * np_.exp(x / 3.0) * x**2 + np_.tanh(x) / (1.0 + x**2)


def test_fourth_derivative():
    ours = lg.grad(lg.grad(lg.grad(lg.grad(scalar_fn(lnp)))))(0.7)
    theirs = J.grad(J.grad(J.grad(J.grad(scalar_fn(jnp)))))(0.7)
    close(ours, theirs)


def test_fourth_derivative_mixing_modes():
    f = lg.jacfwd(lg.grad(lg.jacrev(lg.grad(scalar_fn(lnp)))))
    close(f(0.7), J.grad(J.grad(J.grad(J.grad(scalar_fn(jnp)))))(0.7))


def vector_fn(np_):
    def f(x, m):
        return np_.sin(m @ x)[:, None] * np_.exp(x[None, :2])

    return f


@pytest.mark.parametrize(("ours", "theirs"), [(lg.jacrev, jax.jacrev), (lg.jacfwd, jax.jacfwd)])
def test_jacobians_have_jax_shapes(ours, theirs):
    x, m = rng.normal(size=3), rng.normal(size=(4, 3))
    for argnums in (1, (0, 1)):
        close(ours(vector_fn(lnp), argnums)(x, m), jax.jit(theirs(vector_fn(jnp), argnums))(x, m))


def test_jacobian_of_pytree_output():
    def f(np_):
        return lambda x: {"a": np_.sin(x), "b": (x[0] * x, np_.sum(x))}

    x = rng.normal(size=3)
    close(lg.jacobian(f(lnp))(x), J.jacobian(f(jnp))(x))
    close(lg.jacfwd(f(lnp))(x), J.jacfwd(f(jnp))(x))


def rosenbrock(np_):
    return lambda x: np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hessian_of_rosenbrock():
    x = rng.normal(size=10)
    close(lg.hessian(rosenbrock(lnp))(x), J.hessian(rosenbrock(jnp))(x))


def test_hessian_of_matrix_function():
    def f(np_):
        return lambda w, v: np_.sum(np_.tanh(w @ v) ** 2)

    w, v = rng.normal(size=(2, 3)), rng.normal(size=3)
    close(lg.hessian(f(lnp))(w, v), J.hessian(f(jnp))(w, v))
    close(lg.hessian(f(lnp), argnums=(0, 1))(w, v), J.hessian(f(jnp), argnums=(0, 1))(w, v))


def test_hvp():
    x, v = rng.normal(size=10), rng.normal(size=10)
    theirs = jax.jvp(J.grad(rosenbrock(jnp)), (x,), (v,))[1]
    close(lg.hvp(rosenbrock(lnp), (x,), (v,)), theirs)


def test_jvp_and_vjp():
    x, m = rng.normal(size=3), rng.normal(size=(4, 3))
    tx, tm = rng.normal(size=3), rng.normal(size=(4, 3))
    theirs = jax.jit(lambda p, t: jax.jvp(vector_fn(jnp), p, t))((x, m), (tx, tm))
    close(lg.jvp(vector_fn(lnp), (x, m), (tx, tm)), theirs)
    out, back = lg.vjp(vector_fn(lnp), x, m)
    ct = rng.normal(size=(4, 2))
    theirs = jax.jit(lambda ct: jax.vjp(vector_fn(jnp), x, m)[1](ct))
    close((out, back(ct)), (vector_fn(np)(x, m), theirs(ct)))


def test_vmap_of_grad():
    params, xs, ys = mlp_params(), rng.normal(size=(6, 5, 4)), rng.normal(size=(6, 5, 2))
    ours = lg.vmap(lg.grad(mlp(lnp)), in_axes=(None, 0, 0))(params, xs, ys)
    close(ours, jax.vmap(J.grad(mlp(jnp)), in_axes=(None, 0, 0))(params, xs, ys))


def test_grad_of_vmap_and_out_axes():
    def f(np_):
        return lambda w, xs: np_.sum(np_.tanh(xs @ w) ** 2)

    def g(np_, vmap):
        return lambda w, xs: np_.sum(vmap(lambda x: np_.sin(w * x), in_axes=1, out_axes=1)(xs))

    w, xs = rng.normal(size=3), rng.normal(size=(5, 3))
    close(lg.grad(f(lnp))(w, xs), J.grad(f(jnp))(w, xs))
    close(lg.grad(g(lnp, lg.vmap))(w, xs.T), J.grad(g(jnp, jax.vmap))(w, xs.T))


def test_has_aux():
    def f(np_):
        return lambda x: (np_.sum(x**2), {"norm": np_.sqrt(np_.sum(x**2)), "x": x})

    x = rng.normal(size=3)
    close(lg.grad(f(lnp), has_aux=True)(x), J.grad(f(jnp), has_aux=True)(x))
    close(lg.jacrev(f(lnp), has_aux=True)(x), J.jacrev(f(jnp), has_aux=True)(x))
    close(lg.jacfwd(f(lnp), has_aux=True)(x), J.jacfwd(f(jnp), has_aux=True)(x))


def test_dict_arguments():
    def f(np_):
        return lambda p, x: np_.sum(np_.tanh(x @ p["w"] + p["b"]) * p["scale"][0])

    p = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "scale": [rng.normal()]}
    x = rng.normal(size=(4, 3))
    close(lg.grad(f(lnp))(p, x), J.grad(f(jnp))(p, x))
    close(lg.hessian(f(lnp))(p, x), J.hessian(f(jnp))(p, x))


def test_gmres_through_linear_operator():
    def f(np_):
        return lambda x: x + 0.1 * np_.tanh(np_.cumsum(x) * x)

    x, b = rng.normal(size=6), rng.normal(size=6)
    jac = lg.linear_operator(f(lnp), x)
    d, info = gmres(jac, b, rtol=1e-13, atol=0)
    assert info == 0
    close(d, np.linalg.solve(J.jacfwd(f(jnp))(x), b))
    close(jac.rmatvec(b), jax.vjp(f(jnp), x)[1](b)[0])
    close(jac.matmat(np.eye(6)), J.jacfwd(f(jnp))(x))


def test_while_and_if_on_values():
    def f(x):
        while x < 10.0:  # doubles k times: f = 2**k * x (then a branch on the value)
            x = x * 2.0
        return lnp.sin(x) if x > 12.0 else lnp.cos(x)

    # x = 0.7 doubles 4 times to 11.2: cos branch; x = 0.8 to 12.8: sin branch
    close(lg.grad(f)(0.7), -16 * np.sin(16 * 0.7))
    close(lg.grad(f)(0.8), 16 * np.cos(16 * 0.8))
    close(lg.grad(lg.grad(f))(0.8), -(16**2) * np.sin(16 * 0.8))


def test_recursion_on_values():
    def power(x, n):
        return 1.0 if n == 0 else x * power(x, n - 1)

    close(lg.grad(lambda x: power(x, 7))(1.3), 7 * 1.3**6)


def test_linear_operator_with_cg_lsqr_and_batched_products():
    def f(np_):
        return lambda x: 2.0 * x + 0.1 * np_.tanh(x) * np_.sum(x * x)

    calls = []

    def counted(x):
        calls.append(1)
        return f(lnp)(x)

    x, b = rng.normal(size=5), rng.normal(size=5)
    jac = lg.linear_operator(counted, x)
    theirs = J.jacfwd(f(jnp))(x)
    d, info = cg(jac.T @ jac, jac.rmatvec(b), rtol=1e-13, atol=0)
    assert info == 0
    close(d, np.linalg.solve(theirs, b))
    close(lsqr(jac, b, atol=1e-14, btol=1e-14)[0], np.linalg.solve(theirs, b))
    close(jac.rmatmat(np.eye(5)), theirs.T)
    assert len(calls) == 1  # every product reuses the one recording
