"""`jit`: Python functions (and IR programs) as compiled, specialized functions."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

import numpy as np

from ..ad.api import gradient
from ..api.core import TransformError
from ..api.lowered import call_lowered, traced
from ..errors import Error
from ..ir import (
    Call,
    Function,
    FuncType,
    GlobalVar,
    IRModule,
    Let,
    TensorType,
    Tuple,
    TupleGetItem,
    Type,
    Var,
)
from ..runtime import create_executor
from ..transform.pipeline import optimize
from ..typing import infer_type
from ..typing.unify import type_children
from .dicts import keyed
from .errors import JitError, Source, relocate
from .expressions import parameter_names
from .program import LoweredModule, Program, fresh_name, rename_globals
from .signature import argument_layouts, argument_types, as_value
from .translate import FunctionTranslator
from .values import Layout


class Compiled:
    """One specialization: the lowered module, type-checked when made (`type` is its
    ``@main``'s), and its entry point, compiled on the first call (a module only lowered for
    `gradient` is not compiled)."""

    def __init__(self, mod: LoweredModule, sources: list[Source]):
        self.mod = mod
        self.sources = sources
        self._run = None
        try:
            self.type: FuncType = infer_type(mod)["main"].checked_type
        except Error as err:
            raise relocate(err, sources) from None

    def __call__(self, args):
        try:
            if self._run is None:
                self._run = create_executor("compiled", self.mod).evaluate()
            return self.mod.result_to_python(self._run(*as_value(args)))
        except Error as err:
            raise relocate(err, self.sources) from None


class Jitted:
    """What `jit` returns: call it like the function; `lower(*args)` gives the IR module
    (its ``@main`` takes the same arguments). Compiled once per argument signature."""

    def __init__(self):
        self._compiled: dict = {}

    def __call__(self, *args, **kwargs):
        _positional_only(self, kwargs)
        if traced(args):
            # inside lg.grad & co.: the whole program is one primitive of the transformation
            return call_lowered(self, args)
        return self._entry(args)(args)

    def lower(self, *args, **kwargs) -> IRModule:
        """The IR module for these arguments' types; ``@main`` is the function (a dict is a
        tuple there, of its values in key order).

        Each call gives a new module object (``gradient(..., mod=mod)`` adds globals to the
        module it is given) over the same, cached, functions."""
        _positional_only(self, kwargs)
        mod = self._entry(args).mod
        return LoweredModule(dict(mod.functions), dict(mod.type_definitions), mod.result_layout)

    @property
    def signatures(self) -> list[tuple]:
        """The argument types this function has been translated and compiled for."""
        return [key[0] for key in self._compiled]

    def _entry(self, args) -> Compiled:
        used: dict = {}
        types = argument_types(args, used)
        return self.specialization(types, argument_layouts(args), used)

    def specialization(self, types: tuple, layouts: tuple, used: dict) -> Compiled:
        """The specialization at argument `types` (`layouts`: the keys of the dicts in
        them; `used`: the ADT definitions they name), made on first request."""
        key = (types, layouts, tuple(used.values()))
        entry = self._compiled.get(key)
        if entry is None:
            entry = self._compiled[key] = self._compile(types, layouts, used)
        return entry

    def _compile(self, types: tuple, layouts: tuple, used: dict) -> Compiled:
        raise NotImplementedError


class JitFunction(Jitted):
    """A Python function translated to IR from its source (see `jit`)."""

    def __init__(self, fun):
        super().__init__()
        # its name and docstring only: a wrapper's __dict__ may hold another jitted
        # function's attributes (functools.wraps copies them), its compiled cache among them
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self._syntax: tuple[Source, ast.AST] | None = None

    def _compile(self, types, layouts, used) -> Compiled:
        program = Program(used)
        program.specialize(self, types, layouts, name="main")
        return Compiled(program.module(), program.sources)

    def specialize(self, program: Program, types: tuple, layouts: tuple, gvar: GlobalVar):
        """The IR function of this Python function at argument `types`, whose dicts have
        the keys `layouts` tell (global `gvar`)."""
        source, node = self.syntax()
        program.add_source(source)
        names = parameter_names(node, source)
        if len(names) != len(types):
            raise source.error(
                node, f"{self.__name__} takes {len(names)} argument(s), got {len(types)}"
            )
        params = [Var(name, ty) for name, ty in zip(names, types, strict=True)]
        translator = FunctionTranslator(program, source, self.fun)
        env = {p.name_hint: keyed(p, layout) for p, layout in zip(params, layouts, strict=True)}
        body = node.body
        if isinstance(node, ast.Lambda):
            body = [ast.copy_location(ast.Return(value=node.body), node.body)]
        note = functools.partial(program.note_return, gvar)
        body, program.result_layouts[gvar] = translator.function_body(body, env, node, note)
        return Function(params, body, span=translator.span(node))

    def syntax(self) -> tuple[Source, ast.AST]:
        """The function's source and its `def` (or lambda) node, parsed once."""
        if self._syntax is None:
            self._syntax = _parse_function(self.fun)
        return self._syntax

    def __repr__(self) -> str:
        return f"<lg.jit function {self.__name__}>"


class IRFunction(Jitted):
    """An IR program's function as a Python function (see `jit`)."""

    def __init__(self, mod: IRModule, entry: str):
        super().__init__()
        self.__name__ = entry
        self.entry = entry
        self.mod = _with_main(mod, entry)

    def _compile(self, types, layouts, used) -> Compiled:
        mod = LoweredModule(self.mod.functions, self.mod.type_definitions)
        return Compiled(mod, [])

    def specialize(self, program: Program, types: tuple, layouts: tuple, gvar: GlobalVar):
        return program.include(self.mod, gvar)

    def __repr__(self) -> str:
        return f"<lg.jit of @{self.entry}>"


class GradientFunction(Jitted):
    """`lg.jit` of ``lg.grad(f)`` or ``lg.value_and_grad(f)``: per signature, the IR gradient
    of `f`'s whole program (``gradient(..., wrt=argnums)``), optimized and compiled."""

    def __init__(self, derivative):
        if derivative.has_aux:
            raise JitError("lg.jit of a gradient with has_aux=True: jit the function instead")
        super().__init__()
        self.inner = jit(derivative.fun)
        self.argnums = derivative.argnums
        self.with_value = derivative.with_value
        self.__name__ = f"grad_{getattr(self.inner, '__name__', 'f')}"

    def _compile(self, types, layouts, used) -> Compiled:
        # built from the function's own specialization for these arguments
        inner = self.inner.specialization(types, layouts, used)
        wrt = self._differentiable(inner.type)
        mod = self._gradient_module(inner.mod, wrt)
        mod.result_layout = self._result_layout(layouts)  # argnums are valid by now
        return Compiled(mod, inner.sources)

    def specialize(self, program: Program, types: tuple, layouts: tuple, gvar: GlobalVar):
        """The gradient called from jitted code: its module becomes part of the program."""
        compiled = self.specialization(types, layouts, dict(program.adts))
        for source in compiled.sources:
            program.add_source(source)
        program.result_layouts[gvar] = compiled.mod.result_layout
        return program.include(compiled.mod, gvar)

    def _result_layout(self, layouts: tuple) -> Layout | None:
        """Where the dicts are in the result: gradients are shaped like their arguments."""
        if isinstance(self.argnums, int):
            grads = layouts[self.argnums]
        else:
            fields = tuple(layouts[i] for i in self.argnums)
            grads = Layout(None, fields) if any(f is not None for f in fields) else None
        if self.with_value and grads is not None:
            return Layout(None, (None, grads))
        return grads

    def _differentiable(self, signature: FuncType) -> tuple[int, ...]:
        """The parameters to differentiate; raises as `lg.grad` does unless the function
        returns a floating-point scalar and those parameters hold floating-point arrays."""
        wrt = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        params = signature.arg_types
        for i in wrt:
            if -len(params) <= i < len(params):  # others: gradient names the bad index
                _need_float_leaves(params[i], i)
        result = signature.ret_type
        if not (isinstance(result, TensorType) and result.shape == ()):
            raise TransformError(
                f"grad needs a function returning a scalar, got {result}: reduce it (lnp.sum, "
                "lnp.mean), or use jacrev/vjp for non-scalar outputs"
            )
        if np.dtype(result.dtype).kind != "f":
            raise TransformError(f"grad needs a floating-point output, got {result.dtype}")
        return wrt

    def _gradient_module(self, mod: IRModule, wrt: tuple[int, ...]) -> LoweredModule:
        """`mod` with its ``@main`` renamed (``@main_primal``) and a new ``@main`` returning the
        gradient with respect to parameters `wrt` (with the value first for value_and_grad)."""
        taken = {g.name_hint for g in mod.functions}  # main_primal is, in a gradient's gradient
        primal = GlobalVar(fresh_name("main_primal", taken))
        renamed = rename_globals(mod, {GlobalVar("main"): primal})
        single = isinstance(self.argnums, int)
        derived = gradient(primal, mod=renamed, wrt=wrt)
        params = [Var(p.name_hint, p.type_annotation) for p in renamed[primal].params]
        both = Var("value_and_gradients")
        grads = TupleGetItem(both, 1)
        result = TupleGetItem(grads, 0) if single else grads
        body = Tuple([TupleGetItem(both, 0), result]) if self.with_value else result
        renamed[GlobalVar("main")] = Function(params, Let(both, Call(derived, params), body))
        optimized = optimize(renamed)
        return LoweredModule(dict(optimized.functions), dict(optimized.type_definitions))

    def __repr__(self) -> str:
        return f"<lg.jit of the gradient of {self.inner!r}>"


def jit(fun, entry: str = "main"):
    """Compile a Python function (or an IR program's function `entry`) through the IR.

    The function's source is translated to an IR module, type-checked and compiled once per
    signature of argument types (arrays by shape and dtype, Python floats as float64 and
    ints as int64, tuples, dicts with string keys and their keys, ADT values).
    ``f.lower(*args)`` gives the module; its ``@main`` takes the same arguments as `fun`,
    a dict as the tuple of its values in key order (sorted, as pytrees order them).

    What translates: `if`/`elif`, `while`, `for` over ``range`` or an ``lg.List`` (with
    `break`, `continue` and `return`) or over a tuple or list argument (unrolled, with
    ``enumerate`` and ``zip``), dict and list comprehensions over tuples and ranges known
    here (unrolled), dicts (arguments, ``{"w": w, "b": b}`` displays and results, in
    tuples and dicts too; ``p["w"]`` with a constant key, ``len(p)``, ``"w" in p``, and
    loops and comprehensions over ``p``, ``p.keys()``, ``p.values()`` and ``p.items()``,
    in key order as JAX's jit sees them, as ``{k: p[k] - lr * g[k] for k in p}``),
    asserts on shapes and other Python values, recursion, nested functions and lambdas
    (closures), `match` on ADT values (``lg.adt``, ``lg.List``), ``lambdagrad.numpy``/
    ``numpy`` functions and array methods (any that ``lambdagrad.numpy`` has: those without
    a translation of their own run its implementation on the program's values), and
    numpy's indexing by ints, slices (any step), ``None`` and ``...``, by ints the program
    computes and by lists of ints.
    Anything else (``try``, ``with``, generator expressions, calls of plain Python
    functions) is an error naming the line.

    >>> import numpy as np
    >>> import lambdagrad as lg
    >>> mod = lg.parse("def @main(%x: float32) -> float32 { multiply(%x, %x) }")
    >>> square = lg.jit(mod)
    >>> float(square(np.float32(3)))
    9.0
    >>> import lambdagrad.numpy as lnp
    >>> @lg.jit
    ... def loss(p, x):
    ...     return lnp.sum(lnp.tanh(x @ p["w"] + p["b"]))
    >>> params = {"w": np.ones((3, 2)), "b": np.zeros(2)}
    >>> sorted(lg.grad(loss)(params, np.ones(3)))
    ['b', 'w']
    """
    if isinstance(fun, IRModule):
        return IRFunction(fun, entry)
    if isinstance(fun, Jitted):
        return fun
    derivative = getattr(fun, "lg_derivative", None)
    if derivative is not None:
        return GradientFunction(derivative)
    if not callable(fun):
        raise JitError(f"lg.jit takes a Python function or an IRModule, got {type(fun).__name__}")
    return JitFunction(fun)


def _positional_only(jitted, kwargs: dict) -> None:
    if kwargs:
        name = getattr(jitted, "__name__", "the function")
        raise JitError(f"{name}: pass arguments by position (got keywords {sorted(kwargs)})")


def _need_float_leaves(ty: Type, index: int) -> None:
    """Raise unless every tensor in `ty` (through tuples and ADT arguments) is floating point."""
    stack = [ty]
    while stack:
        current = stack.pop()
        if isinstance(current, TensorType) and np.dtype(current.dtype).kind != "f":
            raise TransformError(
                f"grad needs floating-point inputs, got {current} in argument {index}: pass "
                "floats (1.0, not 1), cast with .astype(float), or leave that argument out of "
                "argnums"
            )
        stack.extend(type_children(current))


def _with_main(mod: IRModule, entry: str) -> IRModule:
    """A copy of `mod` whose ``@main`` is `entry` (a wrapper when it is another global)."""
    target = mod.get_global_var(entry)
    copy = mod.copy()
    if entry == "main":
        return copy
    if "main" in mod:
        raise JitError(f"lg.jit(mod, entry={entry!r}): the module already has a @main")
    params = [Var(p.name_hint, p.type_annotation) for p in mod[target].params]
    copy[GlobalVar("main")] = Function(params, Call(target, params), mod[target].ret_type)
    return copy


def _parse_function(fun) -> tuple[Source, ast.AST]:
    if getattr(fun, "__wrapped__", None) is not None:
        # inspect would read the wrapped function's source: the wrapper's meaning is lost
        raise JitError(
            f"lg.jit cannot translate {fun.__name__}: it wraps another function (a decorator's "
            "or a transformation's result, such as lg.grad(f)); jit the function it wraps, "
            "or differentiate f.lower(...) with lg.transform.gradient"
        )
    try:
        lines, first = inspect.getsourcelines(fun)
        filename = inspect.getsourcefile(fun) or "<unknown>"
    except (OSError, TypeError):
        raise JitError(f"lg.jit cannot read the source of {fun!r}") from None
    text = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(text.splitlines(keepends=True)[0])  # what dedent removed
    try:
        tree = ast.parse(text)
    except SyntaxError:  # e.g. a lambda on a line that continues a statement
        raise JitError(
            f"lg.jit cannot parse the source of {fun.__name__} in {filename}, line {first} "
            "(define it with def)"
        ) from None
    ast.increment_lineno(tree, first - 1)
    source = Source(filename, first, tuple(lines))
    return source, _function_node(tree, fun, source, indent)


def _function_node(tree: ast.AST, fun, source: Source, indent: int) -> ast.AST:
    if fun.__name__ == "<lambda>":
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if len(found) > 1:  # several on its lines: the innermost the code starts in
            found = [n for n in found if _starts_in(fun.__code__, n.body, indent)]
            found = sorted(found, key=lambda n: (n.lineno, n.col_offset))[-1:]
    else:
        found = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)][:1]
    if len(found) != 1:
        where = source.where(source.first_line)
        raise JitError(f"lg.jit cannot tell which function in {where} (define it with def)")
    return found[0]


def _starts_in(code, node: ast.AST, indent: int) -> bool:
    """Whether the first source position of `code`'s instructions lies within `node`
    (instructions without a real span, such as the one starting the call, do not count)."""
    spans = [(p[0], p[2]) for p in code.co_positions() if None not in p and p[3] > p[2]]
    if not spans:
        return False
    line, column = min(spans)
    column -= indent
    start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
    return start <= (line, column) < end
