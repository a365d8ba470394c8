"""Issue 18, raw exceptions: every mistake is an lg.Error that says what and where."""

import pytest

import lambdagrad as lg


def type_error(text: str) -> str:
    with pytest.raises(lg.TypeInferenceError) as info:
        lg.transform.infer_type(lg.parse(text))
    return str(info.value)


@pytest.mark.parametrize(
    "callee", ["fn (%a: float32) { %a }", "fn (%a: float32) { let %b = (%a,); %b.0 }"]
)
def test_type_errors_quoting_braces_of_the_program_are_formatted(callee):
    message = type_error(f"def @main() {{ ({callee})(True) }}")
    assert message.startswith("call of fn (%a: float32) {")
    assert "argument 0 has type bool but float32 is expected" in message
    assert "at line 1, column" in message


def test_an_op_used_as_a_value_is_located_at_its_binding():
    message = type_error("def @main(%x: float32) {\n  let %f = add;\n  %f(%x, %x)\n}")
    assert "operator add can only be called" in message and "at line 2, column 3" in message


X = lg.var("x", shape=(2,))
PAIR = lg.Tuple([X, X])
PRELUDE = lg.parse("", prelude=True)

MISUSE = {
    "infer_type(None)": lambda: lg.transform.infer_type(None),
    "infer_type(x, mod=5)": lambda: lg.transform.infer_type(X, mod=5),
    "create_executor('debug', 5)": lambda: lg.create_executor("debug", 5),
    "list_items(5)": lambda: lg.list_items(5),
    "make_list(5, mod)": lambda: lg.make_list(5, PRELUDE),
    "make_list([1], None)": lambda: lg.make_list([1], None),
    "const('abc')": lambda: lg.const("abc"),
    "const(None)": lambda: lg.const(None),
    "IRModule.from_expr(5)": lambda: lg.IRModule.from_expr(5),
    "var(None)": lambda: lg.var(None),
    "var('x', shape=5)": lambda: lg.var("x", shape=5),
    "var('x', shape=('a',))": lambda: lg.var("x", shape=("a",)),
    "TupleGetItem(t, '0')": lambda: lg.TupleGetItem(PAIR, "0"),
    "Function(x, x)": lambda: lg.Function(X, X),
    "Function([5], x)": lambda: lg.Function([5], X),
    "Call(5, [x])": lambda: lg.Call(5, [X]),
    "Tuple(5)": lambda: lg.Tuple(5),
    "Let(5, x, x)": lambda: lg.Let(5, X, X),
    "If(5, x, x)": lambda: lg.If(5, X, X),
    "RefCreate(5)": lambda: lg.RefCreate(5),
    "Match(x, 5)": lambda: lg.Match(X, 5),
    "mod[5]": lambda: PRELUDE[5],
    "IRModule({5: f})": lambda: lg.IRModule({5: lg.Function([X], X)}),
    "mod.add_type(5)": lambda: PRELUDE.copy().add_type(5),
    "count_ops(5)": lambda: lg.analysis.count_ops(5),
    "check_grad(5)": lambda: lg.testing.check_grad(5),
    "check_grad('main')": lambda: lg.testing.check_grad("main"),
    "evaluate(5)": lambda: lg.create_executor().evaluate(5),
}


@pytest.mark.parametrize("call", MISUSE.values(), ids=MISUSE.keys())
def test_python_api_misuse_is_an_lg_error(call):
    with pytest.raises(lg.Error):
        call()


def test_misuse_messages_name_the_construct_and_the_value():
    with pytest.raises(lg.Error, match="TupleGetItem: the index must be an int, got str '0'"):
        lg.TupleGetItem(PAIR, "0")
    with pytest.raises(lg.Error, match="constant must be a number .* 'abc'"):
        lg.const("abc")
    with pytest.raises(lg.Error, match="create_executor: mod must be an IRModule, got int"):
        lg.create_executor("debug", 5)


@pytest.mark.parametrize("kind", ["debug", "compiled"])
def test_an_executor_sees_globals_added_after_it_was_made(kind):
    mod = lg.parse("def @main(%xs: List[float32]) -> float32 { @sum_float32(%xs) }", prelude=True)
    run = lg.create_executor(kind, mod=mod).evaluate(
        lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    )
    value, (grad,) = run(lg.make_list([1.0, 2.0], mod))
    assert value == 3 and [float(g) for g in lg.list_items(grad)] == [1.0, 1.0]


def test_gradient_reuses_the_helpers_an_earlier_call_added():
    text = "def @main(%xs: List[float32], %t: Tree[float32]) -> float32 { @sum_float32(%xs) }"
    mod = lg.parse(text, prelude=True)
    main = mod.get_global_var("main")
    lg.transform.gradient(main, mod=mod)
    first = set(mod.functions)
    assert {"ad_lift_Tree", "ad_lift_List_1"} <= {g.name_hint for g in first}
    again = lg.transform.gradient(main, mod=mod)
    assert set(mod.functions) == first
    tree = lg.ConstructorValue(mod.get_constructor("Rose"), [1.0, lg.make_list([], mod)])
    value, grads = lg.create_executor(mod=mod).evaluate(again)(lg.make_list([2.0], mod), tree)
    assert value == 2 and lg.list_items(grads[0]) == [1.0]


@pytest.mark.parametrize(
    "source",
    [
        "fn () { zeros(shape=(100000, 100000, 100)) }",
        'fn () { ones(shape=(100000, 100000, 100), dtype="int64") }',
        "fn (%x: Tensor[(1000, 1000), float32]) { tile(%x, reps=(100000, 1000)) }",
        "fn (%x: Tensor[(10), int32]) { one_hot(%x, depth=100000000000) }",
        "fn (%x: Tensor[(10), float32]) { repeat(%x, repeats=10000000000000, axis=0) }",
        "fn (%x: Tensor[(10), float32]) { nn.pad(%x, pad_width=((0, 10000000000000),)) }",
    ],
)
def test_a_huge_result_shape_is_refused_before_allocating(source):
    op = source.split("{ ")[1].split("(")[0]
    with pytest.raises(
        lg.TypeInferenceError, match=rf"{op}: the result .* would take [\d,]+ bytes"
    ):
        lg.create_executor().evaluate(lg.parse_expr(source))


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x1c", "\x85"])
def test_the_caret_excerpt_shows_the_line_the_parser_counted(separator):
    with pytest.raises(lg.ParseError) as info:
        lg.parse_expr(f"fn (%x: float32) {separator}{{ %x }}\n  add(%x,")
    assert (info.value.line, info.value.column) == (2, 3)
    assert str(info.value).endswith("at line 2, column 3:\n      add(%x,\n      ^")


@pytest.mark.parametrize(
    "name", ["T { K } def @evil() -> float32 { 1f } type T2", "a b", "é", "1T"]
)
def test_adt_and_constructor_names_the_text_format_cannot_spell_are_refused(name):
    with pytest.raises(lg.Error, match="cannot name an ADT"):
        lg.GlobalTypeVar(name)
    header = lg.GlobalTypeVar("T")
    with pytest.raises(lg.Error, match="cannot name a constructor"):
        lg.Constructor(name, [], header)
