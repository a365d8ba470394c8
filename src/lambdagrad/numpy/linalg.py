"""``lnp.linalg``: norms written with the registered ops.

>>> import numpy as np, lambdagrad.numpy as lnp
>>> float(lnp.linalg.norm(np.array([3.0, 4.0])))
5.0
"""

from __future__ import annotations

from ._core import asarray, multiply, sqrt
from ._core import sum as total


def norm(x, axis=None, keepdims: bool = False):
    """The 2-norm (Frobenius for matrices with axis None).

    >>> import numpy as np, lambdagrad.numpy as lnp
    >>> lnp.linalg.norm(np.array([[3.0, 4.0], [0.0, 0.0]]), axis=1)
    array([5., 0.])
    """
    x = asarray(x)
    return sqrt(total(multiply(x, x), axis=axis, keepdims=keepdims))
