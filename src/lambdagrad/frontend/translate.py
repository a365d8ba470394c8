"""Python function bodies to IR: statements in continuation-passing style.

A block of statements becomes a chain of lets ending in the value the block returns. Control
flow stays structured:

- ``if`` on a tensor is an IR ``if``; the variables its branches assign are merged through a
  tuple. When a branch leaves early (``return``, ``break``, ``continue``), the statements after
  the ``if`` are translated into each branch that falls through instead.
- loops are local recursive functions whose parameters are the variables the body assigns;
  the recursive call (``continue`` and the end of the body) is in tail position, so the
  executors run it as a loop and the program has one loop body whatever the trip count.
  ``return`` in a loop body makes the loop give an Option beside those variables.
- ``match`` on an ADT value is an IR ``match``, merged like ``if``.
"""

from __future__ import annotations

import ast

from ..ir import (
    Call,
    Clause,
    Expr,
    Function,
    FuncType,
    If,
    Let,
    Match,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    PatternWildcard,
    TensorType,
    Tuple,
    TupleGetItem,
    TupleType,
    Type,
    TypeCall,
    Var,
)
from ..ops import make_call
from .adts import ConstructorHandle
from .analysis import assigned_names, has_exit, returns_in
from .arrays import promoted_dtype
from .dicts import field, keyed, layout_in
from .expressions import ExpressionTranslator, substitute_adt_fields
from .values import Deferred, Keyed, Pack, Static

# Python statements and expressions with no translation, named for the error message.
UNSUPPORTED = {
    ast.With: "a with statement",
    ast.AsyncWith: "an async with statement",
    ast.Try: "a try statement",
    ast.Raise: "a raise statement",
    ast.Delete: "a del statement",
    ast.Global: "a global statement (global mutation)",
    ast.Nonlocal: "a nonlocal statement (mutation of an enclosing function's variable)",
    ast.Import: "an import statement",
    ast.ImportFrom: "an import statement",
    ast.ClassDef: "a class definition",
    ast.AsyncFunctionDef: "an async function",
    ast.AsyncFor: "an async for loop",
}


class FunctionExit:
    """What ``return``/``break``/``continue`` mean in a function body (outside loops).

    `hints` are the types returned Python numbers take; `seen` records what was returned,
    `layouts` where the dicts are in each returned value."""

    def __init__(self, hints: dict | None = None, note=None):
        self.hints = hints or {}
        self.note = note  # called with each known type returned
        self.seen: dict[str, list] = {"result": []}
        self.layouts: list = []

    def returned(self, tr, value, node, env: dict) -> Expr:
        value = tr.program_value(value, node)
        self.layouts.append((layout_in(value), node))
        expr = tr.materialize(value, node, self.hints.get("result"))
        entry = tr.seen_entry(value, expr)
        self.seen["result"].append(entry)
        if self.note is not None and entry[1] is not None and not entry[0]:
            self.note(tr.type_of(expr))
        return expr

    def jumped(self, tr, env: dict, node) -> Expr:
        raise tr.source.error(node, "break/continue outside a loop")


class LoopExit:
    """What they mean in a loop body: leave the loop, or call the loop function again.

    A loop whose body returns gives ``(Some(value), carried...)`` when it returns and
    ``(None, carried...)`` when it ends; the code after it matches on that."""

    def __init__(self, loop_var: Var, carried: list[str], params: list[Var], advance, option):
        self.loop_var = loop_var
        self.carried = carried
        self.params = params
        self.layouts: dict = {}  # carried name -> where its value holds dicts
        self.advance = advance  # env -> the loop's own arguments (counter, rest of list)
        self.option = option  # the prelude's (Some, None) when the body returns, else None
        self.seen: dict[str, list[tuple[bool, Type | None]]] = {name: [] for name in carried}
        self.returned_layouts: list = []  # where the dicts are in each value returned

    def returned(self, tr, value, node, env: dict) -> Expr:
        value = tr.program_value(value, node)
        self.returned_layouts.append((layout_in(value), node))
        some = Call(self.option[0], [tr.materialize(value, node)], span=tr.span(node))
        return Tuple([some, *(self.value(tr, env, name, node) for name in self.carried)])

    def jumped(self, tr, env: dict, node) -> Expr:
        if isinstance(node, ast.Break):
            return self.leave(tr, env, node)
        return self.again(tr, env, node)

    def leave(self, tr, env: dict, node) -> Expr:
        values = [self.value(tr, env, name, node) for name in self.carried]
        if self.option is None:
            return tr.pack(values)
        return Tuple([Call(self.option[1], (), span=tr.span(node)), *values])

    def again(self, tr, env: dict, node) -> Expr:
        values = [self.value(tr, env, name, node) for name in self.carried]
        return Call(self.loop_var, [*self.advance(env), *values], span=tr.span(node))

    def value(self, tr, env: dict, name: str, node) -> Expr:
        param = self.params[self.carried.index(name)]
        found = tr.program_value(env[name], node)
        if layout_in(found) != self.layouts[name]:
            raise tr.source.error(
                node,
                f"variable {name} holds dicts with other keys (or a dict and a tuple) here "
                "than before the loop",
            )
        expr = tr.materialize(found, node, param.type_annotation)
        self.seen[name].append(tr.seen_entry(found, expr))
        return expr


class FunctionTranslator(ExpressionTranslator):
    """Translates one Python function (or nested def) body; see the module docstring."""

    # ---- blocks

    def block(self, stmts: list[ast.stmt], env: dict, exit, end, setup=None) -> Expr:
        """The IR of `stmts` run in `env`; `end(env)` gives the value when they fall through.
        `setup(env)` runs first, inside the block (a loop binding its target)."""
        self.blocks.append([])
        try:
            env = dict(env)
            if setup is not None:
                setup(env)
            tail = self._statements(list(stmts), env, exit, end)
        finally:
            bindings = self.blocks.pop()
        for entry in reversed(bindings):
            pairs = entry.bindings if isinstance(entry, Deferred) else [entry]
            for var, value in reversed(pairs):
                tail = Let(var, value, tail)
        return tail

    def _statements(self, stmts: list, env: dict, exit, end) -> Expr:
        while stmts:
            stmt, stmts = stmts[0], stmts[1:]
            handler = self.STATEMENTS.get(type(stmt))
            if handler is None:
                what = UNSUPPORTED.get(type(stmt), f"a {type(stmt).__name__} statement")
                raise self.source.error(stmt, f"lg.jit cannot translate {what}")
            outcome = handler(self, stmt, stmts, env, exit, end)
            if isinstance(outcome, Expr):
                return outcome
            if isinstance(outcome, list):  # an if decided at translation time: splice it in
                stmts = outcome + stmts
            else:
                env = outcome
        return end(env)

    def function_body(self, stmts: list[ast.stmt], env: dict, node, note=None):
        """The body of a function and where the dicts are in its result: a Python number
        returned on one path takes the type the other paths return (one retry). `note`
        hears the types returned."""
        exit = FunctionExit(note=note)
        body = self.block(stmts, env, exit, self.fell_off(node))
        hints = self.type_hints(exit.seen, {}, node, "its return statements")
        if hints:
            exit = FunctionExit(hints, note)
            body = self.block(stmts, env, exit, self.fell_off(node))
        return body, self.one_layout(exit.layouts, "the function returns")

    def one_layout(self, layouts: list, what: str):
        """The one layout of values met on several paths; raises if their dicts differ."""
        distinct = dict.fromkeys(layout for layout, _ in layouts)
        if len(distinct) > 1:
            node = next(n for layout, n in layouts if layout != layouts[0][0])
            raise self.source.error(
                node, f"{what} dicts with other keys (or a dict and a tuple) here than elsewhere"
            )
        return next(iter(distinct), None)

    # ---- simple statements

    def _assign(self, stmt, rest, env, exit, end):
        value = self.expr(stmt.value, env)
        for target in stmt.targets:
            self.assign(target, value, env)
        return env

    def _ann_assign(self, stmt, rest, env, exit, end):
        if stmt.value is None:
            return env
        self.assign(stmt.target, self.expr(stmt.value, env), env)
        return env

    def _aug_assign(self, stmt, rest, env, exit, end):
        if not isinstance(stmt.target, ast.Name):
            raise self.source.error(stmt, "augmented assignment to a subscript or attribute")
        current = self.lookup(stmt.target.id, env, stmt)
        self.assign(
            stmt.target, self.binary(stmt.op, current, self.expr(stmt.value, env), stmt), env
        )
        return env

    def assign(self, target, value, env: dict) -> None:
        """Bind `target` (a name or a tuple of targets) to `value` in `env`."""
        if isinstance(value, Pack) and not isinstance(target, ast.Tuple | ast.List):
            value = self._packed(value, target)
        if isinstance(target, ast.Name):
            env[target.id] = self._named(value, target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            parts = self.unpack(value, len(target.elts), target)
            for element, part in zip(target.elts, parts, strict=True):
                self.assign(element, part, env)
        else:
            raise self.source.error(
                target,
                "assignment to a subscript or attribute mutates a value; arrays are "
                "immutable here (build a new one, e.g. with lnp.where)",
            )

    def _named(self, value, name: str):
        """`value` bound to a variable: program values as lets (a dict keeps its keys)."""
        if isinstance(value, Static):
            return value
        if isinstance(value, Keyed):
            return Keyed(self.emit(value.expr, name), value.layout)
        return self.emit(value, name)

    def _packed(self, pack: Pack, node):
        """A Python tuple of translated values as one value: Python's or the program's."""
        if all(isinstance(v, Static) for v in pack.items):
            return Static(tuple(v.value for v in pack.items))
        return self.tuple_value(pack.items, node)

    def unpack(self, value, count: int, node) -> list:
        if isinstance(value, Keyed):
            value = Pack(self._keyed_elements(value, node))
        if isinstance(value, Pack):
            if len(value.items) != count:
                raise self.source.error(node, f"cannot unpack {len(value.items)} into {count}")
            return value.items
        if isinstance(value, Static):
            if not isinstance(value.value, tuple) or len(value.value) != count:
                raise self.source.error(node, f"cannot unpack {value.value!r} into {count}")
            return [Static(v) for v in value.value]
        ty = self.type_of(value)
        if isinstance(ty, TupleType) and len(ty.fields) != count:
            raise self.source.error(node, f"cannot unpack a tuple of {len(ty.fields)} into {count}")
        if ty is not None and not isinstance(ty, TupleType):
            raise self.source.error(node, f"cannot unpack a value of type {ty}")
        var = self.emit(value, "tuple")
        return [TupleGetItem(var, i, span=self.span(node)) for i in range(count)]

    def _expression(self, stmt, rest, env, exit, end):
        if isinstance(stmt.value, ast.Constant):  # docstrings and `...`
            return env
        self.expr(stmt.value, env)  # constructs with no translation name themselves
        raise self.source.error(
            stmt,
            "an expression statement has no effect in a program (calls for side "
            "effects such as print are not translated)",
        )

    def _pass(self, stmt, rest, env, exit, end):
        return env

    def _assert(self, stmt, rest, env, exit, end):
        """An assert on Python values (shapes, dtypes, arguments' Python values) is checked
        while translating; one on program values cannot be (the program has no exceptions)."""
        test = self.expr(stmt.test, env)
        if not isinstance(test, Static):
            raise self.source.error(stmt, "assert on a value known only when the program runs")
        if not test.value:
            message = self.expr(stmt.msg, env) if stmt.msg is not None else None
            shown = f": {message.value}" if isinstance(message, Static) else ""
            raise self.source.error(stmt, f"assertion failed{shown}")
        return env

    def _def(self, stmt, rest, env, exit, end):
        if stmt.decorator_list:
            raise self.source.error(stmt, "decorators on a nested function")
        env[stmt.name] = self.closure(stmt, env, stmt.name)
        return env

    def _return(self, stmt, rest, env, exit, end):
        value = Tuple(()) if stmt.value is None else self.expr(stmt.value, env)
        return exit.returned(self, value, stmt, env)

    def _jump(self, stmt, rest, env, exit, end):
        return exit.jumped(self, env, stmt)

    # ---- if and match

    def _if(self, stmt, rest, env, exit, end):
        cond = self.condition(stmt.test, env)
        if isinstance(cond, Static):
            return list(stmt.body if cond.value else stmt.orelse)
        arms = [(dict(env), stmt.body), (dict(env), stmt.orelse)]
        span = self.span(stmt)
        return self.branches(
            stmt, arms, rest, env, exit, end, lambda bodies: If(cond, *bodies, span=span)
        )

    def _match(self, stmt, rest, env, exit, end):
        subject = self.expr(stmt.subject, env)
        if isinstance(subject, Static):
            raise self.source.error(stmt, "match on a Python value (not a program value)")
        subject = self.emit(self.materialize(subject, stmt), "subject")
        subject_type = self.type_of(subject)
        arms, patterns = [], []
        for case in stmt.cases:
            if case.guard is not None:
                raise self.source.error(case.guard, "a guard (if) in a match case")
            arm_env = dict(env)
            patterns.append(self.pattern(case.pattern, subject_type, arm_env))
            arms.append((arm_env, case.body))
        span = self.span(stmt)

        def assemble(bodies):
            clauses = [Clause(p, b) for p, b in zip(patterns, bodies, strict=True)]
            return Match(subject, clauses, span=span)

        return self.branches(stmt, arms, rest, env, exit, end, assemble)

    def pattern(self, node, ty: Type | None, env: dict):
        """The IR pattern of a Python case pattern; the names it binds go into `env`."""
        if isinstance(node, ast.MatchAs) and node.pattern is None:
            if node.name is None:
                return PatternWildcard()
            var = Var(node.name, ty if self.concrete(ty) else None)
            env[node.name] = var
            return PatternVar(var)
        if isinstance(node, ast.MatchClass):
            return self._class_pattern(node, ty, env)
        if isinstance(node, ast.MatchSequence):
            fields = ty.fields if isinstance(ty, TupleType) else [None] * len(node.patterns)
            subs = [self.pattern(p, t, env) for p, t in zip(node.patterns, fields, strict=False)]
            return PatternTuple(subs)
        kind = type(node).__name__
        raise self.source.error(
            node, f"lg.jit cannot translate the pattern {kind} (use class patterns, names, _)"
        )

    def _class_pattern(self, node: ast.MatchClass, ty, env: dict):
        handle = self.expr(node.cls, env)
        if not (isinstance(handle, Static) and isinstance(handle.value, ConstructorHandle)):
            raise self.source.error(node, "a class pattern must name an ADT constructor")
        ctor = handle.value.constructor
        if node.kwd_patterns:
            raise self.source.error(node, f"keyword patterns in {ctor.name_hint}(...)")
        if len(node.patterns) != len(ctor.inputs):
            raise self.source.error(
                node,
                f"constructor {ctor.name_hint} has {len(ctor.inputs)} field(s), the pattern "
                f"has {len(node.patterns)}",
            )
        self.program.use_constructor(ctor)
        fields = substitute_adt_fields(ctor, ty if isinstance(ty, TypeCall) else None)
        subs = [self.pattern(p, t, env) for p, t in zip(node.patterns, fields, strict=True)]
        return PatternConstructor(ctor, subs)

    def branches(self, stmt, arms, rest, env, exit, end, assemble):
        """Translate a branching statement whose arms are (env, statements) pairs."""
        if any(has_exit(stmts) for _, stmts in arms):

            def then(arm_env):  # the rest of the block, in each arm that falls through
                return self.block(rest, arm_env, exit, end)

            return assemble([self.block(stmts, e, exit, then) for e, stmts in arms])
        names = self._merged(arms, env)
        if not names:
            return env
        merged, weak, layouts = self._merge(stmt, arms, names, exit, assemble)
        env = self.unpack_into(self.emit(merged, "merge"), names, env, stmt, layouts)
        self.weak_vars.update(env[name] for name in weak)
        return env

    def _merged(self, arms, env: dict) -> list[str]:
        """Names the arms bind (by assignment, or a case's pattern) that are defined
        afterwards: before, or in every arm."""
        bound = [[n for n in e if env.get(n) is not e[n]] + assigned_names(s) for e, s in arms]
        every = set.intersection(*map(set, bound))
        in_any = dict.fromkeys(n for names in bound for n in names)
        return [n for n in in_any if n in env or n in every]

    def _merge(self, stmt, arms, names: list[str], exit, assemble) -> tuple:
        """The branching expression, each arm ending in the tuple of `names`, the names
        that are Python numbers in every arm and where the dicts are in each name's value.
        A Python number on one side takes the type the other side has (one retry)."""
        hints: dict[str, Type] = {}
        for _ in range(2):
            seen = {name: [] for name in names}
            layouts = {name: [] for name in names}

            def end(arm_env, seen=seen, layouts=layouts):
                values = []
                for name in names:
                    found = arm_env.get(name)
                    if found is None:  # e.g. only a loop's target in one arm
                        raise self.source.error(
                            stmt, f"variable {name} is not assigned on every path through here"
                        )
                    found = self.program_value(found, stmt)
                    layouts[name].append((layout_in(found), stmt))
                    value = self.materialize(found, stmt, hints.get(name))
                    seen[name].append(self.seen_entry(found, value))
                    values.append(value)
                return self.pack(values)

            bodies = [self.block(stmts, arm_env, exit, end) for arm_env, stmts in arms]
            new_hints = self.type_hints(seen, hints, stmt, "branches")
            if not new_hints:
                break
            hints.update(new_hints)
        weak = [n for n in names if all(is_static for is_static, _ in seen[n])]
        one = {n: self.one_layout(layouts[n], f"variable {n} holds") for n in names}
        return assemble(bodies), weak, one

    def seen_entry(self, found, expr: Expr) -> tuple[bool, Type | None]:
        """(whether a path's value is a Python number, its type before any cast)."""
        if isinstance(found, Static):
            return True, self.type_of(expr)
        return False, self.type_of(found)

    def type_hints(self, seen: dict, hints: dict, stmt, where: str) -> dict:
        """Types that give a variable one type on every path: Python numbers take the
        program values' type, and dtypes that differ promote as numpy does.

        Raises when program values disagree otherwise."""
        found = {}
        for name, entries in seen.items():
            program_types = {t for is_static, t in entries if not is_static and t is not None}
            all_types = {t for _, t in entries if t is not None}
            if len(program_types) > 1:
                wanted = self._promoted(program_types, name, stmt, where)
            elif len(all_types) > 1 and program_types:
                wanted = next(iter(program_types))
            else:
                continue
            if hints.get(name) != wanted:
                found[name] = wanted
        return found

    def _promoted(self, types: set, name: str, stmt, where: str) -> Type:
        shapes = {t.shape if isinstance(t, TensorType) else None for t in types}
        if len(shapes) != 1 or None in shapes:
            shown = " and ".join(sorted(map(str, types)))
            raise self.source.error(stmt, f"variable {name} has the types {shown} in {where}")
        return TensorType(shapes.pop(), promoted_dtype("add", [t.dtype for t in types]))

    def unpack_into(self, result: Expr, names: list[str], env: dict, node, layouts) -> dict:
        """Bind `names` to the fields of `result` (to `result` itself for one name); the
        dicts among them get their keys back from `layouts` (name -> Layout or None)."""
        if len(names) == 1:
            env[names[0]] = keyed(result, layouts[names[0]])
            return env
        for i, name in enumerate(names):
            item = self.emit(TupleGetItem(result, i, span=self.span(node)), name)
            env[name] = keyed(item, layouts[name])
        return env

    @staticmethod
    def pack(values: list[Expr]) -> Expr:
        return values[0] if len(values) == 1 else Tuple(values)

    # ---- loops

    def _while(self, stmt, rest, env, exit, end):
        self._no_else(stmt)
        cond = self.condition(stmt.test, env)
        if isinstance(cond, Static) and not cond.value:
            return env

        def body(loop: LoopExit, loop_env: dict) -> Expr:
            test = self.condition(stmt.test, loop_env)
            inner = self.block(stmt.body, loop_env, loop, lambda e: loop.again(self, e, stmt))
            if isinstance(test, Static):
                return inner
            return If(test, inner, loop.leave(self, loop_env, stmt), span=self.span(stmt))

        return self.loop(stmt, env, [], [], lambda e: [], body, (rest, exit, end))

    def _for(self, stmt, rest, env, exit, end):
        self._no_else(stmt)
        iterator = stmt.iter
        flow = (rest, exit, end)
        if isinstance(iterator, ast.Call) and self._is_range(iterator.func, env):
            return self._for_range(stmt, env, flow)
        grouped = self._enumerate_or_zip(iterator, env)
        if grouped is not None:
            return self._unrolled(stmt, grouped, rest, env, exit, end)
        items = self.expr(iterator, env)
        elements = self._tuple_elements(items, iterator)
        if elements is not None:
            return self._unrolled(stmt, elements, rest, env, exit, end)
        return self._for_list(stmt, items, env, flow)

    def _tuple_elements(self, items, node) -> list | None:
        """The elements of a tuple (Python's or the program's; the keys of a dict, the
        pairs or values of its ``items()`` or ``values()``), or None for other values."""
        if isinstance(items, Pack):
            return items.items
        if isinstance(items, Keyed):
            return self._keyed_elements(items, node)
        if isinstance(items, Static):
            if not isinstance(items.value, tuple | list):
                raise self.source.error(
                    node, f"for loops run over range, a tuple or an lg.List, not {items.value!r}"
                )
            return [Static(v) for v in items.value]
        ty = self.type_of(items)
        if not isinstance(ty, TupleType):
            return None
        items = self.emit(items, "items")
        return [TupleGetItem(items, i, span=self.span(node)) for i in range(len(ty.fields))]

    def _keyed_elements(self, value: Keyed, node) -> list:
        """What iterating over a program value holding dicts gives: a dict's keys (as in
        Python), a tuple's fields."""
        if value.layout.keys is not None:
            return [Static(k) for k in value.layout.keys]
        items = Keyed(self.emit(value.expr, "items"), value.layout)
        return [field(items, i, self.span(node)) for i in range(len(value.layout.fields))]

    # ---- comprehensions (unrolled, as loops over tuples are)

    def _dict_comp(self, node, env):
        """``{k: f(v) for k, v in p.items()}``: a dict display of one item per iteration."""
        items = {}
        for inner in self._iterations(node, env, "a dict comprehension"):
            key = self.expr(node.key, inner)
            if not (isinstance(key, Static) and isinstance(key.value, str)):
                raise self.source.error(
                    node.key, "the keys of a dict in a jitted function are constant strings"
                )
            items[key.value] = self.expr(node.value, inner)
        if all(isinstance(v, Static) for v in items.values()):
            return Static({k: v.value for k, v in items.items()})
        return self.dict_value(items, node)

    def _list_comp(self, node, env):
        """``[f(v) for v in p.values()]``: a tuple display of one item per iteration."""
        values = [
            self.expr(node.elt, e) for e in self._iterations(node, env, "a list comprehension")
        ]
        if all(isinstance(v, Static) for v in values):
            return Static(tuple(v.value for v in values))
        return self.tuple_value(values, node)

    def _iterations(self, node, env: dict, what: str) -> list[dict]:
        """The environments of a comprehension's iterations (its targets bound), over
        iterables whose length is known here; `if` clauses must be known here too."""
        envs = [env]
        for generator in node.generators:
            envs = [
                inner
                for current in envs
                for element in self._comprehension_elements(generator.iter, current, what)
                for inner in [self._bound(generator.target, element, current)]
                if all(self._known_test(test, inner) for test in generator.ifs)
            ]
        return envs

    def _comprehension_elements(self, iterator, env: dict, what: str) -> list:
        if isinstance(iterator, ast.Call) and self._is_range(iterator.func, env):
            bounds = [self.expr(a, env) for a in iterator.args]
            if iterator.keywords or not all(isinstance(b, Static) for b in bounds):
                raise self.source.error(iterator, f"range in {what} takes Python ints known here")
            return [
                Static(i) for i in self._python(range, *(b.value for b in bounds), iterator).value
            ]
        grouped = self._enumerate_or_zip(iterator, env)
        if grouped is not None:
            return grouped
        items = self.expr(iterator, env)
        if isinstance(items, Static) and isinstance(items.value, tuple | list):
            return [Static(v) for v in items.value]
        elements = None if isinstance(items, Static) else self._tuple_elements(items, iterator)
        if elements is None:
            shown = "a Python value" if isinstance(items, Static) else self.type_of(items)
            raise self.source.error(
                iterator,
                f"lg.jit cannot translate {what} over {shown or 'a value unknown here'}: "
                "comprehensions are unrolled, over tuples, dicts (their keys(), values() and "
                "items()) and ranges known here",
            )
        return elements

    def _bound(self, target, element, env: dict) -> dict:
        inner = dict(env)
        self.assign(target, element, inner)
        return inner

    def _known_test(self, test, env: dict) -> bool:
        cond = self.condition(test, env)
        if not isinstance(cond, Static):
            raise self.source.error(
                test, "an if in a comprehension tests a value known only when the program runs"
            )
        return bool(cond.value)

    def _enumerate_or_zip(self, call, env) -> list | None:
        """The elements of ``enumerate(t)`` or ``zip(t, u, ...)`` over tuples, unrolled as a
        loop over a tuple is (None for other iterators)."""
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            return None
        function = self.expr(call.func, env)
        if not (isinstance(function, Static) and function.value in (enumerate, zip)):
            return None
        keywords = {k.arg: self.expr(k.value, env) for k in call.keywords}
        strict = keywords.pop("strict", Static(False)) if function.value is zip else Static(False)
        if keywords or not isinstance(strict, Static) or not call.args:
            raise self.source.error(call, "enumerate and zip take iterables (zip: and strict=)")
        if function.value is enumerate and len(call.args) > 1:
            raise self.source.error(call, "enumerate takes one iterable (a start is not taken)")
        columns = []
        for arg in call.args:
            elements = self._tuple_elements(self.expr(arg, env), arg)
            if elements is None:
                raise self.source.error(
                    arg, "enumerate and zip run over tuples here (an lg.List: keep a counter)"
                )
            columns.append(elements)
        if strict.value and len({len(c) for c in columns}) > 1:
            lengths = ", ".join(str(len(c)) for c in columns)
            raise self.source.error(call, f"zip(..., strict=True) of lengths {lengths}")
        if function.value is enumerate:
            columns.insert(0, [Static(i) for i in range(len(columns[0]))])
        return [Pack(list(group)) for group in zip(*columns, strict=False)]

    def _unrolled(self, stmt, elements: list, rest, env, exit, end) -> Expr:
        """A loop over a tuple: its body once per element (the tuple's length is part of
        the types); ``return`` works as in straight-line code."""
        jumps = _loop_jumps(stmt.body)
        if jumps:
            raise self.source.error(jumps[0], "break/continue in a loop over a tuple (unrolled)")

        def run(index: int, current: dict) -> Expr:
            if index == len(elements):
                return self.block(rest, current, exit, end)
            self.assign(stmt.target, elements[index], current)
            return self.block(stmt.body, current, exit, lambda e: run(index + 1, e))

        return run(0, env)

    def _is_range(self, func, env) -> bool:
        found = self.expr(func, env) if isinstance(func, ast.Name) else None
        return isinstance(found, Static) and found.value is range

    def _for_range(self, stmt, env, flow):
        call = stmt.iter
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.source.error(call, "range takes 1 to 3 positional arguments")
        bounds = [self.expr(a, env) for a in call.args]
        start, stop = (Static(0), bounds[0]) if len(bounds) == 1 else bounds[:2]
        step = bounds[2] if len(bounds) == 3 else Static(1)
        if not (isinstance(step, Static) and isinstance(step.value, int) and step.value):
            raise self.source.error(call, "the step of range must be a nonzero Python int")
        like = stop if not isinstance(stop, Static) else start
        like = None if isinstance(like, Static) else like
        start = self.emit(self.number_like(start, like, call), "start")
        stop = self.emit(self.number_like(stop, like, call), "stop")
        counter = Var("i", self.type_of(start))
        compare = "less" if step.value > 0 else "greater"

        def body(loop: LoopExit, loop_env: dict) -> Expr:
            test = make_call(compare, [counter, stop], span=self.span(stmt))
            inner = self._loop_body(stmt, counter, loop_env, loop)
            return If(test, inner, loop.leave(self, loop_env, stmt), span=self.span(stmt))

        def advance(loop_env):
            return [make_call("add", [counter, self.number_like(step, counter, call)])]

        return self.loop(stmt, env, [counter], [start], advance, body, flow)

    def _for_list(self, stmt, items, env, flow):
        ty = self.type_of(items)
        if ty is not None and not (isinstance(ty, TypeCall) and ty.func.name_hint == "List"):
            raise self.source.error(stmt.iter, f"for loops over an lg.List or range, got {ty}")
        cons, nil = self.program.list_constructors()
        element = Var("x", ty.args[0] if ty is not None and self.concrete(ty.args[0]) else None)
        rest_var = Var("rest", ty)
        xs = Var("xs", ty)

        def body(loop: LoopExit, loop_env: dict) -> Expr:
            inner = self._loop_body(stmt, element, loop_env, loop)
            clauses = [
                Clause(
                    PatternConstructor(cons, [PatternVar(element), PatternVar(rest_var)]), inner
                ),
                Clause(PatternConstructor(nil, []), loop.leave(self, loop_env, stmt)),
            ]
            return Match(xs, clauses, span=self.span(stmt))

        return self.loop(stmt, env, [xs], [items], lambda e: [rest_var], body, flow)

    def _loop_body(self, stmt, element, loop_env: dict, loop: LoopExit) -> Expr:
        """A for loop's body with its target bound to `element`; leaving the loop before
        the body sees the target's value from the previous iteration."""

        def bind_target(env):
            self.assign(stmt.target, element, env)

        def again(env):
            return loop.again(self, env, stmt)

        return self.block(stmt.body, loop_env, loop, again, setup=bind_target)

    def loop(self, stmt, env, own_params, own_args, advance, body, flow) -> dict | Expr:
        """Emit a loop as a local recursive function and call it; returns the env after it
        (or, when the body returns, the rest of the block: a match on the loop's result).

        The variables the body assigns that exist before the loop are its parameters (and
        its result). A Python number assigned before the loop takes the type the body gives
        the variable, and dtypes the body widens widen the parameter (the loop is translated
        again, at most twice)."""
        option = self.program.option_constructors() if returns_in(stmt.body) else None
        # A for loop's target is carried too: after the loop it holds the last element.
        targets = [stmt.target] if isinstance(stmt, ast.For) else []
        carried = [n for n in assigned_names(targets + stmt.body) if n in env]
        if not carried and option is None:
            return env
        hints: dict[str, Type] = {}
        for _ in range(3):
            self.blocks.append([])
            try:
                loop, result = self._emit_loop(
                    stmt, env, carried, hints, (own_params, own_args, advance, option), body
                )
            finally:
                bindings = self.blocks.pop()
            new_hints = self.type_hints(loop.seen, hints, stmt, "the loop")
            new_hints.update(self._changed(loop, stmt, env, hints))
            new_hints.update(self._wanted(loop, hints))
            if not new_hints:
                break
            hints.update(new_hints)
        self.blocks[-1].extend(bindings)
        if option is None:
            return self.unpack_into(result, carried, env, stmt, loop.layouts)
        return self._after_returning_loop(stmt, loop, result, flow, env)

    def _emit_loop(self, stmt, env, carried, hints, own, body):
        own_params, own_args, advance, option = own
        before = {n: self.program_value(env[n], stmt) for n in carried}
        initial = [self.materialize(before[n], stmt, hints.get(n)) for n in carried]
        params = [
            Var(n, self._known(self.type_of(v))) for n, v in zip(carried, initial, strict=True)
        ]
        loop_var = Var("while_loop" if isinstance(stmt, ast.While) else "for_loop")
        all_params = [*own_params, *params]
        types = [p.type_annotation for p in all_params]
        if option is None and all(t is not None for t in types):
            result_type = (
                types[len(own_params)] if len(params) == 1 else TupleType(types[len(own_params) :])
            )
            loop_var = Var(loop_var.name_hint, FuncType(types, result_type))
        loop = LoopExit(loop_var, carried, params, advance, option)
        loop.layouts = {n: layout_in(before[n]) for n in carried}
        self.weak_vars.update(
            p for n, p in zip(carried, params, strict=True) if isinstance(before[n], Static)
        )
        loop_env = dict(env) | {
            n: keyed(p, loop.layouts[n]) for n, p in zip(carried, params, strict=True)
        }
        function = Function(all_params, body(loop, loop_env), span=self.span(stmt))
        self.blocks[-1].append((loop_var, function))
        result = self.emit(Call(loop_var, [*own_args, *initial], span=self.span(stmt)), "loop")
        return loop, result

    def _after_returning_loop(self, stmt, loop: LoopExit, result: Expr, flow, env) -> Expr:
        """``match`` on a returning loop's result: return its value, or go on after it."""
        rest, exit, end = flow
        some, none = loop.option
        layout = self.one_layout(loop.returned_layouts, "the loop returns")
        returned = Var("returned")
        value = keyed(returned, layout)

        def unpack(arm_env):
            for i, (name, param) in enumerate(zip(loop.carried, loop.params, strict=True)):
                item = TupleGetItem(result, i + 1, span=self.span(stmt))
                item = self.emit(item, name, param.type_annotation)
                arm_env[name] = keyed(item, loop.layouts[name])

        def give_back(arm_env):
            return exit.returned(self, value, stmt, arm_env)

        clauses = [
            Clause(
                PatternConstructor(some, [PatternVar(returned)]),
                self.block([], env, exit, give_back, setup=unpack),
            ),
            Clause(PatternConstructor(none, []), self.block(rest, env, exit, end, setup=unpack)),
        ]
        return Match(TupleGetItem(result, 0), clauses, span=self.span(stmt))

    def _changed(self, loop: LoopExit, stmt, env: dict, hints: dict) -> dict:
        """Hints for numbers whose variable the body turns into another type; an error for
        program values that change type."""
        found = {}
        for name, param in zip(loop.carried, loop.params, strict=True):
            before = param.type_annotation
            for is_static, after in loop.seen[name]:
                if before is None or after is None or after == before or is_static:
                    continue
                if isinstance(env[name], Static) and name not in hints:
                    found[name] = after
                    continue
                if _dtype_only(before, after):
                    wider = TensorType(
                        before.shape, promoted_dtype("add", [before.dtype, after.dtype])
                    )
                    if wider != before:
                        found[name] = wider
                    continue
                raise self.source.error(
                    stmt,
                    f"variable {name} is {before} before the loop and {after} after its body: "
                    "give it its final type before the loop (e.g. lnp.zeros(shape))",
                )
        return found

    def _wanted(self, loop: LoopExit, hints: dict) -> dict:
        """Dtypes ops asked of parameters that started as Python numbers."""
        found = {}
        for name, param in zip(loop.carried, loop.params, strict=True):
            wanted = self.weak_wanted.pop(param, None)
            if wanted is not None and hints.get(name) != wanted:
                found[name] = wanted
        return found

    def _no_else(self, stmt) -> None:
        if stmt.orelse:
            raise self.source.error(stmt, "an else clause on a loop")

    @staticmethod
    def _known(ty: Type | None) -> Type | None:
        return ty if FunctionTranslator.concrete(ty) else None

    EXPRESSIONS = {
        **ExpressionTranslator.EXPRESSIONS,
        ast.DictComp: _dict_comp,
        ast.ListComp: _list_comp,
    }
    STATEMENTS = {
        ast.Assign: _assign,
        ast.AnnAssign: _ann_assign,
        ast.AugAssign: _aug_assign,
        ast.Expr: _expression,
        ast.Pass: _pass,
        ast.FunctionDef: _def,
        ast.Return: _return,
        ast.Break: _jump,
        ast.Continue: _jump,
        ast.If: _if,
        ast.Match: _match,
        ast.While: _while,
        ast.For: _for,
        ast.Assert: _assert,
    }


def _loop_jumps(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """The break and continue statements that belong to the loop around `stmts`."""
    found, stack = [], list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break | ast.Continue):
            found.append(node)
        elif not isinstance(node, ast.For | ast.While | ast.FunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return found


def _dtype_only(a: Type, b: Type) -> bool:
    """Whether two tensor types differ in their dtype only."""
    return isinstance(a, TensorType) and isinstance(b, TensorType) and a.shape == b.shape
