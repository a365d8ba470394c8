"""Placeholder: the type-inference work replaces this with the op families' records."""

from .registry import register_op


def _same_as_first(arg_types, attrs):
    return arg_types[0]


for _name in ("add", "subtract", "multiply", "divide"):
    register_op(_name, 2, _same_as_first)
register_op("negative", 1, _same_as_first)
