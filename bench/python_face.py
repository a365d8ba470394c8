"""The Python face against HIPS autograd, PyTorch eager and JAX without jit.

Each workload is one function written once against an array namespace (``lnp``, autograd's
numpy, jax.numpy, or torch) and differentiated by each library's own transformation:
``grad`` of an MLP loss, of an RNN unrolled by a Python loop, and of a TreeLSTM recursing
over a Python tree; the Hessian and a Hessian-vector product of 10-d Rosenbrock. Results are
checked against lambdagrad's before timing. Times are medians over interleaved rounds, in
CPU time of this process (all its threads): on a shared machine wall time mostly measures
the neighbours.

Run: python bench/python_face.py [--rounds 5] [--only mlp,rnn] [--libs autograd,torch]
Prints a markdown table: milliseconds per call and each peer's time over lambdagrad's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import peers  # imports no numpy: its set_thread_env must run before numpy loads

LIBRARIES = ("lambdagrad", "autograd", "torch", "jax")


def namespaces() -> dict[str, SimpleNamespace]:
    """Each library's array functions under one set of names."""
    import numpy as np

    import lambdagrad.numpy as lnp

    found = {"lambdagrad": _numpy_like(lnp, lnp.nn.sigmoid, lnp.concatenate)}
    try:
        import autograd.numpy as anp

        found["autograd"] = _numpy_like(anp, lambda x: 0.5 * (anp.tanh(0.5 * x) + 1.0), None)
    except ImportError:
        pass
    try:
        import torch

        found["torch"] = SimpleNamespace(
            tanh=torch.tanh,
            sigmoid=torch.sigmoid,
            sum=torch.sum,
            mean=torch.mean,
            concatenate=lambda xs: torch.cat(xs),
            asarray=torch.as_tensor,
        )
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        found["jax"] = _numpy_like(jnp, jax.nn.sigmoid, None)
    except ImportError:
        pass
    found["numpy"] = _numpy_like(np, None, None)
    return found


def _numpy_like(module, sigmoid, concatenate) -> SimpleNamespace:
    return SimpleNamespace(
        tanh=module.tanh,
        sigmoid=sigmoid,
        sum=module.sum,
        mean=module.mean,
        concatenate=concatenate or module.concatenate,
        asarray=module.asarray,
    )


# ---- the functions, written once


def mlp_loss(ns, params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    h = ns.tanh(x @ w1 + b1)
    h = ns.tanh(h @ w2 + b2)
    return ns.mean((h @ w3 + b3 - y) ** 2)


def rnn_loss(ns, params, xs):
    wx, wh, b = params
    h = xs[0] @ wx * 0.0
    for t in range(xs.shape[0]):  # a Python loop over time steps
        h = ns.tanh(xs[t] @ wx + h @ wh + b)
    return ns.sum(h * h)


def tree_lstm_loss(ns, params, tree):
    h, _ = _tree_lstm(ns, params, tree)
    return ns.sum(h * h)


def _tree_lstm(ns, params, tree):
    """A binary TreeLSTM: a leaf is a vector, a node a pair of subtrees."""
    w_leaf, w, b = params
    if not isinstance(tree, tuple):
        c = tree @ w_leaf
        return ns.tanh(c), c
    (hl, cl), (hr, cr) = _tree_lstm(ns, params, tree[0]), _tree_lstm(ns, params, tree[1])
    gates = ns.concatenate([hl, hr]) @ w + b
    size = hl.shape[0]
    i, fl, fr, o = (ns.sigmoid(gates[k * size : (k + 1) * size]) for k in range(4))
    u = ns.tanh(gates[4 * size :])
    c = i * u + fl * cl + fr * cr
    return o * ns.tanh(c), c


def rosenbrock(ns, x):
    return ns.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


# ---- inputs


def inputs(name: str, rng):
    import numpy as np

    def normal(*shape, scale=0.3):
        return rng.normal(size=shape) * scale

    if name == "mlp":
        sizes = [(64, 128), (128, 128), (128, 10)]
        params = tuple(p for n, m in sizes for p in (normal(n, m), normal(m)))
        return (params, normal(32, 64, scale=1.0), normal(32, 10, scale=1.0))
    if name == "rnn":
        return ((normal(16, 32), normal(32, 32), normal(32)), normal(40, 16, scale=1.0))
    if name == "tree_lstm":
        return ((normal(16, 16), normal(32, 80), normal(80)), _tree(rng, 6))
    return (np.linspace(-1.0, 1.5, 10), rng.normal(size=10))


def _tree(rng, depth: int):
    if depth == 0:
        return rng.normal(size=16)
    return (_tree(rng, depth - 1), _tree(rng, depth - 1))


# ---- each library's derivative of each workload, as a thunk


def derivative_thunk(name: str, ns, args, grad, hessian, hvp):
    """Workload `name` differentiated by one library's `grad` and `hessian` and
    ``hvp(f) -> (x, v) -> Hessian @ v``, as a thunk."""
    if name == "hessian":
        hessian_of = hessian(lambda x: rosenbrock(ns, x))
        return lambda: hessian_of(args[0])
    if name == "hvp":
        product = hvp(lambda x: rosenbrock(ns, x))
        return lambda: product(args[0], args[1])
    loss = LOSSES[name]
    gradient = grad(lambda params, *rest: loss(ns, params, *rest))
    return lambda: gradient(*args)


def lambdagrad_thunk(name: str, ns, args):
    import lambdagrad as lg

    def hvp(f):
        return lambda x, v: lg.hvp(f, (x,), (v,))

    return derivative_thunk(name, ns, args, lg.grad, lg.hessian, hvp)


def autograd_thunk(name: str, ns, args):
    import autograd

    hvp = autograd.hessian_vector_product
    return derivative_thunk(name, ns, args, autograd.grad, autograd.hessian, hvp)


def torch_thunk(name: str, ns, args):
    import torch
    from torch.autograd import functional

    def tensors(value):
        if isinstance(value, tuple):
            return tuple(tensors(v) for v in value)
        return torch.as_tensor(value)

    if name == "hessian":
        x = tensors(args[0])
        return lambda: functional.hessian(lambda x: rosenbrock(ns, x), x).numpy()
    if name == "hvp":
        x, v = tensors(args[0]), tensors(args[1])
        return lambda: functional.hvp(lambda x: rosenbrock(ns, x), x, v)[1].numpy()
    params, *rest = tensors(args)
    loss = LOSSES[name]

    def grad():
        leaves = [p.detach().requires_grad_() for p in params]
        grads = torch.autograd.grad(loss(ns, tuple(leaves), *rest), leaves)
        return tuple(g.numpy() for g in grads)

    return grad


def jax_thunk(name: str, ns, args):
    import jax

    def hvp(f):
        grad = jax.grad(f)
        return lambda x, v: jax.jvp(grad, (x,), (v,))[1]

    return derivative_thunk(name, ns, args, jax.grad, jax.hessian, hvp)


LOSSES = {"mlp": mlp_loss, "rnn": rnn_loss, "tree_lstm": tree_lstm_loss}
WORKLOADS = ("mlp", "rnn", "tree_lstm", "hessian", "hvp")
THUNKS = {
    "lambdagrad": lambdagrad_thunk,
    "autograd": autograd_thunk,
    "torch": torch_thunk,
    "jax": jax_thunk,
}


# ---- measuring


def check(expected, actual) -> None:
    import numpy as np

    if isinstance(expected, tuple):
        for e, a in zip(expected, actual, strict=True):
            check(e, a)
        return
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-6, atol=1e-9)


def median_seconds(thunks: dict[str, Callable], rounds: int, seconds: float) -> dict[str, float]:
    """Per-call medians over `rounds`, the libraries taking turns within each round."""
    repeats = {name: _repeats(thunk, seconds) for name, thunk in thunks.items()}
    samples: dict[str, list[float]] = {name: [] for name in thunks}
    for _ in range(rounds):
        for name, thunk in thunks.items():
            start = time.process_time()
            for _ in range(repeats[name]):
                thunk()
            samples[name].append((time.process_time() - start) / repeats[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def _repeats(thunk: Callable, seconds: float) -> int:
    for _ in range(2):  # warm caches (compiled rules, JAX's per-op compilation)
        thunk()
    start = time.process_time()
    thunk()
    return max(1, int(seconds / max(time.process_time() - start, 1e-7)))


def run(names, libraries, rounds: int, seconds: float) -> list[str]:
    import numpy as np

    spaces = namespaces()
    rows = [
        "| workload | "
        + " | ".join(f"{lib} ms" for lib in libraries)
        + " | "
        + " | ".join(f"{lib} / lambdagrad" for lib in libraries[1:])
        + " |",
        "|---" * (2 * len(libraries)) + "|",
    ]
    for name in names:
        args = inputs(name, np.random.default_rng(0))
        thunks = {lib: THUNKS[lib](name, spaces[lib], args) for lib in libraries}
        expected = thunks["lambdagrad"]()
        for lib in libraries[1:]:
            check(expected, thunks[lib]())
        print(f"{name}: results agree; timing", file=sys.stderr)
        times = median_seconds(thunks, rounds, seconds)
        ours = times["lambdagrad"]
        cells = [f"{times[lib] * 1e3:.3f}" for lib in libraries]
        ratios = [f"{times[lib] / ours:.2f}" for lib in libraries[1:]]
        rows.append(f"| {name} | " + " | ".join(cells + ratios) + " |")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="per sample")
    parser.add_argument("--only", help=f"comma-separated workloads of {', '.join(WORKLOADS)}")
    parser.add_argument("--libs", help="comma-separated peers (default: those installed)")
    args = parser.parse_args(argv)
    peers.set_thread_env(1)
    skipped = peers.configure(1)
    wanted = args.libs.split(",") if args.libs else LIBRARIES[1:]
    libraries = ["lambdagrad", *(lib for lib in wanted if lib not in skipped)]
    names = args.only.split(",") if args.only else list(WORKLOADS)
    print("\n".join(run(names, libraries, args.rounds, args.seconds)))


if __name__ == "__main__":
    main()
