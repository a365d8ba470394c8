"""Program transformations: type inference, AD, normal forms."""

from ..ad import gradient, vjp
from ..typing import infer_type
from .anf import to_anf

__all__ = ["gradient", "infer_type", "to_anf", "vjp"]
