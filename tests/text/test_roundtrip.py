"""parse(print(x)) is alpha-equivalent to x: golden fixtures and random programs."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import lambdagrad as lg
from lambdagrad.analysis import alpha_equal
from lambdagrad.ir.types import FuncType, RefType, TensorType, TupleType, TypeCall
from lambdagrad.text import format_source, print_expr, print_module
from lambdagrad.text.comments import strip_comments

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.glob("*.rly"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_prints_its_golden_text(path):
    golden = (FIXTURES / "golden" / path.name).read_text()
    assert print_module(lg.parse(path.read_text())) == golden


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_round_trips(path):
    mod = lg.parse(path.read_text())
    text = print_module(mod)
    again = lg.parse(text)
    assert alpha_equal(again, mod)
    assert print_module(again) == text


def test_prelude_round_trips():
    mod = lg.parse("def @main() { @length(Cons(1, Nil)) }", prelude=True)
    assert alpha_equal(lg.parse(print_module(mod)), mod)


ADT = lg.parse("type Opt[A] { Some(A), Nothing, Pair(A, A) } extern type Opaque[A]")
OPT = ADT.get_global_type_var("Opt")
OPAQUE = ADT.get_global_type_var("Opaque")
CTORS = [ADT.get_constructor(n) for n in ("Some", "Nothing", "Pair")]
NAMES = ["x", "y", "x_1", "a"]
DTYPES = [*lg.ir.DTYPES]


class _Gen:
    """Random well-scoped expressions; `pool` holds nodes to reuse (shared subexpressions)."""

    def __init__(self, draw):
        self.draw = draw
        self.pool: list[tuple[lg.Expr, set[int]]] = []

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def type(self, depth: int = 2):
        kinds = ["tensor", "tensor", "tuple", "func", "ref", "adt"]
        kind = self.pick(kinds if depth else ["tensor"])
        if kind == "tensor":
            dims = self.draw(st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=3))
            return TensorType(tuple(dims), self.pick(DTYPES))
        if kind == "tuple":
            return TupleType([self.type(depth - 1) for _ in range(self.draw(st.integers(0, 2)))])
        if kind == "func":
            return FuncType([self.type(depth - 1)], self.type(depth - 1))
        if kind == "ref":
            return RefType(self.type(depth - 1))
        return TypeCall(self.pick([OPT, OPAQUE]), (self.type(depth - 1),))

    def var(self):
        annotation = self.type() if self.draw(st.booleans()) else None
        return lg.Var(self.pick(NAMES), annotation)

    def constant(self):
        dtype = self.pick(DTYPES)
        shape = tuple(self.draw(st.lists(st.integers(0, 3), max_size=2)))
        if np.dtype(dtype).kind == "f":
            values = st.floats(width=np.finfo(dtype).bits, allow_subnormal=False)
        elif dtype == "bool":
            values = st.booleans()
        else:
            info = np.iinfo(dtype)
            values = st.integers(int(info.min), int(info.max))
        size = int(np.prod(shape))
        data = self.draw(st.lists(values, min_size=size, max_size=size))
        return lg.Constant(np.array(data, dtype=dtype).reshape(shape))

    def expr(self, scope: list, depth: int):
        kinds = (
            ["leaf", "shared"]
            if depth <= 0
            else [
                "leaf",
                "shared",
                "let",
                "tuple",
                "proj",
                "if",
                "fn",
                "call",
                "ref",
                "match",
                "op",
            ]
        )
        node = getattr(self, "g_" + self.pick(kinds))(scope, depth - 1)
        if not isinstance(node, lg.Var | lg.Constant):
            self.pool.append((node, {id(v) for v in lg.analysis.free_vars(node)}))
        return node

    def g_leaf(self, scope, depth):
        if scope and self.draw(st.booleans()):
            return self.pick(scope)
        return self.constant()

    def g_shared(self, scope, depth):
        visible = {id(v) for v in scope}
        usable = [node for node, needs in self.pool if needs <= visible]
        return self.pick(usable) if usable else self.g_leaf(scope, depth)

    def g_let(self, scope, depth):
        if self.draw(st.booleans()):  # `e1; e2`: a let of an unnamed variable the body ignores
            return lg.Let(lg.Var(""), self.expr(scope, depth), self.expr(scope, depth))
        var = self.var()
        return lg.Let(var, self.expr(scope, depth), self.expr([*scope, var], depth))

    def g_tuple(self, scope, depth):
        return lg.Tuple([self.expr(scope, depth) for _ in range(self.draw(st.integers(0, 3)))])

    def g_proj(self, scope, depth):
        return lg.TupleGetItem(self.expr(scope, depth), self.draw(st.integers(0, 2)))

    def g_if(self, scope, depth):
        return lg.If(*(self.expr(scope, depth) for _ in range(3)))

    def g_fn(self, scope, depth):
        params = [self.var() for _ in range(self.draw(st.integers(0, 2)))]
        ret = self.type() if self.draw(st.booleans()) else None
        return lg.Function(params, self.expr([*scope, *params], depth), ret)

    def g_call(self, scope, depth):
        callee = self.expr(scope, depth)
        count = self.draw(st.integers(0, 2))
        return lg.Call(callee, [self.expr(scope, depth) for _ in range(count)])

    def g_ref(self, scope, depth):
        kind = self.pick([lg.RefCreate, lg.RefRead, lg.RefWrite])
        args = [self.expr(scope, depth) for _ in range(2 if kind is lg.RefWrite else 1)]
        return kind(*args)

    def g_op(self, scope, depth):
        x = self.expr(scope, depth)
        if self.draw(st.booleans()):
            binary = self.pick([lg.op.add, lg.op.less, lg.op.greater_equal, lg.op.not_equal])
            return binary(x, self.expr(scope, depth))
        axis = self.draw(st.one_of(st.none(), st.integers(-3, 3), st.lists(st.integers(0, 3))))
        return lg.op.test.reduce(x, axis=axis, keepdims=self.draw(st.booleans()))

    def g_match(self, scope, depth):
        clauses = []
        for _ in range(self.draw(st.integers(1, 3))):
            pattern, bound = self.pattern(2)
            clauses.append(lg.Clause(pattern, self.expr([*scope, *bound], depth)))
        return lg.Match(self.expr(scope, depth), clauses, self.draw(st.booleans()))

    def pattern(self, depth):
        kind = self.pick(["wild", "var", "ctor", "tuple"] if depth else ["wild", "var"])
        if kind == "wild":
            return lg.PatternWildcard(), []
        if kind == "var":
            var = self.var()
            return lg.PatternVar(var), [var]
        parts = [self.pattern(depth - 1) for _ in range(self.draw(st.integers(0, 2)))]
        if kind == "ctor":
            ctor = self.pick(CTORS)
            parts = [self.pattern(depth - 1) for _ in ctor.inputs]
        bound = [v for _, vs in parts for v in vs]
        patterns = [p for p, _ in parts]
        if kind == "ctor":
            return lg.PatternConstructor(ctor, patterns), bound
        return lg.PatternTuple(patterns), bound


@st.composite
def programs(draw):
    gen = _Gen(draw)
    params = [gen.var() for _ in range(draw(st.integers(0, 3)))]
    return lg.Function(params, gen.expr(list(params), draw(st.integers(1, 4))))


def _unique_pattern_vars(func) -> bool:
    """Patterns may not bind one Var object twice; the generator can draw such programs."""
    for node in lg.ir.post_order(func):
        if isinstance(node, lg.Match):
            for clause in node.clauses:
                found = lg.ir.pattern_vars(clause.lhs)
                if len({id(v) for v in found}) != len(found):
                    return False
    return True


@pytest.mark.slow
@given(programs())
def test_random_programs_round_trip(func):
    mod = lg.IRModule({lg.GlobalVar("main"): func}, dict(ADT.type_definitions))
    text = print_module(mod)
    again = lg.parse(text)
    assert alpha_equal(again, mod), text
    assert print_module(again) == text


@pytest.mark.slow
@given(programs())
def test_random_expressions_round_trip_without_a_module(func):
    text = print_expr(func.body, free_var_types=True)
    assume("Opt" not in text and "Some" not in text)  # ADTs need their module
    assume("Pair" not in text and "Nothing" not in text and "Opaque" not in text)
    assert alpha_equal(lg.parse_expr(text), func.body), text


@st.composite
def commented_programs(draw):
    """The text of a random program with comments between and at the end of its lines."""
    func = draw(programs())
    mod = lg.IRModule({lg.GlobalVar("main"): func}, dict(ADT.type_definitions))
    lines = print_module(mod).split("\n")
    for i in draw(st.lists(st.integers(1, len(lines) - 1), max_size=6)):
        style = draw(st.sampled_from(["own", "trailing", "block"]))
        if style == "own":
            lines[i] = f"// c{i}\n{lines[i]}"
        elif style == "trailing":
            lines[i] += f" // c{i}"
        else:
            lines[i] = f"/* c{i} /* nested */ */ {lines[i]}"
    return "\n".join(lines)


@pytest.mark.slow
@given(commented_programs())
def test_fmt_keeps_every_comment_and_the_program(text):
    out = format_source(text)
    assert alpha_equal(lg.parse(out), lg.parse(text)), out
    for comment in strip_comments(text)[1]:
        assert comment.text in out
    assert format_source(out) == out
