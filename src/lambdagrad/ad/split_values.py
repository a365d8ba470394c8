"""Gradient values of any first-order type for the split (split.py): zeros, ones and sums.

A gradient has the type of its value: a tensor, a tuple of gradients, or an ADT value with
the same constructors holding gradients (integer leaves hold zeros). For ADTs the code is
a recursive helper global per kind and concrete type (``@split_add_BTree``), added to the
module on first use.
"""

from __future__ import annotations

from collections.abc import Callable

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
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.types import TupleType, Type, TypeCall, is_static_tensor
from ..ops.gradients import call
from ..typing.unify import substitute
from .adtypes import is_float_tensor


class GradientValues:
    """Code for gradient values in module `mod`, whose ADTs `defs` defines; `fresh(base)`
    gives an unused global name."""

    def __init__(self, mod: IRModule, defs: dict, fresh: Callable[[str], str]):
        self.mod = mod
        self.defs = defs
        self.fresh = fresh
        self.helpers: dict[tuple[str, Type], GlobalVar] = {}
        self._carry: dict[Type, bool] = {}

    def can_carry(self, ty: Type) -> bool:
        """Whether a value of `ty` can hold a float tensor (and so a gradient)."""
        if is_float_tensor(ty):
            return True
        if isinstance(ty, TupleType):
            return any(self.can_carry(f) for f in ty.fields)
        if not isinstance(ty, TypeCall):
            return False
        if ty not in self._carry:
            self._carry[ty] = False  # a recursive occurrence adds nothing new
            fields = [t for c in self.defs[ty.func].constructors for t in self.field_types(ty, c)]
            self._carry[ty] = any(self.can_carry(t) for t in fields)
        return self._carry[ty]

    def field_types(self, ty: TypeCall, ctor) -> list[Type]:
        data = self.defs[ty.func]
        binding = dict(zip(data.type_vars, ty.args, strict=True))
        return [substitute(t, binding) for t in ctor.inputs]

    def zeros(self, ty: Type, like: Callable[[], Expr]) -> Expr:
        """Zeros of type `ty`; `like()` is a value of that type (read only when the shape
        is not static, or for ADTs, whose zeros have its constructors)."""
        if isinstance(ty, TupleType):
            return Tuple(
                [
                    self.zeros(f, lambda i=i: TupleGetItem(like(), i))
                    for i, f in enumerate(ty.fields)
                ]
            )
        if isinstance(ty, TypeCall):
            return Call(self._helper("zeros", ty), [like()])
        if is_static_tensor(ty):
            return call("zeros", shape=ty.shape, dtype=ty.dtype)
        return call("zeros_like", like())

    def ones(self, ty: Type, value: Expr) -> Expr:
        """Ones at every float leaf of `value` (the seed of a result), zeros elsewhere."""
        if isinstance(ty, TupleType):
            return Tuple([self.ones(f, TupleGetItem(value, i)) for i, f in enumerate(ty.fields)])
        if isinstance(ty, TypeCall):
            return Call(self._helper("ones", ty), [value])
        if not is_float_tensor(ty):
            return call("zeros_like", value)
        if is_static_tensor(ty):
            return call("ones", shape=ty.shape, dtype=ty.dtype)
        return call("ones_like", value)

    def add(self, a: Expr, b: Expr, ty: Type) -> Expr:
        """``a + b`` leaf by leaf (integer leaves keep `a`'s)."""
        if isinstance(ty, TupleType):
            return Tuple(
                [
                    self.add(TupleGetItem(a, i), TupleGetItem(b, i), f)
                    for i, f in enumerate(ty.fields)
                ]
            )
        if isinstance(ty, TypeCall):
            return Call(self._helper("add", ty), [a, b])
        return call("add", a, b) if is_float_tensor(ty) else a

    def _helper(self, kind: str, ty: TypeCall) -> GlobalVar:
        key = (kind, ty)
        if key not in self.helpers:
            # registered before it is built: a recursive type's helper calls itself
            gvar = self.helpers[key] = GlobalVar(self.fresh(f"split_{kind}_{ty.func.name_hint}"))
            self.mod[gvar] = self._build_add(ty) if kind == "add" else self._build_map(kind, ty)
        return self.helpers[key]

    def _build_map(self, kind: str, ty: TypeCall) -> Function:
        """``zeros`` or ``ones`` of an ADT value: the same constructors, new leaves."""
        x = Var("x", ty)
        clauses = []
        for ctor in self.defs[ty.func].constructors:
            types = self.field_types(ty, ctor)
            fields = [Var(f"f{i}", t) for i, t in enumerate(types)]
            leaves = [
                self.zeros(t, lambda f=f: f) if kind == "zeros" else self.ones(t, f)
                for f, t in zip(fields, types, strict=True)
            ]
            pattern = PatternConstructor(ctor, [PatternVar(f) for f in fields])
            clauses.append(Clause(pattern, Call(ctor, leaves)))
        return Function([x], Match(x, clauses), ty)

    def _build_add(self, ty: TypeCall) -> Function:
        """The sum of two gradients of one ADT value (of the same constructors)."""
        a, b = Var("a", ty), Var("b", ty)
        clauses = []
        for ctor in self.defs[ty.func].constructors:
            types = self.field_types(ty, ctor)
            firsts = [Var(f"a{i}", t) for i, t in enumerate(types)]
            seconds = [Var(f"b{i}", t) for i, t in enumerate(types)]
            pattern = PatternTuple(
                [
                    PatternConstructor(ctor, [PatternVar(v) for v in firsts]),
                    PatternConstructor(ctor, [PatternVar(v) for v in seconds]),
                ]
            )
            sums = [self.add(f, s, t) for f, s, t in zip(firsts, seconds, types, strict=True)]
            clauses.append(Clause(pattern, Call(ctor, sums)))
        if len(clauses) > 1:
            clauses.append(Clause(PatternWildcard(), a))
        return Function([a, b], Match(Tuple([a, b]), clauses), ty)
