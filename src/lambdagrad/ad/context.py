"""State shared by one AD transformation: derived globals and AD versions of ADTs."""

from __future__ import annotations

from ..ir.expr import Constructor, GlobalVar, Var
from ..ir.module import IRModule
from ..ir.types import FuncType, GlobalTypeVar, Type, TypeCall, TypeData, TypeVar
from ..typing.unify import type_children
from .adtypes import ad_type, is_float_tensor


class ADContext:
    """What a higher-order AD run adds to the module, created on demand.

    `mod` receives the derived globals (``@f_grad`` for each global ``@f`` the program
    reaches) and the AD versions of ADTs whose constructors hold float tensors or functions
    directly (``Foo`` becomes ``Foo_ad``); `typed` is the type-annotated source program.
    Forward mode's context is a subclass with its own suffixes and type mapping.
    """

    adt_suffix = "_ad"
    derived_suffix = "_grad"

    def __init__(self, mod: IRModule, typed: IRModule):
        self.mod = mod
        self.typed = typed
        self.derived: dict[str, GlobalVar] = {}
        self.pending: list[tuple[GlobalVar, GlobalVar]] = []
        self.adt_names: dict[GlobalTypeVar, GlobalTypeVar] = {}
        self.constructors: dict[tuple[GlobalTypeVar, str], Constructor] = {}
        self._ad_types: dict[Type, Type] = {}
        # variable holding an AD pair (a float tensor and its gradient ref) -> the variables
        # bound to the tensor and to the ref just before it: ops use those directly instead
        # of projecting them out of the pair
        self.pairs: dict[Var, tuple[Var, Var]] = {}
        self._make_adt_versions()

    def derived_global(self, gvar: GlobalVar) -> GlobalVar:
        """The AD version of global `gvar`, queued for transformation on first use."""
        name = f"{gvar.name_hint}{self.derived_suffix}"
        if name not in self.derived:
            self.derived[name] = GlobalVar(name)
            self.pending.append((gvar, self.derived[name]))
        return self.derived[name]

    def ad_type(self, ty: Type) -> Type:
        known = self._ad_types.get(ty)  # asked for at every binding: a few types, many times
        if known is None:
            known = self._ad_types[ty] = self.map_type(ty)
        return known

    def map_type(self, ty: Type) -> Type:
        """The type of `ty`'s values in this mode's output (uncached: see `ad_type`)."""
        return ad_type(ty, self.adt_names)

    def constructor(self, ctor: Constructor) -> Constructor:
        """The constructor to use in AD output for `ctor`."""
        return self.constructors.get((ctor.belong_to, ctor.name_hint), ctor)

    def _make_adt_versions(self) -> None:
        needing = self._adts_needing_versions()
        for header in needing:
            self.adt_names[header] = GlobalTypeVar(f"{header.name_hint}{self.adt_suffix}")
        for header in needing:
            self._add_version(self.typed.type_definitions[header])

    def _adts_needing_versions(self) -> list[GlobalTypeVar]:
        """ADTs with a constructor field that changes under AD, to a fixpoint."""
        defs = self.typed.type_definitions
        needing: set[GlobalTypeVar] = set()
        changed = True
        while changed:
            changed = False
            for header, data in defs.items():
                if header not in needing and any(
                    _changes(t, needing) for c in data.constructors for t in c.inputs
                ):
                    needing.add(header)
                    changed = True
        return [h for h in defs if h in needing]

    def _add_version(self, data: TypeData) -> None:
        header = self.adt_names[data.header]
        ctors = []
        for ctor in data.constructors:
            inputs = [self.ad_type(t) for t in ctor.inputs]
            new = Constructor(f"{ctor.name_hint}{self.adt_suffix}", inputs, header, ctor.tag)
            ctors.append(new)
        # an earlier run's version stays: the derived globals it left in the module use its
        # constructors (replaced, they would match on constructors no type defines)
        earlier = self.mod.type_definitions.get(header)
        if earlier is not None and _same_constructors(earlier.constructors, ctors):
            ctors = list(earlier.constructors)
        else:
            self.mod.add_type(TypeData(header, data.type_vars, ctors))
        for ctor, new in zip(data.constructors, ctors, strict=True):
            self.constructors[(data.header, ctor.name_hint)] = new


def _changes(ty: Type, needing: set) -> bool:
    """Whether AD changes values of `ty` (type variables are left to their instances)."""
    if is_float_tensor(ty) or isinstance(ty, FuncType):
        return True
    if isinstance(ty, TypeCall) and ty.func in needing:
        return True
    if isinstance(ty, TypeVar):
        return False
    return any(_changes(t, needing) for t in type_children(ty))


def _same_constructors(old, new) -> bool:
    """Whether two constructor lists have the same names and field types, in order."""
    return len(old) == len(new) and all(
        a.name_hint == b.name_hint and a.inputs == b.inputs for a, b in zip(old, new, strict=True)
    )
