"""Portability of notebooks 17 (dropout) and 18 (batch norm): their training experiments.

Notebook 17: the two-moons networks with and without dropout, trained on
points nudged by a relative 1e-12; the printed losses and the gap claims must
come out as the notebook shows them.

Notebook 18: the deep network with and without batch norm.

The training images (float32) are nudged by one unit in their last place and
the four runs repeated; the printed learning-curve summaries must come out as
the notebook shows them (as nbval compares them) and the claims must hold:
batch norm learns faster, the plain network diverges at learning rate 0.5
(reported as diverged, not by its chaotic digits) and batch norm does not.
"""

import numpy as np
import pytest
from _portability import assert_prints_the_same, nudge

from lecturelib import load_digits
from lecturelib.drawing.dropout import two_moons
from lecturelib.losses import softmax_cross_entropy
from lecturelib.training import SGD, Adam, Dropout, Linear, ReLU, Sequential, evaluate, fit
from lecturelib.training.batchnorm import deep_mlp

DIVERGED_LOSS = 10.0


def _first_epoch_reaching(history, level=0.7):
    reached = [epoch for epoch, value in enumerate(history.val_accuracy, 1) if value >= level]
    return reached[0] if reached else np.inf


@pytest.mark.slow
def test_batch_norm_experiment_prints_the_same_when_nudged():
    images, labels = load_digits("train", dtype=np.float32)
    pixels = images.reshape(len(images), -1).astype(np.float64)
    order = np.random.default_rng(0).permutation(len(labels))
    x_train = nudge(pixels[order[288:]].astype(np.float32), seed=1)
    y_train = labels[order[288:]]
    x_val, y_val = pixels[order[:288]].astype(np.float32), labels[order[:288]]
    histories = {}
    for learning_rate in (0.1, 0.5):
        for name in ("plain", "batch norm"):
            model = deep_mlp(batch_norm=name == "batch norm")
            histories[name, learning_rate] = fit(
                model,
                softmax_cross_entropy,
                SGD(model, lr=learning_rate, momentum=0.9),
                (x_train, y_train),
                batch_size=64,
                epochs=6,
                val_data=(x_val, y_val),
                rng=0,
                progress=False,
            )

    curves, summary = [], []
    for (name, learning_rate), history in histories.items():
        diverged = history.diverged_from(DIVERGED_LOSS)
        if diverged is None:
            accuracies = np.round(history.val_accuracy, 3)
            curves.append(
                f"{name:10s} lr {learning_rate}: validation accuracy per epoch {accuracies}"
            )
            final = f"final training loss {history.train_loss[-1]:.2f}"
        else:
            at_chance = max(history.val_accuracy[diverged - 1 :]) < 0.15
            curves.append(
                f"{name:10s} lr {learning_rate}: diverged, training loss above {DIVERGED_LOSS:g} "
                f"from epoch {diverged} on"
                + (", validation accuracy at chance (below 0.15)" if at_chance else "")
            )
            final = f"diverged from epoch {diverged}"
        epoch = _first_epoch_reaching(history)
        when = f"after epoch {epoch}" if np.isfinite(epoch) else "not within 6 epochs"
        summary.append(f"{name:10s} lr {learning_rate}: 70 % {when}, {final}")
    assert_prints_the_same("18_", "DIVERGED_LOSS = 10.0", "\n".join(curves))
    assert_prints_the_same("18_", "def first_epoch_reaching(", "\n".join(summary))

    fast, slow = histories["batch norm", 0.1], histories["plain", 0.1]
    assert _first_epoch_reaching(fast) <= 2 and _first_epoch_reaching(slow) >= 4
    assert histories["plain", 0.5].diverged_from(DIVERGED_LOSS) is not None
    assert histories["batch norm", 0.5].diverged_from(DIVERGED_LOSS) is None
    assert histories["batch norm", 0.5].val_accuracy[-1] > 0.85


def _two_moons_network(with_dropout, seed=0):
    # notebook 17's make_network
    rng = np.random.default_rng(seed)
    layers = [Linear(2, 64, rng=rng), ReLU()]
    if with_dropout:
        layers.append(Dropout(0.5, rng=rng))
    layers += [Linear(64, 64, rng=rng), ReLU()]
    if with_dropout:
        layers.append(Dropout(0.5, rng=rng))
    layers.append(Linear(64, 2, rng=rng))
    return Sequential(*layers)


@pytest.mark.slow
def test_dropout_experiment_prints_the_same_when_nudged():
    x_train, y_train = two_moons(80, noise=0.3, rng=0)
    x_train = nudge(x_train, seed=1)
    x_val, y_val = two_moons(500, noise=0.3, rng=1)
    curves = {}
    for name, with_dropout in (("without dropout", False), ("with dropout", True)):
        model = _two_moons_network(with_dropout)
        measured = {"train": [], "validation": []}

        def measure(epoch, history, model=model, measured=measured):
            measured["train"].append(evaluate(model, softmax_cross_entropy, (x_train, y_train), 64))
            measured["validation"].append(
                evaluate(model, softmax_cross_entropy, (x_val, y_val), 64)
            )

        fit(
            model,
            softmax_cross_entropy,
            Adam(model, lr=0.01),
            (x_train, y_train),
            40,
            150,
            rng=1,
            callback=measure,
            progress=False,
        )
        curves[name] = np.array(measured["train"]), np.array(measured["validation"])
    lines = []
    for name, (train_curve, val_curve) in curves.items():
        (train_loss, train_accuracy), (val_loss, val_accuracy) = train_curve[-1], val_curve[-1]
        lines.append(
            f"{name:<16} train loss {train_loss:.3f} (accuracy {train_accuracy:.3f}), "
            f"validation loss {val_loss:.3f} (accuracy {val_accuracy:.3f}), "
            f"gap {val_loss - train_loss:.3f}"
        )
    (plain_train, plain_val), (dropout_train, dropout_val) = curves.values()
    plain_gap = plain_val[-1, 0] - plain_train[-1, 0]
    dropout_gap = dropout_val[-1, 0] - dropout_train[-1, 0]
    lines.append(
        f"lowest validation loss: without {plain_val[:, 0].min():.3f}, "
        f"with {dropout_val[:, 0].min():.3f}"
    )
    lines.append(f"the gap is {plain_gap / dropout_gap:.1f} times smaller with dropout")
    assert_prints_the_same("17_", "the gap is {plain_gap / dropout_gap:.1f}", "\n".join(lines))
    assert dropout_gap < plain_gap / 2.5
    assert dropout_val[-1, 0] < plain_val[-1, 0] / 2
    assert dropout_train[-1, 0] > plain_train[-1, 0]
    assert plain_val[:, 0].min() <= dropout_val[:, 0].min()
