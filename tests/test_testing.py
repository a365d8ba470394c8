"""lg.testing's own argument checks: misuse names the checker and what it got."""

import warnings

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.testing import check_grad, check_jvp

PRODUCT = "fn (%x: float64, %y: float64) { multiply(%x, %y) }"


@pytest.mark.parametrize("check", [check_grad, check_jvp], ids=["check_grad", "check_jvp"])
def test_too_few_inputs_name_the_function_arity_not_the_derived_one(check):
    name = check.__name__
    with pytest.raises(lg.Error, match=rf"^{name}: the function takes 2 input\(s\), got 1$"):
        check(lg.parse_expr(PRODUCT), [np.float64(1.0)])


@pytest.mark.parametrize("check", [check_grad, check_jvp], ids=["check_grad", "check_jvp"])
def test_a_bare_value_instead_of_a_list_is_an_lg_error(check):
    with pytest.raises(lg.Error, match="inputs must be a list with one value per parameter"):
        check(lg.parse_expr(PRODUCT), np.float64(1.0))


def test_inputs_given_as_a_tuple_are_accepted():
    check_grad(lg.parse_expr(PRODUCT), (np.float64(1.5), np.float64(-2.0)))


@pytest.mark.parametrize("inputs", [[1.5, -2.0], [np.float64(1.5), np.float64(-2.0)]])
def test_scalar_inputs_are_checked_and_a_wrong_gradient_is_caught(inputs):
    # sin's gradient replaced by the root conftest's registry-restoring fixture afterwards
    lg.register_gradient("sin", lambda call, g: [g])
    wrong = lg.parse_expr("fn (%x: float64, %y: float64) { multiply(sin(%x), %y) }")
    with pytest.raises(AssertionError, match="gradient mismatch"):
        check_grad(wrong, inputs)


@pytest.mark.parametrize("order", [1, 2])
def test_integer_parameters_are_left_out_quietly(order):
    """check_grad does not perturb integer inputs, so their (zero) gradients are not asked
    for: no ZeroGradientWarning, at any order."""
    func = lg.parse_expr(
        "fn (%x: Tensor[(4), float64], %i: Tensor[(2), int32]) { sum(tanh(take(%x, %i))) }"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", lg.ZeroGradientWarning)
        check_grad(func, [np.linspace(-1.0, 1.0, 4), np.array([3, 1], "int32")], order=order)


def test_second_order_checks_do_not_warn_about_the_rules_own_zero_derivatives():
    func = lg.parse_expr("fn (%x: Tensor[(3), float64]) { sum(multiply(abs(%x), %x)) }")
    with warnings.catch_warnings():
        warnings.simplefilter("error", lg.ZeroGradientWarning)
        check_grad(func, [np.array([-1.5, 0.5, 2.0])], order=2)
