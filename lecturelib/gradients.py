"""Numerical gradients, gradient checks, and gradient clipping.

The numerical side of the lectures: every hand-written backward pass in this
package is checked against central differences, and the clipping rules of the
recurrent-network lecture live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ._checks import as_number


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function with respect to ``x``.

    ``f`` takes no arguments and reads ``x`` (which is perturbed in place, one
    entry at a time, and restored). Returns an array shaped like ``x`` with
    ``(f(x + h e_i) - f(x - h e_i)) / (2h)`` in entry ``i``.

    >>> x = np.array([7.0, 3.0, 5.0])
    >>> np.round(numerical_gradient(lambda: float(np.sum(x ** 2)), x), 6)
    array([14.,  6., 10.])
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError("x must be a floating-point numpy array (it is perturbed in place)")
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x = x.reshape(-1)  # a view: writing to it perturbs x
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        plus = float(f())
        flat_x[i] = original - h
        minus = float(f())
        flat_x[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[], np.ndarray], x: np.ndarray, grad_out: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Numerical gradient of ``sum(f() * grad_out)`` with respect to ``x``.

    This is what a backward function should return when it is given
    ``grad_out`` as the gradient of the loss with respect to ``f``'s output.
    """
    grad_out = np.asarray(grad_out, dtype=np.float64)
    return numerical_gradient(lambda: float(np.sum(f() * grad_out)), x, h)


def relative_error(a, b) -> float:
    """The largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    The measure the classic course assignments print: below about 1e-7 a
    float64 backward pass is right; around 1e-2 or above it is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def check_gradient(
    f: Callable[[], float], x: np.ndarray, analytic, h: float = 1e-5, tolerance: float = 1e-6
) -> float:
    """Compare an analytic gradient with central differences; raise if they differ.

    Returns the relative error so a notebook can print it.
    """
    numeric = numerical_gradient(f, x, h)
    error = relative_error(analytic, numeric)
    if not error <= tolerance:
        raise AssertionError(
            f"analytic and numerical gradients differ: relative error {error:.3g} "
            f"> tolerance {tolerance:.3g}"
        )
    return error


# --- clipping ---------------------------------------------------------------


def _gradient_arrays(grads, name: str = "grads") -> list[np.ndarray]:
    if isinstance(grads, Mapping):
        arrays = list(grads.values())
    elif isinstance(grads, list | tuple):
        arrays = list(grads)
    else:
        raise TypeError(
            f"{name} must be a dict or a list of numpy arrays, got {type(grads).__name__}"
        )
    for i, array in enumerate(arrays):
        if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
            raise TypeError(
                f"{name} entry {i} must be a floating-point numpy array (it is changed in place)"
            )
    return arrays


def global_norm(grads) -> float:
    """The L2 norm of all gradient entries taken together."""
    arrays = _gradient_arrays(grads)
    return float(np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays)))


def clip_grad_norm(grads, max_norm: float, per_parameter: bool = False) -> float:
    """Rescale gradients in place so that their L2 norm is at most ``max_norm``.

    ``grads``: a dict or list of arrays. With the default global rule (as
    ``torch.nn.utils.clip_grad_norm_``), all arrays are treated as one vector
    and, when its norm exceeds ``max_norm``, multiplied by
    ``max_norm / (norm + 1e-6)``: the direction is kept. With
    ``per_parameter=True`` each array is clipped on its own norm.
    Returns the global norm before clipping.

    >>> g = [np.array([3.0, 4.0])]
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> np.round(g[0], 6)
    array([0.6, 0.8])
    """
    arrays = _gradient_arrays(grads)
    max_norm = as_number(max_norm, "max_norm", 0)
    total = global_norm(arrays)
    if per_parameter:
        for array in arrays:
            norm = float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))
            if norm > max_norm:
                array *= max_norm / (norm + 1e-6)
    elif total > max_norm:
        scale = max_norm / (total + 1e-6)
        for array in arrays:
            array *= scale
    return total


def clip_grad_value(grads, clip_value: float) -> None:
    """Clip every gradient entry into ``[-clip_value, clip_value]`` in place.

    Unlike norm clipping this can change the gradient's direction.

    >>> g = {"w": np.array([-1.2, 0.3, 0.9, -0.5])}
    >>> clip_grad_value(g, 0.7)
    >>> g["w"]
    array([-0.7,  0.3,  0.7, -0.5])
    """
    arrays = _gradient_arrays(grads)
    clip_value = as_number(clip_value, "clip_value", 0)
    for array in arrays:
        np.clip(array, -clip_value, clip_value, out=array)


__all__ = [
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
    "check_gradient",
    "global_norm",
    "clip_grad_norm",
    "clip_grad_value",
]
