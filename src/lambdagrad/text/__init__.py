"""The Relay text format (version 0.0.5): a parser and a printer.

>>> from lambdagrad.text import parse_expr, print_expr
>>> print(print_expr(parse_expr("fn (%x: float32) { %x * 2f }")))
fn (%x: float32) {
  multiply(%x, 2f)
}
"""

from .parser import format_source, parse, parse_expr
from .printer import print_expr, print_module, print_type

__all__ = ["format_source", "parse", "parse_expr", "print_expr", "print_module", "print_type"]
