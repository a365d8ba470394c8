"""Program transformations: type inference now; AD and the optimizer join later."""

from ..typing import infer_type

__all__ = ["infer_type"]
