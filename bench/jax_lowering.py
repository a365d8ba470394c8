"""lambdagrad lowered to JAX against JAX's own gradient, both under jax.jit.

```sh
python bench/jax_lowering.py                        # every workload but treelstm_epoch
python bench/jax_lowering.py --only mlp --rounds 3
```

`lambdagrad.jax`: the workload's gradient by lambdagrad (`gradient` + `optimize`),
``jax.jit(lg.to_jax(...))`` on arguments already on the device. `jax.jit`: the workload's
own JAX program, ``jax.jit(jax.grad(loss))``, on arguments on the device too. Both give numpy
out. The last timing column is ``lg.create_executor("jax")``, which takes numpy in (moving
every argument to the device on each call) and checks it. All check their gradients first.
x64 is enabled, as for bench/run.py's peers. Compile is the first call (trace and XLA
compile, through the executor for lambdagrad); the gradient and optimize stages are reported
beside it. Steady state is the best over rounds of the mean of repeated calls, the cases
taking turns within each round. treelstm_epoch is left out: each of its 100 trees has a
structure of its own, so both sides compile once per tree (about a minute each here).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from workloads import load  # bench/ is on the path when this script runs

from lambdagrad.deep import run_deep

WORKLOADS = ("mlp", "rnn_list", "treelstm", "scalar_loop", "newton")


def first_call(thunk) -> tuple[list, float]:
    start = time.perf_counter()
    result = thunk()
    return result, time.perf_counter() - start


def mean_time(thunk, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        thunk()
    return (time.perf_counter() - start) / repeats


def on_device(lowered):
    """The thunk `lowered` (through the jax executor) with its gradient run instead as
    ``jax.jit(lg.to_jax(...))`` on arguments put on the device beforehand, as the jax.jit
    peer's are (numpy out, as the peer gives)."""
    import jax

    executor, placed = lowered.pipeline.run, {}

    def record(*args):
        placed[tuple(map(id, args))] = jax.device_put(args)
        return executor(*args)

    using(lowered, record)()  # the arguments of each call (one per tree for treelstm)
    grad = jax.jit(executor.function)  # the executor's lg.to_jax function
    for args in placed.values():  # trace where the stack is deep (scalar_loop: 1,000 steps)
        run_deep(grad, *args)

    def run(*args):
        return jax.tree.map(np.asarray, grad(*placed[tuple(map(id, args))]))

    return using(lowered, run)


def using(lowered, run):
    """`lowered` calling `run` in place of its executor."""

    def call():
        saved, lowered.pipeline.run = lowered.pipeline.run, run
        try:
            return lowered()
        finally:
            lowered.pipeline.run = saved

    return call


def measure(name: str, rounds: int, seed: int) -> dict:
    workload = load(name)
    inputs = workload.setup(seed, quick=False)
    executor = workload.make_lambdagrad(inputs, "jax")
    peer = workload.make_jax_jit(inputs)
    ours, our_compile = first_call(executor)
    theirs, their_compile = first_call(peer)
    workload.check(theirs, ours)
    thunks = {"jax.jit": peer, "lambdagrad.jax": on_device(executor), "executor": executor}
    workload.check(theirs, thunks["lambdagrad.jax"]())
    repeats = {k: max(1, int(0.2 / mean_time(t, 3))) for k, t in thunks.items()}
    best = dict.fromkeys(thunks, float("inf"))
    for index in range(rounds):
        shift = index % len(thunks)  # each takes its turn first: drift spreads evenly
        for key in list(thunks)[shift:] + list(thunks)[:shift]:
            best[key] = min(best[key], mean_time(thunks[key], repeats[key]))
    stages = executor.pipeline.stages
    compiles = {"our_compile": our_compile, "their_compile": their_compile}
    return {"workload": name, **best, **compiles, "ad": stages["gradient"] + stages["optimize"]}


def table(rows: list[dict]) -> str:
    lines = [
        "| workload | jax.jit (ms) | lambdagrad.jax (ms) | ratio | jax executor, numpy in/out "
        "(ms) | jax.jit compile (s) | lambdagrad.jax compile (s) | gradient + optimize (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        theirs, ours = r["jax.jit"], r["lambdagrad.jax"]
        lines.append(
            f"| {r['workload']} | {1e3 * theirs:.3f} | {1e3 * ours:.3f} | {ours / theirs:.2f}x "
            f"| {1e3 * r['executor']:.3f} | {r['their_compile']:.2f} | {r['our_compile']:.2f} "
            f"| {r['ad']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import jax

    jax.config.update("jax_enable_x64", True)  # as bench/run.py's peers: float64 workloads
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    for name in args.only.split(","):
        print(f"{name} ...", file=sys.stderr)
        rows.append(measure(name, args.rounds, args.seed))
    print(table(rows))


if __name__ == "__main__":
    main()
