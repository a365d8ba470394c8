"""JAX is an optional extra: the core never imports it, and asking for the JAX backend
without it installed is an lg.Error saying how to install it. Run in a subprocess, where
``sys.modules["jax"] = None`` makes JAX impossible to import."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["jax"] = None
    import lambdagrad as lg

    f = lg.parse_expr("fn (%x: float32) { multiply(%x, %x) }")
    assert float(lg.create_executor("compiled").evaluate(f)(3.0)) == 9.0
    for attempt in (lambda: lg.to_jax(f), lambda: lg.create_executor("jax")):
        try:
            attempt()
        except lg.Error as err:
            print(err)
        else:
            raise AssertionError("no error without JAX")
    """
)


def test_without_jax_the_core_works_and_the_backend_says_how_to_get_it():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert all('pip install "lambdagrad[jax]"' in line for line in lines)


def test_importing_lambdagrad_does_not_import_jax():
    check = "import sys, lambdagrad; print('jax' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
