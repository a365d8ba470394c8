"""lambdagrad's side of a workload: `gradient`, `optimize_program`, executor, with stage times."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lambdagrad as lg

WORKLOADS = Path(__file__).parent / "workloads"


@dataclass
class Pipeline:
    """A runnable gradient and how long each stage of getting it took (seconds)."""

    run: Callable
    mod: lg.IRModule  # the optimized module: build ADT arguments with its constructors
    executor: str
    stages: dict[str, float] = field(default_factory=dict)


def load(name: str) -> lg.IRModule:
    """`workloads/<name>.rly`, parsed with the prelude in scope."""
    return lg.parse((WORKLOADS / f"{name}.rly").read_text(), prelude=True)


def compile_gradient(
    mod: lg.IRModule, differentiate: Callable[[lg.IRModule], lg.Function], executor: str
) -> Pipeline:
    """Differentiate (`differentiate(mod)` calls `gradient`), optimize, and load on `executor`.

    `optimize_program` optimizes the gradient function with the globals it calls: `gradient`
    adds derived globals (`@f_grad`) for the recursive functions, and those hold the per-step
    work; the function runs on the module it returns.
    """
    stages = {}
    start = time.perf_counter()
    func = differentiate(mod)
    stages["gradient"] = time.perf_counter() - start
    start = time.perf_counter()
    func, optimized = lg.transform.optimize_program(func, mod)
    stages["optimize"] = time.perf_counter() - start
    start = time.perf_counter()
    run = lg.create_executor(executor, mod=optimized).evaluate(func)
    stages["evaluate"] = time.perf_counter() - start
    return Pipeline(run, optimized, executor, stages)


@dataclass
class Thunk:
    """A lambdagrad case: call it for the gradients; `pipeline` has the stage times."""

    call: Callable[[], list]
    pipeline: Pipeline

    def __call__(self) -> list:
        return self.call()


def weights_gradient(wrt: list[int]) -> Callable[[lg.IRModule], lg.Function]:
    """`@main`'s gradient with respect to the parameters at `wrt` only (the model's weights):
    `gradient(..., wrt=...)` spends no work on the others (the data, the labels, the list a
    fold walks), in the recursive derived globals too."""

    def differentiate(mod: lg.IRModule) -> lg.Function:
        return lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=tuple(wrt))

    return differentiate
