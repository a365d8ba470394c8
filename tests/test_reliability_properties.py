"""Issue 18: whatever the caller passes, only lg.Error subclasses come out (property tests;
any other exception fails them)."""

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lambdagrad as lg
from lambdagrad.cli import main

PROGRAM = """
def @main(%x: Tensor[(2), float32], %xs: List[float32], %t: (int32, Tree[float32]),
          %r: ref(float32)) -> float32 {
  let %s = add(sum(%x), @sum_float32(%xs));
  add(%s, ref_read(%r))
}
"""
MOD = lg.parse(PROGRAM, prelude=True)
RUNS = {kind: lg.create_executor(kind, mod=MOD).evaluate() for kind in ("debug", "compiled")}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.sampled_from(["float32", "float64", "int32", "bool"]).map(lambda d: np.ones(2, d)),
    st.sampled_from([(), (3,), (2, 2)]).map(lambda s: np.zeros(s, "float32")),
)


def _constructor_values(children):
    ctors = st.sampled_from(["Cons", "Nil", "Rose", "Some", "None"]).map(MOD.get_constructor)
    return st.builds(lg.ConstructorValue, ctors, st.lists(children, max_size=3))


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        children.map(lg.RefValue),
        _constructor_values(children),
    ),
    max_leaves=12,
)


@pytest.mark.slow
@settings(max_examples=200)
@given(kind=st.sampled_from(sorted(RUNS)), args=st.lists(values, min_size=3, max_size=5))
def test_executor_arguments_give_results_or_lg_errors(kind, args):
    with contextlib.suppress(lg.Error), np.errstate(all="ignore"):
        RUNS[kind](*args)


@pytest.mark.slow
@settings(max_examples=60)
@given(literal=st.text(max_size=40), seed=st.integers(-5, 2**40))
def test_cli_arguments_give_results_or_lg_errors(tmp_path_factory, literal, seed):
    program = tmp_path_factory.mktemp("cli") / "main.rly"
    program.write_text("def @main(%xs: List[float32], %y: float32) -> float32 { %y }\n")
    try:
        status = main(["run", str(program), "--seed", str(seed), "--arg", f"xs={literal}"])
    except SystemExit as exit_:  # argparse refusing the seed
        status = exit_.code
    assert status in (0, 1, 2)


@pytest.mark.slow
@settings(max_examples=200)
@given(text=st.text(alphabet="()%{}[],;:=@ fnletiadxyz0123456789.fTrueFals\n", max_size=60))
def test_random_text_type_checks_or_gives_lg_errors(text):
    with contextlib.suppress(lg.Error):
        lg.transform.infer_type(lg.parse(f"def @main(%x: float32) {{ {text} }}", prelude=True))
