"""The tensor operators: importing this module registers every family's records."""

from . import creation, elementwise, nn, reduce, shape

__all__ = ["creation", "elementwise", "nn", "reduce", "shape"]
