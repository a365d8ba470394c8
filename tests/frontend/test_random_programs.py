"""Random small Python programs: lg.jit either computes what Python computes (and the
gradients JAX computes from the same source), or raises an lg.Error; never another exception."""

import importlib.util
import re
import tempfile
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambdagrad as lg

from .helpers import value_and_grads

jax.config.update("jax_enable_x64", True)

NAMES = ["a", "b", "c"]

atoms = st.one_of(st.sampled_from(NAMES), st.sampled_from(["0.5", "2.0", "1", "i"]))


@st.composite
def expressions(draw, depth=2):
    if depth == 0 or draw(st.booleans()):
        return draw(atoms)
    kind = draw(st.sampled_from(["binary", "tanh", "compare", "ternary"]))
    left, right = draw(expressions(depth=depth - 1)), draw(expressions(depth=depth - 1))
    if kind == "binary":
        return f"({left} {draw(st.sampled_from(['+', '-', '*']))} {right})"
    if kind == "tanh":
        return f"np.tanh({left})"
    if kind == "compare":  # numpy computes tanh of a bool in float16: multiply first
        return f"(({left} < {right}) * 1.0)"
    return f"({left} if {left} > {right} else {right})"


@st.composite
def statements(draw, depth=2):
    kinds = ["assign", "augment", "if", "for", "while", "break", "continue", "return", "def"]
    kind = draw(st.sampled_from(kinds))
    target = draw(st.sampled_from(NAMES))
    if kind == "assign" or depth == 0:
        return [f"{target} = np.tanh({draw(expressions())})"]
    if kind == "augment":
        return [f"{target} += {draw(expressions())}"]
    body = _indent(draw(blocks(depth=depth - 1)))
    if kind == "if":
        orelse = _indent(draw(blocks(depth=depth - 1)))
        return [f"if {draw(expressions())} > 0:", *body, "else:", *orelse]
    if kind == "for":
        return [f"for i in range({draw(st.integers(0, 3))}):", *body]
    if kind == "while":
        return ["k = 0", "while k < 3:", "    k += 1", *body]
    if kind == "break":
        return ["for i in range(4):", *body, "    if c > 0.5:", "        break"]
    if kind == "continue":
        return ["for i in range(4):", "    if c > 0.5:", "        continue", *body]
    if kind == "return":
        return [f"if {draw(expressions())} > 0.5:", f"    return {draw(expressions())}"]
    inner = re.sub(rf"\b{target}\b", "v", draw(expressions()))
    return ["def g(v):", f"    return np.tanh({inner})", f"{target} = g({draw(atoms)})"]


@st.composite
def blocks(draw, depth=2):
    return [line for _ in range(draw(st.integers(1, 3))) for line in draw(statements(depth))]


def _indent(lines):
    return ["    " + line for line in lines]


def load(source: str):
    """The function `f` of a module holding `source`, written to a file (lg.jit reads it)."""
    path = Path(tempfile.mkdtemp()) / "generated.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"generated_{abs(hash(source))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def program(body) -> str:
    lines = ["c = 0.25", "i = 0", *body, "return a + b + c"]
    return "import numpy as np\n\n\ndef f(a, b):\n" + textwrap.indent("\n".join(lines), "    ")


@pytest.mark.slow
@settings(max_examples=50)  # each example writes, imports and compiles a module
@given(blocks(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_programs_agree_with_python_or_raise_lg_errors(body, a, b):
    source = program(body)
    plain = load(source)
    expected = plain(a, b)
    try:
        got = lg.jit(plain)(a, b)
    except lg.Error:
        return
    assert np.isclose(float(got), float(expected), rtol=1e-9, atol=1e-12), source


@pytest.mark.slow
@settings(max_examples=50)  # each example writes, imports and compiles a module
@given(blocks(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_programs_have_jaxs_gradients(body, a, b):
    source = program(body)
    traced = load(source.replace("import numpy as np", "import jax.numpy as np"))
    try:
        expected = jax.grad(traced, argnums=(0, 1))(a, b)
    except TypeError:  # JAX differentiates float results only (not `return 1`)
        return
    try:
        _, grads = value_and_grads(lg.jit(load(source)), a, b)
    except lg.Error:
        return
    np.testing.assert_allclose(np.array(grads, float), np.array(expected), rtol=1e-7, atol=1e-9)
