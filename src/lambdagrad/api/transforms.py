"""The transformations, with JAX's names and signatures, run define-by-run as in autograd.

`fun` runs as ordinary Python on real values (``if`` and ``while`` decide on them, ``print``
shows arrays); the ops it applies through `lambdagrad.numpy` are recorded and differentiated
with the op registry's rules. Every transformation composes with every other.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import numpy as lnp
from .batching import BatchTrace, BatchTracer, broadcast_batch
from .core import TransformError, zeros_like
from .forward import JVPTrace, JVPTracer
from .linearize import (
    Linearization,
    as_like,
    as_output,
    check_leaf,
    check_like,
    cut,
    differentiable,
    size_of,
    split_aux,
    substitute,
)
from .lowered import as_python_function
from .pytree import tree_flatten, tree_map, tree_unflatten


def checked_argnums(argnums, args: tuple, what: str) -> tuple[int, ...]:
    """`argnums` (an int or a sequence of them) as distinct indices into `args`."""
    nums = (argnums,) if is_int(argnums) else argnums
    if not isinstance(nums, tuple | list) or not all(is_int(i) for i in nums):
        raise TransformError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not args:
        raise TransformError(f"{what}: the call has no positional argument to differentiate")
    if not all(-len(args) <= i < len(args) for i in nums):
        raise TransformError(
            f"{what}: argnums={argnums!r} is out of range for a call with {len(args)} "
            f"positional argument(s); use 0 to {len(args) - 1}"
        )
    indices = tuple(i % len(args) for i in nums)
    if len(set(indices)) < len(indices):  # each argument's leaves are recorded once
        raise TransformError(f"{what}: argnums={argnums!r} names an argument twice")
    return indices


def is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _by_arg(lin: Linearization, argnums, leaves: list):
    """Per-input-leaf values in the structure of the differentiated arguments."""
    grouped = tree_unflatten(lin.in_tree, leaves)
    return grouped[0] if is_int(argnums) else grouped


def value_and_grad(fun, argnums=0, has_aux=False):
    """A function returning ``fun``'s value and its gradient with respect to `argnums`.

    `fun` must return a scalar (with `has_aux`, a pair ``(scalar, aux)``; the result is then
    ``((value, aux), grad)``). Gradients have the structure and dtypes of the arguments.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.value_and_grad(lambda x: lnp.sum(x * x))(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    original, fun = fun, as_python_function(fun)

    @functools.wraps(fun)
    def run(*args, **kwargs):
        nums = checked_argnums(argnums, args, "grad")
        lin = Linearization(fun, args, nums, kwargs, has_aux, "grad")
        _check_scalar(lin)
        grads = lin.pull([np.ones((), lin.out_leaves[0].dtype)])
        value = lin.out
        return ((value, lin.aux) if has_aux else value), _by_arg(lin, argnums, grads)

    # what lg.jit needs to turn this into the IR gradient of `original`'s whole program
    run.lg_derivative = Derivative(original, argnums, has_aux, with_value=True)
    return run


@dataclass(frozen=True)
class Derivative:
    """What `grad` / `value_and_grad` made a function from: `lg.jit` of such a function is
    the IR gradient of `fun`'s program instead of a translation of the wrapper."""

    fun: Callable
    argnums: int | Sequence[int]
    has_aux: bool
    with_value: bool


def _check_scalar(lin: Linearization) -> None:
    leaves = lin.out_leaves
    if len(leaves) != 1 or lin.out_tree.kind != "leaf" or tuple(leaves[0].shape) != ():
        shapes = [tuple(x.shape) for x in leaves]
        raise TransformError(
            f"grad needs a function returning a scalar, got structure {lin.out_tree} with "
            f"shapes {shapes}: reduce it (lnp.sum, lnp.mean), or use jacrev/vjp for "
            "non-scalar outputs"
        )
    if np.dtype(leaves[0].dtype).kind != "f":
        raise TransformError(
            f"grad needs a floating-point output, got {np.dtype(leaves[0].dtype).name}"
        )


def grad(fun, argnums=0, has_aux=False):
    """The gradient of scalar-valued `fun` with respect to argument(s) `argnums`.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.grad(lambda x: x ** 3)(2.0)
    array(12.)
    >>> lg.grad(lg.grad(lambda x: x ** 3))(2.0)
    array(12.)
    >>> lg.grad(lambda p: p["w"] * p["b"])({"w": 2.0, "b": 3.0})
    {'b': array(2.), 'w': array(3.)}
    """
    value_and_grad_fun = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(value_and_grad_fun)
    def run(*args, **kwargs):
        value, gradient = value_and_grad_fun(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    run.lg_derivative = Derivative(fun, argnums, has_aux, with_value=False)
    return run


def vjp(fun, *primals, has_aux=False):
    """``(fun(*primals), vjp_fun)``: ``vjp_fun(cotangent)`` is a tuple, one gradient per primal.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> out, back = lg.vjp(lambda x: x * 2.0, np.array([1.0, 2.0]))
    >>> back(np.array([1.0, 10.0]))
    (array([ 2., 20.]),)
    """
    lin = Linearization(as_python_function(fun), primals, range(len(primals)), None, has_aux, "vjp")

    def vjp_fun(cotangent):
        return tuple(tree_unflatten(lin.in_tree, lin.pull(lin.check_cotangents(cotangent))))

    return (lin.out, vjp_fun, lin.aux) if has_aux else (lin.out, vjp_fun)


def jvp(fun, primals, tangents):
    """``(fun(*primals), tangent_out)``: forward mode, the Jacobian applied to `tangents`.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.jvp(lnp.sin, (0.0,), (2.0,))
    (array(0.), array(2.))
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise TransformError("jvp(fun, primals, tangents) takes primals and tangents as tuples")
    fun = as_python_function(fun)
    leaves, tree = tree_flatten(tuple(primals))
    leaves = [differentiable(x, "jvp") for x in leaves]
    tangent_leaves, tangent_tree = tree_flatten(tuple(tangents))
    check_like(tangent_leaves, tangent_tree, leaves, tree, "tangent", "primal")
    return _jvp_leaves(lambda *xs: fun(*tree_unflatten(tree, xs)), leaves, tangent_leaves, "jvp")


def _jvp_leaves(fun, leaves: list, tangents: list, what: str):
    """`fun`'s result and its tangent (pytrees) for tangents at its argument leaves."""
    trace = JVPTrace()
    inputs = [JVPTracer(trace, x, as_like(t, x)) for x, t in zip(leaves, tangents, strict=True)]
    out_leaves, out_tree = tree_flatten(fun(*inputs))
    pairs = [_primal_tangent(check_leaf(leaf, what), trace) for leaf in out_leaves]
    primal = tree_unflatten(out_tree, [p for p, _ in pairs])
    return primal, tree_unflatten(out_tree, [t for _, t in pairs])


def _primal_tangent(leaf, trace):
    if isinstance(leaf, JVPTracer) and leaf.trace is trace:
        return as_output(leaf.primal), as_output(leaf.tangent)
    return as_output(leaf), zeros_like(leaf)


def jacrev(fun, argnums=0, has_aux=False):
    """The Jacobian by reverse mode (a batched backward pass): shape ``out.shape + in.shape``.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.jacrev(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    fun = as_python_function(fun)

    @functools.wraps(fun)
    def run(*args, **kwargs):
        nums = checked_argnums(argnums, args, "jacrev")
        lin = Linearization(fun, args, nums, kwargs, has_aux, "jacrev")
        rows = [_rows(lin, k, argnums) for k in range(len(lin.out_leaves))]
        return _with_aux(tree_unflatten(lin.out_tree, rows), lin, has_aux)

    return run


def _rows(lin: Linearization, k: int, argnums):
    """The Jacobian of output leaf k: one backward pass batched over its elements."""
    out = lin.out_leaves[k]
    basis = _basis(out)

    def pull_one(cotangent):
        cotangents = [cotangent if i == k else zeros_like(x) for i, x in enumerate(lin.out_leaves)]
        return lin.pull(cotangents)

    rows = vmap(pull_one)(basis)
    shaped = [
        lnp.reshape(r, tuple(out.shape) + tuple(x.shape))
        for r, x in zip(rows, lin.in_leaves, strict=True)
    ]
    return _by_arg(lin, argnums, shaped)


def jacfwd(fun, argnums=0, has_aux=False):
    """The Jacobian by forward mode (one forward pass batched over the input's elements):
    shape ``out.shape + in.shape``.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.jacfwd(lambda x: x[:1] * x[1:])(np.array([2.0, 3.0]))
    array([[3., 2.]])
    """
    fun = as_python_function(fun)

    @functools.wraps(fun)
    def run(*args, **kwargs):
        nums = checked_argnums(argnums, args, "jacfwd")
        leaves, in_tree = tree_flatten(tuple(args[i] for i in nums))
        leaves = [differentiable(x, "jacfwd") for x in leaves]
        aux = []

        def at(*xs):
            return fun(*substitute(args, nums, in_tree, xs), **kwargs)

        def column(basis_row):
            primal, tangent = _jvp_leaves(at, leaves, cut(basis_row, leaves), "jacfwd")
            if has_aux:
                aux.append(split_aux(primal, has_aux, "jacfwd")[1])
                return tangent[0]
            return tangent

        dtype = np.result_type(*(x.dtype for x in leaves))
        basis = np.eye(sum(size_of(x) for x in leaves), dtype=dtype)
        jac = tree_map(lambda c: _by_input(c, leaves, in_tree, argnums), vmap(column)(basis))
        return (jac, aux[0]) if has_aux else jac

    return run


def _by_input(column, leaves, in_tree, argnums):
    """``(n, *out_shape)`` columns for all input elements, cut per input leaf and laid out as
    ``out_shape + in_shape``."""
    out_shape = tuple(column.shape[1:])
    parts, start = [], 0
    for x in leaves:
        part = column[start : start + size_of(x)]
        parts.append(_to_back(part, out_shape, tuple(x.shape)))
        start += size_of(x)
    grouped = tree_unflatten(in_tree, parts)
    return grouped[0] if is_int(argnums) else grouped


def _to_back(column, out_shape, in_shape):
    """``(n, *out_shape)`` to ``(*out_shape, *in_shape)``."""
    rank = len(out_shape)
    moved = lnp.transpose(column, (*range(1, rank + 1), 0))
    return lnp.reshape(moved, out_shape + in_shape)


def _basis(x):
    """The standard basis for `x`'s elements: shape ``(x.size, *x.shape)``."""
    size = math.prod(x.shape)
    return np.eye(size, dtype=x.dtype).reshape((size, *x.shape))


def _with_aux(result, lin, has_aux):
    return (result, lin.aux) if has_aux else result


jacobian = jacrev


def hessian(fun, argnums=0):
    """The Hessian of scalar `fun`: forward mode over reverse mode (``jacfwd(jacrev(fun))``).

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    return jacfwd(jacrev(fun, argnums), argnums)


def hvp(fun, primals, tangents):
    """The Hessian-vector product of scalar `fun`: ``jvp(grad(fun), primals, tangents)[1]``
    (the Hessian with respect to the first argument, never formed).

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.hvp(lambda x: lnp.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    array([6., 0.])
    """
    return jvp(grad(fun), primals, tangents)[1]


def vmap(fun, in_axes=0, out_axes=0):
    """`fun` mapped over an axis of its arguments, run once on the whole batch.

    `in_axes`, as in JAX: an int or None (not mapped) for every argument, or a tuple/list
    with one entry per positional argument, each an int, None, or a pytree like (a prefix
    of) that argument holding ints and Nones for its parts. `out_axes` is an int.

    >>> import lambdagrad as lg, lambdagrad.numpy as lnp
    >>> lg.vmap(lambda x, y: lnp.dot(x, y), in_axes=(0, None))(np.ones((3, 2)), np.ones(2))
    array([2., 2., 2.])
    >>> lg.vmap(lambda p: p["w"] * p["x"], in_axes=({"w": None, "x": 0},))(
    ...     {"w": 2.0, "x": np.arange(3.0)})
    array([0., 2., 4.])
    """
    fun = as_python_function(fun)
    if not is_int(out_axes):
        raise TransformError(f"vmap: out_axes must be an int, got {out_axes!r}")

    @functools.wraps(fun)
    def run(*args, **kwargs):
        if kwargs:
            raise TransformError(
                f"vmap maps positional arguments only; pass {sorted(kwargs)} positionally "
                "(with in_axes None for those not mapped)"
            )
        leaves, tree = tree_flatten(args)
        axes = _leaf_axes(in_axes, args)
        trace = BatchTrace(_batch_size(leaves, axes))
        batched = [_batch_leaf(x, axis, trace) for x, axis in zip(leaves, axes, strict=True)]
        out_leaves, out_tree = tree_flatten(fun(*tree_unflatten(tree, batched)))
        unbatched = [_unbatch(check_leaf(x, "vmap"), trace, out_axes) for x in out_leaves]
        return tree_unflatten(out_tree, unbatched)

    return run


def _leaf_axes(in_axes, args: tuple) -> list:
    """One axis (or None) per leaf of `args`, from `in_axes` (see `vmap`)."""
    if in_axes is None or isinstance(in_axes, int):
        return [in_axes] * len(tree_flatten(args)[0])
    if not isinstance(in_axes, tuple | list) or len(in_axes) != len(args):
        raise TransformError(
            f"vmap: in_axes={in_axes!r} must be an int, None, or a tuple with one entry per "
            f"positional argument ({len(args)} given)"
        )
    return [axis for spec, arg in zip(in_axes, args, strict=True) for axis in _axes(spec, arg)]


def _axes(spec, arg) -> list:
    """`spec` (an int, None, or a pytree prefix of `arg`) spread over `arg`'s leaves."""
    if spec is None or isinstance(spec, int):
        return [spec] * len(tree_flatten(arg)[0])
    if isinstance(spec, dict) and isinstance(arg, dict) and sorted(spec) == sorted(arg):
        return [a for key in sorted(arg) for a in _axes(spec[key], arg[key])]
    if type(spec) is type(arg) and isinstance(arg, tuple | list) and len(spec) == len(arg):
        return [a for s, x in zip(spec, arg, strict=True) for a in _axes(s, x)]
    raise TransformError(
        f"vmap: in_axes entry {spec!r} does not match the structure of its argument "
        f"{tree_flatten(arg)[1]}"
    )


def _batch_size(leaves: list, axes: list) -> int:
    sizes = {}
    for k, (leaf, axis) in enumerate(zip(leaves, axes, strict=True)):
        if axis is None:
            continue
        shape = tuple(np.shape(leaf))
        if not -len(shape) <= axis < len(shape):
            raise TransformError(f"vmap: in_axes {axis} is out of range for shape {shape}")
        sizes[(k, shape)] = shape[axis]
    if not sizes:
        raise TransformError("vmap needs at least one argument with a mapped axis (not None)")
    if len(set(sizes.values())) > 1:
        found = ", ".join(f"shape {s} maps {n}" for (_, s), n in sizes.items())
        raise TransformError(f"vmap: the mapped axes have different sizes: {found}")
    return next(iter(sizes.values()))


def _batch_leaf(leaf, axis, trace):
    if axis is None:
        return leaf
    return BatchTracer(trace, lnp.moveaxis(lnp.asarray(leaf), axis, 0))


def _unbatch(leaf, trace, out_axis):
    if isinstance(leaf, BatchTracer) and leaf.trace is trace:
        value = leaf.value
    else:
        value = broadcast_batch(lnp.asarray(leaf), trace.size)
    rank = len(value.shape)
    if not -rank <= out_axis < rank:
        raise TransformError(
            f"vmap: out_axes={out_axis} is out of range for a result of shape "
            f"{tuple(value.shape)} (the mapped axis included)"
        )
    return value if out_axis == 0 else lnp.moveaxis(value, 0, out_axis)
