"""Traversal helpers: order, sharing, free variables, mutators, long let-chains."""

import lambdagrad as lg
from lambdagrad.ir import ExprMutator, ExprVisitor, bound_vars, free_vars, post_order
from lambdagrad.ir.visitor import children

DEEP = 100_000


def let_chain(n: int) -> lg.Expr:
    """let %x1 = %x0 + %x0; ...; %xn, built without recursion."""
    x0 = lg.var("x0", shape=(2,))
    vars_ = [x0] + [lg.var(f"x{i}") for i in range(1, n + 1)]
    body: lg.Expr = vars_[-1]
    for i in range(n, 0, -1):
        body = lg.Let(vars_[i], vars_[i - 1] + vars_[i - 1], body)
    return lg.Function([x0], body)


def test_post_order_visits_children_first_and_shared_nodes_once():
    x = lg.var("x")
    shared = x * x
    expr = lg.Tuple([shared, shared + x])
    order = list(post_order(expr))
    assert order.index(shared) < order.index(expr)
    assert sum(1 for n in order if n is shared) == 1


def test_free_and_bound_vars():
    x, y, z = lg.var("x"), lg.var("y"), lg.var("z")
    expr = lg.Let(z, x + y, lg.Function([y], z * y))
    assert free_vars(expr) == [x, y] or free_vars(expr) == [x]
    assert free_vars(lg.Function([y], y + x)) == [x]
    assert set(bound_vars(expr)) == {z, y}


def test_free_vars_of_match_skip_pattern_vars():
    header = lg.GlobalTypeVar("Box")
    a = lg.TypeVar("A")
    box = lg.Constructor("Box", [a], header)
    v, w, d = lg.var("v"), lg.var("w"), lg.var("d")
    match = lg.Match(d, [lg.Clause(lg.PatternConstructor(box, [lg.PatternVar(v)]), v + w)])
    assert free_vars(match) == [d, w]


def test_mutator_keeps_unchanged_trees_and_sharing():
    x = lg.var("x")
    shared = x * x
    expr = lg.Tuple([shared, shared])
    assert ExprMutator().visit(expr) is expr

    class RenameX(ExprMutator):
        def __init__(self, new):
            super().__init__()
            self.new = new

        def visit_var(self, var):
            return self.new if var is x else var

    y = lg.var("y")
    out = RenameX(y).visit(expr)
    assert out is not expr and out.fields[0] is out.fields[1]
    assert out.fields[0].args == (y, y)


def test_visitor_dispatches_by_node_kind():
    class CountCalls(ExprVisitor):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def visit_call(self, call):
            self.calls += 1
            self.visit_default(call)

    x = lg.var("x")
    counter = CountCalls()
    counter.visit(lg.Let(lg.var("a"), x + x, lg.If(lg.const(True), -x, x)))
    assert counter.calls == 2


def test_children_of_every_node_kind():
    x = lg.var("x")
    ref = lg.RefCreate(x)
    assert children(lg.RefWrite(ref, x)) == (ref, x)
    assert children(lg.RefRead(ref)) == (ref,)
    assert children(lg.TupleGetItem(lg.Tuple([x]), 0))[0].fields == (x,)
    assert children(lg.If(x, x, x)) == (x, x, x)


def test_long_let_chain_traversals_do_not_recurse():
    func = let_chain(DEEP)
    assert lg.analysis.count_ops(func) == {"add": DEEP}
    assert len(free_vars(func)) == 0
    assert len(bound_vars(func)) == DEEP + 1
    ExprVisitor().visit(func)
    assert ExprMutator().visit(func) is func
    assert lg.analysis.alpha_equal(func, let_chain(DEEP))
