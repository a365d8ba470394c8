"""Numeric literals and constants of the text format, read and written exactly.

Scalar literals: ``3`` (int32; int64 if int32 cannot hold it, as in Relay), ``-42i`` (int32),
``4i64``, ``7i8``, ``1u8``, ``9u64``, ``1f`` / ``1.5`` / ``1e-3f`` (float32), ``2.5f64``,
``1f16``, ``True`` / ``False`` (bool). A literal its dtype cannot represent (``65505f16``,
``128i8``) is an error, never rounded or wrapped.

Every other constant (any rank, and the non-finite float scalars) is an inline literal::

    constant([[1.0, nan], [-inf, -0.0]], dtype="float32")
    constant(nan, dtype="float64")
    constant([], dtype="int32", shape=(0, 3))

The first argument is a number or nested lists of numbers (``nan``, ``inf``, ``-inf``, ``True``
and ``False`` allowed); ``dtype`` defaults to float32 if any element is a float, bool if all are
bools, else int32; ``shape`` is needed only for empty arrays. Floats print in the shortest form
that reads back to the same bits, so printing and parsing round-trip exactly.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..ir.types import DTYPES

_NUMBER = re.compile(
    r"(-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)(f16|f32|f64|f|i8|i16|i32|i64|i|u8|u16|u32|u64)?"
)
DTYPE_ALIASES = {"int": "int32"}  # Relay's spelling; the printer writes int32
_SUFFIX_DTYPE = {
    "f": "float32",
    "f16": "float16",
    "f32": "float32",
    "f64": "float64",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "i": "int32",
    "u8": "uint8",
    "u16": "uint16",
    "u32": "uint32",
    "u64": "uint64",
}
_DTYPE_SUFFIX = {
    "float32": "f",
    "float16": "f16",
    "float64": "f64",
    "int32": "",
    "int8": "i8",
    "int16": "i16",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
}


def parse_number(text: str) -> np.ndarray:
    """The 0-d array a scalar literal such as ``-2.5f64`` denotes; ValueError if invalid.

    >>> parse_number("4i64").dtype, parse_number("1.5").dtype, parse_number("2147483648").dtype
    (dtype('int64'), dtype('float32'), dtype('int64'))
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"invalid number {text!r}")
    digits, suffix = match.group(1), match.group(4) or ""
    fractional = match.group(2) is not None or match.group(3) is not None
    dtype = _SUFFIX_DTYPE.get(suffix) or ("float32" if fractional else "int32")
    if np.dtype(dtype).kind == "f":
        return np.array(_finite_float(digits, dtype, text))
    if fractional:
        raise ValueError(f"integer literal {text} has a fraction or exponent")
    if not suffix and not _fits_int(int(digits), "int32"):
        dtype = "int64"  # Relay's rule for an unsuffixed literal too large for int32
    return np.array(_int_in_range(int(digits), dtype, text), dtype=dtype)


def _finite_float(digits: str, dtype: str, text: str):
    """`digits` as a `dtype` float; beyond the dtype's largest finite value is an error."""
    if abs(float(digits)) > float(np.finfo(dtype).max):
        raise ValueError(f"number {text} is out of range for {dtype} (not representable)")
    return float_of(digits, dtype)


def _fits_int(value: int, dtype: str) -> bool:
    info = np.iinfo(dtype)
    return info.min <= value <= info.max


def _int_in_range(value: int, dtype: str, text: str) -> int:
    if not _fits_int(value, dtype):
        raise ValueError(f"integer literal {text} is out of range for {dtype}")
    return value


def float_of(text: str, dtype: str) -> np.generic:
    """The `dtype` float that decimal `text` reads as (the parser's one conversion path)."""
    with np.errstate(over="ignore"):
        return np.array(float(text)).astype(dtype)[()]


def parse_attr_number(text: str, span, error):
    """An attribute number: a Python int, or a float if it has a fraction or exponent."""
    match = _NUMBER.fullmatch(text)
    if match is None or match.group(4):
        raise error(f"attribute value {text} must be a plain number (no type suffix)", span)
    if match.group(2) is None and match.group(3) is None:
        return int(text)
    return float(text)


def format_scalar(data: np.ndarray) -> str | None:
    """The literal for a 0-d array, or None when it needs the ``constant(...)`` form.

    >>> format_scalar(np.array(2.5, "float64")), format_scalar(np.array(1.0, "float32"))
    ('2.5f64', '1f')
    """
    dtype = data.dtype.name
    if dtype == "bool":
        return str(bool(data))
    if dtype not in _DTYPE_SUFFIX or (data.dtype.kind == "f" and not np.isfinite(data)):
        return None
    if data.dtype.kind == "f":
        text = float_text(data[()])
        return (text[:-2] if text.endswith(".0") else text) + _DTYPE_SUFFIX[dtype]
    return str(int(data)) + _DTYPE_SUFFIX[dtype]


def float_text(value: np.generic) -> str:
    """The shortest decimal text that `float_of` reads back to exactly `value`."""
    text = str(value) if value.dtype.name != "float64" else repr(float(value))
    in_range = abs(float(text)) <= float(np.finfo(value.dtype).max)  # "3.4028235e+38" is not
    if in_range and _same_bits(float_of(text, value.dtype.name), value):
        return text
    return repr(float(value))  # exact for float16/32, so always reads back the same bits


def _same_bits(a: np.generic, b: np.generic) -> bool:
    return a.tobytes() == b.tobytes()


def format_constant(data: np.ndarray) -> str:
    """The ``constant(...)`` literal of any array.

    >>> format_constant(np.array([[1, 2], [3, 4]], "int64"))
    'constant([[1, 2], [3, 4]], dtype="int64")'
    """
    text = _format_values(data)
    shape = f", shape={_shape_text(data.shape)}" if data.size == 0 else ""
    return f'constant({text}, dtype="{data.dtype.name}"{shape})'


def _format_values(data: np.ndarray) -> str:
    if data.ndim == 0:
        return format_element(data[()])
    return "[" + ", ".join(_format_values(row) for row in data) + "]"


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def format_element(value) -> str:
    """One element of a constant: ``1.5``, ``nan``, ``-inf``, ``3`` or ``True``."""
    if isinstance(value, np.bool_ | bool):
        return str(bool(value))
    if isinstance(value, np.floating):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float_text(value)
    return str(int(value))


def build_constant(values, dtype: str | None, shape) -> np.ndarray:
    """The array a ``constant(...)`` literal denotes; ValueError with a message if invalid."""
    leaves = _leaves(values)
    dtype = dtype or _default_dtype(leaves)
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    _check_leaves(leaves, dtype)
    try:
        array = np.array(values, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"constant values are not a valid {dtype} array ({exc})") from None
    if shape is not None:
        array = _reshaped(array, shape)
    return array


def _leaves(values) -> list:
    """The non-list elements of nested lists, without recursion."""
    found, stack = [], [values]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        else:
            found.append(item)
    return found


def _default_dtype(leaves) -> str:
    if leaves and all(isinstance(v, bool) for v in leaves):
        return "bool"
    if any(isinstance(v, float) for v in leaves):
        return "float32"
    return "int32"


def _check_leaves(leaves, dtype: str) -> None:
    kind = np.dtype(dtype).kind
    for value in leaves:
        if not _fits(value, kind):
            raise ValueError(f"constant element {_show(value)} is not a valid {dtype} value")


def _fits(value, kind: str) -> bool:
    if kind == "b":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return kind == "f" or isinstance(value, int)


def _show(value) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _reshaped(array: np.ndarray, shape) -> np.ndarray:
    if not isinstance(shape, list | tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise ValueError("constant shape must be a tuple of non-negative integers")
    if math.prod(shape) != array.size:
        raise ValueError(f"constant has {array.size} elements, which do not fit shape {shape}")
    return array.reshape(shape)


def format_attr(value) -> str:
    """An attribute value as text: ``[1, 2]``, ``True``, ``"NCHW"``, ``0.5``, ``None``."""
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_attr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_attr(v) for v in value) + "]"
    return repr(value)


def _float_attr(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)
