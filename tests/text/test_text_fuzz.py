"""Robustness: no input makes the parser raise anything but ParseError; huge inputs work."""

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.deep import run_deep
from lambdagrad.text import print_expr

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIXTURE_TEXTS = [p.read_text() for p in sorted(FIXTURES.glob("*.rly"))]
TOKENS = [
    "def",
    "type",
    "let",
    "fn",
    "if",
    "else",
    "match",
    "match?",
    "ref",
    "ref_read",
    "ref_write",
    "constant",
    "True",
    "False",
    "None",
    "Tensor",
    "_",
    "%x",
    "%0",
    "%1",
    "@f",
    "@main",
    "Cons",
    "Nil",
    "List",
    "A",
    "add",
    "sum",
    "nn.dense",
    "test.reduce",
    "float32",
    "int8",
    "nat",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    ":",
    "=",
    "=>",
    "->",
    ".",
    ".0",
    "+",
    "-",
    "*",
    "/",
    "?",
    "1",
    "1f",
    "2.5f64",
    "-3",
    "1e-3f",
    "300i8",
    "nan",
    "inf",
    '"s"',
    '"\\q"',
    "axis=",
    "units=",
    "/* c */",
    "// c\n",
    "/*",
    "*/",
    "/* a /* b */ */",
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "!=",
    "free_var",
    "extern",
    "-42i",
    "2147483648",
    "65505f16",
    "7u64",
    "int",
    "uint16",
    '#[version = "0.0.5"]',
    "\n",
    " ",
]


def parses_or_fails_cleanly(text: str) -> None:
    for parse in (lg.parse, lg.parse_expr):
        try:
            parse(text)
        except lg.ParseError as err:
            assert err.line >= 0 and err.reason


@pytest.mark.slow
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_token_soup(text):
    parses_or_fails_cleanly(text)


@pytest.mark.slow
@given(st.text(max_size=80))
def test_arbitrary_characters(text):
    parses_or_fails_cleanly(text)


@st.composite
def mutated_fixtures(draw):
    text = draw(st.sampled_from(FIXTURE_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        kind = draw(st.sampled_from(["delete", "insert", "swap"]))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS + ["x", "0", "%", "@"])) + text[i:]
        else:  # swap two neighbouring chunks
            k = draw(st.integers(j, min(len(text), j + 12)))
            text = text[:i] + text[j:k] + text[i:j] + text[k:]
    return text


@pytest.mark.slow
@given(mutated_fixtures())
def test_mutated_fixtures(text):
    parses_or_fails_cleanly(text)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 20_000 + "1f" + ")" * 20_000,
        "(" * 20_000 + "1f" + ",)" * 20_000,
        "(" * 20_000,
        "-" * 20_000 + "%x",
        "ref(" * 5_000 + "%x" + ")" * 5_000,
        "%x" + ".0" * 20_000,
        "constant(" + "[" * 5_000 + "1" + "]" * 5_000 + ")",
        "fn (%x: " + "ref(" * 5_000 + "int8" + ")" * 5_000 + ") { %x }",
        "if (%c) { 1 } else " * 500 + "{ 2 }",  # printed text grows with depth squared
        "/*" * 20_000 + "*/" * 20_000 + "1",
        "1" + " < 1" * 5_000,
        "ref_write(%r, 1); " * 5_000 + "2",
    ],
    ids=[
        "parens",
        "tuples",
        "unclosed",
        "negations",
        "refs",
        "projections",
        "lists",
        "types",
        "else-if",
        "nested-comments",
        "comparisons",
        "sequence",
    ],
)
def test_deep_nesting_gives_a_result_or_a_parse_error(text):
    try:
        expr = lg.parse_expr(text)
    except lg.ParseError:
        return
    again = lg.parse_expr(print_expr(expr))
    assert run_deep(alpha_equal, again, expr)  # alpha_equal recurses on deep types


@pytest.mark.slow  # about 8 s: lark's LALR parser handles ~100k tokens a second
def test_long_let_chain_parses_and_prints():
    n = 100_000
    lines = [f"let %x{i} = %x{i - 1};" for i in range(1, n)]
    text = "let %x0 = 1f;\n" + "\n".join(lines) + f"\n%x{n - 1}"
    start = time.perf_counter()
    expr = lg.parse_expr(text)
    printed = print_expr(expr)
    elapsed = time.perf_counter() - start
    assert printed.count("\n") == n
    assert printed.startswith("let %x0 = 1f;\nlet %x1 = %x0;") and printed.endswith("%x99999")
    assert elapsed < 60
