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
        return value_text(self)


class RefValue:
    """A mutable reference cell; `value` is its current contents."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return value_text(self)


def value_text(value, show_array=None) -> str:
    """`value` as text, ``Cons(1., Cons(2., Nil))``, built without recursion (a list of a
    million elements prints); `show_array` formats arrays (default: short numpy text).

    >>> import lambdagrad as lg
    >>> mod = lg.parse("", prelude=True)
    >>> value_text((lg.make_list([np.float32(1)], mod), RefValue(np.float32(2))))
    '(Cons(1., Nil), ref(2.))'
    """
    show_array = show_array or _short_array
    parts: list[str] = []
    stack: list = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            parts.append(item.text)
        elif isinstance(item, ConstructorValue) and item.fields:
            stack.append(_Text(")"))
            _push_fields(stack, item.fields)
            stack.append(_Text(f"{item.constructor.name_hint}("))
        elif isinstance(item, ConstructorValue):
            parts.append(item.constructor.name_hint)
        elif isinstance(item, RefValue):
            stack.extend([_Text(")"), item.value, _Text("ref(")])
        elif isinstance(item, tuple):
            stack.append(_Text(",)" if len(item) == 1 else ")"))
            _push_fields(stack, item)
            stack.append(_Text("("))
        elif isinstance(item, np.ndarray | np.generic):
            parts.append(show_array(np.asarray(item)))
        else:
            parts.append(repr(item))
    return "".join(parts)


class _Text:
    """Literal text among the values on value_text's stack."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _push_fields(stack: list, fields) -> None:
    for i in reversed(range(len(fields))):
        stack.append(fields[i])
        if i:
            stack.append(_Text(", "))


def _short_array(array: np.ndarray) -> str:
    return np.array2string(array, threshold=6, precision=4)


def make_list(items, mod: IRModule) -> ConstructorValue:
    """The prelude List holding `items` (built without recursion).

    >>> import lambdagrad as lg
    >>> mod = lg.parse("", prelude=True)
    >>> lg.list_items(lg.make_list([1, 2, 3], mod))
    [1, 2, 3]
    """
    if not isinstance(mod, IRModule):
        raise EvaluationError(f"make_list needs the module of the prelude, got {mod!r:.60}")
    if not hasattr(items, "__iter__"):
        raise EvaluationError(f"make_list expects an iterable of items, got {items!r:.60}")
    cons, nil = mod.get_constructor("Cons"), mod.get_constructor("Nil")
    value = ConstructorValue(nil)
    for item in reversed(list(items)):
        value = ConstructorValue(cons, (item, value))
    return value


def list_items(value: ConstructorValue) -> list:
    """The elements of a prelude List value, as a Python list."""
    if not isinstance(value, ConstructorValue):
        raise EvaluationError(f"list_items expects a List value, got {type(value).__name__}")
    items = []
    while value.constructor.name_hint == "Cons":
        items.append(value.fields[0])
        value = value.fields[1]
    return items
