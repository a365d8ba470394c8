"""Creation, reduction, shape and indexing ops against numpy references, via the interpreter."""

import numpy as np
import pytest
from op_testing import case_id, check_case

RNG = np.random.default_rng(1)
NUMERIC = ["float16", "float32", "float64", "int32", "int64"]
FLOATS = ["float16", "float32", "float64"]


def data(shape, dtype="float32"):
    if dtype == "bool":
        return RNG.random(shape) < 0.5
    if dtype.startswith("int"):
        return RNG.integers(-4, 5, size=shape).astype(dtype)
    return RNG.uniform(-2, 2, size=shape).astype(dtype)


def ints(shape, high, dtype="int32", low=0):
    return RNG.integers(low, high, size=shape).astype(dtype)


X = data((2, 3, 4))
# (attrs, the axes they reduce on a (2, 3, 4) tensor, keepdims)
AXES = [
    ({}, (0, 1, 2), False),
    ({"axis": 1}, (1,), False),
    ({"axis": -1, "keepdims": True}, (2,), True),
    ({"axis": [0, 2]}, (0, 2), False),
    ({"axis": [1], "exclude": True}, (0, 2), False),
    ({"axis": [0, -1], "exclude": True, "keepdims": True}, (1,), True),
]
REDUCTIONS = [
    ("sum", np.sum, NUMERIC),
    ("prod", np.prod, NUMERIC),
    ("max", np.max, NUMERIC + ["bool"]),
    ("min", np.min, NUMERIC + ["bool"]),
    ("mean", np.mean, FLOATS),
    ("variance", np.var, FLOATS),
    (
        "logsumexp",
        lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis, keepdims=keepdims)),
        FLOATS,
    ),
]


def reduce_ref(fn, axes, keepdims):
    return lambda x: fn(x.astype("float64"), axis=axes, keepdims=keepdims)


def argmax_ref(pick, axes, keepdims, last=False):
    """Flattened index within the reduced axes, computed one output element at a time."""

    def ref(x):
        kept = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, kept + list(axes))
        out = np.zeros(moved.shape[: len(kept)], "int64")
        for index in np.ndindex(out.shape):
            flat = list(moved[index].ravel())
            best = pick(flat)
            out[index] = len(flat) - 1 - flat[::-1].index(best) if last else flat.index(best)
        return (
            out.reshape([1 if a in axes else d for a, d in enumerate(x.shape)]) if keepdims else out
        )

    return ref


def collapse_ref(x, shape):
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    for i, d in enumerate(shape):
        if d == 1:
            x = x.sum(axis=i, keepdims=True)
    return x


CASES = [
    # creation
    *[
        ("zeros", [], {"shape": s, "dtype": dt}, lambda s=s: np.zeros(s))
        for s in [(), (3,), (2, 3)]
        for dt in NUMERIC + ["bool"]
    ],
    *[
        ("ones", [], {"shape": s, "dtype": dt}, lambda s=s: np.ones(s))
        for s in [(), (3,), (2, 3)]
        for dt in NUMERIC + ["bool"]
    ],
    *[
        ("full", [np.array(3, dt)], {"shape": s}, lambda v, s=s: np.full(s, 3))
        for s in [(), (3,), (2, 3)]
        for dt in NUMERIC
    ],
    ("full", [np.array(2.5, "float32")], {"shape": (2,), "dtype": "int64"}, lambda v: [2, 2]),
    ("arange", [], {"start": 5}, lambda: [0, 1, 2, 3, 4]),
    (
        "arange",
        [],
        {"start": 1, "stop": 2, "step": 0.25, "dtype": "float64"},
        lambda: [1, 1.25, 1.5, 1.75],
    ),
    ("arange", [], {"start": 10, "stop": 1, "step": -3, "dtype": "int32"}, lambda: [10, 7, 4]),
    (
        "arange",
        [np.array(1, "float32"), np.array(4.2, "float32"), np.array(0.5, "float32")],
        {},
        lambda *bounds: np.arange(1, 4.2, 0.5),
    ),
    (
        "arange",
        [np.array(2, "float64"), np.array(-1, "float64"), np.array(-0.75, "float64")],
        {"dtype": "float64"},
        lambda *bounds: [2, 1.25, 0.5, -0.25],
    ),
    ("arange", [np.array(4, "int32")], {"dtype": "int32"}, lambda stop: [0, 1, 2, 3]),
    ("arange", [np.array(3, "int64"), np.array(0, "int64")], {"dtype": "int64"}, lambda *b: []),
    (
        "one_hot",
        [np.array([0, 2, -1, 5], "int32")],
        {"depth": 3},
        lambda i: [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]],
    ),
    ("one_hot", [np.array(1, "int64")], {"depth": 3, "dtype": "int32"}, lambda i: [0, 1, 0]),
    (
        "one_hot",
        [np.array([[1, 0]], "int32")],
        {"depth": 2, "axis": 0, "on_value": 5.0, "off_value": -1.0},
        lambda i: [[[-1, 5]], [[5, -1]]],
    ),
    (
        "one_hot",
        [np.array([2, 0, 7], "int32"), np.array(2.5, "float32"), np.array(-1, "float32")],
        {"depth": 3},
        lambda i, on, off: [[-1, -1, 2.5], [2.5, -1, -1], [-1, -1, -1]],
    ),
    (
        "one_hot",
        [np.array([1, 0], "int64"), np.array(7.9, "float64"), np.array(1, "int32")],
        {"depth": 2, "axis": 0, "dtype": "int32"},
        lambda i, on, off: [[1, 7], [7, 1]],
    ),
    *[
        (name, [np.array(s, dt)], {"dtype": "int32"}, lambda shape, fill=fill: np.full(shape, fill))
        for name, fill in [("dyn.zeros", 0), ("dyn.ones", 1), ("zeros", 0), ("ones", 1)]
        for s, dt in [([2, 3], "int64"), ([0], "int32"), ([], "int64")]
    ],
    # reductions
    *[
        (name, [data((2, 3, 4), dt)], attrs, reduce_ref(fn, axes, keep))
        for name, fn, dtypes in REDUCTIONS
        for dt in dtypes
        for attrs, axes, keep in AXES
    ],
    *[
        (name, [data(s, dt)], {}, reduce_ref(fn, None, False))
        for name, fn, dtypes in REDUCTIONS
        for dt in dtypes[-1:]
        for s in [(), (5,), (3, 4)]
    ],
    (
        "variance",
        [data((3, 4), "float64")],
        {"axis": 1, "unbiased": True},
        lambda x: np.var(x, axis=1, ddof=1),
    ),
    ("logsumexp", [np.array([1000.0, 1000.0], "float32")], {}, lambda x: 1000 + np.log(2)),
    *[
        (name, [data((2, 3, 4), dt)], attrs, argmax_ref(pick, axes, keep))
        for name, pick in [("argmax", max), ("argmin", min)]
        for dt in ["float32", "int64", "bool"]
        for attrs, axes, keep in AXES
    ],
    ("argmax", [np.array([1, 3, 3, 0], "int32")], {"select_last_index": True}, lambda x: 2),
    (
        "argmin",
        [np.array([[0, 1, 0]], "float32")],
        {"axis": 1, "select_last_index": True},
        lambda x: [2],
    ),
    # shape
    ("reshape", [X], {"newshape": (0, -1)}, lambda x: x.reshape(2, 12)),
    ("reshape", [X], {"newshape": (4, 0, 2)}, lambda x: x.reshape(4, 3, 2)),
    ("reshape", [np.array(7, "int32")], {"newshape": (1, 1)}, lambda x: [[7]]),
    ("reshape", [X], {"newshape": (-3, -2)}, lambda x: x.reshape(6, 4)),
    ("reshape", [X], {"newshape": (2, -4, -1, 3, -2)}, lambda x: x.reshape(2, 1, 3, 4)),
    ("reshape", [X], {"newshape": (-2, 1, 1)}, lambda x: x.reshape(2, 3, 4, 1, 1)),
    *[
        ("reverse_reshape", [X], {"newshape": newshape}, lambda x, shape=shape: x.reshape(shape))
        for newshape, shape in [
            ((4, 0, 2), (4, 3, 2)),
            ((0, -1), (3, 8)),
            ((-1, 0), (6, 4)),
            ((0, -3), (2, 12)),
            ((-2, -4, 2, 2), (2, 3, 2, 2)),
            ((-4, -1, 2, 0, 0), (1, 2, 3, 4)),
        ]
    ],
    ("reshape_like", [X, data((6, 4), "int32")], {}, lambda x, y: x.reshape(6, 4)),
    ("transpose", [X], {}, lambda x: x.T),
    ("transpose", [X], {"axes": (1, -1, 0)}, lambda x: np.moveaxis(x, 0, 2)),
    ("squeeze", [data((1, 3, 1), "int64")], {}, lambda x: x.reshape(3)),
    ("squeeze", [data((1, 3, 1), "bool")], {"axis": [-1]}, lambda x: x.reshape(1, 3)),
    ("expand_dims", [data((2, 3))], {"axis": 1, "num_newaxis": 2}, lambda x: x.reshape(2, 1, 1, 3)),
    ("expand_dims", [np.array(1.5, "float64")], {"axis": 0}, lambda x: [1.5]),
    (
        "broadcast_to",
        [data((3, 1), "int32")],
        {"shape": (2, 3, 4)},
        lambda x: np.tile(x, (2, 1, 4)),
    ),
    (
        "broadcast_to_like",
        [np.array(2, "int64"), data((2, 2), "int32")],
        {},
        lambda x, y: [[2, 2], [2, 2]],
    ),
    *[
        (
            "collapse_sum_like",
            [data((2, 3, 4), dt), data(s, dt)],
            {},
            lambda x, y: collapse_ref(x, y.shape),
        )
        for dt in NUMERIC
        for s in [(), (4,), (3, 1), (1, 3, 4), (2, 3, 4)]
    ],
    ("collapse_sum_to", [X], {"shape": (3, 1)}, lambda x: x.sum(axis=(0, 2))[:, None]),
    ("concatenate", [(data((2, 3)), data((2, 1)))], {"axis": -1}, lambda t: np.hstack(t)),
    ("concatenate", [(data((1,), "int32"), data((2,), "int32"))], {}, lambda t: np.hstack(t)),
    ("stack", [(data((2,)), data((2,)), data((2,)))], {"axis": 1}, lambda t: np.array(t).T),
    ("stack", [(np.array(1, "int64"), np.array(2, "int64"))], {}, lambda t: [1, 2]),
    (
        "split",
        [np.arange(6, dtype="int32")],
        {"indices_or_sections": 3},
        lambda x: ([0, 1], [2, 3], [4, 5]),
    ),
    (
        "split",
        [data((2, 6))],
        {"indices_or_sections": [1, 4], "axis": 1},
        lambda x: (x[:, :1], x[:, 1:4], x[:, 4:]),
    ),
    (
        "repeat",
        [data((2, 3), "int64")],
        {"repeats": 2, "axis": -1},
        lambda x: np.stack([x, x], -1).reshape(2, 6),
    ),
    (
        "tile",
        [data((2, 3), "bool")],
        {"reps": (2, 1, 2)},
        lambda x: np.stack([np.hstack([x, x])] * 2),
    ),
    ("reverse", [data((2, 3))], {"axis": 1}, lambda x: x[:, ::-1]),
    ("reverse", [data((4,), "int32")], {"axis": 0}, lambda x: x[::-1]),
    ("nn.batch_flatten", [X], {}, lambda x: x.reshape(2, 12)),
    ("nn.batch_flatten", [data((3,), "int32")], {}, lambda x: x.reshape(3, 1)),
    ("shape_of", [X], {}, lambda x: [2, 3, 4]),
    ("shape_of", [np.array(1.0, "float32")], {"dtype": "int64"}, lambda x: np.zeros(0)),
    *[
        ("cumsum", [data(s, dt)], {}, lambda x: np.add.accumulate(x.ravel().astype("float64")))
        for dt in NUMERIC
        for s in [(), (5,), (3, 4)]
    ],
    ("cumsum", [data((3, 4), "int32")], {"axis": 0}, lambda x: np.add.accumulate(x, 0)),
    (
        "cumsum",
        [data((3, 4), "int32")],
        {"axis": -1, "exclusive": True},
        lambda x: np.add.accumulate(x, 1) - x,
    ),
    ("cumsum", [data((4,), "bool")], {"dtype": "int64"}, lambda x: np.add.accumulate(x * 1)),
    (
        "nn.pad",
        [data((2, 3), "int32")],
        {"pad_width": ((1, 0), (0, 2)), "pad_value": 7},
        lambda x: np.vstack([[7] * 5, np.hstack([x, [[7, 7]] * 2])]),
    ),
    (
        "pad",
        [data((3,))],
        {"pad_width": [[2, 1]], "pad_mode": "edge"},
        lambda x: [x[0], x[0], *x, x[-1]],
    ),
    (
        "nn.pad",
        [np.array([1.0, 2.0, 3.0], "float64")],
        {"pad_width": [[2, 2]], "pad_mode": "reflect"},
        lambda x: [3, 2, 1, 2, 3, 2, 1],
    ),
    # indexing
    (
        "strided_slice",
        [X],
        {"begin": (1, 0), "end": (2, 3), "strides": (1, 2)},
        lambda x: x[1:2, 0:3:2],
    ),
    (
        "strided_slice",
        [X],
        {"begin": (-1,), "end": (-5,), "strides": (-2,), "axes": (2,)},
        lambda x: x[:, :, -1:-5:-2],
    ),
    (
        "strided_slice",
        [data((5,), "int64")],
        {"begin": (4,), "end": (-100,), "strides": (-1,)},
        lambda x: x[::-1],
    ),
    (
        "strided_slice",
        [X],
        {"begin": (1, -3), "end": (1, -1), "strides": (5, 7), "slice_mode": "size"},
        lambda x: x[1:2, -3:],
    ),
    (
        "strided_slice",
        [data((6,), "int32")],
        {"begin": (2,), "end": (10,), "axes": (0,), "slice_mode": "size"},
        lambda x: x[2:],
    ),
    (
        "strided_set",
        [data((4, 3), "int32"), np.array(9, "int32")],
        {"begin": (0,), "end": (4,), "strides": (2,)},
        lambda x, v: np.where(np.arange(4)[:, None] % 2 == 0, 9, x),
    ),
    (
        "strided_set",
        [data((4, 3)), data((3,))],
        {"begin": (3, 0), "end": (1, 3), "strides": (-1, 1)},
        lambda x, v: np.vstack([x[:2], v, v]),
    ),
    *[
        ("take", [data((4, 3), dt), ints((2, 2), 12)], {}, lambda x, i: x.ravel()[i])
        for dt in NUMERIC + ["bool"]
    ],
    (
        "take",
        [data((4, 3)), np.array([[-1, 5], [2, 0]], "int64")],
        {"axis": 0},
        lambda x, i: x[[[0, 3], [2, 0]]],
    ),
    (
        "take",
        [data((4, 3)), np.array([-1, 4], "int32")],
        {"axis": 1, "mode": "wrap"},
        lambda x, i: x[:, [2, 1]],
    ),
    ("take", [data((4,)), np.array(2, "int32")], {"axis": 0, "mode": "fast"}, lambda x, i: x[2]),
    ("gather_nd", [X, np.array([[0, 1], [2, 0]], "int32")], {}, lambda x, i: x[[0, 1], [2, 0]]),
    ("gather_nd", [data((3, 4), "int64"), np.array([1, 3], "int64")], {}, lambda x, i: x[1, 3]),
    ("gather_nd", [data((3, 4)), np.array([[2], [0]], "int32")], {}, lambda x, i: [x[2, 0]]),
    (
        "scatter_add",
        [
            data((3, 4), "int32"),
            np.array([[0, 0, 2], [0, 0, 0]], "int32"),
            np.ones((2, 3), "int32"),
        ],
        {"axis": 0},
        lambda x, i, u: x + [[2, 2, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0]],
    ),
    (
        "scatter_add",
        [data((2, 3)), np.array([[2, 2]], "int64"), np.array([[1.0, 2.0]], "float32")],
        {"axis": 1},
        lambda x, i, u: x + [[0, 0, 3], [0, 0, 0]],
    ),
    (
        "scatter_nd",
        [
            data((3, 2), "int64"),
            np.array([[0, 2, 0]], "int32"),
            np.array([[1, 1], [2, 2], [4, 4]], "int64"),
        ],
        {"mode": "add"},
        lambda x, i, u: x + [[5, 5], [0, 0], [2, 2]],
    ),
    (
        "scatter_nd",
        [data((2, 2)), np.array([[1], [0]], "int32"), np.array([7.0], "float32")],
        {},
        lambda x, i, u: np.where([[False, False], [True, False]], 7, x),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_data_op_against_numpy(case):
    check_case(case)
