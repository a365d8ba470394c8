"""Reverse mode by a forward/backward split of each global: no refs, no closures.

For first-order programs that recurse (see `split_gradient`), each reached global ``@f`` that
carries gradients becomes two derived globals:

- ``@f_grad_fwd(args) -> (result, residual)``: the original computation; the residual is a value
  of a new ADT shaped like the recursion (``f_res``: the intermediates the backward pass
  reads, the residuals of the callees, and for each ``if`` or ``match`` on the way a value of
  one more ADT with a constructor per branch);
- ``@f_grad_bwd(residual, out_grad, accumulators...) -> gradients``: walks the residual and
  returns the parameters' gradients as values. A parameter that every call site passes one
  of its own parameters (the weights of a model) is *threaded*: the backward pass takes its
  gradient so far and returns it with its own contributions added, so a branch that does
  not touch it adds nothing (no zeros per step).

The differentiated function itself runs its forward code, then its backward code, in one
body. Adjoints are summed per variable before a gradient rule is applied (as first-order AD
does), zero adjoints stay symbolic, and the gradient rules are the ops' own.

Programs with closures, refs, polymorphic globals or checkpoints are left to the
higher-order algorithm (``split_gradient`` returns None), and so are programs without
recursion: partial evaluation removes every ref and closure of their higher-order gradients
already. A fold over a known closure becomes first-order by ``specialize_closures``
(specialize.py), a step to run before ``gradient``.
"""

from __future__ import annotations

from functools import partial

from ..errors import GradientError
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
    Tuple,
    TupleGetItem,
    Var,
    pattern_vars,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import (
    FuncType,
    GlobalTypeVar,
    RefType,
    TupleType,
    Type,
    TypeCall,
    TypeData,
    TypeVar,
)
from ..ir.visitor import ExprMutator, make_lets, pre_order, replace_node
from ..ops.gradients import gradient_of, is_non_differentiable
from ..transform.anf import to_anf
from ..transform.effects import recursive_globals
from ..typing import infer_type
from ..typing.unify import type_children
from .adjoints import Adjoints
from .split_values import GradientValues
from .structure import has_float_leaf
from .transformer import CHECKPOINT


class NotQualified(Exception):
    """The program needs the higher-order algorithm (internal: never reaches the user)."""


def split_gradient(
    func: Function,
    mod: IRModule,
    typed_mod: IRModule,
    with_cotangent: bool,
    wrt: tuple[int, ...] | None,
) -> Function | None:
    """The gradient of typed `func` by the forward/backward split, or None when the program
    does not qualify: `func` and the globals it reaches must be monomorphic and first-order
    (tensors, tuples and ADTs of them; let, op calls, tuples, if, match, constructors and
    calls of globals), at least one of them recursive. Adds the split globals and residual
    ADTs to `mod`.

    The result has the type ``gradient`` documents: ``fn(params) -> (result, (grads...))``,
    the gradients of the parameters at `wrt` (all of them when None).
    """
    names = _FreshNames(mod)
    try:
        reached = _reached_globals(func, typed_mod)
        if not recursive_globals(IRModule(reached)):
            # without recursion partial evaluation already removes every ref and closure
            # of the higher-order output
            return None
        anf = _anf_program(func, reached, typed_mod)
        chosen = list(range(len(func.params))) if wrt is None else list(wrt)
        values = GradientValues(mod, anf.mod.type_definitions, names.fresh)
        activity = Activity(anf.entry, anf.mod, chosen, values)
    except NotQualified:
        return None
    return Splitter(mod, anf, activity, values, names).gradient(with_cotangent, chosen)


# -- which programs qualify ----------------------------------------------------------------


def _data_type(ty: Type) -> bool:
    """Tensors, tuples and concrete ADTs of them: no functions, refs or type variables."""
    if isinstance(ty, FuncType | RefType | TypeVar):
        return False
    return all(_data_type(t) for t in type_children(ty))


def _check_function(func: Function) -> None:
    if func.type_params:
        raise NotQualified
    sig = func.checked_type
    if not isinstance(sig, FuncType) or not all(map(_data_type, (*sig.arg_types, sig.ret_type))):
        raise NotQualified
    for node in pre_order(func.body):
        _check_node(node)


def _check_node(node: Expr) -> None:
    match node:
        case Function():
            raise NotQualified
        case Call(op=Op() as op) if op.name == CHECKPOINT:
            raise NotQualified
        case Call(op=Op() | Constructor() | GlobalVar()):
            return
        case Call():
            raise NotQualified
        case Var() | Constant() | Let() | Tuple() | TupleGetItem() | If() | Match():
            return
        case GlobalVar() | Constructor() | Op():
            return  # as callees (values are rejected by their parents' checks below)
    raise NotQualified


def _reached_globals(func: Function, typed: IRModule) -> dict[GlobalVar, Function]:
    """The globals `func` reaches; NotQualified unless all of them and `func` are first-order."""
    _check_function(func)
    reached: dict[GlobalVar, Function] = {}
    stack = [func]
    while stack:
        for node in pre_order(stack.pop()):
            for callee in _callees(node):
                if callee not in reached:
                    reached[callee] = typed[callee]
                    _check_function(reached[callee])
                    stack.append(reached[callee])
            _check_values(node)
    return reached


def _callees(node: Expr) -> list[GlobalVar]:
    if isinstance(node, Call) and isinstance(node.op, GlobalVar):
        return [node.op]
    return []


def _check_values(node: Expr) -> None:
    """Globals, constructors and ops only as callees."""
    values = []
    match node:
        case Call(args=args):
            values = args
        case Tuple(fields=fields):
            values = fields
        case TupleGetItem(tuple_value=value):
            values = [value]
        case Let(value=value, body=body):
            values = [value, body]
        case If(cond=cond, true_branch=then, false_branch=other):
            values = [cond, then, other]
        case Match(data=data, clauses=clauses):
            values = [data, *(c.rhs for c in clauses)]
    if any(isinstance(v, GlobalVar | Constructor | Op) for v in values):
        raise NotQualified


class _AnfProgram:
    """The differentiated function and the globals it reaches, typed, in A-normal form."""

    def __init__(self, entry: Function, mod: IRModule):
        self.entry = entry
        self.mod = mod


def _anf_program(func: Function, reached: dict, typed: IRModule) -> _AnfProgram:
    """`func` and the globals it reaches, in A-normal form and typed (their own copy), with
    each wildcard pattern binding a variable: the gradient of a matched value is built back
    from its parts, the ones a wildcard skips included."""
    named = {g: _NameWildcards().visit(f) for g, f in reached.items()}
    sub = IRModule(named, dict(typed.type_definitions))
    mod = infer_type(to_anf(sub))
    return _AnfProgram(infer_type(to_anf(_NameWildcards().visit(func)), mod=mod), mod)


class _NameWildcards(ExprMutator):
    def visit_clause(self, clause: Clause) -> Clause:
        return Clause(_named(clause.lhs), self.visit(clause.rhs))


def _named(pattern: Pattern) -> Pattern:
    """`pattern` with a new variable for each wildcard."""
    match pattern:
        case PatternWildcard():
            return PatternVar(Var("_"))
        case PatternConstructor(constructor=ctor, patterns=subs):
            return PatternConstructor(ctor, [_named(p) for p in subs])
        case PatternTuple(patterns=subs):
            return PatternTuple([_named(p) for p in subs])
    return pattern


# -- activity ------------------------------------------------------------------------------


def _has_adt(ty: Type) -> bool:
    if isinstance(ty, TypeCall):
        return True
    return isinstance(ty, TupleType) and any(_has_adt(f) for f in ty.fields)


class Activity:
    """Which variables depend on the chosen parameters, over the whole program.

    A global's parameter is active when some call passes it an active value; its result is
    active when it depends on an active parameter: both grow to a fixpoint. A value that
    cannot hold a float tensor is never active; an ADT value built from active fields is, and
    so are the parts matched out of an active value.
    """

    def __init__(self, entry: Function, mod: IRModule, chosen: list[int], values):
        self.can_carry = values.can_carry
        self.params: dict[GlobalVar, list[bool]] = {
            g: [False] * len(f.params) for g, f in mod.functions.items()
        }
        self.results: dict[GlobalVar, bool] = dict.fromkeys(mod.functions, False)
        self.active: set[Var] = set()
        entry_acts = [
            i in chosen and self.can_carry(p.checked_type) for i, p in enumerate(entry.params)
        ]
        self.changed = True
        while self.changed:
            self.changed = False
            self.active = set()
            self._function(entry, entry_acts)
            for gvar, func in mod.functions.items():
                result = self._function(func, self.params[gvar])
                if result and not self.results[gvar]:
                    self.results[gvar] = self.changed = True

    def _function(self, func: Function, acts: list[bool]) -> bool:
        for param, act in zip(func.params, acts, strict=True):
            if act:
                self.active.add(param)
        return self.scope(func.body)

    def scope(self, expr: Expr) -> bool:
        while isinstance(expr, Let):
            if self._value(expr.value) and self.can_carry(expr.var.checked_type):
                self.active.add(expr.var)
            expr = expr.body
        return self._value(expr)

    def _atom(self, expr: Expr) -> bool:
        return isinstance(expr, Var) and expr in self.active

    def _value(self, value: Expr) -> bool:
        match value:
            case Var() | Constant():
                return self._atom(value)
            case Call(op=Op() as op, args=args):
                return (
                    any(map(self._atom, args))
                    and has_float_leaf(value.checked_type)
                    and not is_non_differentiable(op)
                )
            case Call(op=Constructor(), args=args):
                return any(map(self._atom, args)) and self.can_carry(value.checked_type)
            case Call(op=GlobalVar() as gvar, args=args):
                return self._call(gvar, [self._atom(a) for a in args])
            case Tuple(fields=fields):
                return any(map(self._atom, fields))
            case TupleGetItem(tuple_value=t):
                return self._atom(t) and self.can_carry(value.checked_type)
            case If(true_branch=then, false_branch=other):
                results = [self.scope(then), self.scope(other)]
                return any(results) and self.can_carry(value.checked_type)
            case Match(data=data, clauses=clauses):
                if self._atom(data):
                    for clause in clauses:
                        parts = pattern_vars(clause.lhs)
                        self.active.update(v for v in parts if self.can_carry(v.checked_type))
                results = [self.scope(c.rhs) for c in clauses]
                return any(results) and self.can_carry(value.checked_type)
        raise NotQualified

    def _call(self, gvar: GlobalVar, acts: list[bool]) -> bool:
        known = self.params[gvar]
        for i, act in enumerate(acts):
            if act and not known[i]:
                known[i] = self.changed = True
        return any(acts) and self.results[gvar]


# -- the split -----------------------------------------------------------------------------


def _new_var(name: str, ty: Type | None) -> Var:
    return Var(name, ty, checked_type=ty)


class Scope:
    """A region of the forward program evaluated as one let-chain: a function body or a
    branch. The backward code of a branch runs inside a ``match`` on the branch's residual
    and sees the forward values bound in the branch only through it: `fields` maps each
    one the backward code reads to its backward variable, in order."""

    def __init__(self, parent: Scope | None, bound: set, rename: bool):
        self.parent = parent
        self.bound = bound
        self.rename = rename
        self.fields: dict[Var, Var] = {}

    def lookup(self, var: Var) -> Var:
        if var in self.bound:
            if not self.rename:
                return var
            if var not in self.fields:
                self.fields[var] = _new_var(var.name_hint, var.checked_type)
            return self.fields[var]
        return self.parent.lookup(var)


def _bound_in(expr: Expr, extra=()) -> set:
    """Variables a let-chain binds at its top level (and `extra`)."""
    bound = set(extra)
    while isinstance(expr, Let):
        bound.add(expr.var)
        expr = expr.body
    return bound


class _Rename(ExprMutator):
    def __init__(self, forward: set, scope: Scope):
        super().__init__()
        self.forward = forward
        self.scope = scope

    def visit_var(self, var: Var) -> Expr:
        return self.scope.lookup(var) if var in self.forward else var


class Branches:
    """What the backward pass decided for one active ``if`` or ``match``: the scope of each
    branch and the constructors of its residual ADT."""

    def __init__(self, scopes: list[Scope], ctors: list[Constructor]):
        self.scopes = scopes
        self.ctors = ctors


class Sweep(Adjoints):
    """The backward code of one scope: adjoints summed per variable (see adjoints.py), then
    each binding's gradient rule, in reverse; its bindings are the backward code."""

    def __init__(self, splitter: Splitter, scope: Scope):
        super().__init__(splitter.activity.active)
        self.splitter = splitter
        self.scope = scope

    def carries(self, ty: Type) -> bool:
        return self.splitter.values.can_carry(ty)

    def new_var(self, name: str, ty: Type) -> Var:
        return _new_var(name, ty)  # annotated: the split's globals print with their types

    def total(self, var: Var) -> Expr | None:
        """The summed adjoint of `var` bound to one variable (which then stands for all of
        it); None when nothing reached it."""
        parts = self.adjoints.get(var)
        if not parts:
            return None
        ty = var.checked_type
        if isinstance(ty, TupleType):
            padded = parts + [[] for _ in range(len(ty.fields) - len(parts))]
            fields = [
                self._sum(p, t, var.name_hint)
                if p
                else self.splitter.values.zeros(
                    t, lambda i=i: TupleGetItem(self.scope.lookup(var), i)
                )
                for i, (p, t) in enumerate(zip(padded, ty.fields, strict=True))
            ]
            total = self.emit(f"grad_{var.name_hint}", Tuple(fields), ty)
            self.adjoints[var] = [[TupleGetItem(total, i)] for i in range(len(ty.fields))]
            return total
        total = self._sum(parts, ty, var.name_hint)
        self.adjoints[var] = [total]
        return total

    def total_or_zeros(self, var: Var) -> Expr:
        total = self.total(var)
        if total is not None:
            return total
        return self.splitter.values.zeros(var.checked_type, lambda: self.scope.lookup(var))

    def _sum(self, parts: list[Expr], ty: Type, name: str) -> Expr:
        total = self.emit(f"grad_{name}", parts[0], ty)
        for part in parts[1:]:
            total = self.emit(f"grad_{name}", self.splitter.values.add(total, part, ty), ty)
        return total

    def run(self, expr: Expr) -> None:
        """Sweep the let-chain `expr` (whose result's adjoint is already contributed)."""
        bindings = []
        while isinstance(expr, Let):
            bindings.append((expr.var, expr.value))
            expr = expr.body
        for var, value in reversed(bindings):
            if var in self.splitter.activity.active:
                self._backward(var, value)

    def _backward(self, var: Var, value: Expr) -> None:
        match value:
            case Var() | Constant():
                grad = self.total(var)
                if grad is not None:
                    self.contribute(value, grad, var.checked_type)
            case Call(op=Op()):
                grad = self.total(var)
                if grad is not None:
                    self._op(var, value, grad)
            case Call(op=GlobalVar()):
                grad = self.total(var)
                if grad is not None:
                    self._global(var, value, grad)
            case Call(op=Constructor()):
                grad = self.total(var)
                if grad is not None:
                    self._constructor(value, grad)
            case Tuple(fields=fields):
                grad = self.total(var)
                if grad is not None:
                    for i, f in enumerate(fields):
                        self.contribute(f, TupleGetItem(grad, i), f.checked_type)
            case TupleGetItem(tuple_value=t, index=index):
                grad = self.total(var)
                if grad is not None:
                    self.contribute_field(t, index, grad)
            case If() | Match():
                grad = self.total(var)
                if grad is not None:
                    self._branches(var, value, grad)

    def _op(self, var: Var, orig: Call, grad: Expr) -> None:
        if is_non_differentiable(orig.op):
            return
        rules = gradient_of(orig.op)(orig, grad)
        for arg, rule in zip(orig.args, rules, strict=True):
            if has_float_leaf(arg.checked_type) and self.wanted(arg):
                expr = self.splitter.renamed(replace_node(rule, orig, var), self.scope)
                ty = arg.checked_type
                self.contribute(arg, self.emit(f"grad_{arg.name_hint}", expr, ty), ty)

    def _global(self, var: Var, orig: Call, grad: Expr) -> None:
        split = self.splitter.split_of(orig.op)
        residual = self.splitter.residual_var(var, TypeCall(split.res_header), self.scope)
        # a threaded argument passes its adjoint so far in and takes the sum back (an
        # argument passed twice does so once; the other position starts from zeros)
        passed: dict[int, bool] = {}
        accumulators = []
        for i in split.threaded:
            arg = orig.args[i]
            passed[i] = self.wanted(arg) and not any(
                orig.args[j] is arg for j, ok in passed.items() if ok
            )
            accumulators.append(self.total_or_zeros(arg) if passed[i] else self._zeros_like(arg))
        out = Call(split.bwd, [self.scope.lookup(residual), grad, *accumulators])
        out = self.emit(f"grads_{var.name_hint}", out, split.bwd_ret)
        count = len(split.outputs)
        values = [out] if count == 1 else [TupleGetItem(out, k) for k in range(count)]
        outputs = dict(zip(split.outputs, values, strict=True))
        for i in split.threaded:
            if passed[i]:
                self.adjoints[orig.args[i]] = _as_adjoint(outputs[i], orig.args[i].checked_type)
        for i, value in outputs.items():
            if not passed.get(i, False):
                self.contribute(orig.args[i], value, orig.args[i].checked_type)

    def contribute_matched(self, data: Var, pattern: Pattern) -> None:
        """The gradient of a matched value, rebuilt from its parts' (when any has one, or
        when it has no parts: ``Nil``'s gradient is ``Nil``, cheaper than zeros of the value)."""
        parts = pattern_vars(pattern)
        if not parts or any(self.adjoints.get(v) for v in parts):
            self.contribute(data, self._rebuilt(pattern), data.checked_type)

    def _rebuilt(self, pattern: Pattern) -> Expr:
        match pattern:
            case PatternVar(var=var):
                return self.total_or_zeros(var)
            case PatternConstructor(constructor=ctor, patterns=subs):
                return Call(ctor, [self._rebuilt(p) for p in subs])
            case PatternTuple(patterns=subs):
                return Tuple([self._rebuilt(p) for p in subs])
        raise GradientError(f"unexpected pattern {pattern} in the split")  # wildcards are named

    def _arm(self, body: Expr, pattern, value: Expr, grad: Expr, ty: Type) -> Sweep:
        """The backward sweep of one branch, given the branch's result gradient `grad`."""
        bound = pattern_vars(pattern) if pattern is not None else ()
        sweep = Sweep(self.splitter, Scope(self.scope, _bound_in(body, bound), rename=True))
        # the adjoints reached so far: a branch adds to them (or leaves them alone)
        sweep.adjoints = {v: _copy_parts(parts) for v, parts in self.adjoints.items()}
        sweep.contribute(_result(body), grad, ty)
        sweep.run(body)
        if pattern is not None and self.wanted(value.data):
            sweep.contribute_matched(value.data, pattern)
        return sweep

    def _changed_outers(self, sweeps: list[Sweep]) -> list[Var]:
        """The variables bound outside the branches whose adjoints some branch changed."""
        return [
            v
            for v in _union(s.adjoints for s in sweeps)
            if not any(v in s.scope.bound for s in sweeps)
            and any(
                not _same_parts(s.adjoints.get(v, []), self.adjoints.get(v, [])) for s in sweeps
            )
        ]

    def _constructor(self, orig: Call, grad: Expr) -> None:
        """An ADT value's gradient holds its fields' gradients (built by the same
        constructor: from the value's own zeros or ones, or rebuilt by a ``match`` on it)."""
        types = [a.checked_type for a in orig.args]
        fields = [_new_var("grad_field", t) for t in types]
        pattern = PatternConstructor(orig.op, [PatternVar(f) for f in fields])
        unpack = Match(grad, [Clause(pattern, Tuple(fields))], complete=False)
        parts = self.emit("grad_fields", unpack, TupleType(types))
        for i, arg in enumerate(orig.args):
            self.contribute(arg, TupleGetItem(parts, i), types[i])

    def _zeros_like(self, arg: Expr) -> Expr:
        return self.splitter.values.zeros(
            arg.checked_type, partial(self.splitter.renamed, arg, self.scope)
        )

    def _branches(self, var: Var, value: Expr, grad: Expr) -> None:
        """The backward code of an active ``if``/``match``: a ``match`` on its residual, each
        clause the backward code of its branch, giving the adjoints of outer variables."""
        arms = _arms(value)
        sweeps = [
            self._arm(body, pattern, value, grad, var.checked_type) for body, pattern, _ in arms
        ]
        outers = self._changed_outers(sweeps)
        if not outers:
            return
        codes = [
            make_lets(s.bindings, _tuple_or_one([s.total_or_zeros(v) for v in outers]))
            for s in sweeps
        ]
        arm_scopes = [(s.scope, name) for s, (_, _, name) in zip(sweeps, arms, strict=True)]
        header, ctors = self.splitter.branch_type(var, arm_scopes)
        residual = self.splitter.residual_var(var, TypeCall(header), self.scope)
        clauses = [
            Clause(PatternConstructor(ctor, [PatternVar(v) for v in s.scope.fields.values()]), code)
            for ctor, s, code in zip(ctors, sweeps, codes, strict=True)
        ]
        types = [v.checked_type for v in outers]
        ty = types[0] if len(types) == 1 else TupleType(types)
        out = self.emit(f"grads_{var.name_hint}", Match(self.scope.lookup(residual), clauses), ty)
        self.splitter.branches[var] = Branches([s.scope for s in sweeps], ctors)
        values = [out] if len(outers) == 1 else [TupleGetItem(out, k) for k in range(len(outers))]
        for outer, new in zip(outers, values, strict=True):
            self.adjoints[outer] = _as_adjoint(new, outer.checked_type)


def _arms(value: If | Match) -> list[tuple[Expr, Pattern | None, str]]:
    """The branches of an ``if`` or the clauses of a ``match``: (body, pattern, name)."""
    if isinstance(value, If):
        return [(value.true_branch, None, "then"), (value.false_branch, None, "else")]
    return [(c.rhs, c.lhs, _clause_name(c, i)) for i, c in enumerate(value.clauses)]


def _as_adjoint(value: Expr, ty: Type) -> list:
    """An adjoint that is the one value `value`."""
    if isinstance(ty, TupleType):
        return [[TupleGetItem(value, i)] for i in range(len(ty.fields))]
    return [value]


def _copy_parts(parts: list) -> list:
    return [list(p) if isinstance(p, list) else p for p in parts]


def _same_parts(a: list, b: list) -> bool:
    """Whether two adjoints are the same contributions (by identity)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, list) != isinstance(y, list):
            return False
        if isinstance(x, list) and not _same_parts(x, y) or not isinstance(x, list) and x is not y:
            return False
    return True


def _union(dicts) -> list:
    seen: dict = {}
    for d in dicts:
        for key in d:
            seen[key] = True
    return list(seen)


def _tuple_or_one(values: list[Expr]) -> Expr:
    return values[0] if len(values) == 1 else Tuple(values)


def _result(expr: Expr) -> Expr:
    while isinstance(expr, Let):
        expr = expr.body
    return expr


def _clause_name(clause: Clause, index: int) -> str:
    lhs = clause.lhs
    if isinstance(lhs, PatternConstructor):
        return lhs.constructor.name_hint
    return f"case{index}"


class GlobalSplit:
    """The names and signature of one global's split."""

    def __init__(self, fwd: GlobalVar, bwd: GlobalVar, res_header: GlobalTypeVar):
        self.fwd = fwd
        self.bwd = bwd
        self.res_header = res_header
        self.threaded: list[int] = []  # parameters whose gradient is passed in and out
        self.outputs: list[int] = []  # active parameters, in the order bwd returns them
        self.bwd_ret: Type | None = None


class _FreshNames:
    """Names for new globals, ADTs and constructors that `mod` does not use yet."""

    def __init__(self, mod: IRModule):
        self.taken = {g.name_hint for g in mod.functions}
        self.taken |= {h.name_hint for h in mod.type_definitions}
        self.taken |= {c.name_hint for d in mod.type_definitions.values() for c in d.constructors}

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


class Splitter:
    """Writes the split globals, the residual ADTs and the gradient function."""

    def __init__(
        self,
        mod: IRModule,
        program: _AnfProgram,
        activity: Activity,
        values: GradientValues,
        names: _FreshNames,
    ):
        self.mod = mod
        self.program = program
        self.activity = activity
        self.forward_vars: set[Var] = set()
        for func in [program.entry, *program.mod.functions.values()]:
            self.forward_vars.update(func.params)
            for node in pre_order(func.body):
                if isinstance(node, Let):
                    self.forward_vars.add(node.var)
                elif isinstance(node, Match):
                    for clause in node.clauses:
                        self.forward_vars.update(pattern_vars(clause.lhs))
        self.splits: dict[GlobalVar, GlobalSplit] = {}
        self.current = ""
        self.pending: list[GlobalVar] = []
        self.residuals: dict[Var, Var] = {}
        self.branches: dict[Var, Branches] = {}
        self.threaded = _threaded_params(program)
        self.values = values
        self.fresh = names.fresh

    def renamed(self, expr: Expr, scope: Scope) -> Expr:
        return _Rename(self.forward_vars, scope).visit(expr)

    def residual_var(self, var: Var, ty: Type, scope: Scope) -> Var:
        """The variable the forward code binds the residual of `var`'s call or branches to,
        in the scope that binds `var`."""
        residual = self.residuals[var] = _new_var(f"{var.name_hint}_res", ty)
        self.forward_vars.add(residual)
        scope.bound.add(residual)
        return residual

    def split_of(self, gvar: GlobalVar) -> GlobalSplit:
        if gvar not in self.splits:
            name = gvar.name_hint
            split = GlobalSplit(
                GlobalVar(self.fresh(f"{name}_grad_fwd")),
                GlobalVar(self.fresh(f"{name}_grad_bwd")),
                GlobalTypeVar(self.fresh(f"{name}_res")),
            )
            func = self.program.mod[gvar]
            acts = self.activity.params[gvar]
            split.outputs = [
                i
                for i, p in enumerate(func.params)
                if acts[i] and self.values.can_carry(p.checked_type)
            ]
            # an ADT's gradient is built from its parts, not summed in place
            split.threaded = [
                i
                for i in split.outputs
                if (gvar, i) in self.threaded and not _has_adt(func.params[i].checked_type)
            ]
            types = [func.params[i].checked_type for i in split.outputs]
            split.bwd_ret = types[0] if len(types) == 1 else TupleType(types)
            self.splits[gvar] = split
            self.pending.append(gvar)
        return self.splits[gvar]

    def branch_type(self, var: Var, arms: list[tuple[Scope, str]]) -> tuple[GlobalTypeVar, list]:
        header = GlobalTypeVar(self.fresh(f"{self.current}_{var.name_hint}_res"))
        ctors = [
            Constructor(
                self.fresh(f"{header.name_hint}_{name}"),
                [v.checked_type for v in scope.fields.values()],
                header,
                tag,
            )
            for tag, (scope, name) in enumerate(arms)
        ]
        self.mod.add_type(TypeData(header, (), ctors))
        return header, ctors

    # -- output -------------------------------------------------------------------------

    def gradient(self, with_cotangent: bool, chosen: list[int]) -> Function:
        entry = self.program.entry
        self.current = "grad"
        scope = Scope(None, _bound_in(entry.body, entry.params), rename=False)
        sweep = Sweep(self, scope)
        out_type = entry.checked_type.ret_type
        result = _result(entry.body)
        cotangent = _new_var("cotangent", out_type) if with_cotangent else None
        if result in self.activity.active:
            seed = cotangent if cotangent is not None else self.values.ones(out_type, result)
            sweep.contribute(result, seed, out_type)
        sweep.run(entry.body)
        grads = []
        for i in chosen:
            param = entry.params[i]
            if param in self.activity.active:
                grads.append(sweep.total_or_zeros(param))
            else:
                grads.append(self.values.zeros(param.checked_type, lambda p=param: p))
        forward, value = self.forward(entry.body, scope)
        self._write_pending()
        body = make_lets(forward + sweep.bindings, Tuple([value, Tuple(grads)]))
        params = [*entry.params, cotangent] if cotangent is not None else list(entry.params)
        ret = TupleType([out_type, TupleType([entry.params[i].checked_type for i in chosen])])
        return Function(params, body, ret)

    def _write_pending(self) -> None:
        while self.pending:
            gvar = self.pending.pop()
            self._write_split(gvar, self.splits[gvar], self.program.mod[gvar])

    def _write_split(self, gvar: GlobalVar, split: GlobalSplit, func: Function) -> None:
        self.current = gvar.name_hint  # names the residual ADTs of its branches
        scope = Scope(None, _bound_in(func.body, func.params), rename=True)
        sweep = Sweep(self, scope)
        ret = func.checked_type.ret_type
        out_grad = _new_var("out_grad", ret)
        accumulators = {}
        for i in split.threaded:
            param = func.params[i]
            accumulators[i] = _new_var(f"acc_{param.name_hint}", param.checked_type)
            sweep.adjoints[param] = _as_adjoint(accumulators[i], param.checked_type)
        sweep.contribute(_result(func.body), out_grad, ret)
        sweep.run(func.body)
        grads = [sweep.total_or_zeros(func.params[i]) for i in split.outputs]
        backward = make_lets(sweep.bindings, _tuple_or_one(grads))
        fields = list(scope.fields.items())
        ctor = Constructor(
            split.res_header.name_hint, [v.checked_type for v, _ in fields], split.res_header, 0
        )
        self.mod.add_type(TypeData(split.res_header, (), [ctor]))
        residual = _new_var("res", TypeCall(split.res_header))
        unpack = Match(
            residual,
            [Clause(PatternConstructor(ctor, [PatternVar(b) for _, b in fields]), backward)],
        )
        bwd_params = [residual, out_grad, *accumulators.values()]
        self.mod[split.bwd] = Function(bwd_params, unpack, split.bwd_ret)
        forward, value = self.forward(func.body, scope)
        saved = Call(ctor, [v for v, _ in fields])
        body = make_lets(forward, Tuple([value, saved]))
        res_type = TupleType([ret, TypeCall(split.res_header)])
        self.mod[split.fwd] = Function(list(func.params), body, res_type)

    def forward(self, expr: Expr, scope: Scope) -> tuple[list, Expr]:
        """The forward code of a let-chain: its bindings (active calls and branches replaced
        by their split versions, which also bind residuals) and its result."""
        chain: list[tuple[Var, Expr]] = []
        while isinstance(expr, Let):
            chain += self._forward_binding(expr.var, expr.value)
            expr = expr.body
        return chain, expr

    def _forward_binding(self, var: Var, value: Expr) -> list:
        residual = self.residuals.get(var)
        if residual is None:
            return [(var, value)]
        if isinstance(value, Call):
            split = self.splits[value.op]
            new = Call(split.fwd, value.args)
        else:
            new = self._forward_branches(value, self.branches[var])
        pair = _new_var(
            f"{var.name_hint}_fwd", TupleType([var.checked_type, residual.checked_type])
        )
        return [(pair, new), (var, TupleGetItem(pair, 0)), (residual, TupleGetItem(pair, 1))]

    def _forward_branches(self, value: Expr, branches: Branches) -> Expr:
        bodies = (
            [value.true_branch, value.false_branch]
            if isinstance(value, If)
            else [c.rhs for c in value.clauses]
        )
        new = []
        for body, scope, ctor in zip(bodies, branches.scopes, branches.ctors, strict=True):
            chain, result = self.forward(body, scope)
            new.append(make_lets(chain, Tuple([result, Call(ctor, list(scope.fields))])))
        if isinstance(value, If):
            return If(value.cond, *new)
        clauses = [Clause(c.lhs, b) for c, b in zip(value.clauses, new, strict=True)]
        return Match(value.data, clauses, value.complete)


def _threaded_params(program: _AnfProgram) -> set[tuple[GlobalVar, int]]:
    """(global, index) of the parameters to thread: every call passes one of the caller's
    own parameters, itself threaded (or of the differentiated function). A step function's
    hidden state, a new value at each step, is not threaded: its adjoint would start from
    zeros at each call; the weights passed down unchanged are."""
    sources: dict[tuple[GlobalVar, int], list] = {}  # the caller's (global, index) per call
    callers = [(None, program.entry), *program.mod.functions.items()]
    for caller, func in callers:
        index = {p: i for i, p in enumerate(func.params)}
        for node in pre_order(func.body):
            if isinstance(node, Call) and isinstance(node.op, GlobalVar):
                for i, arg in enumerate(node.args):
                    source = (caller, index[arg]) if arg in index else False
                    sources.setdefault((node.op, i), []).append(source)
    threaded = {key for key, found in sources.items() if all(found)}
    changed = True
    while changed:
        kept = {
            key
            for key in threaded
            if all(caller is None or (caller, i) in threaded for caller, i in sources[key])
        }
        changed, threaded = kept != threaded, kept
    return threaded
