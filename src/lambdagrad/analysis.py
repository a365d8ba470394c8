"""Questions about programs: alpha-equivalence, op counts, which node kinds occur."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .deep import run_deep
from .dotgraph import render, to_dot
from .ir.expr import (
    Call,
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
)
from .ir.module import IRModule
from .ir.op import Op
from .ir.types import (
    FuncType,
    GlobalTypeVar,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
    TypeVar,
)
from .ir.visitor import bound_vars, free_vars, post_order

__all__ = ["alpha_equal", "count_ops", "features", "free_vars", "bound_vars", "render", "to_dot"]


def _expressions(target) -> list[Expr]:
    if isinstance(target, IRModule):
        return list(target.functions.values())
    return [target]


def count_ops(target) -> dict[str, int]:
    """How many calls of each operator `target` (an expression or module) contains.

    Shared subexpressions count once.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", shape=(3,))
    >>> lg.analysis.count_ops(lg.Function([x], x * x + x))
    {'multiply': 1, 'add': 1}
    """
    counts: Counter[str] = Counter()
    for expr in _expressions(target):
        for node in post_order(expr):
            if isinstance(node, Call) and isinstance(node.op, Op):
                counts[node.op.name] += 1
    return dict(counts)


def features(target) -> set[str]:
    """The names of the node kinds present in `target`, such as ``{"Let", "Call", "Var"}``.

    >>> import lambdagrad as lg
    >>> sorted(lg.analysis.features(lg.parse_expr("fn (%x: float32) { ref(%x) }")))
    ['Function', 'RefCreate', 'Var']
    """
    kinds: set[str] = set()
    for expr in _expressions(target):
        kinds.update(type(node).__name__ for node in post_order(expr))
    return kinds


def alpha_equal(a, b, map_free_vars: bool = True) -> bool:
    """Whether `a` and `b` (expressions, types or modules) are equal up to renaming.

    Bound variables correspond by position; with `map_free_vars` free variables may also be
    renamed (consistently), so two separate parses of the same text compare equal.

    >>> import lambdagrad as lg
    >>> lg.analysis.alpha_equal(lg.parse_expr("fn (%a) { %a }"), lg.parse_expr("fn (%b) { %b }"))
    True
    """
    return run_deep(_AlphaEqual(map_free_vars).equal, a, b)  # types may nest deeply


class _AlphaEqual:
    def __init__(self, map_free_vars: bool):
        self.map_free_vars = map_free_vars
        self.forward: dict[int, object] = {}
        self.backward: dict[int, object] = {}

    def equal(self, a, b) -> bool:
        if isinstance(a, IRModule) or isinstance(b, IRModule):
            return self.modules(a, b)
        if isinstance(a, Type) and isinstance(b, Type):
            return self.types(a, b)
        return self.exprs(a, b)

    def modules(self, a, b) -> bool:
        if not (isinstance(a, IRModule) and isinstance(b, IRModule)):
            return False
        if set(a.type_definitions) != set(b.type_definitions) or set(a.functions) != set(
            b.functions
        ):
            return False
        for header, data in a.type_definitions.items():
            other = b.type_definitions[header]
            if not self.bind_all(data.type_vars, other.type_vars):
                return False
            if len(data.constructors) != len(other.constructors):
                return False
            for c1, c2 in zip(data.constructors, other.constructors, strict=True):
                if c1.name_hint != c2.name_hint or not self.type_lists(c1.inputs, c2.inputs):
                    return False
        return all(self.exprs(f, b.functions[g]) for g, f in a.functions.items())

    def bind(self, x, y) -> bool:
        """Record that `x` (in a) corresponds to `y` (in b); fail on an inconsistent pairing."""
        fx, by = self.forward.get(id(x)), self.backward.get(id(y))
        if fx is None and by is None:
            self.forward[id(x)], self.backward[id(y)] = y, x
            return True
        return fx is y and by is x

    def bind_all(self, xs, ys) -> bool:
        return len(xs) == len(ys) and all(self.bind(x, y) for x, y in zip(xs, ys, strict=True))

    def var_use(self, x, y) -> bool:
        if id(x) in self.forward or id(y) in self.backward or self.map_free_vars:
            return self.bind(x, y)
        return x is y

    def types(self, a: Type | None, b: Type | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        if type(a) is not type(b):
            return False
        match a:
            case TensorType() | GlobalTypeVar():
                return a == b
            case TypeVar() | IncompleteType():
                return self.var_use(a, b)
            case TupleType():
                return self.type_lists(a.fields, b.fields)
            case FuncType():
                return (
                    self.bind_all(a.type_params, b.type_params)
                    and self.type_lists(a.arg_types, b.arg_types)
                    and self.types(a.ret_type, b.ret_type)
                )
            case RefType():
                return self.types(a.value, b.value)
            case TypeCall():
                return a.func == b.func and self.type_lists(a.args, b.args)
        return a is b

    def type_lists(self, xs, ys) -> bool:
        return len(xs) == len(ys) and all(self.types(x, y) for x, y in zip(xs, ys, strict=True))

    def exprs(self, a: Expr, b: Expr) -> bool:
        compared: set[tuple[int, int]] = set()
        stack = [(a, b)]
        while stack:
            x, y = stack.pop()
            if (id(x), id(y)) in compared:
                continue
            compared.add((id(x), id(y)))
            pairs = self.node(x, y)
            if pairs is None:
                return False
            stack.extend(reversed(pairs))
        return True

    def node(self, x: Expr, y: Expr) -> list[tuple] | None:
        """Compare the node-local parts of `x` and `y`; return the child pairs still to compare."""
        if type(x) is not type(y):
            return None
        handler = getattr(self, "node_" + type(x).__name__.lower())
        return handler(x, y)

    def node_var(self, x: Var, y: Var):
        return [] if self.var_use(x, y) else None

    def node_globalvar(self, x: GlobalVar, y: GlobalVar):
        return [] if x.name_hint == y.name_hint else None

    def node_op(self, x: Op, y: Op):
        return [] if x is y else None

    def node_constructor(self, x: Constructor, y: Constructor):
        same = x.name_hint == y.name_hint and x.belong_to == y.belong_to
        return [] if same else None

    def node_constant(self, x: Constant, y: Constant):
        same = x.data.dtype == y.data.dtype and x.data.shape == y.data.shape
        return [] if same and np.array_equal(x.data, y.data, equal_nan=_has_nan(x)) else None

    def node_tuple(self, x: Tuple, y: Tuple):
        return _zip_or_none(x.fields, y.fields)

    def node_tuplegetitem(self, x: TupleGetItem, y: TupleGetItem):
        return [(x.tuple_value, y.tuple_value)] if x.index == y.index else None

    def node_function(self, x: Function, y: Function):
        if not self.bind_all(x.type_params, y.type_params):
            return None
        if not self.bind_all(x.params, y.params):
            return None
        for p, q in zip(x.params, y.params, strict=True):
            if not self.types(p.type_annotation, q.type_annotation):
                return None
        if not self.types(x.ret_type, y.ret_type):
            return None
        return [(x.body, y.body)]

    def node_call(self, x: Call, y: Call):
        if x.attrs != y.attrs or not self.type_lists(x.type_args, y.type_args):
            return None
        return _zip_or_none((x.op, *x.args), (y.op, *y.args))

    def node_let(self, x: Let, y: Let):
        if not self.bind(x.var, y.var):
            return None
        if not self.types(x.var.type_annotation, y.var.type_annotation):
            return None
        return [(x.value, y.value), (x.body, y.body)]

    def node_if(self, x: If, y: If):
        return [(x.cond, y.cond), (x.true_branch, y.true_branch), (x.false_branch, y.false_branch)]

    def node_refcreate(self, x: RefCreate, y: RefCreate):
        return [(x.value, y.value)]

    def node_refread(self, x: RefRead, y: RefRead):
        return [(x.ref, y.ref)]

    def node_refwrite(self, x: RefWrite, y: RefWrite):
        return [(x.ref, y.ref), (x.value, y.value)]

    def node_match(self, x: Match, y: Match):
        if x.complete != y.complete or len(x.clauses) != len(y.clauses):
            return None
        pairs = [(x.data, y.data)]
        for c1, c2 in zip(x.clauses, y.clauses, strict=True):
            if not self.patterns(c1.lhs, c2.lhs):
                return None
            pairs.append((c1.rhs, c2.rhs))
        return pairs

    def patterns(self, p: Pattern, q: Pattern) -> bool:
        if type(p) is not type(q):
            return False
        match p:
            case PatternWildcard():
                return True
            case PatternVar():
                return self.bind(p.var, q.var) and self.types(
                    p.var.type_annotation, q.var.type_annotation
                )
            case PatternConstructor():
                if self.node_constructor(p.constructor, q.constructor) is None:
                    return False
                return self.pattern_lists(p.patterns, q.patterns)
            case PatternTuple():
                return self.pattern_lists(p.patterns, q.patterns)
        return False

    def pattern_lists(self, ps, qs) -> bool:
        return len(ps) == len(qs) and all(self.patterns(p, q) for p, q in zip(ps, qs, strict=True))


def _zip_or_none(xs, ys):
    return list(zip(xs, ys, strict=True)) if len(xs) == len(ys) else None


def _has_nan(constant: Constant) -> bool:
    return constant.data.dtype.kind in "fc"
