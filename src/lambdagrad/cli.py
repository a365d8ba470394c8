"""The ``lambdagrad`` command.

    lambdagrad check FILE.rly   type-check a program and print each global's type
    lambdagrad fmt FILE.rly     print the program in canonical text

The prelude (List, Option, Tree, nat) is in scope unless ``--no-prelude`` is given. Mistakes
in the file print a located message and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import Error
from .ir.module import IRModule
from .text import parse
from .typing import infer_type


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        text = _read(args.file)
        mod, own = _load(text, prelude=not args.no_prelude)
        print(args.command(mod, own))
    except Error as err:
        print(f"{args.file}: error: {err}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lambdagrad", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name, command, summary in (
        ("check", _check, "type-check FILE and print each global's type"),
        ("fmt", _fmt, "print FILE in canonical text"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument("file", metavar="FILE.rly")
        sub.add_argument("--no-prelude", action="store_true", help="do not load the prelude")
        sub.set_defaults(command=command)
    return parser


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


def _check(mod: IRModule, own: IRModule) -> str:
    typed = infer_type(mod)
    lines = [f"@{g.name_hint}: {typed[g].checked_type}" for g in own.functions]
    return "\n".join(lines) or "(no global functions)"


def _fmt(mod: IRModule, own: IRModule) -> str:
    return own.astext().rstrip("\n")


if __name__ == "__main__":
    sys.exit(main())
