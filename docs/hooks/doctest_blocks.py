"""A griffe extension for the API reference: doctest examples in docstrings become code blocks.

The docstrings' examples are plain ``>>>`` lines (pytest runs them as doctests); Markdown would
run them together into one paragraph, so each run of lines from a ``>>>`` to the next blank
line is fenced as a Python console block before mkdocstrings renders the docstring.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """`text` with each doctest example fenced.

    >>> fence_doctests("Doubles.\\n\\n>>> 2 * 2\\n4").splitlines()
    ['Doubles.', '', '```pycon', '>>> 2 * 2', '4', '```']
    """
    out, inside = [], False
    for line in text.splitlines():
        if not inside and line.lstrip().startswith(">>>"):
            out.append("```pycon")
            inside = True
        elif inside and not line.strip():
            out.append("```")
            inside = False
        out.append(line)
    return "\n".join(out + (["```"] if inside else []))


class DoctestBlocks(griffe.Extension):
    """Fences the doctest examples of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
