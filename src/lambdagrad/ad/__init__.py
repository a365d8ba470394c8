"""Automatic differentiation: op rule registration, the reverse-mode passes and forward mode."""

from ..ops.gradients import non_differentiable, register_gradient, register_jvp, zero_gradient
from .api import gradient, vjp
from .forward import jvp
from .linearize import linearize

__all__ = [
    "gradient",
    "jvp",
    "linearize",
    "vjp",
    "non_differentiable",
    "register_gradient",
    "register_jvp",
    "zero_gradient",
]
