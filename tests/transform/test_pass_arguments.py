"""Every optimizer pass says which pass got what when it is handed something it cannot take."""

import pytest

import lambdagrad as lg

PASSES = [
    "to_anf",
    "from_anf",
    "simplify",
    "fold_constant",
    "eliminate_common_subexpr",
    "dead_code_elimination",
    "inline",
    "partial_evaluate",
    "optimize",
]


@pytest.mark.parametrize("name", PASSES)
@pytest.mark.parametrize("bad", [42, "fn (%x) { %x }", None])
def test_a_target_that_is_no_program_is_an_lg_error_naming_the_pass(name, bad):
    expected = f"^{name}: expected an expression, .* got {type(bad).__name__}"
    with pytest.raises(lg.Error, match=expected):
        getattr(lg.transform, name)(bad)


@pytest.mark.parametrize("name", ["partial_evaluate", "optimize"])
def test_a_mod_that_is_no_module_is_an_lg_error(name):
    f = lg.parse_expr("fn (%x: float32) { %x }")
    with pytest.raises(lg.Error, match=f"^{name}: mod must be an IRModule, got int 3"):
        getattr(lg.transform, name)(f, mod=3)


def test_partial_evaluate_takes_a_bare_expression():
    x = lg.var("x", "float32")
    out = lg.transform.partial_evaluate(x * lg.op.add(1.0, 2.0))
    assert lg.analysis.alpha_equal(lg.transform.from_anf(out), x * lg.const(3.0))
