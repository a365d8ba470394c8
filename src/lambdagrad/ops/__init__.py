"""The operator library: one record per op (see registry.py)."""

from . import tensor
from .registry import AttrSpec, OpDef, OpTypeError, all_op_defs, make_call, op_def, register_op

__all__ = [
    "tensor",
    "AttrSpec",
    "OpDef",
    "OpTypeError",
    "all_op_defs",
    "make_call",
    "op_def",
    "register_op",
]
