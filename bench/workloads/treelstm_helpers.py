"""treelstm_helpers: treelstm's model and inputs, its program spelled another way.

`treelstm_helpers.rly` holds vectors instead of (1, n) rows, multiplies through a helper
global (`expand_dims` + `nn.dense`), has a helper global per kind of cell and cuts the gates
out with `strided_slice` instead of `split`. The gradient goes through the same `gradient` +
`optimize_program` as the README shows; the peers are treelstm's, on the same inputs.
"""

from __future__ import annotations

from pipeline import Thunk, compile_gradient, load, weights_gradient

import lambdagrad as lg
from workloads.treelstm import (
    _over_trees,
    check,
    make_autograd,
    make_jax,
    make_jax_jit,
    make_numpy,
    make_torch,
    setup,
)

NAME = "treelstm_helpers"

# the interface of workloads/__init__.py, all but make_lambdagrad shared with treelstm
__all__ = [
    "NAME",
    "setup",
    "check",
    "make_numpy",
    "make_lambdagrad",
    "make_torch",
    "make_jax",
    "make_jax_jit",
    "make_autograd",
]


def make_lambdagrad(inputs: dict, executor: str) -> Thunk:
    pipeline = compile_gradient(load(NAME), weights_gradient([1, 2, 3, 4, 5]), executor)
    leaf, node = pipeline.mod.get_constructor("Leaf"), pipeline.mod.get_constructor("Node")

    def to_value(tree) -> lg.ConstructorValue:
        if isinstance(tree, tuple):
            return lg.ConstructorValue(node, [to_value(t) for t in tree])
        return lg.ConstructorValue(leaf, [tree[0]])  # the (1, 32) row as a vector

    params = inputs["params"]
    trees = [to_value(t) for t in inputs["trees"]]
    return Thunk(_over_trees(lambda t: list(pipeline.run(t, *params)[1]), trees), pipeline)
