"""alpha_equal, count_ops and features on hand-built programs."""

import numpy as np

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal


def identity(name="x"):
    x = lg.var(name, "float32")
    return lg.Function([x], x)


def test_alpha_equal_renames_bound_variables():
    assert alpha_equal(identity("a"), identity("b"))


def test_alpha_equal_respects_binding_structure():
    x, y = lg.var("x"), lg.var("y")
    first = lg.Function([x, y], x)
    second = lg.Function([x, y], y)
    assert not alpha_equal(first, second)


def test_free_vars_are_mapped_consistently_or_not_at_all():
    x, y = lg.var("x"), lg.var("y")
    assert alpha_equal(x + x, y + y)
    assert not alpha_equal(x + y, y + y)
    assert not alpha_equal(x + x, y + y, map_free_vars=False)
    assert alpha_equal(x + x, x + x, map_free_vars=False)


def test_alpha_equal_compares_annotations_constants_and_attrs():
    assert not alpha_equal(identity(), lg.Function([lg.var("x", "float64")], lg.var("x")))
    assert not alpha_equal(lg.const(1.0), lg.const(2.0))
    assert not alpha_equal(lg.const(1.0), lg.const(1.0, dtype="float64"))
    assert alpha_equal(lg.const(np.nan), lg.const(np.nan))
    x = lg.var("x")
    add = lg.Op.get("add")
    assert not alpha_equal(lg.Call(add, [x, x], {"axis": 0}), lg.Call(add, [x, x], {"axis": 1}))


def test_alpha_equal_type_params():
    a, b = lg.TypeVar("A"), lg.TypeVar("B")
    xa, xb = lg.var("x", a), lg.var("x", b)
    assert alpha_equal(lg.Function([xa], xa, a, [a]), lg.Function([xb], xb, b, [b]))
    assert not alpha_equal(lg.Function([xa], xa, a, [a]), lg.Function([xb], xb, a, [b]))


def test_alpha_equal_modules():
    one = lg.IRModule.from_expr(identity("a"))
    two = lg.IRModule.from_expr(identity("b"))
    assert alpha_equal(one, two)
    two["other"] = identity()
    assert not alpha_equal(one, two)


def test_count_ops_counts_shared_nodes_once():
    x = lg.var("x")
    shared = x * x
    assert lg.analysis.count_ops(lg.Tuple([shared, shared + shared])) == {"multiply": 1, "add": 1}


def test_features_names_node_kinds():
    x = lg.var("x")
    r = lg.var("r")
    expr = lg.Let(r, lg.RefCreate(x), lg.RefWrite(r, lg.RefRead(r)))
    assert {"Let", "RefCreate", "RefWrite", "RefRead", "Var"} == lg.analysis.features(expr)
