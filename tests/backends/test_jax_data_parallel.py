"""Data parallel: a lowered gradient under jax.jit with its batch sharded over 4 host devices
gives the gradients of one device. It runs in a subprocess, since the device count is fixed
when JAX starts (the other tests keep their one device)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

MLP = Path(__file__).parent.parent.parent / "examples" / "mlp.rly"

SCRIPT = textwrap.dedent(
    """
    import sys
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec
    import lambdagrad as lg

    mod = lg.parse(open(sys.argv[1]).read())
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod)
    grad = lg.transform.optimize(grad)
    loss_and_grads = jax.jit(lg.to_jax(grad, mod))

    rng = np.random.default_rng(0)
    shapes = [(8, 16), (32, 16), (32,), (4, 32), (8, 4)]
    args = [rng.standard_normal(s).astype("float32") for s in shapes]
    one_device = loss_and_grads(*args)

    assert len(jax.devices()) == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    by_batch = NamedSharding(mesh, PartitionSpec("batch"))
    replicated = NamedSharding(mesh, PartitionSpec())
    placed = [
        jax.device_put(a, by_batch if i in (0, 4) else replicated) for i, a in enumerate(args)
    ]
    assert len(placed[0].sharding.device_set) == 4
    assert placed[0].addressable_shards[0].data.shape == (2, 16)
    sharded = loss_and_grads(*placed)

    expected = lg.create_executor("compiled", mod).evaluate(grad)(*args)
    for got in (one_device, sharded):
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected), strict=True):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    for a, b in zip(jax.tree.leaves(sharded), jax.tree.leaves(one_device), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    print("same gradients on", len(sharded[1][0].sharding.device_set), "devices")
    """
)


def test_sharded_batch_gives_the_gradients_of_one_device():
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(MLP)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "same gradients on" in done.stdout
