"""The lambdagrad command's jvp: the optimized forward-mode program, checked and as Python."""

from pathlib import Path

import pytest

from lambdagrad.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.rly")), ids=lambda p: p.name)
def test_jvp_prints_the_forward_program_and_checks_it(example, capsys):
    assert main(["jvp", str(example), "--check"]) == 0
    out = capsys.readouterr().out
    assert "def @main_jvp(" in out and "jvp check passed" in out
    assert "ref(" not in out


def test_jvp_of_a_recursive_program_derives_its_globals(capsys):
    assert main(["jvp", str(EXAMPLES / "tree_sum.rly"), "--no-optimize"]) == 0
    out = capsys.readouterr().out
    assert "def @tree_sum_jvp(%t: Tree[(Tensor[(3), float32], Tensor[(3), float32])])" in out
    assert "def @foldl_jvp[A, B](" in out  # polymorphic globals stay polymorphic


def test_jvp_as_python(capsys):
    assert main(["jvp", str(EXAMPLES / "mlp.rly"), "--python"]) == 0
    out = capsys.readouterr().out
    assert "def main_jvp(" in out
    compile(out, "main_jvp.py", "exec")


def test_wrt_names_the_parameters(capsys):
    assert main(["jvp", str(EXAMPLES / "mlp.rly"), "--wrt", "w1", "--check"]) == 0
    out = capsys.readouterr().out
    assert "%w1_dot" in out and "%x_dot" not in out and "jvp check passed" in out
    assert main(["grad", str(EXAMPLES / "mlp.rly"), "--wrt", "w1,b1"]) == 0
    out = capsys.readouterr().out
    assert "(Tensor[(32, 16), float32], Tensor[(32), float32])" in out  # dw1, db1 only


def test_wrt_with_an_unknown_name_is_an_error(capsys):
    assert main(["grad", str(EXAMPLES / "mlp.rly"), "--wrt", "nope"]) == 1
    assert "--wrt 'nope': expected parameter names of @main" in capsys.readouterr().err
