"""Minimize the 10-d Rosenbrock function by Newton-CG with lambdagrad's derivatives.

scipy's Newton-CG takes the gradient (``lg.grad``) and Hessian-vector products (``lg.hvp``,
forward mode over reverse mode, the Hessian never formed). Run: python examples/newton_cg.py
"""

import numpy as np
from scipy.optimize import minimize

import lambdagrad as lg
import lambdagrad.numpy as lnp


def rosenbrock(x):
    return lnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def hessp(x, v):
    return lg.hvp(rosenbrock, (x,), (v,))


def solve(x0):
    """scipy's Newton-CG result from `x0`."""
    return minimize(rosenbrock, x0, method="Newton-CG", jac=lg.grad(rosenbrock), hessp=hessp)


if __name__ == "__main__":
    result = solve(np.full(10, -1.2))
    print(f"{result.message} after {result.nit} iterations")
    print("minimum at", np.round(result.x, 6), "value", result.fun)
