"""Shared test set-up: hypothesis profiles that keep CI bounded, the executor kinds."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every CI run: a red build is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(params=["debug", "compiled"])
def executor_kind(request) -> str:
    """Each executor kind in turn: a test taking it runs on the interpreter and compiled code."""
    return request.param


@pytest.fixture(autouse=True)
def _fresh_op_registry():
    """Tests register ops and rules of their own (``test.*``): undo that after each test, so
    that registry-wide tests (every op has a rule, the docs' op reference) see the library's
    ops only, whatever ran before them."""
    from lambdagrad.ir import op as op_module
    from lambdagrad.ops import registry

    names = dict(op_module._OPS_BY_NAME)
    records = dict(registry._DEFS)
    rules = {op: (d.gradient, d.jvp, d.jvp_source) for op, d in records.items()}
    yield
    op_module._OPS_BY_NAME.clear()
    op_module._OPS_BY_NAME.update(names)
    registry._DEFS.clear()
    registry._DEFS.update(records)
    for op, (gradient, jvp, source) in rules.items():
        records[op].gradient, records[op].jvp, records[op].jvp_source = gradient, jvp, source
