"""Reverse mode by recording (HIPS autograd's tape): each op on a followed value adds a node.

The backward pass walks the nodes in reverse topological order (a loop, no recursion, so a
100,000-step Python loop differentiates) and runs each op's registered gradient through
`apply`, so an outer transformation records the backward pass itself.
"""

from __future__ import annotations

from ..deep import without_gc
from .core import Trace, Tracer, apply, avals, prim, zeros_like

_ADD = prim("add")


class Node:
    """One recorded op: its primitive, unwrapped arguments and result, and the followed
    arguments it came from (`parents`: argument index, field index in a tuple argument or
    None, the parent node and the parent's field in a tuple result or None)."""

    __slots__ = ("prim", "args", "out", "parents", "wanted")

    def __init__(self, prim, args, out, parents, wanted):
        self.prim = prim
        self.args = args
        self.out = out
        self.parents = parents
        self.wanted = wanted


class ReverseTracer(Tracer):
    """A value followed by one reverse-mode trace: the value and the node that made it."""

    __slots__ = ("value", "node", "field")

    def __init__(self, trace, value, node, field=None):
        self.trace = trace
        self.value = value
        self.node = node
        self.field = field

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def concrete(self):
        return concrete(self.value)


def concrete(value):
    """The array under any number of tracers."""
    while isinstance(value, Tracer):
        value = value.concrete()
    return value


class ReverseTrace(Trace):
    """Records the ops applied to its tracers."""

    __slots__ = ()

    def input(self, value) -> ReverseTracer:
        """A new independent variable (a leaf of the graph)."""
        return ReverseTracer(self, value, Node(None, (), value, (), ()))

    def process(self, prim, args):
        vals, parents, wanted, nested = self._unwrap(args)
        # with no outer tracer left, skip apply's search for one
        out = apply(prim, vals) if nested else prim.run(vals)
        if not parents or not prim.differentiable:
            return out
        node = Node(prim, vals, out, parents, wanted)
        if type(out) is tuple:
            return tuple(self._wrap(value, node, i) for i, value in enumerate(out))
        return self._wrap(out, node, None)

    def _wrap(self, value, node, field):
        if value.dtype.kind != "f":  # integers and bools carry no derivative
            return value
        return ReverseTracer(self, value, node, field)

    def _unwrap(self, args):
        """The values under this trace's tracers; the parents they came from; which
        arguments have one; whether tracers of other traces (or tuples) remain."""
        vals, parents, wanted, nested = [], [], [], False
        for i, arg in enumerate(args):
            if type(arg) is ReverseTracer and arg.trace is self:
                parents.append((i, None, arg.node, arg.field))
                value = arg.value
                wanted.append(True)
            elif type(arg) is tuple:
                value = tuple(self._own(a, i, j, parents) for j, a in enumerate(arg))
                wanted.append(bool(parents) and parents[-1][0] == i)
            else:
                value = arg
                wanted.append(False)
            vals.append(value)
            nested = nested or type(value) is tuple or isinstance(value, Tracer)
        return tuple(vals), tuple(parents), tuple(wanted), nested

    def _own(self, arg, i, j, parents):
        if isinstance(arg, ReverseTracer) and arg.trace is self:
            parents.append((i, j, arg.node, arg.field))
            return arg.value
        return arg


def backward(seeds, leaves) -> list:
    """Gradients of the seeded outputs at each leaf tracer (None where none reaches it).

    `seeds` pairs output tracers with their cotangents. The cyclic garbage collector is
    paused meanwhile: the sweep allocates much and frees little until it ends, and with
    large libraries loaded each full collection costs milliseconds.
    """
    return without_gc(_backward, seeds, leaves)


def _backward(seeds, leaves) -> list:
    grads: dict = {}
    for tracer, cotangent in seeds:
        _accumulate(grads, (tracer.node, tracer.field), cotangent)
    for node in reverse_topological([t.node for t, _ in seeds]):
        if node.prim is not None:
            _propagate(node, grads)
    return [grads.get((leaf.node, None)) for leaf in leaves]


def _propagate(node: Node, grads: dict) -> None:
    if type(node.out) is tuple:
        fields = [grads.pop((node, i), None) for i in range(len(node.out))]
        if all(g is None for g in fields):
            return
        g = tuple(zeros_like(o) if f is None else f for f, o in zip(fields, node.out, strict=True))
    else:
        g = grads.pop((node, None), None)
        if g is None:
            return
    rule = node.prim.vjp_rule(avals(node.args), node.wanted)
    arg_grads = rule(*node.args, node.out, g)
    for i, j, parent, field in node.parents:
        grad = arg_grads[i] if j is None else arg_grads[i][j]
        _accumulate(grads, (parent, field), grad)


def _accumulate(grads: dict, key, grad) -> None:
    earlier = grads.get(key)
    grads[key] = grad if earlier is None else apply(_ADD, (earlier, grad))


def reverse_topological(roots: list[Node]) -> list[Node]:
    """Nodes reachable from `roots`, each after every node that uses it (Kahn's algorithm)."""
    users: dict[Node, int] = {}
    roots = list(dict.fromkeys(roots))  # an output given twice counts its uses once
    stack, seen = list(roots), set(roots)
    while stack:
        for _, _, parent, _ in stack.pop().parents:
            users[parent] = users.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    ready = [node for node in roots if node not in users]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for _, _, parent, _ in node.parents:
            users[parent] -= 1
            if users[parent] == 0:
                ready.append(parent)
    return order
