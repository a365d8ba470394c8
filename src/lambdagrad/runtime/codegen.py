"""Writing Python source for IR functions: one Python function per IR function.

The source reads like the program: lets are assignments, closures are nested ``def``s (Python
closures capture what they use, as the interpreter's do), ``if`` is if/else, ``match`` tests
constructors and unpacks fields, refs are `RefValue` cells, ADT values `ConstructorValue`s,
and ops are Python operators or numpy calls where that is exact (see `opcalls`). A function
that calls itself in tail position runs as a ``while True`` loop that rebinds its parameters;
globals that call each other in tail position (``@even`` and ``@odd``) share one such loop,
in which a variable says whose body runs next.

Nothing from the program is pasted into the source. Names go through `Namer`; constants,
constructors, bound ops and messages live in the namespace the code runs in, under private
names (``_c1``, ``_sum``, ...); the only literals are fixed keywords, ``()`` and tuple
indices. Each op call gets a line of its own, so a failure is traced back to its op through
the line number (the `sites` of a `Unit`), with no try block in the generated code.

0-d values: an elementwise op on 0-d operands returns a numpy scalar. Such results (marked
`Atom.maybe_scalar`) stay scalars while they feed elementwise ops and conditions, and become
0-d arrays (``np.asarray``) where they are stored, passed or returned, so every value outside
a function's locals is what the interpreter would hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import EvaluationError
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
    pattern_vars,
)
from ..ir.module import IRModule
from ..ir.op import Op
from ..ir.types import FuncType, TensorType, Type
from ..ir.visitor import bound_vars, children, free_vars
from .interpreter import location
from .naming import Namer

if TYPE_CHECKING:
    from .namespace import Namespace

# Indentation at which a nested block moves into a function of its own: Python's tokenizer
# stops at 100 levels, and a program may nest `if`s or closures deeper than that.
LIFT_DEPTH = 50
INDENT = "    "


@dataclass(frozen=True, slots=True)
class Atom:
    """A Python expression for a value that is already computed.

    `code` is a local name, a namespace name or ``()``. `maybe_scalar`: it may hold a numpy
    scalar (or a Python float or bool) where the program has a 0-d array. `local`: a local
    variable (a lifted block takes it as a parameter). `scalar_form`: for a 0-d constant, its
    name as a numpy scalar. `py_float`: it holds a float64 scalar as a Python float;
    `float_form`: for a float64 0-d constant, its name as one.
    """

    code: str
    maybe_scalar: bool = False
    local: bool = False
    scalar_form: str | None = None
    py_float: bool = False
    float_form: str | None = None

    def array(self) -> str:
        """The value as the interpreter holds it: to store, pass or return."""
        return f"np.asarray({self.code})" if self.maybe_scalar else self.code

    def operand(self) -> str:
        """The value as an argument of an elementwise op, which takes numpy scalars too."""
        return self.scalar_form or self.code

    def float_operand(self) -> str:
        """The value, a float64 scalar, as a Python float."""
        if self.py_float:
            return self.code
        return self.float_form or f"float({self.code})"


@dataclass(frozen=True)
class _Rhs:
    """The right-hand side of an assignment computing a value, and what its line is."""

    code: str
    maybe_scalar: bool = False
    site: Site | None = None
    py_float: bool = False


@dataclass(frozen=True)
class OpSite:
    """An op call on one line of generated code: the call and the names of its arguments."""

    call: Call
    args: tuple[str, ...]


@dataclass(frozen=True)
class CallSite:
    """A call of a function value on one line of generated code."""

    call: Call
    callee: str


@dataclass(frozen=True)
class MatchSite:
    """A line testing the constructors of a `match`: a value that is no ADT value fails it."""

    match: Match
    data: str


Site = OpSite | CallSite | MatchSite


@dataclass(frozen=True)
class FunctionInfo:
    """What the interpreter knows about a closure: its name, parameters and result type,
    and the typed IR function it was written from."""

    name: str
    params: tuple[Var, ...]
    ret_type: Type | None
    func: Function = field(compare=False, repr=False)


@dataclass
class Unit:
    """Generated source for some functions, with what each line number stands for."""

    source: str
    sites: dict[int, Site]
    defs: dict[int, FunctionInfo]


@dataclass
class _Text:
    """The lines of one top-level Python function, with the sites and defs among them.

    `namer` names its locals (a lifted block shares the namer of the function it came from).
    """

    namer: Namer
    lines: list[str] = field(default_factory=list)
    sites: dict[int, Site] = field(default_factory=dict)
    defs: dict[int, FunctionInfo] = field(default_factory=dict)

    def add(self, depth: int, code: str) -> int:
        self.lines.append(INDENT * depth + code)
        return len(self.lines) - 1


@dataclass(frozen=True)
class _Member:
    """A function whose body a loop runs: what it is called by, and its parameters."""

    target: Expr
    params: tuple[str, ...]
    scalar_params: tuple[bool, ...]


@dataclass(frozen=True)
class _Loop:
    """A loop running the body of `members[current]`; a tail call of a member continues it.

    `state` (for several members) is the variable saying which member's body runs next.
    """

    members: tuple[_Member, ...]
    current: int = 0
    state: str | None = None

    def member(self, call: Expr) -> int | None:
        """The index of the member `call` calls with all its arguments, if any."""
        for index, member in enumerate(self.members):
            if _calls(call, member.target, len(member.params)):
                return index
        return None


@dataclass(frozen=True)
class _Frame:
    """Where statements go: a text, an indentation, and the loop a tail self-call continues."""

    text: _Text
    depth: int
    loop: _Loop | None = None

    def line(self, code: str, site: Site | None = None) -> None:
        index = self.text.add(self.depth, code)
        if site is not None:
            self.text.sites[index] = site

    def inner(self) -> _Frame:
        """The frame of a block nested in this one (an if branch, a match clause)."""
        return _Frame(self.text, self.depth + 1, self.loop)

    def body(self, loop: _Loop | None) -> _Frame:
        """The frame of the body of a def written here."""
        return _Frame(self.text, self.depth + 1, loop)


class _Scope:
    """The atom of each variable in scope, with an undo log for leaving scopes."""

    def __init__(self):
        self.atoms: dict[Var, Atom] = {}
        self._undo: list[tuple[Var, Atom | None]] = []

    def bind(self, var: Var, atom: Atom) -> None:
        self._undo.append((var, self.atoms.get(var)))
        self.atoms[var] = atom

    def mark(self) -> int:
        return len(self._undo)

    def restore(self, mark: int) -> None:
        while len(self._undo) > mark:
            var, old = self._undo.pop()
            if old is None:
                del self.atoms[var]
            else:
                self.atoms[var] = old


class Codegen:
    """Writes the Python source of IR functions (typed, in graph-free form) into one unit.

    Globals the functions use and that the namespace has no name for yet are written into the
    same unit.
    """

    def __init__(self, mod: IRModule, namespace: Namespace):
        self.mod = mod
        self.ns = namespace
        self.scope = _Scope()
        self._texts: list[_Text] = []
        self._pending: list[GlobalVar] = []
        self._groups_written: set[tuple[GlobalVar, ...]] = set()

    def function(self, func: Function) -> str:
        """Write `func` (a function literal, so named ``fn``) as a top-level function."""
        name = self.ns.namer.fresh("fn")
        self._function_def(func, name, "fn", self._new_frame(), None)
        return name

    def thunk(self, expr: Expr) -> str:
        """Write a function of no arguments that returns the value of `expr`."""
        name = self.ns.namer.fresh("value")
        frame = self._new_frame()
        frame.line(f"def {name}():")
        self._finish(expr, frame.inner(), None)
        return name

    def global_name(self, gvar: GlobalVar) -> str:
        """The name of a global's function, writing it into this unit if it is new."""
        name = self.ns.globals.get(gvar)
        if name is None:
            name = self.ns.globals[gvar] = self.ns.namer.fresh(gvar.name_hint)
            self._pending.append(gvar)
        return name

    def unit(self) -> Unit:
        """The source written so far (with the globals it reaches), numbered from line 1."""
        while self._pending:
            self._write_global(self._pending.pop(0))
        lines, sites, defs = [], {}, {}
        for text in self._texts:
            offset = len(lines) + 1
            lines.extend(text.lines)
            lines.append("")
            sites.update({offset + i: s for i, s in text.sites.items()})
            defs.update({offset + i: d for i, d in text.defs.items()})
        return Unit("\n".join(lines), sites, defs)

    def _write_global(self, gvar: GlobalVar) -> None:
        func = self.mod.functions.get(gvar)
        name = self.ns.globals[gvar]
        group = self._tail_group(gvar, func)
        if group:
            if group not in self._groups_written:
                self._groups_written.add(group)
                self._write_tail_group(group)
            return
        frame = self._new_frame()
        if func is None:  # the interpreter fails when it looks the global up, so do we
            frame.line(f"def {name}(*args):")
            message = self.ns.add("message", f"unknown global @{gvar.name_hint}")
            frame.inner().line(f"raise EvaluationError({message})")
            return
        self._function_def(func, name, f"@{gvar.name_hint}", frame, gvar)

    def _tail_group(self, gvar: GlobalVar, func) -> tuple[GlobalVar, ...] | None:
        """The globals `gvar` shares a loop with (itself among them), if it calls another
        global in tail position and that one calls it back the same way."""
        if func is None or not any(
            isinstance(e, Call) and isinstance(e.op, GlobalVar) and e.op != gvar
            for e in _tail_positions(func.body)
        ):
            return None
        if self.ns.tail_groups is None:
            self.ns.tail_groups = tail_groups(self.mod)
        group = self.ns.tail_groups.get(gvar)
        if group is None:
            return None
        for member in group:
            self.global_name(member)  # named before any body calls it
        return group

    def _new_frame(self, namer: Namer | None = None) -> _Frame:
        """A frame at the top level of a new text, its locals named by a new child namer."""
        text = _Text(namer or self.ns.namer.child())
        self._texts.append(text)
        return _Frame(text, 0)

    # ---- functions

    def _function_def(self, func, name, ir_name, frame: _Frame, self_ref) -> None:
        """``def name(params): body``, as a loop if it calls `self_ref` in tail position."""
        params = tuple(frame.text.namer.fresh(p.name_hint) for p in func.params)
        loop = _loop_for(func, self_ref, params)
        ret_type = func.checked_type.ret_type if isinstance(func.checked_type, FuncType) else None
        frame.text.defs[len(frame.text.lines)] = FunctionInfo(ir_name, func.params, ret_type, func)
        frame.line(f"def {name}({', '.join(params)}):")
        body = frame.body(loop)
        if loop is not None:
            body.line("while True:")
            body = body.inner()
        self._member_body(func, params, loop, body)

    def _member_body(self, func: Function, params, loop: _Loop | None, frame: _Frame) -> None:
        """The body of `func`, its parameters named `params` (rebound if `loop` runs it)."""
        mark = self.scope.mark()
        scalars = loop.members[loop.current].scalar_params if loop else (False,) * len(params)
        for param, pname, scalar in zip(func.params, params, scalars, strict=True):
            self.scope.bind(param, Atom(pname, maybe_scalar=scalar, local=True))
        self._finish(func.body, frame, None)
        self.scope.restore(mark)

    def _write_tail_group(self, group: tuple[GlobalVar, ...]) -> None:
        """Globals calling each other in tail position: one loop running each one's body as a
        variable says, and per global a function entering the loop at its own body."""
        frame = self._new_frame()
        namer = frame.text.namer
        funcs = [self.mod.functions[g] for g in group]
        members = tuple(
            _Member(g, tuple(namer.fresh(p.name_hint) for p in f.params), _scalars(f))
            for g, f in zip(group, funcs, strict=True)
        )
        state = namer.fresh("run")
        loop_name = self.ns.namer.fresh("_".join(g.name_hint for g in group))
        slots = [p for m in members for p in m.params]
        frame.line(f"def {loop_name}({', '.join([state, *slots])}):")
        body = frame.inner()
        body.line("while True:")
        body = body.inner()
        for index, (member, func) in enumerate(zip(members, funcs, strict=True)):
            branch = body
            if index < len(members) - 1:
                body.line(f"if {state} == {index}:")
                branch = body.inner()
            loop = _Loop(members, index, state)
            self._member_body(func, member.params, loop, _Frame(frame.text, branch.depth, loop))
        for index, (member, func) in enumerate(zip(members, funcs, strict=True)):
            self._write_entry(member, func, index, loop_name, slots)

    def _write_entry(self, member: _Member, func: Function, index: int, loop_name, slots):
        """``def g(params): return loop(index, ...)``: calls of global `g` from anywhere."""
        frame = self._new_frame()
        ret_type = func.checked_type.ret_type if isinstance(func.checked_type, FuncType) else None
        ir_name = f"@{member.target.name_hint}"
        frame.text.defs[0] = FunctionInfo(ir_name, func.params, ret_type, func)
        frame.line(f"def {self.ns.globals[member.target]}({', '.join(member.params)}):")
        args = [p if p in member.params else "()" for p in slots]
        frame.inner().line(f"return {loop_name}({', '.join([str(index), *args])})")

    def _closure(self, func: Function, name: str, ir_name: str, frame: _Frame, self_ref) -> None:
        """A nested def, or when nested too deep, a call of a top-level factory making it."""
        if frame.depth < LIFT_DEPTH:
            self._function_def(func, name, ir_name, frame, self_ref)
            return
        captured = [v for v in free_vars(func) if v is not self_ref]
        params = self._local_names(captured)
        factory = self.ns.namer.fresh(f"make_{name}")
        outer = self._new_frame(frame.text.namer)
        outer.line(f"def {factory}({', '.join(params)}):")
        self._function_def(func, name, ir_name, outer.inner(), self_ref)
        outer.inner().line(f"return {name}")
        frame.line(f"{name} = {factory}({', '.join(params)})")

    def _local_names(self, variables: list[Var]) -> list[str]:
        atoms = [self.scope.atoms.get(v) for v in variables]
        return list(dict.fromkeys(a.code for a in atoms if a is not None and a.local))

    # ---- statements: an expression in tail position

    def _finish(self, expr: Expr, frame: _Frame, dest: str | None) -> bool:
        """Write `expr` in tail position: ``return`` it, or (`dest`) assign it to `dest`.

        Returns whether the assigned value may be a numpy scalar.
        """
        mark = self.scope.mark()
        expr = self._lets(expr, frame)
        if isinstance(expr, If | Match):
            scalar = self._branch(expr, frame, dest)
        elif dest is None and frame.loop is not None and frame.loop.member(expr) is not None:
            self._loop_again(expr, frame)
            scalar = False
        else:
            atom = self._value(expr, frame, dest)
            if dest is None:
                frame.line(f"return {atom.array()}")
            elif atom.code != dest:
                frame.line(f"{dest} = {atom.code}")
            scalar = atom.maybe_scalar
        self.scope.restore(mark)
        return scalar

    def _lets(self, expr: Expr, frame: _Frame) -> Expr:
        """Write the bindings of a let-chain (in a loop: chains are long); returns its body."""
        while isinstance(expr, Let):
            var, value = expr.var, expr.value
            if isinstance(value, Function):
                name = frame.text.namer.fresh(var.name_hint)
                self.scope.bind(var, Atom(name, local=True))  # before: it may call itself
                self._closure(value, name, f"%{var.name_hint}", frame, var)
            else:
                self.scope.bind(var, self._value(value, frame, None, var.name_hint))
            expr = expr.body
        return expr

    def _loop_again(self, call: Call, frame: _Frame) -> None:
        """A tail call of a member of the loop: rebind its parameters and go round."""
        loop = frame.loop
        index = loop.member(call)
        member = loop.members[index]
        args = [self._value(a, frame) for a in call.args]
        pairs = [
            (param, arg.code if scalar else arg.array())
            for param, scalar, arg in zip(member.params, member.scalar_params, args, strict=True)
            if arg.code != param
        ]
        if index != loop.current:
            pairs.append((loop.state, str(index)))
        if pairs:
            frame.line(f"{', '.join(p for p, _ in pairs)} = {', '.join(v for _, v in pairs)}")
        frame.line("continue")

    def _branch(self, expr: If | Match, frame: _Frame, dest: str | None) -> bool:
        if frame.depth >= LIFT_DEPTH:
            return self._lifted(expr, frame, dest)
        if isinstance(expr, If):
            return self._if(expr, frame, dest)
        return self._match(expr, frame, dest)

    def _if(self, expr: If, frame: _Frame, dest: str | None) -> bool:
        cond = self._value(expr.cond, frame)
        frame.line(f"if {cond.operand()}:")
        scalar = self._finish(expr.true_branch, frame.inner(), dest)
        if dest is None:  # the branch above returned: the other one needs no indentation
            return self._finish(expr.false_branch, frame, None)
        frame.line("else:")
        return self._finish(expr.false_branch, frame.inner(), dest) or scalar

    def _match(self, expr: Match, frame: _Frame, dest: str | None) -> bool:
        """Clause by clause: ``if <tests>:`` (``elif`` when assigning), unpack, the body."""
        data = self._value(expr.data, frame)
        site, kind = MatchSite(expr, data.code), None
        if any(isinstance(c.lhs, PatternConstructor) for c in expr.clauses):
            kind = frame.text.namer.fresh("kind")
            frame.line(f"{kind} = canonical[{data.code}.constructor]", site)
        scalar = False
        for index, clause in enumerate(expr.clauses):
            test = " and ".join(self._tests(clause.lhs, data.code, kind))
            if not test:  # matches anything: the clauses after it are never reached
                if dest is None or index == 0:
                    return self._clause(clause, data, frame, dest) or scalar
                frame.line("else:")
                return self._clause(clause, data, frame.inner(), dest) or scalar
            keyword = "elif" if index and dest is not None else "if"
            frame.line(f"{keyword} {test}:", site)
            scalar = self._clause(clause, data, frame.inner(), dest) or scalar
        failure = f"raise no_match({self.ns.name_of(expr, 'match')}, {data.code})"
        if dest is not None:
            frame.line("else:")
            frame = frame.inner()
        frame.line(failure)
        return scalar

    def _clause(self, clause, data: Atom, frame: _Frame, dest: str | None) -> bool:
        mark = self.scope.mark()
        self._unpack(clause.lhs, data, frame)
        scalar = self._finish(clause.rhs, frame, dest)
        self.scope.restore(mark)
        return scalar

    def _tests(self, pattern: Pattern, path: str, kind: str | None) -> list[str]:
        """The conditions under which the value at `path` matches `pattern`, outside in."""
        if isinstance(pattern, PatternConstructor):
            ctor = self.ns.pattern_constructor(pattern.constructor)
            head = f"{kind} is {ctor}" if kind else f"canonical[{path}.constructor] is {ctor}"
            subs = [(p, f"{path}.fields[{i}]") for i, p in enumerate(pattern.patterns)]
        elif isinstance(pattern, PatternTuple):
            head = None
            subs = [(p, f"{path}[{i}]") for i, p in enumerate(pattern.patterns)]
        else:
            return []
        tests = [head] if head else []
        for sub, sub_path in subs:
            tests.extend(self._tests(sub, sub_path, None))
        return tests

    def _unpack(self, pattern: Pattern, data: Atom, frame: _Frame) -> None:
        """Bind the variables of `pattern`, which `data` matches, unpacking fields."""
        if isinstance(pattern, PatternVar):
            self.scope.bind(pattern.var, data)
            return
        if not isinstance(pattern, PatternConstructor | PatternTuple):
            return
        if not pattern_vars(pattern):
            return
        nested, targets = [], []
        for sub in pattern.patterns:
            if isinstance(sub, PatternVar):
                atom = Atom(frame.text.namer.fresh(sub.var.name_hint), local=True)
                self.scope.bind(sub.var, atom)
                targets.append(atom.code)
            elif isinstance(sub, PatternWildcard) or not pattern_vars(sub):
                targets.append("_")
            else:
                atom = Atom(frame.text.namer.fresh("field"), local=True)
                nested.append((sub, atom))
                targets.append(atom.code)
        source = f"{data.code}.fields" if isinstance(pattern, PatternConstructor) else data.code
        frame.line(f"[{', '.join(targets)}] = {source}")
        for sub, atom in nested:
            self._unpack(sub, atom, frame)

    def _lifted(self, expr: Expr, frame: _Frame, dest: str | None) -> bool:
        """`expr` as a call of a top-level function taking the locals it uses, by name."""
        params = self._local_names(free_vars(expr))
        name = self.ns.namer.fresh("block")
        block = self._new_frame(frame.text.namer)
        block.line(f"def {name}({', '.join(params)}):")
        self._finish(expr, block.inner(), None)
        call = f"{name}({', '.join(params)})"
        frame.line(f"return {call}" if dest is None else f"{dest} = {call}")
        return False

    # ---- values: an expression whose value later code uses

    def _value(self, expr: Expr, frame: _Frame, target: str | None = None, hint="t") -> Atom:
        """Write what computes `expr`; returns the atom of its value.

        A new statement assigns to `target` if given, else to a fresh name like `hint`.
        """
        kind = type(expr)
        if kind is Var:
            return self._var(expr, frame)
        if kind is Let:
            mark = self.scope.mark()
            atom = self._value(self._lets(expr, frame), frame, target, hint)
            self.scope.restore(mark)
            return atom
        simple = self._SIMPLE.get(kind)
        if simple is not None:
            return simple(self, expr)
        if kind is If or kind is Match or kind is Function:
            name = target or frame.text.namer.fresh("fn" if kind is Function else hint)
            if kind is Function:
                self._closure(expr, name, "fn", frame, None)
                return Atom(name, local=True)
            return Atom(name, self._branch(expr, frame, name), local=True)
        compute = self._STATEMENTS.get(kind)
        if compute is None:
            raise EvaluationError(f"cannot compile {kind.__name__} {expr}{location(expr)}")
        result = compute(self, expr, frame)
        if isinstance(result, Atom):
            return result
        name = target or frame.text.namer.fresh(hint)  # after the arguments: t1 before t2
        frame.line(f"{name} = {result.code}", result.site)
        return Atom(name, result.maybe_scalar, local=True, py_float=result.py_float)

    def _var(self, var: Var, frame: _Frame) -> Atom:
        atom = self.scope.atoms.get(var)
        if atom is None:  # the interpreter fails when it looks the variable up, so do we
            message = self.ns.add("message", f"unbound variable %{var.name_hint}{location(var)}")
            frame.line(f"raise EvaluationError({message})")
            return Atom("()")
        return atom

    def _global_var(self, gvar: GlobalVar) -> Atom:
        return Atom(self.global_name(gvar))

    def _constant(self, const: Constant) -> Atom:
        return self.ns.constant(const.data)

    def _constructor_value(self, ctor: Constructor) -> Atom:
        return Atom(self.ns.constructor_function(ctor))

    def _call(self, call: Call, frame: _Frame) -> _Rhs:
        if isinstance(call.op, Op):
            return self._op_call(call, frame)
        if isinstance(call.op, Constructor):
            fields = _tuple_code([self._value(a, frame).array() for a in call.args])
            return _Rhs(f"ConstructorValue({self.ns.constructor(call.op)}, {fields})")
        callee = self._value(call.op, frame)
        args = [self._value(a, frame).array() for a in call.args]
        return _Rhs(f"{callee.code}({', '.join(args)})", site=CallSite(call, callee.code))

    def _op_call(self, call: Call, frame: _Frame) -> _Rhs:
        form, bound = self.ns.op(call)
        args = [self._value(a, frame) for a in call.args]
        if form.floats_in:
            codes = [a.float_operand() for a in args]
        elif form.scalars_in:
            codes = [
                _scalar_operand(a, e.checked_type) for a, e in zip(args, call.args, strict=True)
            ]
        else:
            codes = [a.array() for a in args]
        if form.operator is not None:
            code = form.operator.format(*codes)
        else:
            code = f"{form.callee or bound}({', '.join(codes)})"
        site = OpSite(call, tuple(a.code for a in args))
        return _Rhs(code, form.scalar_out, site, py_float=form.float_out)

    def _op_value(self, op: Op, frame: _Frame) -> Atom:
        text = f"operator {op.name} can only be called, not used as a value"
        frame.line(f"raise EvaluationError({self.ns.add('message', text)})")
        return Atom("()")

    def _tuple(self, expr: Tuple, frame: _Frame) -> _Rhs | Atom:
        fields = [self._value(f, frame).array() for f in expr.fields]
        return _Rhs(_tuple_code(fields)) if fields else Atom("()")

    def _tuple_get_item(self, expr: TupleGetItem, frame: _Frame) -> _Rhs:
        return _Rhs(f"{self._value(expr.tuple_value, frame).code}[{int(expr.index)}]")

    def _ref_create(self, expr: RefCreate, frame: _Frame) -> _Rhs:
        return _Rhs(f"RefValue({self._value(expr.value, frame).array()})")

    def _ref_read(self, expr: RefRead, frame: _Frame) -> _Rhs:
        return _Rhs(f"{self._value(expr.ref, frame).code}.value")

    def _ref_write(self, expr: RefWrite, frame: _Frame) -> Atom:
        ref = self._value(expr.ref, frame)
        frame.line(f"{ref.code}.value = {self._value(expr.value, frame).array()}")
        return Atom("()")

    _SIMPLE = {
        GlobalVar: _global_var,
        Constant: _constant,
        Constructor: _constructor_value,
    }
    _STATEMENTS = {
        Call: _call,
        Op: _op_value,
        Tuple: _tuple,
        TupleGetItem: _tuple_get_item,
        RefCreate: _ref_create,
        RefRead: _ref_read,
        RefWrite: _ref_write,
    }


def _scalar_operand(atom: Atom, ty) -> str:
    """`atom` as an argument of an elementwise op; a 0-d array as its numpy scalar (``x[()]``):
    numpy's scalar arithmetic is exact and about ten times faster than a 0-d array's ufunc
    call. (An atom that may be a scalar already is left as it is: it may be a Python bool.)"""
    if atom.scalar_form or atom.maybe_scalar or atom.code == "()" or not _is_scalar(ty):
        return atom.operand()
    return f"{atom.code}[()]"


def _tuple_code(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return f"({', '.join(items)})"


# ---- loops


def _loop_for(func: Function, self_ref, params: tuple[str, ...]) -> _Loop | None:
    """A loop for `func` if it calls itself (`self_ref`) in tail position, and it may loop.

    It may not when a closure made inside it captures one of its variables: Python closures
    see a variable's current value, and the loop rebinds them all on each round.
    """
    if self_ref is None or not _calls_itself_last(func, self_ref):
        return None
    if _captures_own_variables(func):
        return None
    return _Loop((_Member(self_ref, params, _scalars(func)),))


def _scalars(func: Function) -> tuple[bool, ...]:
    """Which parameters are 0-d: a loop rebinds them to what may be a numpy scalar."""
    return tuple(_is_scalar(p.checked_type) for p in func.params)


def _is_scalar(ty) -> bool:
    return isinstance(ty, TensorType) and ty.ndim == 0


def tail_groups(mod: IRModule) -> dict[GlobalVar, tuple[GlobalVar, ...]]:
    """The globals that call each other in tail position, with all their arguments, in cycles
    through more than one global, each mapped to its group (a strongly connected component of
    the tail-call graph), in the module's order. A group's bodies must not make closures
    capturing their variables, as for a loop of one function.

    >>> import lambdagrad as lg
    >>> mod = lg.parse(
    ...     "def @ping(%n: int32) -> int32 { if (less(%n, 1)) { %n } else { @pong(%n) } }"
    ...     "def @pong(%n: int32) -> int32 { @ping(subtract(%n, 1)) }")
    >>> [g.name_hint for g in tail_groups(mod)[mod.get_global_var("pong")]]
    ['ping', 'pong']
    """
    loopable = [g for g, f in mod.functions.items() if not _captures_own_variables(f)]
    calls = {g: set(_tail_callees(mod.functions[g], mod)) & set(loopable) for g in loopable}
    reach = {g: _reachable(g, calls) for g in loopable}
    groups = {}
    for gvar in loopable:
        group = tuple(h for h in loopable if h in reach[gvar] and gvar in reach[h])
        if len(group) > 1:
            groups[gvar] = group
    return groups


def _tail_callees(func: Function, mod: IRModule):
    for expr in _tail_positions(func.body):
        if isinstance(expr, Call) and isinstance(expr.op, GlobalVar):
            callee = mod.functions.get(expr.op)
            if isinstance(callee, Function) and len(callee.params) == len(expr.args):
                yield expr.op


def _reachable(start: GlobalVar, calls: dict) -> set:
    """The globals reached from `start` through one call or more."""
    seen: set = set()
    stack = list(calls[start])
    while stack:
        gvar = stack.pop()
        if gvar not in seen:
            seen.add(gvar)
            stack.extend(calls[gvar])
    return seen


def _calls(expr: Expr, target, arity: int) -> bool:
    """Whether `expr` calls `target` (a Var, or a GlobalVar by name) with `arity` arguments."""
    if not isinstance(expr, Call) or len(expr.args) != arity:
        return False
    return expr.op is target or (isinstance(target, GlobalVar) and expr.op == target)


def _tail_positions(body: Expr):
    """Every expression in tail position of a function body, without recursion."""
    stack = [body]
    while stack:
        expr = stack.pop()
        while isinstance(expr, Let):
            expr = expr.body
        if isinstance(expr, If):
            stack.extend((expr.true_branch, expr.false_branch))
        elif isinstance(expr, Match):
            stack.extend(c.rhs for c in expr.clauses)
        else:
            yield expr


def _calls_itself_last(func: Function, self_ref) -> bool:
    return any(_calls(e, self_ref, len(func.params)) for e in _tail_positions(func.body))


def _captures_own_variables(func: Function) -> bool:
    own = {id(v) for v in bound_vars(func)}
    stack = [func.body]
    while stack:
        expr = stack.pop()
        if isinstance(expr, Function):
            if any(id(v) in own for v in free_vars(expr)):
                return True
        else:
            stack.extend(children(expr))
    return False
