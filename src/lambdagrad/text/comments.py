"""Comments of the text format: ``// to the end of the line`` and ``/* block */``.

Block comments nest as in Relay (``/* a /* b */ c */`` is one comment), which no regular
expression can match, so comments are found by this scan before the grammar runs. The scan
blanks them out (newlines kept, so every line and column stays where it was) and returns them
for ``lambdagrad fmt``, which prints them back.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from .syntax import SyntaxProblem

# A string literal (skipped whole: `"/*"` opens no comment), a line comment, or `/*`.
_OUTSIDE = re.compile(r'"(?:\\.|[^"\\\n])*"|//[^\n]*|/\*')
_INSIDE = re.compile(r"/\*|\*/")


@dataclass(frozen=True)
class Comment:
    """One comment: where it starts, its text, and whether code precedes it on its line.

    The text's later lines (of a block comment) lose the indentation of its first line, so
    that the printer can indent the comment as a whole.
    """

    line: int
    column: int
    text: str
    trailing: bool


def strip_comments(text: str) -> tuple[str, list[Comment]]:
    """`text` with every comment blanked out, and the comments in order.

    >>> blank, found = strip_comments("1 /* a /* b */ c */ + 2 // two")
    >>> blank.rstrip(), [c.text for c in found]
    ('1                   + 2', ['/* a /* b */ c */', '// two'])
    """
    pieces, comments, pos = [], [], 0
    locate = _Locator(text)
    while match := _OUTSIDE.search(text, pos):
        start = match.start()
        if match.group().startswith('"'):
            pieces.append(text[pos : match.end()])
            pos = match.end()
            continue
        line, column = locate(start)
        if match.group().startswith("//"):
            end = match.end()
        else:
            end = _block_end(text, start, (line, column))
        pieces.append(text[pos:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        comments.append(_comment(text, start, end, line, column))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), comments


def _comment(text: str, start: int, end: int, line: int, column: int) -> Comment:
    """The comment at `start`, its later lines without the indentation of its first line."""
    before = text[start - column + 1 : start]
    indent = len(before) - len(before.lstrip())
    body = re.sub("\n" + " " * indent, "\n", text[start:end])
    return Comment(line, column, body, bool(before.strip()))


def _block_end(text: str, start: int, place: tuple[int, int]) -> int:
    """The end of the block comment opening at `start`, counting nested ``/* */`` pairs."""
    depth, pos = 1, start + 2
    while depth:
        match = _INSIDE.search(text, pos)
        if match is None:
            raise SyntaxProblem("unterminated block comment (no closing */)", place)
        depth += 1 if match.group() == "/*" else -1
        pos = match.end()
    return pos


class _Locator:
    """(line, column) of increasing offsets, counting newlines only once (linear overall)."""

    def __init__(self, text: str):
        self.text, self.offset, self.line = text, 0, 1

    def __call__(self, offset: int) -> tuple[int, int]:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line, offset - self.text.rfind("\n", 0, offset)


class CommentQueue:
    """Comments waiting to be printed, taken in source order as the printer reaches items."""

    def __init__(self, comments=(), result_spans=None, block_ends=None):
        self.pending = deque(comments)
        # the parser's, by block key: see `Resolver.result_spans` and `Resolver.block_ends`
        self.result_spans = result_spans or {}
        self.block_ends = block_ends or {}

    def place(self, lines: list[str], span) -> None:
        """Add to `lines` the comments that precede `span` in the source.

        A trailing comment goes at the end of the last line, which is followed by a line break
        (by a next item, or by the closing brace of a block whose end is recorded), so code
        never follows a ``//`` comment; others get lines of their own.
        """
        if span is None:  # a node built in Python, not read from text
            return
        while self.pending and (self.pending[0].line, self.pending[0].column) < tuple(span):
            self._put(lines, self.pending.popleft())

    def place_rest(self, lines: list[str]) -> None:
        """Add to `lines` every comment not yet printed."""
        while self.pending:
            self._put(lines, self.pending.popleft())

    @staticmethod
    def _put(lines: list[str], comment: Comment) -> None:
        if comment.trailing and lines:
            lines[-1] += " " + comment.text
        else:
            lines.append(comment.text)
