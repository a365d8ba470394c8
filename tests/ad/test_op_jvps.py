"""Every differentiable op's forward rule: against central differences (first and second
order, on both executors), and its record says where the rule came from."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ops.registry import all_op_defs
from lambdagrad.testing import check_jvp

from .test_op_gradients import BINARY, CASES, UNARY


@pytest.mark.parametrize("executor", ["debug", "compiled"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_rule_against_differences(case, executor):
    func, inputs = case.function(np.random.default_rng(0))
    check_jvp(func, inputs, executor=executor)


@pytest.mark.parametrize("case", UNARY + BINARY, ids=lambda c: c.name)
def test_second_order_forward_of_elementwise_ops(case):
    func, inputs = case.function(np.random.default_rng(1))
    check_jvp(func, inputs, order=2, rtol=1e-2)


def test_every_op_has_a_forward_rule_and_says_where_it_came_from():
    builtin = [d for d in all_op_defs() if not d.op.name.startswith("test.")]  # tests add ops
    missing = [d.op.name for d in builtin if d.jvp is None or not d.jvp_source]
    assert not missing, missing


def test_an_op_with_only_a_gradient_gets_it_transposed():
    lg.ops.register_op("test.triple", 1, lambda types, attrs: types[0], impl=lambda x: 3 * x)
    lg.register_gradient("test.triple", lambda c, g: [g + g + g])
    check_jvp(lg.parse_expr("fn (%x: Tensor[(2), float32]) { test.triple(%x) }"))
