"""Constraint generation and solving: the type of every node, as unifier terms.

`Inferencer` walks expressions once, unifying as it goes. Op calls and tuple projections
whose argument types are not known yet become `Deferred` items that wait on the unknowns
they are blocked by and are retried when one of those gets bound (a worklist).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np

from ..errors import TypeInferenceError
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
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import (
    FuncType,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
    TypeVar,
)
from ..ir.visitor import VISIT_METHODS
from ..ops.registry import OpTypeError, op_def
from .messages import fill, located, name_of, type_error
from .patterns import missing_case
from .unify import Mismatch, Unifier, incompletes

BOOL_SCALAR = TensorType((), "bool")
# The largest tensor an op may produce (16 GiB): a bigger static shape is a mistake (a wrong
# attribute) that would end in MemoryError, or in swapping, when run.
MAX_TENSOR_BYTES = 2**34
UNIT = TupleType(())


@dataclass(eq=False)
class Deferred:
    """Work that needs argument types first: `attempt` returns the unknowns it waits on."""

    node: Expr
    attempt: object
    give_up: object
    done: bool = False


class Inferencer:
    """Types every node it visits; `types` maps node ids to (unresolved) types."""

    def __init__(self, mod: IRModule | None):
        self.mod = mod
        self.typedefs = mod.type_definitions if mod is not None else {}
        self.u = Unifier(self._wake)
        self.types: dict[int, Type] = {}
        self.signatures: dict[GlobalVar, FuncType] = {}
        self.deferred: list[Deferred] = []
        self.waiting: dict[IncompleteType, list[Deferred]] = defaultdict(list)
        self.ready: deque[Deferred] = deque()

    # -- unification with located messages -------------------------------------------------

    def expect(self, actual: Type, expected: Type, node: Expr, message: str) -> None:
        """Unify; on failure report `message` formatted with both resolved types."""
        try:
            self.u.unify(actual, expected)
        except Mismatch as err:
            text = fill(message, self.u.resolve(actual), self.u.resolve(expected))
            reason = f" ({err})" if str(err) else ""
            raise type_error(text + reason, node) from None

    # -- the worklist ----------------------------------------------------------------------

    def _wake(self, var: IncompleteType) -> None:
        self.ready.extend(self.waiting.pop(var, ()))

    def defer(self, item: Deferred) -> None:
        """Try `item` now; if it is blocked, park it on the unknowns blocking it."""
        self.deferred.append(item)
        self._try(item)

    def _try(self, item: Deferred) -> None:
        if item.done:
            return
        blockers = item.attempt()
        if blockers:
            for var in blockers:
                self.waiting[var].append(item)
        else:
            item.done = True

    def solve(self) -> None:
        """Retry woken items until nothing changes; fail on any that stay blocked."""
        while self.ready:
            self._try(self.ready.popleft())
        for item in self.deferred:
            if not item.done:
                raise item.give_up()
        self.deferred.clear()
        self.waiting.clear()

    # -- expressions -----------------------------------------------------------------------

    def infer(self, expr: Expr) -> Type:
        """The type of `expr` (memoized by node identity, so shared nodes are typed once)."""
        found = self.types.get(id(expr))
        if found is not None and not isinstance(expr, _INSTANTIATED):
            return found
        try:
            ty = getattr(self, VISIT_METHODS[type(expr)])(expr)
        except TypeInferenceError as error:
            placed = located(error, expr)
            if placed is error:
                raise
            raise placed from None
        self.types[id(expr)] = ty
        return ty

    def declare(self, var: Var) -> Type:
        """The type of a binder: its annotation, or a fresh unknown."""
        ty = self.types.get(id(var))
        if ty is None:
            ty = var.type_annotation or self.u.fresh(var.name_hint)
            self.types[id(var)] = ty
        return ty

    def visit_var(self, var: Var) -> Type:
        return self.declare(var)  # a free variable; bound ones are declared by their binder

    def visit_global_var(self, gvar: GlobalVar) -> Type:
        sig = self.signatures.get(gvar)
        if sig is None:
            raise type_error(f"unknown global @{gvar.name_hint}", gvar)
        return self.u.instantiate(sig)

    def visit_constant(self, const: Constant) -> Type:
        return TensorType(const.data.shape, const.data.dtype.name)

    def visit_tuple(self, tup: Tuple) -> Type:
        return TupleType(tuple(self.infer(f) for f in tup.fields))

    def visit_tuple_get_item(self, node: TupleGetItem) -> Type:
        tuple_type, result = self.infer(node.tuple_value), self.u.fresh()

        def attempt():
            ty = self.u.find(tuple_type)
            if isinstance(ty, IncompleteType):
                return [ty]
            if not isinstance(ty, TupleType) or not 0 <= node.index < len(ty.fields):
                what = f"type {self.u.resolve(ty)}"
                raise type_error(f"cannot take field {node.index} of a value of {what}", node)
            self.expect(ty.fields[node.index], result, node, "tuple field {actual} vs {expected}")
            return None

        def give_up():
            subject = name_of(node.tuple_value)
            return type_error(f"cannot infer the tuple type of {subject}; annotate it", node)

        self.defer(Deferred(node, attempt, give_up))
        return result

    def declare_function(self, func: Function) -> FuncType:
        """The function's type from its annotations, unknowns where there are none."""
        params = tuple(self.declare(p) for p in func.params)
        ret = func.ret_type or self.u.fresh("ret")
        return FuncType(params, ret, func.type_params)

    def check_body(self, func: Function, sig: FuncType) -> None:
        body = self.infer(func.body)
        message = "the function body has type {actual} but its return type is {expected}"
        self.expect(body, sig.ret_type, func, message)

    def visit_function(self, func: Function) -> Type:
        sig = self.declare_function(func)
        self.check_body(func, sig)
        return sig

    def visit_let(self, let: Let) -> Type:
        chain = []
        node: Expr = let
        while isinstance(node, Let) and id(node) not in self.types:
            var_type = self.declare(node.var)  # before the value: let-bound closures may recurse
            value_type = self.infer(node.value)
            message = f"let %{node.var.name_hint}: the value has type {{actual}}"
            self.expect(value_type, var_type, node, message + " but the variable is {expected}")
            chain.append(node)
            node = node.body
        result = self.infer(node)
        for item in chain:
            self.types[id(item)] = result
        return result

    def visit_if(self, node: If) -> Type:
        cond = self.infer(node.cond)
        message = "the condition of if must be a bool scalar ({expected}) but has type {actual}"
        self.expect(cond, BOOL_SCALAR, node.cond, message)
        then, other = self.infer(node.true_branch), self.infer(node.false_branch)
        message = "type mismatch in if: the true branch has type {expected}"
        self.expect(other, then, node, message + " but the false branch has type {actual}")
        return then

    def visit_ref_create(self, node: RefCreate) -> Type:
        return RefType(self.infer(node.value))

    def visit_ref_read(self, node: RefRead) -> Type:
        value = self.u.fresh()
        message = "ref_read expects a reference but got {actual}"
        self.expect(self.infer(node.ref), RefType(value), node, message)
        return value

    def visit_ref_write(self, node: RefWrite) -> Type:
        ref, value = self.infer(node.ref), self.infer(node.value)
        message = "ref_write: the reference has type {expected} but the value has type {actual}"
        self.expect(RefType(value), ref, node, message)
        return UNIT

    def visit_op(self, op: Op) -> Type:
        raise type_error(f"operator {op.name} can only be called, not used as a value", op)

    def visit_constructor(self, ctor: Constructor) -> Type:
        return self.u.instantiate(self.constructor_type(ctor))

    def constructor_type(self, ctor: Constructor) -> FuncType:
        """``fn [type_vars](inputs) -> Adt[type_vars]``, from the module's definition."""
        data = self.typedefs.get(ctor.belong_to)
        if data is None:
            name = ctor.belong_to.name_hint
            raise type_error(f"constructor {ctor.name_hint} belongs to unknown type {name}", ctor)
        return FuncType(ctor.inputs, TypeCall(ctor.belong_to, data.type_vars), data.type_vars)

    # -- calls -----------------------------------------------------------------------------

    def visit_call(self, call: Call) -> Type:
        if isinstance(call.op, Op):
            return self.op_call(call)
        callee = self.u.find(self.infer(call.op))
        args = [self.infer(a) for a in call.args]
        what = f"call of {name_of(call.op)}"
        if isinstance(callee, IncompleteType):
            callee_type = FuncType(tuple(self.u.fresh() for _ in args), self.u.fresh("ret"))
            self.expect(callee, callee_type, call, what + ": the callee has type {actual}")
            callee = callee_type
        if not isinstance(callee, FuncType):
            message = f"{what}: {name_of(call.op)} is not a function; it has type {callee}"
            raise type_error(message, call)
        return self.apply(call, self.u.instantiate(callee), args, what)

    def apply(self, call: Call, callee: FuncType, args: list[Type], what: str) -> Type:
        if len(args) != len(callee.arg_types):
            message = f"{what}: expected {len(callee.arg_types)} arguments, got {len(args)}"
            raise type_error(message, call)
        for i, (arg, param) in enumerate(zip(args, callee.arg_types, strict=True)):
            message = f"{what}: argument {i} has type {{actual}} but {{expected}} is expected"
            self.expect(arg, param, call.args[i], message)
        return callee.ret_type

    def op_call(self, call: Call) -> Type:
        definition = op_def(call.op)
        if len(call.args) != definition.num_inputs:
            message = f"{call.op.name}: expected {definition.num_inputs} arguments"
            raise type_error(f"{message}, got {len(call.args)}", call)
        if definition.type_rel is None:
            raise type_error(f"operator {call.op.name} has no type relation", call)
        args, result = [self.infer(a) for a in call.args], self.u.fresh()

        def attempt():
            resolved = [self.u.resolve(a) for a in args]
            blockers = [v for ty in resolved for v in incompletes(ty)]
            if blockers:
                return blockers
            out = self.relate(call, definition.type_rel, resolved)
            self.expect(out, result, call, f"{call.op.name} returns {{actual}}, not {{expected}}")
            return None

        self.defer(Deferred(call, attempt, lambda: self.unknown_argument(call, args)))
        return result

    def relate(self, call: Call, relation, arg_types: list[Type]) -> Type:
        """Run the op's type relation, turning its complaint into a located error."""
        try:
            out = relation(arg_types, call.attrs)
        except OpTypeError as err:
            types = ", ".join(str(t) for t in arg_types)
            message = f"{call.op.name}: {err}\n  argument types: ({types})"
            raise type_error(message, call) from None
        for tensor in _tensors_of(out):
            size = _bytes(tensor)
            if size > MAX_TENSOR_BYTES:  # refused here, before anything tries to allocate it
                message = (
                    f"{call.op.name}: the result {tensor} would take {size:,} bytes, more than "
                    f"the {MAX_TENSOR_BYTES:,} a tensor may have"
                )
                raise type_error(message, call)
        return out

    def unknown_argument(self, call: Call, args: list[Type]):
        index = next(i for i, a in enumerate(args) if incompletes(self.u.resolve(a)))
        subject = name_of(call.args[index])
        message = f"cannot infer the type of argument {index} of {call.op.name}; annotate {subject}"
        return type_error(message, call)

    # -- match -----------------------------------------------------------------------------

    def visit_match(self, node: Match) -> Type:
        data = self.infer(node.data)
        result = None
        for i, clause in enumerate(node.clauses):
            self.bind_pattern(clause.lhs, data, node)
            rhs = self.infer(clause.rhs)
            if result is None:
                result = rhs
            message = f"type mismatch in match: clause 0 has type {{expected}} but clause {i}"
            self.expect(rhs, result, clause.rhs, message + " has type {actual}")
        if node.complete:
            self.check_exhaustive(node)
        return result if result is not None else self.u.fresh()

    def check_exhaustive(self, node: Match) -> None:
        missing = missing_case([c.lhs for c in node.clauses], self.typedefs)
        if missing is not None:
            raise type_error(f"match is not exhaustive: {missing} is not covered", node)

    def bind_pattern(self, pattern: Pattern, expected: Type, node: Match) -> None:
        """Unify the pattern's shape with `expected` and type the variables it binds."""
        match pattern:
            case PatternVar(var=var):
                message = f"pattern %{var.name_hint} is annotated {{actual}}"
                self.expect(self.declare(var), expected, node, message + " but matches {expected}")
            case PatternTuple(patterns=subs):
                fields = tuple(self.u.fresh() for _ in subs)
                self.expect(TupleType(fields), expected, node, _PATTERN_MISMATCH)
                for sub, field in zip(subs, fields, strict=True):
                    self.bind_pattern(sub, field, node)
            case PatternConstructor(constructor=ctor, patterns=subs):
                self.bind_constructor_pattern(ctor, subs, expected, node)

    def bind_constructor_pattern(self, ctor, subs, expected: Type, node: Match) -> None:
        sig = self.u.instantiate(self.constructor_type(ctor))
        if len(subs) != len(sig.arg_types):
            message = f"pattern {ctor.name_hint} takes {len(sig.arg_types)} fields, got {len(subs)}"
            raise type_error(message, node)
        self.expect(sig.ret_type, expected, node, _PATTERN_MISMATCH)
        for sub, field in zip(subs, sig.arg_types, strict=True):
            self.bind_pattern(sub, field, node)

    # -- results ---------------------------------------------------------------------------

    def final_type(self, node: Expr) -> Type:
        """The fully resolved type of a visited node.

        An unknown that nothing constrains (the element type of an empty list whose uses are
        all polymorphic, an unused parameter) defaults to the unit type: no value of that
        type is ever made, so any type would do. Unknowns an op needed were reported already.
        """
        ty = self.types[id(node)]
        if type(ty) is TensorType:  # the common case, already final
            return ty
        ty = self.u.resolve(ty)
        for var in incompletes(ty):
            self.u.subst[var] = TupleType(())  # solving is over: bind without waking anyone
        return self.u.resolve(ty) if incompletes(ty) else ty

    def generalize(self, sigs: list[FuncType]) -> list[FuncType]:
        """Turn the unknowns left in solved signatures into new type parameters.

        The signatures of a recursive group are generalized together, so an unknown they
        share becomes one parameter of each of them.
        """
        resolved = [self.u.resolve(s) for s in sigs]
        taken = {p.name_hint for s in resolved for p in s.type_params}
        params: dict[IncompleteType, TypeVar] = {}
        for sig in resolved:
            for var in incompletes(sig):
                params.setdefault(var, TypeVar(_fresh_name(taken)))
        for var, param in params.items():
            self.u.subst[var] = param  # nothing waits on it any more: bind without waking
        return [self._with_params(sig, params) for sig in resolved]

    def _with_params(self, sig: FuncType, params: dict) -> FuncType:
        own = tuple(params[v] for v in incompletes(sig))
        return self.u.resolve(FuncType(sig.arg_types, sig.ret_type, sig.type_params + own))


# Globals and constructors get fresh type variables at each use, even a shared node.
_INSTANTIATED = (GlobalVar, Constructor)

_PATTERN_MISMATCH = "the pattern has type {actual} but the matched value has type {expected}"


def _fresh_name(taken: set[str]) -> str:
    index = 0
    while True:
        letter = chr(ord("A") + index % 26)
        name = letter if index < 26 else f"{letter}{index // 26}"
        if name not in taken:
            taken.add(name)
            return name
        index += 1


def _tensors_of(ty: Type) -> list[TensorType]:
    """The tensor types of an op's result: itself, or a tuple's fields (one level deep)."""
    if isinstance(ty, TupleType):
        return [f for f in ty.fields if isinstance(f, TensorType)]
    return [ty] if isinstance(ty, TensorType) else []


def _bytes(ty: TensorType) -> int:
    """The size of a tensor of type `ty`, counting unknown dimensions as 1."""
    return math.prod(d or 1 for d in ty.shape) * np.dtype(ty.dtype).itemsize
