"""Run deeply recursive work on a thread with a large stack.

Let-chains are walked iteratively everywhere, but programs can also nest deeply in other ways
(a 10,000-deep `if` cascade, a recursive user function over a 100,000-element list). Those
passes run through `run_deep`, which moves the work to a helper thread whose C stack is large
enough for a raised recursion limit, so they neither hit RecursionError nor crash.
"""

from __future__ import annotations

import gc
import sys
import threading

STACK_BYTES = 1 << 30
RECURSION_LIMIT = 1_000_000

_state = threading.local()


def run_deep(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` with room for deep recursion; return or raise its result.

    >>> run_deep(sum, [1, 2, 3])
    6
    """
    if getattr(_state, "deep", False):
        return fn(*args, **kwargs)
    outcome: dict = {}

    def work():
        _state.deep = True
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised on the caller's thread below
            outcome["error"] = exc

    _run_on_big_stack(work)
    if "error" in outcome:
        raise outcome["error"].with_traceback(outcome["error"].__traceback__)
    return outcome["value"]


_lock = threading.Lock()
_active = 0


def _run_on_big_stack(work) -> None:
    global _active
    with _lock:
        if _active == 0:
            _run_on_big_stack.saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(RECURSION_LIMIT)
        _active += 1
        old_size = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=work, name="lambdagrad-deep")
            thread.start()
        finally:
            threading.stack_size(old_size)
    try:
        thread.join()
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_run_on_big_stack.saved_limit)


def without_gc(fn, *args, **kwargs):
    """Call `fn` with the cyclic garbage collector paused.

    Passes allocate a few objects per node and free little until they finish; on long
    programs the collector rescanning every live node made them quadratic.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return fn(*args, **kwargs)
    finally:
        if collecting:
            gc.enable()
