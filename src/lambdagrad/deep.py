"""Run deeply recursive work on a thread with a large stack.

Let-chains are walked iteratively everywhere, but programs can also nest deeply in other ways
(a 10,000-deep `if` cascade, a recursive user function over a 100,000-element list). Those
passes run through `run_deep`, which moves the work to a helper thread whose C stack is large
enough for a raised recursion limit, so they neither hit RecursionError nor crash.
"""

from __future__ import annotations

import gc
import os
import sys
import threading

from .errors import EvaluationError

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
        except RecursionError:  # one line instead of a traceback of a million frames
            outcome["error"] = EvaluationError(
                f"recursion deeper than {RECURSION_LIMIT:,} calls (a runaway recursion, or a "
                "program nested deeper than lambdagrad supports)"
            )
        except BaseException as exc:  # re-raised on the caller's thread below
            outcome["error"] = exc

    _run_on_big_stack(work)
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, EvaluationError) and error.__traceback__ is None:
            raise error from None
        raise error.with_traceback(error.__traceback__)
    return outcome["value"]


_lock = threading.Lock()  # guards the recursion limit bookkeeping and the worker
_active = 0


def _run_on_big_stack(work) -> None:
    """Run `work` on the big-stack worker (or on a new big-stack thread when it is busy),
    with the recursion limit raised while any such work runs."""
    global _active
    with _lock:
        if _active == 0:
            _run_on_big_stack.saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(RECURSION_LIMIT)
        _active += 1
        worker = _worker()
    try:
        if not worker.run(work):
            _big_stack_thread(work).join()
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_run_on_big_stack.saved_limit)


_stack_size_lock = threading.Lock()  # threading.stack_size is process-wide


def _big_stack_thread(target) -> threading.Thread:
    """A started daemon thread running `target` on a `STACK_BYTES` stack."""
    with _stack_size_lock:
        old_size = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="lambdagrad-deep", daemon=True)
            thread.start()
        finally:
            threading.stack_size(old_size)
    return thread


class _Worker:
    """One long-lived big-stack thread that runs one piece of work at a time.

    Starting a thread with a 1 GiB stack costs far more than a small compiled function
    takes to run, and every call of an evaluated function goes through `run_deep`.
    """

    def __init__(self):
        self.busy = threading.Lock()  # held by the caller whose work is running
        self.start = threading.Lock()  # released to hand the worker its work
        self.done = threading.Lock()  # released by the worker when the work returns
        self.start.acquire()
        self.done.acquire()
        self.work = None
        self.lost = False  # a caller stopped waiting (e.g. KeyboardInterrupt): never reuse
        _big_stack_thread(self.loop)

    def loop(self) -> None:
        while True:
            self.start.acquire()
            self.work()
            self.done.release()

    def run(self, work) -> bool:
        """Run `work` here and return True, or return False at once if the worker is busy."""
        if not self.busy.acquire(blocking=False):
            return False
        self.work = work
        self.start.release()
        try:
            self.done.acquire()
        except BaseException:
            self.lost = True  # the work still runs; its `done` must not answer a later call
            raise
        self.busy.release()
        return True


_the_worker: _Worker | None = None


def _worker() -> _Worker:
    """The worker, made on first use (or again after a caller abandoned it)."""
    global _the_worker
    if _the_worker is None or _the_worker.lost:
        _the_worker = _Worker()
    return _the_worker


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


def _after_fork_in_child() -> None:
    """A forked child has only the thread that forked: the worker and any lock another
    thread held are gone, so start from scratch (else the child's first run_deep hangs)."""
    global _the_worker, _lock, _stack_size_lock, _active
    _the_worker = None
    _lock, _stack_size_lock = threading.Lock(), threading.Lock()
    if _active:
        sys.setrecursionlimit(_run_on_big_stack.saved_limit)
    _active = 0


os.register_at_fork(after_in_child=_after_fork_in_child)
