"""Function inlining: let-bound functions called once, small functions, small globals.

A call ``f(a, b)`` of a known function becomes ``let %p = a; let %q = b; body`` over a copy of
the body in which every binder is a fresh variable, so a function inlined twice shares no
binders. The arguments are still evaluated once each, left to right, before the body, as in
the call. Inlined are: direct calls of function literals; calls of a let-bound function
literal that is used only by that one call (the binding goes too); calls of let-bound
function literals and of globals whose body has at most `max_size` nodes. Recursive
functions (a let-bound closure that mentions itself, a global in a call cycle) and
polymorphic ones (with type parameters) are never inlined.
"""

from __future__ import annotations

from ..ir.expr import Call, Expr, Function, GlobalVar, Let, Var
from ..ir.module import IRModule
from ..ir.visitor import ExprMutator, free_vars, rebuild_lets
from .effects import bind_params, map_functions, node_size, recursive_globals, use_counts

MAX_SIZE = 12


def inline(target, max_size: int = MAX_SIZE, mod: IRModule | None = None):
    """`target` (an expression or module) with known function calls replaced by their bodies.

    `mod` supplies the globals an expression calls; a module supplies its own.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr('''fn (%x: float32) {
    ...   let %sq = fn (%y: float32) { multiply(%y, %y) };
    ...   %sq(%x)
    ... }''')
    >>> print(inline(f))
    fn (%x: float32) {
      let %y: float32 = %x;
      multiply(%y, %y)
    }
    """
    module = target if isinstance(target, IRModule) else mod
    small = _small_globals(module, max_size) if module is not None else {}
    return map_functions(target, lambda expr: _Inliner(expr, max_size, small).visit(expr), "inline")


def _small_globals(mod: IRModule, max_size: int) -> dict[GlobalVar, Function]:
    """The non-recursive, monomorphic globals of `mod` with bodies of at most `max_size`."""
    recursive = recursive_globals(mod)
    return {
        g: f
        for g, f in mod.functions.items()
        if not f.type_params
        and node_size(f.body, max_size) <= max_size
        and g.name_hint not in recursive
    }


class _Inliner(ExprMutator):
    def __init__(self, expr: Expr, max_size: int, small_globals: dict):
        super().__init__()
        self.max_size = max_size
        self.counts = use_counts(expr)
        self.known: dict[int, Function] = {}  # let-bound variable -> its function
        self.globals = small_globals
        self.inlined: dict[int, int] = {}  # let-bound variable -> calls of it inlined

    def visit_let(self, expr: Let) -> Expr:
        lets = []
        while isinstance(expr, Let):
            lets.append((expr, self.binding(expr)))
            expr = expr.body
        result = self.visit(expr)
        # a binding every use of which was a call, now inlined, is dropped: never built
        kept = [(let, value) for let, value in lets if not self.fully_inlined(let.var)]
        return rebuild_lets(kept, result)

    def binding(self, let: Let) -> Expr:
        """The rewritten value of `let`, remembering it when it is an inlinable function."""
        value = self.visit(let.value)
        monomorphic = isinstance(value, Function) and not value.type_params
        if monomorphic and all(v is not let.var for v in free_vars(let.value)):  # not recursive
            self.known[id(let.var)] = value
        return value

    def fully_inlined(self, var: Var) -> bool:
        return self.inlined.get(id(var), 0) == self.counts.get(id(var), 0) > 0

    def visit_call(self, expr: Call) -> Expr:
        call = super().visit_call(expr)
        func = self.callee(expr.op, call.op)
        if func is None:
            return call
        return bind_params(func, call.args)

    def callee(self, original: Expr, op: Expr) -> Function | None:
        """The function to inline for a call of `op` (`original` before rewriting), if any."""
        if isinstance(op, Function):
            return None if op.type_params else op
        if isinstance(op, GlobalVar):
            found = self.globals.get(op)
            return None if found is None else self.visit(found)  # its own calls inlined too
        func = self.known.get(id(original)) if isinstance(original, Var) else None
        if func is None:
            return None
        called_once = self.counts.get(id(original)) == 1
        if called_once or node_size(func.body, self.max_size) <= self.max_size:
            self.inlined[id(original)] = self.inlined.get(id(original), 0) + 1
            return func
        return None
