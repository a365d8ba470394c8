"""MkDocs hooks: the parts of the docs that the code itself prints, computed at build time.

A page asks for generated content with a directive on a line of its own,
``<!-- lambdagrad: KIND ARGUMENTS -->``:

- ``run lambdagrad ARGS``: the command's output (in-process), under the command line.
- ``pictures FILE.rly``: @main, its raw gradient and its optimized gradient side by side.
- ``eval EXPR``: a text-format expression (prelude in scope) and the value it evaluates to.
- ``signature NAME``: the type of the prelude's @NAME and the comment above its definition.
- ``grammar``: the parser's grammar file; ``pipeline``: the optimizer's list of passes.

The operator reference (``ops.md``) is generated whole from the op records. Nothing generated
is committed; `mkdocs build --strict` fails on any warning, including a prelude function
that the page of the prelude forgets.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import shlex
from functools import partial
from pathlib import Path

import numpy as np
from mkdocs.structure.files import File

import lambdagrad as lg
from lambdagrad.cli import main as cli_main
from lambdagrad.ir.types import DTYPES
from lambdagrad.ops import all_op_defs
from lambdagrad.ops.gradients import jvp_of
from lambdagrad.ops.registry import REQUIRED, make_call
from lambdagrad.runtime.values import value_text

LOG = logging.getLogger("mkdocs.hooks.lambdagrad")
ROOT = Path(__file__).resolve().parents[2]  # the repository: commands run from here
SRC = ROOT / "src" / "lambdagrad"
DIRECTIVE = re.compile(r"^<!-- lambdagrad: ([\w-]+) ?(.*?) -->$", re.M)
# each picture: its name, its caption and the `lambdagrad dot` options that draw it
PICTURE_KINDS = (
    ("program", "@main", []),
    ("raw", "raw gradient", ["--gradient", "--no-optimize"]),
    ("optimized", "optimized", ["--gradient"]),
)

_signatures_shown: set[str] = set()


def on_files(files, config):
    """Add the operator reference and the pictures the pages ask for."""
    files.append(File.generated(config, "ops.md", content=ops_reference()))
    programs = {
        argument
        for page in files.documentation_pages()
        for kind, argument in DIRECTIVE.findall(page.content_string)
        if kind == "pictures"
    }
    for program in sorted(programs):
        for name, svg in pictures(program).items():
            files.append(File.generated(config, name, content=svg))
    return files


def on_page_markdown(markdown, page, config, files):
    """Replace each directive with what it asks for."""
    depth = page.url.count("/")  # pictures/ sits at the top of the site; page.url is "ad/"
    return DIRECTIVE.sub(lambda m: expand(m.group(1), m.group(2), depth), markdown)


def on_post_build(config):
    missing = sorted(set(prelude_types()) - _signatures_shown)
    if missing:
        LOG.warning("the prelude page does not show: %s", ", ".join(missing))


def expand(kind: str, argument: str, depth: int) -> str:
    if kind == "run":
        return run_command(argument)
    if kind == "pictures":
        return pictures_html(argument, "../" * depth)
    if kind == "eval":
        return evaluate(argument)
    if kind == "signature":
        return signature(argument)
    if kind == "grammar":
        return fence((SRC / "text" / "grammar.lark").read_text(encoding="utf-8"))
    if kind == "pipeline":
        return fence(pipeline_source(), "python")
    LOG.warning("unknown docs directive %r", kind)
    return ""


def fence(text: str, language: str = "text") -> str:
    return f"```{language}\n{text.rstrip()}\n```"


# ---- commands


def run_command(command: str) -> str:
    """``$ command`` and what it prints (the CLI run in this process, from the repository)."""
    words = shlex.split(command)
    if words[:1] != ["lambdagrad"]:
        LOG.warning("run: only lambdagrad commands run, not %r", command)
        return ""
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = cli_main(words[1:])
    if status != 0:
        LOG.warning("%s exited with %d: %s", command, status, out.getvalue())
    return fence(f"$ {command}\n{out.getvalue()}")


def pipeline_source() -> str:
    """The optimizer's PIPELINE list with its comments, from the source."""
    source = (SRC / "transform" / "pipeline.py").read_text(encoding="utf-8")
    start = source.index("PIPELINE = [")
    return source[start : source.index("\n]\n", start) + 2]


# ---- pictures


def picture_name(program: str, kind: str) -> str:
    return f"pictures/{Path(program).stem}-{kind}.svg"


def pictures(program: str) -> dict[str, bytes]:
    """The three pictures of `program` (a path from the repository), by their site path."""
    result = {}
    for kind, _, extra in PICTURE_KINDS:
        out = io.StringIO()
        with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
            status = cli_main(["dot", program, *extra])
        if status != 0:
            LOG.warning("lambdagrad dot %s failed", program)
            continue
        result[picture_name(program, kind)] = _svg(lg.analysis.render(out.getvalue()))
    return result


def _svg(data: bytes) -> bytes:
    """The SVG element alone (Graphviz adds an XML prolog and a doctype)."""
    return data[data.index(b"<svg") :]


def pictures_html(program: str, prefix: str) -> str:
    figures = "\n".join(
        f'<figure style="flex: 1; margin: 0"><a href="{prefix}{picture_name(program, kind)}">'
        f'<img src="{prefix}{picture_name(program, kind)}" alt="{caption} of {program}"></a>'
        f"<figcaption>{caption} (click to enlarge)</figcaption></figure>"
        for kind, caption, _ in PICTURE_KINDS
    )
    return f'<div style="display: flex; gap: 1em; align-items: flex-start">\n{figures}\n</div>'


# ---- the prelude


def prelude_module() -> lg.IRModule:
    return lg.parse("", prelude=True)


def prelude_types() -> dict[str, str]:
    typed = lg.transform.infer_type(prelude_module())
    return {g.name_hint: str(typed[g].checked_type) for g in typed.functions}


def prelude_comments() -> dict[str, str]:
    """The ``//`` comment lines right above each ``def @name`` of prelude.rly."""
    comments, block = {}, []
    for line in (SRC / "std" / "prelude.rly").read_text(encoding="utf-8").splitlines():
        if line.startswith("//"):
            block.append(line[2:].strip())
            continue
        name = re.match(r"def @(\w+)", line)
        if name:
            comments[name.group(1)] = " ".join(block)
        block = []
    return comments


def signature(name: str) -> str:
    types = prelude_types()
    if name not in types:
        LOG.warning("signature: the prelude has no @%s", name)
        return ""
    _signatures_shown.add(name)
    comment = prelude_comments().get(name, "")
    return f"`@{name}: {types[name]}`" + (f"\n\n{comment}" if comment else "")


def evaluate(expr: str) -> str:
    """`expr` and its value, run by the interpreter with the prelude."""
    try:
        mod = lg.parse(f"def @main() {{ {expr} }}", prelude=True)
        result_type = lg.transform.infer_type(mod)["main"].checked_type.ret_type
        value = lg.create_executor(mod=mod).evaluate()()
    except lg.Error as err:
        LOG.warning("eval %s: %s", expr, err)
        return ""
    first, *rest = f"{show(value)} : {result_type}".splitlines()
    return fence("\n".join([expr, f"// => {first}", *(f"//    {line}" for line in rest)]))


def show(value) -> str:
    """A value in the text format, as `lambdagrad run` prints it (arrays to 4 digits)."""
    return value_text(value, partial(np.array2string, precision=4, separator=", "))


# ---- the operator reference


def ops_reference() -> str:
    records = sorted(all_op_defs(), key=lambda d: d.op.name)
    lines = [
        "# Operator reference",
        "",
        "Generated from the operator records (`lambdagrad.ops.all_op_defs()`) when the site is "
        "built. Build a call with `lg.op.NAME(...)` (`lg.op.nn.dense`, ...) in Python, "
        "`NAME(...)` in the text format, or through the numpy names of `lambdagrad.numpy`. "
        "What is marked *derived* was computed from the record: the type relation applied to "
        "sample float32 inputs `%x0`, `%x1`, ... (vectors, else matrices, ...), and the "
        "gradient and forward rules applied to them with output gradient `%g` and tangents "
        "`%t0`, `%t1`, ...",
        "",
        "| op | inputs | attributes |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| [`{d.op.name}`](#{anchor(d.op.name)}) | {d.num_inputs} | {', '.join(d.attrs) or ''} |"
        for d in records
    ]
    for record in records:
        lines += ["", *op_section(record)]
    return "\n".join(lines) + "\n"


def anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "", name.replace(".", "").lower())


def op_section(record) -> list[str]:
    name = record.op.name
    inputs = ", ".join(f"x{i}" for i in range(record.num_inputs))
    attrs = ", ".join(f"{a}={_default(s.default)}" for a, s in record.attrs.items())
    lines = [
        f"## {name} {{#{anchor(name)}}}",
        "",
        f"`{name}({', '.join(filter(None, [inputs, attrs]))})`",
    ]
    lines += _paragraph(record.doc or _own_doc(record.impl))
    lines += _attributes(record)
    lines += _paragraph(_doc(record.type_rel), "Type")
    signature, grads, tangent = derived_rules(record)
    if signature:
        lines += ["", f"Example type (*derived*): `{signature}`"]
    dtypes = accepted_dtypes(record)
    if dtypes:
        lines += ["", f"Dtypes (*derived*, all inputs alike): {', '.join(dtypes)}"]
    lines += _paragraph(_doc(record.gradient), "Gradient")
    if grads:
        per_input = [f"// the gradient of x{i}\n{g}" for i, g in enumerate(grads)]
        lines += ["", "Gradient (*derived*):", "", fence("\n".join(per_input))]
    if record.jvp_source:
        source = record.jvp_source[0].upper() + record.jvp_source[1:]
        lines += _paragraph(f"{source}. {_doc(record.jvp)}".strip(), "Forward rule")
    if tangent:
        lines += ["", "Forward rule (*derived*):", "", fence(tangent)]
    return lines


def _doc(fn) -> str:
    return " ".join((getattr(fn, "__doc__", None) or "").split())


def _own_doc(impl) -> str:
    """The docstring of an implementation written here; numpy's functions say numpy things."""
    borrowed = getattr(np, getattr(impl, "__name__", ""), None)
    return "" if borrowed is not None and borrowed.__doc__ == impl.__doc__ else _doc(impl)


def _default(value) -> str:
    return "required" if value is REQUIRED else repr(value)


def _paragraph(text: str, label: str = "") -> list[str]:
    if not text:
        return []
    return ["", f"**{label}.** {text}" if label else text]


def _attributes(record) -> list[str]:
    if not record.attrs:
        return []
    rows = [
        f"| `{a}` | {s.kind} | `{_default(s.default)}` | "
        f"{', '.join(map(repr, s.choices)) if s.choices else ''} |"
        for a, s in record.attrs.items()
    ]
    return ["", "| attribute | kind | default | choices |", "| --- | --- | --- | --- |", *rows]


SAMPLE_SHAPES = ((3,), (3, 3), (2, 3, 3), (1, 2, 4, 4))  # vectors first, then what ops need


def typed_call(record, shape, dtype="float32"):
    """A type-checked call of the op on inputs of `shape` and `dtype`, or None."""
    xs = [lg.var(f"x{i}", shape=shape, dtype=dtype) for i in range(record.num_inputs)]
    try:
        return lg.transform.infer_type(lg.Function(xs, make_call(record.op.name, xs))).body
    except lg.Error:  # the op wants other inputs (integers, other ranks, tuples)
        return None


def derived_rules(record) -> tuple[str, list[str], str]:
    """The op's type, gradient and forward rule on float32 inputs of the first sample shape
    it takes, as text; empty for ops that need an attribute or other inputs."""
    if any(spec.default is REQUIRED for spec in record.attrs.values()):
        return "", [], ""
    call = next(filter(None, (typed_call(record, s) for s in SAMPLE_SHAPES)), None)
    if call is None:
        return "", [], ""
    out_grad = lg.var("g", call.checked_type)
    tangents = [lg.var(f"t{i}", a.checked_type) for i, a in enumerate(call.args)]
    grads = [str(g) for g in record.gradient(call, out_grad)] if record.gradient else []
    inputs = ", ".join(str(a.checked_type) for a in call.args)
    signature = f"{record.op.name}({inputs}) -> {call.checked_type}"
    return signature, grads, str(jvp_of(record.op)(call, tangents))


def accepted_dtypes(record) -> list[str]:
    """The dtypes the op's type relation accepts when every input has that dtype."""
    if any(spec.default is REQUIRED for spec in record.attrs.values()):
        return []
    shape = next((s for s in SAMPLE_SHAPES if typed_call(record, s) is not None), None)
    return [d for d in DTYPES if shape and typed_call(record, shape, d) is not None]
