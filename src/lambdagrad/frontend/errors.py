"""Errors of the front end, located in the user's Python source.

IR nodes built from Python carry the Python line and column as their span, so the type
checker's and the executors' messages (``at line L, column C``) already name the right line;
`relocate` adds the file name and the line's text to such a message.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..errors import Error


class JitError(Error):
    """A Python construct `lg.jit` cannot translate, or a misuse of a jitted function."""


class UnknownTypeError(JitError):
    """Translation needed a type it does not know yet (a recursive call's result): the
    program retries once assuming the type the function's other returns have."""


@dataclass(frozen=True)
class Source:
    """The source of one Python function: its file, first line and text lines."""

    filename: str
    first_line: int
    lines: tuple[str, ...]

    def text(self, line: int) -> str:
        """The text of (absolute) `line`, stripped; empty when it is not in this function."""
        index = line - self.first_line
        return self.lines[index].strip() if 0 <= index < len(self.lines) else ""

    def error(self, node: ast.AST, message: str, kind: type = JitError) -> JitError:
        """A JitError (or subclass `kind`) for `message` at `node`: file, line, text."""
        line = getattr(node, "lineno", self.first_line)
        return kind(f"{message}\n  at {self.where(line)}")

    def where(self, line: int) -> str:
        return f'File "{self.filename}", line {line}: {self.text(line)}'


_AT_LINE = re.compile(r"at line (\d+), column (\d+)")


def relocate(err: Error, sources: list[Source]) -> Error:
    """`err` again, with the file and text of the Python line its message points at.

    Lines are looked up in `sources` (the functions a module was translated from); a
    message without a location is returned unchanged.
    """
    message = str(err)
    if type(err).__init__ is not Exception.__init__:  # e.g. ParseError: keep as it is
        return err
    found = _AT_LINE.search(message)
    if found is None:
        return err
    line = int(found.group(1))
    places = [s.where(line) for s in sources if s.text(line)]
    if not places:
        return err
    located = message[: found.start()] + " or ".join(places) + message[found.end() :]
    return type(err)(located)
