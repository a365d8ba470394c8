"""Printing IR in the Relay text format; ``parse`` reads the output back (alpha-equivalent).

The output is canonical: two-space indentation inside braces, one binding per line, operator
calls by name with every attribute (``sum(%x, axis=[1], keepdims=False, exclude=False)``),
``fn``/``if``/``match`` bodies always in braces on their own lines. Variables are renamed
(``%x``, ``%x_1``, ...) where names would clash or are not identifiers, and nodes used more
than once are printed once as graph bindings ``%0 = ...;`` (see ``layout.py``).
"""

from __future__ import annotations

import json
import re

from ..deep import run_deep
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
from ..ir.visitor import free_vars
from .comments import CommentQueue
from .layout import Layout
from .literals import DTYPE_ALIASES, format_attr, format_constant, format_scalar
from .syntax import VERSION

_KEYWORDS = {
    "def",
    "type",
    "let",
    "fn",
    "if",
    "else",
    "match",
    "ref",
    "ref_read",
    "ref_write",
    "constant",
    "True",
    "False",
    "Tensor",
    "_",
    "extern",
    "free_var",
}
_ROOT = (0, "root")


def print_expr(expr: Expr, show_types: bool = False, free_var_types: bool = False) -> str:
    """The text of an expression; ``parse_expr`` reads it back.

    With `show_types`, bindings and results whose `checked_type` is known get a
    ``/* ty=... */`` comment. With `free_var_types`, free variables with a type annotation are
    declared first (``free_var %x: float32;``, as Relay prints them), so that ``parse_expr``
    gives them their types back; ``str(expr)`` leaves them out, to stay short in messages.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", "float32")
    >>> y = x * x
    >>> print(print_expr(lg.Function([x], y + y)))
    fn (%x: float32) {
      %0 = multiply(%x, %x);
      add(%0, %0)
    }
    """
    return run_deep(lambda: _Printer(show_types).top_level(expr, free_var_types))


def print_type(ty: Type) -> str:
    """The text of a type.

    >>> from lambdagrad.ir.types import TensorType, TupleType
    >>> print_type(TupleType([TensorType((2, None), "float32"), TensorType((), "int64")]))
    '(Tensor[(2, ?), float32], int64)'
    """
    return run_deep(lambda: _Printer().type(ty))


def print_module(
    mod: IRModule, show_types: bool = False, comments: CommentQueue | None = None
) -> str:
    """The text of a module: the version header, ADT definitions, then functions.

    With `comments` (the comments of the text `mod` was parsed from, see ``format_source``),
    definitions keep their source order and each comment is printed before the first item
    (definition, constructor, binding, clause or result) that followed it in the source, or at
    the end of the line it ended.

    >>> import lambdagrad as lg
    >>> print(print_module(lg.parse("def @id(%x: int32) -> int32 { %x }")), end="")
    #[version = "0.0.5"]
    def @id(%x: int32) -> int32 {
      %x
    }
    """
    return run_deep(_print_module, mod, show_types, comments)


def _print_module(mod: IRModule, show_types: bool, comments: CommentQueue | None) -> str:
    adts = {header.name_hint for header in mod.type_definitions}
    queue = comments if comments is not None else CommentQueue()
    items = [*mod.type_definitions.values(), *mod.functions.items()]
    if comments is not None:
        items.sort(key=lambda item: _span(item) or (0, 0))
    parts: list[str] = []
    for item in items:
        lines = _leading_comments(parts, queue, _span(item))
        printer = _Printer(show_types, adts, queue)
        if isinstance(item, TypeData):
            lines.append(printer.type_definition(item))
        else:
            lines.append(printer.definition(*item))
        parts.append("\n".join(lines))
    queue.place_rest(parts)
    body = "\n\n".join(parts) + "\n" if parts else ""
    return f'#[version = "{VERSION}"]\n' + body


def _leading_comments(parts: list[str], queue: CommentQueue, span) -> list[str]:
    """The comment lines to print above the next item; a trailing one joins the last part."""
    lines = parts[-1:]
    queue.place(lines, span)
    if parts:
        parts[-1] = lines.pop(0)
    return lines


def _span(item) -> tuple[int, int] | None:
    """Where a module item (a TypeData or a (GlobalVar, Function) pair) starts in the source."""
    return item.span if isinstance(item, TypeData) else item[1].span


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _spelled(sigil: str, name: str) -> str:
    """``%name`` or ``@name``; a name that is not an identifier (``a b``, ``é``, ``1``) is
    quoted as a JSON string, ``%"a b"``, so that it parses back to itself."""
    return sigil + (name if _IDENTIFIER.fullmatch(name) else json.dumps(name))


def _identifier(name: str, fallback: str) -> str:
    """`name` made a valid identifier (`fallback` prefix if it would start with a digit): for
    type variables, which the grammar spells as bare names."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = fallback + cleaned
    return cleaned


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


def _braced(lines: list[str]) -> str:
    return "{\n" + _indent("\n".join(lines)) + "\n}"


def _tuple_text(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


class _Names:
    """Scoped, clash-free names: a name is never given out twice while it is in use."""

    def __init__(self, reserved=()):
        self.active: set[str] = set(reserved)
        self.of: dict[int, str] = {}
        self.next_suffix: dict[str, int] = {}
        self.origin: dict[str, tuple[str, int]] = {}

    def bind(self, key: int, base: str) -> str:
        name, suffix = base, self.next_suffix.get(base, 1)
        while name in self.active:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self.next_suffix[base] = suffix
        self.active.add(name)
        self.origin[name] = (base, suffix - 1)
        self.of[key] = name
        return name

    def release(self, names: list[str]) -> None:
        """End the scope of `names`; later siblings may reuse them (and their suffixes)."""
        for name in names:
            self.active.discard(name)
            base, suffix = self.origin[name]
            self.next_suffix[base] = max(1, min(self.next_suffix.get(base, 1), suffix))


class _Printer:
    """Prints one unit (an expression, a type, a definition) with its own naming state."""

    def __init__(self, show_types: bool = False, adts=(), comments: CommentQueue | None = None):
        self.show_types = show_types
        self.comments = comments if comments is not None else CommentQueue()
        self.vars = _Names()
        self.tvars = _Names({*DTYPES, *DTYPE_ALIASES, *_KEYWORDS, *adts})
        self.layout: Layout | None = None
        self.graph: dict[int, str] = {}

    # ---- units
    def top_level(self, expr: Expr, free_var_types: bool = False) -> str:
        """An expression's text: its block, after its free variables' declarations if asked."""
        self._start(expr, _ROOT)
        declared = [
            f"free_var {self.x_var(var)}: {self.type(var.type_annotation)};"
            for var in (free_vars(expr) if free_var_types else ())
            if var.type_annotation is not None
        ]
        return "\n".join(declared + self.block(expr, _ROOT))

    def definition(self, gvar: GlobalVar, func: Function) -> str:
        self._start(func, _ROOT)
        header = f"def {_spelled('@', gvar.name_hint)}"
        return self.function(func, header)

    def type_definition(self, data: TypeData) -> str:
        params = self._type_params(data.type_vars)
        ctors: list[str] = []
        for ctor in data.constructors:
            self.comments.place(ctors, ctor.span)
            ctors.append(self.constructor_decl(ctor) + ",")
        self.tvars.release(params)
        header = f"type {data.header.name_hint}{_brackets(params)}"
        return header + (" {}" if not ctors else " " + _braced(ctors))

    def constructor_decl(self, ctor: Constructor) -> str:
        if not ctor.inputs:
            return ctor.name_hint
        return ctor.name_hint + "(" + ", ".join(self.type(t) for t in ctor.inputs) + ")"

    def _start(self, root: Expr, key) -> None:
        self.layout = Layout(root, key)
        for var in free_vars(root):
            self.vars.bind(id(var), var.name_hint or "v")

    # ---- blocks
    def block(self, expr: Expr, key) -> list[str]:
        """The lines of a block: graph and let bindings, then the result (a loop over lets)."""
        lines, bound, index = [], [], 0
        while True:
            self._graph_bindings(key, index, lines)
            if not isinstance(expr, Let) or id(expr) in self.graph:
                break  # a bound shared Let is a reference, not more bindings
            self.comments.place(lines, expr.span)
            if self._is_sequence(expr):
                lines.append(self.expr(expr.value) + self._type_comment(expr.value) + ";")
                expr, index = expr.body, index + 1
                continue
            if isinstance(expr.value, Function):  # a let-bound function may call itself
                binder = self.binder(expr.var)
                value = self.expr(expr.value) + self._type_comment(expr.value)
            else:
                value = self.expr(expr.value) + self._type_comment(expr.value)
                binder = self.binder(expr.var)
            bound.append(self.vars.of[id(expr.var)])
            lines.append(f"let {binder} = {value};")
            expr, index = expr.body, index + 1
        self.comments.place(lines, self.comments.result_spans.get(key, expr.span))
        lines.append(self.expr(expr) + self._type_comment(expr))
        self.comments.place(lines, self.comments.block_ends.get(key))  # always braced blocks
        self.vars.release(bound)
        return lines

    def _is_sequence(self, let: Let) -> bool:
        """A let that `e1; e2` parses to: an unnamed, unannotated, unused variable."""
        var = let.var
        return var.name_hint == "" and var.type_annotation is None and self.layout.is_unused(var)

    def _graph_bindings(self, key, index: int, lines: list[str]) -> None:
        for node in self.layout.emit.get((key, index), ()):
            self.comments.place(lines, node.span)
            text = self.node(node) + self._type_comment(node)
            name = f"%{len(self.graph)}"
            self.graph[id(node)] = name
            lines.append(f"{name} = {text};")

    def _type_comment(self, expr: Expr) -> str:
        if not self.show_types or expr.checked_type is None:
            return ""
        return f" /* ty={self.type(expr.checked_type)} */"

    # ---- expressions
    def expr(self, expr: Expr) -> str:
        """An expression in place: shared nodes by their graph name."""
        if id(expr) in self.graph:
            return self.graph[id(expr)]
        return self.node(expr)

    def node(self, expr: Expr) -> str:
        return getattr(self, "x_" + type(expr).__name__.lower())(expr)

    def postfix(self, expr: Expr) -> str:
        """`expr` where a call or projection follows it: parenthesised unless atomic."""
        text = self.expr(expr)
        if id(expr) in self.graph or not _needs_parens(expr, text):
            return text
        return f"({text})"

    def x_var(self, var: Var) -> str:
        name = self.vars.of.get(id(var))
        if name is None:  # used outside any binder we printed: name it like a free variable
            name = self.vars.bind(id(var), var.name_hint or "v")
        return _spelled("%", name)

    def x_globalvar(self, gvar: GlobalVar) -> str:
        return _spelled("@", gvar.name_hint)

    def x_op(self, op: Op) -> str:
        return op.name

    def x_constructor(self, ctor: Constructor) -> str:
        return ctor.name_hint

    def x_constant(self, const: Constant) -> str:
        data = const.data
        return (format_scalar(data) if data.ndim == 0 else None) or format_constant(data)

    def x_tuple(self, tup: Tuple) -> str:
        return _tuple_text([self.expr(f) for f in tup.fields])

    def x_tuplegetitem(self, item: TupleGetItem) -> str:
        return f"{self.postfix(item.tuple_value)}.{item.index}"

    def x_call(self, call: Call) -> str:
        args = [self.expr(a) for a in call.args]
        if isinstance(call.op, Op):
            args += [f"{k}={format_attr(v)}" for k, v in call.attrs.items()]
            return f"{call.op.name}({', '.join(args)})"
        if isinstance(call.op, Constructor) and not args and id(call.op) not in self.graph:
            return call.op.name_hint
        return f"{self.postfix(call.op)}({', '.join(args)})"

    def x_let(self, let: Let) -> str:
        return _braced(self.block(let, (id(let), "let")))

    def x_function(self, func: Function) -> str:
        return self.function(func, "fn ")

    def function(self, func: Function, header: str) -> str:
        tparams = self._type_params(func.type_params)
        params = [self.binder(p) for p in func.params]
        names = [self.vars.of[id(p)] for p in func.params]
        ret = "" if func.ret_type is None else f" -> {self.type(func.ret_type)}"
        body = self.block(func.body, (id(func), "body"))
        self.vars.release(names)
        self.tvars.release(tparams)
        return f"{header}{_brackets(tparams)}({', '.join(params)}){ret} {_braced(body)}"

    def binder(self, var: Var) -> str:
        """A variable at its binding site, with its type annotation."""
        name = _spelled("%", self.vars.bind(id(var), var.name_hint or "v"))
        if var.type_annotation is None:
            return name
        return f"{name}: {self.type(var.type_annotation)}"

    def x_if(self, node: If) -> str:
        then = _braced(self.block(node.true_branch, (id(node), "then")))
        other = _braced(self.block(node.false_branch, (id(node), "else")))
        return f"if ({self.expr(node.cond)}) {then} else {other}"

    def x_refcreate(self, node: RefCreate) -> str:
        return f"ref({self.expr(node.value)})"

    def x_refread(self, node: RefRead) -> str:
        return f"ref_read({self.expr(node.ref)})"

    def x_refwrite(self, node: RefWrite) -> str:
        return f"ref_write({self.expr(node.ref)}, {self.expr(node.value)})"

    def x_match(self, node: Match) -> str:
        data = node.data
        if isinstance(data, Tuple) and id(data) not in self.graph:
            head = self.expr(data)  # `match (%a, %b)`: the tuple's own parentheses
        else:
            head = f"({self.expr(data)})"
        keyword = "match" if node.complete else "match?"
        clauses: list[str] = []
        for i, clause in enumerate(node.clauses):
            result_span = self.comments.result_spans.get((id(node), i), clause.rhs.span)
            self.comments.place(clauses, result_span)
            clauses.append(self.clause(clause, (id(node), i)) + ",")
        return f"{keyword} {head} " + (_braced(clauses) if clauses else "{}")

    def clause(self, clause: Clause, key) -> str:
        bound: list[str] = []
        pattern = self.pattern(clause.lhs, bound)
        lines = self.block(clause.rhs, key)
        self.vars.release(bound)
        rhs = lines[0] if len(lines) == 1 else _braced(lines)
        return f"{pattern} => {rhs}"

    def pattern(self, pattern: Pattern, bound: list[str]) -> str:
        if isinstance(pattern, PatternVar):
            text = self.binder(pattern.var)
            bound.append(self.vars.of[id(pattern.var)])
            return text
        if isinstance(pattern, PatternTuple):
            return _tuple_text([self.pattern(p, bound) for p in pattern.patterns])
        if isinstance(pattern, PatternConstructor):
            fields = [self.pattern(p, bound) for p in pattern.patterns]
            name = pattern.constructor.name_hint
            return name if not fields else f"{name}({', '.join(fields)})"
        assert isinstance(pattern, PatternWildcard), pattern
        return "_"

    # ---- types
    def type(self, ty: Type) -> str:
        return getattr(self, "t_" + type(ty).__name__.lower())(ty)

    def t_tensortype(self, ty: TensorType) -> str:
        if not ty.shape:
            return ty.dtype
        dims = ", ".join("?" if d is None else str(d) for d in ty.shape)
        return f"Tensor[({dims}), {ty.dtype}]"

    def t_tupletype(self, ty: TupleType) -> str:
        return _tuple_text([self.type(f) for f in ty.fields])

    def t_functype(self, ty: FuncType) -> str:
        tparams = self._type_params(ty.type_params)
        args = ", ".join(self.type(a) for a in ty.arg_types)
        text = f"fn {_brackets(tparams)}({args}) -> {self.type(ty.ret_type)}"
        self.tvars.release(tparams)
        return text

    def t_reftype(self, ty: RefType) -> str:
        return f"ref({self.type(ty.value)})"

    def t_typevar(self, ty: TypeVar) -> str:
        return self.tvars.of.get(id(ty)) or _identifier(ty.name_hint, "T")

    def t_globaltypevar(self, ty: GlobalTypeVar) -> str:
        return ty.name_hint

    def t_typecall(self, ty: TypeCall) -> str:
        if not ty.args:
            return ty.func.name_hint
        return f"{ty.func.name_hint}[{', '.join(self.type(a) for a in ty.args)}]"

    def t_typedata(self, ty: TypeData) -> str:
        return ty.header.name_hint

    def t_incompletetype(self, ty: IncompleteType) -> str:
        return "_"

    def _type_params(self, type_vars) -> list[str]:
        return [self.tvars.bind(id(tv), _identifier(tv.name_hint, "T")) for tv in type_vars]


def _brackets(names: list[str]) -> str:
    return f"[{', '.join(names)}]" if names else ""


def _needs_parens(expr: Expr, text: str) -> bool:
    if isinstance(expr, Constant):  # `0.0` would read as a float, `-1f.0` as a negation
        return not text.startswith("constant(")
    return isinstance(expr, Function | If | Match | Let)
