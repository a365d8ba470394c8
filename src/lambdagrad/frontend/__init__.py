"""`lg.jit`: Python source to IR, with control flow, recursion, closures and ADTs.

A jitted function's source is translated into an IR module (its ``@main`` is the function),
type-checked and compiled once per signature of argument types. See `jit`, `adt` and `List`.
"""

from .adts import ADT, ConstructorHandle, List, Option, Tree, adt
from .errors import JitError
from .jit import IRFunction, JitFunction, jit

__all__ = [
    "ADT",
    "ConstructorHandle",
    "IRFunction",
    "JitError",
    "JitFunction",
    "List",
    "Option",
    "Tree",
    "adt",
    "jit",
]
