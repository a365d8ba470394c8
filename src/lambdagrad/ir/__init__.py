"""The IR: expression nodes, types, modules and traversal helpers."""

from .attrs import Attrs
from .expr import (
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
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
    map_pattern,
    pattern_vars,
    to_expr,
)
from .module import IRModule
from .op import Op
from .types import (
    DTYPES,
    FuncType,
    GlobalTypeVar,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
    TypeData,
    TypeVar,
    scalar_type,
)
from .visitor import ExprMutator, ExprVisitor, bound_vars, free_vars, post_order, pre_order

__all__ = [
    "Attrs", "Call", "Clause", "Constant", "Constructor", "Expr", "Function", "GlobalVar",
    "If", "Let", "Match", "Pattern", "PatternConstructor", "PatternTuple", "PatternVar",
    "PatternWildcard", "RefCreate", "RefRead", "RefWrite", "Tuple", "TupleGetItem", "Var",
    "map_pattern", "pattern_vars", "to_expr", "IRModule", "Op", "DTYPES", "FuncType",
    "GlobalTypeVar",
    "IncompleteType", "RefType", "TensorType", "TupleType", "Type", "TypeCall", "TypeData",
    "TypeVar", "scalar_type", "ExprMutator", "ExprVisitor", "bound_vars", "free_vars",
    "post_order", "pre_order",
]
