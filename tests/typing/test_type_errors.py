"""Type errors: each names the construct, the expected and actual types, and the location."""

import pytest

import lambdagrad as lg
from lambdagrad.typing import infer_type

F32 = lg.TensorType((), "float32")
VEC3 = lg.TensorType((3,), "float32")


def error_of(target, mod=None) -> str:
    with pytest.raises(lg.TypeInferenceError) as info:
        infer_type(target, mod)
    return str(info.value)


def test_if_branches_mismatch_names_both_types():
    c, x = lg.var("c", "bool"), lg.var("x", VEC3)
    message = error_of(lg.Function([c, x], lg.If(c, x, lg.const(1.0))))
    expected = f"the true branch has type {VEC3} but the false branch has type {F32}"
    assert f"type mismatch in if: {expected}" in message


def test_if_condition_must_be_bool_scalar():
    x = lg.var("x", F32)
    message = error_of(lg.Function([x], lg.If(x, x, x)))
    assert "condition of if must be a bool scalar" in message and str(F32) in message


def test_call_arity_and_argument_type():
    x = lg.var("x", F32)
    mod = lg.IRModule({lg.GlobalVar("f"): lg.Function([x, lg.var("y", F32)], x)})
    assert "call of @f: expected 2 arguments, got 1" in error_of(lg.GlobalVar("f")(x), mod)
    bad = lg.GlobalVar("f")(lg.var("v", VEC3), x)
    assert f"call of @f: argument 0 has type {VEC3} but {F32} is expected" in error_of(bad, mod)


def test_unknown_global_named():
    x = lg.var("x", F32)
    mod = lg.IRModule({lg.GlobalVar("main"): lg.Function([x], lg.GlobalVar("g")(x))})
    assert "unknown global @g" in error_of(mod)


def test_let_annotation_mismatch():
    v = lg.var("v", VEC3)
    message = error_of(lg.Let(v, lg.const(1.0), v))
    assert f"let %v: the value has type {F32} but the variable is {VEC3}" in message


def test_return_annotation_mismatch():
    x = lg.var("x", F32)
    message = error_of(lg.Function([x], x, VEC3))
    assert f"body has type {F32} but its return type is {VEC3}" in message


def test_calling_a_non_function():
    x = lg.var("x", F32)
    assert "%x is not a function" in error_of(lg.Function([x], lg.Call(x, [x])))


def test_op_error_names_op_arguments_and_node():
    x, y = lg.var("x", shape=(3, 4)), lg.var("y", shape=(5,))
    message = error_of(lg.Function([x, y], x + y))
    assert message.startswith("add: cannot broadcast argument 0 of shape (3, 4)")
    assert "argument 1 of shape (5,)" in message and "argument types:" in message
    assert "\n  in: " in message


def test_op_with_unknown_argument_asks_for_annotation():
    x = lg.var("x")
    message = error_of(lg.Function([x], lg.op.add(x, lg.const(1.0))))
    assert "cannot infer the type of argument 0 of add; annotate %x" in message


def test_op_called_with_polymorphic_argument_is_rejected():
    a = lg.TypeVar("A")
    x = lg.var("x", a)
    message = error_of(lg.Function([x], lg.op.exp(x), a, (a,)))
    assert message.startswith("exp: argument 0 must be a tensor")


def test_rigid_type_variables_do_not_unify_with_tensors():
    a = lg.TypeVar("A")
    x = lg.var("x", a)
    assert "return type" in error_of(lg.Function([x], lg.const(1.0), a, (a,)))


def test_projection_errors():
    x = lg.var("x", lg.TupleType((F32,)))
    assert "cannot take field 2" in error_of(lg.Function([x], lg.TupleGetItem(x, 2)))
    t = lg.var("t")
    assert "cannot infer the tuple type of %t" in error_of(lg.Function([t], lg.TupleGetItem(t, 0)))


def test_ref_errors():
    x = lg.var("x", F32)
    assert "ref_read expects a reference" in error_of(lg.Function([x], lg.RefRead(x)))
    r = lg.RefCreate(x)
    message = error_of(lg.RefWrite(r, lg.var("v", VEC3)))
    assert f"ref_write: the reference has type {lg.RefType(F32)}" in message


def test_match_not_exhaustive_names_missing_case(list_adt):
    mod, header, cons, nil = list_adt
    xs, h = lg.var("xs", lg.TypeCall(header, (F32,))), lg.var("h")
    head = lg.Clause(lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternWildcard())), h)
    message = error_of(lg.Function([xs], lg.Match(xs, [head])), mod)
    assert "match is not exhaustive: Nil is not covered" in message


def test_match_nested_missing_case(list_adt):
    mod, header, cons, nil = list_adt
    xs = lg.var("xs", lg.TypeCall(header, (F32,)))
    clauses = [
        lg.Clause(lg.PatternConstructor(nil), lg.const(0.0)),
        lg.Clause(
            lg.PatternConstructor(
                cons,
                (
                    lg.PatternWildcard(),
                    lg.PatternConstructor(cons, (lg.PatternWildcard(), lg.PatternWildcard())),
                ),
            ),
            lg.const(2.0),
        ),
    ]
    message = error_of(lg.Function([xs], lg.Match(xs, clauses)), mod)
    assert "Cons(_, Nil) is not covered" in message


def test_match_clauses_must_agree(list_adt):
    mod, header, cons, nil = list_adt
    xs = lg.var("xs", lg.TypeCall(header, (F32,)))
    clauses = [
        lg.Clause(lg.PatternConstructor(nil), lg.const(0.0)),
        lg.Clause(lg.PatternWildcard(), lg.const(True)),
    ]
    assert "type mismatch in match" in error_of(lg.Function([xs], lg.Match(xs, clauses)), mod)


def test_pattern_of_wrong_adt_and_arity(list_adt):
    mod, header, cons, nil = list_adt
    x = lg.var("x", F32)
    clause = lg.Clause(lg.PatternConstructor(nil), x)
    assert "the pattern has type" in error_of(lg.Function([x], lg.Match(x, [clause])), mod)
    short = lg.Clause(lg.PatternConstructor(cons, (lg.PatternWildcard(),)), x)
    xs = lg.var("xs", lg.TypeCall(header, (F32,)))
    message = error_of(lg.Function([x, xs], lg.Match(xs, [short], complete=False)), mod)
    assert "pattern Cons takes 2 fields, got 1" in message


def test_error_reports_source_location():
    x = lg.var("x", VEC3)
    call = lg.Call(lg.Op.get("add"), (x, lg.var("y", shape=(4,))), span=(3, 7))
    assert "at line 3, column 7" in error_of(lg.Function([x], call))


def test_constructor_of_unknown_type():
    header = lg.GlobalTypeVar("Gone")
    ghost = lg.Constructor("Ghost", (), header)
    assert "unknown type Gone" in error_of(ghost())


def test_infinite_type_rejected():
    f = lg.var("f")
    message = error_of(lg.Function([f], lg.Call(f, [f])))
    assert "contain itself" in message
