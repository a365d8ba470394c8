"""Recording a function once and running its linearization both ways.

`Linearization` runs `fun` once under a reverse-mode trace. `pull` maps output cotangents to
input gradients (a backward sweep over the recording, with the gradient rules); `push` maps
input tangents to output tangents (a forward sweep, with the forward rules). Both reuse the one
recording, so the primal computation is shared by every product (what `linear_operator` and
`jacrev` need).
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as lnp
from .core import Tracer, TransformError, zeros_like
from .forward import push_recorded
from .pytree import tree_flatten, tree_unflatten
from .reverse import ReverseTrace, ReverseTracer, backward


class Linearization:
    """`fun` recorded at `args`, differentiated with respect to ``args[i]`` for i in `argnums`.

    `out` is the result (with has_aux, the first part; `aux` the second) with the recording's
    tracers removed; `out_leaves`/`out_tree` its flattened form, `in_leaves`/`in_tree` those
    of the differentiated arguments (a tuple of them).
    """

    def __init__(self, fun, args, argnums, kwargs=None, has_aux=False, what="grad"):
        self.what = what
        self.trace = ReverseTrace()
        leaves, self.in_tree = tree_flatten(tuple(args[i] for i in argnums))
        self.inputs = [self.trace.input(differentiable(x, what)) for x in leaves]
        result = fun(*substitute(args, argnums, self.in_tree, self.inputs), **(kwargs or {}))
        out, aux = split_aux(result, has_aux, what)
        self.aux = strip(aux, self.trace)
        out_leaves, self.out_tree = tree_flatten(out)
        self.followed_out = [check_leaf(leaf, what) for leaf in out_leaves]
        self.out_leaves = [as_output(unwrap(leaf, self.trace)) for leaf in self.followed_out]
        self.out = tree_unflatten(self.out_tree, self.out_leaves)
        self.in_leaves = [x.value for x in self.inputs]

    def pull(self, cotangents: list) -> list:
        """Input gradients for output cotangents (one per output leaf)."""
        seeds = [
            (leaf, as_like(ct, leaf))
            for leaf, ct in zip(self.followed_out, cotangents, strict=True)
            if self._is_own(leaf)
        ]
        grads = backward(seeds, self.inputs)
        return [
            zeros_like(x) if g is None else as_output(g)
            for g, x in zip(grads, self.in_leaves, strict=True)
        ]

    def push(self, tangents: list) -> list:
        """Output tangents for input tangents (one per input leaf), by a forward sweep over
        the recording: the primal is not computed again."""
        tangents = [as_like(t, x) for t, x in zip(tangents, self.in_leaves, strict=True)]
        own = [self._is_own(leaf) for leaf in self.followed_out]
        recorded = [leaf for leaf, mine in zip(self.followed_out, own, strict=True) if mine]
        pushed = iter(push_recorded(recorded, self.inputs, tangents))
        return [
            as_output(_or_zeros(next(pushed), leaf)) if mine else zeros_like(leaf)
            for leaf, mine in zip(self.out_leaves, own, strict=True)
        ]

    def _is_own(self, leaf) -> bool:
        return isinstance(leaf, ReverseTracer) and leaf.trace is self.trace

    def check_cotangents(self, cotangent) -> list:
        leaves, tree = tree_flatten(cotangent)
        return check_like(leaves, tree, self.out_leaves, self.out_tree, "cotangent", "output")


def check_like(leaves, tree, like_leaves, like_tree, what: str, of: str) -> list:
    """`leaves` must have the structure and shapes of the `of` values they go with."""
    if tree != like_tree:
        raise TransformError(f"the {what} has structure {tree} but the {of} has {like_tree}")
    for k, (leaf, like) in enumerate(zip(leaves, like_leaves, strict=True)):
        if not isinstance(leaf, Tracer) and np.asarray(leaf).dtype.kind not in "biuf":
            raise TransformError(
                f"{what} leaf {k} is {leaf!r:.60}, of type {type(leaf).__name__}: {what}s are "
                "arrays and numbers"
            )
        if tuple(np.shape(leaf)) != tuple(like.shape):
            raise TransformError(
                f"{what} leaf {k} has shape {tuple(np.shape(leaf))} but the {of} leaf has "
                f"shape {tuple(like.shape)}"
            )
    return leaves


def differentiable(x, what: str):
    """An input to differentiate with respect to: a floating-point array or tracer."""
    value = x if isinstance(x, Tracer | np.ndarray | np.generic) else _as_array(x, what)
    if np.dtype(value.dtype).kind != "f":
        raise TransformError(
            f"{what} needs floating-point inputs, got {np.dtype(value.dtype).name} "
            f"(shape {tuple(value.shape)}): pass floats (1.0, not 1), cast with "
            ".astype(float), or leave that argument out of argnums"
        )
    return value


def _as_array(x, what: str):
    if isinstance(x, bool | int | float):
        return np.asarray(x, dtype=np.float64 if isinstance(x, float) else None)
    raise TransformError(
        f"{what} takes arrays, Python numbers and tuples/lists/dicts of them; got "
        f"{type(x).__name__}"
    )


def check_leaf(leaf, what: str):
    """A function's result leaf: an array, a number or a tracer."""
    if isinstance(leaf, Tracer | np.ndarray | np.generic):
        return leaf
    if isinstance(leaf, bool | int | float):
        return np.asarray(leaf)
    raise TransformError(
        f"the function given to {what} returned a {type(leaf).__name__}; it must return "
        "arrays, numbers, or tuples/lists/dicts of them"
    )


def split_aux(result, has_aux: bool, what: str):
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise TransformError(
            f"{what}(..., has_aux=True) needs the function to return a pair (output, aux), "
            f"got {_describe(result)}"
        )
    return result[0], result[1]


def _describe(result) -> str:
    """What a function returned, in the user's terms (a traced array is an array to them)."""
    if isinstance(result, tuple | list):
        return f"a {type(result).__name__} of {len(result)}"
    if hasattr(result, "shape"):
        return f"an array of shape {tuple(result.shape)}"
    return type(result).__name__


def unwrap(leaf, trace):
    return leaf.value if isinstance(leaf, ReverseTracer) and leaf.trace is trace else leaf


def strip(tree, trace):
    """`tree` with `trace`'s tracers replaced by their values."""
    if tree is None:
        return None
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [unwrap(leaf, trace) for leaf in leaves])


def substitute(args: tuple, argnums, in_tree, leaves) -> list:
    """`args` with ``args[i]`` for i in `argnums` rebuilt from `leaves` (of `in_tree`)."""
    new_args = list(args)
    for i, arg in zip(argnums, tree_unflatten(in_tree, leaves), strict=True):
        new_args[i] = arg
    return new_args


def size_of(x) -> int:
    return math.prod(x.shape)


def cut(flat, like: list) -> list:
    """A flat vector cut into pieces shaped (and typed) like the arrays `like`."""
    pieces, start = [], 0
    for x in like:
        piece = lnp.reshape(flat[start : start + size_of(x)], tuple(x.shape))
        pieces.append(lnp.astype(piece, x.dtype))
        start += size_of(x)
    return pieces


def as_output(value):
    """Results are arrays, as JAX's are: numpy's 0-d scalars become 0-d arrays."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def _or_zeros(tangent, like):
    return zeros_like(like) if tangent is None else tangent


def as_like(value, like):
    """A cotangent or tangent given as numbers becomes an array of `like`'s dtype."""
    if isinstance(value, Tracer):
        return value
    return np.asarray(value, dtype=like.dtype)
