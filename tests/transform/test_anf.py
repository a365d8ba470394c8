"""to_anf, from_anf and is_anf: golden before/after programs, sharing computed once, which
programs count as already normal."""

import pytest
from hypothesis import given, settings
from program_gen import programs

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.transform import from_anf, to_anf
from lambdagrad.transform.anf import has_shared_nodes, is_anf

TO_ANF = {
    "nested_calls": (
        "fn (%x: float32) { add(multiply(%x, %x), %x) }",
        "fn (%x: float32) { let %m = multiply(%x, %x); let %a = add(%m, %x); %a }",
    ),
    "shared_node_bound_once_above_both_branches": (
        """fn (%x: float32, %c: bool) {
             %0 = multiply(%x, %x);
             if (%c) { add(%0, %0) } else { %0 }
           }""",
        """fn (%x: float32, %c: bool) {
             let %m = multiply(%x, %x);
             let %i = if (%c) { let %a = add(%m, %m); %a } else { %m };
             %i
           }""",
    ),
    "checkpoint_argument_stays_inside": (
        "fn (%x: float32) { annotation.checkpoint(tanh(sin(%x))) }",
        """fn (%x: float32) {
             let %c = annotation.checkpoint({ let %s = sin(%x); let %t = tanh(%s); %t });
             %c
           }""",
    ),
}


@pytest.mark.parametrize("name", TO_ANF)
def test_to_anf_golden(name):
    before, after = (lg.parse_expr(t) for t in TO_ANF[name])
    assert alpha_equal(to_anf(before), after), str(to_anf(before))


def test_from_anf_nests_single_use_pure_values_but_not_into_closures():
    before = lg.parse_expr(
        """fn (%x: float32) {
             let %a = multiply(%x, %x);
             let %b = sin(%x);
             let %f = fn () -> float32 { %b };
             (%a, %f)
           }"""
    )
    after = lg.parse_expr(
        """fn (%x: float32) {
             let %b = sin(%x);
             let %f = fn () -> float32 { %b };
             (multiply(%x, %x), %f)
           }"""
    )
    assert alpha_equal(from_anf(before), after), str(from_anf(before))


def test_shared_nodes_are_detected():
    x = lg.var("x", "float32")
    shared = x * x
    assert has_shared_nodes(lg.Function([x], shared + shared))
    assert not has_shared_nodes(lg.Function([x], x * x + x * x))


NOT_ANF = {
    "nested_operand": "fn (%x: float32) { let %a = add(multiply(%x, %x), %x); %a }",
    "let_as_a_value": "fn (%x: float32) { let %a = { let %b = negative(%x); %b }; %a }",
    "scope_ends_in_a_call": "fn (%x: float32) { let %a = negative(%x); negative(%a) }",
    "literal_callee": "fn (%x: float32) { let %a = fn (%y: float32) { %y }(%x); %a }",
    "branch_ends_in_a_call": """fn (%x: float32, %c: bool) {
                                  let %a = if (%c) { negative(%x) } else { %x }; %a
                                }""",
}


@pytest.mark.parametrize("name", NOT_ANF)
def test_is_anf_rejects(name):
    assert not is_anf(lg.parse_expr(NOT_ANF[name]))


def test_is_anf_rejects_a_shared_node():
    x = lg.var("x", "float32")
    shared = x * x
    a, b = lg.var("a"), lg.var("b")
    assert not is_anf(lg.Function([x], lg.Let(a, shared, lg.Let(b, shared, b))))


@settings(max_examples=40)
@given(programs())
def test_is_anf_holds_for_what_to_anf_makes(program):
    """to_anf's output counts as normal, and normalizing it again changes nothing."""
    normal = to_anf(program.main())
    assert is_anf(normal)
    assert alpha_equal(to_anf(normal), normal)
