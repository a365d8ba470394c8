"""numpy functions lg.jit has no direct translation for, staged through lambdagrad.numpy.

``np.outer(x, y)`` in a jitted function runs lambdagrad.numpy's own ``outer`` on stand-ins
for the program values (their types are known when the function is translated), and the
op calls it makes become IR calls (JAX's way of turning numpy code into a program). Only
shapes and dtypes are known while staging: a function that needs an element's value (a
Python ``if`` on it) cannot be staged, and says so.
"""

from __future__ import annotations

import numpy as np

from ..api.core import OpPrim, Trace, Tracer, TransformError
from ..errors import Error
from ..ir import Constant, Expr, TensorType, Tuple, TupleGetItem, TupleType, Type
from ..ops import make_call
from .errors import JitError


class StagedValue(Tracer):
    """A program value while a numpy function is staged: its expression and type."""

    __slots__ = ("expr", "shape", "dtype")

    def __init__(self, trace: StagingTrace, expr: Expr, ty: TensorType):
        self.trace = trace
        self.expr = expr
        self.shape = tuple(ty.shape)
        self.dtype = np.dtype(ty.dtype)

    def concrete(self):
        raise TransformError(
            f"{self.trace.name} needs the value of a {np.dtype(self.dtype).name} array of "
            f"shape {self.shape}, which is known only when the program runs"
        )

    def __repr__(self) -> str:
        return f"<staged {np.dtype(self.dtype).name}{list(self.shape)}>"

    __str__ = __repr__


class StagingTrace(Trace):
    """Turns each op a staged function applies into an IR call on its arguments."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def process(self, prim, args: tuple):
        if not isinstance(prim, OpPrim):
            raise TransformError(f"{self.name} calls {prim.name}, which cannot be staged")
        exprs = [self.expr_of(a) for a in args]
        types = [self.type_of(a) for a in args]
        out = prim.definition.type_rel(types, prim.attrs)
        return self.wrap(make_call(prim.name, exprs, dict(prim.attrs)), out)

    def wrap(self, expr: Expr, ty: Type):
        if isinstance(ty, TupleType):
            return tuple(self.wrap(TupleGetItem(expr, i), t) for i, t in enumerate(ty.fields))
        if not isinstance(ty, TensorType) or None in ty.shape:
            raise TransformError(f"{self.name} makes a value of type {ty}, not a known shape")
        return StagedValue(self, expr, ty)

    def expr_of(self, value) -> Expr:
        if isinstance(value, StagedValue) and value.trace is self:
            return value.expr
        if type(value) is tuple:
            return Tuple([self.expr_of(v) for v in value])
        if isinstance(value, Tracer):  # an outer transformation's value: not in the program
            raise TransformError(f"{self.name} was given a value of another transformation")
        return Constant(np.asarray(value))

    def type_of(self, value) -> Type:
        if type(value) is tuple:
            return TupleType([self.type_of(v) for v in value])
        return TensorType(tuple(int(d) for d in value.shape), np.dtype(value.dtype).name)


def stage(name: str, fn, args: list, kwargs: dict, types: dict) -> object:
    """``fn(*args, **kwargs)`` with each IR expression among the arguments (or in their
    tuples and lists) standing in as a value of its type in `types` (by id); returns the
    result with staged values as IR expressions, numpy results as constants, and Python
    values as they are. Raises JitError naming `name` for what cannot be staged."""
    trace = StagingTrace(name)

    def stand_in(value):
        if isinstance(value, Expr):
            return trace.wrap(value, types[id(value)])
        if isinstance(value, list | tuple):
            return type(value)(stand_in(v) for v in value)
        return value

    try:
        result = fn(*[stand_in(a) for a in args], **{k: stand_in(v) for k, v in kwargs.items()})
        return _program_value(trace, result)
    except JitError:
        raise
    except Error as err:
        raise JitError(f"{name}: {err}") from None
    except (TypeError, ValueError, IndexError) as err:  # numpy's own argument checks
        raise JitError(f"{name}: {err}") from None


def _program_value(trace: StagingTrace, result):
    if isinstance(result, StagedValue | np.ndarray | np.generic):
        return trace.expr_of(result)
    if isinstance(result, list | tuple):
        return Tuple([_program_value(trace, r) for r in result])
    return result
