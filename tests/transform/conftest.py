"""Make the shared test modules here (`program_gen`, `same_values`) importable by the tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
