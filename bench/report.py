"""The markdown tables the harness prints (ready to paste into bench/README.md)."""

from __future__ import annotations

import datetime
import os
import platform

from harness import JIT, Result


def machine(versions: dict[str, str], executor: str, threads: int) -> str:
    """One line naming what the numbers were measured on."""
    libs = ", ".join(f"{name} {version}" for name, version in versions.items())
    cores = os.cpu_count()
    return (
        f"{datetime.date.today()}: {cores} cores, Python {platform.python_version()}, {libs}; "
        f"lambdagrad executor `{executor}`, {threads} thread(s) for BLAS and torch"
    )


def timings_table(rows: list[tuple[str, list[Result]]]) -> str:
    """Per workload and library: median time, ratio to numpy, peer / lambdagrad, first call."""
    lines = [
        "| workload | library | median (ms) | / numpy | peer / lambdagrad | first call (ms) "
        "| rounds |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload, results in rows:
        by_name = {r.library: r.median for r in results}
        for result in results:
            lines.append(_timing_row(workload, result, by_name))
    return "\n".join(lines)


def _timing_row(workload: str, result: Result, by_name: dict) -> str:
    median = result.median
    if median is None:
        return f"| {workload} | {result.library} | {result.note or 'no samples'} | | | | |"
    numpy, ours = by_name.get("numpy"), by_name.get("lambdagrad")
    vs_numpy = _ratio(median, numpy)
    vs_ours = "" if result.library == "lambdagrad" else _ratio(median, ours)
    first = _ms(result.first_call) if result.library in JIT else ""
    cells = [workload, result.library, _ms(median), vs_numpy, vs_ours, first, len(result.samples)]
    return "| " + " | ".join(map(str, cells)) + " |"


def pipeline_table(rows: list[tuple[str, list[Result]]]) -> str:
    """lambdagrad's own cost of getting there: AD, optimize, evaluate, first call."""
    lines = [
        "| workload | gradient (s) | optimize (s) | evaluate (s) | first call (ms) | executor |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for workload, results in rows:
        ours = next(r for r in results if r.library == "lambdagrad")
        if not ours.stages:
            lines.append(f"| {workload} | {ours.note or 'not run'} | | | | |")
            continue
        stages = " | ".join(f"{ours.stages[s]:.2f}" for s in ("gradient", "optimize", "evaluate"))
        lines.append(f"| {workload} | {stages} | {_ms(ours.first_call)} | {ours.executor} |")
    return "\n".join(lines)


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.2f}x" if reference else ""


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:,.0f}"
