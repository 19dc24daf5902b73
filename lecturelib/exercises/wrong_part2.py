"""Typical wrong answers to the exercises of notebooks 12-18, for the tests and the table.

Each function below is written the way a student might write it, with one
mistake; ``@wrong_implementation(id, mistake, expect)`` records it with a
fragment that the checker's message must contain, so the tests (and
``python -m lecturelib.exercises --mistakes``) can see that every one is
rejected with its mistake named. Imported only by
``lecturelib.exercises.load_wrong_implementations()``.
"""

from __future__ import annotations

import numpy as np

from ._core import wrong_implementation as wrong


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# --- rnn_step_forward -----------------------------------------------------------------


@wrong("rnn_step_forward", "recurrent term h_prev W missing", "recurrent term is missing")
def rnn_step_no_recurrence(x, h_prev, U, W, b):
    return np.tanh(x @ U + b)


@wrong("rnn_step_forward", "W transposed (h_prev @ W.T)", "W is transposed")
def rnn_step_w_transposed(x, h_prev, U, W, b):
    return np.tanh(x @ U + h_prev @ W.T + b)


@wrong("rnn_step_forward", "tanh missing", "tanh is missing")
def rnn_step_linear(x, h_prev, U, W, b):
    return x @ U + h_prev @ W + b


@wrong("rnn_step_forward", "sigmoid instead of tanh", "logistic sigmoid")
def rnn_step_sigmoid(x, h_prev, U, W, b):
    return _sigmoid(x @ U + h_prev @ W + b)


@wrong("rnn_step_forward", "bias missing", "bias b is missing")
def rnn_step_no_bias(x, h_prev, U, W, b):
    return np.tanh(x @ U + h_prev @ W)


# --- rnn_param_count ------------------------------------------------------------------


@wrong("rnn_param_count", "recurrent matrix W not counted", "recurrent matrix W")
def param_count_no_w(kind, inputs, hidden, outputs=0, biases=1):
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    return (
        blocks * (inputs * hidden + biases * hidden) + hidden * outputs + (outputs if biases else 0)
    )


@wrong("rnn_param_count", "LSTM and GRU block counts swapped", "number of gate blocks")
def param_count_blocks_swapped(kind, inputs, hidden, outputs=0, biases=1):
    blocks = {"rnn": 1, "gru": 4, "lstm": 3}[kind]
    return (
        blocks * (inputs * hidden + hidden * hidden + biases * hidden)
        + hidden * outputs
        + (outputs if biases else 0)
    )


@wrong("rnn_param_count", "biases counted once per layer", "once per layer")
def param_count_bias_once(kind, inputs, hidden, outputs=0, biases=1):
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    return (
        blocks * (inputs * hidden + hidden * hidden)
        + biases * hidden
        + hidden * outputs
        + (outputs if biases else 0)
    )


@wrong("rnn_param_count", "output bias counted with biases=0", "counted although biases=0")
def param_count_output_bias_always(kind, inputs, hidden, outputs=0, biases=1):
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    return (
        blocks * (inputs * hidden + hidden * hidden + biases * hidden) + hidden * outputs + outputs
    )


@wrong("rnn_param_count", "output layer counted per block", "not to every gate block")
def param_count_output_per_block(kind, inputs, hidden, outputs=0, biases=1):
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    output_layer = hidden * outputs + (outputs if biases else 0)
    return blocks * (inputs * hidden + hidden * hidden + biases * hidden + output_layer)


# --- rnn_step_backward ----------------------------------------------------------------


def _step_grads(grad_a, x, h_prev, U, W):
    return {
        "x": grad_a @ U.T,
        "h_prev": grad_a @ W.T,
        "U": x.T @ grad_a,
        "W": h_prev.T @ grad_a,
        "b": grad_a.sum(axis=0),
    }


@wrong("rnn_step_backward", "tanh derivative 1 - h", "1 - h^2 (the square")
def step_backward_one_minus_h(grad_h, x, h_prev, U, W, b):
    h = np.tanh(x @ U + h_prev @ W + b)
    return _step_grads(grad_h * (1 - h), x, h_prev, U, W)


@wrong("rnn_step_backward", "tanh derivative at the pre-activation", "pre-activation")
def step_backward_pre_activation(grad_h, x, h_prev, U, W, b):
    a = x @ U + h_prev @ W + b
    return _step_grads(grad_h * (1 - a**2), x, h_prev, U, W)


@wrong("rnn_step_backward", "tanh derivative missing", "skipped the tanh")
def step_backward_no_derivative(grad_h, x, h_prev, U, W, b):
    return _step_grads(grad_h, x, h_prev, U, W)


@wrong("rnn_step_backward", "dL/dh_prev through W, not W.T", "W transposed")
def step_backward_w_not_transposed(grad_h, x, h_prev, U, W, b):
    h = np.tanh(x @ U + h_prev @ W + b)
    grads = _step_grads(grad_h * (1 - h**2), x, h_prev, U, W)
    grads["h_prev"] = grad_h * (1 - h**2) @ W
    return grads


@wrong("rnn_step_backward", "bias gradient not summed over the batch", "not summed over the batch")
def step_backward_bias_per_example(grad_h, x, h_prev, U, W, b):
    h = np.tanh(x @ U + h_prev @ W + b)
    grads = _step_grads(grad_h * (1 - h**2), x, h_prev, U, W)
    grads["b"] = grad_h * (1 - h**2)
    return grads


# --- bptt -----------------------------------------------------------------------------


def _bptt_windows(grad_h, cache, first_step, slope=None):
    """Shared skeleton: the loss at t walks back to first_step(t) (h0 when that is < 0)."""
    x, h0, U, W, h = cache["x"], cache["h0"], cache["U"], cache["W"], cache["h"]
    T = h.shape[0]
    derivative = 1 - h**2 if slope is None else slope
    grad_a = np.zeros_like(h)
    grad_h0 = np.zeros_like(h0)
    for t in range(T):
        g = grad_h[t]
        stop = first_step(t)
        for s in range(t, max(stop, 0) - 1, -1):
            g = g * derivative[s]
            grad_a[s] += g
            g = g @ W.T
        if stop <= 0:
            grad_h0 += g
    h_prev = np.concatenate([h0[None], h[:-1]])
    return {
        "x": grad_a @ U.T,
        "h0": grad_h0,
        "U": np.einsum("tnd,tnh->dh", x, grad_a),
        "W": np.einsum("tni,tnh->ih", h_prev, grad_a),
        "b": grad_a.sum(axis=(0, 1)),
    }


@wrong("bptt", "no path through h_{t-1} (each step alone)", "path through h_{t-1}")
def bptt_no_recurrence(grad_h, cache, truncate=None):
    return _bptt_windows(grad_h, cache, lambda t: t)


@wrong("bptt", "truncation window k + 1 (off by one)", "off by one")
def bptt_window_too_long(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    return _bptt_windows(grad_h, cache, lambda t: t - k)


@wrong("bptt", "truncation window k - 1 (off by one)", "off by one")
def bptt_window_too_short(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    return _bptt_windows(grad_h, cache, lambda t: t - k + 2)


@wrong("bptt", "truncate ignored (always full BPTT)", "was ignored")
def bptt_ignores_truncate(grad_h, cache, truncate=None):
    return _bptt_windows(grad_h, cache, lambda t: 0)


@wrong("bptt", "truncation in fixed chunks of k steps", "fixed blocks")
def bptt_chunks(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    return _bptt_windows(grad_h, cache, lambda t: (t // k) * k)


@wrong("bptt", "tanh derivative 1 - h", "1 - h^2")
def bptt_one_minus_h(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    return _bptt_windows(grad_h, cache, lambda t: t - k + 1, slope=1 - cache["h"])


@wrong("bptt", "weight gradients overwritten, not summed over time", "not summed over time")
def bptt_overwrites(grad_h, cache, truncate=None):
    x, h0, U, W, h = cache["x"], cache["h0"], cache["U"], cache["W"], cache["h"]
    T = h.shape[0]
    carry = np.zeros_like(h0)
    grad_x = np.zeros_like(x)
    for t in range(T - 1, -1, -1):
        grad_a = (grad_h[t] + carry) * (1 - h[t] ** 2)
        h_before = h0 if t == 0 else h[t - 1]
        grad_U = x[t].T @ grad_a  # = instead of +=
        grad_W = h_before.T @ grad_a
        grad_b = grad_a.sum(axis=0)
        grad_x[t] = grad_a @ U.T
        carry = grad_a @ W.T
    return {"x": grad_x, "h0": carry, "U": grad_U, "W": grad_W, "b": grad_b}


@wrong("bptt", "each step's own loss not added (only the last step's)", "own loss is missing")
def bptt_only_last_loss(grad_h, cache, truncate=None):
    x, h0, U, W, h = cache["x"], cache["h0"], cache["U"], cache["W"], cache["h"]
    T = h.shape[0]
    grad_a = np.zeros_like(h)
    g = grad_h[-1]
    for t in range(T - 1, -1, -1):
        grad_a[t] = g * (1 - h[t] ** 2)
        g = grad_a[t] @ W.T
    h_prev = np.concatenate([h0[None], h[:-1]])
    return {
        "x": grad_a @ U.T,
        "h0": g,
        "U": np.einsum("tnd,tnh->dh", x, grad_a),
        "W": np.einsum("tni,tnh->ih", h_prev, grad_a),
        "b": grad_a.sum(axis=(0, 1)),
    }


@wrong("bptt", "bias gradient not summed over time", "not summed over time")
def bptt_bias_per_step(grad_h, cache, truncate=None):
    x, h0, U, W, h = cache["x"], cache["h0"], cache["U"], cache["W"], cache["h"]
    T = h.shape[0]
    grad_a = np.zeros_like(h)
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):  # full BPTT (truncate is not used here)
        grad_a[t] = (grad_h[t] + carry) * (1 - h[t] ** 2)
        carry = grad_a[t] @ W.T
    h_prev = np.concatenate([h0[None], h[:-1]])
    return {
        "x": grad_a @ U.T,
        "h0": carry,
        "U": np.einsum("tnd,tnh->dh", x, grad_a),
        "W": np.einsum("tni,tnh->ih", h_prev, grad_a),
        "b": grad_a.sum(axis=1),  # summed over the batch only: one row per step
    }


# --- jacobian_product_norm ------------------------------------------------------------


@wrong("jacobian_product_norm", "tanh slope left out", "tanh slope is missing")
def jacobian_no_slope(h, W, k, t):
    return float(np.linalg.norm(np.linalg.matrix_power(W.T, t - k), 2))


@wrong("jacobian_product_norm", "W not transposed", "W is not transposed")
def jacobian_not_transposed(h, W, k, t):
    product = np.eye(len(W))
    for j in range(k + 1, t + 1):
        product = np.diag(1 - h[j] ** 2) @ W @ product
    return float(np.linalg.norm(product, 2))


@wrong("jacobian_product_norm", "one factor too many", "one factor too many")
def jacobian_extra_factor(h, W, k, t):
    product = np.eye(len(W))
    for j in range(k, t + 1):
        product = np.diag(1 - h[j] ** 2) @ W.T @ product
    return float(np.linalg.norm(product, 2))


@wrong("jacobian_product_norm", "Frobenius norm", "Frobenius")
def jacobian_frobenius(h, W, k, t):
    product = np.eye(len(W))
    for j in range(k + 1, t + 1):
        product = np.diag(1 - h[j] ** 2) @ W.T @ product
    return float(np.linalg.norm(product))


@wrong("jacobian_product_norm", "product of the factors' norms", "multiplied the norms")
def jacobian_product_of_norms(h, W, k, t):
    total = 1.0
    for j in range(k + 1, t + 1):
        total *= np.linalg.norm(np.diag(1 - h[j] ** 2) @ W.T, 2)
    return float(total)


@wrong("jacobian_product_norm", "factors multiplied in the wrong order", "wrong order")
def jacobian_wrong_order(h, W, k, t):
    product = np.eye(len(W))
    for j in range(k + 1, t + 1):
        product = product @ np.diag(1 - h[j] ** 2) @ W.T
    return float(np.linalg.norm(product, 2))


# --- sigmoid_gradient_bound -----------------------------------------------------------


@wrong("sigmoid_gradient_bound", "gamma = 1 (tanh's bound)", "gamma is wrong")
def bound_gamma_one(W, steps):
    return float(np.linalg.norm(W, 2) ** steps)


@wrong("sigmoid_gradient_bound", "Frobenius norm of W", "Frobenius")
def bound_frobenius(W, steps):
    return float((np.linalg.norm(W) / 4) ** steps)


@wrong("sigmoid_gradient_bound", "spectral radius instead of spectral norm", "spectral radius")
def bound_spectral_radius(W, steps):
    return float((np.max(np.abs(np.linalg.eigvals(W))) / 4) ** steps)


@wrong("sigmoid_gradient_bound", "exponent off by one", "off by one")
def bound_exponent_plus_one(W, steps):
    return float((np.linalg.norm(W, 2) / 4) ** (steps + 1))


@wrong("sigmoid_gradient_bound", "gamma not raised to the power", "raised to the power")
def bound_gamma_once(W, steps):
    return float(0.25 * np.linalg.norm(W, 2) ** steps)


# --- clip_grad_norm -------------------------------------------------------------------


def _list(grads):
    return list(grads.values()) if isinstance(grads, dict) else list(grads)


@wrong("clip_grad_norm", "each array clipped on its own norm", "per tensor")
def clip_norm_per_tensor(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    for g in _list(grads):
        norm = np.linalg.norm(g)
        if norm > max_norm:
            g *= max_norm / norm
    return total


@wrong("clip_grad_norm", "scaled even when below the threshold", "below the threshold")
def clip_norm_always(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    for g in _list(grads):
        g *= max_norm / total
    return total


@wrong("clip_grad_norm", "not in place (g = g * scale)", "not changed in place")
def clip_norm_rebinds(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    if total > max_norm:
        for g in _list(grads):
            g = g * (max_norm / total)  # noqa: PLW2901 - the mistake: a new array
    return total


@wrong("clip_grad_norm", "returns the norm after clipping", "norm after clipping")
def clip_norm_returns_after(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    if total > max_norm:
        for g in _list(grads):
            g *= max_norm / total
    return float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))


@wrong("clip_grad_norm", "returns the squared norm", "squared norm")
def clip_norm_returns_square(grads, max_norm):
    square = float(sum(np.sum(g**2) for g in _list(grads)))
    if np.sqrt(square) > max_norm:
        for g in _list(grads):
            g *= max_norm / np.sqrt(square)
    return square


@wrong("clip_grad_norm", "forgets to return the norm", "must also return")
def clip_norm_no_return(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    if total > max_norm:
        for g in _list(grads):
            g *= max_norm / total


# --- clip_grad_value ------------------------------------------------------------------


@wrong("clip_grad_value", "only the upper side clipped", "only one side")
def clip_value_upper_only(grads, clip_value):
    for g in _list(grads):
        np.minimum(g, clip_value, out=g)


@wrong("clip_grad_value", "only the lower side clipped", "only one side")
def clip_value_lower_only(grads, clip_value):
    for g in _list(grads):
        np.maximum(g, -clip_value, out=g)


@wrong("clip_grad_value", "signs lost (min(|g|, v))", "signs were lost")
def clip_value_abs(grads, clip_value):
    for g in _list(grads):
        g[...] = np.minimum(np.abs(g), clip_value)


@wrong("clip_grad_value", "not in place (g = np.clip(g, ...))", "not changed in place")
def clip_value_rebinds(grads, clip_value):
    for g in _list(grads):
        g = np.clip(g, -clip_value, clip_value)  # noqa: F841 - the mistake: a new array


@wrong("clip_grad_value", "returns new arrays instead of clipping in place", "not changed in place")
def clip_value_returns_copies(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) for g in _list(grads)]


@wrong("clip_grad_value", "clipped by the norm instead", "rescaled by the norm")
def clip_value_by_norm(grads, clip_value):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    if total > clip_value:
        for g in _list(grads):
            g *= clip_value / total


# --- lstm_step_forward ----------------------------------------------------------------


def _lstm(x, h_prev, c_prev, U, W, b, order="ifgo", gate=_sigmoid, content=np.tanh):
    H = h_prev.shape[1]
    a = x @ U + h_prev @ W + b
    block = {name: a[:, n * H : (n + 1) * H] for n, name in enumerate(order)}
    i, f, o = gate(block["i"]), gate(block["f"]), gate(block["o"])
    g = content(block["g"])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


@wrong("lstm_step_forward", "gate order i, f, o, g", "gate order is wrong")
def lstm_order_ifog(x, h_prev, c_prev, U, W, b):
    return _lstm(x, h_prev, c_prev, U, W, b, order="ifog")


@wrong("lstm_step_forward", "input and forget gates swapped", "gate order is wrong")
def lstm_order_figo(x, h_prev, c_prev, U, W, b):
    return _lstm(x, h_prev, c_prev, U, W, b, order="figo")


@wrong("lstm_step_forward", "sigmoid and tanh swapped", "sigmoid and tanh are swapped")
def lstm_squash_swapped(x, h_prev, c_prev, U, W, b):
    return _lstm(x, h_prev, c_prev, U, W, b, gate=np.tanh, content=_sigmoid)


@wrong("lstm_step_forward", "h = o * c (tanh missing)", "tanh on the cell state is missing")
def lstm_no_tanh_on_c(x, h_prev, c_prev, U, W, b):
    h, c = _lstm(x, h_prev, c_prev, U, W, b)
    H = h_prev.shape[1]
    o = _sigmoid((x @ U + h_prev @ W + b)[:, 3 * H :])
    return o * c, c


@wrong("lstm_step_forward", "h from the old cell state", "NEW cell state")
def lstm_old_cell(x, h_prev, c_prev, U, W, b):
    _, c = _lstm(x, h_prev, c_prev, U, W, b)
    H = h_prev.shape[1]
    o = _sigmoid((x @ U + h_prev @ W + b)[:, 3 * H :])
    return o * np.tanh(c_prev), c


# --- gru_step_forward -----------------------------------------------------------------


def _gru_gates(x, h_prev, U, W, b_x, b_h):
    H = h_prev.shape[1]
    gx, gh = x @ U + b_x, h_prev @ W + b_h
    r = _sigmoid(gx[:, :H] + gh[:, :H])
    z = _sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])
    return H, gx, gh, r, z


@wrong("gru_step_forward", "update gate mixes the wrong way", "wrong way round")
def gru_mix_swapped(x, h_prev, U, W, b_x, b_h):
    H, gx, gh, r, z = _gru_gates(x, h_prev, U, W, b_x, b_h)
    n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    return z * n + (1 - z) * h_prev


@wrong("gru_step_forward", "reset applied to h before W_n", "before the product")
def gru_reset_before(x, h_prev, U, W, b_x, b_h):
    H, gx, gh, r, z = _gru_gates(x, h_prev, U, W, b_x, b_h)
    n = np.tanh(gx[:, 2 * H :] + (r * h_prev) @ W[:, 2 * H :] + b_h[2 * H :])
    return (1 - z) * n + z * h_prev


@wrong("gru_step_forward", "b_hn outside the reset gate", "b_hn must sit inside")
def gru_bias_outside(x, h_prev, U, W, b_x, b_h):
    H, gx, gh, r, z = _gru_gates(x, h_prev, U, W, b_x, b_h)
    n = np.tanh(gx[:, 2 * H :] + r * (h_prev @ W[:, 2 * H :]) + b_h[2 * H :])
    return (1 - z) * n + z * h_prev


@wrong("gru_step_forward", "gate order z, r, n", "gate order is wrong")
def gru_order_zrn(x, h_prev, U, W, b_x, b_h):
    H, gx, gh, z, r = _gru_gates(x, h_prev, U, W, b_x, b_h)  # the first block read as z
    n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1 - z) * n + z * h_prev


# --- dropout_forward ------------------------------------------------------------------


@wrong("dropout_forward", "kept units not rescaled", "not rescaled")
def dropout_not_rescaled(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) >= p).astype(float)
    return x * mask, mask


@wrong("dropout_forward", "rescaled at test time (x (1 - p) in eval)", "rescaled at test time")
def dropout_rescaled_at_test(x, p=0.5, training=True, rng=None):
    if not training:
        return x * (1 - p), np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) >= p).astype(float)
    return x * mask / (1 - p), mask


@wrong("dropout_forward", "dropout also applied in eval", "dropped in eval mode")
def dropout_always(x, p=0.5, training=True, rng=None):
    mask = (np.random.default_rng(rng).random(x.shape) >= p).astype(float)
    return x * mask / (1 - p), mask


@wrong("dropout_forward", "p used as keep probability (mask and scale)", "keep probability")
def dropout_keep_probability(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) < p).astype(float)
    return x * mask / p, mask


@wrong("dropout_forward", "p used as keep probability (mask only)", "keep probability")
def dropout_keep_probability_mask(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) < p).astype(float)
    return x * mask / (1 - p), mask


@wrong("dropout_forward", "one mask shared by the batch", "one mask for the whole batch")
def dropout_shared_mask(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape[1:]) >= p).astype(float)
    mask = np.broadcast_to(mask, x.shape).copy()
    return x * mask / (1 - p), mask


@wrong("dropout_forward", "rng ignored (global np.random)", "do not follow rng")
def dropout_global_random(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.random(x.shape) >= p).astype(float)  # noqa: NPY002 - the mistake
    return x * mask / (1 - p), mask


@wrong("dropout_forward", "mask marks dropped units", "wrong way round")
def dropout_mask_inverted(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    dropped = (np.random.default_rng(rng).random(x.shape) < p).astype(float)
    return x * (1 - dropped) / (1 - p), dropped


# --- dropout_backward -----------------------------------------------------------------


@wrong("dropout_backward", "mask not used", "mask is not used")
def dropout_backward_no_mask(grad_y, mask, p=0.5):
    return grad_y / (1 - p)


@wrong("dropout_backward", "not rescaled", "not rescaled")
def dropout_backward_not_rescaled(grad_y, mask, p=0.5):
    return grad_y * mask


@wrong("dropout_backward", "scaled by 1/p", "keep probability")
def dropout_backward_over_p(grad_y, mask, p=0.5):
    return grad_y * mask / p


@wrong("dropout_backward", "multiplied by 1 - p", "classic test-time factor")
def dropout_backward_times_keep(grad_y, mask, p=0.5):
    return grad_y * mask * (1 - p)


# --- batchnorm_forward ----------------------------------------------------------------


def _bn(
    x,
    running_mean,
    running_var,
    weight,
    bias,
    training,
    momentum,
    eps,
    *,
    ddof=0,
    update=True,
    running_ddof=1,
    reverse=False,
    eval_batch=False,
    axes=None,
    eps_outside=False,
):
    axes = (0,) + tuple(range(2, x.ndim)) if axes is None else axes
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training or eval_batch:
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, ddof=ddof, keepdims=True)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    if update and (training or eval_batch):
        channel_axes = (0,) + tuple(range(2, x.ndim))
        batch_mean = x.mean(axis=channel_axes)
        batch_var = x.var(axis=channel_axes, ddof=running_ddof)
        new, old = (1 - momentum, momentum) if reverse else (momentum, 1 - momentum)
        running_mean[...] = old * running_mean + new * batch_mean
        running_var[...] = old * running_var + new * batch_var
    y = (x - mean) / ((np.sqrt(var) + eps) if eps_outside else np.sqrt(var + eps))
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


@wrong("batchnorm_forward", "unbiased variance in the normalisation", "unbiased variance (ddof=1)")
def bn_unbiased_normalisation(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, training, momentum, eps, ddof=1)


@wrong("batchnorm_forward", "running statistics not updated", "not updated in place")
def bn_no_update(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, training, momentum, eps, update=False)


@wrong(
    "batchnorm_forward", "running statistics rebound, not updated in place", "not updated in place"
)
def bn_rebinds(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    y = _bn(x, running_mean.copy(), running_var.copy(), weight, bias, training, momentum, eps)
    if training:
        running_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)  # noqa: F841
    return y


@wrong("batchnorm_forward", "running statistics updated in eval mode", "updated in eval mode")
def bn_updates_in_eval(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    y = _bn(x, running_mean.copy(), running_var.copy(), weight, bias, training, momentum, eps)
    axes = (0,) + tuple(range(2, x.ndim))
    running_mean *= 1 - momentum
    running_mean += momentum * x.mean(axis=axes)
    running_var *= 1 - momentum
    running_var += momentum * x.var(axis=axes, ddof=1)
    return y


@wrong("batchnorm_forward", "running variance biased", "running variance is biased")
def bn_biased_running_var(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, training, momentum, eps, running_ddof=0)


@wrong("batchnorm_forward", "momentum the wrong way round", "momentum is the wrong way round")
def bn_momentum_reversed(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, training, momentum, eps, reverse=True)


@wrong("batchnorm_forward", "batch statistics used in eval", "uses the running statistics")
def bn_eval_batch_statistics(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, True, momentum, eps, update=training)


@wrong("batchnorm_forward", "statistics over N only for images", "wrong axes")
def bn_batch_axis_only(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, weight, bias, training, momentum, eps, axes=(0,))


@wrong("batchnorm_forward", "eps outside the square root", "eps belongs inside")
def bn_eps_outside(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(
        x, running_mean, running_var, weight, bias, training, momentum, eps, eps_outside=True
    )


# --- batchnorm_backward ---------------------------------------------------------------


def _bn_backward(
    grad_y,
    x,
    weight,
    bias,
    eps,
    training,
    running_mean,
    running_var,
    *,
    mean_term=True,
    variance_term=True,
    sum_axes=None,
    train_in_eval=False,
    weight_of_x=False,
):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training or train_in_eval:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    sum_axes = axes if sum_axes is None else sum_axes
    grad_bias = grad_y.sum(axis=sum_axes) if bias is not None else None
    grad_weight = None
    if weight is not None:
        grad_weight = (grad_y * (x if weight_of_x else x_hat)).sum(axis=sum_axes)
    g = grad_y if weight is None else grad_y * weight.reshape(shape)
    grad_x = g
    if training or train_in_eval:
        if mean_term:
            grad_x = grad_x - g.mean(axis=axes, keepdims=True)
        if variance_term:
            grad_x = grad_x - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    return grad_x * inv_std, grad_weight, grad_bias


@wrong(
    "batchnorm_backward", "mean and variance terms missing", "missing the mean and variance terms"
)
def bn_backward_no_terms(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y,
        x,
        weight,
        bias,
        eps,
        training,
        running_mean,
        running_var,
        mean_term=False,
        variance_term=False,
    )


@wrong("batchnorm_backward", "variance term missing", "missing the variance term")
def bn_backward_no_variance_term(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, variance_term=False
    )


@wrong("batchnorm_backward", "mean term missing", "missing the mean term")
def bn_backward_no_mean_term(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, mean_term=False
    )


@wrong(
    "batchnorm_backward",
    "gamma/beta gradients not summed over the batch",
    "not summed over the batch",
)
def bn_backward_not_summed(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, sum_axes=()
    )


@wrong(
    "batchnorm_backward",
    "gamma/beta gradients summed over N only for images",
    "not over the positions",
)
def bn_backward_sum_batch_only(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, sum_axes=(0,)
    )


@wrong("batchnorm_backward", "eval treated as training", "in eval mode the mean and variance")
def bn_backward_eval_as_training(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, train_in_eval=True
    )


@wrong("batchnorm_backward", "grad_weight from x instead of x_hat", "x_hat (the normalised input)")
def bn_backward_weight_of_x(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    return _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var, weight_of_x=True
    )


# --- more slips, one or two per exercise ------------------------------------------------


@wrong("rnn_step_backward", "gradient of W transposed", "gradient of W is transposed")
def step_backward_grad_w_transposed(grad_h, x, h_prev, U, W, b):
    h = np.tanh(x @ U + h_prev @ W + b)
    grads = _step_grads(grad_h * (1 - h**2), x, h_prev, U, W)
    grads["W"] = (grad_h * (1 - h**2)).T @ h_prev
    return grads


@wrong("bptt", "tanh derivative at the pre-activation", "pre-activation")
def bptt_pre_activation(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    x, h0, U, W, b, h = (cache[key] for key in ("x", "h0", "U", "W", "b", "h"))
    h_prev = np.concatenate([h0[None], h[:-1]])
    a = x @ U + h_prev @ W + b
    return _bptt_windows(grad_h, cache, lambda t: t - k + 1, slope=1 - a**2)


@wrong("bptt", "h0 gets no gradient", "h0 received no gradient")
def bptt_no_h0(grad_h, cache, truncate=None):
    k = cache["h"].shape[0] if truncate is None else truncate
    grads = _bptt_windows(grad_h, cache, lambda t: t - k + 1)
    grads["h0"] = np.zeros_like(cache["h0"])
    return grads


@wrong("gru_step_forward", "reset gate left out", "reset gate is missing")
def gru_no_reset(x, h_prev, U, W, b_x, b_h):
    H, gx, gh, r, z = _gru_gates(x, h_prev, U, W, b_x, b_h)
    n = np.tanh(gx[:, 2 * H :] + gh[:, 2 * H :])
    return (1 - z) * n + z * h_prev


@wrong("lstm_step_forward", "forget gate left out", "forget gate is missing")
def lstm_no_forget(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = x @ U + h_prev @ W + b
    i, o = _sigmoid(a[:, :H]), _sigmoid(a[:, 3 * H :])
    c = c_prev + i * np.tanh(a[:, 2 * H : 3 * H])
    return o * np.tanh(c), c


@wrong("dropout_forward", "returns the scaled mask", "must hold 1 for kept units")
def dropout_scaled_mask(x, p=0.5, training=True, rng=None):
    if not training:
        return x, np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) >= p) / (1 - p)
    return x * mask, mask


@wrong("clip_grad_norm", "clips each entry by value", "clipping by value")
def clip_norm_by_value(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in _list(grads))))
    for g in _list(grads):
        np.clip(g, -max_norm, max_norm, out=g)
    return total


@wrong("batchnorm_forward", "gamma and beta swapped", "swapped")
def bn_affine_swapped(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(x, running_mean, running_var, bias, weight, training, momentum, eps)


@wrong("batchnorm_forward", "statistics per example (over the features)", "wrong axes")
def bn_per_example(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    return _bn(
        x, running_mean, running_var, weight, bias, training, momentum, eps,
        axes=tuple(range(1, x.ndim)),
    )  # fmt: skip


@wrong("batchnorm_backward", "unbiased variance", "unbiased variance")
def bn_backward_unbiased(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    if not training:
        return _bn_backward(grad_y, x, weight, bias, eps, training, running_mean, running_var)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(x.var(axis=axes, ddof=1, keepdims=True) + eps)  # the slip: ddof=1
    x_hat = (x - mean) * inv_std
    g = grad_y if weight is None else grad_y * weight.reshape(shape)
    grad_x = inv_std * (
        g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    )
    grad_weight = (grad_y * x_hat).sum(axis=axes) if weight is not None else None
    grad_bias = grad_y.sum(axis=axes) if bias is not None else None
    return grad_x, grad_weight, grad_bias


@wrong("batchnorm_backward", "gamma left out of grad_x", "gamma (weight) is missing")
def bn_backward_no_gamma(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    grad_x, grad_weight, grad_bias = _bn_backward(
        grad_y, x, None, None, eps, training, running_mean, running_var
    )
    _, grad_weight, grad_bias = _bn_backward(
        grad_y, x, weight, bias, eps, training, running_mean, running_var
    )
    return grad_x, grad_weight, grad_bias


@wrong("dropout_forward", "inverted scaling applied at test time as well", "rescaled at test time")
def dropout_scaled_twice(x, p=0.5, training=True, rng=None):
    if not training:
        return x / (1 - p), np.ones_like(x)
    mask = (np.random.default_rng(rng).random(x.shape) >= p).astype(float)
    return x * mask / (1 - p), mask
