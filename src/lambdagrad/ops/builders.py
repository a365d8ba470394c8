"""``lg.op``: Python builders for every registered operator.

``lg.op.add(x, y)``, ``lg.op.sum(x, axis=1, keepdims=True)``, ``lg.op.nn.dense(x, w)``: each
builder validates its argument count and attributes through the registry.
"""

from __future__ import annotations

from ..ir.op import Op
from .registry import make_call, resolve_alias


class OpNamespace:
    """Builders for the ops whose names start with `prefix` (``""`` or ``"nn."``).

    >>> import lambdagrad as lg
    >>> str(lg.op.nn.relu(lg.var("x")))
    'nn.relu(%x)'
    """

    def __init__(self, prefix: str = ""):
        self._prefix = prefix

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        full = self._prefix + name
        if Op.exists(resolve_alias(full)):
            return _builder(full)
        if any(op.name.startswith(full + ".") for op in Op.all_ops()):
            return OpNamespace(full + ".")
        raise AttributeError(f"lg.op has no operator {full!r}")

    def __dir__(self):
        ours = [op.name for op in Op.all_ops() if op.name.startswith(self._prefix)]
        return sorted({name[len(self._prefix) :].split(".")[0] for name in ours})


def _builder(name: str):
    def build(*args, span=None, **attrs):
        return make_call(name, args, attrs, span=span)

    build.__name__ = name.replace(".", "_")
    build.__doc__ = f"Build a call of the ``{name}`` operator."
    return build
