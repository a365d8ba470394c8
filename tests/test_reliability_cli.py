"""Issue 18: the command line under bad arguments, closed pipes and Ctrl-C."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lambdagrad.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"
SUM = "def @main(%xs: List[float32]) -> float32 { @sum_float32(%xs) }\n"
COMMAND = [sys.executable, "-m", "lambdagrad.cli"]


@pytest.fixture
def sum_file(tmp_path):
    program = tmp_path / "sum.rly"
    program.write_text(SUM)
    return str(program)


def test_a_negative_seed_is_refused_by_the_argument_parser(sum_file, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", sum_file, "--seed", "-1"])
    assert info.value.code == 2 and "-1 is negative" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("lambdagrad ")


def test_an_argument_in_the_text_format(sum_file, capsys):
    assert main(["run", sum_file, "--arg", "xs=Cons(1f, Cons(2.5f, Nil))"]) == 0
    assert capsys.readouterr().out.strip() == "3.5"


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        ("{[]: 1}", "neither a Python literal nor a value in the text format"),
        ("-" * 50_000 + "1", "longer than 10,000 characters"),
        ("-" * 9_000 + "1", "expected a List value"),
        ("Cons(1, Nil)", "Cons field 0: expected float32"),
    ],
)
def test_bad_argument_literals_are_errors(sum_file, capsys, literal, shown):
    assert main(["run", sum_file, "--arg", f"xs={literal}"]) == 1
    assert shown in capsys.readouterr().err


BUILD = """
def @build(%n: int32) -> List[float32] {
  if (equal(%n, 0)) { Nil } else { Cons(1f, @build(subtract(%n, 1))) }
}
def @main() -> List[float32] { @build(20000) }
"""


def test_a_long_list_result_prints_and_a_closed_pipe_ends_quietly(tmp_path):
    program = tmp_path / "build.rly"
    program.write_text(BUILD)
    process = subprocess.Popen(
        [*COMMAND, "run", str(program)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout.read(10) == b"Cons(1., C"
    process.stdout.close()  # as `| head -c 10` does, long before the 180 kB are written
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


def test_ctrl_c_stops_an_endless_loop_with_status_130(tmp_path):
    program = tmp_path / "loop.rly"
    program.write_text(
        "def @loop(%n: int32) -> int32 { @loop(add(%n, 1)) }\n"
        "def @main(%n: int32) -> int32 { @loop(%n) }\n"
    )
    # A Ctrl-C during start-up (imports) is Python's, not ours: wait out this machine's
    # start-up time (it varies with load) before counting on being inside the loop.
    start = time.perf_counter()
    subprocess.run([*COMMAND, "--version"], check=True, capture_output=True)
    startup = time.perf_counter() - start
    process = subprocess.Popen(
        [*COMMAND, "run", str(program), "--arg", "n=0"], stderr=subprocess.PIPE, text=True
    )
    time.sleep(2 + 3 * startup)  # well inside the loop
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 130 and err.strip().endswith("interrupted")
