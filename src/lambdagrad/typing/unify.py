"""Unification of types: a union-find substitution over `IncompleteType` variables.

`TypeVar`s are rigid (they only unify with themselves); `IncompleteType`s are the unknowns.
A tensor dimension of ``None`` (``?``) unifies with any dimension; dtypes must match exactly.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ir.types import (
    FuncType,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
)


class Mismatch(Exception):
    """Two types do not unify; inference reports it with the node and both full types."""


def map_children(ty: Type, fn: Callable[[Type], Type]) -> Type:
    """`ty` with `fn` applied to each directly nested type (leaves are returned as they are)."""
    match ty:
        case TupleType(fields=fields):
            return TupleType(tuple(fn(f) for f in fields))
        case FuncType(arg_types=args, ret_type=ret, type_params=params):
            return FuncType(tuple(fn(a) for a in args), fn(ret), params)
        case RefType(value=value):
            return RefType(fn(value))
        case TypeCall(func=func, args=args):
            return TypeCall(func, tuple(fn(a) for a in args))
    return ty


def type_children(ty: Type) -> tuple[Type, ...]:
    """The types directly nested in `ty`."""
    children = _CHILDREN.get(type(ty))
    return children(ty) if children else ()


_CHILDREN = {
    TupleType: lambda t: t.fields,
    FuncType: lambda t: (*t.arg_types, t.ret_type),
    RefType: lambda t: (t.value,),
    TypeCall: lambda t: t.args,
}


def incompletes(ty: Type) -> list[IncompleteType]:
    """The unification variables occurring in `ty` (already resolved), first seen first."""
    if type(ty) is TensorType:  # the common case: nothing inside
        return []
    found: dict[IncompleteType, None] = {}
    stack = [ty]
    while stack:
        t = stack.pop()
        if isinstance(t, IncompleteType):
            found[t] = None
        stack.extend(reversed(type_children(t)))
    return list(found)


def substitute(ty: Type, mapping: dict) -> Type:
    """Replace the type variables that are keys of `mapping` (by identity) in `ty`."""
    if ty in mapping:
        return mapping[ty]
    return map_children(ty, lambda t: substitute(t, mapping))


def dims_agree(a: int | None, b: int | None) -> bool:
    """Whether two tensor dimensions unify (``None`` is the unknown ``?``)."""
    return a is None or b is None or a == b


class Unifier:
    """The substitution built up during inference.

    `on_bind` is called with each variable as it gets bound, so deferred work waiting on it
    can be retried.

    >>> u = Unifier()
    >>> a = u.fresh()
    >>> u.unify(TupleType((a,)), TupleType((TensorType((2,)),)))
    >>> u.resolve(a)
    TensorType((2,), 'float32')
    """

    def __init__(self, on_bind: Callable[[IncompleteType], None] = lambda v: None):
        self.subst: dict[IncompleteType, Type] = {}
        self.on_bind = on_bind

    @staticmethod
    def fresh(hint: str = "_") -> IncompleteType:
        return IncompleteType(hint)

    def find(self, ty: Type) -> Type:
        """The representative of `ty`: follows bound variables, compressing the path."""
        subst = self.subst
        if type(ty) is not IncompleteType or ty not in subst:
            return ty
        path = []
        while ty in subst:
            path.append(ty)
            ty = subst[ty]
        for var in path[:-1]:
            subst[var] = ty
        return ty

    def resolve(self, ty: Type) -> Type:
        """`ty` with every bound variable replaced, all the way down."""
        ty = self.find(ty)
        if type(ty) is TensorType or not type_children(ty):
            return ty
        return map_children(ty, self.resolve)

    def bind(self, var: IncompleteType, ty: Type) -> None:
        if var in incompletes(self.resolve(ty)):
            raise Mismatch("the type would have to contain itself")
        self.subst[var] = ty
        self.on_bind(var)

    def unify(self, a: Type, b: Type) -> None:
        """Make `a` and `b` equal, binding variables; raise `Mismatch` if they cannot be."""
        a, b = self.find(a), self.find(b)
        if a is b:
            return
        if isinstance(a, IncompleteType):
            return self.bind(a, b)
        if isinstance(b, IncompleteType):
            return self.bind(b, a)
        if type(a) is not type(b):
            raise Mismatch()
        _UNIFY.get(type(a), _rigid)(self, a, b)

    def unify_all(self, xs, ys) -> None:
        if len(xs) != len(ys):
            raise Mismatch()
        for x, y in zip(xs, ys, strict=True):
            self.unify(x, y)

    def instantiate(self, ty: Type) -> Type:
        """A polymorphic function type with fresh variables for its type parameters."""
        if not isinstance(ty, FuncType) or not ty.type_params:
            return ty
        mapping = {p: self.fresh(p.name_hint) for p in ty.type_params}
        return substitute(FuncType(ty.arg_types, ty.ret_type), mapping)


def _tensors(u: Unifier, a: TensorType, b: TensorType) -> None:
    if a.dtype != b.dtype or a.ndim != b.ndim:
        raise Mismatch()
    if not all(dims_agree(x, y) for x, y in zip(a.shape, b.shape, strict=True)):
        raise Mismatch()


def _funcs(u: Unifier, a: FuncType, b: FuncType) -> None:
    if len(a.type_params) != len(b.type_params):
        raise Mismatch()
    # Polymorphic function types are equal up to renaming their parameters.
    renaming = dict(zip(b.type_params, a.type_params, strict=True))
    b = substitute(FuncType(b.arg_types, b.ret_type), renaming)
    u.unify_all((*a.arg_types, a.ret_type), (*b.arg_types, b.ret_type))


def _type_calls(u: Unifier, a: TypeCall, b: TypeCall) -> None:
    if a.func != b.func:
        raise Mismatch()
    u.unify_all(a.args, b.args)


def _rigid(u: Unifier, a: Type, b: Type) -> None:
    if a != b:
        raise Mismatch()


_UNIFY = {
    TensorType: _tensors,
    TupleType: lambda u, a, b: u.unify_all(a.fields, b.fields),
    FuncType: _funcs,
    RefType: lambda u, a, b: u.unify(a.value, b.value),
    TypeCall: _type_calls,
}
