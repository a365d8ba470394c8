"""Convenience constructors for variables and constants."""

from __future__ import annotations

import numpy as np

from .errors import Error
from .ir.expr import Constant, Var
from .ir.types import TensorType, Type


def var(name: str, type_annotation: Type | str | None = None, shape=None, dtype="float32") -> Var:
    """A new variable, optionally annotated with a type.

    `type_annotation` may be a Type or a dtype string (a scalar); `shape` builds a tensor
    type of `dtype`. Without either, the type is left to inference.

    >>> import lambdagrad as lg
    >>> str(lg.var("x", shape=(2, 3)).type_annotation)
    'Tensor[(2, 3), float32]'
    >>> str(lg.var("n", "int64").type_annotation)
    'int64'
    """
    if isinstance(type_annotation, str):
        type_annotation = TensorType((), type_annotation)
    if shape is not None:
        if type_annotation is not None:
            raise Error(f"var {name!r}: give either type_annotation or shape, not both")
        type_annotation = TensorType(shape, dtype)
    return Var(name, type_annotation)


def const(value, dtype: str | None = None) -> Constant:
    """A constant tensor; Python floats default to float32 and ints to int32.

    >>> import lambdagrad as lg
    >>> lg.const([1, 2], dtype="float64").data.dtype
    dtype('float64')
    """
    if dtype is not None:
        return Constant(np.asarray(value, dtype=dtype))
    return Constant(value)
