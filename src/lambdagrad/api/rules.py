"""The ops' registered rules as Python functions that run through the eager dispatcher.

A gradient rule (``grad(orig_call, out_grad) -> list[Expr]``) or forward rule
(``jvp(orig_call, tangents) -> Expr``) builds IR. For one op, attributes and argument types
we build that IR once and turn it into a small Python function whose every op call is
``apply(prim, args)``: run on arrays it computes the rule, run on tracers of an outer
transformation it is recorded too, which is what makes derivatives of derivatives work
(autograd's backward pass is differentiable the same way). The original call inside the
rule stands for the forward result, which the function takes as ``out``.
"""

from __future__ import annotations

from ..errors import GradientError
from ..ir.expr import Call, Constant, Expr, Function, Let, Tuple, TupleGetItem, Var
from ..ir.op import Op
from ..ir.visitor import replace_node
from ..ops.gradients import gradient_of, jvp_of
from ..transform.simplify import simplify
from .core import apply, ir_type, prim_of


def compile_vjp(prim, avals, wanted: tuple[bool, ...]):
    """``rule(*args, out, g) -> list`` of one gradient per argument, for args of `avals`;
    None for the arguments not `wanted` (their part of the rule is never computed)."""
    orig, params = _typed_call(prim, avals)
    g = _param("g", orig.checked_type)
    grads = gradient_of(prim.definition.op)(orig, g)
    kept = [grad for grad, want in zip(grads, wanted, strict=True) if want]
    function = _simplified(orig, [*params, g], Tuple(kept))
    return _Emitter(prim.name).function(function, wanted)


def compile_jvp(prim, avals, nonzero: tuple[bool, ...]):
    """``rule(*args, out, *tangents) -> tangent`` of the result; tangents only where
    `nonzero` (the others are statically zero and passed to the rule as None)."""
    orig, params = _typed_call(prim, avals)
    tangents = [
        _param(f"t{i}", p.checked_type) if nz else None
        for i, (p, nz) in enumerate(zip(params, nonzero, strict=True))
    ]
    tangent = jvp_of(prim.definition.op)(orig, tangents)
    function = _simplified(orig, [*params, *(t for t in tangents if t is not None)], tangent)
    return _Emitter(prim.name).function(function)


def _simplified(orig: Call, params: list[Var], body: Expr) -> Function:
    """``fn(args..., out, rest...) { body }`` with the original call read from ``out`` and
    the identities rules are full of removed (a collapse_sum_like to the same shape, ...)."""
    out = _param("out", orig.checked_type)
    count = len(orig.args)
    function = Function([*params[:count], out, *params[count:]], replace_node(body, orig, out))
    return simplify(function)


def _param(name: str, ty) -> Var:
    return Var(name, ty, checked_type=ty)


def _typed_call(prim, avals) -> tuple[Call, list[Var]]:
    """The op's call on typed parameters, typed as the type relation says."""
    arg_types = [ir_type(a) for a in avals]
    params = [_param(f"a{i}", t) for i, t in enumerate(arg_types)]
    out_type = prim.definition.type_rel(arg_types, prim.attrs)
    orig = Call(prim.definition.op, tuple(params), prim.attrs, checked_type=out_type)
    return orig, params


class _Emitter:
    """Writes the Python source of a rule's IR, one assignment per node, on demand.

    Let-bound values are emitted when first used (unused parts of a decomposed rule's
    program are never computed); a call of a function literal is inlined.
    """

    def __init__(self, op_name: str):
        self.op_name = op_name
        self.lines: list[str] = []
        self.namespace: dict = {"_apply": apply}
        self.names: dict[int, str] = {}
        self.pending: dict[Var, Expr] = {}
        self.keep: list[Expr] = []  # the nodes named by id stay alive while we emit

    def function(self, function: Function, wanted: tuple[bool, ...] | None = None):
        """The Python function of `function`; with `wanted`, its result (a tuple of the
        wanted entries) is returned as a list with None for the others."""
        for i, param in enumerate(function.params):
            self.names[id(param)] = f"p{i}"
        result = self.emit(function.body)
        if wanted is not None:
            picks = iter(range(len(wanted)))
            entries = [f"{result}[{next(picks)}]" if w else "None" for w in wanted]
            result = f"[{', '.join(entries)}]"
        header = f"def rule({', '.join(f'p{i}' for i in range(len(function.params)))}):"
        source = "\n    ".join([header, *self.lines, f"return {result}"])
        exec(compile(source, f"<rule of {self.op_name}>", "exec"), self.namespace)
        return self.namespace["rule"]

    def emit(self, expr: Expr) -> str:
        name = self.names.get(id(expr))
        if name is not None:
            return name
        if isinstance(expr, Var) and expr in self.pending:
            name = self.emit(self.pending.pop(expr))
        elif isinstance(expr, Let):
            self.pending[expr.var] = expr.value
            return self.emit(expr.body)
        else:
            name = self._assign(self._rhs(expr))
        self.names[id(expr)] = name
        self.keep.append(expr)
        return name

    def _rhs(self, expr: Expr) -> str:
        if isinstance(expr, Constant):
            return self._constant(expr.data)
        if isinstance(expr, Tuple):
            return "(" + "".join(f"{self.emit(f)}, " for f in expr.fields) + ")"
        if isinstance(expr, TupleGetItem):
            return f"{self.emit(expr.tuple_value)}[{expr.index}]"
        if isinstance(expr, Call) and isinstance(expr.op, Op):
            args = "".join(f"{self.emit(a)}, " for a in expr.args)
            return f"_apply({self._constant(prim_of(expr.op, expr.attrs))}, ({args}))"
        if isinstance(expr, Call) and isinstance(expr.op, Function):
            return self._inline(expr.op, expr.args)
        raise GradientError(
            f"the rule of operator {self.op_name} uses a {type(expr).__name__}, which "
            "eager differentiation cannot run"
        )

    def _inline(self, fn: Function, args) -> str:
        for param, arg in zip(fn.params, args, strict=True):
            self.names[id(param)] = self.emit(arg)
        return self.emit(fn.body)

    def _constant(self, value) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def _assign(self, rhs: str) -> str:
        if rhs.isidentifier():
            return rhs
        name = f"v{len(self.lines)}"
        self.lines.append(f"{name} = {rhs}")
        return name
