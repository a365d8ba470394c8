"""Pytrees as JAX has them: tuples, lists, dicts (keys sorted) and None around array leaves.

>>> leaves, tree = tree_flatten({"b": (1.0, None), "a": [2.0]})
>>> leaves
[2.0, 1.0]
>>> tree_unflatten(tree, [20.0, 10.0])
{'a': [20.0], 'b': (10.0, None)}
"""

from __future__ import annotations

from dataclasses import dataclass

from ..deep import run_deep


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree: a node kind, its dict keys, and its children's structures.

    A leaf is ``TreeDef("leaf")``.
    """

    kind: str
    keys: tuple = ()
    children: tuple[TreeDef, ...] = ()

    @property
    def num_leaves(self) -> int:
        return sum(1 for _ in self._leaf_defs())

    def _leaf_defs(self):
        stack = [self]
        while stack:
            node = stack.pop()
            if node.kind == "leaf":
                yield node
            stack.extend(node.children)

    def __str__(self) -> str:
        return _describe(self)


LEAF = TreeDef("leaf")
_CONTAINERS = (tuple, list, dict)


def tree_flatten(tree) -> tuple[list, TreeDef]:
    """The leaves of `tree`, left to right (dicts in key order), and its structure."""
    leaves: list = []

    def walk():
        leaves.clear()
        return _flatten(tree, leaves)

    return leaves, _deep_if_needed(walk)


def _flatten(tree, leaves: list) -> TreeDef:
    if tree is None:
        return TreeDef("none")
    if type(tree) in _CONTAINERS:
        if type(tree) is dict:
            keys = tuple(sorted(tree))
            children = tuple(_flatten(tree[k], leaves) for k in keys)
            return TreeDef("dict", keys, children)
        return TreeDef(type(tree).__name__, (), tuple(_flatten(t, leaves) for t in tree))
    leaves.append(tree)
    return LEAF


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
        return (
            "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(treedef.keys, inner, strict=True)) + "}"
        )
    if treedef.kind == "tuple":
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
    return "[" + ", ".join(inner) + "]"
