"""Neural-network helpers of `lambdagrad.numpy` (``lnp.nn``), each one registered op.

>>> import numpy as np, lambdagrad.numpy as lnp
>>> lnp.nn.log_softmax(np.array([0.0, 0.0]))
array([-0.69314718, -0.69314718])
"""

from __future__ import annotations

from ..api.core import apply, prim
from ._core import asarray


def relu(x):
    """``max(x, 0)`` elementwise.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return apply(prim("nn.relu"), (asarray(x),))


def sigmoid(x):
    """``1 / (1 + exp(-x))``.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.sigmoid(np.array([0.0]))
    array([0.5])
    """
    return apply(prim("sigmoid"), (asarray(x),))


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along `axis`.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.softmax(np.array([[0.0, 0.0], [0.0, np.log(3.0)]]))
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    return apply(prim("nn.softmax", axis=axis), (asarray(x),))


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along `axis`.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.log_softmax(np.array([0.0, np.log(3.0)]))
    array([-1.38629436, -0.28768207])
    """
    return apply(prim("nn.log_softmax", axis=axis), (asarray(x),))


def logsumexp(x, axis=None, keepdims: bool = False):
    """``log(sum(exp(x)))`` over `axis` (all axes if None), without overflow.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.logsumexp(np.array([1000.0, 1000.0]))
    array(1000.69314718)
    """
    axis = None if axis is None else tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    return apply(prim("logsumexp", axis=axis, keepdims=keepdims), (asarray(x),))


def erf(x):
    """The error function.

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.nn.erf(np.array([0.0, 1.0]))
    array([0.        , 0.84270079])
    """
    return apply(prim("erf"), (asarray(x),))
