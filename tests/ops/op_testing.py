"""Running one op through type inference and the interpreter, and comparing with numpy."""

import functools

import numpy as np

import lambdagrad as lg

TOLERANCE = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-10}


def value_type(value):
    """The IR type of a test input: a tensor type, or a tuple type for a tuple of arrays."""
    if isinstance(value, tuple):
        return lg.TupleType(tuple(value_type(v) for v in value))
    return lg.TensorType(value.shape, str(value.dtype))


def check_value(result, ty):
    """`result` is exactly what `ty` says: arrays (never numpy scalars) of its shape (an unknown
    dimension fits any size) and dtype."""
    if isinstance(ty, lg.TupleType):
        assert isinstance(result, tuple) and len(result) == len(ty.fields)
        for r, t in zip(result, ty.fields, strict=True):
            check_value(r, t)
        return
    assert isinstance(result, np.ndarray), type(result)
    assert str(result.dtype) == ty.dtype and len(result.shape) == len(ty.shape)
    assert all(d in (r, None) for r, d in zip(result.shape, ty.shape, strict=True))  # ? fits any


def assert_close(result, expected):
    """Exact for integers and bools, to a dtype-dependent tolerance for floats."""
    if isinstance(expected, tuple):
        for r, e in zip(result, expected, strict=True):
            assert_close(r, e)
        return
    expected = np.asarray(expected)
    tol = TOLERANCE.get(str(result.dtype))
    if tol is None:
        np.testing.assert_array_equal(result, expected.astype(result.dtype))
    else:
        np.testing.assert_allclose(
            result.astype("float64"), expected.astype("float64"), rtol=tol, atol=tol
        )


def run_op(name, inputs, **attrs):
    """Build ``fn(a0, a1, ...) { name(a0, a1, ..., **attrs) }``, type-check and run it.

    Checks that the result has the inferred return type and returns it.
    """
    params = [lg.var(f"a{i}", value_type(v)) for i, v in enumerate(inputs)]
    builder = functools.reduce(getattr, name.split("."), lg.op)
    func = lg.Function(params, builder(*params, **attrs))
    ret_type = lg.transform.infer_type(func).checked_type.ret_type
    result = lg.create_executor().evaluate(func)(*inputs)
    check_value(result, ret_type)
    return result


def case_id(case):
    """A readable test id for a table row ``(name, inputs, attrs, reference)``."""
    name, inputs, attrs, _ = case
    shapes = ",".join(
        "tuple" if isinstance(x, tuple) else f"{x.dtype}{list(x.shape)}" for x in inputs
    )
    return f"{name}({shapes}){attrs or ''}"


def check_case(case):
    """Run a table row's op on its inputs and compare with the row's numpy reference."""
    name, inputs, attrs, reference = case
    assert_close(run_op(name, inputs, **attrs), reference(*inputs))
