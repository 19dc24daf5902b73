"""Optimisers with PyTorch's update rules: SGD (momentum, Nesterov, weight decay) and Adam.

An optimiser holds the model's parameter handles (:class:`~lecturelib.training.layers.Parameter`)
and changes their values in place from their gradients; frozen parameters are skipped.

>>> from lecturelib.training.layers import Linear
>>> layer = Linear(2, 1, rng=0)
>>> layer.grads["weight"][...] = 1.0
>>> before = layer.params["weight"].copy()
>>> SGD(layer, lr=0.1).step()
>>> layer.params["weight"] - before
array([[-0.1, -0.1]])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._checks import as_number
from .layers import Parameter


def _handles(params) -> list[Parameter]:
    if hasattr(params, "parameters"):
        params = params.parameters()
    handles = list(params) if isinstance(params, Iterable) else None
    if not handles or not all(isinstance(p, Parameter) for p in handles):
        raise TypeError(
            "params must be a model (with .parameters()) or a non-empty list of Parameter handles"
        )
    return handles


class Optimiser:
    """Shared code: the parameter handles, ``zero_grad`` and per-parameter state."""

    def __init__(self, params, lr):
        self.params = _handles(params)
        self.lr = as_number(lr, "lr", 0)
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad.fill(0.0)

    def step(self) -> None:
        """Update every trainable parameter; frozen ones are skipped entirely.

        A skipped parameter keeps its value bit for bit, and its optimiser
        state (momentum, Adam's averages) does not move either.
        """
        self.steps += 1
        for p, state in zip(self.params, self.state):
            if p.trainable:
                self._update(p.value, p.grad, state)

    def _update(self, value, grad, state):
        raise NotImplementedError


class SGD(Optimiser):
    """Stochastic gradient descent with momentum and weight decay, as ``torch.optim.SGD``.

    Each step, with g = grad + weight_decay * w: without momentum w -= lr * g;
    with momentum, the velocity v = momentum * v + (1 - dampening) * g (v = g
    on the first step) and w -= lr * v (or lr * (g + momentum * v) with
    nesterov=True).

    >>> from lecturelib.training.layers import Linear
    >>> layer = Linear(1, 1, bias=False, rng=0); layer.params["weight"][...] = 1.0
    >>> layer.grads["weight"][...] = 0.5
    >>> SGD(layer, lr=0.1).step(); layer.params["weight"]
    array([[0.95]])
    """

    def __init__(
        self, params, lr=0.01, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False
    ):
        super().__init__(params, lr)
        self.momentum = as_number(momentum, "momentum", 0)
        self.weight_decay = as_number(weight_decay, "weight_decay", 0)
        self.dampening = as_number(dampening, "dampening", 0)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def _update(self, value, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * value
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = grad.copy()
            else:
                state["velocity"] *= self.momentum
                if self.dampening:
                    state["velocity"] += (1.0 - self.dampening) * grad
                else:  # the same numbers without a temporary (1.0 * grad == grad)
                    state["velocity"] += grad
            grad = grad + self.momentum * state["velocity"] if self.nesterov else state["velocity"]
        value -= self.lr * grad


class Adam(Optimiser):
    """Adam, as ``torch.optim.Adam`` (weight decay added to the gradient, no amsgrad).

    With g = grad + weight_decay * w and step t = 1, 2, ...:
    m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, and
    w -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
    The bias corrections undo the zero start of m and v, so the first step
    moves every weight by about lr.

    >>> from lecturelib.training.layers import Linear
    >>> layer = Linear(1, 1, bias=False, rng=0); layer.params["weight"][...] = 1.0
    >>> layer.grads["weight"][...] = 123.0
    >>> Adam(layer, lr=0.1).step(); layer.params["weight"]
    array([[0.9]])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            beta = as_number(beta, f"betas[{i}]", 0)
            if beta >= 1:
                raise ValueError(f"betas[{i}] must be in [0, 1), got {beta}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = as_number(eps, "eps", 0)
        self.weight_decay = as_number(weight_decay, "weight_decay", 0)

    def _update(self, value, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * value
        if "m" not in state:
            state["m"] = np.zeros_like(value)
            state["v"] = np.zeros_like(value)
            state["step"] = 0
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        # this parameter's own step count, as PyTorch keeps it: a parameter that
        # was frozen for a while starts its bias correction afresh when it thaws
        state["step"] += 1
        t = state["step"]
        step_size = self.lr / (1.0 - beta1**t)
        denominator = np.sqrt(v) / math.sqrt(1.0 - beta2**t)
        denominator += self.eps
        value -= step_size * m / denominator


__all__ = ["Optimiser", "SGD", "Adam"]
