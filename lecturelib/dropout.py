"""Dropout, forward and backward side by side.

Two conventions for dropout meet in the lectures and in PyTorch, and they are
easy to mix up:

- PyTorch (and this module's ``p`` argument): ``p`` is the probability of
  DROPPING a unit. Inverted dropout scales the kept units by ``1 / (1 - p)``
  during training and does nothing at test time.
- The lectures: ``p`` is the probability of RETAINING a unit. Classic dropout
  does not scale during training and multiplies every unit by the retain
  probability at test time.

To keep the two apart the functions here always take the drop probability
``p`` (as PyTorch) and the helpers :func:`retain_probability` and
:func:`drop_probability` translate between the two readings. Both variants
give the same expected output, which :func:`dropout_expectations` shows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_flag, as_generator, as_number, check_same_shape, result_dtype

DROPOUT_MODES = ("inverted", "classic")


def _dropout_mode(mode) -> str:
    if mode not in DROPOUT_MODES:
        raise ValueError(f"mode must be 'inverted' or 'classic', got {mode!r}")
    return mode


# --- dropout ------------------------------------------------------------------


def retain_probability(p: float) -> float:
    """The probability of keeping a unit, given the drop probability ``p``.

    The lectures write ``p`` for the retain probability; PyTorch and this
    package write ``p`` for the drop probability. One is one minus the other.

    >>> retain_probability(0.2)
    0.8
    """
    return 1.0 - as_number(p, "p", 0, 1)


def drop_probability(retain: float) -> float:
    """The drop probability ``p`` to pass to :func:`dropout`, given a retain probability.

    >>> drop_probability(0.8)  # the lectures' "p = 0.8" for input units
    0.2
    """
    return round(1.0 - as_number(retain, "retain", 0, 1), 15)


def dropout(x, p=0.5, training=True, rng=None, mode="inverted"):
    """Dropout: zero each unit with probability ``p`` and rescale.

    x: any shape. p: the probability of DROPPING a unit (PyTorch's meaning;
    the lectures' retain probability is ``1 - p``, see
    :func:`retain_probability`). rng: a numpy Generator or a seed.

    mode="inverted" (the default, as PyTorch): in training
    ``y = x * mask / (1 - p)``, in eval ``y = x``.
    mode="classic" (as in the original paper and the lectures): in training
    ``y = x * mask``, in eval ``y = x * (1 - p)``.

    Returns ``(y, mask)``, both shaped like ``x``: ``mask`` holds 1 for kept
    and 0 for dropped units (all ones in eval). With ``p = 1`` every unit is
    dropped and ``y`` is zero.

    >>> x = np.ones((2, 4))
    >>> y, mask = dropout(x, p=0.5, rng=0)
    >>> mask
    array([[1., 0., 0., 0.],
           [1., 1., 1., 1.]])
    >>> y
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> dropout(x, p=0.5, training=False)[0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    x = as_array(x, "x")
    p = as_number(p, "p", 0, 1)
    training = as_flag(training, "training")
    mode = _dropout_mode(mode)
    if not training:
        mask = np.ones_like(x)
        y = x.copy() if mode == "inverted" else x * x.dtype.type(1.0 - p)
        return y, mask
    uniform = as_generator(rng).random(x.shape, dtype=x.dtype)
    mask = (uniform >= p).astype(x.dtype)  # kept with probability 1 - p
    y = x * mask
    if mode == "inverted":
        y *= _inverted_scale(p, x.dtype)
    return y, mask


def dropout_backward(grad_y, mask, p=0.5, training=True, mode="inverted"):
    """Gradient of :func:`dropout` with respect to ``x``.

    grad_y, mask: the same shape as ``x``; ``mask`` is the one :func:`dropout`
    returned. Dropped units get no gradient; kept units pass the gradient on,
    scaled as in the forward pass (``1 / (1 - p)`` for inverted dropout in
    training, ``1 - p`` for classic dropout in eval).

    >>> grad_x = dropout_backward(np.ones((1, 4)), np.array([[1.0, 0.0, 1.0, 1.0]]), p=0.25)
    >>> np.round(grad_x, 4)
    array([[1.3333, 0.    , 1.3333, 1.3333]])
    """
    grad_y = as_array(grad_y, "grad_y")
    mask = as_array(mask, "mask")
    check_same_shape(mask, "mask", grad_y, "grad_y")
    p = as_number(p, "p", 0, 1)
    training = as_flag(training, "training")
    mode = _dropout_mode(mode)
    dtype = result_dtype(grad_y, mask)
    if not training:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return grad_y.astype(dtype) * dtype.type(scale)
    grad_x = grad_y.astype(dtype) * mask
    if mode == "inverted":
        grad_x *= _inverted_scale(p, dtype)
    return grad_x


def _inverted_scale(p: float, dtype) -> np.floating:
    # p = 1 drops everything; the mask is zero, so any finite scale will do.
    return np.dtype(dtype).type(0.0 if p == 1.0 else 1.0 / (1.0 - p))


class DropoutExpectations(NamedTuple):
    """Average outputs of the two dropout variants (see :func:`dropout_expectations`)."""

    inverted_train: np.ndarray  # mean over many training passes
    inverted_test: np.ndarray  # the single eval pass
    classic_train: np.ndarray
    classic_test: np.ndarray


def dropout_expectations(x, p=0.5, samples=10_000, rng=None) -> DropoutExpectations:
    """Monte-Carlo check that each dropout variant's training and test outputs agree.

    Runs ``samples`` training passes of inverted and of classic dropout on
    ``x`` and averages them, next to the one deterministic test pass of each.
    Inverted dropout's training average tends to ``x`` (its test output);
    classic dropout's tends to ``(1 - p) * x`` (its test output). The two
    variants differ only by the constant factor ``1 - p``, which the next
    layer's weights absorb.

    >>> e = dropout_expectations(np.array([1.0, 2.0]), p=0.5, samples=20000, rng=0)
    >>> np.round(e.inverted_train, 1), e.inverted_test
    (array([1., 2.]), array([1., 2.]))
    >>> np.round(e.classic_train, 1), e.classic_test
    (array([0.5, 1. ]), array([0.5, 1. ]))
    """
    x = as_array(x, "x")
    p = as_number(p, "p", 0, 1)
    samples = int(samples)
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    generator = as_generator(rng)
    stacked = np.broadcast_to(x, (samples, *x.shape))
    _, masks = dropout(stacked, p, training=True, rng=generator)
    mean_mask = masks.mean(axis=0)
    return DropoutExpectations(
        inverted_train=x * mean_mask * _inverted_scale(p, x.dtype),
        inverted_test=dropout(x, p, training=False)[0],
        classic_train=x * mean_mask,
        classic_test=dropout(x, p, training=False, mode="classic")[0],
    )


__all__ = [
    "dropout",
    "dropout_backward",
    "retain_probability",
    "drop_probability",
    "dropout_expectations",
    "DropoutExpectations",
]
