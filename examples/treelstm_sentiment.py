"""Train a binary TreeLSTM to tell positive phrases from negative ones, with a progress bar.

The phrases are random binary trees over a tiny vocabulary, made up on the spot (nothing is
downloaded): "good", "fun", "great" count +1, "bad", "dull", "awful" -1, "the", "movie",
"plot" 0, and a "not" on the left of a subtree flips that subtree's sign. A phrase is
positive when its total is above zero. Deciding it needs the tree's structure, which is what
a TreeLSTM (Tai et al. 2015, N-ary with N = 2) reads.

The model is Python over `lambdagrad.numpy`: an `lg.adt` tree matched with Python's `match`,
recursion, translated by `lg.jit` into one IR program for trees of every shape. `lg.grad`
differentiates it directly; for the training loop its gradient is derived once by
`lg.transform.gradient`, optimized and compiled (the two agree, which the script checks
first, and the compiled program is much faster per step), and plain SGD trains it.
tqdm shows the loss and the examples per second; matplotlib draws the loss and accuracy
curves to a PNG; the held-out accuracy is printed at the end.

Run: python examples/treelstm_sentiment.py [--epochs N] [--out curve.png] [--small]
"""

import argparse

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import lambdagrad as lg
import lambdagrad.numpy as lnp

POLARITY = {"good": 1, "fun": 1, "great": 1, "bad": -1, "dull": -1, "awful": -1}
VOCABULARY = [*POLARITY, "the", "movie", "plot", "not"]
EMBED, HIDDEN, CLASSES = 8, 12, 2


@lg.adt(params=("A",))
class Phrase:
    Word = "A"
    Pair = ("Phrase[A]", "Phrase[A]")


@lg.jit
def cell(phrase, emb, w, bw, ul, ur, bu):
    """(h, c) of a phrase: a word gates its embedding (i, o, u); a pair its children's
    hidden states (i, f_left, f_right, o, u)."""
    match phrase:
        case Phrase.Word(word):
            i, o, u = lnp.split((word @ emb.T) @ w.T + bw, 3, axis=1)
            c = lnp.nn.sigmoid(i) * lnp.tanh(u)
            return lnp.nn.sigmoid(o) * lnp.tanh(c), c
        case Phrase.Pair(left, right):
            h_left, c_left = cell(left, emb, w, bw, ul, ur, bu)
            h_right, c_right = cell(right, emb, w, bw, ul, ur, bu)
            gates = h_left @ ul.T + h_right @ ur.T + bu
            i, f_left, f_right, o, u = lnp.split(gates, 5, axis=1)
            c = lnp.nn.sigmoid(i) * lnp.tanh(u)
            c = c + lnp.nn.sigmoid(f_left) * c_left + lnp.nn.sigmoid(f_right) * c_right
            return lnp.nn.sigmoid(o) * lnp.tanh(c), c


@lg.jit
def logits(phrase, emb, w, bw, ul, ur, bu, wo):
    h, _ = cell(phrase, emb, w, bw, ul, ur, bu)
    return h @ wo.T


@lg.jit
def loss(phrase, label, emb, w, bw, ul, ur, bu, wo):
    """Cross-entropy of the root's two logits against the one-hot `label`."""
    scores = logits(phrase, emb, w, bw, ul, ur, bu, wo)
    return lnp.log(lnp.sum(lnp.exp(scores))) - lnp.sum(scores * label)


# ---- data: random phrases and their sentiment


def random_words(rng, count: int) -> list[str]:
    return [VOCABULARY[int(i)] for i in rng.integers(len(VOCABULARY), size=count)]


def build(words: list[str], rng) -> tuple:
    """A random binary bracketing of `words`: (phrase value, total sentiment)."""
    if len(words) == 1:
        code = np.eye(len(VOCABULARY), dtype="float32")[VOCABULARY.index(words[0])][None]
        return Phrase.Word(code), POLARITY.get(words[0], 0), words[0] == "not"
    split = int(rng.integers(1, len(words)))
    left, left_score, left_is_not = build(words[:split], rng)
    right, right_score, _ = build(words[split:], rng)
    score = -right_score if left_is_not else left_score + right_score
    return Phrase.Pair(left, right), score, False


def dataset(rng, size: int) -> list[tuple]:
    """`size` (phrase, one-hot label, label index) with a nonzero sentiment."""
    examples = []
    while len(examples) < size:
        phrase, score, _ = build(random_words(rng, int(rng.integers(2, 7))), rng)
        if score != 0:
            label = int(score > 0)
            examples.append((phrase, np.eye(CLASSES, dtype="float32")[label][None], label))
    return examples


# ---- the model's parameters and training


def initial_params(rng) -> list[np.ndarray]:
    """emb, w, bw (word gates), ul, ur, bu (pair gates), wo (read-out), float32."""
    shapes = [
        (EMBED, len(VOCABULARY)),
        (3 * HIDDEN, EMBED),
        (3 * HIDDEN,),
        (5 * HIDDEN, HIDDEN),
        (5 * HIDDEN, HIDDEN),
        (5 * HIDDEN,),
        (CLASSES, HIDDEN),
    ]
    return [(rng.standard_normal(s) / np.sqrt(s[-1])).astype("float32") for s in shapes]


def gradient_step(example, params):
    """A compiled fn(phrase, label, *params) -> (loss, gradients of the params)."""
    phrase, label, _ = example
    mod = loss.lower(phrase, label, *params)
    weights = tuple(range(2, 2 + len(params)))
    grad = lg.transform.gradient(mod.get_global_var("main"), mod=mod, wrt=weights)
    grad, optimized = lg.transform.optimize_program(grad, mod)  # and the derived @cell_grad...
    return lg.create_executor("compiled", optimized).evaluate(grad)


def largest_difference_from_lg_grad(step, example, params) -> float:
    """How far the compiled gradient program is from `lg.value_and_grad` on `example`."""
    phrase, label, _ = example
    weights = tuple(range(2, 2 + len(params)))
    value, grads = lg.value_and_grad(loss, argnums=weights)(phrase, label, *params)
    step_value, step_grads = step(phrase, label, *params)
    pairs = [(value, step_value), *zip(grads, step_grads, strict=True)]
    return max(float(np.max(np.abs(a - b))) for a, b in pairs)


def accuracy(examples, params) -> float:
    right = sum(int(np.argmax(logits(p, *params))) == label for p, _, label in examples)
    return right / len(examples)


def train(step, train_set, test_set, params, epochs: int, learning_rate: float = 0.1):
    """SGD with the compiled `step`, one example at a time; returns the trained params and
    the per-epoch history."""
    history = {"loss": [], "train accuracy": [], "test accuracy": []}
    rng = np.random.default_rng(1)
    bar = tqdm(total=epochs * len(train_set), unit="ex", desc="training")
    for epoch in range(epochs):
        losses = []
        for index in rng.permutation(len(train_set)):
            phrase, label, _ = train_set[index]
            value, grads = step(phrase, label, *params)
            params = [p - np.float32(learning_rate) * g for p, g in zip(params, grads, strict=True)]
            losses.append(float(value))
            bar.update()
            bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-50:]):.3f}")
        history["loss"].append(float(np.mean(losses)))
        history["train accuracy"].append(accuracy(train_set, params))
        history["test accuracy"].append(accuracy(test_set, params))
    bar.close()
    return params, history


def plot(history: dict, out: str) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="mean cross-entropy", title="training loss")
    for name in ("train accuracy", "test accuracy"):
        right.plot(epochs, history[name], marker="o", label=name)
    right.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.05), title="accuracy")
    right.legend()
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", default="treelstm_sentiment.png", help="the curves' PNG")
    parser.add_argument("--small", action="store_true", help="a little data, 2 epochs (tests)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    sizes = (40, 20) if args.small else (400, 200)
    train_set, test_set = dataset(rng, sizes[0]), dataset(rng, sizes[1])
    params = initial_params(rng)
    epochs = 2 if args.small else args.epochs
    step = gradient_step(train_set[0], params)
    difference = largest_difference_from_lg_grad(step, train_set[0], params)
    print(f"compiled gradient vs lg.value_and_grad: largest difference {difference:.2g}")
    params, history = train(step, train_set, test_set, params, epochs)
    plot(history, args.out)
    print(f"held-out accuracy {history['test accuracy'][-1]:.1%} on {len(test_set)} phrases")
    print(f"wrote {args.out}")
    return history


if __name__ == "__main__":
    main()
