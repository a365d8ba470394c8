"""The documentation site: it builds with warnings as errors, and its examples run.

Python blocks of each page run in order (later blocks continue earlier ones, as a reader runs
them); blocks marked ``relay`` are whole modules that must parse and type-check.
"""

import contextlib
import doctest
import importlib.util
import io
import linecache
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import lambdagrad as lg
from lambdagrad import cli

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def load_hook(name: str):
    """docs/hooks/NAME.py as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=lambda p: p.name)
def test_python_examples_run(page):
    namespace: dict = {}
    for index, block in enumerate(blocks(page, "python")):
        name = f"<{page.name} block {index}>"
        # lg.jit reads a function's source: let inspect find it for code that has no file
        linecache.cache[name] = (len(block), None, block.splitlines(True), name)
        exec(compile(block, name, "exec"), namespace)


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "relay")], ids=lambda p: p.name)
def test_text_format_examples_type_check(page):
    for block in blocks(page, "relay"):
        lg.transform.infer_type(lg.parse(block, prelude=True))


def test_pages_point_inside_the_repository():
    for page in [*PAGES, ROOT / "README.md", ROOT / "mkdocs.yml"]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), page.name
        # nor out of the repository by a path (the team's notes are no user's documentation)
        assert not re.search(r"\.\./\.\.|\]\(\.\./|/work/|DESIGN\.md", text), page.name


def test_the_names_the_pages_use_exist():
    """Every ``lg.NAME...`` and ``lnp.NAME`` in README and docs is an attribute of the package
    (upper-case words such as ``lg.op.NAME`` are placeholders)."""
    import lambdagrad.numpy as lnp

    missing = []
    for page in [ROOT / "README.md", *PAGES]:
        text = page.read_text(encoding="utf-8")
        for root, path in re.findall(r"\b(lg|lnp)\.([A-Za-z_][\w.]*\w)", text):
            obj = lg if root == "lg" else lnp
            for part in path.split("."):
                obj = getattr(obj, part, None) if not part.isupper() else obj
            if obj is None:
                missing.append(f"{page.name}: {root}.{path}")
    assert missing == []


def test_every_code_block_is_of_a_kind_the_suite_checks():
    """python blocks run, relay blocks type-check, sh blocks' commands are checked below."""
    for page in [ROOT / "README.md", *PAGES]:
        text = page.read_text(encoding="utf-8")
        kinds = re.findall(r"^```(\w*)\n.*?^```$", text, re.M | re.S)
        assert set(kinds) <= {"python", "relay", "sh"}, page.name


def shell_lines() -> list[str]:
    """The command lines of the ``sh`` blocks of README and docs, comments dropped."""
    lines = []
    for page in [ROOT / "README.md", *PAGES]:
        for block in blocks(page, "sh"):
            lines += [line.split("#")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def lambdagrad_commands() -> list[list[str]]:
    """``lambdagrad ...`` as the sh blocks and inline code of README and docs write it, on a
    file of the repository (``FILE.rly`` and ``prog.rly`` are placeholders)."""
    pages = [ROOT / "README.md", *PAGES]
    spans = re.findall(r"`(lambdagrad [^`]*)`", "".join(p.read_text() for p in pages))
    commands = []
    for line in [*shell_lines(), *spans]:
        for part in line.split("&&"):
            words = shlex.split(part.strip().removeprefix(".venv/bin/"))
            real = words[:1] == ["lambdagrad"] and len(words) > 2 and (ROOT / words[2]).is_file()
            if real and words[1:] not in commands:
                commands.append(words[1:])
    return commands


def test_the_shell_blocks_name_files_of_the_repository():
    """So that each of their lambdagrad commands runs below."""
    for line in shell_lines():
        for part in line.split("&&"):
            words = shlex.split(part.strip().removeprefix(".venv/bin/"))
            if words[:1] == ["lambdagrad"]:
                assert (ROOT / words[2]).is_file(), line


@pytest.mark.parametrize("argv", lambdagrad_commands(), ids=" ".join)
def test_the_commands_the_pages_show_run(argv, tmp_path, monkeypatch, capsys):
    argv = list(argv)
    if "-o" in argv:
        if argv[argv.index("-o") + 1].endswith(".svg") and shutil.which("dot") is None:
            pytest.skip("drawing SVG needs Graphviz's dot")
        argv[argv.index("-o") + 1] = str(tmp_path / argv[argv.index("-o") + 1])
    monkeypatch.chdir(ROOT)
    assert cli.main(argv) == 0, capsys.readouterr().err
    if "-o" in argv:
        assert Path(argv[argv.index("-o") + 1]).stat().st_size > 0


def test_the_example_scripts_take_the_options_the_pages_show():
    for line in shell_lines():
        words = shlex.split(line)
        if words[:1] in (["python"], ["python3"]) and words[1].startswith("examples/"):
            source = (ROOT / words[1]).read_text(encoding="utf-8")
            assert [w for w in words[2:] if w.startswith("--") and f'"{w}"' not in source] == []


def test_the_extras_the_pages_install_exist():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    text = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *PAGES])
    named = re.findall(r'"\.\[([\w,]+)\]"', text) + re.findall(r"`(\w+)` extra", text)
    assert len(named) >= 4
    assert sorted({e for n in named for e in n.split(",")} - set(extras)) == []


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert [p.name for p in PAGES if f": {p.name}" not in nav] == []


def command_help(*argv: str) -> str:
    """What ``lambdagrad ARGV --help`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return out.getvalue()


def test_the_command_page_names_every_command_and_option():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = re.findall(r"^    (\w+)  ", command_help(), re.M)
    assert "--version" in command_help() and "`lambdagrad --version`" in page
    assert "`--no-prelude`" in page  # every command takes it
    assert len(commands) == 6
    for command in commands:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{command}` |"))
        options = set(re.findall(r"(--[a-z][\w-]*)", command_help(command)))
        missing = sorted(o for o in options - {"--help", "--no-prelude"} if f"`{o}" not in row)
        assert missing == [], command


@pytest.fixture(scope="module")
def hooks():
    return load_hook("generate")


def test_docstring_examples_of_the_api_reference_become_code_blocks():
    module = load_hook("doctest_blocks")
    assert doctest.testmod(module).failed == 0
    fenced = module.fence_doctests("Text.\n\n    >>> 1 + 1\n    2\n\nMore text.")
    assert fenced == "Text.\n\n```pycon\n    >>> 1 + 1\n    2\n```\n\nMore text."


def test_the_operator_reference_covers_every_op(hooks):
    reference = hooks.ops_reference()
    for record in lg.ops.all_op_defs():
        assert f"## {record.op.name} {{#" in reference


def test_the_operator_reference_derives_formulas_from_the_rules(hooks):
    section = "\n".join(hooks.op_section(lg.ops.op_def("multiply")))
    assert "multiply(%g, %x1)" in section and "multiply(%g, %x0)" in section
    assert "add(multiply(%t0, %x1), multiply(%t1, %x0))" in section


def test_eval_shows_the_value_and_its_type(hooks):
    shown = hooks.evaluate("@map(fn (%x: int32) { %x * 2 }, Cons(1, Cons(2, Nil)))")
    assert "// => Cons(2, Cons(4, Nil)) : List[int32]" in shown  # the text format, as run prints


def test_the_prelude_page_shows_every_prelude_function(hooks, caplog):
    page = (DOCS / "prelude.md").read_text(encoding="utf-8")
    shown = re.findall(r"<!-- lambdagrad: signature (\w+) -->", page)
    assert sorted(shown) == sorted(hooks.prelude_types())
    hooks._signatures_shown.clear()  # as if the page showed none: the build warns
    hooks.on_post_build({})
    assert "the prelude page does not show" in caplog.text and "sum_float32" in caplog.text


def test_every_directive_of_the_pages_expands_without_a_warning(hooks, caplog):
    """What the site build checks, minus the pictures (they need Graphviz's dot)."""
    for page in PAGES:
        for kind, argument in hooks.DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            if kind != "pictures":
                assert hooks.expand(kind, argument, 1), f"{page.name}: {kind} {argument}"
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == []


def test_directive_mistakes_are_warnings(hooks, caplog):
    assert hooks.evaluate("@nope(1)") == ""
    assert hooks.signature("nope") == ""
    assert hooks.expand("nonsense", "", 0) == ""
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 3


@pytest.mark.skipif(shutil.which("dot") is None, reason="the pictures need Graphviz's dot")
def test_the_site_builds_with_warnings_as_errors(tmp_path):
    site = tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "nn.dense" in (site / "ops" / "index.html").read_text(encoding="utf-8")
    assert (site / "pictures" / "square_tanh-raw.svg").read_text().startswith("<svg")
    for kind in ("program", "optimized"):  # beside the raw gradient, as the AD page shows them
        assert (site / "pictures" / f"square_tanh-{kind}.svg").read_text().startswith("<svg")
    ad = (site / "ad" / "index.html").read_text(encoding="utf-8")
    assert "ref_write" in ad and "gradient check passed" in ad  # programs the tool printed
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<pre[^>]*><code[^>]*>&gt;&gt;&gt; import lambdagrad", api)
    assert '<img src="../pictures/square_tanh-raw.svg"' in ad
