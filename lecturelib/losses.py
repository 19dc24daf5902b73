"""Losses: softmax cross-entropy and mean squared error, each with its gradient.

Every loss returns ``(loss, grad)``: the scalar loss and its gradient with
respect to the predictions, the first step of every backward pass in the
collection. :func:`log_softmax` and :func:`softmax` subtract the largest
logit first, so large scores neither overflow nor lose precision.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, class_ids


def log_softmax(logits, axis=-1) -> np.ndarray:
    """log(softmax(logits)), computed stably (the maximum is subtracted first).

    >>> np.round(np.exp(log_softmax(np.array([1000.0, 1000.0]))), 3)
    array([0.5, 0.5])
    """
    logits = as_array(logits, "logits")
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis=-1) -> np.ndarray:
    """softmax(logits) along ``axis``, stable for large logits.

    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    return np.exp(log_softmax(logits, axis))


def softmax_cross_entropy(logits, targets, reduction: str = "mean"):
    """Cross-entropy of softmax(logits) against integer class ids, and its gradient.

    logits: (..., K) raw scores, e.g. (N, K) for N examples or (T, N, V) for T
    steps of N sequences; targets: integer ids in [0, K) of the leading shape,
    e.g. (N,) or (T, N). Returns ``(loss, grad_logits)``. The loss is
    ``-log softmax(logits)[target]`` added over every prediction; with
    ``reduction="mean"`` (the default, as ``torch.nn.functional.cross_entropy``)
    it is divided by the number of predictions, with ``reduction="sum"`` it is
    the lecture's ``L = sum_t -log yhat_t[target_t]``. The gradient is
    ``softmax(logits) - one_hot(targets)``, divided by the same count for
    "mean". Stable for logits of any size, through :func:`log_softmax`.

    >>> loss, grad = softmax_cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))
    >>> round(loss, 4), grad
    (0.6931, array([[ 0.5, -0.5]]))
    >>> logits = np.array([[[2.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]])   # T=2, N=1, V=3
    >>> loss, grad = softmax_cross_entropy(logits, [[0], [1]], reduction="sum")
    >>> round(loss, 4)            # -log(e^2 / (e^2 + 2)) - log(1/3)
    1.3382
    >>> np.round(grad[1, 0], 4)
    array([ 0.3333, -0.6667,  0.3333])
    """
    logits = as_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError("logits must have at least one dimension (the classes)")
    classes = logits.shape[-1]
    targets = class_ids(targets, "targets", classes)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets must have shape {logits.shape[:-1]} (logits without the class axis), "
            f"got {targets.shape}"
        )
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    log_probs = log_softmax(logits)
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)
    loss = -float(np.sum(picked))
    grad = np.exp(log_probs)  # the softmax yhat ...
    target_probs = np.take_along_axis(grad, targets[..., None], axis=-1)
    np.put_along_axis(grad, targets[..., None], target_probs - 1, axis=-1)  # ... minus one-hot y
    if reduction == "mean":
        count = max(targets.size, 1)
        loss /= count
        grad /= count
    return loss, grad


# --- sampling -------------------------------------------------------------------------


def mse(prediction, target):
    """Mean squared error over all entries and its gradient, as ``F.mse_loss``.

    Returns ``(loss, grad_prediction)`` with loss = mean((prediction - target)^2)
    and grad = 2 (prediction - target) / prediction.size.

    >>> mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    (5.0, array([1., 3.]))
    """
    prediction = as_array(prediction, "prediction")
    target = as_array(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction has shape {prediction.shape} but target has shape {target.shape}"
        )
    difference = prediction - target
    return float(np.mean(difference * difference)), 2.0 * difference / difference.size


__all__ = ["log_softmax", "softmax", "softmax_cross_entropy", "mse"]
