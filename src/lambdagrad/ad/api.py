"""`gradient` and `vjp`: the entry points of reverse-mode AD."""

from __future__ import annotations

import warnings

from ..deep import run_deep, without_gc
from ..errors import GradientError, ZeroGradientWarning
from ..ir.expr import Call, Expr, Function, GlobalVar, Let, Match, RefRead, Tuple, Var, pattern_vars
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import FuncType, TensorType, TupleType, Type
from ..ir.visitor import children, free_vars, post_order
from ..ops.gradients import gradient_of, is_non_differentiable
from ..transform.anf import computed_once, to_anf
from ..typing import infer_type
from .adtypes import BACKPROP_TYPE
from .context import ADContext
from .higher_order import Block, FunctionTransformer, lifted_param, new_backprop
from .split import split_gradient
from .structure import StructureCode, has_float_leaf

MODES = ("higher_order", "first_order")


def gradient(
    expr, mod: IRModule | None = None, mode: str = "higher_order", wrt: tuple | None = None
) -> Function:
    """The gradient of function `expr` (a Function or a GlobalVar of `mod`).

    Returns ``fn(params) -> (result, (one gradient per param))``, the gradient of the sum of
    all float tensor leaves of the result. Higher-order mode adds the derived globals
    (``@f_grad``) it needs to `mod`, in which the returned function evaluates. A recursive
    program without closures or refs is split instead: each global into a forward pass
    ``@f_grad_fwd`` returning its residuals as a value and a backward pass ``@f_grad_bwd``
    returning gradients as values (no refs, no closures; see ``ad/split.py``).

    `wrt`, a tuple of parameter indices, asks for those parameters' gradients only (in that
    order); no work is spent on the others. Higher-order mode then keeps values that depend
    on no parameter in `wrt` plain and specializes derived globals (and closures passed to
    them) by which of their arguments are active (``@f_grad_pa`` for a plain first argument).

    >>> import lambdagrad as lg
    >>> f = lg.parse_expr("fn (%x: float32) { multiply(%x, %x) }")
    >>> run = lg.create_executor().evaluate(lg.transform.gradient(f))
    >>> value, (dx,) = run(3.0)
    >>> float(value), float(dx)
    (9.0, 6.0)
    >>> g = lg.parse_expr("fn (%x: float32, %w: float32) { multiply(%x, %w) }")
    >>> value, (dw,) = lg.create_executor().evaluate(lg.transform.gradient(g, wrt=(1,)))(3.0, 2.0)
    >>> float(dw)
    3.0

    A gradient that is zero by construction comes with a `lg.ZeroGradientWarning`: that of
    an integer parameter, and any through a non-differentiable op with a float result
    (``round``, ``floor``, ``ceil``, ``sign``, ``floor_divide``) applied to a value computed
    from a differentiated parameter. Comparisons (``greater``, ...) and ``argmax`` give
    booleans and integers that choose or index (``if``, ``where``, ``take``); the gradient
    flows around them, so they do not warn.
    """
    return _warned(run_deep(without_gc, _differentiate, expr, mod, mode, False, wrt))


def vjp(
    expr, mod: IRModule | None = None, mode: str = "higher_order", wrt: tuple | None = None
) -> Function:
    """``fn(params..., cotangent) -> (result, (grads))``: a vector-Jacobian product.

    The cotangent has the result's type; the gradients are those of ``<result, cotangent>``,
    for the parameters at the indices in `wrt` only when it is given (see ``gradient``).
    """
    return _warned(run_deep(without_gc, _differentiate, expr, mod, mode, True, wrt))


def _warned(result: tuple[Function, list[str]]) -> Function:
    """The function, after warning (on the caller's thread, at its line) what is zero."""
    func, notes = result
    for note in notes:
        warnings.warn(note, ZeroGradientWarning, stacklevel=3)
    return func


def _differentiate(expr, mod, mode: str, with_cotangent: bool, wrt) -> tuple[Function, list]:
    # AD builds a few nodes per node of the program and frees none until it returns: paused
    # collection keeps long programs linear; the big stack serves deeply nested ones.
    if mode not in MODES:
        raise GradientError(f"unknown AD mode {mode!r}; expected one of {', '.join(MODES)}")
    mod = mod if mod is not None else IRModule()
    func = function_of(expr, mod)
    wrt = checked_wrt(wrt, func)
    # First-order mode flattens A-normal form; higher-order mode takes nested expressions
    # and needs only graph form resolved (normalizing long programs cost a fifth of AD).
    normal = to_anf if mode == "first_order" else computed_once
    typed_mod = infer_type(normal(mod))
    typed = infer_type(normal(func), mod=typed_mod)
    check_rules_exist(typed, typed_mod)
    notes = zero_gradient_notes(expr, typed, typed_mod, wrt)
    if mode == "first_order":
        from .first_order import first_order_gradient

        return first_order_gradient(typed, typed_mod, with_cotangent, wrt), notes
    split = split_gradient(typed, mod, typed_mod, with_cotangent, wrt)
    if split is not None:
        return split, notes
    if wrt is not None:
        from .activity import gradient_wrt

        return gradient_wrt(typed, mod, typed_mod, with_cotangent, wrt), notes
    return _higher_order(typed, mod, typed_mod, with_cotangent), notes


def zero_gradient_notes(expr, func: Function, mod: IRModule, wrt) -> list[str]:
    """The warnings `gradient` gives for typed `func`: integer parameters it differentiates,
    and non-differentiable ops with a float result applied to a value computed from them (in
    the globals `func` reaches: from any parameter)."""
    name = f"@{getattr(expr, 'name_hint', expr)}" if not isinstance(expr, Function) else ""
    where = f"gradient of {name or 'the function'}"
    wanted = [func.params[i] for i in (range(len(func.params)) if wrt is None else wrt)]
    notes = [
        f"{where}: parameter %{p.name_hint} has type {p.checked_type}, which holds no "
        "floating-point value: its gradient is zeros (JAX refuses such inputs; wrt=... "
        "leaves it out)"
        for p in wanted
        if _integers_only(p.checked_type)
    ]
    calls = _flattening_calls(func, wanted)
    for body in _reachable(func, mod)[1:]:
        calls += _flattening_calls(body, body.params)
    if calls:
        ops = ", ".join(_described(call) for call in calls[:5])
        more = f" and {len(calls) - 5} more" if len(calls) > 5 else ""
        notes.append(
            f"{where}: {ops}{more} {'has' if len(calls) == 1 else 'have'} a zero gradient and "
            "a float result computed from a differentiated parameter: no gradient flows back "
            "through them"
        )
    return notes


def _integers_only(ty: Type) -> bool:
    """Whether `ty` is integer or boolean tensors (in tuples) only."""
    if isinstance(ty, TupleType):
        return bool(ty.fields) and all(_integers_only(f) for f in ty.fields)
    return isinstance(ty, TensorType) and not ty.dtype.startswith("float")


# Non-differentiable ops whose result does not depend on their arguments' values.
VALUE_BLIND = ("zeros_like", "ones_like")


def _flattening_calls(body: Expr, active_params) -> list[Call]:
    """Calls in `body` of non-differentiable ops with a float result, on an argument that
    depends on `active_params` (or on a parameter of a closure: those may)."""
    bound: dict[int, list[Var]] = {}  # a let's value or a match's data -> the vars it binds
    active = {id(p) for p in active_params}
    for node in post_order(body):
        if isinstance(node, Let):
            bound.setdefault(id(node.value), []).append(node.var)
        elif isinstance(node, Match):
            for clause in node.clauses:
                bound.setdefault(id(node.data), []).extend(pattern_vars(clause.lhs))
        elif isinstance(node, Function) and node is not body:
            active.update(id(p) for p in node.params)
    hot: set[int] = set()  # nodes whose value depends on an active variable
    found = []
    for node in post_order(body):
        parts = [id(c) in (active if isinstance(c, Var) else hot) for c in children(node)]
        if not any(parts):
            continue
        hot.add(id(node))
        active.update(id(v) for v in bound.get(id(node), ()))
        if _flattens(node):
            found.append(node)
    return found


def _flattens(node: Expr) -> bool:
    return (
        isinstance(node, Call)
        and isinstance(node.op, Op)
        and node.op.name not in VALUE_BLIND
        and is_non_differentiable(node.op)
        and has_float_leaf(node.checked_type)
    )


def _described(call: Call) -> str:
    return (
        call.op.name
        if call.span is None
        else f"{call.op.name} (line {call.span[0]}, column {call.span[1]})"
    )


def function_of(expr, mod: IRModule, transformation: str = "gradient") -> Function:
    """The closed function that `expr` (a Function, a GlobalVar or a global's name) names."""
    if not isinstance(mod, IRModule):
        raise GradientError(f"{transformation}: mod must be an IRModule, got {type(mod).__name__}")
    if isinstance(expr, GlobalVar | str):
        return mod[expr]
    if not isinstance(expr, Function):
        raise GradientError(f"{transformation} needs a function, got {type(expr).__name__}: {expr}")
    free = free_vars(expr)
    if free:
        names = ", ".join(f"%{v.name_hint}" for v in free)
        raise GradientError(f"the function to differentiate has free variables: {names}")
    return expr


def checked_wrt(wrt, func: Function) -> tuple[int, ...] | None:
    """`wrt` as a tuple of parameter indices, or a GradientError saying what is wrong."""
    if wrt is None:
        return None
    count = len(func.params)
    names = ", ".join(f"%{p.name_hint}" for p in func.params)
    where = f"the function has {count} parameter{'s' * (count != 1)} ({names})"
    if not isinstance(wrt, tuple) or not all(type(i) is int for i in wrt):
        raise GradientError(f"wrt must be a tuple of parameter indices, got {wrt!r}; {where}")
    for i in wrt:
        if not -count <= i < count:
            raise GradientError(f"wrt index {i} is out of range: {where}")
    normal = tuple(i % count for i in wrt)
    repeated = sorted({i for i in normal if normal.count(i) > 1})
    if repeated:
        twice = ", ".join(f"%{func.params[i].name_hint}" for i in repeated)
        raise GradientError(f"wrt names parameter {twice} more than once: {where}")
    return normal


def check_rules_exist(func: Function, mod: IRModule, rule_of=gradient_of, rule="gradient"):
    """Raise one GradientError naming every op that `func` (and the globals it reaches) needs
    a rule for and lacks; `rule_of(op)` raises GradientError when there is none."""
    missing = sorted(
        {
            call.op.name
            for body in _reachable(func, mod)
            for call in post_order(body)
            if _needs_gradient(call) and _lacks(rule_of, call.op)
        }
    )
    if missing:
        raise GradientError(f"no {rule} registered for: {', '.join(missing)}")


def _needs_gradient(node) -> bool:
    return (
        isinstance(node, Call)
        and isinstance(node.op, Op)
        and node.op.name != "annotation.checkpoint"
        and has_float_leaf(node.checked_type)
        and any(has_float_leaf(a.checked_type) for a in node.args)
    )


def _lacks(rule_of, op: Op) -> bool:
    try:
        rule_of(op)
    except GradientError:
        return True
    return False


def _reachable(func: Function, mod: IRModule) -> list[Expr]:
    """`func` and every global function it can call, transitively."""
    seen: dict[str, Expr] = {}
    stack: list[Expr] = [func]
    while stack:
        body = stack.pop()
        for node in post_order(body):
            if isinstance(node, GlobalVar) and node.name_hint not in seen and node in mod:
                seen[node.name_hint] = mod[node]
                stack.append(mod[node])
    return [func, *seen.values()]


def _higher_order(func: Function, mod: IRModule, typed_mod: IRModule, with_cotangent: bool):
    ctx = ADContext(mod, typed_mod)
    code = StructureCode(ctx)
    block = Block()
    backprop = block.bind("bp", new_backprop(), BACKPROP_TYPE)
    transformer = FunctionTransformer(ctx, backprop)
    for param in func.params:
        code.check_supported(param.checked_type, f"parameter %{param.name_hint}")
        transformer.var_map[param] = lifted_param(block, code, param)
    out_type = func.checked_type.ret_type
    code.check_supported(out_type, "the result")
    out = block.bind("result", transformer.visit(func.body), ctx.ad_type(out_type))
    cotangent = Var("cotangent", out_type) if with_cotangent else None
    block.do(code.seed(out, out_type, cotangent))
    block.do(Call(RefRead(backprop), ()))
    grads = [code.gradients(transformer.var_map[p], p.checked_type) for p in func.params]
    body = block.result(Tuple([code.unlift(out, out_type), Tuple(grads)]))
    _transform_pending_globals(ctx)
    params = [*func.params, cotangent] if cotangent is not None else list(func.params)
    return Function(params, body, _gradient_type(func))


def _gradient_type(func: Function):
    sig: FuncType = func.checked_type
    return TupleType([sig.ret_type, TupleType(sig.arg_types)])


def _transform_pending_globals(ctx: ADContext) -> None:
    """Transform each global the program reaches (and those they reach) into `@name_grad`."""
    while ctx.pending:
        source, target = ctx.pending.pop()
        original = ctx.typed[source]
        top = FunctionTransformer(ctx, Var("unused", BACKPROP_TYPE))
        ctx.mod[target] = top.function(original)
