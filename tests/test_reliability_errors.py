"""Issue 18, raw exceptions: every mistake is an lg.Error that says what and where."""

import pytest

import lambdagrad as lg


def type_error(text: str) -> str:
    with pytest.raises(lg.TypeInferenceError) as info:
        lg.transform.infer_type(lg.parse(text))
    return str(info.value)


@pytest.mark.parametrize(
    "callee", ["fn (%a: float32) { %a }", "fn (%a: float32) { let %b = (%a,); %b.0 }"]
)
def test_type_errors_quoting_braces_of_the_program_are_formatted(callee):
    message = type_error(f"def @main() {{ ({callee})(True) }}")
    assert message.startswith("call of fn (%a: float32) {")
    assert "argument 0 has type bool but float32 is expected" in message
    assert "at line 1, column" in message


def test_an_op_used_as_a_value_is_located_at_its_binding():
    message = type_error("def @main(%x: float32) {\n  let %f = add;\n  %f(%x, %x)\n}")
    assert "operator add can only be called" in message and "at line 2, column 3" in message
