"""Random compositions of lnp functions: reverse mode, forward mode and vmap agree.

Reverse mode runs the ops' gradient rules and forward mode their forward rules, so
agreement checks one set of rules against the other on programs nobody wrote by hand.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdagrad as lg
import lambdagrad.numpy as lnp

UNARY = [lnp.tanh, lnp.sin, lnp.exp, lnp.nn.sigmoid, lambda x: x**2, lambda x: -x]
BINARY = [lnp.add, lnp.multiply, lnp.subtract, lambda x, y: x / (1.0 + y * y)]
REDUCE = [lnp.sum, lnp.mean, lambda x: lnp.max(x, axis=0)]


@st.composite
def programs(draw):
    """A list of steps; each applies a unary or binary op to earlier values."""
    steps = []
    for k in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(UNARY)), draw(st.integers(0, k))))
        else:
            pair = (draw(st.integers(0, k)), draw(st.integers(0, k)))
            steps.append(("binary", draw(st.sampled_from(BINARY)), pair))
    return steps, draw(st.sampled_from(REDUCE))


def run(program, x):
    steps, reduce = program
    values = [x]
    for kind, op, args in steps:
        values.append(op(values[args]) if kind == "unary" else op(*(values[i] for i in args)))
    return lnp.sum(reduce(values[-1] * 0.5))


vectors = st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=4).map(np.array)


@pytest.mark.slow
@given(programs(), vectors)
def test_reverse_forward_and_batched_agree(program, x):
    grad = lg.grad(lambda v: run(program, v))
    forward = lg.jacfwd(lambda v: run(program, v))
    np.testing.assert_allclose(grad(x), forward(x), rtol=1e-9, atol=1e-12)
    batch = np.stack([x, x[::-1]])
    np.testing.assert_allclose(
        lg.vmap(grad)(batch), [grad(x), grad(x[::-1])], rtol=1e-9, atol=1e-12
    )


@pytest.mark.slow
@given(programs(), vectors)
def test_hessian_is_symmetric_and_matches_reverse_over_reverse(program, x):
    hessian = lg.hessian(lambda v: run(program, v))(x)
    reverse_over_reverse = lg.jacrev(lg.grad(lambda v: run(program, v)))(x)
    np.testing.assert_allclose(hessian, reverse_over_reverse, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-8, atol=1e-10)
