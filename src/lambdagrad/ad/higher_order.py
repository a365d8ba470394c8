"""Higher-order reverse-mode AD, after "Demystifying Differentiable Programming".

Every float tensor becomes a pair (value, ref to its gradient). A ref, the backpropagator,
holds a closure; each differentiable op call pushes a new closure that reads its output's
gradient, adds the op's input gradients into the inputs' refs and then calls the previous
closure. Functions and closures take the backpropagator ref as one more argument, so calls
through closures, higher-order functions and (mutually) recursive globals record onto the
caller's tape. The output is an ordinary program: it can be printed, optimized, run and
differentiated again.
"""

from __future__ import annotations

from ..errors import GradientError
from ..ir.expr import (
    Call,
    Constant,
    Constructor,
    Expr,
    Function,
    GlobalVar,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    Var,
)
from ..ir.op import Op
from ..ir.types import FuncType, RefType, TensorType, Type
from ..ir.visitor import Block as LetBlock
from ..ir.visitor import make_lets, replace_node
from ..ops.gradients import call, gradient_of, is_non_differentiable
from .adtypes import BACKPROP_TYPE, UNIT, is_float_tensor
from .context import ADContext
from .structure import (
    StructureCode,
    accumulate,
    add_into,
    has_float_leaf,
    lift,
    primal,
    read_gradient,
)
from .transformer import CHECKPOINT, StructuralTransformer


class Block(LetBlock):
    """A let-chain of AD output: typed bindings and effects, then a result."""

    def bind(self, name: str, value: Expr, ty: Type | None = None) -> Expr:
        """Bind `value` to a fresh typed variable (atoms are returned as they are)."""
        if isinstance(value, Var | Constant | GlobalVar):
            return value
        return self.emit(name, value, ty, checked_type=ty)

    def do(self, effect: Expr) -> None:
        """Evaluate `effect` for its side effect."""
        self.emit("_", effect, UNIT)

    result = LetBlock.close


def new_backprop() -> RefCreate:
    """A backpropagator that does nothing yet: ``ref(fn () -> () { () })``."""
    return RefCreate(Function((), Tuple(()), UNIT))


class FunctionTransformer(StructuralTransformer):
    """Rewrites one function body (and the closures inside it) for higher-order AD."""

    def __init__(self, ctx: ADContext, backprop: Var, var_map: dict | None = None):
        super().__init__(ctx, var_map)
        self.backprop = backprop

    def op_parts(self, call: Call) -> tuple[list, Expr]:
        return OpCallTransformer(self, call).parts()

    def _constant(self, const: Constant) -> Expr:
        return self._lift_constant(const)

    def function(self, func: Function) -> Function:
        """A closure's AD version: parameters rewritten, plus the caller's backpropagator."""
        params = [self.new_var(p) for p in func.params]
        backprop = Var("bp", BACKPROP_TYPE)
        inner = FunctionTransformer(self.ctx, backprop, self.var_map)
        body = inner.visit(func.body)
        ret = func.checked_type.ret_type if isinstance(func.checked_type, FuncType) else None
        ret_type = self.ctx.ad_type(ret) if ret is not None else None
        return Function([*params, backprop], body, ret_type, func.type_params)

    def _constructor_value(self, ctor: Constructor) -> Function:
        return constructor_value(self.ctx, ctor)

    def _lift_constant(self, const: Constant) -> Expr:
        if not is_float_tensor(
            const.checked_type or TensorType(const.data.shape, const.data.dtype.name)
        ):
            return const
        return Tuple([const, RefCreate(call("zeros_like", const))])

    def _call(self, call: Call) -> Expr:
        callee = call.op
        if isinstance(callee, Op):
            if callee.name == CHECKPOINT:
                return self._checkpoint(call)
            return make_lets(*self.op_parts(call))
        args = [self.visit(a) for a in call.args]
        if isinstance(callee, Constructor):
            return Call(self.ctx.constructor(callee), args)
        return Call(self.visit(callee), [*args, self.backprop])

    def _checkpoint(self, call: Call) -> Expr:
        """Run the argument off the tape; on the way back, rerun it on a tape of its own.

        The forward pass keeps no closures for the checkpointed computation; the backward
        pass recomputes them, then propagates the checkpoint's output gradient through them.
        """
        (arg,) = call.args
        return checkpoint_code(self.ctx, self.backprop, call.checked_type, arg, self._rerun)

    def _rerun(self, expr: Expr, backprop: Var) -> Expr:
        """A fresh AD copy of `expr` recording onto `backprop` (its binders get new vars)."""
        return FunctionTransformer(self.ctx, backprop, dict(self.var_map)).visit(expr)


def checkpoint_code(ctx: ADContext, backprop: Var, ty: Type, arg: Expr, rerun) -> Expr:
    """A checkpoint of `arg` (of type `ty`); ``rerun(arg, tape)`` is a fresh AD copy of
    `arg` recording onto the backpropagator ref `tape`."""
    block = Block()
    discarded = block.bind("checkpoint_tape", new_backprop(), BACKPROP_TYPE)
    forward = block.bind("checkpoint", rerun(arg, discarded), ctx.ad_type(ty))
    value = block.bind("value", primal(forward, ty), ty)
    out = block.bind("out", lift(value, ty), ctx.ad_type(ty))
    tape = Block()
    local = tape.bind("local_tape", new_backprop(), BACKPROP_TYPE)
    again = tape.bind("again", rerun(arg, local), ctx.ad_type(ty))
    tape.do(accumulate(again, read_gradient(out, ty), ty))
    tape.do(Call(RefRead(local), ()))
    push_backprop(block, backprop, tape)
    return block.result(out)


def constructor_value(ctx: ADContext, ctor: Constructor) -> Function:
    """A constructor passed as a function takes the backpropagator too: eta-expand it."""
    params = [Var(f"field{i}") for i in range(len(ctor.inputs))]
    body = Call(ctx.constructor(ctor), params)
    return Function([*params, Var("bp", BACKPROP_TYPE)], body)


def bind_pair(block: Block, ctx: ADContext, value: Var, ty: TensorType) -> Var:
    """Bind the AD pair of float tensor `value` with a new zero gradient ref, each part to a
    variable of its own; ops that take the pair use those parts directly (see ADContext)."""
    ref = block.bind(f"{value.name_hint}_grad", RefCreate(call("zeros_like", value)), RefType(ty))
    pair = block.bind(f"{value.name_hint}_ad", Tuple([value, ref]), ctx.ad_type(ty))
    ctx.pairs[pair] = (value, ref)
    return pair


def lifted_param(block: Block, code: StructureCode, param: Var) -> Expr:
    """Parameter `param` in AD form, bound in `block` (itself when AD leaves its type alone)."""
    ty = param.checked_type
    if not code.changes(ty):
        return param
    if is_float_tensor(ty):
        return bind_pair(block, code.ctx, param, ty)
    return block.bind(f"{param.name_hint}_ad", code.lift(param, ty), code.ctx.ad_type(ty))


def push_backprop(block: Block, backprop: Var, tape: Block) -> None:
    """Make `tape`'s steps the new head of the backpropagator chain in `backprop`."""
    previous = block.bind("prev", RefRead(backprop), FuncType((), UNIT))
    closure = Function((), tape.result(Call(previous, ())), UNIT)
    block.do(RefWrite(backprop, closure))


class OpCallTransformer:
    """The AD version of one op call: forward on plain values, then a tape entry."""

    def __init__(self, parent: FunctionTransformer, call: Call):
        self.parent = parent
        self.call = call
        self.op = call.op
        self.arg_types = [a.checked_type for a in call.args]
        self.block = Block()

    def parts(self) -> tuple[list, Expr]:
        """The bindings of the call's AD code and the AD value they compute."""
        ad_types = [self.parent.ctx.ad_type(t) for t in self.arg_types]
        ad_args = [self._arg(a, t) for a, t in zip(self.call.args, ad_types, strict=True)]
        return self.finish(ad_args, [True] * len(ad_args))

    def finish(self, ad_args: list[Expr], active: list[bool]) -> tuple[list, Expr]:
        """The call's AD code given its arguments' values, bound in this block.

        An argument that is not `active` is a plain value: it is passed to the op as it is
        and gets no gradient (activity analysis found that it depends on no chosen input).
        """
        ctx, block, out_ty = self.parent.ctx, self.block, self.call.checked_type
        plain = self.plain_args(ad_args, active)
        forward = Call(self.op, plain, self.call.attrs, checked_type=out_ty)
        if not has_float_leaf(out_ty):
            return block.bindings, forward
        value = block.bind(self.op.name.split(".")[-1], forward, out_ty)
        differentiable = [
            i for i, t in enumerate(self.arg_types) if active[i] and has_float_leaf(t)
        ]
        if not differentiable or is_non_differentiable(self.op):
            return block.bindings, lift(value, out_ty)
        if is_float_tensor(out_ty):
            out = bind_pair(block, ctx, value, out_ty)
        else:
            out = block.bind("out", lift(value, out_ty), ctx.ad_type(out_ty))
        tape = self._tape(plain, value, out, ad_args, differentiable)
        push_backprop(block, self.parent.backprop, tape)
        return block.bindings, out

    def plain_args(self, ad_args: list[Expr], active: list[bool]) -> list[Expr]:
        """The plain values of the arguments: active ones projected out of AD form."""
        args = zip(self.call.args, ad_args, self.arg_types, active, strict=True)
        return [self._plain(a, arg, t) if is_active else arg for a, arg, t, is_active in args]

    def _arg(self, arg: Expr, ad_type: Type) -> Expr:
        """The AD value of an argument, its code floated into this call's block."""
        bindings, value = self.parent.parts(arg)
        self.block.bindings += bindings
        return self.block.bind(name_of(arg), value, ad_type)

    def _plain(self, original: Expr, ad_arg: Expr, ty: Type) -> Expr:
        """A variable holding the plain value of an argument, typed for the gradient rule."""
        known = self.parent.ctx.pairs.get(ad_arg)
        if known is not None:
            return known[0]
        value = primal(ad_arg, ty)
        if isinstance(value, Var | Constant) and value.checked_type is not None:
            return value
        return self.block.bind(name_of(original), value, ty)

    def _tape(self, plain, value, out, ad_args, differentiable) -> Block:
        out_ty = self.call.checked_type
        tape = Block()
        known = self.parent.ctx.pairs.get(out)
        read = read_gradient(out, out_ty) if known is None else RefRead(known[1])
        grad = tape.bind("grad", read, out_ty)
        orig_call = Call(self.op, plain, self.call.attrs, checked_type=out_ty)
        grads = gradient_of(self.op)(orig_call, grad)
        if len(grads) != len(plain):
            count = f"{len(grads)} values for {len(plain)} arguments"
            raise GradientError(f"the gradient of {self.op.name} returned {count}")
        for i in differentiable:
            rule = replace_node(grads[i], orig_call, value)
            g = tape.bind(f"grad_{name_of(self.call.args[i])}", rule, self.arg_types[i])
            effect = self._accumulate(ad_args[i], g, self.arg_types[i])
            if effect is not None:
                tape.do(effect)
        return tape

    def _accumulate(self, ad_arg: Expr, grad: Expr, ty: Type) -> Expr | None:
        known = self.parent.ctx.pairs.get(ad_arg)
        if known is None:
            return accumulate(ad_arg, grad, ty)
        return add_into(lambda: known[1], grad, ty)


def name_of(expr: Expr) -> str:
    """A short name for a variable holding the value of `expr`."""
    if isinstance(expr, Var):
        return expr.name_hint
    if isinstance(expr, Call) and isinstance(expr.op, Op):
        return expr.op.name.split(".")[-1]
    return "x"
