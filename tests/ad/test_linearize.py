"""`linearize`: a jvp and a vjp closure at one point, sharing the primal computation."""

from pathlib import Path

import numpy as np
import pytest

import lambdagrad as lg

MLP = """
def @main(%x: Tensor[(3, 4), float64], %w: Tensor[(5, 4), float64]) -> Tensor[(3, 5), float64] {
  tanh(nn.dense(%x, %w))
}
"""


def jacobian(x, w):
    """d tanh(x w^T) / d(x, w) as dense arrays, by the closed form."""
    slope = 1 - np.tanh(x @ w.T) ** 2  # (3, 5)
    jx = np.einsum("ij,jk,il->ijlk", slope, w, np.eye(3))  # (3, 5, 3, 4)
    jw = np.einsum("ij,il,jm->ijml", slope, x, np.eye(5))  # (3, 5, 5, 4)
    return jx, jw


@pytest.fixture
def point():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 4)), rng.standard_normal((5, 4))


def test_jvp_and_vjp_closures_agree_with_the_jacobian(point, executor_kind):
    mod = lg.parse(MLP)
    linear = lg.transform.linearize(mod.get_global_var("main"), mod=mod)
    x, w = point
    y, jvp_at, vjp_at = lg.create_executor(executor_kind, mod=mod).evaluate(linear)(x, w)
    jx, jw = jacobian(x, w)
    np.testing.assert_allclose(y, np.tanh(x @ w.T))
    tx, tw = np.ones_like(x), np.linspace(-1, 1, 20).reshape(5, 4)
    expected = np.einsum("ijlk,lk->ij", jx, tx) + np.einsum("ijml,ml->ij", jw, tw)
    np.testing.assert_allclose(jvp_at(tx, tw), expected, rtol=1e-12)
    ct = np.arange(15.0).reshape(3, 5)
    dx, dw = vjp_at(ct)
    np.testing.assert_allclose(dx, np.einsum("ijlk,ij->lk", jx, ct), rtol=1e-12)
    np.testing.assert_allclose(dw, np.einsum("ijml,ij->ml", jw, ct), rtol=1e-12)


def test_the_closures_do_only_tangent_work():
    mod = lg.parse(MLP)
    linear = lg.transform.linearize(mod.get_global_var("main"), mod=mod)
    closures = [n for n in lg.ir.post_order(linear.body) if isinstance(n, lg.Function)]
    assert len(closures) == 2
    for closure in closures:
        ops = lg.analysis.count_ops(closure)
        assert "tanh" not in ops  # the primal (and its slope) is computed once, outside
    assert lg.analysis.count_ops(linear)["tanh"] == 1
    assert not any(isinstance(n, lg.GlobalVar) for n in lg.ir.post_order(linear.body))


def test_wrt_chooses_the_parameters(point):
    mod = lg.parse(MLP)
    linear = lg.transform.linearize(mod.get_global_var("main"), mod=mod, wrt=(1,))
    x, w = point
    _, jvp_at, vjp_at = lg.create_executor(mod=mod).evaluate(linear)(x, w)
    _, jw = jacobian(x, w)
    tw = np.ones_like(w)
    np.testing.assert_allclose(jvp_at(tw), np.einsum("ijml,ml->ij", jw, tw), rtol=1e-12)
    (dw,) = vjp_at(np.ones((3, 5)))
    np.testing.assert_allclose(dw, np.einsum("ijml->ml", jw), rtol=1e-12)


def test_a_recursive_program(executor_kind):
    text = (Path(__file__).parents[2] / "examples" / "tree_sum.rly").read_text()
    mod = lg.parse(text, prelude=True)
    linear = lg.transform.linearize(mod.get_global_var("main"), mod=mod, wrt=(0,))
    rose, nil, cons = (mod.get_constructor(n) for n in ("Rose", "Nil", "Cons"))
    leaf = lg.ConstructorValue(rose, [np.full(3, 0.5, "float32"), lg.ConstructorValue(nil)])
    kids = lg.ConstructorValue(cons, [leaf, lg.ConstructorValue(nil)])
    tree = lg.ConstructorValue(rose, [np.array([0.1, -0.2, 0.3], "float32"), kids])
    w = np.array([1.0, 2.0, 3.0], "float32")
    y, jvp_at, vjp_at = lg.create_executor(executor_kind, mod=mod).evaluate(linear)(w, tree)
    total = np.tanh(np.array([0.6, 0.3, 0.8], "float32"))
    np.testing.assert_allclose(y, w * total, rtol=1e-6)
    np.testing.assert_allclose(jvp_at(np.ones(3, "float32")), total, rtol=1e-6)
    (dw,) = vjp_at(np.array([1.0, 0.0, 2.0], "float32"))
    np.testing.assert_allclose(dw, total * [1.0, 0.0, 2.0], rtol=1e-6)
