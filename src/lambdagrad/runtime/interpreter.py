"""The reference interpreter: runs every construct of the IR on numpy.

Environments are flat dicts from Var to value, one per function activation; closures capture
only their free variables. Calls in tail position (the last thing a function body, let body,
`if` branch or `match` clause does) reuse the evaluation loop instead of recursing, so
tail-recursive programs such as ``@foldl`` over a long list run in constant Python stack;
other recursion runs under ``deep.run_deep``.
"""

from __future__ import annotations

import numpy as np

from ..deep import run_deep
from ..errors import Error, EvaluationError
from ..ir.expr import (
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
    PatternWildcard,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.visitor import free_vars
from ..ops.registry import op_def
from .convert import to_value
from .values import ConstructorValue, RefValue


class Closure:
    """A function value: a Function node and the values of its free variables.

    Calling it from Python checks the arguments against the parameter types.
    """

    __slots__ = ("func", "captured", "interpreter", "name", "prelude")

    def __init__(
        self,
        func: Function,
        captured: dict,
        interpreter: Interpreter,
        name: str,
        prelude: bool = False,
    ):
        self.func = func
        self.captured = captured
        self.interpreter = interpreter
        self.name = name
        self.prelude = prelude  # a function of the standard prelude (its errors cite prelude.rly)

    def frame(self, args: list, call: Expr | None) -> dict:
        """The environment of a new activation with `args` bound to the parameters."""
        params = self.func.params
        if len(args) != len(params):
            raise EvaluationError(
                f"{self.name} takes {len(params)} argument(s), got {len(args)}{location(call)}"
            )
        env = dict(self.captured)
        env.update(zip(params, args, strict=True))
        return env

    def __call__(self, *args):
        params = self.func.params
        if len(args) != len(params):
            raise EvaluationError(f"{self.name} takes {len(params)} argument(s), got {len(args)}")
        values = [
            to_value(arg, _param_type(p), f"argument {i} (%{p.name_hint}) of {self.name}")
            for i, (arg, p) in enumerate(zip(args, params, strict=True))
        ]
        return run_deep(self.interpreter.apply, self, values, None)

    def __repr__(self) -> str:
        return f"<closure {self.name}>"


def _param_type(param: Var):
    return param.checked_type or param.type_annotation


class ConstructorFunction:
    """A constructor used as a first-class function value."""

    __slots__ = ("constructor",)

    def __init__(self, constructor: Constructor):
        self.constructor = constructor

    def __call__(self, *args):
        return ConstructorValue(self.constructor, args)


class Interpreter:
    """Evaluates expressions in the context of a module's globals."""

    def __init__(self, mod: IRModule):
        self.mod = mod
        self._globals: dict[GlobalVar, Closure] = {}
        self._captures: dict[int, list[Var]] = {}
        # The call by which the program entered a prelude function, while that call runs:
        # an error inside the prelude names the prelude's lines, and this the user's.
        self.prelude_entry: Call | None = None

    def eval(self, expr: Expr, env: dict):
        """The value of `expr` in `env`; tail calls loop instead of recursing."""
        entry = self.prelude_entry  # a tail call into the prelude sets it until we return
        try:
            while True:
                kind = type(expr)
                if kind is Let:
                    expr = self._bind_lets(expr, env)
                elif kind is If:
                    expr = expr.true_branch if self._truth(expr, env) else expr.false_branch
                elif kind is Match:
                    expr = self._select_clause(expr, env)
                elif kind is Call and not isinstance(expr.op, Op | Constructor):
                    callee = self.eval(expr.op, env)
                    args = [self.eval(a, env) for a in expr.args]
                    if not isinstance(callee, Closure):
                        return self._call_foreign(callee, args, expr)
                    if callee.prelude and self.prelude_entry is None:
                        self.prelude_entry = expr
                    env, expr = callee.frame(args, expr), callee.func.body
                else:
                    return self._eval_simple(expr, env)
        except EvaluationError as err:
            cite_prelude_call_site(err, self.prelude_entry)
            raise
        finally:
            self.prelude_entry = entry

    def apply(self, closure: Closure, args: list, call: Expr | None):
        """Run `closure` on argument values."""
        return self.eval(closure.func.body, closure.frame(args, call))

    def _bind_lets(self, expr: Let, env: dict) -> Expr:
        while type(expr) is Let:
            if isinstance(expr.value, Function):
                env[expr.var] = self._closure(expr.value, env, expr.var)
            else:
                env[expr.var] = self.eval(expr.value, env)
            expr = expr.body
        return expr

    def _truth(self, expr: If, env: dict) -> bool:
        cond = self.eval(expr.cond, env)
        if not (isinstance(cond, np.ndarray) and cond.shape == () and cond.dtype == bool):
            message = f"if: the condition must be a bool scalar, got {cond!r}"
            raise EvaluationError(message + location(expr))
        return bool(cond)

    def _select_clause(self, expr: Match, env: dict) -> Expr:
        value = self.eval(expr.data, env)
        for clause in expr.clauses:
            bindings: dict = {}
            if _match(clause.lhs, value, bindings):
                env.update(bindings)
                return clause.rhs
        raise no_match(expr, value)

    def _call_foreign(self, callee, args: list, call: Call):
        """Call a value that is not a closure: a constructor or a Python function."""
        if not callable(callee):
            raise not_callable(callee, call)
        return callee(*args)

    def _eval_simple(self, expr: Expr, env: dict):
        handler = _SIMPLE.get(type(expr))
        if handler is None:
            raise EvaluationError(f"cannot evaluate {type(expr).__name__} {expr}{location(expr)}")
        return handler(self, expr, env)

    def _var(self, expr: Var, env: dict):
        try:
            return env[expr]
        except KeyError:
            raise EvaluationError(f"unbound variable %{expr.name_hint}{location(expr)}") from None

    def _global(self, expr: GlobalVar, env: dict) -> Closure:
        closure = self._globals.get(expr)
        if closure is None:
            try:
                func = self.mod[expr]
            except Error:
                raise EvaluationError(f"unknown global @{expr.name_hint}{location(expr)}") from None
            closure = Closure(func, {}, self, f"@{expr.name_hint}", is_prelude_global(expr, func))
            self._globals[expr] = closure
        return closure

    def _function(self, expr: Function, env: dict) -> Closure:
        return self._closure(expr, env, None)

    def _closure(self, func: Function, env: dict, self_var: Var | None) -> Closure:
        """A closure over `func`'s free variables; `self_var` names it inside itself."""
        captures = self._captures.get(id(func))
        if captures is None:
            captures = self._captures[id(func)] = free_vars(func)
        captured = {v: env[v] for v in captures if v is not self_var and v in env}
        missing = [v for v in captures if v is not self_var and v not in env]
        if missing:
            raise EvaluationError(f"unbound variable %{missing[0].name_hint}{location(func)}")
        name = f"%{self_var.name_hint}" if self_var is not None else "fn"
        closure = Closure(func, captured, self, name)
        if self_var is not None:
            captured[self_var] = closure  # a let-bound function may call itself
        return closure

    def _call_primitive(self, expr: Call, env: dict):
        args = [self.eval(a, env) for a in expr.args]
        if isinstance(expr.op, Constructor):
            return ConstructorValue(expr.op, args)
        return run_op(expr, args)

    def _constant(self, expr: Constant, env: dict):
        return expr.data

    def _tuple(self, expr: Tuple, env: dict) -> tuple:
        return tuple(self.eval(f, env) for f in expr.fields)

    def _tuple_get_item(self, expr: TupleGetItem, env: dict):
        return self.eval(expr.tuple_value, env)[expr.index]

    def _ref_create(self, expr: RefCreate, env: dict) -> RefValue:
        return RefValue(self.eval(expr.value, env))

    def _ref_read(self, expr: RefRead, env: dict):
        return self.eval(expr.ref, env).value

    def _ref_write(self, expr: RefWrite, env: dict) -> tuple:
        ref = self.eval(expr.ref, env)
        ref.value = self.eval(expr.value, env)
        return ()

    def _constructor(self, expr: Constructor, env: dict) -> ConstructorFunction:
        return ConstructorFunction(expr)

    def _op(self, expr: Op, env: dict):
        raise EvaluationError(f"operator {expr.name} can only be called, not used as a value")


_SIMPLE = {
    Var: Interpreter._var,
    GlobalVar: Interpreter._global,
    Function: Interpreter._function,
    Call: Interpreter._call_primitive,
    Constant: Interpreter._constant,
    Tuple: Interpreter._tuple,
    TupleGetItem: Interpreter._tuple_get_item,
    RefCreate: Interpreter._ref_create,
    RefRead: Interpreter._ref_read,
    RefWrite: Interpreter._ref_write,
    Constructor: Interpreter._constructor,
    Op: Interpreter._op,
}


def run_op(call: Call, args: list):
    """Apply the numpy implementation of ``call.op`` to argument values."""
    definition = op_def(call.op)
    if definition.impl is None:
        raise EvaluationError(f"operator {call.op.name} has no implementation{location(call)}")
    try:
        return definition.impl(*args, **call.attrs)
    except OP_ERRORS as err:
        raise op_failure(call, args, err) from None


# What a numpy impl raises on arguments it cannot take (shapes, values, indices).
OP_ERRORS = (ValueError, TypeError, IndexError, ArithmeticError)


def op_failure(call: Call, args, err: Exception) -> EvaluationError:
    """The error for `call` failing with `err` on `args`: the op, the argument shapes, where."""
    shapes = ", ".join(_describe(a) for a in args)
    return EvaluationError(f"{call.op.name}({shapes}) failed: {err}{location(call)}")


def _describe(value) -> str:
    if isinstance(value, np.ndarray | np.generic):  # compiled code keeps 0-d results as scalars
        return f"{value.dtype}{list(np.shape(value))}"
    return type(value).__name__


def not_callable(callee, call: Call) -> EvaluationError:
    """The error for `call` calling `callee`, which is not a function."""
    return EvaluationError(f"cannot call {callee!r}: it is not a function{location(call)}")


def no_match(match: Match, value) -> EvaluationError:
    """The error for a `match` none of whose clauses matches `value`."""
    keyword = "match" if match.complete else "match?"
    return EvaluationError(f"{keyword}: no clause matches the value {value!r}{location(match)}")


def _match(pattern: Pattern, value, bindings: dict) -> bool:
    """Whether `value` matches `pattern`, collecting the variables it binds."""
    match pattern:
        case PatternWildcard():
            return True
        case PatternVar(var=var):
            bindings[var] = value
            return True
        case PatternConstructor(constructor=ctor, patterns=subs):
            return (
                isinstance(value, ConstructorValue)
                and value.constructor.name_hint == ctor.name_hint
                and value.constructor.belong_to == ctor.belong_to
                and all(_match(p, v, bindings) for p, v in zip(subs, value.fields, strict=True))
            )
        case PatternTuple(patterns=subs):
            return all(_match(p, v, bindings) for p, v in zip(subs, value, strict=True))
    return False


def is_prelude_global(gvar: GlobalVar, func: Function) -> bool:
    """Whether global `gvar` is the prelude's own function (same name, same place in
    prelude.rly: a user's function of the same name elsewhere is not)."""
    from ..text.parser import prelude_module

    prelude = prelude_module()
    return gvar.name_hint in prelude and func.span == prelude[gvar.name_hint].span


def cite_prelude_call_site(err: EvaluationError, entry: Call | None) -> None:
    """Add to `err` (once) the user's call that led into the prelude function that failed:
    the error's own location is a line of prelude.rly."""
    if entry is None or getattr(err, "call_site", None) is not None:
        return
    err.call_site = entry
    callee = f"@{entry.op.name_hint}" if isinstance(entry.op, GlobalVar) else "a prelude function"
    message = f"{err.args[0]}\n  in the prelude, reached from the call of {callee}{location(entry)}"
    err.args = (message, *err.args[1:])


def location(expr: Expr | None) -> str:
    """`` (at line L, column C)`` for a node parsed from text, else the empty string."""
    if expr is None or expr.span is None:
        return ""
    return f" (at line {expr.span[0]}, column {expr.span[1]})"
