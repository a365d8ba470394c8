"""Forward mode against JAX in float64 (1e-9 relative): every differentiable op (through
its JAX lowering), and Hessian-vector products of Rosenbrock and of a TreeLSTM-style loss,
forward over reverse and reverse over forward (on the compiled executor: the interpreter runs
the same programs in tests/ad/test_forward_programs.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.backends.jax import lower_op

from .test_op_gradients import CASES, Case

jax.config.update("jax_enable_x64", True)
RTOL = 1e-9


def in_float64(case: Case) -> Case:
    dtypes = ["float64" if d.startswith("float") else d for d in case.dtypes]
    return Case(case.name, case.build, *case.inputs, dtypes=dtypes)


def jax_function(func: lg.Function):
    """`func` (op calls on parameters, constants and tuples) as a function of JAX arrays."""

    def run(*args):
        env = dict(zip(func.params, args, strict=True))

        def value(expr):
            match expr:
                case lg.Var():
                    return env[expr]
                case lg.Constant():
                    return jnp.asarray(expr.data)
                case lg.Tuple():
                    return tuple(value(f) for f in expr.fields)
                case lg.TupleGetItem():
                    return value(expr.tuple_value)[expr.index]
                case lg.Call():
                    return lower_op(expr.op, expr.attrs)(*(value(a) for a in expr.args))
            raise AssertionError(f"unexpected node {expr}")

        return value(func.body)

    return run


def random_tangent(value, rng):
    if np.issubdtype(np.asarray(value).dtype, np.floating):
        return rng.standard_normal(np.shape(value))
    return np.zeros(np.shape(value), jax.dtypes.float0)


def assert_tree_close(actual, expected):
    if isinstance(expected, tuple):
        for a, e in zip(actual, expected, strict=True):
            assert_tree_close(a, e)
        return
    np.testing.assert_allclose(actual, np.asarray(expected), rtol=RTOL, atol=1e-12)


def shaped_by_values(case: Case) -> bool:
    """Whether the case's result shape depends on its inputs' values (an arange of computed
    bounds): JAX cannot transform such a program (tests/backends/test_jax_ops.py says so)."""
    func, _ = case.function(np.random.default_rng(0))
    ret_type = lg.transform.infer_type(func).checked_type.ret_type
    return isinstance(ret_type, lg.TensorType) and None in ret_type.shape


STATIC_CASES = [case for case in CASES if not shaped_by_values(case)]


@pytest.mark.parametrize("case", STATIC_CASES, ids=lambda c: c.name)
def test_every_op_agrees_with_jax_jvp(case):
    rng = np.random.default_rng(0)
    func, inputs = in_float64(case).function(rng)
    tangents = [random_tangent(x, rng) for x in inputs]
    floats = tuple(i for i, x in enumerate(inputs) if np.asarray(x).dtype.kind == "f")
    forward = lg.transform.jvp(func, wrt=floats)
    value, tangent = lg.create_executor().evaluate(forward)(*inputs, *(tangents[i] for i in floats))
    jax_value, jax_tangent = jax.jvp(jax_function(func), tuple(inputs), tuple(tangents))
    assert_tree_close(value, jax_value)
    assert_tree_close(tangent, jax_tangent)


ROSENBROCK = """
def @main(%x: Tensor[(10), float64]) -> float64 {
  let %a = strided_slice(%x, begin=[0], end=[9]);
  let %b = strided_slice(%x, begin=[1], end=[10]);
  let %d = subtract(%b, multiply(%a, %a));
  let %e = subtract(1f64, %a);
  sum(add(multiply(100f64, multiply(%d, %d)), multiply(%e, %e)))
}
"""


def jax_rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


TREE_LSTM = """
type BTree { Leaf(Tensor[(1, 4), float64]), Node(BTree, BTree) }

def @encode(%t: BTree, %wl: Tensor[(4, 4), float64], %wr: Tensor[(4, 4), float64],
            %u: Tensor[(4, 4), float64]) -> (Tensor[(1, 4), float64], Tensor[(1, 4), float64]) {
  match (%t) {
    Leaf(%x) => {
      let %c = tanh(nn.dense(%x, %u));
      (multiply(sigmoid(%x), tanh(%c)), %c)
    },
    Node(%l, %r) => {
      let %a = @encode(%l, %wl, %wr, %u);
      let %b = @encode(%r, %wl, %wr, %u);
      let %pre = add(nn.dense(%a.0, %wl), nn.dense(%b.0, %wr));
      let %i = sigmoid(%pre);
      let %f = sigmoid(subtract(%pre, 1f64));
      let %c = add(multiply(%i, tanh(%pre)), multiply(%f, add(%a.1, %b.1)));
      (multiply(sigmoid(add(%pre, 0.5f64)), tanh(%c)), %c)
    },
  }
}

def @main(%wl: Tensor[(4, 4), float64], %wr: Tensor[(4, 4), float64],
          %u: Tensor[(4, 4), float64], %t: BTree) -> float64 {
  let %h = @encode(%t, %wl, %wr, %u);
  sum(multiply(%h.0, %h.0))
}
"""


def jax_encode(tree, wl, wr, u):
    if isinstance(tree, np.ndarray):
        c = jnp.tanh(tree @ u.T)
        return jax.nn.sigmoid(tree) * jnp.tanh(c), c
    (ha, ca), (hb, cb) = (jax_encode(side, wl, wr, u) for side in tree)
    pre = ha @ wl.T + hb @ wr.T
    c = jax.nn.sigmoid(pre) * jnp.tanh(pre) + jax.nn.sigmoid(pre - 1.0) * (ca + cb)
    return jax.nn.sigmoid(pre + 0.5) * jnp.tanh(c), c


def tree_value(tree, mod):
    if isinstance(tree, np.ndarray):
        return lg.ConstructorValue(mod.get_constructor("Leaf"), [tree])
    left, right = (tree_value(side, mod) for side in tree)
    return lg.ConstructorValue(mod.get_constructor("Node"), [left, right])


def problem(name):
    """(module, primal inputs, tangent direction (float inputs), the JAX loss of those)."""
    rng = np.random.default_rng(3)
    if name == "rosenbrock":
        x, v = rng.uniform(-1.5, 1.5, 10), rng.standard_normal(10)
        return lg.parse(ROSENBROCK), [x], [v], jax_rosenbrock
    mod = lg.parse(TREE_LSTM)
    leaves = [rng.standard_normal((1, 4)) * 0.5 for _ in range(5)]
    tree = ((leaves[0], leaves[1]), ((leaves[2], leaves[3]), leaves[4]))
    weights = [rng.standard_normal((4, 4)) * 0.5 for _ in range(3)]
    directions = [rng.standard_normal((4, 4)) for _ in range(3)]

    def loss(wl, wr, u):
        h, _ = jax_encode(tree, wl, wr, u)
        return jnp.sum(h * h)

    return mod, [*weights, tree_value(tree, mod)], directions, loss


@pytest.mark.parametrize("name", ["rosenbrock", "tree_lstm"])
def test_forward_over_reverse_hvp_agrees_with_jax(name):
    mod, inputs, directions, loss = problem(name)
    floats = tuple(range(len(directions)))
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    hvp = lg.transform.jvp(grad, mod=mod, wrt=floats)
    (_, grads), (_, hv) = lg.create_executor("compiled", mod=mod).evaluate(hvp)(
        *inputs, *directions
    )
    primals = tuple(jnp.asarray(x) for x in inputs[: len(floats)])
    jax_grads, jax_hv = jax.jvp(jax.grad(loss, argnums=tuple(floats)), primals, tuple(directions))
    assert_tree_close(tuple(grads[i] for i in floats), jax_grads)
    assert_tree_close(tuple(hv[i] for i in floats), jax_hv)


@pytest.mark.parametrize("name", ["rosenbrock", "tree_lstm"])
def test_reverse_over_forward_hvp_agrees_with_jax(name):
    mod, inputs, directions, loss = problem(name)
    floats = tuple(range(len(directions)))
    forward = lg.transform.jvp(mod.get_global_var("main"), mod=mod, wrt=floats)
    params = [lg.var(p.name_hint, p.type_annotation) for p in mod["main"].params]
    tangents = [lg.var(f"v{i}", params[i].type_annotation) for i in floats]
    directional = lg.Function([*params, *tangents], lg.TupleGetItem(forward(*params, *tangents), 1))
    grad = lg.transform.gradient(directional, mod=mod)
    _, grads = lg.create_executor("compiled", mod=mod).evaluate(grad)(*inputs, *directions)
    primals = tuple(jnp.asarray(x) for x in inputs[: len(floats)])
    _, jax_hv = jax.jvp(jax.grad(loss, argnums=tuple(floats)), primals, tuple(directions))
    assert_tree_close(tuple(grads[i] for i in floats), jax_hv)
