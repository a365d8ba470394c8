"""The forward/backward split of first-order programs (ad/split.py): gradients against finite
differences at first and second order, the shape of its output (no refs, no closures, one
forward and one backward global per differentiated global), and the programs that fall back
to the higher-order algorithm."""

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ad.specialize import specialize_closures
from lambdagrad.ir.expr import Function, RefCreate
from lambdagrad.ir.visitor import pre_order
from lambdagrad.testing import check_grad

TREE_CELL = """
type BTree[A] {
  Leaf(A),
  Node(BTree[A], BTree[A]),
}

def @cell(%t: BTree[Tensor[(1, 2), float32]], %w: Tensor[(4, 2), float32],
          %u: Tensor[(4, 4), float32], %b: Tensor[(4), float32])
    -> (Tensor[(1, 2), float32], Tensor[(1, 2), float32]) {
  match (%t) {
    Leaf(%x) => {
      let %g = split(nn.bias_add(nn.dense(%x, %w), %b), indices_or_sections=2, axis=1);
      (tanh(%g.0), sigmoid(%g.1))
    },
    Node(%left, %right) => {
      let %l = @cell(%left, %w, %u, %b);
      let %r = @cell(%right, %w, %u, %b);
      let %h = concatenate((%l.0, %r.1), axis=1);
      let %g = split(nn.dense(%h, %u), indices_or_sections=2, axis=1);
      (multiply(tanh(%g.0), %l.1), add(sigmoid(%g.1), %r.0))
    },
  }
}

def @main(%t: BTree[Tensor[(1, 2), float32]], %w: Tensor[(4, 2), float32],
          %u: Tensor[(4, 4), float32], %b: Tensor[(4), float32]) -> float32 {
  let %out = @cell(%t, %w, %u, %b);
  add(sum(%out.0), sum(multiply(%out.1, %out.1)))
}
"""

MUTUAL = """
def @even(%n: int32, %x: float32, %w: float32) -> float32 {
  if (equal(%n, 0)) { %x } else { @odd(subtract(%n, 1), sin(multiply(%x, %w)), %w) }
}
def @odd(%n: int32, %x: float32, %w: float32) -> float32 {
  add(@even(%n, multiply(%x, %x), %w), %w)
}
def @main(%x: float32, %w: float32) -> float32 { @even(3, %x, %w) }
"""

IF_IN_RECURSION = """
def @loop(%n: int32, %x: Tensor[(3), float32], %w: Tensor[(3), float32])
    -> (Tensor[(3), float32], float32) {
  if (equal(%n, 0)) {
    (%x, sum(%x))
  } else {
    let %y = if (greater(sum(%x), 0f)) { multiply(%x, %w) } else { sin(add(%x, %w)) };
    let %rest = @loop(subtract(%n, 1), tanh(%y), %w);
    (%rest.0, add(%rest.1, sum(multiply(%y, %y))))
  }
}
def @main(%x: Tensor[(3), float32], %w: Tensor[(3), float32]) -> float32 {
  let %out = @loop(4, %x, %w);
  add(sum(%out.0), %out.1)
}
"""

# an ADT value built and matched inside, data plain: the split handles it
ADT_INSIDE = """
def @build(%n: int32) -> List[float32] {
  if (equal(%n, 0)) { Nil } else { Cons(cast(%n, dtype="float32"), @build(subtract(%n, 1))) }
}
def @total(%xs: List[float32], %w: float32) -> float32 {
  match (%xs) {
    Cons(%y, %rest) => add(multiply(sin(multiply(%y, %w)), %w), @total(%rest, %w)),
    Nil => multiply(%w, %w),
  }
}
def @main(%w: float32) -> float32 { @total(@build(3), %w) }
"""

# gradients through ADT values: the list's gradient is a list, the result a list
LIST_TOTAL = """
def @total(%xs: List[float32], %w: float32) -> float32 {
  match (%xs) {
    Cons(%y, Cons(%z, %more)) => add(multiply(%y, %z), @total(Cons(%z, %more), %w)),
    Cons(%y, _) => add(multiply(%y, %w), %w),
    Nil => %w,
  }
}
def @main(%xs: List[float32], %w: float32) -> float32 { @total(%xs, %w) }
"""

MAP_RESULT = """
def @scaled(%xs: List[Tensor[(2), float32]], %w: Tensor[(2), float32])
    -> List[Tensor[(2), float32]] {
  match (%xs) {
    Cons(%y, %rest) => Cons(sin(multiply(%y, %w)), @scaled(%rest, multiply(%w, %w))),
    Nil => Nil,
  }
}
def @main(%xs: List[Tensor[(2), float32]], %w: Tensor[(2), float32])
    -> (List[Tensor[(2), float32]], float32) {
  (@scaled(%xs, %w), sum(%w))
}
"""

SAME_WEIGHT_TWICE = """
def @f(%n: int32, %a: float32, %b: float32) -> float32 {
  if (equal(%n, 0)) { multiply(%a, %b) } else { multiply(@f(subtract(%n, 1), %a, %a), %b) }
}
def @main(%w: float32, %v: float32) -> float32 { @f(3, %w, %v) }
"""

# folds over known closures: specialized (specialize.py), then split
CLOSURE = """
def @main(%xs: List[float32], %w: float32) -> float32 {
  @foldl(fn (%acc: float32, %x: float32) { add(multiply(%acc, %w), sin(%x)) }, 1f, %xs)
}
"""

RNN = """
def @main(%xs: List[Tensor[(1, 2), float32]], %h0: Tensor[(1, 3), float32],
          %wx: Tensor[(3, 2), float32], %wh: Tensor[(3, 3), float32]) -> float32 {
  let %step = fn (%h: Tensor[(1, 3), float32], %x: Tensor[(1, 2), float32]) {
    tanh(add(nn.dense(%x, %wx), nn.dense(%h, %wh)))
  };
  let %total = @foldr(fn (%x: Tensor[(1, 2), float32], %s: float32) { add(%s, sum(%x)) },
                      0f, %xs);
  multiply(sum(@foldl(%step, %h0, %xs)), %total)
}
"""

# a closure taken out of a list is not known: the higher-order algorithm takes it
UNKNOWN_CLOSURE = """
def @twice(%f: fn (float32) -> float32, %n: int32, %x: float32) -> float32 {
  if (equal(%n, 0)) { %x } else { @twice(%f, subtract(%n, 1), %f(%x)) }
}
def @main(%x: float32, %w: float32) -> float32 {
  let %fs = Cons(fn (%y: float32) { sin(multiply(%y, %w)) }, Nil);
  match (%fs) { Cons(%g, _) => @twice(%g, 3, %x), Nil => %x }
}
"""

# program, the parameters whose gradients are asked for (None: all)
SPLIT_PROGRAMS = {
    "tree": (TREE_CELL, None),
    "tree_weights": (TREE_CELL, (1, 2, 3)),
    "list_total": (LIST_TOTAL, None),
    "map_result": (MAP_RESULT, None),
    "mutual_recursion": (MUTUAL, None),
    "if_in_recursion": (IF_IN_RECURSION, None),
    "adt_inside": (ADT_INSIDE, None),
    "same_weight_twice": (SAME_WEIGHT_TWICE, None),
    "fold_closure": (CLOSURE, None),
    "rnn": (RNN, None),
    "rnn_weights": (RNN, (2, 3)),
}
SPECIALIZED = {"fold_closure", "rnn", "rnn_weights"}  # specialize_closures first


def _program(text: str, specialize: bool = False) -> tuple:
    """`@main` of `text` and its module; specialized on known closures when `specialize`."""
    mod = lg.parse(text, prelude=True)
    main = mod.get_global_var("main")
    return specialize_closures(main, mod) if specialize else (main, mod)


def _gradient(text: str, specialize: bool = False, **kwargs):
    func, mod = _program(text, specialize)
    return lg.transform.gradient(func, mod=mod, **kwargs), mod


def _has_refs_or_closures(func: Function, mod: lg.IRModule) -> bool:
    bodies = [func.body, *(mod[g].body for g in mod.functions if g.name_hint.endswith("wd"))]
    return any(isinstance(n, RefCreate | Function) for b in bodies for n in pre_order(b))


@pytest.mark.parametrize("name", sorted(set(SPLIT_PROGRAMS) - {"tree_weights", "rnn_weights"}))
def test_split_gradients_match_finite_differences(name, executor_kind):
    func, mod = _program(SPLIT_PROGRAMS[name][0], name in SPECIALIZED)
    check_grad(func, mod=mod, order=2, executor=executor_kind)


@pytest.mark.parametrize("name", sorted(SPLIT_PROGRAMS))
def test_split_output_has_no_refs_and_no_closures(name):
    text, wrt = SPLIT_PROGRAMS[name]
    grad, mod = _gradient(text, name in SPECIALIZED, wrt=wrt)
    split = {g.name_hint for g in mod.functions if g.name_hint.endswith(("_grad_fwd", "_grad_bwd"))}
    assert split and not any(g.name_hint.endswith("_grad") for g in mod.functions)
    assert not _has_refs_or_closures(grad, mod)


def test_tree_weights_only_agree_with_the_full_gradient():
    mod = lg.parse(TREE_CELL, prelude=True)
    leaf, node = mod.get_constructor("Leaf"), mod.get_constructor("Node")
    rng = np.random.default_rng(0)

    def tree(depth):
        if depth == 0:
            return lg.ConstructorValue(leaf, [rng.standard_normal((1, 2)).astype("float32")])
        return lg.ConstructorValue(node, [tree(depth - 1), tree(depth - 2 if depth > 1 else 0)])

    weights = [rng.standard_normal(s).astype("float32") for s in [(4, 2), (4, 4), (4,)]]
    args = [tree(3), *weights]
    full, full_mod = _gradient(TREE_CELL, wrt=(0, 1, 2, 3))
    only, only_mod = _gradient(TREE_CELL, wrt=(1, 2, 3))
    _, full_grads = lg.create_executor(mod=full_mod).evaluate(full)(*args)
    _, only_grads = lg.create_executor(mod=only_mod).evaluate(only)(*args)
    for a, b in zip(full_grads[1:], only_grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_tree_weights_only_is_split_and_threads_the_weights():
    grad, mod = _gradient(TREE_CELL, wrt=(1, 2, 3))
    backward = mod["cell_grad_bwd"]
    # the tree is data: no gradient for it; the three weights' gradients come in and go out
    assert [p.name_hint for p in backward.params] == ["res", "out_grad", "acc_w", "acc_u", "acc_b"]
    assert not _has_refs_or_closures(grad, mod)


def test_vjp_through_the_split():
    mod = lg.parse(IF_IN_RECURSION, prelude=True)
    loop = mod.get_global_var("loop")
    grad = lg.transform.vjp(loop, mod=mod, wrt=(1, 2))
    x, w = np.array([0.3, -0.2, 0.5], "float32"), np.array([0.9, 1.1, -0.4], "float32")
    cotangent = (np.array([1.0, 2.0, 3.0], "float32"), np.float32(0.5))
    _, (dx, dw) = lg.create_executor(mod=mod).evaluate(grad)(np.int32(4), x, w, cotangent)
    assert "loop_grad_bwd" in mod
    eps = 1e-3

    def objective(x, w):
        out = lg.create_executor(mod=lg.parse(IF_IN_RECURSION, prelude=True)).evaluate(loop)(
            np.int32(4), x, w
        )
        return float(np.dot(out[0], cotangent[0]) + out[1] * cotangent[1])

    for i in range(3):
        step = np.zeros(3, "float32")
        step[i] = eps
        numeric = (objective(x + step, w) - objective(x - step, w)) / (2 * eps)
        np.testing.assert_allclose(dx[i], numeric, rtol=2e-2, atol=1e-3)


def test_a_fold_over_a_known_closure_is_specialized(executor_kind):
    grad, mod = _gradient(RNN, specialize=True, wrt=(2, 3))
    # the step lambda-lifted: what it captured comes after its own parameters
    assert [p.name_hint for p in mod["foldl_step_fn"].params] == ["h", "x", "wx", "wh"]
    assert "foldl_step_grad_bwd" in mod and "foldr_fn_grad_bwd" not in mod  # no weights
    cons, nil = mod.get_constructor("Cons"), mod.get_constructor("Nil")
    rng = np.random.default_rng(1)
    xs = lg.ConstructorValue(nil, [])
    for _ in range(3):
        xs = lg.ConstructorValue(cons, [rng.standard_normal((1, 2)).astype("float32"), xs])
    weights = [rng.standard_normal(s).astype("float32") for s in [(3, 2), (3, 3)]]
    args = [xs, np.zeros((1, 3), "float32"), *weights]
    _, grads = lg.create_executor(executor_kind, mod=mod).evaluate(grad)(*args)
    full, full_mod = _gradient(RNN)  # not specialized: the higher-order algorithm
    _, full_grads = lg.create_executor(executor_kind, mod=full_mod).evaluate(full)(*args)
    for a, b in zip(grads, full_grads[2:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_the_gradient_of_a_list_is_a_list():
    grad, mod = _gradient(LIST_TOTAL)
    cons, nil = mod.get_constructor("Cons"), mod.get_constructor("Nil")
    values = [1.5, -2.0, 0.5]
    xs = lg.ConstructorValue(nil, [])
    for v in reversed(values):
        xs = lg.ConstructorValue(cons, [np.float32(v), xs])
    _, (dxs, dw) = lg.create_executor(mod=mod).evaluate(grad)(xs, np.float32(3.0))
    got = []
    while dxs.constructor.name == "Cons":
        got.append(float(dxs.fields[0]))
        dxs = dxs.fields[1]
    # y0*y1 + y1*y2 + y2*w + w
    assert got == [-2.0, 1.5 + 0.5, -2.0 + 3.0]
    assert float(dw) == 0.5 + 1.0


FALLBACKS = {
    "unknown_closure": UNKNOWN_CLOSURE,
    "closure_not_specialized": CLOSURE,
    "polymorphic": """
        def @count[A](%xs: List[A], %w: float32) -> float32 {
          match (%xs) { Cons(_, %rest) => add(%w, @count(%rest, %w)), Nil => 0f }
        }
        def @main(%xs: List[float32], %w: float32) -> float32 { @count(%xs, %w) }
    """,
    "refs": """
        def @loop(%n: int32, %r: ref(float32)) -> () {
          if (equal(%n, 0)) { () } else {
            let %u = ref_write(%r, sin(ref_read(%r)));
            @loop(subtract(%n, 1), %r)
          }
        }
        def @main(%x: float32) -> float32 { let %r = ref(%x); let %u = @loop(3, %r); ref_read(%r) }
    """,
    "not_recursive": """
        def @sq(%x: float32) -> float32 { multiply(%x, %x) }
        def @main(%x: float32) -> float32 { @sq(@sq(%x)) }
    """,
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_other_programs_fall_back_to_the_higher_order_algorithm(name):
    mod = lg.parse(FALLBACKS[name], prelude=True)
    check_grad(mod.get_global_var("main"), mod=mod)
    _, mod = _gradient(FALLBACKS[name])
    names = {g.name_hint for g in mod.functions}
    assert not any(n.endswith("_grad_fwd") for n in names)
    assert any(n.endswith("_grad") or "_grad_" in n for n in names)


def test_forward_over_reverse_twice_on_one_module():
    """Hessian-vector products of the split, asked for twice: forward mode's second run keeps
    the dual versions of the residual ADTs the first one's derived globals use."""
    mod = lg.parse(IF_IN_RECURSION, prelude=True)
    main = mod.get_global_var("main")
    for _ in range(2):
        lg.transform.jvp(lg.transform.gradient(main, mod=mod, wrt=(1,)), mod=mod, wrt=(1,))
    lg.testing.check_jvp(main, mod=mod, order=2)
