"""Parsing: every node and type kind, literals, scoping, sharing and spans."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.ir.types import (
    FuncType,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    TypeCall,
    TypeVar,
)
from lambdagrad.text.parser import parse_with_base

LIST = "type List[A] { Cons(A, List[A]), Nil }"


def body(text: str) -> lg.Expr:
    return lg.parse(text)["main"].body


@pytest.mark.parametrize(
    ("text", "dtype", "value"),
    [
        ("1f", "float32", 1.0),
        ("1.5f", "float32", 1.5),
        ("1.5", "float32", 1.5),
        ("2.5f64", "float64", 2.5),
        ("1f16", "float16", 1.0),
        ("3", "int32", 3),
        ("4i64", "int64", 4),
        ("7i8", "int8", 7),
        ("200u8", "uint8", 200),
        ("True", "bool", True),
        ("False", "bool", False),
        ("1e-3f", "float32", 1e-3),
        ("-2", "int32", -2),
        ("-128i8", "int8", -128),
        ("-1.5f", "float32", -1.5),
        ("1e5", "float32", 1e5),
    ],
)
def test_scalar_literals(text, dtype, value):
    const = lg.parse_expr(text)
    assert isinstance(const, lg.Constant)
    assert const.data.dtype == dtype and const.data.shape == ()
    assert const.data == np.array(value, dtype=dtype)


def test_negative_zero_literal_keeps_its_sign():
    assert np.signbit(lg.parse_expr("-0f").data)


def test_minus_before_a_parenthesised_or_spaced_number_is_negation():
    for text in ("-(1f)", "- 1f", "-%x"):
        call = lg.parse_expr(text)
        assert isinstance(call, lg.Call) and call.op.name == "negative"


def test_tensor_constants():
    const = lg.parse_expr('constant([[1, 2], [3, 4]], dtype="int64")')
    assert const.data.dtype == "int64" and const.data.tolist() == [[1, 2], [3, 4]]
    specials = lg.parse_expr('constant([nan, inf, -inf, -0.0], dtype="float64")').data
    assert np.isnan(specials[0]) and specials[1] == np.inf and specials[2] == -np.inf
    assert np.signbit(specials[3])
    assert lg.parse_expr("constant([1.5, 2])").data.dtype == "float32"
    assert lg.parse_expr("constant([True, False])").data.dtype == "bool"
    empty = lg.parse_expr('constant([], dtype="int32", shape=(0, 3))').data
    assert empty.shape == (0, 3)
    assert np.isnan(lg.parse_expr('constant(nan, dtype="float16")').data)


def test_infix_precedence_and_associativity():
    expected = lg.parse_expr("subtract(add(%a, multiply(%b, %c)), divide(divide(%d, %e), %f))")
    assert alpha_equal(lg.parse_expr("%a + %b * %c - %d / %e / %f"), expected)
    assert alpha_equal(lg.parse_expr("-%a * %b"), lg.parse_expr("multiply(negative(%a), %b)"))


def test_free_variables_are_shared_by_name():
    tup = lg.parse_expr("(%x, %x, %y)")
    assert tup.fields[0] is tup.fields[1] and tup.fields[0] is not tup.fields[2]
    assert tup.fields[0].name_hint == "x"


def test_let_shadowing_and_annotations():
    let = lg.parse_expr("let %x: Tensor[(2, 3), float32] = %x; let %x = (%x,); %x")
    free, inner = let.value, let.body
    assert let.var.type_annotation == TensorType((2, 3), "float32")
    assert free is not let.var and inner.value.fields[0] is let.var
    assert inner.body is inner.var


def test_graph_bindings_share_one_node():
    expr = lg.parse_expr("%0 = add(%x, 1f); %1 = (%0, %0); multiply(%1.0, %0)")
    assert isinstance(expr, lg.Call)
    tup = expr.args[0].tuple_value
    assert tup.fields[0] is tup.fields[1] is expr.args[1]
    assert "Let" not in lg.analysis.features(expr)


def test_if_else_if_chain():
    expr = lg.parse_expr("if (%a) { 1 } else if (%b) { 2 } else { 3 }")
    assert isinstance(expr, lg.If) and isinstance(expr.false_branch, lg.If)


def test_tuples_projections_and_refs():
    assert lg.parse_expr("()").fields == ()
    assert len(lg.parse_expr("(%a,)").fields) == 1
    proj = lg.parse_expr("%t.0.1")
    assert proj.index == 1 and proj.tuple_value.index == 0
    write = lg.parse_expr("ref_write(ref(1f), ref_read(%r))")
    assert isinstance(write, lg.RefWrite) and isinstance(write.ref, lg.RefCreate)
    assert isinstance(write.value, lg.RefRead)


def test_function_literals_and_calls():
    fn = lg.parse_expr("fn [A](%x: A, %y) -> A { %x }")
    assert isinstance(fn.type_params[0], TypeVar) and fn.params[0].type_annotation is fn.ret_type
    assert fn.params[1].type_annotation is None and fn.body is fn.params[0]
    call = lg.parse_expr("(fn (%x) { %x })(1f)(2f)")
    assert isinstance(call.op, lg.Call) and isinstance(call.op.op, lg.Function)


def test_op_calls_with_attributes():
    call = lg.parse_expr("test.reduce(%x, axis=[1], keepdims=True)")
    assert call.op is lg.Op.get("test.reduce")
    assert dict(call.attrs) == {"axis": (1,), "keepdims": True}
    opts = lg.parse_expr(
        'test.opts(%x, n=-3, scale=inf, mode="a\\"b", shape=(2, -1), pads=[(1, 2)])'
    )
    assert opts.attrs.n == -3 and opts.attrs.scale == np.inf and opts.attrs.mode == 'a"b'
    assert opts.attrs.shape == (2, -1) and opts.attrs.pads == ((1, 2),)


def test_types():
    fn = lg.parse_expr(
        "fn (%a: Tensor[(?, 3), float32], %b: Tensor[(2), int8], %c: Tensor[(2,), int8],"
        " %d: Tensor[(), bool], %e: (float32, ()), %f: (int64,), %g: fn [T](T, T) -> T,"
        " %h: ref(float16), %i: _) { %a }"
    )
    types = [p.type_annotation for p in fn.params]
    assert types[0] == TensorType((None, 3), "float32")
    assert types[1] == types[2] == TensorType((2,), "int8")
    assert types[3] == TensorType((), "bool")
    assert types[4] == TupleType((TensorType((), "float32"), TupleType(())))
    assert types[5] == TupleType((TensorType((), "int64"),))
    assert isinstance(types[6], FuncType) and types[6].arg_types[0] is types[6].type_params[0]
    assert types[7] == RefType(TensorType((), "float16"))
    assert isinstance(types[8], IncompleteType)


def test_adts_constructors_and_patterns():
    mod = lg.parse(
        LIST + "type nat { zero, succ(nat) }"
        "def @main(%l: List[nat]) -> nat {"
        "  match (%l) { Cons(succ(%n), _) => %n, Cons(%m: nat, Nil) => %m, _ => zero } }"
    )
    nat = mod.get_global_type_var("nat")
    assert mod["main"].params[0].type_annotation == TypeCall(
        mod.get_global_type_var("List"), (TypeCall(nat, ()),)
    )
    match = mod["main"].body
    assert match.complete and len(match.clauses) == 3
    first = match.clauses[0]
    assert first.lhs.constructor is mod.get_constructor("Cons")
    assert first.rhs is first.lhs.patterns[0].patterns[0].var
    default = match.clauses[2].rhs
    assert isinstance(default, lg.Call) and default.op is mod.get_constructor("zero")


def test_constructors_as_values_and_incomplete_match():
    mod = lg.parse(
        LIST + "def @main(%f: fn (int32, List[int32]) -> List[int32]) { %f }"
        "def @use() { (@main(Cons), Nil, Nil(), match? (Nil) { Cons(%x, %y) => %x }) }"
    )
    tup = mod["use"].body
    assert tup.fields[0].args[0] is mod.get_constructor("Cons")
    assert alpha_equal(tup.fields[1], tup.fields[2])
    assert tup.fields[3].complete is False


def test_mutual_recursion_and_forward_references():
    mod = lg.parse(
        "def @a(%t: Tree) -> Tree { @b(%t) } def @b(%t: Tree) -> Tree { @a(%t) }"
        "type Tree { Node(Forest) } type Forest { Leaf, More(Tree, Forest) }"
    )
    assert set(g.name_hint for g in mod.functions) == {"a", "b"}
    assert mod["a"].body.op == mod.get_global_var("b")


def test_comments_and_version_header():
    expr = lg.parse_expr('#[version = "0.0.5"]\n/* ty=float32 */ add(%x, // two\n 2f)')
    assert alpha_equal(expr, lg.parse_expr("add(%x, 2f)"))


def test_spans_on_every_node():
    mod = lg.parse("def @main(%x) {\n  let %y = add(%x, 1f);\n  (%y, %y.0)\n}")
    let = mod["main"].body
    assert mod["main"].span == (1, 1) and let.span == (2, 3)
    assert let.var.span == (2, 7) and let.value.span == (2, 12)
    assert let.value.args[1].span == (2, 20)
    assert let.body.span == (3, 3) and let.body.fields[1].span == (3, 8)


def test_parse_with_a_base_module_puts_its_names_in_scope():
    base = lg.parse(
        LIST + "def @head(%l: List[int32]) -> int32 { match? (%l) { Cons(%x, _) => %x } }"
    )
    mod = parse_with_base("def @main() -> int32 { @head(Cons(1, Nil)) }", base)
    assert set(g.name_hint for g in mod.functions) == {"head", "main"}
    assert mod.get_constructor("Cons") is base.get_constructor("Cons")
    assert "main" not in base, "the base module is not mutated"


def test_prelude_is_in_scope_and_never_shared():
    first = lg.parse("def @main() { @length(Cons(1f, Nil)) }", prelude=True)
    second = lg.parse("def @other() { None }", prelude=True)
    assert "main" in first and "main" not in second and "map" in second
    assert first is not second and first.functions is not second.functions
