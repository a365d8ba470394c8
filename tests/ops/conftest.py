"""Make the shared op-test helpers (`op_testing`) importable by the tests beside them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
