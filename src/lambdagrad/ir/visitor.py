"""Traversal helpers that never recurse once per binding of a let-chain.

`ExprVisitor` and `ExprMutator` dispatch on node class and memoize by node identity, so a
shared subexpression (graph form) is visited once and rewritten once. Let-chains are walked in
a loop; other nesting recurses, and deep nesting in general is handled by running passes under
``deep.run_deep`` (a thread with a large stack).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import is_

from ..errors import Error
from .expr import (
    Call,
    Clause,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    If,
    Let,
    Match,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
    pattern_vars,
)
from .op import Op


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct subexpressions of `expr`, in evaluation order (binders included)."""
    # A table lookup by exact class: every traversal calls this once per node, and a
    # `match` over ten class patterns cost more than the rest of the walk.
    try:
        return _CHILDREN[type(expr)](expr)
    except KeyError:
        raise Error(f"not an expression: {type(expr).__name__} {expr!r:.60}") from None


def _no_children(expr: Expr) -> tuple[Expr, ...]:
    return ()


_CHILDREN = {
    Var: _no_children,
    GlobalVar: _no_children,
    Constant: _no_children,
    Op: _no_children,
    Constructor: _no_children,
    Tuple: lambda e: e.fields,
    TupleGetItem: lambda e: (e.tuple_value,),
    Function: lambda e: (*e.params, e.body),
    Call: lambda e: (e.op, *e.args),
    Let: lambda e: (e.var, e.value, e.body),
    If: lambda e: (e.cond, e.true_branch, e.false_branch),
    RefCreate: lambda e: (e.value,),
    RefRead: lambda e: (e.ref,),
    RefWrite: lambda e: (e.ref, e.value),
    Match: lambda e: (e.data, *(c.rhs for c in e.clauses)),
}


def post_order(expr: Expr) -> Iterator[Expr]:
    """Every distinct node reachable from `expr`, children before parents, without recursion."""
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children(node)) if id(c) not in seen)


def pre_order(expr: Expr) -> Iterator[Expr]:
    """Every distinct node reachable from `expr`, parents before children, without recursion."""
    seen: set[int] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(reversed(children(node)))


def bound_vars(expr: Expr) -> list[Var]:
    """Variables bound inside `expr` (let, function parameters, patterns), in order."""
    found: list[Var] = []
    for node in pre_order(expr):
        if isinstance(node, Let):
            found.append(node.var)
        elif isinstance(node, Function):
            found.extend(node.params)
        elif isinstance(node, Match):
            for clause in node.clauses:
                found.extend(pattern_vars(clause.lhs))
    return _unique(found)


def free_vars(expr: Expr) -> list[Var]:
    """Variables used in `expr` but not bound in it, in order of first appearance."""
    bound = {id(v) for v in bound_vars(expr)}
    return _unique(n for n in pre_order(expr) if isinstance(n, Var) and id(n) not in bound)


def _unique(items) -> list:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def let_chain(expr: Let) -> tuple[list[Let], Expr]:
    """Split ``let a = x; let b = y; body`` into its Let nodes and the final body."""
    lets = []
    while isinstance(expr, Let):
        lets.append(expr)
        expr = expr.body
    return lets, expr


class ExprVisitor:
    """Visits each distinct node once; override ``visit_<node>`` methods (e.g. visit_call).

    The default methods visit the children. Let-chains are walked iteratively.
    """

    def __init__(self):
        self._visited: set[int] = set()

    def visit(self, expr: Expr) -> None:
        if id(expr) in self._visited:
            return
        self._visited.add(id(expr))
        getattr(self, VISIT_METHODS[type(expr)])(expr)

    def visit_default(self, expr: Expr) -> None:
        for child in children(expr):
            self.visit(child)

    def visit_let(self, expr: Let) -> None:
        lets, body = let_chain(expr)
        for let in lets:
            self._visited.add(id(let))
            self.visit(let.var)
            self.visit(let.value)
        self.visit(body)

    def visit_match(self, expr: Match) -> None:
        self.visit(expr.data)
        for clause in expr.clauses:
            self.visit_clause(clause)

    def visit_clause(self, clause: Clause) -> None:
        self.visit(clause.rhs)

    def __getattr__(self, name: str):
        if name.startswith("visit_"):
            return self.visit_default
        raise AttributeError(name)


class ExprMutator:
    """Rebuilds an expression bottom-up, memoized by node identity.

    Override ``visit_<node>`` methods; each returns the new node. Unchanged subtrees keep
    their identity, and `checked_type` is dropped from rebuilt nodes (types may change).
    Let-chains are rebuilt iteratively.
    """

    def __init__(self):
        self.memo: dict[int, Expr] = {}

    def visit(self, expr: Expr) -> Expr:
        key = id(expr)
        found = self.memo.get(key)
        if found is not None:
            return found
        result = self.memo[key] = getattr(self, VISIT_METHODS[type(expr)])(expr)
        return result

    def visit_leaf(self, expr: Expr) -> Expr:
        return expr

    visit_var = visit_global_var = visit_constant = visit_op = visit_constructor = visit_leaf

    def visit_tuple(self, expr: Tuple) -> Expr:
        fields = tuple([self.visit(f) for f in expr.fields])
        return _same(expr, fields, expr.fields) or Tuple(fields, span=expr.span)

    def visit_tuple_get_item(self, expr: TupleGetItem) -> Expr:
        value = self.visit(expr.tuple_value)
        if value is expr.tuple_value:
            return expr
        return TupleGetItem(value, expr.index, span=expr.span)

    def visit_function(self, expr: Function) -> Expr:
        params = tuple([self.visit(p) for p in expr.params])
        body = self.visit(expr.body)
        if body is expr.body and _same(expr, params, expr.params):
            return expr
        return Function(params, body, expr.ret_type, expr.type_params, span=expr.span)

    def visit_call(self, expr: Call) -> Expr:
        op = self.visit(expr.op)
        args = tuple([self.visit(a) for a in expr.args])
        if op is expr.op and _same(expr, args, expr.args):
            return expr
        return Call(op, args, expr.attrs, expr.type_args, span=expr.span)

    def visit_let(self, expr: Let) -> Expr:
        lets, body = let_chain(expr)
        new_bindings = [(self.visit(let.var), self.visit(let.value)) for let in lets]
        result = self.visit(body)
        for let, (var, value) in zip(reversed(lets), reversed(new_bindings), strict=True):
            if not (var is let.var and value is let.value and result is let.body):
                result = Let(var, value, result, span=let.span)
            else:
                result = let
            self.memo[id(let)] = result  # every Let of the chain, not only the head
        return result

    def visit_if(self, expr: If) -> Expr:
        parts = (self.visit(expr.cond), self.visit(expr.true_branch), self.visit(expr.false_branch))
        old = (expr.cond, expr.true_branch, expr.false_branch)
        return _same(expr, parts, old) or If(*parts, span=expr.span)

    def visit_ref_create(self, expr: RefCreate) -> Expr:
        value = self.visit(expr.value)
        return expr if value is expr.value else RefCreate(value, span=expr.span)

    def visit_ref_read(self, expr: RefRead) -> Expr:
        ref = self.visit(expr.ref)
        return expr if ref is expr.ref else RefRead(ref, span=expr.span)

    def visit_ref_write(self, expr: RefWrite) -> Expr:
        ref, value = self.visit(expr.ref), self.visit(expr.value)
        if ref is expr.ref and value is expr.value:
            return expr
        return RefWrite(ref, value, span=expr.span)

    def visit_match(self, expr: Match) -> Expr:
        data = self.visit(expr.data)
        clauses = tuple([self.visit_clause(c) for c in expr.clauses])
        if data is expr.data and _same(expr, clauses, expr.clauses):
            return expr
        return Match(data, clauses, expr.complete, span=expr.span)

    def visit_clause(self, clause: Clause) -> Clause:
        rhs = self.visit(clause.rhs)
        return clause if rhs is clause.rhs else Clause(clause.lhs, rhs)


def _same(expr, new_items, old_items):
    """`expr` itself when every rebuilt child is the old one, else None."""
    return expr if all(map(is_, new_items, old_items)) else None


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "visit_" + "".join(out)


# Node class -> the name of the visitor method for it ("visit_tuple_get_item"); the type
# checker's visitor uses it too.
VISIT_METHODS = {
    cls: _snake(cls.__name__)
    for cls in (
        Var,
        GlobalVar,
        Constant,
        Tuple,
        TupleGetItem,
        Function,
        Call,
        Let,
        If,
        RefCreate,
        RefRead,
        RefWrite,
        Constructor,
        Match,
        Op,
    )
}


def make_lets(bindings, body: Expr) -> Expr:
    """``let v0 = e0; let v1 = e1; ...; body`` from (var, value) pairs, without recursion."""
    for var, value in reversed(bindings):
        body = Let(var, value, body)
    return body


def rebuild_lets(kept: list[tuple[Let, Expr]], body: Expr) -> Expr:
    """Rebuild the kept Let nodes, each with its new value, around `body`.

    A Let whose value and body are unchanged is reused, so unchanged chains keep identity.
    """
    for let, value in reversed(kept):
        unchanged = value is let.value and body is let.body
        body = let if unchanged else Let(let.var, value, body, span=let.span)
    return body


class Block:
    """A let-chain under construction: bindings in order, closed around a result."""

    def __init__(self):
        self.bindings: list[tuple[Var, Expr]] = []

    def emit(self, name: str, value: Expr, annotation=None, checked_type=None) -> Var:
        """Bind `value` to a new variable and return it."""
        var = Var(name, annotation, checked_type=checked_type)
        self.bindings.append((var, value))
        return var

    def close(self, body: Expr) -> Expr:
        return make_lets(self.bindings, body)


class _Replace(ExprMutator):
    def __init__(self, node: Expr, replacement: Expr):
        super().__init__()
        self.memo[id(node)] = replacement


def replace_node(expr: Expr, node: Expr, replacement: Expr) -> Expr:
    """`expr` with the node object `node` (wherever it occurs) replaced by `replacement`."""
    return _Replace(node, replacement).visit(expr)
