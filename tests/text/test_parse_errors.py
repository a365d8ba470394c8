"""Parse errors: a located ParseError with a message naming what went wrong."""

import pytest

import lambdagrad as lg

LIST = "type List[A] { Cons(A, List[A]), Nil }\n"


def error_of(text: str, module: bool = False) -> lg.ParseError:
    with pytest.raises(lg.ParseError) as info:
        lg.parse(text) if module else lg.parse_expr(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("add(%x, , 1f)", "unexpected token ',', expected an expression", 1, 9),
        ("add(%x,", "unexpected end of input, expected an expression", 1, 8),
        ("let %x = 1;\n%x $", "unexpected character '$'", 2, 4),
        ("foo(%x)", "unknown operator 'foo'", 1, 1),
        ("test.reduce(%x, axes=[1])", "operator test.reduce has no attribute 'axes'", 1, 1),
        ("test.reduce(%x, keepdims=1)", "keepdims=1 is not a valid bool", 1, 1),
        ("add(%x)", "operator add takes 2 argument(s), got 1", 1, 1),
        ("test.reduce(axis=1, %x)", "positional argument after attributes", 1, 21),
        ("test.reduce(%x, axis=1, axis=2)", "attribute 'axis' given twice", 1, 25),
        ("%f(%x, axis=1)", "attributes are only allowed in operator calls", 1, 8),
        ("fn (%x: Lst) { %x }", "unknown type 'Lst'", 1, 9),
        ("fn (%x: Tensor[(2), flaot32]) { %x }", "unknown dtype 'flaot32'", 1, 21),
        ("fn (%x: float32[int8]) { %x }", "unknown type 'float32'", 1, 9),
        ("fn [A](%x: A[int8]) { %x }", "type variable A takes no type arguments", 1, 12),
        ("fn (%x, %x) { %x }", "duplicate parameter %x", 1, 9),
        ("fn [A, A](%x) { %x }", "duplicate type parameter A", 1, 8),
        ("300i8", "integer literal 300i8 is out of range for int8", 1, 1),
        ("1.5i32", "integer literal 1.5i32 has a fraction or exponent", 1, 1),
        ("1e39f", "number 1e39f is out of range for float32", 1, 1),
        ("%x = 1; %x", "graph binding with a number", 1, 1),
        ("Cons(%x)", "unknown constructor 'Cons'", 1, 1),
        ('constant([1, 2], dtype="int42")', "unknown dtype 'int42'", 1, 1),
        ("constant([[1, 2], [3]])", "not a valid int32 array", 1, 1),
        ('constant([1.5], dtype="int32")', "constant element 1.5 is not a valid int32", 1, 1),
        ("constant([1, 2], shape=(3,))", "do not fit shape", 1, 1),
        ("constant([1], size=1)", "constant has no argument 'size'", 1, 15),
        ("test.reduce(%x, axis=foo)", "unexpected attribute value foo", 1, 22),
        ("test.reduce(%x, axis=1f)", "must be a plain number", 1, 22),
        ('#[version = "0.0.4"]\n1', 'unsupported text format version "0.0.4"', 1, 1),
        ("let %x: = 1; %x", "unexpected token '=', expected a type", 1, 9),
        ("%t.x", "unexpected token 'x', expected an integer", 1, 4),
        ("match (%x) { 1 => 2 }", "unexpected token '1'", 1, 14),
    ],
)
def test_expression_errors(text, message, line, column):
    err = error_of(text)
    assert message in err.reason
    assert (err.line, err.column) == (line, column)
    assert f"line {line}, column {column}" in str(err) and "^" in str(err)


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("def @main() { %y }", "unbound variable %y", 1, 15),
        ("def @main() {\n  @nope(1)\n}", "unknown global @nope", 2, 3),
        (LIST + "def @main() { Cons(1) }", "constructor Cons takes 2 arguments, got 1", 2, 15),
        (
            LIST + "def @main(%l) { match (%l) { Cons(%x) => %x } }",
            "constructor Cons takes 2 arguments, got 1",
            2,
            30,
        ),
        (
            LIST + "def @main(%l) { match (%l) { Cons(%x, %x) => %x } }",
            "variable %x is bound twice in one pattern",
            2,
            39,
        ),
        (
            LIST + "def @main(%l) { match (%l) { Some(%x) => %x } }",
            "unknown constructor 'Some'",
            2,
            30,
        ),
        (LIST + "def @main(%l: List) { %l }", "type List takes 1 type arguments, got 0", 2, 15),
        (LIST + "def @main(%l: Lst[int32]) { %l }", "unknown type 'Lst'", 2, 15),
        (LIST + "type List { A }", "type List is already defined", 2, 1),
        (LIST + "type Other { Nil }", "constructor Nil is already defined", 2, 14),
        ("def @f() { 1 }\ndef @f() { 2 }", "global @f is already defined", 2, 1),
        ("def @f() { 1 } 2", "unexpected token '2'", 1, 16),
        ("def @main() { Cons(1, Nil) }", "unknown constructor 'Cons'", 1, 15),
    ],
)
def test_module_errors(text, message, line, column):
    err = error_of(text, module=True)
    assert message in err.reason
    assert (err.line, err.column) == (line, column)


def test_prelude_names_cannot_be_redefined():
    err = error_of_prelude("def @map() { 1 }")
    assert "global @map is already defined" in err.reason


def error_of_prelude(text: str) -> lg.ParseError:
    with pytest.raises(lg.ParseError) as info:
        lg.parse(text, prelude=True)
    return info.value


def test_non_string_input_is_a_parse_error():
    with pytest.raises(lg.ParseError, match="expected program text"):
        lg.parse_expr(None)


def test_caret_excerpt_points_at_the_column():
    text = str(error_of("let %a = 1;\nlet %b = add(%a, %q, 3);\n%b"))
    assert "line 2, column 10:\n    let %b = add(%a, %q, 3);\n             ^" in text
