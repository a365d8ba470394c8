"""Dicts in jitted functions: a dict is a tuple in the IR, its values in sorted key order
(as `lambdagrad.api.pytree` orders them); its keys are known while translating (they are
part of the signature) and live in the translator's `Layout` of the value.

>>> layout = layout_of({"w": 1.0, "b": (2.0, {"c": 3.0})}, "p")
>>> layout.keys, layout.fields[0].fields[1].keys
(('b', 'w'), ('c',))
>>> with_dicts(((2.0, (3.0,)), 1.0), layout)
{'b': (2.0, {'c': 3.0}), 'w': 1.0}
"""

from __future__ import annotations

from ..ir import TupleGetItem
from .errors import JitError
from .values import Keyed, Layout


def sorted_keys(value: dict, where: str) -> tuple[str, ...]:
    """The keys of a dict argument or result in their order in the IR; strings only."""
    others = sorted({type(k).__name__ for k in value if not isinstance(k, str)})
    if others:
        raise JitError(
            f"{where}: a dict passed to a jitted function has keys of type {', '.join(others)} "
            f"(keys {_shown(value)}): its keys are part of the signature and must be strings"
        )
    return tuple(sorted(value))


def layout_of(value, where: str) -> Layout | None:
    """Where the dicts are in a Python argument (None when it holds none)."""
    if isinstance(value, dict):
        keys = sorted_keys(value, where)
        fields = tuple(layout_of(value[k], f"{where}[{k!r}]") for k in keys)
        return Layout(keys, fields)
    if isinstance(value, tuple | list):
        fields = tuple(layout_of(v, f"{where}[{i}]") for i, v in enumerate(value))
        return Layout(None, fields) if any(f is not None for f in fields) else None
    return None


def with_dicts(value, layout: Layout | None):
    """A result as the executor gives it (tuples) with its dicts rebuilt by `layout`."""
    if layout is None:
        return value
    fields = [with_dicts(v, f) for v, f in zip(value, layout.fields, strict=True)]
    return tuple(fields) if layout.keys is None else dict(zip(layout.keys, fields, strict=True))


def layout_in(value) -> Layout | None:
    """The layout of a translated value (None for one without dicts)."""
    return value.layout if isinstance(value, Keyed) else None


def keyed(expr, layout: Layout | None):
    """`expr` as a translated value: kept with its layout when it holds dicts."""
    return expr if layout is None else Keyed(expr, layout)


def field(value: Keyed, index: int, span):
    """Field `index` of a translated tuple or dict holding dicts."""
    return keyed(TupleGetItem(value.expr, index, span=span), value.layout.fields[index])


def index_of_key(value: Keyed, key, source, node) -> int:
    """The position of `key` in a dict of the program; a JitError naming the keys there
    are for a missing or non-constant key."""
    keys = value.layout.keys
    if key not in keys:
        raise source.error(node, f"the dict has no key {key!r} (its keys: {_listed(keys)})")
    return keys.index(key)


def _listed(keys) -> str:
    return ", ".join(map(repr, keys)) if keys else "none"


def _shown(value: dict) -> str:
    return _listed(list(value))
