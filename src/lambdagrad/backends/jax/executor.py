"""`to_jax` and the ``"jax"`` executor: programs lowered to JAX, jitted, results as numpy.

64-bit types: JAX computes in 32 bits unless x64 is enabled. A lowered program that uses a
64-bit dtype anywhere (float64, int64, uint64) enables x64 around its own calls; under your
own `jax.jit` enable it yourself (``jax.config.update("jax_enable_x64", True)``), or JAX
narrows float64 arguments to float32 before the program sees them. Programs without 64-bit
types leave the setting alone.
"""

from __future__ import annotations

import contextlib
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ...deep import run_deep
from ...errors import Error, EvaluationError
from ...ir.expr import Expr, Function, GlobalVar
from ...ir.module import IRModule
from ...ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall, TypeVar
from ...ir.visitor import pre_order
from ...runtime.convert import to_value
from ...runtime.values import ConstructorValue, RefValue
from ...transform.anf import computed_once
from ...typing import infer_type
from .lowering import Closure, Lowering, NotJittable

WIDE = ("float64", "int64", "uint64")


def to_jax(target, mod: IRModule | None = None) -> JaxFunction:
    """`target` (a global of `mod`, or a function) as a Python function of JAX arrays.

    Arguments and results are JAX arrays, tuples and ADT values (`lg.ConstructorValue`,
    a pytree), so the function can be `jax.jit`-ed, `jax.vmap`-ped, sharded and
    differentiated by JAX. See `lambdagrad.backends.jax.lowering` for how each construct
    lowers.

    >>> import jax, numpy as np, lambdagrad as lg
    >>> f = lg.to_jax(lg.parse_expr("fn (%x: Tensor[(2), float32]) { tanh(%x) }"))
    >>> jax.jit(f)(np.zeros(2, "float32")).tolist()
    [0.0, 0.0]
    """
    if mod is not None and not isinstance(mod, IRModule):
        raise Error(f"to_jax: mod must be an IRModule, got {type(mod).__name__}")
    typed_mod = infer_type(computed_once(mod if mod is not None else IRModule()))
    return JaxFunction(typed_entry(target, typed_mod, "to_jax"), typed_mod)


def typed_entry(target, typed_mod: IRModule, who: str) -> Function:
    """The typed function `target` (a global of `typed_mod`, or a function) names."""
    if isinstance(target, GlobalVar):
        if target not in typed_mod.functions:
            raise EvaluationError(f"{who}: unknown global @{target.name_hint}")
        return typed_mod[target]
    if not isinstance(target, Expr):
        raise Error(f"{who} needs a global or a function, got {type(target).__name__}")
    typed = infer_type(computed_once(target), mod=typed_mod)
    if not isinstance(typed, Function):
        raise Error(f"{who} needs a global or a function, got {type(typed).__name__}")
    return typed


class JaxFunction:
    """A program lowered to JAX: call it with JAX (or numpy) arrays, tuples and ADT values.

    `uses_x64` says whether the program has 64-bit types (then calls enable x64).
    """

    def __init__(self, func: Function, mod: IRModule):
        self.func, self.mod = func, mod
        self.uses_x64 = uses_wide_types(func, mod)
        self._lowering = Lowering(mod)
        self._closure = Closure(func, {}, self._lowering, "fn")

    def __call__(self, *args):
        params = self.func.params
        if len(args) != len(params):
            raise EvaluationError(f"the program takes {len(params)} argument(s), got {len(args)}")
        with jax.enable_x64(True) if self.uses_x64 else contextlib.nullcontext():
            try:
                pairs = enumerate(zip(args, params, strict=True))
                values = [self._argument(i, arg, param) for i, (arg, param) in pairs]
                return self._lowering.apply(self._closure, values)
            except RecursionError:
                raise EvaluationError(
                    "the program or its arguments nest too deeply to be traced on this "
                    'thread; run it with lg.create_executor("jax", mod), which traces on a '
                    "deep stack"
                ) from None

    @staticmethod
    def _argument(index: int, arg, param):
        value = as_jax(arg, param.checked_type)
        check_tensor(value, param.checked_type, f"argument {index} (%{param.name_hint})")
        return value


def check_tensor(value, ty: Type | None, where: str) -> None:
    """A tensor argument (an array or a tracer) must have its parameter's dtype and shape."""
    if not isinstance(ty, TensorType) or not hasattr(value, "dtype"):
        return
    fits = len(value.shape) == len(ty.shape) and all(
        d is None or d == n for n, d in zip(value.shape, ty.shape, strict=True)
    )
    if value.dtype != ty.dtype or not fits:
        got = f"{value.dtype}{list(value.shape)}"
        raise EvaluationError(f"{where}: expected {ty}, got an array of {got}")


def as_jax(value, ty: Type | None = None):
    """`value` with its arrays (numpy, Python numbers) as JAX arrays, through tuples, lists
    and ADT values; functions and refs as they are. A Python number for a tensor of type
    `ty` takes its dtype."""
    if isinstance(value, bool | int | float) and isinstance(ty, TensorType):
        return jnp.asarray(value, ty.dtype)
    if isinstance(value, tuple | list):
        return tuple(as_jax(v) for v in value)
    if isinstance(value, ConstructorValue):
        return ConstructorValue(value.constructor, [as_jax(v) for v in value.fields])
    if isinstance(value, RefValue) or callable(value):
        return value
    return jnp.asarray(value)


def uses_wide_types(func: Function, mod: IRModule) -> bool:
    """Whether `func` or a global of `mod` has a node of a 64-bit type."""
    roots = [func, *mod.functions.values()]
    return any(
        dtype in WIDE
        for root in roots
        for node in pre_order(root)
        for dtype in dtypes_of(node.checked_type)
    )


def dtypes_of(ty: Type | None):
    """The tensor dtypes a type mentions."""
    if isinstance(ty, TensorType):
        yield ty.dtype
    elif isinstance(ty, TupleType):
        for field in ty.fields:
            yield from dtypes_of(field)
    elif isinstance(ty, FuncType):
        for part in (*ty.arg_types, ty.ret_type):
            yield from dtypes_of(part)
    elif isinstance(ty, RefType):
        yield from dtypes_of(ty.value)
    elif isinstance(ty, TypeCall):
        for arg in ty.args:
            yield from dtypes_of(arg)


class JaxExecutor:
    """The ``"jax"`` executor: `evaluate` gives a callable taking and giving numpy values."""

    def __init__(self, mod: IRModule | None = None):
        self.mod = mod.copy() if mod is not None else IRModule()
        self.kind = "jax"
        self._typed_mod: IRModule | None = None  # the private copy never changes: infer once

    def evaluate(self, expr: Expr | None = None):
        """`expr` (default: ``@main``) lowered to JAX; a function becomes a `JaxRunner`,
        anything else is computed now."""
        if self._typed_mod is None:
            self._typed_mod = infer_type(computed_once(self.mod))
        if expr is None:
            expr = self._typed_mod.get_global_var("main")
        if isinstance(expr, Expr) and not isinstance(expr, Function | GlobalVar):
            return self.evaluate(Function([], expr))()
        func = typed_entry(expr, self._typed_mod, "evaluate")
        return JaxRunner(JaxFunction(func, self._typed_mod))


class JaxRunner:
    """A lowered program run from numpy: arguments checked as the other executors check
    them, the program jitted (once per argument signature, by `jax.jit`), results numpy.

    A program that cannot be jitted warns once, saying why, and runs op by op instead.
    """

    def __init__(self, function: JaxFunction):
        self.function = function
        self.params = function.func.params
        self._jitted = jax.jit(function) if jittable(function.func, function.mod) else None
        types = [p.checked_type for p in self.params] + [function.func.checked_type.ret_type]
        self._flat = all(map(is_flat, types))
        self._compiled: set = set()  # signatures of flat arguments that jit has compiled

    def __call__(self, *args):
        if len(args) != len(self.params):
            count = f"{len(self.params)} argument(s), got {len(args)}"
            raise EvaluationError(f"the program takes {count}")
        values = [
            to_value(arg, param.checked_type, f"argument {i} (%{param.name_hint})")
            for i, (arg, param) in enumerate(zip(args, self.params, strict=True))
        ]
        key = signature(values) if self._flat else None
        if key in self._compiled:  # only jit's cache runs: no tracing, no deep stack needed
            return self._run(values)
        result = run_deep(self._run, values)
        if key is not None and self._jitted is not None:
            self._compiled.add(key)
        return result

    def _run(self, values: list):
        with jax.enable_x64(True) if self.function.uses_x64 else contextlib.nullcontext():
            if self._jitted is not None:
                try:
                    return to_numpy(self._jitted(*values))
                except NotJittable as err:
                    warnings.warn(f"{err}; running op by op", RuntimeWarning, stacklevel=4)
                    self._jitted = None
            return to_numpy(self.function(*values))


def is_flat(ty: Type | None) -> bool:
    """Tensors and tuples of them: values with nothing deep in them."""
    if isinstance(ty, TupleType):
        return all(map(is_flat, ty.fields))
    return isinstance(ty, TensorType)


def signature(value) -> tuple:
    """The shapes and dtypes of flat values, for which jit compiles once."""
    if isinstance(value, tuple | list):
        return tuple(map(signature, value))
    return value.shape, value.dtype.str


def jittable(func: Function, mod: IRModule) -> bool:
    """Whether arguments and result hold only arrays (no functions or refs, which jit
    cannot take or give), through tuples and ADT values."""
    types = [p.checked_type for p in func.params] + [func.checked_type.ret_type]
    return not any(_holds_function_or_ref(t, mod, set()) for t in types)


def _holds_function_or_ref(ty: Type | None, mod: IRModule, seen: set, plain=frozenset()):
    """Whether a value of type `ty` may hold a function or a ref. Type variables may stand
    for functions, except those in `plain` (ids of an ADT's own parameters, whose arguments
    are looked at where the ADT is applied)."""
    if isinstance(ty, TypeVar):
        return id(ty) not in plain
    if isinstance(ty, FuncType | RefType):
        return True
    if isinstance(ty, TupleType):
        return any(_holds_function_or_ref(f, mod, seen, plain) for f in ty.fields)
    if not isinstance(ty, TypeCall):
        return False
    if any(_holds_function_or_ref(a, mod, seen, plain) for a in ty.args):
        return True
    if ty.func in seen:
        return False
    seen.add(ty.func)
    data = mod.type_definitions[ty.func]
    own = frozenset(map(id, data.type_vars))
    inputs = [t for ctor in data.constructors for t in ctor.inputs]
    return any(_holds_function_or_ref(t, mod, seen, own) for t in inputs)


def to_numpy(value):
    """JAX arrays as (writable) numpy arrays, through tuples and ADT values; functions stay
    callable and give numpy values in turn."""
    if isinstance(value, tuple):
        return tuple(to_numpy(v) for v in value)
    if isinstance(value, ConstructorValue):
        return ConstructorValue(value.constructor, to_numpy(value.fields))
    if callable(value):
        return lambda *args: to_numpy(run_deep(value, *args))
    return np.array(value)  # a copy: numpy's view of a JAX array is read-only
