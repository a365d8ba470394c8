"""Printing: canonical text for every node and type kind, naming, and shared nodes."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.ir.types import (
    FuncType,
    GlobalTypeVar,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    TypeCall,
    TypeVar,
)
from lambdagrad.text import print_expr, print_module, print_type


def roundtrips(expr: lg.Expr) -> str:
    text = print_expr(expr)
    assert alpha_equal(lg.parse_expr(text), expr), text
    return text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.float32(1.0), "1f"),
        (np.float32(-1.5), "-1.5f"),
        (np.float32(0.1), "0.1f"),
        (np.float32(1e-5), "1e-05f"),
        (np.float32(3e38), "3e+38f"),
        (np.float64(2.5), "2.5f64"),
        (np.float16(1.0), "1f16"),
        (np.int32(3), "3"),
        (np.int64(-4), "-4i64"),
        (np.int8(7), "7i8"),
        (np.int16(7), "7i16"),
        (np.uint8(255), "255u8"),
        (np.bool_(True), "True"),
        (np.float32(-0.0), "-0f"),
        (np.float32("nan"), 'constant(nan, dtype="float32")'),
        (np.float64("-inf"), 'constant(-inf, dtype="float64")'),
    ],
)
def test_scalar_constants(value, text):
    const = lg.Constant(value)
    assert roundtrips(const) == text


def test_tensor_constants_round_trip_exactly():
    values = np.array([[0.1, np.nan], [-np.inf, -0.0], [np.finfo("float32").tiny, 1e30]])
    for dtype in ("float16", "float32", "float64"):
        with np.errstate(over="ignore"):  # 1e30 is inf in float16, which is fine here
            roundtrips(lg.Constant(values.astype(dtype)))
    roundtrips(lg.Constant(np.arange(6, dtype="int64").reshape(2, 3, 1)))
    roundtrips(lg.Constant(np.array([True, False])))
    assert roundtrips(lg.Constant(np.zeros((0, 3), "int8"))) == (
        'constant([], dtype="int8", shape=(0, 3))'
    )
    assert print_expr(lg.Constant(np.array([1, 2], "int32"))) == ('constant([1, 2], dtype="int32")')


def test_every_expression_kind():
    x, y = lg.var("x", "float32"), lg.var("y")
    r = lg.var("r")
    fn = lg.Function([x], lg.Let(y, x * x, lg.Tuple([y, lg.TupleGetItem(lg.Tuple([y]), 0)])))
    assert roundtrips(fn) == (
        "fn (%x: float32) {\n  let %y = multiply(%x, %x);\n  (%y, (%y,).0)\n}"
    )
    refs = lg.Let(r, lg.RefCreate(lg.const(1.0)), lg.RefWrite(r, lg.RefRead(r)))
    assert roundtrips(refs) == "let %r = ref(1f);\nref_write(%r, ref_read(%r))"
    cond = lg.If(lg.var("c"), lg.Tuple([]), lg.Call(lg.GlobalVar("g"), [x]))
    assert roundtrips(cond) == "if (%c) {\n  ()\n} else {\n  @g(%x)\n}"
    assert print_expr(cond, free_var_types=True).startswith("free_var %x: float32;\nif (%c)")


def test_calls_print_every_attribute_in_order():
    call = lg.op.test.reduce(lg.var("x"), axis=[1])
    assert roundtrips(call) == "test.reduce(%x, axis=[1], keepdims=False)"
    opts = lg.op.test.opts(lg.var("x"), n=2, scale=float("-inf"), mode='q"', shape=[-1])
    assert roundtrips(opts) == (
        'test.opts(%x, n=2, scale=-inf, mode="q\\"", dtype="float32", shape=[-1], pads=[])'
    )


def test_callees_that_need_parentheses():
    inner = lg.Function([lg.var("a")], lg.var("b"))
    text = roundtrips(lg.Call(inner, [lg.const(1.0)]))
    assert text.startswith("(fn (%a) {") and text.endswith("})(1f)")
    assert roundtrips(lg.TupleGetItem(lg.const(-1.0), 0)) == "(-1f).0"
    nested_let = lg.Tuple([lg.Let(lg.var("z"), lg.const(1), lg.var("w"))])
    assert roundtrips(nested_let) == "({\n  let %z = 1;\n  %w\n},)"


def test_distinct_variables_with_one_name_get_distinct_names():
    outer, inner, free = lg.var("x"), lg.var("x"), lg.var("x")
    expr = lg.Function([outer], lg.Function([inner], lg.Tuple([outer, inner, free])))
    assert roundtrips(expr) == ("fn (%x_1) {\n  fn (%x_2) {\n    (%x_1, %x_2, %x)\n  }\n}")


def test_sibling_scopes_reuse_names():
    a, b = lg.var("x"), lg.var("x")
    expr = lg.Tuple([lg.Function([a], a), lg.Function([b], b)])
    assert roundtrips(expr) == "(fn (%x) {\n  %x\n}, fn (%x) {\n  %x\n})"


def test_names_that_are_not_identifiers_are_quoted():
    odd, digits, empty = lg.var("a-b.c"), lg.var("0"), lg.var("")
    text = roundtrips(lg.Function([odd, digits, empty], lg.Tuple([odd, digits, empty])))
    assert text.startswith('fn (%"a-b.c", %"0", %v)')


def test_shared_nodes_are_bound_once_where_all_uses_see_them():
    x, c = lg.var("x"), lg.var("c")
    shared = x * x
    branchy = lg.If(c, shared + shared, shared)
    assert roundtrips(lg.Function([x, c], branchy)) == (
        "fn (%x, %c) {\n"
        "  %0 = multiply(%x, %x);\n"
        "  if (%c) {\n"
        "    add(%0, %0)\n"
        "  } else {\n"
        "    %0\n"
        "  }\n"
        "}"
    )


def test_shared_nodes_inside_one_branch_stay_in_that_branch():
    x, c, y = lg.var("x"), lg.var("c"), lg.var("y")
    shared = x * x
    body = lg.Let(y, x, lg.If(c, shared + shared, y))
    assert roundtrips(lg.Function([x, c], body)) == (
        "fn (%x, %c) {\n"
        "  let %y = %x;\n"
        "  if (%c) {\n"
        "    %0 = multiply(%x, %x);\n"
        "    add(%0, %0)\n"
        "  } else {\n"
        "    %y\n"
        "  }\n"
        "}"
    )


def test_shared_node_using_a_let_variable_is_bound_after_it():
    x, y = lg.var("x"), lg.var("y")
    shared = lg.Tuple([y, y])
    expr = lg.Let(x, lg.const(1.0), lg.Let(y, x, lg.Tuple([shared, shared])))
    assert roundtrips(expr) == "let %x = 1f;\nlet %y = %x;\n%0 = (%y, %y);\n(%0, %0)"


def test_shared_node_using_a_parameter_is_bound_inside_the_function():
    p = lg.var("p")
    shared = p + p
    fn = lg.Function([p], shared * shared)
    outer = lg.Tuple([fn, fn])
    assert roundtrips(outer) == (
        "%1 = fn (%p) {\n  %0 = add(%p, %p);\n  multiply(%0, %0)\n};\n(%1, %1)"
    )


def test_dag_prints_in_linear_size():
    node = lg.var("x")
    for _ in range(200):
        node = lg.Tuple([node, node])
    text = roundtrips(node)
    assert text.count("\n") == 199


def test_shared_match_and_clause_placement():
    mod = lg.parse(
        "type O { S(int32), N }\n"
        "def @main(%o: O) {\n"
        "  match (%o) {\n"
        "    S(%v) => { %0 = add(%v, %v); (%0, %0) },\n"
        "    N => (1, 1),\n"
        "  }\n"
        "}"
    )
    text = print_module(mod)
    assert "    S(%v) => {\n      %0 = add(%v, %v);\n      (%0, %0)\n    },\n" in text
    assert alpha_equal(lg.parse(text), mod)


def test_types():
    a = TypeVar("A")
    cases = [
        (TensorType((2, 3), "float32"), "Tensor[(2, 3), float32]"),
        (TensorType((2,), "int8"), "Tensor[(2), int8]"),
        (TensorType((None, 4), "float32"), "Tensor[(?, 4), float32]"),
        (TensorType((), "bool"), "bool"),
        (TupleType(()), "()"),
        (TupleType((TensorType((), "int64"),)), "(int64,)"),
        (FuncType((a, a), a, (a,)), "fn [A](A, A) -> A"),
        (FuncType((), FuncType((), TupleType(()))), "fn () -> fn () -> ()"),
        (RefType(TensorType((), "float16")), "ref(float16)"),
        (TypeCall(GlobalTypeVar("List"), (a,)), "List[A]"),
        (TypeCall(GlobalTypeVar("nat"), ()), "nat"),
        (IncompleteType(), "_"),
    ]
    for ty, text in cases:
        assert print_type(ty) == text == str(ty)


def test_type_variables_with_one_name_are_told_apart():
    a1, a2 = TypeVar("A"), TypeVar("A")
    outer = lg.var("f", FuncType((a1,), FuncType((a2,), a1, (a2,)), (a1,)))
    assert print_expr(lg.Function([outer], outer)).startswith(
        "fn (%f: fn [A](A) -> fn [A_1](A_1) -> A)"
    )
    clash = TypeVar("float32")
    x = lg.var("x", clash)
    fn = lg.Function([x], x, clash, (clash,))
    assert print_expr(fn).startswith("fn [float32_1](%x: float32_1) -> float32_1")


def test_module_output_and_show_types():
    mod = lg.parse("type Empty {}\ndef @main(%x: float32) -> float32 { let %y = %x; %y }")
    text = print_module(mod)
    assert text == (
        '#[version = "0.0.5"]\ntype Empty {}\n\n'
        "def @main(%x: float32) -> float32 {\n  let %y = %x;\n  %y\n}\n"
    )
    assert mod.astext() == text == str(mod)
    y = lg.var("y")
    typed = lg.Let(y, lg.var("x").with_type(TensorType((), "int8")), y)
    assert print_expr(typed, show_types=True) == "let %y = %x /* ty=int8 */;\n%y"


def test_printing_does_not_mutate_or_depend_on_state():
    expr = lg.parse_expr("fn (%x) { let %x = %x; %x }")
    assert print_expr(expr) == print_expr(expr) == str(expr)
