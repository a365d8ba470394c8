"""How types change under higher-order AD: each float tensor is paired with a gradient ref.

A differentiable tensor ``T`` becomes ``(T, ref(T))``; functions take one more argument, the
backpropagator ref ``ref(fn () -> ())`` of the caller's tape; everything else maps
structurally. Integer and bool tensors stay as they are: they carry no gradient.
"""

from __future__ import annotations

from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall

UNIT = TupleType(())
BACKPROP_TYPE = RefType(FuncType((), UNIT))


def is_float_tensor(ty: Type) -> bool:
    """Whether values of `ty` carry a gradient of their own."""
    return isinstance(ty, TensorType) and ty.dtype.startswith("float")


def ad_type(ty: Type, adt_names: dict | None = None) -> Type:
    """The type of `ty`'s values in higher-order AD output.

    `adt_names` maps ADT headers to their AD versions (ADTs whose constructors hold
    concrete float tensors or functions need one).
    """
    adt_names = adt_names or {}
    if is_float_tensor(ty):
        return TupleType((ty, RefType(ty)))
    match ty:
        case TupleType(fields=fields):
            return TupleType(tuple(ad_type(f, adt_names) for f in fields))
        case FuncType(arg_types=args, ret_type=ret, type_params=params):
            new_args = tuple(ad_type(a, adt_names) for a in args) + (BACKPROP_TYPE,)
            return FuncType(new_args, ad_type(ret, adt_names), params)
        case RefType(value=value):
            return RefType(ad_type(value, adt_names))
        case TypeCall(func=func, args=args):
            return TypeCall(adt_names.get(func, func), tuple(ad_type(a, adt_names) for a in args))
    return ty
