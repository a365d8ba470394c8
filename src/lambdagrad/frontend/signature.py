"""The IR types of Python arguments: what a jitted function specializes on.

Arrays by shape and dtype, Python scalars by type (bool, int as int64, float as float64),
tuples and lists field by field, dicts as tuples of their values in key order (their keys
are part of the signature too: `argument_layouts`), ADT values by their ADT and type
arguments.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..ir import DTYPES, TensorType, TupleType, Type, TypeCall, TypeData, TypeVar
from ..runtime import ConstructorValue
from ..typing.unify import type_children
from .adts import ConstructorHandle, definition_of
from .dicts import layout_of, sorted_keys
from .errors import JitError

PYTHON_SCALARS = {bool: "bool", int: "int64", float: "float64"}


def argument_types(args, used: dict) -> tuple[Type, ...]:
    """The types of `args`; ADT definitions met are added to `used` (header -> TypeData)."""
    return tuple(value_type(a, f"argument {i}", used) for i, a in enumerate(args))


def argument_layouts(args) -> tuple:
    """Where the dicts are in `args` (their keys), one `Layout` or None per argument."""
    return tuple(layout_of(a, f"argument {i}") for i, a in enumerate(args))


def value_type(value, where: str, used: dict, in_adt: bool = False) -> Type:
    """The IR type of one Python value; raises JitError naming `where` for anything else
    (and for a dict `in_adt`: inside an ADT value, whose fields keep no keys).

    >>> str(value_type(np.zeros((2, 3), "float32"), "x", {})), str(value_type(2.0, "y", {}))
    ('Tensor[(2, 3), float32]', 'float64')
    """
    if type(value) in PYTHON_SCALARS:
        return TensorType((), PYTHON_SCALARS[type(value)])
    if isinstance(value, np.ndarray | np.generic):
        if value.dtype.name not in DTYPES:
            raise JitError(f"{where}: arrays of dtype {value.dtype} are not supported")
        return TensorType(np.shape(value), value.dtype.name)
    if isinstance(value, tuple | list):
        return TupleType(
            [value_type(v, f"{where}[{i}]", used, in_adt) for i, v in enumerate(value)]
        )
    if isinstance(value, dict):
        if in_adt:
            raise JitError(
                f"{where}: a dict inside an ADT value (lg.List, lg.adt) is not taken by a "
                "jitted function: the ADT's fields keep no keys (use a tuple there)"
            )
        keys = sorted_keys(value, where)
        return TupleType([value_type(value[k], f"{where}[{k!r}]", used) for k in keys])
    if isinstance(value, ConstructorHandle):
        return value_type(as_value(value), where, used)
    if isinstance(value, ConstructorValue):
        return _adt_type(value, where, used)
    raise JitError(
        f"{where}: a jitted function takes arrays, Python numbers, tuples, dicts and ADT "
        f"values, got {type(value).__name__}"
    )


def as_value(arg):
    """`arg` as the executor takes it: nullary constructors built, lists as tuples, dicts
    as tuples of their values in key order."""
    if isinstance(arg, ConstructorHandle):
        return arg()
    if isinstance(arg, list | tuple):
        return tuple(as_value(a) for a in arg)
    if isinstance(arg, dict):
        return tuple(as_value(arg[k]) for k in sorted(arg))
    return arg


def _adt_type(value: ConstructorValue, where: str, used: dict) -> TypeCall:
    data = definition_of(value.constructor)
    if data is None:
        name = value.constructor.name_hint
        raise JitError(f"{where}: constructor {name} belongs to no lg.adt or prelude ADT")
    used[data.header] = data
    bindings = _bind_type_vars(value, data, where, used)
    missing = [v.name_hint for v in data.type_vars if v not in bindings]
    if missing:
        raise JitError(
            f"{where}: cannot tell the type parameter {missing[0]} of this "
            f"{data.header.name_hint} value (no element to look at, e.g. an empty List)"
        )
    return TypeCall(data.header, [bindings[v] for v in data.type_vars])


def _bind_type_vars(value: ConstructorValue, data: TypeData, where: str, used: dict) -> dict:
    """Bind the ADT's type variables from field values, walking the value breadth-first
    (no recursion along the data) and stopping once every variable is known."""
    bindings: dict[TypeVar, Type] = {}
    queue = deque([value])
    while queue and len(bindings) < len(data.type_vars):
        current = queue.popleft()
        fields = zip(current.constructor.inputs, current.fields, strict=True)
        for declared, field in sorted(fields, key=lambda pair: _is_self(pair[0], data)):
            if _is_self(declared, data):
                queue.append(field)
            elif _mentions_unbound(declared, data, bindings):
                _unify(declared, value_type(field, where, used, in_adt=True), bindings)
    return bindings


def _is_self(declared: Type, data: TypeData) -> bool:
    """Whether a field's type is the ADT itself (the recursive occurrence, as List's tail)."""
    return (
        isinstance(declared, TypeCall)
        and declared.func == data.header
        and list(declared.args) == list(data.type_vars)
    )


def _mentions_unbound(declared: Type, data: TypeData, bindings: dict) -> bool:
    return any(v not in bindings and _mentions(declared, v) for v in data.type_vars)


def _mentions(ty: Type, var: TypeVar) -> bool:
    return ty is var or any(_mentions(c, var) for c in type_children(ty))


def _unify(declared: Type, actual: Type, bindings: dict) -> None:
    """Bind type variables of `declared` so that it reads as `actual` (first binding wins)."""
    if isinstance(declared, TypeVar):
        bindings.setdefault(declared, actual)
    elif type(declared) is type(actual):
        for d, a in zip(type_children(declared), type_children(actual), strict=False):
            _unify(d, a, bindings)
