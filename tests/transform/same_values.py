"""Comparing what two functions compute on the same seeded random inputs."""

import numpy as np

import lambdagrad as lg


def flat(value) -> list:
    """The leaves of a (nested) tuple value."""
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in flat(item)]
    return [value]


def assert_same_values(before, after, seed=0):
    """`before` and `after` (functions of float32 tensors) agree on seeded random inputs."""
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(p.type_annotation.shape).astype("float32") for p in before.params]
    run = lg.create_executor().evaluate
    for a, b in zip(flat(run(before)(*args)), flat(run(after)(*args)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
