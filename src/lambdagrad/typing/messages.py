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


def type_error(message: str, node: Expr | None) -> TypeInferenceError:
    """A TypeInferenceError for `message`, located at `node` and showing it.

    >>> str(type_error("bad", None))
    'bad'
    """
    if node is None:
        return TypeInferenceError(message)
    lines = [message]
    if node.span:
        lines.append(f"  at line {node.span[0]}, column {node.span[1]}")
    lines.append(f"  in: {show(node)}")
    return TypeInferenceError("\n".join(lines))
