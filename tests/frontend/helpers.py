"""Gradients of jitted functions through the IR passes, for the front end's tests."""

import lambdagrad as lg


def derivative(func, mod, index: int = 0) -> lg.Function:
    """``fn(params) { gradient(func)(params).1.index }``: a derivative as a new function."""
    grad = lg.transform.gradient(func, mod=mod)
    original = mod[func] if isinstance(func, lg.GlobalVar) else func
    params = [lg.var(p.name_hint, p.type_annotation) for p in original.params]
    return lg.Function(params, lg.TupleGetItem(lg.TupleGetItem(grad(*params), 1), index))


def value_and_grads(jitted, *args, optimize=False):
    """(value, gradients) of ``jitted`` at ``args``: lg.transform.gradient of its lowered
    @main, optionally optimized, run compiled."""
    mod = jitted.lower(*args)
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    if optimize:
        grad = lg.transform.optimize(grad)
    return lg.create_executor("compiled", mod).evaluate(grad)(*args)


def second_derivative(jitted, *args):
    """d²f/dx² of a jitted scalar function of one scalar (its first argument)."""
    mod = jitted.lower(*args)
    main = mod.get_global_var("main")
    first = derivative(main, mod)
    second = derivative(first, mod)
    return lg.create_executor("compiled", mod).evaluate(second)(*args)
