"""Dicts in lg.jit: arguments, constant-key subscripts, iteration, displays and results; a
dict is a tuple in the IR, in key order. Values are checked against the same function run
by Python, gradients against the define-by-run lg.grad of the un-jitted function. As in
JAX, a jitted function sees its dicts in key order (the test data are in that order)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambdagrad as lg
import lambdagrad.numpy as lnp
from lambdagrad.frontend import JitError

RNG = np.random.default_rng(0)
PARAMS = {"b": RNG.normal(size=2), "w": RNG.normal(size=(3, 2))}
X = RNG.normal(size=3)


def assert_same_tree(got, expected):
    """`got` has `expected`'s structure (dicts with the same keys; a jitted function's
    lists come back as tuples) and close leaves."""
    if isinstance(expected, dict):
        assert isinstance(got, dict)
        assert list(got) == sorted(expected)
        for key in expected:
            assert_same_tree(got[key], expected[key])
    elif isinstance(expected, tuple | list):
        assert isinstance(got, tuple | list) and len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert_same_tree(a, b)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def loss(p, x):
    return lnp.sum(lnp.tanh(x @ p["w"] + p["b"]))


jitted_loss = lg.jit(loss)


def sum_of_items(p):
    total = 0.0
    for key, value in p.items():
        total = total + lnp.sum(value) * len(key)
    return total


def keys_and_values(p):
    total = 0.0
    names = p.keys()
    for key in names:
        total = total + lnp.sum(p[key])
    for value in p.values():
        total = total + lnp.max(value)
    for _key in p:
        total = total * 0.5
    return total + len(p)


def membership(p):
    if "w" in p and "missing" not in p:
        return lnp.sum(p["w"])
    return lnp.sum(p["b"])


def nested(args):
    layer, extra = args
    return lnp.sum(layer["inner"]["w"] * extra[0]["scale"])


def display(p, x):
    h = lnp.tanh(x @ p["w"])
    return {"hidden": h, "both": (h, {"b": p["b"] + 1.0}), "count": 2.0}


def static_display(x):
    return {"one": 1.0, "two": 2.0}


def unpacked(p):
    a, b = p.values()
    (k1, v1), (k2, v2) = p.items()
    return {k1: v1 * 2.0, k2: v2 + a.sum() + b.sum()}


def zipped(p, q):
    total = 0.0
    for (_key, value), other in zip(p.items(), q.values(), strict=True):
        total = total + lnp.sum(value * other)
    return total


def stacked(p):
    rows = lnp.stack(list(p.values()))
    return {"rows": rows, "pairs": tuple(p.values())}


def matched(p, x):
    match p:
        case _:
            return -x


def sgd_step(p, g):
    return {k: p[k] - 0.1 * g[k] for k in p}


def comprehensions(p, x):
    scaled = {k: v * x.sum() for k, v in p.items() if k != "b"}
    norms = [lnp.sum(v * v) for v in p.values()]
    pairs = {f: n for f, n in zip(("first", "second"), norms, strict=True)}
    numbered = [(i, n) for i, n in enumerate(norms)]
    powers = [x**i for i in range(3)]
    return scaled, pairs, numbered, powers


CASES = [
    (sgd_step, (PARAMS, {"b": np.ones(2), "w": np.ones((3, 2))})),
    (comprehensions, (PARAMS, X)),
    (stacked, ({"a": np.ones(2), "b": np.arange(2.0)},)),
    (matched, (PARAMS, X)),
    (loss, (PARAMS, X)),
    (sum_of_items, (PARAMS,)),
    (keys_and_values, (PARAMS,)),
    (membership, (PARAMS,)),
    (membership, ({"b": np.ones(2)},)),
    (nested, (({"inner": {"w": np.ones(3)}}, [{"scale": 2.0}]),)),
    (display, (PARAMS, X)),
    (static_display, (X,)),
    (unpacked, ({"a": np.arange(2.0), "z": np.ones(2)},)),
    (zipped, (PARAMS, {"c": np.ones(2), "d": np.ones((3, 2))})),
]


@pytest.mark.parametrize(("function", "args"), CASES, ids=[c[0].__name__ for c in CASES])
def test_jitted_dict_programs_agree_with_python(function, args):
    assert_same_tree(lg.jit(function)(*args), function(*args))


def test_a_jitted_function_sees_its_dicts_in_key_order():
    in_insertion_order = {"z": np.ones(2), "a": np.arange(2.0)}
    got = lg.jit(unpacked)(in_insertion_order)
    assert_same_tree(got, unpacked({"a": np.arange(2.0), "z": np.ones(2)}))


def test_a_dict_is_a_tuple_in_key_order_in_the_ir():
    mod = lg.jit(loss).lower(PARAMS, X)
    params = mod["main"].params
    assert str(params[0].type_annotation) == "(Tensor[(2), float64], Tensor[(3, 2), float64])"


def test_the_keys_are_part_of_the_signature():
    jitted = lg.jit(sum_of_items)
    assert jitted({"a": np.ones(2)}) == sum_of_items({"a": np.ones(2)})
    assert jitted({"abc": np.ones(2)}) == sum_of_items({"abc": np.ones(2)})
    assert len(jitted.signatures) == 2


def test_grad_of_a_jitted_function_of_a_dict_is_a_dict_like_the_params():
    got = lg.grad(lg.jit(loss))(PARAMS, X)
    assert_same_tree(got, lg.grad(loss)(PARAMS, X))


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jit_of_grad_of_a_function_of_a_dict(argnums):
    got = lg.jit(lg.grad(loss, argnums=argnums))(PARAMS, X)
    assert_same_tree(got, lg.grad(loss, argnums=argnums)(PARAMS, X))


def test_jit_of_value_and_grad_of_a_function_of_a_dict():
    value, grads = lg.jit(lg.value_and_grad(loss))(PARAMS, X)
    expected_value, expected_grads = lg.value_and_grad(loss)(PARAMS, X)
    assert_same_tree((value, grads), (expected_value, expected_grads))


def flat_display(p, x):
    return {"hidden": lnp.tanh(x @ p["w"]), "shifted": x + p["b"].sum()}


@pytest.mark.parametrize("function", [flat_display, display])
@pytest.mark.parametrize("jacobian", [lg.jacfwd, lg.jacrev])
def test_jacobian_of_a_jitted_function_returning_a_dict(jacobian, function):
    # against define-by-run jacfwd: its jacrev gives zeros for display (an output repeated
    # around a constant of its shape), a bug of its own
    got = jacobian(lg.jit(function), argnums=1)(PARAMS, X)
    assert_same_tree(got, lg.jacfwd(function, argnums=1)(PARAMS, X))


jitted_display = lg.jit(display)


def loss_with_aux(p, x):
    hidden = jitted_display(p, x)
    return lnp.sum(hidden["hidden"]), hidden


def test_grad_with_a_dict_as_aux():
    grads, aux = lg.grad(lg.jit(loss_with_aux), has_aux=True)(PARAMS, X)
    expected_grads, expected_aux = lg.grad(loss_with_aux, has_aux=True)(PARAMS, X)
    assert_same_tree((grads, aux), (expected_grads, expected_aux))


def test_vmap_of_a_jitted_function_of_a_dict():
    xs = RNG.normal(size=(4, 3))
    got = lg.vmap(lg.jit(flat_display), in_axes=(None, 0))(PARAMS, xs)
    assert_same_tree(got, lg.vmap(flat_display, in_axes=(None, 0))(PARAMS, xs))


def test_gradient_through_a_dict_built_in_the_function():
    def through(p, x):
        q = {"w": p["w"] * 2.0, "b": p["b"]}
        return jitted_loss(q, x)

    got = lg.grad(lg.jit(through))(PARAMS, X)
    doubled = lg.grad(loss)({"w": PARAMS["w"] * 2.0, "b": PARAMS["b"]}, X)
    np.testing.assert_allclose(got["w"], 2.0 * doubled["w"], rtol=1e-12)
    np.testing.assert_allclose(got["b"], doubled["b"], rtol=1e-12)


def test_a_jitted_function_calling_another_passes_and_gets_dicts():
    @lg.jit
    def make(p):
        return {"w": p["w"] * 3.0, "b": p["b"]}

    @lg.jit
    def outer(p, x):
        q = make(p)
        return jitted_loss(q, x) + lnp.sum(q["w"])

    expected = loss({"w": PARAMS["w"] * 3.0, "b": PARAMS["b"]}, X) + np.sum(PARAMS["w"] * 3.0)
    np.testing.assert_allclose(outer(PARAMS, X), expected, rtol=1e-12)


def branchy(p, x):
    if lnp.sum(x) > 0:
        q = {"w": p["w"], "b": p["b"] * 2.0}
        scale = 1.0
    else:
        q = p
        scale = 3.0
    return jitted_loss(q, x) * scale


def ternary(p, x):
    q = {"w": p["w"] * 2.0, "b": p["b"]} if lnp.sum(x) > 0 else p
    return jitted_loss(q, x)


def returning_loop(p, x):
    for i in range(3):
        if lnp.sum(x) * i > 1.0:
            return {"w": p["w"] * i, "b": p["b"]}
    return p


jitted_returning_loop = lg.jit(returning_loop)


def loss_of_returning_loop(p, x):
    return jitted_loss(jitted_returning_loop(p, x), x)


def looping(p, x):
    i = 0
    while i < 3:
        p = {"w": p["w"] * 0.5, "b": p["b"] + 1.0}
        i = i + 1
    return jitted_loss(p, x)


def with_closure(p, x):
    def scaled(d, s):
        return {"w": d["w"] * s, "b": d["b"]}

    return jitted_loss(scaled(p, 2.0), x)


@pytest.mark.parametrize("x", [X, -X])
def test_a_loop_may_return_a_dict(x):
    assert_same_tree(jitted_returning_loop(PARAMS, x), returning_loop(PARAMS, x))


@pytest.mark.parametrize(
    "function", [branchy, ternary, looping, with_closure, loss_of_returning_loop]
)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_dicts_through_branches_loops_and_closures(function, sign):
    np.testing.assert_allclose(lg.jit(function)(PARAMS, sign * X), function(PARAMS, sign * X))
    got = lg.grad(lg.jit(function))(PARAMS, sign * X)
    assert_same_tree(got, lg.grad(function)(PARAMS, sign * X))


def missing_key(p):
    return p["v"]


SETTINGS = {"scale": 2.0}


def missing_setting(x):
    return x * SETTINGS["shift"]


def with_settings(x):
    config = {"power": 2, "name": "a"}  # Python values: a Python dict, used at translation
    return {config["name"]: x ** config["power"] * SETTINGS["scale"]}


def computed_key(p, k):
    return p[k]


def key_of_a_loop(p):
    total = 0.0
    for k in range(2):
        total = total + p[k]
    return total


def different_results(p, x):
    if lnp.sum(x) > 0:
        return {"a": x}
    return {"b": x}


def computed_display_key(p, k):
    return {k: p["w"]}


def spread(p):
    return {**p}


def branches_disagree(p, x):
    if lnp.sum(x) > 0:
        q = {"a": x}
        y = x
    else:
        q = {"b": x}
        y = -x
    return q, y


def ternary_disagrees(p, x):
    return {"a": x} if lnp.sum(x) > 0 else (x,)


def loop_changes_keys(p, x):
    i = 0
    while i < 2:
        p = {"v": x}
        i = i + 1
    return p


def dict_get(p):
    return p.get("w")


def items_with_arguments(p):
    return p.items(1)


def test_python_dicts_are_used_at_translation():
    assert_same_tree(lg.jit(with_settings)(X), with_settings(X))


def filtered_by_values(p):
    return {k: v for k, v in p.items() if lnp.sum(v) > 0}


def comprehension_over_a_vector(p, x):
    return [v for v in x]


@pytest.mark.parametrize(
    ("function", "args", "line", "message"),
    [
        (filtered_by_values, (PARAMS,), 1, "an if in a comprehension tests a value known only"),
        (
            comprehension_over_a_vector,
            (PARAMS, X),
            1,
            "list comprehension over Tensor[(3), float64]",
        ),
        (missing_key, (PARAMS,), 1, "no key 'v' (its keys: 'b', 'w')"),
        (missing_setting, (X,), 1, "no key 'shift' (its keys: 'scale')"),
        (computed_display_key, (PARAMS, 1), 1, "keys of a dict in a jitted function are constant"),
        (spread, (PARAMS,), 1, "cannot translate ** in a dict display"),
        (branches_disagree, (PARAMS, X), 1, "variable q holds dicts with other keys"),
        (ternary_disagrees, (PARAMS, X), 1, "if-expression hold dicts with other keys"),
        (loop_changes_keys, (PARAMS, X), 2, "variable p holds dicts with other keys"),
        (dict_get, (PARAMS,), 1, "attribute .get of a dict (it has .items(), .keys()"),
        (items_with_arguments, (PARAMS,), 1, "dict.items() takes no arguments"),
        (computed_key, (PARAMS, 1), 1, "constant string in a jitted function (its keys: 'b', 'w')"),
        (key_of_a_loop, (PARAMS,), 3, "constant string"),
        (different_results, (PARAMS, X), 3, "dicts with other keys"),
    ],
)
def test_dict_mistakes_name_the_line(function, args, line, message):
    with pytest.raises(JitError) as info:
        lg.jit(function)(*args)
    text = str(info.value)
    assert f"line {function.__code__.co_firstlineno + line}" in text
    assert message in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({1: np.ones(2)}, "argument 0: a dict passed to a jitted function has keys of type int"),
        ({"a": 1.0, 2: 1.0}, "keys that cannot be sorted together (int, str)"),
    ],
)
def test_dict_arguments_need_string_keys(params, message):
    with pytest.raises(lg.Error, match=message.replace("(", r"\(").replace(")", r"\)")):
        lg.jit(sum_of_items)(params)


def test_dicts_inside_adt_values_are_refused():
    items = lg.List([{"a": np.ones(2)}])
    with pytest.raises(JitError, match=r"argument 0: a dict inside an ADT value"):
        lg.jit(sum_of_items)(items)


def test_the_arguments_are_not_mutated():
    params = {"w": np.ones((3, 2)), "b": np.zeros(2)}
    lg.jit(loss)(params, X)
    lg.grad(lg.jit(loss))(params, X)
    assert list(params) == ["w", "b"]
    assert params["w"].shape == (3, 2)


def weighted(p, scale):
    total = 0.0
    for key, value in p.items():
        total = total + len(key) * lnp.sum(lnp.tanh(value * scale))
    return total


random_dicts = st.dictionaries(
    st.text("abcxyz", min_size=1, max_size=3),
    st.lists(st.floats(-2, 2), min_size=1, max_size=3).map(np.array),
    min_size=1,
    max_size=4,
)


@settings(max_examples=25)  # each new set of keys is a new specialization, compiled
@given(random_dicts, st.floats(0.5, 1.5))
def test_random_dicts_agree_with_python_and_define_by_run_gradients(params, scale):
    jitted = lg.jit(weighted)
    np.testing.assert_allclose(jitted(params, scale), weighted(params, scale), rtol=1e-12)
    assert_same_tree(lg.grad(jitted)(params, scale), lg.grad(weighted)(params, scale))


def squared_loss(p, x):
    return lnp.sum(lnp.tanh(x @ p["w"] + p["b"]) ** 2)


jitted_grad = lg.jit(lg.grad(squared_loss))


def train(p, x, steps):
    for _ in range(steps):
        g = jitted_grad(p, x)
        p = {k: p[k] - 0.1 * g[k] for k in p}
    return p


def test_a_training_loop_over_dict_parameters_is_one_program():
    jitted = lg.jit(train)
    assert_same_tree(jitted(PARAMS, X, 5), train(PARAMS, X, 5))
    text = str(jitted.lower(PARAMS, X, 5))
    assert "for_loop" in text and text.count("= @grad_squared_loss(") == 1  # one call: no unrolling
