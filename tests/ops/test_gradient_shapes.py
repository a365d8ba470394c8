"""Gradients that need static sizes: only the dimensions they use must be known.

mean and variance divide by the size of the reduced axes, the cross-entropies by the batch
size; an unknown one is a GradientError naming the op, the argument and its shape.
"""

import numpy as np
import pytest

import lambdagrad as lg

MODES = ["first_order", "higher_order"]
XENT, XENT_LOGITS = "nn.cross_entropy", "nn.cross_entropy_with_logits"


def loss(name, attrs, shapes):
    """``fn(a0: shapes[0], ...) { sum(name(a0, ..., **attrs)) }``."""
    params = [lg.var(f"a{i}", shape=s) for i, s in enumerate(shapes)]
    return lg.Function(params, lg.op.sum(lg.ops.make_call(name, params, attrs)))


# (op, attrs, argument shapes, what the message says needs them, the shape it shows)
UNKNOWN = [
    ("mean", {"axis": 0}, [(None, 3)], "mean over axes (0,)", "(?, 3)"),
    ("variance", {"keepdims": True}, [(2, None)], "variance over axes (0, 1)", "(2, ?)"),
    (XENT, {}, [(None, 3)] * 2, f"{XENT} (batch size, dimension 0)", "(?, 3)"),
    (XENT_LOGITS, {}, [(None, 3)] * 2, f"{XENT_LOGITS} (batch size, dimension 0)", "(?, 3)"),
]
# (op, attrs, argument shapes with a dimension the gradient does not use unknown, inputs' shapes)
PARTLY_KNOWN = [
    ("mean", {"axis": 1}, [(None, 3)], [(4, 3)]),
    ("variance", {"axis": 0, "unbiased": True}, [(3, None)], [(3, 2)]),
    (XENT_LOGITS, {}, [(2, None)] * 2, [(2, 5)] * 2),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "attrs", "shapes", "what", "shown"), UNKNOWN)
def test_a_gradient_over_an_unknown_dimension_says_which(name, attrs, shapes, what, shown, mode):
    with pytest.raises(lg.GradientError) as info:
        lg.transform.gradient(loss(name, attrs, shapes), mode=mode)
    message = str(info.value)
    assert message.startswith(f"the gradient of {what} needs known shapes")
    assert f"%a0 of type Tensor[{shown}, float32]" in message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "attrs", "shapes", "actual"), PARTLY_KNOWN)
def test_a_gradient_needs_only_the_dimensions_it_uses(name, attrs, shapes, actual, mode):
    rng = np.random.default_rng(0)
    inputs = [rng.uniform(0.5, 1.5, s).astype("float32") for s in actual]
    lg.testing.check_grad(loss(name, attrs, shapes), inputs, mode=mode)


def collapse_count(expr) -> int:
    from lambdagrad.ir.visitor import post_order

    return sum(
        isinstance(n, lg.Call) and getattr(n.op, "name", "") == "collapse_sum_like"
        for n in post_order(expr)
    )


# (op, argument shapes, how many arguments were broadcast and must be summed back)
BROADCAST = [
    ("add", [(2, 3), (2, 3)], 0),
    ("multiply", [(2, 3), (3,)], 1),
    ("subtract", [(1, 3), (2, 1)], 2),
    ("broadcast_to_like", [(3,), (2, 3)], 1),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("name", "shapes", "broadcast"), BROADCAST)
def test_only_broadcast_arguments_are_summed_back(name, shapes, broadcast, mode):
    func = loss(name, {}, shapes)
    assert collapse_count(lg.transform.gradient(func, mode=mode)) == broadcast
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s).astype("float32") for s in shapes]
    lg.testing.check_grad(func, inputs, mode=mode)
