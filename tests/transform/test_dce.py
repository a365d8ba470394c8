"""Dead code elimination: golden before/after programs, effects kept, values unchanged."""

import pytest
from same_values import GRADIENT_PROGRAMS, assert_same_values

import lambdagrad as lg
from lambdagrad.transform.dce import dead_code_elimination


def check(before: str, after: str):
    result = dead_code_elimination(lg.parse_expr(before))
    assert lg.analysis.alpha_equal(result, lg.parse_expr(after)), str(result)


def test_unused_pure_bindings_go_in_cascade():
    check(
        """fn (%x: float32) {
            let %a = multiply(%x, %x);
            let %b = add(%a, %x);
            let %f = fn (%y: float32) { %b };
            let %t = (%a, ref(%x));
            %x
        }""",
        "fn (%x: float32) { %x }",
    )


def test_unused_bindings_inside_functions_branches_and_clauses_go():
    check(
        """fn (%x: float32, %c: bool) {
            let %f = fn (%y: float32) { let %u = negative(%y); %y };
            if (%c) { let %v = exp(%x); %f(%x) } else { let %w = log(%x); %x }
        }""",
        """fn (%x: float32, %c: bool) {
            let %f = fn (%y: float32) { %y };
            if (%c) { %f(%x) } else { %x }
        }""",
    )


def test_an_unused_recursive_function_goes():
    # Relay's test_recursion_dead: the self-reference of %loop is not a use
    check(
        """fn (%x: int32) {
            let %loop = fn (%n: int32) -> int32 {
                if (%n == 0) { 0 } else { %loop(%n - 1) }
            };
            let %unused_too = fn (%m: int32) { %loop(%m) };
            %x
        }""",
        "fn (%x: int32) { %x }",
    )


@pytest.mark.parametrize(("result", "dead"), [("%f(2, 10000)", False), ("()", True)])
def test_relays_live_and_dead_recursion(result, dead):
    # Relay's test_live_recursion and test_dead_recursion, in its own text
    before = lg.parse(
        """#[version = "0.0.5"]
        def @main() {
            let %f = fn (%n: int, %data: int) -> int {
                if (%n == 0) { %data } else { %f(%n - 1, %data * 2) }
            };
            RESULT
        }""".replace("RESULT", result)
    )
    expected = lg.parse(f"def @main() {{ {result} }}") if dead else before
    assert lg.analysis.alpha_equal(dead_code_elimination(before), expected)


def test_a_recursive_function_that_is_called_stays():
    text = """fn (%x: int32) {
        let %loop = fn (%n: int32) -> int32 { if (%n == 0) { 0 } else { %loop(%n - 1) } };
        %loop(%x)
    }"""
    check(text, text)


def test_a_recursive_function_used_through_a_node_it_shares_with_the_body_stays():
    loop, n = lg.var("loop"), lg.var("n", "int32")
    call = lg.Call(loop, [n])  # one node: the recursive call and the let's result
    program = lg.Function([n], lg.Let(loop, lg.Function([lg.var("m", "int32")], call), call))
    assert dead_code_elimination(program) is program


def test_effects_and_unknown_calls_stay():
    text = """fn (%x: float32, %r: ref(float32), %g: fn (float32) -> float32) {
        let %_ = ref_write(%r, %x);
        let %unused = %g(%x);
        let %w = (ref_write(%r, 1f), %x);
        ref_read(%r)
    }"""
    check(text, text)


def test_writes_to_a_ref_that_is_read_later_stay_through_aliases_closures_and_tuples():
    text = """fn (%x: float32) {
        let %r = ref(0f);
        let %s = ref(0f);
        let %q = ref(0f);
        let %alias = %r;
        let %read_s = fn () { ref_read(%s) };
        let %boxed = (%q,);
        let %_ = ref_write(%r, %x);
        let %__ = ref_write(%s, %x);
        let %___ = ref_write(%q, %x);
        (ref_read(%alias), %read_s(), ref_read(%boxed.0))
    }"""
    check(text, text)


def test_writes_nobody_reads_go_and_then_the_ref():
    check(
        """fn (%x: float32) {
            let %r = ref(0f);
            let %set = fn () { ref_write(%r, %x) };
            let %_ = ref_write(%r, %x);
            let %s = ref(%x);
            let %a = ref_read(%s);
            let %__ = ref_write(%s, 2f);
            %a
        }""",
        """fn (%x: float32) {
            let %s = ref(%x);
            let %a = ref_read(%s);
            %a
        }""",
    )


def test_a_write_before_a_read_in_the_same_chain_stays():
    text = """fn (%x: float32) {
        let %s = ref(0f);
        let %_ = ref_write(%s, %x);
        let %a = ref_read(%s);
        %a
    }"""
    check(text, text)


def test_module_in_module_out_and_input_unchanged():
    mod = lg.parse("def @main(%x: float32) { let %a = exp(%x); %x }")
    before = str(mod)
    out = dead_code_elimination(mod)
    assert isinstance(out, lg.IRModule) and str(mod) == before
    assert lg.analysis.alpha_equal(out["main"], lg.parse_expr("fn (%x: float32) { %x }"))


def test_tvm_6803_gradient_ref_writes_survive():
    f = lg.parse_expr(GRADIENT_PROGRAMS["mlp"])
    grad = lg.transform.gradient(f)
    # in front, dead code DCE must find: a pure binding, a ref written but never read
    x, dead, cell = grad.params[0], lg.var("dead"), lg.var("r")
    write = lg.Let(lg.var("_"), lg.RefWrite(cell, x), grad.body)
    body = lg.Let(dead, lg.op.exp(x), lg.Let(cell, lg.RefCreate(x), write))
    padded = lg.Function(grad.params, body, grad.ret_type)
    result = dead_code_elimination(padded)
    writes = sum(isinstance(n, lg.RefWrite) for n in lg.ir.visitor.post_order(result))
    assert writes == sum(isinstance(n, lg.RefWrite) for n in lg.ir.visitor.post_order(grad))
    # the padding goes, and of the gradient only what is dead in it alone (AD pairs unused)
    assert lg.analysis.alpha_equal(result, dead_code_elimination(grad))
    assert_same_values(grad, result)


@pytest.mark.parametrize("name", sorted(GRADIENT_PROGRAMS))
def test_values_of_higher_order_gradients_unchanged(name):
    grad = lg.transform.gradient(lg.parse_expr(GRADIENT_PROGRAMS[name]))
    assert_same_values(grad, dead_code_elimination(grad))


def test_a_100000_binding_chain():
    x = lg.var("x", shape=())
    body, last = x, x
    lets = []
    for i in range(100_000):
        var = lg.var(f"v{i}")
        lets.append((var, lg.op.negative(last)))
        last = var if i % 2 else last  # every other binding is used by the next one
    for var, value in reversed(lets):
        body = lg.Let(var, value, body)
    result = dead_code_elimination(lg.Function([x], body))
    assert result.body is x
