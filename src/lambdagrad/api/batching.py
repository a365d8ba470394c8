"""vmap's trace: batched values carry the batch along axis 0, and each op family has a rule
that runs the op once on the whole batch (JAX's batching rules).

A rule gets the primitive, the unwrapped arguments, which of them are batched and the batch
size, and returns the result batched along axis 0 (or `Unbatched` when the result does not
depend on the batch). `RULES` is keyed by Op object. An op without a rule (or a jitted
program) runs once per batch element and the results are stacked: correct, but a Python
loop, so every common op has a rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir.op import Op
from ..ops.registry import all_op_defs, op_def
from .core import Trace, Tracer, TransformError, apply, prim
from .reverse import concrete

# rule(primitive, unwrapped arguments, which are batched, batch size) -> batched result
Rule = Callable[..., object]

REDUCTIONS = {"sum", "mean", "prod", "max", "min", "logsumexp", "variance", "argmax", "argmin"}


class Unbatched:
    """A rule's result that is the same for every batch element."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class BatchTracer(Tracer):
    """A batched value of one vmap: `value` holds every element along axis 0."""

    __slots__ = ("value",)

    def __init__(self, trace, value):
        self.trace = trace
        self.value = value

    @property
    def shape(self):
        return self.value.shape[1:]

    @property
    def dtype(self):
        return self.value.dtype

    def concrete(self):
        raise TransformError(
            "a batched value inside vmap has no single value: Python control flow (if, "
            "while, bool, float) cannot depend on it; use lnp.where, or run the function "
            f"per element (the batched value has shape {tuple(self.value.shape)})"
        )

    def batch_values(self):
        """The whole batch as an array (for printing)."""
        return concrete(self.value)

    def __repr__(self) -> str:
        return f"Batched({np.asarray(self.batch_values())!r})"

    __str__ = __repr__


class BatchTrace(Trace):
    """One vmap call over a batch of `size` elements."""

    __slots__ = ("size",)

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def process(self, prim, args):
        vals, batched = [], []
        for arg in args:
            value, is_batched = self._unwrap(arg)
            vals.append(value)
            batched.append(is_batched)
        if not any(batched):
            return apply(prim, tuple(vals))
        rule = RULES.get(prim.op, per_element)
        out = rule(prim, tuple(vals), tuple(batched), self.size)
        if type(out) is Unbatched:
            return out.value
        if type(out) is tuple:
            return tuple(BatchTracer(self, v) for v in out)
        return BatchTracer(self, out)

    def _unwrap(self, arg):
        if isinstance(arg, BatchTracer) and arg.trace is self:
            return arg.value, True
        if type(arg) is tuple:
            fields = [self._unwrap(a) for a in arg]
            if any(b for _, b in fields):
                return tuple(v if b else broadcast_batch(v, self.size) for v, b in fields), True
            return tuple(v for v, _ in fields), False
        return arg, False


def ndim(value) -> int:
    return len(value.shape)


def broadcast_batch(value, size: int):
    """`value` repeated `size` times along a new axis 0."""
    return apply(prim("broadcast_to", shape=(size, *value.shape)), (value,))


def reshape(value, shape):
    return apply(prim("reshape", newshape=tuple(shape)), (value,))


def norm_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def elementwise(p, vals, batched, size):
    """Batched arguments get size-1 axes after the batch axis so that every argument's own
    axes line up at the right, as broadcasting aligns them."""
    rank = max(ndim(v) - b for v, b in zip(vals, batched, strict=True))
    aligned = [
        reshape(v, (size,) + (1,) * (rank - ndim(v) + 1) + tuple(v.shape[1:]))
        if b and ndim(v) - 1 < rank
        else v
        for v, b in zip(vals, batched, strict=True)
    ]
    return apply(p, tuple(aligned))


def reduction(p, vals, batched, size):
    (x,) = vals
    rank = ndim(x) - 1
    axes = range(rank) if p.attrs.axis is None else [norm_axis(a, rank) for a in p.attrs.axis]
    if p.attrs.exclude:
        axes = [a for a in range(rank) if a not in set(axes)]
    attrs = dict(p.attrs, axis=tuple(a + 1 for a in axes), exclude=False)
    return apply(prim(p.name, **attrs), vals)


def shifted(attr: str, extra: int = 0):
    """Rule for ops with one int axis attribute counted against the argument's rank."""

    def rule(p, vals, batched, size):
        axis = getattr(p.attrs, attr)
        if axis is None:  # the op flattens its argument first
            return per_element(p, vals, batched, size)
        rank = ndim(vals[0]) - 1 + extra
        attrs = dict(p.attrs, **{attr: norm_axis(axis, rank) + 1})
        return apply(prim(p.name, **attrs), vals)

    return rule


def reshape_rule(p, vals, batched, size):
    return reshape(vals[0], (size, *p.attrs.newshape))


def reshape_like_rule(p, vals, batched, size):
    x, like = vals
    target = like.shape[1:] if batched[1] else like.shape
    if not batched[0]:
        x = broadcast_batch(x, size)
    return reshape(x, (size, *target))


def transpose_rule(p, vals, batched, size):
    rank = ndim(vals[0]) - 1
    axes = reversed(range(rank)) if p.attrs.axes is None else p.attrs.axes
    new = (0, *(norm_axis(a, rank) + 1 for a in axes))
    return apply(prim("transpose", axes=new), vals)


def expand_dims_rule(p, vals, batched, size):
    rank = ndim(vals[0]) - 1
    axis = p.attrs.axis + rank + 1 if p.attrs.axis < 0 else p.attrs.axis
    attrs = dict(p.attrs, axis=axis + 1)
    return apply(prim("expand_dims", **attrs), vals)


def squeeze_rule(p, vals, batched, size):
    own = vals[0].shape[1:]
    rank = len(own)
    if p.attrs.axis is None:
        axes = [i for i, d in enumerate(own) if d == 1]
    else:
        axes = [norm_axis(a, rank) for a in p.attrs.axis]
    return apply(prim("squeeze", axis=tuple(a + 1 for a in axes)), vals)


def broadcast_to_shape(x, shape, size):
    """Batched `x` broadcast to ``(size, *shape)``."""
    x = reshape(x, (size,) + (1,) * (len(shape) - ndim(x) + 1) + tuple(x.shape[1:]))
    return apply(prim("broadcast_to", shape=(size, *shape)), (x,))


def broadcast_to_rule(p, vals, batched, size):
    return broadcast_to_shape(vals[0], tuple(p.attrs.shape), size)


def broadcast_to_like_rule(p, vals, batched, size):
    x, like = vals
    target = tuple(like.shape[1:] if batched[1] else like.shape)
    if not batched[0]:
        return apply(prim("broadcast_to", shape=(size, *target)), (x,))
    return broadcast_to_shape(x, target, size)


def collapse_to(x, shape, size):
    """Batched `x` summed down to ``(size, *shape)`` (undoing broadcasting per element)."""
    extra = ndim(x) - 1 - len(shape)
    target = (size,) + (1,) * extra + tuple(shape)
    return reshape(apply(prim("collapse_sum_to", shape=target), (x,)), (size, *shape))


def collapse_sum_like_rule(p, vals, batched, size):
    x, like = vals
    target = tuple(like.shape[1:] if batched[1] else like.shape)
    if not batched[0]:
        return Unbatched(apply(prim("collapse_sum_to", shape=target), (x,)))
    return collapse_to(x, target, size)


def collapse_sum_to_rule(p, vals, batched, size):
    return collapse_to(vals[0], tuple(p.attrs.shape), size)


def dense_rule(p, vals, batched, size):
    x, w = vals
    if not batched[1]:
        return apply(p, vals)
    if not batched[0]:
        x = broadcast_batch(x, size)
    lead = tuple(x.shape[1:-1])
    x3 = reshape(x, (size, -1, x.shape[-1]))
    out = apply(prim("nn.batch_matmul", transpose_b=True), (x3, w))
    return reshape(out, (size, *lead, w.shape[1]))


def matmul_rule(p, vals, batched, size):
    a, b = (v if bat else reshape(v, (1, *v.shape)) for v, bat in zip(vals, batched, strict=True))
    attrs = {"transpose_a": p.attrs.transpose_a, "transpose_b": p.attrs.transpose_b}
    return apply(prim("nn.batch_matmul", **attrs), (a, b))


def batch_matmul_rule(p, vals, batched, size):
    """Both arguments broadcast to one batch of batches, folded into batch_matmul's batch."""
    inner = max(v.shape[int(b)] for v, b in zip(vals, batched, strict=True))
    folded = []
    for v in vals:
        matrix = tuple(v.shape[-2:])
        if tuple(v.shape) != (size, inner, *matrix):
            v = apply(prim("broadcast_to", shape=(size, inner, *matrix)), (v,))
        folded.append(reshape(v, (size * inner, *matrix)))
    out = apply(p, tuple(folded))
    return reshape(out, (size, inner, *out.shape[-2:]))


def strided_slice_rule(p, vals, batched, size):
    rank = ndim(vals[0]) - 1
    axes = range(len(p.attrs.begin)) if p.attrs.axes is None else p.attrs.axes
    attrs = dict(p.attrs, axes=tuple(norm_axis(a, rank) + 1 for a in axes))
    return apply(prim(p.name, **attrs), vals)


def strided_set_rule(p, vals, batched, size):
    data, v = vals
    if not batched[0]:
        data = broadcast_batch(data, size)
    if batched[1]:
        v = reshape(v, (size,) + (1,) * (ndim(data) - ndim(v)) + tuple(v.shape[1:]))
    return strided_slice_rule(p, (data, v), (True, True), size)


def take_rule(p, vals, batched, size):
    if batched[1] or p.attrs.axis is None or p.attrs.batch_dims:
        return per_element(p, vals, batched, size)
    attrs = dict(p.attrs, axis=norm_axis(p.attrs.axis, ndim(vals[0]) - 1) + 1)
    return apply(prim("take", **attrs), vals)


def joining(extra: int):
    """concatenate (`extra` 0) and stack (`extra` 1) on a tuple whose fields are batched."""

    def rule(p, vals, batched, size):
        rank = ndim(vals[0][0]) - 1 + extra
        return apply(prim(p.name, axis=norm_axis(p.attrs.axis, rank) + 1), vals)

    return rule


def tile_rule(p, vals, batched, size):
    """Reps padded to the argument's rank (numpy pads them on the left), 1 for the batch."""
    rank = ndim(vals[0]) - 1
    reps = (1,) * (rank - len(p.attrs.reps)) + tuple(p.attrs.reps)
    return apply(prim("tile", reps=(1, *reps)), vals)


def pad_rule(p, vals, batched, size):
    """No padding along the batch axis."""
    attrs = dict(p.attrs, pad_width=((0, 0), *p.attrs.pad_width))
    return apply(prim(p.name, **attrs), vals)


def bias_add_rule(p, vals, batched, size):
    if batched[1]:
        return per_element(p, vals, batched, size)
    return shifted("axis")(p, vals, batched, size)


def cast_like_rule(p, vals, batched, size):
    """The result has the shape of the value cast, batched or not (every element of a
    batched `like` has its dtype)."""
    out = apply(p, vals)
    return out if batched[0] else Unbatched(out)


def per_element(p, vals, batched, size):
    """Run the op on each batch element and stack the results (the slow, general way)."""
    results = [
        apply(p, tuple(_element(v, b, i) for v, b in zip(vals, batched, strict=True)))
        for i in range(size)
    ]
    if type(results[0]) is tuple:
        return tuple(_stack(list(fields)) for fields in zip(*results, strict=True))
    return _stack(results)


_TAKE = prim("take", axis=0, mode="fast")


def _element(value, is_batched, i):
    if not is_batched:
        return value
    if type(value) is tuple:
        return tuple(_element(v, True, i) for v in value)
    return apply(_TAKE, (value, np.array(i)))


def _stack(values):
    return apply(prim("stack", axis=0), (tuple(values),))


def _elementwise_ops() -> list[str]:
    """The ops typed by the elementwise and broadcasting type relations (each call of
    `elementwise_type` or `broadcast_type` makes a relation of the same code)."""
    from ..ops.elementwise import broadcast_type, cast_type, elementwise_type

    relations = {elementwise_type().__code__, broadcast_type().__code__, cast_type.__code__}
    return [
        definition.op.name
        for definition in all_op_defs()
        if getattr(definition.type_rel, "__code__", None) in relations
    ]


_BY_NAME = {
    **dict.fromkeys([*_elementwise_ops(), "where"], elementwise),
    **dict.fromkeys(REDUCTIONS, reduction),
    "nn.softmax": shifted("axis"),
    "nn.log_softmax": shifted("axis"),
    "cumsum": shifted("axis"),
    "split": shifted("axis"),
    "reverse": shifted("axis"),
    "repeat": shifted("axis"),
    "tile": tile_rule,
    "nn.pad": pad_rule,
    "nn.bias_add": bias_add_rule,
    "reshape": reshape_rule,
    "reshape_like": reshape_like_rule,
    "transpose": transpose_rule,
    "expand_dims": expand_dims_rule,
    "squeeze": squeeze_rule,
    "broadcast_to": broadcast_to_rule,
    "broadcast_to_like": broadcast_to_like_rule,
    "collapse_sum_like": collapse_sum_like_rule,
    "collapse_sum_to": collapse_sum_to_rule,
    "nn.dense": dense_rule,
    "nn.matmul": matmul_rule,
    "nn.batch_matmul": batch_matmul_rule,
    "strided_slice": strided_slice_rule,
    "strided_set": strided_set_rule,
    "take": take_rule,
    "concatenate": joining(0),
    "stack": joining(1),
    "cast_like": cast_like_rule,
}
RULES: dict[Op, Rule] = {op_def(name).op: rule for name, rule in _BY_NAME.items()}
