"""`infer_type`: type a module or an expression and return annotated copies.

Globals are typed one strongly connected component of the call graph at a time, callees
first: the members of a component get their declared signatures (unknowns where they are
not annotated), their bodies are solved together, and what is still unknown in their
signatures is generalized into type parameters. Later uses instantiate those signatures
with fresh unknowns, so polymorphic globals can be used at different types.
"""

from __future__ import annotations

from dataclasses import fields

from ..deep import run_deep, without_gc
from ..errors import TypeInferenceError
from ..ir.expr import (
    Call,
    Clause,
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
    map_pattern,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.visitor import post_order, pre_order
from .infer import Inferencer


def infer_type(target, mod: IRModule | None = None):
    """Type-check `target` (an IRModule or an Expr) and return an annotated copy.

    Every node of the copy has its `checked_type`; for an expression, globals it mentions
    are looked up in `mod`. Raises ``lg.TypeInferenceError`` on an ill-typed program.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", shape=(2, 3))
    >>> typed = infer_type(lg.Function([x], lg.op.sum(x, axis=1)))
    >>> typed.checked_type.ret_type
    TensorType((2,), 'float32')
    """
    if not isinstance(target, IRModule | Expr):
        raise TypeInferenceError(
            f"infer_type: expected an IRModule or an expression, got {type(target).__name__}"
        )
    if mod is not None and not isinstance(mod, IRModule):
        raise TypeInferenceError(f"infer_type: mod must be an IRModule, got {type(mod).__name__}")
    return run_deep(_infer, target, mod)


def _infer(target, mod: IRModule | None):
    if isinstance(target, IRModule):
        return without_gc(_infer_module, target)
    return without_gc(_infer_expr, target, mod)


def _infer_module(mod: IRModule) -> IRModule:
    inferencer = Inferencer(mod)
    solve_globals(inferencer, mod, list(mod.functions))
    copier = _Copier(inferencer)
    functions = {gvar: copier.copy(func) for gvar, func in mod.functions.items()}
    return IRModule(functions, dict(mod.type_definitions))


def _infer_expr(expr: Expr, mod: IRModule | None) -> Expr:
    inferencer = Inferencer(mod)
    if mod is not None:
        solve_globals(inferencer, mod, _globals_in(expr, mod))
    if isinstance(expr, Function):
        _solve_functions(inferencer, [expr])
    else:
        inferencer.infer(expr)
        inferencer.solve()
    return _Copier(inferencer).copy(expr)


def solve_globals(inferencer: Inferencer, mod: IRModule, roots: list[GlobalVar]) -> None:
    """Type the globals reachable from `roots`, one recursive group at a time."""
    for group in _components(mod, roots):
        functions = [mod.functions[g] for g in group]
        sigs = [inferencer.declare_function(f) for f in functions]
        inferencer.signatures.update(zip(group, sigs, strict=True))
        solved = _solve_functions(inferencer, functions, sigs)
        inferencer.signatures.update(zip(group, solved, strict=True))


def _solve_functions(inferencer: Inferencer, functions: list[Function], sigs=None) -> list:
    sigs = sigs or [inferencer.declare_function(f) for f in functions]
    for func, sig in zip(functions, sigs, strict=True):
        inferencer.check_body(func, sig)
    inferencer.solve()
    solved = inferencer.generalize(sigs)
    for func, sig in zip(functions, solved, strict=True):
        inferencer.types[id(func)] = sig
    return solved


def _globals_in(expr: Expr, mod: IRModule) -> list[GlobalVar]:
    """The globals of `mod` that `expr` mentions."""
    found = dict.fromkeys(n for n in pre_order(expr) if isinstance(n, GlobalVar))
    return [g for g in found if g in mod.functions]


def _components(mod: IRModule, roots: list[GlobalVar]) -> list[list[GlobalVar]]:
    """Strongly connected components of the call graph from `roots`, callees first (Tarjan)."""
    index: dict[GlobalVar, int] = {}
    low: dict[GlobalVar, int] = {}
    stack: list[GlobalVar] = []
    on_stack: set[GlobalVar] = set()
    groups: list[list[GlobalVar]] = []

    def visit(gvar: GlobalVar) -> None:
        index[gvar] = low[gvar] = len(index)
        stack.append(gvar)
        on_stack.add(gvar)
        for callee in _globals_in(mod.functions[gvar], mod):
            if callee not in index:
                visit(callee)
                low[gvar] = min(low[gvar], low[callee])
            elif callee in on_stack:
                low[gvar] = min(low[gvar], index[callee])
        if low[gvar] == index[gvar]:
            groups.append(_pop_group(stack, on_stack, gvar))

    for root in roots:
        if root not in index:
            visit(root)
    return groups


def _pop_group(stack: list, on_stack: set, root: GlobalVar) -> list[GlobalVar]:
    group = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        group.append(member)
        if member is root or member == root:
            return list(reversed(group))


class _Copier:
    """Rebuilds expressions with their resolved types, keeping sharing and variable identity.

    Op and Constructor nodes are global definitions compared by identity elsewhere (rule
    tables, pattern matching), so they are kept rather than copied.
    """

    def __init__(self, inferencer: Inferencer):
        self.inferencer = inferencer
        self.memo: dict[int, Expr] = {}

    def copy(self, root: Expr) -> Expr:
        for node in post_order(root):  # children first, without recursion
            if id(node) not in self.memo:
                self.memo[id(node)] = self.copy_node(node)
        return self.memo[id(root)]

    def copy_node(self, node: Expr) -> Expr:
        if isinstance(node, Op | Constructor):
            return node
        ty = self.inferencer.final_type(node)
        changes = {
            name: self.new(getattr(node, name)) for name in _CHILD_FIELDS.get(type(node), ())
        }
        if isinstance(node, Match):
            changes["clauses"] = tuple(self.clause(c) for c in node.clauses)
        if isinstance(node, Function):
            changes["type_params"] = ty.type_params
        changes["checked_type"] = ty
        return _rebuilt(node, changes)

    def new(self, value):
        if isinstance(value, tuple):
            return tuple(self.memo[id(v)] for v in value)
        return self.memo[id(value)]

    def clause(self, clause: Clause) -> Clause:
        return Clause(map_pattern(clause.lhs, self.var), self.memo[id(clause.rhs)])

    def var(self, var: Var) -> Var:
        """The copy of a pattern variable (made here when the clause never uses it)."""
        if id(var) not in self.memo:
            self.memo[id(var)] = self.copy_node(var)
        return self.memo[id(var)]


def _rebuilt(node: Expr, changes: dict) -> Expr:
    """A copy of a frozen node with some fields changed.

    It bypasses ``__init__``: the fields are already normalised, and `dataclasses.replace`
    (which re-runs it, copying constant arrays) dominated the time on long programs.
    """
    cls = type(node)
    names = _FIELD_NAMES.get(cls) or _FIELD_NAMES.setdefault(cls, [f.name for f in fields(cls)])
    new = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(node, name))
    return new


_FIELD_NAMES: dict[type, list[str]] = {}

# The fields of each node kind that hold subexpressions (Match clauses are copied apart).
_CHILD_FIELDS = {
    Tuple: ("fields",),
    TupleGetItem: ("tuple_value",),
    Function: ("params", "body"),
    Call: ("op", "args"),
    Let: ("var", "value", "body"),
    If: ("cond", "true_branch", "false_branch"),
    RefCreate: ("value",),
    RefRead: ("ref",),
    RefWrite: ("ref", "value"),
    Match: ("data",),
}
