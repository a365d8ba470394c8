"""Train a binary TreeLSTM written in Python: an `lg.adt` tree, `match`, recursion, `lg.jit`.

The model (Tai et al. 2015, N-ary with N = 2) is plain Python over `lambdagrad.numpy`;
`lg.jit` translates it to one IR program (a recursive global matching on the tree), whose
gradient `lg.transform.gradient` derives, `lg.transform.optimize_program` simplifies (with the
derived global of `cell` it calls) and the compiled executor runs: one gradient program for
every tree, whatever its shape.

The task: the root's hidden state should match a fixed random target per tree.
Run: python examples/treelstm_jit.py
"""

import numpy as np

import lambdagrad as lg
import lambdagrad.numpy as lnp

EMBED, HIDDEN = 8, 8


@lg.adt(params=("A",))
class BTree:
    Leaf = "A"
    Node = ("BTree[A]", "BTree[A]")


@lg.jit
def cell(tree, w, bw, ul, ur, bu):
    """(h, c) of a tree: leaves gate their embedding (i, o, u), nodes their children's
    hidden states (i, f_left, f_right, o, u)."""
    match tree:
        case BTree.Leaf(x):
            i, o, u = lnp.split(x @ w.T + bw, 3, axis=1)
            c = lnp.nn.sigmoid(i) * lnp.tanh(u)
            return lnp.nn.sigmoid(o) * lnp.tanh(c), c
        case BTree.Node(left, right):
            h_left, c_left = cell(left, w, bw, ul, ur, bu)
            h_right, c_right = cell(right, w, bw, ul, ur, bu)
            gates = h_left @ ul.T + h_right @ ur.T + bu
            i, f_left, f_right, o, u = lnp.split(gates, 5, axis=1)
            c = lnp.nn.sigmoid(i) * lnp.tanh(u)
            c = c + lnp.nn.sigmoid(f_left) * c_left + lnp.nn.sigmoid(f_right) * c_right
            return lnp.nn.sigmoid(o) * lnp.tanh(c), c


@lg.jit
def loss(tree, target, w, bw, ul, ur, bu):
    h, _ = cell(tree, w, bw, ul, ur, bu)
    return lnp.mean((h - target) ** 2)


def random_tree(rng, n_leaves: int):
    """A binary BTree over `n_leaves` random leaf embeddings: neighbours are joined at
    random until one tree is left (a loop, no recursion)."""
    nodes = [BTree.Leaf(rng.standard_normal((1, EMBED)).astype("float32")) for _ in range(n_leaves)]
    while len(nodes) > 1:
        i = int(rng.integers(len(nodes) - 1))
        nodes[i : i + 2] = [BTree.Node(nodes[i], nodes[i + 1])]
    return nodes[0]


def random_params(rng) -> list:
    """w, bw (leaf gates) and ul, ur, bu (node gates), float32."""
    shapes = [(3 * HIDDEN, EMBED), (3 * HIDDEN,), (5 * HIDDEN, HIDDEN), (5 * HIDDEN, HIDDEN)]
    shapes.append((5 * HIDDEN,))
    return [(rng.standard_normal(s) / np.sqrt(HIDDEN)).astype("float32") for s in shapes]


def gradient_step_function(example_tree, target, params):
    """A compiled function (tree, target, *params) -> (loss, gradients of the params)."""
    mod = loss.lower(example_tree, target, *params)
    weights = tuple(range(2, 2 + len(params)))
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=weights)
    grad, optimized = lg.transform.optimize_program(grad, mod)  # and the derived @cell_grad...
    return lg.create_executor("compiled", optimized).evaluate(grad)


def train(steps: int = 30, n_trees: int = 8, learning_rate: float = 0.5, seed: int = 0):
    """SGD over a small data set of random trees; returns the mean loss of each epoch."""
    rng = np.random.default_rng(seed)
    data = [
        (random_tree(rng, int(rng.integers(1, 10))), rng.uniform(-0.5, 0.5, (1, HIDDEN)))
        for _ in range(n_trees)
    ]
    data = [(tree, target.astype("float32")) for tree, target in data]
    params = random_params(rng)
    step = gradient_step_function(*data[0], params)
    history = []
    for _ in range(steps):
        losses = []
        for tree, target in data:
            value, grads = step(tree, target, *params)
            params = [p - np.float32(learning_rate) * g for p, g in zip(params, grads, strict=True)]
            losses.append(float(value))
        history.append(float(np.mean(losses)))
    return history


if __name__ == "__main__":
    history = train()
    for epoch in range(0, len(history), 5):
        print(f"epoch {epoch:3d}  loss {history[epoch]:.5f}")
    print(f"final      loss {history[-1]:.5f}")
