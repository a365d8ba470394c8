"""Gradient benchmarks of lambdagrad against hand-written NumPy, PyTorch, JAX and autograd.

Run: python bench/run.py [--only mlp,newton] [--rounds 7] [--quick] [--executor compiled]

Prints two markdown tables (timings per library, and lambdagrad's own pipeline cost) to
stdout; progress and warnings go to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys

import peers  # imports no numpy: its set_thread_env must run before numpy loads

QUICK = {"rounds": 2, "sample_seconds": 0.02, "settle_seconds": 0.01, "budget_seconds": 10}
FULL = {"rounds": 7, "sample_seconds": 0.2, "settle_seconds": 0.05, "budget_seconds": 120}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated workloads (default: all)")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7, quick 2)")
    parser.add_argument("--quick", action="store_true", help="few rounds, smaller epoch")
    parser.add_argument("--libs", help="comma-separated libraries (default: all; numpy always)")
    parser.add_argument("--executor", choices=("compiled", "debug"), default="compiled")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS, torch and XLA threads")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    peers.set_thread_env(args.threads)
    # numpy (and so lambdagrad) only now, after the thread caps are in the environment.
    import harness
    import report
    import workloads

    names = args.only.split(",") if args.only else list(workloads.ALL)
    unknown = sorted(set(names) - set(workloads.ALL))
    if unknown:
        sys.exit(f"unknown workload(s) {', '.join(unknown)}; choose from {workloads.ALL}")
    settings = _settings(args, harness)
    skipped = peers.configure(args.threads)
    for library, reason in skipped.items():
        print(f"note: skipping {library}: {reason}", file=sys.stderr)
    rows = []
    for name in names:
        print(f"{name}:", file=sys.stderr)
        rows.append((name, harness.run_workload(workloads.load(name), settings, skipped)))
    print(report.machine(peers.versions(), args.executor, args.threads))
    print()
    print(report.timings_table(rows))
    print()
    print(report.pipeline_table(rows))


def _settings(args: argparse.Namespace, harness):
    values = dict(QUICK if args.quick else FULL)
    if args.rounds:
        values["rounds"] = args.rounds
    if args.libs:  # numpy is the reference every check compares with
        chosen = {"numpy", *args.libs.split(",")}
        unknown = sorted(chosen - set(harness.LIBRARIES))
        if unknown:
            sys.exit(f"unknown library {', '.join(unknown)}; choose from {harness.LIBRARIES}")
        values["libraries"] = tuple(n for n in harness.LIBRARIES if n in chosen)
    return harness.Settings(quick=args.quick, seed=args.seed, executor=args.executor, **values)


if __name__ == "__main__":
    main()
