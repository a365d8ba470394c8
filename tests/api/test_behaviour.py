"""What users see: errors that say what to do, dtypes kept, printing, nesting, deep loops."""

import numpy as np
import pytest

import lambdagrad as lg
import lambdagrad.numpy as lnp


def error_message(fn, *args) -> str:
    with pytest.raises(lg.Error) as info:
        fn(*args)
    return str(info.value)


def test_grad_of_non_scalar_output():
    message = error_message(lg.grad(lambda x: x * 2.0), np.ones(3))
    assert "scalar" in message and "(3,)" in message and "jacrev" in message


def test_grad_of_integer_input():
    message = error_message(lg.grad(lambda x: x * 2), 3)
    assert "floating-point" in message and "int64" in message and "1.0" in message


@pytest.mark.parametrize(
    ("what", "call"),
    [
        ("grad", lambda f, x: lg.grad(f)(x)),
        ("vjp", lambda f, x: lg.vjp(f, x)),
        ("jvp", lambda f, x: lg.jvp(f, (x,), (x,))),
        ("jacfwd", lambda f, x: lg.jacfwd(f)(x)),
        ("jacrev", lambda f, x: lg.jacrev(f)(x)),
        ("linear_operator", lambda f, x: lg.linear_operator(f, x)),
    ],
)
def test_integer_inputs_to_every_transformation(what, call):
    message = error_message(call, lambda x: lnp.sum(x * 2.0), np.arange(3))
    assert what in message and "floating-point inputs" in message and "int64" in message


def test_argnums_out_of_range():
    message = error_message(lg.grad(lambda x, y: x * y, argnums=2), 1.0, 2.0)
    assert "argnums=2" in message and "0 to 1" in message


@pytest.mark.parametrize("argnums", [0.5, None, "0", True, (0, 1.0)])
def test_argnums_of_the_wrong_kind(argnums):
    message = error_message(lg.grad(lambda x: x * 2.0, argnums=argnums), 1.0)
    assert "argnums must be an int or a tuple of ints" in message and repr(argnums) in message


def test_argnums_naming_an_argument_twice():
    # (0, 0) or (0, -2) would record the argument twice and give the first copy no gradient
    for argnums in [(0, 0), (0, -2)]:
        message = error_message(lg.grad(lambda x, y: x * y, argnums=argnums), 1.0, 2.0)
        assert "twice" in message and repr(argnums) in message


def test_argnums_of_a_call_without_arguments():
    assert "no positional argument" in error_message(lg.grad(lambda: 1.0))
    assert "no positional argument" in error_message(lg.linear_operator, lambda: 1.0)


def test_linear_operator_argnums():
    assert "must be an int" in error_message(lambda: lg.linear_operator(lnp.sin, 1.0, argnums=(0,)))
    assert "0 to 0" in error_message(lambda: lg.linear_operator(lnp.sin, 1.0, argnums=1))


def test_has_aux_function_that_returns_no_pair():
    for transform in (lg.grad, lg.jacrev, lg.jacfwd):
        for result, got in (
            (lambda x: x[0], "an array of shape ()"),
            (lambda x: (x[0], x, x), "a tuple of 3"),
        ):
            message = error_message(transform(result, has_aux=True), np.ones(2))
            assert "has_aux=True" in message and "pair (output, aux)" in message
            assert message.endswith(f"got {got}")


@pytest.mark.parametrize("transform", [lg.grad, lg.value_and_grad, lg.jacfwd, lg.jacrev, lg.vmap])
@pytest.mark.parametrize("fun", ["f", 5, None])
def test_a_non_function_is_refused_when_transformed(transform, fun):
    with pytest.raises(
        lg.Error, match=f"expected a function to transform, got {type(fun).__name__}"
    ):
        transform(fun)


def test_errors_name_the_transformation_the_user_called():
    assert "jacfwd" in error_message(lg.jacfwd(lambda x: "out"), 1.0)


def test_result_that_is_not_a_pytree_of_arrays():
    message = error_message(lg.grad(lambda x: "loss"), 1.0)
    assert "str" in message and "arrays" in message


def test_dict_keys_that_do_not_sort():
    message = error_message(lg.grad(lambda d: d[1] * d["a"]), {1: 1.0, "a": 2.0})
    assert "cannot be sorted" in message and "int, str" in message


def test_mismatched_shapes_name_the_op_and_shapes():
    message = error_message(lg.grad(lambda x: lnp.sum(x + np.ones(4))), np.ones(3))
    assert "add" in message and "float64[3]" in message and "float64[4]" in message


@pytest.mark.parametrize(
    ("product", "shapes", "shown"),
    [
        (lnp.dot, ((3,), (4,)), "dot: shapes (3,) and (4,) are not aligned: 3 (axis -1 of"),
        (lnp.matmul, ((2, 3), (4, 5)), "matmul: shapes (2, 3) and (4, 5) are not aligned"),
        (lnp.dot, ((3,), (4, 5)), "!= 4 (axis -2 of argument 1)"),
    ],
)
def test_products_of_unaligned_shapes_name_the_product_not_its_parts(product, shapes, shown):
    message = error_message(product, *(np.ones(s) for s in shapes))
    assert shown in message and "multiply" not in message


def test_shape_errors_on_plain_numpy_arrays_too():
    message = error_message(lnp.matmul, np.ones((2, 3)), np.ones((4, 5)))
    assert "matmul" in message and "(2, 3)" in message


def test_vjp_cotangent_of_wrong_shape():
    _, back = lg.vjp(lambda x: x * 2.0, np.ones(3))
    assert "shape (2,)" in error_message(back, np.ones(2))


def test_tangents_and_cotangents_that_are_not_numbers():
    _, back = lg.vjp(lambda x: x * 2.0, np.ones(3))
    assert "cotangent leaf 0" in error_message(back, np.array(["a", "b", "c"]))
    assert "tangent leaf 0 is 'a'" in error_message(lg.jvp, lnp.sin, (1.0,), ("a",))


def test_vmap_out_axes():
    assert "out_axes must be an int" in error_message(lg.vmap, lnp.sin, 0, (0,))
    message = error_message(lg.vmap(lnp.sin, out_axes=2), np.ones((3, 2)))
    assert "out_axes=2" in message and "(3, 2)" in message
    np.testing.assert_allclose(
        lg.vmap(lnp.sin, out_axes=-1)(np.ones((3, 2))), np.sin(np.ones((2, 3)))
    )


def test_vmap_of_a_function_returning_a_non_array():
    message = error_message(lg.vmap(lambda x: "out"), np.ones(3))
    assert "vmap" in message and "str" in message


def test_vmap_in_axes_that_do_not_fit():
    message = error_message(lg.vmap(lnp.sin, in_axes=1), np.ones(3))
    assert "in_axes 1 is out of range for shape (3,)" in message
    message = error_message(lg.vmap(lnp.sin, in_axes=(0, 0)), np.ones(3))
    assert "one entry per positional argument (1 given)" in message
    assert "at least one argument" in error_message(lg.vmap(lnp.sin, in_axes=None), np.ones(3))


def test_vmap_of_unequal_batch_sizes():
    message = error_message(lg.vmap(lambda a, b: a + b), np.ones(3), np.ones(4))
    assert "different sizes" in message and "(3,)" in message and "(4,)" in message


def test_vmap_keyword_arguments():
    message = error_message(lambda: lg.vmap(lambda x, y: x * y)(np.ones(2), y=2.0))
    assert "positionally" in message and "'y'" in message


def test_python_control_flow_on_a_batched_value():
    message = error_message(lg.vmap(lambda x: x if x > 0 else -x), np.ones(3))
    assert "lnp.where" in message


def test_float32_stays_float32():
    x = np.ones(3, np.float32)
    g = lg.grad(lambda x: lnp.sum(lnp.tanh(x) * 2.0))(x)
    assert g.dtype == np.float32
    assert lg.hessian(lambda x: lnp.sum(x**3))(x).dtype == np.float32
    assert (
        lg.vmap(lg.grad(lambda x: lnp.sum(x * x)))(np.ones((2, 3), np.float32)).dtype == np.float32
    )


def test_mixed_dtypes_promote_as_numpy_and_grads_keep_each_dtype():
    x32, x64 = np.ones(2, np.float32), np.ones(2)
    gx32, gx64 = lg.grad(lambda a, b: lnp.sum(a * b), argnums=(0, 1))(x32, x64)
    assert (gx32.dtype, gx64.dtype) == (np.float32, np.float64)


def test_print_of_an_intermediate_shows_the_array(capsys):
    def f(x):
        y = lnp.tanh(x)
        print(y)
        return lnp.sum(y)

    lg.grad(f)(np.array([0.0, 1.0]))
    assert capsys.readouterr().out.strip() == str(np.tanh(np.array([0.0, 1.0])))


def test_no_perturbation_confusion():
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x: the inner grad must not see the outer x
    assert float(lg.grad(lambda x: x * lg.grad(lambda y: x * y)(1.0))(3.0)) == 6.0
    assert float(lg.jvp(lambda x: lg.grad(lambda y: x * y)(2.0), (3.0,), (1.0,))[1]) == 1.0


def test_long_python_loop_does_not_hit_the_recursion_limit():
    def f(x):
        for _ in range(20_000):
            x = x * 1.0001
        return lnp.sum(x)

    np.testing.assert_allclose(lg.grad(f)(np.ones(2)), 1.0001**20_000, rtol=1e-9)


def test_inputs_are_not_mutated():
    x = np.array([1.0, 2.0])
    params = {"w": x}
    lg.grad(lambda p: lnp.sum(p["w"] ** 2))(params)
    assert params == {"w": x} and x.tolist() == [1.0, 2.0]


def test_constant_function_has_zero_gradient():
    assert lg.grad(lambda x: 3.0)(np.ones(2)).tolist() == [0.0, 0.0]


def test_indexing_and_slicing_gradients():
    def f(x):
        return lnp.sum(x[1:, 0] * x[0, ::-1][:2]) + x[-1, -1] ** 2 + lnp.sum(x[None, ..., [0, 0]])

    x = np.arange(9.0).reshape(3, 3)
    expected = np.zeros((3, 3))
    expected[1:, 0] += x[0, ::-1][:2]
    expected[0, ::-1][:2] += x[1:, 0]  # a view: writes through to expected
    expected[-1, -1] += 2 * x[-1, -1]
    expected[:, 0] += 2
    np.testing.assert_allclose(lg.grad(f)(x), expected)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda x: lnp.moveaxis(x, 2, 0), "moveaxis: axis 2 is out of range"),
        (lambda x: lnp.moveaxis(x, 0, -3), "moveaxis: axis -3 is out of range"),
        (lambda x: lnp.swapaxes(x, 0, 5), "swapaxes: axis 5 is out of range"),
        (lambda x: lnp.expand_dims(x, 3), "expand_dims to rank 3: axis 3 is out of range"),
        (lambda x: lnp.expand_dims(x, (0, 0)), "names a place twice"),
        (lambda x: lnp.moveaxis(x, (0,), 1), "moveaxis: axis must be an int"),
    ],
)
def test_axes_out_of_range(call, expected):
    x = np.ones((2, 3))
    assert expected in error_message(call, x)  # numpy's own functions refuse them too
    assert expected in error_message(lg.grad(lambda x: lnp.sum(call(x))), x)


@pytest.mark.parametrize("value", ["a", None, {}, np.array([1j]), np.array(["a", "b"])])
def test_values_that_are_not_real_numbers(value):
    for call in (lnp.tanh, lnp.negative, lnp.sum, lambda v: lnp.add(v, np.ones(2))):
        assert "real numbers and bools" in error_message(call, value)


def test_dtypes_that_are_not_dtypes_of_numbers():
    assert "'foo' is not a dtype" in error_message(lnp.astype, np.ones(2), "foo")
    assert "real numbers and bools" in error_message(lnp.astype, np.ones(2), str)


X3 = np.arange(24.0).reshape(2, 3, 4)
MASK = X3[..., 0] > 5


@pytest.mark.parametrize(
    "index",
    [
        lambda v: v[np.array([1, 0])],
        lambda v: v[..., np.array([3, 0])],
        lambda v: v[v > 2.0],
        lambda v: v[MASK, 1:],
        lambda v: v[None, MASK, None],
        lambda v: v[1, ..., np.array([True, False, True, False])],
        lambda v: v[0, 1:, [1, 2]],
        lambda v: v[:, 1, [[0, 2], [1, 1]]],
        lambda v: v[[0, 1], None, 2],
    ],
)
def test_array_indexing_as_numpy(index):
    # numpy arrays as indices (== on them was elementwise), k-d masks, and numpy's rule
    # that puts the array index's axes first when an int stands apart from it
    np.testing.assert_array_equal(lg.vjp(index, X3)[0], index(X3))
    positions = index(np.arange(X3.size).reshape(X3.shape)).ravel()
    expected = np.zeros(X3.size)
    np.add.at(expected, positions, 2 * X3.ravel()[positions])
    gradient = lg.grad(lambda v: lnp.sum(index(v) ** 2))(X3)
    np.testing.assert_allclose(gradient, expected.reshape(X3.shape))


def test_boolean_index_of_the_wrong_shape():
    message = error_message(lg.grad(lambda v: lnp.sum(v[np.array([True, False, True])])), X3)
    assert "boolean index of shape (3,)" in message and "(2, 3, 4)" in message


def test_numpy_signatures_lnp_follows():
    x = np.arange(6.0).reshape(2, 3)
    for ours, theirs in [
        (lnp.tile(x, [2, 1]), np.tile(x, [2, 1])),  # a list attribute
        (lnp.flip(x), np.flip(x)),
        (lnp.flip(x, (0, 1)), np.flip(x, (0, 1))),
        (lnp.expand_dims(x, (0, -1)), np.expand_dims(x, (0, -1))),
        (lnp.clip(x, None, 2.0), np.clip(x, None, 2.0)),
        (lnp.clip(np.arange(4), 1, None), np.clip(np.arange(4), 1, None)),
    ]:
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
    gradient = lg.grad(lambda v: lnp.sum(lnp.tile(lnp.flip(v), [2, 1]) * np.tile(x, [2, 1])))(x)
    np.testing.assert_array_equal(gradient, 2 * np.flip(x))
    assert "a_min or a_max" in error_message(lnp.clip, x, None, None)


def test_numpy_semantics_on_plain_arrays():
    a, b = np.array([7, -7]), np.array([2, 2])
    assert lnp.true_divide(a, b).tolist() == (a / b).tolist()
    assert lnp.floor_divide(a, b).tolist() == (a // b).tolist()
    assert lnp.mod(a, b).tolist() == (a % b).tolist()
    assert lnp.exp(np.int32(0)).dtype == np.exp(np.int32(0)).dtype
    assert lnp.multiply(np.ones(2, np.float32), 2.0).dtype == np.float32
    assert lnp.sum(np.array([True, True, False])) == 2
    x = np.arange(12.0).reshape(3, 4)
    for ours, theirs in [
        (lnp.matmul(x, np.ones(4)), x @ np.ones(4)),
        (lnp.matmul(np.ones(3), x), np.ones(3) @ x),
        (lnp.matmul(np.ones((2, 3, 4)), np.ones((4, 5))), np.ones((2, 3, 4)) @ np.ones((4, 5))),
        (lnp.mean(x, axis=(0, 1)), np.mean(x, axis=(0, 1))),
        (lnp.var(x, axis=1, ddof=1), np.var(x, axis=1, ddof=1)),
        (lnp.moveaxis(x, 0, 1), np.moveaxis(x, 0, 1)),
        (lnp.concatenate([x, x], axis=1), np.concatenate([x, x], axis=1)),
        (lnp.where(x > 3, x, 0.0), np.where(x > 3, x, 0.0)),
        (x[[2, 0], 1:3], lnp.reshape(x, (3, 4))[[2, 0], 1:3]),
    ]:
        np.testing.assert_array_equal(ours, theirs)


def test_vmap_in_axes_and_out_axes():
    xs = np.arange(6.0).reshape(2, 3)
    out = lg.vmap(lambda x, s: lnp.sum(x * s), in_axes=(1, None))(xs, 2.0)
    np.testing.assert_allclose(out, 2 * xs.sum(axis=0))
    out = lg.vmap(lambda x: lnp.stack([x, -x]), out_axes=1)(xs)
    np.testing.assert_allclose(out, np.stack([xs, -xs]))  # out[:, b] = stack([x_b, -x_b])


def test_numpy_functions_on_followed_values_run_lnp():
    def f(x):
        return np.sum(np.sin(x) * np.ones(3) + x**2) + np.shape(x)[0]

    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(lg.grad(f)(x), np.cos(x) + 2 * x, rtol=1e-12)


def test_numpy_conversion_of_a_followed_value_is_an_error():
    assert "derivative would be lost" in error_message(lg.grad(lambda x: np.asarray(x)), 1.0)
    assert "no det" in error_message(lg.grad(np.linalg.det), np.eye(2))


def test_jvp_tangent_of_wrong_shape_or_structure():
    assert "shape (2,)" in error_message(lg.jvp, lnp.sin, (np.ones(3),), (np.ones(2),))
    assert "structure" in error_message(lg.jvp, lnp.sin, (np.ones(3),), ((np.ones(3),),))


def test_vmap_in_axes_pytree_prefixes():
    params = {"w": np.arange(3.0), "b": np.ones((2, 4))}
    out = lg.vmap(lambda p: p["b"] * lnp.sum(p["w"]), in_axes=({"w": None, "b": 1},))(params)
    np.testing.assert_allclose(out, np.full((4, 2), 3.0))
    mismatch = lg.vmap(lambda p: p["w"], in_axes=({"w": 0},))
    assert "does not match" in error_message(mismatch, params)


def test_numpys_linalg_functions_on_followed_values_run_lnp_linalg():
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(lg.grad(lambda v: np.linalg.norm(v))(x), x / 5.0)


def test_an_output_returned_twice_gets_both_cotangents():
    """The backward sweep counted a repeated output's uses twice and never reached its
    inputs: vjp and jacrev of ``(h, h)`` returned zeros."""
    x = np.array([0.1, 0.2, 0.3])

    def twice(v):
        h = lnp.tanh(v)[:2]
        return h, np.ones(2) + 1.0, h

    _, pull = lg.vjp(twice, x)
    (grad,) = pull((np.array([1.0, 0.0]), np.zeros(2), np.array([0.0, 2.0])))
    np.testing.assert_allclose(grad, [1 - np.tanh(0.1) ** 2, 2 * (1 - np.tanh(0.2) ** 2), 0.0])
    for by_rows, by_columns in zip(lg.jacrev(twice)(x), lg.jacfwd(twice)(x), strict=True):
        np.testing.assert_allclose(by_rows, by_columns)
