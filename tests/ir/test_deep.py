"""run_deep: deep recursion on a big-stack thread."""

import sys

import pytest

from lambdagrad.deep import run_deep


def depth(n: int) -> int:
    return 0 if n == 0 else 1 + depth(n - 1)


def test_deep_recursion_runs():
    assert run_deep(depth, 200_000) == 200_000


def test_errors_propagate_and_the_limit_is_restored():
    limit = sys.getrecursionlimit()

    def fail():
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run_deep(fail)
    assert sys.getrecursionlimit() == limit


def test_nested_calls_stay_on_the_same_thread():
    assert run_deep(lambda: run_deep(depth, 1000)) == 1000
