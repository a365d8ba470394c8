"""Neural-network helpers of `lambdagrad.numpy` (``lnp.nn``), each one registered op.

>>> import numpy as np, lambdagrad.numpy as lnp
>>> lnp.nn.log_softmax(np.array([0.0, 0.0]))
array([-0.69314718, -0.69314718])
"""

from __future__ import annotations

from ..api.core import apply, prim
from ._core import asarray


def relu(x):
    return apply(prim("nn.relu"), (asarray(x),))


def sigmoid(x):
    return apply(prim("sigmoid"), (asarray(x),))


def softmax(x, axis: int = -1):
    return apply(prim("nn.softmax", axis=axis), (asarray(x),))


def log_softmax(x, axis: int = -1):
    return apply(prim("nn.log_softmax", axis=axis), (asarray(x),))


def logsumexp(x, axis=None, keepdims: bool = False):
    axis = None if axis is None else tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    return apply(prim("logsumexp", axis=axis, keepdims=keepdims), (asarray(x),))


def erf(x):
    return apply(prim("erf"), (asarray(x),))
