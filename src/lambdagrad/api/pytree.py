"""Pytrees as JAX has them: tuples, lists, dicts (keys sorted) and None around array leaves,
and ADT values (`ConstructorValue`s, such as ``lg.List([...])``) around their fields.

>>> leaves, tree = tree_flatten({"b": (1.0, None), "a": [2.0]})
>>> leaves
[2.0, 1.0]
>>> tree_unflatten(tree, [20.0, 10.0])
{'a': [20.0], 'b': (10.0, None)}
"""

from __future__ import annotations

from ..deep import run_deep
from ..runtime import ConstructorValue
from .core import TransformError


class TreeDef:
    """The structure of a pytree: a node kind (``leaf``, ``none``, ``tuple``, ``list``,
    ``dict``, ``adt``), its dict keys (or its constructor, for ``adt``), and its children's
    structures. Compared and hashed by `signature`, without recursion (a long list is a
    deep ADT value)."""

    __slots__ = ("kind", "keys", "children", "_signature")

    def __init__(self, kind: str, keys: tuple = (), children: tuple = ()):
        self.kind = kind
        self.keys = keys
        self.children = children
        self._signature = None

    def signature(self) -> tuple:
        """The structure as one flat tuple (kinds, keys and child counts, in pre-order)."""
        if self._signature is None:
            flat, stack = [], [self]
            while stack:
                node = stack.pop()
                flat.append((node.kind, node.keys, len(node.children)))
                stack.extend(reversed(node.children))
            self._signature = tuple(flat)
        return self._signature

    def __eq__(self, other) -> bool:
        return isinstance(other, TreeDef) and self.signature() == other.signature()

    def __hash__(self) -> int:
        return hash(self.signature())

    def __str__(self) -> str:
        return _deep_if_needed(lambda: _describe(self))


LEAF = TreeDef("leaf")
NONE = TreeDef("none")


def tree_flatten(tree) -> tuple[list, TreeDef]:
    """The leaves of `tree`, left to right (dicts in key order), and its structure."""
    leaves: list = []

    def walk():
        leaves.clear()
        return _flatten(tree, leaves)

    return leaves, _deep_if_needed(walk)


def _flatten(tree, leaves: list) -> TreeDef:
    kind = type(tree)
    if tree is None:
        return NONE
    if kind is tuple or kind is list:
        return TreeDef(kind.__name__, (), tuple(_flatten(t, leaves) for t in tree))
    if kind is dict:
        keys = _sorted_keys(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if kind is ConstructorValue:
        fields = tuple(_flatten(f, leaves) for f in tree.fields)
        return TreeDef("adt", (tree.constructor,), fields)
    leaves.append(tree)
    return LEAF


def _sorted_keys(tree: dict) -> tuple:
    try:
        return tuple(sorted(tree))
    except TypeError:  # keys of types that do not compare, as 1 and "a"
        raise TransformError(
            f"a dict in the arguments or results has keys that cannot be sorted together "
            f"({', '.join(sorted({type(k).__name__ for k in tree}))}): its leaves go in key "
            "order, so use keys of one type"
        ) from None


def tree_unflatten(treedef: TreeDef, leaves) -> object:
    """The pytree of structure `treedef` holding `leaves`."""
    return _deep_if_needed(lambda: _unflatten(treedef, iter(leaves)))


def _unflatten(treedef: TreeDef, leaves):
    if treedef.kind == "leaf":
        return next(leaves)
    if treedef.kind == "none":
        return None
    children = [_unflatten(c, leaves) for c in treedef.children]
    if treedef.kind == "dict":
        return dict(zip(treedef.keys, children, strict=True))
    if treedef.kind == "adt":
        return ConstructorValue(treedef.keys[0], children)
    return tuple(children) if treedef.kind == "tuple" else children


def _deep_if_needed(walk):
    """`walk()` on this thread; a tree nested too deep for its stack is walked again on
    `run_deep`'s big stack (rare, and moving threads costs more than the walk)."""
    try:
        return walk()
    except RecursionError:
        return run_deep(walk)


def tree_map(fn, tree):
    """`tree` with `fn` applied to every leaf."""
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [fn(leaf) for leaf in leaves])


def _describe(treedef: TreeDef) -> str:
    if treedef.kind == "leaf":
        return "*"
    if treedef.kind == "none":
        return "None"
    inner = [_describe(c) for c in treedef.children]
    if treedef.kind == "dict":
        pairs = zip(treedef.keys, inner, strict=True)
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in pairs) + "}"
    if treedef.kind == "adt":
        name = treedef.keys[0].name_hint
        return f"{name}({', '.join(inner)})" if inner else name
    if treedef.kind == "tuple":
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
    return "[" + ", ".join(inner) + "]"
