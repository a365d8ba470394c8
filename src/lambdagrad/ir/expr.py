"""Expression nodes of the IR.

Every node is a frozen, slotted dataclass that compares by identity (``==`` is ``is``); use
``lg.analysis.alpha_equal`` for structural equality. Each node carries an optional `span`
(line, column) from the text it was parsed from and an optional `checked_type` that
``infer_type`` fills in on the copies it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import Error
from .attrs import EMPTY_ATTRS, Attrs
from .types import GlobalTypeVar, Type, TypeVar, check_name

Span = tuple[int, int]
_OPT_TYPE = (Type, type(None))  # a Var's annotation


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Expr:
    """Base class of every expression."""

    span: Span | None = field(default=None, kw_only=True)
    checked_type: Type | None = field(default=None, kw_only=True)

    def __str__(self) -> str:
        from ..text.printer import print_expr

        return print_expr(self)

    def __repr__(self) -> str:
        text = str(self)
        return f"<{type(self).__name__} {text if len(text) < 200 else text[:200] + '...'}>"

    def with_type(self, checked_type: Type | None) -> Expr:
        """A copy of this node with `checked_type` set."""
        return replace(self, checked_type=checked_type)

    # Python operators build calls of the corresponding ops.
    def __add__(self, other):
        return _op_call("add", self, other)

    def __radd__(self, other):
        return _op_call("add", other, self)

    def __sub__(self, other):
        return _op_call("subtract", self, other)

    def __rsub__(self, other):
        return _op_call("subtract", other, self)

    def __mul__(self, other):
        return _op_call("multiply", self, other)

    def __rmul__(self, other):
        return _op_call("multiply", other, self)

    def __truediv__(self, other):
        return _op_call("divide", self, other)

    def __rtruediv__(self, other):
        return _op_call("divide", other, self)

    def __neg__(self):
        return _op_call("negative", self)

    def __call__(self, *args):
        """Apply this expression (a function, var or global) to arguments."""
        return Call(self, tuple(to_expr(a) for a in args))


# Nodes check their fields when built, so that a mistake is reported where it is made, not
# deep inside a pass. Building nodes is the hot path of AD and the optimizer: each
# __post_init__ first tests its fields with bare isinstance calls and only on a failure calls
# `_require`, field by field, to name the bad one (a call per field made a Let a third slower).


def _require(node: str, field_name: str, value, kind: type | tuple, what: str) -> None:
    """Refuse a field of the wrong kind, naming the node, the field and the value."""
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        got = f"{type(value).__name__} {value!r:.60}"
        raise Error(f"{node}: {field_name} must be {what}, got {got}")


def _exprs(node: str, field_name: str, values) -> tuple:
    """`values` as a tuple of expressions (Python numbers and arrays become constants)."""
    if isinstance(values, Expr) or not hasattr(values, "__iter__"):
        raise Error(f"{node}: {field_name} must be a list of expressions, got {values!r:.60}")
    return tuple(map(to_expr, values))


def to_expr(value) -> Expr:
    """Wrap Python numbers and numpy arrays as constants; pass expressions through."""
    if isinstance(value, Expr):
        return value
    return Constant(value)


def _op_call(name: str, *args) -> Expr:
    from .op import Op

    return Call(Op.get(name), tuple(to_expr(a) for a in args))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Var(Expr):
    """A local variable; two Vars with the same name are different variables."""

    name_hint: str
    type_annotation: Type | None = None

    def __post_init__(self):
        if not (isinstance(self.name_hint, str) and isinstance(self.type_annotation, _OPT_TYPE)):
            _require("Var", "the name", self.name_hint, str, "a str")
            _require("Var", "the type annotation", self.type_annotation, _OPT_TYPE, "a Type")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class GlobalVar(Expr):
    """The name of a global function in a module; compares and hashes by name."""

    name_hint: str

    def __post_init__(self):
        if not isinstance(self.name_hint, str):
            _require("GlobalVar", "the name", self.name_hint, str, "a str")

    def __eq__(self, other) -> bool:
        return isinstance(other, GlobalVar) and other.name_hint == self.name_hint

    def __hash__(self) -> int:
        return hash(("GlobalVar", self.name_hint))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Constant(Expr):
    """A constant tensor. The array is copied and made read-only.

    Python floats become float32 and ints int32 (Relay's defaults) unless the value is a
    numpy array or scalar, which keeps its dtype.
    """

    data: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "data", _frozen_array(self.data))


def _frozen_array(value) -> np.ndarray:
    if isinstance(value, np.ndarray | np.generic):
        array = np.array(value)
    else:  # Python values: 64-bit defaults narrow to Relay's float32 / int32
        array = np.array(value)
        narrow = {"float64": "float32", "int64": "int32"}.get(array.dtype.name)
        if narrow:
            array = array.astype(narrow)
    if array.dtype.kind not in "biuf":  # only what TensorType's dtypes can describe
        raise Error(f"a constant must be a number or an array of numbers, got {value!r:.60}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Tuple(Expr):
    """A tuple of expressions; ``Tuple(())`` is the unit value."""

    fields: tuple[Expr, ...] = ()

    def __post_init__(self):
        fields = self.fields
        if type(fields) is not tuple or not all(isinstance(f, Expr) for f in fields):
            object.__setattr__(self, "fields", _exprs("Tuple", "the fields", fields))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class TupleGetItem(Expr):
    """Projection ``%t.0`` of a tuple."""

    tuple_value: Expr
    index: int

    def __post_init__(self):
        if not (isinstance(self.tuple_value, Expr) and type(self.index) is int):
            _require("TupleGetItem", "the tuple", self.tuple_value, Expr, "an expression")
            _require("TupleGetItem", "the index", self.index, int, "an int")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Function(Expr):
    """A function literal (closure): ``fn [A](%x: A) -> A { %x }``."""

    params: tuple[Var, ...]
    body: Expr
    ret_type: Type | None = None
    type_params: tuple[TypeVar, ...] = ()

    def __post_init__(self):
        if type(self.params) is not tuple:
            if isinstance(self.params, Expr) or not hasattr(self.params, "__iter__"):
                raise Error(f"Function: params must be a list of Vars, got {self.params!r:.60}")
            object.__setattr__(self, "params", tuple(self.params))
        if not (isinstance(self.body, Expr) and all(isinstance(p, Var) for p in self.params)):
            for param in self.params:
                _require("Function", "each parameter", param, Var, "a Var")
            _require("Function", "the body", self.body, Expr, "an expression")
        if type(self.type_params) is not tuple:
            object.__setattr__(self, "type_params", tuple(self.type_params))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call(Expr):
    """A call of an Op, Function, Var, GlobalVar or Constructor."""

    op: Expr
    args: tuple[Expr, ...] = ()
    attrs: Attrs = EMPTY_ATTRS
    type_args: tuple[Type, ...] = ()

    def __post_init__(self):
        # Calls are the most created node: skip the conversions when nothing needs them.
        if not isinstance(self.op, Expr):
            _require("Call", "the callee", self.op, Expr, "an expression")
        args = self.args
        if type(args) is not tuple or not all(isinstance(a, Expr) for a in args):
            object.__setattr__(self, "args", _exprs("Call", "the arguments", args))
        if not isinstance(self.attrs, Attrs):
            object.__setattr__(self, "attrs", Attrs(self.attrs))
        if type(self.type_args) is not tuple:
            object.__setattr__(self, "type_args", tuple(self.type_args))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Let(Expr):
    """``let %var = value; body``."""

    var: Var
    value: Expr
    body: Expr

    def __post_init__(self):
        if not (
            isinstance(self.var, Var)
            and isinstance(self.value, Expr)
            and isinstance(self.body, Expr)
        ):
            _require("Let", "the variable", self.var, Var, "a Var")
            _require("Let", "the value", self.value, Expr, "an expression")
            _require("Let", "the body", self.body, Expr, "an expression")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class If(Expr):
    """``if (cond) { true_branch } else { false_branch }``; `cond` is a bool scalar."""

    cond: Expr
    true_branch: Expr
    false_branch: Expr

    def __post_init__(self):
        if not (
            isinstance(self.cond, Expr)
            and isinstance(self.true_branch, Expr)
            and isinstance(self.false_branch, Expr)
        ):
            for name in ("cond", "true_branch", "false_branch"):
                _require("If", name, getattr(self, name), Expr, "an expression")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RefCreate(Expr):
    """``ref(value)``: a new mutable cell."""

    value: Expr

    def __post_init__(self):
        if not isinstance(self.value, Expr):
            _require("RefCreate", "the value", self.value, Expr, "an expression")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RefRead(Expr):
    """``ref_read(ref)``."""

    ref: Expr

    def __post_init__(self):
        if not isinstance(self.ref, Expr):
            _require("RefRead", "the reference", self.ref, Expr, "an expression")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class RefWrite(Expr):
    """``ref_write(ref, value)``; evaluates to the unit tuple."""

    ref: Expr
    value: Expr

    def __post_init__(self):
        if not (isinstance(self.ref, Expr) and isinstance(self.value, Expr)):
            _require("RefWrite", "the reference", self.ref, Expr, "an expression")
            _require("RefWrite", "the value", self.value, Expr, "an expression")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Constructor(Expr):
    """A constructor of an ADT, such as ``Cons``; `tag` is its index in the definition."""

    name_hint: str
    inputs: tuple[Type, ...]
    belong_to: GlobalTypeVar
    tag: int = 0
    # The type parameters of the definition, in order (set by the TypeData that holds this
    # constructor): what lets a value's fields be checked against ``List[float32]``.
    type_vars: tuple = field(default=(), kw_only=True, repr=False)

    def __post_init__(self):
        check_name("a constructor", self.name_hint)
        object.__setattr__(self, "inputs", tuple(self.inputs))

    @property
    def name(self) -> str:
        return self.name_hint


class Pattern:
    """Base class of `match` patterns."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, eq=False)
class PatternWildcard(Pattern):
    """``_``: matches anything, binds nothing."""


@dataclass(frozen=True, slots=True, eq=False)
class PatternVar(Pattern):
    """Binds the matched value to `var`."""

    var: Var


@dataclass(frozen=True, slots=True, eq=False)
class PatternConstructor(Pattern):
    """``Cons(%x, %rest)``: matches values built by `constructor`."""

    constructor: Constructor
    patterns: tuple[Pattern, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "patterns", tuple(self.patterns))


@dataclass(frozen=True, slots=True, eq=False)
class PatternTuple(Pattern):
    """``(%a, _)``: matches a tuple field by field."""

    patterns: tuple[Pattern, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "patterns", tuple(self.patterns))


@dataclass(frozen=True, slots=True, eq=False)
class Clause:
    """One arm of a `match`: ``lhs => rhs``."""

    lhs: Pattern
    rhs: Expr


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Match(Expr):
    """``match (data) { clauses }``; ``complete=False`` is ``match?`` (may fail at run time)."""

    data: Expr
    clauses: tuple[Clause, ...]
    complete: bool = True

    def __post_init__(self):
        _require("Match", "the matched value", self.data, Expr, "an expression")
        _require("Match", "the clauses", self.clauses, (list, tuple), "a list of Clauses")
        object.__setattr__(self, "clauses", tuple(self.clauses))
        for clause in self.clauses:
            _require("Match", "each clause", clause, Clause, "a Clause")


def map_pattern(pattern: Pattern, var_fn, ctor_fn=None) -> Pattern:
    """`pattern` rebuilt with `var_fn` applied to its variables (and `ctor_fn`, when given, to
    its constructors); wildcards stay. Passes that copy or rename binders share this.

    >>> p = PatternTuple([PatternVar(Var("a")), PatternWildcard()])
    >>> [v.name_hint for v in pattern_vars(map_pattern(p, lambda v: Var(v.name_hint + "2")))]
    ['a2']
    """
    match pattern:
        case PatternVar(var=var):
            return PatternVar(var_fn(var))
        case PatternConstructor(constructor=ctor, patterns=subs):
            new_ctor = ctor_fn(ctor) if ctor_fn is not None else ctor
            return PatternConstructor(new_ctor, [map_pattern(p, var_fn, ctor_fn) for p in subs])
        case PatternTuple(patterns=subs):
            return PatternTuple([map_pattern(p, var_fn, ctor_fn) for p in subs])
    return pattern


def pattern_vars(pattern: Pattern) -> list[Var]:
    """The variables a pattern binds, left to right."""
    found: list[Var] = []
    stack = [pattern]
    while stack:
        p = stack.pop()
        if isinstance(p, PatternVar):
            found.append(p.var)
        elif isinstance(p, PatternConstructor | PatternTuple):
            stack.extend(reversed(p.patterns))
    return found
