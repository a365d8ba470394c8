"""A-normal form: every intermediate result gets a name, each shared node is bound once.

In A-normal form every argument of a call, tuple, projection, `if` condition and reference
operation is an atom (a variable, global, constant, op or constructor), and every other
expression is bound by a `let` in the scope where it is evaluated. A node object used in
several places (graph form) is bound once, in the innermost scope enclosing all its uses, so
it is computed once, as Relay's graph bindings mean. One exception: the argument of
``annotation.checkpoint`` stays inside the call as a block of its own, because AD recomputes it.
"""

from __future__ import annotations

from ..ir.expr import (
    Call,
    Clause,
    Expr,
    Function,
    If,
    Let,
    Match,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.op import Op
from ..ir.visitor import (
    ExprMutator,
    children,
    free_vars,
    let_chain,
    make_lets,
    pre_order,
    rebuild_lets,
)
from .effects import ATOMS, map_functions

CHECKPOINT = "annotation.checkpoint"


def to_anf(target):
    """`target` (an expression, function or module) in A-normal form.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", "float32")
    >>> print(to_anf(lg.Function([x], (x * x) + x)))
    fn (%x: float32) {
      let %multiply = multiply(%x, %x);
      let %add = add(%multiply, %x);
      %add
    }
    """
    return map_functions(target, lambda expr: _Normalizer(expr).run(), "to_anf")


class _Scope:
    """A region evaluated as one let-chain: the program, a function body, a branch, a clause."""

    __slots__ = ("parent", "depth", "bindings")

    def __init__(self, parent: _Scope | None):
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1
        self.bindings: list[tuple[Var, Expr]] = []


def _common_scope(a: _Scope, b: _Scope) -> _Scope:
    while a.depth > b.depth:
        a = a.parent
    while b.depth > a.depth:
        b = b.parent
    while a is not b:
        a, b = a.parent, b.parent
    return a


def _scoped_children(node: Expr) -> set[int]:
    """Indices (into `children(node)`) of the children evaluated in a scope of their own."""
    if isinstance(node, Function):
        return {len(node.params)}
    if isinstance(node, If):
        return {1, 2}
    if isinstance(node, Match):
        return set(range(1, len(node.clauses) + 1))
    if is_checkpoint(node):
        return {1}  # children are (op, arg): the argument stays inside the call
    return set()


def is_checkpoint(node: Expr) -> bool:
    """``annotation.checkpoint(e)``: AD recomputes `e`, so A-normal form keeps it together."""
    return isinstance(node, Call) and isinstance(node.op, Op) and node.op.name == CHECKPOINT


class _Normalizer:
    def __init__(self, expr: Expr):
        self.expr = expr
        self.root = _Scope(None)
        self.placement: dict[int, _Scope] = {}
        self.child_scopes: dict[tuple[int, int], _Scope] = {}
        self.names: dict[int, Var] = {}

    def run(self) -> Expr:
        self._place_nodes()
        if isinstance(self.expr, Function):  # keep a function a function
            return self._function(self.expr)
        return self._scope_body(self.expr, self.root)

    def _place_nodes(self) -> None:
        """Assign each node the innermost scope enclosing all of its uses."""
        order = _topological(self.expr)
        self.placement[id(self.expr)] = self.root
        for node in order:
            scope = self.placement[id(node)]
            scoped = _scoped_children(node)
            for index, child in enumerate(children(node)):
                child_scope = scope
                if index in scoped:
                    child_scope = _Scope(scope)
                    self.child_scopes[(id(node), index)] = child_scope
                known = self.placement.get(id(child))
                self.placement[id(child)] = (
                    child_scope if known is None else _common_scope(known, child_scope)
                )

    def _scope_body(self, expr: Expr, scope: _Scope) -> Expr:
        """Normalize `expr` as the whole body of `scope`: its bindings, then its result."""
        result = self._atom(expr, scope)
        return make_lets(scope.bindings, result)

    def _atom(self, expr: Expr, scope: _Scope) -> Expr:
        """An atom standing for `expr`, binding it (and its parts) where they belong."""
        if isinstance(expr, ATOMS):
            return expr
        named = self.names.get(id(expr))
        if named is not None:
            return named
        home = self.placement.get(id(expr), scope)
        if isinstance(expr, Let):
            return self._let_chain(expr, home)
        value = self._rebuild(expr, home)
        var = Var(_name_for(expr), checked_type=expr.checked_type)
        home.bindings.append((var, value))
        self.names[id(expr)] = var
        return var

    def _let_chain(self, expr: Let, scope: _Scope) -> Expr:
        while isinstance(expr, Let):
            value = self._let_value(expr, scope)
            scope.bindings.append((expr.var, value))
            expr = expr.body
        return self._atom(expr, scope)

    def _let_value(self, let: Let, scope: _Scope) -> Expr:
        value = let.value
        shared_elsewhere = self.placement.get(id(value), scope) is not scope
        simple = isinstance(value, (*ATOMS, Let)) or id(value) in self.names
        if simple or shared_elsewhere:
            return self._atom(value, scope)
        rebuilt = self._rebuild(value, scope)
        self.names[id(value)] = let.var
        return rebuilt

    def _rebuild(self, expr: Expr, scope: _Scope) -> Expr:
        """`expr` with atoms for its evaluated children and normalized inner scopes."""

        def atom(child: Expr) -> Expr:
            return self._atom(child, scope)

        span = expr.span
        match expr:
            case Tuple(fields=fields):
                return Tuple([atom(f) for f in fields], span=span)
            case TupleGetItem(tuple_value=value, index=index):
                return TupleGetItem(atom(value), index, span=span)
            case Call(op=op, args=args, attrs=attrs) if is_checkpoint(expr):
                return Call(op, [self._inner(expr, 1, args[0])], attrs, span=span)
            case Call(op=op, args=args, attrs=attrs, type_args=type_args):
                return Call(atom(op), [atom(a) for a in args], attrs, type_args, span=span)
            case RefCreate(value=value):
                return RefCreate(atom(value), span=span)
            case RefRead(ref=ref):
                return RefRead(atom(ref), span=span)
            case RefWrite(ref=ref, value=value):
                return RefWrite(atom(ref), atom(value), span=span)
            case Function():
                return self._function(expr)
            case If():
                return self._if(expr, scope)
            case Match():
                return self._match(expr, scope)
        raise TypeError(f"to_anf: unexpected node {type(expr).__name__}")

    def _inner(self, node: Expr, index: int, child: Expr) -> Expr:
        return self._scope_body(child, self.child_scopes[(id(node), index)])

    def _function(self, expr: Function) -> Function:
        body = self._inner(expr, len(expr.params), expr.body)
        return Function(expr.params, body, expr.ret_type, expr.type_params, span=expr.span)

    def _if(self, expr: If, scope: _Scope) -> If:
        cond = self._atom(expr.cond, scope)
        then = self._inner(expr, 1, expr.true_branch)
        other = self._inner(expr, 2, expr.false_branch)
        return If(cond, then, other, span=expr.span)

    def _match(self, expr: Match, scope: _Scope) -> Match:
        data = self._atom(expr.data, scope)
        clauses = [
            Clause(c.lhs, self._inner(expr, i + 1, c.rhs)) for i, c in enumerate(expr.clauses)
        ]
        return Match(data, clauses, expr.complete, span=expr.span)


def _name_for(expr: Expr) -> str:
    if isinstance(expr, Call) and isinstance(expr.op, Op):
        return expr.op.name.split(".")[-1]
    return type(expr).__name__.lower()


def _topological(expr: Expr) -> list[Expr]:
    """Nodes with every parent before its children (reverse post-order), without recursion."""
    from ..ir.visitor import post_order

    return list(reversed(list(post_order(expr))))


def from_anf(target):
    """Back from A-normal form to readable nested expressions, for printing.

    A let-bound pure value (an op call, tuple or projection) used exactly once, later in the
    same scope and not inside a function literal, is substituted at its use. Effects keep their
    order because only pure values move, and never into a closure that may run many times.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { let %a = multiply(%x, %x); let %b = (%a,); %b }")
    >>> print(from_anf(f))
    fn (%x: float32) {
      (multiply(%x, %x),)
    }
    """
    return map_functions(target, lambda expr: _Nester(expr).visit(expr), "from_anf")


class _Nester(ExprMutator):
    def __init__(self, root: Expr):
        super().__init__()
        self.uses, self.inside_function = _use_counts(root)

    def visit_let(self, expr: Let) -> Expr:
        lets, body = let_chain(expr)
        kept = []
        for let in lets:
            value = self.visit(let.value)
            if self._movable(let.var, value):
                self.memo[id(let.var)] = value  # later uses of the var see the value itself
            else:
                kept.append((let, value))
        return rebuild_lets(kept, self.visit(body))

    def _movable(self, var: Var, value: Expr) -> bool:
        pure = isinstance(value, Tuple | TupleGetItem) or (
            isinstance(value, Call) and isinstance(value.op, Op) and not is_checkpoint(value)
        )
        return pure and self.uses.get(var, 0) == 1 and var not in self.inside_function


def _use_counts(root: Expr) -> tuple[dict, set]:
    """How often each variable is used, and which are used inside a function literal."""
    counts: dict[Var, int] = {}
    in_function: set[Var] = set()
    for node in pre_order(root):
        if isinstance(node, Function) and node is not root:
            in_function.update(free_vars(node))
        for child in _uses(node):
            if isinstance(child, Var):
                counts[child] = counts.get(child, 0) + 1
    return counts, in_function


def _uses(node: Expr) -> tuple[Expr, ...]:
    """The children of `node` that are uses, not binding sites."""
    if isinstance(node, Let):
        return (node.value, node.body)
    if isinstance(node, Function):
        return (node.body,)
    return children(node)


def computed_once(target):
    """`target` (an expression or module) with shared nodes bound once (A-normal form), or as
    it is when no node is shared: what graph form means, for passes that need no more.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", "float32")
    >>> square = x * x
    >>> print(computed_once(lg.Function([x], square + square)))
    fn (%x: float32) {
      let %multiply = multiply(%x, %x);
      let %add = add(%multiply, %multiply);
      %add
    }
    """
    return map_functions(
        target, lambda expr: to_anf(expr) if has_shared_nodes(expr) else expr, "computed_once"
    )


def is_anf(expr: Expr) -> bool:
    """Whether `expr` is already in A-normal form as `to_anf` makes it: no node shared,
    every operand an atom, no let as a let's value, every scope ending in an atom.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", "float32")
    >>> is_anf(lg.Function([x], x * x)), is_anf(to_anf(lg.Function([x], x * x)))
    (False, True)
    """
    seen: set[int] = set()
    stack: list[tuple[Expr, str]] = [(expr, "value" if isinstance(expr, Function) else "body")]
    while stack:
        node, position = stack.pop()
        if position == "body":
            node = _let_spine(node, seen, stack)  # most of a program: walked in place
            if node is None:
                return False
        if isinstance(node, ATOMS):
            continue
        if position != "value" or isinstance(node, Let) or id(node) in seen:
            return False
        seen.add(id(node))
        if type(node) is Call and all(isinstance(a, ATOMS) for a in (node.op, *node.args)):
            continue  # the common binding: an op call on atoms
        stack.extend(_anf_children(node))
    return True


def _let_spine(node: Expr, seen: set[int], stack: list) -> Expr | None:
    """Walk a let-chain in body position, queueing its values; return the final body, or
    None when a Let is shared."""
    while type(node) is Let:
        if id(node) in seen:
            return None
        seen.add(id(node))
        stack.append((node.value, "value"))
        node = node.body
    return node


def _anf_children(node: Expr) -> list[tuple[Expr, str]]:
    """The children of `node`, each with its position: a let's value, the body of a scope
    (a let-chain or an atom), or an operand (an atom)."""
    if isinstance(node, Let):
        return [(node.value, "value"), (node.body, "body")]
    if isinstance(node, Function):
        return [(node.body, "body")]
    scoped = _scoped_children(node)
    return [(c, "body" if i in scoped else "atom") for i, c in enumerate(children(node))]


def has_shared_nodes(expr: Expr) -> bool:
    """Whether some non-atomic node is used by more than one parent (graph form)."""
    seen: set[int] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        for child in children(node):
            if isinstance(child, ATOMS):
                continue
            if id(child) in seen:
                return True
            seen.add(id(child))
            stack.append(child)
    return False
