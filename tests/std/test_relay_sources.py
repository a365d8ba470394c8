"""Relay's own standard library (tests/fixtures/relay, unchanged) against lambdagrad."""

from pathlib import Path

import numpy as np
import pytest
from relay_signatures import RELAY_SIGNATURES

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.text import format_source, print_module
from lambdagrad.text.comments import strip_comments
from lambdagrad.text.parser import parse_with_base

RELAY = Path(__file__).parent.parent / "fixtures" / "relay"
NAT = {"nat_double", "nat_add", "nat_nth", "nat_update", "nat_iterate"}


@pytest.fixture(scope="module")
def relay_prelude():
    return lg.parse((RELAY / "prelude.rly").read_text())


def test_relays_prelude_type_checks_to_relays_signatures(relay_prelude):
    typed = lg.transform.infer_type(relay_prelude)
    found = {g.name_hint: str(f.checked_type) for g, f in typed.functions.items()}
    assert found == {k: v for k, v in RELAY_SIGNATURES.items() if k not in NAT}


def test_relays_nat_type_checks_on_top_of_its_prelude(relay_prelude):
    mod = lg.transform.infer_type(parse_with_base((RELAY / "nat.rly").read_text(), relay_prelude))
    found = {name: str(mod[name].checked_type) for name in NAT}
    assert found == {name: RELAY_SIGNATURES[name] for name in NAT}


def test_relays_gradient_library_type_checks():
    typed = lg.transform.infer_type(lg.parse((RELAY / "gradient.rly").read_text()))
    found = {g.name_hint: str(f.checked_type) for g, f in typed.functions.items()}
    assert found == {
        "FromGradCell": "fn [T](GradCell[T]) -> T",
        "MultiplyGradCell": "fn [T](fn (T, T) -> T, GradCell[T], GradCell[T]) -> GradCell[T]",
        "AddGradCell": "fn [T](fn (T, T) -> T, GradCell[T], GradCell[T]) -> GradCell[T]",
    }


def test_relays_core_declares_an_extern_type():
    mod = lg.parse((RELAY / "core.rly").read_text())
    assert [(h.name_hint, d.constructors) for h, d in mod.type_definitions.items()] == [
        ("Storage", ())
    ]


@pytest.mark.parametrize("name", ["prelude", "gradient", "core"])
def test_relay_sources_print_back_to_alpha_equal_modules(name):
    mod = lg.parse((RELAY / f"{name}.rly").read_text())
    text = print_module(mod)
    assert alpha_equal(lg.parse(text), mod), text


@pytest.mark.parametrize("name", ["prelude", "gradient", "core"])
def test_fmt_keeps_every_comment_of_relays_sources(name):
    text = (RELAY / f"{name}.rly").read_text()
    out = format_source(text)
    assert alpha_equal(lg.parse(out), lg.parse(text))
    for comment in strip_comments(text)[1]:
        assert comment.text in out
    assert format_source(out) == out


LIST = "Cons(1, Cons(2, Cons(3, Nil)))"
STEP = "fn (%acc: int32, %x: int32) { (%acc + %x, %acc * %x) }"
COUNTDOWN = "fn (%n: int32) { if (%n > 0) { Some((%n - 1, %n)) } else { None } }"
TREE = "Rose(1, Cons(Rose(2, Nil), Cons(Rose(3, Cons(Rose(4, Nil), Nil)), Nil)))"


@pytest.mark.parametrize(
    "body",
    [
        f"@sum({LIST})",
        f"@length({LIST})",
        f"@nth({LIST}, 1)",
        f"@update({LIST}, 1, 7)",
        f"@map_accuml({STEP}, 1, {LIST})",
        f"@map_accumr({STEP}, 1, {LIST})",
        f"@rev({LIST})",
        f"@concat({LIST}, @rev({LIST}))",
        f"@filter(fn (%x: int32) {{ %x != 2 }}, {LIST})",
        f"@zip({LIST}, @rev({LIST}))",
        f"@foldr1(fn (%a: int32, %b: int32) {{ %a - %b }}, {LIST})",
        f"@unfoldl({COUNTDOWN}, 3)",
        f"@unfoldr({COUNTDOWN}, 3)",
        f"@size({TREE})",
        f"@size(@tmap(fn (%x: int32) {{ %x * 2 }}, {TREE}))",
        "@iterate(fn (%x: int32) { %x * 3 }, 4)(1)",
        "@flip(fn (%a: int32, %b: int32) { %a - %b })(1, 10)",
        "@compose(fn (%x: int32) { %x + 1 }, @id)(10)",
    ],
)
def test_relays_prelude_and_ours_compute_the_same(body, relay_prelude):
    program = f"def @main() {{ {body} }}"
    ours = lg.parse(program, prelude=True)
    relays = parse_with_base(program, relay_prelude)
    assert _plain(_run(ours)) == _plain(_run(relays))


def _run(mod):
    return lg.create_executor(mod=mod).evaluate()()


def _plain(value):
    """A value as nested Python lists and tuples, ADTs as (constructor name, fields)."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, lg.ConstructorValue):
        return (value.constructor.name, tuple(_plain(f) for f in value.fields))
    return np.asarray(value).tolist()
