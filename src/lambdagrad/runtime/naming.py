"""Fresh Python identifiers for generated code.

Names in a program (``%x``, ``@main``, ``Cons``, an op called ``nn.dense``) can hold any
text. Generated source never contains that text: each name becomes a readable prefix made of
its ASCII letters and digits, plus a counter when the prefix is taken or is not a usable
identifier. Prefixes never start with an underscore, so names that do (``_c1``) are free for
the values the runtime binds.
"""

from __future__ import annotations

import keyword
import re

MAX_PREFIX = 24

_NOT_WORD = re.compile(r"[^0-9A-Za-z]+")


class Namer:
    """Hands out distinct identifiers, none of them `reserved`.

    A `child` names the locals of one function: they differ from each other and from every
    name of its parent (the module level), and the parent avoids them in turn, but two
    children may both use ``x``.

    >>> namer = Namer(reserved={"np"})
    >>> [namer.fresh(n) for n in ("x", "x", "np", "if", "__import__('os')", "0", "")]
    ['x', 'x1', 'np1', 'if1', 'import_os', 'v0', 'v']
    >>> namer.fresh("c", private=True), namer.fresh("c", private=True)
    ('_c1', '_c2')
    >>> local = namer.child()
    >>> local.fresh("x"), local.fresh("y"), namer.fresh("y")
    ('x2', 'y', 'y1')
    """

    def __init__(self, reserved=(), parent: Namer | None = None):
        self._used: set[str] = set(reserved)
        self._parent = parent
        self._children_use: set[str] = set()
        self._counts: dict[str, int] = {}  # the last counter tried per prefix

    def child(self) -> Namer:
        return Namer(parent=self)

    def fresh(self, hint: str, private: bool = False) -> str:
        """A new identifier that reads like `hint`; with `private`, one like ``_hint1``."""
        base = ("_" if private else "") + readable(hint)
        count = self._counts.get(base, 1 if private else 0)
        name = _numbered(base, count)
        while not self._free(name):
            count += 1
            name = _numbered(base, count)
        self._counts[base] = count
        self._used.add(name)
        if self._parent is not None:
            self._parent._children_use.add(name)
        return name

    def _free(self, name: str) -> bool:
        if name in self._used or not is_identifier(name):
            return False
        if self._parent is not None:
            return name not in self._parent._used
        return name not in self._children_use


def _numbered(base: str, count: int) -> str:
    if count == 0:
        return base
    return f"{base}{'_' if base[-1].isdigit() else ''}{count}"


def readable(hint: str) -> str:
    """The ASCII letters and digits of `hint`, runs of anything else as one underscore."""
    word = _NOT_WORD.sub("_", hint).strip("_")[:MAX_PREFIX].rstrip("_")
    if not word:
        return "v"
    return "v" + word if word[0].isdigit() else word


def is_identifier(name: str) -> bool:
    """Whether `name` can be bound in Python source: an identifier and not a keyword."""
    return name.isidentifier() and not keyword.iskeyword(name)
