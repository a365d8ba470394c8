"""to_anf and from_anf: golden before/after programs, and sharing computed once."""

import pytest

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.transform import from_anf, to_anf
from lambdagrad.transform.anf import has_shared_nodes

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
