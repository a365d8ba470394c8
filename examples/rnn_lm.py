"""A character-level RNN language model over `lg.List` sequences, in Python and in text.

The model reads a sequence of one-hot characters and predicts each next one: a tanh RNN and a
softmax read-out, trained by plain SGD on the summed cross-entropy. It is written three
times, and the three agree on the loss and its gradient:

- `lm_loss` in Python with `lambdagrad.numpy`, differentiated define-by-run by `lg.grad` on a
  Python list of pairs;
- `lg.jit(lm_loss)`: the same source translated to one IR program over an `lg.List` (the
  loop is not unrolled), whose gradient `lg.transform.gradient` derives and the compiled
  executor runs: this one trains;
- `examples/rnn_lm.rly`: the model written in the text format by hand (`@foldl` over the
  list), differentiated the same way.

Run: python examples/rnn_lm.py [--epochs N] [--small]
"""

import argparse
import time
from pathlib import Path

import numpy as np

import lambdagrad as lg
import lambdagrad.numpy as lnp

TEXT = "hello world " * 8
CHARS = sorted(set(TEXT))  # 8 characters: the .rly file's sizes
HIDDEN, LENGTH = 16, 8
RLY = Path(__file__).with_suffix(".rly")


def lm_loss(pairs, h, wx, wh, b, wo):
    """The summed cross-entropy of predicting each pair's next character from its input."""
    loss = lnp.zeros((), "float32")
    for pair in pairs:
        x, y = pair
        h = lnp.tanh(x @ wx.T + h @ wh.T + b)
        logits = h @ wo.T
        loss = loss + lnp.log(lnp.sum(lnp.exp(logits))) - lnp.sum(logits * y)
    return loss


def one_hot(char: str) -> np.ndarray:
    return np.eye(len(CHARS), dtype="float32")[CHARS.index(char)]


def sequences() -> list[list[tuple]]:
    """(input, next character) pairs of each window of LENGTH characters of TEXT."""
    starts = range(0, len(TEXT) - LENGTH, LENGTH // 2)
    windows = [TEXT[s : s + LENGTH + 1] for s in starts]
    return [[(one_hot(a), one_hot(b)) for a, b in zip(w, w[1:], strict=False)] for w in windows]


def initial_params(seed: int = 0) -> list[np.ndarray]:
    """h0, wx, wh, b, wo in float32."""
    rng = np.random.default_rng(seed)
    shapes = [(HIDDEN, len(CHARS)), (HIDDEN, HIDDEN), (HIDDEN,), (len(CHARS), HIDDEN)]
    weights = [(rng.standard_normal(s) * 0.3).astype("float32") for s in shapes]
    return [np.zeros(HIDDEN, "float32"), *weights]


def compiled_gradient(mod: lg.IRModule):
    """fn(pairs, h0, wx, wh, b, wo) -> (loss, (dwx, dwh, db, dwo)), optimized and compiled.

    `optimize_program` optimizes the globals the gradient calls too (`gradient` puts the
    per-step work of recursive functions in derived ``@f_grad`` globals)."""
    main = mod.get_global_var("main")
    grad = lg.transform.gradient(main, mod=mod, wrt=(2, 3, 4, 5))
    grad, optimized = lg.transform.optimize_program(grad, mod)
    return lg.create_executor("compiled", optimized).evaluate(grad)


def three_versions(pairs, params) -> dict:
    """The loss and the gradient of wo from each version of the model on one sequence."""
    define_by_run = lg.value_and_grad(lm_loss, argnums=5)(pairs, *params)
    jitted_mod = lg.jit(lm_loss).lower(lg.List(pairs), *params)
    jitted = compiled_gradient(jitted_mod)(lg.List(pairs), *params)
    text_mod = lg.parse(RLY.read_text(encoding="utf-8"), prelude=True)
    text = compiled_gradient(text_mod)(lg.make_list(pairs, text_mod), *params)
    return {
        "define-by-run": define_by_run,
        "lg.jit": (jitted[0], jitted[1][3]),
        "text format": (text[0], text[1][3]),
    }


def train(epochs: int, learning_rate: float = 0.1, seed: int = 0):
    """SGD on every window each epoch, with the lg.jit version; returns params and losses."""
    data = [lg.List(pairs) for pairs in sequences()]
    params = initial_params(seed)
    step = compiled_gradient(lg.jit(lm_loss).lower(data[0], *params))
    history = []
    for _ in range(epochs):
        total = 0.0
        for pairs in data:
            loss, grads = step(pairs, *params)
            params[1:] = [
                p - np.float32(learning_rate) * g for p, g in zip(params[1:], grads, strict=True)
            ]
            total += float(loss)
        history.append(total / (len(data) * LENGTH))
    return params, history


def generate(params, start: str, count: int) -> str:
    """Greedy sampling from the trained model, in plain numpy."""
    h, wx, wh, b, wo = params
    text, char = start, start
    for _ in range(count):
        h = np.tanh(wx @ one_hot(char) + wh @ h + b)
        char = CHARS[int(np.argmax(wo @ h))]
        text += char
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--small", action="store_true", help="a few epochs only (for tests)")
    args = parser.parse_args(argv)
    for name, (loss, dwo) in three_versions(sequences()[0], initial_params()).items():
        print(f"{name:14s} loss {float(loss):.6f}  |d wo| {np.linalg.norm(dwo):.6f}")
    epochs = 3 if args.small else args.epochs
    started = time.perf_counter()
    params, history = train(epochs)
    seconds = time.perf_counter() - started
    change = f"{history[0]:.3f} -> {history[-1]:.3f}"
    print(f"{epochs} epochs in {seconds:.1f} s: loss per character {change}")
    print("generated:", repr(generate(params, "h", 23)))
    return history


if __name__ == "__main__":
    main()
