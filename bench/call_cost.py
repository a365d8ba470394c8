"""The compiled executor's fixed cost per call: what calling a compiled function costs beyond
the work inside it.

    python bench/call_cost.py [--calls 3000] [--runs 7]

Each case is a compiled closure called on ready arguments; the time is process CPU time per
call, the best of `--runs` runs of `--calls` calls (the least disturbed by other processes).
The generated body of the identity takes about 0.1 us, so its time is the fixed cost.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lambdagrad as lg

CASES = {
    "identity, float32 scalar": ("fn (%x: float32) { %x }", lambda: (np.float32(1.5),)),
    "identity, Python float to float64": ("fn (%x: float64) { %x }", lambda: (1.5,)),
    "identity, (3, 4) float32 array": (
        "fn (%x: Tensor[(3, 4), float32]) { %x }",
        lambda: (np.ones((3, 4), "float32"),),
    ),
    "two scalars multiplied": (
        "fn (%x: float64, %y: float64) { multiply(%x, %y) }",
        lambda: (np.float64(1.5), np.float64(2.0)),
    ),
    "recursive global (hand-off to the big stack)": (
        "def @count(%n: int32) -> int32 {"
        "  if (equal(%n, 0)) { 0 } else { @count(subtract(%n, 1)) }"
        "} def @main(%n: int32) -> int32 { @count(%n) }",
        lambda: (np.int32(0),),
    ),
}


def per_call_us(function, args: tuple, calls: int, runs: int) -> float:
    """The best, over `runs`, of the process CPU time per call of `function(*args)`."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for _ in range(calls):
            function(*args)
        best = min(best, time.process_time() - start)
    return best / calls * 1e6


def compiled(text: str):
    """The compiled executor's callable for a function literal or a module's ``@main``."""
    if text.startswith("def"):
        return lg.create_executor("compiled", mod=lg.parse(text)).evaluate()
    return lg.create_executor("compiled").evaluate(lg.parse_expr(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    for name, (text, make_args) in CASES.items():
        cost = per_call_us(compiled(text), make_args(), options.calls, options.runs)
        print(f"{name:46s} {cost:7.1f} us")


if __name__ == "__main__":
    main()
