"""The AD passes on whole programs: values against closed forms and finite differences, at
first and second order, through tuples, ADTs, refs, closures, control flow and recursion.
Gradients run on both executors (the `executor_kind` fixture)."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.testing import check_grad


@pytest.fixture
def grad_of(executor_kind):
    """``grad_of(text, *args)``: run the gradient of `@main` in `text`: (result, gradients)."""

    def run_gradient(text: str, *args, mode="higher_order", prelude=True):
        mod = lg.parse(text, prelude=prelude)
        grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode=mode)
        return lg.create_executor(executor_kind, mod=mod).evaluate(grad)(*args)

    return run_gradient


@pytest.fixture
def check(executor_kind):
    """``check(text)``: finite-difference check of the gradient of `@main` in `text`."""

    def check_main(text: str, inputs=None, order=2, mode="higher_order"):
        mod = lg.parse(text, prelude=True)
        main = mod.get_global_var("main")
        check_grad(main, inputs, mod=mod, order=order, mode=mode, executor=executor_kind)

    return check_main


MODES = ["higher_order", "first_order"]


@pytest.mark.parametrize("mode", MODES)
def test_identity(mode, grad_of):
    out, (dx,) = grad_of(
        "def @main(%x: Tensor[(3), float32]) { %x }", np.ones(3, "float32"), mode=mode
    )
    np.testing.assert_array_equal(dx, np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_x_plus_x_and_let_reuse(mode, grad_of):
    _, (dx,) = grad_of("def @main(%x: float32) { add(%x, %x) }", 3.0, mode=mode)
    assert dx == 2.0
    text = "def @main(%x: float32) { let %y = multiply(%x, %x); multiply(%y, %y) }"
    _, (dx,) = grad_of(text, 2.0, mode=mode)
    assert dx == 4 * 2.0**3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("op", "dy"), [("add", 12.0), ("subtract", -12.0)])
def test_broadcasting_add_and_subtract(mode, op, dy, grad_of):
    text = f"""
    def @main(%x: Tensor[(3, 4, 1), float32], %y: Tensor[(1, 5), float32]) {{ {op}(%x, %y) }}
    """
    x, y = np.ones((3, 4, 1), "float32"), np.ones((1, 5), "float32")
    _, (grad_x, grad_y) = grad_of(text, x, y, mode=mode)
    np.testing.assert_array_equal(grad_x, np.full((3, 4, 1), 5.0))
    np.testing.assert_array_equal(grad_y, np.full((1, 5), dy))


@pytest.mark.parametrize("mode", MODES)
def test_tuples_built_projected_and_as_parameters(mode, grad_of, check):
    text = """
    def @main(%p: (Tensor[(2), float32], float32), %k: int32) {
      let %t = (multiply(%p.0, %p.1), %p.1);
      add(%t.0, %t.1)
    }"""
    a = np.array([1.0, 2.0], "float32")
    _, ((da, db), dk) = grad_of(text, (a, 3.0), 4, mode=mode)
    np.testing.assert_allclose(da, [3.0, 3.0])
    assert db == 1.0 + 2.0 + 2.0  # sum(a) + one per element from the broadcast %t.1
    assert dk == 0 and dk.dtype == "int32"
    check(text, order=2, mode=mode)


TREE_SUM = """
def @tree_sum(%t: Tree[Tensor[(2), float32]]) -> Tensor[(2), float32] {
  match (%t) {
    Rose(%v, %kids) => @foldl(fn (%acc: Tensor[(2), float32], %c: Tree[Tensor[(2), float32]]) {
      add(%acc, @tree_sum(%c))
    }, multiply(%v, %v), %kids),
  }
}
def @main(%t: Tree[Tensor[(2), float32]], %w: Tensor[(2), float32]) -> Tensor[(2), float32] {
  multiply(%w, @tree_sum(%t))
}
"""


def test_adt_parameters_get_gradients_of_the_same_shape(executor_kind):
    mod = lg.parse(TREE_SUM, prelude=True)
    rose, cons, nil = (mod.get_constructor(n) for n in ("Rose", "Cons", "Nil"))
    leaf = lg.ConstructorValue(rose, [np.array([2.0, 3.0], "float32"), lg.ConstructorValue(nil)])
    root_kids = lg.ConstructorValue(cons, [leaf, lg.ConstructorValue(nil)])
    tree = lg.ConstructorValue(rose, [np.array([1.0, 1.0], "float32"), root_kids])
    w = np.array([1.0, 10.0], "float32")
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    out, (dtree, dw) = lg.create_executor(executor_kind, mod=mod).evaluate(grad)(tree, w)
    np.testing.assert_allclose(out, [5.0, 100.0])
    np.testing.assert_allclose(dw, [5.0, 10.0])
    assert dtree.constructor.name == "Rose"
    np.testing.assert_allclose(dtree.fields[0], [2.0, 20.0])  # d/dv w * v^2
    child = lg.list_items(dtree.fields[1])[0]
    np.testing.assert_allclose(child.fields[0], [4.0, 60.0])
    check_grad(mod.get_global_var("main"), [tree, w], mod=mod, order=2, executor=executor_kind)


REFS = """
def @main(%x: float32) -> float32 {
  let %r = ref(%x);
  let %alias = %r;
  let %scale = fn (%k: float32) -> () { ref_write(%alias, multiply(ref_read(%alias), %k)) };
  let %u1 = %scale(%x);
  let %u2 = %scale(3f);
  ref_read(%r)
}
"""


def test_refs_read_written_and_aliased_through_closures(grad_of, check):
    out, (dx,) = grad_of(REFS, 2.0)
    assert out == 12.0 and dx == 6 * 2.0  # 3 x^2
    check(REFS, order=2)


IF_PROGRAM = """
def @main(%x: Tensor[(3), float32]) -> float32 {
  let %s = sum(multiply(%x, %x));
  if (greater(%s, 1f)) { multiply(%s, %s) } else { sum(sin(%x)) }
}
"""


def test_if_on_a_computed_condition(grad_of, check):
    x = np.array([0.5, 1.0, -0.3], "float32")
    _, (dx,) = grad_of(IF_PROGRAM, x)
    s = np.sum(x * x)
    np.testing.assert_allclose(dx, 4 * s * x, rtol=1e-6)
    check(IF_PROGRAM, [x], order=2)
    check(IF_PROGRAM, [x * 0.1], order=2)


GLOBALS = """
def @square(%x: float32) -> float32 { multiply(%x, %x) }
def @poly(%x: float32) -> float32 { add(@square(%x), multiply(3f, %x)) }
def @main(%x: float32) -> float32 { @poly(@square(%x)) }
"""


def test_globals_calling_globals_add_derived_globals(grad_of, check):
    mod = lg.parse(GLOBALS)
    lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    assert {"poly_grad", "square_grad"} <= {g.name_hint for g in mod.functions}
    _, (dx,) = grad_of(GLOBALS, 2.0, prelude=False)
    assert dx == 4 * 2.0**3 + 6 * 2.0
    check(GLOBALS)


@pytest.mark.parametrize(
    "body",
    [
        "@foldl(fn (%a: float32, %b: float32) { add(multiply(%a, %b), %b) }, 1f, %xs)",
        "@sum_float32(@map(fn (%b: float32) { multiply(%b, sin(%b)) }, %xs))",
        "@foldr(fn (%b: float32, %a: float32) { multiply(add(%a, 1f), %b) }, 0.5f, %xs)",
    ],
    ids=["foldl", "map", "foldr"],
)
def test_recursion_over_lists(body, executor_kind):
    text = f"def @main(%xs: List[float32]) -> float32 {{ {body} }}"
    mod = lg.parse(text, prelude=True)
    xs = lg.make_list([np.float32(v) for v in (0.5, -1.0, 2.0)], mod)
    check_grad(mod.get_global_var("main"), [xs], mod=mod, order=2, executor=executor_kind)


def test_tree_functions_tmap_and_size(executor_kind):
    text = """
    def @main(%t: Tree[float32], %w: float32) -> float32 {
      let %scaled = @tmap(fn (%v: float32) { multiply(%v, %w) }, %t);
      let %n = cast(@size(%scaled), dtype="float32");
      match (%scaled) { Rose(%v, _) => multiply(%v, %n) }
    }"""
    mod = lg.parse(text, prelude=True)
    rose, nil, cons = (mod.get_constructor(n) for n in ("Rose", "Nil", "Cons"))
    kid = lg.ConstructorValue(rose, [np.float32(1), lg.ConstructorValue(nil)])
    tree = lg.ConstructorValue(
        rose, [np.float32(3), lg.ConstructorValue(cons, [kid, lg.ConstructorValue(nil)])]
    )
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    out, (_, dw) = lg.create_executor(executor_kind, mod=mod).evaluate(grad)(tree, 2.0)
    assert out == 12.0 and dw == 6.0
    check_grad(
        mod.get_global_var("main"), [tree, np.float32(2)], mod=mod, order=2, executor=executor_kind
    )


def test_nat_iterate_of_a_doubling_closure_is_8x(grad_of, check):
    text = """
    def @main(%x: float32) -> float32 {
      @nat_iterate(fn (%y: float32) { multiply(%y, 2f) }, succ(succ(succ(zero))))(multiply(%x, %x))
    }"""
    out, (dx,) = grad_of(text, 3.0)
    assert out == 72.0 and dx == 48.0  # 8 x^2
    check(text)


MUTUAL = """
def @even_poly(%n: nat, %x: float32) -> float32 {
  match (%n) { zero => %x, succ(%p) => multiply(%x, @odd_poly(%p, %x)) }
}
def @odd_poly(%n: nat, %x: float32) -> float32 {
  match (%n) { zero => 1f, succ(%p) => add(%x, @even_poly(%p, %x)) }
}
def @main(%x: float32) -> float32 { @even_poly(succ(succ(succ(zero))), %x) }
"""


def test_mutual_recursion(grad_of, check):
    # even(3) = x * odd(2) = x * (x + even(1)) = x * (x + x * odd(0)) = 2 x^2
    out, (dx,) = grad_of(MUTUAL, 1.5)
    assert out == 2 * 1.5**2 and dx == 4 * 1.5
    check(MUTUAL)


CLOSURES = """
def @make_scaler(%k: float32) -> fn (float32) -> float32 {
  fn (%y: float32) -> float32 { multiply(%k, sin(%y)) }
}
def @main(%x: float32, %k: float32) -> float32 {
  let %f = @make_scaler(multiply(%k, %k));
  %f(%f(%x))
}
"""


def test_closures_returned_from_functions(check):
    check(CLOSURES, [np.float32(0.7), np.float32(1.2)])


def test_polymorphic_globals_at_two_types(grad_of, check):
    text = """
    def @twice[A](%f: fn (A) -> A, %x: A) -> A { %f(%f(%x)) }
    def @main(%x: float32, %v: Tensor[(2), float32]) -> float32 {
      let %a = @twice(fn (%y: float32) { multiply(%y, %y) }, %x);
      let %b = @twice(fn (%w: Tensor[(2), float32]) { tanh(%w) }, %v);
      add(%a, sum(%b))
    }"""
    _, (dx, _) = grad_of(text, 1.5, np.array([0.1, 0.2], "float32"))
    assert np.isclose(dx, 4 * 1.5**3)
    check(text)


CHECKPOINT = """
def @main(%x: Tensor[(3), float32]) -> float32 {
  let %h = annotation.checkpoint(tanh(multiply(%x, %x)));
  sum(multiply(%h, %x))
}
"""


def test_checkpoint_gives_the_same_gradients(grad_of, check):
    x = np.array([0.3, -0.4, 1.1], "float32")
    _, (with_checkpoint,) = grad_of(CHECKPOINT, x)
    _, (plain,) = grad_of(CHECKPOINT.replace("annotation.checkpoint", "copy"), x)
    np.testing.assert_allclose(with_checkpoint, plain, rtol=1e-6)
    check(CHECKPOINT, [x])


def test_checkpoint_recomputes_instead_of_recording():
    mod = lg.parse(CHECKPOINT)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    assert lg.analysis.count_ops(grad)["tanh"] == 2  # once forward, once on the way back


def test_vjp_with_an_explicit_cotangent(executor_kind):
    f = lg.parse_expr("fn (%x: Tensor[(3), float32]) { (multiply(%x, %x), sin(%x)) }")
    x = np.array([1.0, 2.0, 3.0], "float32")
    ct = (np.array([1.0, 0.0, 2.0], "float32"), np.array([0.5, 0.5, 0.5], "float32"))
    for mode in MODES:
        out, (dx,) = lg.create_executor(executor_kind).evaluate(lg.transform.vjp(f, mode=mode))(
            x, ct
        )
        np.testing.assert_allclose(dx, 2 * x * ct[0] + np.cos(x) * ct[1], rtol=1e-6)


def test_first_order_output_is_straight_line_without_refs_or_closures():
    f = lg.parse_expr(
        "fn (%x: Tensor[(2, 3), float32], %w: Tensor[(4, 3), float32]) {"
        "  let %h = nn.dense(%x, %w); add(sum(%h), sum(tanh(%h)))"
        "}"
    )
    grad = lg.transform.gradient(f, mode="first_order")
    assert not {"RefCreate", "RefRead", "RefWrite", "If", "Match"} & lg.analysis.features(grad)
    assert sum(1 for n in lg.ir.post_order(grad) if isinstance(n, lg.Function)) == 1
    assert lg.analysis.count_ops(grad)["nn.dense"] == 3  # forward once, two for the gradients


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("fn (%x: float32) { if (less(%x, 0f)) { %x } else { negative(%x) } }", "if"),
        ("fn (%x: float32) { ref_read(ref(%x)) }", "ref"),
        ("fn (%f: fn (float32) -> float32, %x: float32) { %f(%x) }", "parameter %f"),
    ],
)
def test_first_order_rejects_what_it_cannot_do(text, construct):
    with pytest.raises(lg.GradientError, match=construct) as info:
        lg.transform.gradient(lg.parse_expr(text), mode="first_order")
    assert 'mode="higher_order"' in str(info.value)


def test_first_order_rejects_recursion_and_matches():
    mod = lg.parse("def @main(%xs: List[float32]) -> float32 { @sum_float32(%xs) }", prelude=True)
    with pytest.raises(lg.GradientError, match="first-order AD"):
        lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode="first_order")


def test_missing_gradients_are_listed_together(executor_kind):
    lg.ops.register_op("test.nograd_a", 1, lambda ts, a: ts[0], impl=lambda x: x)
    lg.ops.register_op("test.nograd_b", 1, lambda ts, a: ts[0], impl=lambda x: x)
    f = lg.parse_expr("fn (%x: float32) { test.nograd_b(test.nograd_a(%x)) }")
    with pytest.raises(lg.GradientError, match="test.nograd_a, test.nograd_b"):
        lg.transform.gradient(f)
    lg.register_gradient("test.nograd_a", lambda c, g: [g])
    lg.register_gradient("test.nograd_b", lambda c, g: [g * lg.const(2.0)])
    _, (dx,) = lg.create_executor(executor_kind).evaluate(lg.transform.gradient(f))(1.0)
    assert dx == 2.0


def test_gradient_does_not_require_type_checked_input_and_leaves_it_alone():
    x = lg.var("x", shape=(2,))
    f = lg.Function([x], lg.op.sum(x * x))
    before = str(f)
    lg.transform.gradient(f)
    assert str(f) == before and f.checked_type is None


def test_check_grad_reports_a_wrong_gradient(executor_kind):
    lg.ops.register_op("test.wrong_grad", 1, lambda ts, a: ts[0], impl=lambda x: x * 2)
    lg.register_gradient("test.wrong_grad", lambda c, g: [g])
    wrong = lg.parse_expr("fn (%x: Tensor[(3), float32]) { test.wrong_grad(%x) }")
    with pytest.raises(AssertionError, match="analytic .* numeric"):
        check_grad(wrong, executor=executor_kind)
    with pytest.raises(AssertionError, match="element"):
        check_grad(wrong, elementwise=True, executor=executor_kind)
    lg.register_gradient("test.wrong_grad", lambda c, g: [g * lg.const(2.0, dtype="float64")])


def test_check_grad_second_order_catches_a_wrong_second_derivative(executor_kind):
    def same_type(types, attrs):
        return types[0]

    lg.ops.register_op("test.cube", 1, same_type, impl=lambda x: x**3)
    lg.ops.register_op("test.cube_slope", 1, same_type, impl=lambda x: 3 * x**2)
    lg.register_gradient("test.cube", lambda c, g: [g * lg.op.test.cube_slope(c.args[0])])
    lg.register_gradient("test.cube_slope", lambda c, g: [g * c.args[0]])  # should be 6x
    f = lg.parse_expr("fn (%x: Tensor[(3), float32]) { test.cube(%x) }")
    check_grad(f, executor=executor_kind)
    with pytest.raises(AssertionError, match="gradient mismatch"):
        check_grad(f, order=2, executor=executor_kind)


SMALL_PROGRAMS = {
    "identity": "def @main(%x: Tensor[(3), float32]) { %x }",
    "x_plus_x": "def @main(%x: Tensor[(3), float32]) { add(%x, %x) }",
    "let_reuse": "def @main(%x: float32) { let %y = multiply(%x, %x); multiply(%y, %y) }",
    "subtract_broadcast": """
        def @main(%x: Tensor[(3, 4, 1), float32], %y: Tensor[(1, 5), float32]) {
          multiply(subtract(%x, %y), subtract(%x, %y))
        }""",
    "tuple_param": """def @main(%p: (Tensor[(2), float32], float32)) {
        let %t = (multiply(%p.0, %p.1), %p.1); multiply(%t.0, %t.1) }""",
    "graph_form": "def @main(%x: Tensor[(2), float32]) { %0 = tanh(%x); multiply(%0, %0) }",
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", SMALL_PROGRAMS)
def test_small_programs_at_second_order(name, mode, check):
    check(SMALL_PROGRAMS[name], order=2, mode=mode)


def test_graph_form_shared_nodes_are_differentiated_once():
    mod = lg.parse(SMALL_PROGRAMS["graph_form"])
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode="first_order")
    assert lg.analysis.count_ops(grad)["tanh"] == 1
