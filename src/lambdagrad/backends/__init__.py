"""Backends beyond the numpy executors: ``jax`` lowers the IR to JAX (an optional extra).

Nothing here imports JAX until a JAX function is asked for: ``lg.to_jax`` and
``lg.create_executor("jax", mod)`` import the backend on their first call.
"""

from __future__ import annotations

from ..errors import Error


def jax_backend():
    """The `lambdagrad.backends.jax` package; an `lg.Error` saying how to get JAX if absent."""
    try:
        from . import jax as backend
    except ImportError as err:
        if not (err.name or "").startswith(("jax", "jaxlib")):
            raise
        raise Error(
            f'lowering to JAX needs JAX ({err}); install it with pip install "lambdagrad[jax]"'
        ) from None
    return backend


def to_jax(target, mod=None):
    """`target` (a global of `mod`, or a function) as a Python function of JAX arrays, tuples
    and ADT values, which `jax.jit`, `jax.vmap`, sharding and `jax.grad` accept.

    >>> import numpy as np, lambdagrad as lg
    >>> mod = lg.parse('def @main(%x: Tensor[(2), float32]) { multiply(%x, %x) }')
    >>> f = lg.to_jax(mod.get_global_var("main"), mod)
    >>> np.asarray(f(np.array([2.0, 3.0], "float32"))).tolist()
    [4.0, 9.0]
    """
    return jax_backend().to_jax(target, mod)
