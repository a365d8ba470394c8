"""Checking and converting Python arguments against declared parameter types."""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall
from .values import ConstructorValue, RefValue


def to_value(arg, ty: Type | None, where: str):
    """`arg` as a run-time value of type `ty`; raises EvaluationError naming `where`.

    Python numbers and lists are cast to the declared dtype; numpy arrays must already have
    it. Arrays are passed as read-only views so no op can write into the caller's data.
    """
    if isinstance(ty, TensorType):
        return _tensor(arg, ty, where)
    if isinstance(ty, TupleType):
        return _tuple(arg, ty, where)
    if isinstance(ty, TypeCall):
        return _adt(arg, ty, where)
    if isinstance(ty, RefType):
        return _expect(arg, RefValue, "a RefValue", ty, where)
    if isinstance(ty, FuncType):
        return arg if callable(arg) else _bad(arg, ty, where, "a callable")
    return arg


def _tensor(arg, ty: TensorType, where: str) -> np.ndarray:
    if isinstance(arg, np.ndarray | np.generic):
        array = np.asarray(arg)
        if array.dtype != ty.dtype:
            raise EvaluationError(
                f"{where}: expected {ty}, got an array of dtype {array.dtype} "
                f"(cast it with .astype({ty.dtype!r}))"
            )
    elif isinstance(arg, bool | int | float | list | tuple):
        array = _cast_python(arg, ty, where)
    else:
        return _bad(arg, ty, where, "an array")
    if not _shape_fits(array.shape, ty.shape):
        raise EvaluationError(f"{where}: expected {ty}, got an array of shape {array.shape}")
    view = array.view()
    view.setflags(write=False)
    return view


def _cast_python(arg, ty: TensorType, where: str) -> np.ndarray:
    try:
        return np.asarray(arg, dtype=ty.dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise EvaluationError(f"{where}: cannot convert {arg!r} to {ty}: {err}") from None


def _shape_fits(shape: tuple, declared: tuple) -> bool:
    return len(shape) == len(declared) and all(
        d is None or d == s for s, d in zip(shape, declared, strict=True)
    )


def _tuple(arg, ty: TupleType, where: str) -> tuple:
    if not isinstance(arg, tuple | list) or len(arg) != len(ty.fields):
        return _bad(arg, ty, where, f"a tuple of {len(ty.fields)} values")
    pairs = enumerate(zip(arg, ty.fields, strict=True))
    return tuple(to_value(a, t, f"{where}, field {i}") for i, (a, t) in pairs)


def _adt(arg, ty: TypeCall, where: str) -> ConstructorValue:
    if not isinstance(arg, ConstructorValue) or arg.constructor.belong_to != ty.func:
        return _bad(arg, ty, where, f"a {ty.func.name_hint} value")
    return arg


def _expect(arg, cls, what: str, ty: Type, where: str):
    return arg if isinstance(arg, cls) else _bad(arg, ty, where, what)


def _bad(arg, ty: Type, where: str, what: str):
    raise EvaluationError(f"{where}: expected {what} of type {ty}, got {type(arg).__name__}")
