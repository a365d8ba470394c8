"""Forward mode with the ops' registered forward rules (``jvp_of``): dual numbers that carry a
tangent beside each value (`JVPTrace`), and a forward sweep over a reverse-mode recording
(`push_recorded`), which reuses the recording's primal values.
"""

from __future__ import annotations

from ..deep import without_gc
from .core import Trace, Tracer, apply, aval, zeros_like
from .reverse import concrete, reverse_topological


class JVPTracer(Tracer):
    """A value of one forward-mode trace: the primal and its tangent."""

    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self.trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def shape(self):
        return self.primal.shape

    @property
    def dtype(self):
        return self.primal.dtype

    def concrete(self):
        return concrete(self.primal)


class JVPTrace(Trace):
    """Pushes tangents through every op applied to its tracers."""

    __slots__ = ()

    def process(self, prim, args):
        primals, tangents = [], []
        for arg in args:
            primal, tangent = self._unwrap(arg)
            primals.append(primal)
            tangents.append(tangent)
        out = apply(prim, tuple(primals))
        if not prim.differentiable:
            return out
        tangent = tangent_of(prim, tuple(primals), out, tangents)
        if type(out) is tuple:
            return tuple(self._wrap(p, t) for p, t in zip(out, tangent, strict=True))
        return self._wrap(out, tangent)

    def _wrap(self, primal, tangent):
        if primal.dtype.kind != "f":
            return primal
        return JVPTracer(self, primal, tangent)

    def _unwrap(self, arg):
        if isinstance(arg, JVPTracer) and arg.trace is self:
            return arg.primal, arg.tangent
        if type(arg) is tuple:
            fields = [self._unwrap(a) for a in arg]
            return tuple(p for p, _ in fields), tuple_tangent(fields)
        return arg, None


def tuple_tangent(fields):
    """The tangent of a tuple argument from its fields' (primal, tangent) pairs: None when all
    are zero, else zeros filled in for the zero fields."""
    if all(t is None for _, t in fields):
        return None
    return tuple(zeros_like(p) if t is None else t for p, t in fields)


def tangent_of(prim, primals: tuple, out, tangents: list):
    """The result's tangent by the op's forward rule (zeros if every tangent is zero)."""
    nonzero = tuple(t is not None for t in tangents)
    if not any(nonzero):
        return zeros_like(out)
    rule = prim.jvp_rule(aval(primals), nonzero)
    return rule(*primals, out, *(t for t in tangents if t is not None))


def push_recorded(outputs, leaves, tangents) -> list:
    """Tangents of the recorded `outputs` (reverse tracers) given `tangents` at `leaves`,
    by one forward sweep over the recording (each op's forward rule at its recorded values;
    the garbage collector paused, as in the backward sweep)."""
    return without_gc(_push_recorded, outputs, leaves, tangents)


def _push_recorded(outputs, leaves, tangents) -> list:
    known = {(leaf.node, None): t for leaf, t in zip(leaves, tangents, strict=True)}
    roots = [out.node for out in outputs]
    for node in reversed(reverse_topological(roots)):
        if node.prim is not None:
            _push_node(node, known)
    return [known.get((out.node, out.field)) for out in outputs]


def _push_node(node, known: dict) -> None:
    by_arg: dict = {}
    for i, j, parent, field in node.parents:
        tangent = known.get((parent, field))
        if tangent is not None:
            by_arg.setdefault(i, {})[j] = tangent
    if not by_arg:
        return
    tangents = [_arg_tangent(node.args[i], by_arg.get(i)) for i in range(len(node.args))]
    tangent = tangent_of(node.prim, node.args, node.out, tangents)
    if type(node.out) is tuple:
        for k, t in enumerate(tangent):
            known[(node, k)] = t
    else:
        known[(node, None)] = tangent


def _arg_tangent(arg, given: dict | None):
    if given is None:
        return None
    if None in given:
        return given[None]
    return tuple(given[j] if j in given else zeros_like(field) for j, field in enumerate(arg))
