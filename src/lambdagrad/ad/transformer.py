"""The skeleton both AD transformations share: a memoized walk over a function body that
maps binders to variables of the transformed types and rebuilds the nodes whose transformed
version has the same shape (tuples, projections, `if`, `match`, refs), floating each op call's
bindings into the enclosing let-chain.

A mode supplies the rest: how op calls, other calls, constants, closures and constructors
used as values are transformed (reverse mode in higher_order.py, forward mode in
forward.py), and its context's `ad_type` (the type of a value in its output).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

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
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
    map_pattern,
)
from ..ir.op import Op
from ..ir.visitor import make_lets

CHECKPOINT = "annotation.checkpoint"


class StructuralTransformer(ABC):
    """Rewrites one function body (and the closures inside it) for one AD mode."""

    def __init__(self, ctx, var_map: dict | None = None):
        self.ctx = ctx
        self.var_map: dict[Var, Expr] = var_map if var_map is not None else {}
        self.memo: dict[int, Expr] = {}

    def visit(self, expr: Expr) -> Expr:
        found = self.memo.get(id(expr))
        if found is None:
            found = self.memo[id(expr)] = self._visit(expr)
        return found

    def _visit(self, expr: Expr) -> Expr:
        match expr:
            case Var():
                return self._var(expr)
            case Let():
                return self._let(expr)
            case Call():
                return self._call(expr)
            case Constant():
                return self._constant(expr)
            case GlobalVar():
                return self.ctx.derived_global(expr)
            case Function():
                return self.function(expr)
            case Constructor():
                return self._constructor_value(expr)
            case Op():
                raise GradientError(
                    f"operator {expr.name} used as a value cannot be differentiated"
                )
        return self._structural(expr)

    @abstractmethod
    def _call(self, call: Call) -> Expr:
        """A call of an op, a constructor, a global or a closure."""

    @abstractmethod
    def _constant(self, const: Constant) -> Expr:
        """A constant, as a value of its transformed type."""

    @abstractmethod
    def _constructor_value(self, ctor: Constructor) -> Expr:
        """A constructor used as a function value."""

    @abstractmethod
    def function(self, func: Function) -> Function:
        """A closure (or a global's function) in its transformed form."""

    @abstractmethod
    def op_parts(self, call: Call) -> tuple[list, Expr]:
        """The bindings of an op call's transformed code and the value they compute."""

    def _var(self, var: Var) -> Expr:
        try:
            return self.var_map[var]
        except KeyError:
            raise GradientError(
                f"free variable %{var.name_hint} in the differentiated program"
            ) from None

    def new_var(self, var: Var) -> Var:
        """The transformed version of a binder, with its type rewritten."""
        ty = self.ctx.ad_type(var.checked_type) if var.checked_type is not None else None
        new = Var(var.name_hint, ty, checked_type=ty)
        self.var_map[var] = new
        return new

    def _structural(self, expr: Expr) -> Expr:
        """Nodes whose transformed version has the same shape."""
        v = self.visit
        match expr:
            case Tuple(fields=fields):
                return Tuple([v(f) for f in fields])
            case TupleGetItem(tuple_value=value, index=index):
                return TupleGetItem(v(value), index)
            case If(cond=cond, true_branch=then, false_branch=other):
                return If(v(cond), v(then), v(other))
            case Match(data=data, clauses=clauses, complete=complete):
                new = [Clause(self._pattern(c.lhs), v(c.rhs)) for c in clauses]
                return Match(v(data), new, complete)
            case RefCreate(value=value):
                return RefCreate(v(value))
            case RefRead(ref=ref):
                return RefRead(v(ref))
            case RefWrite(ref=ref, value=value):
                return RefWrite(v(ref), v(value))
        raise GradientError(f"cannot differentiate {type(expr).__name__} {expr}")

    def _pattern(self, pattern: Pattern) -> Pattern:
        return map_pattern(pattern, self.new_var, self.ctx.constructor)

    def _let(self, expr: Let) -> Expr:
        chain = []
        while isinstance(expr, Let):
            var = self.new_var(expr.var)  # before the value: a let-bound closure may recurse
            bindings, value = self.parts(expr.value)
            chain += bindings
            if isinstance(value, Var):
                self.var_map[expr.var] = value  # an alias: later uses take the value's var
            else:
                chain.append((var, value))
            expr = expr.body
        return make_lets(chain, self.visit(expr))

    def parts(self, expr: Expr) -> tuple[list, Expr]:
        """The transformed code of `expr` as bindings for the enclosing let-chain, and its
        value. An op call's code is a block of bindings: floated into the chain around it
        (the binders are fresh), the output is one flat chain instead of a block per op."""
        if isinstance(expr, Call) and isinstance(expr.op, Op) and expr.op.name != CHECKPOINT:
            return self.op_parts(expr)
        value = self.visit(expr)
        bindings = []
        while isinstance(value, Let):
            bindings.append((value.var, value.value))
            value = value.body
        return bindings, value
