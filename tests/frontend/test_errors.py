"""What lg.jit cannot translate, and mistakes in programs, are lg.Errors naming the file,
the line and the construct; run-time errors point at the Python line."""

import functools
import re

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.frontend import JitError

COUNTER = [0]


def plain_python(x):
    return x


@lg.jit
def with_statement(x):
    with open("data") as handle:
        x = handle
    return x


@lg.jit
def try_statement(x):
    try:
        return x
    except ValueError:
        return x


@lg.jit
def generator(x):
    yield x


@lg.jit
def global_mutation(x):
    global COUNTER
    COUNTER = x
    return x


@lg.jit
def list_mutation(x):
    COUNTER.append(x)
    return x


@lg.jit
def arbitrary_call(x):
    return plain_python(x) * 2.0


@lg.jit
def comprehension(x):
    return [v for v in x]


@lg.jit
def subscript_assignment(x):
    x[0] = 1.0
    return x


@lg.jit
def changes_type(x, xs):
    for v in xs:
        x = np.concatenate((x, v))
    return x


@pytest.mark.parametrize(
    ("function", "construct"),
    [
        (with_statement, "a with statement"),
        (try_statement, "a try statement"),
        (generator, "yield"),
        (global_mutation, "global statement (global mutation)"),
        (list_mutation, "cannot call"),
        (arbitrary_call, "cannot call plain_python"),
        (comprehension, "a list comprehension"),
        (subscript_assignment, "assignment to a subscript"),
    ],
)
def test_untranslatable_constructs_name_file_line_and_construct(function, construct):
    with pytest.raises(JitError) as info:
        function(1.0)
    message = str(info.value)
    assert construct in message
    line = function.fun.__code__.co_firstlineno
    found = re.search(r'File "(.*)", line (\d+)', message)
    assert found.group(1) == __file__
    assert line < int(found.group(2)) <= line + 5
    assert isinstance(info.value, lg.Error)


def test_a_loop_variable_changing_type_is_named():
    with pytest.raises(JitError, match="variable x has the types"):
        changes_type(np.ones(2), lg.List([np.ones(2)]))


@lg.jit
def shape_mismatch(x, w):
    y = x * 2.0
    return y @ w


def test_type_errors_point_at_the_python_line():
    with pytest.raises(lg.TypeInferenceError) as info:
        shape_mismatch(np.ones(3), np.ones((4, 2)))
    line = shape_mismatch.fun.__code__.co_firstlineno + 3
    assert f'File "{__file__}", line {line}: return y @ w' in str(info.value)


@lg.jit
def out_of_bounds(x, i):
    y = x + 1.0
    return lg.op.take(y, i, axis=0, mode="fast")


def test_run_time_errors_point_at_the_python_line():
    assert out_of_bounds(np.ones(3), 1) == 2.0
    with pytest.raises(lg.EvaluationError) as info:
        out_of_bounds(np.ones(3), 7)
    line = out_of_bounds.fun.__code__.co_firstlineno + 3
    assert f"line {line}: return lg.op.take(y, i" in str(info.value)


@lg.jit
def incomplete_match(xs):
    match xs:
        case lg.List.Cons(head, _):
            return head


def test_a_match_that_is_not_exhaustive_is_a_type_error():
    with pytest.raises(lg.TypeInferenceError, match="not exhaustive: Nil"):
        incomplete_match(lg.List([1.0]))


@lg.jit
def identity(x):
    return x


def test_bad_arguments():
    with pytest.raises(JitError, match="argument 0: .* got str"):
        identity("text")
    with pytest.raises(JitError, match="type parameter A of this List"):
        identity(lg.List([]))
    with pytest.raises(JitError, match="identity takes 1 argument"):
        identity(1.0, 2.0)
    with pytest.raises(JitError, match="pass arguments by position"):
        identity(x=1.0)
    with pytest.raises(JitError, match="takes a Python function or an IRModule"):
        lg.jit(3)


def test_a_wrapper_is_not_taken_for_the_function_it_wraps():
    @functools.wraps(identity)
    def logged(*args):  # a decorator's result: its source is not what it computes
        return identity(*args)

    with pytest.raises(JitError, match="wraps another function"):
        lg.jit(logged)(1.0)


WEIGHTS = np.ones(3)


@lg.jit
def calls_an_array(x):
    return WEIGHTS(x)


def test_calling_a_python_value_that_is_no_function():
    with pytest.raises(JitError, match="cannot call array"):
        calls_an_array(1.0)


@lg.jit
def bad_dtype(x):
    return x.astype("no such dtype")


@lg.jit
def bad_slice(x):
    return x[0.5:2]


def test_bad_attributes_and_slices():
    with pytest.raises(JitError, match="cast: .*no such dtype"):
        bad_dtype(np.ones(2))
    with pytest.raises(
        JitError, match=r"slice bounds must be Python ints, got slice\(0.5, 2, None\)"
    ):
        bad_slice(np.ones(3))
