"""The Python face's transformations: grad, jvp, vjp, jacobians, hessians, vmap, linear
operators, define-by-run over `lambdagrad.numpy` (see transforms.py)."""

from .core import OpShapeError, TransformError
from .operators import linear_operator
from .transforms import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
    vmap,
)

__all__ = [
    "OpShapeError",
    "TransformError",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linear_operator",
    "value_and_grad",
    "vjp",
    "vmap",
]
