"""A program being translated: the specializations of jitted functions as globals.

Each (function, argument types) pair becomes one global; a call met while translating asks
for the callee's specialization, which is translated on first request, so recursion and
mutual recursion become (mutually) recursive globals.
"""

from __future__ import annotations

import numpy as np

from ..ir import Call, Constant, Constructor, Function, GlobalVar, IRModule, Type
from ..ir.visitor import ExprMutator
from ..text.printer import print_module
from .adts import List, Option, definition_of, prelude_types
from .dicts import keyed, layout_in, with_dicts
from .errors import Source, UnknownTypeError
from .signature import PYTHON_SCALARS
from .values import Static


class LoweredModule(IRModule):
    """An IRModule whose text leaves out the prelude's type definitions it holds, so that
    ``lg.parse(str(mod), prelude=True)`` reads it back; `result_layout` tells where the
    dicts are in ``@main``'s result (tuples in the IR)."""

    def __init__(self, functions=None, type_definitions=None, result_layout=None):
        super().__init__(functions, type_definitions)
        self.result_layout = result_layout

    def result_to_python(self, value):
        """``@main``'s result as the jitted function returns it: its dicts rebuilt."""
        return with_dicts(value, self.result_layout)

    def astext(self) -> str:
        prelude = prelude_types()
        own = {h: d for h, d in self.type_definitions.items() if prelude.get(h) is not d}
        return print_module(IRModule(self.functions, own))

    __str__ = astext


class Program:
    """The globals, ADTs and Python sources of one lowered module."""

    def __init__(self, adts: dict | None = None):
        self.functions: dict[GlobalVar, Function] = {}
        self.specs: dict[tuple, GlobalVar] = {}
        self.adts: dict = dict(adts or {})
        self.sources: list[Source] = []
        self.in_progress: list[GlobalVar] = []
        self.returned: dict[GlobalVar, Type] = {}  # a return type seen while translating
        self.assumed: dict[GlobalVar, Type] = {}  # result types of unfinished recursion
        self.result_layouts: dict[GlobalVar, object] = {}  # where results hold dicts
        self._known: IRModule | None = None

    def specialize(self, jitted, types: tuple, layouts: tuple, name: str | None = None):
        """The global for `jitted` at argument `types` (and dict keys: `layouts`), translated
        on first request.

        A recursive call whose result type translation needs is assumed to return what the
        function's other returns do (the type checker verifies it): one retry."""
        key = (jitted, types, layouts)
        if key in self.specs:
            return self.specs[key]
        self.specs[key] = gvar = GlobalVar(self._fresh(name or jitted.__name__))
        self.in_progress.append(gvar)
        try:
            self.functions[gvar] = self._translate(jitted, (types, layouts), gvar)
        finally:
            self.in_progress.pop()
        self._known = None
        return gvar

    def _translate(self, jitted, signature: tuple, gvar: GlobalVar) -> Function:
        try:
            return jitted.specialize(self, *signature, gvar)
        except UnknownTypeError:
            returned = self.returned.get(gvar)
            if returned is None or gvar in self.assumed:
                raise
            self._forget_unfinished()
            self.assumed[gvar] = returned
            return jitted.specialize(self, *signature, gvar)

    def _forget_unfinished(self) -> None:
        """Drop specializations an abandoned translation started (not the ones around it)."""
        for key, gvar in list(self.specs.items()):
            if gvar not in self.functions and gvar not in self.in_progress:
                del self.specs[key]

    def note_return(self, gvar: GlobalVar, ty) -> None:
        """A type `gvar`'s function returns on some path (the first one noted is kept)."""
        self.returned.setdefault(gvar, ty)

    def call(self, jitted, args: list, kwargs: dict, node, tr) -> Call:
        """A call of jitted function `jitted` from translator `tr` (Python numbers as
        arguments are typed as at the top level: int64, float64)."""
        if kwargs:
            raise tr.source.error(node, f"keyword arguments in a call of {jitted.__name__}")
        args = [tr.program_value(a, node) for a in args]
        values = [self._argument(a, node, tr) for a in args]
        types = []
        for i, value in enumerate(values):
            ty = tr.type_of(value)
            if ty is None:
                raise tr.source.error(
                    node,
                    f"the type of argument {i} of {jitted.__name__} is not known here (it "
                    "comes from a closure or a recursive call)",
                    UnknownTypeError,
                )
            types.append(ty)
        gvar = self.specialize(jitted, tuple(types), tuple(layout_in(a) for a in args))
        call = Call(gvar, values, span=tr.span(node))
        if gvar in self.functions or gvar not in self.assumed:
            return keyed(call, self.result_layouts.get(gvar))
        return tr.emit(call, gvar.name_hint, self.assumed[gvar])

    @staticmethod
    def _argument(value, node, tr):
        if isinstance(value, Static) and type(value.value) in PYTHON_SCALARS:
            dtype = PYTHON_SCALARS[type(value.value)]
            return Constant(np.array(value.value, dtype=dtype))
        return tr.materialize(value, node)

    def include(self, mod: IRModule, entry: GlobalVar) -> Function:
        """Add an IR program called from jitted code; returns the function of `entry`.

        The program's ``@main`` is called `entry` here and its other globals take names no
        function of this program has, so that neither side's calls reach the other's
        functions of the same name (a recursive ``@main`` in both, say)."""
        names = {GlobalVar("main"): entry}
        for gvar in mod.functions:
            names.setdefault(gvar, GlobalVar(self._fresh(gvar.name_hint, names.values())))
        renamed = rename_globals(mod, names)
        self.functions.update((g, f) for g, f in renamed.functions.items() if g != entry)
        prelude = prelude_types()
        for header, data in mod.type_definitions.items():
            if prelude.get(header) is not data:
                self.adts[header] = data
        self._known = None
        return renamed[entry]

    def use_constructor(self, ctor: Constructor) -> None:
        data = definition_of(ctor)
        if data is not None and data.header not in prelude_types():
            self.adts[data.header] = data

    @staticmethod
    def list_constructors() -> tuple[Constructor, Constructor]:
        return List.Cons.constructor, List.Nil.constructor

    @staticmethod
    def option_constructors() -> tuple[Constructor, Constructor]:
        return Option.Some.constructor, getattr(Option, "None").constructor

    def type_definitions(self) -> dict:
        return {**prelude_types(), **self.adts}

    def known_module(self) -> IRModule:
        """The globals translated so far (for typing expressions that call them)."""
        if self._known is None:
            self._known = IRModule(dict(self.functions), self.type_definitions())
        return self._known

    def module(self) -> LoweredModule:
        functions = dict(self.functions)
        main = functions.pop(GlobalVar("main"))
        layout = self.result_layouts.get(GlobalVar("main"))
        return LoweredModule(
            {GlobalVar("main"): main, **functions}, self.type_definitions(), layout
        )

    def add_source(self, source: Source) -> None:
        if source not in self.sources:
            self.sources.append(source)

    def _fresh(self, name: str, also_taken=()) -> str:
        taken = {g.name_hint for g in (*self.functions, *self.specs.values(), *also_taken)}
        return fresh_name(name, taken)


def fresh_name(name: str, taken: set[str]) -> str:
    """`name`, or `name` with the first number suffix not in `taken`.

    >>> fresh_name("f", {"f", "f_1"})
    'f_2'
    """
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def rename_globals(mod: IRModule, names: dict[GlobalVar, GlobalVar]) -> IRModule:
    """A copy of `mod` with its globals renamed by `names` (calls of them too).

    >>> import lambdagrad as lg
    >>> mod = lg.parse("def @f(%x: float32) -> float32 { @f(%x) }")
    >>> print(rename_globals(mod, {GlobalVar("f"): GlobalVar("g")})["g"].body)
    @g(%x)
    """
    renamer = _GlobalRenamer(names)
    functions = {names.get(g, g): renamer.visit(f) for g, f in mod.functions.items()}
    return IRModule(functions, dict(mod.type_definitions))


class _GlobalRenamer(ExprMutator):
    def __init__(self, names: dict[GlobalVar, GlobalVar]):
        super().__init__()
        self.names = names

    def visit_global_var(self, gvar: GlobalVar) -> GlobalVar:
        return self.names.get(gvar, gvar)
