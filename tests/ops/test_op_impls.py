"""Elementwise ops, creation ops and reductions against numpy references, via the interpreter.

Every case is (op name, inputs, attributes, reference); the reference is computed here with
numpy (in float64 where precision matters), never by calling the op's implementation.
"""

import math

import numpy as np
import pytest
from op_testing import case_id, check_case

FLOATS = ["float16", "float32", "float64"]
INTS = ["int32", "int64"]
SHAPES = {"scalar": (), "vector": (5,), "matrix": (3, 4)}
PAIRS = {
    "scalar": ((), ()),
    "vector": ((5,), (5,)),
    "matrix": ((3, 4), (3, 4)),
    "broadcast": ((3, 1), (4,)),
    "scalar-matrix": ((), (2, 3)),
}
RNG = np.random.default_rng(0)


def data(shape, dtype, low=-3.0, high=3.0):
    """Random test data of `shape` and `dtype` in ``[low, high)``."""
    if dtype == "bool":
        return RNG.random(shape) < 0.5
    if dtype in INTS:
        return RNG.integers(int(low), int(high), size=shape, endpoint=True).astype(dtype)
    return RNG.uniform(low, high, size=shape).astype(dtype)


def f64(fn):
    """A reference computed in float64 (the test casts it to the result's dtype)."""
    return lambda *xs: fn(*(np.asarray(x, dtype="float64") for x in xs))


FLOAT_UNARY = [
    ("exp", np.exp, -3, 3),
    ("log", np.log, 0.1, 5),
    ("log2", np.log2, 0.1, 5),
    ("log10", np.log10, 0.1, 5),
    ("sqrt", np.sqrt, 0, 5),
    ("rsqrt", lambda x: 1 / np.sqrt(x), 0.1, 5),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), -5, 5),
    ("tanh", np.tanh, -3, 3),
    ("sin", np.sin, -3, 3),
    ("cos", np.cos, -3, 3),
    ("tan", np.tan, -1, 1),
    ("sinh", np.sinh, -2, 2),
    ("cosh", np.cosh, -2, 2),
    ("asin", np.arcsin, -0.9, 0.9),
    ("acos", np.arccos, -0.9, 0.9),
    ("atan", np.arctan, -3, 3),
    ("asinh", np.arcsinh, -3, 3),
    ("acosh", np.arccosh, 1.1, 4),
    ("atanh", np.arctanh, -0.9, 0.9),
    ("erf", np.vectorize(math.erf), -2, 2),
]
NUMBER_UNARY = [
    ("negative", lambda x: -x),
    ("abs", np.abs),
    ("sign", np.sign),
    ("floor", np.floor),
    ("ceil", np.ceil),
    ("round", np.round),
    ("nn.relu", lambda x: np.where(x > 0, x, 0)),
    ("copy", lambda x: x),
    ("zeros_like", lambda x: np.zeros(np.shape(x))),
    ("ones_like", lambda x: np.ones(np.shape(x))),
]
ARITHMETIC = [
    ("add", lambda a, b: a + b),
    ("subtract", lambda a, b: a - b),
    ("multiply", lambda a, b: a * b),
    ("maximum", np.maximum),
    ("minimum", np.minimum),
]
COMPARE = [
    ("equal", lambda a, b: a == b),
    ("not_equal", lambda a, b: a != b),
    ("less", lambda a, b: a < b),
    ("less_equal", lambda a, b: a <= b),
    ("greater", lambda a, b: a > b),
    ("greater_equal", lambda a, b: a >= b),
]


def trunc_div(a, b):
    return np.trunc(a / b) if a.dtype.kind in "iu" else a / b


CASES = [
    *[
        (name, [data(shape, dt, lo, hi)], {}, f64(ref))
        for name, ref, lo, hi in FLOAT_UNARY
        for dt in FLOATS
        for shape in SHAPES.values()
    ],
    *[
        (name, [data(shape, dt)], {}, f64(ref))
        for name, ref in NUMBER_UNARY
        for dt in FLOATS + INTS
        for shape in SHAPES.values()
    ],
    ("round", [np.array([0.5, 1.5, 2.5, -0.5, -1.5], "float32")], {}, lambda x: [0, 2, 2, 0, -2]),
    *[
        ("clip", [data(shape, dt)], {"a_min": -1, "a_max": 1.5}, f64(lambda x: np.clip(x, -1, 1.5)))
        for dt in FLOATS + INTS
        for shape in SHAPES.values()
    ],
    *[("logical_not", [data(shape, "bool")], {}, lambda x: ~x) for shape in SHAPES.values()],
    *[
        (name, [data(a, dt), data(b, dt)], {}, f64(ref))
        for name, ref in ARITHMETIC
        for dt in FLOATS + INTS
        for a, b in PAIRS.values()
    ],
    *[
        (name, [data(a, dt), data(b, dt)], {}, ref)
        for name, ref in COMPARE + [("maximum", np.maximum), ("minimum", np.minimum)]
        for dt in FLOATS + INTS + ["bool"]
        for a, b in PAIRS.values()
    ],
    *[
        (
            name,
            [data(a, dt, -9, 9), data(b, dt, 1, 4) * np.where(data(b, "bool"), 1, -1).astype(dt)],
            {},
            f64(ref),
        )
        for name, ref in [
            ("divide", lambda a, b: a / b),
            ("floor_divide", lambda a, b: np.floor(a / b)),
            ("mod", lambda a, b: a - b * np.trunc(a / b)),
            ("floor_mod", lambda a, b: a - b * np.floor(a / b)),
        ]
        for dt in ["float32", "float64"]
        for a, b in PAIRS.values()
    ],
    *[
        (
            name,
            [data(a, dt, -9, 9), data(b, dt, 1, 4) * np.where(data(b, "bool"), 1, -1).astype(dt)],
            {},
            ref,
        )
        for name, ref in [
            ("divide", lambda a, b: np.trunc(a / b)),
            ("floor_divide", lambda a, b: np.floor(a / b)),
            ("mod", lambda a, b: a - b * np.trunc(a / b)),
            ("floor_mod", lambda a, b: a - b * np.floor(a / b)),
        ]
        for dt in INTS
        for a, b in PAIRS.values()
    ],
    (
        "divide",
        [np.array([-7, 7, -7], "int32"), np.array([2, -2, -2], "int32")],
        {},
        lambda a, b: [-3, -3, 3],
    ),
    (
        "mod",
        [np.array([-7, 7, -7], "int64"), np.array([2, -2, -2], "int64")],
        {},
        lambda a, b: [-1, 1, -1],
    ),
    *[
        ("power", [data(a, dt, 0.5, 2), data(b, dt, -2, 2)], {}, f64(np.power))
        for dt in FLOATS
        for a, b in PAIRS.values()
    ],
    *[
        ("power", [data(a, dt, -3, 3), data(b, dt, 0, 3)], {}, lambda a, b: a.astype(int) ** b)
        for dt in INTS
        for a, b in PAIRS.values()
    ],
    *[
        (name, [data(a, "bool"), data(b, "bool")], {}, ref)
        for name, ref in [("logical_and", np.logical_and), ("logical_or", np.logical_or)]
        for a, b in PAIRS.values()
    ],
    *[
        ("where", [data(c, "bool"), data(a, dt), data(b, dt)], {}, np.where)
        for dt in FLOATS + INTS + ["bool"]
        for c, a, b in [((), (), ()), ((5,), (5,), ()), ((3, 1), (4,), (3, 4))]
    ],
    *[
        (
            "where",
            [data((3, 4), cond), data((4,), "float32"), data((3, 1), "float32")],
            {},
            np.where,
        )
        for cond in ["int32", "int64"]
    ],
    *[
        ("cast", [data(shape, src)], {"dtype": dst}, lambda x, dst=dst: x.astype(dst))
        for src in FLOATS + INTS
        for dst in FLOATS + INTS + ["bool"]
        for shape in [(), (2, 3)]
    ],
    *[
        ("cast_like", [data(shape, src), data((1,), dst)], {}, lambda x, like: x.astype(like.dtype))
        for src in ["float32", "int64", "bool"]
        for dst in ["float64", "int32", "bool"]
        for shape in [(), (4,)]
    ],
    *[
        ("full_like", [data(shape, dt), np.array(2, dt)], {}, lambda x, v: np.ones(np.shape(x)) * v)
        for dt in FLOATS + INTS
        for shape in SHAPES.values()
    ],
    *[
        ("annotation.checkpoint", [v], {}, lambda x: x)
        for v in [data((2, 3), "float32"), (data((2,), "int32"), data((), "float64"))]
    ],
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_elementwise_against_numpy(case):
    check_case(case)
