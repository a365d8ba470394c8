"""Lowering lambdagrad's IR to JAX (``jax.numpy``/``lax``): an optional extra.

Importing this package imports JAX; the core never does. `lower_op` gives one op as a
function of JAX arrays; the table `RULES` holds one lowering rule per op, keyed by Op;
`to_jax` lowers a whole program and `JaxExecutor` runs it jitted from numpy.
"""

from . import arrays, elementwise, nn
from .executor import JaxExecutor, JaxFunction, to_jax
from .lowering import NotJittable
from .table import RULES, lower_op, rule_for

__all__ = [
    "arrays",
    "elementwise",
    "nn",
    "JaxExecutor",
    "JaxFunction",
    "NotJittable",
    "RULES",
    "lower_op",
    "rule_for",
    "to_jax",
]
