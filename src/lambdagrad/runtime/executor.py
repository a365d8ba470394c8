"""Executors: turn an expression (usually a function) into something Python can call."""

from __future__ import annotations

from ..deep import run_deep
from ..errors import Error
from ..ir.expr import Expr, GlobalVar
from ..ir.module import IRModule
from ..transform.anf import computed_once
from ..typing import infer_type
from .interpreter import Interpreter
from .program import CompiledProgram

KINDS = ("debug", "compiled", "jax")


def create_executor(kind: str = "debug", mod: IRModule | None = None) -> Executor:
    """An executor of `kind` for programs in `mod` (the caller's module is not changed).

    ``"debug"`` runs the reference interpreter; ``"compiled"`` compiles each function to
    Python source once (see `lambdagrad.to_python`) and runs that, with the same values in
    and out and the same errors. ``"jax"`` lowers to JAX and jits (see `lambdagrad.to_jax`;
    it needs the ``jax`` extra, imported only then).

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { multiply(%x, %x) }")
    >>> float(lg.create_executor().evaluate(f)(3.0))
    9.0
    >>> float(lg.create_executor("compiled").evaluate(f)(3.0))
    9.0
    """
    if kind not in KINDS:
        raise Error(f"unknown executor kind {kind!r}; expected one of {', '.join(KINDS)}")
    if mod is not None and not isinstance(mod, IRModule):
        raise Error(f"create_executor: mod must be an IRModule, got {type(mod).__name__}")
    if kind == "jax":
        from ..backends import jax_backend

        return jax_backend().JaxExecutor(mod)
    return Executor(mod, kind)


class Executor:
    """Runs expressions, after type-checking them, with the interpreter or compiled code."""

    def __init__(self, mod: IRModule | None = None, kind: str = "debug"):
        self.mod = mod.copy() if mod is not None else IRModule()
        self._caller_mod = mod  # read only for globals added after creation
        self.kind = kind
        self._typed_mod: IRModule | None = None  # the private copy never changes: infer once
        self._program: CompiledProgram | None = None

    def evaluate(self, expr: Expr | None = None):
        """The value of `expr` (default: the module's ``@main``).

        Functions become Python callables taking numpy arrays (or Python numbers where a
        scalar is declared); other expressions are evaluated at once.
        """
        if expr is not None and not isinstance(expr, Expr):
            got = f"{type(expr).__name__} {expr!r}"
            raise Error(f"evaluate: expected an expression, a function or a global, got {got}")
        self._take_new_globals()
        # A-normal form first: a node shared by several parents (graph form) is computed
        # once, as Relay's graph bindings mean and as the optimizer assumes.
        if self._typed_mod is None:
            self._typed_mod = infer_type(computed_once(self.mod))
        typed_mod = self._typed_mod
        if expr is None:
            expr = typed_mod.get_global_var("main")
        if self.kind == "compiled":
            if self._program is None:
                self._program = CompiledProgram(typed_mod)
            return self._program.evaluate(expr, self._typed)
        if not isinstance(expr, GlobalVar):
            expr = self._typed(expr)
        interpreter = Interpreter(typed_mod)
        return run_deep(interpreter.eval, expr, {})

    def _take_new_globals(self) -> None:
        """Copy in globals and types added to the caller's module since this executor was
        made (``gradient(f, mod=mod)`` adds its helpers there); the ones it has stay as they
        are. Typing and compiling start over only when something was added."""
        source = self._caller_mod
        if source is None:
            return
        functions = {g: f for g, f in source.functions.items() if g not in self.mod.functions}
        types = {
            h: d for h, d in source.type_definitions.items() if h not in self.mod.type_definitions
        }
        if not functions and not types:
            return
        mod = self.mod.copy()
        mod.update(IRModule(functions, types))
        self.mod, self._typed_mod, self._program = mod, None, None

    def _typed(self, expr: Expr) -> Expr:
        return infer_type(computed_once(expr), mod=self._typed_mod)
