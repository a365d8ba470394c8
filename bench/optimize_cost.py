"""How long `gradient` + `optimize` (and `jvp` + `optimize`) take on straight-line programs
of growing size, and how many ops the optimized derivative has.

Run: python bench/optimize_cost.py [--passes] [sizes...]   (default: 1000 10000)

The program is a chain of elementwise ops, matrix products and reductions over a few inputs,
each step reusing earlier values, as in an unrolled network. Prints the time of each stage
(the best of `REPEATS` runs, the sizes taking turns, after one small warm-up run that pays
the one-time costs such as first imports) and the growth from one size to the next. With
--passes it then times each pass of the pipeline on its own (one run per size) and counts
the nodes it returns.
"""

from __future__ import annotations

import argparse
import time

import lambdagrad as lg

STEPS = (
    lambda a, b, w: lg.op.tanh(a),
    lambda a, b, w: a * b,
    lambda a, b, w: lg.op.nn.dense(a, w),
    lambda a, b, w: a + b,
    lambda a, b, w: lg.op.sigmoid(a) - b,
)


def straight_line(n_ops: int) -> lg.Function:
    """A let-chain of `n_ops` op calls on (8, 8) tensors, built without recursion."""
    x, w = lg.var("x", shape=(8, 8)), lg.var("w", shape=(8, 8))
    values: list[lg.Expr] = [x]
    bindings = []
    for i in range(n_ops):
        step = STEPS[i % len(STEPS)]
        var = lg.var(f"v{i}")
        bindings.append((var, step(values[-1], values[max(0, len(values) - 3)], w)))
        values.append(var)
    body: lg.Expr = lg.op.sum(values[-1])
    for var, value in reversed(bindings):
        body = lg.Let(var, value, body)
    return lg.Function([x, w], body)


DERIVATIVES = {"gradient": lg.transform.gradient, "jvp": lg.transform.jvp}


def measure(n_ops: int, kind: str) -> dict[str, float]:
    func = straight_line(n_ops)
    start = time.perf_counter()
    derived = DERIVATIVES[kind](func)
    middle = time.perf_counter()
    optimized = lg.transform.optimize(derived)
    end = time.perf_counter()
    refs = {"RefCreate", "RefRead", "RefWrite"} & lg.analysis.features(optimized)
    assert not refs, f"refs left after optimize: {refs}"
    ops = sum(lg.analysis.count_ops(optimized).values())
    return {"derive": middle - start, "optimize": end - middle, "total": end - start, "ops": ops}


REPEATS = 3


def best_of_interleaved(sizes: list[int], repeats: int) -> dict[tuple, dict[str, float]]:
    """The best run of each size and kind, taking turns round by round: this machine's speed
    drifts by up to 1.4x over minutes, and the growth must compare like with like."""
    best: dict[tuple, dict[str, float]] = {}
    for _ in range(repeats):
        for n in sizes:
            for kind in DERIVATIVES:
                t = measure(n, kind)
                if (n, kind) not in best or t["total"] < best[n, kind]["total"]:
                    best[n, kind] = t
    return best


def main(sizes: list[int]) -> None:
    for kind in DERIVATIVES:
        measure(100, kind)
    best = best_of_interleaved(sizes, REPEATS)
    header = f"{'kind':<9} {'ops':>8} {'derive s':>9} {'optimize s':>11} {'total s':>9}"
    print(f"{header} {'growth':>7} {'ops out':>8}")
    for kind in DERIVATIVES:
        previous = None
        for n in sizes:
            t = best[n, kind]
            growth = f"{t['total'] / previous:.1f}x" if previous else ""
            times = f"{t['derive']:>9.2f} {t['optimize']:>11.2f} {t['total']:>9.2f}"
            print(f"{kind:<9} {n:>8} {times} {growth:>7} {t['ops']:>8}")
            previous = t["total"]


def per_pass(n_ops: int) -> None:
    """Each step of `optimize`'s pipeline timed on its own, with the size of its output."""
    from lambdagrad.ir.visitor import post_order
    from lambdagrad.transform.pipeline import PIPELINE

    print(f"\n{n_ops} ops   {'step':<26} {'s':>6} {'nodes out':>10}")
    target = straight_line(n_ops)
    steps = [("gradient", lg.transform.gradient), *((n, s) for _, n, s in PIPELINE)]
    for name, step in steps:
        start = time.perf_counter()
        target = step(target)
        seconds = time.perf_counter() - start
        print(f"{'':>9}{name:<26} {seconds:>6.2f} {len(list(post_order(target))):>10,}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000], help="op counts")
    parser.add_argument("--passes", action="store_true", help="then time each step alone")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    main(options.sizes)
    if options.passes:
        for size in options.sizes:
            per_pass(size)
