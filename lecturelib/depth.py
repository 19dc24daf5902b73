"""Why depth: linear layers collapse, perceptrons carve regions, one hidden layer fits curves.

The lecture on deep networks opens with three facts, each of which this
module turns into a function a notebook can run and check:

- Without a non-linearity between them, any number of linear layers is one
  linear layer. In the lecture's row-vector notation a layer computes
  ``a_l = a_{l-1} W_l + b_l``, and the stack equals ``x W + b`` with
  ``W = W_1 W_2 ... W_L`` (:func:`collapse_linear`).
- A perceptron is a half-plane: it fires (outputs 1) where ``x . w + b > 0``.
  Three of them and a fourth unit that fires only when all three do (weights
  1, 1, 1 and bias -2.5) classify the points inside a triangle
  (:func:`perceptron`, :func:`perceptron_and`).
- One hidden layer with enough units fits any continuous function on an
  interval as closely as we like (the universal approximation theorem);
  :func:`lecturelib.training.fits.fit_one_hidden_layer` trains such a network
  with the package's own layers and optimiser, so a notebook can watch the
  error fall as the layer gets wider.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._checks import as_array

# --- linear layers collapse ----------------------------------------------------------------


def collapse_linear(weights: Sequence, biases: Sequence | None = None):
    """The single linear layer that equals a stack of linear layers.

    Row-vector notation, as in the lecture: layer l maps a row a_{l-1} of
    n_{l-1} values to ``a_l = a_{l-1} W_l + b_l``. weights: L matrices,
    W_l of shape (n_{l-1}, n_l); biases: None (no biases) or L vectors b_l
    of shape (n_l,). Returns ``(W, b)`` with W (n_0, n_L) and b (n_L,)::

        W = W_1 W_2 ... W_L
        b = b_1 W_2 ... W_L + b_2 W_3 ... W_L + ... + b_L

    so that ``x W + b`` gives what the stack gives, for every x.

    >>> W1 = np.array([[1.0, 2.0]]); W2 = np.array([[3.0], [4.0]])
    >>> collapse_linear([W1, W2], [np.array([1.0, 0.0]), np.array([0.5])])
    (array([[11.]]), array([3.5]))
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or not weights:
        raise TypeError("weights must be a non-empty list of 2-D matrices W_l (n_{l-1}, n_l)")
    matrices = [as_array(w, f"weights[{i}]", 2) for i, w in enumerate(weights)]
    for i in range(1, len(matrices)):
        if matrices[i].shape[0] != matrices[i - 1].shape[1]:
            raise ValueError(
                f"weights[{i}] has {matrices[i].shape[0]} rows but weights[{i - 1}] gives "
                f"{matrices[i - 1].shape[1]} outputs: W_l must be (n_(l-1), n_l)"
            )
    if biases is None:
        vectors = [np.zeros(m.shape[1], dtype=m.dtype) for m in matrices]
    else:
        if len(biases) != len(matrices):
            raise ValueError(f"biases has {len(biases)} entries but weights has {len(matrices)}")
        vectors = [as_array(b, f"biases[{i}]", 1) for i, b in enumerate(biases)]
        for i, (b, m) in enumerate(zip(vectors, matrices)):
            if b.shape != (m.shape[1],):
                raise ValueError(f"biases[{i}] must have shape ({m.shape[1]},), got {b.shape}")

    # Push the layers through one at a time: (x W + b) W_next + b_next
    #                                        = x (W W_next) + (b W_next + b_next).
    W, b = matrices[0], vectors[0]
    for W_next, b_next in zip(matrices[1:], vectors[1:]):
        W = W @ W_next
        b = b @ W_next + b_next
    return W, b


# --- perceptrons ------------------------------------------------------------------------


def perceptron(x, W, b):
    """Threshold units: 1 where ``x . w + b > 0``, else 0 (row-vector notation).

    x: (N, D) points. One unit: W (D,), b a number -> (N,) of 0/1.
    K units at once: W (D, K) with one column per unit, b (K,) -> (N, K),
    the same layout as the weights of :func:`collapse_linear`. A point
    exactly on a line ``x . w + b = 0`` gives 0.

    >>> perceptron(np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([1.0, 0.0]), -1.0)
    array([1, 0])
    """
    x = as_array(x, "x", 2)
    W = as_array(W, "W", (1, 2))
    b = as_array(b, "b", (0, 1))
    if W.shape[0] != x.shape[1]:
        raise ValueError(
            f"W has {W.shape[0]} rows (weights per unit) but x has {x.shape[1]} columns"
        )
    expected_b = () if W.ndim == 1 else (W.shape[1],)
    if b.shape != expected_b:
        raise ValueError(f"b must have shape {expected_b} for W of shape {W.shape}, got {b.shape}")
    return (x @ W + b > 0).astype(np.int64)


def perceptron_and(x, W, b):
    """K perceptrons and a unit that fires only when all K fire.

    x: (N, D) points (D = 2 for the lecture's plane); W: (D, K), one column
    w_k per unit; b: (K,). The last unit has weight 1 on each of the K
    outputs and bias 0.5 - K (for the lecture's K = 3: 1, 1, 1 and -2.5), so
    it fires when the K outputs sum to K, that is, inside every half-plane
    at once: for three lines, inside a triangle. Returns (N,) of 0/1.

    >>> W = np.array([[0.0, 2.0, -2.0], [1.0, -1.0, -1.0]]); b = np.array([-1.0, -1.0, 7.0])
    >>> perceptron_and(np.array([[2.0, 2.0], [0.5, 0.5], [2.0, 3.5]]), W, b)
    array([1, 0, 0])
    """
    hidden = perceptron(x, as_array(W, "W", 2), as_array(b, "b", 1))
    units = hidden.shape[1]
    return perceptron(hidden, np.ones(units), 0.5 - units)


__all__ = ["collapse_linear", "perceptron", "perceptron_and"]
