"""Python operators and ndarray methods on followed values, by the functions of `_core`."""

from __future__ import annotations

from . import _core as f


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _reshape(self, *shape):
    return f.reshape(self, shape[0] if len(shape) == 1 else shape)


def _transpose(self, *axes):
    return f.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)


METHODS = {
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
