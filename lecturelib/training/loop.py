"""A small training loop for the layer objects in :mod:`lecturelib.training.layers`.

The lecture's recipe, written once: shuffle the training set, cut it into
mini-batches, and for every batch run forward, compute the loss, run
backward, let the optimiser update the weights; after every epoch, measure
the validation set in eval mode. :func:`fit` returns a :class:`History` with
the learning curves.

Progress is shown with tqdm's notebook-aware bar. Pass ``progress=False`` to
hide it, or set the environment variable ``LECTURELIB_PROGRESS=0`` (the
tests and CI do) to hide it everywhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._checks import as_array, as_generator, as_int
from ..gradients import clip_grad_norm
from .layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential


@dataclass
class History:
    """Learning curves recorded by :func:`fit`, one entry per epoch.

    train_loss / train_accuracy: averages over the epoch's mini-batches, as
    measured during training (dropout active, weights still changing).
    val_loss / val_accuracy: measured in eval mode after each epoch (empty
    without validation data). Accuracies are None for non-classification
    losses. step_loss / step_accuracy: the same for every mini-batch, when
    ``record_steps`` was on. seconds: wall time of each epoch.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    step_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def diverged_from(self, loss_limit: float) -> int | None:
        """The epoch (counted from 1) from which on every training loss is above
        ``loss_limit`` or not finite; None when the last epoch's loss is below it.

        A diverged run's later losses are chaos: their digits change with the
        order in which a machine sums. Choose ``loss_limit`` far from both the
        losses of a healthy run and those of a diverged one, and report this
        epoch instead of the digits.

        >>> History(train_loss=[2.2, 15.0, 41.7, float("nan")]).diverged_from(10.0)
        2
        >>> History(train_loss=[2.2, 15.0, 0.5]).diverged_from(10.0) is None
        True
        """
        losses = np.asarray(self.train_loss, dtype=np.float64)
        healthy = np.flatnonzero(np.isfinite(losses) & (losses <= loss_limit))
        if losses.size == 0 or (healthy.size and healthy[-1] == losses.size - 1):
            return None
        return int(healthy[-1]) + 2 if healthy.size else 1


def _progress_enabled(progress) -> bool:
    if progress is None:
        return os.environ.get("LECTURELIB_PROGRESS", "1").strip().lower() not in (
            "0",
            "false",
            "no",
        )
    return bool(progress)


def _dataset(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (inputs, targets)")
    inputs, targets = as_array(data[0], f"{name} inputs"), np.asarray(data[1])
    if len(inputs) != len(targets):
        raise ValueError(
            f"{name} has {len(inputs)} inputs but {len(targets)} targets: the first axes must match"
        )
    if len(inputs) == 0:
        raise ValueError(f"{name} must hold at least one example")
    return inputs, targets


def accuracy(outputs, labels) -> float:
    """Fraction of rows whose largest output is at the label's index.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    outputs = as_array(outputs, "outputs", 2)
    labels = np.asarray(labels)
    if labels.shape != (outputs.shape[0],):
        raise ValueError(
            f"labels must have shape (N,) = ({outputs.shape[0]},) to match outputs, "
            f"got {labels.shape}"
        )
    return float(np.mean(outputs.argmax(axis=1) == labels))


def _is_classification(outputs: np.ndarray, targets: np.ndarray) -> bool:
    return outputs.ndim == 2 and targets.ndim == 1 and targets.dtype.kind in "iu"


def predict(model, inputs, batch_size=256) -> np.ndarray:
    """The model's outputs for ``inputs`` in eval mode, computed in batches.

    The model's mode (train or eval) is restored afterwards.
    """
    inputs = as_array(inputs, "inputs")
    batch_size = as_int(batch_size, "batch_size", 1)
    was_training = model.training
    model.eval()
    try:
        outputs = [
            model.forward(inputs[start : start + batch_size])
            for start in range(0, len(inputs), batch_size)
        ]
    finally:
        model.train(was_training)
    return np.concatenate(outputs, axis=0)


def evaluate(model, loss, data, batch_size=256) -> tuple[float, float | None]:
    """(mean loss, accuracy) of ``model`` on ``data = (inputs, targets)`` in eval mode.

    The loss is averaged over examples (batches weighted by their size);
    accuracy is None unless the targets are integer class labels.
    """
    inputs, targets = _dataset(data, "data")
    outputs = predict(model, inputs, batch_size)
    value, _ = loss(outputs, targets)
    score = accuracy(outputs, targets) if _is_classification(outputs, targets) else None
    return float(value), score


def fit(
    model,
    loss: Callable,
    optimiser,
    train_data,
    batch_size=32,
    epochs=1,
    val_data=None,
    rng=None,
    progress=None,
    record_steps=False,
    clip_norm=None,
    callback: Callable | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent; return the :class:`History`.

    model: a :class:`lecturelib.training.layers.Sequential` (or any object with
    forward, backward, train, eval and zero_grad). loss: a function
    ``(outputs, targets) -> (value, grad_outputs)`` such as
    ``softmax_cross_entropy`` or ``mse``. optimiser: an ``SGD`` or ``Adam``
    over the model's parameters. train_data, val_data: pairs
    ``(inputs, targets)`` with the examples along the first axis.

    Every epoch visits the training set once in a new random order drawn
    from ``rng`` (a Generator or a seed), so a seeded run repeats exactly.
    The last batch may be smaller. Frozen layers (``layer.freeze()``) are
    honoured: the optimiser skips their parameters and, for a
    :class:`Sequential`, backward stops below the lowest layer that still
    learns (the gradient for the inputs is never needed here). ``clip_norm``:
    clip the global norm of the trainable parameters' gradients to this value
    before every update. ``callback(epoch, history)`` is
    called after every epoch (for a live plot). progress: show a progress
    bar (None: unless LECTURELIB_PROGRESS=0).

    >>> from lecturelib.losses import mse
    >>> from lecturelib.training import SGD, Linear, Sequential
    >>> x = np.linspace(-1, 1, 20)[:, None]
    >>> model = Sequential(Linear(1, 1, rng=0))
    >>> history = fit(model, mse, SGD(model, lr=0.5), (x, 3 * x - 1), batch_size=5,
    ...               epochs=20, rng=0, progress=False)
    >>> np.round(model[0].params["weight"], 3), np.round(model[0].params["bias"], 3)
    (array([[3.]]), array([-1.]))
    """
    inputs, targets = _dataset(train_data, "train_data")
    if val_data is not None:
        val_data = _dataset(val_data, "val_data")
    batch_size = as_int(batch_size, "batch_size", 1)
    epochs = as_int(epochs, "epochs", 0)
    generator = as_generator(rng)
    stop_early = isinstance(model, Sequential)  # backward(input_grad=False) is available
    history = History()
    n = len(inputs)
    steps_per_epoch = -(-n // batch_size)

    bar = None
    if _progress_enabled(progress) and epochs > 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * steps_per_epoch, desc="training", unit="batch", leave=True)
    try:
        for epoch in range(epochs):
            started = time.perf_counter()
            model.train()
            order = generator.permutation(n)
            total_loss, correct, counted = 0.0, 0, 0
            classification = None
            for start in range(0, n, batch_size):
                batch = order[start : start + batch_size]
                x, y = inputs[batch], targets[batch]
                optimiser.zero_grad()
                outputs = model.forward(x)
                value, grad_outputs = loss(outputs, y)
                if stop_early:
                    model.backward(grad_outputs, input_grad=False)
                else:
                    model.backward(grad_outputs)
                if clip_norm is not None:
                    trainable = [p.grad for p in model.parameters() if p.trainable]
                    if trainable:
                        clip_grad_norm(trainable, clip_norm)
                optimiser.step()

                total_loss += value * len(batch)
                if classification is None:
                    classification = _is_classification(outputs, y)
                hits = int(np.sum(outputs.argmax(axis=1) == y)) if classification else 0
                correct += hits
                counted += len(batch)
                if record_steps:
                    history.step_loss.append(float(value))
                    history.step_accuracy.append(hits / len(batch) if classification else None)
                if bar is not None:
                    bar.update(1)
            history.train_loss.append(total_loss / counted)
            history.train_accuracy.append(correct / counted if classification else None)
            if val_data is not None:
                val_loss, val_accuracy = evaluate(model, loss, val_data, max(batch_size, 256))
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
            history.seconds.append(time.perf_counter() - started)
            if bar is not None:
                bar.set_postfix(_summary(history), refresh=False)
            if callback is not None:
                callback(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    model.train()
    return history


# --- the lecture's digit classifier ------------------------------------------------------

# The settings that train digits_cnn to >= 97 % test accuracy on load_digits("test") in a
# few seconds (benchmarks/train_bench.py measures them): plain SGD with momentum.
DIGITS_RECIPE = {
    "optimiser": "SGD",
    "lr": 0.03,
    "momentum": 0.9,
    "batch_size": 32,
    "epochs": 20,
    "seed": 0,
    "dtype": "float32",
}


def digits_cnn(rng=0, dtype=np.float32):
    """The small CNN of the training lecture, for 8 x 8 digit images (N, 1, 8, 8).

    conv 8 @ 3x3 pad 1 - ReLU - max pool 2 - conv 16 @ 3x3 pad 1 - ReLU -
    max pool 2 - flatten - dense 10: 1,898 parameters, PyTorch's default
    initialisation drawn from ``rng``. Train it with :data:`DIGITS_RECIPE`.

    >>> model = digits_cnn()
    >>> model.count_parameters(), model.forward(np.zeros((2, 1, 8, 8), np.float32)).shape
    (1898, (2, 10))
    """
    generator = as_generator(rng)
    return Sequential(
        Conv2d(1, 8, 3, padding=1, rng=generator, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(8, 16, 3, padding=1, rng=generator, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(16 * 2 * 2, 10, rng=generator, dtype=dtype),
    )


def _summary(history: History) -> dict[str, str]:
    summary = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.train_accuracy[-1] is not None:
        summary["acc"] = f"{history.train_accuracy[-1]:.3f}"
    if history.val_loss:
        summary["val_loss"] = f"{history.val_loss[-1]:.4f}"
        if history.val_accuracy[-1] is not None:
            summary["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return summary


__all__ = ["History", "fit", "evaluate", "predict", "accuracy", "digits_cnn", "DIGITS_RECIPE"]
