"""The exceptions lambdagrad raises for user mistakes.

Every mistake a user can make (bad text, an ill-typed program, a wrong argument, a missing
gradient) raises a subclass of :class:`Error`, so ``except lg.Error`` catches them all.
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every lambdagrad error caused by user input."""


class ParseError(Error):
    """Text that is not a valid program, located by line and column.

    >>> import lambdagrad as lg
    >>> try:
    ...     lg.parse_expr("add(%x,")
    ... except lg.ParseError as err:
    ...     (err.line, err.column)
    (1, 8)
    """

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0):
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(_located(message, text, line, column))


class TypeInferenceError(Error):
    """A program that does not type-check."""


class GradientError(Error):
    """A program that cannot be differentiated as asked."""


class EvaluationError(Error):
    """A program that failed while running, or was given bad arguments."""


class ZeroGradientWarning(UserWarning):
    """A gradient that is zero because of how the program is written, not because of its
    values: an integer parameter, or a non-differentiable op (``round``, ``sign``, ...)
    between a parameter and the result.

    >>> import warnings, lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32, %n: int32) { %x }")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = lg.transform.gradient(f)
    >>> print(str(caught[0].message).split(":")[1])
     parameter %n has type int32, which holds no floating-point value
    """


def _located(message: str, text: str, line: int, column: int) -> str:
    """Append `line:column` and a caret excerpt of the offending line to `message`."""
    if line <= 0:
        return message
    # Lines as the parser counts them: only "\n" ends one (str.splitlines also splits on
    # form feeds, U+2028 and others, which would show the wrong line).
    lines = text.replace("\r\n", "\n").split("\n")
    source = lines[line - 1] if line <= len(lines) else ""
    source = "".join(c if c.isprintable() else " " for c in source)  # keep the caret aligned
    caret = " " * max(column - 1, 0) + "^"
    return f"{message}\n  at line {line}, column {column}:\n    {source}\n    {caret}"
