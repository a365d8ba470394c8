"""Helpers for users' own tests: finite-difference checkers for gradients and forward mode."""

from __future__ import annotations

import warnings

import numpy as np

from .errors import Error, ZeroGradientWarning
from .ir.expr import (
    Call,
    Clause,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    Match,
    Tuple,
    TupleGetItem,
    Var,
    map_pattern,
)
from .ir.module import IRModule
from .ir.op import Op
from .ir.types import TensorType, TupleType, Type, TypeData
from .ir.visitor import ExprMutator
from .runtime import create_executor
from .runtime.random_values import random_value
from .runtime.values import ConstructorValue, RefValue
from .typing import infer_type
from .typing.unify import map_children


def check_grad(
    func,
    inputs=None,
    *,
    mod: IRModule | None = None,
    mode: str = "higher_order",
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    seed: int = 0,
    elementwise: bool = False,
    directions: int = 3,
    executor: str = "debug",
) -> None:
    """Check the gradient of `func` against central finite differences.

    The objective is the sum of every float tensor leaf of the result. The program is run in
    float64 (float32 types and constants are promoted) so differences are accurate. By default
    a few random directions are compared (cheap); ``elementwise=True`` perturbs every input
    element. ``order=2`` also checks the gradient of the gradient. Inputs default to seeded
    random values of the parameter types. `executor` is the kind of executor that runs the
    function and its gradient. Raises AssertionError naming the worst mismatch.

    >>> import lambdagrad as lg
    >>> check_grad(lg.parse_expr("fn (%x: Tensor[(3), float32]) { sum(tanh(%x)) }"))
    """
    from .ad import gradient

    original = _function(func, mod)
    mod, promote = _promote_module(mod if mod is not None else IRModule())
    func = promote.visit(original)
    typed = infer_type(func, mod=mod)
    rng = np.random.default_rng(seed)
    values = _inputs("check_grad", typed, inputs, mod, rng)
    checker = _Checker(mod, executor, eps, atol, rtol, elementwise, directions, rng)
    checker.check(typed, gradient(typed, mod=mod, mode=mode, wrt=_checked(typed)), values)
    # Higher orders differentiate derivative programs: a zero second derivative the rules
    # build (abs's sign) would warn about our program, not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroGradientWarning)
        for _ in range(order - 1):
            typed = infer_type(_gradient_as_output(typed, mod, mode, rng), mod=mod)
            grad = gradient(typed, mod=mod, mode=mode, wrt=_checked(typed))
            checker.check(typed, grad, values)


def _checked(func: Function) -> tuple[int, ...] | None:
    """The parameters whose gradients are checked: all but integer and bool tensors (their
    gradients are zeros by construction, with a warning that here would be noise; their
    inputs are not perturbed either). None (all) when that leaves none."""
    wrt = tuple(i for i, p in enumerate(func.params) if not _integer_tensor(p.checked_type))
    return wrt if wrt and len(wrt) < len(func.params) else None


def _integer_tensor(ty) -> bool:
    return isinstance(ty, TensorType) and not ty.dtype.startswith("float")


def check_jvp(
    func,
    inputs=None,
    *,
    mod: IRModule | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    seed: int = 0,
    directions: int = 3,
    executor: str = "debug",
) -> None:
    """Check forward mode (`lg.transform.jvp`) of `func` against central finite differences.

    Along a few random tangents, every float leaf of the result tangent is compared with
    ``(f(x + eps t) - f(x - eps t)) / (2 eps)``, and the result with ``f(x)``; the program runs
    in float64. ``order=2`` also checks the jvp of the jvp (a function of the primals and the
    tangents), and so on. Raises AssertionError naming the worst mismatch.

    >>> import lambdagrad as lg
    >>> check_jvp(lg.parse_expr("fn (%x: Tensor[(3), float32]) { tanh(%x) }"), order=2)
    """
    from .ad.forward import jvp

    original = _function(func, mod)
    mod, promote = _promote_module(mod if mod is not None else IRModule())
    typed = infer_type(promote.visit(original), mod=mod)
    rng = np.random.default_rng(seed)
    values = _inputs("check_jvp", typed, inputs, mod, rng)
    for level in range(order):
        forward = jvp(typed, mod=mod)
        executor_ = create_executor(executor, mod=mod)
        run, run_forward = executor_.evaluate(typed), executor_.evaluate(forward)
        for _ in range(directions):
            tangents = _random_tangents(values, rng)
            _compare_tangent(run, run_forward, values, tangents, eps, atol, rtol)
        if level + 1 < order:
            typed = infer_type(forward, mod=mod)
            values = [*values, *_random_tangents(values, rng)]


def _function(func, mod: IRModule | None) -> Function:
    """The function to check: `func` itself, or the global of `mod` it names."""
    if isinstance(func, GlobalVar | str):
        if mod is None:
            raise Error(f"{func!r} names a global function: pass its module as mod=")
        return mod[func]
    if not isinstance(func, Function):
        raise Error(f"expected a Function, a GlobalVar or a global's name, got {func!r:.60}")
    return func


def _random_tangents(values: list, rng) -> list:
    """Random float leaves, zeros for integer leaves (which carry no tangent)."""
    directions = _map_leaves(values, lambda a: rng.standard_normal(a.shape))
    return _map_int_leaves(directions, np.zeros_like)


def _compare_tangent(run, run_forward, values, tangents, eps, atol, rtol) -> None:
    value, tangent = run_forward(*values, *tangents)
    _assert_finite("tangent", tangent)
    plus = _float_leaves(run(*_combine(values, tangents, eps)))
    minus = _float_leaves(run(*_combine(values, tangents, -eps)))
    _assert_leaves_close("result", _float_leaves(value), _float_leaves(run(*values)), 1e-12, 1e-9)
    numeric = [(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)]
    _assert_leaves_close("tangent", _float_leaves(tangent), numeric, atol, rtol)


def _assert_finite(what: str, value) -> None:
    """Fail naming the first inf or NaN element: no comparison with them can be trusted."""
    for i, leaf in enumerate(_float_leaves(value)):
        bad = np.argwhere(~np.isfinite(leaf))
        if len(bad):
            index = tuple(int(k) for k in bad[0])
            raise AssertionError(
                f"{what} leaf {i}, element {index} is {float(leaf[index])} (not finite); "
                "a gradient check needs finite values"
            )


def _assert_leaves_close(what: str, actual: list, expected: list, atol: float, rtol: float):
    if len(actual) != len(expected):
        raise AssertionError(f"{what}: {len(actual)} float leaves, expected {len(expected)}")
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        if a.shape != np.shape(e) or not np.allclose(a, e, atol=atol, rtol=rtol):
            raise AssertionError(f"{what} mismatch in leaf {i}: forward mode {a!r}, numeric {e!r}")


def _map_int_leaves(value, fn):
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return fn(value)
    if isinstance(value, tuple | list):
        return type(value)(_map_int_leaves(v, fn) for v in value)
    if isinstance(value, ConstructorValue):
        return ConstructorValue(value.constructor, [_map_int_leaves(v, fn) for v in value.fields])
    return value


def _gradient_as_output(func: Function, mod: IRModule, mode: str, rng) -> Function:
    """The next order's function: the gradient of `func`, weighted by random constants.

    Tensor gradients are projected on fixed random directions (``sum(g * c)``) so that a wrong
    second derivative cannot hide behind a uniform seed; ADT-valued gradients stay whole.
    """
    from .ad import gradient

    params = [Var(p.name_hint, p.checked_type) for p in func.params]
    wrt = _checked(func)
    grads = TupleGetItem(Call(gradient(func, mod=mod, mode=mode, wrt=wrt), params), 1)
    which = range(len(params)) if wrt is None else wrt
    weighted = [
        _project(TupleGetItem(grads, k), params[i].checked_type, rng) for k, i in enumerate(which)
    ]
    return Function(params, Tuple(weighted))


def _project(grad: Expr, ty: Type, rng) -> Expr:
    """``sum(grad * c)`` for a random constant `c` (fieldwise for tuples; others unchanged)."""
    if isinstance(ty, TensorType) and ty.dtype.startswith("float") and None not in ty.shape:
        weights = Constant(rng.standard_normal(ty.shape).astype(ty.dtype))
        return Call(Op.get("sum"), [Call(Op.get("multiply"), [grad, weights])])
    if isinstance(ty, TupleType):
        return Tuple([_project(TupleGetItem(grad, i), f, rng) for i, f in enumerate(ty.fields)])
    return grad


def _inputs(caller: str, func: Function, inputs, mod: IRModule, rng) -> list:
    types = [p.checked_type for p in func.params]
    if inputs is None:
        return [random_value(t, mod, rng) for t in types]
    # Counted here: the executor would count the derived function's parameters instead.
    if isinstance(inputs, np.ndarray | np.generic) or not hasattr(inputs, "__len__"):
        got = f"{type(inputs).__name__} {inputs!r:.60}"
        raise Error(f"{caller}: inputs must be a list with one value per parameter, got {got}")
    if len(inputs) != len(types):
        raise Error(f"{caller}: the function takes {len(types)} input(s), got {len(inputs)}")
    return [_to_float64(v) for v in inputs]


class _Checker:
    def __init__(self, mod, executor, eps, atol, rtol, elementwise, directions, rng):
        self.mod, self.executor = mod, executor
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.elementwise, self.directions, self.rng = elementwise, directions, rng

    def check(self, func: Function, grad_func: Function, values: list) -> None:
        executor = create_executor(self.executor, mod=self.mod)
        run = executor.evaluate(func)
        _, grads = executor.evaluate(grad_func)(*values)
        _assert_finite("gradient", grads)

        def objective(*args) -> float:
            return _leaf_sum(run(*args))

        worst = None
        for direction in self._directions(values):
            plus = _combine(values, direction, self.eps)
            minus = _combine(values, direction, -self.eps)
            numeric = (objective(*plus) - objective(*minus)) / (2 * self.eps)
            analytic = _dot(grads, direction)
            excess = abs(analytic - numeric) - (self.atol + self.rtol * abs(numeric))
            if not excess <= 0 and (worst is None or not excess <= worst[0]):  # NaN fails too
                worst = (excess, direction, analytic, numeric)
        if worst is not None:
            _, direction, analytic, numeric = worst
            raise AssertionError(
                f"gradient mismatch along {_describe_direction(direction)} (the worst one): "
                f"analytic {analytic!r}, numeric {numeric!r}"
            )

    def _directions(self, values: list):
        if not self.elementwise:
            for _ in range(self.directions):
                yield _map_leaves(values, lambda a: self.rng.standard_normal(a.shape))
            return
        leaves = _float_leaves(values)
        for k, leaf in enumerate(leaves):
            for index in np.ndindex(leaf.shape):
                yield _unit_direction(values, k, index)


def _leaf_sum(value) -> float:
    return float(sum(np.sum(leaf, dtype="float64") for leaf in _float_leaves(value)))


def _dot(grads, direction) -> float:
    pairs = zip(_float_leaves(grads), _float_leaves(direction), strict=True)
    return float(sum(np.sum(g * d) for g, d in pairs))


def _combine(values, direction, scale: float):
    step = iter(_float_leaves(direction))
    return _map_leaves(values, lambda a: a + scale * next(step))


def _unit_direction(values, which: int, index):
    counter = iter(range(10**9))

    def unit(a):
        d = np.zeros(a.shape)
        if next(counter) == which:
            d[index] = 1.0
        return d

    return _map_leaves(values, unit)


def _describe_direction(direction) -> str:
    leaves = _float_leaves(direction)
    nonzero = [(i, np.argwhere(d)) for i, d in enumerate(leaves) if np.count_nonzero(d) == 1]
    if len(nonzero) == 1:
        leaf, where = nonzero[0]
        return f"input leaf {leaf}, element {tuple(where[0])}"
    return "a random direction"


def _is_float(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _float_leaves(value) -> list[np.ndarray]:
    leaves: list[np.ndarray] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if _is_float(v):
            leaves.append(v)
        elif isinstance(v, tuple | list):
            stack.extend(reversed(v))
        elif isinstance(v, ConstructorValue):
            stack.extend(reversed(v.fields))
        elif isinstance(v, RefValue):
            stack.append(v.value)
    return leaves


def _map_leaves(value, fn):
    """`value` with `fn` applied to every float array (others kept); order as _float_leaves."""
    if _is_float(value):
        return np.asarray(fn(value), dtype=value.dtype)
    if isinstance(value, tuple | list):
        return type(value)(_map_leaves(v, fn) for v in value)
    if isinstance(value, ConstructorValue):
        return ConstructorValue(value.constructor, [_map_leaves(v, fn) for v in value.fields])
    return value


def _to_float64(value):
    if isinstance(value, float):  # a 0-d array, so that it is a float leaf as arrays are
        return np.asarray(value, dtype="float64")
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind == "f":
        return np.asarray(value, dtype="float64")
    if isinstance(value, tuple | list):
        return type(value)(_to_float64(v) for v in value)
    if isinstance(value, ConstructorValue):
        return ConstructorValue(value.constructor, [_to_float64(v) for v in value.fields])
    return value


def _promote_type(ty: Type | None) -> Type | None:
    if ty is None:
        return None
    if isinstance(ty, TensorType):
        return TensorType(ty.shape, "float64") if ty.dtype.startswith("float") else ty
    return map_children(ty, _promote_type)


class _Promote(ExprMutator):
    """Rewrites float types, constants, dtype attributes and ADT fields to float64."""

    def __init__(self, constructors: dict):
        super().__init__()
        self.constructors = constructors

    def visit_var(self, var: Var) -> Expr:
        return Var(var.name_hint, _promote_type(var.type_annotation))

    def visit_constructor(self, ctor: Constructor) -> Expr:
        return self.constructors.get(id(ctor), ctor)

    def visit_constant(self, const: Constant) -> Expr:
        if const.data.dtype.kind == "f":
            return Constant(const.data.astype("float64"))
        return const

    def visit_function(self, func: Function) -> Expr:
        params = [self.visit(p) for p in func.params]
        body = self.visit(func.body)
        return Function(params, body, _promote_type(func.ret_type), func.type_params)

    def visit_call(self, call: Call) -> Expr:
        new = super().visit_call(call)
        dtype = call.attrs.get("dtype")
        if isinstance(dtype, str) and dtype.startswith("float"):
            return Call(new.op, new.args, call.attrs.with_values(dtype="float64"), span=call.span)
        return new

    def visit_match(self, match: Match) -> Expr:
        clauses = [
            Clause(map_pattern(c.lhs, self.visit, self.visit), self.visit(c.rhs))
            for c in match.clauses
        ]
        return Match(self.visit(match.data), clauses, match.complete)


def _promote_module(mod: IRModule) -> tuple[IRModule, _Promote]:
    """A float64 copy of `mod`, and the rewriter that promotes expressions to match it."""
    out = IRModule()
    constructors: dict[int, Constructor] = {}
    for data in mod.type_definitions.values():
        out.add_type(_promote_data(data, constructors))
    promote = _Promote(constructors)
    for gvar, func in mod.functions.items():
        out[gvar] = promote.visit(func)
    return out, promote


def _promote_data(data: TypeData, constructors: dict) -> TypeData:
    """`data` with float64 fields; unchanged (same constructors) when it has no float fields."""
    promoted = [[_promote_type(t) for t in c.inputs] for c in data.constructors]
    if all(p == list(c.inputs) for p, c in zip(promoted, data.constructors, strict=True)):
        return data
    ctors = []
    for ctor, inputs in zip(data.constructors, promoted, strict=True):
        new = Constructor(ctor.name_hint, inputs, ctor.belong_to, ctor.tag)
        constructors[id(ctor)] = new
        ctors.append(new)
    return TypeData(data.header, data.type_vars, ctors)
