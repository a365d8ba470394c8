"""Run-time values that are not numpy arrays or tuples: ADT values, refs, closures."""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.expr import Constructor
from ..ir.module import IRModule


class ConstructorValue:
    """A value built by an ADT constructor, e.g. ``Cons(1f, Nil)``.

    >>> import lambdagrad as lg
    >>> mod = lg.parse("", prelude=True)
    >>> some = lg.ConstructorValue(mod.get_constructor("Some"), [np.float32(1)])
    >>> some.constructor.name, len(some.fields)
    ('Some', 1)
    """

    __slots__ = ("constructor", "fields")

    def __init__(self, constructor: Constructor, fields=()):
        if not isinstance(constructor, Constructor):
            raise EvaluationError(f"ConstructorValue needs a Constructor, got {constructor!r}")
        self.constructor = constructor
        self.fields = tuple(fields)

    def __repr__(self) -> str:
        if not self.fields:
            return self.constructor.name_hint
        return f"{self.constructor.name_hint}({', '.join(map(_short, self.fields))})"


class RefValue:
    """A mutable reference cell; `value` is its current contents."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return f"ref({_short(self.value)})"


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=6, precision=4)
    return repr(value)


def make_list(items, mod: IRModule) -> ConstructorValue:
    """The prelude List holding `items` (built without recursion).

    >>> import lambdagrad as lg
    >>> mod = lg.parse("", prelude=True)
    >>> lg.list_items(lg.make_list([1, 2, 3], mod))
    [1, 2, 3]
    """
    cons, nil = mod.get_constructor("Cons"), mod.get_constructor("Nil")
    value = ConstructorValue(nil)
    for item in reversed(list(items)):
        value = ConstructorValue(cons, (item, value))
    return value


def list_items(value: ConstructorValue) -> list:
    """The elements of a prelude List value, as a Python list."""
    items = []
    while value.constructor.name_hint == "Cons":
        items.append(value.fields[0])
        value = value.fields[1]
    return items
