"""numpy names (as ``lnp.*``, ``np.*`` or tensor methods) to op calls, through the registry.

Each name is a `Signature`: the op it builds, its tensor inputs, then its attributes (static
Python values), positional or by keyword, with numpy's keyword names where they differ.
``dot``/``matmul``/``@`` pick ops by the operands' ranks, as numpy does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Call, Expr, Op, TensorType
from ..ops import make_call

# Modules whose functions are taken by name (the jitted code may use any of them).
ARRAY_MODULES = frozenset({"lambdagrad.numpy", "numpy", "jax.numpy", "math"})


@dataclass(frozen=True)
class Signature:
    """How a numpy-style call maps to an op: `inputs` are tensors, `attrs` static."""

    op: str
    inputs: tuple[str, ...] = ("x",)
    attrs: tuple[str, ...] = ()
    renames: dict = field(default_factory=dict)  # Python keyword -> op attribute


def _table() -> dict[str, Signature]:
    unary = {
        name: name
        for name in [
            "exp",
            "log",
            "log2",
            "log10",
            "sqrt",
            "sin",
            "cos",
            "tan",
            "sinh",
            "cosh",
            "tanh",
            "abs",
            "sign",
            "floor",
            "ceil",
            "round",
            "negative",
            "logical_not",
            "sigmoid",
            "erf",
            "zeros_like",
            "ones_like",
        ]
    }
    unary |= {"absolute": "abs", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}
    unary |= {"arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "relu": "nn.relu"}
    binary = {
        name: name
        for name in [
            "add",
            "subtract",
            "multiply",
            "divide",
            "power",
            "maximum",
            "minimum",
            "equal",
            "not_equal",
            "less",
            "less_equal",
            "greater",
            "greater_equal",
            "logical_and",
            "logical_or",
            "floor_divide",
        ]
    }
    binary |= {"true_divide": "divide", "mod": "floor_mod", "remainder": "floor_mod"}
    reduce = {n: n for n in ["sum", "prod", "mean", "max", "min", "argmax", "argmin", "logsumexp"]}
    reduce |= {"amax": "max", "amin": "min", "var": "variance"}
    table = {name: Signature(op) for name, op in unary.items()}
    table |= {name: Signature(op, ("x", "y")) for name, op in binary.items()}
    table |= {name: Signature(op, ("x",), ("axis", "keepdims")) for name, op in reduce.items()}
    table |= {
        "where": Signature("where", ("condition", "x", "y")),
        "reshape": Signature("reshape", ("x",), ("shape",), {"shape": "newshape"}),
        "transpose": Signature("transpose", ("x",), ("axes",)),
        "expand_dims": Signature("expand_dims", ("x",), ("axis",)),
        "squeeze": Signature("squeeze", ("x",), ("axis",)),
        "clip": Signature("clip", ("x",), ("a_min", "a_max")),
        "zeros": Signature("zeros", (), ("shape", "dtype")),
        "ones": Signature("ones", (), ("shape", "dtype")),
        "concatenate": Signature("concatenate", ("arrays",), ("axis",)),
        "stack": Signature("stack", ("arrays",), ("axis",)),
        "softmax": Signature("nn.softmax", ("x",), ("axis",)),
        "log_softmax": Signature("nn.log_softmax", ("x",), ("axis",)),
        "astype": Signature("cast", ("x",), ("dtype",)),
        "split": Signature("split", ("x",), ("indices_or_sections", "axis")),
        "broadcast_to": Signature("broadcast_to", ("x",), ("shape",)),
        "cumsum": Signature("cumsum", ("x",), ("axis", "dtype")),
        "repeat": Signature("repeat", ("x",), ("repeats", "axis")),
        "tile": Signature("tile", ("x",), ("reps",)),
        "flip": Signature("reverse", ("x",), ("axis",)),
    }
    return table


SIGNATURES = _table()
MATMUL_NAMES = frozenset({"dot", "matmul"})

# Ops whose tensor operands numpy promotes to one dtype, and those whose result is floating
# point whatever the input (numpy computes them in float64 for integers and bools).
PROMOTING_OPS = frozenset(
    {sig.op for sig in SIGNATURES.values() if len(sig.inputs) == 2 and not sig.attrs}
)
FLOAT_OPS = frozenset(
    {"exp", "log", "log2", "log10", "sqrt", "sigmoid", "tanh", "sin", "cos", "tan", "sinh"}
    | {"cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "erf", "mean", "divide"}
)


def promoted_dtype(op: str, dtypes: list[str]) -> str:
    """The dtype numpy computes `op` in for operands of `dtypes`.

    >>> promoted_dtype("add", ["int64", "float32"]), promoted_dtype("tanh", ["int64"])
    ('float64', 'float64')
    """
    target = np.result_type(*[np.dtype(d) for d in dtypes])
    if op in FLOAT_OPS and target.kind != "f":
        target = np.dtype("float64")
    return target.name


FUNCTION_NAMES = SIGNATURES.keys() | MATMUL_NAMES


def bind(name: str, args: list, kwargs: dict) -> tuple[Signature, list, dict]:
    """Split a call's arguments into the op's tensor inputs and its attributes (by op name).

    Raises ValueError with a readable reason when they do not fit.

    >>> sig, inputs, attrs = bind("sum", ["x"], {"axis": 0})
    >>> sig.op, inputs, attrs
    ('sum', ['x'], {'axis': 0})
    """
    sig = SIGNATURES[name]
    names = sig.inputs + sig.attrs
    if len(args) > len(names):
        raise ValueError(f"{name} takes at most {len(names)} positional arguments")
    given = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names or key in given:
            raise ValueError(f"{name} got an unexpected or repeated argument {key!r}")
        given[key] = value
    missing = [n for n in sig.inputs if n not in given]
    if missing:
        raise ValueError(f"{name} is missing the argument {missing[0]!r}")
    attrs = {sig.renames.get(k, k): given[k] for k in sig.attrs if k in given}
    return sig, [given[n] for n in sig.inputs], attrs


def normalize_attr(key: str, value):
    """numpy spellings of attribute values: dtypes as names (``np.float32`` -> "float32")."""
    if key == "dtype" and value is not None:
        return np.dtype(value).name
    return value


def build(sig: Signature, inputs: list[Expr], attrs: dict, span) -> Expr:
    """The op call; `make_call` checks the attributes."""
    attrs = {k: normalize_attr(k, v) for k, v in attrs.items()}
    if sig.op in ("zeros", "ones") and attrs.get("dtype") is None:
        attrs["dtype"] = "float64"  # numpy's default (and lambdagrad.numpy's)
    return make_call(sig.op, inputs, attrs, span=span)


def matmul(a: Expr, b: Expr, a_type, b_type, span) -> Expr:
    """``a @ b`` with numpy's rules for ranks 0 to 3 (known ranks: see `ranks_known`);
    raises ValueError for other ranks."""
    ranks = (_rank(a_type), _rank(b_type))
    if 0 in ranks:
        return make_call("multiply", [a, b], span=span)
    if ranks == (1, 1):
        return make_call("sum", [make_call("multiply", [a, b], span=span)], span=span)
    if ranks == (2, 2):
        if _is_transpose(b):  # x @ w.T is nn.dense(x, w): no transposed copy of w
            return make_call("nn.dense", [a, b.args[0]], span=span)
        return make_call("nn.matmul", [a, b], span=span)
    if ranks == (1, 2):
        row = make_call("expand_dims", [a], {"axis": 0}, span=span)
        product = make_call("nn.matmul", [row, b], span=span)
        return make_call("squeeze", [product], {"axis": 0}, span=span)
    if ranks == (2, 1):
        column = make_call("expand_dims", [b], {"axis": 1}, span=span)
        product = make_call("nn.matmul", [a, column], span=span)
        return make_call("squeeze", [product], {"axis": 1}, span=span)
    if ranks == (3, 3):
        return make_call("nn.batch_matmul", [a, b], {"transpose_b": False}, span=span)
    raise ValueError(f"operands of ranks {ranks[0]} and {ranks[1]} are not supported")


def _is_transpose(expr: Expr) -> bool:
    return (
        isinstance(expr, Call)
        and isinstance(expr.op, Op)
        and expr.op.name == "transpose"
        and expr.attrs["axes"] is None
    )


def ranks_known(*types) -> bool:
    return all(_rank(t) is not None for t in types)


def _rank(ty) -> int | None:
    return ty.ndim if isinstance(ty, TensorType) else None
