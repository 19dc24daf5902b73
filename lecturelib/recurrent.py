"""The vanilla recurrent network: forward pass and backpropagation through time.

The lecture's row-vector notation is used throughout. For a batch of N
sequences of T steps with D input features and H hidden units::

    x   (T, N, D)   inputs, step t is the (N, D) matrix x[t]
    h0  (N, H)      the state before the first step (the lecture's h_{-1})
    U   (D, H)      input-to-hidden weights
    W   (H, H)      hidden-to-hidden weights
    b   (H,)        bias
    h   (T, N, H)   h[t] = tanh(x[t] @ U + h[t-1] @ W + b)

The same U, W and b are used at every step, so the gradient of the loss with
respect to them is a sum over every step at which they were used, and over
every path by which that step reaches the loss: backpropagation through time
(BPTT).

The module opens with the readable references: one step, :func:`rnn_step`
and its gradients :func:`rnn_step_backward`, and the lecture's loops over
time built from them, :func:`rnn_forward_naive` and
:func:`rnn_backward_naive`. Then the functions the package uses:
``rnn_forward`` and ``rnn_backward`` give the same numbers (the tests compare
them) with all steps' input products done at once and no temporary arrays
inside the loop; ``rnn_backward`` also truncates each loss step's paths to
its last k steps. ``rnn_weight_gradient_contributions`` takes the sum apart,
path length by path length, so a notebook can show how much each earlier
step contributes.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, result_dtype

# --- the readable references: one step, and BPTT as a loop over time ----------


def rnn_step(x, h_prev, U, W, b):
    """One step of the vanilla RNN: ``h = tanh(x @ U + h_prev @ W + b)``.

    x: (N, D), the inputs of this step; h_prev: (N, H), the state before it;
    U: (D, H), W: (H, H), b: (H,). Returns h: (N, H).

    >>> one = np.ones((1, 1))
    >>> rnn_step(one, 0 * one, U=one, W=0.5 * one, b=np.zeros(1))  # tanh(1)
    array([[0.76159416]])
    """
    x, h_prev, U, W, biases, _ = check_step_arrays(x, h_prev, U, W, {"b": b})
    return np.tanh(x @ U + h_prev @ W + biases["b"])


def rnn_step_backward(grad_h, x, h_prev, U, W, b):
    """Gradients of one step :func:`rnn_step`, given ``grad_h = dL/dh`` (N, H).

    x, h_prev, U, W, b: as given to rnn_step. Returns a dict with "x" (N, D),
    "h_prev" (N, H), "U" (D, H), "W" (H, H) and "b" (H,). With
    ``a = x @ U + h_prev @ W + b`` and ``h = tanh(a)``:
    ``dL/da = dL/dh * (1 - h^2)``, then each product sends it back to both
    of its factors, and the weights' gradients add up over the batch.

    >>> one = np.ones((1, 1))
    >>> grads = rnn_step_backward(one, one, 0 * one, one, 0.5 * one, np.zeros(1))
    >>> np.round(grads["W"], 4), np.round(grads["h_prev"], 4)  # 1 - tanh(1)^2 = 0.42
    (array([[0.]]), array([[0.21]]))
    """
    x, h_prev, U, W, biases, _ = check_step_arrays(x, h_prev, U, W, {"b": b})
    grad_h = check_grad_output(grad_h, h_prev, "grad_h")
    h = np.tanh(x @ U + h_prev @ W + biases["b"])  # the step's output, again
    grad_a = grad_h * (1 - h**2)  # through tanh: tanh'(a) = 1 - tanh(a)^2
    return {
        "x": grad_a @ U.T,
        "h_prev": grad_a @ W.T,
        "U": x.T @ grad_a,  # the product sums over the batch
        "W": h_prev.T @ grad_a,
        "b": grad_a.sum(axis=0),
    }


def rnn_forward_naive(x, h0, U, W, b):
    """The vanilla RNN as the lecture runs it: :func:`rnn_step` once per time step.

    x: (T, N, D), h0: (N, H), U: (D, H), W: (H, H), b: (H,). Returns
    ``(h, cache)`` like :func:`rnn_forward` (tanh only): h (T, N, H), and
    cache the dict :func:`rnn_backward_naive` and :func:`rnn_backward` read.

    >>> x = np.array([[[1.0]], [[0.0]], [[0.0]]])   # T=3, N=1, D=1: one pulse
    >>> h, cache = rnn_forward_naive(x, np.zeros((1, 1)), U=[[1.0]], W=[[0.5]], b=[0.0])
    >>> np.round(h[:, 0, 0], 4)
    array([0.7616, 0.3634, 0.1797])
    """
    x, h0, U, W, biases, _ = check_recurrent_arrays(x, h0, U, W, {"b": b})
    states = []
    h = h0
    for t in range(x.shape[0]):
        h = rnn_step(x[t], h, U, W, biases["b"])
        states.append(h)
    h = np.stack(states)
    cache = {"x": x, "h0": h0, "U": U, "W": W, "b": biases["b"], "h": h, "activation": "tanh"}
    return h, cache


def rnn_backward_naive(grad_h, cache, truncate=None):
    """Backpropagation through time as the lecture writes it: a loop over the steps.

    grad_h: (T, N, H), dL_t/dh_t from every step's own loss; cache: from
    :func:`rnn_forward_naive` or :func:`rnn_forward` (tanh). Returns what
    :func:`rnn_backward` returns: a dict with "x" (T, N, D), "h0" (N, H),
    "U" (D, H), "W" (H, H) and "b" (H,).

    Full BPTT walks back once, from the last step to the first: the gradient
    reaching h_t is the loss's own term plus what came back from step t + 1;
    :func:`rnn_step_backward` turns it into the step's gradients and into
    the gradient for h_{t-1}. The weights' gradients add up over the steps,
    since every step used the same U, W and b. With ``truncate=k`` each
    loss step t instead walks back over its own last k steps only
    (t, t-1, ..., t-k+1): the definition, with k walks per loss step.

    >>> rng = np.random.default_rng(0)
    >>> x, h0 = rng.normal(size=(4, 2, 3)), np.zeros((2, 5))
    >>> U, W, b = rng.normal(size=(3, 5)), 0.5 * rng.normal(size=(5, 5)), np.zeros(5)
    >>> h, cache = rnn_forward_naive(x, h0, U, W, b)
    >>> grads = rnn_backward_naive(np.ones_like(h), cache)
    >>> bool(np.allclose(grads["W"], rnn_backward(np.ones_like(h), cache)["W"]))
    True
    """
    check_cache(cache, ("x", "h0", "U", "W", "b", "h"), "rnn_forward")
    if cache.get("activation", "tanh") != "tanh":
        raise ValueError("rnn_backward_naive follows the lecture's tanh; use rnn_backward")
    x, h0, U, W, b, h = (cache[key] for key in ("x", "h0", "U", "W", "b", "h"))
    grad_h = check_grad_output(grad_h, h, "grad_h")
    T = h.shape[0]
    k = _truncate(truncate, T)
    h_prev = [h0] + list(h[:-1])  # the state each step started from
    grads = {"x": np.zeros_like(x), "h0": np.zeros_like(h0)}
    grads.update(U=np.zeros_like(U), W=np.zeros_like(W), b=np.zeros_like(b))

    def step_back(t, grad_state):
        """Through step t: add its gradients, return dL/dh_{t-1}."""
        step = rnn_step_backward(grad_state, x[t], h_prev[t], U, W, b)
        grads["x"][t] += step["x"]
        for name in ("U", "W", "b"):
            grads[name] += step[name]
        return step["h_prev"]

    if k == T:  # full BPTT: one sweep back in time
        from_the_future = np.zeros_like(h0)  # dL/dh_t arriving from step t + 1
        for t in range(T - 1, -1, -1):
            from_the_future = step_back(t, grad_h[t] + from_the_future)
        grads["h0"] = from_the_future
    else:  # truncated: the loss at step t reaches back to steps t, ..., t - k + 1
        for t in range(T):
            grad_state = grad_h[t]
            for s in range(t, max(t - k, -1), -1):
                grad_state = step_back(s, grad_state)
            if t - k + 1 <= 0:  # the walk reached step 0, whose input is h0
                grads["h0"] += grad_state
    return grads


# --- activations --------------------------------------------------------------
# Each entry: (apply in place to the pre-activation, derivative written in terms
# of the activation's *output*). Writing f' through the output is what lets the
# backward pass (and the Jacobians in jacobians.py) work from the cached states
# alone: tanh' = 1 - h^2, sigmoid' = h (1 - h), relu' = [h > 0].


def _tanh_(a):
    np.tanh(a, out=a)


def _sigmoid_(a):
    # 1 / (1 + exp(-a)); exp may overflow to inf for a < -709, which gives the
    # correct limit 0, so the overflow warning is silenced rather than avoided.
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


def _relu_(a):
    np.maximum(a, 0, out=a)


def _tanh_derivative(h):
    derivative = h * h
    np.subtract(1.0, derivative, out=derivative)  # 1 - h^2, without a second temporary
    return derivative


def _sigmoid_derivative(h):
    derivative = 1.0 - h
    derivative *= h  # h (1 - h)
    return derivative


def _relu_derivative(h):
    return (h > 0).astype(h.dtype)


ACTIVATIONS = {
    "tanh": (_tanh_, _tanh_derivative),
    "sigmoid": (_sigmoid_, _sigmoid_derivative),
    "relu": (_relu_, _relu_derivative),
}


def _activation(name) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return name


# --- argument checks shared with gated.py -------------------------------------


def check_recurrent_arrays(
    x, h0, U, W, biases, gates: int = 1, extra_states=(), state_name: str = "h0"
):
    """Validate the arrays of a recurrent layer and cast them to one float dtype.

    ``gates`` is the number of H-wide blocks in U, W and each bias (1 for the
    vanilla RNN, 4 for the LSTM, 3 for the GRU). ``biases`` is a dict
    name -> array; ``extra_states`` a sequence of (name, array) shaped like h0
    (the LSTM's c0). Returns (x, h0, U, W, biases, extra_states) as arrays of
    the result dtype. ``state_name`` names h0 in the messages.
    """
    x = as_array(x, "x", ndim=3)
    h0 = as_array(h0, state_name, ndim=2)
    U = as_array(U, "U", ndim=2)
    W = as_array(W, "W", ndim=2)
    biases = {name: as_array(value, name, ndim=1) for name, value in biases.items()}
    extra_states = [(name, as_array(value, name, ndim=2)) for name, value in extra_states]
    T, N, D = x.shape
    if T < 1 or N < 1:
        raise ValueError(f"x must hold at least one step and one sequence, got shape {x.shape}")
    expected = "(H, H)" if gates == 1 else f"(H, {gates}H)"
    width = W.shape[1]
    if width % gates != 0 or W.shape[0] * gates != width:
        raise ValueError(f"W must be {expected}, got shape {W.shape}")
    H = W.shape[0]
    if U.shape != (D, gates * H):
        raise ValueError(
            f"U must be (D, {gates * H}) = ({D}, {gates * H}) to match x with D = {D} "
            f"features and W with H = {H} hidden units, got shape {U.shape}"
        )
    if h0.shape != (N, H):
        raise ValueError(
            f"{state_name} must be (N, H) = ({N}, {H}) to match x with N = {N} sequences and "
            f"W with H = {H} hidden units, got shape {h0.shape}"
        )
    for name, state in extra_states:
        if state.shape != (N, H):
            raise ValueError(f"{name} must be (N, H) = ({N}, {H}) like h0, got shape {state.shape}")
    for name, bias in biases.items():
        if bias.shape != (gates * H,):
            raise ValueError(f"{name} must be ({gates * H},) to match W, got shape {bias.shape}")
    dtype = result_dtype(x, h0, U, W, *biases.values(), *(s for _, s in extra_states))
    return (
        x.astype(dtype, copy=False),
        h0.astype(dtype, copy=False),
        U.astype(dtype, copy=False),
        W.astype(dtype, copy=False),
        {name: bias.astype(dtype, copy=False) for name, bias in biases.items()},
        [(name, s.astype(dtype, copy=False)) for name, s in extra_states],
    )


def check_step_arrays(x, h_prev, U, W, biases, gates: int = 1, extra_states=()):
    """:func:`check_recurrent_arrays` for one step: x (N, D) and h_prev (N, H)."""
    x = as_array(x, "x", ndim=2)
    x, h_prev, U, W, biases, extra_states = check_recurrent_arrays(
        x[None], h_prev, U, W, biases, gates, extra_states, state_name="h_prev"
    )
    return x[0], h_prev, U, W, biases, extra_states


def check_cache(cache, required, producer: str) -> None:
    if not isinstance(cache, dict) or not all(key in cache for key in required):
        raise TypeError(f"cache must be the dict returned by {producer}")


def check_grad_output(grad, cache_array: np.ndarray, name: str) -> np.ndarray:
    grad = as_array(grad, name, ndim=cache_array.ndim)
    if grad.shape != cache_array.shape:
        raise ValueError(
            f"{name} must have the shape of the forward output {cache_array.shape}, "
            f"got {grad.shape}"
        )
    return grad.astype(cache_array.dtype, copy=False)


def _truncate(truncate, T: int) -> int:
    """None or an int >= 1; values >= T (and None) mean full BPTT, returned as T."""
    if truncate is None:
        return T
    return min(as_int(truncate, "truncate", 1), T)


# --- forward ------------------------------------------------------------------


def rnn_forward(x, h0, U, W, b, activation: str = "tanh"):
    """Run a vanilla RNN over a batch of sequences.

    x: (T, N, D), h0: (N, H), U: (D, H), W: (H, H), b: (H,).
    Returns ``(h, cache)`` with h: (T, N, H),
    ``h[t] = tanh(x[t] @ U + h[t-1] @ W + b)`` and ``h[-1]`` read as h0.
    ``activation`` ("tanh", the lecture's, "sigmoid" or "relu") is there for
    the vanishing-gradient experiments. ``cache`` is a dict with the inputs
    ("x", "h0", "U", "W", "b"), the states "h" and the "activation" name;
    ``rnn_backward`` and ``lecturelib.jacobians`` read it.

    >>> x = np.array([[[1.0]], [[0.0]], [[0.0]]])   # T=3, N=1, D=1: one pulse
    >>> h, cache = rnn_forward(x, np.zeros((1, 1)), U=[[1.0]], W=[[0.5]], b=[0.0])
    >>> np.round(h[:, 0, 0], 4)    # the pulse fades: tanh(1), tanh(0.5 tanh(1)), ...
    array([0.7616, 0.3634, 0.1797])
    """
    activation = _activation(activation)
    x, h0, U, W, biases, _ = check_recurrent_arrays(x, h0, U, W, {"b": b})
    b = biases["b"]
    apply_activation, _ = ACTIVATIONS[activation]
    T, N, D = x.shape
    H = W.shape[0]

    h = np.empty((T, N, H), dtype=x.dtype)
    # The input part x[t] @ U + b of every step does not depend on the
    # recurrence, so it is one matrix product for all steps at once.
    np.matmul(x.reshape(T * N, D), U, out=h.reshape(T * N, H))
    h += b
    recurrent = np.empty((N, H), dtype=x.dtype)
    h_prev = h0
    for t in range(T):
        np.matmul(h_prev, W, out=recurrent)  # h[t-1] @ W
        h[t] += recurrent  # the pre-activation a[t]
        apply_activation(h[t])  # h[t] = f(a[t]), in place
        h_prev = h[t]
    cache = {"x": x, "h0": h0, "U": U, "W": W, "b": b, "h": h, "activation": activation}
    return h, cache


def _previous_states(cache) -> np.ndarray:
    """(T, N, H) array whose step t is h[t-1] (h0 at t = 0)."""
    return np.concatenate([cache["h0"][None], cache["h"][:-1]], axis=0)


def affine_gradients(grad_input_side, grad_recurrent_side, cache):
    """Gradients of the step-independent affine maps of a recurrent layer.

    Every step used the same weights in the same way: its pre-activation is
    ``x[t] @ U (+ bias)`` plus ``h[t-1] @ W (+ bias)``. Given the gradients
    with respect to those two parts at every step, (T, N, G) each (G = H for
    the RNN, 4H for the LSTM, 3H for the GRU; the two are the same array
    except in the GRU), each weight's gradient is the sum over steps of its
    local term, the lecture's d+h_k/dW contracted with dL/da_k. Stacking the
    steps turns each sum into a single matrix product.
    Returns (grad_x (T, N, D), grad_U (D, G), grad_W (H, G)).
    """
    x, U, h = cache["x"], cache["U"], cache["h"]
    T, N, D = x.shape
    H = h.shape[2]
    G = grad_input_side.shape[2]
    input_2d = grad_input_side.reshape(T * N, G)
    grad_W = cache["h0"].T @ grad_recurrent_side[0]
    if T > 1:
        previous = h[:-1].reshape((T - 1) * N, H)  # h[t-1] for t = 1..T-1
        grad_W += previous.T @ grad_recurrent_side[1:].reshape((T - 1) * N, G)
    grad_x = (input_2d @ U.T).reshape(T, N, D)
    grad_U = x.reshape(T * N, D).T @ input_2d
    return grad_x, grad_U, grad_W


def rnn_backward(grad_h, cache, truncate=None):
    """Backpropagation through time for ``rnn_forward``.

    grad_h: (T, N, H), the gradient of the loss with respect to every h[t]
    coming from that step's own output (for a loss summed over time,
    dL_t/dh_t). cache: from ``rnn_forward``.
    Returns a dict with "x" (T, N, D), "h0" (N, H), "U" (D, H), "W" (H, H)
    and "b" (H,).

    ``truncate=k`` cuts every path after k steps: the loss at step t sends its
    gradient into h[t], h[t-1], ..., h[t-k+1] and into the inputs and
    parameters those steps used, then stops (h[t-k] is treated as a
    constant). When step 0 is inside the window its input h0 receives the
    gradient, just as x[0] does. ``truncate=1`` keeps only each loss step's
    direct term; ``None`` (or any k >= T) is full BPTT.

    How the lecture's sum over paths is computed. For the loss at step t,

        dL_t/dW = sum_{k<=t} dL_t/dh_t (prod_{j=k+1}^{t} dh_j/dh_{j-1}) d+h_k/dW

    where d+h_k/dW is the direct ("explicit") derivative at step k with
    h[k-1] held fixed. Regroup the double sum over (t, k) by the step k at
    which W is used: everything multiplying d+h_k/dW is
    sum_{t>=k} dL_t/dh_k, the total gradient reaching h[k] from the present
    and the future. The backward sweep builds that total for k = T-1, ..., 0
    with one multiplication by a Jacobian dh_{k+1}/dh_k per step (``carry``
    below), so full BPTT costs O(T) instead of O(T^2).

    >>> rng = np.random.default_rng(0)
    >>> x, h0 = rng.normal(size=(4, 2, 3)), np.zeros((2, 5))
    >>> U, W, b = rng.normal(size=(3, 5)), 0.5 * rng.normal(size=(5, 5)), np.zeros(5)
    >>> h, cache = rnn_forward(x, h0, U, W, b)
    >>> grads = rnn_backward(np.ones_like(h), cache)
    >>> sorted(grads), grads["W"].shape
    (['U', 'W', 'b', 'h0', 'x'], (5, 5))
    >>> direct = rnn_backward(np.ones_like(h), cache, truncate=1)   # no path through W
    >>> bool(np.allclose(direct["h0"], 0)), bool(np.allclose(grads["h0"], 0))
    (False, False)
    """
    check_cache(cache, ("x", "h0", "U", "W", "b", "h", "activation"), "rnn_forward")
    h = cache["h"]
    grad_h = check_grad_output(grad_h, h, "grad_h")
    T, N, H = h.shape
    k = _truncate(truncate, T)
    W = cache["W"]
    derivative = ACTIVATIONS[cache["activation"]][1](h)  # f'(a[t]) for every step, (T, N, H)
    grad_a = np.empty_like(h)  # dL/da[t]: the gradient at each step's pre-activation

    if k == T:
        # Full BPTT, one sweep from the last step to the first.
        carry = np.zeros((N, H), dtype=h.dtype)  # sum_{t > k} dL_t/dh_k: from the future
        for step in range(T - 1, -1, -1):
            np.add(grad_h[step], carry, out=grad_a[step])  # total dL/dh[step]
            grad_a[step] *= derivative[step]  # through f: dL/da[step]
            np.matmul(grad_a[step], W.T, out=carry)  # one Jacobian back: dL/dh[step-1]
        grad_h0 = carry
    else:
        # Truncated BPTT, written as the definition: one short backward walk
        # for each loss step t over its window t, t-1, ..., t-k+1. O(T k).
        grad_a[...] = 0
        grad_h0 = np.zeros((N, H), dtype=h.dtype)
        for t in range(T):
            grad_state = grad_h[t]  # dL_t/dh[t]
            for step in range(t, max(t - k, -1), -1):
                local = grad_state * derivative[step]  # dL_t/da[step]
                grad_a[step] += local
                grad_state = local @ W.T  # dL_t/dh[step-1]
            if t - k + 1 <= 0:  # the window reached step 0, whose input is h0
                grad_h0 += grad_state

    grad_x, grad_U, grad_W = affine_gradients(grad_a, grad_a, cache)
    grad_b = grad_a.reshape(T * N, H).sum(axis=0)
    return {"x": grad_x, "h0": grad_h0, "U": grad_U, "W": grad_W, "b": grad_b}


def rnn_weight_gradient_contributions(grad_h, cache, param: str = "W", matrices: bool = False):
    """How much each earlier step contributes to each loss step's gradient.

    Returns C with ``C[t, k]`` the Frobenius norm of the k-th term of

        dL_t/dW = sum_{k<=t} dL_t/dh_t (prod_{j=k+1}^{t} dh_j/dh_{j-1}) d+h_k/dW,

    the path that reaches W at step k; C: (T, T), zero for k > t (the loss at
    step t does not depend on later steps). ``param`` picks "W", "U" or "b".
    With ``matrices=True`` the terms themselves are returned, shaped
    (T, T) + the parameter's shape. Row t sums (as matrices) to the gradient
    of L_t alone; the sum of all rows is ``rnn_backward``'s gradient. Cost
    O(T^2): meant for the heat map in the BPTT notebook, not for training.

    >>> rng = np.random.default_rng(1)
    >>> x, h0 = rng.normal(size=(4, 1, 2)), np.zeros((1, 3))
    >>> U, W, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), np.zeros(3)
    >>> h, cache = rnn_forward(x, h0, U, W, b)
    >>> terms = rnn_weight_gradient_contributions(np.ones_like(h), cache, matrices=True)
    >>> terms.shape                       # (loss step t, step k, 3, 3)
    (4, 4, 3, 3)
    >>> bool(np.allclose(terms.sum(axis=(0, 1)), rnn_backward(np.ones_like(h), cache)["W"]))
    True
    """
    check_cache(cache, ("x", "h0", "U", "W", "b", "h", "activation"), "rnn_forward")
    if param not in ("W", "U", "b"):
        raise ValueError(f"param must be 'W', 'U' or 'b', got {param!r}")
    h = cache["h"]
    grad_h = check_grad_output(grad_h, h, "grad_h")
    T = h.shape[0]
    W = cache["W"]
    derivative = ACTIVATIONS[cache["activation"]][1](h)
    inputs = {"W": _previous_states(cache), "U": cache["x"]}.get(param)
    shape = cache[param].shape
    terms = np.zeros((T, T) + shape, dtype=h.dtype)
    for t in range(T):
        grad_state = grad_h[t]  # dL_t/dh_t
        for k in range(t, -1, -1):
            local = grad_state * derivative[k]  # dL_t/da_k along the path t -> k
            terms[t, k] = local.sum(axis=0) if param == "b" else inputs[k].T @ local
            grad_state = local @ W.T  # one more Jacobian dh_k/dh_{k-1}
    if matrices:
        return terms
    return np.sqrt(np.sum(terms.reshape(T, T, -1) ** 2, axis=-1))


# --- the output layer y_t = softmax(h_t V + c) -------------------------------


def rnn_output_forward(h, V, c):
    """The output scores (logits) of every step: ``h[t] @ V + c``.

    h: (T, N, H), V: (H, K), c: (K,). Returns logits (T, N, K); the lecture's
    y_t is ``softmax(logits[t])`` (see ``lecturelib.losses.softmax``).

    >>> rnn_output_forward(np.ones((2, 1, 3)), np.ones((3, 2)), np.array([0.0, 1.0]))[:, 0]
    array([[3., 4.],
           [3., 4.]])
    """
    h = as_array(h, "h", ndim=3)
    V = as_array(V, "V", ndim=2)
    c = as_array(c, "c", ndim=1)
    if V.shape[0] != h.shape[2]:
        raise ValueError(
            f"V must be (H, K) with H = {h.shape[2]} rows to match h, got shape {V.shape}"
        )
    if c.shape != (V.shape[1],):
        raise ValueError(f"c must be ({V.shape[1]},) to match V, got shape {c.shape}")
    dtype = result_dtype(h, V, c)
    return (h.astype(dtype, copy=False) @ V.astype(dtype, copy=False)) + c.astype(dtype)


def rnn_output_backward(grad_logits, h, V):
    """Backward of ``rnn_output_forward``.

    grad_logits: (T, N, K), h: (T, N, H), V: (H, K). Returns a dict with
    "h" (T, N, H), "V" (H, K) and "c" (K,). Summed over steps, "V" is the
    lecture's ``dL/dV = sum_t h_t^T (yhat_t - y_t)`` when grad_logits comes
    from the softmax cross-entropy.

    >>> g = rnn_output_backward(np.ones((2, 1, 2)), np.ones((2, 1, 3)), np.ones((3, 2)))
    >>> g["V"], g["c"]
    (array([[2., 2.],
           [2., 2.],
           [2., 2.]]), array([2., 2.]))
    """
    h = as_array(h, "h", ndim=3)
    V = as_array(V, "V", ndim=2)
    grad_logits = as_array(grad_logits, "grad_logits", ndim=3)
    T, N, H = h.shape
    if V.shape[0] != H:
        raise ValueError(f"V must be (H, K) with H = {H} rows to match h, got shape {V.shape}")
    if grad_logits.shape != (T, N, V.shape[1]):
        raise ValueError(
            f"grad_logits must be (T, N, K) = {(T, N, V.shape[1])}, got {grad_logits.shape}"
        )
    dtype = result_dtype(h, V, grad_logits)
    h, V, grad_logits = (a.astype(dtype, copy=False) for a in (h, V, grad_logits))
    K = V.shape[1]
    grad_2d = grad_logits.reshape(T * N, K)
    return {
        "h": grad_logits @ V.T,
        "V": h.reshape(T * N, H).T @ grad_2d,
        "c": grad_2d.sum(axis=0),
    }


__all__ = [
    "rnn_step",
    "rnn_step_backward",
    "rnn_forward_naive",
    "rnn_backward_naive",
    "rnn_forward",
    "rnn_backward",
    "rnn_weight_gradient_contributions",
    "rnn_output_forward",
    "rnn_output_backward",
]
