"""Exhaustiveness of `match`: find a value that no clause's pattern covers.

The search specialises the clause patterns column by column (Maranget's usefulness check):
for a column holding constructor patterns every constructor of the ADT must be covered, for a
tuple column each field in turn, and otherwise the wildcard rows must cover the rest.
"""

from __future__ import annotations

from ..ir.expr import Pattern, PatternConstructor, PatternTuple, PatternWildcard
from ..ir.types import GlobalTypeVar, TypeData

_WILD = PatternWildcard()


def missing_case(patterns: list[Pattern], typedefs: dict[GlobalTypeVar, TypeData]) -> str | None:
    """A value (printed, ``_`` for anything) matched by none of `patterns`, or None.

    >>> missing_case([PatternWildcard()], {}) is None
    True
    """
    witness = _uncovered([[p] for p in patterns], 1, typedefs)
    return None if witness is None else witness[0]


def _uncovered(rows: list[list[Pattern]], width: int, typedefs) -> list[str] | None:
    """Values for the `width` columns that no row covers (None when the rows are exhaustive)."""
    if width == 0:
        return None if rows else []
    heads = [row[0] for row in rows]
    ctor = next((h for h in heads if isinstance(h, PatternConstructor)), None)
    if ctor is not None:
        return _uncovered_constructors(rows, width, typedefs[ctor.constructor.belong_to], typedefs)
    tup = next((h for h in heads if isinstance(h, PatternTuple)), None)
    if tup is not None:
        return _uncovered_tuple(rows, width, len(tup.patterns), typedefs)
    rest = _uncovered([row[1:] for row in rows], width - 1, typedefs)
    return None if rest is None else ["_", *rest]


def _uncovered_constructors(rows, width, data: TypeData, typedefs) -> list[str] | None:
    for ctor in data.constructors:
        arity = len(ctor.inputs)
        specialised = _specialise(rows, arity, ctor.name_hint)
        witness = _uncovered(specialised, arity + width - 1, typedefs)
        if witness is not None:
            args = f"({', '.join(witness[:arity])})" if arity else ""
            return [ctor.name_hint + args, *witness[arity:]]
    return None


def _uncovered_tuple(rows, width, arity: int, typedefs) -> list[str] | None:
    specialised = _specialise(rows, arity, None)
    witness = _uncovered(specialised, arity + width - 1, typedefs)
    if witness is None:
        return None
    return [f"({', '.join(witness[:arity])})", *witness[arity:]]


def _specialise(rows, arity: int, ctor_name: str | None) -> list[list[Pattern]]:
    """The rows that can match `ctor_name` (or a tuple), their first column opened up."""
    return [sub + row[1:] for row in rows if (sub := _open(row[0], arity, ctor_name)) is not None]


def _open(pattern: Pattern, arity: int, ctor_name: str | None) -> list[Pattern] | None:
    """The sub-patterns of `pattern` when it can match constructor `ctor_name` (or a tuple)."""
    if isinstance(pattern, PatternConstructor):
        return list(pattern.patterns) if pattern.constructor.name_hint == ctor_name else None
    if isinstance(pattern, PatternTuple):
        return list(pattern.patterns)
    return [_WILD] * arity  # a variable or wildcard matches every shape
