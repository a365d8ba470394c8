"""Programs as pictures: Graphviz DOT text for an expression or a module, and its rendering.

Each function (a global or a closure) is a cluster holding its parameters and body. Edges run
from a value to where it is used, so let-bound values feed their uses directly; `if` and
`match` are diamonds fed by their condition and, through labelled edges, by each branch's
result; reference operations are orange. Shared subexpressions appear once.
"""

from __future__ import annotations

from .deep import run_deep
from .errors import Error
from .ir.expr import (
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
from .ir.module import IRModule
from .ir.op import Op

REF_COLOR = "darkorange"
CONTROL_COLOR = "lightblue"
HEADER = [
    "digraph program {",
    "  rankdir=TB;",
    '  node [fontname="Helvetica", fontsize=10, shape=box, style=rounded];',
    '  edge [fontname="Helvetica", fontsize=9];',
]


def to_dot(target) -> str:
    """The program `target` (an expression, a function or a module) as Graphviz DOT text.

    Render it with `render`, or with Graphviz's ``dot -Tsvg``.

    >>> import lambdagrad as lg
    >>> x = lg.var("x", shape=(3,))
    >>> text = lg.analysis.to_dot(lg.Function([x], lg.op.tanh(x) * x))
    >>> text.splitlines()[0], "tanh" in text, "subgraph cluster_" in text
    ('digraph program {', True, True)
    """
    if not isinstance(target, Expr | IRModule):
        raise Error(f"to_dot takes an expression or a module, not {type(target).__name__}")
    return run_deep(_DotWriter().module_or_expr, target)  # bodies may nest deeply


def render(dot_text: str, fmt: str = "svg") -> bytes:
    """Render DOT text with Graphviz (``svg``, ``png``, ``pdf``, ...).

    Needs the ``graphviz`` Python package and Graphviz's ``dot`` program; an `Error` says
    which one to install when either is missing.
    """
    try:
        import graphviz
    except ImportError:
        raise Error(
            "rendering a picture needs the graphviz Python package: pip install graphviz "
            "(or pip install 'lambdagrad[dot]')"
        ) from None
    try:
        return graphviz.Source(dot_text).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise Error(
            "rendering a picture needs Graphviz's dot program on PATH: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, or conda install graphviz)"
        ) from None
    except ValueError as err:  # an unknown format
        raise Error(f"Graphviz cannot render {fmt!r}: {err}") from None


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class _DotWriter:
    """Writes nodes and edges while walking the program once (shared nodes once)."""

    def __init__(self):
        self.lines: list[str] = list(HEADER)
        self.node_of: dict[int, str] = {}  # id(expr) -> DOT node id
        self.var_node: dict[Var, str] = {}  # a bound variable -> the node of its value
        self.unnamed: dict[str, tuple[int, str]] = {}  # node id -> (its line, its label)
        self.count = 0
        self.indent = "  "

    def module_or_expr(self, target) -> str:
        if isinstance(target, IRModule):
            for global_var, function in target.functions.items():
                self.cluster(f"@{global_var.name_hint}", function, closure=False)
        elif isinstance(target, Function):
            self.cluster("fn", target, closure=False)
        else:
            self.mark_result(self.expr(target))
        return "\n".join([*self.lines, "}"]) + "\n"

    # ---- output helpers

    def node(self, label: str, **style: str) -> str:
        self.count += 1
        name = f"n{self.count}"
        attrs = [f"label={_quote(label)}"] + [f"{k}={_quote(v)}" for k, v in style.items()]
        self.unnamed[name] = (len(self.lines), label)
        self.lines.append(f"{self.indent}{name} [{', '.join(attrs)}];")
        return name

    def edge(self, source: str, target: str, label: str = "", **style: str) -> None:
        attrs = ([f"label={_quote(label)}"] if label else []) + [
            f"{k}={_quote(v)}" for k, v in style.items()
        ]
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        self.lines.append(f"{self.indent}{source} -> {target}{suffix};")

    def name_node(self, name: str, var: Var) -> None:
        """Show the let-bound `var` on the node of its value (the first name given wins)."""
        if name in self.unnamed:
            line, label = self.unnamed.pop(name)
            named = f"label={_quote(f'%{var.name_hint} = {label}')}"
            self.lines[line] = self.lines[line].replace(f"label={_quote(label)}", named, 1)

    def mark_result(self, name: str) -> None:
        self.lines.append(f"{self.indent}{name} [peripheries=2];")

    def cluster(self, title: str, function: Function, closure: bool = True) -> str:
        """`function` as a cluster titled `title`; with `closure`, a node in it stands for the
        closure value (what flows to its uses); returns that node, or else the result's."""
        self.count += 1
        outer = self.indent
        self.lines.append(f"{outer}subgraph cluster_{self.count} {{")
        self.indent = outer + "  "
        self.lines.append(f'{self.indent}label={_quote(title)}; style="rounded,dashed";')
        value = self.node(title, shape="component") if closure else None
        for param in function.params:
            self.var_node[param] = self.node(_param_label(param), shape="ellipse")
        result = self.expr(function.body)
        self.mark_result(result)
        self.indent = outer
        self.lines.append(f"{outer}}}")
        return value or result

    # ---- expressions

    def expr(self, expr: Expr) -> str:
        """The node holding `expr`'s value, writing it (and what it uses) the first time."""
        while isinstance(expr, Let):  # let-chains are walked in a loop, not by recursion
            value = self.expr(expr.value)
            self.var_node[expr.var] = value
            self.name_node(value, expr.var)
            expr = expr.body
        if isinstance(expr, Var):
            return self.var_node.get(expr) or self.free_var(expr)
        known = self.node_of.get(id(expr))
        if known is None:
            known = self.node_of[id(expr)] = self.new(expr)
        return known

    def free_var(self, var: Var) -> str:
        self.var_node[var] = self.node(_param_label(var), shape="ellipse", style="dashed")
        return self.var_node[var]

    def new(self, expr: Expr) -> str:
        handler = getattr(self, f"visit_{type(expr).__name__}", None)
        if handler is None:  # globals, constructors and ops used as values
            return self.node(_atom_label(expr), shape="plaintext")
        return handler(expr)

    def inputs(self, name: str, args, labels=None) -> str:
        for index, arg in enumerate(args):
            self.edge(self.expr(arg), name, labels[index] if labels else "")
        return name

    def visit_Constant(self, expr: Constant) -> str:
        return self.node(_constant_label(expr), shape="plaintext")

    def visit_Tuple(self, expr: Tuple) -> str:
        labels = [str(i) for i in range(len(expr.fields))]
        return self.inputs(self.node("tuple", shape="box"), expr.fields, labels)

    def visit_TupleGetItem(self, expr: TupleGetItem) -> str:
        return self.inputs(self.node(f".{expr.index}", shape="box"), [expr.tuple_value])

    def visit_Function(self, expr: Function) -> str:
        return self.cluster("fn", expr)

    def visit_Call(self, expr: Call) -> str:
        callee = expr.op
        if isinstance(callee, Op | GlobalVar | Constructor):
            name = self.node(_atom_label(callee), **_call_style(callee))
        else:  # a closure: its value flows into the call
            name = self.node("call", shape="box")
            self.edge(self.expr(callee), name, "fn", style="bold")
        return self.inputs(name, expr.args)

    def visit_If(self, expr: If) -> str:
        name = self.node("if", shape="diamond", style="filled", fillcolor=CONTROL_COLOR)
        self.edge(self.expr(expr.cond), name, "cond")
        self.edge(self.expr(expr.true_branch), name, "then", style="dashed")
        self.edge(self.expr(expr.false_branch), name, "else", style="dashed")
        return name

    def visit_Match(self, expr: Match) -> str:
        keyword = "match" if expr.complete else "match?"
        name = self.node(keyword, shape="diamond", style="filled", fillcolor=CONTROL_COLOR)
        data = self.expr(expr.data)
        self.edge(data, name, "data")
        for clause in expr.clauses:
            pattern = _pattern_label(clause.lhs)
            for var in _pattern_vars(clause.lhs):  # each bound variable, fed by the data
                self.var_node[var] = self.node(f"%{var.name_hint}", shape="ellipse")
                self.edge(data, self.var_node[var], pattern, style="dotted")
            self.edge(self.expr(clause.rhs), name, pattern, style="dashed")
        return name

    def visit_RefCreate(self, expr: RefCreate) -> str:
        return self.inputs(self.ref_node("ref"), [expr.value])

    def visit_RefRead(self, expr: RefRead) -> str:
        return self.inputs(self.ref_node("ref_read"), [expr.ref], ["ref"])

    def visit_RefWrite(self, expr: RefWrite) -> str:
        return self.inputs(self.ref_node("ref_write"), [expr.ref, expr.value], ["ref", "value"])

    def ref_node(self, label: str) -> str:
        return self.node(label, shape="cylinder", color=REF_COLOR, fontcolor=REF_COLOR)


def _param_label(var: Var) -> str:
    annotation = var.type_annotation
    return f"%{var.name_hint}" + (f"\n{annotation}" if annotation is not None else "")


def _atom_label(expr: Expr) -> str:
    if isinstance(expr, Op):
        return expr.name
    if isinstance(expr, GlobalVar):
        return f"@{expr.name_hint}"
    if isinstance(expr, Constructor):
        return expr.name_hint
    return type(expr).__name__


def _call_style(callee: Expr) -> dict[str, str]:
    if isinstance(callee, GlobalVar):
        return {"shape": "box", "style": "bold"}
    if isinstance(callee, Constructor):
        return {"shape": "box", "style": "filled", "fillcolor": "lightyellow"}
    return {"shape": "box"}


def _constant_label(expr: Constant) -> str:
    data = expr.data
    if data.ndim == 0:
        return f"{data.item():g}" if data.dtype.kind == "f" else str(data.item())
    return f"const {data.dtype}{list(data.shape)}"


def _pattern_label(pattern: Pattern) -> str:
    if isinstance(pattern, PatternVar):
        return f"%{pattern.var.name_hint}"
    if isinstance(pattern, PatternConstructor):
        inner = ", ".join(_pattern_label(p) for p in pattern.patterns)
        return pattern.constructor.name_hint + (f"({inner})" if pattern.patterns else "")
    if isinstance(pattern, PatternTuple):
        return "(" + ", ".join(_pattern_label(p) for p in pattern.patterns) + ")"
    return "_"


def _pattern_vars(pattern: Pattern) -> list[Var]:
    if isinstance(pattern, PatternVar):
        return [pattern.var]
    if isinstance(pattern, PatternConstructor | PatternTuple):
        return [v for p in pattern.patterns for v in _pattern_vars(p)]
    return []
