"""Forward-mode AD: every float tensor travels with its tangent.

A float tensor ``T`` becomes the dual pair ``(T, T)``: value and tangent. Tuples, functions,
refs and ADTs map structurally (a ref holds a dual value, so its tangent rides with it; an ADT
whose constructors hold float tensors or functions gets a dual version, ``List_jvp``), so
closures, control flow, refs and recursion need nothing special: each op call computes its
value and, from the op's forward rule, its tangent. Globals the program reaches get derived
versions ``@f_jvp``. The output is an ordinary program: it prints, optimizes, runs, and can be
differentiated again in either mode.

Inside a function the transformer knows which tangents are statically zero (constants,
integer values, parameters outside `wrt`): op rules see None for them, so no tangent code is
emitted for them at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..deep import run_deep, without_gc
from ..ir.expr import (
    Call,
    Constant,
    Constructor,
    Expr,
    Function,
    Match,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import (
    FuncType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
)
from ..ir.visitor import make_lets, replace_node
from ..ops.gradients import ZERO, call, jvp_of, zeros_like_value
from ..ops.registry import op_def
from ..transform.anf import computed_once
from ..typing import infer_type
from .adtypes import is_float_tensor
from .api import check_rules_exist, checked_wrt, function_of
from .context import ADContext
from .higher_order import Block
from .structure import HelperGlobals, check_supported, has_float_leaf
from .transformer import CHECKPOINT, StructuralTransformer


def jvp(expr, mod: IRModule | None = None, wrt: Sequence[int] | None = None) -> Function:
    """Forward mode: ``fn(params..., tangents...) -> (result, result_tangent)``.

    `expr` is a Function or a GlobalVar (or name) of `mod`. A tangent has its primal's type
    (tuple and ADT tangents mirror their primal; integer leaves of the result tangent are
    zeros). `wrt` lists the indices of the parameters that take a tangent argument (all by
    default); the others have zero tangents and cost nothing. Derived globals (``@f_jvp``) are
    added to `mod`, in which the returned function evaluates.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float64) { multiply(%x, sin(%x)) }")
    >>> run = lg.create_executor().evaluate(lg.transform.jvp(f))
    >>> value, tangent = run(2.0, 1.0)
    >>> round(float(tangent), 6)  # sin(2) + 2 cos(2)
    0.077004
    """
    return run_deep(without_gc, _forward, expr, mod, wrt)


def _forward(expr, mod: IRModule | None, wrt) -> Function:
    mod = mod if mod is not None else IRModule()
    func = function_of(expr, mod, "jvp")
    typed_mod = infer_type(computed_once(mod))
    typed = infer_type(computed_once(func), mod=typed_mod)
    chosen = checked_wrt(wrt, typed)
    active = list(range(len(typed.params))) if chosen is None else list(chosen)
    check_rules_exist(typed, typed_mod, jvp_of, "forward rule or gradient")
    ctx = ForwardContext(mod, typed_mod)
    return EntryBuilder(ctx).build(typed, active)


def dual_type(ty: Type, adt_names: dict) -> Type:
    """The type of `ty`'s values in forward-mode output: float tensors become pairs."""
    if is_float_tensor(ty):
        return TupleType((ty, ty))
    match ty:
        case TupleType(fields=fields):
            return TupleType(tuple(dual_type(f, adt_names) for f in fields))
        case FuncType(arg_types=args, ret_type=ret, type_params=params):
            return FuncType(
                tuple(dual_type(a, adt_names) for a in args), dual_type(ret, adt_names), params
            )
        case RefType(value=value):
            return RefType(dual_type(value, adt_names))
        case TypeCall(func=func, args=args):
            return TypeCall(adt_names.get(func, func), tuple(dual_type(a, adt_names) for a in args))
    return ty


class ForwardContext(ADContext):
    """What one forward-mode run adds to the module: derived globals (``@f_jvp``) and dual
    versions of ADTs (``List_jvp``).

    `duals` maps a variable bound to a dual pair to the atoms of its value and tangent (None
    for a statically zero tangent), so ops use them without projecting the pair.
    """

    adt_suffix = "_jvp"
    derived_suffix = "_jvp"

    def __init__(self, mod: IRModule, typed: IRModule):
        super().__init__(mod, typed)
        self.duals: dict[Var, tuple[Expr, Expr | None]] = {}

    def map_type(self, ty: Type) -> Type:
        return dual_type(ty, self.adt_names)


class Transformer(StructuralTransformer):
    """Rewrites one function body (and the closures inside it) for forward mode."""

    def parts(self, expr: Expr) -> tuple[list, Expr]:
        if isinstance(expr, Constant) and is_float_tensor(_constant_type(expr)):
            block = DualBlock(self.ctx)
            return block.bindings, block.dual(expr, None, _constant_type(expr))
        return super().parts(expr)

    def op_parts(self, call: Call) -> tuple[list, Expr]:
        return OpCall(self, call).parts()

    def _constant(self, const: Constant) -> Expr:
        return make_lets(*self.parts(const)) if is_float_tensor(_constant_type(const)) else const

    def _constructor_value(self, ctor: Constructor) -> Expr:
        return self.ctx.constructor(ctor)

    def function(self, func: Function) -> Function:
        """A closure's forward version: the same parameters, with dual types."""
        block = DualBlock(self.ctx)
        params = [self.new_var(p) for p in func.params]
        for param, original in zip(params, func.params, strict=True):
            if is_float_tensor(original.checked_type):
                block.split(param, original.checked_type, remember=True)
        body = block.close(Transformer(self.ctx, self.var_map).visit(func.body))
        ret = func.checked_type.ret_type if isinstance(func.checked_type, FuncType) else None
        ret_type = self.ctx.ad_type(ret) if ret is not None else None
        return Function(params, body, ret_type, func.type_params)

    def _call(self, call: Call) -> Expr:
        callee = call.op
        if isinstance(callee, Op):
            if callee.name == CHECKPOINT:  # keep the annotation for a later reverse pass
                return Call(callee, [self.visit(a) for a in call.args], call.attrs)
            return make_lets(*self.op_parts(call))
        args = [self.visit(a) for a in call.args]
        if isinstance(callee, Constructor):
            return Call(self.ctx.constructor(callee), args)
        return Call(self.visit(callee), args)


def _constant_type(const: Constant) -> Type:
    return const.checked_type or TensorType(const.data.shape, const.data.dtype.name)


class DualBlock(Block):
    """A let-chain of forward-mode output that knows the parts of the dual pairs it binds."""

    def __init__(self, ctx: ForwardContext):
        super().__init__()
        self.ctx = ctx

    def dual(self, value: Expr, tangent: Expr | None, ty: TensorType, name: str = "x") -> Var:
        """Bind the pair of float tensor `value` and its tangent (None: statically zero)."""
        spelled = tangent if tangent is not None else call("zeros_like", value)
        pair = self.emit(f"{name}_dual", Tuple([value, spelled]), self.ctx.ad_type(ty))
        self.ctx.duals[pair] = (value, tangent)
        return pair

    def split(self, pair: Var, ty: TensorType, remember: bool = False) -> tuple[Expr, Expr]:
        """Bind the value and the tangent of dual pair variable `pair`.

        `remember` lets later uses of `pair` take these parts; only safe where they are in
        scope wherever `pair` is (a function's parameters, split at its entry).
        """
        value = self.bind(pair.name_hint, TupleGetItem(pair, 0), ty)
        tangent = self.bind(f"{pair.name_hint}_dot", TupleGetItem(pair, 1), ty)
        if remember:
            self.ctx.duals[pair] = (value, tangent)
        return value, tangent

    def parts_of(self, dual: Expr, ty: Type) -> tuple[Expr, Expr | None]:
        """The value and tangent of dual value `dual` of original type `ty`."""
        known = self.ctx.duals.get(dual)
        if known is not None:
            return known
        if is_float_tensor(ty):
            return self.split(self.bind("pair", dual, self.ctx.ad_type(ty)), ty)
        if isinstance(ty, TupleType) and has_float_leaf(ty):
            return self._tuple_parts(dual, ty)
        return dual, None

    def _tuple_parts(self, dual: Expr, ty: TupleType) -> tuple[Expr, Expr | None]:
        dual = self.bind("pair", dual, self.ctx.ad_type(ty))
        fields = [self.parts_of(TupleGetItem(dual, i), f) for i, f in enumerate(ty.fields)]
        value = self.bind("value", Tuple([v for v, _ in fields]), ty)
        if all(t is None for _, t in fields):
            return value, None
        tangents = [t if t is not None else zeros_like_value(v) for v, t in fields]
        return value, self.bind("tangent", Tuple(tangents), ty)

    def typed(self, value: Expr, ty: Type) -> Expr:
        """`value` as an expression whose type is known, for rules that read argument types."""
        if value.checked_type is None:
            return self.emit("arg", value, ty, checked_type=ty)
        return value


class OpCall:
    """The forward version of one op call: the value, then its tangent from the op's rule."""

    def __init__(self, parent: Transformer, call: Call):
        self.parent = parent
        self.call = call
        self.block = DualBlock(parent.ctx)

    def parts(self) -> tuple[list, Expr]:
        call, block = self.call, self.block
        arg_types = [a.checked_type for a in call.args]
        values, tangents = [], []
        for arg, ty in zip(call.args, arg_types, strict=True):
            value, tangent = self._arg(arg, ty)
            values.append(value)
            tangents.append(tangent if has_float_leaf(ty) else None)
        out_ty = call.checked_type
        forward = Call(call.op, values, call.attrs, checked_type=out_ty)
        if not has_float_leaf(out_ty):
            return block.bindings, forward
        name = call.op.name.split(".")[-1]
        value = block.bind(name, forward, out_ty)
        tangent = self._tangent(forward, value, tangents, name)
        return block.bindings, self._dual(value, tangent, out_ty, name)

    def _arg(self, arg: Expr, ty: Type) -> tuple[Expr, Expr | None]:
        bindings, dual = self.parent.parts(arg)
        self.block.bindings += bindings
        value, tangent = self.block.parts_of(dual, ty)
        return self.block.typed(value, ty), tangent

    def _tangent(self, forward: Call, value: Var, tangents: list, name: str) -> Expr | None:
        if all(t is None for t in tangents) or op_def(self.call.op).jvp_source == ZERO:
            return None
        rule = jvp_of(self.call.op)(forward, tangents)
        return self.block.bind(
            f"{name}_dot", replace_node(rule, forward, value), forward.checked_type
        )

    def _dual(self, value: Var, tangent: Expr | None, ty: Type, name: str) -> Expr:
        if is_float_tensor(ty):
            return self.block.dual(value, tangent, ty, name)
        fields = []
        for i, field in enumerate(ty.fields):
            part = TupleGetItem(value, i)
            part_tangent = None if tangent is None else TupleGetItem(tangent, i)
            fields.append(self._field_dual(part, part_tangent, field, name))
        return Tuple(fields)

    def _field_dual(self, value: Expr, tangent: Expr | None, ty: Type, name: str) -> Expr:
        if is_float_tensor(ty):
            bound = self.block.bind(name, value, ty)
            spelled = tangent if tangent is None else self.block.bind(f"{name}_dot", tangent, ty)
            return self.block.dual(bound, spelled, ty, name)
        if isinstance(ty, TupleType):
            return self._dual(self.block.bind(name, value, ty), tangent, ty, name)
        return value


class EntryBuilder(HelperGlobals):
    """The entry function: zip parameters with tangents, transform, unzip the result (ADT
    values through helper globals ``@jvp_zip_List``, ``@jvp_tangent_List``, ...)."""

    prefix = "jvp"

    def _build(self, kind: str, ty: TypeCall) -> Function:
        return _HELPERS[kind](self, ty)

    def build(self, func: Function, active: list[int]) -> Function:
        block = DualBlock(self.ctx)
        transformer = Transformer(self.ctx)
        tangent_params = []
        for i, param in enumerate(func.params):
            ty = param.checked_type
            check_supported(ty, f"parameter %{param.name_hint}", "tangent")
            if i in active:
                tangent = Var(f"{param.name_hint}_dot", ty)
                tangent_params.append((active.index(i), tangent))
                transformer.var_map[param] = self.zip(block, param, tangent, ty)
            else:
                transformer.var_map[param] = self.zip(block, param, None, ty)
        out_type = func.checked_type.ret_type
        check_supported(out_type, "the result", "tangent")
        bindings, value = transformer.parts(func.body)  # one flat chain for the optimizer
        block.bindings += bindings
        out = block.bind("result", value, self.ctx.ad_type(out_type))
        result = Tuple([self.primal(out, out_type), self.tangent(out, out_type)])
        self._transform_pending_globals()
        tangents = [t for _, t in sorted(tangent_params, key=lambda p: p[0])]
        ret = TupleType([out_type, out_type])
        return Function([*func.params, *tangents], block.close(result), ret)

    def zip(self, block: DualBlock, value: Expr, tangent: Expr | None, ty: Type) -> Expr:
        """The dual value of `value` with `tangent` (None: zero) of the same type."""
        if not has_float_leaf(ty) and not self.changes(ty):
            return value
        if is_float_tensor(ty):
            name = _hint(value)
            return block.dual(block.bind(name, value, ty), tangent, ty, name)
        if isinstance(ty, TupleType):
            return Tuple(
                [
                    self.zip(
                        block,
                        TupleGetItem(value, i),
                        None if tangent is None else TupleGetItem(tangent, i),
                        f,
                    )
                    for i, f in enumerate(ty.fields)
                ]
            )
        if isinstance(ty, TypeCall):
            if tangent is None:
                return Call(self._helper("lift", ty), [value])
            return Call(self._helper("zip", ty), [value, tangent])
        return value

    def primal(self, dual: Expr, ty: Type) -> Expr:
        if is_float_tensor(ty):
            return TupleGetItem(dual, 0)
        if isinstance(ty, TupleType):
            return Tuple([self.primal(TupleGetItem(dual, i), f) for i, f in enumerate(ty.fields)])
        if isinstance(ty, TypeCall) and self.changes(ty):
            return Call(self._helper("primal", ty), [dual])
        return dual

    def tangent(self, dual: Expr, ty: Type) -> Expr:
        if is_float_tensor(ty):
            return TupleGetItem(dual, 1)
        if isinstance(ty, TupleType):
            return Tuple([self.tangent(TupleGetItem(dual, i), f) for i, f in enumerate(ty.fields)])
        if isinstance(ty, TypeCall):
            return Call(self._helper("tangent", ty), [dual])
        return call("zeros_like", dual)

    def _transform_pending_globals(self) -> None:
        ctx = self.ctx
        while ctx.pending:
            source, target = ctx.pending.pop()
            ctx.mod[target] = Transformer(ctx).function(ctx.typed[source])


def _hint(expr: Expr) -> str:
    return expr.name_hint if isinstance(expr, Var) else "x"


def _walk_helper(entry: EntryBuilder, ty: TypeCall, dual_in: bool, build, ret: Type) -> Function:
    """``fn (%x) { match (%x) { Ctor(%f0, ...) => build(ctor, fields) ... } }``, `fields`
    pairs of a field variable and its original type."""
    x = Var("x", entry.ctx.ad_type(ty) if dual_in else ty)
    return Function([x], Match(x, entry.clauses(ty, dual_in, build)), ret)


def _build_lift(entry: EntryBuilder, ty: TypeCall) -> Function:
    def build(ctor, fields):
        block = DualBlock(entry.ctx)
        duals = [entry.zip(block, f, None, t) for f, t in fields]
        return block.close(Call(entry.ctx.constructor(ctor), duals))

    return _walk_helper(entry, ty, False, build, entry.ctx.ad_type(ty))


def _build_primal(entry: EntryBuilder, ty: TypeCall) -> Function:
    def build(ctor, fields):
        return Call(ctor, [entry.primal(f, t) for f, t in fields])

    return _walk_helper(entry, ty, True, build, ty)


def _build_tangent(entry: EntryBuilder, ty: TypeCall) -> Function:
    def build(ctor, fields):
        return Call(ctor, [entry.tangent(f, t) for f, t in fields])

    return _walk_helper(entry, ty, True, build, ty)


def _build_zip(entry: EntryBuilder, ty: TypeCall) -> Function:
    """Walk a value and its tangent together; a tangent of another shape counts as zero."""
    x, dx = Var("x", ty), Var("x_dot", ty)

    def build(ctor, fields, tangents, types):
        block = DualBlock(entry.ctx)
        duals = [entry.zip(block, *parts) for parts in zip(fields, tangents, types, strict=True)]
        return block.close(Call(entry.ctx.constructor(ctor), duals))

    clauses = entry.paired_clauses(ty, False, build, lambda: Call(entry._helper("lift", ty), [x]))
    return Function([x, dx], Match(Tuple([x, dx]), clauses), entry.ctx.ad_type(ty))


_HELPERS = {
    "lift": _build_lift,
    "primal": _build_primal,
    "tangent": _build_tangent,
    "zip": _build_zip,
}
