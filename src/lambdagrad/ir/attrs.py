"""Immutable attribute dictionaries for operator calls (``axis=[1], keepdims=True``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Attrs(Mapping):
    """A frozen mapping from attribute names to ints, floats, bools, strings or tuples.

    Lists are stored as tuples so attributes can be hashed and compared.

    >>> a = Attrs({"axis": [1], "keepdims": True})
    >>> a.axis, a["keepdims"], len(a)
    ((1,), True, 2)
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping | None = None):
        frozen = {str(k): _freeze(v) for k, v in (items or {}).items()}
        object.__setattr__(self, "_items", frozen)
        object.__setattr__(self, "_hash", None)

    def __getitem__(self, key: str):
        return self._items[key]

    def __getattr__(self, key: str):
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        raise AttributeError("Attrs are immutable")

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:  # computed once: passes that merge calls hash attrs often
            object.__setattr__(self, "_hash", hash(frozenset(self._items.items())))
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Attrs({self._items!r})"

    def with_values(self, **changes) -> Attrs:
        """A copy with some attributes replaced."""
        return Attrs({**self._items, **changes})


def _freeze(value):
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()  # numpy scalars become Python scalars
    return value


EMPTY_ATTRS = Attrs()
