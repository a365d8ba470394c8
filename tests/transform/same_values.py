"""Comparing what two functions compute on the same seeded random inputs, and the programs
whose gradients the pass tests compare."""

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


# Programs whose (higher-order) gradients every pass must leave computing the same values.
GRADIENT_PROGRAMS = {
    "mlp": """fn (%x: Tensor[(4, 8), float32], %w: Tensor[(3, 8), float32],
                  %b: Tensor[(3), float32], %y: Tensor[(4, 3), float32]) {
        nn.cross_entropy_with_logits(nn.log_softmax(nn.bias_add(nn.dense(%x, %w), %b)), %y)
    }""",
    "if": """fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
        if (greater(sum(%x), 0f)) { multiply(%x, %y) } else { add(%x, negative(%y)) }
    }""",
    "closure": """fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
        let %f = fn (%a: Tensor[(3), float32]) { multiply(%a, %y) };
        add(%f(%x), %f(%f(%y)))
    }""",
}
