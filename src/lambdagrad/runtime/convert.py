"""Checking and converting Python arguments against declared parameter types.

Nested values (tuple fields, ADT fields, ref contents) are checked as deep as they go, with an
explicit work stack so that a list of a million elements needs no Python recursion.
"""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError
from ..ir.types import FuncType, RefType, TensorType, TupleType, Type, TypeCall
from ..typing.unify import substitute
from .values import ConstructorValue, RefValue


def to_value(arg, ty: Type | None, where: str):
    """`arg` as a run-time value of type `ty`; raises EvaluationError naming `where`, the path
    inside the value and the types.

    Python numbers and lists are cast to the declared dtype; numpy arrays must already have
    it. Arrays are passed as read-only views so no op can write into the caller's data. ADT
    values are rebuilt around their converted fields (the caller's value is not changed); a
    ref is passed as it is, after its contents are checked.

    >>> import lambdagrad as lg
    >>> mod = lg.parse("", prelude=True)
    >>> ty = mod.get_constructor("Cons").inputs[1]  # List[A]
    >>> lg.list_items(to_value(lg.make_list([1.5], mod), ty, "xs"))
    [1.5]
    """
    results: list = []
    tasks: list = [(arg, ty, (where, None))]
    while tasks:
        task = tasks.pop()
        if callable(task):  # a builder: takes its fields off the end of `results`
            task(results)
        else:
            _visit(*task, tasks, results)
    return results.pop()


def tensor_converter(ty: TensorType, where: str):
    """A function converting an argument of type `ty` as `to_value` does, taking a shortcut
    for what callers pass most: an array of the declared dtype and shape, a numpy scalar of
    the declared dtype, a Python float for a floating-point scalar. The rest (and every
    mistake, so the errors are the same) goes through `to_value`.

    >>> import lambdagrad as lg
    >>> convert = tensor_converter(lg.TensorType((), "float64"), "x")
    >>> value = convert(1.5)
    >>> value, value.flags.writeable
    (array(1.5), False)
    """
    dtype = np.dtype(ty.dtype)
    shape = tuple(ty.shape)
    takes_float = shape == () and dtype.kind == "f"

    def convert(arg):
        kind = type(arg)
        if kind is np.ndarray:
            if arg.dtype == dtype and (arg.shape == shape or _shape_fits(arg.shape, shape)):
                view = arg.view()
                view.setflags(write=False)  # no op may write into the caller's array
                return view
        elif (kind is float and takes_float) or (shape == () and kind is dtype.type):
            array = np.array(arg, dtype)  # a new array: no one else holds it
            array.setflags(write=False)
            return array
        return to_value(arg, ty, where)

    return convert


def _visit(arg, ty: Type | None, path: tuple, tasks: list, results: list) -> None:
    """Convert a leaf into `results`, or queue a compound value's fields and its builder."""
    if isinstance(ty, TensorType):
        results.append(_tensor(arg, ty, path))
    elif isinstance(ty, TupleType):
        if not isinstance(arg, tuple | list) or len(arg) != len(ty.fields):
            _bad(arg, ty, path, f"a tuple of {len(ty.fields)} values")
        tasks.append(_builder(tuple, len(arg)))
        _queue(tasks, arg, ty.fields, path, "field")
    elif isinstance(ty, TypeCall):
        ctor = _constructor(arg, ty, path)
        inputs = _field_types(ctor, ty)
        tasks.append(_builder(lambda fields: ConstructorValue(ctor, fields), len(inputs)))
        _queue(tasks, arg.fields, inputs, path, f"{ctor.name_hint} field")
    elif isinstance(ty, RefType):
        if not isinstance(arg, RefValue):
            _bad(arg, ty, path, "a RefValue")
        tasks.append(_builder(lambda _: arg, 1))  # checked, not copied: the caller shares it
        tasks.append((arg.value, ty.value, ("ref contents", path)))
    elif isinstance(ty, FuncType) and not callable(arg):
        _bad(arg, ty, path, "a callable")
    else:
        results.append(arg)


def _queue(tasks: list, values, types, path: tuple, step: str) -> None:
    """Queue the fields so that the first is converted first (the stack pops the last)."""
    for i in reversed(range(len(types))):
        tasks.append((values[i], types[i], (f"{step} {i}", path)))


def _builder(make, count: int):
    def build(results: list) -> None:
        fields = results[len(results) - count :]
        del results[len(results) - count :]
        results.append(make(fields))

    return build


def _constructor(arg, ty: TypeCall, path: tuple):
    if not isinstance(arg, ConstructorValue) or arg.constructor.belong_to != ty.func:
        _bad(arg, ty, path, f"a {ty.func.name_hint} value")
    ctor = arg.constructor
    if len(arg.fields) != len(ctor.inputs):
        raise EvaluationError(
            f"{_where(path)}: constructor {ctor.name_hint} takes {len(ctor.inputs)} field(s), "
            f"the value has {len(arg.fields)}"
        )
    return ctor


def _field_types(ctor, ty: TypeCall) -> list[Type]:
    binding = dict(zip(ctor.type_vars, ty.args, strict=False))
    return [substitute(t, binding) for t in ctor.inputs]


def _tensor(arg, ty: TensorType, path: tuple) -> np.ndarray:
    if isinstance(arg, np.ndarray | np.generic):
        array = np.asarray(arg)
        if array.dtype != ty.dtype:
            raise EvaluationError(
                f"{_where(path)}: expected {ty}, got an array of dtype {array.dtype} "
                f"(cast it with .astype({ty.dtype!r}))"
            )
    elif isinstance(arg, bool | int | float | list | tuple):
        array = _cast_python(arg, ty, path)
    else:
        _bad(arg, ty, path, "an array")
    if not _shape_fits(array.shape, ty.shape):
        raise EvaluationError(f"{_where(path)}: expected {ty}, got an array of shape {array.shape}")
    view = array.view()
    view.setflags(write=False)
    return view


def _cast_python(arg, ty: TensorType, path: tuple) -> np.ndarray:
    try:
        return np.asarray(arg, dtype=ty.dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise EvaluationError(f"{_where(path)}: cannot convert {arg!r} to {ty}: {err}") from None


def _shape_fits(shape: tuple, declared: tuple) -> bool:
    return len(shape) == len(declared) and all(
        d is None or d == s for s, d in zip(shape, declared, strict=True)
    )


def _bad(arg, ty: Type, path: tuple, what: str):
    raise EvaluationError(f"{_where(path)}: expected {what} of type {ty}, got {type(arg).__name__}")


def _where(path: tuple) -> str:
    """The parameter and the steps into its value; a run of equal steps is counted, so the
    tail of a long list reads ``Cons field 1 (x999)``."""
    steps = []
    while path[1] is not None:
        steps.append(path[0])
        path = path[1]
    runs: list[list] = []
    for step in reversed(steps):
        if runs and runs[-1][0] == step:
            runs[-1][1] += 1
        else:
            runs.append([step, 1])
    parts = [path[0], *(s if n == 1 else f"{s} (x{n})" for s, n in runs)]
    return ", ".join(parts)
