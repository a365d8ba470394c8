"""Names that are not identifiers print quoted (``%"a b"``, ``@"x y"``) and parse back to
themselves (issue 18): the printer used to write ``%a_b`` and ``%_`` for ``"a b"`` and ``"é"``,
and two globals ``"x y"`` and ``"x_y"`` printed as the same ``@x_y``."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdagrad as lg


@pytest.mark.parametrize("name", ["a b", "é", "1a", "0", "a-b", "a.b", "%x", 'q"uote\\', "x"])
def test_a_variable_name_parses_back_to_itself(name):
    func = lg.Function([lg.var(name)], lg.const(1.0))
    assert lg.parse_expr(str(func)).params[0].name_hint == name


def test_quoted_forms():
    func = lg.Function([lg.var("a b")], lg.var("é"))
    assert str(func) == 'fn (%"a b") {\n  %"\\u00e9"\n}'
    assert lg.parse_expr('let %"a b" = 1f; %"a b"').var.name_hint == "a b"


def test_globals_that_differ_only_in_spelling_stay_apart():
    spaced, underscored = lg.GlobalVar("x y"), lg.GlobalVar("x_y")
    mod = lg.IRModule(
        {
            spaced: lg.Function([], lg.const(1.0)),
            underscored: lg.Function([], lg.const(2.0)),
            lg.GlobalVar("main"): lg.Function([], lg.op.add(spaced(), underscored())),
        }
    )
    back = lg.parse(str(mod))
    assert {g.name_hint for g in back.functions} == {"x y", "x_y", "main"}
    assert float(lg.create_executor(mod=back).evaluate()()) == 3.0


def test_a_bad_escape_in_a_quoted_name_is_a_located_parse_error():
    with pytest.raises(lg.ParseError, match="invalid quoted name") as caught:
        lg.parse_expr('fn (%"a\\q") { 1f }')
    assert (caught.value.line, caught.value.column) == (1, 5)


NAMES = st.text(max_size=8)


@given(local=NAMES, other=NAMES, global_name=NAMES)
def test_printed_names_parse_back_to_the_same_names(local, other, global_name):
    x, y = lg.var(local), lg.var(other)
    gvar = lg.GlobalVar(global_name or "g")
    body = lg.Let(y, lg.op.add(x, lg.const(1.0)), lg.op.multiply(y, x))
    mod = lg.IRModule({gvar: lg.Function([x], body)})
    back = lg.parse(str(mod))
    func = back[gvar.name_hint]
    assert lg.analysis.alpha_equal(func, mod[gvar])
    assert func.params[0].name_hint == (local or "v")
    assert func.body.var.name_hint in (other or "v", f"{other or 'v'}_1")  # a clash is renamed
