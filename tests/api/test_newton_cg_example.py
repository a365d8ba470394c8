"""examples/newton_cg.py runs and finds Rosenbrock's minimum."""

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "newton_cg.py"


def test_newton_cg_finds_the_minimum():
    result = runpy.run_path(str(EXAMPLE))["solve"](np.full(10, -1.2))
    assert result.success
    np.testing.assert_allclose(result.x, np.ones(10), atol=1e-3)


def test_the_script_runs():
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Optimization terminated successfully" in done.stdout
