"""Common subexpression elimination over A-normal form.

The program is first put in A-normal form, so every operator call, tuple and projection is a
let binding over atoms. Walking each let-chain in order, a binding whose value (op, attributes,
type arguments, argument atoms) was already bound in this scope or an enclosing one is
dropped, and its variable is replaced by the earlier one. Only values that cannot act and do
not allocate are merged: operator calls, tuples and projections. Constructor calls are left
alone: two ``Nil`` may have different types (their arguments do not pin the type). Two
``ref(...)`` are two cells, a reference read depends on the time it runs, and calls of
closures or globals may act, so those are never merged. A let of a variable (``let %a = %b``)
is an alias and is substituted away.
"""

from __future__ import annotations

from ..ir.expr import (
    Call,
    Constant,
    Constructor,
    Expr,
    GlobalVar,
    Let,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.op import Op
from ..ir.visitor import ExprMutator, rebuild_lets
from .anf import is_anf, to_anf
from .effects import map_functions


def eliminate_common_subexpr(target):
    """`target` (an expression or module) in A-normal form with repeated pure values merged.

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { add(multiply(%x, %x), multiply(%x, %x)) }")
    >>> print(eliminate_common_subexpr(f))
    fn (%x: float32) {
      let %multiply = multiply(%x, %x);
      let %add = add(%multiply, %multiply);
      %add
    }
    """
    return map_functions(
        target, lambda expr: _Merger().visit(_normal(expr)), "eliminate_common_subexpr"
    )


def _normal(expr: Expr) -> Expr:
    return expr if is_anf(expr) else to_anf(expr)  # optimizer input mostly already is


class _Merger(ExprMutator):
    def __init__(self):
        super().__init__()
        self.renamed: dict[int, Expr] = {}
        self.available: dict[tuple, Var] = {}  # value key -> the variable already holding it

    def visit_var(self, expr: Var) -> Expr:
        return self.renamed.get(id(expr), expr)

    def visit_let(self, expr: Let) -> Expr:
        added: list[tuple] = []  # keys bound in this chain, forgotten when it ends
        kept: list[tuple[Let, Expr]] = []
        while isinstance(expr, Let):
            value = self.visit(expr.value)
            if not self.merged(expr.var, value, added):
                kept.append((expr, value))
            expr = expr.body
        result = self.visit(expr)
        for key in added:
            del self.available[key]
        return rebuild_lets(kept, result)

    def merged(self, var: Var, value: Expr, added: list[tuple]) -> bool:
        """Whether `var` can be replaced by an earlier variable (or an alias) from now on."""
        if isinstance(value, Var | GlobalVar | Constant):
            self.renamed[id(var)] = value
            return True
        key = _key(value)
        if key is None:
            return False
        earlier = self.available.get(key)
        if earlier is not None:
            self.renamed[id(var)] = earlier
            return True
        self.available[key] = var
        added.append(key)
        return False


def _key(value: Expr) -> tuple | None:
    """A hashable description of a mergeable value, or None."""
    match value:
        case Call(op=Op() as op, args=args, attrs=attrs, type_args=type_args):
            atoms = _atom_keys(args)
            return atoms and ("call", id(op), attrs, _type_key(type_args), atoms)
        case Tuple(fields=fields):
            atoms = _atom_keys(fields)
            return atoms and ("tuple", atoms)
        case TupleGetItem(tuple_value=Var() as tup, index=index):
            return ("project", id(tup), index)
    return None


def _atom_keys(atoms: tuple[Expr, ...]) -> tuple | None:
    keys = []
    for atom in atoms:
        if isinstance(atom, Var):
            keys.append(("var", id(atom)))
        elif isinstance(atom, Constant):
            keys.append(("const", atom.data.dtype.str, atom.data.shape, atom.data.tobytes()))
        elif isinstance(atom, GlobalVar | Op | Constructor):
            keys.append(("global", id(atom) if not isinstance(atom, GlobalVar) else atom))
        else:
            return None
    return ("atoms", *keys)


def _type_key(type_args) -> tuple:
    return tuple(str(t) for t in type_args)
