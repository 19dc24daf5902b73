"""Jacobians of a recurrent network through time: why gradients vanish or explode.

Layout. All Jacobians here are in numerator layout: for vectors y and x,
``J[i, j] = d y[i] / d x[j]``, so J has one row per output and one column per
input, and the chain rule reads ``dy/dx = dy/du @ du/dx`` left to right. In
the row-vector notation of ``rnn.py`` a step is
``h_t = f(a_t)``, ``a_t = x_t U + h_{t-1} W + b``, so::

    d h_t[i] / d h_{t-1}[j] = f'(a_t[i]) * W[j, i]
    dh_t/dh_{t-1} = diag(f'(a_t)) @ W.T                  (H, H)
    dh_t/dh_k     = dh_t/dh_{t-1} @ ... @ dh_{k+1}/dh_k   (t - k factors)

With |f'| <= gamma (1/4 for the logistic sigmoid, 1 for tanh and ReLU) and
the spectral norm ||W||_2 = lambda, every factor has norm at most
gamma * lambda, hence the lecture's bound
``||dh_t/dh_k|| <= (gamma lambda)^(t - k)``.

Products of many Jacobians leave the floating-point range quickly. The
functions below keep each running product scaled to a maximum entry of 1 and
carry the scale as a logarithm, so they never overflow internally and never
emit numpy warnings; a value outside the range of the network's dtype is
reported as ``inf`` (overflow) or ``0.0`` (underflow), exactly what the
network itself would have produced, and the ``log10`` options give the true
size either way.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ._checks import as_array, as_generator, as_int, as_number
from .recurrent import ACTIVATIONS, _activation, check_cache, rnn_forward

#: Upper bound gamma of |f'| for each activation.
ACTIVATION_GAMMA = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}


def activation_gamma(activation: str) -> float:
    """The bound gamma on |f'(a)|: 1/4 for "sigmoid", 1 for "tanh" and "relu".

    >>> activation_gamma("sigmoid")
    0.25
    """
    return ACTIVATION_GAMMA[_activation(activation)]


# --- initialisations ------------------------------------------------------------


def orthogonal(shape, gain=1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """A (semi-)orthogonal matrix, as ``torch.nn.init.orthogonal_``.

    The weight is viewed as a (rows, cols) = (shape[0], prod(shape[1:]))
    matrix whose rows (or columns, whichever are fewer) are orthonormal,
    times ``gain``. Useful for recurrent weights: every singular value is 1,
    so repeated multiplication neither shrinks nor blows up a vector.

    >>> q = orthogonal((4, 4), rng=0)
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    >>> np.round(np.linalg.svd(orthogonal((3, 5), gain=2.0, rng=0), compute_uv=False), 6)
    array([2., 2., 2.])
    """
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    shape = tuple(as_int(n, "shape", 1) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions, got {shape}")
    gain = as_number(gain, "gain", 0, finite=True)
    rows, cols = shape[0], math.prod(shape[1:])
    matrix = as_generator(rng).standard_normal((rows, cols))
    if rows < cols:
        matrix = matrix.T
    q, r = np.linalg.qr(matrix)
    q *= np.sign(np.diag(r))  # make the factorisation unique (uniformly distributed q)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype)


def orthogonal_init(n, rng=None, gain: float = 1.0) -> np.ndarray:
    """Deprecated: use ``orthogonal((n, n), gain=gain, rng=rng)``, which gives the same matrix."""
    warnings.warn(
        "orthogonal_init(n, rng, gain) is deprecated; use orthogonal((n, n), gain=gain, rng=rng)",
        DeprecationWarning,
        stacklevel=2,
    )
    shape = tuple(n) if isinstance(n, tuple | list) else (n, n)
    return orthogonal(shape, gain=as_number(gain, "gain", 0, finite=True), rng=rng)


def scaled_random_init(n, spectral_radius: float = 1.0, rng=None) -> np.ndarray:
    """A Gaussian (n, n) matrix rescaled to a given spectral radius.

    The spectral radius is the largest |eigenvalue|: it decides whether
    h W W W ... grows or shrinks in the long run. The bound in the lecture
    uses the spectral *norm* (largest singular value), which for a random
    matrix is larger (about twice the radius for a large Gaussian matrix);
    for an orthogonal matrix the two agree.

    >>> W = scaled_random_init(6, spectral_radius=0.9, rng=0)
    >>> round(float(np.max(np.abs(np.linalg.eigvals(W)))), 6)
    0.9
    """
    n = as_int(n, "n", 1)
    spectral_radius = as_number(spectral_radius, "spectral_radius", 0, finite=True)
    rng = as_generator(rng)
    W = rng.normal(size=(n, n)) / np.sqrt(n)
    radius = float(np.max(np.abs(np.linalg.eigvals(W))))
    return W * (spectral_radius / radius)


# --- running an RNN for the experiments ----------------------------------------------


def simulate_rnn(
    W, steps: int, activation: str = "tanh", batch: int = 1, input_scale=1.0, rng=None
):
    """Drive an RNN with recurrent matrix W by random inputs, for the Jacobian experiments.

    The input enters directly (U is ``input_scale`` times the identity, b = 0,
    h0 = 0) as Gaussian noise x: (steps, batch, H). Returns ``(h, cache)``
    from ``rnn_forward``; never warns, even when a ReLU network overflows.

    >>> h, cache = simulate_rnn(np.eye(3), steps=5, activation="relu", rng=0)
    >>> h.shape, cache["activation"]
    ((5, 1, 3), 'relu')
    """
    W = as_array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square (H, H), got shape {W.shape}")
    steps = as_int(steps, "steps", 1)
    batch = as_int(batch, "batch", 1)
    input_scale = as_number(input_scale, "input_scale", 0, finite=True)
    rng = as_generator(rng)
    H = W.shape[0]
    x = rng.normal(size=(steps, batch, H)).astype(W.dtype)
    U = np.eye(H, dtype=W.dtype) * input_scale
    with np.errstate(all="ignore"):
        return rnn_forward(x, np.zeros((batch, H), W.dtype), U, W, np.zeros(H, W.dtype), activation)


# --- Jacobians of one step and products over many steps -----------------------------


def _checked_cache(cache):
    check_cache(cache, ("W", "h", "activation"), "rnn_forward")
    return cache["W"], cache["h"], cache["activation"]


def step_jacobians(cache) -> np.ndarray:
    """The one-step Jacobians dh_t/dh_{t-1} of a run of ``rnn_forward``.

    Returns J: (T, N, H, H) with ``J[t, n, i, j] = d h_t[n, i] / d h_{t-1}[n, j]``
    (numerator layout), i.e. ``J[t, n] = diag(f'(a_t[n])) @ W.T``; J[0] is
    dh_0/dh0. The derivative f' is read from the cached states
    (tanh: 1 - h^2, sigmoid: h(1 - h), relu: [h > 0]).

    >>> h, cache = simulate_rnn(np.array([[0.0, 2.0], [0.5, 0.0]]), steps=3, rng=0)
    >>> J = step_jacobians(cache)
    >>> J.shape
    (3, 1, 2, 2)
    >>> bool(np.allclose(J[1, 0], np.diag(1 - h[1, 0] ** 2) @ cache["W"].T))
    True
    """
    W, h, activation = _checked_cache(cache)
    derivative = ACTIVATIONS[activation][1](h)  # (T, N, H)
    return derivative[..., :, None] * W.T  # row i scaled by f'(a_t[i])


def _log_scaled_products(jacobians: np.ndarray, multiply_on_left: bool = True):
    """Running products of a stack of Jacobians, (S, N, H, H), without overflow.

    Returns ``(scaled, log_scale)`` with ``scaled`` (S + 1, N, H, H) and
    ``log_scale`` (S + 1, N): product s (the identity for s = 0, then
    J[s-1] @ ... @ J[0], or J[0] @ ... @ J[s-1] when multiplying on the right)
    equals ``scaled[s] * exp(log_scale[s])``, with the largest |entry| of
    ``scaled[s]`` kept at 1. An exactly zero product has log_scale -inf.
    """
    S, N, H, _ = jacobians.shape
    scaled = np.empty((S + 1, N, H, H), dtype=np.float64)
    log_scale = np.zeros((S + 1, N))
    scaled[0] = np.eye(H)
    for s in range(S):
        factor = jacobians[s].astype(np.float64)
        product = factor @ scaled[s] if multiply_on_left else scaled[s] @ factor
        largest = np.max(np.abs(product), axis=(1, 2))
        nonzero = largest > 0
        product[nonzero] /= largest[nonzero, None, None]
        scaled[s + 1] = product
        with np.errstate(divide="ignore"):
            log_scale[s + 1] = log_scale[s] + np.log(largest)
    return scaled, log_scale


def _from_log(log_values: np.ndarray, dtype) -> np.ndarray:
    """exp(log_values) as float64, with inf beyond dtype's largest value and 0
    below its smallest (subnormal) one: what that dtype would have held."""
    info = np.finfo(dtype)
    with np.errstate(over="ignore", under="ignore"):
        values = np.exp(log_values)
    values[log_values > np.log(float(info.max))] = np.inf
    values[log_values < np.log(float(info.smallest_subnormal))] = 0.0
    return values


def _overflowed(h: np.ndarray, k: int) -> np.ndarray:
    """(T - k, N) flags: does dh_{k+s}/dh_k pass through a state that is not finite?

    A ReLU network can overflow in its forward pass; from then on its own
    gradients are inf or NaN, so such products are reported as inf.
    """
    bad = ~np.isfinite(h[k + 1 :]).all(axis=2)  # (T - k - 1, N)
    passed = np.cumsum(bad, axis=0) > 0
    return np.concatenate([np.zeros((1, h.shape[1]), dtype=bool), passed], axis=0)


def jacobian_products(cache, k: int = 0) -> np.ndarray:
    """The Jacobians dh_t/dh_k for every t >= k, from a run of ``rnn_forward``.

    Returns P: (T - k, N, H, H) with ``P[s] = dh_{k+s}/dh_k``, numerator
    layout (P[0] is the identity). Entries that leave the dtype's range are
    inf (with the right sign) or 0, without warnings.

    >>> h, cache = simulate_rnn(0.5 * np.eye(2), steps=4, activation="relu", rng=1)
    >>> P = jacobian_products(cache, k=1)
    >>> P.shape
    (3, 1, 2, 2)
    >>> bool(np.allclose(P[2, 0], step_jacobians(cache)[3, 0] @ step_jacobians(cache)[2, 0]))
    True
    """
    h, scaled, log_scale = _products_after(cache, k)
    magnitude = _from_log(log_scale, h.dtype)[..., None, None]
    with np.errstate(over="ignore", invalid="ignore"):
        products = np.where(scaled == 0, 0.0, scaled * magnitude)
    products[_overflowed(h, k)] = np.inf
    return products.astype(h.dtype)


def _products_after(cache, k):
    """Checked h, and the products dh_t/dh_k for t > k as (scaled, log_scale) pairs."""
    _, h, _ = _checked_cache(cache)
    T = h.shape[0]
    k = as_int(k, "k", 0)
    if k >= T:
        raise ValueError(f"k must be a step index below T = {T}, got {k}")
    scaled, log_scale = _log_scaled_products(step_jacobians(cache)[k + 1 :])
    return h, scaled, log_scale


def _matrix_norms(matrices: np.ndarray, ord: str) -> np.ndarray:
    if ord == "spectral":
        return np.linalg.norm(matrices, ord=2, axis=(-2, -1))
    if ord == "fro":
        return np.sqrt(np.sum(matrices * matrices, axis=(-2, -1)))
    raise ValueError(f"ord must be 'spectral' or 'fro', got {ord!r}")


def jacobian_norms(cache, k: int = 0, ord: str = "spectral", log10: bool = False) -> np.ndarray:
    """Norms of dh_t/dh_k for t = k, ..., T-1: how strongly h_k still reaches h_t.

    Returns (T - k, N): entry s is the norm of dh_{k+s}/dh_k for each
    sequence; ``ord`` "spectral" (largest singular value, the norm of the
    bound) or "fro" (Frobenius). Values beyond the range of the network's
    dtype are inf or 0; ``log10=True`` returns log10 of the true norm
    instead (-inf only for an exactly zero product).

    >>> h, cache = simulate_rnn(orthogonal((8, 8), rng=0), steps=30, activation="sigmoid", rng=0)
    >>> norms = jacobian_norms(cache)
    >>> bool(np.all(norms[1:, 0] <= gradient_bound(cache["W"], np.arange(1, 30), "sigmoid")))
    True
    """
    h, scaled, log_scale = _products_after(cache, k)
    with np.errstate(divide="ignore"):
        log_norms = np.log(_matrix_norms(scaled, ord)) + log_scale
    log_norms[_overflowed(h, k)] = np.inf
    if log10:
        return log_norms / np.log(10.0)
    return _from_log(log_norms, h.dtype)


def gradient_bound(W, steps, activation: str = "tanh") -> np.ndarray:
    """The lecture's bound ``(gamma * ||W||_2) ** steps`` on ||dh_t/dh_k||, t - k = steps.

    gamma from ``activation_gamma``; float64, inf or 0 outside its range.

    >>> np.round(gradient_bound(2 * np.eye(3), [0, 1, 2, 3], "sigmoid"), 4)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    W = as_array(W, "W", ndim=2)
    gamma = activation_gamma(activation)
    steps = as_array(steps, "steps")
    if np.any(steps < 0):
        raise ValueError("steps must be >= 0")
    lam = float(np.linalg.norm(W.astype(np.float64), ord=2))
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        return np.power(gamma * lam, steps.astype(np.float64))


# --- the same effect in a deep feed-forward network ----------------------------------


def mlp_gradient_norms(
    depth: int,
    width: int,
    activation: str = "sigmoid",
    weight_scale: float = 1.0,
    init: str = "gaussian",
    rng=None,
    batch: int = 1,
) -> dict:
    """Gradient sizes layer by layer in a deep MLP: the feed-forward twin of BPTT.

    A stack of ``depth`` layers h_l = f(h_{l-1} W_l) of ``width`` units
    (no biases) is run on a Gaussian input (batch, width), with a random
    linear loss L = sum(h_depth * g) on top. Weights: "gaussian" draws
    ``weight_scale * N(0, 1) / sqrt(width)``; "orthogonal" uses
    ``orthogonal((width, width), gain=weight_scale)``.

    Returns a dict of float64 arrays, each (depth,), indexed by layer
    l = 1..depth (entry l - 1):
      "layer": 1..depth;
      "jacobian_norm": ||dh_depth / dh_{l-1}||_2 for the first example, the
      product of the layer Jacobians above layer l's input;
      "weight_grad_norm": ||dL/dW_l||_F;
      "log10_weight_grad_norm": the same on a log10 scale, never overflowing;
      "overflow": True when the forward pass itself overflowed (only huge
      ReLU stacks do), and then every norm is reported as inf.
    Values outside float64's range are inf or 0, without warnings.

    >>> sig = mlp_gradient_norms(20, 16, "sigmoid", rng=0)
    >>> relu = mlp_gradient_norms(20, 16, "relu", init="orthogonal", weight_scale=np.sqrt(2), rng=0)
    >>> bool(sig["weight_grad_norm"][0] < 1e-8 * sig["weight_grad_norm"][-1])
    True
    >>> bool(relu["weight_grad_norm"][0] > 1e-3 * relu["weight_grad_norm"][-1])
    True
    """
    depth = as_int(depth, "depth", 1)
    width = as_int(width, "width", 1)
    batch = as_int(batch, "batch", 1)
    activation = _activation(activation)
    weight_scale = as_number(weight_scale, "weight_scale", 0, finite=True)
    if init not in ("gaussian", "orthogonal"):
        raise ValueError(f"init must be 'gaussian' or 'orthogonal', got {init!r}")
    rng = as_generator(rng)
    apply_activation, derivative_of = ACTIVATIONS[activation]

    if init == "gaussian":
        weights = rng.normal(size=(depth, width, width)) * (weight_scale / np.sqrt(width))
    else:
        weights = np.stack(
            [orthogonal((width, width), gain=weight_scale, rng=rng) for _ in range(depth)]
        )
    states = [rng.normal(size=(batch, width))]
    with np.errstate(all="ignore"):
        for layer in range(depth):
            a = states[-1] @ weights[layer]
            apply_activation(a)
            states.append(a)
    overflow = not np.isfinite(states[-1]).all()
    derivatives = np.stack([derivative_of(h) for h in states[1:]])  # (depth, batch, width)

    # Backward, keeping the gradient vector scaled to max |entry| 1 and its scale as a log.
    grad = rng.normal(size=(batch, width))
    log_scale = 0.0
    log_norms = np.empty(depth)
    with np.errstate(all="ignore"):
        for layer in range(depth - 1, -1, -1):
            grad_a = grad * derivatives[layer]  # dL/da_l (scaled)
            norm = np.linalg.norm(states[layer].T @ grad_a)
            log_norms[layer] = np.log(norm) + log_scale if norm > 0 else -np.inf
            grad = grad_a @ weights[layer].T  # dL/dh_{l-1} (scaled)
            largest = np.max(np.abs(grad))
            if largest > 0 and np.isfinite(largest):
                grad /= largest
                log_scale += np.log(largest)
    layer_jacobians = derivatives[:, :1, :, None] * weights.transpose(0, 2, 1)[:, None]
    # dh_depth/dh_{l-1} = J_depth @ ... @ J_l: build it from the top, multiplying on the right.
    scaled, jac_log_scale = _log_scaled_products(layer_jacobians[::-1], multiply_on_left=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        jac_log = np.log(_matrix_norms(scaled[1:, 0], "spectral")) + jac_log_scale[1:, 0]
    if overflow:  # the network's own loss and gradients would be inf or NaN
        log_norms[:] = np.inf
        jac_log[:] = np.inf
    return {
        "layer": np.arange(1, depth + 1),
        "jacobian_norm": _from_log(jac_log[::-1], np.float64),
        "weight_grad_norm": _from_log(log_norms, np.float64),
        "log10_weight_grad_norm": log_norms / np.log(10.0),
        "overflow": overflow,
    }


__all__ = [
    "ACTIVATION_GAMMA",
    "activation_gamma",
    "orthogonal",
    "orthogonal_init",
    "scaled_random_init",
    "simulate_rnn",
    "step_jacobians",
    "jacobian_products",
    "jacobian_norms",
    "gradient_bound",
    "mlp_gradient_norms",
]
