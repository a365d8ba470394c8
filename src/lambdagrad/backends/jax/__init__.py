"""Lowering lambdagrad's IR to JAX (``jax.numpy``/``lax``): an optional extra.

Importing this package imports JAX; the core never does. `lower_op` gives one op as a
function of JAX arrays; the table `RULES` holds one lowering rule per op, keyed by Op.
"""

from . import arrays, elementwise, nn
from .table import RULES, lower_op, rule_for

__all__ = ["arrays", "elementwise", "nn", "RULES", "lower_op", "rule_for"]
