"""Parsing the Relay text format: ``parse`` (modules) and ``parse_expr`` (expressions).

Two passes: ``syntax.py`` builds a light syntax tree while lark's LALR parser runs, and
``resolve.py`` binds names in a second pass. Every problem raises ``lg.ParseError`` with the
line, the column and a caret excerpt; no other exception escapes on any input.
"""

from __future__ import annotations

import re
from functools import cache

from ..deep import run_deep
from ..errors import ParseError
from ..ir.expr import Expr
from ..ir.module import IRModule
from .comments import CommentQueue, strip_comments
from .printer import print_module
from .resolve import Resolver
from .syntax import SyntaxProblem, parse_syntax


def parse(text: str, prelude: bool = False) -> IRModule:
    """Parse a module: ``def`` functions and ``type`` definitions, in any order.

    With `prelude`, the standard prelude's types, constructors and functions are in scope and
    part of the returned module.

    >>> mod = parse('''
    ... type Pair[A] { MkPair(A, A) }
    ... def @main(%x: float32) -> Pair[float32] { MkPair(%x, %x) }
    ... ''')
    >>> str(mod["main"].ret_type), mod.get_constructor("MkPair").tag
    ('Pair[float32]', 0)
    """
    return parse_with_base(text, _prelude() if prelude else None)


def parse_expr(text: str) -> Expr:
    """Parse one expression; free ``%names`` become free variables (one per name).

    >>> str(parse_expr("let %y = add(%x, 1f); (%y, %y.0)"))
    'let %y = add(%x, 1f);\\n(%y, %y.0)'
    """
    return _located(text, lambda: Resolver(free=True).expr(_syntax(text, "start_expr")))


def parse_with_base(text: str, base: IRModule | None) -> IRModule:
    """Parse a module with the definitions of `base` in scope; returns base plus the new ones."""

    def work() -> IRModule:
        own = Resolver(base).module(_syntax(text, "start_module"))
        if base is None:
            return own
        combined = base.copy()
        combined.update(own)
        return combined

    return _located(text, work)


def format_source(text: str, prelude: bool = False) -> str:
    """Module `text` in canonical form, its comments kept: what ``lambdagrad fmt`` prints.

    With `prelude`, the prelude's names are in scope; only the text's own definitions print.
    Comments above the version header (a license, say) stay above it.

    >>> print(format_source("// the identity\\ndef @id(%x: int32) { /* itself */ %x }"), end="")
    #[version = "0.0.5"]
    // the identity
    def @id(%x: int32) {
      /* itself */
      %x
    }
    """

    def work() -> str:
        blank, comments = strip_comments(text)
        resolver = Resolver(_prelude() if prelude else None)
        own = resolver.module(parse_syntax(blank, "start_module"))
        header = _header_comments(blank, comments)
        rest = CommentQueue(comments[len(header) :], resolver.result_spans, resolver.block_ends)
        return "".join(c.text + "\n" for c in header) + print_module(own, comments=rest)

    return _located(text, work)


def _header_comments(blank: str, comments: list) -> list:
    """The comments before the version header, when the text starts with one."""
    start = re.search(r"\S", blank)
    if start is None or not blank.startswith("#[version", start.start()):
        return []
    line = blank.count("\n", 0, start.start()) + 1
    column = start.start() - blank.rfind("\n", 0, start.start())
    return [c for c in comments if (c.line, c.column) < (line, column)]


def _syntax(text: str, start: str):
    return parse_syntax(strip_comments(text)[0], start)


def _located(text: str, work):
    if not isinstance(text, str):
        raise ParseError(f"expected program text (a str), got {type(text).__name__}")
    try:
        return run_deep(work)
    except SyntaxProblem as problem:
        line, column = problem.span
        raise ParseError(problem.message, text, line, column) from None


def prelude_module() -> IRModule:
    """The parsed standard prelude, shared: read it, never change it.

    >>> prelude_module()["hd"].span
    (42, 1)
    """
    return _prelude()


@cache
def _prelude() -> IRModule:
    """The parsed prelude, shared read-only: callers always get a copy via `parse_with_base`."""
    from ..std import prelude_source

    return parse_with_base(prelude_source(), None)
