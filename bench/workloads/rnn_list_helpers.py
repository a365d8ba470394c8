"""rnn_list_helpers: rnn_list's model and inputs, its program spelled another way.

`rnn_list_helpers.rly` holds vectors instead of (1, n) rows, multiplies through a helper
global (`expand_dims` + `nn.dense`), has a helper global for the step and recurses over the
list itself instead of calling `@foldl`. The gradient goes through the same `gradient` +
`optimize_program` as the README shows; the peers are rnn_list's, on the same inputs.
"""

from __future__ import annotations

from pipeline import Thunk, compile_gradient, load, weights_gradient

import lambdagrad as lg
from workloads.rnn_list import (
    check,
    make_autograd,
    make_jax,
    make_jax_jit,
    make_numpy,
    make_torch,
    setup,
)

NAME = "rnn_list_helpers"

# the interface of workloads/__init__.py, all but make_lambdagrad shared with rnn_list
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
    pipeline = compile_gradient(load(NAME), weights_gradient([2, 3, 4]), executor)
    xs = lg.make_list([x[0] for x in inputs["xs"]], pipeline.mod)  # rows as vectors
    args = (xs, inputs["h0"][0], *inputs["params"])
    return Thunk(lambda: list(pipeline.run(*args)[1]), pipeline)
