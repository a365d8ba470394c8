"""Elementwise operators: unary maps, broadcasting binary ops, `where`, and the ``*_like`` ops.

Each op is one line calling its family's helper with its numpy implementation.

Dtypes: the transcendental maps (exp, log, sigmoid, erf, ...) take floating-point tensors only,
arithmetic takes numbers (not bool), comparisons and maximum/minimum take any dtype, the
logical ops take bool. Results keep the input dtype, as Relay's type relations say; where numpy
would promote (``floor`` of an int, ``clip`` with float bounds) the result is cast back.

Integer ``divide`` and ``mod`` truncate toward zero as in Relay (C semantics: ``-7 / 2 == -3``,
``mod(-7, 2) == -1``); ``floor_divide`` and ``floor_mod`` round toward minus infinity as numpy's
``//`` and ``%`` do. ``round`` rounds half to even, as numpy does.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.expr import Call, Expr
from ..ir.types import TensorType, Type
from .gradients import (
    broadcasting,
    call,
    collapse,
    linear,
    linear_forward,
    non_differentiable,
    register_gradient,
    register_jvp,
    scalar,
    unary_gradient,
)
from .registry import AttrSpec, register_op
from .relations import broadcast, need_dtype, need_scalar, same_dtype, tensor

FLOAT, NUMBER, ANY = "f", "fiu", "bfiu"


def elementwise_type(kinds: str = ANY):
    """The relation of shape- and dtype-preserving ops on a tensor whose dtype is of `kinds`."""

    def relation(arg_types: list[Type], attrs) -> Type:
        t = tensor(arg_types, 0)
        need_dtype(t, 0, kinds)
        return t

    return relation


def identity_type(arg_types: list[Type], attrs) -> Type:
    """Any type passes through unchanged (``annotation.checkpoint`` takes tuples too)."""
    return arg_types[0]


def cast_type(arg_types: list[Type], attrs) -> Type:
    return TensorType(tensor(arg_types, 0).shape, attrs.dtype)


def cast_like_type(arg_types: list[Type], attrs) -> Type:
    return TensorType(tensor(arg_types, 0).shape, tensor(arg_types, 1).dtype)


def full_like_type(arg_types: list[Type], attrs) -> Type:
    data, fill = tensor(arg_types, 0), tensor(arg_types, 1)
    need_scalar(fill, 1)
    return data


def broadcast_type(out_dtype: str | None = None, kinds: str = ANY):
    """The relation of a binary broadcasting op whose two inputs share a dtype.

    The result has `out_dtype` (bool for comparisons) or else the inputs' dtype; `kinds`
    restricts the input dtype (see `need_dtype`).
    """

    def relation(arg_types: list[Type], attrs) -> Type:
        a, b = tensor(arg_types, 0), tensor(arg_types, 1)
        dtype = same_dtype([a, b], [0, 1])
        need_dtype(a, 0, kinds)
        return TensorType(broadcast(a.shape, b.shape), out_dtype or dtype)

    return relation


def where_type(arg_types: list[Type], attrs) -> Type:
    """Relay's where: a condition of any dtype (nonzero is true) broadcast with x and y."""
    cond, x, y = (tensor(arg_types, i) for i in range(3))
    dtype = same_dtype([x, y], [1, 2])
    shape = broadcast(broadcast(cond.shape, x.shape, 0, 1), y.shape, 0, 2)
    return TensorType(shape, dtype)


def keep_dtype(fn):
    """`fn` applied to `x`, cast back to ``x.dtype`` (numpy promotes ints and float bounds)."""

    def impl(x, **attrs):
        return np.asarray(fn(x, **attrs)).astype(x.dtype, copy=False)

    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


def rsqrt(x):
    return 1 / np.sqrt(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    return np.exp(-np.logaddexp(0, -x))


def erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def relu(x):
    return np.maximum(x, 0)


def clip(x, a_min, a_max):
    return np.clip(x, a_min, a_max)


def divide(a, b):
    """True division for floats; integer division truncating toward zero, as Relay."""
    if a.dtype.kind not in "iu":
        return np.true_divide(a, b)
    quotient = np.floor_divide(a, b)
    inexact = (np.mod(a, b) != 0) & ((a < 0) != (b < 0))
    return quotient + inexact.astype(a.dtype)


def unary(name: str, impl, kinds: str = ANY, relation=None, **attrs: AttrSpec):
    """Register a one-input elementwise op whose input dtype is one of `kinds`."""
    return register_op(name, 1, relation or elementwise_type(kinds), attrs, impl)


def float_unary(name: str, fn):
    """A floating-point map such as ``exp``; the result keeps the input's precision."""
    return unary(name, keep_dtype(fn), FLOAT)


def binary(name: str, impl, out_dtype: str | None = None, kinds: str = ANY):
    """Register a two-input broadcasting op."""
    return register_op(name, 2, broadcast_type(out_dtype, kinds), None, impl)


float_unary("exp", np.exp)
float_unary("log", np.log)
float_unary("log2", np.log2)
float_unary("log10", np.log10)
float_unary("sqrt", np.sqrt)
float_unary("rsqrt", rsqrt)
float_unary("sigmoid", sigmoid)
float_unary("tanh", np.tanh)
float_unary("sin", np.sin)
float_unary("cos", np.cos)
float_unary("tan", np.tan)
float_unary("sinh", np.sinh)
float_unary("cosh", np.cosh)
float_unary("asin", np.arcsin)
float_unary("acos", np.arccos)
float_unary("atan", np.arctan)
float_unary("asinh", np.arcsinh)
float_unary("acosh", np.arccosh)
float_unary("atanh", np.arctanh)
float_unary("erf", erf)
unary("negative", np.negative, NUMBER)
unary("abs", np.abs, NUMBER)
unary("sign", np.sign, NUMBER)
unary("floor", keep_dtype(np.floor), NUMBER)
unary("ceil", keep_dtype(np.ceil), NUMBER)
unary("round", np.round, NUMBER)
unary("nn.relu", relu, NUMBER)
unary("clip", keep_dtype(clip), NUMBER, a_min=AttrSpec("float"), a_max=AttrSpec("float"))
unary("copy", np.copy)
unary("zeros_like", np.zeros_like)
unary("ones_like", np.ones_like)
unary("logical_not", np.logical_not, "b")
unary("cast", lambda x, dtype: x.astype(dtype), relation=cast_type, dtype=AttrSpec("dtype"))
unary("annotation.checkpoint", lambda x: x, relation=identity_type)
register_op("cast_like", 2, cast_like_type, None, lambda x, like: x.astype(like.dtype))
register_op("full_like", 2, full_like_type, None, np.full_like)

binary("add", np.add, kinds=NUMBER)
binary("subtract", np.subtract, kinds=NUMBER)
binary("multiply", np.multiply, kinds=NUMBER)
binary("divide", divide, kinds=NUMBER)
binary("power", np.power, kinds=NUMBER)
binary("floor_divide", np.floor_divide, kinds=NUMBER)
binary("mod", np.fmod, kinds=NUMBER)
binary("floor_mod", np.mod, kinds=NUMBER)
binary("maximum", np.maximum)
binary("minimum", np.minimum)
binary("equal", np.equal, "bool")
binary("not_equal", np.not_equal, "bool")
binary("less", np.less, "bool")
binary("less_equal", np.less_equal, "bool")
binary("greater", np.greater, "bool")
binary("greater_equal", np.greater_equal, "bool")
binary("logical_and", np.logical_and, "bool", "b")
binary("logical_or", np.logical_or, "bool", "b")
register_op("where", 3, where_type, None, np.where)


# ---- gradients: out_grad is g, the input x, the forward result y (see gradients.py)


def _masked(cond: Expr, g: Expr) -> Expr:
    """`g` where `cond` holds, zero elsewhere."""
    return call("where", cond, g, call("zeros_like", g))


def _positive_log(x: Expr) -> Expr:
    """log(x) where x > 0 and 0 elsewhere, without evaluating log of non-positive numbers."""
    positive = call("greater", x, call("zeros_like", x))
    return call("log", call("where", positive, x, call("ones_like", x)))


def _one_minus_square(v: Expr) -> Expr:
    return scalar(1.0, v) - v * v


def _relu_grad(c: Call, g: Expr) -> list:
    """g where x > 0."""
    x = c.args[0]
    return [_masked(call("greater", x, call("zeros_like", x)), g)]


def _relu_jvp(c: Call, tangents: list) -> Expr:
    """t where x > 0."""
    x = c.args[0]
    return _masked(call("greater", x, call("zeros_like", x)), tangents[0])


def _inside_clip(c: Call) -> Expr:
    x = c.args[0]
    low = call("greater_equal", x, scalar(c.attrs.a_min, x))
    high = call("less_equal", x, scalar(c.attrs.a_max, x))
    return call("logical_and", low, high)


def _clip_grad(c: Call, g: Expr) -> list:
    """g where a_min <= x <= a_max."""
    return [_masked(_inside_clip(c), g)]


def _clip_jvp(c: Call, tangents: list) -> Expr:
    """t where a_min <= x <= a_max."""
    return _masked(_inside_clip(c), tangents[0])


def _cast_grad(c: Call, g: Expr) -> list:
    """g cast back to the input's dtype."""
    return [call("cast_like", g, c.args[0])]


def _cast_like_grad(c: Call, g: Expr) -> list:
    return [call("cast_like", g, c.args[0]), call("zeros_like", c.args[1])]


def _full_like_grad(c: Call, g: Expr) -> list:
    """Only the fill value matters: its gradient is sum(g)."""
    data, fill = c.args
    return [call("zeros_like", data), call("cast_like", call("sum", g), fill)]


def _where_grad(c: Call, g: Expr) -> list:
    """g flows to x where cond holds and to y elsewhere."""
    cond, x, y = c.args
    zeros = call("zeros_like", g)
    return [
        call("zeros_like", cond),
        collapse(call("where", cond, g, zeros), x, c.checked_type),
        collapse(call("where", cond, zeros, g), y, c.checked_type),
    ]


def _remainder_divisor(g, x, y, out):
    """d/dy of x - q * y with q = (x - out) / y the rounded quotient: -q."""
    return -(g * (x - out) / y)


linear("negative", lambda g, c: [-g])
linear("copy", lambda g, c: [g])
linear("annotation.checkpoint", lambda g, c: [g])
unary_gradient("abs", lambda x, y: call("sign", x))
unary_gradient("exp", lambda x, y: y)
unary_gradient("log", lambda x, y: scalar(1.0, x) / x)
unary_gradient("log2", lambda x, y: scalar(1.0 / math.log(2.0), x) / x)
unary_gradient("log10", lambda x, y: scalar(1.0 / math.log(10.0), x) / x)
unary_gradient("sqrt", lambda x, y: scalar(0.5, x) / y)
unary_gradient("rsqrt", lambda x, y: scalar(-0.5, x) * y / x)
unary_gradient("sigmoid", lambda x, y: y * (scalar(1.0, x) - y))
unary_gradient("tanh", lambda x, y: _one_minus_square(y))
unary_gradient("sin", lambda x, y: call("cos", x))
unary_gradient("cos", lambda x, y: -call("sin", x))
unary_gradient("tan", lambda x, y: scalar(1.0, x) + y * y)
unary_gradient("sinh", lambda x, y: call("cosh", x))
unary_gradient("cosh", lambda x, y: call("sinh", x))
unary_gradient("asin", lambda x, y: call("rsqrt", _one_minus_square(x)))
unary_gradient("acos", lambda x, y: -call("rsqrt", _one_minus_square(x)))
unary_gradient("atan", lambda x, y: scalar(1.0, x) / (scalar(1.0, x) + x * x))
unary_gradient("asinh", lambda x, y: call("rsqrt", x * x + scalar(1.0, x)))
unary_gradient("acosh", lambda x, y: call("rsqrt", x * x - scalar(1.0, x)))
unary_gradient("atanh", lambda x, y: scalar(1.0, x) / _one_minus_square(x))
unary_gradient("erf", lambda x, y: scalar(2.0 / math.sqrt(math.pi), x) * call("exp", -(x * x)))
register_gradient("nn.relu", _relu_grad)
register_jvp("nn.relu", _relu_jvp)
register_gradient("clip", _clip_grad)
register_jvp("clip", _clip_jvp)
register_gradient("cast", _cast_grad)
register_gradient("cast_like", _cast_like_grad)
register_gradient("full_like", _full_like_grad)
register_gradient("where", _where_grad)
linear_forward("cast")
linear_forward("cast_like", positions=(0,))
linear_forward("full_like", positions=(1,))
linear_forward("where", positions=(1, 2))

broadcasting("add", lambda g, x, y, out: g, lambda g, x, y, out: g)
broadcasting("subtract", lambda g, x, y, out: g, lambda g, x, y, out: -g)
broadcasting("multiply", lambda g, x, y, out: g * y, lambda g, x, y, out: g * x)
broadcasting("divide", lambda g, x, y, out: g / y, lambda g, x, y, out: -(g * out) / y)
broadcasting(
    "power",
    lambda g, x, y, out: g * y * call("power", x, y - call("ones_like", y)),
    lambda g, x, y, out: g * out * _positive_log(x),
)
broadcasting(
    "maximum",
    lambda g, x, y, out: _masked(call("greater_equal", x, y), g),
    lambda g, x, y, out: _masked(call("less", x, y), g),
)
broadcasting(
    "minimum",
    lambda g, x, y, out: _masked(call("less_equal", x, y), g),
    lambda g, x, y, out: _masked(call("greater", x, y), g),
)
broadcasting("mod", lambda g, x, y, out: g, _remainder_divisor)
broadcasting("floor_mod", lambda g, x, y, out: g, _remainder_divisor)
non_differentiable(
    "sign",
    "floor",
    "ceil",
    "round",
    "zeros_like",
    "ones_like",
    "logical_not",
    "floor_divide",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
)
