"""Running programs: values, the reference interpreter and executors."""

from .executor import create_executor
from .values import ConstructorValue, RefValue, list_items, make_list

__all__ = ["create_executor", "ConstructorValue", "RefValue", "list_items", "make_list"]
