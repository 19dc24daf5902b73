"""Portability of notebook 18 (batch norm): the deep network with and without batch norm.

The training images (float32) are nudged by one unit in their last place and
the four runs repeated; the printed learning-curve summaries must come out as
the notebook shows them (as nbval compares them) and the claims must hold:
batch norm learns faster, the plain network diverges at learning rate 0.5
(reported as diverged, not by its chaotic digits) and batch norm does not.
"""

import numpy as np
import pytest
from _portability import assert_prints_the_same, nudge

from lecturelib import fit, load_digits
from lecturelib import viz_batchnorm as vb
from lecturelib.layers import SGD, softmax_cross_entropy

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
            model = vb.deep_mlp(batch_norm=name == "batch norm")
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
