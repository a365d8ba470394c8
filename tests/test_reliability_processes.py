"""Issue 18: runaway recursion and forked processes."""

import os
import time
import warnings

import pytest

import lambdagrad as lg
from lambdagrad import deep

COUNT = """
def @count(%n: int32) -> int32 {
  if (equal(%n, 0)) { 0 } else { add(@count(subtract(%n, 1)), 1) }
}
def @main(%n: int32) -> int32 { @count(%n) }
"""


@pytest.mark.parametrize("kind", ["debug", "compiled"])
def test_recursion_past_the_limit_is_one_evaluation_error(monkeypatch, kind):
    monkeypatch.setattr(deep, "RECURSION_LIMIT", 2_000)
    run = lg.create_executor(kind, mod=lg.parse(COUNT)).evaluate()
    assert run(100) == 100
    with pytest.raises(lg.EvaluationError, match="recursion deeper than 2,000 calls") as info:
        run(50_000)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_a_forked_child_can_use_lambdagrad_after_the_parent_did():
    lg.transform.infer_type(lg.parse(COUNT))  # the parent's big-stack worker now exists
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: what we test
        pid = os.fork()
    if pid == 0:
        ok = False
        try:
            ok = lg.create_executor(mod=lg.parse(COUNT)).evaluate()(3) == 3
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    pytest.fail("the forked child hung in its first lambdagrad call")
