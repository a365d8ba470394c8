"""Placeholder for the text format (parser and printer)."""

from .parser import parse, parse_expr

__all__ = ["parse", "parse_expr"]
