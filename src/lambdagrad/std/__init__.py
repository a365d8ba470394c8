"""The standard prelude: List, Option, Tree, nat and their functions, in the text format.

``lg.parse(text, prelude=True)`` puts these definitions in scope.
"""

from importlib.resources import files


def prelude_source() -> str:
    """The text of ``prelude.rly``.

    >>> "type List[A]" in prelude_source()
    True
    """
    return files(__name__).joinpath("prelude.rly").read_text(encoding="utf-8")
