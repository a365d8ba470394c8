"""The peer libraries: imported only here and in the workloads' `make_*`, configured once.

None of them is a dependency of lambdagrad (they are the `bench` extra of pyproject.toml);
a peer that is not installed is skipped with a note.
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata

PACKAGES = {"torch": "torch", "jax": "jax", "jax.jit": "jax", "autograd": "autograd"}


def set_thread_env(threads: int) -> None:
    """Cap the BLAS and OpenMP pools; must run before numpy is imported to take effect."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    if threads == 1:
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"


def configure(threads: int) -> dict[str, str]:
    """Import and configure the peers; map each one that is unusable to the reason."""
    skipped = {}
    for library, package in PACKAGES.items():
        try:
            module = importlib.import_module(package)
        except ImportError as error:
            skipped[library] = f"not installed ({error.name})"
            continue
        _CONFIGURE.get(package, lambda module, threads: None)(module, threads)
    return skipped


def _configure_torch(torch, threads: int) -> None:
    torch.set_num_threads(threads)  # the same pool size numpy's BLAS gets


def _configure_jax(jax, threads: int) -> None:
    # scalar_loop runs in float64 (its float32 gradient underflows to 0); the float32
    # workloads stay float32 because their inputs are float32 arrays.
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")


_CONFIGURE = {"torch": _configure_torch, "jax": _configure_jax}


def versions() -> dict[str, str]:
    found = {}
    for package in ("numpy", "torch", "jax", "jaxlib", "autograd"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found
