"""Training a small character-level RNN with and without gradient clipping.

The experiment of notebook 15: the same :class:`lecturelib.text.CharRNN`,
from the same seeded weights and on the same chunks of text, trained once per
learning rate, clipping mode and threshold, so that the runs differ only in
the setting. Without clipping, large learning rates make the loss NaN;
:func:`first_non_finite` finds the step where that happens.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_int, as_number
from ..cliff import CLIP_MODES
from ..text import CharRNN


def first_non_finite(values) -> int | None:
    """Index of the first inf or NaN in ``values``, or None when all are finite.

    >>> first_non_finite([3.0, 2.5, float("inf"), float("nan")])
    2
    """
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    return int(bad[0]) if bad.size else None


def train_clipping_grid(
    ids,
    vocab_size: int,
    learning_rates,
    thresholds,
    steps: int = 100,
    hidden_size: int = 32,
    activation: str = "relu",
    seq_length: int = 25,
    batch_size: int = 4,
    weight_scale: float = 0.1,
    rng=0,
) -> dict:
    """Train one small ``CharRNN`` per (learning rate, clipping mode, threshold).

    Every run starts from the same seeded weights and reads the same
    chunks, so runs differ only in the setting. Without clipping the
    threshold does not matter: one run per learning rate is stored under
    every threshold. Returns {(learning_rate, mode, threshold): {"loss":
    (steps,) loss per character, "grad_norm": (steps,) norm before
    clipping}}.
    """
    steps = as_int(steps, "steps", 1)
    learning_rates = [as_number(lr, "learning_rates", 0, finite=True) for lr in learning_rates]
    thresholds = [as_number(t, "thresholds", 0, finite=True) for t in thresholds]
    if not learning_rates or not thresholds:
        raise ValueError("learning_rates and thresholds must each hold at least one value")
    runs = {}
    for lr in learning_rates:
        for mode in CLIP_MODES:
            for threshold in thresholds if mode != "none" else thresholds[:1]:
                model = CharRNN(
                    vocab_size,
                    hidden_size,
                    rng=rng,
                    weight_scale=weight_scale,
                    activation=activation,
                )
                history = model.train(
                    ids,
                    steps,
                    seq_length=seq_length,
                    batch_size=batch_size,
                    learning_rate=lr,
                    clip=None if mode == "none" else mode,
                    threshold=threshold,
                )
                run = {
                    "loss": np.array(history["loss"]) / (seq_length * batch_size),
                    "grad_norm": np.array(history["grad_norm"]),
                }
                for t in thresholds if mode == "none" else [threshold]:
                    runs[(lr, mode, t)] = run
    return runs


__all__ = ["first_non_finite", "train_clipping_grid"]
