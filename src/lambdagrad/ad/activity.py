"""Gradients with respect to chosen parameters (``wrt``): higher-order AD with activity analysis.

A value is *active* when it depends on a parameter in `wrt`. Only active values take AD form
(a float tensor paired with its gradient ref) and only ops with an active argument record a
tape entry, which adds gradients into their active arguments only. Everything else is the
plain program: the data of a model, its labels, the list a fold walks.

An activity mirrors the value's type:

- ``PLAIN`` (False) or ``ACTIVE`` (True) for the whole value. ADTs and refs are one or the
  other as a whole; an ACTIVE value has the form plain higher-order AD gives every value.
  A ref is always ACTIVE (a write through an alias could make it so), unless nothing in it
  can carry a gradient.
- A tuple of activities for a tuple whose fields differ.
- A `Closure` for a function literal (or a monomorphic global passed as a value): its code
  is known, so instead of one all-active version it gets one version per *pattern* of
  argument activities it is called with (`@foldl` calls its step with a plain list element),
  and its value is the tuple of those versions; each call picks its own. A closure stored in
  an ADT or a ref, merged with another one by ``if``/``match``, calling itself, or nested in
  closures more than three deep falls back to its all-active version.

Globals are specialized by the activities of their arguments: ``@f_grad`` when all are
active (the name plain higher-order AD uses), ``@f_grad_pa`` and so on otherwise (one letter
per argument: a, p, t for a mixed tuple, c for a closure). A polymorphic global is first
instantiated at the call's types, so that a plain argument of type ``A`` stays plain; a call
with only plain arguments (and no functions in sight) calls the original global.

The activities of results (of specialized globals and closure versions) and the patterns a
closure is called with are found by transforming the program again until they stop changing;
each only grows, in a finite lattice. The last transformation is the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

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
from ..ir.types import FuncType, RefType, TupleType, Type, TypeVar
from ..ir.visitor import ExprMutator, free_vars, make_lets
from ..ops.gradients import is_non_differentiable
from ..typing import infer_type
from ..typing.unify import substitute, type_children
from .adtypes import BACKPROP_TYPE
from .context import ADContext
from .higher_order import (
    CHECKPOINT,
    Block,
    OpCallTransformer,
    checkpoint_code,
    constructor_value,
    lifted_param,
    name_of,
    new_backprop,
)
from .structure import StructureCode, has_float_leaf

PLAIN, ACTIVE = False, True
MAX_ROUNDS = 50
MAX_NESTING = 3  # closures capturing closures capturing ...: deeper ones go all-active


@dataclass(frozen=True)
class Closure:
    """The activity of a known function literal: the activities of what it captures."""

    literal: Function
    env: tuple

    @property
    def depth(self) -> int:
        inner = [a.depth for a in _flat(self.env) if isinstance(a, Closure)]
        return 1 + max(inner, default=0)


def _flat(acts) -> list:
    out = []
    for act in acts:
        out += _flat(act) if isinstance(act, tuple) else [act]
    return out


def join(a, b):
    """The least activity at least as active as `a` and `b` (normalize it for its type)."""
    if a == b:
        return a
    if isinstance(a, tuple) or isinstance(b, tuple):
        if a is ACTIVE or b is ACTIVE:
            return ACTIVE
        n = len(a) if isinstance(a, tuple) else len(b)
        return tuple(join(x, y) for x, y in zip(_fields(a, n), _fields(b, n), strict=True))
    return ACTIVE  # plain and active, two different closures, a closure and a plain function


def _fields(act, n: int) -> tuple:
    return act if isinstance(act, tuple) else (act,) * n


def _field(act, i: int):
    return act[i] if isinstance(act, tuple) else act


def _contains(ty: Type, kind) -> bool:
    stack = [ty]
    while stack:
        t = stack.pop()
        if isinstance(t, kind):
            return True
        stack.extend(type_children(t))
    return False


def _letters(acts: tuple) -> str:
    def letter(act) -> str:
        if isinstance(act, Closure):
            return "c"
        return "t" if isinstance(act, tuple) else "ap"[act is PLAIN]

    return "".join(map(letter, acts))


def gradient_wrt(
    func: Function, mod: IRModule, typed: IRModule, with_cotangent: bool, wrt: tuple[int, ...]
) -> Function:
    """The higher-order gradient of typed `func` for the parameters at `wrt` (see api)."""
    facts = Facts(typed)
    for _ in range(MAX_ROUNDS):
        facts.changed, facts.conflicts = False, []
        draft = mod.copy()  # kept only when the round learned nothing new
        result = Round(facts, draft).gradient(func, with_cotangent, wrt)
        if not facts.changed:
            if facts.conflicts:
                raise GradientError(f"cannot differentiate with wrt: {facts.conflicts[0]}")
            _publish(draft, mod)
            return result
    raise GradientError(f"activity analysis did not settle in {MAX_ROUNDS} rounds")


def _publish(draft: IRModule, mod: IRModule) -> None:
    """Add to `mod` what the last round added to its copy `draft` (derived globals, AD
    versions of ADTs, helpers)."""
    for data in draft.type_definitions.values():
        if mod.type_definitions.get(data.header) is not data:
            mod.add_type(data)
    for gvar, func in draft.functions.items():
        if mod.functions.get(gvar) is not func:
            mod[gvar] = func


class Facts:
    """What the rounds learn and keep: result activities, closure patterns, names."""

    def __init__(self, typed: IRModule):
        self.typed = typed
        self.results: dict = {}  # (global name, activities, types) or (Closure, pattern)
        self.patterns: dict[Closure, list] = {}  # None is the all-active version
        self.names: dict[tuple, str] = {}
        self.instances: dict[tuple, Function] = {}
        self.free: dict[Function, list[Var]] = {}
        self.changed = False
        # what a round could not represent; a draft round, which starts from the least
        # activities, may meet these before the facts are complete: only the last one counts
        self.conflicts: list[str] = []

    def conflict(self, message: str) -> None:
        self.conflicts.append(message)

    def result(self, key):
        return self.results.get(key, PLAIN)

    def grow(self, key, act):
        """Join `act` into the result activity of `key`; the new one."""
        old = self.result(key)
        new = join(old, act)
        if new != old:
            self.results[key] = new
            self.changed = True
        return new

    def version(self, closure: Closure, pattern) -> int:
        """The index of the version of `closure` for `pattern`, added when new."""
        versions = self.patterns.setdefault(closure, [])
        if pattern not in versions:
            versions.append(pattern)
            self.changed = True
        return versions.index(pattern)

    def name(self, key: tuple) -> str:
        """The derived global of `key`; `acts` None is all active: plain AD's ``@f_grad``."""
        if key not in self.names:
            gname, acts, _ = key
            base = f"{gname}_grad" if acts is None else f"{gname}_grad_{_letters(acts)}"
            taken, name, n = set(self.names.values()), base, 0
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            self.names[key] = name
        return self.names[key]

    def free_vars(self, literal: Function) -> list[Var]:
        if literal not in self.free:
            self.free[literal] = free_vars(literal)
        return self.free[literal]

    def instance(self, gvar: GlobalVar, types: tuple) -> Function:
        """Polymorphic global `gvar` instantiated (and typed) at argument types `types`."""
        key = (gvar.name_hint, types)
        if key not in self.instances:
            self.instances[key] = _instantiate(self.typed[gvar], types, self.typed)
        return self.instances[key]


class _Instantiate(ExprMutator):
    """A copy with new binders and type parameters replaced in annotations; the parameters
    get the call's types."""

    def __init__(self, binding: dict, params: dict):
        super().__init__()
        self.binding = binding
        for old, new in params.items():
            self.memo[id(old)] = new

    def visit_var(self, var: Var) -> Expr:
        # every binder is new: type inference keys binders by identity, and the global's own
        # binders keep their polymorphic types when it is typed in the same run
        ty = var.type_annotation
        return Var(var.name_hint, None if ty is None else substitute(ty, self.binding))

    def visit_call(self, call: Call) -> Expr:
        args = [self.visit(a) for a in call.args]
        type_args = [substitute(t, self.binding) for t in call.type_args]
        return Call(self.visit(call.op), args, call.attrs, type_args)

    def visit_clause(self, clause: Clause) -> Clause:
        return Clause(map_pattern(clause.lhs, self.visit), self.visit(clause.rhs))

    def visit_function(self, func: Function) -> Expr:
        params = [self.visit(p) for p in func.params]
        ret = None if func.ret_type is None else substitute(func.ret_type, self.binding)
        return Function(params, self.visit(func.body), ret, func.type_params)


def _instantiate(func: Function, types: tuple, typed: IRModule) -> Function:
    binding: dict = {}
    for param, ty in zip(func.params, types, strict=True):
        if param.type_annotation is not None:
            _bind_type_vars(param.type_annotation, ty, binding)
    params = {p: Var(p.name_hint, ty) for p, ty in zip(func.params, types, strict=True)}
    body = _Instantiate(binding, params).visit(func.body)
    return infer_type(Function(list(params.values()), body), mod=typed)


def _bind_type_vars(pattern: Type, ty: Type, binding: dict) -> None:
    if isinstance(pattern, TypeVar):
        binding.setdefault(pattern, ty)
        return
    for p, t in zip(type_children(pattern), type_children(ty), strict=False):
        _bind_type_vars(p, t, binding)


class Round:
    """One transformation of the program with what the earlier rounds learned."""

    def __init__(self, facts: Facts, mod: IRModule):
        self.facts = facts
        self.ctx = ADContext(mod, facts.typed)
        self.code = StructureCode(self.ctx)
        self.pending: list[tuple[GlobalVar, Function, tuple]] = []
        self.queued: set[tuple] = set()
        self.versioning: set[str] = set()  # globals passed as values, being versioned

    def gradient(self, func: Function, with_cotangent: bool, wrt: tuple[int, ...]) -> Function:
        block = Block()
        backprop = block.bind("bp", new_backprop(), BACKPROP_TYPE)
        body = Transformer(self, backprop)
        for i, param in enumerate(func.params):
            body.var_map[param], body.acts[param] = param, PLAIN
            if i in wrt:
                self.code.check_supported(param.checked_type, f"parameter %{param.name_hint}")
                body.var_map[param] = lifted_param(block, self.code, param)
                body.acts[param] = self.norm(ACTIVE, param.checked_type)
        out_type = func.checked_type.ret_type
        self.code.check_supported(out_type, "the result")
        value, act = body.visit(func.body)
        raw = block.bind("result", value, self.rep_type(out_type, act))
        out = block.bind(
            "out", self.coerce(block, raw, out_type, act, ACTIVE), self.ctx.ad_type(out_type)
        )
        cotangent = Var("cotangent", out_type) if with_cotangent else None
        block.do(self.code.seed(out, out_type, cotangent))
        block.do(Call(RefRead(backprop), ()))
        grads = [self.code.gradients(body.var_map[func.params[i]], _type(func, i)) for i in wrt]
        result = block.result(Tuple([self.code.unlift(out, out_type), Tuple(grads)]))
        self._transform_pending()
        params = [*func.params, cotangent] if cotangent is not None else list(func.params)
        ret = TupleType([out_type, TupleType([_type(func, i) for i in wrt])])
        return Function(params, result, ret)

    # -- activities and their representations ------------------------------------------

    def norm(self, act, ty: Type):
        """`act` for a value of type `ty`, in its one canonical form."""
        if not self.code.changes(ty):
            return PLAIN
        if isinstance(act, Closure):
            return act if isinstance(ty, FuncType) else ACTIVE
        if not isinstance(act, tuple):
            return act
        if not isinstance(ty, TupleType):
            return ACTIVE
        fields = tuple(self.norm(a, f) for a, f in zip(act, ty.fields, strict=True))
        if all(f is PLAIN for f in fields):
            return PLAIN
        return ACTIVE if all(f is ACTIVE for f in fields) else fields

    def rep_type(self, ty: Type, act) -> Type:
        """The type of the values of type `ty` with activity `act` in the output."""
        act = self.norm(act, ty)
        if act is PLAIN:
            return ty
        if act is ACTIVE:
            return self.ctx.ad_type(ty)
        if isinstance(act, tuple):
            return TupleType([self.rep_type(f, a) for f, a in zip(ty.fields, act, strict=True)])
        versions = self.facts.patterns.get(act, [])
        return TupleType([self.version_type(ty, act, p) for p in versions])

    def version_type(self, ty: FuncType, closure: Closure, pattern) -> Type:
        if pattern is None:
            return self.ctx.ad_type(ty)
        args = [self.rep_type(t, a) for t, a in zip(ty.arg_types, pattern, strict=True)]
        ret = self.rep_type(ty.ret_type, self.facts.result((closure, pattern)))
        return FuncType([*args, BACKPROP_TYPE], ret, ty.type_params)

    def coerce(self, block: Block, e: Expr, ty: Type, src, dst) -> Expr:
        """`e`, a value of activity `src`, in the form of the (at least as active) `dst`."""
        src, dst = self.norm(src, ty), self.norm(dst, ty)
        if src == dst:
            return e
        if isinstance(src, Closure) and dst is ACTIVE:
            return TupleGetItem(e, self.facts.version(src, None))
        if src is PLAIN and dst is ACTIVE and not _contains(ty, FuncType | RefType):
            return self.code.lift(e, ty)
        if isinstance(ty, TupleType) and (isinstance(src, tuple) or src is PLAIN):
            atom = block.bind("t", e, self.rep_type(ty, src))
            return Tuple(
                [
                    self.coerce(block, TupleGetItem(atom, i), f, _field(src, i), _field(dst, i))
                    for i, f in enumerate(ty.fields)
                ]
            )
        self.facts.conflict(
            f"a value of type {ty} is needed with a gradient where it was built without one "
            "(a function or ref from a parameter outside wrt)"
        )
        return e

    # -- globals ------------------------------------------------------------------------

    def call_global(self, gvar: GlobalVar, arg_types: list[Type], acts: tuple, ty: Type):
        """(callee, the activities its arguments must have, its result's activity)."""
        func = self.facts.typed[gvar]
        types = [*arg_types, ty]
        if all(a is PLAIN for a in acts) and not any(
            _contains(t, FuncType | RefType) for t in types
        ):
            return gvar, acts, PLAIN
        all_active = all(
            a is ACTIVE or not self.code.changes(t) for a, t in zip(acts, arg_types, strict=True)
        )
        if all_active or any(_contains(t, TypeVar) for t in types):
            acts = tuple(self.norm(ACTIVE, t) for t in arg_types)
            return self.specialization(gvar, func, None), acts, self.norm(ACTIVE, ty)
        instance_types = tuple(arg_types) if func.type_params else None
        instance = self.facts.instance(gvar, instance_types) if instance_types else func
        key = (gvar.name_hint, acts, instance_types)
        target = self.specialization(gvar, instance, acts, instance_types)
        return target, acts, self.norm(self.facts.result(key), ty)

    def specialization(self, gvar: GlobalVar, func: Function, acts, types=None) -> GlobalVar:
        """The derived global of `gvar` for argument activities `acts` (None: all active);
        `func` is `gvar`'s typed definition, or its instance at argument `types`."""
        key = (gvar.name_hint, acts, types)
        target = GlobalVar(self.facts.name(key))
        if key not in self.queued:
            self.queued.add(key)
            self.pending.append((target, func, key))
        return target

    def _transform_pending(self) -> None:
        while self.pending:
            target, func, key = self.pending.pop()
            self.ctx.mod[target] = self._specialize(func, key)

    def _specialize(self, func: Function, key: tuple) -> Function:
        acts = key[1]
        if acts is None:
            acts = [self.norm(ACTIVE, p.checked_type) for p in func.params]
        backprop = Var("bp", BACKPROP_TYPE)
        body = Transformer(self, backprop)
        params = [body.new_var(p, a) for p, a in zip(func.params, acts, strict=True)]
        value, act = body.visit(func.body)
        ret = func.checked_type.ret_type
        want = self.norm(ACTIVE if key[1] is None else self.facts.grow(key, act), ret)
        block = Block()
        result = block.result(self.coerce(block, value, ret, act, want))
        return Function([*params, backprop], result, self.rep_type(ret, want), func.type_params)


def _type(func: Function, i: int) -> Type:
    return func.params[i].checked_type


class Transformer:
    """Rewrites one function body: active values in AD form, plain ones as they were."""

    def __init__(self, round_: Round, backprop: Var, var_map=None, acts=None):
        self.round = round_
        self.ctx = round_.ctx  # OpCallTransformer reads the context and the backpropagator
        self.backprop = backprop
        self.var_map: dict[Var, Expr] = var_map if var_map is not None else {}
        self.acts: dict[Var, object] = acts if acts is not None else {}
        self.memo: dict[int, tuple[Expr, object]] = {}

    def visit(self, expr: Expr) -> tuple[Expr, object]:
        """The output code of `expr` and the activity of its value."""
        found = self.memo.get(id(expr))
        if found is None:
            value, act = self._visit(expr)
            found = self.memo[id(expr)] = value, self.round.norm(act, expr.checked_type)
        return found

    def _visit(self, expr: Expr) -> tuple[Expr, object]:
        match expr:
            case Var():
                return self._var(expr)
            case Let():
                return self._let(expr)
            case Call():
                return self._call(expr)
            case Constant():
                return expr, PLAIN
            case GlobalVar():
                return self._global_value(expr)
            case Function():
                return self.closure(expr)
            case Constructor():
                return constructor_value(self.ctx, expr), ACTIVE
            case Op():
                raise GradientError(
                    f"operator {expr.name} used as a value cannot be differentiated"
                )
        return self._structural(expr)

    def _var(self, var: Var) -> tuple[Expr, object]:
        if var not in self.var_map:
            raise GradientError(f"free variable %{var.name_hint} in the differentiated program")
        return self.var_map[var], self.acts[var]

    def new_var(self, var: Var, act) -> Var:
        """The output binder of `var`, holding a value of activity `act`."""
        act = self.round.norm(act, var.checked_type)
        ty = self.round.rep_type(var.checked_type, act)
        new = Var(var.name_hint, ty, checked_type=ty)
        self.var_map[var], self.acts[var] = new, act
        return new

    def _let(self, expr: Let) -> tuple[Expr, object]:
        chain = []
        while isinstance(expr, Let):
            value = expr.value
            if isinstance(value, Function) and expr.var in self.round.facts.free_vars(value):
                var = self.new_var(expr.var, ACTIVE)  # a closure that calls itself
                chain.append((var, self.version(value, None, None)))
            else:
                bindings, new_value, act = self.parts(value)
                chain += bindings
                if isinstance(new_value, Var):  # an alias: later uses take the value's var
                    self.var_map[expr.var] = new_value
                    self.acts[expr.var] = self.round.norm(act, expr.var.checked_type)
                else:
                    chain.append((self.new_var(expr.var, act), new_value))
            expr = expr.body
        body, act = self.visit(expr)
        return make_lets(chain, body), act

    def parts(self, expr: Expr) -> tuple[list, Expr, object]:
        """The code of `expr` as bindings for the enclosing chain, its value and activity."""
        if isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name != CHECKPOINT:
            return self._op_call(expr)
        value, act = self.visit(expr)
        bindings = []
        while isinstance(value, Let):
            bindings.append((value.var, value.value))
            value = value.body
        return bindings, value, act

    def _op_call(self, call: Call) -> tuple[list, Expr, object]:
        op_code = OpCallTransformer(self, call)
        block = op_code.block
        args, active = [], []
        for arg, ty in zip(call.args, op_code.arg_types, strict=True):
            bindings, value, act = self.parts(arg)
            block.bindings += bindings
            if act is not PLAIN:  # a partly active tuple goes to the op all active
                value, act = self.round.coerce(block, value, ty, act, ACTIVE), ACTIVE
            args.append(block.bind(name_of(arg), value, self.round.rep_type(ty, act)))
            active.append(act is ACTIVE)
        out_ty = call.checked_type
        if any(active) and has_float_leaf(out_ty) and not is_non_differentiable(call.op):
            bindings, value = op_code.finish(args, active)
            return bindings, value, ACTIVE
        plain = op_code.plain_args(args, active)
        return block.bindings, Call(call.op, plain, call.attrs, checked_type=out_ty), PLAIN

    def _call(self, call: Call) -> tuple[Expr, object]:
        callee, ty = call.op, call.checked_type
        if isinstance(callee, Op):
            if callee.name == CHECKPOINT:
                return self._checkpoint(call)
            bindings, value, act = self._op_call(call)
            return make_lets(bindings, value), act
        args = [self.visit(a) for a in call.args]
        arg_types = [a.checked_type for a in call.args]
        if isinstance(callee, Constructor):
            return self._construct(callee, args, arg_types, ty)
        block = Block()
        if isinstance(callee, GlobalVar):
            acts = tuple(act for _, act in args)
            target, want, act = self.round.call_global(callee, arg_types, acts, ty)
            values = self._coerced(block, args, arg_types, want)
            if act is PLAIN and target is callee:
                return block.result(Call(callee, values)), PLAIN
            return block.result(Call(target, [*values, self.backprop])), act
        function, fn_act = self.visit(callee)
        return self._call_function(block, function, fn_act, args, arg_types, ty)

    def _call_function(self, block, function, fn_act, args, arg_types, ty):
        if isinstance(fn_act, Closure):
            pattern = tuple(act for _, act in args)
            index = self.round.facts.version(fn_act, pattern)
            act = self.round.facts.result((fn_act, pattern))
            values = [value for value, _ in args]
            call = Call(TupleGetItem(function, index), [*values, self.backprop])
            return block.result(call), act
        if fn_act is PLAIN:
            if any(act is not PLAIN for _, act in args):
                self.round.facts.conflict(
                    "a function that is not differentiated (a parameter outside wrt, or "
                    "taken out of one) is called with arguments that need gradients"
                )
            return block.result(Call(function, [value for value, _ in args])), PLAIN
        values = self._coerced(block, args, arg_types, [ACTIVE] * len(args))
        return block.result(Call(function, [*values, self.backprop])), ACTIVE

    def _coerced(self, block: Block, args, types, wanted) -> list[Expr]:
        return [
            self.round.coerce(block, value, ty, act, want)
            for (value, act), ty, want in zip(args, types, wanted, strict=True)
        ]

    def _construct(self, ctor: Constructor, args, arg_types, ty) -> tuple[Expr, object]:
        # an ADT that can hold functions or refs is active even when built from plain fields
        # (``Nil``): such values cannot be made active later
        if all(act is PLAIN for _, act in args) and not _contains(ty, FuncType | RefType):
            return Call(ctor, [value for value, _ in args]), PLAIN
        block = Block()
        values = self._coerced(block, args, arg_types, [ACTIVE] * len(args))
        return block.result(Call(self.ctx.constructor(ctor), values)), ACTIVE

    def _checkpoint(self, call: Call) -> tuple[Expr, object]:
        (arg,) = call.args
        value, act = self.visit(arg)
        if act is PLAIN:
            return value, PLAIN
        return checkpoint_code(self.ctx, self.backprop, call.checked_type, arg, self._rerun), ACTIVE

    def _rerun(self, expr: Expr, backprop: Var) -> Expr:
        """A fresh all-active copy of `expr` recording onto `backprop`."""
        again = Transformer(self.round, backprop, dict(self.var_map), dict(self.acts))
        value, act = again.visit(expr)
        block = Block()
        return block.result(self.round.coerce(block, value, expr.checked_type, act, ACTIVE))

    # -- closures ---------------------------------------------------------------------

    def _global_value(self, gvar: GlobalVar) -> tuple[Expr, object]:
        """A global passed as a value is a known closure too (it captures nothing), unless it
        is polymorphic or it is already being versioned (it passes itself on)."""
        func = self.round.facts.typed[gvar]
        versioning = self.round.versioning
        if func.type_params or gvar.name_hint in versioning:
            return self.round.specialization(gvar, func, None), ACTIVE
        versioning.add(gvar.name_hint)
        try:
            return self.closure(func)
        finally:
            versioning.discard(gvar.name_hint)

    def closure(self, literal: Function) -> tuple[Expr, object]:
        """A function literal: the tuple of its versions, one per pattern it is called with."""
        env = tuple(self.acts[v] for v in self.round.facts.free_vars(literal))
        closure = Closure(literal, env)
        if closure.depth > MAX_NESTING:
            return self.version(literal, None, None), ACTIVE
        versions = list(self.round.facts.patterns.get(closure, []))
        return Tuple([self.version(literal, closure, p) for p in versions]), closure

    def version(self, literal: Function, closure: Closure | None, pattern) -> Function:
        """The version of `literal` for argument activities `pattern` (None: all active)."""
        round_ = self.round
        backprop = Var("bp", BACKPROP_TYPE)
        if closure is not None and not closure.env:
            # it captures nothing; it may be a global whose binders are also in scope here
            inner = Transformer(round_, backprop)
        else:
            inner = Transformer(round_, backprop, self.var_map, self.acts)
        acts = pattern if pattern is not None else [ACTIVE] * len(literal.params)
        params = [inner.new_var(p, a) for p, a in zip(literal.params, acts, strict=True)]
        value, act = inner.visit(literal.body)
        ret = literal.checked_type.ret_type
        if pattern is None:
            want = ACTIVE
        else:
            want = round_.norm(round_.facts.grow((closure, pattern), act), ret)
        block = Block()
        body = block.result(round_.coerce(block, value, ret, act, want))
        return Function([*params, backprop], body, round_.rep_type(ret, want), literal.type_params)

    # -- tuples, control flow, ADTs, refs -----------------------------------------------

    def _structural(self, expr: Expr) -> tuple[Expr, object]:
        v = self.visit
        match expr:
            case Tuple(fields=fields):
                parts = [v(f) for f in fields]
                return Tuple([e for e, _ in parts]), tuple(a for _, a in parts)
            case TupleGetItem(tuple_value=value, index=index):
                new, act = v(value)
                return TupleGetItem(new, index), _field(act, index)
            case If(cond=cond, true_branch=then, false_branch=other):
                branches = [v(then), v(other)]
                joined = self._joined(branches, expr.checked_type)
                return If(v(cond)[0], *joined), self._join_all(branches, expr.checked_type)
            case Match():
                return self._match(expr)
            case RefCreate(value=value):
                new, act = v(value)
                block = Block()
                content = self.round.coerce(block, new, value.checked_type, act, ACTIVE)
                return block.result(RefCreate(content)), ACTIVE
            case RefRead(ref=ref):
                new, act = v(ref)
                return RefRead(new), act
            case RefWrite(ref=ref, value=value):
                (new_ref, ref_act), (new, act) = v(ref), v(value)
                block = Block()
                content = self.round.coerce(block, new, value.checked_type, act, ref_act)
                return block.result(RefWrite(new_ref, content)), PLAIN
        raise GradientError(f"cannot differentiate {type(expr).__name__} {expr}")

    def _join_all(self, parts, ty: Type):
        return self.round.norm(reduce(join, [act for _, act in parts]), ty)

    def _joined(self, parts, ty: Type) -> list[Expr]:
        """Each part's code in the form of their joined activity."""
        want = self._join_all(parts, ty)
        out = []
        for value, act in parts:
            block = Block()
            out.append(block.result(self.round.coerce(block, value, ty, act, want)))
        return out

    def _match(self, expr: Match) -> tuple[Expr, object]:
        data, act = self.visit(expr.data)
        lhs = [self._pattern(c.lhs, act) for c in expr.clauses]
        rhs = [self.visit(c.rhs) for c in expr.clauses]
        clauses = [
            Clause(p, e) for p, e in zip(lhs, self._joined(rhs, expr.checked_type), strict=True)
        ]
        return Match(data, clauses, expr.complete), self._join_all(rhs, expr.checked_type)

    def _pattern(self, pattern: Pattern, act) -> Pattern:
        match pattern:
            case PatternVar(var=var):
                return PatternVar(self.new_var(var, act))
            case PatternConstructor(constructor=ctor, patterns=subs):
                ctor = ctor if act is PLAIN else self.ctx.constructor(ctor)
                return PatternConstructor(ctor, [self._pattern(p, act) for p in subs])
            case PatternTuple(patterns=subs):
                return PatternTuple([self._pattern(p, _field(act, i)) for i, p in enumerate(subs)])
        return pattern
