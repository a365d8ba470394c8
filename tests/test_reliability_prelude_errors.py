"""An error inside a prelude function names the user's call that led there (issue 18), on both
executors: the error's own location is a line of prelude.rly, which the user never wrote."""

import numpy as np
import pytest

import lambdagrad as lg


@pytest.fixture
def failure(executor_kind):
    def fail(text: str, *args, prelude: bool = True) -> str:
        mod = lg.parse(text, prelude=prelude)
        with pytest.raises(lg.EvaluationError) as caught:
            lg.create_executor(executor_kind, mod=mod).evaluate()(*args)
        return str(caught.value)

    return fail


def test_nth_of_a_short_list_names_the_users_call(failure):
    message = failure(
        """def @main(%x: float32) -> float32 {
          let %l = Cons(%x, Nil);
          @nth(%l, 3)
        }""",
        1.0,
    )
    assert "no clause matches the value Nil (at line 50, column 3)" in message  # @tl's
    assert message.endswith("in the prelude, reached from the call of @nth (at line 3, column 11)")


def test_hd_of_nil_inside_an_expression_names_the_users_call(failure):
    text = "def @main(%xs: List[float32], %x: float32) -> float32 {\n  add(@hd(%xs), %x)\n}"
    message = failure(text, lg.make_list([], lg.parse("", prelude=True)), 1.0)
    assert message.endswith("reached from the call of @hd (at line 2, column 7)")


def test_the_first_call_into_the_prelude_is_named_once(failure):
    message = failure(
        """def @main(%xs: List[float32]) -> float32 {
          @foldl(fn (%a: float32, %l: List[float32]) { add(%a, @hd(%l)) }, 0f, Cons(%xs, Nil))
        }""",
        lg.make_list([], lg.parse("", prelude=True)),
    )
    assert message.count("reached from") == 1
    assert message.endswith("reached from the call of @foldl (at line 2, column 11)")


def test_errors_outside_the_prelude_are_as_they_were(failure):
    message = failure(
        """type List[A] { Cons(A, List[A]), Nil }
def @hd(%xs: List[float32]) -> float32 { match? (%xs) { Cons(%y, _) => %y } }
def @main(%x: float32) -> float32 { @hd(Nil) }""",
        1.0,
        prelude=False,
    )
    assert "reached from" not in message and "(at line 2, column 42)" in message


def test_an_executor_still_runs_after_a_prelude_error(executor_kind):
    mod = lg.parse("def @main(%xs: List[float32]) -> float32 { @hd(%xs) }", prelude=True)
    run = lg.create_executor(executor_kind, mod=mod).evaluate()
    with pytest.raises(lg.EvaluationError, match="reached from the call of @hd"):
        run(lg.make_list([], mod))
    assert float(run(lg.make_list([np.float32(2.5)], mod))) == 2.5
