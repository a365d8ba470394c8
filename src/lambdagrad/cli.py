"""The ``lambdagrad`` command.

    lambdagrad check FILE.rly   type-check a program and print each global's type
    lambdagrad fmt FILE.rly     print the program in canonical text, keeping its comments
    lambdagrad run FILE.rly     run @main on seeded random inputs (or --arg NAME=VALUE)
    lambdagrad grad FILE.rly    print the gradient program of @main (--check: verify it,
                                --python: print it as the Python the compiled executor runs)
    lambdagrad jvp FILE.rly     print the forward-mode program of @main (the same options)
    lambdagrad dot FILE.rly     draw the program as a graph (--global NAME, --gradient,
                                -o out.svg; DOT text without -o)

The prelude (List, Option, Tree, nat) is in scope unless ``--no-prelude`` is given. Mistakes
in the file print a located message and exit with status 1.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np

from .ad import gradient, jvp
from .ad.api import MODES
from .dotgraph import render, to_dot
from .errors import Error
from .ir.expr import GlobalVar
from .ir.module import IRModule
from .runtime import create_executor, to_python
from .runtime.random_values import random_value
from .runtime.values import value_text
from .testing import check_grad, check_jvp
from .text import format_source, parse
from .transform.pipeline import optimize
from .typing import infer_type


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        text = _read(args.file)
        mod, own = _load(text, prelude=not args.no_prelude)
        args.text = text
        print(args.command(mod, own, args))
        sys.stdout.flush()
    except Error as err:
        print(f"{args.file}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{args.file}: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT, as shells report it
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time flush
        # of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
    return 0


def _seed(text: str) -> int:
    """A --seed value: a non-negative int (numpy's generators take no others)."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"{seed} is negative; a seed is 0 or more")
    return seed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lambdagrad", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"lambdagrad {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name, command, summary in (
        ("check", _check, "type-check FILE and print each global's type"),
        ("fmt", _fmt, "print FILE in canonical text"),
        ("run", _run, "run @main of FILE and print the result"),
        ("grad", _grad, "print the gradient program of @main of FILE"),
        ("jvp", _jvp, "print the forward-mode (jvp) program of @main of FILE"),
        ("dot", _dot, "draw FILE's program (or one global, or its gradient) as a graph"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument("file", metavar="FILE.rly")
        sub.add_argument("--no-prelude", action="store_true", help="do not load the prelude")
        sub.set_defaults(command=command)
        if name == "run":
            _add_input_options(sub)
        if name == "grad":
            sub.add_argument("--mode", choices=MODES, default="higher_order", help="the AD mode")
        if name in ("grad", "jvp"):
            _add_derivative_options(sub)
        if name == "dot":
            _add_dot_options(sub)
    return parser


def _add_dot_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--global", dest="global_name", metavar="NAME", help="draw @NAME only")
    sub.add_argument(
        "--gradient", action="store_true", help="draw the gradient of @NAME (default @main)"
    )
    sub.add_argument("--mode", choices=MODES, default="higher_order", help="the AD mode")
    sub.add_argument(
        "--no-optimize", action="store_true", help="draw the raw gradient, not the optimized one"
    )
    sub.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the picture to OUT (.svg, .png, .pdf need Graphviz; .dot is the text)",
    )


def _add_derivative_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--check",
        action="store_true",
        help="also compare the derivative with finite differences on seeded random inputs",
    )
    sub.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs of --check")
    sub.add_argument(
        "--wrt",
        metavar="NAME,...",
        help="differentiate with respect to these parameters of @main only (default: all)",
    )
    sub.add_argument(
        "--no-optimize", action="store_true", help="print the raw AD output, not the optimized one"
    )
    sub.add_argument(
        "--python",
        action="store_true",
        help="print the derivative as the Python source the compiled executor runs",
    )


def _add_input_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs")
    sub.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of @main as a Python literal (--arg x=[1.0,2.0]) or a value in the "
        "text format (--arg 'xs=Cons(1f, Cons(2f, Nil))')",
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise Error(f"cannot read {path}: {err}") from None


def _load(text: str, prelude: bool) -> tuple[IRModule, IRModule]:
    """The whole module, and the part of it that the file itself defines."""
    mod = parse(text, prelude=prelude)
    if not prelude:
        return mod, mod
    base = parse("", prelude=True)
    own = IRModule(
        {g: f for g, f in mod.functions.items() if g not in base.functions},
        {h: d for h, d in mod.type_definitions.items() if h not in base.type_definitions},
    )
    return mod, own


def _check(mod: IRModule, own: IRModule, args) -> str:
    typed = infer_type(mod)
    lines = [f"@{g.name_hint}: {typed[g].checked_type}" for g in own.functions]
    return "\n".join(lines) or "(no global functions)"


def _fmt(mod: IRModule, own: IRModule, args) -> str:
    return format_source(_read(args.file), prelude=not args.no_prelude).rstrip("\n")


def _run(mod: IRModule, own: IRModule, args) -> str:
    main_fn = infer_type(mod)["main"]
    names = [p.name_hint for p in main_fn.params]
    given = _given_args(args.arg, names, args.text, not args.no_prelude)
    rng = np.random.default_rng(args.seed)
    values = []
    for param in main_fn.params:
        if param.name_hint in given:
            values.append(given[param.name_hint])
            continue
        values.append(random_value(param.checked_type, mod, rng))
        # The inputs it made up go to stderr, so that stdout stays the result alone.
        print(
            f"// %{param.name_hint} = {_show(values[-1])}  (random, --seed {args.seed})",
            file=sys.stderr,
        )
    return _show(create_executor(mod=mod).evaluate()(*values))


def _grad(mod: IRModule, own: IRModule, args) -> str:
    """The gradient of @main and the derived globals it calls, as text."""
    main_fn = mod.get_global_var("main")
    return _derivative(
        mod,
        args,
        "gradient",
        lambda: gradient(main_fn, mod=mod, mode=args.mode, wrt=_wrt(mod, args.wrt)),
        lambda: check_grad(main_fn, mod=mod, mode=args.mode, seed=args.seed),
    )


def _jvp(mod: IRModule, own: IRModule, args) -> str:
    """The forward-mode program of @main and the derived globals it calls, as text."""
    main_fn = mod.get_global_var("main")
    return _derivative(
        mod,
        args,
        "jvp",
        lambda: jvp(main_fn, mod=mod, wrt=_wrt(mod, args.wrt)),
        lambda: check_jvp(main_fn, mod=mod, seed=args.seed),
    )


def _wrt(mod: IRModule, names: str | None) -> tuple[int, ...] | None:
    """The indices of the parameters of @main named in `--wrt` (None: all of them)."""
    if names is None:
        return None
    params = [p.name_hint for p in mod["main"].params]
    wanted = [n.strip().lstrip("%") for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in params]
    if unknown or not wanted:
        raise Error(f"--wrt {names!r}: expected parameter names of @main among {params}")
    return tuple(params.index(n) for n in wanted)


def _derivative(mod: IRModule, args, kind: str, build, check) -> str:
    """Print `build()` (a function that adds derived globals to `mod`) as ``@main_<kind>``
    with those globals, optimized unless asked not to; `check()` raises AssertionError."""
    name = GlobalVar(f"main_{kind}")
    derived = _derived(mod, name, build, not args.no_optimize)
    if args.python:
        whole = mod.copy()
        whole.update(derived)  # the derivative calls globals of the file and the prelude too
        text, comment = to_python(name, mod=whole).rstrip("\n"), "#"
    else:
        text, comment = derived.astext().rstrip("\n"), "//"
    if args.check:
        try:
            check()
        except AssertionError as err:
            raise Error(f"{kind} check failed: {err}") from None
        text += f"\n{comment} {kind} check passed (finite differences on seeded random inputs)"
    return text


def _derived(mod: IRModule, name: GlobalVar, build, optimized: bool) -> IRModule:
    """`build()` as global `name` with the derived globals it adds to `mod`, `optimized`."""
    before, types_before = set(mod.functions), set(mod.type_definitions)
    program = build()
    # the ADTs AD derives too (the split's residuals, forward mode's duals): the text is a
    # module that parses back on its own, with the prelude
    types = {h: d for h, d in mod.type_definitions.items() if h not in types_before}
    derived = IRModule({g: f for g, f in mod.functions.items() if g not in before}, types)
    derived[name] = program
    return _optimized(derived, mod) if optimized else derived


def _dot(mod: IRModule, own: IRModule, args) -> str:
    """The DOT text of the chosen program, or where its picture was written."""
    text = to_dot(_dot_target(mod, own, args))
    if args.output is None:
        return text.rstrip("\n")
    out = Path(args.output)
    fmt = out.suffix.lstrip(".").lower() or "svg"
    data = text.encode("utf-8") if fmt in ("dot", "gv") else render(text, fmt)
    try:
        out.write_bytes(data)
    except OSError as err:
        raise Error(f"cannot write {out}: {err}") from None
    return f"wrote {out}"


def _dot_target(mod: IRModule, own: IRModule, args) -> IRModule:
    """The file's own globals, one of them (--global), or a gradient and its derived globals."""
    if not (args.gradient or args.global_name):
        return own
    global_var = mod.get_global_var(args.global_name or "main")
    if not args.gradient:
        return IRModule({global_var: mod[global_var]})
    name = GlobalVar(f"{global_var.name_hint}_gradient")  # @NAME_grad is a derived global's
    build = partial(gradient, global_var, mod=mod, mode=args.mode)
    return _derived(mod, name, build, not args.no_optimize)


def _optimized(derived: IRModule, mod: IRModule) -> IRModule:
    """The derived functions optimized in the context of the whole module."""
    whole = mod.copy()
    whole.update(derived)
    optimized = optimize(whole)
    return IRModule({g: optimized[g] for g in derived.functions}, derived.type_definitions)


def _given_args(pairs: list[str], names: list[str], text: str, prelude: bool) -> dict:
    given = {}
    for pair in pairs:
        name, sep, literal = pair.partition("=")
        name = name.lstrip("%")
        if not sep or name not in names:
            raise Error(f"--arg {pair!r}: expected NAME=VALUE with NAME one of {names}")
        given[name] = _argument_value(pair, literal, text, prelude)
    return given


def _argument_value(pair: str, literal: str, text: str, prelude: bool):
    """A Python literal, or else an expression in the text format (``Cons(1f, Nil)``),
    evaluated in the program's module so that its types and constructors are known."""
    if len(literal) > MAX_ARG_CHARS:
        raise Error(f"--arg {pair[:40]!r}...: longer than {MAX_ARG_CHARS:,} characters")
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass  # not Python: try the text format
    try:
        mod = parse(f"{text}\ndef @{ARG_GLOBAL}() {{\n{literal}\n}}\n", prelude=prelude)
        return create_executor(mod=mod).evaluate(mod.get_global_var(ARG_GLOBAL))()
    except Error as err:
        first = str(err).splitlines()[0]
        raise Error(
            f"--arg {pair!r}: {literal!r} is neither a Python literal nor a value in the "
            f"text format ({first})"
        ) from None


# Arguments are values typed by hand, not data files; a bound keeps a pathological one
# (50,000 minus signs) from exhausting the parsers.
MAX_ARG_CHARS = 10_000
ARG_GLOBAL = "lambdagrad_cli_argument"


def _version() -> str:
    try:
        return metadata.version("lambdagrad")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _show(value) -> str:
    return value_text(value, partial(np.array2string, precision=6))


if __name__ == "__main__":
    sys.exit(main())
