"""Automatic differentiation: op gradient registration and the reverse-mode passes."""

from ..ops.gradients import non_differentiable, register_gradient, zero_gradient
from .api import gradient, vjp

__all__ = ["gradient", "vjp", "non_differentiable", "register_gradient", "zero_gradient"]
