"""The benchmark workloads: one module per workload, each beside its `.rly` program.

Every module has the same interface:

- ``NAME``;
- ``setup(seed, quick) -> inputs``: the seeded inputs every library gets (numpy arrays and
  Python structures of them); `quick` may shrink only what the workload says it does;
- ``make_numpy(inputs)``, ``make_torch``, ``make_jax``, ``make_jax_jit``, ``make_autograd``:
  each converts the inputs to the library's form and returns a thunk that computes the
  gradients as a flat list of arrays (the conversion and any jit wrapping stay out of the
  timing; the first call of the thunk is the jit compile);
- ``make_lambdagrad(inputs, executor)``: the same through `gradient` + `optimize_program`
  on the executor, as a `pipeline.Thunk` that also carries the times of those stages;
- ``check(expected, actual)``: assert that two gradient lists agree (numpy is `expected`).
"""

from __future__ import annotations

import importlib

ALL = (
    "mlp",
    "scalar_loop",
    "rnn_list",
    "rnn_list_helpers",
    "treelstm",
    "treelstm_helpers",
    "treelstm_epoch",
    "newton",
)


def load(name: str):
    """The workload module `name`."""
    return importlib.import_module(f"workloads.{name}")
