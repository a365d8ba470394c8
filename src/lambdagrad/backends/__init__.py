"""Backends beyond the numpy executors: ``jax`` lowers the IR to JAX (an optional extra).

Nothing here is imported by the core; ``lg.to_jax`` and ``lg.create_executor("jax", mod)``
import the JAX backend when they are first called.
"""
