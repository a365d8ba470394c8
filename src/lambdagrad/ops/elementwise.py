"""Elementwise operators: unary maps, broadcasting binary ops, `where`, and the ``*_like`` ops.

Each op is one line calling its family's helper; the numpy implementations will join the
same lines.
"""

from __future__ import annotations

from ..ir.types import TensorType, Type
from .registry import AttrSpec, register_op
from .relations import broadcast, need_dtype, need_scalar, same_dtype, tensor


def same_type(arg_types: list[Type], attrs) -> Type:
    """The relation of shape- and dtype-preserving ops: the type of argument 0."""
    return tensor(arg_types, 0)


def identity_type(arg_types: list[Type], attrs) -> Type:
    """Any type passes through unchanged (``annotation.checkpoint`` takes tuples too)."""
    return arg_types[0]


def bool_input(arg_types: list[Type], attrs) -> Type:
    t = tensor(arg_types, 0)
    need_dtype(t, 0, "b")
    return t


def cast_type(arg_types: list[Type], attrs) -> Type:
    return TensorType(tensor(arg_types, 0).shape, attrs.dtype)


def cast_like_type(arg_types: list[Type], attrs) -> Type:
    return TensorType(tensor(arg_types, 0).shape, tensor(arg_types, 1).dtype)


def full_like_type(arg_types: list[Type], attrs) -> Type:
    data, fill = tensor(arg_types, 0), tensor(arg_types, 1)
    need_scalar(fill, 1)
    return data


def broadcast_type(out_dtype: str | None = None, kinds: str | None = None):
    """The relation of a binary broadcasting op whose two inputs share a dtype.

    The result has `out_dtype` (bool for comparisons) or else the inputs' dtype; `kinds`
    restricts the input dtype (see `need_dtype`).
    """

    def relation(arg_types: list[Type], attrs) -> Type:
        a, b = tensor(arg_types, 0), tensor(arg_types, 1)
        dtype = same_dtype([a, b], [0, 1])
        if kinds:
            need_dtype(a, 0, kinds)
        return TensorType(broadcast(a.shape, b.shape), out_dtype or dtype)

    return relation


def where_type(arg_types: list[Type], attrs) -> Type:
    cond, x, y = (tensor(arg_types, i) for i in range(3))
    need_dtype(cond, 0, "b")
    dtype = same_dtype([x, y], [1, 2])
    shape = broadcast(broadcast(cond.shape, x.shape, 0, 1), y.shape, 0, 2)
    return TensorType(shape, dtype)


def unary(name: str, relation=same_type, **attrs: AttrSpec):
    """Register a one-input elementwise op."""
    return register_op(name, 1, relation, attrs)


def binary(name: str, relation):
    """Register a two-input broadcasting op."""
    return register_op(name, 2, relation)


unary("negative")
unary("abs")
unary("sign")
unary("exp")
unary("log")
unary("log2")
unary("log10")
unary("sqrt")
unary("rsqrt")
unary("sigmoid")
unary("tanh")
unary("sin")
unary("cos")
unary("tan")
unary("sinh")
unary("cosh")
unary("asin")
unary("acos")
unary("atan")
unary("asinh")
unary("acosh")
unary("atanh")
unary("erf")
unary("floor")
unary("ceil")
unary("round")
unary("nn.relu")
unary("copy")
unary("zeros_like")
unary("ones_like")
unary("clip", a_min=AttrSpec("float"), a_max=AttrSpec("float"))
unary("logical_not", bool_input)
unary("cast", cast_type, dtype=AttrSpec("dtype"))
unary("annotation.checkpoint", identity_type)
register_op("cast_like", 2, cast_like_type)
register_op("full_like", 2, full_like_type)

binary("add", broadcast_type())
binary("subtract", broadcast_type())
binary("multiply", broadcast_type())
binary("divide", broadcast_type())
binary("power", broadcast_type())
binary("maximum", broadcast_type())
binary("minimum", broadcast_type())
binary("floor_divide", broadcast_type())
binary("mod", broadcast_type())
binary("equal", broadcast_type("bool"))
binary("not_equal", broadcast_type("bool"))
binary("less", broadcast_type("bool"))
binary("less_equal", broadcast_type("bool"))
binary("greater", broadcast_type("bool"))
binary("greater_equal", broadcast_type("bool"))
binary("logical_and", broadcast_type("bool", kinds="b"))
binary("logical_or", broadcast_type("bool", kinds="b"))
register_op("where", 3, where_type)
