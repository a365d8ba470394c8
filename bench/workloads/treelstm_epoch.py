"""treelstm_epoch: the treelstm gradient of 100 distinct random trees (20-100 leaves), each.

One call is one epoch. jax.jit traces and compiles once per tree shape, so its first call
(the compile column) is what an epoch over new trees costs it; PyTorch and autograd pay their
per-op overhead on every node. `--quick` takes 10 trees.
"""

from __future__ import annotations

import numpy as np

from workloads.treelstm import (
    check,
    make_autograd,
    make_jax,
    make_jax_jit,
    make_lambdagrad,
    make_numpy,
    make_torch,
    random_params,
    random_tree,
)

NAME = "treelstm_epoch"
N_TREES, QUICK_TREES, LEAVES = 100, 10, (20, 100)

# the interface of workloads/__init__.py, the makers shared with treelstm
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


def setup(seed: int, quick: bool) -> dict:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(LEAVES[0], LEAVES[1] + 1, QUICK_TREES if quick else N_TREES)
    return {"trees": [random_tree(rng, int(n)) for n in sizes], "params": random_params(rng)}
