"""Creation operators: zeros, ones (and dyn.zeros, dyn.ones of a shape tensor), full, arange,
one_hot.

As in Relay, ``arange(start, stop, step, dtype)`` and ``one_hot(indices, on_value, off_value,
depth, axis, dtype)`` take their values as tensors, and are differentiable in them. Their older
spellings still build the same calls: ``arange(start=1, stop=7)`` (bounds as attributes, or
Relay's Python ``arange(5)`` with one or two arguments), ``one_hot(%i, depth=3,
on_value=2.0)``, and ``zeros(%shape)`` of a shape tensor is ``dyn.zeros(%shape)``.

arange's length is known when its bounds are constants: like Relay's ``ArangeAttrs``, the
call then records them as its ``start``, ``stop`` and ``step`` attributes, which the type
relation reads; with bounds computed at run time they are None and the length is ``?``.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.expr import Call, Constant, Expr
from ..ir.types import DTYPES, TensorType, Type
from .gradients import (
    SHARED,
    call,
    linear_forward,
    non_differentiable,
    register_gradient,
    register_jvp,
    zeros_like_value,
)
from .registry import AttrError, AttrSpec, OpTypeError, register_op, register_spelling
from .relations import fmt_shape, need_dtype, need_scalar, norm_axis, tensor

SHAPE_AND_DTYPE = {"shape": AttrSpec("shape"), "dtype": AttrSpec("dtype", "float32")}
BOUNDS = ("start", "stop", "step")


def from_attrs(arg_types: list[Type], attrs) -> Type:
    """A tensor of the `shape` and `dtype` attributes."""
    if any(d < 0 for d in attrs.shape):
        raise OpTypeError(f"shape {attrs.shape} has a negative dimension")
    return TensorType(attrs.shape, attrs.dtype)


def full_type(arg_types: list[Type], attrs) -> Type:
    """``full(fill, shape, dtype)``: without `dtype`, the fill value's dtype (as Relay)."""
    fill = tensor(arg_types, 0)
    need_scalar(fill, 0)
    return from_attrs(arg_types, attrs.with_values(dtype=attrs.dtype or fill.dtype))


def full(fill, shape, dtype):
    return np.full(shape, fill, dtype=dtype or fill.dtype)


# ---- dyn.zeros, dyn.ones: the shape is a 1-d integer tensor known at run time


def dynamic_shape_type(arg_types: list[Type], attrs) -> Type:
    """``dyn.zeros(shape)``: a tensor of rank ``len(shape)``, every dimension unknown."""
    shape = tensor(arg_types, 0)
    need_dtype(shape, 0, "iu")
    if shape.ndim != 1 or shape.shape[0] is None:
        message = "argument 0 (shape) must be a 1-d integer tensor of known length"
        raise OpTypeError(f"{message}, got shape {fmt_shape(shape.shape)}", 0)
    return TensorType((None,) * shape.shape[0], attrs.dtype)


def shape_from(shape) -> tuple[int, ...]:
    """A shape tensor's value as a shape; a negative dimension is a ValueError."""
    dims = tuple(int(d) for d in shape)
    if any(d < 0 for d in dims):
        raise ValueError(f"shape {list(dims)} has a negative dimension")
    return dims


def filled_like(value):
    """The implementation of a ``dyn.*`` fill op, ``np.zeros`` or ``np.ones``."""
    return lambda shape, dtype: value(shape_from(shape), dtype)


def fill_spelling(name: str):
    """``zeros(%shape)`` of a shape tensor is ``dyn.zeros``; a list or constant is the attribute
    (and Relay's Python ``zeros(shape, dtype)`` passes the dtype second)."""

    def spelling(args: list, attrs: dict) -> tuple[str, list, dict]:
        args, attrs = trailing_attrs(name, args, attrs, 1, ("dtype",))
        if not args:
            return name, args, attrs
        (shape,) = args
        if isinstance(shape, Constant):
            return name, [], {**attrs, "shape": shape.data.tolist()}
        if isinstance(shape, Expr):
            return f"dyn.{name}", [shape], attrs
        return name, [], {**attrs, "shape": shape}

    return spelling


# ---- arange


def arange_bounds(start: float, stop: float, step: float) -> tuple[float, int]:
    """The first value and the length of ``arange``."""
    if step == 0:
        raise OpTypeError("step must not be zero")
    return start, max(math.ceil((stop - start) / step), 0)


def arange_type(arg_types: list[Type], attrs) -> Type:
    """Numeric scalar bounds (Relay wants them in the `dtype` attribute; any numeric dtype is
    taken here, the values are cast); the length when the bounds are known."""
    for i, name in enumerate(BOUNDS):
        bound = tensor(arg_types, i)
        if bound.ndim != 0 or bound.dtype == "bool":
            message = f"argument {i} ({name}) must be a numeric scalar"
            raise OpTypeError(f"{message}, got {bound}", i)
    static = [attrs[name] for name in BOUNDS]
    length = None if None in static else arange_bounds(*static)[1]
    return TensorType((length,), attrs.dtype)


def arange(*bounds, dtype, **constant_bounds):
    """``start + step * k`` for ``k`` in ``0 .. ceil((stop - start) / step)``.

    The arguments are the bounds; the attributes repeat those that are constants."""
    start, stop, step = bounds
    if step == 0:
        raise ValueError("step must not be zero")
    length = max(math.ceil((float(stop) - float(start)) / float(step)), 0)
    return (start + step * np.arange(length)).astype(dtype)


def arange_spelling(args: list, attrs: dict) -> tuple[str, list, dict]:
    """Relay's Python ``arange(stop)``, ``arange(start, stop)``, ``arange(start, stop, step)``
    and the attribute form ``arange(start=.., stop=.., step=..)``: three scalar arguments,
    with the bounds that are constants recorded as attributes."""
    args, attrs = trailing_attrs("arange", args, attrs, 3, ("dtype",))
    dtype = call_dtype("arange", attrs)
    if not args:
        start, stop, step = (attrs.pop(name, None) for name in BOUNDS)
        args = [0, start, step] if stop is None else [start, stop, step]
        args = [d if v is None else v for v, d in zip(args, (0, 0, 1), strict=True)]
    elif len(args) < 3:
        args = ([0, *args] if len(args) == 1 else list(args)) + [1]
    bounds = [bound_of("arange", value, dtype) for value in args]
    for name, bound in zip(BOUNDS, bounds, strict=True):
        attrs[name] = known_bound(name, bound, attrs.get(name))
    return "arange", bounds, attrs


def trailing_attrs(op: str, args: list, attrs: dict, inputs: int, names: tuple) -> tuple:
    """Relay's Python builders take attributes positionally after the `inputs` arguments
    (``arange(start, stop, step, "float64")``): those become the attributes `names`."""
    extra = args[inputs:]
    if len(extra) > len(names):
        message = f"takes at most {inputs + len(names)} arguments, got {len(args)}"
        raise AttrError(f"operator {op} {message}")
    return args[:inputs], {**attrs, **dict(zip(names, extra, strict=False))}


def call_dtype(op: str, attrs: dict) -> str:
    """The call's `dtype` attribute (float32 if not given), which must be a dtype."""
    dtype = attrs.get("dtype", "float32")
    if dtype not in DTYPES:
        raise AttrError(f"operator {op}: attribute dtype={dtype!r} is not one of {DTYPES}")
    return dtype


def bound_of(op: str, value, dtype: str) -> Expr:
    """A value argument: a Python number becomes a scalar constant of the call's dtype."""
    if isinstance(value, Expr):
        return value
    try:
        return Constant(np.asarray(value).astype(dtype))
    except (TypeError, ValueError):
        raise AttrError(f"operator {op}: {value!r} is not a {dtype} value") from None


def known_bound(name: str, bound: Expr, given):
    """The value of a constant scalar bound (it must agree with a `given` attribute)."""
    if not (isinstance(bound, Constant) and bound.data.ndim == 0):
        return given
    value = bound.data.item()
    if given is not None and given != value:
        raise AttrError(f"operator arange: attribute {name}={given!r} but the argument is {value}")
    return value


# ---- one_hot


def one_hot_type(arg_types: list[Type], attrs) -> Type:
    indices, on_value, off_value = (tensor(arg_types, i) for i in range(3))
    need_dtype(indices, 0, "iu")
    need_scalar(on_value, 1)
    need_scalar(off_value, 2)
    if attrs.depth < 0:
        raise OpTypeError(f"depth must not be negative, got {attrs.depth}")
    shape = list(indices.shape)
    shape.insert(norm_axis(attrs.axis, indices.ndim + 1), attrs.depth)
    return TensorType(tuple(shape), attrs.dtype)


def one_hot(indices, on_value, off_value, depth, axis, dtype):
    """Indices outside ``[0, depth)`` give an all-`off_value` row, as in Relay."""
    hot = np.expand_dims(indices, -1) == np.arange(depth)
    return np.moveaxis(np.where(hot, on_value, off_value), -1, axis).astype(dtype)


def one_hot_spelling(args: list, attrs: dict) -> tuple[str, list, dict]:
    """``one_hot(%i, depth=3, on_value=1.0, off_value=0.0)``: the values as attributes; and
    Relay's Python ``one_hot(indices, on_value, off_value, depth, axis, dtype)``."""
    args, attrs = trailing_attrs("one_hot", args, attrs, 3, ("depth", "axis", "dtype"))
    dtype = call_dtype("one_hot", attrs)
    if len(args) == 1:
        args = [*args, attrs.pop("on_value", 1.0), attrs.pop("off_value", 0.0)]
    return "one_hot", [args[0], *(bound_of("one_hot", v, dtype) for v in args[1:])], attrs


register_op("zeros", 0, from_attrs, SHAPE_AND_DTYPE, np.zeros)
register_op("ones", 0, from_attrs, SHAPE_AND_DTYPE, np.ones)
DYNAMIC_FILL_DOC = (
    "``dyn.{0}(shape, dtype)``: {0} of the shape held by the 1-d integer tensor `shape`, known "
    "at run time (Relay's dyn.{0}); ``{0}(%shape)`` builds this call."
)
for _name, _fill in (("zeros", np.zeros), ("ones", np.ones)):
    register_op(
        f"dyn.{_name}",
        1,
        dynamic_shape_type,
        {"dtype": AttrSpec("dtype", "float32")},
        filled_like(_fill),
        doc=DYNAMIC_FILL_DOC.format(_name),
    )
register_op("full", 1, full_type, {**SHAPE_AND_DTYPE, "dtype": AttrSpec("dtype?", None)}, full)
register_op(
    "arange",
    3,
    arange_type,
    {
        "start": AttrSpec("float?", None),
        "stop": AttrSpec("float?", None),
        "step": AttrSpec("float?", None),
        "dtype": AttrSpec("dtype", "float32"),
    },
    arange,
    doc=(
        "``arange(start, stop, step, dtype)`` (Relay's): ``start + step * k`` for ``k`` in "
        "``0 .. ceil((stop - start) / step)``, from scalar tensors; differentiable in start and "
        "step. Bounds that are constants are also recorded as the attributes start, stop and "
        "step, which give the length statically; else it is ``?``. Also spelled "
        "``arange(stop)``, ``arange(start, stop)`` and ``arange(start=.., stop=.., step=..)``."
    ),
)
register_op(
    "one_hot",
    3,
    one_hot_type,
    {
        "depth": AttrSpec("int"),
        "axis": AttrSpec("int", -1),
        "dtype": AttrSpec("dtype", "float32"),
    },
    one_hot,
    doc=(
        "``one_hot(indices, on_value, off_value, depth, axis, dtype)`` (Relay's): `on_value` "
        "where the new `axis` equals the index, `off_value` elsewhere (and for indices outside "
        "``[0, depth)``); differentiable in the two scalar values. Also spelled "
        "``one_hot(%i, depth=3, on_value=1.0, off_value=0.0)``."
    ),
)
register_spelling("zeros", fill_spelling("zeros"))
register_spelling("ones", fill_spelling("ones"))
register_spelling("arange", arange_spelling)
register_spelling("one_hot", one_hot_spelling)


# ---- gradients


def positions(result: Expr) -> Expr:
    """``[0, 1, 2, ...]`` shaped and typed like the 1-d `result` (its length may be unknown)."""
    return call("cumsum", call("ones_like", result), axis=0, exclusive=True)


def arange_grad(orig_call: Call, out_grad: Expr) -> list:
    """``out[k] = start + k * step``: ``dstart = sum(g)``, ``dstep = sum(g * k)``, ``dstop = 0``
    (stop only decides the length)."""
    start, stop, step = orig_call.args
    dstep = call("sum", out_grad * positions(orig_call))
    return [
        call("cast_like", call("sum", out_grad), start),
        zeros_like_value(stop),
        call("cast_like", dstep, step),
    ]


def arange_jvp(orig_call: Call, tangents: list) -> Expr:
    """``t_start + k * t_step`` along the result."""
    t_start, _, t_step = tangents
    total = call("zeros_like", orig_call)
    if t_start is not None:
        total = total + call("cast_like", t_start, orig_call)
    if t_step is not None:
        total = total + call("cast_like", t_step, orig_call) * positions(orig_call)
    return total


def one_hot_grad(orig_call: Call, out_grad: Expr) -> list:
    """``out = hot * on + (1 - hot) * off``: ``don = sum(g * hot)``, ``doff = sum(g * (1 -
    hot))``, where hot is one_hot of the indices with the values 1 and 0; ``di = 0``."""
    indices, on_value, off_value = orig_call.args
    attrs = dict(orig_call.attrs.items())

    def picked(on: float, off: float, like: Expr) -> Expr:
        mask = call("one_hot", indices, on, off, **attrs)
        return call("cast_like", call("sum", out_grad * mask), like)

    return [zeros_like_value(indices), picked(1, 0, on_value), picked(0, 1, off_value)]


register_gradient("full", lambda c, g: [call("cast_like", call("sum", g), c.args[0])])
register_gradient("arange", arange_grad)
register_jvp("arange", arange_jvp, SHARED)
register_gradient("one_hot", one_hot_grad)
non_differentiable("zeros", "ones", "dyn.zeros", "dyn.ones")
linear_forward("full")
# one_hot is linear in its on and off values together
linear_forward("one_hot", positions=(1, 2))
