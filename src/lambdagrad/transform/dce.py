"""Effect-aware dead code elimination.

A let binding goes when its variable is unused and its value is pure (see `effects`); a
let-bound recursive function whose only uses are its own recursive calls goes too. Reference
writes are effects and stay, except writes that can never be observed: writes to a locally
created cell that is never read at all, and writes to a cell used only by reads and writes in
the let-chain that creates it, placed after its last read. Relay's DCE dropped every unused
``let %_ = ref_write(...)``, losing gradient updates (apache/tvm#6803); this one asks first.

Use counts are kept per node and decremented as bindings go, so the pass is linear: dropping
one binding can make earlier ones dead, and the let-chain is walked from its end.
"""

from __future__ import annotations

from collections import Counter

from ..ir.expr import Expr, Function, Let, RefCreate, RefRead, RefWrite, Tuple, Var
from ..ir.visitor import ExprMutator, post_order
from .effects import Purity, map_functions, use_counts, uses


def dead_code_elimination(target):
    """`target` (an expression or module) without its unused pure bindings and dead writes.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr('''fn (%x: float32) {
    ...   let %unused = multiply(%x, %x);
    ...   let %r = ref(%x);
    ...   let %_ = ref_write(%r, 2f);
    ...   %x
    ... }''')
    >>> print(dead_code_elimination(f))
    fn (%x: float32) {
      %x
    }
    """
    return map_functions(target, lambda expr: _DeadCode(expr).run(), "dead_code_elimination")


class _DeadCode(ExprMutator):
    def __init__(self, expr: Expr):
        super().__init__()
        self.expr = expr
        nodes = list(post_order(expr))
        self.counts = use_counts(expr, nodes)
        self.pure = Purity()
        self.write_only, self.chain_local = _local_refs(nodes)
        self.fresh: list[Expr] = []

    def run(self) -> Expr:
        return self.visit(self.expr)

    def unused(self, var: Var) -> bool:
        return self.counts.get(id(var), 0) <= 0

    def release(self, node: Expr) -> None:
        """Forget one use of `node`; when none is left, forget the uses it made."""
        stack = [node]
        while stack:
            item = stack.pop()
            left = self.counts.get(id(item), 1) - 1
            self.counts[id(item)] = left
            if left == 0:
                stack.extend(uses(item))

    def visit_let(self, expr: Let) -> Expr:
        lets = []
        while isinstance(expr, Let) and id(expr) not in self.memo:
            lets.append(expr)
            expr = expr.body
        result = self.visit(expr)
        read_later: set[int] = set()  # chain-local cells read by a kept binding below
        for let in reversed(lets):
            result = self.binding(let, result, read_later)
            self.memo[id(let)] = result
        return result

    def binding(self, let: Let, body: Expr, read_later: set[int]) -> Expr:
        """`let` rebuilt over the processed `body`, or just `body` when the binding is dead."""
        if self.only_used_by_itself(let):
            self.release(let.value)
            return body
        value = let.value
        if self.dead_write(value, read_later):
            value = self.drop_write(value)
        elif not (self.unused(let.var) and self.pure(value)):
            value = self.visit(value)
        if self.unused(let.var) and self.pure(value):
            self.release(value)
            return body
        if isinstance(value, RefRead) and id(value.ref) in self.chain_local:
            read_later.add(id(value.ref))
        if value is let.value and body is let.body:
            return let
        return Let(let.var, value, body, span=let.span)

    def only_used_by_itself(self, let: Let) -> bool:
        """Whether `let` binds a function whose variable is used only inside that function.

        Every edge into the variable, and into each node on a path from the function to it,
        must come from inside the function: a node shared with the let's body would be a use.
        """
        if not isinstance(let.value, Function) or self.unused(let.var):
            return False
        inner = list(post_order(let.value))
        reaching = {id(let.var)}  # the function's nodes from which the variable is reachable
        for node in inner:
            if any(id(child) in reaching for child in uses(node)):
                reaching.add(id(node))
        internal = Counter(id(c) for node in inner for c in uses(node) if id(c) in reaching)
        reaching.discard(id(let.value))
        return all(self.counts.get(key, 0) <= internal[key] for key in reaching)

    def dead_write(self, value: Expr, read_later: set[int]) -> bool:
        if not isinstance(value, RefWrite) or not self.pure(value.value):
            return False
        cell = id(value.ref)
        return cell in self.write_only or (cell in self.chain_local and cell not in read_later)

    def drop_write(self, write: RefWrite) -> Expr:
        """Replace a dead write by the unit value, releasing what it used."""
        self.counts[id(write)] = 1
        self.release(write)
        unit = Tuple(())
        self.fresh.append(unit)  # its id keys `counts`, so it must stay alive
        return unit

    def visit_ref_write(self, expr: RefWrite) -> Expr:
        if id(expr.ref) in self.write_only and self.pure(expr.value):
            return self.drop_write(expr)
        return super().visit_ref_write(expr)


def _local_refs(nodes: list[Expr]) -> tuple[set[int], set[int]]:
    """Cells (ids of let-bound `ref(...)` variables) whose writes may be unobservable.

    `nodes` are the distinct nodes of the program. The first set: cells only ever written.
    The second: cells also read, but whose every use is a read or write bound directly in
    the let-chain that creates the cell, so that chain order is time order.
    """
    if not any(type(node) is RefCreate for node in nodes):
        return set(), set()  # the common case after partial evaluation: no cells at all
    creator, chain_of_value = _chains(nodes)
    escaped, read, scattered = set(), set(), set()
    for node in nodes:
        for index, child in enumerate(uses(node)):
            if id(child) not in creator:
                continue
            if not (isinstance(node, RefRead) or (isinstance(node, RefWrite) and index == 0)):
                escaped.add(id(child))  # aliased, captured, stored or passed on
            if isinstance(node, RefRead):
                read.add(id(child))
            if chain_of_value.get(id(node)) != creator[id(child)]:
                scattered.add(id(child))
    write_only = set(creator) - escaped - read
    return write_only, set(creator) - escaped - scattered - write_only


def _chains(nodes: list[Expr]) -> tuple[dict[int, int], dict[int, int]]:
    """The chain (id of its head Let) creating each cell variable, and binding each value."""
    bodies = {id(n.body) for n in nodes if isinstance(n, Let)}
    creator: dict[int, int] = {}
    chain_of_value: dict[int, int] = {}
    for head in nodes:
        let = head if isinstance(head, Let) and id(head) not in bodies else None
        while isinstance(let, Let):
            # a value node bound in two chains (graph form) belongs to neither
            known = chain_of_value.setdefault(id(let.value), id(head))
            if known != id(head):
                chain_of_value[id(let.value)] = -1
            if isinstance(let.value, RefCreate):
                creator[id(let.var)] = id(head)
            let = let.body
    return creator, chain_of_value
