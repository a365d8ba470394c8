"""Gradients of gradients: Hessians, higher derivatives, and no perturbation confusion, on
both executors."""

import numpy as np
import pytest

import lambdagrad as lg

MODES = ["higher_order", "first_order"]


def derivative(func: lg.Function, mod: lg.IRModule, mode: str, index: int = 0) -> lg.Function:
    """``fn(params) { gradient(func)(params).1.index }``: the derivative as a new function."""
    grad = lg.transform.gradient(func, mod=mod, mode=mode)
    params = [lg.var(p.name_hint, p.type_annotation) for p in func.params]
    return lg.Function(params, lg.TupleGetItem(lg.TupleGetItem(grad(*params), 1), index))


@pytest.mark.parametrize("mode", MODES)
def test_fourth_derivative_of_a_polynomial(mode, executor_kind):
    x = lg.var("x", "float64")
    func = lg.Function([x], x * x * x * x + lg.const(3.0, "float64") * x * x)
    mod = lg.IRModule()
    values = []
    for _ in range(4):
        func = derivative(func, mod, mode)
        values.append(float(lg.create_executor(executor_kind, mod=mod).evaluate(func)(2.0)))
    assert values == [4 * 8 + 6 * 2, 12 * 4 + 6, 24 * 2, 24]


def test_hessian_of_a_cubic_sum(executor_kind):
    x = lg.var("x", shape=(3,), dtype="float64")
    func = lg.Function([x], lg.op.sum(x * x * x))
    mod = lg.IRModule()
    hessian_rows = []
    gradient_fn = derivative(func, mod, "higher_order")
    for i in range(3):
        v = lg.var("v", shape=(3,), dtype="float64")
        onehot = np.eye(3)[i]
        row = lg.Function([v], lg.op.sum(gradient_fn(v) * lg.const(onehot)))
        row_grad = lg.transform.gradient(row, mod=mod)
        _, (h,) = lg.create_executor(executor_kind, mod=mod).evaluate(row_grad)(
            np.array([1.0, 2.0, 3.0])
        )
        hessian_rows.append(h)
    np.testing.assert_allclose(np.array(hessian_rows), np.diag([6.0, 12.0, 18.0]))


def test_second_derivative_through_if_match_and_recursion(executor_kind):
    text = """
    def @main(%x: float64) -> float64 {
      let %xs = Cons(%x, Cons(multiply(%x, %x), Nil));
      let %total = @foldl(fn (%a: float64, %b: float64) { add(%a, multiply(%b, %b)) }, 0f64, %xs);
      match (Cons(%total, Nil)) {
        Cons(%t, _) => if (greater(%t, 0f64)) { multiply(%t, %x) } else { %x },
        Nil => %x,
      }
    }"""
    mod = lg.parse(text, prelude=True)
    main = mod["main"]
    second = derivative(derivative(main, mod, "higher_order"), mod, "higher_order")
    x = 1.5
    # f = (x^2 + x^4) * x = x^3 + x^5; f'' = 6x + 20x^3
    value = lg.create_executor(executor_kind, mod=mod).evaluate(second)(x)
    assert np.isclose(value, 6 * x + 20 * x**3)


@pytest.mark.parametrize("mode", MODES)
def test_no_perturbation_confusion(mode, executor_kind):
    """d/dx [x * (d/dy (x + y))(y=1)] = 1, not 2: the inner derivative is its own."""
    x, y = lg.var("x", "float64"), lg.var("y", "float64")
    mod = lg.IRModule()
    inner = lg.transform.gradient(lg.Function([x, y], x + y), mod=mod, mode=mode)
    outer_x = lg.var("x", "float64")
    dy = lg.TupleGetItem(lg.TupleGetItem(inner(outer_x, lg.const(1.0, "float64")), 1), 1)
    outer = lg.Function([outer_x], outer_x * dy)
    _, (dx,) = lg.create_executor(executor_kind, mod=mod).evaluate(
        lg.transform.gradient(outer, mod=mod, mode=mode)
    )(3.0)
    assert dx == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_nested_derivative_that_uses_the_outer_variable(mode, executor_kind):
    """d/dx [x * (d/dy (x * y))(x, y=x)] = d/dx [x * x] = 2x."""
    x, y = lg.var("x", "float64"), lg.var("y", "float64")
    mod = lg.IRModule()
    inner = lg.transform.gradient(lg.Function([x, y], x * y), mod=mod, mode=mode)
    outer_x = lg.var("x", "float64")
    dy = lg.TupleGetItem(lg.TupleGetItem(inner(outer_x, outer_x), 1), 1)
    outer = lg.Function([outer_x], outer_x * dy)
    _, (dx,) = lg.create_executor(executor_kind, mod=mod).evaluate(
        lg.transform.gradient(outer, mod=mod, mode=mode)
    )(3.0)
    assert dx == 6.0
