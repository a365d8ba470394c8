"""The README's Python examples run as written."""

import linecache
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 2


def test_the_python_examples_run_in_order():
    """Later blocks continue earlier ones (they share names), as a reader runs them."""
    namespace: dict = {}
    for index, block in enumerate(BLOCKS):
        name = f"<README.md block {index}>"
        # lg.jit reads a function's source: let inspect find it for code that has no file
        linecache.cache[name] = (len(block), None, block.splitlines(True), name)
        exec(compile(block, name, "exec"), namespace)


def test_the_readme_links_every_page_of_the_docs():
    """As the site's navigation lists them (test_docs checks the navigation has every page)."""
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README.read_text(encoding="utf-8")))
    assert linked == {page.name for page in (ROOT / "docs").glob("*.md")}
