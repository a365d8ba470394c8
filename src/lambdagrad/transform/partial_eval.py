"""Online partial evaluation with partially static values and a static store.

The evaluator runs the program on values that are partly known at compile time: constants,
tuples, closures, constructor values, references whose cells live in a static store, and zeros
of a known tensor type (each gradient ref starts as one; ``x + zeros`` is ``x``). What it
cannot decide is emitted as residual code. This is what turns higher-order AD output back into
first-order code: the backpropagator closures are known, so calling them inlines their bodies;
the gradient refs are known cells, so reads are replaced by their contents and the refs vanish.

It is written in continuation-passing style. At a dynamic ``if`` or ``match`` the rest of the
computation (the continuation) is specialized into every branch, each with its own copy of the
store, so a dynamic condition does not stop refs from being removed after it; a budget bounds
that duplication, past which the store is joined conservatively (refs are materialized and
their contents forgotten). Recursive calls are unfolded only on fully static arguments, of
a callee capturing only static values (within a budget), and a recursive closure once per call
on partly dynamic ones, so recursion over static data folds to its value and the pass always
terminates.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

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
    If,
    Let,
    Match,
    Pattern,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    PatternWildcard,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
    map_pattern,
    pattern_vars,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import IncompleteType, TensorType, TypeVar, is_static_tensor
from ..ir.visitor import Block, children
from ..ops.registry import make_call, op_def
from ..typing.unify import type_children
from .anf import to_anf
from .effects import ATOMS, check_target, node_size, recursive_globals

FOLD_LIMIT = 1_000  # largest constant (in elements) that folding may create
# Inlined calls per run: at least this many, or one per node of the function evaluated if it
# has more (the backpropagator of a long program is one closure call per op), so that
# evaluation always terminates and its work stays proportional to the program's size.
UNFOLD_BUDGET = 100_000
FORK_BUDGET = 16  # how many times a continuation may be specialized into branches
# Recursive calls on fully static arguments unfolded per run: they compute a static value, as
# Relay's partial evaluator folds map, double or a triangle number over static data; the
# budget stops a recursion that never ends (such a call stays a call).
RECURSION_BUDGET = 1_000
NOT_FOLDED = ("annotation.checkpoint",)


class PValue:
    """A partially static value; subclasses say what is known."""


@dataclass(eq=False)
class Dyn(PValue):
    """Known only at run time: `atom` (a variable, global or constant) holds it."""

    atom: Expr


@dataclass(eq=False)
class SConst(PValue):
    """A known tensor."""

    const: Constant


@dataclass(eq=False)
class SZeros(PValue):
    """``zeros_like(like)`` of static tensor type `type`: emitted only where a value must exist.

    Every gradient ref starts as one and most are first added to: knowing the zero here
    spares emitting it and the addition (and the later passes their work on them).
    """

    like: Expr
    type: TensorType


@dataclass(eq=False)
class STuple(PValue):
    fields: list


@dataclass(eq=False)
class SCtor(PValue):
    ctor: Constructor
    fields: list


@dataclass(eq=False)
class SClosure(PValue):
    """A known function literal and the values of its free variables."""

    func: Function
    env: dict
    name: str = "f"


@dataclass(eq=False)
class SGlobal(PValue):
    gvar: GlobalVar


@dataclass(eq=False)
class SRef(PValue):
    """A reference whose cell is tracked in the store."""

    cell: int


@dataclass(frozen=True)
class CellState:
    """A cell in one path's store: its contents (None: unknown) and its residual ref var."""

    value: PValue | None
    var: Var | None = None


@dataclass
class Path:
    """Everything that differs between branches: the store, the residual names of values and
    how many times each function is being inlined (the inlining "stack", as counts)."""

    store: dict[int, CellState] = field(default_factory=dict)
    # id of a value -> (the value, its atom): the entry keeps the value alive, or a new
    # value could reuse a freed value's id and be mistaken for it
    residual: dict[int, tuple[PValue, Expr]] = field(default_factory=dict)
    active: dict = field(default_factory=dict)

    def fork(self) -> Path:
        return Path(dict(self.store), dict(self.residual), dict(self.active))

    def enter(self, identity) -> None:
        self.active[identity] = self.active.get(identity, 0) + 1

    def leave(self, identity) -> None:
        self.active[identity] -= 1


Continuation = Callable[[PValue], Expr]


def partial_evaluate(target, mod: IRModule | None = None):
    """Partially evaluate a function (or every function of a module).

    Known closures are inlined, known refs are read through and disappear, matches on known
    constructors are decided and ops on small constants are folded.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr('''
    ... fn (%x: float32) {
    ...   let %r = ref(%x);
    ...   let %u = ref_write(%r, add(ref_read(%r), 1f));
    ...   ref_read(%r)
    ... }''')
    >>> print(partial_evaluate(f))
    fn (%x: float32) {
      let %add = add(%x, 1f);
      %add
    }
    """
    check_target("partial_evaluate", target, mod)
    if not isinstance(target, IRModule | Function):  # an expression: its free vars are dynamic
        return partial_evaluate(Function([], target), mod).body
    if isinstance(target, IRModule):
        normal, sizes = _evaluable_module(target)
        out = target.copy()
        recursive = recursive_globals(normal)
        for gvar, func in normal.functions.items():
            evaluator = PartialEvaluator(normal, sizes[gvar.name_hint], recursive)
            out[gvar] = run_deep(without_gc, evaluator.top_level, func)
        return out
    normal_mod = _evaluable_module(mod)[0] if mod is not None else IRModule()
    func, size = _evaluable(target)
    evaluator = PartialEvaluator(normal_mod, size, recursive_globals(normal_mod))
    return run_deep(without_gc, evaluator.top_level, func)


def _evaluable_module(mod: IRModule) -> tuple[IRModule, dict[str, int]]:
    out, sizes = mod.copy(), {}
    for gvar, func in mod.functions.items():
        out[gvar], sizes[gvar.name_hint] = _evaluable(func)
    return out, sizes


def _evaluable(func: Function) -> tuple[Function, int]:
    """`func` in a form the evaluator can run, and its size in nodes: as it is when it
    already is, else in A-normal form. (Higher-order AD output already is; normalizing it
    cost as much as evaluating it.)"""
    size = _ready_size(func)
    if size is not None:
        return func, size
    normal = to_anf(func)
    return normal, node_size(normal, sys.maxsize)


def _ready_size(expr: Expr) -> int | None:
    """The number of compound nodes of `expr` when no compound node is shared and control
    flow and calls of functions appear only where the evaluator has a continuation (a let's
    value or body, a branch, a body); None when it is not so."""
    seen: set[int] = set()
    continued: list[Expr] = [expr]  # evaluated by `eval`, with a continuation
    operands: list[Expr] = []  # evaluated by `value`, which cannot fork
    while continued or operands:
        as_operand = bool(operands)
        node = operands.pop() if as_operand else continued.pop()
        kind = type(node)
        if kind in _ATOM_TYPES:
            continue
        if id(node) in seen or (as_operand and _may_fork(node)):
            return None
        seen.add(id(node))
        if kind is Let:
            continued += (node.value, node.body)
        elif kind is Function:
            continued.append(node.body)
        elif kind is If:
            operands.append(node.cond)
            continued += (node.true_branch, node.false_branch)
        elif kind is Match:
            operands.append(node.data)
            continued += (c.rhs for c in node.clauses)
        else:
            operands += children(node)
    return len(seen)


_ATOM_TYPES = frozenset(ATOMS)


class PartialEvaluator:
    """Evaluates one function; see the module docstring."""

    def __init__(self, mod: IRModule, size: int = 0, recursive: frozenset[str] = frozenset()):
        self.mod = {gvar.name_hint: f for gvar, f in mod.functions.items()}  # in A-normal form
        self.recursive = recursive  # names of the globals in call cycles
        self.path = Path()
        self.block = Block()
        self.forks_left = FORK_BUDGET
        self.unfolds_left = max(UNFOLD_BUDGET, size)
        self.next_cell = 0
        self.captures: dict[int, list[Var]] = {}
        self.closure_bodies = 0  # how many residual closure bodies are being evaluated
        self.recursions_left = RECURSION_BUDGET

    # ---- entry points
    def top_level(self, func: Function) -> Function:
        env = {p: Dyn(p) for p in func.params}
        body = self.scope(lambda: self.eval(func.body, env, self.residual_result))
        return Function(func.params, body, func.ret_type, func.type_params, span=func.span)

    def scope(self, run: Callable[[], Expr]) -> Expr:
        """Run `run` with a fresh block; its bindings wrap the expression it returns."""
        saved, self.block = self.block, Block()
        try:
            body = run()
            return self.block.close(body)
        finally:
            self.block = saved

    def residual_result(self, value: PValue) -> Expr:
        return self.residualize(value)

    # ---- evaluation (continuation-passing)
    def eval(self, expr: Expr, env: dict, k: Continuation) -> Expr:
        if isinstance(expr, Let):
            return self.eval_let(expr, env, k)
        if isinstance(expr, If):
            return self.eval_if(expr, env, k)
        if isinstance(expr, Match):
            return self.eval_match(expr, env, k)
        if isinstance(expr, Call) and not isinstance(expr.op, Op | Constructor):
            return self.eval_call(expr, env, k)
        return k(self.value(expr, env))

    def eval_let(self, expr: Let, env: dict, k: Continuation) -> Expr:
        # Bindings that cannot fork are evaluated in a loop: long chains must not recurse.
        while isinstance(expr, Let) and not _may_fork(expr.value):
            if isinstance(expr.value, Function):  # bound first: a let-bound closure may recurse
                env[expr.var] = self.closure(expr.value, env, expr.var)
            else:
                env[expr.var] = self.bound_value(expr, env)
            expr = expr.body
        if not isinstance(expr, Let):
            return self.eval(expr, env, k)
        let = expr

        def bind(value: PValue) -> Expr:
            env[let.var] = value
            return self.eval(let.body, env, k)

        return self.eval(let.value, env, bind)

    def bound_value(self, let: Let, env: dict) -> PValue:
        """The value of a let that cannot fork. An op call without a type of its own is
        emitted with the let's annotation: AD annotates the result of each gradient rule (not
        its inner calls), and the zeros rules here and `simplify` read types off atoms."""
        value, ty = let.value, let.var.type_annotation
        untyped_op = type(value) is Call and isinstance(value.op, Op) and value.checked_type is None
        if ty is not None and untyped_op:
            return self.v_call(value, env, _concrete(ty))
        return self.value(value, env)

    def value(self, expr: Expr, env: dict) -> PValue:
        """Values of expressions that never fork: atoms and single operations on atoms."""
        handler = _VALUE_HANDLERS.get(type(expr))
        if handler is None:
            raise Error(f"partial_evaluate: unexpected {type(expr).__name__} in A-normal form")
        return handler(self, expr, env)

    def v_var(self, expr: Var, env: dict) -> PValue:
        return env.get(expr) or Dyn(expr)

    def v_global(self, expr: GlobalVar, env: dict) -> PValue:
        return SGlobal(expr) if expr.name_hint in self.mod else Dyn(expr)

    def v_constant(self, expr: Constant, env: dict) -> PValue:
        return SConst(expr)

    def v_tuple(self, expr: Tuple, env: dict) -> PValue:
        return STuple([self.value(f, env) for f in expr.fields])

    def v_function(self, expr: Function, env: dict) -> PValue:
        return self.closure(expr, env, None)

    def v_constructor(self, expr: Constructor, env: dict) -> PValue:
        return Dyn(expr)

    def v_tuple_get_item(self, expr: TupleGetItem, env: dict) -> PValue:
        value = self.value(expr.tuple_value, env)
        if isinstance(value, STuple):
            return value.fields[expr.index]
        atom = self.residualize(value)
        return Dyn(
            self.block.emit("proj", TupleGetItem(atom, expr.index), checked_type=expr.checked_type)
        )

    def v_call(self, expr: Call, env: dict, ty=None) -> PValue:
        """An op or constructor call; `ty`, when given, types a call that has no type."""
        args = [self.value(a, env) for a in expr.args]
        if isinstance(expr.op, Constructor):
            return SCtor(expr.op, args)
        known = self.fold(expr, args) or self.with_zeros(expr, args)
        if known is not None:
            return known
        atoms = [self.residualize(a) for a in args]
        ty = expr.checked_type or ty
        call = Call(expr.op, atoms, expr.attrs, checked_type=ty)
        return Dyn(self.block.emit(expr.op.name.split(".")[-1], call, checked_type=ty))

    def fold(self, expr: Call, args: list) -> PValue | None:
        """An op on known small constants, computed now."""
        if expr.op.name in NOT_FOLDED or not all(isinstance(a, SConst) for a in args):
            return None
        definition = op_def(expr.op)
        if definition.impl is None or definition.num_inputs == 0:
            return None
        try:
            result = definition.impl(*(a.const.data for a in args), **expr.attrs)
        except (ValueError, TypeError, IndexError, ArithmeticError):
            return None  # leave the failure to run time, where it is reported properly
        if not isinstance(result, np.ndarray) or result.size > FOLD_LIMIT:
            return None
        return SConst(Constant(result))

    def with_zeros(self, expr: Call, args: list) -> PValue | None:
        """`zeros_like` of a tensor of static type stays symbolic; adding such a zero (or
        subtracting it) gives the other operand when that has the zero's type."""
        name = expr.op.name
        if name == "zeros_like":
            if isinstance(args[0], SZeros):
                return args[0]  # zeros like zeros: the same zeros
            ty = self.static_type(args[0])
            return None if ty is None else SZeros(self.residualize(args[0]), ty)
        if name not in ("add", "subtract"):
            return None
        x, y = args
        if isinstance(y, SZeros) and self.static_type(x) == y.type:
            return x
        if name == "add" and isinstance(x, SZeros) and self.static_type(y) == x.type:
            return y
        return None

    def static_type(self, value: PValue) -> TensorType | None:
        """The tensor type of `value` when it is known here with every dimension, else None."""
        if isinstance(value, SZeros):
            return value.type
        if isinstance(value, SConst):
            data = value.const.data
            return TensorType(data.shape, data.dtype.name)
        if not isinstance(value, Dyn) or not isinstance(value.atom, Var):
            return None
        atom = value.atom
        ty = atom.checked_type or atom.type_annotation
        return ty if is_static_tensor(ty) else None

    def v_ref_create(self, expr: RefCreate, env: dict) -> PValue:
        cell = self.next_cell
        self.next_cell += 1
        self.path.store[cell] = CellState(self.value(expr.value, env))
        return SRef(cell)

    def v_ref_read(self, expr: RefRead, env: dict) -> PValue:
        ref = self.value(expr.ref, env)
        if isinstance(ref, SRef):
            state = self.path.store[ref.cell]
            if state.value is not None:
                return state.value
        atom = self.residualize(ref)
        return Dyn(self.block.emit("read", RefRead(atom), checked_type=expr.checked_type))

    def v_ref_write(self, expr: RefWrite, env: dict) -> PValue:
        ref, value = self.value(expr.ref, env), self.value(expr.value, env)
        if isinstance(ref, SRef):
            state = self.path.store[ref.cell]
            if state.var is not None:  # escaped: unknown code may read it, so really write it
                self.block.emit("_", RefWrite(state.var, self.residualize(value)))
            self.path.store[ref.cell] = CellState(value, state.var)
            return STuple([])
        self.block.emit("_", RefWrite(self.residualize(ref), self.residualize(value)))
        self.forget_escaped_cells()  # the written ref may alias any escaped one
        return STuple([])

    # ---- calls
    def eval_call(self, expr: Call, env: dict, k: Continuation) -> Expr:
        callee = self.value(expr.op, env)
        args = [self.value(a, env) for a in expr.args]
        func = self.known_function(callee)
        if func is not None and self.may_unfold(callee, args):
            return self.unfold(func, callee, args, k)
        return k(self.dynamic_call(expr, callee, args))

    def known_function(self, callee: PValue) -> Function | None:
        if isinstance(callee, SClosure):
            return callee.func
        if isinstance(callee, SGlobal):
            return self.mod[callee.gvar.name_hint]
        return None

    def may_unfold(self, callee: PValue, args: list) -> bool:
        """Inline a function value unless it is already being inlined here (recursion) on
        arguments not all static.

        Closures are told apart by value, not by their literal: the backpropagator chain
        calls many closures made from one literal, one inside the other, without recursing.
        """
        if self.unfolds_left <= 0:
            return False
        if self.path.active.get(_identity(callee)) or self.recursive_global(callee):
            return self.static_recursion(callee, args)
        return not (self.closure_bodies and self.emitted(callee))

    def recursive_global(self, callee: PValue) -> bool:
        """A recursive global is not peeled on partly dynamic arguments: unfolding one step
        would copy its body (its gradient's many backpropagator closures) into the caller
        and gain nothing, as the remaining steps run through the call anyway."""
        return isinstance(callee, SGlobal) and callee.gvar.name_hint in self.recursive

    def static_recursion(self, callee: PValue, args: list) -> bool:
        """Whether to unfold a recursive call once more: on fully static arguments, of a
        callee that captures only static values, within the budget. (A dynamic value
        reaching the body through a closure could decide when the recursion stops: each
        unfolding would copy the body to no end, up to the budget.)"""
        if self.recursions_left <= 0 or not _static([callee, *args]):
            return False
        self.recursions_left -= 1
        return True

    def emitted(self, callee: PValue) -> bool:
        """Whether `callee` is a closure already emitted as residual code on this path.

        Inside a residual closure's body such a closure is called, not inlined: the
        backpropagator chain written to an escaped ref emits each closure, and inlining the
        ones before it into each would copy the whole chain into every closure (code
        quadratic in the program). Refs are unknown in a residual body, so inlining there
        would remove none.
        """
        return isinstance(callee, SClosure) and id(callee) in self.path.residual

    def unfold(self, func: Function, callee: PValue, args: list, k: Continuation) -> Expr:
        """Inline a known function: evaluate its body with the caller's continuation."""
        env = dict(callee.env) if isinstance(callee, SClosure) else {}
        env.update(zip(func.params, args, strict=True))
        self.unfolds_left -= 1
        identity = _identity(callee)
        self.path.enter(identity)

        def back(value: PValue) -> Expr:
            self.path.leave(identity)  # on whichever path returns: each branch has its copy
            return k(value)

        return self.eval(func.body, env, back)

    def dynamic_call(self, expr: Call, callee: PValue, args: list) -> PValue:
        """A call the evaluator does not unfold: residualize it; it may touch escaped refs."""
        atoms = [self.residualize(a) for a in args]
        target = self.residualize(callee)
        result = self.block.emit("call", Call(target, atoms), checked_type=expr.checked_type)
        self.forget_escaped_cells()
        return Dyn(result)

    def forget_escaped_cells(self) -> None:
        store = self.path.store
        for cell, state in store.items():
            if state.var is not None and state.value is not None:
                store[cell] = CellState(None, state.var)

    # ---- control flow
    def eval_if(self, expr: If, env: dict, k: Continuation) -> Expr:
        cond = self.value(expr.cond, env)
        if isinstance(cond, SConst):
            branch = expr.true_branch if bool(cond.const.data) else expr.false_branch
            return self.eval(branch, env, k)
        atom = self.residualize(cond)
        arms = [(expr.true_branch, dict(env)), (expr.false_branch, dict(env))]
        bodies, specialized = self.branches(arms, k)
        return self.after_branches(If(atom, *bodies), specialized, expr.checked_type, k)

    def branches(self, arms: list, k: Continuation) -> tuple[list[Expr], bool]:
        """Evaluate each arm (body, env) on a path of its own.

        With budget left, each arm goes on with the continuation `k` itself (specialized per
        branch). Past the budget the arms only compute their values and are joined: every
        tracked cell gets a real ref first, and afterwards their contents count as unknown.
        """
        if self.forks_left >= len(arms) - 1:
            self.forks_left -= len(arms) - 1
            return [self.arm(body, env, k) for body, env in arms], True
        self.materialize_all()
        bodies = [self.arm(body, env, self.residual_result) for body, env in arms]
        self.forget_escaped_cells()
        return bodies, False

    def after_branches(self, residual: Expr, specialized: bool, ty, k: Continuation) -> Expr:
        if specialized:
            return residual  # the continuation is already inside every branch
        joined = self.block.emit("joined", residual, checked_type=ty)
        return k(Dyn(joined))

    def arm(self, body: Expr, env: dict, k: Continuation) -> Expr:
        saved = self.path
        self.path = saved.fork()
        try:
            return self.scope(lambda: self.eval(body, env, k))
        finally:
            self.path = saved

    def materialize_all(self) -> None:
        """Give every tracked cell a residual ref, so that branches write it for real."""
        for cell in list(self.path.store):
            self.residualize(SRef(cell))

    def eval_match(self, expr: Match, env: dict, k: Continuation) -> Expr:
        data = self.value(expr.data, env)
        for clause in expr.clauses:
            bindings: dict = {}
            verdict = _static_match(clause.lhs, data, bindings)
            if verdict is False:
                continue
            if verdict is True:
                env.update(bindings)
                return self.eval(clause.rhs, env, k)
            break  # undecided: the match must happen at run time
        return self.dynamic_match(expr, data, env, k)

    def dynamic_match(self, expr: Match, data: PValue, env: dict, k: Continuation) -> Expr:
        atom = self.residualize(data)
        patterns, arms = [], []
        for clause in expr.clauses:
            renamed: dict = {}
            patterns.append(_fresh_pattern(clause.lhs, renamed))
            arm_env = dict(env)
            arm_env.update({old: Dyn(new) for old, new in renamed.items()})
            arms.append((clause.rhs, arm_env))
        bodies, specialized = self.branches(arms, k)
        clauses = [Clause(p, body) for p, body in zip(patterns, bodies, strict=True)]
        residual = Match(atom, clauses, expr.complete)
        return self.after_branches(residual, specialized, expr.checked_type, k)

    # ---- closures and residual code
    def closure(self, func: Function, env: dict, self_var: Var | None) -> SClosure:
        captures = self.captures.get(id(func))
        if captures is None:
            captures = self.captures[id(func)] = _captured(func)
        closure = SClosure(func, {}, self_var.name_hint if self_var else "fn")
        closure.env.update({v: env.get(v) or Dyn(v) for v in captures if v is not self_var})
        if self_var is not None:
            closure.env[self_var] = closure
        return closure

    def residualize(self, value: PValue) -> Expr:
        """An atom holding `value` at run time, emitting the code that builds it if needed."""
        if isinstance(value, Dyn):
            return value.atom
        if isinstance(value, SConst):
            return value.const
        if isinstance(value, SGlobal):
            return value.gvar
        known = self.path.residual.get(id(value))
        if known is not None:
            return known[1]
        atom = _RESIDUALIZERS[type(value)](self, value)
        self.path.residual[id(value)] = (value, atom)
        return atom

    def r_zeros(self, value: SZeros) -> Expr:
        call = make_call("zeros_like", [value.like])
        return self.block.emit("zeros_like", call, checked_type=value.type)

    def r_tuple(self, value: STuple) -> Expr:
        return self.block.emit("tuple", Tuple([self.residualize(f) for f in value.fields]))

    def r_ctor(self, value: SCtor) -> Expr:
        fields = [self.residualize(f) for f in value.fields]
        return self.block.emit(value.ctor.name_hint.lower(), Call(value.ctor, fields))

    def r_ref(self, value: SRef) -> Expr:
        state = self.path.store[value.cell]
        if state.var is not None:
            return state.var
        contents = self.residualize(state.value) if state.value is not None else None
        var = self.block.emit("ref", RefCreate(contents))
        self.path.store[value.cell] = CellState(state.value, var)
        return var

    def r_closure(self, value: SClosure) -> Expr:
        """Emit the function literal; its body is evaluated with nothing known about refs."""
        func = value.func
        name = Var(value.name)
        self.path.residual[id(value)] = (value, name)  # a recursive closure uses its name
        for captured in value.env.values():
            if captured is not value:
                self.residualize(captured)  # captured refs escape into the body
        self.forget_escaped_cells()
        params = [Var(p.name_hint, _concrete(p.type_annotation)) for p in func.params]
        env = dict(value.env)
        env.update({p: Dyn(q) for p, q in zip(func.params, params, strict=True)})
        saved = self.path
        self.path = saved.fork()
        self.path.enter(_identity(value))  # its recursive calls stay calls
        self.closure_bodies += 1
        try:
            body = self.scope(lambda: self.eval(func.body, env, self.residual_result))
        finally:
            self.path = saved
            self.closure_bodies -= 1
        self.block.bindings.append((name, Function(params, body, _concrete(func.ret_type))))
        return name


def _may_fork(value: Expr) -> bool:
    """Whether evaluating `value` may need the continuation: control flow or a call."""
    if isinstance(value, Let | If | Match):
        return True
    return isinstance(value, Call) and not isinstance(value.op, Op | Constructor)


def _captured(func: Function) -> list[Var]:
    """The free variables of a function literal, in one pass (this runs once per closure)."""
    bound: set[Var] = set(func.params)
    used: dict[Var, None] = {}
    stack: list = [func.body]
    while stack:
        node = stack.pop()
        if type(node) is Var:
            used[node] = None
            continue
        if isinstance(node, Let):
            bound.add(node.var)
            stack.extend((node.value, node.body))
        elif isinstance(node, Function):
            bound.update(node.params)
            stack.append(node.body)
        elif isinstance(node, Match):
            stack.append(node.data)
            for clause in node.clauses:
                bound.update(pattern_vars(clause.lhs))
                stack.append(clause.rhs)
        else:
            stack.extend(children(node))
    return [v for v in used if v not in bound]


def _concrete(ty):
    """`ty` if it names no type variable, else None.

    Residual code keeps annotations where it can (an empty list or an unused parameter may be
    typed by nothing else), but one mentioning a type variable of an inlined polymorphic
    function would be out of scope where the code lands.
    """
    if ty is None:
        return None
    stack = [ty]
    while stack:
        t = stack.pop()
        if isinstance(t, TypeVar | IncompleteType):
            return None
        stack.extend(type_children(t))
    return ty


def _static(values: list) -> bool:
    """Whether `values` are known entirely: constants, globals, closures capturing only
    such values, and tuples and constructor values of such (the store's refs and symbolic
    zeros are not)."""
    stack, seen = list(values), set()
    while stack:
        item = stack.pop()
        if id(item) in seen:  # a recursive closure captures itself
            continue
        seen.add(id(item))
        if isinstance(item, STuple | SCtor):
            stack.extend(item.fields)
        elif isinstance(item, SClosure):
            stack.extend(item.env.values())
        elif not isinstance(item, SConst | SGlobal):
            return False
    return True


def _identity(callee: PValue):
    return callee.gvar.name_hint if isinstance(callee, SGlobal) else id(callee)


def _static_match(pattern: Pattern, value: PValue, bindings: dict) -> bool | None:
    """True or False when `value` is known enough to decide the match, else None."""
    match pattern:
        case PatternWildcard():
            return True
        case PatternVar(var=var):
            bindings[var] = value
            return True
        case PatternConstructor(constructor=ctor, patterns=subs):
            if not isinstance(value, SCtor):
                return None
            if value.ctor.name_hint != ctor.name_hint:
                return False
            return _all_match(subs, value.fields, bindings)
        case PatternTuple(patterns=subs):
            if not isinstance(value, STuple):
                return None
            return _all_match(subs, value.fields, bindings)
    return None


def _all_match(patterns, values, bindings: dict) -> bool | None:
    verdicts = [_static_match(p, v, bindings) for p, v in zip(patterns, values, strict=True)]
    if any(v is False for v in verdicts):
        return False
    return True if all(verdicts) else None


def _fresh_pattern(pattern: Pattern, renamed: dict) -> Pattern:
    """`pattern` with new variables (recorded old -> new), so each residual match binds its own."""

    def fresh(var: Var) -> Var:
        renamed[var] = Var(var.name_hint, _concrete(var.type_annotation))
        return renamed[var]

    return map_pattern(pattern, fresh)


_VALUE_HANDLERS = {
    Var: PartialEvaluator.v_var,
    GlobalVar: PartialEvaluator.v_global,
    Constant: PartialEvaluator.v_constant,
    Tuple: PartialEvaluator.v_tuple,
    TupleGetItem: PartialEvaluator.v_tuple_get_item,
    Function: PartialEvaluator.v_function,
    Constructor: PartialEvaluator.v_constructor,
    Call: PartialEvaluator.v_call,
    RefCreate: PartialEvaluator.v_ref_create,
    RefRead: PartialEvaluator.v_ref_read,
    RefWrite: PartialEvaluator.v_ref_write,
}

_RESIDUALIZERS = {
    SZeros: PartialEvaluator.r_zeros,
    STuple: PartialEvaluator.r_tuple,
    SCtor: PartialEvaluator.r_ctor,
    SRef: PartialEvaluator.r_ref,
    SClosure: PartialEvaluator.r_closure,
}
