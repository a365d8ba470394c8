"""Ref-free first-order gradients: ``optimize(gradient(f))`` leaves no refs and no closures.

Higher-order AD emits a ref and a backpropagator closure per operation; on first-order
programs (lets, tuples, op calls, function literals, non-recursive globals, dynamic `if`) the
optimizer must remove them all, keep the values, and be no larger than the optimized
first-order-mode gradient. The tight-output cases pin down the simplest programs exactly.
"""

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from program_gen import Program, first_order_programs, inputs_for

import lambdagrad as lg

REF_NODES = {"RefCreate", "RefRead", "RefWrite"}
GRADIENT_OPS_LEFT_BEHIND = ("zeros_like", "ones_like", "collapse_sum_like")

CORPUS = {
    "identity": "def @main(%x: Tensor[(3), float32]) { %x }",
    "square": "def @main(%x: Tensor[(3), float32]) { multiply(%x, %x) }",
    "mlp": """
    def @main(%x: Tensor[(2, 4), float32], %w1: Tensor[(5, 4), float32],
              %b1: Tensor[(5), float32], %w2: Tensor[(3, 5), float32],
              %y: Tensor[(2, 3), float32]) {
      let %h = tanh(nn.bias_add(nn.dense(%x, %w1), %b1));
      nn.cross_entropy_with_logits(nn.log_softmax(nn.dense(%h, %w2)), %y)
    }""",
    "tuple_valued": """
    def @main(%x: Tensor[(3), float32], %y: float32) {
      let %t = (multiply(%x, %y), sin(%y));
      (%t.1, add(%t.0, %t.1), (%x, exp(%y)))
    }""",
    "broadcasting": """
    def @main(%x: Tensor[(2, 3), float32], %v: Tensor[(3), float32], %s: float32) {
      multiply(add(%x, %v), subtract(%v, %s))
    }""",
    "global_call": """
    def @square(%a: Tensor[(3), float32]) -> Tensor[(3), float32] { multiply(%a, %a) }
    def @main(%x: Tensor[(3), float32]) { sum(@square(tanh(@square(%x))), axis=0) }
    """,
    "literal_called_twice": """
    def @main(%x: Tensor[(3), float32], %k: float32) {
      let %scale = fn (%v: Tensor[(3), float32]) -> Tensor[(3), float32] { multiply(%v, %k) };
      add(%scale(%x), %scale(sin(%x)))
    }""",
    "dynamic_if": """
    def @main(%x: Tensor[(3), float32]) {
      let %s = sum(multiply(%x, %x));
      if (greater(%s, 1f)) { multiply(%s, %x) } else { sin(%x) }
    }""",
}


def optimize_pass():
    return lg.transform.optimize


def corpus_program(name: str) -> Program:
    mod = lg.parse(CORPUS[name])
    return Program(mod, inputs_for(mod["main"]))


def has_if(program: Program) -> bool:
    """Whether first-order mode is out: some function of the program branches."""
    return any("If" in lg.analysis.features(f) for f in program.mod.functions.values())


def optimized_gradient(
    program: Program, mode: str = "higher_order", fast_math: bool = False
) -> Program:
    """``optimize(gradient(@main))`` as the ``@main`` of a module holding what it calls.

    A gradient that needs no global is optimized as a function; otherwise the module is.
    """
    optimize = partial(optimize_pass(), fast_math=fast_math)
    mod = program.mod.copy()
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, mode=mode)
    if any(isinstance(n, lg.GlobalVar) for n in lg.ir.post_order(grad)):
        mod["main"] = grad
        return Program(optimize(mod), program.args)
    return Program(lg.IRModule.from_expr(optimize(grad)), program.args)


def reachable(mod: lg.IRModule) -> list[lg.Function]:
    """``@main`` and every global it calls, directly or not."""
    found, todo = {}, [mod.get_global_var("main")]
    while todo:
        gvar = todo.pop()
        if gvar not in found:
            found[gvar] = mod[gvar]
            todo.extend(n for n in lg.ir.post_order(found[gvar]) if isinstance(n, lg.GlobalVar))
    return list(found.values())


def op_total(mod: lg.IRModule) -> int:
    return sum(sum(lg.analysis.count_ops(f).values()) for f in reachable(mod))


def run(program: Program):
    return lg.create_executor(mod=program.mod).evaluate()(*program.args)


def assert_same(before, after):
    """Equal (nested tuples of) tensors, to float32 reassociation noise."""
    if isinstance(before, tuple):
        assert isinstance(after, tuple) and len(after) == len(before)
        for b, a in zip(before, after, strict=True):
            assert_same(b, a)
    else:
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)


def check_ref_free(program: Program):
    """The issue's ref-free property for one first-order program."""
    opt = optimized_gradient(program)
    for func in reachable(opt.mod):
        assert not REF_NODES & lg.analysis.features(func), str(func)
        nested = [n for n in lg.ir.post_order(func.body) if isinstance(n, lg.Function)]
        assert not nested, str(func)
    raw = program.mod.copy()
    raw["main"] = lg.transform.gradient(raw.get_global_var("main"), mod=raw)
    assert_same(run(Program(raw, program.args)), run(opt))
    if not has_if(program):
        # Sizes compare with fast math: first-order mode never builds the product of a zero
        # gradient (of a value nobody uses) with a value that may be NaN; higher-order mode
        # does, and only fast math may drop it.
        fast = optimized_gradient(program, fast_math=True)
        first_order = optimized_gradient(program, mode="first_order", fast_math=True)
        assert op_total(fast.mod) <= op_total(first_order.mod), (
            f"{fast.mod['main']}\n--- first-order mode, optimized:\n{first_order.mod['main']}"
        )


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_gradient_is_ref_free(name):
    check_ref_free(corpus_program(name))


@pytest.mark.slow
@given(first_order_programs())
def test_random_first_order_gradient_is_ref_free(program):
    optimize_pass()
    check_ref_free(program)


@pytest.mark.slow
@given(first_order_programs(with_if=True))
def test_random_gradient_with_dynamic_if_is_ref_free(program):
    optimize_pass()
    check_ref_free(program)


@pytest.mark.slow
@given(first_order_programs(with_if=True))
def test_generated_first_order_programs_type_check(program):
    typed = lg.transform.infer_type(program.mod)
    assert typed["main"].checked_type is not None
    if not has_if(program):
        lg.transform.gradient(
            program.mod.get_global_var("main"), mod=program.mod.copy(), mode="first_order"
        )


def test_square_gradient_is_tight():
    opt = optimized_gradient(corpus_program("square")).mod["main"]
    ops = lg.analysis.count_ops(opt)
    assert ops.get("multiply", 0) >= 1, str(opt)
    assert sum(ops.values()) <= 3, str(opt)  # the forward multiply plus at most two
    assert not set(GRADIENT_OPS_LEFT_BEHIND) & set(ops), str(opt)
    x = inputs_for(opt)[0]
    value, (dx,) = run(Program(lg.IRModule.from_expr(opt), (x,)))
    np.testing.assert_allclose(value, x * x, rtol=1e-6)
    np.testing.assert_allclose(dx, 2 * x, rtol=1e-6)


def test_identity_gradient_is_x_and_ones():
    opt = optimized_gradient(corpus_program("identity")).mod["main"]
    x = lg.var("x", shape=(3,))
    ones_like = lg.Function([x], lg.Tuple([x, lg.Tuple([lg.op.ones_like(x)])]))
    ones = lg.Function([x], lg.Tuple([x, lg.Tuple([lg.const(np.ones(3, "float32"))])]))
    untyped = lg.Function(opt.params, opt.body)  # compare without the return annotation
    equal = lg.analysis.alpha_equal
    assert equal(untyped, ones_like) or equal(untyped, ones), str(opt)
