"""The resolution pass: syntax Nodes to IR, binding every name to what it refers to.

Scopes are tables of stacks (name -> innermost binding last). Blocks are walked with a loop, so
a 100,000-binding let-chain uses no Python stack; other nesting recurses (the parser runs this
pass under ``deep.run_deep``). Graph bindings (``%0 = e;``) bind a name to the expression node
itself, so every use shares that one node, as in Relay.
"""

from __future__ import annotations

import numpy as np

from ..errors import Error
from ..ir.expr import (
    Call,
    Clause,
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
from ..ir.types import (
    DTYPES,
    FuncType,
    GlobalTypeVar,
    IncompleteType,
    RefType,
    TensorType,
    TupleType,
    Type,
    TypeCall,
    TypeData,
    TypeVar,
)
from ..ops.registry import make_call, resolve_alias
from .literals import DTYPE_ALIASES, build_constant, parse_number
from .syntax import Node, Span, SyntaxProblem, sigil_name


class Resolver:
    """Turns Nodes into IR. `base` supplies names already in scope (the prelude).

    With `free=True` (``parse_expr``) unbound ``%x`` become free variables and unknown
    ``@f`` become global variables; otherwise they are errors.
    """

    def __init__(self, base: IRModule | None = None, free: bool = False):
        base = base or IRModule()
        self.globals = {g.name_hint: g for g in base.functions}
        self.adts = {h.name_hint: (h, len(d.type_vars)) for h, d in base.type_definitions.items()}
        self.ctors = base.constructors()
        self.vars: dict[str, list[Expr]] = {}
        self.tvars: dict[str, list[TypeVar]] = {}
        self.free_vars: dict[str, Var] | None = {} if free else None
        self.free = free
        # Where each block's result starts in the text, by the printer's block keys (see
        # layout.py): a variable's own span is where it is bound, not where a block ends in it.
        self.result_spans: dict[tuple[int, object], Span] = {}
        # Where function bodies and `if` branches end: their closing braces.
        self.block_ends: dict[tuple[int, object], Span] = {}

    # ---- modules
    def module(self, node: Node) -> IRModule:
        """The module of a ``start_module`` node (only its own definitions)."""
        items = node.parts[0]
        typedefs = [i for i in items if i.kind == "typedef"]
        defs = [i for i in items if i.kind == "def"]
        self._declare_types(typedefs)
        self._declare_globals(defs)
        datas = [self._typedef(t) for t in typedefs]
        functions = {self.globals[sigil_name(d.parts[0])]: self._def(d) for d in defs}
        return IRModule(functions, {d.header: d for d in datas})

    def _declare_types(self, typedefs) -> None:
        for t in typedefs:
            name = str(t.parts[0])
            if name in self.adts or name in DTYPES or name in DTYPE_ALIASES:
                raise SyntaxProblem(f"type {name} is already defined", t.span)
            self.adts[name] = (GlobalTypeVar(name), len(t.parts[1]))

    def _declare_globals(self, defs) -> None:
        for d in defs:
            name = sigil_name(d.parts[0])
            if name in self.globals:
                raise SyntaxProblem(f"global @{name} is already defined", d.span)
            self.globals[name] = GlobalVar(name, span=d.span)

    def _typedef(self, node: Node) -> TypeData:
        name, tparams, ctors = node.parts
        header = self.adts[str(name)][0]
        type_vars, pushed = self._push_type_params(tparams)
        constructors = tuple(self._constructor(c, header, tag) for tag, c in enumerate(ctors))
        _pop(self.tvars, pushed)
        return TypeData(header, type_vars, constructors, span=node.span)

    def _constructor(self, node: Node, header: GlobalTypeVar, tag: int) -> Constructor:
        name, inputs = str(node.parts[0]), node.parts[1]
        if name in self.ctors:
            raise SyntaxProblem(f"constructor {name} is already defined", node.span)
        ctor = Constructor(name, tuple(self.type(t) for t in inputs), header, tag, span=node.span)
        self.ctors[name] = ctor
        return ctor

    def _def(self, node: Node) -> Function:
        _, tparams, params, ret, body, end = node.parts
        return self._function(node.span, tparams, params, ret, body, end)

    def _function(self, span: Span, tparams, params, ret, body, end: Span) -> Function:
        type_vars, pushed_types = self._push_type_params(tparams)
        variables, pushed = [], []
        for param in params:
            var = self._new_var(param.parts[0], param.parts[1])
            if var.name_hint in pushed:
                raise SyntaxProblem(f"duplicate parameter %{var.name_hint}", param.span)
            _push(self.vars, var.name_hint, var, pushed)
            variables.append(var)
        ret_type = None if ret is None else self.type(ret)
        result = self.expr(body)
        _pop(self.vars, pushed)
        _pop(self.tvars, pushed_types)
        func = Function(tuple(variables), result, ret_type, type_vars, span=span)
        self._note_result((id(func), "body"), body)
        self.block_ends[(id(func), "body")] = end
        return func

    def _note_result(self, key, block: Node) -> None:
        result = block.parts[1] if block.kind == "block" else block
        self.result_spans[key] = result.span

    def _new_var(self, token, annotation) -> Var:
        ann = None if annotation is None else self.type(annotation)
        return Var(sigil_name(token), ann, span=(token.line, token.column))

    def _push_type_params(self, names) -> tuple[tuple[TypeVar, ...], list[str]]:
        type_vars, pushed = [], []
        for token in names:
            if str(token) in pushed:
                raise SyntaxProblem(f"duplicate type parameter {token}", (token.line, token.column))
            type_var = TypeVar(str(token))
            _push(self.tvars, str(token), type_var, pushed)
            type_vars.append(type_var)
        return tuple(type_vars), pushed

    # ---- expressions
    def expr(self, node: Node) -> Expr:
        return getattr(self, "x_" + node.kind)(node)

    def x_block(self, node: Node) -> Expr:
        bindings, result = node.parts
        lets, pushed = [], []
        for binding in bindings:  # a loop, not recursion: let-chains can be very long
            if binding.kind == "free_var":
                self._free_var(binding)
            elif binding.kind == "sequence":  # `e1; e2` evaluates e1 for its effect only
                value = binding.parts[0]
                lets.append((Var(""), self.expr(value), value.span))
            elif binding.kind == "let":
                var = self._new_var(binding.parts[0], binding.parts[1])
                recursive = binding.parts[-1].kind == "fn"  # a let-bound function sees itself
                if recursive:
                    _push(self.vars, var.name_hint, var, pushed)
                value = self.expr(binding.parts[-1])
                lets.append((var, value, binding.span))
                if not recursive:
                    _push(self.vars, var.name_hint, var, pushed)
            else:
                value = self.expr(binding.parts[-1])
                _push(self.vars, sigil_name(binding.parts[0]), value, pushed)
        body = self.expr(result)
        _pop(self.vars, pushed)
        for var, value, span in reversed(lets):
            body = Let(var, value, body, span=span)
        if lets:  # printed as `{ let ...; result }` where it is not a block's tail
            self._note_result((id(body), "let"), node)
        return body

    def _free_var(self, node: Node) -> None:
        """``free_var %x: T;`` declares the expression's free variable %x with its type."""
        token, annotation = node.parts
        if self.free_vars is None:
            raise SyntaxProblem(
                f"free_var {token} is only allowed in an expression, not in a module", node.span
            )
        name = sigil_name(token)
        if name in self.free_vars or self.vars.get(name):
            raise SyntaxProblem(f"free_var {token} comes after {token} is in use", node.span)
        self.free_vars[name] = self._new_var(token, annotation)

    def x_var(self, node: Node) -> Expr:
        name = node.parts[0]
        bound = self.vars.get(name)
        if bound:
            return bound[-1]
        if self.free_vars is None:
            raise SyntaxProblem(f"unbound variable %{name}", node.span)
        if name not in self.free_vars:
            self.free_vars[name] = Var(name, span=node.span)
        return self.free_vars[name]

    def x_global(self, node: Node) -> Expr:
        name = node.parts[0]
        if name not in self.globals:
            if not self.free:
                raise SyntaxProblem(f"unknown global @{name}", node.span)
            self.globals[name] = GlobalVar(name, span=node.span)
        return self.globals[name]

    def x_name(self, node: Node) -> Expr:
        """A bare name: a nullary constructor is applied; others are values."""
        name = node.parts[0]
        ctor = self.ctors.get(name)
        if ctor is not None:
            return Call(ctor, (), span=node.span) if not ctor.inputs else ctor
        if Op.exists(resolve_alias(name)):
            return Op.get(resolve_alias(name))
        raise SyntaxProblem(_unknown_name(name), node.span)

    def x_number(self, node: Node) -> Expr:
        try:
            return Constant(parse_number(node.parts[0]), span=node.span)
        except ValueError as exc:
            raise SyntaxProblem(str(exc), node.span) from None

    def x_bool(self, node: Node) -> Expr:
        return Constant(np.array(node.parts[0]), span=node.span)

    def x_constant(self, node: Node) -> Expr:
        values, kwargs = node.parts
        options = _options(kwargs, {"dtype", "shape"}, "constant")
        dtype = options.get("dtype")
        if dtype is not None and not isinstance(dtype, str):
            raise SyntaxProblem('constant dtype must be a string such as "float32"', node.span)
        try:
            data = build_constant(values.parts[0], dtype, options.get("shape"))
        except ValueError as exc:
            raise SyntaxProblem(str(exc), node.span) from None
        return Constant(data, span=node.span)

    def x_binop(self, node: Node) -> Expr:
        op, left, right = node.parts
        return self._op_call(op, [self.expr(left), self.expr(right)], {}, node.span)

    def x_neg(self, node: Node) -> Expr:
        return self._op_call("negative", [self.expr(node.parts[0])], {}, node.span)

    def x_call(self, node: Node) -> Expr:
        callee, items = node.parts
        args = [i for i in items if i.kind != "kwarg"]
        kwargs = [i for i in items if i.kind == "kwarg"]
        _check_order(items)
        if callee.kind == "name":
            return self._named_call(callee, args, kwargs, node.span)
        if kwargs:
            raise SyntaxProblem(
                "attributes are only allowed in operator calls such as sum(%x, axis=1)",
                kwargs[0].span,
            )
        func = self.expr(callee)
        return Call(func, tuple(self.expr(a) for a in args), span=node.span)

    def _named_call(self, callee: Node, args, kwargs, span: Span) -> Expr:
        name = callee.parts[0]
        ctor = self.ctors.get(name)
        if ctor is not None:
            if kwargs:
                raise SyntaxProblem(f"constructor {name} takes no attributes", kwargs[0].span)
            if len(args) != len(ctor.inputs):
                raise SyntaxProblem(
                    f"constructor {name} takes {len(ctor.inputs)} arguments, got {len(args)}",
                    span,
                )
            return Call(ctor, tuple(self.expr(a) for a in args), span=span)
        if not Op.exists(resolve_alias(name)):
            raise SyntaxProblem(_unknown_name(name), callee.span)
        attrs = _options(kwargs, None, name)
        return self._op_call(name, [self.expr(a) for a in args], attrs, span)

    def _op_call(self, name: str, args: list, attrs: dict, span: Span) -> Expr:
        try:
            return make_call(name, args, attrs, span=span)
        except (Error, ArithmeticError) as exc:  # attribute checks; huge numbers overflow
            raise SyntaxProblem(str(exc), span) from None

    def x_proj(self, node: Node) -> Expr:
        value, index = node.parts
        return TupleGetItem(self.expr(value), index, span=node.span)

    def x_tuple(self, node: Node) -> Expr:
        return Tuple(tuple(self.expr(f) for f in node.parts[0]), span=node.span)

    def x_if(self, node: Node) -> Expr:
        cond, then, other = (self.expr(p) for p in node.parts[:3])
        result = If(cond, then, other, span=node.span)
        self._note_result((id(result), "then"), node.parts[1])
        self._note_result((id(result), "else"), node.parts[2])
        self.block_ends[(id(result), "then")] = node.parts[3]
        if node.parts[4] is not None:
            self.block_ends[(id(result), "else")] = node.parts[4]
        return result

    def x_fn(self, node: Node) -> Expr:
        return self._function(node.span, *node.parts)

    def x_ref(self, node: Node) -> Expr:
        return RefCreate(self.expr(node.parts[0]), span=node.span)

    def x_ref_read(self, node: Node) -> Expr:
        return RefRead(self.expr(node.parts[0]), span=node.span)

    def x_ref_write(self, node: Node) -> Expr:
        ref, value = node.parts
        return RefWrite(self.expr(ref), self.expr(value), span=node.span)

    def x_match(self, node: Node) -> Expr:
        data, clauses, complete = node.parts
        resolved = self.expr(data)
        match = Match(resolved, tuple(self._clause(c) for c in clauses), complete, span=node.span)
        for index, clause in enumerate(clauses):
            self._note_result((id(match), index), clause.parts[1])
        return match

    def _clause(self, clause: Node) -> Clause:
        pattern_node, rhs = clause.parts
        pushed: list[str] = []
        pattern = self.pattern(pattern_node, pushed)
        body = self.expr(rhs)
        _pop(self.vars, pushed)
        return Clause(pattern, body)

    # ---- patterns
    def pattern(self, node: Node, pushed: list[str]) -> Pattern:
        """The pattern of `node`; its variables are pushed into scope (names in `pushed`)."""
        kind = node.kind
        if kind == "pwild":
            return PatternWildcard()
        if kind == "pvar":
            return self._pattern_var(node, pushed)
        if kind == "ptuple":
            return PatternTuple(tuple(self.pattern(p, pushed) for p in node.parts[0]))
        return self._pattern_constructor(node, pushed)

    def _pattern_var(self, node: Node, pushed: list[str]) -> Pattern:
        name, annotation = node.parts
        if name in pushed:
            raise SyntaxProblem(f"variable %{name} is bound twice in one pattern", node.span)
        ann = None if annotation is None else self.type(annotation)
        var = Var(name, ann, span=node.span)
        _push(self.vars, name, var, pushed)
        return PatternVar(var)

    def _pattern_constructor(self, node: Node, pushed: list[str]) -> Pattern:
        name, fields = node.parts
        ctor = self.ctors.get(name)
        if ctor is None:
            raise SyntaxProblem(f"unknown constructor {name!r}", node.span)
        if len(fields) != len(ctor.inputs):
            raise SyntaxProblem(
                f"constructor {name} takes {len(ctor.inputs)} arguments, got {len(fields)}",
                node.span,
            )
        return PatternConstructor(ctor, tuple(self.pattern(p, pushed) for p in fields))

    # ---- types
    def type(self, node: Node) -> Type:
        return getattr(self, "t_" + node.kind)(node)

    def t_tensor_type(self, node: Node) -> Type:
        dims, dtype, dtype_span = node.parts
        dtype = DTYPE_ALIASES.get(dtype, dtype)
        if dtype not in DTYPES:
            raise SyntaxProblem(
                f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}", dtype_span
            )
        return TensorType(dims, dtype)

    def t_tuple_type(self, node: Node) -> Type:
        return TupleType(tuple(self.type(f) for f in node.parts[0]))

    def t_func_type(self, node: Node) -> Type:
        tparams, args, ret = node.parts
        type_vars, pushed = self._push_type_params(tparams)
        result = FuncType(tuple(self.type(a) for a in args), self.type(ret), type_vars)
        _pop(self.tvars, pushed)
        return result

    def t_ref_type(self, node: Node) -> Type:
        return RefType(self.type(node.parts[0]))

    def t_incomplete_type(self, node: Node) -> Type:
        return IncompleteType()

    def t_type_call(self, node: Node) -> Type:
        name, args = node.parts
        if self.tvars.get(name):
            if args:
                raise SyntaxProblem(f"type variable {name} takes no type arguments", node.span)
            return self.tvars[name][-1]
        if name in self.adts:
            header, arity = self.adts[name]
            if len(args) != arity:
                raise SyntaxProblem(
                    f"type {name} takes {arity} type arguments, got {len(args)}", node.span
                )
            return TypeCall(header, tuple(self.type(a) for a in args))
        dtype = DTYPE_ALIASES.get(name, name)
        if dtype in DTYPES and not args:
            return TensorType((), dtype)
        raise SyntaxProblem(f"unknown type {name!r}", node.span)


def _push(table: dict, name: str, value, pushed: list[str]) -> None:
    table.setdefault(name, []).append(value)
    pushed.append(name)


def _pop(table: dict, pushed: list[str]) -> None:
    for name in reversed(pushed):
        table[name].pop()


def _unknown_name(name: str) -> str:
    if name[:1].isupper():
        return f"unknown constructor {name!r}"
    return f"unknown operator {name!r}"


def _check_order(items) -> None:
    seen_keyword = False
    for item in items:
        if item.kind == "kwarg":
            seen_keyword = True
        elif seen_keyword:
            raise SyntaxProblem("positional argument after attributes", item.span)


def _options(kwargs, allowed: set[str] | None, what: str) -> dict:
    """The ``name=value`` arguments as a dict, rejecting duplicates (and unknown names)."""
    options: dict = {}
    for kwarg in kwargs:
        name, value = kwarg.parts
        if name in options:
            raise SyntaxProblem(f"attribute {name!r} given twice", kwarg.span)
        if allowed is not None and name not in allowed:
            known = ", ".join(sorted(allowed))
            raise SyntaxProblem(f"{what} has no argument {name!r} (known: {known})", kwarg.span)
        options[name] = value.parts[0]
    return options
