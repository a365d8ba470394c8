"""lg.jit of IR programs, ADT values built from Python, and jitted code calling IR code."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.frontend import ADT, JitError

TEXT = """
def @norm2(%x: Tensor[(3), float32]) -> float32 { sum(multiply(%x, %x)) }
def @scaled(%x: Tensor[(3), float32], %s: float32) -> float32 { multiply(@norm2(%x), %s) }
"""


def test_an_ir_program_as_a_python_function():
    mod = lg.parse(TEXT)
    scaled = lg.jit(mod, entry="scaled")
    x = np.array([1.0, 2.0, 3.0], "float32")
    assert scaled(x, np.float32(2)) == 28.0
    lowered = scaled.lower(x, np.float32(2))
    assert [p.name_hint for p in lowered["main"].params] == ["x", "s"]
    assert "main" not in mod  # the caller's module is left as it was
    grad = lg.transform.gradient(lowered.get_global_var("main"), mod=lowered)
    _, (dx, ds) = lg.create_executor("compiled", lowered).evaluate(grad)(x, np.float32(2))
    np.testing.assert_allclose(dx, 4 * x)
    assert ds == 14.0


def test_an_ir_program_with_a_main_wraps_main():
    mod = lg.parse("def @main(%x: float64) -> float64 { multiply(%x, 3f64) }")
    assert lg.jit(mod)(2.0) == 6.0
    with pytest.raises(JitError, match="already has a @main"):
        lg.jit(lg.parse(TEXT + "def @main(%x: float32) { %x }"), entry="norm2")
    with pytest.raises(lg.Error, match="no global function @missing"):
        lg.jit(mod, entry="missing")


NORM2 = lg.jit(lg.parse(TEXT), entry="norm2")


@lg.jit
def calls_ir(x):
    return NORM2(x) + 1.0


def test_jitted_code_calls_an_ir_program():
    x = np.array([1.0, 2.0, 2.0], "float32")
    assert calls_ir(x) == 10.0
    assert "norm2" in calls_ir.lower(x)


COUNTDOWN = lg.jit(
    lg.parse(
        "def @main(%x: float64) -> float64 {"
        "  if (less(%x, 0f64)) { %x } else { @main(subtract(%x, 1f64)) } }"
    )
)


@lg.jit
def main(x):  # its global is @main too: the IR program's recursion must not reach it
    return COUNTDOWN(x) + 100.0


def test_globals_of_an_ir_program_keep_to_themselves_in_jitted_code():
    assert COUNTDOWN(3.0) == -1.0
    assert main(3.0) == 99.0
    lowered = main.lower(3.0)
    callee = lowered["main"].body.args[0].op
    assert callee != lowered.get_global_var("main")
    assert lowered[callee].body.false_branch.op == callee  # it calls itself


def test_adt_values_from_python():
    pair = ADT.from_module(lg.parse("type Pair { MkPair(float32, float32) }"), "Pair")
    value = pair.MkPair(1.0, 2.0)
    assert value.constructor.name == "MkPair" and value.fields == (1.0, 2.0)
    with pytest.raises(lg.Error, match="takes 2 field"):
        pair.MkPair(1.0)
    items = [np.ones(2), np.zeros(2)]
    assert lg.list_items(lg.List(items)) == items
    assert lg.List([]).constructor.name == "Nil"


@lg.adt(params=("A",))
class Pairs:
    Two = ("A", "A")


@lg.jit
def first_of(p):
    match p:
        case Pairs.Two(a, _):
            return a


def test_a_generic_user_adt_specializes_on_its_type_argument():
    assert first_of(Pairs.Two(np.float32(3), np.float32(4))) == 3.0
    mod = first_of.lower(Pairs.Two(np.ones(2), np.ones(2)))
    assert str(mod["main"].params[0].type_annotation) == "Pairs[Tensor[(2), float64]]"


def test_bad_adt_declarations():
    with pytest.raises(lg.Error, match="declares no constructors"):

        @lg.adt
        class Empty:
            pass

    with pytest.raises(lg.Error, match=r"annotations such as Leaf: \.\.\. are not; assign them"):

        @lg.adt
        class Annotated:
            Leaf: tuple[float]
            Node: tuple[float, float]

    with pytest.raises(lg.Error, match="cannot declare Broken"):

        @lg.adt
        class Broken:
            Leaf = "NoSuchType"

    with pytest.raises(lg.Error, match=r"Tree is a prelude type \(lg.Tree\); give yours another"):

        @lg.adt
        class Tree:
            Leaf = "float32"


def test_declaring_an_adt_again_replaces_it_as_a_class_statement_run_twice_does():
    results = []
    for dtype in ("float32", "float64"):  # a notebook cell run twice, edited in between

        @lg.adt
        class Radius:
            Disk = dtype
            Point = ()

        @lg.jit
        def squared(shape):
            match shape:
                case Radius.Disk(r):
                    return r * r
                case Radius.Point():
                    return 0.0

        results.append(squared(Radius.Disk(3.0)))
    assert [(float(r), r.dtype.name) for r in results] == [(9.0, "float32"), (9.0, "float64")]


def test_lambdas_sharing_a_line_are_told_apart_by_their_code():
    square, cube = lg.jit(lambda x: x * x), lg.jit(lambda x: x * x * x)
    assert (float(square(2.0)), float(cube(2.0))) == (4.0, 8.0)
    nested = (lambda: lg.jit(lambda x, n: x * n))()
    assert float(nested(2.0, 3.0)) == 6.0
    assert float(lg.jit(lg.grad(lg.grad(lambda s: s**3)))(2.0)) == 12.0
