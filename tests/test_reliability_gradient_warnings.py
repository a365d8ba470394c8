"""Gradients that are zero by construction say so (issue 18): integer parameters and
non-differentiable ops with float results warn with lg.ZeroGradientWarning; comparisons in
conditions, argmax and constants do not; the Python face refuses integer inputs, as JAX."""

import warnings

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp


def zero_gradient_warnings(func, **kwargs) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lg.transform.gradient(func, **kwargs)
    return [str(w.message) for w in caught if w.category is lg.ZeroGradientWarning]


def test_the_warning_is_a_user_warning_exported_from_lambdagrad():
    assert issubclass(lg.ZeroGradientWarning, UserWarning)
    assert "ZeroGradientWarning" in lg.__all__


@pytest.mark.parametrize("mode", ["higher_order", "first_order"])
def test_an_integer_parameter_warns_naming_the_function_and_the_parameter(mode):
    mod = lg.parse('def @main(%x: float32, %n: int32) { multiply(%x, cast(%n, dtype="float32")) }')
    with pytest.warns(
        lg.ZeroGradientWarning, match="gradient of @main: parameter %n has type int32"
    ):
        grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode=mode)
    _, (dx, dn) = lg.create_executor(mod=mod).evaluate(grad)(2.0, 3)
    assert float(dx) == 3.0 and int(dn) == 0  # the zero the warning speaks of


def test_integer_parameters_left_out_with_wrt_do_not_warn():
    func = lg.parse_expr("fn (%x: float32, %n: (int32, bool)) { %x }")
    assert zero_gradient_warnings(func, wrt=(0,)) == []
    assert "parameter %n has type (int32, bool)" in zero_gradient_warnings(func)[0]


def test_vjp_warns_too():
    func = lg.parse_expr("fn (%x: float32, %n: int32) { %x }")
    with pytest.warns(lg.ZeroGradientWarning, match="gradient of the function: parameter %n"):
        lg.transform.vjp(func)


ROUNDING = """fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
  let %r = round(%x);
  (sum(%r), floor_divide(%y, 2f))
}"""


def test_a_rounding_op_on_a_differentiated_value_warns_with_its_line_and_column():
    messages = zero_gradient_warnings(lg.parse_expr(ROUNDING))
    assert len(messages) == 1
    assert "round (line 2, column 12), floor_divide (line 3, column 13)" in messages[0]
    assert "have a zero gradient" in messages[0]


def test_only_ops_on_differentiated_values_warn():
    message = zero_gradient_warnings(lg.parse_expr(ROUNDING), wrt=(1,))[0]
    assert "round" not in message and "floor_divide (line 3" in message


def test_rounding_in_a_global_the_function_calls_warns():
    mod = lg.parse("""
    def @step(%v: float32) -> float32 { sign(%v) }
    def @main(%x: float32) { @step(multiply(%x, %x)) }""")
    with pytest.warns(lg.ZeroGradientWarning, match="sign"):
        lg.transform.gradient(mod.get_global_var("main"), mod=mod)


QUIET = """fn (%x: Tensor[(3), float32], %y: Tensor[(3), float32]) {
  let %mask = greater(%x, 0f);
  let %relu = multiply(%x, cast(%mask, dtype="float32"));
  let %pick = take(%x, argmax(%y));
  let %choice = if (less(sum(%x), 1f)) { where(%mask, %x, %y) } else { ones_like(%y) };
  (%relu, %pick, %choice, zeros_like(%x), floor(2.5f))
}"""


def test_comparisons_argmax_value_blind_ops_and_constants_do_not_warn():
    assert zero_gradient_warnings(lg.parse_expr(QUIET)) == []


@pytest.mark.parametrize("value", [np.arange(3), 3, np.arange(3, dtype="int32"), True])
def test_the_python_face_refuses_integer_inputs_as_jax_does(value):
    with pytest.raises(lg.Error, match="grad needs floating-point inputs"):
        lg.grad(lambda x: lnp.sum(x * x))(value)


def test_the_python_face_does_not_warn_about_integers_it_does_not_differentiate():
    f = lg.jit(lambda x, n: lnp.sum(x * n))
    with warnings.catch_warnings():
        warnings.simplefilter("error", lg.ZeroGradientWarning)
        assert float(lg.grad(f)(np.float32(2.0), 3)) == 3.0
