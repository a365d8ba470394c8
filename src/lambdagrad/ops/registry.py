"""The operator registry: one record per op, keyed by the Op object.

An `OpDef` holds everything the system knows about an operator: its attribute schema, its
type relation, its numpy implementation and (in the AD passes) its gradient. Builders under
``lg.op`` and the parser both go through `make_call`, so attributes are validated in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import Error
from ..ir.attrs import Attrs
from ..ir.expr import Call, to_expr
from ..ir.op import Op
from ..ir.types import DTYPES, Type

REQUIRED = object()


class OpTypeError(Error):
    """Raised by a type relation; type inference adds the op, the node and the shapes.

    `arg_index` names the offending argument position when there is one.
    """

    def __init__(self, message: str, arg_index: int | None = None):
        super().__init__(message)
        self.arg_index = arg_index


class AttrError(Error):
    """An operator attribute that is missing, unknown or of the wrong kind."""


@dataclass(frozen=True)
class AttrSpec:
    """One attribute of an op: its kind (how values are checked) and its default.

    Kinds: ``int``, ``float``, ``bool``, ``str``, ``dtype``, ``ints`` (a tuple of ints; a single
    int is accepted), ``axis`` (None, an int or ints), ``shape`` (ints, -1 allowed), ``any``.
    """

    kind: str
    default: object = REQUIRED


TypeRelation = Callable[[list[Type], Attrs], Type]


@dataclass
class OpDef:
    """Everything known about one operator."""

    op: Op
    num_inputs: int
    attrs: dict[str, AttrSpec] = field(default_factory=dict)
    type_rel: TypeRelation | None = None
    impl: Callable | None = None
    gradient: Callable | None = None
    doc: str = ""


_DEFS: dict[Op, OpDef] = {}


def register_op(
    name: str,
    num_inputs: int,
    type_rel: TypeRelation | None = None,
    attrs: dict[str, AttrSpec] | None = None,
    impl: Callable | None = None,
    doc: str = "",
) -> Op:
    """Create (or redefine) the op `name` with its rules; returns the Op object."""
    op = Op.create(name)
    _DEFS[op] = OpDef(op, num_inputs, dict(attrs or {}), type_rel, impl, doc=doc)
    return op


def op_def(op: Op | str) -> OpDef:
    """The record of `op` (an Op or its name)."""
    op = Op.get(op) if isinstance(op, str) else op
    try:
        return _DEFS[op]
    except KeyError:
        raise Error(f"operator {op.name!r} is not registered") from None


def all_op_defs() -> list[OpDef]:
    """Every registered op's record."""
    return list(_DEFS.values())


def make_call(name: str, args: Sequence, attrs: dict | None = None, span=None) -> Call:
    """Build a call of op `name`, checking the argument count and the attributes.

    >>> from lambdagrad.ir.expr import Var
    >>> str(make_call("sum", [Var("x")], {"axis": 1}))
    'sum(%x, axis=[1], keepdims=False, exclude=False)'
    """
    definition = op_def(name)
    if len(args) != definition.num_inputs:
        raise AttrError(
            f"operator {name} takes {definition.num_inputs} argument(s), got {len(args)}"
        )
    checked = normalize_attrs(name, definition.attrs, attrs or {})
    return Call(definition.op, tuple(to_expr(a) for a in args), checked, span=span)


def normalize_attrs(op_name: str, specs: dict[str, AttrSpec], given: dict) -> Attrs:
    """Validate `given` against `specs`, filling in defaults."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        known = ", ".join(specs) or "none"
        raise AttrError(f"operator {op_name} has no attribute {unknown[0]!r} (known: {known})")
    values = {}
    for key, spec in specs.items():
        if key in given:
            values[key] = _check_attr(op_name, key, spec.kind, given[key])
        elif spec.default is REQUIRED:
            raise AttrError(f"operator {op_name} needs attribute {key!r}")
        else:
            values[key] = spec.default
    return Attrs(values)


def _check_attr(op_name: str, key: str, kind: str, value):
    try:
        return _ATTR_KINDS[kind](value)
    except (TypeError, ValueError) as exc:
        raise AttrError(
            f"operator {op_name}: attribute {key}={value!r} is not a valid {kind} ({exc})"
        ) from None


def _as_int(value) -> int:
    if isinstance(value, bool) or int(value) != value:
        raise TypeError("expected an integer")
    return int(value)


def _as_ints(value) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return tuple(_as_int(v) for v in value)
    return (_as_int(value),)


def _as_axis(value):
    return None if value is None else _as_ints(value)


def _as_bool(value) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected True or False")
    return value


def _as_str(value) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _as_dtype(value) -> str:
    if value not in DTYPES:
        raise ValueError(f"expected one of {', '.join(DTYPES)}")
    return value


def _as_float(value) -> float:
    if isinstance(value, bool):
        raise TypeError("expected a number")
    return float(value)


_ATTR_KINDS = {
    "int": _as_int,
    "float": _as_float,
    "bool": _as_bool,
    "str": _as_str,
    "dtype": _as_dtype,
    "ints": _as_ints,
    "axis": _as_axis,
    "shape": _as_ints,
    "any": lambda v: v,
}
