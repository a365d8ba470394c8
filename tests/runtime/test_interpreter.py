"""Both executors on every node kind, refs, closures, ADTs and recursion.

Every test runs on the reference interpreter and on compiled code (the `executor_kind`
fixture), so the two compute the same values and raise the same errors.
"""

import numpy as np
import pytest

import lambdagrad as lg


@pytest.fixture
def run(executor_kind):
    """``run(text, *args)``: parse `text` as a module, run its @main on `args`."""

    def run_main(text: str, *args, prelude: bool = False):
        mod = lg.parse(text, prelude=prelude)
        return lg.create_executor(executor_kind, mod=mod).evaluate()(*args)

    return run_main


@pytest.fixture
def run_expr(executor_kind):
    """``run_expr(text, *args)``: parse `text` as an expression and apply it to `args`."""

    def run_function(text: str, *args):
        return lg.create_executor(executor_kind).evaluate(lg.parse_expr(text))(*args)

    return run_function


def test_constants_tuples_and_projections(run_expr):
    out = run_expr("fn (%x: float32) { let %t = (%x, (1f, 2)); (%t.1.0, %t.1.1, %t.0) }", 3.0)
    assert out == (np.float32(1), np.int32(2), np.float32(3))
    assert out[1].dtype == "int32"


def test_non_function_expressions_evaluate_at_once(executor_kind):
    assert lg.create_executor(executor_kind).evaluate(lg.parse_expr("(1f, 2f).1")) == 2.0


@pytest.mark.parametrize("wrong", [5, "main", [lg.parse_expr("1f")]])
def test_evaluate_of_a_non_expression_is_an_lg_error_naming_it(executor_kind, wrong):
    pattern = (
        rf"^evaluate: expected an expression, a function or a global, got {type(wrong).__name__}"
    )
    with pytest.raises(lg.Error, match=pattern):
        lg.create_executor(executor_kind).evaluate(wrong)


def test_if_on_a_computed_condition(run_expr):
    f = "fn (%x: float32) { if (less(%x, 0f)) { negative(%x) } else { %x } }"
    assert run_expr(f, -2.0) == 2.0 and run_expr(f, 5.0) == 5.0


def test_closures_capture_their_environment(run):
    text = """
    def @main(%x: float32) -> float32 {
      let %scale = fn (%k: float32) -> fn (float32) -> float32 {
        fn (%y: float32) -> float32 { multiply(%k, %y) }
      };
      let %triple = %scale(3f);
      %triple(%x)
    }"""
    assert run(text, 2.0) == 6.0


def test_closures_are_callable_from_python(run_expr):
    adder = run_expr("fn (%a: float32) { fn (%b: float32) { add(%a, %b) } }", 1.0)
    assert adder(2.0) == 3.0


def test_refs_alias_and_closures_capture_refs(run):
    text = """
    def @main(%x: float32) -> (float32, float32) {
      let %r = ref(%x);
      let %alias = %r;
      let %bump = fn () -> () { ref_write(%alias, add(ref_read(%alias), 1f)) };
      let %u1 = %bump();
      let %u2 = %bump();
      (ref_read(%r), %x)
    }"""
    assert run(text, 10.0) == (12.0, 10.0)


def test_refs_passed_in_and_out(executor_kind):
    mod = lg.parse("def @main(%r: ref(float32)) -> ref(float32) { let %u = ref_write(%r, 5f); %r }")
    cell = lg.RefValue(np.float32(1))
    out = lg.create_executor(executor_kind, mod=mod).evaluate()(cell)
    assert out is cell and cell.value == 5.0


LOCAL_LIST = """
type MyList[A] { MyCons(A, MyList[A]), MyNil }
def @my_sum(%l: MyList[float32]) -> float32 {
  match (%l) {
    MyCons(%x, %rest) => add(%x, @my_sum(%rest)),
    MyNil => 0f,
  }
}
"""


def test_local_adt_and_match(executor_kind):
    mod = lg.parse(
        LOCAL_LIST + "def @main(%a: float32) -> float32 { @my_sum(MyCons(%a, MyCons(2f, MyNil))) }"
    )
    assert lg.create_executor(executor_kind, mod=mod).evaluate()(1.5) == 3.5


def test_incomplete_match_failure_names_value_and_location(executor_kind):
    mod = lg.parse("def @main(%x: float32) -> float32 { @hd(Nil) }", prelude=True)
    with pytest.raises(lg.EvaluationError, match=r"match\?: no clause matches the value Nil.*line"):
        lg.create_executor(executor_kind, mod=mod).evaluate()(1.0)


def test_mutual_recursion_through_globals(run):
    text = """
    def @is_even(%n: nat) -> bool { match (%n) { zero => True, succ(%p) => @is_odd(%p) } }
    def @is_odd(%n: nat) -> bool { match (%n) { zero => False, succ(%p) => @is_even(%p) } }
    def @main() -> (bool, bool) { (@is_even(succ(succ(zero))), @is_odd(succ(succ(zero)))) }
    """
    assert run(text, prelude=True) == (True, False)


def test_polymorphic_globals_at_two_types(run):
    text = "def @main(%x: float32) { (@id(%x), @id((%x, 1))) }"
    value, pair = run(text, 4.0, prelude=True)
    assert value == 4.0 and pair == (4.0, 1)


def test_recursive_let_bound_closure(run):
    text = """
    def @main(%n: int32) -> int32 {
      let %fact = fn (%k: int32) -> int32 {
        if (equal(%k, 0)) { 1 } else { multiply(%k, %fact(subtract(%k, 1))) }
      };
      %fact(%n)
    }"""
    assert run(text, 5) == 120


def test_python_numbers_are_cast_to_the_declared_dtype(run_expr):
    out = run_expr("fn (%x: float64, %n: int64) { (%x, %n) }", 1, 2)
    assert out[0].dtype == "float64" and out[1].dtype == "int64"


def test_argument_shape_dtype_and_count_are_checked(executor_kind):
    f = lg.create_executor(executor_kind).evaluate(
        lg.parse_expr("fn (%x: Tensor[(2, 3), float32]) { %x }")
    )
    with pytest.raises(lg.EvaluationError, match=r"argument 0 \(%x\).*shape \(3,\)"):
        f(np.zeros(3, "float32"))
    with pytest.raises(lg.EvaluationError, match="dtype float64"):
        f(np.zeros((2, 3)))
    with pytest.raises(lg.EvaluationError, match="takes 1 argument"):
        f(np.zeros((2, 3), "float32"), 1.0)


def test_inputs_are_never_mutated(executor_kind):
    x = np.arange(6, dtype="float32").reshape(2, 3)
    before = x.copy()
    f = lg.create_executor(executor_kind).evaluate(
        lg.parse_expr("fn (%x: Tensor[(2, 3), float32]) { add(%x, %x) }")
    )
    np.testing.assert_array_equal(f(x), 2 * before)
    np.testing.assert_array_equal(x, before)


def test_deep_let_chain_runs(executor_kind):
    n = 100_000
    x0 = lg.var("x0", "float32")
    names = [x0] + [lg.var(f"x{i}") for i in range(1, n + 1)]
    body: lg.Expr = names[-1]
    for i in range(n, 0, -1):  # built directly: parsing long chains is tested in tests/text
        body = lg.Let(names[i], lg.op.add(names[i - 1], lg.const(1.0)), body)
    assert lg.create_executor(executor_kind).evaluate(lg.Function([x0], body))(0.0) == n


@pytest.mark.parametrize("fold", ["foldl", "foldr"])
def test_deep_list_folded(executor_kind, fold):
    """foldl is a tail loop; foldr recurses once per element."""
    mod = lg.parse(
        f"def @main(%xs: List[float32]) -> float32 {{"
        f"  @{fold}(fn (%a: float32, %b: float32) {{ add(%a, %b) }}, 0f, %xs)"
        f"}}",
        prelude=True,
    )
    items = [np.float32(1)] * 100_000
    assert (
        lg.create_executor(executor_kind, mod=mod).evaluate()(lg.make_list(items, mod)) == 100_000
    )


def test_deep_non_tail_recursion_runs(executor_kind):
    mod = lg.parse(
        "def @main(%xs: List[float32]) -> List[float32] {"
        "  @map(fn (%x: float32) { negative(%x) }, %xs)"
        "}",
        prelude=True,
    )
    out = lg.create_executor(executor_kind, mod=mod).evaluate()(
        lg.make_list([np.float32(2)] * 100_000, mod)
    )
    items = lg.list_items(out)
    assert len(items) == 100_000 and items[-1] == -2.0


def test_deep_list_built_in_the_language_and_folded(run):
    text = """
    def @build(%n: int32, %acc: List[float32]) -> List[float32] {
      if (equal(%n, 0)) { %acc } else { @build(subtract(%n, 1), Cons(1f, %acc)) }
    }
    def @main(%n: int32) -> float32 {
      @foldl(fn (%a: float32, %b: float32) { add(%a, %b) }, 0f, @build(%n, Nil))
    }"""
    n = 100_000
    assert run(text, n, prelude=True) == n


def test_a_shared_node_is_computed_once(executor_kind):
    r = lg.var("r")
    counter = lg.RefCreate(lg.const(0.0))
    bump = lg.RefWrite(r, lg.op.add(lg.RefRead(r), lg.const(1.0)))
    body = lg.Let(r, counter, lg.Tuple([bump, bump, lg.RefRead(r)]))
    assert lg.create_executor(executor_kind).evaluate(lg.Function([], body))()[2] == 1.0


def test_deep_tree_runs(executor_kind):
    mod = lg.parse(
        "def @main(%t: Tree[float32]) -> (int32, Tree[float32]) {"
        "  (@size(%t), @tmap(fn (%x: float32) { multiply(%x, 2f) }, %t))"
        "}",
        prelude=True,
    )
    rose, cons, nil = (mod.get_constructor(n) for n in ("Rose", "Cons", "Nil"))
    tree = lg.ConstructorValue(rose, [np.float32(1), lg.ConstructorValue(nil)])
    for _ in range(10_000 - 1):  # a path: each node's only child is the tree so far
        children = lg.ConstructorValue(cons, [tree, lg.ConstructorValue(nil)])
        tree = lg.ConstructorValue(rose, [np.float32(1), children])
    size, doubled = lg.create_executor(executor_kind, mod=mod).evaluate()(tree)
    assert size == 10_000 and doubled.fields[0] == 2.0
