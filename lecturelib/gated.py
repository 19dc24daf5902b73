"""Gated recurrent cells: the LSTM and the GRU, forward and backward.

Row-vector notation as in ``recurrent.py``: x (T, N, D), states (N, H), and the
weights of all gates side by side in one matrix, in PyTorch's order, so a
step needs one product with U and one with W::

    LSTM  U (D, 4H), W (H, 4H), b (4H,)      blocks i, f, g, o
    GRU   U (D, 3H), W (H, 3H), b_x, b_h (3H,)  blocks r, z, n

LSTM (``c`` is the memory cell, ``h`` what the cell shows the rest of the
network)::

    i = sigmoid(x U_i + h W_i + b_i)     how much new content to write
    f = sigmoid(x U_f + h W_f + b_f)     how much old memory to keep
    g = tanh(x U_g + h W_g + b_g)        the candidate content
    o = sigmoid(x U_o + h W_o + b_o)     how much of the memory to show
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

GRU (no separate memory: the state itself is interpolated)::

    r = sigmoid(x U_r + b_xr + h W_r + b_hr)          reset gate
    z = sigmoid(x U_z + b_xz + h W_z + b_hz)          update gate
    n = tanh(x U_n + b_xn + r * (h W_n + b_hn))       candidate state
    h_t = (1 - z) * n + z * h_{t-1}

PyTorch's ``nn.LSTM`` keeps two biases (b_ih, b_hh) that always appear as a
sum, so ``b = b_ih + b_hh``; ``nn.GRU``'s two biases are not interchangeable
(b_hn sits inside the reset gate), so the GRU keeps both: b_x = b_ih,
b_h = b_hh. U is PyTorch's ``weight_ih`` transposed, W its ``weight_hh``
transposed.

The module opens with the readable references: one step of each cell and
its gradients (:func:`lstm_step`, :func:`lstm_step_backward`,
:func:`gru_step`, :func:`gru_step_backward`), and the loops over time built
from them (``lstm_forward_naive``, ``lstm_backward_naive`` and the GRU's).
Then the functions the package uses, ``lstm_forward``, ``lstm_backward``,
``gru_forward`` and ``gru_backward``: the same numbers (the tests compare
them), with every step's input product done at once, the gate derivatives
of all steps computed together, and no temporary arrays inside the loop.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_int
from .recurrent import (
    _sigmoid_,
    affine_gradients,
    check_cache,
    check_grad_output,
    check_recurrent_arrays,
    check_step_arrays,
)

# --- the readable references: one step, and the loops over time ---------------


def _sigmoid(a):
    """1 / (1 + exp(-a)), a new array (exp overflowing to inf for very negative a gives 0)."""
    out = np.array(a, copy=True)
    _sigmoid_(out)
    return out


def _lstm_gates(x, h_prev, U, W, b):
    """The four gates of an LSTM step, each (N, H): i, f, g, o."""
    H = h_prev.shape[1]
    a = x @ U + h_prev @ W + b  # all four pre-activations side by side, (N, 4H)
    i = _sigmoid(a[:, :H])  # input gate: how much new content to write
    f = _sigmoid(a[:, H : 2 * H])  # forget gate: how much old memory to keep
    g = np.tanh(a[:, 2 * H : 3 * H])  # candidate content
    o = _sigmoid(a[:, 3 * H :])  # output gate: how much of the memory to show
    return i, f, g, o


def lstm_step(x, h_prev, c_prev, U, W, b):
    """One LSTM step, gate blocks in PyTorch's order i, f, g, o.

    x: (N, D), h_prev and c_prev: (N, H), U: (D, 4H), W: (H, 4H), b: (4H,).
    Returns (h, c), both (N, H): ``c = f * c_prev + i * g``, ``h = o * tanh(c)``.

    >>> b = np.array([50.0, -50.0, 0.0, 50.0])  # i and o open, f closed
    >>> h, c = lstm_step(np.ones((1, 1)), np.zeros((1, 1)), np.full((1, 1), 9.0),
    ...                  np.array([[0.0, 0.0, 0.5, 0.0]]), np.zeros((1, 4)), b)
    >>> np.round(c, 4), np.round(h, 4)  # the old 9 is forgotten, tanh(0.5) written
    (array([[0.4621]]), array([[0.4318]]))
    """
    x, h_prev, U, W, biases, states = check_step_arrays(
        x, h_prev, U, W, {"b": b}, gates=4, extra_states=[("c_prev", c_prev)]
    )
    i, f, g, o = _lstm_gates(x, h_prev, U, W, biases["b"])
    c = f * states[0][1] + i * g  # keep part of the old memory, write part of the new
    return o * np.tanh(c), c  # show part of the memory


def lstm_step_backward(grad_h, grad_c, x, h_prev, c_prev, U, W, b):
    """Gradients of one step :func:`lstm_step`.

    grad_h, grad_c: (N, H), dL/dh and dL/dc of this step (grad_c may be
    None for zero); the other arguments as given to lstm_step. Returns a
    dict with "x" (N, D), "h_prev" (N, H), "c_prev" (N, H), "U" (D, 4H),
    "W" (H, 4H) and "b" (4H,). Backwards through the step: h = o * tanh(c)
    sends dL/dh to o and, through tanh, to c; c = f * c_prev + i * g sends
    dL/dc to f, i, g and c_prev (scaled by f only: the memory's path); the
    gate nonlinearities' slopes turn these into the pre-activations'
    gradients, and the products x @ U and h_prev @ W send those back.

    >>> rng = np.random.default_rng(0)
    >>> x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    >>> U, W, b = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), np.zeros(16)
    >>> grads = lstm_step_backward(np.ones((2, 4)), None, x, h, c, U, W, b)
    >>> {name: grads[name].shape for name in sorted(grads)}
    {'U': (3, 16), 'W': (4, 16), 'b': (16,), 'c_prev': (2, 4), 'h_prev': (2, 4), 'x': (2, 3)}
    """
    x, h_prev, U, W, biases, states = check_step_arrays(
        x, h_prev, U, W, {"b": b}, gates=4, extra_states=[("c_prev", c_prev)]
    )
    c_prev = states[0][1]
    grad_h = check_grad_output(grad_h, h_prev, "grad_h")
    grad_c = (
        np.zeros_like(c_prev) if grad_c is None else check_grad_output(grad_c, c_prev, "grad_c")
    )
    i, f, g, o = _lstm_gates(x, h_prev, U, W, biases["b"])  # the step again
    tanh_c = np.tanh(f * c_prev + i * g)
    # h = o * tanh(c)
    grad_o = grad_h * tanh_c
    grad_c = grad_c + grad_h * o * (1 - tanh_c**2)
    # c = f * c_prev + i * g
    grad_f, grad_i, grad_g = grad_c * c_prev, grad_c * g, grad_c * i
    grad_c_prev = grad_c * f
    # through sigmoid (s' = s (1 - s)) and tanh (1 - g^2) to the pre-activations
    grad_a = np.concatenate(
        [grad_i * i * (1 - i), grad_f * f * (1 - f), grad_g * (1 - g**2), grad_o * o * (1 - o)],
        axis=1,
    )
    return {
        "x": grad_a @ U.T,
        "h_prev": grad_a @ W.T,
        "c_prev": grad_c_prev,
        "U": x.T @ grad_a,
        "W": h_prev.T @ grad_a,
        "b": grad_a.sum(axis=0),
    }


def lstm_forward_naive(x, h0, c0, U, W, b):
    """An LSTM over a sequence as the lecture runs it: :func:`lstm_step` once per step.

    x: (T, N, D), h0 and c0: (N, H), U: (D, 4H), W: (H, 4H), b: (4H,).
    Returns ``(h, c, cache)`` with h, c: (T, N, H), like :func:`lstm_forward`;
    cache holds the inputs and h, c for :func:`lstm_backward_naive`.

    >>> rng = np.random.default_rng(0)
    >>> x, h0, c0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    >>> U, W, b = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), np.zeros(16)
    >>> h, c, cache = lstm_forward_naive(x, h0, c0, U, W, b)
    >>> bool(np.allclose(h, lstm_forward(x, h0, c0, U, W, b)[0]))
    True
    """
    x, h0, U, W, biases, states = check_recurrent_arrays(
        x, h0, U, W, {"b": b}, gates=4, extra_states=[("c0", c0)]
    )
    c0 = states[0][1]
    hs, cs = [], []
    h, c = h0, c0
    for t in range(x.shape[0]):
        h, c = lstm_step(x[t], h, c, U, W, biases["b"])
        hs.append(h)
        cs.append(c)
    h, c = np.stack(hs), np.stack(cs)
    cache = {"x": x, "h0": h0, "c0": c0, "U": U, "W": W, "b": biases["b"], "h": h, "c": c}
    return h, c, cache


def lstm_backward_naive(grad_h, cache, grad_c=None):
    """Backpropagation through time for the LSTM, a loop over the steps backwards.

    grad_h: (T, N, H) (and optionally grad_c: (T, N, H)), the gradients from
    every step's own loss; cache: from :func:`lstm_forward_naive` or
    :func:`lstm_forward`. Returns what :func:`lstm_backward` returns: a dict
    with "x", "h0", "c0", "U", "W", "b". At every step, from the last to
    the first, the gradients reaching h_t and c_t are the step's own plus
    what came back from step t + 1; :func:`lstm_step_backward` turns them
    into the step's gradients and those for h_{t-1} and c_{t-1}.

    >>> rng = np.random.default_rng(0)
    >>> x, h0, c0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    >>> U, W, b = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), np.zeros(16)
    >>> h, c, cache = lstm_forward_naive(x, h0, c0, U, W, b)
    >>> grads = lstm_backward_naive(np.ones_like(h), cache)
    >>> _, _, fast_cache = lstm_forward(x, h0, c0, U, W, b)
    >>> bool(np.allclose(grads["W"], lstm_backward(np.ones_like(h), fast_cache)["W"]))
    True
    """
    check_cache(cache, ("x", "h0", "c0", "U", "W", "b", "h", "c"), "lstm_forward")
    x, h0, c0, U, W, b, h, c = (cache[k] for k in ("x", "h0", "c0", "U", "W", "b", "h", "c"))
    grad_h = check_grad_output(grad_h, h, "grad_h")
    grad_c = np.zeros_like(c) if grad_c is None else check_grad_output(grad_c, c, "grad_c")
    h_prev, c_prev = [h0] + list(h[:-1]), [c0] + list(c[:-1])
    grads = {"x": np.zeros_like(x)}
    grads.update(U=np.zeros_like(U), W=np.zeros_like(W), b=np.zeros_like(b))
    future_h, future_c = np.zeros_like(h0), np.zeros_like(c0)  # from step t + 1
    for t in range(x.shape[0] - 1, -1, -1):
        step = lstm_step_backward(
            grad_h[t] + future_h, grad_c[t] + future_c, x[t], h_prev[t], c_prev[t], U, W, b
        )
        grads["x"][t] = step["x"]
        for name in ("U", "W", "b"):
            grads[name] += step[name]
        future_h, future_c = step["h_prev"], step["c_prev"]
    grads.update(h0=future_h, c0=future_c)
    return grads


def _gru_parts(x, h_prev, U, W, b_x, b_h):
    """The parts of a GRU step: (from_h, r, z, n), from_h = h_prev @ W + b_h (N, 3H)."""
    H = h_prev.shape[1]
    from_x = x @ U + b_x  # (N, 3H)
    from_h = h_prev @ W + b_h  # (N, 3H)
    r = _sigmoid(from_x[:, :H] + from_h[:, :H])  # reset gate
    z = _sigmoid(from_x[:, H : 2 * H] + from_h[:, H : 2 * H])  # update gate
    n = np.tanh(from_x[:, 2 * H :] + r * from_h[:, 2 * H :])  # candidate state
    return from_h, r, z, n


def gru_step(x, h_prev, U, W, b_x, b_h):
    """One GRU step, gate blocks in PyTorch's order r, z, n.

    x: (N, D), h_prev: (N, H), U: (D, 3H), W: (H, 3H), b_x and b_h: (3H,).
    Returns h: (N, H), ``h = (1 - z) * n + z * h_prev``.

    >>> b_h = np.array([0.0, 100.0, 0.0])  # update gate z = 1: keep the old state
    >>> gru_step(np.ones((1, 1)), np.full((1, 1), 0.3), np.ones((1, 3)), np.ones((1, 3)),
    ...          np.zeros(3), b_h)
    array([[0.3]])
    """
    x, h_prev, U, W, biases, _ = check_step_arrays(
        x, h_prev, U, W, {"b_x": b_x, "b_h": b_h}, gates=3
    )
    _, _, z, n = _gru_parts(x, h_prev, U, W, biases["b_x"], biases["b_h"])
    return (1 - z) * n + z * h_prev


def gru_step_backward(grad_h, x, h_prev, U, W, b_x, b_h):
    """Gradients of one step :func:`gru_step`, given ``grad_h = dL/dh`` (N, H).

    The other arguments as given to gru_step. Returns a dict with "x"
    (N, D), "h_prev" (N, H), "U" (D, 3H), "W" (H, 3H), "b_x" and "b_h"
    (3H,). Backwards through the step: h = (1 - z) n + z h_prev sends
    dL/dh to n, to z and (scaled by z: the direct path) to h_prev; n's
    pre-activation ``x U_n + b_xn + r * (h_prev W_n + b_hn)`` sends its
    gradient to the input side, to r, and (scaled by r) to the recurrent
    side; the r and z blocks are the same on both sides.

    >>> rng = np.random.default_rng(0)
    >>> x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    >>> U, W = rng.normal(size=(3, 12)), rng.normal(size=(4, 12))
    >>> grads = gru_step_backward(np.ones((2, 4)), x, h, U, W, np.zeros(12), np.zeros(12))
    >>> {name: grads[name].shape for name in sorted(grads)}
    {'U': (3, 12), 'W': (4, 12), 'b_h': (12,), 'b_x': (12,), 'h_prev': (2, 4), 'x': (2, 3)}
    """
    x, h_prev, U, W, biases, _ = check_step_arrays(
        x, h_prev, U, W, {"b_x": b_x, "b_h": b_h}, gates=3
    )
    grad_h = check_grad_output(grad_h, h_prev, "grad_h")
    H = h_prev.shape[1]
    from_h, r, z, n = _gru_parts(x, h_prev, U, W, biases["b_x"], biases["b_h"])  # the step again
    # h = (1 - z) * n + z * h_prev
    grad_n = grad_h * (1 - z)
    grad_z = grad_h * (h_prev - n)
    grad_h_prev = grad_h * z
    # n = tanh(x U_n + b_xn + r * from_h_n)
    grad_a_n = grad_n * (1 - n**2)
    grad_r = grad_a_n * from_h[:, 2 * H :]
    # r, z = sigmoid(...): s' = s (1 - s)
    grad_a_r, grad_a_z = grad_r * r * (1 - r), grad_z * z * (1 - z)
    grad_from_x = np.concatenate([grad_a_r, grad_a_z, grad_a_n], axis=1)
    grad_from_h = np.concatenate([grad_a_r, grad_a_z, grad_a_n * r], axis=1)
    return {
        "x": grad_from_x @ U.T,
        "h_prev": grad_h_prev + grad_from_h @ W.T,
        "U": x.T @ grad_from_x,
        "W": h_prev.T @ grad_from_h,
        "b_x": grad_from_x.sum(axis=0),
        "b_h": grad_from_h.sum(axis=0),
    }


def gru_forward_naive(x, h0, U, W, b_x, b_h):
    """A GRU over a sequence as the lecture runs it: :func:`gru_step` once per step.

    x: (T, N, D), h0: (N, H), U: (D, 3H), W: (H, 3H), b_x, b_h: (3H,).
    Returns ``(h, cache)`` with h: (T, N, H), like :func:`gru_forward`; cache
    holds the inputs and h for :func:`gru_backward_naive`.

    >>> rng = np.random.default_rng(0)
    >>> x, h0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4))
    >>> U, W, b = rng.normal(size=(3, 12)), rng.normal(size=(4, 12)), np.zeros(12)
    >>> h, cache = gru_forward_naive(x, h0, U, W, b, b)
    >>> bool(np.allclose(h, gru_forward(x, h0, U, W, b, b)[0]))
    True
    """
    x, h0, U, W, biases, _ = check_recurrent_arrays(x, h0, U, W, {"b_x": b_x, "b_h": b_h}, gates=3)
    states = []
    h = h0
    for t in range(x.shape[0]):
        h = gru_step(x[t], h, U, W, biases["b_x"], biases["b_h"])
        states.append(h)
    h = np.stack(states)
    cache = {"x": x, "h0": h0, "U": U, "W": W, "h": h, **biases}
    return h, cache


def gru_backward_naive(grad_h, cache):
    """Backpropagation through time for the GRU, a loop over the steps backwards.

    grad_h: (T, N, H), the gradients from every step's own loss; cache: from
    :func:`gru_forward_naive` or :func:`gru_forward`. Returns what
    :func:`gru_backward` returns: a dict with "x", "h0", "U", "W", "b_x",
    "b_h". From the last step to the first, the gradient reaching h_t is the
    step's own plus what came back from step t + 1, and
    :func:`gru_step_backward` turns it into the step's gradients and the
    one for h_{t-1}.

    >>> rng = np.random.default_rng(0)
    >>> x, h0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4))
    >>> U, W, b = rng.normal(size=(3, 12)), rng.normal(size=(4, 12)), np.zeros(12)
    >>> h, cache = gru_forward_naive(x, h0, U, W, b, b)
    >>> grads = gru_backward_naive(np.ones_like(h), cache)
    >>> _, fast_cache = gru_forward(x, h0, U, W, b, b)
    >>> bool(np.allclose(grads["W"], gru_backward(np.ones_like(h), fast_cache)["W"]))
    True
    """
    check_cache(cache, ("x", "h0", "U", "W", "b_x", "b_h", "h"), "gru_forward")
    x, h0, U, W, b_x, b_h, h = (cache[k] for k in ("x", "h0", "U", "W", "b_x", "b_h", "h"))
    grad_h = check_grad_output(grad_h, h, "grad_h")
    h_prev = [h0] + list(h[:-1])
    grads = {"x": np.zeros_like(x), "U": np.zeros_like(U), "W": np.zeros_like(W)}
    grads.update(b_x=np.zeros_like(b_x), b_h=np.zeros_like(b_h))
    from_the_future = np.zeros_like(h0)  # dL/dh_t arriving from step t + 1
    for t in range(x.shape[0] - 1, -1, -1):
        step = gru_step_backward(grad_h[t] + from_the_future, x[t], h_prev[t], U, W, b_x, b_h)
        grads["x"][t] = step["x"]
        for name in ("U", "W", "b_x", "b_h"):
            grads[name] += step[name]
        from_the_future = step["h_prev"]
    grads["h0"] = from_the_future
    return grads


# --- LSTM: the function the package uses ------------------------------------


def lstm_forward(x, h0, c0, U, W, b):
    """Run an LSTM over a batch of sequences.

    x: (T, N, D), h0 and c0: (N, H), U: (D, 4H), W: (H, 4H), b: (4H,), gate
    blocks in the order i, f, g, o. Returns ``(h, c, cache)`` with h and c:
    (T, N, H), the hidden states and cell states of every step.

    ``cache`` is a dict: the inputs "x", "h0", "c0", "U", "W", "b"; the
    outputs "h", "c"; "gates" (T, N, 4H) holding the gate *activations*
    [i, f, g, o] of every step, with views "i", "f", "g", "o" (T, N, H) each
    for plotting; and "tanh_c" (T, N, H).

    One unit whose input gate opens only when the first input feature is 1
    and whose forget gate is held open: it stores tanh(0.5) and ignores the
    later content.

    >>> T, N, D, H = 3, 1, 2, 1
    >>> b = np.array([-50.0, 50.0, 0.0, 50.0])   # i closed, f and o open
    >>> U = np.zeros((D, 4 * H)); U[0, 0] = 100.0; U[1, 2] = 1.0   # x[:, 0] opens i
    >>> x = np.array([[[1.0, 0.5]], [[0.0, 0.9]], [[0.0, -0.9]]])  # write only at step 0
    >>> h, c, cache = lstm_forward(x, np.zeros((N, H)), np.zeros((N, H)), U, np.zeros((H, 4)), b)
    >>> np.round(c[:, 0, 0], 4)
    array([0.4621, 0.4621, 0.4621])
    >>> np.round(cache["i"][:, 0, 0], 4)
    array([1., 0., 0.])
    """
    x, h0, U, W, biases, states = check_recurrent_arrays(
        x, h0, U, W, {"b": b}, gates=4, extra_states=[("c0", c0)]
    )
    b = biases["b"]
    c0 = states[0][1]
    T, N, D = x.shape
    H = W.shape[0]
    dtype = x.dtype

    gates = np.empty((T, N, 4 * H), dtype=dtype)
    np.matmul(x.reshape(T * N, D), U, out=gates.reshape(T * N, 4 * H))  # x[t] U for all t
    gates += b
    h = np.empty((T, N, H), dtype=dtype)
    c = np.empty((T, N, H), dtype=dtype)
    tanh_c = np.empty((T, N, H), dtype=dtype)
    recurrent = np.empty((N, 4 * H), dtype=dtype)
    written = np.empty((N, H), dtype=dtype)
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = gates[t]
        np.matmul(h_prev, W, out=recurrent)
        a += recurrent  # pre-activations of all four gates
        _sigmoid_(a[:, : 2 * H])  # i and f
        np.tanh(a[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])  # g
        _sigmoid_(a[:, 3 * H :])  # o
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, c_prev, out=c[t])  # keep part of the old memory
        np.multiply(i, g, out=written)
        c[t] += written  # and write part of the new content
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t])  # show part of the memory
        h_prev, c_prev = h[t], c[t]

    cache = {"x": x, "h0": h0, "c0": c0, "U": U, "W": W, "b": b}
    cache.update(h=h, c=c, gates=gates, tanh_c=tanh_c)
    cache.update(i=gates[..., :H], f=gates[..., H : 2 * H])
    cache.update(g=gates[..., 2 * H : 3 * H], o=gates[..., 3 * H :])
    return h, c, cache


def lstm_backward(grad_h, cache, grad_c=None):
    """Backpropagation through time for ``lstm_forward``.

    grad_h: (T, N, H), the gradient of the loss with respect to every h[t]
    from that step's own output; grad_c: optional (T, N, H), the same for
    the cell states (for a loss that reads c). cache: from ``lstm_forward``.
    Returns a dict with "x" (T, N, D), "h0" (N, H), "c0" (N, H),
    "U" (D, 4H), "W" (H, 4H) and "b" (4H,).

    The cell state's own path back in time is ``dc_{t-1} += dc_t * f``: no
    weight matrix and no squashing, only the forget gate. That is why the
    gradient can survive many steps when f stays near 1.

    >>> rng = np.random.default_rng(0)
    >>> x, h0, c0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    >>> U, W, b = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), np.zeros(16)
    >>> h, c, cache = lstm_forward(x, h0, c0, U, W, b)
    >>> grads = lstm_backward(np.ones_like(h), cache)
    >>> {name: grads[name].shape for name in sorted(grads)}
    {'U': (3, 16), 'W': (4, 16), 'b': (16,), 'c0': (2, 4), 'h0': (2, 4), 'x': (5, 2, 3)}
    """
    check_cache(cache, ("x", "h0", "c0", "U", "W", "h", "c", "gates", "tanh_c"), "lstm_forward")
    h, c = cache["h"], cache["c"]
    grad_h = check_grad_output(grad_h, h, "grad_h")
    if grad_c is not None:
        grad_c = check_grad_output(grad_c, c, "grad_c")
    T, N, H = h.shape
    W_T = cache["W"].T
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tanh_c = cache["tanh_c"]
    c_prev = np.concatenate([cache["c0"][None], c[:-1]], axis=0)
    # Derivatives of the gate nonlinearities at every step, in the gate layout:
    # sigmoid' = s (1 - s) for i, f, o and tanh' = 1 - g^2 for g.
    squash = cache["gates"] * (1 - cache["gates"])
    squash[..., 2 * H : 3 * H] = 1 - g * g

    grad_a = np.empty((T, N, 4 * H), dtype=h.dtype)  # dL/d(pre-activations), blocks i, f, g, o
    carry_h = np.zeros((N, H), dtype=h.dtype)  # dL/dh[t] from the future
    carry_c = np.zeros((N, H), dtype=h.dtype)  # dL/dc[t] from the future
    total_h = np.empty((N, H), dtype=h.dtype)
    total_c = np.empty((N, H), dtype=h.dtype)
    through_h = np.empty((N, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        grad_i, grad_f = grad_a[t, :, :H], grad_a[t, :, H : 2 * H]
        grad_g, grad_o = grad_a[t, :, 2 * H : 3 * H], grad_a[t, :, 3 * H :]
        np.add(grad_h[t], carry_h, out=total_h)  # dL/dh[t]
        # h = o * tanh(c): to the output gate, and to the cell through tanh
        np.multiply(total_h, tanh_c[t], out=grad_o)
        np.multiply(tanh_c[t], tanh_c[t], out=through_h)
        np.subtract(1, through_h, out=through_h)
        through_h *= o[t]
        through_h *= total_h
        np.add(carry_c, through_h, out=total_c)  # dL/dc[t]: through h[t] and from c[t+1]
        if grad_c is not None:
            total_c += grad_c[t]
        # c = f * c_prev + i * g
        np.multiply(total_c, g[t], out=grad_i)
        np.multiply(total_c, c_prev[t], out=grad_f)
        np.multiply(total_c, i[t], out=grad_g)
        np.multiply(total_c, f[t], out=carry_c)  # the memory's path: only the forget gate
        grad_a[t] *= squash[t]  # through the gate nonlinearities: dL/d(pre-activations)
        np.matmul(grad_a[t], W_T, out=carry_h)  # through the gates' h W: dL/dh[t-1]

    grad_x, grad_U, grad_W = affine_gradients(grad_a, grad_a, cache)
    return {
        "x": grad_x,
        "h0": carry_h,
        "c0": carry_c,
        "U": grad_U,
        "W": grad_W,
        "b": grad_a.reshape(T * N, 4 * H).sum(axis=0),
    }


# --- GRU: the function the package uses -------------------------------------


def gru_forward(x, h0, U, W, b_x, b_h):
    """Run a GRU over a batch of sequences.

    x: (T, N, D), h0: (N, H), U: (D, 3H), W: (H, 3H), b_x and b_h: (3H,),
    gate blocks in the order r, z, n. Returns ``(h, cache)`` with h: (T, N, H).

    ``cache`` is a dict: the inputs "x", "h0", "U", "W", "b_x", "b_h"; "h";
    "gates" (T, N, 3H) holding the activations [r, z, n] of every step, with
    views "r", "z", "n" (T, N, H) each; and "hn" (T, N, H), the value
    ``h[t-1] @ W_n + b_hn`` that the reset gate scales.

    >>> T, N, D, H = 4, 1, 1, 1
    >>> b_h = np.array([0.0, 100.0, 0.0])          # update gate z = 1: keep the old state
    >>> h, cache = gru_forward(np.ones((T, N, D)), np.full((N, H), 0.3),
    ...                        np.ones((D, 3)), np.ones((H, 3)), np.zeros(3), b_h)
    >>> h[:, 0, 0]
    array([0.3, 0.3, 0.3, 0.3])
    >>> cache["z"][:, 0, 0]
    array([1., 1., 1., 1.])
    """
    x, h0, U, W, biases, _ = check_recurrent_arrays(x, h0, U, W, {"b_x": b_x, "b_h": b_h}, gates=3)
    b_x, b_h = biases["b_x"], biases["b_h"]
    T, N, D = x.shape
    H = W.shape[0]
    dtype = x.dtype

    gates = np.empty((T, N, 3 * H), dtype=dtype)
    np.matmul(x.reshape(T * N, D), U, out=gates.reshape(T * N, 3 * H))  # x[t] U for all t
    gates += b_x
    recurrent = np.empty((T, N, 3 * H), dtype=dtype)  # h[t-1] W + b_h, kept for the backward
    h = np.empty((T, N, H), dtype=dtype)
    scaled = np.empty((N, H), dtype=dtype)
    h_prev = h0
    for t in range(T):
        a, hw = gates[t], recurrent[t]
        np.matmul(h_prev, W, out=hw)
        hw += b_h
        a[:, : 2 * H] += hw[:, : 2 * H]
        _sigmoid_(a[:, : 2 * H])  # r and z
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        np.multiply(r, hw[:, 2 * H :], out=scaled)  # the reset gate scales the old state's part
        n += scaled
        np.tanh(n, out=n)
        np.subtract(h_prev, n, out=h[t])
        h[t] *= z
        h[t] += n  # (1 - z) n + z h_prev = n + z (h_prev - n)
        h_prev = h[t]
    hn = recurrent[..., 2 * H :]

    cache = {"x": x, "h0": h0, "U": U, "W": W, "b_x": b_x, "b_h": b_h}
    cache.update(h=h, gates=gates, hn=hn)
    cache.update(r=gates[..., :H], z=gates[..., H : 2 * H], n=gates[..., 2 * H :])
    return h, cache


def gru_backward(grad_h, cache):
    """Backpropagation through time for ``gru_forward``.

    grad_h: (T, N, H), the gradient of the loss with respect to every h[t]
    from that step's own output. cache: from ``gru_forward``. Returns a dict
    with "x" (T, N, D), "h0" (N, H), "U" (D, 3H), "W" (H, 3H), "b_x" (3H,)
    and "b_h" (3H,).

    The state's direct path back in time is ``dh_{t-1} += dh_t * z``: when the
    update gate is near 1 the gradient passes through almost unchanged.

    >>> rng = np.random.default_rng(0)
    >>> x, h0 = rng.normal(size=(5, 2, 3)), np.zeros((2, 4))
    >>> U, W = rng.normal(size=(3, 12)), rng.normal(size=(4, 12))
    >>> h, cache = gru_forward(x, h0, U, W, np.zeros(12), np.zeros(12))
    >>> grads = gru_backward(np.ones_like(h), cache)
    >>> {name: grads[name].shape for name in sorted(grads)}
    {'U': (3, 12), 'W': (4, 12), 'b_h': (12,), 'b_x': (12,), 'h0': (2, 4), 'x': (5, 2, 3)}
    """
    check_cache(cache, ("x", "h0", "U", "W", "h", "gates", "hn"), "gru_forward")
    h = cache["h"]
    grad_h = check_grad_output(grad_h, h, "grad_h")
    T, N, H = h.shape
    W = cache["W"]
    r, z, n, hn = cache["r"], cache["z"], cache["n"], cache["hn"]
    h_prev = np.concatenate([cache["h0"][None], h[:-1]], axis=0)

    # Local derivatives, for every step at once (sigmoid' = s(1 - s), tanh' = 1 - n^2).
    to_n = (1 - z) * (1 - n * n)  # h = (1 - z) n + ...: dh/d(pre-activation of n)
    to_z = (h_prev - n) * z * (1 - z)  # dh/d(pre-activation of z)
    to_r = hn * r * (1 - r)  # d(pre-activation of n)/d(pre-activation of r)

    # Gradients at the pre-activations, split by where they came from:
    # the input side (x U + b_x) and the recurrent side (h W + b_h). They agree
    # on the r and z blocks; the n block of the recurrent side is scaled by r.
    grad_input = np.empty((T, N, 3 * H), dtype=h.dtype)
    grad_recurrent = np.empty((T, N, 3 * H), dtype=h.dtype)
    carry = np.zeros((N, H), dtype=h.dtype)  # dL/dh[t] from the future
    total = np.empty((N, H), dtype=h.dtype)
    W_T = W.T
    for t in range(T - 1, -1, -1):
        np.add(grad_h[t], carry, out=total)  # dL/dh[t]
        grad_n = grad_input[t, :, 2 * H :]
        np.multiply(total, to_n[t], out=grad_n)
        np.multiply(total, to_z[t], out=grad_recurrent[t, :, H : 2 * H])
        np.multiply(grad_n, to_r[t], out=grad_recurrent[t, :, :H])
        np.multiply(grad_n, r[t], out=grad_recurrent[t, :, 2 * H :])
        np.matmul(grad_recurrent[t], W_T, out=carry)  # through the gates' h W
        total *= z[t]
        carry += total  # and the direct path z * h_prev
    grad_input[..., : 2 * H] = grad_recurrent[..., : 2 * H]

    grad_x, grad_U, grad_W = affine_gradients(grad_input, grad_recurrent, cache)
    return {
        "x": grad_x,
        "h0": carry,
        "U": grad_U,
        "W": grad_W,
        "b_x": grad_input.reshape(T * N, 3 * H).sum(axis=0),
        "b_h": grad_recurrent.reshape(T * N, 3 * H).sum(axis=0),
    }


# --- parameter counts -------------------------------------------------------------

_GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def rnn_param_count(kind: str, inputs: int, hidden: int, outputs: int = 0, biases: int = 1) -> int:
    """Number of parameters of a recurrent layer (and optionally its output layer).

    ``kind``: "rnn", "lstm" or "gru", with 1, 4 and 3 weight blocks. Each block
    has an input matrix (inputs x hidden), a recurrent matrix (hidden x hidden)
    and ``biases`` bias vectors: 1 as in the lecture, 2 as PyTorch counts
    them (b_ih and b_hh), 0 to count weights only. ``outputs`` > 0 adds the
    output layer V (hidden x outputs) and, when biases > 0, its bias c.

    >>> rnn_param_count("lstm", 784, 200), rnn_param_count("gru", 784, 200)
    (788000, 591000)
    >>> rnn_param_count("rnn", 14, 7, outputs=2, biases=0)   # the n = 14 quiz
    161
    """
    if not isinstance(kind, str) or kind.lower() not in _GATE_BLOCKS:
        raise ValueError(f"kind must be one of {sorted(_GATE_BLOCKS)}, got {kind!r}")
    blocks = _GATE_BLOCKS[kind.lower()]
    inputs = as_int(inputs, "inputs", 1)
    hidden = as_int(hidden, "hidden", 1)
    outputs = as_int(outputs, "outputs", 0)
    biases = as_int(biases, "biases", 0)
    if biases > 2:
        raise ValueError(f"biases must be 0, 1 or 2 bias vectors per block, got {biases}")
    per_block = inputs * hidden + hidden * hidden + biases * hidden
    output_layer = hidden * outputs + (outputs if biases else 0)
    return blocks * per_block + output_layer


__all__ = [
    "lstm_step",
    "lstm_step_backward",
    "lstm_forward_naive",
    "lstm_backward_naive",
    "gru_step",
    "gru_step_backward",
    "gru_forward_naive",
    "gru_backward_naive",
    "lstm_forward",
    "lstm_backward",
    "gru_forward",
    "gru_backward",
    "rnn_param_count",
]
