"""Type inference on programs written in the text format."""

import pytest

import lambdagrad as lg
from lambdagrad.typing import infer_type

LIST = "type List[A] { Cons(A, List[A]), Nil }\n"


def typed(text: str) -> lg.IRModule:
    return infer_type(lg.parse(text))


def type_of(text: str, name: str = "main") -> str:
    return str(typed(text)[name].checked_type)


def test_polymorphic_prelude_style_module():
    mod = typed(
        LIST
        + """
        def @id[A](%x: A) -> A { %x }
        def @len[A](%l: List[A]) -> int32 {
          match (%l) { Cons(_, %t) => add(1, @len(%t)), Nil => 0 }
        }
        def @main(%x: Tensor[(3), float32], %c: bool) {
          let %y = if (%c) { @id(%x) } else { %x };
          (%y, @id(%c), @len(Cons(%x, Nil)))
        }
        """
    )
    assert str(mod["main"].checked_type.ret_type) == str(
        lg.TupleType((lg.TensorType((3,)), lg.TensorType((), "bool"), lg.TensorType((), "int32")))
    )


def test_mutual_recursion_in_text():
    text = """
        def @even(%n: int32) -> bool { if (equal(%n, 0)) { True } else { @odd(subtract(%n, 1)) } }
        def @odd(%n: int32) -> bool { if (equal(%n, 0)) { False } else { @even(subtract(%n, 1)) } }
        """
    assert type_of(text, "odd") == "fn (int32) -> bool"


def test_closures_and_refs_in_text():
    text = """
        def @main(%x: float32) {
          let %r = ref(%x);
          let %bump = fn () { ref_write(%r, add(ref_read(%r), 1f)) };
          let %u = %bump();
          ref_read(%r)
        }
        """
    assert type_of(text) == "fn (float32) -> float32"


def test_graph_bindings_and_ops_in_text():
    text = """
        def @main(%x: Tensor[(4, 3), float32], %w: Tensor[(2, 3), float32]) {
          %0 = nn.dense(%x, %w);
          %1 = sum(%0, axis=[1], keepdims=True);
          (%1, nn.softmax(%0))
        }
        """
    assert type_of(text) == str(
        lg.FuncType(
            (lg.TensorType((4, 3)), lg.TensorType((2, 3))),
            lg.TupleType((lg.TensorType((4, 1)), lg.TensorType((4, 2)))),
        )
    )


def test_text_errors_are_located():
    text = "def @main(%c: bool, %x: Tensor[(3), float32]) {\n  if (%c) { %x } else { 1f }\n}"
    with pytest.raises(lg.TypeInferenceError) as info:
        typed(text)
    message = str(info.value)
    assert "type mismatch in if: the true branch has type Tensor[(3), float32]" in message
    assert "but the false branch has type float32" in message
    assert "at line 2, column 3" in message and "in: if (%c)" in message


def test_op_error_in_text_shows_node():
    text = "def @main(%x: Tensor[(3, 4), float32], %y: Tensor[(5), float32]) { add(%x, %y) }"
    with pytest.raises(lg.TypeInferenceError) as info:
        typed(text)
    message = str(info.value)
    assert (
        "add: cannot broadcast argument 0 of shape (3, 4) with argument 1 of shape (5,)" in message
    )
    assert "in: add(%x, %y)" in message


def test_typed_module_prints_and_reparses():
    text = LIST + "def @f[A](%x: A) -> List[A] { Cons(%x, Nil) }"
    mod = typed(text)
    assert lg.analysis.alpha_equal(lg.parse(mod.astext()), lg.parse(text))


def test_parse_expr_with_unannotated_let():
    expr = lg.parse_expr("let %a = 1f; let %b = (%a, %a); %b.1")
    assert str(infer_type(expr).checked_type) == "float32"


def test_prelude_type_checks_and_is_polymorphic():
    text = """
        def @main(%xs: List[Tensor[(2), float32]], %ns: List[int32]) {
          let %sums = @map(fn (%v: Tensor[(2), float32]) { sum(%v) }, %xs);
          (@foldl(fn (%a: float32, %b: float32) { add(%a, %b) }, 0f, %sums), @length(%ns))
        }
        """
    mod = infer_type(lg.parse(text, prelude=True))
    assert str(mod["main"].checked_type.ret_type) == "(float32, int32)"
    assert str(mod["map"].checked_type) == "fn [A, B](fn (A) -> B, List[A]) -> List[B]"
