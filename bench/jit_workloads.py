"""rnn_list and treelstm written as `lg.jit` Python functions, timed against the same
workloads written in the text format (bench/workloads/*.rly).

Both go through the same pipeline (`gradient` of the weights, `optimize`, the compiled
executor); the jitted side starts from ``f.lower(...)``. Reported: the first call (translate
+ differentiate + optimize + compile for lg.jit; parse + the rest for text) and the median
time of one gradient, interleaved, with the ratio jit / text.

Run from the repository root: python bench/jit_workloads.py [--rounds N]
"""

from __future__ import annotations

import argparse
import runpy
import statistics
import time
from pathlib import Path

import numpy as np
from pipeline import compile_gradient, load, weights_gradient  # bench/, the script's directory
from workloads import rnn_list, treelstm

import lambdagrad as lg
import lambdagrad.numpy as lnp

# The TreeLSTM of the example (the text format's @cell, in Python), timed as written there.
_TREELSTM = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "treelstm_jit.py"))
BTree, cell = _TREELSTM["BTree"], _TREELSTM["cell"]


@lg.jit
def rnn(xs, h, wx, wh, b):
    for x in xs:
        h = lnp.tanh(x @ wx.T + h @ wh.T + b)
    return lnp.sum(h)


@lg.jit
def tree_loss(tree, w, bw, ul, ur, bu):
    h, _ = cell(tree, w, bw, ul, ur, bu)
    return lnp.sum(h)


def to_btree(tree, leaf, node):
    """A workload tree (an array, or a (left, right) pair) as a value of `leaf`/`node`."""
    if isinstance(tree, tuple):
        return node(*(to_btree(t, leaf, node) for t in tree))
    return leaf(tree)


def rnn_cases() -> dict:
    inputs = rnn_list.setup(0, quick=False)
    xs, h0, params = inputs["xs"], inputs["h0"], inputs["params"]

    def text():
        pipe = compile_gradient(load("rnn_list"), weights_gradient([2, 3, 4]), "compiled")
        args = (lg.make_list(xs, pipe.mod), h0, *params)
        return lambda: pipe.run(*args)[1]

    def jitted():
        args = (lg.List(xs), h0, *params)
        mod = rnn.lower(*args)
        pipe = compile_gradient(mod, weights_gradient([2, 3, 4]), "compiled")
        return lambda: pipe.run(*args)[1]

    return {"text": text, "jit": jitted}


def treelstm_cases() -> dict:
    inputs = treelstm.setup(0, quick=False)
    tree, params = inputs["trees"][0], inputs["params"]

    def text():
        pipe = compile_gradient(load("treelstm"), weights_gradient([1, 2, 3, 4, 5]), "compiled")
        leaf, node = pipe.mod.get_constructor("Leaf"), pipe.mod.get_constructor("Node")

        def build(*fields):
            return lg.ConstructorValue(node if len(fields) == 2 else leaf, fields)

        value = to_btree(tree, build, build)
        return lambda: pipe.run(value, *params)[1]

    def jitted():
        value = to_btree(tree, BTree.Leaf, BTree.Node)
        mod = tree_loss.lower(value, *params)
        pipe = compile_gradient(mod, weights_gradient([1, 2, 3, 4, 5]), "compiled")
        return lambda: pipe.run(value, *params)[1]

    return {"text": text, "jit": jitted}


def measure(cases: dict, rounds: int) -> dict:
    """First-call seconds and per-gradient samples of each case, the cases interleaved."""
    runs, first = {}, {}
    for name, build in cases.items():
        start = time.perf_counter()
        runs[name] = build()
        expected = runs[name]()
        first[name] = time.perf_counter() - start
        runs[name].expected = expected
    for got, want in zip(runs["jit"].expected, runs["text"].expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    samples = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: (first[name], statistics.median(samples[name])) for name in cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    print(f"{'workload':10} {'case':5} {'first call':>11} {'gradient':>10} {'jit/text':>9}")
    for workload, cases in (("rnn_list", rnn_cases()), ("treelstm", treelstm_cases())):
        results = measure(cases, rounds)
        ratio = results["jit"][1] / results["text"][1]
        for name, (first, median) in results.items():
            shown = f"{ratio:9.2f}" if name == "jit" else ""
            print(f"{workload:10} {name:5} {first:10.3f}s {median * 1e3:8.2f}ms {shown}")


if __name__ == "__main__":
    main()
