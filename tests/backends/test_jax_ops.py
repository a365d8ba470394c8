"""Every op's JAX rule against the op's numpy implementation, on the rows of the op tables,
and JAX's derivatives of the rules against lambdagrad's gradients (x64 enabled).

Each table runs as one jitted program (compiling every row's ops one by one costs more).
By default one row per op, attributes and kinds of input dtypes runs, with 64-bit inputs
where the table has them; the other rows are marked slow.
"""

import jax
import numpy as np
import pytest
import test_data_ops
import test_nn_ops
import test_op_impls
from op_testing import assert_close, case_id, value_type
from test_op_gradients import CASES as GRADIENT_CASES
from test_op_gradients import Case

import lambdagrad as lg
from lambdagrad.backends.jax import RULES, NotJittable, lower_op
from lambdagrad.ops.registry import all_op_defs

TABLE = test_op_impls.CASES + test_data_ops.CASES + test_nn_ops.CASES


def leaves(values) -> list:
    return [x for v in values for x in (leaves(v) if isinstance(v, tuple) else [v])]


def narrow_inputs(row) -> int:
    return sum(x.dtype.itemsize < 8 and x.dtype != bool for x in leaves(row[1]))


def representatives(table: list) -> list:
    """One row per op, attributes and kinds of input dtypes, the widest dtypes first found."""
    chosen = {}
    for row in sorted(table, key=narrow_inputs):
        name, inputs, attrs, _ = row
        kinds = tuple(x.dtype.kind for x in leaves(inputs))
        chosen.setdefault((name, repr(attrs), kinds), row)
    return list(chosen.values())


FAST_ROWS = representatives(TABLE)
SLOW_ROWS = [row for row in TABLE if not any(row is r for r in FAST_ROWS)]


def run_rows(functions: list, arguments: list) -> list:
    """``functions[i](*arguments[i])`` for every row under one `jax.jit`, x64 enabled.

    A row whose function raises while tracing gets its exception as its result.
    """
    failures = {}

    def rows(arguments):
        results = []
        for i, (fn, args) in enumerate(zip(functions, arguments, strict=True)):
            try:
                results.append(fn(*args))
            except Exception as err:  # reported by that row's test
                failures[i] = err
                results.append(None)
        return results

    with jax.enable_x64(True):
        results = jax.jit(rows)(arguments)
        results = jax.tree.map(np.asarray, results)
    return [failures.get(i, r) for i, r in enumerate(results)]


def outcome(results: list, index: int):
    found = results[index]
    if isinstance(found, Exception):
        raise found
    return found


def assert_same(result, expected):
    """Same structure, shapes and dtypes; values equal (to a dtype's tolerance for floats)."""
    if isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected)
        for r, e in zip(result, expected, strict=True):
            assert_same(r, e)
        return
    result = np.asarray(result)
    assert (result.shape, result.dtype) == (expected.shape, expected.dtype)
    assert_close(result, expected)


@pytest.mark.parametrize("definition", all_op_defs(), ids=lambda d: d.op.name)
def test_every_registered_op_has_a_jax_rule(definition):
    assert definition.op in RULES


def row_function(row) -> lg.Function:
    """The row's op on parameters of its inputs' types, as the builders spell the call (an
    older spelling may add constant arguments or pick another op, as ``zeros`` of a tensor)."""
    name, inputs, attrs, _ = row
    params = [lg.var(f"a{i}", value_type(v)) for i, v in enumerate(inputs)]
    return lg.Function(params, lg.ops.make_call(name, params, attrs))


def shaped_by_values(func: lg.Function) -> bool:
    """Whether `func`'s result shape depends on its inputs' values (jax.jit cannot trace it)."""
    ret_type = lg.transform.infer_type(func).checked_type.ret_type
    return any(None in t.shape for t in leaves((ret_type,)) if isinstance(t, lg.TensorType))


def run_mixed(functions: list, arguments: list, eager: list) -> list:
    """`run_rows`, except that the rows marked `eager` run without jit, one by one."""
    traced = [i for i, e in enumerate(eager) if not e]
    results = iter(run_rows([functions[i] for i in traced], [arguments[i] for i in traced]))
    with jax.enable_x64(True):
        return [
            jax.tree.map(np.asarray, fn(*args)) if e else next(results)
            for fn, args, e in zip(functions, arguments, eager, strict=True)
        ]


def run_table(rows: list) -> list:
    functions = [row_function(row) for row in rows]
    eager = [shaped_by_values(f) for f in functions]
    return run_mixed([lowered(f) for f in functions], [r[1] for r in rows], eager)


def check_row(row, result):
    """The rule's result is the interpreter's (the op's numpy implementation)."""
    assert_same(result, lg.create_executor().evaluate(row_function(row))(*row[1]))


@pytest.fixture(scope="module")
def fast_results():
    return run_table(FAST_ROWS)


@pytest.fixture(scope="module")
def slow_results():
    return run_table(SLOW_ROWS)


@pytest.mark.parametrize("index", range(len(FAST_ROWS)), ids=[case_id(r) for r in FAST_ROWS])
def test_rule_computes_what_the_numpy_impl_computes(fast_results, index):
    check_row(FAST_ROWS[index], outcome(fast_results, index))


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(SLOW_ROWS)), ids=[case_id(r) for r in SLOW_ROWS])
def test_rule_on_the_other_rows_of_the_tables(slow_results, index):
    check_row(SLOW_ROWS[index], outcome(slow_results, index))


def in_float64(case: Case) -> Case:
    dtypes = ["float64" if d == "float32" else d for d in case.dtypes]
    return Case(case.name, case.build, *case.inputs, dtypes=dtypes)


def lowered(func: lg.Function):
    """`func`'s body (op calls on its parameters, tuples, projections) through the rules."""

    def run(*args):
        env = dict(zip(func.params, args, strict=True))

        def value(expr):
            if isinstance(expr, lg.Var):
                return env[expr]
            if isinstance(expr, lg.Tuple):
                return tuple(value(f) for f in expr.fields)
            if isinstance(expr, lg.TupleGetItem):
                return value(expr.tuple_value)[expr.index]
            if isinstance(expr, lg.Constant):
                return expr.data
            return lower_op(expr.op, expr.attrs)(*(value(a) for a in expr.args))

        return value(func.body)

    return run


def floats(values) -> list[int]:
    return [i for i, v in enumerate(values) if np.asarray(v).dtype.kind == "f"]


def gradient_row(case: Case):
    """A float64 instance of `case`, its inputs and a cotangent shaped like its result."""
    func, inputs = in_float64(case).function(np.random.default_rng(0))
    result = lg.create_executor().evaluate(func)(*inputs)
    return func, inputs, random_like(result, np.random.default_rng(1))


def random_like(value, rng):
    if isinstance(value, tuple):
        return tuple(random_like(v, rng) for v in value)
    return rng.standard_normal(value.shape).astype(value.dtype)


def pulled_back(func: lg.Function):
    """``(inputs, cotangent) -> (result, JAX's gradients)`` of `func` through the rules."""

    def run(inputs, cotangent):
        result, pullback = jax.vjp(lowered(func), *inputs)
        return result, pullback(cotangent)

    return run


# JAX differentiates programs of static shapes only: an arange whose length depends on its
# bounds' values (they are tracers under jax.vjp) is left to the test below.
STATIC_CASES = [
    c for c in GRADIENT_CASES if not shaped_by_values(c.function(np.random.default_rng(0))[0])
]
GRADIENT_ROWS = [gradient_row(case) for case in STATIC_CASES]


@pytest.fixture(scope="module")
def gradient_results():
    functions = [pulled_back(func) for func, _, _ in GRADIENT_ROWS]
    return run_rows(functions, [(inputs, cot) for _, inputs, cot in GRADIENT_ROWS])


@pytest.mark.parametrize("index", range(len(GRADIENT_ROWS)), ids=[c.name for c in STATIC_CASES])
def test_jax_derivative_of_a_rule_is_lambdagrads_gradient(gradient_results, index):
    func, inputs, cotangent = GRADIENT_ROWS[index]
    vjp = lg.create_executor().evaluate(lg.transform.vjp(func, mode="first_order"))
    expected, expected_grads = vjp(*inputs, cotangent)
    result, grads = outcome(gradient_results, index)
    assert_same(result, expected)
    for i in floats(inputs):
        assert_close(grads[i], expected_grads[i])


def test_a_shape_known_only_from_values_is_not_jittable_under_jax_transformations():
    start = lg.var("start", shape=())
    func = lg.Function([start], lg.op.arange(start, lg.const(np.float32(4.2)), dtype="float32"))
    with pytest.raises(NotJittable, match="arange: its result's shape depends on the value"):
        jax.vjp(lowered(func), np.float32(1.5))


def test_lower_op_fills_in_default_attributes_and_names_an_unknown_op():
    assert lower_op("sum")(np.ones((2, 3))).shape == ()
    with pytest.raises(lg.Error, match="no_such_op"):
        lower_op("no_such_op", {})
