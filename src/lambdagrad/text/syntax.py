"""The syntax pass: text to a light syntax tree, built while the LALR parser runs.

Lark calls `_Build`'s methods as it reduces each rule (the ``transformer=`` option), so no
recursive tree walk happens here: a 20,000-deep nesting or a 100,000-binding block costs no
Python stack. The resulting `Node` tree still holds names as strings; ``resolve.py`` binds them.
Syntax problems raise `SyntaxProblem`, which the parser turns into a located ``ParseError``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .literals import parse_attr_number

VERSION = "0.0.5"
Span = tuple[int, int]


class SyntaxProblem(Exception):
    """A problem found before name resolution, with its location (line, column)."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


class Node:
    """One syntax-tree node: a `kind`, where it starts, and kind-specific `parts`."""

    __slots__ = ("kind", "span", "parts")

    def __init__(self, kind: str, span: Span, *parts):
        self.kind = kind
        self.span = span
        self.parts = parts

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, {self.span}, {self.parts!r})"


def span_of(item) -> Span:
    """Where a token or node starts."""
    if isinstance(item, Token):
        return (item.line, item.column)
    return item.span


def _kept(children) -> list:
    """The children that carry meaning: drop placeholders and punctuation tokens."""
    return [c for c in children if c is not None and not _is_punct(c)]


def _is_punct(item) -> bool:
    return isinstance(item, Token) and item.type not in _MEANINGFUL


_MEANINGFUL = {"VAR", "GLOBAL", "NAME", "NUMBER", "INDEX", "STRING", "QMARK", "MINUS"}


def _of_kind(children, kind: str):
    """The first child node of `kind`, or None."""
    for c in children:
        if isinstance(c, Node) and c.kind == kind:
            return c
    return None


def _parts(node: Node | None) -> tuple:
    return () if node is None else node.parts[0]


def _binary(op: str):
    """The callback for an infix operator: a call of `op`."""

    def callback(self, c):
        return Node("binop", span_of(c[0]), op, c[0], c[2])

    return callback


class _Build(Transformer):
    """Callbacks run by the LALR parser at each reduction (children include punctuation)."""

    # ---- module structure
    def start_module(self, c):
        _check_version(c[0])
        return Node("module", (1, 1), c[1:])

    def start_expr(self, c):
        _check_version(c[0])
        return c[1]

    def def_item(self, c):
        name = c[1]
        return Node(
            "def",
            span_of(c[0]),
            name,
            _parts(_of_kind(c, "tparams")),
            _parts(_of_kind(c, "params")),
            _ret(c),
            c[-2],
            span_of(c[-1]),  # the closing brace: comments before it stay in the body
        )

    def type_item(self, c):
        ctors = _parts(_of_kind(c, "ctors"))
        return Node("typedef", span_of(c[0]), c[1], _parts(_of_kind(c, "tparams")), ctors)

    def extern_item(self, c):
        # an opaque type: Relay's IR holds it as an ADT without constructors
        return Node("typedef", span_of(c[0]), c[2], _parts(_of_kind(c, "tparams")), ())

    def type_params(self, c):
        return Node("tparams", span_of(c[0]), tuple(_kept(c)))

    def params(self, c):
        return Node("params", span_of(c[0]), tuple(_kept(c)))

    def param(self, c):
        return Node("param", span_of(c[0]), c[0], c[2])

    def ret(self, c):
        return Node("ret", span_of(c[0]), c[1])

    def ctors(self, c):
        return Node("ctors", span_of(c[0]), tuple(_kept(c)))

    def ctor(self, c):
        return Node("ctor", span_of(c[0]), c[0], tuple(_kept(c[1:])))

    # ---- blocks
    def block(self, c):
        if len(c) == 1:
            return c[0]
        return Node("block", span_of(c[0]), c[:-1], c[-1])

    def let_binding(self, c):
        return Node("let", span_of(c[0]), c[1], c[3], c[5])

    def sequence_binding(self, c):
        return Node("sequence", span_of(c[0]), c[0])

    def free_var(self, c):
        return Node("free_var", span_of(c[0]), c[1], c[3])

    def graph_binding(self, c):
        if not c[0][1:].isdigit():
            raise SyntaxProblem(
                f"a binding without 'let' must be a graph binding with a number (%0), "
                f"got {c[0]}; write 'let {c[0]} = ...'",
                span_of(c[0]),
            )
        return Node("graph", span_of(c[0]), c[0], c[2])

    # ---- operators
    add = _binary("add")
    sub = _binary("subtract")
    mul = _binary("multiply")
    div = _binary("divide")
    less = _binary("less")
    greater = _binary("greater")
    less_equal = _binary("less_equal")
    greater_equal = _binary("greater_equal")
    equal = _binary("equal")
    not_equal = _binary("not_equal")

    def neg(self, c):
        minus, operand = c
        if _is_adjacent_number(minus, operand):  # `-1f` is a literal, `- 1f` and `-(1f)` calls
            return Node("number", span_of(minus), "-" + operand.parts[0], operand.parts[1])
        return Node("neg", span_of(minus), operand)

    def call(self, c):
        args = _parts(_of_kind(c, "args"))
        return Node("call", span_of(c[0]), c[0], args)

    def args(self, c):
        return Node("args", span_of(c[0]), tuple(_kept(c)))

    def kwarg(self, c):
        return Node("kwarg", span_of(c[0]), str(c[0]), c[2])

    def proj(self, c):
        return Node("proj", span_of(c[0]), c[0], int(c[2]))

    # ---- atoms
    def var(self, c):
        return Node("var", span_of(c[0]), sigil_name(c[0]))

    def global_var(self, c):
        return Node("global", span_of(c[0]), sigil_name(c[0]))

    def name(self, c):
        return Node("name", span_of(c[0]), str(c[0]))

    def number(self, c):
        return Node("number", span_of(c[0]), str(c[0]), c[0].end_pos)

    def true(self, c):
        return Node("bool", span_of(c[0]), True)

    def false(self, c):
        return Node("bool", span_of(c[0]), False)

    def unit(self, c):
        return Node("tuple", span_of(c[0]), ())

    def parens(self, c):
        return c[1]

    def tuple_expr(self, c):
        return Node("tuple", span_of(c[0]), tuple(_kept(c)))

    def braces(self, c):
        return c[1]

    def if_(self, c):
        other, other_end = c[6], None
        if other.kind == "else_block":  # not an `else if`
            other, other_end = other.parts
        return Node("if", span_of(c[0]), c[1], c[3], other, span_of(c[4]), other_end)

    def else_block(self, c):
        return Node("else_block", span_of(c[0]), c[1], span_of(c[2]))

    def match(self, c):
        complete = c[1] is None  # `match?` is partial
        clauses = _parts(_of_kind(c, "clauses"))
        return Node("match", span_of(c[0]), c[2], clauses, complete)

    def clauses(self, c):
        return Node("clauses", span_of(c[0]), tuple(_kept(c)))

    def clause(self, c):
        return Node("clause", span_of(c[0]), c[0], c[2])

    def fn(self, c):
        return Node(
            "fn",
            span_of(c[0]),
            _parts(_of_kind(c, "tparams")),
            _parts(_of_kind(c, "params")),
            _ret(c),
            c[-2],
            span_of(c[-1]),
        )

    def ref_create(self, c):
        return Node("ref", span_of(c[0]), c[2])

    def ref_read(self, c):
        return Node("ref_read", span_of(c[0]), c[2])

    def ref_write(self, c):
        return Node("ref_write", span_of(c[0]), c[2], c[4])

    def constant(self, c):
        kwargs = [k for k in c[3:] if isinstance(k, Node)]
        return Node("constant", span_of(c[0]), c[2], tuple(kwargs))

    # ---- patterns
    def pwild(self, c):
        return Node("pwild", span_of(c[0]))

    def pvar(self, c):
        return Node("pvar", span_of(c[0]), sigil_name(c[0]), c[2])

    def pctor(self, c):
        return Node("pctor", span_of(c[0]), str(c[0]), tuple(_kept(c[1:])))

    def ptuple(self, c):
        return Node("ptuple", span_of(c[0]), tuple(_kept(c)))

    def pparen(self, c):
        return c[1]

    # ---- attribute values: converted to Python values right away
    def attr_atom(self, c):
        return Node("attr", span_of(c[0]), _atom_value(c))

    def alist(self, c):
        return Node("attr", span_of(c[0]), [v.parts[0] for v in _kept(c)])

    def atuple(self, c):
        return Node("attr", span_of(c[0]), tuple(v.parts[0] for v in _kept(c)))

    # ---- types
    def tensor_type(self, c):
        return Node("tensor_type", span_of(c[0]), c[2].parts[0], str(c[4]), span_of(c[4]))

    def tuple_type(self, c):
        return Node("tuple_type", span_of(c[0]), tuple(_kept(c)))

    def paren_type(self, c):
        return c[1]

    def func_type(self, c):
        tparams = _parts(_of_kind(c, "tparams"))
        return Node("func_type", span_of(c[0]), tparams, _parts(_of_kind(c, "types")), c[-1])

    def types(self, c):
        return Node("types", span_of(c[0]), tuple(_kept(c)))

    def ref_type(self, c):
        return Node("ref_type", span_of(c[0]), c[2])

    def type_call(self, c):
        return Node("type_call", span_of(c[0]), str(c[0]), tuple(_kept(c[1:])))

    def type_name(self, c):
        return Node("type_call", span_of(c[0]), str(c[0]), ())

    def incomplete_type(self, c):
        return Node("incomplete_type", span_of(c[0]))

    def shape(self, c):
        dims = [t for t in _kept(c) if t.type in ("INDEX", "QMARK")]
        sizes = tuple(None if t.type == "QMARK" else int(t) for t in dims)
        return Node("shape", span_of(c[0]), sizes)


def _ret(children):
    ret = _of_kind(children, "ret")
    return None if ret is None else ret.parts[0]


def _is_adjacent_number(minus: Token, operand) -> bool:
    if not (isinstance(operand, Node) and operand.kind == "number"):
        return False
    text, end = operand.parts
    return not text.startswith("-") and minus.end_pos + len(text) == end


def _atom_value(c):
    """The Python value of an attribute atom: a number, string, bool, None, nan or inf."""
    sign = -1 if c[0].type == "MINUS" else 1
    token = c[-1]
    if token.type == "NUMBER":
        value = parse_attr_number(str(token), span_of(token), SyntaxProblem)
        return -value if sign < 0 else value
    if token.type == "STRING":
        return _string_value(token)
    words = {"True": True, "False": False, "None": None, "nan": float("nan"), "inf": float("inf")}
    word = str(token)
    if word not in words or (sign < 0 and word != "inf"):
        raise SyntaxProblem(
            f"unexpected attribute value {'-' if sign < 0 else ''}{word}; expected a number, "
            "a string, True, False, None, nan, inf or a list",
            span_of(c[0]),
        )
    return -words[word] if sign < 0 else words[word]


def sigil_name(token: Token) -> str:
    """The name a ``%name`` or ``@name`` token spells; a quoted one (``%"a b"``) is a JSON
    string, as attribute strings are."""
    text = str(token)[1:]
    if not text.startswith('"'):
        return text
    try:
        return json.loads(text)
    except ValueError:
        raise SyntaxProblem(f"invalid quoted name {token}", span_of(token)) from None


def _string_value(token: Token) -> str:
    try:
        return json.loads(str(token))
    except ValueError:
        raise SyntaxProblem(f"invalid string literal {token}", span_of(token)) from None


def _check_version(token) -> None:
    if token is None:
        return
    found = str(token).split('"')[1]
    if found != VERSION:
        raise SyntaxProblem(
            f'unsupported text format version "{found}"; expected "{VERSION}"', span_of(token)
        )


@cache
def _lark() -> Lark:
    grammar = files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        start=["start_module", "start_expr"],
        keep_all_tokens=True,
        maybe_placeholders=True,
        transformer=_Build(),
    )


def parse_syntax(text: str, start: str) -> Node:
    """Parse `text` from rule `start` (``start_module`` or ``start_expr``) into a Node tree.

    Raises `SyntaxProblem` for any error, naming the offending token and what was expected.
    """
    try:
        return _lark().parse(text, start=start)
    except UnexpectedInput as err:
        raise _describe(err, text) from None
    except LarkError as err:
        raise SyntaxProblem(f"invalid syntax: {err}", (1, 1)) from None


def _describe(err: UnexpectedInput, text: str) -> SyntaxProblem:
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return SyntaxProblem(
                f"unexpected end of input, expected {_expected(err.expected)}", _end_of(text)
            )
        found = f"token {str(err.token)!r}"
        return SyntaxProblem(
            f"unexpected {found}, expected {_expected(err.expected)}", (err.line, err.column)
        )
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        return SyntaxProblem(
            f"unexpected character {char!r}, expected {_expected(err.allowed or ())}",
            (err.line, err.column),
        )
    return SyntaxProblem("unexpected end of input", _end_of(text))


def _end_of(text: str) -> Span:
    lines = text.split("\n")
    return (len(lines), len(lines[-1]) + 1)


_EXPRESSION_STARTS = {"VAR", "NUMBER", "GLOBAL"}
_TYPE_STARTS = {"LPAR", "NAME"}
_DESCRIPTIONS = {
    "VAR": "a variable (%x)",
    "GLOBAL": "a global (@f)",
    "NAME": "a name",
    "NUMBER": "a number",
    "INDEX": "an integer",
    "STRING": "a string",
    "VERSION": "a version header",
    "$END": "end of input",
}


def _expected(names) -> str:
    """A readable summary of the terminals the parser would have accepted."""
    names = set(names)
    if names >= _EXPRESSION_STARTS:
        return "an expression"
    if names - {"TENSOR", "FN", "REF", "UNDERSCORE"} == _TYPE_STARTS:
        return "a type"
    shown = sorted(_DESCRIPTIONS.get(n) or _literal(n) for n in names)
    if len(shown) == 1:
        return shown[0]
    return "one of " + ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")


def _literal(name: str) -> str:
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return name
    return repr(pattern.value) if pattern.type == "str" else name
