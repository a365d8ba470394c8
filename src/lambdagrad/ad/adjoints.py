"""Adjoints as values, summed per variable: what first-order AD and the split share.

A tensor variable's adjoint is a list of contributions; a tuple variable's is a list of such
lists, one per field, so a projection contributes to its field only. The sums are bound to
new variables (`emit`) when a gradient rule needs them.
"""

from __future__ import annotations

from ..ir.expr import Expr, TupleGetItem, Var
from ..ir.types import TupleType, Type


class Adjoints:
    """Contributions to the adjoints of `active` variables (all, when None); the bindings
    made while summing them go to `bindings`. `carries(ty)` says whether a value of type
    `ty` takes a gradient at all."""

    def __init__(self, active: set[Var] | None = None):
        self.active = active
        self.bindings: list[tuple[Var, Expr]] = []
        self.adjoints: dict[Var, list] = {}

    def carries(self, ty: Type) -> bool:
        raise NotImplementedError

    def emit(self, name: str, value: Expr, ty: Type) -> Expr:
        """`value` bound to a new variable (a variable stays as it is)."""
        if isinstance(value, Var):
            return value
        var = self.new_var(name, ty)
        self.bindings.append((var, value))
        return var

    def new_var(self, name: str, ty: Type) -> Var:
        return Var(name, checked_type=ty)

    def wanted(self, target: Expr) -> bool:
        """Whether `target` is a variable whose adjoint leads to a chosen parameter."""
        return isinstance(target, Var) and (self.active is None or target in self.active)

    def contribute(self, target: Expr, grad: Expr, ty: Type) -> None:
        """Add `grad` to the adjoint of `target` (constants take no gradient)."""
        if not (self.wanted(target) and self.carries(ty)):
            return
        if isinstance(ty, TupleType):
            grad = self.emit("grad", grad, ty)
            for i in range(len(ty.fields)):
                self.contribute_field(target, i, TupleGetItem(grad, i))
            return
        self.adjoints.setdefault(target, []).append(grad)

    def contribute_field(self, target: Var, index: int, grad: Expr) -> None:
        if not self.wanted(target):
            return
        fields = self.adjoints.setdefault(target, [])
        fields.extend([] for _ in range(index + 1 - len(fields)))
        fields[index].append(grad)
