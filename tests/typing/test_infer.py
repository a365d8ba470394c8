"""Type inference over every node kind, globals, polymorphism, ADTs and deep programs."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.ir.visitor import post_order
from lambdagrad.typing import infer_type

F32 = lg.TensorType((), "float32")
BOOL = lg.TensorType((), "bool")
UNIT = lg.TupleType(())


def vec(n, dtype="float32"):
    return lg.TensorType((n,), dtype)


def assert_all_typed(expr):
    for node in post_order(expr):
        if not isinstance(node, lg.Op | lg.Constructor):
            assert node.checked_type is not None, node
            assert "Incomplete" not in repr(node.checked_type)


def test_constant_and_var():
    x = lg.var("x", shape=(2, 3))
    assert infer_type(x).checked_type == lg.TensorType((2, 3))
    assert infer_type(lg.const(np.zeros((4,), "int64"))).checked_type == vec(4, "int64")
    assert infer_type(lg.const(1.0)).checked_type == F32


def test_function_with_unannotated_param_gets_type_from_use():
    x, y = lg.var("x", shape=(3,)), lg.var("y")
    inner = lg.Function([y], y)
    typed = infer_type(lg.Function([x], lg.Call(inner, [x])))
    assert typed.checked_type == lg.FuncType((vec(3),), vec(3))
    assert typed.body.op.params[0].checked_type == vec(3)


def test_unannotated_function_is_generalized():
    y = lg.var("y")
    typed = infer_type(lg.Function([y], y))
    (param,) = typed.type_params
    assert typed.checked_type.arg_types == (param,) and typed.checked_type.ret_type is param


def test_tuple_and_projection():
    x = lg.var("x", shape=(2,))
    t = lg.var("t")
    expr = lg.Function([x], lg.Let(t, lg.Tuple([x, lg.const(1.0)]), lg.TupleGetItem(t, 1)))
    assert infer_type(expr).checked_type.ret_type == F32


def test_projection_of_param_deferred_until_known():
    t, x = lg.var("t"), lg.var("x", lg.TupleType((vec(2), F32)))
    first = lg.TupleGetItem(t, 0)
    f = lg.Function([t], first)
    body = lg.Call(f, [x])
    assert infer_type(lg.Function([x], body)).checked_type.ret_type == vec(2)


def test_let_with_annotation_and_if():
    c, x = lg.var("c", "bool"), lg.var("x", shape=(3,))
    y = lg.var("y", vec(3))
    expr = lg.Function([c, x], lg.Let(y, x, lg.If(c, y, x * x)))
    typed = infer_type(expr)
    assert typed.checked_type.ret_type == vec(3)
    assert typed.body.var.checked_type == vec(3)


def test_refs():
    x = lg.var("x", "float32")
    r = lg.var("r")
    body = lg.Let(r, lg.RefCreate(x), lg.Tuple([lg.RefWrite(r, x), lg.RefRead(r)]))
    typed = infer_type(lg.Function([x], body))
    assert typed.body.var.checked_type == lg.RefType(F32)
    assert typed.checked_type.ret_type == lg.TupleType((UNIT, F32))


def test_closure_captures_and_returns_function():
    x, y, f = lg.var("x", shape=(2,)), lg.var("y"), lg.var("f")
    adder = lg.Function([y], y + x)
    typed = infer_type(lg.Function([x], lg.Let(f, adder, lg.Tuple([f, lg.Call(f, [x])]))))
    closure = lg.FuncType((vec(2),), vec(2))
    assert typed.checked_type.ret_type == lg.TupleType((closure, vec(2)))


def test_broadcast_with_unknown_dims():
    x, y = lg.var("x", shape=(None, 3)), lg.var("y", shape=(4, 1, 1))
    assert infer_type(x + y).checked_type == lg.TensorType((4, None, 3))


def test_op_call_deferred_until_argument_known():
    x, f = lg.var("x"), lg.var("f")
    a = lg.var("a", shape=(5,))
    body = lg.Let(f, lg.Function([x], lg.op.exp(x)), lg.Call(f, [a]))
    typed = infer_type(lg.Function([a], body))
    assert typed.checked_type.ret_type == vec(5)
    assert_all_typed(typed)


def test_recursive_let_bound_closure():
    n = lg.var("n", "float32")
    loop = lg.var("loop")
    fn = lg.Function([n], lg.If(lg.op.less(n, lg.const(0.0)), n, lg.Call(loop, [n - 1.0])), F32)
    typed = infer_type(lg.Let(loop, fn, lg.Call(loop, [lg.const(3.0)])))
    assert typed.checked_type == F32


def test_polymorphic_global_used_at_two_types():
    t = lg.TypeVar("T")
    x = lg.var("x", t)
    mod = lg.IRModule()
    mod["id"] = lg.Function([x], x, t, (t,))
    ident = lg.GlobalVar("id")
    a, b = lg.var("a", shape=(3,)), lg.var("b", "int64")
    mod["main"] = lg.Function([a, b], lg.Tuple([ident(a), ident(b)]))
    typed = infer_type(mod)
    assert typed["main"].checked_type.ret_type == lg.TupleType((vec(3), lg.TensorType((), "int64")))
    assert typed["id"].checked_type.type_params == (t,)


def test_unannotated_global_generalized_and_instantiated():
    x = lg.var("x")
    mod = lg.IRModule()
    mod["twice"] = lg.Function([x], lg.Tuple([x, x]))
    a = lg.var("a", "bool")
    mod["main"] = lg.Function([a], lg.GlobalVar("twice")(lg.GlobalVar("twice")(a)))
    typed = infer_type(mod)
    pair = lg.TupleType((BOOL, BOOL))
    assert typed["main"].checked_type.ret_type == lg.TupleType((pair, pair))
    assert len(typed["twice"].type_params) == 1


def test_recursion_with_unannotated_return():
    n = lg.var("n", "float32")
    fact = lg.GlobalVar("fact")
    body = lg.If(lg.op.less(n, lg.const(1.0)), lg.const(1.0), n * fact(n - 1.0))
    mod = lg.IRModule({fact: lg.Function([n], body)})
    assert infer_type(mod)["fact"].checked_type == lg.FuncType((F32,), F32)


def test_mutual_recursion():
    n, m = lg.var("n", "float32"), lg.var("m", "float32")
    even, odd = lg.GlobalVar("even"), lg.GlobalVar("odd")
    zero = lg.op.less_equal(n, lg.const(0.0))
    mod = lg.IRModule()
    mod[even] = lg.Function([n], lg.If(zero, lg.const(True), odd(n - 1.0)))
    mod[odd] = lg.Function(
        [m], lg.If(lg.op.less_equal(m, lg.const(0.0)), lg.const(False), even(m - 1.0))
    )
    typed = infer_type(mod)
    assert typed[even].checked_type == lg.FuncType((F32,), BOOL)
    assert typed[odd].checked_type == lg.FuncType((F32,), BOOL)


def test_expression_with_module_globals(list_funcs):
    mod, header, cons, nil = list_funcs
    xs = cons(lg.const(1.0), nil())
    typed = infer_type(lg.GlobalVar("map")(lg.Function([v := lg.var("v")], v + v), xs), mod)
    assert typed.checked_type == lg.TypeCall(header, (F32,))


def test_list_map_and_fold(list_funcs):
    mod, header, cons, nil = list_funcs
    xs = lg.var("xs", lg.TypeCall(header, (vec(2),)))
    v, acc, item = lg.var("v"), lg.var("acc"), lg.var("item")
    norms = lg.GlobalVar("map")(lg.Function([v], lg.op.sum(v)), xs)
    total = lg.GlobalVar("foldl")(lg.Function([acc, item], acc + item), lg.const(0.0), norms)
    mod["main"] = lg.Function([xs], lg.Tuple([norms, total]))
    typed = infer_type(mod)
    assert typed["main"].checked_type.ret_type == lg.TupleType((lg.TypeCall(header, (F32,)), F32))
    assert_all_typed(typed["map"])


def test_bare_constructor_instantiated_per_use(list_adt):
    mod, header, cons, nil = list_adt
    f = lg.var("f")
    pair = lg.Tuple([lg.Call(f, [lg.const(1.0), nil()]), cons(lg.const(True), nil())])
    typed = infer_type(lg.Let(f, cons, pair), mod)
    assert typed.checked_type == lg.TupleType(
        (lg.TypeCall(header, (F32,)), lg.TypeCall(header, (BOOL,)))
    )


def test_match_pattern_vars_and_tuple_pattern(list_adt):
    mod, header, cons, nil = list_adt
    p = lg.var("p", lg.TupleType((lg.TypeCall(header, (F32,)), BOOL)))
    h, b = lg.var("h"), lg.var("b")
    clauses = [
        lg.Clause(
            lg.PatternTuple(
                (
                    lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternWildcard())),
                    lg.PatternVar(b),
                )
            ),
            lg.If(b, h, h),
        ),
        lg.Clause(
            lg.PatternTuple((lg.PatternConstructor(nil), lg.PatternWildcard())), lg.const(0.0)
        ),
    ]
    typed = infer_type(lg.Function([p], lg.Match(p, clauses)), mod)
    assert typed.checked_type.ret_type == F32
    assert typed.body.clauses[0].lhs.patterns[1].var.checked_type == BOOL


def test_incomplete_match_allowed(list_adt):
    mod, header, cons, nil = list_adt
    xs, h = lg.var("xs", lg.TypeCall(header, (F32,))), lg.var("h")
    clause = lg.Clause(lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternWildcard())), h)
    typed = infer_type(lg.Function([xs], lg.Match(xs, [clause], complete=False)), mod)
    assert typed.checked_type.ret_type == F32


def test_variable_identity_and_sharing_preserved():
    x = lg.var("x", shape=(2,))
    shared = x * x
    f = lg.Function([x], shared + shared)
    typed = infer_type(f)
    assert typed.body.args[0] is typed.body.args[1]
    assert typed.params[0] is typed.body.args[0].args[0] is typed.body.args[0].args[1]
    assert typed.params[0] is not x


def test_inputs_not_mutated(list_funcs):
    mod, *_ = list_funcs
    before = mod.copy()
    funcs = dict(mod.functions)
    typed = infer_type(mod)
    assert typed is not mod and all(mod.functions[g] is f for g, f in funcs.items())
    assert alpha_equal(mod, before) and alpha_equal(typed, mod)
    for func in mod.functions.values():
        assert all(node.checked_type is None for node in post_order(func))
    assert typed.type_definitions == mod.type_definitions


def test_every_node_kind_typed(list_adt):
    mod, header, cons, nil = list_adt
    x, r, h = lg.var("x", "float32"), lg.var("r"), lg.var("h")
    match = lg.Match(
        cons(x, nil()),
        [
            lg.Clause(lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternWildcard())), h),
            lg.Clause(lg.PatternWildcard(), x),
        ],
    )
    body = lg.Let(
        r,
        lg.RefCreate(x),
        lg.If(
            lg.op.less(x, lg.const(0.0)),
            lg.TupleGetItem(lg.Tuple([match, lg.RefWrite(r, x)]), 0),
            lg.RefRead(r),
        ),
    )
    mod["main"] = lg.Function([x], body)
    typed = infer_type(mod)
    assert_all_typed(typed["main"])
    kinds = lg.analysis.features(typed)
    assert {"Let", "If", "Match", "RefCreate", "RefRead", "RefWrite", "TupleGetItem"} <= kinds


def test_long_let_chain_is_iterative():
    # (speed is measured in bench/, not asserted here: a shared machine made 10 s flaky)
    x = lg.var("x", shape=(2,))
    body = x
    for i in range(100_000):
        body = lg.Let(lg.var(f"v{i}"), lg.const(1.0), body)
    typed = infer_type(lg.Function([x], body))
    assert typed.checked_type.ret_type == vec(2)


def test_long_dependent_let_chain():
    x = lg.var("x", shape=(2,))
    prev, lets = x, []
    for i in range(100_000):
        v = lg.var(f"v{i}")
        lets.append((v, lg.op.negative(prev)))
        prev = v
    body = prev
    for v, value in reversed(lets):
        body = lg.Let(v, value, body)
    assert infer_type(lg.Function([x], body)).checked_type.ret_type == vec(2)


@pytest.mark.parametrize("depth", [3000])
def test_deep_if_nesting(depth):
    c = lg.var("c", "bool")
    expr = lg.const(0.0)
    for _ in range(depth):
        expr = lg.If(c, expr, lg.const(1.0))
    assert infer_type(lg.Function([c], expr)).checked_type.ret_type == F32
