"""Constant folding: operator calls on constants become constants.

Each op is run with its own numpy implementation, the one the interpreter uses, so a folded
program computes bit for bit what it computed before. Let-bound constants (and tuples of
constants) are substituted into their uses, projections of constant tuples are taken and an
`if` on a constant condition picks its branch. Results larger than `MAX_ELEMENTS` that are
also larger than the operands stay unfolded (``zeros(shape=[1000, 1000])`` would bloat the
program), ``annotation.checkpoint`` stays (it tells AD to recompute), and a call that fails
is left for the run to report.
"""

from __future__ import annotations

import numpy as np

from ..errors import Error
from ..ir.expr import Call, Constant, Expr, If, Let, Tuple, TupleGetItem, Var
from ..ir.op import Op
from ..ir.visitor import ExprMutator, let_chain, rebuild_lets
from ..ops.registry import op_def
from .anf import is_checkpoint
from .effects import map_functions

MAX_ELEMENTS = 1000


def fold_constant(target):
    """`target` (an expression or module) with its constant subexpressions evaluated.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { let %a = add(1f, 2f); multiply(%x, %a) }")
    >>> print(fold_constant(f))
    fn (%x: float32) {
      multiply(%x, 3f)
    }
    """
    return map_functions(target, lambda expr: _Folder().visit(expr), "fold_constant")


def is_constant(expr: Expr) -> bool:
    """A constant or a tuple of constants."""
    if isinstance(expr, Tuple):
        return all(is_constant(f) for f in expr.fields)
    return isinstance(expr, Constant)


class _Folder(ExprMutator):
    def __init__(self):
        super().__init__()
        self.known: dict[int, Expr] = {}  # let-bound variable -> its constant value

    def visit_var(self, expr: Var) -> Expr:
        return self.known.get(id(expr), expr)

    def visit_let(self, expr: Let) -> Expr:
        lets, body = let_chain(expr)
        kept = []
        for let in lets:
            value = self.visit(let.value)
            if is_constant(value):
                self.known[id(let.var)] = value  # substituted into every use
            else:
                kept.append((let, value))
        return rebuild_lets(kept, self.visit(body))

    def visit_call(self, expr: Call) -> Expr:
        call = super().visit_call(expr)
        foldable = isinstance(call.op, Op) and not is_checkpoint(call)
        if foldable and all(isinstance(a, Constant) for a in call.args):
            return _evaluate(call) or call
        return call

    def visit_tuple_get_item(self, expr: TupleGetItem) -> Expr:
        item = super().visit_tuple_get_item(expr)
        if isinstance(item.tuple_value, Tuple) and is_constant(item.tuple_value):
            return item.tuple_value.fields[item.index]
        return item

    def visit_if(self, expr: If) -> Expr:
        cond = self.visit(expr.cond)
        if isinstance(cond, Constant) and cond.data.shape == () and cond.data.dtype == bool:
            return self.visit(expr.true_branch if cond.data else expr.false_branch)
        return super().visit_if(expr)


def _evaluate(call: Call) -> Expr | None:
    """The value of an op call on constants, or None when it fails or is too large."""
    definition = op_def(call.op)
    if definition.impl is None:
        return None
    arrays = [a.data for a in call.args]
    try:
        result = definition.impl(*arrays, **call.attrs)
    except (Error, ValueError, TypeError, IndexError, ArithmeticError):
        return None
    budget = max(MAX_ELEMENTS, sum(a.size for a in arrays))
    if _size(result) > budget:
        return None
    return _as_expr(result)


def _size(value) -> int:
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    return np.asarray(value).size


def _as_expr(value) -> Expr:
    if isinstance(value, tuple):
        return Tuple(tuple(_as_expr(v) for v in value))
    return Constant(np.asarray(value))
