"""Small trainers for the three recurrent cells on the recall task.

Trained with plain SGD and gradient clipping (the lecture's tools), a
vanilla RNN manages short sequences of :func:`lecturelib.tasks.recall_task`
and falls to chance as T grows, while the LSTM and the GRU keep succeeding:
their gates let them write once, then keep (forget gate f near 1, update
gate z near 1). Both gated cells start with a "memory bias" on that gate,
the usual initialisation.

The models are built from :mod:`lecturelib.training.layers` (RNN / LSTM /
GRU, LastStep, Linear) and trained with its optimisers; everything is seeded.
"""

from __future__ import annotations

import time

import numpy as np

from .._checks import as_generator, as_int
from ..gradients import clip_grad_norm
from ..losses import softmax_cross_entropy
from ..tasks import CELLS, _cell, recall_task
from .layers import GRU, LSTM, RNN, LastStep, Linear, Sequential
from .optim import SGD, Adam

_LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


# --- a many-to-one model ------------------------------------------------------------------


def recall_model(cell, n_symbols: int = 4, hidden_size: int = 32, memory_bias=3.0, rng=None):
    """``Sequential(cell layer, LastStep(), Linear(hidden, n_symbols))`` for the recall task.

    PyTorch's initialisation, except the gate that keeps the memory: the
    LSTM's forget-gate bias and the GRU's update-gate bias start at
    ``memory_bias`` (sigmoid(3) = 0.95, so the state is mostly kept from
    the first step on; 0 gives PyTorch's start).

    >>> model = recall_model("lstm", hidden_size=4, rng=0)
    >>> model.forward(np.zeros((6, 2, 5))).shape
    (2, 4)
    >>> model[0].params["bias_ih_l0"][4:8] + model[0].params["bias_hh_l0"][4:8]
    array([3., 3., 3., 3.])
    """
    cell = _cell(cell)
    n_symbols = as_int(n_symbols, "n_symbols", 2)
    H = as_int(hidden_size, "hidden_size", 1)
    rng = as_generator(rng)
    recurrent = _LAYERS[cell](n_symbols + 1, H, rng=rng)
    if cell != "rnn":
        # forget gate f: block 1 of the LSTM's (i, f, g, o); update gate z: block 1 of (r, z, n)
        recurrent.params["bias_ih_l0"][H : 2 * H] = memory_bias
        recurrent.params["bias_hh_l0"][H : 2 * H] = 0.0
    return Sequential(recurrent, LastStep(), Linear(H, n_symbols, rng=rng))


def accuracy_of(model, x, targets) -> float:
    """Fraction of sequences whose most likely class is the target."""
    return float(np.mean(np.argmax(model.forward(x), axis=1) == targets))


def state_gradient_norms(model, x, targets) -> dict:
    """||dL/dh_t|| for every step t (and ||dL/dc_t|| for an LSTM): how far back the loss reaches.

    ``model`` from ``recall_model``; the loss is the mean cross-entropy at
    the last step. dL/dh_t is the gradient with respect to the *initial*
    state of the same cell restarted at step t + 1 from h_t (and c_t), which
    the backward pass already returns (``grad_h0``). Returns {"h": (T,)}
    plus {"c": (T,)} for an LSTM, norms over the whole batch.

    >>> _, x, targets = recall_task(4, 6, rng=0)
    >>> norms = state_gradient_norms(recall_model("rnn", rng=0), x, targets)
    >>> norms["h"].shape
    (6,)
    """
    recurrent, head = model[0], model[2]
    h = recurrent.forward(x)
    cell_states = recurrent.cache.get("c")
    T = x.shape[0]
    norms = {"h": np.empty(T)}
    if cell_states is not None:
        norms["c"] = np.empty(T)
    _, grad_logits = softmax_cross_entropy(head.forward(h[-1]), targets)
    norms["h"][-1] = np.linalg.norm(head.backward(grad_logits))  # the loss reads h[T-1] itself
    if cell_states is not None:
        norms["c"][-1] = 0.0
    for t in range(T - 1):
        states = (h[t], cell_states[t]) if cell_states is not None else (h[t],)
        tail = recurrent.forward(x[t + 1 :], *states)
        _, grad_logits = softmax_cross_entropy(head.forward(tail[-1]), targets)
        grad_tail = np.zeros_like(tail)
        grad_tail[-1] = head.backward(grad_logits)
        recurrent.backward(grad_tail)
        norms["h"][t] = np.linalg.norm(recurrent.grad_h0)
        if cell_states is not None:
            norms["c"][t] = np.linalg.norm(recurrent.grad_c0)
    model.zero_grad()
    return norms


# --- training ------------------------------------------------------------------------------


def train_recall(
    cell,
    length: int,
    steps: int = 600,
    hidden_size: int = 32,
    batch_size: int = 32,
    optimizer: str = "sgd",
    learning_rate: float | None = None,
    clip: float | None = 1.0,
    memory_bias: float = 3.0,
    n_symbols: int = 4,
    test_size: int = 500,
    rng=0,
) -> dict:
    """Train one cell on the recall task of a given length, then test it.

    Fresh random batches every step; mean cross-entropy at the last step;
    PyTorch's initialisation with the memory bias of ``recall_model``;
    gradients clipped to a global norm of ``clip`` (None: no clipping);
    ``optimizer`` "sgd" (default learning rate 1.0) or "adam" (1e-2).
    Accuracy on ``test_size`` new sequences; chance is 1 / n_symbols.
    Returns {"accuracy", "losses" (steps,), "grad_norms" (steps,) before
    clipping, "seconds", "model"}.
    """
    _cell(cell)
    length = as_int(length, "length", 1)
    steps = as_int(steps, "steps", 0)
    batch_size = as_int(batch_size, "batch_size", 1)
    test_size = as_int(test_size, "test_size", 1)
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if clip is not None and not clip >= 0:
        raise ValueError(f"clip must be None or a number >= 0, got {clip}")
    if learning_rate is None:
        learning_rate = 1.0 if optimizer == "sgd" else 1e-2
    rng = as_generator(rng)
    start = time.perf_counter()
    model = recall_model(cell, n_symbols, hidden_size, memory_bias, rng)
    optimiser = (SGD if optimizer == "sgd" else Adam)(model, lr=learning_rate)
    grads = [p.grad for p in model.parameters()]
    losses, grad_norms = np.empty(steps), np.empty(steps)
    for step in range(steps):
        _, x, targets = recall_task(batch_size, length, n_symbols, rng)
        model.zero_grad()
        losses[step], grad_logits = softmax_cross_entropy(model.forward(x), targets)
        model.backward(grad_logits)
        grad_norms[step] = clip_grad_norm(grads, np.inf if clip is None else clip)
        optimiser.step()
    _, x, targets = recall_task(test_size, length, n_symbols, rng)
    return {
        "accuracy": accuracy_of(model, x, targets),
        "losses": losses,
        "grad_norms": grad_norms,
        "seconds": time.perf_counter() - start,
        "model": model,
    }


def accuracy_by_length(cells=CELLS, lengths=(5, 10, 15, 20), rng=0, **options) -> dict:
    """Test accuracy of each cell on the recall task for each length.

    Returns {cell: array of accuracies, one per length}; every run starts
    from the same seed. ``options`` go to ``train_recall``. With the
    defaults the vanilla RNN is near chance (0.25) from T = 15 on, while the
    LSTM and the GRU reach 1.0 up to T = 20; at T = 25-30 the gated cells
    need more than 600 steps for some seeds.
    """
    lengths = [as_int(length, "lengths", 1) for length in lengths]
    return {
        _cell(cell): np.array(
            [train_recall(cell, length, rng=rng, **options)["accuracy"] for length in lengths]
        )
        for cell in cells
    }


__all__ = [
    "recall_model",
    "accuracy_of",
    "state_gradient_norms",
    "train_recall",
    "accuracy_by_length",
]
