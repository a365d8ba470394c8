"""`linear_operator`: a function's Jacobian as a scipy LinearOperator, never formed."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .. import numpy as lnp
from .batching import BatchTracer
from .core import TransformError
from .linearize import Linearization, cut, size_of
from .lowered import as_python_function
from .transforms import checked_argnums, is_int, vmap


def linear_operator(fun, *primals, argnums: int = 0) -> LinearOperator:
    """The Jacobian of `fun` at `primals` with respect to argument `argnums`, flattened:
    shape ``(out.size, in.size)``. `fun` runs once; ``matvec`` pushes a tangent forward
    through that recording (forward rules), ``rmatvec`` pulls a cotangent back (gradient
    rules), and ``matmat``/``rmatmat`` do so for all columns in one batched pass. For
    scipy's solvers (gmres, cg, lsqr) and ``minimize(..., hessp=...)``.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> J = lg.linear_operator(lambda x: x * x, np.array([1.0, 2.0]))
    >>> J.matvec(np.array([1.0, 1.0])), J.rmatvec(np.array([1.0, 0.0]))
    (array([2., 4.]), array([2., 0.]))
    """
    if not is_int(argnums):
        raise TransformError(f"linear_operator: argnums must be an int, got {argnums!r}")
    nums = checked_argnums(argnums, primals, "linear_operator")
    lin = Linearization(as_python_function(fun), primals, nums, what="linear_operator")
    ins, outs = lin.in_leaves, lin.out_leaves
    if not outs:
        raise TransformError("linear_operator needs a function with an array result")

    def matvec(v):
        return _flat(lin.push(_pieces(v, ins)))

    def rmatvec(u):
        return _flat(lin.pull(_pieces(u, outs)))

    shape = (sum(size_of(x) for x in outs), sum(size_of(x) for x in ins))
    dtype = np.result_type(*(x.dtype for x in outs))
    return LinearOperator(
        shape,
        matvec=matvec,
        rmatvec=rmatvec,
        matmat=vmap(matvec, in_axes=1, out_axes=1),
        rmatmat=vmap(rmatvec, in_axes=1, out_axes=1),
        dtype=dtype,
    )


def _pieces(vector, like: list) -> list:
    """A flat vector (scipy has checked its length) cut into arrays shaped like `like`."""
    if not isinstance(vector, BatchTracer):
        vector = np.asarray(vector)
    return cut(lnp.reshape(vector, (sum(size_of(x) for x in like),)), like)


def _flat(leaves: list):
    flat = [lnp.ravel(lnp.asarray(x)) for x in leaves]
    return flat[0] if len(flat) == 1 else lnp.concatenate(flat)
