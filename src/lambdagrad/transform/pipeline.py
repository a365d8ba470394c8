"""`optimize`: the documented pipeline of optimizer passes.

The pipeline exists mainly to turn higher-order AD output (a ref and a closure per tensor
operation) back into tight first-order code. Each step says why it is there.
"""

from __future__ import annotations

from typing import NamedTuple

from ..deep import run_deep, without_gc
from ..errors import Error
from ..ir.expr import Expr, Function, GlobalVar
from ..ir.module import IRModule
from .anf import from_anf
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .effects import check_target, reached_globals
from .fold_constant import fold_constant
from .partial_eval import partial_evaluate
from .simplify import simplify

PIPELINE = [
    # Run the known parts: inline the backpropagator closures, read the gradient refs
    # through and drop them, decide matches on known constructors, fold small constants.
    # (It puts the program in A-normal form first: one binding per intermediate value.)
    (2, "partial_evaluate", partial_evaluate),
    # AD output is full of x + zeros_like(y), x * ones_like(y), collapse_sum_like of a value
    # that already has the right shape: rewrite them away now that types are known.
    (1, "simplify", simplify),
    # Compute what only depends on constants.
    (1, "fold_constant", fold_constant),
    # The gradient rules recompute the same products for several arguments: share them.
    (1, "eliminate_common_subexpr", eliminate_common_subexpr),
    # Partial evaluation, rewriting, folding and sharing all leave bindings nobody reads
    # (forward values copied into closures, writes to refs that are gone, zeros that were
    # added away): drop them, respecting effects.
    (1, "dead_code_elimination", dead_code_elimination),
    # Nest single-use values back into their uses, for readable printing.
    (1, "from_anf", from_anf),
]


NEEDS_MODULE = (partial_evaluate, simplify)
TAKES_FAST_MATH = (simplify,)


def optimize(target, level: int = 2, mod: IRModule | None = None, *, fast_math: bool = False):
    """Run the optimizer pipeline (`PIPELINE`, the steps up to `level`) on a module or function.

    Level 0 returns the input unchanged, level 1 runs the cheap local passes, level 2 adds
    partial evaluation. `mod` supplies the globals and ADTs a function refers to; it is read,
    never changed, and only the globals the function reaches are read. Those globals (such as
    the ``@f_grad`` globals that `gradient` adds for a recursive ``@f``) live in a module, so
    they are not part of the result: `optimize_program` optimizes them too and returns them
    in a new module with the function, which is what an executor should run.

    The optimized program computes what the program computes, infinities and NaN included; only
    the sign of a zero may differ (``add(%x, 0f)`` becomes ``%x``). `fast_math` lets a zero
    factor absorb values that may be infinite or NaN, as Relay does: ``multiply(%x, 0f)``
    becomes ``0f`` although it is NaN where ``%x`` is. Higher-order gradients of programs with
    unused intermediate values (and nested gradients, such as a Hessian) need it to lose the
    products of those values' zero gradients with their local derivatives.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: Tensor[(3), float32]) { multiply(%x, %x) }")
    >>> print(optimize(lg.transform.gradient(f)))
    fn (%x: Tensor[(3), float32]) -> (Tensor[(3), float32], (Tensor[(3), float32],)) {
      (multiply(%x, %x), (add(%x, %x),))
    }
    """
    _check_options("optimize", level, fast_math)
    check_target("optimize", target, mod)
    if isinstance(target, Expr) and mod is not None:
        mod = _reached_module(target, mod)  # the passes read (and normalize) only these
    # One pause of the collector for the whole pipeline: between passes it would scan each
    # pass's output (and now and then the whole heap), a third of the time on long programs.
    return run_deep(without_gc, _run_pipeline, target, level, mod, fast_math)


def _check_options(caller: str, level, fast_math) -> None:
    if isinstance(level, bool) or level not in (0, 1, 2):
        raise Error(f"{caller}: level must be 0, 1 or 2, got {level!r}")
    if not isinstance(fast_math, bool):
        raise Error(f"{caller}: fast_math must be True or False, got {fast_math!r}")


def _run_pipeline(target, level: int, mod: IRModule | None, fast_math: bool):
    for step_level, _, step in PIPELINE:
        if step_level <= level:
            target = _apply(step, target, mod, fast_math)
    return target


def _apply(step, target, mod: IRModule | None, fast_math: bool):
    """Run one step; those that need types get the globals and ADTs of `mod`."""
    options = {"fast_math": True} if fast_math and step in TAKES_FAST_MATH else {}
    if not isinstance(target, IRModule) and mod is not None and step in NEEDS_MODULE:
        options["mod"] = mod
    return step(target, **options)


class Program(NamedTuple):
    """An optimized function and the module holding the globals it calls, optimized too."""

    func: Function
    mod: IRModule


def optimize_program(
    func: Function, mod: IRModule, level: int = 2, *, fast_math: bool = False
) -> Program:
    """Optimize `func` and every global of `mod` it reaches; `mod` itself is not changed.

    Returns ``(func, module)``: the optimized function and a copy of `mod` in which the
    reached globals are replaced by their optimized versions (the same as `optimize(mod)`
    gives them). Run the function on that module. This is the way to optimize a gradient:
    `gradient` puts the per-step work of recursive functions in derived ``@f_grad`` globals.
    `level` and `fast_math` are `optimize`'s.

    >>> import lambdagrad as lg
    >>> mod = lg.parse('''
    ... def @sq(%z: float32) -> float32 { multiply(%z, %z) }
    ... def @main(%x: float32) -> float32 { @sq(@sq(sin(%x))) }''')
    >>> grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    >>> grad_opt, grad_mod = optimize_program(grad, mod)
    >>> sorted(lg.analysis.features(grad_opt) & {"RefCreate", "RefRead", "RefWrite"})
    []
    >>> run = lg.create_executor("compiled", grad_mod).evaluate(grad_opt)
    >>> print(round(float(run(0.5)[1][0]), 4))  # d/dx sin(x)^4 = 4 sin(x)^3 cos(x)
    0.3868
    """
    _check_options("optimize_program", level, fast_math)
    if not isinstance(func, Function) or not isinstance(mod, IRModule):
        got = f"{type(func).__name__} and {type(mod).__name__}"
        raise Error(
            f"optimize_program: expected a function and the IRModule it refers to, got {got}"
        )
    sub = _reached_module(func, mod)
    entry = _unused_global(mod)
    sub[entry] = func
    optimized = optimize(sub, level, fast_math=fast_math)
    out = mod.copy()
    for gvar in sub.functions:
        if gvar != entry:
            out[gvar] = optimized[gvar]
    return Program(optimized[entry], out)


def _reached_module(expr: Expr, mod: IRModule) -> IRModule:
    """The globals of `mod` that `expr` reaches, with all of `mod`'s type definitions."""
    return IRModule({g: mod[g] for g in reached_globals(expr, mod)}, mod.type_definitions)


def _unused_global(mod: IRModule) -> GlobalVar:
    """A global name `mod` does not use, for the function being optimized."""
    name, count = "optimized", 0
    while f"{name}_{count}" in mod:
        count += 1
    return GlobalVar(f"{name}_{count}")
