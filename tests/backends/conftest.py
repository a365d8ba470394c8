"""The op tables of tests/ops and tests/ad, importable here: the JAX rules run on their rows."""

import sys
from pathlib import Path

TESTS = Path(__file__).parent.parent
sys.path.insert(0, str(TESTS / "ops"))
sys.path.insert(0, str(TESTS / "ad"))
