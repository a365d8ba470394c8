"""JAX rules of the creation, reduction, shape and indexing ops.

Shapes, axes and slices are worked out by the same helpers the numpy implementations use
(they read only ``.shape`` and ``.ndim``), so both backends agree on every attribute.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ...ops import creation, indexing
from ...ops.reduce import reduced_axes
from ...ops.shape import resolve_newshape
from .lowering import NotJittable
from .table import rule


def constant(value, dtype) -> np.ndarray:
    """A Python number cast to `dtype` as the numpy implementations cast it."""
    return np.asarray(value).astype(dtype)


# ---- creation


@rule("zeros")
def zeros(attrs):
    return jnp.zeros(attrs.shape, attrs.dtype)


@rule("ones")
def ones(attrs):
    return jnp.ones(attrs.shape, attrs.dtype)


@rule("full")
def full(attrs, fill):
    return jnp.broadcast_to(fill.astype(attrs.dtype or fill.dtype), attrs.shape)


@rule("dyn.zeros")
def dynamic_zeros(attrs, shape):
    return jnp.zeros(known_ints(shape, "dyn.zeros", "shape"), attrs.dtype)


@rule("dyn.ones")
def dynamic_ones(attrs, shape):
    return jnp.ones(known_ints(shape, "dyn.ones", "shape"), attrs.dtype)


UNKNOWN_WHILE_TRACING = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError)


def known_values(values: tuple, op: str, what: str) -> tuple:
    """The values of arguments that decide a result's shape: they must be known while
    tracing (else the program runs op by op, see `NotJittable`)."""
    try:
        return tuple(np.asarray(v) for v in values)
    except UNKNOWN_WHILE_TRACING:
        raise NotJittable(
            f"{op}: its result's shape depends on the value of {what}, which jax.jit cannot trace"
        ) from None


def known_ints(shape, op: str, what: str) -> tuple[int, ...]:
    if shape.size == 0:  # a scalar's shape: known from the type alone
        return ()
    return tuple(int(d) for d in known_values((shape,), op, what)[0])


@rule("arange")
def arange(attrs, start, stop, step):
    """``start + step * k``: the length from the attributes, or else from the bounds' values,
    so that JAX differentiates in start and step."""
    bounds = (attrs.start, attrs.stop, attrs.step)
    if None in bounds:
        known = known_values((start, stop, step), "arange", "start, stop and step")
        bounds = tuple(float(b) for b in known)
    length = creation.arange_bounds(*bounds)[1]
    return (start + step * jnp.arange(length)).astype(attrs.dtype)


@rule("one_hot")
def one_hot(attrs, indices, on_value, off_value):
    """Indices outside ``[0, depth)`` give an all-`off_value` row, as in Relay."""
    hot = jnp.expand_dims(indices, -1) == jnp.arange(attrs.depth)
    on, off = on_value.astype(attrs.dtype), off_value.astype(attrs.dtype)
    return jnp.moveaxis(jnp.where(hot, on, off), -1, attrs.axis)


# ---- reductions


def over_axes(fn):
    """A reduction rule: `fn(x, axes, keepdims, attrs)` in the input dtype."""

    def lowered(attrs, x):
        axes = reduced_axes(x.ndim, attrs.axis, attrs.exclude)
        return fn(x, axes, attrs.keepdims, attrs).astype(x.dtype)

    return lowered


rule("sum")(over_axes(lambda x, axes, keep, attrs: jnp.sum(x, axes, keepdims=keep)))
rule("prod")(over_axes(lambda x, axes, keep, attrs: jnp.prod(x, axes, keepdims=keep)))
rule("mean")(over_axes(lambda x, axes, keep, attrs: jnp.mean(x, axes, keepdims=keep)))
rule("max")(over_axes(lambda x, axes, keep, attrs: jnp.max(x, axes, keepdims=keep)))
rule("min")(over_axes(lambda x, axes, keep, attrs: jnp.min(x, axes, keepdims=keep)))
rule("variance")(
    over_axes(
        lambda x, axes, keep, attrs: jnp.var(x, axes, keepdims=keep, ddof=int(attrs.unbiased))
    )
)


@rule("logsumexp")
@over_axes
def logsumexp(x, axes, keepdims, attrs):
    """``log(sum(exp(x - peak))) + peak``; the peak is a constant to differentiation."""
    peak = jnp.max(x, axes, keepdims=True, initial=-jnp.inf)
    peak = lax.stop_gradient(jnp.where(jnp.isfinite(peak), peak, 0))
    total = jnp.log(jnp.sum(jnp.exp(x - peak), axes, keepdims=True)) + peak
    return total if keepdims else jnp.squeeze(total, axes)


def arg_reduce(pick):
    """argmax/argmin over several axes: the index into the reduced axes, flattened (C order)."""

    def lowered(attrs, x):
        axes = reduced_axes(x.ndim, attrs.axis, attrs.exclude)
        kept = [a for a in range(x.ndim) if a not in axes]
        flat = jnp.transpose(x, kept + list(axes)).reshape([x.shape[a] for a in kept] + [-1])
        if attrs.select_last_index:
            index = flat.shape[-1] - 1 - pick(flat[..., ::-1], axis=-1)
        else:
            index = pick(flat, axis=-1)
        if attrs.keepdims:
            index = index.reshape([1 if a in axes else d for a, d in enumerate(x.shape)])
        return index.astype("int32")

    return lowered


rule("argmax")(arg_reduce(jnp.argmax))
rule("argmin")(arg_reduce(jnp.argmin))


# ---- shapes


@rule("reshape")
def reshape(attrs, x):
    """Relay's reshape, its special values resolved as the numpy implementation does."""
    return x.reshape(resolve_newshape(x.shape, attrs.newshape))


@rule("contrib_reverse_reshape")
def reverse_reshape(attrs, x):
    return x.reshape(resolve_newshape(x.shape, attrs.newshape, reverse=True))


@rule("reshape_like")
def reshape_like(attrs, x, like):
    return x.reshape(like.shape)


@rule("transpose")
def transpose(attrs, x):
    return jnp.transpose(x, attrs.axes)


@rule("squeeze")
def squeeze(attrs, x):
    if attrs.axis is None:
        return jnp.squeeze(x)
    return jnp.squeeze(x, tuple(a % x.ndim for a in attrs.axis))


@rule("expand_dims")
def expand_dims(attrs, x):
    axis = attrs.axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) * attrs.num_newaxis + x.shape[axis:])


@rule("broadcast_to")
def broadcast_to(attrs, x):
    return jnp.broadcast_to(x, attrs.shape)


@rule("broadcast_to_like")
def broadcast_to_like(attrs, x, like):
    return jnp.broadcast_to(x, like.shape)


def collapse_sum_to(x, shape):
    """Sum `x` over the axes broadcasting added to a tensor of `shape`, back to `shape`."""
    lead = x.ndim - len(shape)
    widened = [i + lead for i, d in enumerate(shape) if d == 1 and x.shape[i + lead] != 1]
    summed = jnp.sum(x, tuple(range(lead)) + tuple(widened), keepdims=True)
    return summed.astype(x.dtype).reshape(shape)


@rule("collapse_sum_like")
def collapse_sum_like(attrs, x, like):
    return collapse_sum_to(x, like.shape)


@rule("collapse_sum_to")
def collapse_sum_to_rule(attrs, x):
    return collapse_sum_to(x, attrs.shape)


@rule("concatenate")
def concatenate(attrs, fields):
    return jnp.concatenate(fields, attrs.axis)


@rule("stack")
def stack(attrs, fields):
    return jnp.stack(fields, attrs.axis)


@rule("split")
def split(attrs, x):
    return tuple(jnp.split(x, attrs.indices_or_sections, attrs.axis))


@rule("repeat")
def repeat(attrs, x):
    return jnp.repeat(x, attrs.repeats, attrs.axis)


@rule("tile")
def tile(attrs, x):
    return jnp.tile(x, attrs.reps)


@rule("reverse")
def reverse(attrs, x):
    return jnp.flip(x, attrs.axis)


@rule("nn.batch_flatten")
def batch_flatten(attrs, x):
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


@rule("shape_of")
def shape_of(attrs, x):
    return jnp.asarray(x.shape, attrs.dtype)


@rule("cumsum")
def cumsum(attrs, x):
    """Running sums (``exclusive``: of the elements before each one) in `dtype`."""
    data = x.ravel() if attrs.axis is None else x
    dtype = attrs.dtype or x.dtype
    total = jnp.cumsum(data, 0 if attrs.axis is None else attrs.axis, dtype=dtype)
    return total - data.astype(total.dtype) if attrs.exclusive else total


@rule("nn.pad")
def pad(attrs, x):
    if attrs.pad_mode == "constant":
        value = constant(attrs.pad_value, x.dtype)
        return jnp.pad(x, attrs.pad_width, constant_values=value)
    return jnp.pad(x, attrs.pad_width, mode=attrs.pad_mode)


# ---- indexing


def cuts(x, attrs) -> tuple:
    return tuple(indexing.slices(x, attrs.begin, attrs.end, attrs.strides, attrs.axes))


@rule("strided_slice")
def strided_slice(attrs, x):
    return x[cuts(x, attrs)]


@rule("strided_set")
def strided_set(attrs, x, value):
    return x.at[cuts(x, attrs)].set(value)


TAKE_MODES = {"clip": "clip", "wrap": "wrap", "fast": "fill"}


@rule("take")
def take(attrs, x, indices):
    """``fast`` promises in-range indices; one out of range reads NaN (numpy would raise)."""
    return jnp.take(x, indices, attrs.axis, mode=TAKE_MODES[attrs.mode])


@rule("gather_nd")
def gather_nd(attrs, data, indices):
    return data[tuple(indices)]


@rule("gather")
def gather(attrs, data, indices):
    return data[indexing.along_axis(indices, attrs.axis)]


@rule("scatter_add")
def scatter_add(attrs, data, indices, updates):
    return data.at[indexing.along_axis(indices, attrs.axis)].add(updates)


@rule("scatter_nd")
def scatter_nd(attrs, data, indices, updates):
    """``update`` writes (the last of duplicates wins), ``add`` accumulates."""
    where = tuple(indices)
    if attrs.mode == "add":
        return data.at[where].add(updates)
    return data.at[last_writes(data, where)].set(updates, mode="drop")


def last_writes(data, where: tuple) -> tuple:
    """`where` with every write that a later one to the same place overrides sent out of
    bounds (XLA leaves the order of duplicate writes open; numpy's last one wins)."""
    stamps = jnp.arange(where[0].size).reshape(where[0].shape)
    latest = jnp.full(data.shape[: len(where)], -1).at[where].max(stamps)
    final = latest[where] == stamps
    return (jnp.where(final, where[0], data.shape[0]), *where[1:])
