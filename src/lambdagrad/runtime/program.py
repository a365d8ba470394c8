"""Running compiled code: compiling units, entering from Python, errors and closures out.

A `CompiledProgram` holds the namespace all of a module's generated code runs in, and
compiles each function once: a global when a compiled expression first reaches it, an
expression when it is first evaluated. Calls from Python (`CompiledClosure`) check and
convert their arguments as the interpreter does, run on a big stack with numpy's warnings
silenced, turn an op's failure into the interpreter's `EvaluationError`, and wrap closures
in the result so that Python can call them in turn.
"""

from __future__ import annotations

import itertools
from types import CodeType

import numpy as np

from ..deep import run_deep, without_gc
from ..errors import EvaluationError
from ..ir.expr import Call, Expr, Function, GlobalVar, Let, Var
from ..ir.module import IRModule
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall, TypeVar
from ..ir.visitor import free_vars, post_order
from ..transform.effects import reached_globals, recursive_globals
from .codegen import CallSite, Codegen, FunctionInfo, MatchSite, OpSite, Site, Unit
from .convert import tensor_converter, to_value
from .interpreter import (
    OP_ERRORS,
    cite_prelude_call_site,
    is_prelude_global,
    location,
    no_match,
    not_callable,
    op_failure,
)
from .namespace import Namespace
from .values import ConstructorValue, RefValue

_unit_numbers = itertools.count(1)

# Errors that may stand for one of the interpreter's: an op's, or a `match` on a non-ADT value.
TRANSLATED = (*OP_ERRORS, AttributeError)


class CompiledProgram:
    """The compiled functions of one typed module, created as evaluation needs them."""

    def __init__(self, mod: IRModule):
        self.mod = mod
        self.namespace = Namespace()
        self.namespace.values["__builtins__"] = {}  # generated code calls only what it is given
        self.functions: dict[CodeType, FunctionInfo] = {}
        self._sites: dict[str, dict[int, Site]] = {}
        self._cache: dict[int, tuple[Expr, object]] = {}
        self._exporters: dict[Type, object] = {}
        self._big_stack: dict[int, tuple[Function, bool]] = {}
        self._recursive: frozenset[str] | None = None
        self._inside_prelude: frozenset[int] | None = None

    def evaluate(self, expr: Expr, typed):
        """The value of `expr`: a `CompiledClosure` for a function, else computed now.

        `typed(expr)` gives the typed form of an expression; it is compiled once per `expr`.
        """
        found = self._cache.get(id(expr))
        if found is None:
            entry = run_deep(without_gc, self._compile_entry, expr, typed)
            found = self._cache[id(expr)] = (expr, entry)
        entry = found[1]
        if isinstance(entry, CompiledClosure):
            return entry
        function, export = entry
        return run_deep(self.enter, function, [], export)

    def _compile_entry(self, expr: Expr, typed):
        codegen = Codegen(self.mod, self.namespace)
        if isinstance(expr, GlobalVar):
            if expr not in self.mod.functions:
                raise EvaluationError(f"unknown global @{expr.name_hint}{location(expr)}")
            name = codegen.global_name(expr)
        else:
            func = typed(expr)
            if not isinstance(func, Function):
                name = codegen.thunk(func)
                self._load(codegen.unit())
                return self.namespace.values[name], self.exporter(func.checked_type)
            name = codegen.function(func)
        self._load(codegen.unit())
        function = self.namespace.values[name]
        return CompiledClosure(function, self.functions[function.__code__], self)

    def _load(self, unit: Unit) -> None:
        """Compile `unit` and run it, which defines its functions in the namespace."""
        filename = f"<lambdagrad compiled {next(_unit_numbers)}>"
        code = compile(unit.source, filename, "exec")
        self._sites[filename] = unit.sites
        for inner in _code_objects(code):
            info = unit.defs.get(inner.co_firstlineno)
            if info is not None:
                self.functions[inner] = info
        exec(code, self.namespace.values)

    # ---- entering compiled code from Python

    def enter(self, function, args: list, export):
        """Call compiled `function`; errors as the interpreter's, closures in the result wrapped.

        Runs with numpy's warnings silenced, as the registry's op wrappers do per call.
        """
        with np.errstate(all="ignore"):
            try:
                result = function(*args)
            except TRANSLATED as err:
                failure = self._failure(err)
                if failure is None:
                    raise
                self._cite_prelude_entry(failure, err.__traceback__)
                raise failure from None
            except EvaluationError as err:
                self._cite_prelude_entry(err, err.__traceback__)
                raise
        return result if export is None else export(result)

    def _cite_prelude_entry(self, err: EvaluationError, tb) -> None:
        """Name the user's call by which the failed computation entered the prelude, as the
        interpreter does: the outermost line of generated code calling a prelude global from
        outside the prelude."""
        prelude_calls = self._prelude_calls()
        while tb is not None:
            sites = self._sites.get(tb.tb_frame.f_code.co_filename)
            site = sites.get(tb.tb_lineno) if sites is not None else None
            entered = isinstance(site, CallSite) and id(site.call) not in prelude_calls
            if entered and self._is_prelude_global(site.call.op):
                cite_prelude_call_site(err, site.call)
                return
            tb = tb.tb_next

    def _is_prelude_global(self, callee) -> bool:
        return (
            isinstance(callee, GlobalVar)
            and callee in self.mod
            and is_prelude_global(callee, self.mod[callee])
        )

    def _prelude_calls(self) -> frozenset[int]:
        """The ids of the calls inside the module's prelude functions (made once)."""
        if self._inside_prelude is None:
            self._inside_prelude = frozenset(
                id(node)
                for gvar, func in self.mod.functions.items()
                if is_prelude_global(gvar, func)
                for node in post_order(func)
                if isinstance(node, Call)
            )
        return self._inside_prelude

    def _failure(self, err: Exception) -> EvaluationError | None:
        """The interpreter's error for `err`: from an op, a call or a match, else None.

        The innermost frame of generated code on the traceback says which line failed; each
        op call has a line of its own, so the line names the op and its arguments.
        """
        tb, last = err.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename in self._sites:
                last = tb
            tb = tb.tb_next
        if last is None:
            return None
        site = self._sites[last.tb_frame.f_code.co_filename].get(last.tb_lineno)
        if isinstance(site, OpSite) and not isinstance(err, AttributeError):
            args = [self._lookup(last.tb_frame, name) for name in site.args]
            return op_failure(site.call, args, err)
        if isinstance(site, MatchSite):
            return no_match(site.match, self._lookup(last.tb_frame, site.data))
        if isinstance(site, CallSite) and isinstance(err, TypeError):
            callee = self._lookup(last.tb_frame, site.callee)
            if not callable(callee):
                return not_callable(callee, site.call)
        return None

    def _lookup(self, frame, name: str):
        if name in frame.f_locals:
            return frame.f_locals[name]
        return self.namespace.values.get(name, ())

    # ---- values going out to Python

    def exporter(self, ty: Type | None):
        """A function making a value of type `ty` fit for Python, or None if it already is."""
        try:
            return self._exporters[ty]
        except KeyError:
            found = self._exporters[ty] = self._make_exporter(ty)
            return found
        except TypeError:  # an unhashable type: work it out each time
            return self._make_exporter(ty)

    def _make_exporter(self, ty: Type | None):
        if isinstance(ty, TensorType):
            return None
        if isinstance(ty, TupleType):
            parts = [self.exporter(f) for f in ty.fields]
            if all(p is None for p in parts):
                return None
            return lambda value: tuple(
                v if p is None else p(v) for v, p in zip(value, parts, strict=True)
            )
        if isinstance(ty, FuncType):
            return self.export_function
        if isinstance(ty, TypeCall | RefType) and not _may_hold(ty, self.mod, set(), (FuncType,)):
            return None
        return self.export_any

    def export_function(self, value):
        """`value` callable from Python, if it is a function of compiled code."""
        info = self.functions.get(getattr(value, "__code__", None))
        return value if info is None else CompiledClosure(value, info, self)

    def export_any(self, value, seen: set | None = None):
        """`value` with every compiled function inside it made callable from Python."""
        seen = set() if seen is None else seen
        if isinstance(value, tuple):
            fields = tuple(self.export_any(v, seen) for v in value)
            return value if _same(fields, value) else fields
        if isinstance(value, ConstructorValue):
            fields = tuple(self.export_any(v, seen) for v in value.fields)
            return (
                value
                if _same(fields, value.fields)
                else ConstructorValue(value.constructor, fields)
            )
        if isinstance(value, RefValue):
            if id(value) not in seen:  # refs can form cycles
                seen.add(id(value))
                value.value = self.export_any(value.value, seen)
            return value
        return self.export_function(value)

    def argument_converter(self, param: Var, where: str):
        """A function checking and converting an argument from Python for `param`."""
        ty = param.checked_type or param.type_annotation
        if isinstance(ty, TensorType):
            return tensor_converter(ty, where)
        return lambda arg: self.imported(to_value(arg, ty, where), ty)

    def needs_big_stack(self, func: Function) -> bool:
        """Whether a call of `func` may recurse, or have effects its caller sees.

        It may recurse if it reaches a recursive global or a let-bound closure calling itself,
        or is given or captures a function (which may do either). It has effects if it is
        given or captures a ref, which it may write. Other calls run on the caller's thread,
        and can run again if they nest too deep there.
        """
        found = self._big_stack.get(id(func))
        if found is None:
            found = self._big_stack[id(func)] = (func, self._may_recurse(func))
        return found[1]

    def _may_recurse(self, func: Function) -> bool:
        if self._recursive is None:
            self._recursive = recursive_globals(self.mod)
        reached = reached_globals(func, self.mod)
        if any(g.name_hint in self._recursive for g in reached):
            return True
        outside = [*func.params, *free_vars(func)]
        if any(_may_hold(v.checked_type, self.mod, set(), _EFFECTFUL) for v in outside):
            return True
        return any(
            _has_recursive_closure(body) for body in [func, *map(self.mod.__getitem__, reached)]
        )

    def imported(self, value, ty: Type | None):
        """An argument of type `ty` from Python, as compiled code takes it.

        Closures of this program are unwrapped; a Python function that may receive closures
        gets them callable from Python, as the interpreter gives them.
        """
        if isinstance(value, CompiledClosure) and value.program is self:
            return value.function
        if isinstance(ty, FuncType):
            exports = [self.exporter(t) for t in ty.arg_types]
            if any(e is not None for e in exports):
                return _foreign(value, exports)
        return value


def _foreign(function, exports: list):
    """`function` (from Python) with its arguments exported before each call."""

    def call(*args):
        return function(*(a if e is None else e(a) for a, e in zip(args, exports, strict=True)))

    return call


def _same(new: tuple, old: tuple) -> bool:
    return all(n is o for n, o in zip(new, old, strict=True))


def _may_hold(ty: Type | None, mod: IRModule, seen: set, kinds: tuple, plain=frozenset()) -> bool:
    """Whether a value of type `ty` may contain a value of one of `kinds` (function or ref
    types).

    Type variables may stand for anything, except those in `plain` (ids of an ADT's own
    parameters, whose arguments are checked where the ADT is applied).
    """
    if isinstance(ty, TypeVar):
        return id(ty) not in plain
    if isinstance(ty, kinds):
        return True
    if isinstance(ty, TensorType):
        return False
    if isinstance(ty, TupleType):
        return any(_may_hold(f, mod, seen, kinds, plain) for f in ty.fields)
    if isinstance(ty, RefType):
        return _may_hold(ty.value, mod, seen, kinds, plain)
    if not isinstance(ty, TypeCall):
        return True  # functions, and types not known
    if any(_may_hold(a, mod, seen, kinds, plain) for a in ty.args):
        return True
    data = mod.type_definitions.get(ty.func)
    if ty.func in seen or data is None:
        return data is None
    seen.add(ty.func)
    own = frozenset(map(id, data.type_vars))
    inputs = [t for c in data.constructors for t in c.inputs]
    return any(_may_hold(t, mod, seen, kinds, own) for t in inputs)


_EFFECTFUL = (FuncType, RefType)


def _has_recursive_closure(expr: Expr) -> bool:
    """Whether `expr` binds a closure with ``let`` that mentions itself (calls itself)."""
    for node in post_order(expr):
        closure = isinstance(node, Let) and isinstance(node.value, Function)
        if closure and any(n is node.var for n in post_order(node.value)):
            return True
    return False


def _code_objects(code: CodeType):
    """`code` and every code object nested in it."""
    stack = [code]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))


class CompiledClosure:
    """A compiled function as a Python callable: checks and converts arguments like the
    interpreter's closures.

    A call runs on the caller's thread when the function cannot recurse (see
    `CompiledProgram.needs_big_stack`); should it still nest too deep for the caller's stack
    (a long chain of closures calling each other), it runs again on the big stack, which is
    safe because such a call changes nothing its caller can see.

    >>> import lambdagrad as lg
    >>> square = lg.create_executor("compiled").evaluate(
    ...     lg.parse_expr("fn (%x: float32) { multiply(%x, %x) }"))
    >>> square, float(square(3.0))
    (<compiled closure fn>, 9.0)
    """

    __slots__ = ("function", "info", "program", "_export", "_converters", "_big_stack")

    def __init__(self, function, info: FunctionInfo, program: CompiledProgram):
        self.function = function
        self.info = info
        self.program = program
        self._export = program.exporter(info.ret_type)
        self._converters = tuple(
            program.argument_converter(param, f"argument {i} (%{param.name_hint}) of {info.name}")
            for i, param in enumerate(info.params)
        )
        self._big_stack = program.needs_big_stack(info.func)

    def __call__(self, *args):
        converters = self._converters
        if len(args) != len(converters):
            name = self.info.name
            raise EvaluationError(f"{name} takes {len(converters)} argument(s), got {len(args)}")
        values = [convert(arg) for convert, arg in zip(converters, args, strict=True)]
        if not self._big_stack:
            try:
                return self.program.enter(self.function, values, self._export)
            except RecursionError:
                pass  # nested deeper than the caller's stack allows: start again below
        return run_deep(self.program.enter, self.function, values, self._export)

    def __repr__(self) -> str:
        return f"<compiled closure {self.info.name}>"
