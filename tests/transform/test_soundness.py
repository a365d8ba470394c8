"""Soundness of the optimizer: no pass changes what a program computes.

Random programs (lets, tuples, closures, refs with aliasing, `if`, `match` on lists, prelude
folds, bounded recursion) and their higher-order gradients run on the interpreter before and
after each pass of ``lg.transform`` and after the whole ``optimize`` pipeline.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from program_gen import Program, assert_same, inputs_for, programs

import lambdagrad as lg
from lambdagrad.ir.visitor import children

PASSES = [
    "to_anf",
    "dead_code_elimination",
    "fold_constant",
    "eliminate_common_subexpr",
    "inline",
    "simplify",
    "partial_evaluate",
    "optimize",
]

# apache/tvm#6803: Relay's DCE dropped the ref_writes that carry these gradients.
TVM_6803 = """
fn (%x: Tensor[(4, 8), float32], %w: Tensor[(3, 8), float32], %b: Tensor[(3), float32],
    %y: Tensor[(4, 3), float32]) {
  nn.cross_entropy_with_logits(nn.log_softmax(nn.bias_add(nn.dense(%x, %w), %b)), %y)
}
"""


def pass_named(name: str):
    """The pass `name` of ``lg.transform``."""
    return getattr(lg.transform, name)


@pytest.fixture(scope="module", params=PASSES)
def named_pass(request):
    """(name, pass function) for each pass under test."""
    return request.param, pass_named(request.param)


def run(mod: lg.IRModule, args, expr=None):
    """The value of ``@main`` of `mod` (or of `expr` in `mod`) on `args`."""
    executor = lg.create_executor(mod=mod)
    return executor.evaluate(expr)(*args)


def transformed(pass_fn, mod: lg.IRModule) -> lg.IRModule:
    """`pass_fn` applied to `mod`, checking that the caller's module is left as it was."""
    functions = dict(mod.functions)
    result = pass_fn(mod)
    assert isinstance(result, lg.IRModule)
    assert mod.functions.keys() == functions.keys()
    assert all(mod.functions[g] is f for g, f in functions.items()), "the pass mutated its input"
    return result


def _self_contained(func: lg.Function) -> bool:
    """Whether `func` uses no global and no constructor, so it type-checks without a module."""
    return not any(isinstance(n, lg.GlobalVar | lg.Constructor) for n in lg.ir.post_order(func))


def gradient_program(program: Program) -> Program:
    """A program whose ``@main`` is the higher-order gradient of `program`'s ``@main``."""
    mod = program.mod.copy()
    mod["main"] = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    return Program(mod, program.args)


@pytest.mark.slow
@given(programs())
def test_generated_programs_type_check_and_run(program):
    typed = lg.transform.infer_type(program.mod)
    assert typed["main"].checked_type is not None
    run(program.mod, program.args)


def _uses_a_node_twice(program: Program) -> bool:
    """Whether some node object is the child of two parents (graph form)."""
    parents: dict[int, int] = {}
    for node in lg.ir.post_order(program.main):
        for child in children(node):
            if not isinstance(child, lg.Var | lg.Constant | lg.Op | lg.GlobalVar):
                parents[id(child)] = parents.get(id(child), 0) + 1
    return any(count > 1 for count in parents.values())


def _calls(name: str):
    return lambda p: any(
        isinstance(n, lg.GlobalVar) and n.name_hint.startswith(name)
        for n in lg.ir.post_order(p.main)
    )


def _has(kind: str):
    return lambda p: kind in lg.analysis.features(p.main)


CONSTRUCTS = {
    "let": _has("Let"),
    "tuple": _has("Tuple"),
    "projection": _has("TupleGetItem"),
    "closure": _has("Function"),
    "if": _has("If"),
    "match": _has("Match"),
    "ref_create": _has("RefCreate"),
    "ref_read": _has("RefRead"),
    "ref_write": _has("RefWrite"),
    "foldl": _calls("foldl"),
    "map": _calls("map"),
    "recursive_global": lambda p: any(n.startswith("rec") for n in p.own_globals()),
    "shared_node": _uses_a_node_twice,
}


def test_generator_covers_every_construct():
    seen: set[str] = set()

    @settings(max_examples=150, database=None, derandomize=True)
    @given(programs())
    def collect(program):
        seen.update(name for name, present in CONSTRUCTS.items() if present(program))

    collect()
    assert seen == set(CONSTRUCTS)


@pytest.mark.slow
@given(programs())
def test_pass_preserves_results(named_pass, program):
    """The pass keeps results on the module, and on @main alone when it needs no module."""
    pass_fn = named_pass[1]
    before = run(program.mod, program.args)
    assert_same(before, run(transformed(pass_fn, program.mod), program.args))
    if _self_contained(program.main):
        alone = pass_fn(program.main)
        assert isinstance(alone, lg.Function)
        assert_same(before, run(lg.IRModule(), program.args, alone))


@pytest.mark.slow
@given(programs(differentiable=True))
def test_pass_preserves_gradients(named_pass, program):
    grad = gradient_program(program)
    before = run(grad.mod, grad.args)
    assert_same(before, run(transformed(named_pass[1], grad.mod), grad.args))


@pytest.mark.parametrize("name", ["dead_code_elimination", "optimize"])
def test_tvm_6803_gradient_updates_survive(name):
    pass_fn = pass_named(name)
    grad = lg.transform.gradient(lg.parse_expr(TVM_6803))
    args = inputs_for(lg.parse_expr(TVM_6803))
    before = run(lg.IRModule(), args, grad)
    for dparam in before[1]:
        assert np.abs(dparam).sum() > 0  # the property below would be vacuous otherwise
    assert_same(before, run(lg.IRModule(), args, pass_fn(grad)))
    mod = lg.IRModule.from_expr(grad)
    assert_same(before, run(transformed(pass_fn, mod), args))
