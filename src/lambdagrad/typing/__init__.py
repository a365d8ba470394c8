"""Type inference: unification over the whole language, with op type relations.

>>> import lambdagrad as lg
>>> x = lg.var("x", shape=(3,))
>>> str(infer_type(x + x).checked_type.shape)
'(3,)'
"""

from .driver import infer_type
from .unify import Mismatch, Unifier

__all__ = ["infer_type", "Mismatch", "Unifier"]
