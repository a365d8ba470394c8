"""The optimizer keeps what programs compute on infinities, NaN and signed zeros.

Random programs (and their higher-order gradients) run before and after `optimize` on
arguments mixing finite values with inf, -inf, NaN, 0 and -0 must agree, NaN equal to NaN and
-0 equal to 0 (the optimizer keeps the sign of a zero only up to ``x + 0`` being ``x``). The
golden cases are the ones a zero factor used to absorb.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from program_gen import Program, assert_same, special_value_programs

import lambdagrad as lg

SPECIAL = (np.inf, -np.inf, np.nan, 0.0, -0.0)
ELEMENTS = st.one_of(st.sampled_from(SPECIAL), st.floats(-3, 3, width=32))


def special_arguments(draw, program: Program) -> tuple:
    """Arguments of `program`'s parameter shapes, each element finite or special."""
    args = []
    for arg in program.args:
        values = draw(st.lists(ELEMENTS, min_size=arg.size, max_size=arg.size))
        args.append(np.array(values, dtype="float32").reshape(arg.shape))
    return tuple(args)


@st.composite
def programs_on_special_values(draw, differentiable: bool = False) -> Program:
    program = draw(special_value_programs(differentiable))
    return Program(program.mod, special_arguments(draw, program))


def run(mod: lg.IRModule, args, expr=None):
    with np.errstate(all="ignore"):  # inf - inf and log(-1) are the point here
        return lg.create_executor(mod=mod).evaluate(expr)(*args)


@pytest.mark.slow
@given(programs_on_special_values())
def test_optimize_keeps_results_on_special_values(program):
    before = run(program.mod, program.args)
    assert_same(before, run(lg.transform.optimize(program.mod), program.args))


@pytest.mark.slow
@given(programs_on_special_values(differentiable=True))
def test_optimize_keeps_gradients_on_special_values(program):
    mod = program.mod.copy()
    mod["main"] = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    before = run(mod, program.args)
    assert_same(before, run(lg.transform.optimize(mod), program.args))


SPECIAL_ARGUMENT = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1.5], "float32")

# Each program is NaN where its argument is special; a zero factor absorbed these before.
NAN_SOURCES = {
    "x * 0": "multiply(%x, 0f)",
    "zeros * s": "multiply(zeros(shape=[6], dtype='float32'), %x)",
    "x * zeros_like(x)": "multiply(%x, zeros_like(%x))",
    "0 / x": "divide(zeros_like(%x), %x)",
    "x - x": "subtract(%x, %x)",
    "x / x": "divide(%x, %x)",
    "dense(zeros, x)": "nn.dense(zeros(shape=[1, 6], dtype='float32'), expand_dims(%x, axis=0))",
}


@pytest.mark.parametrize("name", NAN_SOURCES)
@pytest.mark.parametrize("level", [1, 2])
def test_a_zero_factor_keeps_nan_and_inf(name, level):
    body = NAN_SOURCES[name].replace("'", '"')
    func = lg.parse_expr(f"fn (%x: Tensor[(6), float32]) {{ {body} }}")
    before = run(lg.IRModule(), (SPECIAL_ARGUMENT,), func)
    assert np.isnan(before).any()  # the property below would be vacuous otherwise
    after = run(lg.IRModule(), (SPECIAL_ARGUMENT,), lg.transform.optimize(func, level=level))
    assert_same(before, after)


def test_fast_math_lets_a_zero_absorb_anything():
    func = lg.parse_expr("fn (%x: float32) { multiply(%x, 0f) }")
    assert lg.analysis.alpha_equal(lg.transform.optimize(func), func)
    fast = lg.transform.optimize(func, fast_math=True)
    assert lg.analysis.alpha_equal(fast, lg.parse_expr("fn (%x: float32) { 0f }"))


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_fast_math_must_be_a_bool(value):
    func = lg.parse_expr("fn (%x: float32) { %x }")
    with pytest.raises(lg.Error, match=f"optimize: fast_math must be True or False, got {value!r}"):
        lg.transform.optimize(func, fast_math=value)
    with pytest.raises(lg.Error, match="optimize_program: fast_math"):
        lg.transform.optimize_program(func, lg.IRModule(), fast_math=value)
