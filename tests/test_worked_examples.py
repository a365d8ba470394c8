"""The worked examples in examples/ run at their small size and write their pictures."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load(name: str):
    """examples/NAME.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_newton_and_newton_cg_reach_the_minimum_and_plot_it(tmp_path, capsys):
    out = tmp_path / "rosenbrock.png"
    paths = load("rosenbrock_newton").main(["--small", "--out", str(out)])
    for path in paths.values():
        np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-5)
    assert len(paths["Newton"]) < len(paths["Newton-CG"])  # exact Hessians take fewer steps
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.fixture(scope="module")
def rnn_lm():
    return load("rnn_lm")


def test_the_rnn_in_python_jit_and_text_agree(rnn_lm):
    versions = rnn_lm.three_versions(rnn_lm.sequences()[0], rnn_lm.initial_params())
    (loss, dwo), *others = versions.values()
    for other_loss, other_dwo in others:
        np.testing.assert_allclose(other_loss, loss, rtol=1e-5)
        np.testing.assert_allclose(other_dwo, dwo, rtol=1e-4, atol=1e-5)


def test_the_rnn_learns_the_text(rnn_lm, capsys):
    history = rnn_lm.main(["--small"])
    assert history[-1] < history[0] / 4
    assert "generated: 'hello world" in capsys.readouterr().out


@pytest.fixture(scope="module")
def treelstm():
    return load("treelstm_sentiment")  # once: it declares an ADT


def test_the_treelstm_trains_with_a_progress_bar_and_draws_its_curves(treelstm, tmp_path, capsys):
    out = tmp_path / "curves.png"
    history = treelstm.main(["--small", "--out", str(out)])
    assert history["loss"][-1] < history["loss"][0]
    assert out.read_bytes().startswith(PNG_MAGIC)
    captured = capsys.readouterr()
    assert "ex/s" in captured.err  # tqdm's rate, examples per second
    assert "held-out accuracy" in captured.out
    difference = re.search(r"lg.value_and_grad: largest difference (\S+)", captured.out)
    assert float(difference.group(1)) < 1e-5  # lg.grad and the compiled program agree


def test_the_sentiment_labels_follow_negation(treelstm):
    rng = np.random.default_rng(0)
    assert treelstm.build(["not", "good"], rng)[1] == -1
    assert treelstm.build(["good", "fun"], rng)[1] == 2
