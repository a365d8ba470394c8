"""Program transformations: type inference, AD, and the optimizer passes."""

from ..ad import gradient, jvp, linearize, vjp
from ..typing import infer_type
from .anf import from_anf, to_anf
from .cse import eliminate_common_subexpr
from .dce import dead_code_elimination
from .fold_constant import fold_constant
from .inline import inline
from .partial_eval import partial_evaluate
from .pipeline import PIPELINE, Program, optimize, optimize_program
from .simplify import simplify

__all__ = [
    "PIPELINE",
    "Program",
    "dead_code_elimination",
    "eliminate_common_subexpr",
    "fold_constant",
    "from_anf",
    "gradient",
    "infer_type",
    "inline",
    "jvp",
    "linearize",
    "optimize",
    "optimize_program",
    "partial_evaluate",
    "simplify",
    "to_anf",
    "vjp",
]
