"""Initialisers: how the first weights of a layer are drawn, as ``torch.nn.init``.

Xavier/Glorot (for tanh and sigmoid layers), He/Kaiming (for ReLU layers),
PyTorch's default fan-in uniform, and the orthogonal matrices of the
vanishing-gradient lecture (defined in :mod:`lecturelib.jacobians`, where the
lecture explains why they keep gradient norms). Every function takes a shape
and returns a fresh array; ``rng`` is a numpy Generator or a seed.

>>> w = he_normal((256, 128), rng=0)
>>> round(float(w.std()), 2)      # sqrt(2 / fan_in) = sqrt(2 / 128)
0.12
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import as_generator, as_int
from ..jacobians import orthogonal


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    return tuple(as_int(n, "shape", 1) for n in shape)


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """PyTorch's fans of a weight of this shape: (out, in, *kernel).

    fan_in = in * prod(kernel), fan_out = out * prod(kernel): the number of
    inputs that feed one output unit and of outputs that one input feeds.

    >>> fan_in_and_fan_out((16, 8, 3, 3))
    (72, 144)
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions (out, in, ...), got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _gain(nonlinearity: str) -> float:
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}
    if nonlinearity not in gains:
        raise ValueError(f"nonlinearity must be one of {sorted(gains)}, got {nonlinearity!r}")
    return gains[nonlinearity]


def _fan(shape, mode: str) -> int:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform(shape, gain=1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients roughly constant
    through layers without a rectifier (tanh, sigmoid).

    >>> w = xavier_uniform((300, 200), rng=0)
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 500)), round(float(w.var() * 500 / 2), 1)
    (True, 1.0)
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng).uniform(-bound, bound, _shape(shape)).astype(dtype)


def xavier_normal(shape, gain=1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Glorot/Xavier normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return (std * as_generator(rng).standard_normal(_shape(shape))).astype(dtype)


def he_normal(shape, rng=None, mode="fan_in", nonlinearity="relu", dtype=np.float64) -> np.ndarray:
    """He/Kaiming normal: N(0, std^2), std = gain / sqrt(fan), gain sqrt(2) for ReLU.

    A ReLU zeroes half of its inputs on average; doubling the variance makes
    up for it, so the signal neither dies nor explodes in deep ReLU networks.

    >>> w = he_normal((256, 128), rng=0)
    >>> round(float(w.std() * np.sqrt(128 / 2)), 2)
    1.0
    """
    std = _gain(nonlinearity) / math.sqrt(_fan(shape, mode))
    return (std * as_generator(rng).standard_normal(_shape(shape))).astype(dtype)


def he_uniform(shape, rng=None, mode="fan_in", nonlinearity="relu", dtype=np.float64) -> np.ndarray:
    """He/Kaiming uniform: U(-a, a), a = gain * sqrt(3 / fan) (the same variance as he_normal)."""
    bound = _gain(nonlinearity) * math.sqrt(3.0 / _fan(shape, mode))
    return as_generator(rng).uniform(-bound, bound, _shape(shape)).astype(dtype)


def fan_in_uniform(shape, fan_in=None, rng=None, dtype=np.float64) -> np.ndarray:
    """PyTorch's default for Linear, Conv and recurrent layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    ``fan_in`` defaults to the fan-in of ``shape``; pass it for a bias vector
    (which has no fan of its own) or for a recurrent layer (1/sqrt(hidden)).
    """
    if fan_in is None:
        fan_in = fan_in_and_fan_out(shape)[0]
    bound = 1.0 / math.sqrt(as_int(fan_in, "fan_in", 1))
    return as_generator(rng).uniform(-bound, bound, _shape(shape)).astype(dtype)


INITIALISERS = {
    "default": None,  # PyTorch's defaults: fan_in_uniform for weights and biases
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "orthogonal": orthogonal,
}


def _init_weight(shape, init, rng, dtype, fan_in=None) -> np.ndarray:
    if init not in INITIALISERS:
        raise ValueError(f"init must be one of {sorted(INITIALISERS)}, got {init!r}")
    if init == "default":
        return fan_in_uniform(shape, fan_in, rng=rng, dtype=dtype)
    return INITIALISERS[init](shape, rng=rng, dtype=dtype)


def _init_bias(size, init, rng, dtype, fan_in) -> np.ndarray:
    if init == "default":
        return fan_in_uniform((size,), fan_in, rng=rng, dtype=dtype)
    return np.zeros(size, dtype=dtype)


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


__all__ = [
    "fan_in_and_fan_out",
    "fan_in_uniform",
    "xavier_uniform",
    "xavier_normal",
    "he_normal",
    "he_uniform",
    "orthogonal",
    "INITIALISERS",
]
