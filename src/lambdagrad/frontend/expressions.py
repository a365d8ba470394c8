"""Python expressions to IR: names, numbers, operators, calls, attributes, subscripts,
closures. Statements build on this (translate.py)."""

from __future__ import annotations

import ast
import builtins
import inspect
import operator

import numpy as np

from ..errors import Error
from ..ir import (
    Call,
    Constant,
    Constructor,
    Expr,
    Function,
    FuncType,
    GlobalVar,
    If,
    IncompleteType,
    TensorType,
    Tuple,
    TupleGetItem,
    TupleType,
    Type,
    TypeCall,
    TypeVar,
    Var,
)
from ..ir.visitor import free_vars
from ..ops import make_call
from ..ops.builders import OpNamespace
from ..typing import infer_type
from ..typing.unify import substitute, type_children
from . import arrays, staging
from .adts import ConstructorHandle, ListADT, definition_of
from .dicts import field, index_of_key, keyed, layout_in
from .errors import UnknownTypeError
from .values import (
    ArrayFunction,
    Deferred,
    DictMethod,
    Keyed,
    Layout,
    Method,
    OpBuilder,
    Pack,
    PendingClosure,
    Static,
    constant_of,
    is_number,
    literal,
    wider_kind,
)

BINARY_OPS = {
    ast.Add: "add",
    ast.Sub: "subtract",
    ast.Mult: "multiply",
    ast.Div: "divide",
    ast.Pow: "power",
    ast.FloorDiv: "floor_divide",
    ast.Mod: "floor_mod",
    ast.BitAnd: "logical_and",
    ast.BitOr: "logical_or",
    ast.Lt: "less",
    ast.LtE: "less_equal",
    ast.Gt: "greater",
    ast.GtE: "greater_equal",
    ast.Eq: "equal",
    ast.NotEq: "not_equal",
}
PYTHON_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.MatMult: operator.matmul,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
UNSUPPORTED_EXPRESSIONS = {
    ast.SetComp: "a set comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Yield: "yield (a generator)",
    ast.YieldFrom: "yield from (a generator)",
    ast.Await: "await",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.Starred: "a starred expression",
}
# Python builtins a jitted function may call, as array functions.
BUILTIN_FUNCTIONS = {abs: "abs", max: "maximum", min: "minimum"}
# Builtins computed at translation when every argument is a Python value.
PURE_BUILTINS = frozenset({abs, max, min, len, float, int, round, sum, pow, divmod, bool})


def substitute_adt_fields(ctor: Constructor, ty: TypeCall | None) -> list[Type | None]:
    """The field types of `ctor` in a value of type `ty` (None where not known)."""
    data = definition_of(ctor)
    if ty is None or data is None:
        return [None] * len(ctor.inputs)
    mapping = dict(zip(data.type_vars, ty.args, strict=True))
    return [substitute(t, mapping) for t in ctor.inputs]


class ExpressionTranslator:
    """Expressions of one Python function; `blocks` collects the lets being emitted."""

    def __init__(self, program, source, function):
        self.program = program
        self.source = source
        self.function = function
        self.blocks: list[list[tuple[Var, Expr]]] = []
        self.closure_values = _closure_values(function)
        # Variables holding Python numbers (merged from branches, or loop parameters that
        # started as one), and the dtype an op wanted them in.
        self.weak_vars: set[Var] = set()
        self.weak_wanted: dict[Var, Type] = {}

    # ---- bookkeeping

    def span(self, node) -> tuple[int, int] | None:
        line = getattr(node, "lineno", None)
        return None if line is None else (line, node.col_offset + 1)

    def emit(self, expr: Expr, hint: str, ty: Type | None = None) -> Expr:
        """Bind `expr` to a new let variable, typed `ty` or by its type when known; atoms
        stay as they are."""
        if isinstance(expr, Var | Constant | GlobalVar | Constructor):
            return expr
        ty = ty or self.type_of(expr)
        var = Var(hint, ty if self.concrete(ty) else None)
        self.blocks[-1].append((var, expr))
        return var

    def type_of(self, expr: Expr) -> Type | None:
        """The type of `expr` if it can be known now (its free variables are typed)."""
        if isinstance(expr, Keyed):
            expr = expr.expr
        if isinstance(expr, Var):
            return expr.type_annotation
        if isinstance(expr, Constant):
            return TensorType(expr.data.shape, expr.data.dtype.name)
        if any(v.type_annotation is None for v in free_vars(expr)):
            return None  # inference would default what it cannot tell
        try:
            typed = infer_type(expr, mod=self.program.known_module())
        except Error:
            return None
        return typed.checked_type if self.concrete(typed.checked_type) else None

    @staticmethod
    def concrete(ty) -> bool:
        """Whether `ty` is fully known (no unification or type variables left)."""
        if ty is None or isinstance(ty, IncompleteType | TypeVar):
            return False
        return all(ExpressionTranslator.concrete(c) for c in type_children(ty))

    def lookup(self, name: str, env: dict, node):
        if name in env:
            return env[name]
        for scope in (self.closure_values, self.function.__globals__):
            if name in scope:
                return Static(scope[name])
        if hasattr(builtins, name):
            return Static(getattr(builtins, name))
        raise self.source.error(node, f"name {name!r} is not defined")

    def materialize(self, value, node, hint: Type | None = None) -> Expr:
        """`value` as an IR expression (`hint`: the type a Python number should take)."""
        value = self.program_value(value, node)
        if isinstance(value, Keyed):
            return value.expr
        if not isinstance(value, Static):
            return self._fit(value, hint, node)
        if isinstance(value.value, PendingClosure):
            return self.closure_for(value.value, None)[0]
        found = constant_of(value.value, hint)
        if found is None:
            raise self.source.error(
                node, f"the Python value {_short(value.value)} cannot be used as a program value"
            )
        return found

    def _fit(self, value: Expr, hint: Type | None, node) -> Expr:
        """`value` cast to the dtype of `hint` when only the dtypes differ (a variable
        whose paths promote to one dtype)."""
        ty = self.type_of(value) if isinstance(hint, TensorType) else None
        if not isinstance(ty, TensorType) or ty.shape != hint.shape or ty.dtype == hint.dtype:
            return value
        return make_call("cast", [value], {"dtype": hint.dtype}, span=self.span(node))

    def number_like(self, value, like: Expr | None, node) -> Expr:
        """A Python number next to `like` takes its dtype (weak typing, as in JAX)."""
        if isinstance(value, Static) and is_number(value.value):
            like_type = self.type_of(like) if like is not None else None
            return literal(value.value, like_type, like, self.span(node))
        return self.materialize(value, node)

    # ---- expressions

    def expr(self, node, env: dict):
        """The IR expression (or Static) of a Python expression."""
        handler = self.EXPRESSIONS.get(type(node))
        if handler is None:
            what = UNSUPPORTED_EXPRESSIONS.get(type(node), f"a {type(node).__name__} expression")
            raise self.source.error(node, f"lg.jit cannot translate {what}")
        return handler(self, node, env)

    def _constant(self, node, env):
        return Static(node.value)

    def _name(self, node, env):
        return self.lookup(node.id, env, node)

    def _tuple(self, node, env):
        items = [self.expr(e, env) for e in node.elts]
        if all(isinstance(i, Static) for i in items):
            return Static(tuple(i.value for i in items))
        return self.tuple_value(items, node)

    def tuple_value(self, items: list, node):
        """A tuple of translated values in the program (kept with its layout when dicts
        are inside)."""
        items = [self.program_value(i, node) for i in items]
        expr = Tuple([self.materialize(i, node) for i in items], span=self.span(node))
        fields = tuple(layout_in(i) for i in items)
        return keyed(expr, Layout(None, fields) if any(f is not None for f in fields) else None)

    # ---- dicts (tuples in the IR, in key order; the keys are known here)

    def _dict(self, node, env):
        if None in node.keys:
            raise self.source.error(node, "lg.jit cannot translate ** in a dict display")
        items = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            key = self.expr(key_node, env)
            if not (isinstance(key, Static) and isinstance(key.value, str)):
                raise self.source.error(
                    key_node, "the keys of a dict in a jitted function are constant strings"
                )
            items[key.value] = self.expr(value_node, env)
        if all(isinstance(v, Static) for v in items.values()):
            return Static({k: v.value for k, v in items.items()})
        return self.dict_value(items, node)

    def dict_value(self, items: dict, node) -> Keyed:
        """A dict of translated values in the program: a tuple in key order."""
        keys = tuple(sorted(items))
        values = [self.program_value(items[k], node) for k in keys]
        expr = Tuple([self.materialize(v, node) for v in values], span=self.span(node))
        return Keyed(expr, Layout(keys, tuple(layout_in(v) for v in values)))

    def program_value(self, value, node):
        """`value` where the program needs a value: a Python dict (as ``{"a": 1.0}``) as
        the program's dict, the values of ``p.values()`` (a `Pack`) as a tuple."""
        if isinstance(value, Pack):
            return self.tuple_value(value.items, node)
        if not (isinstance(value, Static) and isinstance(value.value, dict)):
            return value
        bad = [k for k in value.value if not isinstance(k, str)]
        if bad:
            raise self.source.error(
                node, f"a dict in the program needs string keys, this one has {bad[0]!r}"
            )
        return self.dict_value({k: Static(v) for k, v in value.value.items()}, node)

    def _keyed_subscript(self, base: Keyed, index, node):
        """``p["w"]`` on a dict of the program, ``t[0]`` on a tuple holding dicts."""
        span = self.span(node)
        if base.layout.keys is None:
            count = len(base.layout.fields)
            if not (isinstance(index, Static) and _is_int(index.value)):
                raise self.source.error(node, "a tuple index must be a Python int")
            if not -count <= index.value < count:
                raise self.source.error(node, f"tuple index {index.value} out of range")
            return field(base, index.value % count, span)
        if not (isinstance(index, Static) and isinstance(index.value, str)):
            keys = ", ".join(map(repr, base.layout.keys)) or "none"
            raise self.source.error(
                node,
                f"a dict is indexed by a constant string in a jitted function (its keys: {keys})",
            )
        return field(base, index_of_key(base, index.value, self.source, node), span)

    def _python_dict_item(self, mapping: dict, key, node) -> Static:
        """An item of a dict known here (a global, a display of Python values)."""
        try:
            return Static(mapping[key])
        except (KeyError, TypeError):  # TypeError: an unhashable key
            keys = ", ".join(map(repr, mapping)) or "none"
            raise self.source.error(
                node, f"the dict has no key {_short(key)} (its keys: {keys})"
            ) from None

    def _dict_method(self, method: DictMethod, args, kwargs, node):
        """``p.keys()`` (Python's strings), ``p.values()`` and ``p.items()`` (the program's
        values, one per key, to loop over, unpack or zip)."""
        if args or kwargs:
            raise self.source.error(node, f"dict.{method.name}() takes no arguments")
        target, span = method.target, self.span(node)
        keys = target.layout.keys
        if method.name == "keys":
            return Static(keys)
        values = [field(target, i, span) for i in range(len(keys))]
        if method.name == "values":
            return Pack(values)
        return Pack([Pack([Static(k), v]) for k, v in zip(keys, values, strict=True)])

    def _keyed_attribute(self, base: Keyed, name: str, node):
        if base.layout.keys is not None and name in ("items", "keys", "values"):
            return Static(DictMethod(name, base))
        what = "a dict (it has .items(), .keys() and .values())"
        if base.layout.keys is None:
            what = "a tuple"
        raise self.source.error(node, f"lg.jit cannot translate the attribute .{name} of {what}")

    def _binop(self, node, env):
        return self.binary(node.op, self.expr(node.left, env), self.expr(node.right, env), node)

    def binary(self, op, left, right, node):
        """`left op right`: evaluated now for two Python values, else an op call."""
        if isinstance(left, Static) and isinstance(right, Static):
            return self._python(PYTHON_OPS.get(type(op)), left.value, right.value, node)
        a = self.number_like(left, None if isinstance(right, Static) else right, node)
        b = self.number_like(right, a, node)
        a, b = self._weak_cast(a, b), self._weak_cast(b, a)
        if isinstance(op, ast.MatMult):
            return self._matmul(*self.promote("multiply", [a, b], node), node)
        name = BINARY_OPS.get(type(op))
        if name is None:
            raise self.source.error(
                node, f"lg.jit cannot translate the operator {type(op).__name__}"
            )
        return make_call(name, self.promote(name, [a, b], node), span=self.span(node))

    def promote(self, op: str, exprs: list[Expr], node) -> list[Expr]:
        """numpy's dtype promotion where the operands' types are known: operands of another
        dtype are cast (to float64 for ints and bools in float functions and division)."""
        types = [self.type_of(e) for e in exprs]
        if not all(isinstance(t, TensorType) for t in types):
            return exprs
        target = arrays.promoted_dtype(op, [t.dtype for t in types])
        span = self.span(node)
        return [
            e if t.dtype == target else make_call("cast", [e], {"dtype": target}, span=span)
            for e, t in zip(exprs, types, strict=True)
        ]

    def _weak_cast(self, weak: Expr, other: Expr) -> Expr:
        """A variable holding a Python number meets another dtype: it takes that dtype.

        The dtype is noted too, so that a loop carrying the variable can be translated
        again with it."""
        if weak not in self.weak_vars:
            return weak
        a, b = self.type_of(weak), self.type_of(other)
        if not (isinstance(a, TensorType) and isinstance(b, TensorType) and a.dtype != b.dtype):
            return weak
        if wider_kind(a.dtype, b.dtype):  # a float next to ints: the ints promote instead
            return weak
        self.weak_wanted.setdefault(weak, TensorType(a.shape, b.dtype))
        return make_call("cast", [weak], {"dtype": b.dtype})

    def _python(self, function, *args_and_node):
        *args, node = args_and_node
        if function is None:
            raise self.source.error(node, "lg.jit cannot translate this operator")
        try:
            return Static(function(*args))
        except Exception as err:  # the user's own Python arithmetic failed
            raise self.source.error(node, f"evaluating Python values failed: {err}") from None

    def _matmul(self, a: Expr, b: Expr, node) -> Expr:
        types = self.type_of(a), self.type_of(b)
        if not arrays.ranks_known(*types):
            raise self.source.error(
                node, "matrix product: the operands' ranks are not known here", UnknownTypeError
            )
        try:
            return arrays.matmul(a, b, *types, self.span(node))
        except ValueError as err:
            raise self.source.error(node, f"matrix product: {err}") from None

    def _unaryop(self, node, env):
        operand = self.expr(node.operand, env)
        if isinstance(node.op, ast.Not):
            operand = self.truth(operand, node)
        if isinstance(operand, Static):
            python = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
            return self._python(python.get(type(node.op)), operand.value, node)
        if isinstance(node.op, ast.UAdd):
            return operand
        name = "negative" if isinstance(node.op, ast.USub) else "logical_not"
        return make_call(name, [self.materialize(operand, node)], span=self.span(node))

    def _boolop(self, node, env):
        result = self.truth(self.expr(node.values[0], env), node)
        for value_node in node.values[1:]:
            if isinstance(result, Static):  # short-circuit at translation time
                if bool(result.value) == isinstance(node.op, ast.Or):
                    return result
                result = self.truth(self.expr(value_node, env), node)
                continue
            right = self.materialize(self.truth(self.expr(value_node, env), node), node)
            name = "logical_and" if isinstance(node.op, ast.And) else "logical_or"
            result = make_call(name, [result, right], span=self.span(node))
        return result

    def _compare(self, node, env):
        left = self.expr(node.left, env)
        result = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.expr(right_node, env)
            if isinstance(op, ast.In | ast.NotIn) and isinstance(right, Keyed | Pack):
                right = self._membership_target(right, node)
            if isinstance(op, ast.Is | ast.IsNot | ast.In | ast.NotIn) and not (
                isinstance(left, Static) and isinstance(right, Static)
            ):
                raise self.source.error(node, f"the operator {type(op).__name__} on program values")
            test = self.binary(op, left, right, node)
            result = test if result is None else self._and(result, test, node)
            left = right
        return result

    def _membership_target(self, value, node) -> Static:
        """What ``in`` looks in, known here: a dict's keys (or a tuple of Python values)."""
        if isinstance(value, Keyed) and value.layout.keys is not None:
            return Static(value.layout.keys)
        if isinstance(value, Pack) and all(isinstance(i, Static) for i in value.items):
            return Static(tuple(i.value for i in value.items))
        raise self.source.error(node, "the operator In on program values")

    def _and(self, a, b, node):
        if isinstance(a, Static) and isinstance(b, Static):
            return Static(a.value and b.value)
        a, b = self.materialize(a, node), self.materialize(b, node)
        return make_call("logical_and", [a, b], span=self.span(node))

    def truth(self, value, node):
        """A bool scalar (or a Python bool) for a value used as a condition."""
        if isinstance(value, Static):
            return Static(bool(value.value))
        ty = self.type_of(value)
        if ty is None or ty == TensorType((), "bool"):
            return value
        if isinstance(ty, TensorType) and ty.ndim == 0:
            return make_call("not_equal", [value, literal(0, ty, value)], span=self.span(node))
        raise self.source.error(
            node, f"the truth value of a {ty} is ambiguous (use lnp.any/all or a comparison)"
        )

    def condition(self, node, env):
        return self.truth(self.expr(node, env), node)

    def _ifexp(self, node, env):
        cond = self.condition(node.test, env)
        if isinstance(cond, Static):
            return self.expr(node.body if cond.value else node.orelse, env)
        body, orelse = self.expr(node.body, env), self.expr(node.orelse, env)
        body, orelse = (self.program_value(v, node) for v in (body, orelse))
        if isinstance(body, Keyed) or isinstance(orelse, Keyed):
            return self._keyed_ifexp(cond, body, orelse, node)
        a = self.number_like(body, None if isinstance(orelse, Static) else orelse, node)
        b = self.number_like(orelse, a, node)
        return If(cond, *self.promote("where", [a, b], node), span=self.span(node))

    def _keyed_ifexp(self, cond, body, orelse, node) -> Keyed:
        """``a if c else b`` on values holding dicts: both hold dicts with the same keys."""
        if layout_in(body) != layout_in(orelse):
            raise self.source.error(
                node, "the two sides of an if-expression hold dicts with other keys (or a tuple)"
            )
        then, other = self.materialize(body, node), self.materialize(orelse, node)
        return Keyed(If(cond, then, other, span=self.span(node)), body.layout)

    def _lambda(self, node, env):
        return self.closure(node, env, "lambda")

    def closure(self, node, env: dict, name: str) -> Static:
        """A nested def or lambda, capturing the current values (by value); translated
        when called (see `PendingClosure`)."""
        parameter_names(node, self.source)  # rejects what cannot be translated, now
        site = Deferred()
        self.blocks[-1].append(site)
        return Static(PendingClosure(node, dict(env), name, site))

    def closure_for(self, pending: PendingClosure, types: tuple | None, layouts=None):
        """The closure of `pending` for argument `types` (None: unknown) whose dicts have the
        keys `layouts` tell, its result type (None if unknown) and where its result holds
        dicts; translated on first request."""
        if (types, layouts) in pending.specs:
            return pending.specs[types, layouts]
        node = pending.node
        names = parameter_names(node, self.source)
        params = [Var(n, t) for n, t in zip(names, types or [None] * len(names), strict=True)]
        var = Var(pending.name)
        pending.specs[types, layouts] = (var, None, None)
        args = zip(params, layouts or [None] * len(params), strict=True)
        inner = pending.env | {p.name_hint: keyed(p, layout) for p, layout in args}
        if isinstance(node, ast.FunctionDef):
            inner[pending.name] = Static(pending)  # a nested def may call itself
            stmts = node.body
        else:
            stmts = [ast.copy_location(ast.Return(value=node.body), node.body)]
        body, result_layout = self.function_body(stmts, inner, node)
        function = Function(params, body, span=self.span(node))
        pending.site.bindings.append((var, function))
        ty = self.type_of(function) if types is not None else None
        result = ty.ret_type if isinstance(ty, FuncType) else None
        pending.specs[types, layouts] = (var, result, result_layout)
        return pending.specs[types, layouts]

    def _call_closure(self, pending: PendingClosure, args, kwargs, node):
        if kwargs:
            raise self.source.error(node, "keyword arguments to a nested function")
        args = [self.program_value(a, node) for a in args]
        values = [self.materialize(a, node) for a in args]
        types = tuple(self.type_of(v) for v in values)
        layouts = tuple(layout_in(a) for a in args)
        known = None if None in types else types
        var, result, layout = self.closure_for(pending, known, layouts)
        call = self.emit(Call(var, values, span=self.span(node)), pending.name, result)
        return keyed(call, layout)

    def fell_off(self, node):
        def end(env):
            raise self.source.error(node, "the function can reach its end without a return")

        return end

    # ---- attributes and subscripts

    def _attribute(self, node, env):
        base = self.expr(node.value, env)
        name = node.attr
        if isinstance(base, Keyed):
            return self._keyed_attribute(base, name, node)
        if isinstance(base, Static):
            return self._static_attribute(base.value, name, node)
        return self._tensor_attribute(base, name, node)

    def _static_attribute(self, obj, name: str, node):
        module = getattr(obj, "__name__", None) if isinstance(obj, type(np)) else None
        if module in arrays.ARRAY_MODULES and name in arrays.FUNCTION_NAMES:
            return Static(ArrayFunction(name))
        if isinstance(obj, OpNamespace):
            found = getattr(obj, name, None)
            if found is None:
                raise self.source.error(node, f"lg.op has no operator {name!r}")
            if not isinstance(found, OpNamespace):
                return Static(OpBuilder(_builder_op_name(found)))
            return Static(found)
        try:
            return Static(getattr(obj, name))
        except AttributeError:
            raise self.source.error(node, f"{_short(obj)} has no attribute {name!r}") from None

    def _tensor_attribute(self, value: Expr, name: str, node):
        ty = self.type_of(value)
        if name == "T":
            return make_call("transpose", [value], span=self.span(node))
        if name in ("shape", "ndim", "dtype", "size"):
            if not isinstance(ty, TensorType) or None in ty.shape:
                message = f".{name} of a value whose shape is not known here"
                raise self.source.error(node, message, UnknownTypeError)
            return Static(_tensor_facts(ty)[name])
        if name in arrays.FUNCTION_NAMES:
            return Static(Method(name, value))
        raise self.source.error(node, f"lg.jit cannot translate the attribute .{name}")

    def _subscript(self, node, env):
        base = self.expr(node.value, env)
        if isinstance(node.slice, ast.Tuple):  # x[i, 1:]: its items, some maybe dynamic
            items = [self.expr(e, env) for e in node.slice.elts]
            static = all(isinstance(i, Static) for i in items)
            index = Static(tuple(i.value for i in items)) if static else items
        else:
            index = self.expr(node.slice, env)
        if isinstance(base, Keyed):
            return self._keyed_subscript(base, index, node)
        if isinstance(base, Static) and isinstance(index, Static):
            if isinstance(base.value, dict):
                return self._python_dict_item(base.value, index.value, node)
            return self._python(operator.getitem, base.value, index.value, node)
        if isinstance(base, Static):
            raise self.source.error(node, "indexing a Python value with a program value")
        ty = self.type_of(base)
        if isinstance(ty, TupleType):
            if not (isinstance(index, Static) and isinstance(index.value, int)):
                raise self.source.error(
                    node,
                    "a tuple index must be a Python int (a loop over range() runs in the "
                    "program: loop over the tuple itself, or over enumerate(...) of it)",
                )
            if not -len(ty.fields) <= index.value < len(ty.fields):
                raise self.source.error(node, f"tuple index {index.value} out of range for {ty}")
            return TupleGetItem(base, index.value % len(ty.fields), span=self.span(node))
        if isinstance(ty, TensorType) and ty.ndim > 0:
            if isinstance(node.slice, ast.List):
                return self._index_array(base, ty, index, node)
            return self._tensor_index(base, ty, index if isinstance(index, list) else [index], node)
        raise self.source.error(node, f"cannot index a value of type {ty or 'unknown here'}")

    def _tensor_index(self, base: Expr, ty: TensorType, items: list, node) -> Expr:
        """numpy's basic indexing: ints, slices, None and ... known here (one strided_slice,
        then squeeze and expand_dims), and ints computed by the program (a take each)."""
        if len(items) == 1 and isinstance(items[0], Static) and isinstance(items[0].value, tuple):
            items = [Static(k) for k in items[0].value]  # x[key] with key a tuple variable
        key = tuple(i.value if isinstance(i, Static) else DYNAMIC for i in items)
        try:
            plan = basic_index_plan(key, ty.shape)
        except IndexError as err:
            raise self.source.error(node, f"{err} (indexing {ty})") from None
        span = self.span(node)
        expr = plan.apply(base, span)
        positions = [i for i in items if not isinstance(i, Static)]
        # the last axis first, so that each take leaves the earlier axes where they were
        for (axis, size), position in reversed(list(zip(plan.taken, positions, strict=True))):
            position = self._wrapped(self.number_like(position, None, node), size, node)
            expr = make_call("take", [expr, position], {"axis": axis}, span=span)
        return expr

    def _wrapped(self, position: Expr, size, node) -> Expr:
        """A negative `position` counted from the end, as numpy and JAX do (take clips)."""
        if size is None:
            return position
        zero, length = (self.number_like(Static(n), position, node) for n in (0, size))
        negative = make_call("less", [position, zero])
        return make_call("where", [negative, make_call("add", [position, length]), position])

    def _index_array(self, base: Expr, ty: TensorType, index, node) -> Expr:
        """``x[[i, j, ...]]`` with Python ints: the rows at those indices (a take)."""
        values = index.value if isinstance(index, Static) else None
        if not (values and all(_is_int(v) for v in values)):
            raise self.source.error(node, "lg.jit indexes with a list of Python ints only")
        size = ty.shape[0]
        bad = [v for v in values if size is not None and not -size <= v < size]
        if bad:
            message = f"index {bad[0]} is out of bounds for axis 0 with size {size}"
            raise self.source.error(node, message)
        rows = Constant(np.array([v % size if size else v for v in values], dtype="int64"))
        return make_call("take", [base, rows], {"axis": 0}, span=self.span(node))

    # ---- calls

    def _slice(self, node, env):
        parts = [
            None if p is None else self.expr(p, env) for p in (node.lower, node.upper, node.step)
        ]
        if not all(p is None or isinstance(p, Static) for p in parts):
            raise self.source.error(node, "slice bounds must be Python ints")
        return Static(slice(*(None if p is None else p.value for p in parts)))

    def _call(self, node, env):
        callee = self.expr(node.func, env)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise self.source.error(node, "*args and **kwargs in a call")
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        if not isinstance(callee, Static):
            return self._call_value(callee, args, kwargs, node)
        return self._call_static(callee.value, args, kwargs, node)

    def _call_value(self, callee: Expr, args, kwargs, node) -> Expr:
        if kwargs:
            raise self.source.error(node, "keyword arguments to a closure")
        values = [self.materialize(a, node) for a in args]
        return Call(self.materialize(callee, node), values, span=self.span(node))

    def _call_static(self, obj, args, kwargs, node):
        if hasattr(obj, "lower") and hasattr(obj, "specialize"):  # a jitted function
            return self.program.call(obj, args, kwargs, node, self)
        if isinstance(obj, PendingClosure):
            return self._call_closure(obj, args, kwargs, node)
        if isinstance(obj, ListADT):
            return self._list_literal(args, kwargs, node)
        if isinstance(obj, ConstructorHandle):
            return self._construct(obj, args, kwargs, node)
        if isinstance(obj, DictMethod):
            return self._dict_method(obj, args, kwargs, node)
        if isinstance(obj, Method):
            return self._array_call(obj.name, [obj.target, *args], kwargs, node, method=True)
        if isinstance(obj, ArrayFunction):
            return self._array_call(obj.name, args, kwargs, node)
        if isinstance(obj, OpBuilder):
            return self._op_call(obj.name, args, kwargs, node)
        name = _array_function_name(obj)
        if name is not None:
            return self._array_call(name, args, kwargs, node)
        builtin = next((n for f, n in BUILTIN_FUNCTIONS.items() if f is obj), None)
        static = all(isinstance(a, Static) for a in [*args, *kwargs.values()])
        if builtin is not None and not static:
            return self._array_call(builtin, args, kwargs, node)
        if obj is len and len(args) == 1 and not static:
            return self._len(args[0], node)
        if (obj is list or obj is tuple) and len(args) == 1 and isinstance(args[0], Pack):
            return args[0]  # list(p.values()): the same values, unpacked or looped over alike
        if static and (any(obj is b for b in PURE_BUILTINS) or _is_numpy(obj)):  # computed now
            values = {k: v.value for k, v in kwargs.items()}
            return self._python(lambda *a: obj(*a, **values), *(a.value for a in args), node)
        if _is_numpy(obj):
            return self._staged_call(_lnp_function(obj), args, kwargs, node)
        raise self.source.error(
            node,
            f"lg.jit cannot call {_short(obj)}: calls into arbitrary Python are not "
            "translated (decorate it with @lg.jit, or use lnp / lg.op functions)",
        )

    def _len(self, value, node):
        if isinstance(value, Pack):  # p.items() or p.values()
            return Static(len(value.items))
        ty = self.type_of(value)
        if isinstance(ty, TupleType):  # a Python list or tuple argument
            return Static(len(ty.fields))
        if not isinstance(ty, TensorType) or not ty.shape or ty.shape[0] is None:
            raise self.source.error(node, f"len() of a value of type {ty or 'unknown here'}")
        return Static(ty.shape[0])

    def _staged_call(self, fn, args, kwargs, node):
        """A numpy function with no translation of its own, run by lambdagrad.numpy's on
        stand-ins for the program values (see staging.py)."""
        name = getattr(fn, "__name__", _short(fn))
        values, types = [], {}
        for item in [*args, *kwargs.values()]:
            values.append(self._staging_value(item, types, node))
        staged_args = values[: len(args)]
        staged_kwargs = dict(zip(kwargs, values[len(args) :], strict=True))
        try:
            result = staging.stage(name, fn, staged_args, staged_kwargs, types)
        except Error as err:
            raise self.source.error(node, str(err)) from None
        return result if isinstance(result, Expr) else Static(result)

    def _staging_value(self, item, types: dict, node):
        """A call argument for staging: Python values as they are, program tensors (alone
        or in a tuple) as expressions whose types are recorded in `types`."""
        if isinstance(item, Static):
            return item.value
        if isinstance(item, Tuple):
            return tuple(self._staging_value(f, types, node) for f in item.fields)
        ty = self.type_of(item)
        if not isinstance(ty, TensorType) or None in ty.shape:
            message = f"a numpy function's argument of type {ty or 'unknown here'}"
            raise self.source.error(node, message, UnknownTypeError)
        types[id(item)] = ty
        return item

    def _construct(self, handle: ConstructorHandle, args, kwargs, node) -> Expr:
        ctor = handle.constructor
        if kwargs or len(args) != len(ctor.inputs):
            raise self.source.error(
                node, f"constructor {ctor.name_hint} takes {len(ctor.inputs)} positional field(s)"
            )
        self.program.use_constructor(ctor)
        return Call(ctor, [self.materialize(a, node) for a in args], span=self.span(node))

    def _list_literal(self, args, kwargs, node) -> Expr:
        items = args[0] if args else Static(())
        if kwargs or len(args) > 1 or not isinstance(items, Static | Tuple):
            raise self.source.error(node, "lg.List takes one list or tuple of items")
        values = items.fields if isinstance(items, Tuple) else [Static(v) for v in items.value]
        cons, nil = self.program.list_constructors()
        result = Call(nil, (), span=self.span(node))
        for item in reversed(values):
            result = Call(cons, [self.materialize(item, node), result], span=self.span(node))
        return result

    def _array_call(self, name: str, args, kwargs, node, method: bool = False) -> Expr:
        if name in arrays.MATMUL_NAMES:
            if kwargs or len(args) != 2:
                raise self.source.error(node, f"{name} takes two arrays")
            return self.binary(ast.MatMult(), args[0], args[1], node)
        try:
            sig, inputs, attrs = arrays.bind(name, args, kwargs)
        except ValueError as err:
            # numpy spellings the op table does not take (x.reshape(2, 3), np.round(x, 2)):
            # lambdagrad.numpy's function, staged, takes them all
            staged = _lnp_method(name) if method else _lnp_function_named(name)
            if staged is None:
                raise self.source.error(node, str(err)) from None
            return self._staged_call(staged, args, kwargs, node)
        return self._build(sig, inputs, attrs, node)

    def _build(self, sig, inputs, attrs, node) -> Expr:
        for key, value in attrs.items():
            if not isinstance(value, Static):
                raise self.source.error(node, f"{sig.op}: {key} must be a Python value")
        like = next((i for i in inputs if not isinstance(i, Static)), None)
        exprs = [self.number_like(i, like, node) for i in inputs]
        if sig.inputs == ("arrays",):  # concatenate/stack take one tuple
            exprs = [self.materialize(inputs[0], node)]
        elif sig.op == "where":  # the condition stays bool
            exprs = exprs[:1] + self.promote(sig.op, exprs[1:], node)
        elif sig.op in arrays.PROMOTING_OPS or sig.op in arrays.FLOAT_OPS:
            exprs = self.promote(sig.op, exprs, node)
        try:
            return arrays.build(sig, exprs, {k: v.value for k, v in attrs.items()}, self.span(node))
        except (Error, TypeError, ValueError) as err:  # the op's checks, numpy's dtype names
            raise self.source.error(node, f"{sig.op}: {err}") from None

    def _op_call(self, name: str, args, kwargs, node) -> Expr:
        for key, value in kwargs.items():
            if not isinstance(value, Static):
                raise self.source.error(node, f"{name}: attribute {key} must be a Python value")
        like = next((a for a in args if not isinstance(a, Static)), None)
        exprs = [self.number_like(a, like, node) for a in args]
        try:
            return make_call(
                name, exprs, {k: v.value for k, v in kwargs.items()}, span=self.span(node)
            )
        except Error as err:
            raise self.source.error(node, str(err)) from None

    EXPRESSIONS = {
        ast.Constant: _constant,
        ast.Name: _name,
        ast.Tuple: _tuple,
        ast.List: _tuple,
        ast.Dict: _dict,
        ast.BinOp: _binop,
        ast.UnaryOp: _unaryop,
        ast.BoolOp: _boolop,
        ast.Compare: _compare,
        ast.IfExp: _ifexp,
        ast.Lambda: _lambda,
        ast.Attribute: _attribute,
        ast.Subscript: _subscript,
        ast.Slice: _slice,
        ast.Call: _call,
    }


def _closure_values(function) -> dict:
    """The values of the variables a Python function closes over, by name."""
    cells = function.__closure__ or ()
    values = {}
    for name, cell in zip(function.__code__.co_freevars, cells, strict=True):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # a cell not yet filled (a later definition)
            continue
    return values


def parameter_names(node, source) -> list[str]:
    """The parameters of a def or lambda node; only plain positional ones translate."""
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
        raise source.error(node, "only plain positional parameters (no defaults, *args, **kw)")
    return [a.arg for a in args.args]


def _array_function_name(obj) -> str | None:
    """numpy's name of `obj` when it is numpy's, jax.numpy's or lambdagrad.numpy's function."""
    name = getattr(obj, "__name__", None)
    if name not in arrays.FUNCTION_NAMES:
        return None
    module = getattr(obj, "__module__", None) or ""
    if getattr(np, name, None) is obj or module.startswith(("lambdagrad.numpy", "jax")):
        return name
    return None


def _is_numpy(obj) -> bool:
    """Whether `obj` is a numpy or lambdagrad.numpy function, ufunc or scalar type."""
    if isinstance(obj, np.ufunc) or isinstance(obj, type) and issubclass(obj, np.generic):
        return True
    module = getattr(obj, "__module__", None) or ""
    package = module.partition(".")[0] if module != "lambdagrad.numpy" else module
    return callable(obj) and (package == "numpy" or module.startswith("lambdagrad.numpy."))


def _lnp_function(fn):
    """lambdagrad.numpy's function for numpy's `fn` (numpy.linalg's in lnp.linalg), else
    `fn` itself (numpy dispatches staged values to lambdagrad.numpy by name)."""
    import lambdagrad.numpy as lnp

    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None)
    namespace = lnp.linalg if module.endswith("linalg") else lnp
    return getattr(namespace, name, fn) if name else fn


def _lnp_function_named(name: str):
    import lambdagrad.numpy as lnp

    return getattr(lnp, name, None)


def _lnp_method(name: str):
    """Array method `name` as a function of the array and the method's arguments."""

    def call_method(array, *args, **kwargs):
        return getattr(array, name)(*args, **kwargs)

    call_method.__name__ = name
    return call_method


def _builder_op_name(builder) -> str:
    return inspect.getclosurevars(builder).nonlocals["name"]


def _tensor_facts(ty: TensorType) -> dict:
    return {
        "shape": ty.shape,
        "ndim": ty.ndim,
        "dtype": ty.dtype,
        "size": int(np.prod(ty.shape, dtype=np.int64)),
    }


def _short(value) -> str:
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


DYNAMIC = object()  # in an index key: an int the program computes (taken after the plan)


class BasicIndexPlan:
    """numpy's basic indexing of a tensor as IR: `slices` (axis, begin, end, stride) for one
    strided_slice, then `squeezed` axes (ints) and `inserted` output axes (None); `taken`
    are the output axes (and their lengths) that DYNAMIC entries of the key index after."""

    def __init__(self, slices: list, squeezed: list, inserted: list, taken: list):
        self.slices, self.squeezed, self.inserted = slices, squeezed, inserted
        self.taken = taken

    def apply(self, base: Expr, span) -> Expr:
        expr = base
        if self.slices:
            axes, begin, end, strides = (list(column) for column in zip(*self.slices, strict=True))
            attrs = {"begin": begin, "end": end, "strides": strides, "axes": axes}
            expr = make_call("strided_slice", [expr], attrs, span=span)
        if self.squeezed:
            expr = make_call("squeeze", [expr], {"axis": self.squeezed}, span=span)
        for axis in self.inserted:  # in increasing order, so each is final when inserted
            expr = make_call("expand_dims", [expr], {"axis": axis}, span=span)
        return expr


def basic_index_plan(key, shape: tuple) -> BasicIndexPlan:
    """The plan of ``x[key]`` for `x` of `shape`; IndexError says what numpy would refuse.

    >>> plan = basic_index_plan((1, slice(None, None, -2), None), (3, 5))
    >>> plan.slices, plan.squeezed, plan.inserted
    ([(0, 1, 2, 1), (1, 4, -6, -2)], [0], [1])
    """
    keys = list(key) if isinstance(key, tuple) else [key]
    if not all(_is_basic(k) for k in keys):
        bad = next(k for k in keys if not _is_basic(k))
        raise IndexError(f"lg.jit cannot index a tensor with {bad!r}")
    consumed = sum(1 for k in keys if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise IndexError(f"too many indices: {consumed} for {len(shape)} dimension(s)")
    if keys.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in keys:
        at = keys.index(Ellipsis)
        keys[at : at + 1] = [slice(None)] * (len(shape) - consumed)
    slices, squeezed, inserted, taken, axis, out_axis = [], [], [], [], 0, 0
    for k in keys:
        if k is None:
            inserted.append(out_axis)
            out_axis += 1
            continue
        size = shape[axis]
        if k is DYNAMIC:
            taken.append((out_axis, size))
            out_axis += 1
        elif isinstance(k, slice) and k == slice(None):
            out_axis += 1
        elif isinstance(k, slice):
            slices.append((axis, *_slice_bounds(k, size, axis)))
            out_axis += 1
        else:
            slices.append((axis, *_int_bounds(k, size, axis)))
            squeezed.append(axis)
        axis += 1
    return BasicIndexPlan(slices, squeezed, inserted, taken)


def _is_basic(k) -> bool:
    return k is None or k is Ellipsis or k is DYNAMIC or isinstance(k, slice) or _is_int(k)


def _is_int(k) -> bool:
    return isinstance(k, int | np.integer) and not isinstance(k, bool)


def _slice_bounds(part: slice, size, axis: int) -> tuple[int, int, int]:
    if not all(b is None or isinstance(b, int) for b in (part.start, part.stop, part.step)):
        raise IndexError(f"slice bounds must be Python ints, got {part}")
    if size is None:
        raise IndexError(f"slicing axis {axis}, whose length is not known here")
    if part.step == 0:
        raise IndexError("slice step cannot be zero")
    begin, end, step = part.indices(size)
    if step < 0 and end < 0:  # through the first element: strided_slice reads -1 as size-1
        end = -(size + 1)
    return begin, end, step


def _int_bounds(k: int, size, axis: int) -> tuple[int, int, int]:
    if size is None:
        raise IndexError(f"indexing axis {axis} with {k}, whose length is not known here")
    if not -size <= k < size:
        raise IndexError(f"index {k} is out of bounds for axis {axis} with size {size}")
    return k % size, k % size + 1, 1
