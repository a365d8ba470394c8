"""Hypothesis strategies for random well-typed, terminating programs, for optimizer tests.

`programs()` draws closed programs over float32 scalars and (3,) vectors that use let-chains,
tuples, closures (captured, called several times, passed to @map/@foldl), refs (aliased,
written through closures, stored in tuples), `if` on computed conditions, `match` on lists,
prelude folds and bounded recursion (a counting-down global or let-bound closure).
`first_order_programs()` draws the straight-line programs first-order AD accepts: lets,
tuples, projections, broadcasting ops, nn.dense, sums with an axis, function literals and
non-recursive globals; ``with_if=True`` adds `if` on a dynamic condition.

Every drawn `Program` carries its module (``@main`` is the program) and deterministic
arguments; its repr is the program text, so hypothesis prints shrunk counterexamples readably.
Types are tracked as small tuples: ``("tensor", shape)``, ``("tuple", fields)``,
``("ref", value)``, ``("fn", params, result)`` and ``("list", element)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import lambdagrad as lg
from lambdagrad.ir.types import FuncType, RefType, TensorType, TupleType, TypeCall

PRELUDE = lg.parse("", prelude=True)
PRELUDE_NAMES = frozenset(g.name_hint for g in PRELUDE.functions)
CONS, NIL = PRELUDE.get_constructor("Cons"), PRELUDE.get_constructor("Nil")
LIST = PRELUDE.get_global_type_var("List")

SCALAR, VECTOR = ("tensor", ()), ("tensor", (3,))
UNIT = ("tuple", ())
CONSTANTS = (0.5, -1.0, 2.0, 0.0, 1.5)
PURE_NODES = (lg.Var, lg.Constant, lg.Op, lg.Tuple, lg.TupleGetItem)


class Program:
    """A drawn program: `mod` holds ``@main`` (and the globals it uses); `args` feed it.

    Not a dataclass, so that hypothesis prints counterexamples with `__repr__` (the text).
    """

    __slots__ = ("mod", "args")

    def __init__(self, mod: lg.IRModule, args: tuple):
        self.mod = mod
        self.args = args

    @property
    def main(self) -> lg.Function:
        return self.mod["main"]

    def own_globals(self) -> dict:
        """The functions of the module that are not the prelude's, by name."""
        return {
            g.name_hint: f
            for g, f in self.mod.functions.items()
            if g.name_hint not in PRELUDE_NAMES
        }

    def __repr__(self) -> str:
        defs = [f"def @{name} = {func}" for name, func in self.own_globals().items()]
        return "\n".join(defs) + f"\nargs = {self.args!r}"


@dataclass(frozen=True)
class Config:
    """What a generator may build: tensor shapes, unary ops, expression and binding kinds."""

    shapes: tuple
    unary: tuple
    binary: tuple
    kinds: tuple
    let_kinds: tuple
    budget: int
    depth: int


PROGRAMS = Config(
    shapes=((), (3,)),
    unary=("tanh", "sin", "negative"),
    binary=("add", "subtract", "multiply", "maximum"),
    kinds=(
        "leaf",
        "shared",
        "unary",
        "binary",
        "reduce",
        "project",
        "let",
        "let",
        "let",
        "if",
        "call",
        "match",
        "fold",
        "recursion",
    ),
    let_kinds=("tensor", "tuple", "ref", "alias", "write", "closure", "list"),
    budget=20,
    depth=4,
)
# For runs on infinities, NaN and signed zeros: arithmetic-heavy programs (with `if`, refs and
# closures) whose ops make and absorb them. No divide: the optimizer keeps values only up to
# the sign of a zero, which 1 / x would turn into the sign of an infinity.
SPECIAL_VALUES = Config(
    shapes=((), (3,)),
    unary=("tanh", "negative", "exp", "log", "sqrt", "zeros_like", "zeros_like", "ones_like"),
    binary=("add", "subtract", "multiply", "multiply", "maximum", "minimum"),
    kinds=("leaf", "shared", "unary", "unary", "binary", "binary", "binary", "reduce", "if", "let"),
    let_kinds=("tensor", "ref", "closure"),
    budget=16,
    depth=5,
)
FIRST_ORDER = Config(
    shapes=((), (3,), (2, 3), (3, 3)),
    unary=("tanh", "sin", "negative", "exp"),
    binary=("add", "subtract", "multiply"),
    kinds=(
        "leaf",
        "shared",
        "unary",
        "binary",
        "reduce",
        "dense",
        "project",
        "let",
        "let",
        "call",
        "global",
    ),
    let_kinds=("tensor", "tuple", "closure"),
    budget=20,
    depth=4,
)


def tensor(shape) -> tuple:
    """The generator's type of a float32 tensor of `shape`."""
    return ("tensor", tuple(shape))


def lg_type(ty):
    """The IR type of generator type `ty`."""
    kind = ty[0]
    if kind == "tensor":
        return TensorType(ty[1], "float32")
    if kind == "tuple":
        return TupleType([lg_type(f) for f in ty[1]])
    if kind == "ref":
        return RefType(lg_type(ty[1]))
    if kind == "fn":
        return FuncType([lg_type(p) for p in ty[1]], lg_type(ty[2]))
    return TypeCall(LIST, (lg_type(ty[1]),))


def input_value(shape, index: int) -> np.ndarray:
    """A deterministic float32 argument of `shape`, different for each parameter index."""
    size = int(np.prod(shape, dtype=int))
    values = 1.5 * np.cos(1.7 * np.arange(size) + 0.9 * index + 0.3)
    return values.reshape(shape).astype("float32")


def inputs_for(func: lg.Function) -> tuple:
    """Deterministic arguments for a function whose parameters are annotated float tensors."""
    return tuple(input_value(p.type_annotation.shape, i) for i, p in enumerate(func.params))


def _broadcasts_to(operand, result) -> bool:
    return len(operand) <= len(result) and result[len(result) - len(operand) :] == operand


def _sum_shape(shape, axis):
    if axis is None:
        return ()
    return shape[:axis] + shape[axis + 1 :]


def _is_pure_graph(node: lg.Expr) -> bool:
    """Op calls, tuples and projections of variables and constants: safe to share."""
    for sub in lg.ir.post_order(node):
        if isinstance(sub, lg.Call) and isinstance(sub.op, lg.Op):
            continue
        if not isinstance(sub, PURE_NODES):
            return False
    return True


class _Gen:
    """Draws typed expressions; `scope` is a tuple of (Var, type) pairs in scope."""

    def __init__(self, draw, mod: lg.IRModule, config: Config):
        self.draw = draw
        self.mod = mod
        self.config = config
        self.budget = config.budget
        self.pool: list[tuple[lg.Expr, tuple, set[int]]] = []
        self.globals: list[tuple[lg.GlobalVar, tuple]] = []
        self.recursive_count = 0

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def coin(self) -> bool:
        return self.draw(st.booleans())

    def tensor_type(self, shapes=None) -> tuple:
        return tensor(self.pick(shapes or self.config.shapes))

    # --- expressions of tensor type -------------------------------------------------------

    def expr(self, ty, scope, depth: int) -> lg.Expr:
        """A tensor expression of type `ty` over `scope`."""
        if depth <= 0 or self.budget <= 0:
            return self.leaf(ty, scope)
        self.budget -= 1
        node = getattr(self, "g_" + self.pick(self.config.kinds))(ty, scope, depth - 1)
        if not isinstance(node, lg.Var | lg.Constant) and _is_pure_graph(node):
            self.pool.append((node, ty, {id(v) for v in lg.analysis.free_vars(node)}))
        return node

    def leaf(self, ty, scope) -> lg.Expr:
        """A variable, a projection or ref read reaching `ty`, or a constant."""
        found = [e for e, t in self.accessors(scope) if t == ty]
        if found and self.coin():
            return self.pick(found)
        return self.constant(ty)

    def constant(self, ty) -> lg.Constant:
        shape = ty[1]
        size = int(np.prod(shape, dtype=int))
        values = self.pick(CONSTANTS) + 0.25 * np.arange(size)
        return lg.const(values.reshape(shape).astype("float32"))

    def accessors(self, scope):
        """Every (expression, type) reachable from the scope by projections and ref reads."""
        found = []
        stack = [(v, t) for v, t in scope]
        while stack:
            expr, ty = stack.pop()
            found.append((expr, ty))
            if ty[0] == "tuple":
                stack.extend((lg.TupleGetItem(expr, i), f) for i, f in enumerate(ty[1]))
            elif ty[0] == "ref":
                stack.append((lg.RefRead(expr), ty[1]))
        return found

    def g_leaf(self, ty, scope, depth):
        return self.leaf(ty, scope)

    def g_shared(self, ty, scope, depth):
        visible = {id(v) for v, _ in scope}
        usable = [node for node, t, needs in self.pool if t == ty and needs <= visible]
        return self.pick(usable) if usable else self.leaf(ty, scope)

    def g_unary(self, ty, scope, depth):
        name = self.pick(self.config.unary)
        arg = self.expr(ty, scope, depth)
        if name == "exp":  # keep exponentials finite: exp of a bounded value
            return lg.op.exp(lg.op.tanh(arg))
        return getattr(lg.op, name)(arg)

    def g_binary(self, ty, scope, depth):
        operands = [s for s in self.config.shapes if _broadcasts_to(s, ty[1])]
        left, right = ty[1], self.pick(operands)
        if self.coin():
            left, right = right, left
        op = getattr(lg.op, self.pick(self.config.binary))
        return op(self.expr(tensor(left), scope, depth), self.expr(tensor(right), scope, depth))

    def g_reduce(self, ty, scope, depth):
        options = [
            (s, axis)
            for s in self.config.shapes
            for axis in (None, *range(len(s)))
            if s and _sum_shape(s, axis) == ty[1]
        ]
        if not options:
            return self.g_unary(ty, scope, depth)
        shape, axis = self.pick(options)
        arg = self.expr(tensor(shape), scope, depth)
        return lg.op.sum(arg) if axis is None else lg.op.sum(arg, axis=axis)

    def g_dense(self, ty, scope, depth):
        two_d = [s for s in self.config.shapes if len(s) == 2]
        options = [
            (x, w)
            for x in two_d
            for w in two_d
            if len(ty[1]) == 2 and x[0] == ty[1][0] and w == (ty[1][1], x[1])
        ]
        if not options:
            return self.g_binary(ty, scope, depth)
        x, w = self.pick(options)
        return lg.op.nn.dense(
            self.expr(tensor(x), scope, depth), self.expr(tensor(w), scope, depth)
        )

    def g_project(self, ty, scope, depth):
        """``(e0, e1).i``: a projection of a tuple literal."""
        fields = [self.expr(self.tensor_type(), scope, depth) for _ in range(2)]
        index = self.draw(st.integers(0, 2))
        fields.insert(index, self.expr(ty, scope, depth))
        return lg.TupleGetItem(lg.Tuple(fields), index)

    def g_if(self, ty, scope, depth):
        return lg.If(
            self.condition(scope, depth), self.expr(ty, scope, depth), self.expr(ty, scope, depth)
        )

    def condition(self, scope, depth) -> lg.Expr:
        """``greater(sum(e), 0f)``: a bool computed from the program's values."""
        value = lg.op.sum(self.expr(self.tensor_type(), scope, depth))
        return lg.op.greater(value, lg.const(0.0))

    # --- bindings -------------------------------------------------------------------------

    def g_let(self, ty, scope, depth):
        return self.let(scope, depth, lambda inner: self.expr(ty, inner, depth))

    def let(self, scope, depth, body):
        """A binding of a drawn kind around ``body(extended scope)``."""
        kind = self.pick(self.config.let_kinds)
        return getattr(self, "let_" + kind)(scope, depth, body)

    def bind(self, name, value, ty, scope, body, annotate=False):
        var = lg.Var(name, lg_type(ty) if annotate else None)
        return lg.Let(var, value, body((*scope, (var, ty))))

    def let_tensor(self, scope, depth, body):
        ty = self.tensor_type()
        return self.bind("t", self.expr(ty, scope, depth), ty, scope, body, self.coin())

    def let_tuple(self, scope, depth, body):
        fields, types = [], []
        for _ in range(self.draw(st.integers(1, 3))):
            value, ty = self.tuple_field(scope, depth)
            fields.append(value)
            types.append(ty)
        return self.bind("tup", lg.Tuple(fields), ("tuple", tuple(types)), scope, body)

    def tuple_field(self, scope, depth):
        ty = self.tensor_type()
        value = self.expr(ty, scope, depth)
        if "ref" in self.config.let_kinds and self.coin():
            return lg.RefCreate(value), ("ref", ty)
        return value, ty

    def let_ref(self, scope, depth, body):
        """``let %r = ref(e); [let %a = %r; ref_write(%a, e2);] body``."""
        ty = ("ref", self.tensor_type())
        ref = lg.Var("r")
        inner = (*scope, (ref, ty))
        if self.coin():
            return lg.Let(ref, lg.RefCreate(self.expr(ty[1], scope, depth)), body(inner))
        alias = lg.Var("alias")
        inner = (*inner, (alias, ty))
        write = lg.RefWrite(alias, self.expr(ty[1], inner, depth))
        rest = lg.Let(lg.Var("w"), write, body(inner))
        return lg.Let(ref, lg.RefCreate(self.expr(ty[1], scope, depth)), lg.Let(alias, ref, rest))

    def let_alias(self, scope, depth, body):
        refs = [(e, t) for e, t in self.accessors(scope) if t[0] == "ref"]
        if not refs:
            return self.let_ref(scope, depth, body)
        ref, ty = self.pick(refs)
        return self.bind("alias", ref, ty, scope, body)

    def let_write(self, scope, depth, body):
        refs = [(e, t) for e, t in self.accessors(scope) if t[0] == "ref"]
        if not refs:
            return self.let_ref(scope, depth, body)
        ref, ty = self.pick(refs)
        write = lg.RefWrite(ref, self.expr(ty[1], scope, depth))
        return lg.Let(lg.Var("w"), write, body(scope))

    def let_closure(self, scope, depth, body):
        func, ty = self.closure(scope, depth, self.draw(st.integers(1, 2)))
        return self.bind("f", func, ty, scope, body)

    def closure(self, scope, depth, arity, result=None, params=None):
        """A function literal capturing `scope`; parameter types are drawn unless given."""
        params = params or tuple(self.tensor_type() for _ in range(arity))
        result = result or self.tensor_type()
        variables = [lg.Var(f"a{i}", lg_type(t)) for i, t in enumerate(params)]
        inner = (*scope, *zip(variables, params, strict=True))
        func = lg.Function(variables, self.expr(result, inner, depth), lg_type(result))
        return func, ("fn", params, result)

    def let_list(self, scope, depth, body):
        element = self.tensor_type()
        items = self.list_literal(element, scope, depth)
        return self.bind("l", items, ("list", element), scope, body)

    # --- calls ----------------------------------------------------------------------------

    def g_call(self, ty, scope, depth):
        """A call of a closure in scope returning `ty`, or of a function literal."""
        closures = [(e, t) for e, t in self.accessors(scope) if t[0] == "fn" and t[2] == ty]
        if closures and self.coin():
            func, fty = self.pick(closures)
        else:
            func, fty = self.closure(scope, depth, self.draw(st.integers(1, 2)), result=ty)
        return lg.Call(func, [self.expr(p, scope, depth) for p in fty[1]])

    def g_global(self, ty, scope, depth):
        """A call of a non-recursive global returning `ty` (reused or made now)."""
        known = [g for g, t in self.globals if t[2] == ty]
        gvar = self.pick(known) if known and self.coin() else self.new_global(ty, depth)
        params = dict(self.globals)[gvar][1]
        return lg.Call(gvar, [self.expr(p, scope, depth) for p in params])

    def new_global(self, ty, depth) -> lg.GlobalVar:
        func, fty = self.closure((), depth, self.draw(st.integers(1, 2)), result=ty)
        gvar = lg.GlobalVar(f"g{len(self.globals)}")
        self.mod[gvar] = func
        self.globals.append((gvar, fty))
        return gvar

    def g_recursion(self, ty, scope, depth):
        """A countdown from a small constant: a recursive global or let-bound closure."""
        count = lg.const(self.draw(st.integers(0, 3)))
        start = self.expr(ty, scope, depth)
        if self.coin():
            return lg.Call(self.recursive_global(ty, depth), [count, start])
        func = lg.Var("loop")
        step = self.countdown(func, ty, scope, depth)
        return lg.Let(func, step, lg.Call(func, [count, start]))

    def countdown(self, callee, ty, scope, depth) -> lg.Function:
        """``fn (%n: int32, %y) { if (%n == 0) { %y } else { callee(%n - 1, step(%y)) } }``."""
        n, y = lg.var("n", "int32"), lg.Var("y", lg_type(ty))
        step = self.expr(ty, (*scope, (y, ty)), depth)
        recur = lg.Call(callee, [lg.op.subtract(n, lg.const(1)), step])
        body = lg.If(lg.op.equal(n, lg.const(0)), y, recur)
        return lg.Function([n, y], body, lg_type(ty))

    def recursive_global(self, ty, depth) -> lg.GlobalVar:
        # the name is taken before the body is drawn: the body may make recursive globals
        # of its own, and one of the same name would make this one call itself unbounded
        self.recursive_count += 1
        gvar = lg.GlobalVar(f"rec{self.recursive_count}")
        self.mod[gvar] = self.countdown(gvar, ty, (), depth)
        return gvar

    # --- lists ----------------------------------------------------------------------------

    def g_match(self, ty, scope, depth):
        """``match (list) { Cons(%h, %t) => ..., Nil => ... }`` (sometimes with wildcards)."""
        element = self.tensor_type()
        data = self.list_expr(element, scope, depth)
        head, tail = lg.Var("h"), lg.Var("tl")
        rest = lg.PatternVar(tail) if self.coin() else lg.PatternWildcard()
        inner = (*scope, (head, element))
        if isinstance(rest, lg.PatternVar):
            inner = (*inner, (tail, ("list", element)))
        cons = lg.PatternConstructor(CONS, [lg.PatternVar(head), rest])
        other = lg.PatternConstructor(NIL) if self.coin() else lg.PatternWildcard()
        clauses = [
            lg.Clause(cons, self.expr(ty, inner, depth)),
            lg.Clause(other, self.expr(ty, scope, depth)),
        ]
        return lg.Match(data, clauses)

    def g_fold(self, ty, scope, depth):
        """``@foldl(f, init, list)`` with a closure from scope or a function literal."""
        element = self.tensor_type()
        wanted = ("fn", (ty, element), ty)
        closures = [e for e, t in self.accessors(scope) if t == wanted]
        if closures and self.coin():
            func = self.pick(closures)
        else:
            func, _ = self.closure(scope, depth, 2, result=ty, params=wanted[1])
        foldl = self.mod.get_global_var("foldl")
        return lg.Call(
            foldl, [func, self.expr(ty, scope, depth), self.list_expr(element, scope, depth)]
        )

    def list_expr(self, element, scope, depth) -> lg.Expr:
        """A list of `element`: a list in scope, a literal, or @map over another list."""
        kind = self.pick(("literal", "scope", "map"))
        lists = [e for e, t in self.accessors(scope) if t == ("list", element)]
        if kind == "scope" and lists:
            return self.pick(lists)
        if kind == "map" and depth > 0:
            source = self.tensor_type()
            wanted = ("fn", (source,), element)
            closures = [e for e, t in self.accessors(scope) if t == wanted]
            if closures and self.coin():
                func = self.pick(closures)
            else:
                func, _ = self.closure(scope, depth - 1, 1, result=element, params=(source,))
            items = self.list_expr(source, scope, depth - 1)
            return lg.Call(self.mod.get_global_var("map"), [func, items])
        return self.list_literal(element, scope, depth)

    def list_literal(self, element, scope, depth) -> lg.Expr:
        """``Cons(e1, ... Cons(ek, Nil))`` with 1 to 3 elements (a bare Nil has no type)."""
        items = lg.Call(NIL, [])
        for _ in range(self.draw(st.integers(1, 3))):
            items = lg.Call(CONS, [self.expr(element, scope, depth), items])
        return items

    # --- whole programs -------------------------------------------------------------------

    def value(self, ty, scope, depth) -> lg.Expr:
        """An expression of any generator type (the program's result)."""
        kind = ty[0]
        if kind == "tensor":
            return self.expr(ty, scope, depth)
        if kind == "tuple":
            return lg.Tuple([self.value(f, scope, depth) for f in ty[1]])
        if kind == "ref":
            refs = [e for e, t in self.accessors(scope) if t == ty]
            return (
                self.pick(refs)
                if refs and self.coin()
                else lg.RefCreate(self.expr(ty[1], scope, depth))
            )
        return self.list_expr(ty[1], scope, depth)

    def body(self, ty, scope, depth) -> lg.Expr:
        """A few leading bindings, then the result."""
        lets = self.draw(st.integers(0, 3))

        def chain(inner, left):
            if left == 0:
                return self.value(ty, inner, depth)
            return self.let(inner, depth, lambda more: chain(more, left - 1))

        return chain(scope, lets)


def _result_types(config: Config, results: tuple):
    tensors = st.sampled_from(config.shapes).map(tensor)
    choices = {
        "tensor": tensors,
        "tuple": st.lists(tensors, min_size=1, max_size=2).map(lambda f: ("tuple", tuple(f))),
        "ref": tensors.map(lambda t: ("ref", t)),
        "list": tensors.map(lambda t: ("list", t)),
    }
    return st.one_of([choices[r] for r in results])


@st.composite
def _programs(draw, config: Config, base: lg.IRModule, results: tuple) -> Program:
    mod = base.copy()
    gen = _Gen(draw, mod, config)
    shapes = draw(st.lists(st.sampled_from(config.shapes), min_size=1, max_size=3))
    params = [lg.var(f"p{i}", shape=s) for i, s in enumerate(shapes)]
    scope = tuple((p, tensor(s)) for p, s in zip(params, shapes, strict=True))
    result = draw(_result_types(config, results))
    mod["main"] = lg.Function(params, gen.body(result, scope, config.depth))
    return Program(_reachable(mod), tuple(input_value(s, i) for i, s in enumerate(shapes)))


def _reachable(mod: lg.IRModule) -> lg.IRModule:
    """`mod` cut down to ``@main`` and the globals it calls: less for every pass to check."""
    kept, todo = {}, [mod.get_global_var("main")]
    while todo:
        gvar = todo.pop()
        if gvar not in kept:
            kept[gvar] = mod[gvar]
            todo.extend(n for n in lg.ir.post_order(kept[gvar]) if isinstance(n, lg.GlobalVar))
    return lg.IRModule(dict(reversed(kept.items())), mod.type_definitions)


def programs(differentiable: bool = False):
    """Closed programs in a module with the prelude, with arguments.

    With `differentiable` the result is a tensor or a tuple of tensors (something `gradient`
    sums); otherwise it may also be a ref or a List.
    """
    results = ("tensor", "tuple") if differentiable else ("tensor", "tuple", "ref", "list")
    return _programs(PROGRAMS, PRELUDE, results)


def special_value_programs(differentiable: bool = False):
    """Like `programs`, with ops that make and absorb infinities and NaN (``log``, ``sqrt``,
    ``zeros_like``, ...): for runs on special values (their `args` are finite)."""
    results = ("tensor", "tuple") if differentiable else ("tensor", "tuple", "ref", "list")
    return _programs(SPECIAL_VALUES, PRELUDE, results)


def first_order_programs(with_if: bool = False):
    """Straight-line programs (no prelude) for first-order AD; `with_if` adds dynamic `if`."""
    config = FIRST_ORDER
    if with_if:
        config = Config(**{**config.__dict__, "kinds": (*config.kinds, "if")})
    return _programs(config, lg.IRModule(), ("tensor", "tuple"))


def assert_same(before, after, path="result"):
    """Equal values, leaf by leaf: tensors within rtol 1e-5; tuples, ADT values and refs."""
    if isinstance(before, tuple):
        assert isinstance(after, tuple) and len(after) == len(before), path
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_same(b, a, f"{path}.{i}")
    elif isinstance(before, lg.ConstructorValue):
        assert isinstance(after, lg.ConstructorValue), path
        assert after.constructor.name == before.constructor.name, path
        assert_same(before.fields, after.fields, f"{path}:{before.constructor.name}")
    elif isinstance(before, lg.RefValue):
        assert isinstance(after, lg.RefValue), path
        assert_same(before.value, after.value, f"{path}.value")
    else:
        # atol absorbs float32 reassociation noise around zero (gradient sums reordered)
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6, err_msg=path)
        assert np.asarray(after).dtype == np.asarray(before).dtype, path
