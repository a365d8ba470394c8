"""Moving whole values in and out of AD form: lifting, seeding, reading gradients.

For tensors and tuples the code is inline. For ADT values (a List of tensors, a Tree) it is a
recursive helper global per concrete type, generated on first use and added to the module.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable

from ..errors import GradientError
from ..ir.expr import (
    Call,
    Clause,
    Expr,
    Function,
    GlobalVar,
    Match,
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
)
from ..ir.op import Op
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall, TypeVar
from ..ir.visitor import make_lets, pre_order
from ..ops.gradients import call
from ..typing.unify import substitute
from .adtypes import UNIT, is_float_tensor
from .context import ADContext


def has_float_leaf(ty: Type) -> bool:
    """Whether a tensor or tuple type holds a float tensor (ADTs: see ADContext)."""
    if isinstance(ty, TupleType):
        return any(has_float_leaf(f) for f in ty.fields)
    return is_float_tensor(ty)


def primal(e: Expr, ty: Type) -> Expr:
    """The plain value inside AD value `e` of original type `ty` (tensors and tuples)."""
    if is_float_tensor(ty):
        return TupleGetItem(e, 0)
    if isinstance(ty, TupleType) and has_float_leaf(ty):
        return Tuple([primal(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
    return e


def lift(e: Expr, ty: Type) -> Expr:
    """Plain value `e` paired with fresh zero gradient refs (tensors and tuples)."""
    if is_float_tensor(ty):
        return Tuple([e, RefCreate(call("zeros_like", e))])
    if isinstance(ty, TupleType) and has_float_leaf(ty):
        return Tuple([lift(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
    return e


def read_gradient(e: Expr, ty: Type) -> Expr:
    """The gradient accumulated so far in AD value `e` (zeros for non-float leaves)."""
    if is_float_tensor(ty):
        return RefRead(TupleGetItem(e, 1))
    if isinstance(ty, TupleType):
        return Tuple([read_gradient(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
    return call("zeros_like", e)


def accumulate(e: Expr, grad: Expr, ty: Type) -> Expr | None:
    """Add `grad` into the gradient refs of AD value `e`; None when `ty` has no float leaf."""
    if is_float_tensor(ty):
        # two copies of the projection rather than one shared node: sharing means "computed
        # once" and would send the optimizer through A-normal form for a pure projection
        return add_into(lambda: _project(e, 1), grad, ty)
    if not (isinstance(ty, TupleType) and has_float_leaf(ty)):
        return None
    steps = [
        accumulate(TupleGetItem(e, i), TupleGetItem(grad, i), f) for i, f in enumerate(ty.fields)
    ]
    return sequence([s for s in steps if s is not None])


def add_into(ref: Callable[[], Expr], grad: Expr, ty: TensorType) -> RefWrite:
    """``ref := ref + grad``; `ref()` gives a fresh copy of the ref expression per use.

    The sum is typed: it is the gradient that the optimizer later reads the ref for.
    """
    total = Call(Op.get("add"), (RefRead(ref()), grad), checked_type=ty)
    return RefWrite(ref(), total)


def _project(e: Expr, index: int) -> TupleGetItem:
    """``e.index``, with fresh nodes along `e` when it is itself a projection."""
    if isinstance(e, TupleGetItem):
        e = _project(e.tuple_value, e.index)
    return TupleGetItem(e, index)


def sequence(effects: list[Expr]) -> Expr:
    """Evaluate `effects` in order; the unit value."""
    return make_lets([(Var("_", UNIT), effect) for effect in effects], Tuple(()))


class HelperGlobals(ABC):
    """Recursive helper globals that walk whole ADT values, one per kind of walk and concrete
    type (``@ad_lift_List``), generated on first use and added to the context's module. A
    helper identical to one an earlier transformation left in the module is reused.

    Subclasses say which walks there are (`_build`) and how their globals are named
    (`prefix`); reverse mode's are below, forward mode's in forward.py.
    """

    prefix = "ad"

    def __init__(self, ctx: ADContext):
        self.ctx = ctx
        self.helpers: dict[tuple[str, Type], GlobalVar] = {}
        self.added: list[Function] = []  # the helpers this transformation added to the module

    def changes(self, ty: Type) -> bool:
        """Whether AD represents values of `ty` differently (they hold float tensors)."""
        return self.ctx.ad_type(ty) != ty

    @abstractmethod
    def _build(self, kind: str, ty: TypeCall) -> Function:
        """The helper function of walk `kind` over values of `ty`."""

    def _helper(self, kind: str, ty: TypeCall) -> GlobalVar:
        key = (kind, ty)
        if key not in self.helpers:
            base = f"{self.prefix}_{kind}_{ty.func.name_hint}"
            earlier = [g for g in self.ctx.mod.functions if _is_version_of(g.name_hint, base)]
            # Registered before it is built: a recursive type's helper calls itself.
            self.helpers[key] = gvar = GlobalVar(self._fresh_name(base))
            func = self.ctx.mod[gvar] = self._build(kind, ty)
            same = _identical_global(self.ctx.mod, func, earlier)
            if same is not None and not self._called_by_added(gvar):
                del self.ctx.mod.functions[gvar]  # an earlier transformation left the same
                self.helpers[key] = same
            else:
                self.added.append(func)
        return self.helpers[key]

    def _called_by_added(self, gvar: GlobalVar) -> bool:
        """Whether a helper kept by this transformation calls `gvar` (it must stay then)."""
        return any(node == gvar for f in self.added for node in pre_order(f))

    def _fresh_name(self, base: str) -> str:
        name, n = base, 0
        while name in self.ctx.mod:
            n += 1
            name = f"{base}_{n}"
        return name

    def field_types(self, ty: TypeCall, ctor) -> list[Type]:
        """The types of `ctor`'s fields in a value of the concrete ADT type `ty`."""
        data = self.ctx.typed.type_definitions[ty.func]
        binding = dict(zip(data.type_vars, ty.args, strict=True))
        return [substitute(t, binding) for t in ctor.inputs]

    def constructors(self, ty: TypeCall) -> list:
        return list(self.ctx.typed.type_definitions[ty.func].constructors)

    def clauses(self, ty: TypeCall, source_ad: bool, build) -> list[Clause]:
        """One clause per constructor of `ty`: ``Ctor(%f0, ...) => build(ctor, fields)``,
        matching the AD version of the value when `source_ad`."""
        out = []
        for ctor in self.constructors(ty):
            field_types = self.field_types(ty, ctor)
            match_ctor = self.ctx.constructor(ctor) if source_ad else ctor
            var_types = [self.ctx.ad_type(t) if source_ad else t for t in field_types]
            fields = [Var(f"f{i}", t) for i, t in enumerate(var_types)]
            pattern = PatternConstructor(match_ctor, [PatternVar(f) for f in fields])
            out.append(Clause(pattern, build(ctor, list(zip(fields, field_types, strict=True)))))
        return out

    def paired_clauses(self, ty: TypeCall, first_ad: bool, build, otherwise) -> list:
        """Clauses matching a pair of values of `ty` with the same constructor (the first in
        AD form when `first_ad`): ``(Ctor(%f...), Ctor(%c...)) => build(ctor, f, c, types)``;
        pairs of different constructors give `otherwise()` (built only when there are)."""
        out = []
        for ctor in self.constructors(ty):
            types = self.field_types(ty, ctor)
            first_types = [self.ctx.ad_type(t) for t in types] if first_ad else types
            firsts = [Var(f"f{i}", t) for i, t in enumerate(first_types)]
            seconds = [Var(f"c{i}", t) for i, t in enumerate(types)]
            first_ctor = self.ctx.constructor(ctor) if first_ad else ctor
            pattern = PatternTuple(
                [
                    PatternConstructor(first_ctor, [PatternVar(f) for f in firsts]),
                    PatternConstructor(ctor, [PatternVar(c) for c in seconds]),
                ]
            )
            out.append(Clause(pattern, build(ctor, firsts, seconds, types)))
        if len(out) > 1:
            out.append(Clause(PatternWildcard(), otherwise()))
        return out


class StructureCode(HelperGlobals):
    """Code that walks whole values of any parameter or result type, ADTs included."""

    def check_supported(self, ty: Type, what: str) -> None:
        """Reject types whose values cannot be moved in or out of AD form."""
        check_supported(ty, what)

    def lift(self, e: Expr, ty: Type) -> Expr:
        if isinstance(ty, TypeCall) and self.changes(ty):
            return Call(self._helper("lift", ty), [e])
        if isinstance(ty, TupleType) and self.changes(ty):
            return Tuple([self.lift(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
        return lift(e, ty)

    def unlift(self, e: Expr, ty: Type) -> Expr:
        if isinstance(ty, TypeCall) and self.changes(ty):
            return Call(self._helper("unlift", ty), [e])
        if isinstance(ty, TupleType) and self.changes(ty):
            return Tuple([self.unlift(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
        return primal(e, ty)

    def gradients(self, e: Expr, ty: Type) -> Expr:
        """The gradient of AD value `e`: the original structure with gradients at the leaves."""
        if isinstance(ty, TypeCall):
            return Call(self._helper("gradients", ty), [e])
        if isinstance(ty, TupleType):
            return Tuple([self.gradients(TupleGetItem(e, i), f) for i, f in enumerate(ty.fields)])
        if is_float_tensor(ty):
            return RefRead(TupleGetItem(e, 1))
        return call("zeros_like", e)

    def seed(self, e: Expr, ty: Type, cotangent: Expr | None) -> Expr:
        """Add `cotangent` (ones when None) to the gradient refs of every leaf of `e`."""
        if isinstance(ty, TypeCall) and self.changes(ty):
            args = [e] if cotangent is None else [e, cotangent]
            return Call(self._helper("seed" if cotangent is None else "seed_with", ty), args)
        if isinstance(ty, TupleType):
            return sequence([self._seed_field(e, ty, cotangent, i) for i in range(len(ty.fields))])
        if is_float_tensor(ty):
            grad = cotangent if cotangent is not None else call("ones_like", TupleGetItem(e, 0))
            return accumulate(e, grad, ty)
        return Tuple(())

    def _seed_field(self, e: Expr, ty: TupleType, cotangent: Expr | None, i: int) -> Expr:
        field_cotangent = None if cotangent is None else TupleGetItem(cotangent, i)
        return self.seed(TupleGetItem(e, i), ty.fields[i], field_cotangent)

    def _build(self, kind: str, ty: TypeCall) -> Function:
        return _HELPER_BUILDERS[kind](self, ty)


def _is_version_of(name: str, base: str) -> bool:
    """Whether `name` is `base` or a fresh version of it, ``base_<n>``."""
    return name == base or (name.startswith(base + "_") and name[len(base) + 1 :].isdigit())


def _identical_global(mod, func: Function, candidates: list) -> GlobalVar | None:
    """The candidate whose function prints as `func` does, up to the versions of the helpers
    they call (``@ad_lift_List_2`` and ``@ad_lift_List`` read the same)."""
    text = _without_versions(str(func))
    for candidate in candidates:
        if _without_versions(str(mod[candidate])) == text:
            return candidate
    return None


def _without_versions(text: str) -> str:
    return _HELPER_VERSION.sub(r"\1", text)


_HELPER_VERSION = re.compile(r"(@(?:ad|jvp)_[a-z_]+?_\w+?)(?:_\d+)?(?!\w)")


def _build_lift(code: StructureCode, ty: TypeCall) -> Function:
    x = Var("x", ty)

    def build(ctor, fields):
        return Call(code.ctx.constructor(ctor), [code.lift(f, t) for f, t in fields])

    return Function([x], Match(x, code.clauses(ty, False, build)), code.ctx.ad_type(ty))


def _build_unlift(code: StructureCode, ty: TypeCall) -> Function:
    x = Var("x", code.ctx.ad_type(ty))

    def build(ctor, fields):
        return Call(ctor, [code.unlift(f, t) for f, t in fields])

    return Function([x], Match(x, code.clauses(ty, True, build)), ty)


def _build_gradients(code: StructureCode, ty: TypeCall) -> Function:
    x = Var("x", code.ctx.ad_type(ty))

    def build(ctor, fields):
        return Call(ctor, [code.gradients(f, t) for f, t in fields])

    return Function([x], Match(x, code.clauses(ty, True, build)), ty)


def _build_seed(code: StructureCode, ty: TypeCall) -> Function:
    x = Var("x", code.ctx.ad_type(ty))

    def build(ctor, fields):
        return sequence([code.seed(f, t, None) for f, t in fields])

    return Function([x], Match(x, code.clauses(ty, True, build)), UNIT)


def _build_seed_with(code: StructureCode, ty: TypeCall) -> Function:
    """Seed an AD value with a cotangent of the same shape, walking both together (a
    cotangent of another shape adds nothing)."""
    x, ct = Var("x", code.ctx.ad_type(ty)), Var("cotangent", ty)

    def build(ctor, ad_fields, ct_fields, types):
        steps = [code.seed(f, t, c) for f, c, t in zip(ad_fields, ct_fields, types, strict=True)]
        return sequence(steps)

    clauses = code.paired_clauses(ty, True, build, lambda: Tuple(()))
    return Function([x, ct], Match(Tuple([x, ct]), clauses), UNIT)


_HELPER_BUILDERS = {
    "lift": _build_lift,
    "unlift": _build_unlift,
    "gradients": _build_gradients,
    "seed": _build_seed,
    "seed_with": _build_seed_with,
}


def check_supported(ty: Type, what: str, derivative: str = "gradient") -> None:
    """Reject parameter and result types whose values cannot be moved in or out of AD form
    (`derivative` names what they would lack: a gradient, or a tangent in forward mode)."""
    bad = _unsupported(ty, derivative)
    if bad is not None:
        raise GradientError(f"cannot differentiate with respect to {what} of type {ty}: {bad}")


def _unsupported(ty: Type, derivative: str) -> str | None:
    """Why values of `ty` cannot cross into AD form, or None."""
    if isinstance(ty, FuncType):
        return f"functions have no {derivative}"
    if isinstance(ty, RefType):
        return f"references have no {derivative}"
    if isinstance(ty, TypeVar):
        return "the type must be concrete"
    if isinstance(ty, TupleType | TypeCall):
        children = ty.fields if isinstance(ty, TupleType) else ty.args
        reasons = (_unsupported(child, derivative) for child in children)
        return next((r for r in reasons if r is not None), None)
    if isinstance(ty, TensorType):
        return None
    return f"unsupported type {ty}"
