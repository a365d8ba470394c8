"""Types of the IR: tensors, tuples, functions, references, type variables and ADTs.

Types are frozen dataclasses. Tensor, tuple, function, reference and ADT-application types
compare structurally; type variables and unification variables compare by identity, since two
`A`s bound by different functions are different variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .expr import Constructor

DTYPES = (
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
)


class Type:
    """Base class of every type."""

    __slots__ = ()

    def __str__(self) -> str:
        from ..text.printer import print_type

        return print_type(self)


@dataclass(frozen=True, slots=True, repr=False)
class TensorType(Type):
    """A tensor of a fixed rank; a dimension of ``None`` is unknown (``?`` in text).

    A 0-d tensor is a scalar.

    >>> str(TensorType((2, None), "float32"))
    'Tensor[(2, ?), float32]'
    """

    shape: tuple[int | None, ...] = ()
    dtype: str = "float32"

    def __post_init__(self):
        from ..errors import TypeInferenceError

        if not isinstance(self.shape, tuple | list):
            raise TypeInferenceError(f"a tensor shape is a tuple of ints, got {self.shape!r:.60}")
        object.__setattr__(self, "shape", tuple(_dim(d) for d in self.shape))
        if self.dtype not in DTYPES:
            raise TypeInferenceError(f"unknown dtype {self.dtype!r}; expected one of {DTYPES}")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"TensorType({self.shape!r}, {self.dtype!r})"


def _dim(d) -> int | None:
    """Normalise a dimension: numpy ints become ints, ``?``/-1/None become None."""
    if d is None or d == "?":
        return None
    if not isinstance(d, int | np.integer) or isinstance(d, bool):
        from ..errors import TypeInferenceError

        raise TypeInferenceError(f"a tensor dimension is an int or None, got {d!r:.60}")
    d = int(d)
    return None if d < 0 else d


def is_static_tensor(ty) -> bool:
    """Whether `ty` is a tensor type with every dimension known.

    >>> is_static_tensor(TensorType((2, 3))), is_static_tensor(TensorType((2, None)))
    (True, False)
    """
    return isinstance(ty, TensorType) and None not in ty.shape


def scalar_type(dtype: str = "float32") -> TensorType:
    """The type of a 0-d tensor of `dtype`."""
    return TensorType((), dtype)


@dataclass(frozen=True, slots=True, repr=False)
class TupleType(Type):
    """The type of a tuple; ``TupleType(())`` is the unit type."""

    fields: tuple[Type, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "fields", tuple(self.fields))

    def __repr__(self) -> str:
        return f"TupleType({self.fields!r})"


@dataclass(frozen=True, slots=True, repr=False)
class FuncType(Type):
    """A function type, polymorphic over `type_params` when it has any."""

    arg_types: tuple[Type, ...]
    ret_type: Type
    type_params: tuple[TypeVar, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "arg_types", tuple(self.arg_types))
        object.__setattr__(self, "type_params", tuple(self.type_params))

    def __repr__(self) -> str:
        return f"FuncType({self.arg_types!r}, {self.ret_type!r}, {self.type_params!r})"


@dataclass(frozen=True, slots=True, repr=False)
class RefType(Type):
    """The type of a mutable reference cell holding a `value`."""

    value: Type

    def __repr__(self) -> str:
        return f"RefType({self.value!r})"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TypeVar(Type):
    """A type parameter; identity by object, so equal names may be different variables."""

    name_hint: str

    def __repr__(self) -> str:
        return f"TypeVar({self.name_hint!r})"


@dataclass(frozen=True, slots=True, repr=False)
class GlobalTypeVar(Type):
    """The name of an ADT in a module, such as ``List``; compares by name."""

    name_hint: str

    def __post_init__(self):
        check_name("an ADT", self.name_hint)

    def __repr__(self) -> str:
        return f"GlobalTypeVar({self.name_hint!r})"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_name(what: str, name) -> None:
    """Refuse a name the text format cannot spell: printed, it would not parse back to the
    same name (or would parse as more program, ``"T { K } def @evil() ..."``).

    >>> check_name("an ADT", "a b")
    Traceback (most recent call last):
    ...
    lambdagrad.errors.Error: 'a b' cannot name an ADT: use letters, digits and _ (not first a digit)
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        from ..errors import Error

        raise Error(
            f"{name!r:.60} cannot name {what}: use letters, digits and _ (not first a digit)"
        )


@dataclass(frozen=True, slots=True, repr=False)
class TypeCall(Type):
    """An ADT applied to type arguments, such as ``List[Tensor[(3,), float32]]``."""

    func: GlobalTypeVar
    args: tuple[Type, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "args", tuple(self.args))

    def __repr__(self) -> str:
        return f"TypeCall({self.func!r}, {self.args!r})"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TypeData(Type):
    """An ADT definition: ``type List[A] { Cons(A, List[A]), Nil }``."""

    header: GlobalTypeVar
    type_vars: tuple[TypeVar, ...]
    constructors: tuple[Constructor, ...] = field(default=())
    span: tuple[int, int] | None = field(default=None, compare=False, kw_only=True)

    def __post_init__(self):
        object.__setattr__(self, "type_vars", tuple(self.type_vars))
        object.__setattr__(self, "constructors", tuple(self.constructors))
        for ctor in self.constructors:
            if not ctor.type_vars:  # the first definition holding a constructor names its vars
                object.__setattr__(ctor, "type_vars", self.type_vars)

    def __repr__(self) -> str:
        return f"TypeData({self.header.name_hint!r})"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class IncompleteType(Type):
    """A type not yet known: a unification variable of type inference."""

    hint: str = "_"

    def __repr__(self) -> str:
        return "IncompleteType()"
