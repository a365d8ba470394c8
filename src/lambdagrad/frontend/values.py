"""What a Python expression translates to: an IR expression or a value known at translation.

`Static` wraps a Python value known while translating (a constant, a module, a function, a
shape); it becomes IR only where a program value is needed (`literal`, `materialize`).
A Python number on its own is typed as a Python argument is (``int`` int64, ``float``
float64); next to a tensor it takes the tensor's dtype (weak typing, as in JAX), and where
branches or loop iterations disagree it takes the type the program value has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Call, Constant, Expr, TensorType, Tuple, TupleType, Type
from ..ops import make_call
from .adts import ConstructorHandle

LITERAL_DTYPES = {bool: "bool", int: "int64", float: "float64"}


@dataclass(frozen=True)
class Static:
    """A Python value known at translation time."""

    value: object


@dataclass(frozen=True)
class Pack:
    """A Python tuple of translated values (Static or IR), as ``enumerate`` and ``zip``
    make them: unpacked by an assignment, or made one value when bound to a name."""

    items: list


@dataclass(frozen=True)
class Layout:
    """Where the dicts are in a program value that is a (nested) tuple in the IR: `keys`,
    sorted, for a dict (its fields in that order), None for a tuple; `fields` the layouts of
    the fields (None for a field with no dict inside)."""

    keys: tuple[str, ...] | None
    fields: tuple


@dataclass(frozen=True)
class Keyed:
    """A program value holding dicts: its IR expression (a tuple) and its `layout`, which
    the translator needs for ``p["w"]`` and the caller for the dicts it gets back."""

    expr: Expr
    layout: Layout


@dataclass(frozen=True)
class DictMethod:
    """``p.items``, ``p.keys`` or ``p.values`` of a dict the program holds."""

    name: str
    target: Keyed


@dataclass(frozen=True)
class ArrayFunction:
    """A numpy-style function by name (``lnp.tanh``, ``np.sum``)."""

    name: str


@dataclass(frozen=True)
class Method:
    """A tensor method bound to its tensor (``x.sum``)."""

    name: str
    target: Expr


@dataclass(eq=False)
class Deferred:
    """A place in a block for lets made later: the closures of a nested def, which are
    translated at their first call, when their argument types are known."""

    bindings: list = field(default_factory=list)


@dataclass(eq=False)
class PendingClosure:
    """A nested def or lambda, translated per signature of argument types at its calls
    (with unknown types when used as a value); its lets go to `site`, where it was defined,
    and it captures `env` (by value)."""

    node: object
    env: dict
    name: str
    site: Deferred
    # (argument types, their dicts' layouts) -> (Var, result type, result layout)
    specs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OpBuilder:
    """An ``lg.op`` builder by op name."""

    name: str


def is_number(value) -> bool:
    return type(value) in LITERAL_DTYPES or isinstance(value, np.number | np.bool_)


def literal(value, like_type: Type | None, like: Expr | None, span=None) -> Expr:
    """The number `value` as a constant of `like`'s dtype (its type `like_type` when known;
    otherwise ``cast_like``, resolved by the type checker), unless the number is of a wider
    kind (a float next to ints or bools, an int next to bools): then it keeps its own
    default dtype and the operation promotes, as numpy does."""
    if isinstance(like_type, TensorType):
        if _wider_kind(value, like_type.dtype):
            return Constant(np.array(value, dtype=_default_dtype(value)))
        return Constant(np.array(value, dtype=like_type.dtype))
    if like is None:
        return Constant(np.array(value, dtype=_default_dtype(value)))
    return make_call("cast_like", [Constant(np.array(value)), like], span=span)


def constant_of(value, hint: Type | None) -> Expr | None:
    """A Python number, array, tuple or nullary constructor as IR; None for anything else.

    `hint` (a type the value must have, when known) decides the dtype and shape of numbers.
    """
    if is_number(value):
        if isinstance(hint, TensorType):
            return Constant(np.full(hint.shape, value, dtype=hint.dtype))
        return Constant(np.array(value, dtype=_default_dtype(value)))
    if isinstance(value, np.ndarray):
        return Constant(value)
    if isinstance(value, ConstructorHandle) and not value.constructor.inputs:
        return Call(value.constructor, ())
    if isinstance(value, tuple):
        hints = hint.fields if isinstance(hint, TupleType) else [None] * len(value)
        fields = [constant_of(v, h) for v, h in zip(value, hints, strict=False)]
        return None if None in fields else Tuple(fields)
    return None


def _wider_kind(value, dtype: str) -> bool:
    return wider_kind(np.asarray(value).dtype.name, dtype)


def wider_kind(dtype: str, other: str) -> bool:
    """Whether `dtype` is of a wider kind than `other` (bool < int < unsigned < float)."""
    kinds = "biuf"
    mine, theirs = np.dtype(dtype).kind, np.dtype(other).kind
    return mine in kinds and theirs in kinds and kinds.index(mine) > kinds.index(theirs)


def _default_dtype(value) -> str:
    if isinstance(value, np.generic):
        return value.dtype.name
    return LITERAL_DTYPES[type(value)]
