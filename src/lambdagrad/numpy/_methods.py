"""Python operators and ndarray methods on followed values, by the functions of `_core`.

numpy's own ufuncs and functions given a followed value (``np.sin(x)``, ``np.sum(x)``,
``array * x``) run the `lambdagrad.numpy` function of the same name, through numpy's
``__array_ufunc__`` and ``__array_function__`` protocols, as they do for JAX's arrays.
"""

from __future__ import annotations

import sys

from ..api.core import TransformError
from . import _core as f


def _namespace(numpy_module: str = "numpy"):
    """lambdagrad.numpy's module for numpy's `numpy_module` (numpy.linalg: lnp.linalg)."""
    if numpy_module.endswith(".linalg"):
        return sys.modules["lambdagrad.numpy.linalg"]
    return sys.modules["lambdagrad.numpy"]


def _ours(name: str, what: str, numpy_module: str = "numpy"):
    namespace = _namespace(numpy_module)
    fn = getattr(namespace, name, None)
    if fn is None:
        raise TransformError(
            f"numpy's {name} was given a value a transformation follows, and "
            f"{namespace.__name__} has no {name}: write it with lnp functions ({what})"
        )
    return fn


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method != "__call__" or kwargs:
        raise TransformError(
            f"numpy's {ufunc.__name__}.{method} with {sorted(kwargs)} on a followed value is "
            "not supported: use the lambdagrad.numpy function"
        )
    return _ours(ufunc.__name__, "a ufunc")(*inputs)


def _array_function(self, func, types, args, kwargs):
    fn = _ours(func.__name__, "an array function", func.__module__ or "numpy")
    if fn is func:  # numpy's own (np.shape, np.zeros, ...): no dispatch, or it would loop
        return func._implementation(*args, **kwargs)
    try:
        return fn(*args, **kwargs)
    except TypeError as err:
        raise TransformError(f"lnp.{func.__name__} cannot take these arguments: {err}") from None


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _reshape(self, *shape):
    return f.reshape(self, shape[0] if len(shape) == 1 else shape)


def _transpose(self, *axes):
    return f.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)


METHODS = {
    "__array_ufunc__": _array_ufunc,
    "__array_function__": _array_function,
    "__add__": f.add,
    "__radd__": _reflected(f.add),
    "__sub__": f.subtract,
    "__rsub__": _reflected(f.subtract),
    "__mul__": f.multiply,
    "__rmul__": _reflected(f.multiply),
    "__truediv__": f.true_divide,
    "__rtruediv__": _reflected(f.true_divide),
    "__floordiv__": f.floor_divide,
    "__rfloordiv__": _reflected(f.floor_divide),
    "__mod__": f.mod,
    "__rmod__": _reflected(f.mod),
    "__pow__": f.power,
    "__rpow__": _reflected(f.power),
    "__matmul__": f.matmul,
    "__rmatmul__": _reflected(f.matmul),
    "__neg__": f.negative,
    "__pos__": lambda self: self,
    "__abs__": f.absolute,
    "__lt__": f.less,
    "__le__": f.less_equal,
    "__gt__": f.greater,
    "__ge__": f.greater_equal,
    "__eq__": f.equal,
    "__ne__": f.not_equal,
    "__and__": f.logical_and,
    "__or__": f.logical_or,
    "__invert__": f.logical_not,
    "__getitem__": f.getitem,
    "T": property(lambda self: f.transpose(self)),
    "astype": f.astype,
    "reshape": _reshape,
    "transpose": _transpose,
    "ravel": f.ravel,
    "flatten": f.ravel,
    "squeeze": f.squeeze,
    "sum": f.sum,
    "mean": f.mean,
    "prod": f.prod,
    "max": f.amax,
    "min": f.amin,
    "argmax": f.argmax,
    "argmin": f.argmin,
    "var": f.var,
    "std": f.std,
    "dot": f.dot,
    "clip": f.clip,
    "cumsum": f.cumsum,
}


def install(cls) -> None:
    """Give `cls` (the tracer base class) numpy's operators and methods."""
    for name, method in METHODS.items():
        setattr(cls, name, method)
    cls.__hash__ = None  # __eq__ is elementwise, so not hashable, as ndarray
