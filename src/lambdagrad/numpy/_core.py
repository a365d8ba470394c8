"""The functions of `lambdagrad.numpy`: numpy's signatures, each applying registered ops."""

from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from ..api.core import OpShapeError, Tracer, apply, prim

_ARRAYS = (np.ndarray, np.generic, Tracer)
_NUMBERS = (int, float)


def is_array(x) -> bool:
    return isinstance(x, _ARRAYS)


def asarray(x, dtype=None):
    """`x` as an array (a followed value stays followed; a dtype casts it)."""
    if isinstance(x, Tracer):
        return x if dtype is None else astype(x, dtype)
    return numeric(np.asarray(x, dtype=None if dtype is None else as_dtype(dtype)))


def numeric(array: np.ndarray) -> np.ndarray:
    """`array`, whose dtype the ops must take: numbers and bools (numpy would also add
    strings, compute on objects and on None)."""
    if array.dtype.kind not in "biuf":
        raise OpShapeError(
            f"lambdagrad.numpy computes on real numbers and bools, got an array of dtype "
            f"{array.dtype}: {array!r:.60}"
        )
    return array


def as_dtype(dtype) -> np.dtype:
    """`dtype` (a name, a numpy or Python type) as a numpy dtype of numbers or bools."""
    try:
        found = np.dtype(dtype)
    except TypeError:
        raise OpShapeError(f"{dtype!r} is not a dtype") from None
    if found.kind not in "biuf":
        raise OpShapeError(f"lambdagrad.numpy computes on real numbers and bools, not {found}")
    return found


def array(x, dtype=None):
    """Like `asarray`; numpy input is copied, as numpy's ``array`` does."""
    return asarray(x, dtype) if isinstance(x, Tracer) else np.array(x, dtype=dtype)


def astype(x, dtype):
    """`x` cast to `dtype` (the ``cast`` op, whose gradient casts back)."""
    dtype = as_dtype(dtype)
    if not isinstance(x, Tracer):
        return asarray(x).astype(dtype)
    if x.dtype == dtype:
        return x
    return apply(prim("cast", dtype=dtype.name), (x,))


def _dtype_of(x):
    return x.dtype if is_array(x) else x  # a Python number is a weak scalar to result_type


def promote(*xs, dtype=None) -> tuple:
    """The arguments as arrays of one dtype: numpy's result type, or `dtype` if given."""
    if dtype is None:
        if len(xs) == 2:
            same = _same_dtype_pair(*xs)
            if same is not None:
                return same
        xs = tuple(x if type(x) in _NUMBERS else asarray(x) for x in xs)
        dtype = np.result_type(*(_dtype_of(x) for x in xs))
    return tuple(astype(x, dtype) if is_array(x) else np.asarray(x, dtype) for x in xs)


def _same_dtype_pair(x, y):
    """The common cases without asking numpy: two arrays of one dtype, or a float array and
    a Python number (a weak scalar: it takes the array's dtype)."""
    x_array, y_array = isinstance(x, _ARRAYS), isinstance(y, _ARRAYS)
    if x_array and y_array:
        return (x, y) if x.dtype == y.dtype else None
    if x_array and type(y) in _NUMBERS and x.dtype.kind == "f":
        return x, np.asarray(y, x.dtype)
    if y_array and type(x) in _NUMBERS and y.dtype.kind == "f":
        return np.asarray(x, y.dtype), y
    return None


def _binary(op: str, numpy_fn, doc: str, out_kind: str | None = None):
    """A broadcasting binary function applying op `op` after numpy's dtype promotion;
    `out_kind` "f" computes integer inputs in float64 (true division)."""
    p = prim(op)

    def fn(x, y):
        a, b = promote(x, y)
        if out_kind == "f" and a.dtype.kind != "f":
            a, b = promote(a, b, dtype=np.float64)
        return apply(p, (a, b))

    fn.__name__ = numpy_fn.__name__
    fn.__doc__ = _example(doc, numpy_fn, np.array([3.0, -7.0]), 2.0)
    return fn


def _example(doc: str, numpy_fn, *args, **kwargs) -> str:
    """`doc` and a doctest calling the lnp function of `numpy_fn`'s name on `args` (arrays,
    numbers, sequences of arrays) and `kwargs`, expecting what numpy's own function prints."""
    with np.errstate(all="ignore"):
        answer = numpy_fn(*args, **kwargs)  # 0-d answers show as arrays, as ours are
    expected = repr(answer if isinstance(answer, list) else np.asarray(answer))
    shown = ", ".join([*map(_source, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    calls = [">>> import numpy as np, lambdagrad.numpy as lnp"]
    calls.append(f">>> lnp.{numpy_fn.__name__}({shown})")
    return "\n\n".join([doc, "\n".join([*calls, expected])])


def _source(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_source, value)) + "]"
    return f"np.array({value.tolist()})" if isinstance(value, np.ndarray) else repr(value)


add = _binary("add", np.add, "``x + y``.")
subtract = _binary("subtract", np.subtract, "``x - y``.")
multiply = _binary("multiply", np.multiply, "``x * y``.")
true_divide = _binary("divide", np.true_divide, "``x / y``; integers divide as floats.", "f")
divide = true_divide
floor_divide = _binary("floor_divide", np.floor_divide, "``x // y``, toward minus infinity.")
mod = _binary("floor_mod", np.mod, "``x % y``, with the sign of `y` (numpy's ``mod``).")
power = _binary("power", np.power, "``x ** y``.")
maximum = _binary("maximum", np.maximum, "The elementwise maximum (ties: the gradient goes to x).")
minimum = _binary("minimum", np.minimum, "The elementwise minimum (ties: the gradient goes to x).")
equal = _binary("equal", np.equal, "``x == y``.")
not_equal = _binary("not_equal", np.not_equal, "``x != y``.")
less = _binary("less", np.less, "``x < y``.")
less_equal = _binary("less_equal", np.less_equal, "``x <= y``.")
greater = _binary("greater", np.greater, "``x > y``.")
greater_equal = _binary("greater_equal", np.greater_equal, "``x >= y``.")
logical_and = _binary("logical_and", np.logical_and, "``x and y`` elementwise, on bools.")
logical_or = _binary("logical_or", np.logical_or, "``x or y`` elementwise, on bools.")


@functools.cache
def _float_dtype(numpy_fn, dtype: np.dtype) -> np.dtype:
    """The dtype numpy's `numpy_fn` returns for `dtype` input (floats for integers)."""
    with np.errstate(all="ignore"):
        return np.asarray(numpy_fn(np.ones((), dtype))).dtype


def _unary(op: str, numpy_fn, float_only: bool = True, sample=(0.5, 0.75)):
    """A one-argument function applying op `op`; for `float_only` ops integer input is cast
    to the float dtype numpy would return."""
    p = prim(op)

    def fn(x):
        x = asarray(x)
        if float_only and x.dtype.kind != "f":
            x = astype(x, _float_dtype(numpy_fn, x.dtype))
        return apply(p, (x,))

    fn.__name__ = numpy_fn.__name__
    doc = f"numpy's ``{numpy_fn.__name__}``, by the ``{op}`` op."
    fn.__doc__ = _example(doc, numpy_fn, np.array(sample))
    return fn


exp = _unary("exp", np.exp)
log = _unary("log", np.log)
log2 = _unary("log2", np.log2)
log10 = _unary("log10", np.log10)
sqrt = _unary("sqrt", np.sqrt)
sin = _unary("sin", np.sin)
cos = _unary("cos", np.cos)
tan = _unary("tan", np.tan)
sinh = _unary("sinh", np.sinh)
cosh = _unary("cosh", np.cosh)
tanh = _unary("tanh", np.tanh)
arcsin = _unary("asin", np.arcsin)
arccos = _unary("acos", np.arccos)
arctan = _unary("atan", np.arctan)
arcsinh = _unary("asinh", np.arcsinh)
arccosh = _unary("acosh", np.arccosh, sample=(1.5, 2.0))
arctanh = _unary("atanh", np.arctanh)
negative = _unary("negative", np.negative, float_only=False)
absolute = _unary("abs", np.absolute, float_only=False)
sign = _unary("sign", np.sign, float_only=False)
floor = _unary("floor", np.floor)
ceil = _unary("ceil", np.ceil)
logical_not = _unary("logical_not", np.logical_not, float_only=False, sample=(True, False))
zeros_like = _unary("zeros_like", np.zeros_like, float_only=False)
ones_like = _unary("ones_like", np.ones_like, float_only=False)


def round(x, decimals: int = 0):
    """Round half to even, as numpy does (``decimals`` must be 0)."""
    if decimals != 0:
        raise OpShapeError("lnp.round supports decimals=0 only")
    return apply(prim("round"), (asarray(x),))


around = round


def square(x):
    """``x * x``."""
    x = asarray(x)
    return multiply(x, x)


def reciprocal(x):
    """``1 / x``."""
    return true_divide(1.0, x)


def log1p(x):
    """``log(1 + x)`` (computed as written: no extra precision near 0)."""
    return log(add(1.0, x))


def expm1(x):
    """``exp(x) - 1`` (computed as written: no extra precision near 0)."""
    return subtract(exp(x), 1.0)


def clip(x, a_min, a_max):
    """`x` limited to ``[a_min, a_max]`` (one bound may be None); array bounds go through
    maximum and minimum."""
    x = asarray(x)
    if a_min is None or a_max is None:
        if a_min is None and a_max is None:
            raise OpShapeError("lnp.clip needs a_min or a_max (both are None)")
        return minimum(x, a_max) if a_min is None else maximum(x, a_min)
    if is_array(a_min) or is_array(a_max) or x.dtype.kind != "f":
        return minimum(maximum(x, a_min), a_max)
    return apply(prim("clip", a_min=float(a_min), a_max=float(a_max)), (x,))


def where(condition, x, y):
    """`x` where `condition` holds, else `y` (a non-bool condition is compared with 0)."""
    condition = asarray(condition)
    if condition.dtype != np.bool_:
        condition = not_equal(condition, 0)
    a, b = promote(x, y)
    return apply(prim("where"), (condition, a, b))


def full_like(x, fill_value, dtype=None):
    x = asarray(x) if dtype is None else astype(x, dtype)
    return apply(prim("full_like"), (x, np.asarray(fill_value, x.dtype)))


# ---- reductions


def _axis(axis):
    return None if axis is None else tuple(axis) if isinstance(axis, tuple | list) else (axis,)


def _reduce(op: str, x, axis, keepdims, **attrs):
    x = asarray(x)
    return apply(prim(op, axis=_axis(axis), keepdims=bool(keepdims), **attrs), (x,))


def _accumulator(x):
    """`x` in the dtype numpy sums it in: bools and small integers as 64-bit integers."""
    x = asarray(x)
    if x.dtype.kind in "biu" and x.dtype.itemsize < 8:
        return astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)
    return x


def sum(x, axis=None, keepdims=False):
    """The sum over `axis` (all axes if None); bools count as integers, as numpy's."""
    return _reduce("sum", _accumulator(x), axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over `axis`; integers average as float64, as numpy's do."""
    x = asarray(x)
    if x.dtype.kind != "f":
        x = astype(x, np.float64)
    return _reduce("mean", x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return _reduce("prod", _accumulator(x), axis, keepdims)


def amax(x, axis=None, keepdims=False):
    """The maximum over `axis` (ties share the gradient, as the ``max`` op's rule says)."""
    return _reduce("max", x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return _reduce("min", x, axis, keepdims)


def argmax(x, axis=None):
    """The index of the maximum along `axis` (of the flattened array if None), int64 as
    numpy's (the op gives int32)."""
    return astype(_reduce("argmax", x, axis, False), np.int64)


def argmin(x, axis=None):
    """The index of the minimum, as `argmax`."""
    return astype(_reduce("argmin", x, axis, False), np.int64)


def var(x, axis=None, ddof=0, keepdims=False):
    """The variance; ``ddof`` 0 or 1."""
    if ddof not in (0, 1):
        raise OpShapeError(f"lnp.var supports ddof 0 or 1, got {ddof}")
    x = asarray(x)
    if x.dtype.kind != "f":
        x = astype(x, np.float64)
    return _reduce("variance", x, axis, keepdims, unbiased=ddof == 1)


def std(x, axis=None, ddof=0, keepdims=False):
    return sqrt(var(x, axis, ddof, keepdims))


def cumsum(x, axis=None):
    """The cumulative sum along `axis` (of the flattened array if None)."""
    return apply(prim("cumsum", axis=axis), (_accumulator(x),))


# ---- shapes


def _shape(x) -> tuple:
    return tuple(x.shape)


def _resolved(shape: tuple, newshape) -> tuple:
    """`newshape` with its -1 resolved (the op reads 0 as "keep", numpy as a length)."""
    dims = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    size = math.prod(shape)
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        dims = tuple(size // known if known and d == -1 else d for d in dims)
    if math.prod(dims) != size:
        raise OpShapeError(f"cannot reshape an array of shape {shape} into shape {newshape}")
    return dims


_reshapes: dict = {}


def reshape(x, newshape):
    x = asarray(x)
    shape = tuple(x.shape)
    dims = _resolved(shape, newshape)
    if dims == shape:
        return x
    p = _reshapes.get(dims)
    if p is None:
        p = _reshapes[dims] = prim("reshape", newshape=dims)
    return apply(p, (x,))


def ravel(x):
    return reshape(x, (-1,))


def transpose(x, axes=None):
    x = asarray(x)
    return apply(prim("transpose", axes=None if axes is None else tuple(axes)), (x,))


def _axis_index(axis, rank: int, what: str) -> int:
    """`axis` of an array of `rank` as an index from 0 (numpy's AxisError as ours)."""
    if not isinstance(axis, int | np.integer):
        raise OpShapeError(f"{what}: axis must be an int, got {axis!r}")
    if not -rank <= axis < rank:
        raise OpShapeError(f"{what}: axis {axis!r} is out of range for an array of rank {rank}")
    return int(axis) % rank


def moveaxis(x, source: int, destination: int):
    x = asarray(x)
    rank = len(x.shape)
    source = _axis_index(source, rank, "moveaxis")
    order = [a for a in range(rank) if a != source]
    order.insert(_axis_index(destination, rank, "moveaxis"), source)
    return x if order == list(range(rank)) else transpose(x, order)


def swapaxes(x, axis1: int, axis2: int):
    x = asarray(x)
    rank = len(x.shape)
    axis1, axis2 = (_axis_index(a, rank, "swapaxes") for a in (axis1, axis2))
    order = list(range(rank))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, order)


def expand_dims(x, axis):
    """`x` with new axes of length 1 at `axis` (an int or a tuple: places in the result)."""
    x = asarray(x)
    axes, rank = _axis(axis), len(x.shape) + len(_axis(axis))
    places = sorted(_axis_index(a, rank, f"expand_dims to rank {rank}") for a in axes)
    if len(set(places)) < len(places):
        raise OpShapeError(f"expand_dims: axis {axis!r} names a place twice")
    for place in places:  # in increasing order, each lands where the result has it
        x = apply(prim("expand_dims", axis=place), (x,))
    return x


def squeeze(x, axis=None):
    return apply(prim("squeeze", axis=_axis(axis)), (asarray(x),))


def broadcast_to(x, shape):
    x = asarray(x)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return x if _shape(x) == shape else apply(prim("broadcast_to", shape=shape), (x,))


def _joined(arrays) -> tuple:
    if is_array(arrays) or not len(arrays):
        raise OpShapeError("concatenate and stack take a non-empty sequence of arrays")
    return promote(*arrays)


def concatenate(arrays, axis: int = 0):
    return apply(prim("concatenate", axis=axis), (_joined(arrays),))


def stack(arrays, axis: int = 0):
    return apply(prim("stack", axis=axis), (_joined(arrays),))


def split(x, indices_or_sections, axis: int = 0) -> list:
    sections = indices_or_sections
    sections = tuple(sections) if isinstance(sections, list | tuple) else int(sections)
    attrs = {"indices_or_sections": sections, "axis": axis}
    return list(apply(prim("split", **attrs), (asarray(x),)))


def tile(x, reps):
    return apply(prim("tile", reps=reps), (asarray(x),))


def repeat(x, repeats: int, axis: int | None = None):
    x = asarray(x)
    if axis is None:
        x, axis = ravel(x), 0
    return apply(prim("repeat", repeats=repeats, axis=axis), (x,))


def flip(x, axis=None):
    """`x` reversed along `axis` (an int, a tuple, or every axis if None)."""
    x = asarray(x)
    for a in range(len(x.shape)) if axis is None else _axis(axis):
        x = apply(prim("reverse", axis=a), (x,))
    return x


def pad(x, pad_width, mode: str = "constant", constant_values: float = 0.0):
    """numpy's ``pad`` in modes constant, edge and reflect; `pad_width` an int, a pair, or
    one pair per axis."""
    x = asarray(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(x.shape), 2))
    pairs = tuple((int(a), int(b)) for a, b in widths)
    attrs = {"pad_width": pairs, "pad_value": float(constant_values), "pad_mode": mode}
    return apply(prim("nn.pad", **attrs), (x,))


def take(x, indices, axis: int | None = None):
    """Elements at integer `indices` along `axis` (of the flattened array if None); out of
    range indices raise, negative ones count from the end, as numpy's do."""
    indices = asarray(indices)
    if indices.dtype.kind not in "iu":
        raise OpShapeError(f"take needs integer indices, got {indices.dtype}")
    return apply(prim("take", axis=axis, mode="fast"), (asarray(x), indices))


# ---- products


def matmul(a, b):
    """numpy's ``a @ b``: 1-d arguments are vectors, more than 2 dimensions are batches."""
    return _matmul(a, b, "matmul")


def _matmul(a, b, name: str):
    a, b = promote(asarray(a), asarray(b))
    ra, rb = len(a.shape), len(b.shape)
    if ra == 0 or rb == 0:
        raise OpShapeError(f"{name}: 0-d arguments are not allowed (use *)")
    _check_contracted(name, _shape(a), _shape(b))
    if ra == 1 and rb == 1:
        return sum(multiply(a, b))
    if rb == 1:
        return apply(prim("nn.dense"), (a, reshape(b, (1, -1))))[..., 0]
    if ra == 1:
        return reshape(matmul(reshape(a, (1, -1)), b), _shape(b)[:-2] + _shape(b)[-1:])
    if ra == 2 and rb == 2:
        return apply(prim("nn.matmul"), (a, b))
    return _batched_matmul(a, b)


def _check_contracted(name: str, a: tuple, b: tuple) -> None:
    """Refuse mismatched inner dimensions here, where the message can say which (the ops
    the product is built from would name themselves and shapes the user never wrote)."""
    k_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != k_b:
        axis = "0" if len(b) == 1 else "-2"
        raise OpShapeError(
            f"{name}: shapes {a} and {b} are not aligned: {a[-1]} (axis -1 of argument 0) "
            f"!= {k_b} (axis {axis} of argument 1)"
        )


def _batched_matmul(a, b):
    batch = np.broadcast_shapes(_shape(a)[:-2], _shape(b)[:-2])
    a = broadcast_to(a, batch + _shape(a)[-2:])
    b = broadcast_to(b, batch + _shape(b)[-2:])
    a3 = reshape(a, (-1, *_shape(a)[-2:]))
    b3 = reshape(b, (-1, *_shape(b)[-2:]))
    out = apply(prim("nn.batch_matmul", transpose_b=False), (a3, b3))
    return reshape(out, batch + _shape(out)[-2:])


def dot(a, b):
    """numpy's ``dot``: products of scalars, vectors, matrices, and ``(..., k) . (k, n)``."""
    a, b = asarray(a), asarray(b)
    if len(a.shape) == 0 or len(b.shape) == 0:
        return multiply(a, b)
    if len(b.shape) <= 2:
        return _matmul(a, b, "dot")
    raise OpShapeError(f"lnp.dot of shapes {_shape(a)} and {_shape(b)}: use lnp.matmul")


def inner(a, b):
    """Sums over the last axes: ``inner(a, b)[..., j] = sum(a[...] * b[j])``."""
    a, b = asarray(a), asarray(b)
    if len(b.shape) <= 1:
        return sum(multiply(a, b), axis=-1) if len(b.shape) else multiply(a, b)
    a, b = promote(a, b)
    return apply(prim("nn.dense"), (a, b))


def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


# ---- indexing


def getitem(x, key):
    """numpy's basic indexing (ints, slices, None, ...) and one integer or boolean array
    index (a k-d boolean mask selects from k axes, as numpy's)."""
    key = _expand_ellipsis(key if isinstance(key, tuple) else (key,), len(x.shape))
    if builtins.sum(1 for k in key if _is_index_array(k)) > 1:
        raise OpShapeError("lnp indexing takes at most one integer or boolean array index")
    axis, picked = 0, None
    for entry in key:
        start = axis
        x, axis = _index_one(x, entry, axis)
        if _is_index_array(entry):
            picked = range(start, axis)  # the axes the array index's result occupies
    if picked is not None and _advanced_apart(key):
        # numpy puts them first when ints and the array index are not side by side
        rest = [a for a in range(len(x.shape)) if a not in picked]
        x = transpose(x, (*picked, *rest))
    return x


def _is_index_array(entry) -> bool:
    return isinstance(entry, list) or is_array(entry) and len(np.shape(entry)) > 0


def _advanced_apart(key: tuple) -> bool:
    """Whether the index's advanced entries (the array and any ints) are separated by a
    slice, None or an ellipsis."""
    places = [i for i, k in enumerate(key) if _is_index_array(k) or _is_int_index(k)]
    return places != list(range(places[0], places[-1] + 1))


def _is_int_index(entry) -> bool:
    return isinstance(entry, int | np.integer) and not isinstance(entry, bool)


def _expand_ellipsis(key: tuple, rank: int) -> tuple:
    # `is`, not `in` or `index`: those compare with ==, elementwise on an index array
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise OpShapeError("an index can only have a single ellipsis ('...')")
    if not ellipses:
        return key
    used = builtins.sum(_axes_used(k) for k in key)
    i = ellipses[0]
    return key[:i] + (slice(None),) * (rank - used) + key[i + 1 :]


def _axes_used(entry) -> int:
    """How many axes of the array an index entry consumes."""
    if entry is None or entry is Ellipsis:
        return 0
    if is_array(entry) and entry.dtype == np.bool_:
        return len(entry.shape)
    return 1


def _index_one(x, entry, axis: int):
    """Apply one entry of an index at `axis`; returns the result and the next axis."""
    if entry is None:
        return expand_dims(x, axis), axis + 1
    if axis >= len(x.shape):
        raise OpShapeError(f"too many indices for an array of shape {_shape(x)}")
    if isinstance(entry, slice):
        return _slice(x, entry, axis), axis + 1
    index = np.asarray(entry)
    if index.dtype == np.bool_:
        x, index = _masked(x, index, axis)
    if index.dtype.kind not in "iu":
        raise OpShapeError(f"index {entry!r} is not an int, a slice, None or an int array")
    _check_bounds(index, x.shape[axis], axis)
    return apply(prim("take", axis=axis, mode="fast"), (x, index)), axis + index.ndim


def _masked(x, mask: np.ndarray, axis: int):
    """`x` with the axes `mask` covers (from `axis` on) merged into one, and the indices
    along it that `mask` selects."""
    covered = _shape(x)[axis : axis + mask.ndim]
    if mask.shape != covered:
        raise OpShapeError(
            f"boolean index of shape {mask.shape} does not match the array's axes {covered} "
            f"(shape {_shape(x)}, from axis {axis})"
        )
    if mask.ndim > 1:
        x = reshape(x, _shape(x)[:axis] + (-1,) + _shape(x)[axis + mask.ndim :])
    return x, np.flatnonzero(mask)


def _check_bounds(index, extent: int, axis: int) -> None:
    if index.size and (index.max() >= extent or index.min() < -extent):
        raise OpShapeError(
            f"index {index.tolist()} is out of bounds for axis {axis} of size {extent}"
        )


def _slice(x, entry: slice, axis: int):
    extent = int(x.shape[axis])
    start, stop, step = entry.indices(extent)
    if (start, stop, step) == (0, extent, 1):
        return x
    if step < 0 and stop < 0:  # "before the first element": -1 would mean the last one
        stop = -extent - 1
    attrs = {"begin": (start,), "end": (stop,), "strides": (step,), "axes": (axis,)}
    return apply(prim("strided_slice", **attrs), (x,))


def _document() -> None:
    """Runnable examples for the functions written out above: numpy's answer is expected."""
    x, v = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 3.0])
    for fn, numpy_fn, args, kwargs in [
        (asarray, np.asarray, ([1.0, 2.0],), {}),
        (array, np.array, ([1, 2],), {"dtype": "float32"}),
        (astype, np.astype, (np.array([1.5, -2.5]), "int32"), {}),
        (round, np.round, (np.array([0.5, 1.5, 2.5]),), {}),
        (reciprocal, np.reciprocal, (v,), {}),
        (log1p, np.log1p, (v[:1],), {}),
        (expm1, np.expm1, (v,), {}),
        (full_like, np.full_like, (v, 7.0), {}),
        (prod, np.prod, (x,), {"axis": 1}),
        (amin, np.amin, (x,), {"axis": 0}),
        (argmin, np.argmin, (v,), {}),
        (std, np.std, (v,), {}),
        (ravel, np.ravel, (x,), {}),
        (squeeze, np.squeeze, (x[:1],), {}),
        (swapaxes, np.swapaxes, (x, 0, 1), {}),
        (repeat, np.repeat, (v, 2), {}),
        (square, np.square, (v,), {}),
        (clip, np.clip, (v, -1.0, 2.0), {}),
        (where, np.where, (v > 0, v, 0.0), {}),
        (sum, np.sum, (x,), {"axis": 0}),
        (mean, np.mean, (x,), {"axis": 1, "keepdims": True}),
        (amax, np.amax, (x,), {"axis": 1}),
        (argmax, np.argmax, (x,), {"axis": 1}),
        (var, np.var, (x,), {"ddof": 1}),
        (cumsum, np.cumsum, (v,), {}),
        (reshape, np.reshape, (x, (3, -1)), {}),
        (transpose, np.transpose, (x,), {}),
        (moveaxis, np.moveaxis, (x, 0, -1), {}),
        (expand_dims, np.expand_dims, (v, 0), {}),
        (broadcast_to, np.broadcast_to, (v, (2, 3)), {}),
        (concatenate, np.concatenate, ([x, x],), {"axis": 1}),
        (stack, np.stack, ([v, v],), {}),
        (split, np.split, (v, 3), {}),
        (tile, np.tile, (v, 2), {}),
        (flip, np.flip, (v, 0), {}),
        (pad, np.pad, (x, 1), {"mode": "edge"}),
        (take, np.take, (v, np.array([2, 0])), {}),
        (matmul, np.matmul, (x, v), {}),
        (dot, np.dot, (v, v), {}),
        (inner, np.inner, (x, x), {}),
        (outer, np.outer, (v, v), {}),
    ]:
        fn.__doc__ = _example(fn.__doc__ or "", numpy_fn, *args, **kwargs)


_document()
