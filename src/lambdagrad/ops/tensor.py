"""The tensor operators: importing this module registers every family's records."""

from . import convolution, creation, elementwise, indexing, nn, reduce, shape

__all__ = ["convolution", "creation", "elementwise", "indexing", "nn", "reduce", "shape"]
