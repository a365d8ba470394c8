"""Where the printer binds shared subexpressions (graph bindings ``%0 = ...;``).

A node object used more than once (graph form, CSE output) is printed once, as a graph binding
placed in the innermost block that encloses all its uses, just before the first item (binding
or result) of that block that uses it. Because every variable the node mentions is in scope at
all its uses, it is in scope there too. Nodes bound at the same place are ordered children
first, so each binding comes after the bindings it refers to.

Blocks are the places the printer writes a list of bindings: the top level, function bodies,
`if` branches, `match` clauses and a `{ let ...; ... }` in argument position. A let-chain in a
block's tail continues the block, so its items are numbered without recursion.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ..ir.expr import Constant, Constructor, Expr, Function, GlobalVar, If, Let, Match, Var
from ..ir.op import Op
from ..ir.visitor import children, post_order

BlockKey = tuple[int, object]


def is_leaf(expr: Expr) -> bool:
    """Nodes printed in place wherever they occur, never bound."""
    if isinstance(expr, Constant):
        return expr.data.ndim == 0
    return isinstance(expr, Var | GlobalVar | Op | Constructor)


class _Block:
    __slots__ = ("key", "parent", "index", "depth")

    def __init__(self, key: BlockKey, parent: _Block | None = None, index: int = 0):
        self.key, self.parent, self.index = key, parent, index
        self.depth = 0 if parent is None else parent.depth + 1


def _common(a: tuple[_Block, int], b: tuple[_Block, int]) -> tuple[_Block, int]:
    """The innermost block enclosing both places, and the earlier item index in it."""
    (block_a, index_a), (block_b, index_b) = a, b
    while block_a.depth > block_b.depth:
        block_a, index_a = block_a.parent, block_a.index
    while block_b.depth > block_a.depth:
        block_b, index_b = block_b.parent, block_b.index
    while block_a is not block_b:
        block_a, index_a = block_a.parent, block_a.index
        block_b, index_b = block_b.parent, block_b.index
    return block_a, min(index_a, index_b)


class Layout:
    """For a root expression: the shared nodes and where each is bound.

    ``emit[(block_key, index)]`` lists the nodes to bind before item `index` of a block.
    Block keys are ``(id(owner), slot)``: slot "body" (function), "then"/"else" (if), the
    clause number (match) or "let" (a let-chain in argument position); the root's key is given.
    """

    def __init__(self, root: Expr, root_key: BlockKey):
        order = list(post_order(root))
        uses = Counter(id(c) for node in order for c in children(node))
        self.shared = {key for key, count in uses.items() if count > 1}
        self.shared -= {id(node) for node in order if is_leaf(node)}
        self.uses = uses
        self.emit: dict[tuple[BlockKey, int], list[Expr]] = defaultdict(list)
        self._place(order, _Block(root_key))
        rank = {id(node): i for i, node in enumerate(order)}
        for nodes in self.emit.values():
            nodes.sort(key=lambda node: rank[id(node)])

    def is_unused(self, var: Var) -> bool:
        """Whether `var` is never used (its binder is its only occurrence)."""
        return self.uses[id(var)] <= 1

    def _place(self, order: list[Expr], root_block: _Block) -> None:
        """Visit parents before children, propagating where each node is printed."""
        where: dict[int, tuple[_Block, int, bool]] = {id(order[-1]): (root_block, 0, True)}
        for node in reversed(order):
            if is_leaf(node):
                continue
            block, index, tail = where[id(node)]
            if id(node) in self.shared:
                self.emit[(block.key, index)].append(node)
                tail = False
            for child, place in self._placements(node, block, index, tail):
                if is_leaf(child):
                    continue
                old = where.get(id(child))
                if old is not None and id(child) in self.shared:
                    place = (*_common(old[:2], place[:2]), False)
                where[id(child)] = place

    def _placements(self, node: Expr, block: _Block, index: int, tail: bool):
        """(child, (block, index, tail)) for each child printed by `node`."""
        if isinstance(node, Let):
            if not tail:  # starts its own `{ ... }` block
                block, index = _Block((id(node), "let"), block, index), 0
            return [(node.value, (block, index, False)), (node.body, (block, index + 1, True))]
        if isinstance(node, Function):
            return [(node.body, (_Block((id(node), "body"), block, index), 0, True))]
        if isinstance(node, If):
            then = _Block((id(node), "then"), block, index)
            other = _Block((id(node), "else"), block, index)
            return [
                (node.cond, (block, index, False)),
                (node.true_branch, (then, 0, True)),
                (node.false_branch, (other, 0, True)),
            ]
        if isinstance(node, Match):
            clauses = [
                (c.rhs, (_Block((id(node), i), block, index), 0, True))
                for i, c in enumerate(node.clauses)
            ]
            return [(node.data, (block, index, False)), *clauses]
        return [(child, (block, index, False)) for child in children(node)]
