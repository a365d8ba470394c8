"""What the optimizer passes share: purity, use counts, fresh copies, module mapping, the
globals a function reaches.

A node is *pure* when evaluating it and discarding the result cannot be observed: it writes
no reference and calls no unknown function. Creating a closure or a reference, reading a
reference and calling an operator are pure in this sense (an unused new cell is invisible).
"""

from __future__ import annotations

from ..deep import run_deep, without_gc
from ..errors import Error
from ..ir.expr import (
    Call,
    Clause,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    Let,
    Match,
    RefWrite,
    Var,
    map_pattern,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.visitor import ExprMutator, bound_vars, children, make_lets, post_order

ATOMS = (Var, GlobalVar, Constant, Op, Constructor)


def map_functions(target, transform, pass_name: str):
    """Apply `transform` to an expression, or to every function of a module (types kept).

    `pass_name` names the pass in the error raised for anything else.
    """
    check_target(pass_name, target)
    return run_deep(without_gc, _map, target, transform)


def check_target(pass_name: str, target, mod=None) -> None:
    """Raise an lg.Error naming the pass unless `target` is an expression or an IRModule and
    `mod` an IRModule or None."""
    if not isinstance(target, Expr | IRModule):
        got = f"{type(target).__name__} {target!r}"
        raise Error(f"{pass_name}: expected an expression, a function or an IRModule, got {got}")
    if mod is not None and not isinstance(mod, IRModule):
        raise Error(f"{pass_name}: mod must be an IRModule, got {type(mod).__name__} {mod!r}")


def _map(target, transform):
    if not isinstance(target, IRModule):
        return transform(target)
    out = target.copy()
    for gvar, func in target.functions.items():
        out[gvar] = transform(func)
    return out


class Purity:
    """Memoized purity of expressions, computed without recursion.

    The memo is keyed by node identity: the nodes asked about must stay alive meanwhile.

    >>> import lambdagrad as lg
    >>> pure = Purity()
    >>> pure(lg.parse_expr("fn (%r: ref(float32)) { ref_write(%r, 1f) }"))
    True
    >>> pure(lg.parse_expr("ref_write(ref(1f), 2f)"))
    False
    """

    def __init__(self):
        self.memo: dict[int, bool] = {}

    def __call__(self, expr: Expr) -> bool:
        memo = self.memo
        stack = [expr]
        while stack:
            node = stack[-1]
            if id(node) in memo:
                stack.pop()
                continue
            parts = evaluated_parts(node)
            pending = [p for p in parts or () if id(p) not in memo]
            if pending:
                stack.extend(pending)
                continue
            memo[id(node)] = parts is not None and all(memo[id(p)] for p in parts)
            stack.pop()
        return memo[id(expr)]


def evaluated_parts(node: Expr) -> tuple[Expr, ...] | None:
    """The parts whose evaluation evaluating `node` implies; None if `node` itself may act."""
    match node:
        case Function() | Var() | GlobalVar() | Constant() | Op() | Constructor():
            return ()  # a closure's body runs only when it is called
        case Call(op=Op() | Constructor(), args=args):
            return args
        case Call(op=Function() as func, args=args):
            return (*args, func.body)
        case Call() | RefWrite():
            return None  # unknown callees may write references
        case Match(complete=False):
            return None  # `match?` may fail
        case Let(value=value, body=body):
            return (value, body)
    return children(node)


def uses(node: Expr) -> tuple[Expr, ...]:
    """The children of `node` that it uses (binders left out)."""
    if isinstance(node, Let):
        return (node.value, node.body)
    if isinstance(node, Function):
        return (node.body,)
    return children(node)


def use_counts(expr: Expr, nodes: list[Expr] | None = None) -> dict[int, int]:
    """For each distinct node under `expr` (by id), how many parent edges use it.

    `nodes`, when given, is ``list(post_order(expr))``, already computed by the caller.
    """
    counts: dict[int, int] = {id(expr): 1}
    for node in post_order(expr) if nodes is None else nodes:
        for child in uses(node):
            counts[id(child)] = counts.get(id(child), 0) + 1
    return counts


def node_size(expr: Expr, limit: int) -> int:
    """The number of distinct nodes under `expr`, counting stops just past `limit`."""
    size = 0
    for _ in post_order(expr):
        size += 1
        if size > limit:
            break
    return size


def reached_globals(expr: Expr, mod: IRModule) -> list[GlobalVar]:
    """The globals of `mod` that `expr` mentions, directly or through the globals it reaches,
    in the order they are found.

    >>> import lambdagrad as lg
    >>> mod = lg.parse("def @f(%x: int32) { @g(%x) } def @g(%y: int32) { %y } def @h() { 1 }")
    >>> [g.name_hint for g in reached_globals(mod["f"], mod)]
    ['g']
    """
    return list(_reached(_mentioned(expr, mod), lambda gvar: _mentioned(mod[gvar], mod)))


def recursive_globals(mod: IRModule) -> frozenset[str]:
    """The names of the globals of `mod` that can reach themselves through calls.

    >>> import lambdagrad as lg
    >>> sorted(recursive_globals(lg.parse("def @f() { @f() } def @g() { @f() }")))
    ['f']
    """
    calls = {gvar: _mentioned(func, mod) for gvar, func in mod.functions.items()}
    return frozenset(
        g.name_hint for g, mentioned in calls.items() if g in _reached(mentioned, calls.__getitem__)
    )


def _mentioned(expr: Expr, mod: IRModule) -> dict[GlobalVar, None]:
    """The globals of `mod` that occur in `expr`, in order (a dict used as an ordered set)."""
    return {n: None for n in post_order(expr) if isinstance(n, GlobalVar) and n in mod}


def _reached(start, callees) -> dict[GlobalVar, None]:
    """`start` and every global reachable from it, `callees(g)` giving the globals `g` mentions."""
    seen: dict[GlobalVar, None] = {}
    stack = list(start)
    while stack:
        gvar = stack.pop()
        if gvar not in seen:
            seen[gvar] = None
            stack.extend(callees(gvar))
    return seen


class FreshCopy(ExprMutator):
    """A copy of an expression in which every variable it binds is a new Var.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { let %y = %x; %y }")
    >>> g = FreshCopy(f).run()
    >>> g.params[0] is f.params[0], lg.analysis.alpha_equal(f, g)
    (False, True)
    """

    def __init__(self, expr: Expr):
        super().__init__()
        self.expr = expr
        self.renamed = {id(v): _fresh(v) for v in bound_vars(expr)}

    def run(self) -> Expr:
        return self.visit(self.expr)

    def visit_var(self, expr: Var) -> Expr:
        return self.renamed.get(id(expr), expr)

    def visit_clause(self, clause: Clause) -> Clause:
        return Clause(map_pattern(clause.lhs, self.visit_var), self.visit(clause.rhs))


def bind_params(func: Function, args: tuple[Expr, ...]) -> Expr:
    """The body of a fresh copy of `func` under ``let %param = arg;`` for each argument."""
    copy = FreshCopy(func).run()
    return make_lets(list(zip(copy.params, args, strict=True)), copy.body)


def _fresh(var: Var) -> Var:
    return Var(var.name_hint, var.type_annotation, checked_type=var.checked_type)
