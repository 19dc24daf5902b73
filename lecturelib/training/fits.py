"""One hidden layer fits a curve: the universal approximation theorem, trained.

:func:`fit_one_hidden_layer` trains a network with one hidden layer of
``width`` ReLU or sigmoid units on samples of a function, with the package's
own layers and Adam, so a notebook can watch the error fall as the layer gets
wider (the lesson itself, why depth, is :mod:`lecturelib.depth`).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, as_generator, as_int, as_number
from ..losses import mse
from .layers import Linear, ReLU, Sequential, Sigmoid
from .optim import Adam

# --- one hidden layer fits a curve --------------------------------------------------------

ACTIVATIONS = ("relu", "sigmoid")


def one_hidden_layer(width, activation="relu", interval=(0.0, 1.0), rng=None):
    """A network 1 -> ``width`` hidden units -> 1, its hidden units spread over ``interval``.

    Returns ``Sequential(Linear(1, width), ReLU() or Sigmoid(), Linear(width, 1))``
    for inputs x of shape (N, 1). Each hidden unit switches at one point t
    of the interval: a ReLU unit ``relu(+-(x - t))`` has its kink there, a
    sigmoid unit ``sigmoid(+-s (x - t))`` its step (s grows with the width,
    so the steps are as sharp as the spacing of the points). The points t
    are spread evenly with random jitter, one per slice of the interval, and
    the directions (+-) are random; the output layer starts at zero. This is
    only a sensible start: :func:`fit_one_hidden_layer` then trains every weight.

    >>> model = one_hidden_layer(3, rng=0)
    >>> model.forward(np.zeros((4, 1))).shape
    (4, 1)
    """
    width = as_int(width, "width", 1)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    low, high = (as_number(v, "interval", finite=True) for v in interval)
    if not high > low:
        raise ValueError(f"interval must be (low, high) with high > low, got {interval!r}")
    generator = as_generator(rng)
    hidden, output = Linear(1, width, rng=generator), Linear(width, 1, rng=generator)
    switch = low + (high - low) * (np.arange(width) + generator.uniform(0.2, 0.8, width)) / width
    direction = generator.choice([-1.0, 1.0], width)
    steepness = 1.0 if activation == "relu" else 3.0 * (width + 1) / (high - low)
    hidden.params["weight"][:, 0] = direction * steepness
    hidden.params["bias"][:] = -direction * steepness * switch
    output.params["weight"][:] = 0.0
    output.params["bias"][:] = 0.0
    return Sequential(hidden, ReLU() if activation == "relu" else Sigmoid(), output)


def fit_one_hidden_layer(
    x, y, width, activation="relu", steps=500, lr=0.003, interval=None, rng=None
):
    """Fit ``y ~ f(x)`` with one hidden layer of ``width`` units; return (model, losses).

    x, y: (N, 1). Two stages, both plain least squares on the mean squared
    error: first the output layer alone, in closed form, for the hidden
    units of :func:`one_hidden_layer` (a linear problem, solved exactly,
    with a tiny ridge term 1e-8 so that nearly equal units cannot blow the
    weights up); then every weight, hidden units included, trained for
    ``steps`` full-batch Adam steps (learning rate ``lr``) with the
    package's layers. losses: (steps + 1,) the training error before each
    step and after the last one.

    >>> x = np.linspace(0, 1, 50)[:, None]
    >>> model, losses = fit_one_hidden_layer(x, x**2, 8, steps=20, rng=0)
    >>> bool(losses[-1] < 1e-3)
    True
    """
    x = as_array(x, "x", 2)
    y = as_array(y, "y", 2)
    if x.shape[1] != 1 or y.shape != x.shape:
        raise ValueError(f"x and y must both have shape (N, 1), got {x.shape} and {y.shape}")
    steps = as_int(steps, "steps", 0)
    lr = as_number(lr, "lr", above=0, finite=True)
    if interval is None:
        interval = (float(x.min()), float(x.max()))
    model = one_hidden_layer(width, activation, interval, rng)
    hidden_layer, activation_layer, output = model[0], model[1], model[2]

    # Stage 1: the output layer is linear in its weights, so its best values are a solve.
    features = activation_layer.forward(hidden_layer.forward(x))
    design = np.hstack([features, np.ones_like(x)])
    normal = design.T @ design + 1e-8 * np.eye(design.shape[1])
    coefficients = np.linalg.solve(normal, design.T @ y)
    output.params["weight"][:] = coefficients[:-1].T
    output.params["bias"][:] = coefficients[-1]

    # Stage 2: gradient descent on every weight.
    optimiser = Adam(model, lr=lr)
    losses = []
    for _ in range(steps):
        optimiser.zero_grad()
        loss, grad = mse(model.forward(x), y)
        losses.append(loss)
        model.backward(grad)
        optimiser.step()
    losses.append(mse(model.forward(x), y)[0])
    return model, np.array(losses)


__all__ = ["one_hidden_layer", "fit_one_hidden_layer"]
