"""lambdagrad lowered to JAX against JAX's own gradient, both under jax.jit.

```sh
python bench/jax_lowering.py                        # mlp, rnn_list, treelstm, 7 rounds
python bench/jax_lowering.py --only mlp --rounds 3
```

`lambdagrad.jax`: the workload's gradient by lambdagrad (`gradient` + `optimize`), run by
``lg.create_executor("jax")`` (lowered, jitted, numpy out). `jax.jit`: the workload's own
JAX program, ``jax.jit(jax.grad(loss))``, numpy out. Both check their gradients against each
other first. Compile is the first call (trace + XLA compile); for lambdagrad the gradient and
optimize stages are reported beside it. Steady state is the best over rounds of the mean of
repeated calls, the two libraries interleaved within each round.
"""

from __future__ import annotations

import argparse
import sys
import time

from workloads import load  # bench/ is on the path when this script runs

WORKLOADS = ("mlp", "rnn_list", "treelstm")


def first_call(thunk) -> tuple[list, float]:
    start = time.perf_counter()
    result = thunk()
    return result, time.perf_counter() - start


def mean_time(thunk, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        thunk()
    return (time.perf_counter() - start) / repeats


def measure(name: str, rounds: int, seed: int) -> dict:
    workload = load(name)
    inputs = workload.setup(seed, quick=False)
    lowered = workload.make_lambdagrad(inputs, "jax")
    peer = workload.make_jax_jit(inputs)
    ours, our_compile = first_call(lowered)
    theirs, their_compile = first_call(peer)
    workload.check(theirs, ours)
    thunks = {"lambdagrad.jax": lowered, "jax.jit": peer}
    repeats = {k: max(1, int(0.2 / mean_time(t, 3))) for k, t in thunks.items()}
    best = dict.fromkeys(thunks, float("inf"))
    for index in range(rounds):
        order = list(thunks) if index % 2 == 0 else list(reversed(thunks))
        for key in order:
            best[key] = min(best[key], mean_time(thunks[key], repeats[key]))
    stages = lowered.pipeline.stages
    return {
        "workload": name,
        "ours": best["lambdagrad.jax"],
        "theirs": best["jax.jit"],
        "our_compile": our_compile,
        "their_compile": their_compile,
        "ad": stages["gradient"] + stages["optimize"],
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| workload | jax.jit (ms) | lambdagrad.jax (ms) | ratio | jax.jit compile (s) "
        "| lambdagrad.jax compile (s) | gradient + optimize (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workload']} | {1e3 * r['theirs']:.3f} | {1e3 * r['ours']:.3f} "
            f"| {r['ours'] / r['theirs']:.2f}x | {r['their_compile']:.2f} "
            f"| {r['our_compile']:.2f} | {r['ad']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
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
