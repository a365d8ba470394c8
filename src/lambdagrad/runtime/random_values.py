"""Seeded random values of a given type, for running programs without hand-made inputs."""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.module import IRModule
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall
from ..typing.unify import substitute
from .values import ConstructorValue, RefValue

MAX_DEPTH = 3


def random_value(ty: Type, mod: IRModule, rng: np.random.Generator, depth: int = 0):
    """A random value of type `ty`: normal floats, small ints, short lists and small trees.

    >>> import lambdagrad as lg
    >>> rng = np.random.default_rng(0)
    >>> random_value(lg.TensorType((2,), "float32"), lg.IRModule(), rng).shape
    (2,)
    """
    if isinstance(ty, TensorType):
        return _random_tensor(ty, rng)
    if isinstance(ty, TupleType):
        return tuple(random_value(f, mod, rng, depth) for f in ty.fields)
    if isinstance(ty, RefType):
        return RefValue(random_value(ty.value, mod, rng, depth))
    if isinstance(ty, TypeCall):
        return _random_adt(ty, mod, rng, depth)
    what = "a function" if isinstance(ty, FuncType) else f"a value of type {ty}"
    raise EvaluationError(f"cannot make up {what}; pass it explicitly")


def _random_tensor(ty: TensorType, rng: np.random.Generator) -> np.ndarray:
    shape = tuple(1 if d is None else d for d in ty.shape)
    if ty.dtype == "bool":
        return rng.random(shape) < 0.5
    if ty.dtype.startswith(("int", "uint")):
        return rng.integers(0, 5, size=shape).astype(ty.dtype)
    return rng.standard_normal(shape).astype(ty.dtype)


def _random_adt(ty: TypeCall, mod: IRModule, rng: np.random.Generator, depth: int):
    """A random ADT value; past MAX_DEPTH only constructors without recursive fields."""
    data = mod.type_definitions.get(ty.func)
    if data is None:
        raise EvaluationError(f"cannot make up a value of unknown type {ty.func.name_hint}")
    binding = dict(zip(data.type_vars, ty.args, strict=True))
    choices = list(data.constructors)
    if depth >= MAX_DEPTH:
        choices = [c for c in choices if not any(_mentions(t, ty.func) for t in c.inputs)] or [
            min(data.constructors, key=lambda c: len(c.inputs))
        ]
    ctor = choices[int(rng.integers(len(choices)))]
    fields = [random_value(substitute(t, binding), mod, rng, depth + 1) for t in ctor.inputs]
    return ConstructorValue(ctor, fields)


def _mentions(ty: Type, header) -> bool:
    if isinstance(ty, TypeCall):
        return ty.func == header or any(_mentions(a, header) for a in ty.args)
    if isinstance(ty, TupleType):
        return any(_mentions(f, header) for f in ty.fields)
    return False
