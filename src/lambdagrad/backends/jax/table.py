"""The table of JAX lowering rules, keyed by Op object, and `lower_op`.

A rule is ``rule(attrs, *args) -> value``: the op's attributes (an `Attrs`) and its
arguments as JAX arrays (tuples of arrays for tuple arguments), giving what the op's numpy
implementation gives, written with ``jax.numpy``/``lax`` so that JAX can differentiate,
jit and shard it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from ...errors import Error
from ...ir.op import Op
from ...ops.registry import normalize_attrs, op_def

Rule = Callable[..., object]
RULES: dict[Op, Rule] = {}


def rule(*names: str):
    """Register the decorated function as the JAX rule of the ops `names`."""

    def register(fn: Rule) -> Rule:
        for name in names:
            RULES[op_def(name).op] = fn
        return fn

    return register


def rule_for(op: Op) -> Rule:
    """The JAX rule of `op`; an `lg.Error` naming it if it has none."""
    try:
        return RULES[op]
    except KeyError:
        raise Error(f"operator {op.name} has no JAX lowering rule") from None


def lower_op(op: Op | str, attrs: Mapping | None = None) -> Callable:
    """The op `op` with `attrs` (defaults filled in) as a function of JAX arrays.

    Numpy arguments are taken as JAX arrays. JAX can differentiate, jit and vmap the result.

    >>> import jax.numpy as jnp
    >>> total = lower_op("sum", {"axis": 1})
    >>> total(jnp.ones((2, 3))).tolist()
    [3.0, 3.0]
    """
    definition = op_def(op)
    checked = normalize_attrs(definition.op.name, definition.attrs, dict(attrs or {}))
    lowered = functools.partial(rule_for(definition.op), checked)
    return lambda *args: lowered(*jax.tree.map(jnp.asarray, args))
