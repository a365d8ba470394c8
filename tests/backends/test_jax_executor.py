"""Programs and their optimized gradients lowered to JAX, against the compiled executor."""

from pathlib import Path

import jax
import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.backends.jax import NotJittable

ROOT = Path(__file__).parent.parent.parent
RNG = np.random.default_rng(0)


def load(path: str) -> lg.IRModule:
    return lg.parse((ROOT / path).read_text(), prelude=True)


def normal(*shape, dtype="float32"):
    return RNG.standard_normal(shape).astype(dtype)


def optimized_gradient(mod: lg.IRModule, name: str = "main") -> tuple[lg.IRModule, lg.GlobalVar]:
    """The module with ``@grad``, `name`'s gradient, optimized with the module."""
    grad = lg.transform.gradient(mod.get_global_var(name), mod=mod)
    mod = mod.copy()
    entry = lg.GlobalVar("grad")
    mod[entry] = grad
    optimized = lg.transform.optimize(mod)
    return optimized, optimized.get_global_var("grad")


def assert_same_values(result, expected, rtol=1e-5):
    if isinstance(expected, lg.ConstructorValue):
        assert result.constructor.name == expected.constructor.name
        result, expected = result.fields, expected.fields
    if isinstance(expected, tuple):
        assert isinstance(result, tuple) and len(result) == len(expected)
        for r, e in zip(result, expected, strict=True):
            assert_same_values(r, e, rtol)
        return
    assert isinstance(result, np.ndarray) and result.dtype == expected.dtype
    assert result.flags.writeable
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=rtol)


def check_gradient(mod: lg.IRModule, *args, rtol=1e-5):
    """The optimized gradient of ``@main`` on the jax and compiled executors agrees."""
    mod, entry = optimized_gradient(mod)
    expected = lg.create_executor("compiled", mod).evaluate(entry)(*args)
    assert_same_values(lg.create_executor("jax", mod).evaluate(entry)(*args), expected, rtol)


def test_mlp_gradient():
    mod = load("examples/mlp.rly")
    check_gradient(mod, normal(8, 16), normal(32, 16), normal(32), normal(4, 32), normal(8, 4))


def test_rnn_gradient_folds_over_a_list():
    mod = load("examples/list_rnn.rly")
    xs = lg.make_list([normal(1, 4) for _ in range(5)], mod)
    check_gradient(mod, xs, normal(1, 8), normal(8, 4), normal(8, 8))


def binary_tree(mod: lg.IRModule, leaves: int):
    if leaves == 1:
        return lg.ConstructorValue(mod.get_constructor("Leaf"), [0.3 * normal(1, 32)])
    left = leaves // 2
    children = [binary_tree(mod, left), binary_tree(mod, leaves - left)]
    return lg.ConstructorValue(mod.get_constructor("Node"), children)


def test_treelstm_gradient_matches_over_a_tree():
    mod = load("bench/workloads/treelstm.rly")
    params = [0.2 * normal(*s) for s in [(96, 32), (96,), (160, 32), (160, 32), (160,)]]
    check_gradient(mod, binary_tree(mod, 5), *params, rtol=1e-4)


TRACED_IF = """
def @main(%x: Tensor[(3), float32], %w: Tensor[(3), float32]) -> float32 {
  if (greater(sum(multiply(%x, %w)), 0f)) {
    sum(tanh(multiply(%x, %w)))
  } else {
    sum(multiply(multiply(%x, %x), %w))
  }
}
"""


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_gradient_of_an_if_on_traced_values(sign):
    mod = lg.parse(TRACED_IF)
    check_gradient(mod, sign * np.abs(normal(3)), np.abs(normal(3)))


def test_an_if_on_a_traced_value_is_a_cond_in_the_jaxpr():
    mod = lg.parse(TRACED_IF)
    f = lg.to_jax(mod.get_global_var("main"), mod)
    jaxpr = str(jax.make_jaxpr(f)(normal(3), normal(3)))
    assert "cond[" in jaxpr


LOOP = """
def @loop(%i: int32, %n: int32, %x: Tensor[(2), float32]) -> Tensor[(2), float32] {
  if (less(%i, %n)) { @loop(add(%i, 1), %n, tanh(add(%x, 1f))) } else { %x }
}
def @main(%n: int32, %x: Tensor[(2), float32]) -> Tensor[(2), float32] { @loop(0, %n, %x) }
"""


def test_a_loop_with_a_traced_trip_count_is_a_while_loop():
    mod = lg.parse(LOOP)
    f = lg.to_jax(mod.get_global_var("main"), mod)
    x = normal(2)
    assert "while[" in str(jax.make_jaxpr(f)(np.int32(3), x))
    expected = lg.create_executor("compiled", mod).evaluate()
    run = lg.create_executor("jax", mod).evaluate()
    for n in [0, 1, 5]:
        assert_same_values(run(np.int32(n), x), expected(np.int32(n), x))


def test_a_let_bound_loop_over_a_captured_bound_is_a_while_loop():
    f = lg.parse_expr("""
fn (%n: int32, %x: float32) {
  let %loop = fn (%i: int32, %acc: float32) -> float32 {
    if (less(%i, %n)) { %loop(add(%i, 1), multiply(%acc, 2f)) } else { %acc }
  };
  %loop(0, %x)
}""")
    lowered = jax.jit(lg.to_jax(f))
    assert "while[" in str(jax.make_jaxpr(lg.to_jax(f))(np.int32(3), np.float32(1.5)))
    assert [float(lowered(np.int32(n), np.float32(1.5))) for n in (0, 3)] == [1.5, 12.0]


def test_the_gradient_of_a_loop_with_a_traced_trip_count_runs_op_by_op():
    """Its forward pass records a residual per step, recursing as deep as the traced trip
    count says (not a loop), which jit cannot trace."""
    with pytest.warns(RuntimeWarning, match="@loop_grad_fwd calls itself.*running op by op"):
        check_gradient(lg.parse(LOOP), np.int32(3), normal(2))


def test_a_static_trip_count_unrolls_while_tracing():
    mod = lg.parse(LOOP.replace("@loop(0, %n, %x)", "@loop(0, 4, %x)"))
    x = normal(2)
    f = lg.to_jax(mod.get_global_var("main"), mod)
    assert "while[" not in str(jax.make_jaxpr(f)(np.int32(0), x))
    check_gradient(mod, np.int32(0), x)


RECURSION = """
def @count(%n: int32) -> float32 {
  if (greater(%n, 0)) { add(@count(subtract(%n, 1)), 1f) } else { 0f }
}
def @main(%n: int32) -> float32 { @count(%n) }
"""


def test_recursion_decided_by_traced_values_cannot_be_jitted_and_runs_op_by_op():
    mod = lg.parse(RECURSION)
    f = lg.to_jax(mod.get_global_var("main"), mod)
    with pytest.raises(NotJittable, match="@count calls itself under an `if` on a traced value"):
        jax.jit(f)(np.int32(3))
    assert isinstance(NotJittable("x"), lg.Error)
    run = lg.create_executor("jax", mod).evaluate()
    with pytest.warns(RuntimeWarning, match="running op by op"):
        assert run(np.int32(4)) == 4.0
    assert run(np.int32(2)) == 2.0  # no second warning: it stays op by op


def test_refs_are_cells_while_tracing():
    mod = load("examples/mlp.rly")
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)  # not optimized: refs
    assert "RefWrite" in lg.analysis.features(grad)
    args = [normal(8, 16), normal(32, 16), normal(32), normal(4, 32), normal(8, 4)]
    expected = lg.create_executor("compiled", mod).evaluate(grad)(*args)
    assert_same_values(lg.create_executor("jax", mod).evaluate(grad)(*args), expected)


def test_a_ref_written_under_a_traced_if_says_why_it_cannot_be_jitted():
    f = lg.parse_expr("""
fn (%x: float32) {
  let %r = ref(0f);
  let %u = if (greater(%x, 0f)) { let %w = ref_write(%r, %x); 1f } else { 2f };
  add(ref_read(%r), %u)
}""")
    with pytest.raises(NotJittable, match="ref_write.*writes, under an `if`"):
        jax.jit(lg.to_jax(f))(np.float32(1.0))
    run = lg.create_executor("jax").evaluate(f)
    with pytest.warns(RuntimeWarning):
        assert run(np.float32(3.0)) == 4.0


def test_adt_values_are_pytrees_in_and_out():
    text = "def @main(%xs: List[float32]) { @map(fn (%x: float32) { tanh(%x) }, %xs) }"
    mod = lg.parse(text, prelude=True)
    xs = lg.make_list([np.float32(v) for v in (0.5, -1.0, 2.0)], mod)
    out = jax.jit(lg.to_jax(mod.get_global_var("main"), mod))(xs)
    assert out.constructor.name == "Cons"
    result = lg.create_executor("jax", mod).evaluate()(xs)
    items = lg.list_items(result)
    assert all(isinstance(v, np.ndarray) for v in items)
    np.testing.assert_allclose(items, np.tanh([0.5, -1.0, 2.0]), rtol=1e-6)


def test_a_closure_result_stays_callable_with_numpy_values():
    f = lg.parse_expr("fn (%a: float32) { fn (%b: float32) { multiply(%a, %b) } }")
    scale = lg.create_executor("jax").evaluate(f)(np.float32(3.0))
    result = scale(np.float32(2.0))
    assert isinstance(result, np.ndarray) and result == 6.0


def test_x64_only_when_the_program_has_64_bit_types():
    narrow = lg.to_jax(lg.parse_expr("fn (%x: float32) { multiply(%x, %x) }"))
    wide = lg.to_jax(lg.parse_expr("fn (%x: float64) { multiply(%x, %x) }"))
    assert (narrow.uses_x64, wide.uses_x64) == (False, True)
    run = lg.create_executor("jax").evaluate(lg.parse_expr("fn (%x: float64) { add(%x, 1f64) }"))
    result = run(np.float64(1e-12))
    assert result.dtype == np.float64 and result == 1.0 + 1e-12


def test_arguments_are_checked_like_the_other_executors():
    run = lg.create_executor("jax").evaluate(lg.parse_expr("fn (%x: Tensor[(2), float32]) { %x }"))
    with pytest.raises(lg.EvaluationError, match="argument 0 .*expected Tensor"):
        run(np.zeros(3, "float32"))
    with pytest.raises(lg.EvaluationError, match="takes 1 argument"):
        run()


def test_an_op_failing_while_tracing_names_the_op_and_the_shapes():
    x = lg.var("x", shape=(None,))
    f = lg.Function([x], lg.op.reshape(x, newshape=[2, 2]))
    with pytest.raises(lg.EvaluationError, match=r"reshape\(float32\[3\]\) failed"):
        lg.create_executor("jax").evaluate(f)(np.zeros(3, "float32"))


def test_jit_compiles_once_per_argument_signature():
    run = lg.create_executor("jax").evaluate(lg.parse_expr("fn (%x: Tensor[(?), float32]) { %x }"))
    for n in (2, 2, 3):
        run(np.zeros(n, "float32"))
    assert run._jitted._cache_size() == 2
    assert len(run._compiled) == 2  # later calls of these signatures skip the deep stack


def test_to_jax_names_what_it_cannot_take():
    with pytest.raises(lg.Error, match="to_jax needs a global or a function"):
        lg.to_jax("main")
    with pytest.raises(lg.Error, match="mod must be an IRModule"):
        lg.to_jax(lg.GlobalVar("main"), mod={})


FOLDR = """
def @main(%xs: List[float32]) { @foldr(fn (%x: float32, %a: float32) { add(%x, %a) }, 0f, %xs) }
"""


def test_deep_recursion_over_a_list_traces_on_a_deep_stack():
    mod = lg.parse(FOLDR, prelude=True)
    xs = lg.make_list([np.float32(0.5)] * 400, mod)
    assert lg.create_executor("jax", mod).evaluate()(xs) == 200.0
    deeper = lg.make_list([np.float32(0.5)] * 2000, mod)
    with pytest.raises(lg.EvaluationError, match="nest too deeply to be traced on this thread"):
        lg.to_jax(mod.get_global_var("main"), mod)(deeper)


def test_an_adt_holding_a_function_runs_op_by_op_and_stays_callable():
    mod = lg.parse("""
type Scaled { Scaled(fn (float32) -> float32) }
def @main(%a: float32) -> Scaled { Scaled(fn (%b: float32) { multiply(%a, %b) }) }
""")
    run = lg.create_executor("jax", mod).evaluate()
    assert run._jitted is None  # jit can give arrays only
    (scale,) = run(np.float32(3.0)).fields
    assert scale(np.float32(2.0)) == 6.0


def test_a_list_of_tensors_is_jitted():
    mod = lg.parse(FOLDR, prelude=True)
    assert lg.create_executor("jax", mod).evaluate()._jitted is not None


def test_an_expression_that_is_not_a_function_is_computed_at_once():
    executor = lg.create_executor("jax")
    assert executor.kind == "jax"
    result = executor.evaluate(lg.parse_expr("(add(1f, 2f), 3)"))
    assert result == (3.0, 3) and all(isinstance(v, np.ndarray) for v in result)


def test_to_jax_checks_tensor_arguments_and_types_python_numbers():
    f = lg.to_jax(lg.parse_expr("fn (%x: Tensor[(2), float64], %s: float64) { multiply(%x, %s) }"))
    assert f(np.ones(2), 2.0).dtype == np.float64
    with pytest.raises(lg.EvaluationError, match=r"argument 0 \(%x\): expected .* float32\[3\]"):
        f(np.ones(3, "float32"), 2.0)
    with pytest.raises(lg.EvaluationError, match="takes 2 argument"):
        f(np.ones(2))


def test_nothing_the_caller_passes_in_is_changed():
    mod = load("examples/list_rnn.rly")
    text = str(mod)
    xs = lg.make_list([normal(1, 4) for _ in range(3)], mod)
    first = lg.list_items(xs)[0].copy()
    args = [xs, normal(1, 8), normal(8, 4), normal(8, 8)]
    lg.to_jax(mod.get_global_var("main"), mod)(*args)
    lg.create_executor("jax", mod).evaluate()(*args)
    assert str(mod) == text
    assert isinstance(lg.list_items(xs)[0], np.ndarray)
    np.testing.assert_array_equal(lg.list_items(xs)[0], first)


def test_a_shape_known_only_from_values_runs_op_by_op_with_its_gradient():
    """arange of computed bounds and dyn.zeros: jax.jit cannot trace their shapes."""
    func = lg.parse_expr(
        "fn (%a: float32, %s: float32, %n: Tensor[(1), int64]) {"
        " sum(arange(%a, 7f, %s)) + sum(dyn.ones(%n)) }"
    )
    grad = lg.transform.gradient(func, wrt=(0, 1))
    args = (np.float32(1), np.float32(0.7), np.array([3]))
    with pytest.warns(RuntimeWarning, match="arange: its result's shape depends on the value"):
        result = lg.create_executor("jax").evaluate(grad)(*args)
    assert_same_values(result, lg.create_executor("compiled").evaluate(grad)(*args))
