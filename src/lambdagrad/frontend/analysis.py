"""Facts about Python syntax trees the translation needs: assigned names, early exits."""

from __future__ import annotations

import ast

# Nodes that open a scope of their own: what happens inside them is not this block's.
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.While, ast.AsyncFor)


def assigned_names(stmts: list[ast.stmt]) -> list[str]:
    """Names the statements assign (or define with ``def``), in order of first assignment.

    >>> assigned_names(ast.parse("a = 1\\nfor i in r:\\n    b, c = t\\ndef g(): d = 1").body)
    ['a', 'i', 'b', 'c', 'g']
    """
    names: dict[str, None] = {}
    for stmt in stmts:
        for node in _walk_scope(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names[node.id] = None
            elif isinstance(node, ast.FunctionDef | ast.MatchAs | ast.MatchStar) and node.name:
                names[node.name] = None
    return list(names)


def has_exit(stmts: list[ast.stmt]) -> bool:
    """Whether control may leave the statements early: a return, or a break or continue of
    a loop around them (not of a loop inside them).

    >>> has_exit(ast.parse("for i in r:\\n    break").body), has_exit(ast.parse("return 1").body)
    (False, True)
    """
    stack = [(stmt, False) for stmt in stmts]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, ast.Break | ast.Continue) and not in_loop:
            return True
        if isinstance(node, _SCOPES):
            continue
        inner = in_loop or isinstance(node, _LOOPS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False


def returns_in(stmts: list[ast.stmt]) -> list[ast.Return]:
    """The return statements of the statements (not of functions defined in them)."""
    return [n for stmt in stmts for n in _walk_scope(stmt) if isinstance(n, ast.Return)]


def _walk_scope(node: ast.AST):
    """Like ast.walk, but does not enter nested functions, lambdas or classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(current))))
