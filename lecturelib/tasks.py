"""A long-range memory task: recall the first token of a sequence.

The task ("recall the first token"): a sequence of T tokens from a small
alphabet; a start flag marks step 0; at the end the network must name the
token it saw first. Every later token is a distractor drawn from the same
alphabet, so a cell that writes everything it reads into its state
overwrites the answer (the lecture's whiteboard). Nothing in between helps:
the information has to travel through T - 1 state updates, and the gradient
that teaches the network to keep it has to travel back just as far.

The models that learn it (a vanilla RNN, an LSTM, a GRU) and their trainer
are in :mod:`lecturelib.training.recall`.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_generator, as_int
from .text import one_hot

CELLS = ("rnn", "lstm", "gru")


def _cell(cell) -> str:
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"cell must be one of {list(CELLS)}, got {cell!r}")
    return cell


# --- the task ----------------------------------------------------------------------------


def recall_task(n_sequences: int, length: int, n_symbols: int = 4, rng=None):
    """Sequences whose first token must be named after ``length - 1`` distractors.

    Returns ``(ids, x, targets)``: ids (length, n_sequences) token ids in
    [0, n_symbols), time first like every sequence in the library;
    x (length, n_sequences, n_symbols + 1) the network's input, one-hot
    tokens plus a last feature that is 1 at step 0 only (the start flag);
    targets (n_sequences,) = ids[0]. Chance accuracy is 1 / n_symbols.

    >>> ids, x, targets = recall_task(3, 5, rng=0)
    >>> ids.shape, x.shape, targets.shape
    ((5, 3), (5, 3, 5), (3,))
    >>> bool(np.all(ids[0] == targets)), x[:, 0, -1]
    (True, array([1., 0., 0., 0., 0.]))
    """
    n_sequences = as_int(n_sequences, "n_sequences", 1)
    length = as_int(length, "length", 1)
    n_symbols = as_int(n_symbols, "n_symbols", 2)
    rng = as_generator(rng)
    ids = rng.integers(0, n_symbols, size=(length, n_sequences))
    x = np.zeros((length, n_sequences, n_symbols + 1))
    x[..., :n_symbols] = one_hot(ids, n_symbols)
    x[0, :, n_symbols] = 1.0
    return ids, x, ids[0].copy()


__all__ = ["CELLS", "recall_task"]
