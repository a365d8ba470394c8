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

from ..ir.types import TensorType, Type
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
    cond, x, y = (tensor(arg_types, i) for i in range(3))
    need_dtype(cond, 0, "b")
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
