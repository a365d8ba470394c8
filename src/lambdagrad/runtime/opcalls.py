"""How compiled code calls an operator: a Python operator, a numpy call, or a bound impl.

The registry wraps every impl so that it runs with numpy's warnings silenced and returns
arrays, never numpy scalars. Compiled code silences warnings once per entry instead, and lets
0-d results stay numpy scalars while they only feed other elementwise ops (numpy's scalar
arithmetic is several times faster than a 0-d array's). So it calls the function under the
wrapper: ``x * y`` for `multiply`, ``np.tanh(x)`` for `tanh`, ``np.where(c, x, y)`` for
`where`, and for the rest the op's own function with its attributes bound once.
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from dataclasses import dataclass

import numpy as np

from ..errors import Error
from ..ir.expr import Call
from ..ir.op import Op
from ..ir.types import TensorType
from ..ops.elementwise import divide, keep_dtype
from ..ops.indexing import slices, strided_set, strided_slice
from ..ops.registry import OpDef, _as_arrays, _returning_arrays, op_def
from .interpreter import run_op
from .naming import is_identifier

# Templates of the ufuncs whose Python operator calls exactly that ufunc, on arrays and on
# numpy scalars alike. (`**` is left out: numpy turns ``x ** 2`` into ``square(x)``.)
OPERATORS = {
    np.add: "{} + {}",
    np.subtract: "{} - {}",
    np.multiply: "{} * {}",
    np.negative: "-{}",
    np.less: "{} < {}",
    np.less_equal: "{} <= {}",
    np.greater: "{} > {}",
    np.greater_equal: "{} >= {}",
    np.equal: "{} == {}",
    np.not_equal: "{} != {}",
}


def float_sqrt(x: float) -> float:
    """`math.sqrt` (correctly rounded, as numpy's), with numpy's nan for a negative `x`."""
    try:
        return math.sqrt(x)
    except ValueError:
        return float(np.sqrt(x))


def float_divide(x: float, y: float) -> float:
    """``x / y`` (IEEE, as numpy's), with numpy's inf or nan for a zero `y`."""
    try:
        return x / y
    except ZeroDivisionError:
        return float(np.true_divide(x, y))


# Ufuncs computed on Python floats by `math` (the name generated code calls): both are
# correctly rounded, so the bits are numpy's; these two only raise where numpy returns nan.
FLOAT_HELPERS = {np.sqrt: "float_sqrt", np.true_divide: "float_divide"}
_WRAPPED = _returning_arrays(np.copy).__code__
_KEEP_DTYPE = keep_dtype(np.copy).__code__


@dataclass(frozen=True)
class OpForm:
    """How to write a call of one op with given attributes and argument types.

    Exactly one of `operator` (a format string such as ``"{} * {}"``), `callee` (numpy's
    name for the function, such as ``"np.tanh"``) and `bound` (a callable the namespace
    holds, for the rest) is set. `scalars_in`: the arguments may be numpy scalars;
    `scalar_out`: so may the result. `floats_in`: the arguments are float64 scalars passed
    as Python floats; `float_out`: the result is a Python float. `per_site`: the form holds
    the call itself (its error names where it is), so another call of the same op cannot
    share it.
    """

    operator: str | None = None
    callee: str | None = None
    bound: object = None
    scalars_in: bool = False
    scalar_out: bool = False
    per_site: bool = False
    floats_in: bool = False
    float_out: bool = False


def op_form(call: Call) -> OpForm:
    """The cheapest faithful way to write `call`.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", shape=(2,))
    >>> typed = lg.transform.infer_type(lg.Function([x], lg.op.tanh(x * x)))
    >>> op_form(typed.body).callee, op_form(typed.body.args[0]).operator
    ('np.tanh', '{} * {}')
    """
    try:
        definition = op_def(call.op)
    except Error:
        definition = None
    if definition is None or definition.impl is None:
        return OpForm(bound=_failing(call), per_site=True)
    plain = plain_impl(definition) or definition.impl  # not the registry's wrapper: as it is
    floats = _float_form(plain, call)
    if floats is not None:
        return floats
    if plain in (strided_slice, strided_set) and isinstance(call.args[0].checked_type, TensorType):
        return OpForm(bound=_indexing(plain, call), per_site=True)
    bounds = _split_bounds(call) if call.op is Op.get("split") else None
    if bounds is not None:
        return OpForm(bound=_split(bounds, call), per_site=True)
    ufunc = _as_ufunc(plain, call)
    scalar_out = _may_be_scalar(call)
    if ufunc is not None and not call.attrs:
        if ufunc in OPERATORS:
            return OpForm(operator=OPERATORS[ufunc], scalars_in=True, scalar_out=scalar_out)
        return OpForm(callee=f"np.{ufunc.__name__}", scalars_in=True, scalar_out=scalar_out)
    if _numpy_name(plain) and isinstance(call.checked_type, TensorType):
        if call.attrs:
            return OpForm(bound=_bind(plain, call.attrs), scalars_in=True, scalar_out=scalar_out)
        return OpForm(callee=f"np.{plain.__name__}", scalars_in=True, scalar_out=scalar_out)
    return OpForm(bound=_returning_arrays_bound(plain, call.attrs))


def _float_form(plain, call: Call) -> OpForm | None:
    """The form of an elementwise `call` on float64 scalars, as Python floats (numpy spends
    about ten times longer on a 0-d array than Python on a float), or None.

    Python's operators and the `FLOAT_HELPERS` give numpy's bits; the other ufuncs (sin,
    exp, tanh, ...) are numpy's own, called on the float: `math`'s versions differ from
    numpy's in the last bit for some functions and machines (numpy's own tanh, its AVX-512
    exp and log), and compiled code computes what the interpreter does.
    """
    if call.attrs or not all(_is_float64_scalar(a.checked_type) for a in call.args):
        return None
    out = call.checked_type
    if not (isinstance(out, TensorType) and out.ndim == 0 and out.dtype in ("float64", "bool")):
        return None
    ufunc = np.true_divide if plain is divide else _as_ufunc(plain, call)
    if ufunc is None:
        return None
    holes = ", ".join(["{}"] * len(call.args))
    if ufunc in OPERATORS:
        template = OPERATORS[ufunc]
    elif ufunc in FLOAT_HELPERS:
        template = f"{FLOAT_HELPERS[ufunc]}({holes})"
    elif out.dtype == "float64":
        template = f"float(np.{ufunc.__name__}({holes}))"
    else:
        template = f"np.{ufunc.__name__}({holes})"
    return OpForm(
        operator=template, floats_in=True, scalar_out=True, float_out=out.dtype == "float64"
    )


def _indexing(plain, call: Call):
    """`strided_slice` or `strided_set` with its index worked out once: it depends on the
    attributes and the input's rank only, which the type gives."""
    attrs = call.attrs
    index = tuple(
        slices(call.args[0].checked_type, attrs.begin, attrs.end, attrs.strides, attrs.axes)
    )
    if plain is strided_slice:
        return operator.itemgetter(index)
    return functools.partial(_set_at, index)


def _split_bounds(call: Call) -> list[int] | None:
    """Where `split` cuts its input's axis, as `np.split` works them out, if the type gives
    the axis's length."""
    data, attrs = call.args[0].checked_type, call.attrs
    if not isinstance(data, TensorType) or not -data.ndim <= attrs.axis < data.ndim:
        return None
    dim, parts = data.shape[attrs.axis], attrs.indices_or_sections
    if not dim:  # not known (or empty): np.split works it out
        return None
    if isinstance(parts, int):
        return list(range(0, dim + 1, dim // parts)) if parts > 0 and dim % parts == 0 else None
    return [0, *parts, dim]


def _split(bounds: list[int], call: Call):
    """`split` at ready `bounds`: the same views of the input as `np.split` gives."""
    axis = call.attrs.axis % call.args[0].checked_type.ndim
    pieces = [
        (slice(None),) * axis + (slice(a, b),) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    if len(pieces) == 1:
        return lambda x: (x[pieces[0]],)
    return operator.itemgetter(*pieces)


def _set_at(index: tuple, x: np.ndarray, value) -> np.ndarray:
    """`strided_set` at a ready index: a copy of `x` with `value` there."""
    out = x.copy()
    out[index] = value
    return out


def _is_float64_scalar(ty) -> bool:
    return isinstance(ty, TensorType) and ty.ndim == 0 and ty.dtype == "float64"


def plain_impl(definition: OpDef):
    """The function the registry wrapped as `definition.impl`, or None if it is not wrapped."""
    impl = definition.impl
    if getattr(impl, "__code__", None) is not _WRAPPED:
        return None
    return inspect.getclosurevars(impl).nonlocals["impl"]


def _as_ufunc(plain, call: Call) -> np.ufunc | None:
    """The numpy ufunc `plain` is, when calling it directly gives the same array."""
    if getattr(plain, "__code__", None) is _KEEP_DTYPE:
        # keep_dtype(fn) casts fn's result back to the input dtype: a no-op when fn keeps it
        plain = inspect.getclosurevars(plain).nonlocals["fn"]
        if not (isinstance(plain, np.ufunc) and _keeps_dtype(plain, call)):
            return None
    if isinstance(plain, np.ufunc) and _numpy_name(plain):
        return plain
    return None


def _keeps_dtype(ufunc: np.ufunc, call: Call) -> bool:
    types = [a.checked_type for a in call.args]
    if len(types) != 1 or not isinstance(types[0], TensorType):
        return False
    try:
        with np.errstate(all="ignore"):
            probe = ufunc(np.zeros((), types[0].dtype))
    except TypeError:  # no loop for this dtype: the op's own function will say so
        return False
    return probe.dtype == np.dtype(types[0].dtype)


def _numpy_name(fn) -> bool:
    """Whether `fn` is numpy's own ``np.<name>``, so source can call it by that name."""
    name = getattr(fn, "__name__", "")
    return is_identifier(name) and getattr(np, name, None) is fn


def _may_be_scalar(call: Call) -> bool:
    """Whether numpy may return a numpy scalar here: unless the type says at least 1-d."""
    ty = call.checked_type
    return not (isinstance(ty, TensorType) and ty.ndim > 0)


def _bind(fn, attrs):
    return functools.partial(fn, **attrs) if attrs else fn


def _returning_arrays_bound(plain, attrs):
    """`plain` with `attrs` bound, returning arrays (as the registry's wrapper does)."""
    attrs = dict(attrs)

    def run(*args):
        return _as_arrays(plain(*args, **attrs))

    return run


def _failing(call: Call):
    """A callable raising the interpreter's error for an op it cannot run."""
    return lambda *args: run_op(call, list(args))
