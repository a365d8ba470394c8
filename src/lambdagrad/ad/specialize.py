"""Specializing globals on the function literals they are called with, before the split.

``@foldl(%step, %h0, %xs)``, with ``%step`` a literal capturing ``%wx`` and ``%b``, becomes
``@foldl_step(%h0, %xs, %wx, %b)``: a clone of ``@foldl`` (instantiated at the call's types)
whose calls of its function parameter call a lambda-lifted global ``@foldl_step_fn(%h, %x,
%wx, %b)`` instead, and whose recursive calls passing that parameter on call the clone. The
program is then first-order, and the forward/backward split (split.py) can take it.

A global qualifies for one parameter when its body only calls that parameter or passes it on,
unchanged and at the same position, to itself; other calls are left as they are.
"""

from __future__ import annotations

from ..ir.expr import Call, Expr, Function, GlobalVar, Let, Var
from ..ir.module import IRModule
from ..ir.visitor import ExprMutator, children, free_vars, pre_order
from ..typing import infer_type
from .activity import _instantiate
from .api import function_of
from .split import _FreshNames


def specialize_closures(expr, mod: IRModule) -> tuple[Function, IRModule]:
    """`expr` (a Function, or a global of `mod`) with its calls of globals on known function
    literals specialized, and a new module holding `mod`'s globals and the specialized ones
    (`mod` is not changed). Run it before ``gradient`` to have a fold over a closure split.

    >>> import lambdagrad as lg
    >>> mod = lg.parse('''
    ... def @main(%xs: List[float32], %w: float32) -> float32 {
    ...   @foldl(fn (%a: float32, %x: float32) { add(multiply(%a, %w), %x) }, 0f, %xs)
    ... }''', prelude=True)
    >>> func, new_mod = specialize_closures(mod.get_global_var("main"), mod)
    >>> print(func.body)
    @foldl_fn(0f, %xs, %w)
    >>> [p.name_hint for p in new_mod["foldl_fn_fn"].params]
    ['a', 'x', 'w']
    """
    func = function_of(expr, mod, "specialize_closures")
    typed = infer_type(mod)
    specializer = _Specializer(typed, _FreshNames(mod).fresh)
    new_func = specializer.run(infer_type(func, mod=typed))
    out = mod.copy()
    for gvar, function in specializer.added.items():
        out[gvar] = function
    return infer_type(new_func, mod=infer_type(out)), out


class _Specializer:
    def __init__(self, typed: IRModule, fresh):
        self.typed = typed
        self.fresh = fresh
        self.clones: dict[tuple[str, int, int], tuple[GlobalVar, list[Var]]] = {}
        self.added: dict[GlobalVar, Function] = {}
        self.queue: list[GlobalVar] = []

    def run(self, func: Function) -> Function:
        out = _without_dead_literals(_CallRewriter(self).visit(func))
        while self.queue:
            gvar = self.queue.pop()
            self.added[gvar] = _without_dead_literals(_CallRewriter(self).visit(self.added[gvar]))
        return out

    def clone(self, call: Call, index: int, literal: Function) -> Call | None:
        """The call of `call`'s global specialized on `literal` at argument `index`."""
        gvar = call.op
        key = (gvar.name_hint, index, id(literal))
        captured = free_vars(literal)
        if key not in self.clones:
            types = tuple(a.checked_type for a in call.args)
            if any(t is None for t in types) or any(v.checked_type is None for v in captured):
                return None
            inst = _instantiate(self.typed[gvar], types, self.typed)
            if not _only_called_or_passed_on(inst, gvar, index):
                return None
            clone = GlobalVar(self.fresh(f"{gvar.name_hint}_{_name(call.args[index])}"))
            lifted = GlobalVar(self.fresh(f"{clone.name_hint}_fn"))
            params = [Var(v.name_hint, v.checked_type) for v in captured]
            self.clones[key] = (clone, params)
            self.added[lifted] = _lifted(literal, captured, self.typed)
            self.added[clone] = _Clone(inst, gvar, index, clone, lifted, params).function()
            self.queue += [lifted, clone]
        clone, _ = self.clones[key]
        args = [a for i, a in enumerate(call.args) if i != index]
        return Call(clone, [*args, *captured])


def _name(arg: Expr) -> str:
    return arg.name_hint if isinstance(arg, Var) else "fn"


def _lifted(literal: Function, captured: list[Var], typed: IRModule) -> Function:
    """`literal` as a closed function taking what it captures after its own parameters."""
    params = [*literal.params, *captured]
    types = tuple(p.checked_type for p in params)
    return _instantiate(Function(params, literal.body), types, typed)


def _only_called_or_passed_on(func: Function, gvar: GlobalVar, index: int) -> bool:
    """Whether `func`'s parameter `index` is only called, or passed to `gvar` unchanged at
    position `index`."""
    param = func.params[index]
    for node in pre_order(func.body):
        for child in children(node):
            if child is param and not _allowed_use(node, param, gvar, index):
                return False
    return True


def _allowed_use(node: Expr, param: Var, gvar: GlobalVar, index: int) -> bool:
    if not isinstance(node, Call):
        return False
    others = [a for i, a in enumerate(node.args) if not (i == index and node.op == gvar)]
    if any(a is param for a in others):
        return False
    return node.op is param or node.op == gvar


class _Clone(ExprMutator):
    """The instantiated global with its function parameter replaced by the lifted global."""

    def __init__(self, inst, gvar, index, clone, lifted, captured):
        super().__init__()
        self.inst, self.gvar, self.index = inst, gvar, index
        self.param = inst.params[index]
        self.clone, self.lifted, self.captured = clone, lifted, captured

    def function(self) -> Function:
        params = [p for i, p in enumerate(self.inst.params) if i != self.index]
        return Function([*params, *self.captured], self.visit(self.inst.body))

    def visit_call(self, call: Call) -> Expr:
        args = [self.visit(a) for a in call.args]
        if call.op is self.param:
            return Call(self.lifted, [*args, *self.captured])
        if call.op == self.gvar and call.args[self.index] is self.param:
            kept = [a for i, a in enumerate(args) if i != self.index]
            return Call(self.clone, [*kept, *self.captured])
        return Call(self.visit(call.op), args, call.attrs, call.type_args)


class _CallRewriter(ExprMutator):
    """Calls of globals on a function literal (or a variable bound to one) specialized."""

    def __init__(self, specializer: _Specializer):
        super().__init__()
        self.specializer = specializer
        self.literals: dict[Var, Function] = {}

    def visit_let(self, expr: Let) -> Expr:
        node = expr
        while isinstance(node, Let):
            if isinstance(node.value, Function) and node.var not in free_vars(node.value):
                self.literals[node.var] = node.value
            node = node.body
        return super().visit_let(expr)

    def visit_call(self, call: Call) -> Expr:
        if isinstance(call.op, GlobalVar) and call.op in self.specializer.typed:
            for index, arg in enumerate(call.args):
                literal = arg if isinstance(arg, Function) else self.literals.get(arg)
                if literal is not None:
                    new = self.specializer.clone(call, index, literal)
                    if new is not None:
                        return self.visit(new)
        return super().visit_call(call)


def _without_dead_literals(func: Function) -> Function:
    """`func` without the let-bound function literals nothing uses any more."""
    return _DropDeadLiterals().visit(func)


class _DropDeadLiterals(ExprMutator):
    def visit_let(self, expr: Let) -> Expr:
        body = self.visit(expr.body)
        if isinstance(expr.value, Function) and expr.var not in free_vars(body):
            return body
        value = self.visit(expr.value)
        if value is expr.value and body is expr.body:
            return expr
        return Let(expr.var, value, body)
