"""Newton's method and Newton-CG on the Rosenbrock function, the iterates drawn on its contours.

Newton's method here solves ``H p = -g`` with the Hessian from ``lg.hessian`` (forward mode
over reverse mode, formed as a matrix) and backtracks along ``p`` until the function drops.
Newton-CG (SciPy's, with its own line search) never forms the Hessian: its products come from
``lg.linear_operator(lg.grad(f), x)``, the Jacobian of the gradient at ``x`` as a SciPy
``LinearOperator`` whose ``matvec`` is a Hessian-vector product.

Run: python examples/rosenbrock_newton.py [--out rosenbrock.png] [--small]
"""

import argparse

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize as scipy_minimize

import lambdagrad as lg

START = np.array([-1.2, 1.0])


def rosenbrock(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


gradient = lg.grad(rosenbrock)


def newton_direction(x):
    """Solve H p = -g with the Hessian as a matrix."""
    return np.linalg.solve(lg.hessian(rosenbrock)(x), -gradient(x))


def hessian_times(x, vector):
    """H(x) @ vector, without forming H."""
    return lg.linear_operator(gradient, x).matvec(vector)


def newton_cg(x0=START):
    """The iterates of SciPy's Newton-CG from `x0`."""
    path = [x0]
    scipy_minimize(
        rosenbrock,
        x0,
        method="Newton-CG",
        jac=gradient,
        hessp=hessian_times,
        callback=path.append,  # called with each iterate
        options={"xtol": 1e-10},
    )
    return np.array(path)


def backtrack(x, direction):
    """The longest step 1, 1/2, 1/4, ... along `direction` that lowers the function."""
    step, value = 1.0, rosenbrock(x)
    while step > 1e-8 and rosenbrock(x + step * direction) >= value:
        step /= 2
    return x + step * direction


def newton(x0=START, iterations=100, tolerance=1e-10):
    """The iterates of Newton's method with backtracking from `x0`."""
    path = [x0]
    while len(path) <= iterations and np.linalg.norm(gradient(path[-1])) > tolerance:
        path.append(backtrack(path[-1], newton_direction(path[-1])))
    return np.array(path)


def plot(paths: dict, out: str, resolution: int) -> None:
    """Each path's iterates over the log-spaced contours of the function."""
    xs, ys = np.linspace(-1.6, 1.6, resolution), np.linspace(-0.6, 1.6, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = (1 - grid_x) ** 2 + 100 * (grid_y - grid_x**2) ** 2
    figure, axes = plt.subplots(figsize=(7, 5))
    axes.contour(grid_x, grid_y, values, levels=np.logspace(-1, 3, 15), cmap="viridis")
    for (label, path), marker in zip(paths.items(), "os", strict=False):
        axes.plot(path[:, 0], path[:, 1], marker=marker, label=f"{label} ({len(path) - 1} steps)")
    axes.plot(1, 1, "k*", markersize=12, label="minimum (1, 1)")
    axes.set(xlabel="x0", ylabel="x1", title="Rosenbrock: Newton and Newton-CG with lambdagrad")
    axes.legend(loc="lower right")
    figure.savefig(out, dpi=100)
    plt.close(figure)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="rosenbrock.png", help="where to write the plot")
    parser.add_argument("--small", action="store_true", help="a coarse contour grid (for tests)")
    args = parser.parse_args(argv)
    paths = {"Newton": newton(), "Newton-CG": newton_cg()}
    for label, path in paths.items():
        print(f"{label:10s} {len(path) - 1:3d} steps, ends at {np.round(path[-1], 6)}")
    plot(paths, args.out, resolution=60 if args.small else 400)
    print(f"wrote {args.out}")
    return paths


if __name__ == "__main__":
    main()
