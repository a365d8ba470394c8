"""The lambdagrad command: check and fmt on good and bad files."""

import subprocess
import sys
from pathlib import Path

import pytest

from lambdagrad.cli import main
from lambdagrad.text.comments import strip_comments

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.rly")), ids=lambda p: p.name)
def test_check_prints_each_global_type(example, capsys):
    assert main(["check", str(example)]) == 0
    out = capsys.readouterr().out
    assert "@main: fn (" in out


def test_check_tree_sum_example(capsys):
    assert main(["check", str(EXAMPLES / "tree_sum.rly")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("@tree_sum: fn (Tree[Tensor[(3), float32]])")
    assert len(lines) == 2  # the prelude's globals are not listed


def test_fmt_prints_text_that_parses_back(tmp_path, capsys):
    assert main(["fmt", str(EXAMPLES / "mlp.rly")]) == 0
    printed = capsys.readouterr().out
    again = tmp_path / "again.rly"
    again.write_text(printed)
    assert main(["fmt", str(again)]) == 0
    assert capsys.readouterr().out == printed


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.rly")), ids=lambda p: p.name)
def test_fmt_keeps_every_comment_of_the_examples(example, capsys):
    assert main(["fmt", str(example)]) == 0
    printed = capsys.readouterr().out
    for comment in strip_comments(example.read_text())[1]:
        assert comment.text in printed


def test_fmt_keeps_comments_in_place_and_is_stable(tmp_path, capsys):
    source = tmp_path / "commented.rly"
    source.write_text(
        "/* a /* nested */ header */\n"
        "def @main(%n: int32) -> int32 {\n"
        "  // count down\n"
        "  let %m = %n - 1; // one less\n"
        "  if (%m > 0) { @main(%m) } else { 0 }\n"
        "}\n"
    )
    assert main(["fmt", str(source)]) == 0
    printed = capsys.readouterr().out
    assert printed == (
        '#[version = "0.0.5"]\n'
        "/* a /* nested */ header */\n"
        "def @main(%n: int32) -> int32 {\n"
        "  // count down\n"
        "  let %m = subtract(%n, 1); // one less\n"
        "  if (greater(%m, 0)) {\n"
        "    @main(%m)\n"
        "  } else {\n"
        "    0\n"
        "  }\n"
        "}\n"
    )
    source.write_text(printed)
    assert main(["fmt", str(source)]) == 0
    assert capsys.readouterr().out == printed


def test_parse_error_is_located_and_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.rly"
    bad.write_text("def @main(%x: float32) {\n  add(%x, )\n}\n")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.rly: error:" in err and "line 2" in err and "^" in err
    assert "Traceback" not in err


def test_type_error_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.rly"
    bad.write_text("def @main(%x: float32, %y: Tensor[(3), float64]) { add(%x, %y) }\n")
    assert main(["check", str(bad)]) == 1
    assert "add" in capsys.readouterr().err


def test_missing_file_exits_1(capsys):
    assert main(["check", "no/such/file.rly"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_console_script_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "lambdagrad.cli", "check", str(EXAMPLES / "tree_sum.rly")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "@main:" in result.stdout


def test_grad_prints_the_gradient_program_and_checks_it(capsys):
    assert main(["grad", str(EXAMPLES / "tree_sum.rly"), "--check"]) == 0
    out = capsys.readouterr().out
    assert "def @main_gradient(" in out and "def @tree_sum_grad(" in out
    assert "gradient check passed" in out


def test_grad_first_order_mode_rejects_recursion_with_a_hint(capsys):
    assert main(["grad", str(EXAMPLES / "tree_sum.rly"), "--mode", "first_order"]) == 1
    assert 'mode="higher_order"' in capsys.readouterr().err


def test_grad_first_order_mode_on_a_straight_line_program(capsys):
    assert main(["grad", str(EXAMPLES / "mlp.rly"), "--mode", "first_order", "--check"]) == 0
    out = capsys.readouterr().out
    assert "ref(" not in out and "gradient check passed" in out


def test_run_prints_the_result(capsys):
    assert main(["run", str(EXAMPLES / "mlp.rly"), "--seed", "3"]) == 0
    assert capsys.readouterr().out.strip()


def test_run_with_an_explicit_argument(tmp_path, capsys):
    program = tmp_path / "double.rly"
    program.write_text("def @main(%x: Tensor[(2), float32]) { multiply(%x, 2f) }\n")
    assert main(["run", str(program), "--arg", "x=[1.5, 2.0]"]) == 0
    assert capsys.readouterr().out.strip() == "[3. 4.]"


def test_run_with_a_bad_argument_is_a_located_error(tmp_path, capsys):
    program = tmp_path / "double.rly"
    program.write_text("def @main(%x: Tensor[(2), float32]) { multiply(%x, 2f) }\n")
    assert main(["run", str(program), "--arg", "x=[1.5]"]) == 1
    assert "argument 0 (%x)" in capsys.readouterr().err
    assert main(["run", str(program), "--arg", "y=1"]) == 1
    assert "NAME one of ['x']" in capsys.readouterr().err


def test_grad_no_optimize_prints_the_raw_higher_order_program(capsys):
    assert main(["grad", str(EXAMPLES / "mlp.rly")]) == 0
    optimized = capsys.readouterr().out
    assert main(["grad", str(EXAMPLES / "mlp.rly"), "--no-optimize"]) == 0
    raw = capsys.readouterr().out
    assert "ref(" in raw and "ref_write" in raw
    assert "ref(" not in optimized


def test_grad_python_prints_the_compiled_gradient(capsys):
    assert main(["grad", str(EXAMPLES / "list_rnn.rly"), "--python", "--check"]) == 0
    out = capsys.readouterr().out
    assert "def main_gradient(xs, h0, wx, wh):" in out and "np.tanh(" in out
    assert "def foldl_grad(" in out  # the derived globals it calls come along
    assert out.rstrip().endswith(
        "# gradient check passed (finite differences on seeded random inputs)"
    )
    compile(out, "main_gradient.py", "exec")


@pytest.mark.parametrize("command", ["grad", "jvp"])
@pytest.mark.parametrize("program", ["docs/programs/count_down.rly", "examples/tree_sum.rly"])
def test_printed_derivatives_parse_back_with_the_adts_they_derive(
    command, program, tmp_path, capsys
):
    """The split's residual ADTs (count_down) and forward mode's dual ADTs are printed with
    the derived globals, so the text type-checks on its own (it named unknown types)."""
    assert main([command, str(EXAMPLES.parent / program)]) == 0
    printed = tmp_path / "derived.rly"
    printed.write_text(capsys.readouterr().out)
    assert main(["check", str(printed)]) == 0, capsys.readouterr().err
