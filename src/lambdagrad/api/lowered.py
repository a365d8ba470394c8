"""Jitted functions inside transformations: the IR program is differentiated, not traced.

A jitted function is any object with ``lower(*args) -> IRModule`` whose ``@main`` takes the
same arguments (arrays, Python numbers, tuples, ADT values; a dict as the tuple of its values
in key order) and returns the result (`lg.jit` makes them; a module with a
``result_to_python`` method gives the result through it, to rebuild the dicts in it). Given
as `fun` to a transformation, or called through `call_lowered` on values a transformation
follows, its program becomes one primitive: it runs compiled, its gradient
is the program ``lg.transform.vjp`` derives and its forward rule the one
``lg.transform.jvp`` derives. Those derived programs are primitives of the same kind, so
derivatives of any order stay in the IR.
"""

from __future__ import annotations

import functools
import warnings
import weakref

import numpy as np

from ..deep import run_deep
from ..errors import ZeroGradientWarning
from ..ir.expr import Call, Function, GlobalVar, Let, Tuple, TupleGetItem, Var
from ..ir.module import IRModule
from ..ir.types import TensorType, TupleType
from ..runtime import create_executor
from ..typing import infer_type
from .core import Primitive, Tracer, TransformError, apply, avals, zeros_like
from .pytree import TreeDef, tree_flatten, tree_unflatten


def as_python_function(fun):
    """`fun` as a Python callable the transformations can run."""
    if not callable(fun):  # first: a str has a `lower` method too
        raise TransformError(f"expected a function to transform, got {type(fun).__name__}")
    if callable(getattr(fun, "lower", None)):
        return functools.wraps(fun)(lambda *args: call_lowered(fun, args))
    return fun


def traced(args: tuple) -> bool:
    """Whether a transformation follows any of `args` (arrays in tuples, lists and ADT
    values too). A jitted function's ``__call__`` asks this, and hands such calls to
    `call_lowered`."""
    return any(isinstance(leaf, Tracer) for leaf in tree_flatten(args)[0])


def call_lowered(fun, args: tuple):
    """Call jitted `fun` on `args`; when a transformation follows any of them, its IR program
    is applied as one primitive, on the array leaves of the arguments."""
    leaves, tree = tree_flatten(tuple(args))
    if not any(isinstance(leaf, Tracer) for leaf in leaves):
        return fun(*args)
    values = tuple(_as_value(leaf) for leaf in leaves)
    program, from_output = _program_of(fun, tree, values)
    return from_output(apply(program, values))


def _as_value(leaf):
    """Python numbers as arrays, of the types `lower` gives them."""
    return np.asarray(leaf) if isinstance(leaf, bool | int | float) else leaf


_programs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _program_of(fun, tree: TreeDef, values: tuple) -> tuple[ProgramPrim, object]:
    """The primitive of `fun` at these arguments' structure and leaf types, and the function
    giving its output as `fun` returns it; made once."""
    key = (tree, avals(values))
    per_signature = _programs.setdefault(fun, {})
    found = per_signature.get(key)
    if found is None:
        placeholders = [np.zeros(v.shape, v.dtype) for v in values]
        mod = fun.lower(*tree_unflatten(tree, placeholders))
        with_entry, result_type = run_deep(_flat_entry, mod, tree, placeholders)
        name = getattr(fun, "__name__", "jitted")
        program = ProgramPrim(with_entry, name, FLAT_ENTRY)
        to_python = getattr(mod, "result_to_python", _as_it_is)
        found = per_signature[key] = (program, functools.partial(_nested, result_type, to_python))
    return found


def _as_it_is(result):
    return result


def _nested(result_type, to_python, output):
    """The primitive's output (a tuple result's tensors, flat) as the jitted function
    returns it: nested again, then through the module's `to_python` (dicts rebuilt)."""
    if isinstance(result_type, TupleType):
        output = _nest(result_type, iter(output))
    return to_python(output)


def _nest(ty, leaves):
    if isinstance(ty, TupleType):
        return tuple(_nest(f, leaves) for f in ty.fields)
    return next(leaves)


def _tuple_leaves(expr, ty) -> list:
    """The non-tuple parts of a value of type `ty`, left to right."""
    if not isinstance(ty, TupleType):
        return [expr]
    return [
        leaf for i, f in enumerate(ty.fields) for leaf in _tuple_leaves(TupleGetItem(expr, i), f)
    ]


FLAT_ENTRY = "main_on_leaves"


def _flat_entry(mod: IRModule, tree: TreeDef, leaves: list):
    """`mod` plus ``@main_on_leaves``, taking the arguments' array leaves (one parameter
    each) and calling ``@main`` on the tuples and ADT values they make up; a tuple result
    comes out flat (the transformations follow a flat tuple of tensors), so its type is
    returned too."""
    params = [Var(f"leaf{i}", TensorType(x.shape, x.dtype.name)) for i, x in enumerate(leaves)]
    rebuilt = _rebuild(tree, iter(params))
    main = mod.get_global_var("main")
    result_type = infer_type(mod)[main].checked_type.ret_type
    body = Call(main, rebuilt.fields)
    if isinstance(result_type, TupleType):
        result = Var("result", result_type)
        body = Let(result, body, Tuple(_tuple_leaves(result, result_type)))
    new = mod.copy()
    new[GlobalVar(FLAT_ENTRY)] = Function(params, body)
    return new, result_type


def _rebuild(tree: TreeDef, params):
    if tree.kind == "leaf":
        return next(params)
    fields = [_rebuild(child, params) for child in tree.children]
    if tree.kind == "adt":
        return Call(tree.keys[0], fields)
    if tree.kind in ("tuple", "list", "dict"):  # a dict: its values in key order
        return Tuple(fields)
    raise TransformError(f"a jitted function takes no {tree.kind} argument (found {tree})")


class ProgramPrim(Primitive):
    """An IR module's global `entry` as a primitive: compiled once, derivatives derived
    once (as more globals of the same module)."""

    def __init__(self, mod: IRModule, name: str, entry: str):
        self.mod = mod
        self.name = name
        self.entry = entry
        self._run = None
        self._vjp: ProgramPrim | None = None
        self._jvp: ProgramPrim | None = None

    def run(self, args: tuple):
        if self._run is None:
            entry = self.mod.get_global_var(self.entry)
            self._run = create_executor("compiled", self.mod).evaluate(entry)
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
            tangents = [next(given) if nz else zeros_like(p) for p, nz in pairs]
            return apply(program, (*primals, *tangents))

        return rule

    def _derived(self, transform, suffix: str) -> ProgramPrim:
        """The program ``fn(args...) = transform(@entry)(args...).1``, as a new global."""
        mod = self.mod.copy()
        # The rule serves every argument, integer leaves too; which ones are differentiated
        # is checked where the caller says (argnums), so the IR's warnings would be noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroGradientWarning)
            derived = transform(mod.get_global_var(self.entry), mod)
        params = [Var(p.name_hint, p.type_annotation) for p in derived.params]
        entry = f"{self.entry}_{suffix}"
        mod[GlobalVar(entry)] = Function(params, TupleGetItem(Call(derived, params), 1))
        return ProgramPrim(mod, f"{self.name}_{suffix}", entry)
