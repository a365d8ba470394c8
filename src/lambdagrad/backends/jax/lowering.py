"""Lowering by tracing: the IR evaluated on JAX values, so that JAX records the program.

`Lowering` walks the IR like the reference interpreter, but its tensors are JAX arrays (or
tracers under `jax.jit`) and every op runs its JAX rule. What is known while tracing is
decided in Python: closures are Python objects, ADT values are pytrees whose constructors
are known (so `match` picks its clause, and recursion over a list or a tree unrolls), refs
are cells that live while tracing, and an `if` whose condition is concrete takes its branch.
Ops whose arguments are all known while tracing are computed then (constant folding), so a
trip count that the program fixes stays known. An `if` on a traced condition becomes
`lax.cond`; when one of its branches calls the function it is in again in tail position (a
loop whose trip count depends on data), that function becomes a `lax.while_loop`. Recursion
that is not a loop under a traced condition cannot be traced (its depth depends on data):
`NotJittable` says so.
"""

from __future__ import annotations

import copy

import jax
import jax.numpy as jnp
from jax import lax

from ...errors import EvaluationError
from ...ir.expr import (
    Call,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    If,
    Let,
    Match,
    Pattern,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ...ir.module import IRModule
from ...ir.op import Op
from ...ir.types import TensorType, TupleType, Type, is_static_tensor
from ...ir.visitor import free_vars, pre_order
from ...runtime.interpreter import location, no_match
from ...runtime.values import ConstructorValue, RefValue
from .table import rule_for


class NotJittable(EvaluationError):
    """A program that `jax.jit` cannot trace; it still runs op by op on concrete arrays."""


# ADT values are pytrees: their constructors are the static structure, their fields leaves.
jax.tree_util.register_pytree_node(
    ConstructorValue,
    lambda value: (value.fields, value.constructor),
    lambda constructor, fields: ConstructorValue(constructor, fields),
)


class Closure:
    """A function value while tracing: a Function node and the values of its free variables.

    `self_ref` is the expression that names it inside its own body (its global or the
    let-bound variable), so that a loop can be recognised.
    """

    __slots__ = ("func", "captured", "lowering", "name", "self_ref")

    def __init__(self, func: Function, captured: dict, lowering, name: str, self_ref=None):
        self.func, self.captured, self.lowering = func, captured, lowering
        self.name, self.self_ref = name, self_ref

    def frame(self, args: list, call: Expr | None) -> dict:
        params = self.func.params
        if len(args) != len(params):
            count = f"{len(params)} argument(s), got {len(args)}"
            raise EvaluationError(f"{self.name} takes {count}{location(call)}")
        env = dict(self.captured)
        env.update(zip(params, args, strict=True))
        return env

    def __call__(self, *args):
        return self.lowering.apply(self, list(args))

    def __repr__(self) -> str:
        return f"<jax closure {self.name}>"


class Step:
    """What one pass through a loop's body gives: call again with `args`, or `value`."""

    __slots__ = ("again", "args", "value")

    def __init__(self, again, args=None, value=None):
        self.again, self.args, self.value = again, args, value


class Lowering:
    """Evaluates expressions of a typed module on JAX values."""

    def __init__(self, mod: IRModule):
        self.mod = mod
        self._globals: dict[GlobalVar, Closure] = {}
        self._captures: dict[int, list[Var]] = {}
        self._traced_depth = 0  # how many traced branches or loop bodies enclose the work
        self._active: dict[int, int] = {}  # id(Function) -> traced depth of its activation
        self._cells: list[set[int]] = []  # per enclosing traced scope, the refs made in it

    def apply(self, closure: Closure, args: list):
        """Run `closure` on argument values."""
        return self.eval(closure.func.body, closure.frame(args, None), current=(closure, args))

    def eval(self, expr: Expr, env: dict, loop=None, current=None):
        """The value of `expr` in `env`; tail calls loop instead of recursing.

        `current` is the closure whose body this is, with its arguments; `loop` is set when
        lowering one pass of a while loop's body, whose tail positions then give a `Step`.
        """
        entered: list = []
        try:
            while True:
                kind = type(expr)
                if kind is Let:
                    expr = self._bind_lets(expr, env)
                elif kind is If:
                    decided = self._truth(expr, env)
                    if not isinstance(decided, bool):
                        return self._traced_if(expr, env, decided, loop, current)
                    expr = expr.true_branch if decided else expr.false_branch
                elif kind is Match:
                    expr = self._select_clause(expr, env)
                elif kind is Call and not isinstance(expr.op, Op | Constructor):
                    callee = self.eval(expr.op, env)
                    args = [self.eval(a, env) for a in expr.args]
                    if not isinstance(callee, Closure):
                        return self._done(loop, self._call_foreign(callee, args, expr))
                    if loop is not None and callee is loop.closure:
                        return Step(True, args)
                    self._enter(callee, entered)
                    env, expr, current = callee.frame(args, expr), callee.func.body, (callee, args)
                else:
                    return self._done(loop, self._eval_simple(expr, env))
        finally:
            for func_id, depth in reversed(entered):
                if depth is None:
                    self._active.pop(func_id, None)
                else:
                    self._active[func_id] = depth

    @staticmethod
    def _done(loop, value):
        return value if loop is None else Step(False, value=value)

    def _enter(self, closure: Closure, entered: list) -> None:
        """Note that `closure` runs; recursion that a traced condition decides is an error."""
        func_id = id(closure.func)
        depth = self._active.get(func_id)
        if depth is not None and depth < self._traced_depth:
            raise NotJittable(
                f"{closure.name} calls itself under an `if` on a traced value, not as a loop "
                "(a tail call): how deep it recurses depends on the data, which jax.jit "
                "cannot trace"
            )
        entered.append((func_id, depth))
        self._active[func_id] = self._traced_depth

    def _bind_lets(self, expr: Let, env: dict) -> Expr:
        while type(expr) is Let:
            if isinstance(expr.value, Function):
                env[expr.var] = self._closure(expr.value, env, expr.var)
            else:
                env[expr.var] = self.eval(expr.value, env)
            expr = expr.body
        return expr

    # ---- if: decided while tracing, or lax.cond, or a while loop

    def _truth(self, expr: If, env: dict):
        """The condition as a Python bool if it is known while tracing, else the tracer."""
        cond = self.eval(expr.cond, env)
        if getattr(cond, "shape", None) != () or getattr(cond, "dtype", None) != jnp.bool_:
            message = f"if: the condition must be a bool scalar, got {describe(cond)}"
            raise EvaluationError(message + location(expr))
        try:
            return bool(cond)
        except jax.errors.ConcretizationTypeError:
            return cond

    def _traced_if(self, expr: If, env: dict, cond, loop, current):
        if loop is not None:
            return self._loop_branches(expr, env, cond, loop)
        if current is not None and calls_back(expr, current[0]):
            return self._while_loop(*current)
        branches = [
            lambda: self.eval(expr.true_branch, dict(env)),
            lambda: self.eval(expr.false_branch, dict(env)),
        ]
        return self._traced(lambda: lax.cond(cond, *branches), f"if{location(expr)}")

    def _traced(self, trace, what: str):
        """Run `trace` (which traces sub-functions for JAX) as a traced scope of `what`."""
        self._traced_depth += 1
        self._cells.append(set())
        try:
            return trace()
        except TypeError as err:  # JAX refuses a value: a closure, or branches that differ
            raise NotJittable(
                f"{what} on a traced value must give arrays of one structure, shape and "
                f"dtype whichever way it goes: {err}"
            ) from None
        finally:
            self._cells.pop()
            self._traced_depth -= 1

    def _loop_branches(self, expr: If, env: dict, cond, loop):
        """An `if` inside a loop's body: both ways as the loop's carry, picked by lax.cond."""
        branches = [
            lambda: loop.carry(self.eval(expr.true_branch, dict(env), loop)),
            lambda: loop.carry(self.eval(expr.false_branch, dict(env), loop)),
        ]
        again, arrays, value = self._traced(
            lambda: lax.cond(cond, *branches), f"if{location(expr)}"
        )
        return Step(again, loop.args_of(arrays), value)

    def _while_loop(self, closure: Closure, args: list):
        """`closure`, which calls itself in tail position under a traced condition, applied
        to `args` as a `lax.while_loop` whose carry is its array arguments and result."""
        start = Loop(closure, args)

        def body(carry):
            _, arrays, value = carry
            loop = start.at(arrays, value)
            env = closure.frame(loop.args_of(arrays), None)
            step = self.eval(closure.func.body, env, loop)
            return loop.carry(step)

        def trace():
            initial = (jnp.asarray(True), start.arrays, start.value)
            return lax.while_loop(lambda carry: carry[0], body, initial)

        return self._traced(trace, f"the loop {closure.name}")[2]

    # ---- match, calls, simple nodes

    def _select_clause(self, expr: Match, env: dict) -> Expr:
        value = self.eval(expr.data, env)
        for clause in expr.clauses:
            bindings: dict = {}
            if matches(clause.lhs, value, bindings):
                env.update(bindings)
                return clause.rhs
        raise no_match(expr, value)

    def _call_foreign(self, callee, args: list, call: Call):
        if not callable(callee):
            raise EvaluationError(f"cannot call {callee!r}: it is not a function{location(call)}")
        return callee(*args)

    def _eval_simple(self, expr: Expr, env: dict):
        handler = SIMPLE.get(type(expr))
        if handler is None:
            raise EvaluationError(f"cannot lower {type(expr).__name__} {expr}{location(expr)}")
        return handler(self, expr, env)

    def _var(self, expr: Var, env: dict):
        try:
            return env[expr]
        except KeyError:
            raise EvaluationError(f"unbound variable %{expr.name_hint}{location(expr)}") from None

    def _global(self, expr: GlobalVar, env: dict) -> Closure:
        closure = self._globals.get(expr)
        if closure is None:
            if expr not in self.mod.functions:
                raise EvaluationError(f"unknown global @{expr.name_hint}{location(expr)}")
            closure = Closure(self.mod[expr], {}, self, f"@{expr.name_hint}", expr)
            self._globals[expr] = closure
        return closure

    def _function(self, expr: Function, env: dict) -> Closure:
        return self._closure(expr, env, None)

    def _closure(self, func: Function, env: dict, self_var: Var | None) -> Closure:
        captures = self._captures.get(id(func))
        if captures is None:
            captures = self._captures[id(func)] = free_vars(func)
        missing = [v for v in captures if v is not self_var and v not in env]
        if missing:
            raise EvaluationError(f"unbound variable %{missing[0].name_hint}{location(func)}")
        captured = {v: env[v] for v in captures if v is not self_var}
        name = f"%{self_var.name_hint}" if self_var is not None else "fn"
        closure = Closure(func, captured, self, name, self_var)
        if self_var is not None:
            captured[self_var] = closure  # a let-bound function may call itself
        return closure

    def _call_primitive(self, expr: Call, env: dict):
        args = [self.eval(a, env) for a in expr.args]
        if isinstance(expr.op, Constructor):
            return ConstructorValue(expr.op, args)
        try:
            if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(args)):
                return rule_for(expr.op)(expr.attrs, *args)
            with jax.ensure_compile_time_eval():  # known while tracing: folded, not staged
                return rule_for(expr.op)(expr.attrs, *args)
        except (TypeError, ValueError, IndexError, ArithmeticError) as err:
            shapes = ", ".join(map(describe, args))
            message = f"{expr.op.name}({shapes}) failed: {err}{location(expr)}"
            raise EvaluationError(message) from None

    def _constant(self, expr: Constant, env: dict):
        with jax.ensure_compile_time_eval():
            return jnp.asarray(expr.data)

    def _tuple(self, expr: Tuple, env: dict) -> tuple:
        return tuple(self.eval(f, env) for f in expr.fields)

    def _tuple_get_item(self, expr: TupleGetItem, env: dict):
        return self.eval(expr.tuple_value, env)[expr.index]

    def _ref_create(self, expr: RefCreate, env: dict) -> RefValue:
        cell = RefValue(self.eval(expr.value, env))
        if self._cells:
            self._cells[-1].add(id(cell))
        return cell

    def _ref_read(self, expr: RefRead, env: dict):
        return self.eval(expr.ref, env).value

    def _ref_write(self, expr: RefWrite, env: dict) -> tuple:
        cell = self.eval(expr.ref, env)
        if self._cells and id(cell) not in self._cells[-1]:
            raise NotJittable(
                f"ref_write{location(expr)} writes, under an `if` or loop on a traced value, a "
                "ref made outside it: jax.jit cannot carry the write out (lg.transform.optimize "
                "removes a gradient's refs where its control flow is known while tracing)"
            )
        cell.value = self.eval(expr.value, env)
        return ()

    def _constructor(self, expr: Constructor, env: dict):
        return lambda *fields: ConstructorValue(expr, fields)

    def _op(self, expr: Op, env: dict):
        raise EvaluationError(f"operator {expr.name} can only be called, not used as a value")


SIMPLE = {
    Var: Lowering._var,
    GlobalVar: Lowering._global,
    Function: Lowering._function,
    Call: Lowering._call_primitive,
    Constant: Lowering._constant,
    Tuple: Lowering._tuple,
    TupleGetItem: Lowering._tuple_get_item,
    RefCreate: Lowering._ref_create,
    RefRead: Lowering._ref_read,
    RefWrite: Lowering._ref_write,
    Constructor: Lowering._constructor,
    Op: Lowering._op,
}


class Loop:
    """The carry of a while loop over `closure`: its array arguments and its result so far.

    The other arguments (functions, and the structure of ADT values) must stay the same
    from one pass to the next, since JAX carries arrays only.
    """

    def __init__(self, closure: Closure, args: list):
        self.closure = closure
        leaves, self.structure = jax.tree.flatten(args)
        self.kept = [None if is_array(x) else x for x in leaves]
        self.arrays = [jnp.asarray(x) for x in leaves if is_array(x)]
        self.value = zeros_of(closure.func.checked_type.ret_type, closure)

    def at(self, arrays, value) -> Loop:
        """The same loop with the carry's current arrays and value."""
        loop = copy.copy(self)
        loop.arrays, loop.value = arrays, value
        return loop

    def args_of(self, arrays) -> list:
        found = iter(arrays)
        leaves = [next(found) if k is None else k for k in self.kept]
        return jax.tree.unflatten(self.structure, leaves)

    def carry(self, step) -> tuple:
        """`step` (a `Step`, or a value the body gave in a traced branch) as the carry."""
        if not isinstance(step, Step):
            step = Step(False, value=step)
        if isinstance(step.again, bool) and not step.again:
            return jnp.asarray(False), self.arrays, self._like_value(step.value)
        if isinstance(step.again, bool):
            return jnp.asarray(True), self._arrays_of(step.args), self.value
        return jnp.asarray(step.again), self._arrays_of(step.args), step.value

    def _arrays_of(self, args: list) -> list:
        leaves, structure = jax.tree.flatten(args)
        kept = [None if is_array(x) else x for x in leaves]
        same = structure == self.structure and all(
            a is b for a, b in zip(kept, self.kept, strict=True)
        )
        if not same:
            raise NotJittable(
                f"{self.closure.name} loops under an `if` on a traced value but changes an "
                "argument that is not an array (a function, or the shape of an ADT value): "
                "jax.jit can carry only arrays from one pass to the next"
            )
        arrays = [x for x in leaves if is_array(x)]
        return [jnp.asarray(a, b.dtype) for a, b in zip(arrays, self.arrays, strict=True)]

    def _like_value(self, value):
        return jax.tree.map(lambda v, t: jnp.asarray(v, t.dtype), value, self.value)


def is_array(value) -> bool:
    return isinstance(value, jax.Array) or hasattr(value, "__array__")


def zeros_of(ty: Type, closure: Closure):
    """Zeros of a loop's result type, as the carry's initial result (needs static shapes)."""
    if isinstance(ty, TupleType):
        return tuple(zeros_of(t, closure) for t in ty.fields)
    if isinstance(ty, TensorType) and is_static_tensor(ty):
        return jnp.zeros(ty.shape, ty.dtype)
    raise NotJittable(
        f"{closure.name} loops under an `if` on a traced value and returns {ty}: a while loop "
        "can carry only tensors and tuples of tensors of known shapes"
    )


def calls_back(expr: If, closure: Closure) -> bool:
    """Whether a branch of `expr` calls `closure` by its own name."""
    ref = closure.self_ref
    return ref is not None and any(
        isinstance(node, Call) and node.op is ref
        for branch in (expr.true_branch, expr.false_branch)
        for node in pre_order(branch)
    )


def matches(pattern: Pattern, value, bindings: dict) -> bool:
    """Whether `value` matches `pattern`, collecting the variables it binds."""
    if isinstance(pattern, PatternVar):
        bindings[pattern.var] = value
        return True
    if isinstance(pattern, PatternConstructor):
        ctor = pattern.constructor
        return (
            isinstance(value, ConstructorValue)
            and value.constructor.name_hint == ctor.name_hint
            and value.constructor.belong_to == ctor.belong_to
            and all(map(lambda p, v: matches(p, v, bindings), pattern.patterns, value.fields))
        )
    if isinstance(pattern, PatternTuple):
        return all(matches(p, v, bindings) for p, v in zip(pattern.patterns, value, strict=True))
    return True  # a wildcard


def describe(value) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{value.dtype}{list(value.shape)}"
    return type(value).__name__
