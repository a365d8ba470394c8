"""Jitted functions (objects with ``lower(*args) -> IRModule``) inside transformations."""

from __future__ import annotations

from .core import TransformError


def as_python_function(fun):
    """`fun` as a Python callable the transformations can run."""
    if not callable(fun):
        raise TransformError(f"expected a function to transform, got {type(fun).__name__}")
    return fun
