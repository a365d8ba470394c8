"""The operator registry: one record per op, keyed by the Op object.

An `OpDef` holds everything the system knows about an operator: its attribute schema, its
type relation, its numpy implementation, its gradient and its forward-mode (jvp) rule.
Builders under ``lg.op`` and the parser both go through `make_call`, so attributes are
validated in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

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
    int is accepted), ``axis`` (None, an int or ints), ``shape`` (ints, -1 allowed),
    ``int?``, ``float?`` and ``dtype?`` (like ``int``, ``float``, ``dtype`` but None allowed),
    ``sections`` (an int or a tuple of ints), ``pairs`` (a tuple of int pairs).
    `choices`, when given, lists the values allowed.
    """

    kind: str
    default: object = REQUIRED
    choices: tuple | None = None


TypeRelation = Callable[[list[Type], Attrs], Type]
# ``spelling(args, attrs) -> (name, args, attrs)``: another way of writing a call of the op
# (Relay's Python conveniences, an older attribute form) turned into the op's own form
Spelling = Callable[[list, dict], tuple[str, list, dict]]


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
    # the forward-mode rule and where it came from (a formula of its own, shared with the
    # gradient's, the op itself for linear ops, or transposed from the gradient)
    jvp: Callable | None = None
    jvp_source: str = ""
    spelling: Spelling | None = None


_DEFS: dict[Op, OpDef] = {}
_ALIASES: dict[str, str] = {}


def register_op(
    name: str,
    num_inputs: int,
    type_rel: TypeRelation | None = None,
    attrs: dict[str, AttrSpec] | None = None,
    impl: Callable | None = None,
    doc: str = "",
) -> Op:
    """Create (or redefine) the op `name` with its rules; returns the Op object.

    The interpreter always gets numpy arrays back from `impl`: numpy scalars it returns
    (ufuncs do so on 0-d input) become 0-d arrays, in tuples too. Numpy's floating-point
    warnings are silenced: ``inf`` and ``nan`` are ordinary values of the language.
    """
    op = Op.create(name)
    wrapped = None if impl is None else _returning_arrays(impl)
    _DEFS[op] = OpDef(op, num_inputs, dict(attrs or {}), type_rel, wrapped, doc=doc)
    return op


def register_spelling(name: str, spelling: Spelling) -> None:
    """Let calls of op `name` be written another way: `make_call` hands the arguments and
    attributes to ``spelling(args, attrs)``, which returns the call in its own form (possibly
    of another op, as ``zeros`` of a shape tensor is ``dyn.zeros``)."""
    op_def(name).spelling = spelling


def register_alias(alias: str, name: str) -> None:
    """Let `alias` (e.g. ``pad``) build calls of the op `name` (``nn.pad``): one record."""
    _ALIASES[alias] = name


def resolve_alias(name: str) -> str:
    """The registered op name that `name` stands for."""
    return _ALIASES.get(name, name)


def _returning_arrays(impl: Callable) -> Callable:
    def run(*args, **attrs):
        with np.errstate(all="ignore"):
            return _as_arrays(impl(*args, **attrs))

    run.__name__ = getattr(impl, "__name__", "impl")
    run.__doc__ = impl.__doc__
    return run


def _as_arrays(value):
    if isinstance(value, tuple):
        return tuple(_as_arrays(v) for v in value)
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def op_def(op: Op | str) -> OpDef:
    """The record of `op` (an Op, its name or an alias of its name)."""
    op = Op.get(resolve_alias(op)) if isinstance(op, str) else op
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
    name = resolve_alias(name)
    definition = op_def(name)
    if definition.spelling is not None:
        name, args, attrs = definition.spelling(list(args), dict(attrs or {}))
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
            values[key] = _check_attr(op_name, key, spec, given[key])
        elif spec.default is REQUIRED:
            raise AttrError(f"operator {op_name} needs attribute {key!r}")
        else:
            values[key] = spec.default
    return Attrs(values)


def _check_attr(op_name: str, key: str, spec: AttrSpec, value):
    try:
        checked = _ATTR_KINDS[spec.kind](value)
    except (TypeError, ValueError) as exc:
        raise AttrError(
            f"operator {op_name}: attribute {key}={value!r} is not a valid {spec.kind} ({exc})"
        ) from None
    if spec.choices is not None and checked not in spec.choices:
        allowed = ", ".join(repr(c) for c in spec.choices)
        raise AttrError(f"operator {op_name}: attribute {key}={value!r} is not one of {allowed}")
    return checked


def _as_int(value) -> int:
    if isinstance(value, bool) or int(value) != value:
        raise TypeError("expected an integer")
    return int(value)


def _as_ints(value) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return tuple(_as_int(v) for v in value)
    return (_as_int(value),)


def _optional(check: Callable) -> Callable:
    """The kind `check` with None allowed too."""
    return lambda value: None if value is None else check(value)


def _as_sections(value) -> int | tuple[int, ...]:
    return _as_ints(value) if isinstance(value, list | tuple) else _as_int(value)


def _as_pairs(value) -> tuple[tuple[int, int], ...]:
    pairs = tuple(_as_ints(p) for p in value)
    if any(len(p) != 2 for p in pairs):
        raise ValueError("expected (before, after) pairs")
    return pairs


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
    "axis": _optional(_as_ints),
    "shape": _as_ints,
    "int?": _optional(_as_int),
    "float?": _optional(_as_float),
    "dtype?": _optional(_as_dtype),
    "sections": _as_sections,
    "pairs": _as_pairs,
}
