"""`linearize`: the Jacobian at a point as two closures that share the primal computation.

The Relay AD RFC's discussion asked for Jacobians that are never materialized but act as
linear operators. ``linearize(f)`` is a program ``fn(x...) -> (f(x), jvp_at_x, vjp_at_x)``:
``jvp_at_x(t...)`` is the Jacobian-vector product (forward mode) and ``vjp_at_x(ct)`` the
vector-Jacobian product (reverse mode), both at the same `x`. Everything in the optimized
jvp and vjp programs that depends only on `x` (the primal computation, and the parts of
the derivatives that do not involve the tangent or cotangent) is computed once, outside the
closures, and shared between them; each closure call then does only tangent work.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir.expr import Call, Constant, Expr, Function, GlobalVar, Let, Tuple, TupleGetItem, Var
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.visitor import free_vars, make_lets
from ..transform.anf import to_anf
from ..transform.cse import eliminate_common_subexpr
from ..transform.dce import dead_code_elimination
from ..transform.pipeline import optimize
from ..typing import infer_type
from .api import function_of, vjp
from .forward import jvp


def linearize(expr, mod: IRModule | None = None, wrt: Sequence[int] | None = None) -> Function:
    """``fn(params...) -> (result, fn(tangents...) -> result_tangent, fn(cotangent) -> grads)``.

    `wrt` (parameter indices, all by default) chooses the parameters the tangents and
    gradients are for. Derived globals go into `mod`, as with `gradient` and `jvp`.

    >>> import numpy as np
    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: Tensor[(2), float64]) { multiply(%x, sin(%x)) }")
    >>> run = lg.create_executor().evaluate(lg.transform.linearize(f))
    >>> y, jvp_at, vjp_at = run(np.array([1.0, 2.0]))
    >>> jvp_at(np.array([1.0, 0.0])).round(6)
    array([1.381773, 0.      ])
    >>> vjp_at(np.array([0.0, 1.0]))[0].round(6)
    array([0.      , 0.077004])
    """
    mod = mod if mod is not None else IRModule()
    function_of(expr, mod, "linearize")  # its errors name linearize, not the jvp it runs
    forward = _optimized(jvp(expr, mod=mod, wrt=wrt), mod)
    backward = _optimized(vjp(expr, mod=mod, wrt=None if wrt is None else tuple(wrt)), mod)
    count = len(backward.params) - 1
    params = forward.params[:count]
    tangents = forward.params[count:]
    known_forward, rest_forward = _split_known(forward, tangents)
    aliases = [(b, p) for b, p in zip(backward.params[:count], params, strict=True) if b is not p]
    known_backward, rest_backward = _split_known(backward, backward.params[count:])
    result = _primal_result(rest_forward, expr, params)
    jvp_at = Function(tangents, TupleGetItem(rest_forward, 1))
    vjp_at = Function(backward.params[count:], TupleGetItem(rest_backward, 1))
    body = make_lets([*known_forward, *aliases, *known_backward], Tuple([result, jvp_at, vjp_at]))
    return _shared(Function(params, body), mod)


def _optimized(func: Function, mod: IRModule) -> Function:
    return to_anf(optimize(func, mod=mod))


def _split_known(func: Function, unknown_params) -> tuple[list, Expr]:
    """The leading pure bindings of `func`'s body that do not depend on `unknown_params`
    (hoisted out), and the rest of the body (the bindings that do, and the result)."""
    unknown = {id(p) for p in unknown_params}
    known, rest, expr = [], [], func.body
    while isinstance(expr, Let):
        depends = any(id(v) in unknown for v in free_vars(expr.value))
        if depends or not _hoistable(expr.value):
            unknown.add(id(expr.var))
            rest.append((expr.var, expr.value))
        else:
            known.append((expr.var, expr.value))
        expr = expr.body
    return known, make_lets(rest, expr)


def _hoistable(value: Expr) -> bool:
    """Values that are safe to compute once, ahead of every call of a closure: op calls and
    data, not calls of functions (they may write refs) nor ref reads (effects.Purity counts
    a read as pure, but a value read once is not the value read at each call)."""
    if isinstance(value, Call):
        return isinstance(value.op, Op)
    return isinstance(value, Var | Constant | Tuple | TupleGetItem | Function | GlobalVar)


def _primal_result(rest: Expr, expr, params) -> Expr:
    """The original function's result: the jvp's own when it was computed outside the
    closures (it depends on no tangent), else a call of the function."""
    bound = {}
    while isinstance(rest, Let):
        bound[id(rest.var)] = rest.value
        rest = rest.body
    rest = bound.get(id(rest), rest)  # A-normal form binds the result tuple first
    if isinstance(rest, Tuple) and id(rest.fields[0]) not in bound:
        return rest.fields[0]
    return Call(expr, params)


def _shared(linear: Function, mod: IRModule) -> Function:
    """Share what the two halves both computed, and drop what neither closure needs."""
    typed = infer_type(linear, mod=mod)
    return dead_code_elimination(eliminate_common_subexpr(typed))
