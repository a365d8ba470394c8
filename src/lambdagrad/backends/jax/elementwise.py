"""JAX rules of the elementwise ops: unary maps, broadcasting binary ops, `where`, ``*_like``.

As in `lambdagrad.ops.elementwise`, results keep the input dtype: where JAX would promote
(``clip`` of an int with float bounds) the result is cast back.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .table import rule

# The ops whose JAX function computes what their numpy implementation does, dtype and all.
UNARY = {
    "exp": jnp.exp,
    "log": jnp.log,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "sqrt": jnp.sqrt,
    "rsqrt": lax.rsqrt,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "asin": jnp.arcsin,
    "acos": jnp.arccos,
    "atan": jnp.arctan,
    "asinh": jnp.arcsinh,
    "acosh": jnp.arccosh,
    "atanh": jnp.arctanh,
    "erf": jax.scipy.special.erf,
    "negative": jnp.negative,
    "abs": jnp.abs,
    "sign": jnp.sign,
    "round": jnp.round,
    "zeros_like": jnp.zeros_like,
    "ones_like": jnp.ones_like,
    "logical_not": jnp.logical_not,
}
# Likewise for two (broadcasting) arguments.
BINARY = {
    "add": jnp.add,
    "subtract": jnp.subtract,
    "multiply": jnp.multiply,
    "power": jnp.power,
    "floor_divide": jnp.floor_divide,
    "mod": jnp.fmod,
    "floor_mod": jnp.remainder,
    "maximum": jnp.maximum,
    "minimum": jnp.minimum,
    "equal": jnp.equal,
    "not_equal": jnp.not_equal,
    "less": jnp.less,
    "less_equal": jnp.less_equal,
    "greater": jnp.greater,
    "greater_equal": jnp.greater_equal,
    "logical_and": jnp.logical_and,
    "logical_or": jnp.logical_or,
}


def _unary(fn):
    return lambda attrs, x: fn(x)


def _binary(fn):
    return lambda attrs, a, b: fn(a, b)


for _name, _fn in UNARY.items():
    rule(_name)(_unary(_fn))
for _name, _fn in BINARY.items():
    rule(_name)(_binary(_fn))


def is_integer(x) -> bool:
    return jnp.issubdtype(x.dtype, jnp.integer)


def _whole(fn):
    """`fn` on floats; integers are already whole (JAX would make them floats)."""
    return lambda attrs, x: x if is_integer(x) else fn(x)


rule("floor")(_whole(jnp.floor))
rule("ceil")(_whole(jnp.ceil))


@rule("copy", "annotation.checkpoint")
def identity(attrs, x):
    """JAX arrays are immutable, so a copy is the value itself."""
    return x


@rule("nn.relu")
def relu(attrs, x):
    return jnp.maximum(x, jnp.zeros((), x.dtype))


@rule("clip")
def clip(attrs, x):
    return jnp.clip(x, attrs.a_min, attrs.a_max).astype(x.dtype)


@rule("cast")
def cast(attrs, x):
    return x.astype(attrs.dtype)


@rule("cast_like")
def cast_like(attrs, x, like):
    return x.astype(like.dtype)


@rule("full_like")
def full_like(attrs, x, fill):
    return jnp.broadcast_to(fill.astype(x.dtype), x.shape)


@rule("divide")
def divide(attrs, a, b):
    """True division for floats; integer division truncating toward zero, as Relay."""
    if not is_integer(a):
        return jnp.true_divide(a, b)
    inexact = (jnp.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return jnp.floor_divide(a, b) + inexact.astype(a.dtype)


@rule("where")
def where(attrs, cond, x, y):
    return jnp.where(cond, x, y)
