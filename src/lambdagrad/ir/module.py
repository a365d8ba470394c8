"""IRModule: the global functions and ADT definitions of a program."""

from __future__ import annotations

from ..errors import Error
from .expr import Constructor, Expr, Function, GlobalVar
from .types import GlobalTypeVar, TypeData


class IRModule:
    """A set of global functions (by GlobalVar) and type definitions (by GlobalTypeVar).

    >>> import lambdagrad as lg
    >>> mod = lg.parse('def @main(%x: float32) -> float32 { %x }')
    >>> mod.get_global_var("main").name_hint
    'main'
    >>> str(mod["main"].params[0].type_annotation)
    'float32'
    """

    def __init__(self, functions=None, type_definitions=None):
        self.functions: dict[GlobalVar, Function] = {}
        self.type_definitions: dict[GlobalTypeVar, TypeData] = {}
        for header, data in (type_definitions or {}).items():
            self.add_type(data if isinstance(data, TypeData) else header)
        for gvar, func in (functions or {}).items():
            self[gvar] = func

    @staticmethod
    def from_expr(expr: Expr, functions=None, type_definitions=None) -> IRModule:
        """A module whose ``main`` is `expr` (wrapped in a function when it is not one)."""
        if not isinstance(expr, Expr):
            raise Error(f"IRModule.from_expr: expected an expression, got {type(expr).__name__}")
        mod = IRModule(functions, type_definitions)
        if not isinstance(expr, Function):
            from .visitor import free_vars

            expr = Function(tuple(free_vars(expr)), expr)
        mod["main"] = expr
        return mod

    def __getitem__(self, key: str | GlobalVar) -> Function:
        gvar = self.get_global_var(key) if isinstance(key, str) else _global_var(key)
        try:
            return self.functions[gvar]
        except KeyError:
            raise Error(f"no global function @{gvar.name_hint} in the module") from None

    def __setitem__(self, key: str | GlobalVar, func: Function) -> None:
        gvar = GlobalVar(key) if isinstance(key, str) else _global_var(key)
        if not isinstance(func, Function):
            raise Error(f"global @{gvar.name_hint} must be a function, got {type(func).__name__}")
        self.functions.pop(gvar, None)  # keep the key object the caller gave
        self.functions[gvar] = func

    def __contains__(self, key: str | GlobalVar) -> bool:
        name = key if isinstance(key, str) else key.name_hint
        return GlobalVar(name) in self.functions

    def add_type(self, data: TypeData) -> None:
        """Add (or replace) an ADT definition."""
        if not isinstance(data, TypeData):
            raise Error(f"add_type: expected a TypeData, got {type(data).__name__}")
        self.type_definitions.pop(data.header, None)
        self.type_definitions[data.header] = data

    def get_global_var(self, name: str) -> GlobalVar:
        """The GlobalVar called `name`; raises ``lg.Error`` if the module has none."""
        for gvar in self.functions:
            if gvar.name_hint == name:
                return gvar
        raise Error(f"no global function @{name} in the module")

    def get_global_type_var(self, name: str) -> GlobalTypeVar:
        """The ADT header called `name`; raises ``lg.Error`` if the module has none."""
        header = GlobalTypeVar(name)
        if header not in self.type_definitions:
            raise Error(f"no type definition {name} in the module")
        return header

    def get_constructor(self, name: str) -> Constructor:
        """The ADT constructor called `name`, such as ``Cons``."""
        for data in self.type_definitions.values():
            for ctor in data.constructors:
                if ctor.name_hint == name:
                    return ctor
        raise Error(f"no constructor {name} in the module")

    def constructors(self) -> dict[str, Constructor]:
        """Every constructor of every ADT, by name."""
        return {c.name_hint: c for d in self.type_definitions.values() for c in d.constructors}

    def copy(self) -> IRModule:
        """A shallow copy: new tables, the same (immutable) functions and types."""
        return IRModule(dict(self.functions), dict(self.type_definitions))

    def update(self, other: IRModule) -> None:
        """Add every function and type definition of `other` to this module."""
        for data in other.type_definitions.values():
            self.add_type(data)
        for gvar, func in other.functions.items():
            self[gvar] = func

    def astext(self) -> str:
        """The module in the text format; ``lg.parse`` reads it back."""
        from ..text.printer import print_module

        return print_module(self)

    __str__ = astext

    def __repr__(self) -> str:
        names = ", ".join(g.name_hint for g in self.functions)
        return f"<IRModule functions=[{names}]>"


def _global_var(key) -> GlobalVar:
    if not isinstance(key, GlobalVar):
        raise Error(f"a global is named by a str or a GlobalVar, got {type(key).__name__} {key!r}")
    return key
