"""Automatic differentiation: op rule registration, the reverse-mode passes and forward mode."""

from ..ops.gradients import non_differentiable, register_gradient, register_jvp, zero_gradient
from .api import gradient, vjp
from .forward import jvp

__all__ = [
    "gradient",
    "jvp",
    "vjp",
    "non_differentiable",
    "register_gradient",
    "register_jvp",
    "zero_gradient",
]
