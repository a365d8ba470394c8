"""The prelude: it parses, type-checks, and its functions compute the right things."""

import numpy as np
import pytest
from relay_signatures import RELAY_SIGNATURES

import lambdagrad as lg

PRELUDE_FUNCTIONS = [
    "id",
    "compose",
    "flip",
    "hd",
    "tl",
    "nth",
    "update",
    "length",
    "map",
    "foldl",
    "foldr",
    "foldr1",
    "map_accuml",
    "map_accumr",
    "concat",
    "filter",
    "zip",
    "rev",
    "unfoldl",
    "unfoldr",
    "sum",
    "sum_float32",
    "iterate",
    "tmap",
    "size",
    "nat_add",
    "nat_double",
    "nat_iterate",
    "nat_nth",
    "nat_update",
]


@pytest.fixture(scope="module")
def prelude():
    return lg.parse("", prelude=True)


def test_prelude_defines_every_function_and_type(prelude):
    names = {g.name_hint for g in prelude.functions}
    assert set(PRELUDE_FUNCTIONS) <= names
    assert {t.name_hint for t in prelude.type_definitions} == {"List", "Option", "Tree", "nat"}


def test_prelude_type_checks(prelude):
    typed = lg.transform.infer_type(prelude)
    assert all(isinstance(f.checked_type, lg.FuncType) for f in typed.functions.values())
    map_type = typed["map"].checked_type
    assert len(map_type.type_params) == 2 and len(map_type.arg_types) == 2
    assert str(map_type.ret_type) == f"List[{map_type.type_params[1].name_hint}]"


def test_every_relay_prelude_function_has_relays_type(prelude):
    typed = lg.transform.infer_type(prelude)
    found = {name: str(typed[name].checked_type) for name in RELAY_SIGNATURES}
    assert found == RELAY_SIGNATURES


def test_each_parse_gets_a_fresh_module(prelude):
    other = lg.parse("", prelude=True)
    other["extra"] = other["id"]
    assert "extra" not in lg.parse("", prelude=True)


@pytest.fixture
def evaluate(executor_kind):
    """``evaluate(body)``: run ``def @main() { body }`` with the prelude on each executor."""

    def run_main(body: str, *args):
        mod = lg.parse(f"def @main() {{ {body} }}", prelude=True)
        return lg.create_executor(executor_kind, mod=mod).evaluate()(*args)

    return run_main


LIST3 = "Cons(1f, Cons(2f, Cons(3f, Nil)))"


def floats(value):
    return [float(x) for x in lg.list_items(value)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"@hd({LIST3})", 1.0),
        (f"@nth({LIST3}, 2)", 3.0),
        (f"@length({LIST3})", 3),
        ("@sum(Cons(1, Cons(2, Cons(3, Nil))))", 6),
        (f"@sum_float32({LIST3})", 6.0),
        (f"@foldl(fn (%a: float32, %b: float32) {{ subtract(%a, %b) }}, 0f, {LIST3})", -6.0),
        (f"@foldr(fn (%a: float32, %b: float32) {{ subtract(%a, %b) }}, 0f, {LIST3})", 2.0),
        (f"@foldr1(fn (%a: float32, %b: float32) {{ subtract(%a, %b) }}, {LIST3})", 2.0),
        ("@iterate(fn (%x: float32) { multiply(%x, 2f) }, 3)(1f)", 8.0),
        (
            "@compose(fn (%x: float32) { add(%x, 1f) }, fn (%x: float32) { multiply(%x, 2f) })(5f)",
            11.0,
        ),
        ("@flip(fn (%a: float32, %b: float32) { subtract(%a, %b) })(1f, 10f)", 9.0),
        ("@id(7f)", 7.0),
    ],
)
def test_scalar_results(body, expected, evaluate):
    assert float(evaluate(body)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"@tl({LIST3})", [2.0, 3.0]),
        (f"@update({LIST3}, 1, 9f)", [1.0, 9.0, 3.0]),
        (f"@map(fn (%x: float32) {{ multiply(%x, %x) }}, {LIST3})", [1.0, 4.0, 9.0]),
        (f"@concat({LIST3}, Cons(4f, Nil))", [1.0, 2.0, 3.0, 4.0]),
        (f"@filter(fn (%x: float32) {{ greater(%x, 1.5f) }}, {LIST3})", [2.0, 3.0]),
        (f"@rev({LIST3})", [3.0, 2.0, 1.0]),
        (f"@nat_update({LIST3}, succ(zero), 0f)", [1.0, 0.0, 3.0]),
    ],
)
def test_list_results(body, expected, evaluate):
    assert floats(evaluate(body)) == expected


def test_zip(evaluate):
    pairs = lg.list_items(evaluate(f"@zip({LIST3}, Cons(True, Nil))"))
    assert len(pairs) == 1 and pairs[0] == (1.0, True)


def test_map_accuml_and_map_accumr(evaluate):
    step = "fn (%acc: float32, %x: float32) { (add(%acc, %x), multiply(%acc, %x)) }"
    acc, ys = evaluate(f"@map_accuml({step}, 0f, {LIST3})")
    assert float(acc) == 6.0 and floats(ys) == [9.0, 2.0, 0.0]  # Relay's order: last first
    acc, ys = evaluate(f"@map_accumr({step}, 0f, {LIST3})")
    assert float(acc) == 6.0 and floats(ys) == [5.0, 6.0, 0.0]


COUNTDOWN = """fn (%n: int32) {
  if (greater(%n, 0)) { Some((subtract(%n, 1), %n)) } else { None }
}"""


def test_unfoldr_and_unfoldl(evaluate):
    assert [int(x) for x in lg.list_items(evaluate(f"@unfoldr({COUNTDOWN}, 3)"))] == [3, 2, 1]
    assert [int(x) for x in lg.list_items(evaluate(f"@unfoldl({COUNTDOWN}, 3)"))] == [1, 2, 3]


TREE = "Rose(1f, Cons(Rose(2f, Nil), Cons(Rose(3f, Cons(Rose(4f, Nil), Nil)), Nil)))"


def test_tree_functions(evaluate):
    assert int(evaluate(f"@size({TREE})")) == 4
    doubled = evaluate(f"@tmap(fn (%x: float32) {{ multiply(%x, 2f) }}, {TREE})")
    assert doubled.constructor.name == "Rose" and float(doubled.fields[0]) == 2.0
    assert int(evaluate(f"@size(@tmap(fn (%x: float32) {{ %x }}, {TREE}))")) == 4


def test_nat_functions(evaluate):
    two = "succ(succ(zero))"
    four = evaluate(f"@nat_double({two})")
    count, value = 0, four
    while value.constructor.name == "succ":
        count, value = count + 1, value.fields[0]
    assert count == 4
    assert float(evaluate(f"@nat_nth({LIST3}, {two})")) == 3.0
    doubling = "fn (%x: float32) { multiply(%x, 2f) }"
    assert float(evaluate(f"@nat_iterate({doubling}, succ({two}))(1f)")) == 8.0


def test_make_list_round_trip(prelude):
    items = [np.float32(i) for i in range(5)]
    assert lg.list_items(lg.make_list(items, prelude)) == items
