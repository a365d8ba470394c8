"""The eager dispatcher: primitives, tracers and trace levels.

Every array operation of the Python face is `apply(prim, args)`. With no tracer among the
arguments it runs the op's numpy implementation. Otherwise the innermost transformation
(the trace with the highest level) handles it, recording or transforming, and calls `apply`
again on what it unwrapped, so outer transformations see the work of inner ones: that is how
``grad(grad(f))`` or ``vmap(grad(f))`` compose (JAX's and autograd's design). Each
transformation call gets a level of its own, so a value of an outer ``grad`` that an inner
one closes over is never confused with the inner one's variable (perturbation confusion).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ..errors import Error, EvaluationError
from ..ir.op import Op
from ..ir.types import TensorType, TupleType
from ..ops.registry import OpTypeError, normalize_attrs, op_def
from ..runtime.opcalls import plain_impl


class TransformError(Error):
    """A transformation (grad, jvp, vmap, ...) used in a way it cannot handle."""


class OpShapeError(Error):
    """An array operation applied to arguments of shapes or dtypes it does not accept."""


_levels = itertools.count(1)


class Trace:
    """One transformation call; `level` orders nested ones (inner ones are higher)."""

    __slots__ = ("level",)

    def __init__(self):
        self.level = next(_levels)

    def process(self, prim: Primitive, args: tuple):
        raise NotImplementedError


class Tracer:
    """A value a transformation follows; it acts like the array it stands for.

    Subclasses say how to reach the concrete array (`concrete`) and the value's shape and
    dtype. Python operators and methods go through `lambdagrad.numpy`.
    """

    __slots__ = ("trace",)

    shape: tuple
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def concrete(self) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __bool__(self) -> bool:
        return bool(self.concrete())

    def __float__(self) -> float:
        return float(self.concrete())

    def __int__(self) -> int:
        return int(self.concrete())

    def __index__(self) -> int:
        return int(self.concrete())

    def __array__(self, dtype=None, copy=None):
        raise TransformError(
            "a value a transformation follows cannot become a numpy array (np.asarray, "
            "np.array): its derivative would be lost. Use lambdagrad.numpy functions on it, "
            "or float(x) / bool(x) for a Python number"
        )

    def __repr__(self) -> str:
        return repr(np.asarray(self.concrete()))

    def __str__(self) -> str:
        return str(np.asarray(self.concrete()))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = None  # arrays are not hashable


def top_trace(args) -> Trace | None:
    """The innermost trace among `args` (tuple arguments searched one level deep)."""
    trace = None
    for arg in args:
        if isinstance(arg, Tracer):
            if trace is None or arg.trace.level > trace.level:
                trace = arg.trace
        elif type(arg) is tuple:
            inner = top_trace(arg)
            if inner is not None and (trace is None or inner.level > trace.level):
                trace = inner
    return trace


def apply(prim: Primitive, args: tuple):
    """Run `prim` on `args`, through the innermost transformation following any of them."""
    trace = top_trace(args)
    if trace is None:
        return prim.run(args)
    return trace.process(prim, args)


def aval(value):
    """The (shape, dtype) of a value (a tuple of them for a tuple), the key of rule caches."""
    if type(value) is tuple:
        return tuple(aval(field) for field in value)
    return (value.shape, value.dtype)


def avals(args: tuple) -> tuple:
    """The avals of an op's arguments (`aval` of the tuple, faster for arrays)."""
    return tuple(aval(a) if type(a) is tuple else (a.shape, a.dtype) for a in args)


def zeros_like(value):
    """Zeros of `value`'s shape and dtype (a tuple of them for a tuple): the tangent or
    cotangent where none reaches."""
    if type(value) is tuple:
        return tuple(zeros_like(field) for field in value)
    return np.zeros(value.shape, value.dtype)


def ir_type(abstract):
    """The IR type of an aval."""
    if len(abstract) == 2 and isinstance(abstract[1], np.dtype):
        return TensorType(tuple(int(d) for d in abstract[0]), abstract[1].name)
    return TupleType([ir_type(field) for field in abstract])


class Primitive:
    """Something `apply` can run: an op with its attributes, or a lowered program.

    Subclasses give `run` (numpy in, numpy out), `vjp_rule(avals, wanted)` and
    `jvp_rule(avals, nonzero)`: Python functions evaluating the rule through `apply` (see
    rules.py); `wanted` and `nonzero` say per argument which gradients are needed and which
    tangents are given.
    """

    name: str
    differentiable: bool = True
    op: Op | None = None  # the registered op, for rule tables keyed by op

    def run(self, args: tuple):
        raise NotImplementedError


class OpPrim(Primitive):
    """A registered op with its attributes bound: one object per (op, attributes)."""

    __slots__ = ("definition", "op", "attrs", "name", "differentiable", "fn", "_vjp", "_jvp")

    def __init__(self, definition, attrs):
        from ..ops.gradients import is_non_differentiable

        self.definition = definition
        self.op = definition.op
        self.attrs = attrs
        self.name = definition.op.name
        self.differentiable = not is_non_differentiable(definition.op)
        self.fn = _bound(plain_impl(definition) or definition.impl, attrs)
        self._vjp: dict = {}
        self._jvp: dict = {}

    def run(self, args: tuple):
        try:
            return self.fn(*args)
        except Exception as exc:  # numpy's own error: say it with the op and the shapes
            raise self.error(args, exc) from None

    def error(self, args: tuple, cause: Exception) -> Error:
        """The user-facing error for arguments the op rejected."""
        shapes = ", ".join(_describe(a) for a in args)
        where = f"operator {self.name} applied to {shapes}"
        try:
            self.definition.type_rel([ir_type(aval(a)) for a in args], self.attrs)
        except OpTypeError as exc:
            return OpShapeError(f"{where}: {exc}")
        return EvaluationError(f"{where}: {cause}")

    def vjp_rule(self, avals, wanted):
        key = (avals, wanted)
        rule = self._vjp.get(key)
        if rule is None:
            from .rules import compile_vjp

            rule = self._vjp[key] = compile_vjp(self, avals, wanted)
        return rule

    def jvp_rule(self, avals, nonzero):
        key = (avals, nonzero)
        rule = self._jvp.get(key)
        if rule is None:
            from .rules import compile_jvp

            rule = self._jvp[key] = compile_jvp(self, avals, nonzero)
        return rule


def _bound(fn, attrs):
    return functools.partial(fn, **attrs) if attrs else fn


def _describe(value) -> str:
    if type(value) is tuple:
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    shape = tuple(int(d) for d in value.shape)
    return f"{np.dtype(value.dtype).name}{list(shape)}"


_prims: dict = {}


def prim(name: str, **attrs) -> OpPrim:
    """The primitive for op `name` with `attrs` (validated once, then cached).

    >>> prim("sum", axis=0).run((np.ones((2, 3)),))
    array([2., 2., 2.])
    """
    key = (name, tuple(sorted(attrs.items())))
    try:
        found = _prims.get(key)
    except TypeError:  # a list among the attributes: checked, it is a tuple
        definition = op_def(name)
        return prim_of(definition.op, normalize_attrs(name, definition.attrs, attrs))
    if found is None:
        definition = op_def(name)
        checked = normalize_attrs(name, definition.attrs, attrs)
        found = _prims[key] = OpPrim(definition, checked)
    return found


_by_op: dict = {}


def prim_of(op, attrs) -> OpPrim:
    """The primitive for an IR call's op and (already checked) attributes."""
    key = (op, attrs)
    found = _by_op.get(key)
    if found is None:
        found = _by_op[key] = OpPrim(op_def(op), attrs)
    return found
