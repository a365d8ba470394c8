"""The compiled executor: the Python it writes, loops, injection safety, deep nesting, values
and errors as the interpreter's, and every op's implementation against the interpreter.

(tests/runtime/test_interpreter.py and the AD tests run on both executors as well.)
"""

import ast
import functools
import importlib.util
import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import lambdagrad as lg
from lambdagrad.ops.registry import AttrSpec, all_op_defs, resolve_alias


def both(func, *args, mod=None):
    """The results of `func` on `args` with the interpreter and with compiled code."""
    debug = lg.create_executor("debug", mod=mod).evaluate(func)(*args)
    compiled = lg.create_executor("compiled", mod=mod).evaluate(func)(*args)
    return debug, compiled


def assert_same(debug, compiled):
    """The same value: type, dtype, shape and bits, through tuples, ADT values and refs."""
    if isinstance(debug, tuple):
        assert isinstance(compiled, tuple) and len(compiled) == len(debug)
        for d, c in zip(debug, compiled, strict=True):
            assert_same(d, c)
    elif isinstance(debug, lg.ConstructorValue):
        assert compiled.constructor is debug.constructor
        assert_same(debug.fields, compiled.fields)
    elif isinstance(debug, lg.RefValue):
        assert_same(debug.value, compiled.value)
    else:
        assert type(compiled) is type(debug) is np.ndarray
        assert (compiled.dtype, compiled.shape) == (debug.dtype, debug.shape)
        np.testing.assert_array_equal(compiled, debug)


def error_of(kind, func, *args, mod=None) -> str:
    with pytest.raises(lg.EvaluationError) as info:
        lg.create_executor(kind, mod=mod).evaluate(func)(*args)
    return str(info.value)


def same_error(func, *args, mod=None) -> str:
    """The message both executors raise (asserting it is the same)."""
    message = error_of("debug", func, *args, mod=mod)
    assert error_of("compiled", func, *args, mod=mod) == message
    return message


# ---- the source it writes


def test_a_tail_recursive_global_is_a_loop():
    prelude = lg.parse("", prelude=True)
    assert lg.to_python(prelude.get_global_var("foldl"), mod=prelude).endswith(
        "def foldl(f, acc, xs):\n"
        "    while True:\n"
        "        kind = canonical[xs.constructor]\n"
        "        if kind is Cons:\n"
        "            [x, rest] = xs.fields\n"
        "            t = f(acc, x)\n"
        "            acc, xs = t, rest\n"
        "            continue\n"
        "        if kind is Nil:\n"
        "            return acc\n"
        "        raise no_match(_match1, xs)\n"
    )


def test_source_has_closures_lets_ifs_refs_and_numpy_calls():
    text = """
    def @main(%x: Tensor[(3), float32], %n: int32) -> Tensor[(3), float32] {
      let %acc = ref(%x);
      let %scale = fn (%k: float32) -> () {
        ref_write(%acc, multiply(tanh(ref_read(%acc)), %k))
      };
      if (greater(%n, 0)) {
        let %u = %scale(2f);
        ref_read(%acc)
      } else {
        subtract(%x, sum(%x, axis=0, keepdims=True))
      }
    }"""
    source = lg.to_python(lg.parse(text))
    for line in [
        "def main(x, n):",
        "    acc = RefValue(x)",
        "    def scale(k):",  # a closure is a nested def
        "        t1 = np.tanh(t)",
        "        t2 = t1 * k[()]",  # a 0-d argument as its numpy scalar
        "        acc.value = t2",
        "    t3 = n[()] > _k1",  # a 0-d constant as a numpy scalar
        "    if t3:",
        "    t5 = _sum1(x)",  # an op with its attributes bound
    ]:
        assert line + "\n" in source, line
    assert "#   _k1 = 0 (int32 scalar)" in source


EVEN_ODD = """
def @even(%n: int32) -> bool { if (equal(%n, 0)) { True } else { @odd(subtract(%n, 1)) } }
def @odd(%n: int32) -> bool { if (equal(%n, 0)) { False } else { @even(subtract(%n, 1)) } }
"""


def test_globals_calling_each_other_in_tail_position_share_one_loop():
    mod = lg.parse(EVEN_ODD + "def @main(%n: int32) { (@even(%n), @odd(%n)) }")
    source = lg.to_python(mod)
    assert source.count("while True:") == 1 and "n1, run = t1, 1" in source
    assert "def even(n):\n    return even_odd(0, n, ())" in source
    for n in (0, 1, 6, 7):
        assert_same(*both(None, n, mod=mod))
    assert lg.create_executor("compiled", mod=mod).evaluate()(1_000_000) == (True, False)


def test_a_tail_call_group_of_three_with_other_arities_and_calls_from_inside():
    text = """
    def @a(%n: int32, %acc: float64) -> float64 {
      if (less(%n, 1)) { %acc } else { @b(subtract(%n, 1), add(%acc, @c(0, 1f64, 2f64))) }
    }
    def @b(%n: int32, %acc: float64) -> float64 { @c(%n, %acc, 2f64) }
    def @c(%n: int32, %acc: float64, %k: float64) -> float64 {
      if (equal(%n, 0)) { %acc } else { @a(%n, multiply(%acc, %k)) }
    }
    def @main(%n: int32) -> float64 { @a(%n, 1f64) }
    """
    mod = lg.parse(text)
    assert lg.to_python(mod).count("while True:") == 1
    for n in (0, 1, 2, 5, 9):
        assert_same(*both(None, n, mod=mod))


def test_globals_whose_closures_capture_their_variables_keep_their_own_calls():
    text = """
    def @f(%n: int32) -> int32 {
      let %g = fn () -> int32 { %n };
      if (less(%n, 1)) { %g() } else { @h(subtract(%n, 1)) }
    }
    def @h(%n: int32) -> int32 { @f(%n) }
    def @main(%n: int32) -> int32 { @f(%n) }
    """
    mod = lg.parse(text)
    assert "while True:" not in lg.to_python(mod)
    assert_same(*both(None, 5, mod=mod))


def test_a_let_bound_recursive_closure_is_a_loop():
    text = """
    def @main(%n: int32) -> float32 {
      let %count = fn (%i: int32, %acc: float32) -> float32 {
        if (equal(%i, 0)) { %acc } else { %count(subtract(%i, 1), add(%acc, 1f)) }
      };
      %count(%n, 0f)
    }"""
    mod = lg.parse(text)
    assert "    def count(i, acc):\n        while True:\n" in lg.to_python(mod)
    run = lg.create_executor("compiled", mod=mod).evaluate()
    assert run(200_000) == 200_000


def test_no_loop_where_closures_capture_the_variables_it_would_rebind():
    text = """
    def @build(%n: int32, %fs: List[fn () -> int32]) -> List[fn () -> int32] {
      if (equal(%n, 0)) { %fs } else { @build(subtract(%n, 1), Cons(fn () -> int32 { %n }, %fs)) }
    }
    def @main() -> List[int32] { @map(fn (%f: fn () -> int32) { %f() }, @build(3, Nil)) }
    """
    mod = lg.parse(text, prelude=True)
    assert "while True" not in lg.to_python(mod.get_global_var("build"), mod=mod)
    debug, compiled = both(None, mod=mod)
    assert [int(v) for v in lg.list_items(compiled)] == [1, 2, 3]
    assert_same(debug, compiled)


def test_to_python_of_an_expression_that_is_not_a_function():
    source = lg.to_python(lg.parse_expr("(1f, 2f).1"))
    assert "def value():" in source and "return t1" in source


# ---- injection safety

HOSTILE = "x'); __import__('lambdagrad').__setattr__('HACKED', 1) #\n\"\"\"\\"


def hostile_module():
    """A program whose every name but its ADT's (refused when built: see below), and a string
    attribute, is HOSTILE text."""
    header = lg.GlobalTypeVar("T")
    float32 = lg.TensorType((), "float32")
    pair = lg.Constructor("C", [float32, lg.TypeCall(header, [])], header, 0)
    end = lg.Constructor("N", [], header, 1)
    mod = lg.IRModule()
    mod.add_type(lg.TypeData(header, [], [pair, end]))
    name = "test." + HOSTILE
    if not lg.Op.exists(name):
        lg.ops.register_op(
            name,
            1,
            lambda types, attrs: types[0],
            {"note": AttrSpec("str", "")},
            impl=lambda x, note: x + np.asarray(len(note), x.dtype),
        )
        lg.register_gradient(name, lambda call, grad: [grad])  # every op needs one
    v = lg.var(HOSTILE, "float32")
    mod[lg.GlobalVar(HOSTILE)] = lg.Function([v], lg.op.multiply(v, v))
    x, h, rest = lg.var(HOSTILE, "float32"), lg.var(HOSTILE, "float32"), lg.var(HOSTILE)
    noted = lg.Call(lg.Op.get(name), [x], {"note": HOSTILE})
    data = lg.Call(pair, [noted, lg.Call(end, [])])
    clause = lg.Clause(
        lg.PatternConstructor(pair, [lg.PatternVar(h), lg.PatternVar(rest)]),
        lg.Call(lg.GlobalVar(HOSTILE), [h]),
    )
    mod["main"] = lg.Function([x], lg.Match(data, [clause], complete=False))
    return mod


def test_hostile_adt_names_are_refused_when_built():
    with pytest.raises(lg.Error, match="cannot name an ADT"):
        lg.GlobalTypeVar(HOSTILE + "T")


def test_hostile_names_and_attributes_never_reach_the_source():
    mod = hostile_module()
    source = lg.to_python(mod)
    code = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    assert not any(c in "\n".join(code) for c in "'\"\\")
    tree = ast.parse(source)
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert all(v is True or type(v) is int for v in literals), literals
    assert not any(isinstance(n, ast.Import | ast.ImportFrom) for n in ast.walk(tree))
    debug, compiled = both(None, 2.0, mod=mod)
    assert_same(debug, compiled)
    assert float(compiled) == (2.0 + len(HOSTILE)) ** 2
    assert not hasattr(lg, "HACKED")


# ---- deep programs


def test_deeply_nested_ifs_and_closures_run():
    x = lg.var("x", "float32")
    cascade = x
    for k in range(3000):  # in a let value, not in tail position: nested if/else blocks
        cascade = lg.If(lg.op.less(x, lg.const(float(k))), lg.const(float(k)), cascade)
    assert_same(*both(lg.Function([x], lg.op.add(cascade, lg.const(1.0))), 2500.5))
    ys = [lg.var(f"y{i}", "float32") for i in range(80)]
    body = functools.reduce(lg.op.add, ys, x)
    for y in reversed(ys):  # 80 closures, each nested in the one before
        body = lg.Function([y], body)
    for i in range(80):
        body = lg.Call(body, [lg.const(float(i))])
    assert_same(*both(lg.Function([x], body), 1.0))


# ---- values and errors as the interpreter's


def test_0d_results_leave_as_arrays_in_tuples_adt_values_and_refs():
    text = """
    def @main(%x: float32, %r: ref(float32)) {
      let %y = add(sin(%x), 1f);
      let %u = ref_write(%r, multiply(%y, 2f));
      (%y, Cons(negative(%y), Nil), less(%y, 0f))
    }"""
    mod = lg.parse(text, prelude=True)
    cells = lg.RefValue(np.float32(0)), lg.RefValue(np.float32(0))
    debug = lg.create_executor("debug", mod=mod).evaluate()(0.5, cells[0])
    compiled = lg.create_executor("compiled", mod=mod).evaluate()(0.5, cells[1])
    assert_same(debug, compiled)
    assert_same(cells[0].value, cells[1].value)


def test_values_built_with_an_equal_constructor_of_another_module_match():
    text = "def @main(%o: Option[float32]) -> float32 { match (%o) { Some(%v) => %v, None => 0f } }"
    other = lg.parse("", prelude=True)
    some = lg.ConstructorValue(other.get_constructor("Some"), [np.array(3, "float32")])
    assert_same(*both(None, some, mod=lg.parse(text, prelude=True)))


def test_an_op_failure_names_the_op_and_the_shapes():
    add = lg.parse_expr("fn (%x: Tensor[(?), float32], %y: Tensor[(?), float32]) { add(%x, %y) }")
    message = same_error(add, np.zeros(3, "float32"), np.zeros(4, "float32"))
    assert message.startswith("add(float32[3], float32[4]) failed: operands could not be broadcast")
    power = lg.parse_expr("fn (%x: int32) { power(add(%x, 1), negative(%x)) }")
    assert "power(int32[], int32[]) failed" in same_error(power, 2)


def test_an_op_without_implementation_fails_when_called():
    if not lg.Op.exists("test.no_impl"):
        lg.ops.register_op("test.no_impl", 1, lambda types, attrs: types[0])
        lg.register_gradient("test.no_impl", lambda call, grad: [grad])  # every op needs one
    func = lg.parse_expr("fn (%x: float32) { if (less(%x, 0f)) { test.no_impl(%x) } else { %x } }")
    assert_same(*both(func, 1.0))
    assert same_error(func, -1.0).startswith("operator test.no_impl has no implementation")


def test_calling_a_value_that_is_not_a_function():
    mod = lg.parse("def @main(%fs: List[fn (float32) -> float32]) { @hd(%fs)(1f) }", prelude=True)
    fs = lg.make_list([np.array(3, "float32")], mod)  # ADT fields are checked on the way in
    message = same_error(None, fs, mod=mod)
    assert message.startswith("argument 0 (%fs) of @main, Cons field 0: expected a callable")


def test_a_match_on_a_value_that_is_not_an_adt_value():
    mod = lg.parse("def @main(%xs: List[float32]) -> int32 { @length(%xs) }", prelude=True)
    broken = lg.ConstructorValue(mod.get_constructor("Cons"), [np.float32(1), None])
    message = same_error(None, broken, mod=mod)
    assert message.startswith("argument 0 (%xs) of @main, Cons field 1: expected a List value")


def test_python_functions_in_and_out():
    text = """
    def @main(%apply: fn (fn (float32) -> float32) -> float32, %x: float32) {
      %apply(fn (%y: float32) { multiply(%y, %x) })
    }"""
    mod = lg.parse(text)
    assert_same(*both(None, lambda g: g(3.0), 2.0, mod=mod))  # g converts 3.0 to float32

    def fail(g):
        raise ValueError("from Python")

    for kind in ("debug", "compiled"):
        with pytest.raises(ValueError, match="from Python"):
            lg.create_executor(kind, mod=mod).evaluate()(fail, 2.0)


def test_numpy_warnings_are_silenced_as_in_the_interpreter():
    func = lg.parse_expr("fn (%x: float32) { (log(%x), divide(1f, %x), divide(1, 0)) }")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same(*both(func, 0.0))


def test_functions_are_compiled_once():
    mod = lg.parse("def @main(%x: float32) { multiply(%x, %x) }")
    executor = lg.create_executor("compiled", mod=mod)
    func = lg.parse_expr("fn (%x: float32) { add(%x, 1f) }")
    assert executor.evaluate() is executor.evaluate()
    assert executor.evaluate(func) is executor.evaluate(func)
    assert executor.evaluate()(3.0) == 9.0 and executor.evaluate(func)(3.0) == 4.0


def test_own_closures_passed_back_in_are_called_directly():
    mod = lg.parse("def @main(%f: fn (float32) -> float32) { %f(2f) }")
    executor = lg.create_executor("compiled", mod=mod)
    triple = executor.evaluate(lg.parse_expr("fn (%x: float32) { multiply(%x, 3f) }"))
    assert executor.evaluate()(triple) == 6.0
    assert lg.create_executor("compiled", mod=mod).evaluate()(triple) == 6.0


# ---- calls from Python: on which thread, and their arguments


def record_hand_offs(monkeypatch) -> list:
    """The functions calls hand to the big-stack thread from now on."""
    from lambdagrad.runtime import program

    handed = []

    def run_deep(fn, *args):
        handed.append(fn)
        return program.run_deep.__wrapped__(fn, *args)

    run_deep.__wrapped__ = program.run_deep
    monkeypatch.setattr(program, "run_deep", run_deep)
    return handed


COUNT = (
    "def @count(%n: int32) -> int32 { if (equal(%n, 0)) { 0 } else { @count(subtract(%n, 1)) } }"
)


@pytest.mark.parametrize(
    ("text", "handed_off"),
    [
        ("def @main(%x: float32) { sin(%x) }", False),
        (
            "def @sq(%x: float32) { multiply(%x, %x) } def @main(%x: float32) { @sq(@sq(%x)) }",
            False,
        ),
        (f"{COUNT} def @main(%x: float32) {{ (%x, @count(3)) }}", True),
        ("def @main(%x: int32) { let %f = fn (%n: int32) -> int32 { %f(%n) }; %x }", True),
        ("def @main(%f: fn (float32) -> float32) { %f(1f) }", True),
        ("def @main(%r: ref(float32)) { ref_write(%r, 1f) }", True),
    ],
)
def test_only_calls_that_may_recurse_or_have_effects_leave_the_callers_thread(
    monkeypatch, text, handed_off
):
    mod = lg.parse(text)
    main = lg.create_executor("compiled", mod=mod).evaluate()
    handed = record_hand_offs(monkeypatch)
    args = {"float32": np.float32(2), "int32": np.int32(0)}
    ty = mod["main"].params[0].type_annotation
    arg = args.get(getattr(ty, "dtype", None))
    if isinstance(ty, lg.FuncType):
        arg = np.sin
    elif isinstance(ty, lg.RefType):
        arg = lg.RefValue(np.float32(0))
    main(arg)
    assert bool(handed) == handed_off


def test_a_closure_chain_too_deep_for_the_callers_stack_runs_again_on_the_big_stack(monkeypatch):
    x = lg.var("x", "float64")
    fs = [lg.var(f"f{i}") for i in range(3000)]  # each calls the one before: no recursion
    body = lg.Call(fs[-1], [x])
    for i in reversed(range(1, len(fs))):
        y = lg.var("y", "float64")
        step = lg.op.add(lg.Call(fs[i - 1], [y]), lg.const(1.0, "float64"))
        body = lg.Let(fs[i], lg.Function([y], step), body)
    y = lg.var("y", "float64")
    func = lg.Function([x], lg.Let(fs[0], lg.Function([y], y), body))
    main = lg.create_executor("compiled").evaluate(func)
    handed = record_hand_offs(monkeypatch)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, whatever ran before: the chain exceeds it
    try:
        assert float(main(0.5)) == 0.5 + 2999
    finally:
        sys.setrecursionlimit(limit)
    assert len(handed) == 1


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        (np.zeros(3, "float64"), "expected Tensor[(3), float32], got an array of dtype float64"),
        (np.zeros(4, "float32"), "expected Tensor[(3), float32], got an array of shape (4,)"),
        (np.zeros((3, 1), "float32"), "got an array of shape (3, 1)"),
        (np.float32(1), "got an array of shape ()"),
        ((1.0, 2.0), "got an array of shape (2,)"),
        ("abc", "expected an array of type Tensor[(3), float32], got str"),
    ],
)
def test_a_wrong_array_argument_is_named_as_the_interpreter_names_it(arg, expected):
    func = lg.parse_expr("fn (%v: Tensor[(3), float32]) { %v }")
    message = same_error(func, arg)
    assert message.startswith("argument 0 (%v) of fn: ") and expected in message


@pytest.mark.parametrize(
    ("param", "arg"),
    [
        ("float64", 1.5),
        ("float64", np.float64(1.5)),
        ("float32", 1.5),
        ("float32", np.float32(1.5)),
        ("int32", 3),
        ("Tensor[(2), float32]", np.ones(2, "float32")),
        ("Tensor[(?, 2), float32]", np.ones((3, 2), "float32")),
    ],
)
def test_arguments_arrive_as_read_only_arrays_of_the_declared_type(param, arg):
    debug, compiled = both(lg.parse_expr(f"fn (%v: {param}) {{ %v }}"), arg)
    assert_same(debug, compiled)
    assert not compiled.flags.writeable
    if isinstance(arg, np.ndarray):
        assert arg.flags.writeable  # the caller's array is not changed


def test_a_wrong_scalar_argument_is_named_as_the_interpreter_names_it():
    func = lg.parse_expr("fn (%x: float32) { %x }")
    assert "got an array of dtype float64" in same_error(func, np.float64(1))
    assert "expected an array of type float32, got NoneType" in same_error(func, None)
    assert "cannot convert 2147483648 to int32" in same_error(
        lg.parse_expr("fn (%n: int32) { %n }"), 2**31
    )


# ---- every op's implementation, compiled


def op_test_cases():
    """The (op, inputs, attributes) of the op tests in tests/ops, one per op and dtypes."""
    here = Path(__file__).parent.parent / "ops"
    sys.path.insert(0, str(here))  # for their `op_testing` helpers
    try:
        cases = {}
        for name in ("test_op_impls", "test_data_ops", "test_nn_ops"):
            spec = importlib.util.spec_from_file_location(f"_compiled_{name}", here / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            for op, inputs, attrs, _ in module.CASES:
                cases.setdefault((op, tuple(map(signature, inputs))), (op, inputs, attrs))
    finally:
        sys.path.remove(str(here))
    return list(cases.values()) + HELPER_CASES


def signature(value) -> str:
    return "tuple" if isinstance(value, tuple) else str(value.dtype)


POOL = {"pool_size": 2, "strides": 1}
HELPER_CASES = [  # the ops no case in tests/ops covers
    ("gather", [np.arange(6.0).reshape(2, 3), np.array([[2, 0]], "int32")], {"axis": 1}),
    ("nn.dropout", [np.ones((3, 4), "float32"), np.array(7, "int64")], {"rate": 0.5}),
    ("nn.max_pool2d_grad", [np.ones((1, 1, 2, 2)), np.arange(9.0).reshape(1, 1, 3, 3)], POOL),
    ("nn.max_pool2d_pick", [np.arange(9.0).reshape(1, 1, 3, 3)] * 2, POOL),
    ("nn.avg_pool2d_grad", [np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))], POOL),
]
OP_CASES = op_test_cases()


def value_type(value):
    if isinstance(value, tuple):
        return lg.TupleType([value_type(v) for v in value])
    return lg.TensorType(np.shape(value), str(value.dtype))


def test_every_op_with_an_implementation_is_covered():
    implemented = {d.op.name for d in all_op_defs() if d.impl is not None}
    library = {name for name in implemented if not name.startswith("test.")}  # not tests' own
    assert library <= {resolve_alias(op) for op, _, _ in OP_CASES}


@pytest.mark.parametrize(
    "case", OP_CASES, ids=lambda c: f"{c[0]}({','.join(map(signature, c[1]))})"
)
def test_each_op_compiled_gives_the_interpreter_result(case):
    """The op on its test inputs, and on 0-d inputs that are numpy scalars in compiled code."""
    name, inputs, attrs = case
    params = [lg.var(f"a{i}", value_type(v)) for i, v in enumerate(inputs)]
    builder = functools.reduce(getattr, name.split("."), lg.op)
    assert_same(*both(lg.Function(params, builder(*params, **attrs)), *inputs))
    if inputs and all(not isinstance(v, tuple) and np.ndim(v) == 0 for v in inputs):
        scalars = [lg.op.maximum(p, p) for p in params]  # elementwise, so a numpy scalar
        assert_same(*both(lg.Function(params, builder(*scalars, **attrs)), *inputs))


EDGES = [0.0, -0.0, 1.5, -2.25, 0.7, 1e308, -4e-310, np.inf, -np.inf, np.nan]


def float64_scalar_ops():
    """The ops of `OP_CASES` that take float64 scalars to a float64 or bool scalar."""
    names = []
    for name, inputs, attrs in OP_CASES:
        if attrs or not inputs or name in names:
            continue
        params = [lg.var(f"a{i}", "float64") for i in range(len(inputs))]
        builder = functools.reduce(getattr, name.split("."), lg.op)
        try:
            typed = lg.transform.infer_type(lg.Function(params, builder(*params)))
        except (lg.Error, TypeError):
            continue
        if typed.checked_type.ret_type in (lg.TensorType((), "float64"), lg.TensorType((), "bool")):
            names.append(name)
    return names


@pytest.mark.parametrize("name", float64_scalar_ops())
def test_float64_scalars_computed_as_python_floats_give_the_interpreter_bits(name):
    builder = functools.reduce(getattr, name.split("."), lg.op)
    arity = len(next(inputs for op, inputs, _ in OP_CASES if op == name))
    params = [lg.var(f"a{i}", "float64") for i in range(arity)]
    direct = builder(*params)  # on the arguments as they come in, 0-d arrays
    computed = builder(*(lg.op.negative(lg.op.negative(p)) for p in params))  # Python floats
    func = lg.Function(params, lg.Tuple([direct, computed]))
    debug = lg.create_executor("debug").evaluate(func)
    compiled = lg.create_executor("compiled").evaluate(func)
    for args in itertools.product(EDGES, repeat=arity):
        expected = debug(*args)
        assert_same(expected, compiled(*args))
        # the bits, signs of zero and nan included: assert_array_equal takes -0.0 for 0.0
        assert [v.tobytes() for v in compiled(*args)] == [v.tobytes() for v in expected]


def test_float64_scalar_arithmetic_is_python_float_arithmetic_and_float32_stays_numpy():
    text = "fn (%x: {t}) {{ let %y = multiply(%x, %x); add(sin(%y), divide(%y, 3{s})) }}"
    float64 = lg.to_python(lg.parse_expr(text.format(t="float64", s="f64")))
    assert "float(x) * float(x)" in float64 and "float_divide(" in float64
    float32 = lg.to_python(lg.parse_expr(text.format(t="float32", s="f")))
    assert "float(" not in float32
    x = np.float32(0.3)  # float32's rounding shows: in float64 the results differ
    debug, compiled = both(lg.parse_expr(text.format(t="float32", s="f")), x)
    assert_same(debug, compiled)
    y = np.float32(x * x)
    assert compiled == np.float32(np.sin(y)) + np.float32(y / np.float32(3))
    assert compiled != np.float32(np.sin(float(x) ** 2) + float(x) ** 2 / 3)


@pytest.mark.parametrize(
    "attrs",
    [
        "begin=[0, 1], end=[2, 3]",
        "begin=[-1], end=[-4], strides=[-1]",
        "begin=[1], end=[100], strides=[2], axes=[1]",
        "begin=[2, 0], end=[0, 4], strides=[-1, 3]",
    ],
)
def test_strided_slice_and_set_with_their_index_worked_out_once(attrs):
    text = f"""fn (%x: Tensor[(3, 4), float32], %y: Tensor[(?, ?), float32]) {{
      let %s = strided_slice(%x, {attrs});
      (%s, strided_set(%x, multiply(%s, 2f), {attrs}), strided_slice(%y, {attrs}))
    }}"""
    x = np.arange(12, dtype="float32").reshape(3, 4)
    assert_same(*both(lg.parse_expr(text), x, x + 1))
    np.testing.assert_array_equal(x, np.arange(12).reshape(3, 4))  # strided_set copies


@pytest.mark.parametrize(
    "attrs",
    [
        "indices_or_sections=3, axis=1",
        "indices_or_sections=1, axis=0",
        "indices_or_sections=[1, 5], axis=-1",
        "indices_or_sections=[-2, 2, 7], axis=1",
        "indices_or_sections=[0], axis=0",
    ],
)
def test_split_with_its_bounds_worked_out_once(attrs):
    text = f"""fn (%x: Tensor[(2, 6), float32], %y: Tensor[(?, ?), float32]) {{
      (split(%x, {attrs}), split(%y, {attrs}))
    }}"""
    x = np.arange(12, dtype="float32").reshape(2, 6)
    debug, compiled = both(lg.parse_expr(text), x, x + 1)
    assert_same(debug, compiled)
    assert [p.strides for p in compiled[0]] == [p.strides for p in debug[0]]


@pytest.mark.parametrize("target", [42, "fn (%x: float32) { %x }", None])
def test_to_python_of_something_else_is_an_lg_error(target):
    with pytest.raises(lg.Error, match="to_python needs an IRModule, a global or an expression"):
        lg.to_python(target)
