"""Seeded random values of a given type, for running programs without hand-made inputs."""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.module import IRModule
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall
from ..typing.unify import substitute
from .values import ConstructorValue, RefValue

# Constructors that hold their own type are chosen until MIN_DEPTH, so that a list has at least
# three elements and a tree at least two levels (the recursion a check is meant to run), and
# never from MAX_DEPTH on, so that values stay small.
MIN_DEPTH = 3
MAX_DEPTH = 6
# Past this nesting an ADT whose every path is recursive (through other ADTs) has no value.
GIVE_UP_DEPTH = 64


def random_value(ty: Type, mod: IRModule, rng: np.random.Generator, depth: int = 0):
    """A random value of type `ty`: normal floats, small ints, lists of 3 to 6 elements, trees
    of depth 2 or more.

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
    """A random ADT value: recursive constructors first, then any, then only base cases."""
    data = mod.type_definitions.get(ty.func)
    name = ty.func.name_hint
    if data is None:
        raise EvaluationError(f"cannot make up a value of unknown type {name}")
    recursive = [c for c in data.constructors if any(_holds(t, ty.func) for t in c.inputs)]
    base = [c for c in data.constructors if c not in recursive]
    if not base or depth > GIVE_UP_DEPTH:
        what = "has no constructors" if not data.constructors else "has no finite value"
        raise EvaluationError(
            f"cannot make up a value of type {name}: it {what} (every constructor holds "
            f"another {name}); pass it explicitly"
        )
    choices = data.constructors
    if depth < MIN_DEPTH and recursive:
        choices = recursive
    elif depth >= MAX_DEPTH:
        choices = base
    ctor = choices[int(rng.integers(len(choices)))]
    binding = dict(zip(data.type_vars, ty.args, strict=True))
    fields = [random_value(substitute(t, binding), mod, rng, depth + 1) for t in ctor.inputs]
    return ConstructorValue(ctor, fields)


def _holds(ty: Type, header) -> bool:
    """Whether a field of type `ty` directly holds a value of the ADT `header` (a list of
    them does not count: it can be empty)."""
    if isinstance(ty, TypeCall):
        return ty.func == header
    if isinstance(ty, TupleType):
        return any(_holds(f, header) for f in ty.fields)
    return False
