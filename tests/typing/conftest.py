"""Fixtures for the type-inference tests: a hand-written List ADT with map and foldl."""

import pytest

import lambdagrad as lg


@pytest.fixture
def list_adt():
    """`type List[A] { Cons(A, List[A]), Nil }` in a module; returns (mod, List, Cons, Nil)."""
    a = lg.TypeVar("A")
    header = lg.GlobalTypeVar("List")
    cons = lg.Constructor("Cons", (a, lg.TypeCall(header, (a,))), header, 0)
    nil = lg.Constructor("Nil", (), header, 1)
    mod = lg.IRModule(type_definitions={header: lg.TypeData(header, (a,), (cons, nil))})
    return mod, header, cons, nil


@pytest.fixture
def list_funcs(list_adt):
    """The List module plus polymorphic `@map` and `@foldl` written with match."""
    mod, header, cons, nil = list_adt
    mod["map"] = _map(header, cons, nil)
    mod["foldl"] = _foldl(header, cons, nil)
    return mod, header, cons, nil


def _map(header, cons, nil):
    a, b = lg.TypeVar("A"), lg.TypeVar("B")
    f = lg.var("f", lg.FuncType((a,), b))
    xs = lg.var("xs", lg.TypeCall(header, (a,)))
    h, t = lg.var("h"), lg.var("t")
    clauses = [
        lg.Clause(
            lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternVar(t))),
            cons(f(h), lg.GlobalVar("map")(f, t)),
        ),
        lg.Clause(lg.PatternConstructor(nil), nil()),
    ]
    body = lg.Match(xs, clauses)
    return lg.Function([f, xs], body, lg.TypeCall(header, (b,)), (a, b))


def _foldl(header, cons, nil):
    a, b = lg.TypeVar("A"), lg.TypeVar("B")
    f = lg.var("f", lg.FuncType((a, b), a))
    acc, xs = lg.var("acc", a), lg.var("xs", lg.TypeCall(header, (b,)))
    h, t = lg.var("h"), lg.var("t")
    clauses = [
        lg.Clause(
            lg.PatternConstructor(cons, (lg.PatternVar(h), lg.PatternVar(t))),
            lg.GlobalVar("foldl")(f, f(acc, h), t),
        ),
        lg.Clause(lg.PatternConstructor(nil), acc),
    ]
    return lg.Function([f, acc, xs], lg.Match(xs, clauses), a, (a, b))
