"""The timing loop: build every library's case of a workload, check them, time them interleaved.

A workload module (see `workloads/__init__.py`) gives `setup(seed, quick) -> inputs`, one
`make_<library>(inputs)` per library returning a thunk that computes the gradients (conversion
of inputs and jit wrapping happen in `make_*`, outside the timing), and `check`.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# The library names, in table order; "numpy" is the hand-written reference.
LIBRARIES = ("numpy", "lambdagrad", "torch", "jax", "jax.jit", "autograd")
JIT = {"jax.jit", "lambdagrad"}  # those whose first call is reported apart


@dataclass
class Settings:
    rounds: int
    quick: bool
    seed: int
    executor: str
    sample_seconds: float  # keep calling a fast case for at least this long per sample
    budget_seconds: float  # a case slower than budget / rounds per call gets fewer rounds
    settle_seconds: float  # pause when switching libraries, for BLAS threads to park
    libraries: tuple[str, ...] = LIBRARIES


@dataclass
class Result:
    library: str
    samples: list[float] = field(default_factory=list)
    first_call: float | None = None
    stages: dict[str, float] | None = None  # lambdagrad's gradient/optimize/evaluate times
    executor: str = ""
    note: str = ""  # why the case has no time: not installed, failed, mismatch

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


def run_workload(workload, settings: Settings, skipped: dict[str, str]) -> list[Result]:
    """Build, check and time every available library's case of `workload`."""
    inputs = workload.setup(settings.seed, settings.quick)
    results = {name: Result(name) for name in settings.libraries}
    thunks = _build(workload, inputs, settings, skipped, results)
    once = _check(workload, thunks, results, settings)
    for name, thunk in thunks.items():
        pipeline = getattr(thunk, "pipeline", None)
        if pipeline is not None:
            results[name].stages, results[name].executor = pipeline.stages, pipeline.executor
    # From here on the heaps of all libraries are built: freeze them so that collections
    # during one library's timing do not rescan the objects of all the others.
    gc.collect()
    gc.freeze()
    try:
        _time_rounds(thunks, once, results, settings)
    finally:
        gc.unfreeze()
    return list(results.values())


def _build(workload, inputs, settings, skipped, results) -> dict[str, Callable]:
    thunks = {}
    for name in settings.libraries:
        reason = skipped.get(name, "")
        if reason:
            results[name].note = reason
            continue
        maker = getattr(workload, "make_" + name.replace(".", "_"))
        args = (inputs, settings.executor) if name == "lambdagrad" else (inputs,)
        try:
            thunks[name] = maker(*args)
        except Exception as error:  # a broken peer is reported, not fatal
            results[name].note = _failure("build", name, error)
    return thunks


def _check(workload, thunks, results: dict[str, Result], settings) -> dict[str, float]:
    """First call of each case, compared to numpy; the time of one later call of each.

    The first call is timed on its own: for jit peers it is the compile.
    """
    outputs = {}
    for name, thunk in list(thunks.items()):
        start = time.perf_counter()
        try:
            outputs[name] = thunk()
        except Exception as error:
            results[name].note = _failure("run", name, error)
            del thunks[name]
            continue
        results[name].first_call = time.perf_counter() - start
    for name in [n for n in thunks if n != "numpy"]:
        problem = _compare(workload, name, outputs.get("numpy"), outputs[name])
        if problem:
            results[name].note = problem
            del thunks[name]
    return {
        name: _once(name, thunk, results[name].first_call, settings)
        for name, thunk in thunks.items()
    }


def _compare(workload, name: str, expected, actual) -> str:
    """Why `actual` cannot be timed ("" if it agrees with the numpy reference)."""
    if expected is None:
        return "not checked: the numpy reference failed"
    try:
        workload.check(expected, actual)
    except AssertionError as error:
        print(f"  {name}: gradients differ from numpy:\n{error}", file=sys.stderr)
        return "gradients differ from numpy"
    return ""


def _once(name: str, thunk: Callable, first_call: float, settings: Settings) -> float:
    """The time of a call after the first (which may compile: jit, or jax's per-op kernels)."""
    if name not in JIT and first_call > settings.budget_seconds:
        return first_call  # too slow to call again for this: it gets one round anyway
    start = time.perf_counter()
    thunk()
    return time.perf_counter() - start


def _failure(stage: str, name: str, error: Exception) -> str:
    print(f"  {name}: {stage} failed:", file=sys.stderr)
    traceback.print_exception(error, file=sys.stderr)
    return f"{stage} failed: {type(error).__name__}"


def _time_rounds(thunks, once: dict[str, float], results: dict[str, Result], settings) -> None:
    """Round-robin over the libraries, one sample each per round, starting one later each round.

    Interleaving spreads the machine's drift (other jobs on the shared cores) over all
    libraries alike instead of penalising whichever ran during a noisy stretch. A case so
    slow that `rounds` calls would overrun the budget sits out the later rounds.
    """
    names = list(thunks)
    repeats = {n: _clamp(settings.sample_seconds / once[n], 10_000) for n in names}
    rounds = {n: _clamp(settings.budget_seconds / once[n], settings.rounds) for n in names}
    for round_index in range(settings.rounds):
        shift = round_index % max(1, len(names))
        for name in names[shift:] + names[:shift]:
            if round_index < rounds[name]:
                results[name].samples.append(_sample(thunks[name], repeats[name], settings))
        print(f"    round {round_index + 1}/{settings.rounds}", file=sys.stderr)


def _clamp(count: float, most: int) -> int:
    return max(1, min(most, int(count)))


def _sample(thunk: Callable, repeats: int, settings: Settings) -> float:
    time.sleep(settings.settle_seconds)
    if repeats > 1:
        thunk()  # warm the caches (and the other library's BLAS threads down) untimed
    start = time.perf_counter()
    for _ in range(repeats):
        thunk()
    return (time.perf_counter() - start) / repeats


def assert_all_close(expected, actual, rtol: float, atol: float) -> None:
    """Compare two flat sequences of arrays, naming the index of the first that differs."""
    assert len(expected) == len(actual), f"{len(actual)} gradients, expected {len(expected)}"
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        np.testing.assert_allclose(
            np.asarray(got), want, rtol=rtol, atol=atol, err_msg=f"gradient {index}"
        )
