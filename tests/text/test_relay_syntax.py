"""The parts of Relay's text format beyond the core: what its own parser tests check."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.ir.types import TensorType
from lambdagrad.text import format_source, print_expr, print_module
from lambdagrad.text.comments import strip_comments


def same(text: str, expected: str) -> None:
    assert alpha_equal(lg.parse_expr(text), lg.parse_expr(expected)), print_expr(
        lg.parse_expr(text)
    )


@pytest.mark.parametrize(
    ("infix", "op"),
    [
        ("<", "less"),
        (">", "greater"),
        ("<=", "less_equal"),
        (">=", "greater_equal"),
        ("==", "equal"),
        ("!=", "not_equal"),
    ],
)
def test_comparisons_are_op_calls(infix, op):
    same(f"1 {infix} 2", f"{op}(1, 2)")


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        # Relay's test_op_assoc
        ("1 * 1 + 1 < 1 == 1", "(((1 * 1) + 1) < 1) == 1"),
        ("1 == 1 < 1 + 1 * 1", "1 == (1 < (1 + (1 * 1)))"),
        ("1 < 2 < 3", "(1 < 2) < 3"),
        ("1 == 2 != 3", "(1 == 2) != 3"),
        ("1 <= 2 >= 3 > 4", "((1 <= 2) >= 3) > 4"),
        ("-1 < - 2", "(-1) < negative(2)"),
    ],
)
def test_precedence_and_left_associativity(text, grouped):
    same(text, grouped)


def test_comparisons_in_conditions_parse_and_run():
    mod = lg.parse("def @main(%n: int32) { if (%n >= 2 == True) { %n - 2 } else { %n * 3 } }")
    run = lg.create_executor(mod=mod).evaluate()
    assert int(run(np.int32(5))) == 3 and int(run(np.int32(1))) == 3


def test_sequencing_is_a_let_of_an_unused_variable():
    expr = lg.parse_expr("let %r = ref(1); ref_write(%r, 2); ref_read(%r)")
    write = expr.body
    assert isinstance(write, lg.Let) and isinstance(write.value, lg.RefWrite)
    assert write.var.name_hint == ""
    assert print_expr(expr) == "let %r = ref(1);\nref_write(%r, 2);\nref_read(%r)"
    run = lg.create_executor().evaluate(lg.Function([], expr))
    assert int(run()) == 2


def test_a_named_unused_let_still_prints_as_a_let():
    assert print_expr(lg.parse_expr("let %u = 1; 2")) == "let %u = 1;\n2"


def test_free_var_declares_a_typed_free_variable():
    expr = lg.parse_expr("free_var %x: float32; %x((%x,).0, %x)")  # Relay's test_tuple_proj
    x = expr.op
    assert x.type_annotation == TensorType((), "float32") and expr.args[1] is x
    text = print_expr(expr, free_var_types=True)
    assert text == "free_var %x: float32;\n%x((%x,).0, %x)"
    assert lg.parse_expr(text).op.type_annotation == x.type_annotation
    assert print_expr(expr) == "%x((%x,).0, %x)"


def test_free_var_without_a_type():
    expr = lg.parse_expr("free_var %x; %x")
    assert isinstance(expr, lg.Var) and expr.type_annotation is None


@pytest.mark.parametrize(
    ("text", "dtype", "value"),
    [
        ("-42i", "int32", -42),
        ("-42i16", "int16", -42),
        ("2147483647", "int32", 2147483647),
        ("2147483648", "int64", 2147483648),
        ("-2147483648", "int32", -2147483648),
        ("9223372036854775807", "int64", 9223372036854775807),
        ("65535u16", "uint16", 65535),
        ("7u32", "uint32", 7),
        ("18446744073709551615u64", "uint64", 18446744073709551615),
        ("65504f16", "float16", 65504.0),
    ],
)
def test_integer_and_float_literals(text, dtype, value):
    const = lg.parse_expr(text)
    assert const.data.dtype == dtype and const.data == value
    assert alpha_equal(lg.parse_expr(print_expr(const)), const)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("65505f16", "number 65505f16 is out of range for float16"),
        ("3.40283e+38f32", "out of range for float32"),
        ("2147483648i32", "integer literal 2147483648i32 is out of range for int32"),
        ("32768i16", "out of range for int16"),
        ("9223372036854775808", "out of range for int64"),
        ("-1u16", "out of range for uint16"),
    ],
)
def test_unrepresentable_literals_are_located_errors(text, message):
    with pytest.raises(lg.ParseError, match=message) as info:
        lg.parse_expr(f"(1,\n {text})")
    assert (info.value.line, info.value.column) == (2, 2)
    assert "^" in str(info.value)


def test_largest_finite_floats_print_in_range():
    for dtype in ("float16", "float32", "float64"):
        const = lg.const(np.finfo(dtype).max, dtype)
        assert lg.parse_expr(print_expr(const)).data == const.data


@pytest.mark.parametrize(
    "text",
    [
        "/* a /* b */ c */ ()",
        "/* This is a block comment!\n   /*Block comment is recursive!*/\n*/ ()",
        '/* a "string" is just text in a comment */ ()',
        "/* // */ ()",
    ],
)
def test_nested_block_comments(text):
    assert alpha_equal(lg.parse_expr(text), lg.Tuple([]))


def test_comment_markers_inside_strings_are_not_comments():
    expr = lg.parse_expr('test.opts(%x, n=1, mode="/* // */")')
    assert expr.attrs["mode"] == "/* // */"


def test_an_unterminated_block_comment_is_located():
    with pytest.raises(lg.ParseError, match="unterminated block comment") as info:
        lg.parse_expr("1 +\n  /* a /* b */ 2")
    assert (info.value.line, info.value.column) == (2, 3)


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_unsigned_dtypes(dtype):
    mod = lg.parse(f"def @main(%x: Tensor[(2), {dtype}]) {{ add(%x, %x) }}")
    typed = lg.transform.infer_type(mod)
    assert str(typed["main"].checked_type) == f"fn (Tensor[(2), {dtype}]) -> Tensor[(2), {dtype}]"
    run = lg.create_executor(mod=mod).evaluate()
    assert run(np.array([1, 2], dtype)).tolist() == [2, 4]


def test_int_is_int32():
    func = lg.parse_expr("fn (%x: int, %y: Tensor[(3), int]) { %x }")
    assert [p.type_annotation for p in func.params] == [
        TensorType((), "int32"),
        TensorType((3,), "int32"),
    ]
    assert print_expr(func).startswith("fn (%x: int32, %y: Tensor[(3), int32])")


def test_int_cannot_name_a_type():
    with pytest.raises(lg.ParseError, match="type int is already defined"):
        lg.parse("type int { I }")


def test_extern_type_is_an_adt_without_constructors():
    mod = lg.parse("extern type T[A]\nextern type Storage\ndef @f(%x: T[Storage]) { %x }")
    data = mod.type_definitions[mod.get_global_type_var("T")]
    assert len(data.type_vars) == 1 and data.constructors == ()
    again = lg.parse(print_module(mod))
    assert alpha_equal(again, mod)


def test_match_on_a_bare_atom():
    # Relay's nat.rly writes `match %x { ... }`
    mod = lg.parse("def @f(%x: int32) { match %x { _ => 1 } }")
    assert isinstance(mod["f"].body, lg.Match)


def test_free_var_is_not_allowed_in_a_module():
    with pytest.raises(lg.ParseError, match="free_var %x is only allowed in an expression"):
        lg.parse("def @f() { free_var %x: int32; %x }")


def test_free_var_after_the_variable_is_used():
    with pytest.raises(lg.ParseError, match="free_var %x comes after %x is in use") as info:
        lg.parse_expr("let %y = %x;\nfree_var %x: int32; %y")
    assert (info.value.line, info.value.column) == (2, 1)


def test_strip_comments_keeps_positions():
    text = "let %a = 1; // one\n  /* two\n     lines */ %a"
    blank, comments = strip_comments(text)
    assert len(blank) == len(text) and blank.count("\n") == text.count("\n")
    assert [(c.line, c.column, c.trailing) for c in comments] == [(1, 13, True), (2, 3, False)]
    assert comments[1].text == "/* two\n   lines */"  # later lines lose the first's indent


def test_comments_above_the_version_header_stay_above_it():
    text = '// license\n/* more */\n#[version = "0.0.5"]\n// about f\ndef @f() { 1 }\n'
    assert format_source(text) == (
        '// license\n/* more */\n#[version = "0.0.5"]\n// about f\ndef @f() {\n  1\n}\n'
    )
    assert format_source(format_source(text)) == format_source(text)


def test_printing_with_comments_puts_them_before_their_items():
    text = """// header
def @f(%x: int32) -> int32 {
  // first
  let %y = %x + 1; // add one
  /* nested /* comment */ */
  %y
}
// the end
"""
    out = format_source(text)
    assert out == (
        '#[version = "0.0.5"]\n'
        "// header\n"
        "def @f(%x: int32) -> int32 {\n"
        "  // first\n"
        "  let %y = add(%x, 1); // add one\n"
        "  /* nested /* comment */ */\n"
        "  %y\n"
        "}\n"
        "\n"
        "// the end\n"
    )


def test_comments_before_a_closing_brace_stay_in_the_block():
    text = """def @f(%c: bool) {
  if (%c) {
    1 // one
    // after one
  } else {
    2 // two
  }
  // end of f
}
def @g() { fn (%x: int32) { %x /* x */ } }
"""
    out = format_source(text)
    assert out == (
        '#[version = "0.0.5"]\n'
        "def @f(%c: bool) {\n"
        "  if (%c) {\n"
        "    1 // one\n"
        "    // after one\n"
        "  } else {\n"
        "    2 // two\n"
        "  }\n"
        "  // end of f\n"
        "}\n"
        "\n"
        "def @g() {\n"
        "  fn (%x: int32) {\n"
        "    %x /* x */\n"
        "  }\n"
        "}\n"
    )
    assert format_source(out) == out
