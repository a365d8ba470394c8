"""lambdagrad: a differentiable functional IR in the spirit of TVM Relay's AD design.

>>> import lambdagrad as lg
>>> mod = lg.parse('def @main(%x: Tensor[(2,), float32]) { add(%x, %x) }')
>>> str(lg.transform.infer_type(mod)["main"].checked_type)
'fn (Tensor[(2), float32]) -> Tensor[(2), float32]'
"""

from . import analysis, ops, testing, transform
from .builders import const, var
from .errors import Error, EvaluationError, GradientError, ParseError, TypeInferenceError
from .frontend import List, adt, jit
from .ir import (
    Call,
    Clause,
    Constant,
    Constructor,
    Expr,
    Function,
    FuncType,
    GlobalTypeVar,
    GlobalVar,
    If,
    IncompleteType,
    IRModule,
    Let,
    Match,
    Op,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    PatternWildcard,
    RefCreate,
    RefRead,
    RefType,
    RefWrite,
    TensorType,
    Tuple,
    TupleGetItem,
    TupleType,
    Type,
    TypeCall,
    TypeData,
    TypeVar,
    Var,
)
from .ops.builders import OpNamespace
from .ops.gradients import register_gradient
from .runtime import (
    ConstructorValue,
    RefValue,
    create_executor,
    list_items,
    make_list,
    to_python,
)
from .text import parse, parse_expr

op = OpNamespace()

__all__ = [
    "analysis",
    "ops",
    "testing",
    "transform",
    "op",
    "register_gradient",
    "const",
    "var",
    "parse",
    "parse_expr",
    "Error",
    "EvaluationError",
    "GradientError",
    "ParseError",
    "TypeInferenceError",
    "Call",
    "Clause",
    "Constant",
    "Constructor",
    "Expr",
    "FuncType",
    "Function",
    "GlobalTypeVar",
    "GlobalVar",
    "If",
    "IncompleteType",
    "IRModule",
    "Let",
    "Match",
    "Op",
    "PatternConstructor",
    "PatternTuple",
    "PatternVar",
    "PatternWildcard",
    "RefCreate",
    "RefRead",
    "RefType",
    "RefWrite",
    "TensorType",
    "Tuple",
    "TupleGetItem",
    "TupleType",
    "Type",
    "TypeCall",
    "TypeData",
    "TypeVar",
    "Var",
    "ConstructorValue",
    "RefValue",
    "create_executor",
    "list_items",
    "make_list",
    "to_python",
    "List",
    "adt",
    "jit",
]
