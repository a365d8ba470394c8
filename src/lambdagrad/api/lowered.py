"""Jitted functions inside transformations: the IR program is differentiated, not traced.

A jitted function is any object with ``lower(*args) -> IRModule`` whose ``@main`` takes the
same arguments (arrays, Python numbers, tuples, ADT values) and returns the result (`lg.jit`
makes them). Given as `fun` to a transformation, or called through `call_lowered` on values
a transformation follows, its program becomes one primitive: it runs compiled, its gradient
is the program ``lg.transform.vjp`` derives and its forward rule the one
``lg.transform.jvp`` derives. Those derived programs are primitives of the same kind, so
derivatives of any order stay in the IR.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from ..ir.expr import Call, Function, GlobalVar, TupleGetItem, Var
from ..ir.module import IRModule
from ..runtime import create_executor
from .core import Primitive, Tracer, TransformError, apply, aval


def as_python_function(fun):
    """`fun` as a Python callable the transformations can run."""
    if callable(getattr(fun, "lower", None)):
        return functools.wraps(fun)(lambda *args: call_lowered(fun, args))
    if not callable(fun):
        raise TransformError(f"expected a function to transform, got {type(fun).__name__}")
    return fun


def traced(args: tuple) -> bool:
    """Whether a transformation follows any of `args` (arrays in tuples and lists too).

    A jitted function's ``__call__`` asks this, and hands such calls to `call_lowered`.
    """
    return any(isinstance(leaf, Tracer) for leaf in _leaves(args))


def call_lowered(fun, args: tuple):
    """Call jitted `fun` on `args`; when a transformation follows any of them, its IR program
    is applied as one primitive."""
    if not traced(args):
        return fun(*args)
    values = tuple(_as_value(a) for a in args)
    return apply(_program_of(fun, values), values)


def _leaves(args):
    for arg in args:
        if isinstance(arg, tuple | list):
            yield from _leaves(arg)
        else:
            yield arg


def _as_value(arg):
    """Python numbers as arrays (the types `lower` gives them), lists as tuples."""
    if isinstance(arg, tuple | list):
        return tuple(_as_value(a) for a in arg)
    if isinstance(arg, bool | int | float):
        return np.asarray(arg)
    return arg


def _placeholder(value):
    """A concrete value of `value`'s type, for `lower` to specialize on."""
    if type(value) is tuple:
        return tuple(_placeholder(v) for v in value)
    if isinstance(value, Tracer):
        return np.zeros(value.shape, value.dtype)
    return value


_programs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _program_of(fun, values: tuple) -> ProgramPrim:
    key = tuple(aval(v) if _is_array_like(v) else type(v) for v in values)
    per_signature = _programs.setdefault(fun, {})
    found = per_signature.get(key)
    if found is None:
        mod = fun.lower(*(_placeholder(v) for v in values))
        name = getattr(fun, "__name__", "jitted")
        found = per_signature[key] = ProgramPrim(mod, name)
    return found


def _is_array_like(value) -> bool:
    return type(value) is tuple or isinstance(value, Tracer | np.ndarray | np.generic)


class ProgramPrim(Primitive):
    """An IR module's ``@main`` as a primitive: compiled once, derivatives derived once."""

    def __init__(self, mod: IRModule, name: str):
        self.mod = mod
        self.name = name
        self._run = None
        self._vjp: ProgramPrim | None = None
        self._jvp: ProgramPrim | None = None

    def run(self, args: tuple):
        if self._run is None:
            self._run = create_executor("compiled", self.mod).evaluate()
        return self._run(*args)

    def vjp_rule(self, avals, wanted):
        if self._vjp is None:
            from ..ad.api import vjp

            self._vjp = self._derived(vjp, "vjp")
        program = self._vjp

        def rule(*args):
            *primals, _, cotangent = args
            return list(apply(program, (*primals, cotangent)))

        return rule

    def jvp_rule(self, avals, nonzero):
        if self._jvp is None:
            from ..ad.forward import jvp

            self._jvp = self._derived(jvp, "jvp")
        program = self._jvp

        def rule(*args):
            primals, given = args[: len(nonzero)], iter(args[len(nonzero) + 1 :])
            pairs = zip(primals, nonzero, strict=True)
            tangents = [next(given) if nz else _zeros(p) for p, nz in pairs]
            return apply(program, (*primals, *tangents))

        return rule

    def _derived(self, transform, suffix: str) -> ProgramPrim:
        """The program ``fn(args...) = transform(@main)(args...).1`` as a primitive."""
        mod = self.mod.copy()
        derived = transform(mod.get_global_var("main"), mod)
        params = [Var(p.name_hint, p.type_annotation) for p in derived.params]
        main = Function(params, TupleGetItem(Call(derived, params), 1))
        new = IRModule(dict(mod.functions), dict(mod.type_definitions))
        new[GlobalVar("main")] = main
        return ProgramPrim(new, f"{self.name}_{suffix}")


def _zeros(value):
    if type(value) is tuple:
        return tuple(_zeros(v) for v in value)
    return np.zeros(value.shape, value.dtype)
