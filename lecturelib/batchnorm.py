"""Batch normalisation, forward and backward side by side.

Batch normalisation follows ``torch.nn.functional.batch_norm`` exactly: the
statistics are taken per channel (axis 1) over every other axis, the running
estimates are updated in place with the unbiased batch variance, and eval
mode uses the running estimates.

The module opens with the readable references, :func:`batch_norm_naive` and
:func:`batch_norm_backward_naive`, written as the lecture writes them: per
channel mean and variance, x_hat, scale and shift, and a backward pass that
walks the computational graph back one node at a time. Then the functions the
package uses, :func:`batch_norm` and :func:`batch_norm_backward`: the same
numbers (the tests compare them) with fewer passes over the data and fewer
temporary arrays.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._checks import (
    as_array,
    as_flag,
    as_generator,
    as_int,
    as_number,
    check_same_shape,
    result_dtype,
)

# --- the readable references -----------------------------------------------------


def batch_norm_naive(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalisation as the lecture writes it (the reference for :func:`batch_norm`).

    Arguments and result as :func:`batch_norm`. x: (N, C), (N, C, L) or
    (N, C, H, W); running_mean, running_var: (C,) float arrays (None is
    allowed in training); weight (gamma) and bias (beta): (C,) or None for
    1 and 0. Returns y shaped like x. For every channel c, over the m values
    ``x[:, c]`` (over N, H and W for images):

        mean_c = sum(x[:, c]) / m,  var_c = sum((x[:, c] - mean_c) ** 2) / m
        x_hat = (x[:, c] - mean_c) / sqrt(var_c + eps)
        y[:, c] = gamma_c * x_hat + beta_c

    In training the batch's statistics are used and the running ones move
    towards them in place: ``running = (1 - momentum) * running + momentum *
    statistic``, with the unbiased variance ``var_c * m / (m - 1)``. In eval
    the running statistics take the place of mean_c and var_c.

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> running_mean, running_var = np.zeros(2), np.ones(2)
    >>> np.round(batch_norm_naive(x, running_mean, running_var, training=True), 4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> running_mean, running_var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    x, weight, bias, training, eps, m = _arguments(x, weight, bias, training, eps)
    momentum = _momentum(momentum, training)
    channels = x.shape[1]
    running_mean = _running_buffer(running_mean, "running_mean", channels)
    running_var = _running_buffer(running_var, "running_var", channels)
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    if training:
        mean = x.mean(axis=axes, keepdims=True)  # (1, C, 1, 1) for images
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased: divided by m
        if running_mean is not None:
            running_mean[...] = running_average(running_mean, mean.reshape(channels), momentum)
        if running_var is not None:
            unbiased = var.reshape(channels) * (m / (m - 1))
            running_var[...] = running_average(running_var, unbiased, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean = _along_channels(running_mean.astype(x.dtype), x.ndim)
        var = _along_channels(running_var.astype(x.dtype), x.ndim)
    x_hat = (x - mean) / np.sqrt(var + eps)
    gamma = _along_channels(np.ones(channels, x.dtype) if weight is None else weight, x.ndim)
    beta = _along_channels(np.zeros(channels, x.dtype) if bias is None else bias, x.ndim)
    return gamma * x_hat + beta


def batch_norm_backward_naive(
    grad_y,
    x,
    weight=None,
    bias=None,
    eps=1e-5,
    training=True,
    running_mean=None,
    running_var=None,
):
    """Gradients of batch normalisation, back through the graph one node at a time.

    Arguments and result as :func:`batch_norm_backward`: grad_y and x of the
    same shape ((N, C), (N, C, L) or (N, C, H, W)), weight and bias (C,) or
    None; returns ``(grad_x, grad_weight, grad_bias)``, the last two None
    when weight or bias is None. The forward pass is a chain of small nodes,
    each (C,)-sized statistic shared by the m values of its channel::

        mean = sum(x) / m          centred = x - mean
        var = sum(centred^2) / m   std = sqrt(var + eps)   inv_std = 1 / std
        x_hat = centred * inv_std  y = gamma * x_hat + beta

    and the backward pass applies the chain rule to each node in reverse.
    A node used in two places (centred, mean) adds up the gradients from
    both; a per-channel node sums the gradients of its m uses. In eval,
    mean and var are the running statistics, constants, and only the last
    two nodes remain.

    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> grad_x, grad_w, grad_b = batch_norm_backward_naive(np.ones_like(x), x, np.ones(1), None)
    >>> np.round(grad_x.ravel(), 12) + 0.0, grad_b  # the mean removes a constant gradient
    (array([0., 0., 0., 0.]), None)
    """
    x, weight, bias, training, eps, m = _arguments(x, weight, bias, training, eps, grad_y)
    grad_y = as_array(grad_y, "grad_y").astype(x.dtype, copy=False)
    channels = x.shape[1]
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    gamma = _along_channels(np.ones(channels, x.dtype) if weight is None else weight, x.ndim)

    # the forward pass again, keeping every node
    if training:
        mean = x.mean(axis=axes, keepdims=True)
    else:
        running_mean = _running_buffer(running_mean, "running_mean", channels)
        running_var = _running_buffer(running_var, "running_var", channels)
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean = _along_channels(running_mean.astype(x.dtype), x.ndim)
    centred = x - mean
    if training:
        var = (centred**2).mean(axis=axes, keepdims=True)
    else:
        var = _along_channels(running_var.astype(x.dtype), x.ndim)
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = centred * inv_std

    # y = gamma * x_hat + beta
    grad_bias = grad_y.sum(axis=axes) if bias is not None else None
    grad_weight = (grad_y * x_hat).sum(axis=axes) if weight is not None else None
    grad_x_hat = grad_y * gamma
    # x_hat = centred * inv_std
    grad_centred = grad_x_hat * inv_std
    if not training:  # centred = x - running_mean, a constant shift
        return grad_centred, grad_weight, grad_bias
    grad_inv_std = (grad_x_hat * centred).sum(axis=axes, keepdims=True)
    # inv_std = 1 / std, std = sqrt(var + eps)
    grad_std = -grad_inv_std / std**2
    grad_var = grad_std / (2.0 * std)
    # var = sum(centred^2) / m: centred's second use
    grad_centred += 2.0 * centred * grad_var / m
    # centred = x - mean, mean = sum(x) / m
    grad_mean = -grad_centred.sum(axis=axes, keepdims=True)
    grad_x = grad_centred + grad_mean / m
    return grad_x, grad_weight, grad_bias


def _along_channels(vector, ndim):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast along axis 1 of an ndim-array."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


# --- the functions the package uses ----------------------------------------------


def _per_channel(v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A (C,) vector laid out to broadcast against an array of ``shape`` along axis 1.

    For (N, C, H, W) the vector is written out as a full (C, H, W) array (one
    sample's worth) rather than a (C, 1, 1) view: numpy then broadcasts only
    over N, and its innermost loop runs over contiguous memory instead of
    repeating one number, which is about 1.5x faster for float32.
    """
    if len(shape) == 2:
        return v
    expanded = np.empty(shape[1:], dtype=v.dtype)
    expanded[...] = v.reshape((-1,) + (1,) * (len(shape) - 2))
    return expanded


def _channel_sums(a3: np.ndarray) -> np.ndarray:
    """Per-channel sums of an (N, C, L) array: pairwise over L, then over N."""
    if a3.shape[2] == 1:
        return a3[:, :, 0].sum(axis=0)
    return a3.sum(axis=2).sum(axis=0)


def _channel_dot(a3: np.ndarray, b3: np.ndarray) -> np.ndarray:
    """Per-channel sums of a3 * b3 for (N, C, L) arrays, without a full-size temporary."""
    if a3.shape[2] == 1:
        return np.einsum("nc,nc->c", a3[:, :, 0], b3[:, :, 0])
    return np.einsum("ncl,ncl->c", a3, b3)


def batch_norm(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalisation, as ``torch.nn.functional.batch_norm``.

    x: (N, C), (N, C, L) or (N, C, H, W); one mean and one variance per
    channel, taken over every axis but axis 1 (over N, H and W for images).
    running_mean, running_var: (C,) float arrays or None (allowed in training
    only). weight (gamma, sets the output's standard deviation) and bias
    (beta, sets its mean): (C,) or None for 1 and 0.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, shaped like ``x``.

    In training the batch's own mean and (biased) variance are used, and the
    running statistics are updated IN PLACE, as PyTorch does:
    ``running = (1 - momentum) * running + momentum * batch_statistic``, with
    the unbiased variance ``var * m / (m - 1)`` (m values per channel) for
    ``running_var``. In eval mode the running statistics are used instead.

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> running_mean, running_var = np.zeros(2), np.ones(2)
    >>> np.round(batch_norm(x, running_mean, running_var, training=True), 4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> running_mean, running_var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    x = as_array(x, "x")
    n, channels, length = _channel_layout(x)
    training = as_flag(training, "training")
    momentum = _momentum(momentum, training)
    eps = as_number(eps, "eps", above=0)
    running_mean = _running_buffer(running_mean, "running_mean", channels)
    running_var = _running_buffer(running_var, "running_var", channels)
    dtype = result_dtype(x, *(v for v in (weight, bias) if v is not None))
    weight = _channel_vector(weight, "weight", channels, dtype)
    bias = _channel_vector(bias, "bias", channels, dtype)
    x = x.astype(dtype, copy=False)
    count = n * length  # values per channel

    if training:
        if count < 2:
            raise ValueError(
                f"batch_norm in training needs more than one value per channel, got x of "
                f"shape {x.shape}"
            )
        x3 = x.reshape(n, channels, length)
        mean = _channel_sums(x3) / count
        y = x - _per_channel(mean, x.shape)  # the centred input, reused as the output
        y3 = y.reshape(n, channels, length)
        var = _channel_dot(y3, y3) / count  # biased, for normalising
        if running_mean is not None:
            running_mean[...] = running_average(running_mean, mean, momentum)
        if running_var is not None:
            unbiased = var * (count / (count - 1))
            running_var[...] = running_average(running_var, unbiased, momentum)
        scale = 1.0 / np.sqrt(var + eps)
        if weight is not None:
            scale *= weight
        y *= _per_channel(scale, x.shape)
        if bias is not None:
            y += _per_channel(bias, x.shape)
        return y

    if running_mean is None or running_var is None:
        raise ValueError("running_mean and running_var are required when training=False")
    # Eval: a fixed affine map per channel, y = x * scale + shift.
    scale = (1.0 / np.sqrt(running_var + eps)).astype(dtype)
    if weight is not None:
        scale *= weight
    shift = -running_mean.astype(dtype) * scale
    if bias is not None:
        shift += bias
    y = x * _per_channel(scale, x.shape)
    y += _per_channel(shift, x.shape)
    return y


def batch_norm_backward(
    grad_y,
    x,
    weight=None,
    bias=None,
    eps=1e-5,
    training=True,
    running_mean=None,
    running_var=None,
):
    """Gradients of :func:`batch_norm`: returns ``(grad_x, grad_weight, grad_bias)``.

    grad_y, x: the same shape, (N, C), (N, C, L) or (N, C, H, W); weight,
    bias: (C,) or None (their gradients are then None). The statistics are
    recomputed from ``x`` (training) or read from ``running_mean`` and
    ``running_var`` (eval, where both are required).

    With ``x_hat = (x - mean) / sqrt(var + eps)`` per channel, m values per
    channel and ``g = grad_y * weight``:

    - grad_bias = sum(grad_y), grad_weight = sum(grad_y * x_hat);
    - training: grad_x = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps),
      because the batch mean and variance depend on every x;
    - eval: grad_x = g / sqrt(running_var + eps), a plain per-channel scaling.

    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> grad_x, grad_w, grad_b = batch_norm_backward(np.ones_like(x), x, np.ones(1), np.zeros(1))
    >>> grad_x.ravel(), grad_b  # a constant upstream gradient is removed by the mean
    (array([0., 0., 0., 0.]), array([4.]))
    """
    grad_y = as_array(grad_y, "grad_y")
    x = as_array(x, "x")
    check_same_shape(grad_y, "grad_y", x, "x")
    n, channels, length = _channel_layout(x)
    eps = as_number(eps, "eps", above=0)
    training = as_flag(training, "training")
    dtype = result_dtype(grad_y, x, *(v for v in (weight, bias) if v is not None))
    weight = _channel_vector(weight, "weight", channels, dtype)
    bias = _channel_vector(bias, "bias", channels, dtype)
    grad_y = grad_y.astype(dtype, copy=False)
    x = x.astype(dtype, copy=False)
    count = n * length
    grad_y3 = grad_y.reshape(n, channels, length)
    x3 = x.reshape(n, channels, length)

    if training:
        if count < 2:
            raise ValueError(
                f"batch_norm in training needs more than one value per channel, got x of "
                f"shape {x.shape}"
            )
        mean = _channel_sums(x3) / count
    else:
        running_mean = _running_buffer(running_mean, "running_mean", channels)
        running_var = _running_buffer(running_var, "running_var", channels)
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean = running_mean.astype(dtype)

    x_centred = x - _per_channel(mean, x.shape)
    x_centred3 = x_centred.reshape(n, channels, length)
    if training:
        var = _channel_dot(x_centred3, x_centred3) / count
    else:
        var = running_var.astype(dtype)
    inv_std = 1.0 / np.sqrt(var + eps)

    sum_grad = _channel_sums(grad_y3)  # = grad_bias
    sum_grad_x_hat = _channel_dot(grad_y3, x_centred3) * inv_std  # = grad_weight
    grad_bias = sum_grad if bias is not None else None
    grad_weight = sum_grad_x_hat if weight is not None else None
    gain = inv_std if weight is None else inv_std * weight

    if not training:
        return grad_y * _per_channel(gain, x.shape), grad_weight, grad_bias

    # grad_x = gain * (grad_y - mean(grad_y) - x_hat * mean(grad_y * x_hat)) with
    # x_hat = x_centred * inv_std, built in place in x_centred's memory, inner
    # term first: no further full-size array is allocated.
    grad_x = x_centred
    grad_x *= _per_channel(-inv_std * sum_grad_x_hat / count, x.shape)  # -x_hat * mean(g x_hat)
    grad_x += grad_y
    grad_x -= _per_channel(sum_grad / count, x.shape)
    grad_x *= _per_channel(gain, x.shape)
    return grad_x, grad_weight, grad_bias


def running_average(running, batch_statistic, momentum):
    """The running estimate after one more batch, as batch norm keeps it in training.

    ``(1 - momentum) * running + momentum * batch_statistic``: an exponential
    moving average that forgets a fraction ``momentum`` of the old estimate
    per batch. running, batch_statistic: numbers or (C,) arrays; returns a
    new value (:func:`batch_norm` writes it into its running buffers).

    >>> running_average(0.0, 4.0, momentum=0.1), running_average(1.0, 3.0, momentum=0.5)
    (0.4, 2.0)
    """
    return (1.0 - momentum) * running + momentum * batch_statistic


# --- argument checks -------------------------------------------------------------


def _arguments(x, weight, bias, training, eps, grad_y=None):
    """The references' checks: (x, weight, bias, training, eps, m) with x, weight and
    bias in one float dtype (that of grad_y too) and m the values per channel."""
    x = as_array(x, "x")
    if grad_y is not None:
        grad_y = as_array(grad_y, "grad_y")
        check_same_shape(grad_y, "grad_y", x, "x")
    n, channels, length = _channel_layout(x)
    training = as_flag(training, "training")
    eps = as_number(eps, "eps", above=0)
    dtype = result_dtype(x, *(v for v in (grad_y, weight, bias) if v is not None))
    weight = _channel_vector(weight, "weight", channels, dtype)
    bias = _channel_vector(bias, "bias", channels, dtype)
    m = n * length
    if training and m < 2:
        raise ValueError(
            f"batch_norm in training needs more than one value per channel, got x of "
            f"shape {x.shape}"
        )
    return x.astype(dtype, copy=False), weight, bias, training, eps, m


def _channel_layout(x: np.ndarray, name: str = "x") -> tuple[int, int, int]:
    """(N, C, L) of an (N, C) / (N, C, L) / (N, C, H, W) array; L = H * W."""
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{name} must have shape (N, C), (N, C, L) or (N, C, H, W), got {x.shape}")
    n, c = x.shape[:2]
    return n, c, math.prod(x.shape[2:])


def _channel_vector(v, name: str, channels: int, dtype=None) -> np.ndarray | None:
    if v is None:
        return None
    v = as_array(v, name)
    if v.shape != (channels,):
        raise ValueError(f"{name} must have shape (C,) = ({channels},) to match x, got {v.shape}")
    return v if dtype is None else v.astype(dtype, copy=False)


def _running_buffer(v, name: str, channels: int) -> np.ndarray | None:
    """A running statistic: checked, and (when given) kept as the same array."""
    if v is None:
        return None
    if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating-point numpy array (it is updated in place), "
            f"got {type(v).__name__}"
        )
    if v.shape != (channels,):
        raise ValueError(
            f"{name} must have shape (C,) = ({channels},) to match x's channels, got {v.shape}"
        )
    return v


def _momentum(momentum, training=True) -> float:
    """Check momentum: a number, and in [0, 1] when it is used (in training).

    In eval mode the running statistics are only read, so any momentum is
    accepted, as PyTorch accepts it.
    """
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"momentum must be a number in [0, 1], got {momentum!r}")
    momentum = float(momentum)
    if training and not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1] in training, got {momentum}")
    return momentum


# --- the lecture's experiments: raw features, batch statistics ----------------------------
# Why normalise at all (gradient descent on two features of very different scales), and
# what a batch's statistics are: noisy estimates of the population's, which the running
# averages of batch norm smooth. The notebook draws them with lecturelib.drawing.batchnorm.

#: Names of the two columns of :func:`car_table`'s features.
CAR_FEATURES = ("age (years)", "distance (1000 km)")


class CarTable(NamedTuple):
    """Used cars: features (N, 2) = (age in years, distance in 1000 km), price (N,) in 1000 EUR."""

    features: np.ndarray
    price: np.ndarray


def car_table(count=40, rng=0) -> CarTable:
    """A synthetic table of ``count`` used cars, seeded by ``rng``.

    Ages are spread over 0 to 30 years; each car is driven between 4,000
    and 16,000 km a year, so the distance (in thousands of km) runs into
    the hundreds and grows with the age. The price (in thousands of euros)
    falls with both: ``28 - 0.45 * age - 0.025 * distance`` plus noise.

    >>> cars = car_table(40, rng=0)
    >>> cars.features.shape, cars.price.shape
    ((40, 2), (40,))
    >>> cars.features.std(axis=0).round(1)  # the distance spreads far wider than the age
    array([  8.9, 130.2])
    """
    count = as_int(count, "count", 2)
    generator = as_generator(rng)
    age = generator.uniform(0.5, 30.0, count)
    per_year = generator.uniform(4.0, 16.0, count)  # thousands of km a year
    distance = np.maximum(age * per_year + generator.normal(0.0, 15.0, count), 1.0)
    price = 28.0 - 0.45 * age - 0.025 * distance + generator.normal(0.0, 1.0, count)
    return CarTable(np.column_stack([age, distance]).round(1), price.round(2))


class Descent(NamedTuple):
    """A run of :func:`descend`: the weights at every step and the loss they give."""

    path: np.ndarray  # (steps + 1, 2): the two weights after each step (row 0: the start)
    losses: np.ndarray  # (steps + 1,): half the mean squared error at each step
    best: np.ndarray  # (2,): the least-squares weights
    best_loss: float
    learning_rate: float
    condition: float  # largest / smallest curvature of the loss (its Hessian's eigenvalues)


def _centred(features, targets):
    features = as_array(features, "features", 2)
    targets = as_array(targets, "targets", 1)
    if features.shape[0] != targets.shape[0]:
        raise ValueError(
            f"features has {features.shape[0]} rows but targets has {targets.shape[0]} values"
        )
    if features.shape[1] != 2:
        raise ValueError(f"features must have 2 columns (two weights), got {features.shape}")
    if features.shape[0] < 3:
        raise ValueError(f"features must have at least 3 rows, got {features.shape[0]}")
    return features - features.mean(axis=0), targets - targets.mean()


def descend(features, targets, steps=200, learning_rate=None, start=(0.0, 0.0)) -> Descent:
    """Gradient descent on the two weights of ``target ~ w1 x1 + w2 x2 + b``.

    features: (N, 2); targets: (N,). The loss is half the mean squared
    error. To keep the picture two-dimensional the bias ``b`` is set to its
    best value after every step (the mean target minus ``w . mean(x)``),
    which is the same as running the descent on centred features and
    targets. learning_rate: default ``1 / largest curvature``, the largest
    step that never overshoots along the steepest direction; the number of
    steps needed then grows with the ``condition`` (largest over smallest
    curvature).

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> run = descend(x, x @ np.array([2.0, -1.0]), steps=1)
    >>> run.path[-1], run.condition  # round bowl: one step lands on the best weights
    (array([ 2., -1.]), 1.0)
    """
    centred, target = _centred(features, targets)
    steps = as_int(steps, "steps", 0)
    count = len(target)
    hessian = centred.T @ centred / count
    curvatures = np.linalg.eigvalsh(hessian)
    if curvatures[0] <= 1e-12 * curvatures[-1]:
        raise ValueError("the two features are constant or proportional: no unique best weights")
    if learning_rate is None:
        learning_rate = 1.0 / curvatures[-1]
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a number, got {learning_rate!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    weights = np.asarray(start, dtype=np.float64)
    if weights.shape != (2,):
        raise ValueError(f"start must be a pair of weights, got {start!r}")
    path = np.empty((steps + 1, 2))
    path[0] = weights
    for step in range(steps):
        gradient = centred.T @ (centred @ weights - target) / count
        weights = weights - learning_rate * gradient
        path[step + 1] = weights
    residuals = path @ centred.T - target
    best = np.linalg.solve(hessian, centred.T @ target / count)
    best_loss = 0.5 * float(np.mean((centred @ best - target) ** 2))
    return Descent(
        path,
        0.5 * np.mean(residuals**2, axis=1),
        best,
        best_loss,
        float(learning_rate),
        float(curvatures[-1] / curvatures[0]),
    )


def steps_to_reach(descent: Descent, tolerance=0.01) -> int | None:
    """The first step at which both weights are within ``tolerance`` of the best ones.

    Measured relative to each best weight's size; None if the run never
    gets there.

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> steps_to_reach(descend(x, x @ np.array([2.0, -1.0]), steps=3))
    1
    """
    gap = np.abs(descent.path - descent.best) <= tolerance * np.abs(descent.best)
    reached = np.flatnonzero(gap.all(axis=1))
    return int(reached[0]) if reached.size else None


def mini_batches(values, batch_size, count, rng=0) -> np.ndarray:
    """``count`` mini-batches of ``batch_size`` rows of ``values``, as training draws them.

    values: (N,) or (N, K). The rows are shuffled, cut into N // batch_size
    batches (the incomplete rest is dropped), and reshuffled for the next
    epoch until ``count`` batches are drawn. Returns (count, batch_size) or
    (count, batch_size, K).

    >>> mini_batches(np.arange(6.0), 3, 4, rng=0).shape
    (4, 3)
    """
    values = as_array(values, "values", (1, 2))
    batch_size = as_int(batch_size, "batch_size", 1)
    count = as_int(count, "count", 1)
    if batch_size > len(values):
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(values)} values to draw from"
        )
    generator = as_generator(rng)
    per_epoch = len(values) // batch_size
    epochs = -(-count // per_epoch)
    orders = np.concatenate(
        [generator.permutation(len(values))[: per_epoch * batch_size] for _ in range(epochs)]
    )
    return values[orders[: count * batch_size]].reshape(count, batch_size, *values.shape[1:])


def batch_mean_noise(values, batch_sizes, batches=400, rng=0) -> np.ndarray:
    """How far a mini-batch mean strays from the population mean, in population stds.

    values: (N,) one unit over a data set, or (N, K) K units. For each batch
    size B, ``batches`` mini-batches are drawn (:func:`mini_batches`) and
    the standard deviation of their means is divided by the population's
    standard deviation (averaged over the K units). Theory for independent
    draws: 1 / sqrt(B).

    >>> values = np.random.default_rng(0).normal(size=5000)
    >>> noise = batch_mean_noise(values, [4, 16], batches=2000)
    >>> np.round(noise * np.sqrt([4, 16]), 1)
    array([1., 1.])
    """
    values = as_array(values, "values", (1, 2))
    if values.ndim == 1:
        values = values[:, None]
    spread = values.std(axis=0)
    if np.any(spread == 0):
        raise ValueError("every unit must vary over the data set (a constant has no noise)")
    generator = as_generator(rng)
    noise = []
    for batch_size in batch_sizes:
        means = mini_batches(values, batch_size, batches, generator).mean(axis=1)  # (batches, K)
        noise.append(float(np.mean(means.std(axis=0) / spread)))
    return np.array(noise)


class RunningStatistics(NamedTuple):
    """What :func:`running_statistics` records, one row per training step."""

    batch_means: np.ndarray  # (steps,)
    batch_vars: np.ndarray  # (steps,): unbiased, as the running variance uses
    running_means: np.ndarray  # (steps + 1,): row 0 is the start value 0
    running_vars: np.ndarray  # (steps + 1,): row 0 is the start value 1
    outputs: np.ndarray  # (steps, B): each batch normalised with its own statistics


def running_statistics(batches, momentum=0.1, eps=1e-5) -> RunningStatistics:
    """What a batch-norm layer does with a stream of batches of one unit, in training mode.

    batches: (steps, B), one row per training step. Each batch is
    normalised with its own mean and (biased) variance by
    :func:`lecturelib.batch_norm` (one call for all steps). The running
    mean and variance start at 0 and 1, as in PyTorch, and follow the
    library's update after every batch, ``running = (1 - momentum) *
    running + momentum * batch statistic`` with the unbiased batch
    variance (the tests check this against :class:`lecturelib.training.layers.BatchNorm1d`
    fed one batch at a time).

    >>> run = running_statistics(np.array([[1.0, 3.0], [5.0, 7.0]]), momentum=0.5)
    >>> run.running_means, run.running_vars
    (array([0. , 1. , 3.5]), array([1.  , 1.5 , 1.75]))
    >>> run.outputs.round(4)
    array([[-1.,  1.],
           [-1.,  1.]])
    """
    batches = as_array(batches, "batches", 2)
    steps, batch_size = batches.shape
    if batch_size < 2:
        raise ValueError(
            "a batch of one example has no spread: its variance is 0 and every output would be "
            "0, so batch norm needs at least 2 examples per batch in training"
        )
    # (B, steps): every step becomes a channel, normalised over its own batch
    # (and the library checks momentum).
    outputs = batch_norm(batches.T, None, None, training=True, momentum=momentum, eps=eps).T
    momentum = float(momentum)
    batch_means = batches.mean(axis=1)
    batch_vars = batches.var(axis=1, ddof=1)  # unbiased, divided by B - 1
    running_means = np.empty(steps + 1)
    running_vars = np.empty(steps + 1)
    running_mean, running_var = 0.0, 1.0
    running_means[0], running_vars[0] = running_mean, running_var
    for step in range(steps):  # one batch after the other, as batch_norm updates them
        running_mean = running_average(running_mean, float(batch_means[step]), momentum)
        running_var = running_average(running_var, float(batch_vars[step]), momentum)
        running_means[step + 1], running_vars[step + 1] = running_mean, running_var
    return RunningStatistics(batch_means, batch_vars, running_means, running_vars, outputs)


__all__ = [
    "batch_norm_naive",
    "batch_norm_backward_naive",
    "batch_norm",
    "batch_norm_backward",
    "running_average",
    "CAR_FEATURES",
    "CarTable",
    "car_table",
    "Descent",
    "descend",
    "steps_to_reach",
    "mini_batches",
    "batch_mean_noise",
    "RunningStatistics",
    "running_statistics",
]
