"""`optimize`: the documented pipeline of optimizer passes.

The pipeline exists mainly to turn higher-order AD output (a ref and a closure per tensor
operation) back into tight first-order code. Each step says why it is there.
"""

from __future__ import annotations

from functools import partial

from ..deep import run_deep, without_gc
from ..errors import Error
from ..ir.module import IRModule
from .anf import from_anf
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .effects import check_target
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


def optimize(target, level: int = 2, mod: IRModule | None = None):
    """Run the optimizer pipeline (`PIPELINE`, the steps up to `level`) on a module or function.

    Level 0 returns the input unchanged, level 1 runs the cheap local passes, level 2 adds
    partial evaluation. `mod` supplies the globals and ADTs a function refers to; it is read,
    never changed, so its own functions (such as the ``@f_grad`` globals that `gradient` adds
    for a recursive ``@f``) stay as they are: to optimize those too, add the function to the
    module and optimize the module.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: Tensor[(3), float32]) { multiply(%x, %x) }")
    >>> print(optimize(lg.transform.gradient(f)))
    fn (%x: Tensor[(3), float32]) -> (Tensor[(3), float32], (Tensor[(3), float32],)) {
      (multiply(%x, %x), (add(%x, %x),))
    }
    """
    if level not in (0, 1, 2):
        raise Error(f"optimize: level must be 0, 1 or 2, got {level}")
    check_target("optimize", target, mod)
    # One pause of the collector for the whole pipeline: between passes it would scan each
    # pass's output (and now and then the whole heap), a third of the time on long programs.
    return run_deep(without_gc, _run_pipeline, target, level, mod)


def _run_pipeline(target, level: int, mod: IRModule | None):
    for step_level, _, step in PIPELINE:
        if step_level <= level:
            target = _apply(step, target, mod)
    return target


def _apply(step, target, mod: IRModule | None):
    """Run one step; those that need types get the globals and ADTs of `mod`."""
    if isinstance(target, IRModule) or mod is None or step not in NEEDS_MODULE:
        return step(target)
    return partial(step, mod=mod)(target)
