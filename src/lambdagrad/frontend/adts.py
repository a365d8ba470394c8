"""ADTs from Python: `adt` declares one, `List`/`Option`/`Tree` are the prelude's.

An ADT handle holds the IR type definition; its constructors are attributes that build
`ConstructorValue`s when called from Python and stand for the IR constructors (in calls and
in ``match`` class patterns) inside jitted functions.
"""

from __future__ import annotations

from functools import cache

from ..errors import Error
from ..ir import Constructor, GlobalTypeVar, IRModule, TypeData
from ..runtime import ConstructorValue
from ..text.parser import parse, parse_with_base


class ConstructorHandle:
    """One constructor of an ADT: call it to build a value.

    >>> import lambdagrad as lg
    >>> lg.List.Cons(1.0, lg.List.Nil())
    Cons(1.0, Nil)
    """

    def __init__(self, constructor: Constructor, adt: ADT):
        self.constructor = constructor
        self.adt = adt

    def __call__(self, *fields) -> ConstructorValue:
        arity = len(self.constructor.inputs)
        if len(fields) != arity:
            raise Error(f"constructor {self.name} takes {arity} field(s), got {len(fields)}")
        return ConstructorValue(self.constructor, fields)

    @property
    def name(self) -> str:
        return self.constructor.name_hint

    def __repr__(self) -> str:
        return f"<constructor {self.name} of {self.adt.name}>"


class ADT:
    """A Python handle on an IR algebraic data type; constructors are its attributes."""

    def __init__(self, data: TypeData):
        self.type_data = data
        self.constructors = {c.name_hint: ConstructorHandle(c, self) for c in data.constructors}
        for name, handle in self.constructors.items():
            setattr(self, name, handle)

    @property
    def name(self) -> str:
        return self.type_data.header.name_hint

    @staticmethod
    def from_module(mod: IRModule, name: str) -> ADT:
        """The ADT `name` of `mod` (one written in the text format), as a Python handle.

        >>> import lambdagrad as lg
        >>> mod = lg.parse("type Pair { MkPair(float32, float32) }")
        >>> ADT.from_module(mod, "Pair").MkPair(1.0, 2.0)
        MkPair(1.0, 2.0)
        """
        data = mod.type_definitions[mod.get_global_type_var(name)]
        _declared[name] = data
        return ADT(data)

    def __repr__(self) -> str:
        return f"<ADT {self.name}>"


class ListADT(ADT):
    """The prelude's List; ``List([a, b])`` builds a list value from Python items.

    >>> import lambdagrad as lg
    >>> lg.List([1.0, 2.0])
    Cons(1.0, Cons(2.0, Nil))
    """

    def __call__(self, items=()) -> ConstructorValue:
        cons, nil = self.Cons.constructor, self.Nil.constructor
        value = ConstructorValue(nil)
        for item in reversed(list(items)):  # a loop, not recursion: long lists are fine
            value = ConstructorValue(cons, (item, value))
        return value


# User ADTs by name: later declarations may mention earlier ones in their field types.
_declared: dict[str, TypeData] = {}


def adt(cls=None, *, params=()):
    """Declare an ADT from a class whose attributes are its constructors.

    Each public class attribute is one constructor: the type of its field in the text format,
    a tuple of them (several fields) or ``()`` (none). `params` names type parameters.

    >>> import lambdagrad as lg
    >>> @lg.adt
    ... class Shape:
    ...     Circle = "float32"
    ...     Rect = ("float32", "float32")
    ...     Empty = ()
    >>> Shape.Rect(1.0, 2.0), Shape.Empty()
    (Rect(1.0, 2.0), Empty)
    """
    if cls is None:
        return lambda inner: adt(inner, params=params)
    ctors = {k: v for k, v in vars(cls).items() if not k.startswith("_")}
    if not ctors:
        annotated = list(vars(cls).get("__annotations__", {}))
        hint = (
            f" (annotations such as {annotated[0]}: ... are not; assign them)" if annotated else ""
        )
        raise Error(
            f"lg.adt: class {cls.__name__} declares no constructors: each is a class "
            f"attribute, Name = 'field type' or a tuple of them{hint}"
        )
    if GlobalTypeVar(cls.__name__) in _prelude_types():
        raise Error(
            f"lg.adt: {cls.__name__} is a prelude type (lg.{cls.__name__}); give yours another name"
        )
    text = _definition_text(cls.__name__, tuple(params), ctors)
    # Declaring a name again replaces the earlier declaration, as a class statement run
    # twice (a notebook cell, a reloaded module) rebinds its name.
    earlier = {name: data for name, data in _declared.items() if name != cls.__name__}
    base = IRModule(type_definitions={**_prelude_types(), **_by_header(earlier)})
    try:
        mod = parse_with_base(text, base)
    except Error as err:
        raise Error(f"lg.adt: cannot declare {cls.__name__}: {err}") from None
    data = mod.type_definitions[GlobalTypeVar(cls.__name__)]
    _declared[cls.__name__] = data
    handle = ADT(data)
    handle.__doc__ = cls.__doc__
    return handle


def _definition_text(name: str, params: tuple, ctors: dict) -> str:
    head = f"{name}[{', '.join(params)}]" if params else name
    parts = []
    for ctor, fields in ctors.items():
        fields = fields if isinstance(fields, tuple) else (fields,)
        if not all(isinstance(f, str) for f in fields):
            raise Error(f"lg.adt: fields of {name}.{ctor} must be type strings, got {fields!r}")
        parts.append(f"{ctor}({', '.join(fields)})" if fields else ctor)
    return f"type {head} {{ {', '.join(parts)} }}"


def _by_header(datas: dict[str, TypeData]) -> dict:
    return {d.header: d for d in datas.values()}


@cache
def _prelude_module() -> IRModule:
    return parse("", prelude=True)


def _prelude_types() -> dict:
    return dict(_prelude_module().type_definitions)


def definition_of(ctor: Constructor) -> TypeData | None:
    """The definition `ctor` belongs to: a user ADT's or one of the prelude's, else None."""
    header = ctor.belong_to
    for data in (_declared.get(header.name_hint), _prelude_module().type_definitions.get(header)):
        if data is not None and ctor in data.constructors:
            return data
    return None


def prelude_types() -> dict:
    """The prelude's type definitions (List, Option, Tree, nat), by header."""
    return _prelude_types()


def _prelude_adt(name: str, kind=ADT) -> ADT:
    return kind(_prelude_module().type_definitions[GlobalTypeVar(name)])


List = _prelude_adt("List", ListADT)
Option = _prelude_adt("Option")
Tree = _prelude_adt("Tree")
