"""The Op node: a primitive operator, looked up by name in the operator registry."""

from __future__ import annotations

from dataclasses import dataclass

from .expr import Expr

_OPS_BY_NAME: dict[str, Op] = {}


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Op(Expr):
    """A primitive operator such as ``add`` or ``nn.dense``; one object per name.

    Rule tables (implementation, type relation, gradient) are keyed by the Op object; the
    name is only for the parser and printer.

    >>> Op.get("add") is Op.get("add")
    True
    """

    name: str

    @staticmethod
    def get(name: str) -> Op:
        """The registered op called `name`; raises ``lg.Error`` naming it if there is none."""
        try:
            return _OPS_BY_NAME[name]
        except KeyError:
            from ..errors import Error

            raise Error(f"unknown operator {name!r}") from None

    @staticmethod
    def exists(name: str) -> bool:
        return name in _OPS_BY_NAME

    @staticmethod
    def create(name: str) -> Op:
        """The op called `name`, made and registered on first use."""
        if name not in _OPS_BY_NAME:
            _OPS_BY_NAME[name] = Op(name)
        return _OPS_BY_NAME[name]

    @staticmethod
    def all_ops() -> list[Op]:
        return list(_OPS_BY_NAME.values())
