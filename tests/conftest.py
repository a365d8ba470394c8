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
