"""Partial evaluation folds recursion over static data (Relay's test_map, test_double,
test_triangle_number and test_abs_diff, in our API), and stops on recursion that never ends."""

import pytest

import lambdagrad as lg

DEFINITIONS = """
def @same[T](%a: T) -> T { %a }
def @diff(%x: nat, %y: nat) -> nat {
  match (%x) {
    zero => %y,
    succ(%xp) => match (%y) { zero => %x, succ(%yp) => @diff(%xp, %yp) },
  }
}
def @forever(%x: int32) -> int32 { @forever(%x) }
"""


def nat(n: int) -> str:
    return "succ(" * n + "zero" + ")" * n


def evaluated_main(body: str) -> lg.Function:
    mod = lg.parse(DEFINITIONS + f"def @main() {{ {body} }}", prelude=True)
    return lg.transform.partial_evaluate(mod)["main"]


def folded_value(body: str) -> lg.Expr:
    """`body` partially evaluated, without the bindings nobody reads, in A-normal form."""
    return lg.transform.to_anf(lg.transform.dead_code_elimination(evaluated_main(body)).body)


def assert_folds_to(body: str, expected: str) -> None:
    got = folded_value(body)
    value = lg.parse(f"def @main() {{ {expected} }}", prelude=True)["main"].body
    assert lg.analysis.alpha_equal(got, lg.transform.to_anf(value)), str(got)
    assert "GlobalVar" not in lg.analysis.features(got)


def test_map():
    assert_folds_to("@map(@same, Cons(1, Cons(2, Cons(3, Nil))))", "Cons(1, Cons(2, Cons(3, Nil)))")


def test_double():
    assert_folds_to(f"@nat_double({nat(3)})", nat(6))


def test_triangle_number():
    triangle = """
    let %f = fn (%x: int32) -> int32 {
      if (equal(%x, 0)) { 0 } else { add(%x, %f(subtract(%x, 1))) }
    };
    %f(10)"""
    assert_folds_to(triangle, "55")


def test_abs_diff():
    assert_folds_to(f"@diff({nat(7)}, {nat(3)})", nat(4))


def test_recursion_that_never_ends_stays_a_call():
    body = folded_value("@forever(1)")
    calls = lg.analysis.count_ops(body)
    assert "GlobalVar" in lg.analysis.features(body), calls


@pytest.mark.parametrize("n", [0, 5, 40])
def test_a_static_trip_count_with_dynamic_data_stays_a_call(n):
    mod = lg.parse(
        """
        def @loop(%n: int32, %x: float32) -> float32 {
          if (equal(%n, 0)) { %x } else { @loop(subtract(%n, 1), sin(%x)) }
        }
        def @main(%x: float32) -> float32 { @loop(%N, %x) }
        """.replace("%N", str(n))
    )
    main = lg.transform.optimize(mod)["main"]
    assert "sin" not in lg.analysis.count_ops(main)  # the recursive global is not peeled
    assert "GlobalVar" in lg.analysis.features(main)
    expected = lg.create_executor("debug", mod).evaluate()(0.5)
    assert lg.create_executor("debug", lg.transform.optimize(mod)).evaluate()(0.5) == pytest.approx(
        float(expected)
    )


# The recursion's arguments are static (a closure and constants), but when it stops is decided
# by a dynamic %x the closure captures: unfolding it would copy its body up to the budget.
DYNAMIC_THROUGH_A_CLOSURE = {
    "a closure argument": """
    def @first(%f: fn (int32) -> bool, %n: int32) -> int32 {
      if (%f(%n)) { %n } else { @first(%f, add(%n, 1)) }
    }
    def @main(%x: int32) -> int32 { @first(fn (%i: int32) -> bool { greater(%i, %x) }, 0) }
    """,
    "the recursive closure itself": """
    def @main(%x: int32) -> int32 {
      let %f = fn (%n: int32) -> int32 { if (less(%x, %n)) { %n } else { %f(add(%n, 1)) } };
      %f(0)
    }
    """,
}


@pytest.mark.parametrize(
    "text", DYNAMIC_THROUGH_A_CLOSURE.values(), ids=list(DYNAMIC_THROUGH_A_CLOSURE)
)
def test_recursion_stopped_by_a_captured_dynamic_value_is_not_unfolded(text):
    mod = lg.parse(text)
    optimized = lg.transform.optimize(mod)
    assert len(str(optimized["main"]).splitlines()) <= 20  # was 5,000 lines: 1,000 unfoldings
    run = lg.create_executor("compiled", optimized).evaluate()
    assert [int(run(x)) for x in (-1, 5, 3000)] == [0, 6, 3001]
