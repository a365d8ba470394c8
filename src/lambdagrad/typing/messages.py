"""Wording of type errors: the node printed (shortened) and its location in the source."""

from __future__ import annotations

from ..errors import TypeInferenceError
from ..ir.expr import Expr, GlobalVar, Var

MAX_NODE_CHARS = 120


def show(node: Expr) -> str:
    """`node` in the text format, on one line and cut to a readable length."""
    text = " ".join(str(node).split())
    if len(text) > MAX_NODE_CHARS:
        return text[: MAX_NODE_CHARS - 3] + "..."
    return text


def name_of(node: Expr) -> str:
    """How to refer to `node` in a sentence: ``%x``, ``@f`` or the printed node."""
    if isinstance(node, Var):
        return "%" + node.name_hint
    if isinstance(node, GlobalVar):
        return "@" + node.name_hint
    return show(node)


def type_error(message: str, node: Expr | None, span=None) -> TypeInferenceError:
    """A TypeInferenceError for `message`, located at `node` (or `span`) and showing it.

    A node without a span (an op is one shared node) leaves the error for `located` to place
    at the nearest enclosing node that has one.

    >>> str(type_error("bad", None))
    'bad'
    """
    if node is None:
        return TypeInferenceError(message)
    span = node.span or span
    lines = [message]
    if span:
        lines.append(f"  at line {span[0]}, column {span[1]}")
    lines.append(f"  in: {show(node)}")
    error = TypeInferenceError("\n".join(lines))
    error.unlocated = None if span else (message, node)
    return error


def located(error: TypeInferenceError, enclosing: Expr) -> TypeInferenceError:
    """`error` at the location of `enclosing` if it has none yet and `enclosing` has one."""
    pending = getattr(error, "unlocated", None)
    if pending is None or enclosing.span is None:
        return error
    message, node = pending
    return type_error(message, node, enclosing.span)


def fill(template: str, actual, expected) -> str:
    """`template` with ``{actual}`` and ``{expected}`` replaced by the types' text; no other
    braces are read, so program text quoted in it (``fn (%a) { %a }``) is kept as it is.

    >>> fill("{actual} vs {expected} in { %a }", "int32", "float32")
    'int32 vs float32 in { %a }'
    """
    return template.replace("{actual}", str(actual)).replace("{expected}", str(expected))
