"""treelstm: a binary TreeLSTM over a random tree of 64 leaves, embedding 32, hidden 32.

loss = sum of the root's hidden state; gradients of the weights (w, bw, ul, ur, bu). A tree
is a leaf embedding (an array of shape (1, 32)) or a pair (left, right); `make_*` return
thunks over all of `inputs["trees"]` so that treelstm_epoch reuses them for its 100 trees.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from harness import assert_all_close
from pipeline import Thunk, compile_gradient, load, weights_gradient

import lambdagrad as lg

NAME = "treelstm"
N_LEAVES, EMBED, HIDDEN = 64, 32, 32
H = HIDDEN


def setup(seed: int, quick: bool) -> dict:
    rng = np.random.default_rng(seed)
    return {"trees": [random_tree(rng, N_LEAVES)], "params": random_params(rng)}


def random_tree(rng: np.random.Generator, n_leaves: int):
    """A binary tree with `n_leaves` random leaf embeddings, each split point uniform."""
    if n_leaves == 1:
        return rng.standard_normal((1, EMBED)).astype(np.float32)
    left = int(rng.integers(1, n_leaves))
    return (random_tree(rng, left), random_tree(rng, n_leaves - left))


def random_params(rng: np.random.Generator) -> list:
    """w, bw (leaf gates i, o, u) and ul, ur, bu (node gates i, f_l, f_r, o, u)."""
    scale = 1 / np.sqrt(HIDDEN)
    shapes = [(3 * H, EMBED), (3 * H,), (5 * H, H), (5 * H, H), (5 * H,)]
    return [(scale * rng.standard_normal(s)).astype(np.float32) for s in shapes]


def check(expected: list, actual: list) -> None:
    assert_all_close(expected, actual, rtol=2e-4, atol=1e-5)


def _over_trees(tree_grad, trees: list):
    """A thunk: the gradients of every tree, one flat list."""
    return lambda: [g for tree in trees for g in tree_grad(tree)]


# -- hand-written NumPy ------------------------------------------------------------------


def _flatten(tree) -> tuple[list, list]:
    """Leaf embeddings and internal nodes (left id, right id) in post-order.

    Ids number the leaves first (0..L-1), then the internal nodes (L..), so children
    always precede their parent and the root is the last id.
    """
    leaves, nodes = [], []

    def visit(t) -> tuple[bool, int]:
        if not isinstance(t, tuple):
            leaves.append(t)
            return True, len(leaves) - 1
        ids = [visit(child) for child in t]
        nodes.append(ids)
        return False, len(nodes) - 1

    visit(tree)
    n_leaves = len(leaves)
    kids = [[i if leaf else n_leaves + i for leaf, i in ids] for ids in nodes]
    return leaves, kids


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make_numpy(inputs: dict):
    """Node by node as the program goes, but the leaves' gates and the weight gradients are
    each one matrix product over all leaves (nodes) at once: the practical limit by hand."""
    w, bw, ul, ur, bu = inputs["params"]
    ul_t, ur_t = np.ascontiguousarray(ul.T), np.ascontiguousarray(ur.T)

    def tree_grad(tree) -> list:
        leaves, kids = _flatten(tree)
        x = np.concatenate(leaves)
        n_leaves, n = len(leaves), len(leaves) + len(kids)
        h, c = np.empty((n, H), np.float32), np.empty((n, H), np.float32)
        leaf = _leaves_forward(x @ w.T + bw, h, c)
        gates, tanh_c = _nodes_forward(kids, n_leaves, h, c, ul_t, ur_t, bu)
        dh, dc = np.zeros((n, H), np.float32), np.zeros((n, H), np.float32)
        dh[-1] = 1
        dz = _nodes_backward(kids, n_leaves, gates, tanh_c, c, dh, dc, ul, ur)
        dg = _leaves_backward(leaf, dh[:n_leaves], dc[:n_leaves])
        kid_ids = np.array(kids)
        return [
            dg.T @ x,
            dg.sum(axis=0),
            dz.T @ h[kid_ids[:, 0]],
            dz.T @ h[kid_ids[:, 1]],
            dz.sum(axis=0),
        ]

    return _over_trees(tree_grad, inputs["trees"])


def _leaves_forward(g, h, c) -> tuple:
    i, o, u = _sigmoid(g[:, :H]), _sigmoid(g[:, H : 2 * H]), np.tanh(g[:, 2 * H :])
    n_leaves = len(g)
    c[:n_leaves] = i * u
    tanh_c = np.tanh(c[:n_leaves])
    h[:n_leaves] = o * tanh_c
    return i, o, u, tanh_c


def _nodes_forward(kids, n_leaves, h, c, ul_t, ur_t, bu) -> tuple:
    gates = np.empty((len(kids), 5 * H), np.float32)  # i, f_l, f_r, o squashed; u tanh'd
    tanh_c = np.empty((len(kids), H), np.float32)
    for k, (left, right) in enumerate(kids):
        z = h[left] @ ul_t + h[right] @ ur_t + bu
        s = gates[k]
        s[: 4 * H] = _sigmoid(z[: 4 * H])
        s[4 * H :] = np.tanh(z[4 * H :])
        c[n_leaves + k] = s[:H] * s[4 * H :] + s[H : 2 * H] * c[left] + s[2 * H : 3 * H] * c[right]
        tanh_c[k] = np.tanh(c[n_leaves + k])
        h[n_leaves + k] = s[3 * H : 4 * H] * tanh_c[k]
    return gates, tanh_c


def _nodes_backward(kids, n_leaves, gates, tanh_c, c, dh, dc, ul, ur):
    """Reverse post-order, so a node's dh and dc are complete before it is visited."""
    dz = np.empty((len(kids), 5 * H), np.float32)
    for k in reversed(range(len(kids))):
        (left, right), s, node = kids[k], gates[k], n_leaves + k
        i, f_l, f_r, o, u = s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H : 4 * H], s[4 * H :]
        dcn = dc[node] + dh[node] * o * (1 - tanh_c[k] * tanh_c[k])
        d = dz[k]
        d[:H] = dcn * u
        d[H : 2 * H] = dcn * c[left]
        d[2 * H : 3 * H] = dcn * c[right]
        d[3 * H : 4 * H] = dh[node] * tanh_c[k]
        d[: 4 * H] *= s[: 4 * H] * (1 - s[: 4 * H])
        d[4 * H :] = dcn * i * (1 - u * u)
        dc[left] += dcn * f_l
        dc[right] += dcn * f_r
        dh[left] += d @ ul
        dh[right] += d @ ur
    return dz


def _leaves_backward(leaf, dh, dc):
    i, o, u, tanh_c = leaf
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    di = dc * u * i * (1 - i)
    do = dh * tanh_c * o * (1 - o)
    du = dc * i * (1 - u * u)
    return np.concatenate([di, do, du], axis=1)


# -- lambdagrad --------------------------------------------------------------------------


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), weights_gradient([1, 2, 3, 4, 5]), executor)
    leaf, node = pipeline.mod.get_constructor("Leaf"), pipeline.mod.get_constructor("Node")

    def to_value(tree) -> lg.ConstructorValue:
        if isinstance(tree, tuple):
            return lg.ConstructorValue(node, [to_value(t) for t in tree])
        return lg.ConstructorValue(leaf, [tree])

    params = inputs["params"]
    trees = [to_value(t) for t in inputs["trees"]]
    return Thunk(_over_trees(lambda t: list(pipeline.run(t, *params)[1]), trees), pipeline)


# -- peers: the same cell, written as their users write it --------------------------------


def _cell(ops, tree, params):
    """(h, c) of `tree`; `ops` has the library's `sigmoid`, `tanh` and `split(x, n)`."""
    w, bw, ul, ur, bu = params
    sig, tanh = ops.sigmoid, ops.tanh
    if not isinstance(tree, tuple):
        i, o, u = ops.split(tree @ w.T + bw, 3)
        c = sig(i) * tanh(u)
        return sig(o) * tanh(c), c
    (h_l, c_l), (h_r, c_r) = (_cell(ops, t, params) for t in tree)
    i, f_l, f_r, o, u = ops.split(h_l @ ul.T + h_r @ ur.T + bu, 5)
    c = sig(i) * tanh(u) + sig(f_l) * c_l + sig(f_r) * c_r
    return sig(o) * tanh(c), c


def make_torch(inputs: dict):
    import torch

    ops = SimpleNamespace(
        sigmoid=torch.sigmoid, tanh=torch.tanh, split=lambda x, n: torch.split(x, H, dim=1)
    )

    def convert(tree):
        return tuple(map(convert, tree)) if isinstance(tree, tuple) else torch.from_numpy(tree)

    params = [torch.from_numpy(p.copy()).requires_grad_() for p in inputs["params"]]

    def tree_grad(tree) -> list:
        h, _ = _cell(ops, tree, params)
        return [g.numpy() for g in torch.autograd.grad(h.sum(), params)]

    return _over_trees(tree_grad, [convert(t) for t in inputs["trees"]])


def make_jax(inputs: dict, jit: bool = False):
    """The tree is a pytree argument: jit traces and compiles once per tree shape."""
    import jax
    import jax.numpy as jnp

    ops = SimpleNamespace(
        sigmoid=jax.nn.sigmoid, tanh=jnp.tanh, split=lambda x, n: jnp.split(x, n, axis=1)
    )

    def loss(params, tree):
        return jnp.sum(_cell(ops, tree, params)[0])

    grad = jax.jit(jax.grad(loss)) if jit else jax.grad(loss)
    params = jax.device_put(tuple(inputs["params"]))
    trees = jax.device_put(inputs["trees"])
    return _over_trees(lambda tree: [np.asarray(g) for g in grad(params, tree)], trees)


def make_jax_jit(inputs: dict):
    return make_jax(inputs, jit=True)


def make_autograd(inputs: dict):
    import autograd
    import autograd.numpy as anp

    ops = SimpleNamespace(
        sigmoid=lambda x: 0.5 * (anp.tanh(0.5 * x) + 1),  # autograd has no sigmoid
        tanh=anp.tanh,
        split=lambda x, n: anp.split(x, n, axis=1),
    )

    def loss(params, tree):
        return anp.sum(_cell(ops, tree, params)[0])

    grad, params = autograd.grad(loss), tuple(inputs["params"])
    return _over_trees(lambda tree: list(grad(params, tree)), inputs["trees"])
