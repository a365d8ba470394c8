"""Running programs: values, the reference interpreter, the compiler to Python, executors."""

from .compiler import to_python
from .executor import create_executor
from .values import ConstructorValue, RefValue, list_items, make_list

__all__ = [
    "create_executor",
    "to_python",
    "ConstructorValue",
    "RefValue",
    "list_items",
    "make_list",
]
