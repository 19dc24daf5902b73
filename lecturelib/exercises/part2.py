"""Exercises for notebooks 12-18: recurrences, BPTT, clipping, gates, dropout, batch norm.

Each exercise is a function the student writes. ``check(exercise_id, function)``
runs it on the lecture's worked example first, then on seeded random cases
(batch > 1), compares every output with the reference solution below, and,
when the output is wrong, tries the typical wrong implementations one by one:
if one of them explains the student's numbers, the message names that
mistake.

The exercises and the signatures the student writes (the lecture's row-vector
notation: T steps, N sequences or examples, D input features, H hidden units,
C channels)::

    12_sequences_and_rnns
      rnn_step_forward(x, h_prev, U, W, b) -> h
          x (N, D), h_prev (N, H), U (D, H), W (H, H), b (H,) -> h (N, H),
          h = tanh(x U + h_prev W + b)
      rnn_param_count(kind, inputs, hidden, outputs=0, biases=1) -> int
          as lecturelib.rnn_param_count ("rnn", "lstm" or "gru")
    13_backprop_through_time
      rnn_step_backward(grad_h, x, h_prev, U, W, b)
          -> dict "x" (N, D), "h_prev" (N, H), "U" (D, H), "W" (H, H), "b" (H,)
          grad_h (N, H) is dL/dh of the step's output h = tanh(x U + h_prev W + b)
      bptt(grad_h, cache, truncate=None) -> dict "x", "h0", "U", "W", "b"
          as lecturelib.rnn_backward: grad_h (T, N, H); cache is the dict
          rnn_forward returns, with "x" (T, N, D), "h0" (N, H), "U", "W", "b",
          "h" (T, N, H) (the states) and "activation" ("tanh");
          truncate=k: the loss at step t reaches h_t, ..., h_{t-k+1} only
    14_vanishing_exploding
      jacobian_product_norm(h, W, k, t) -> float
          h (T, H): the states of one tanh sequence, W (H, H); the spectral
          norm of dh_t/dh_k = prod_{j=t..k+1} diag(1 - h_j^2) W^T (1 if t == k)
      sigmoid_gradient_bound(W, steps) -> float
          the lecture's bound (gamma ||W||_2)^steps with gamma = 1/4
    15_gradient_clipping
      clip_grad_norm(grads, max_norm) -> total_norm     as lecturelib
      clip_grad_value(grads, clip_value) -> None         as lecturelib
          grads: a list or dict of arrays, changed IN PLACE
    16_lstm_gru
      lstm_step_forward(x, h_prev, c_prev, U, W, b) -> (h, c)
          U (D, 4H), W (H, 4H), b (4H,), gate blocks i, f, g, o
      gru_step_forward(x, h_prev, U, W, b_x, b_h) -> h
          U (D, 3H), W (H, 3H), b_x, b_h (3H,), gate blocks r, z, n
    17_dropout
      dropout_forward(x, p=0.5, training=True, rng=None) -> (y, mask)
          as lecturelib.dropout: p drops, inverted scaling 1 / (1 - p)
      dropout_backward(grad_y, mask, p=0.5) -> grad_x   as lecturelib
    18_batch_norm
      batchnorm_forward(x, running_mean, running_var, weight=None, bias=None,
                        training=False, momentum=0.1, eps=1e-5) -> y
          as lecturelib.batch_norm (running statistics updated in place)
      batchnorm_backward(grad_y, x, weight=None, bias=None, eps=1e-5,
                         training=True, running_mean=None, running_var=None)
          -> (grad_x, grad_weight, grad_bias)       as lecturelib

The library's own function is a valid answer for every core exercise. Where
the signatures match (bptt, the clipping, dropout and batch-norm exercises)
it is checked as it is. The step exercises take one step where the library
runs a whole sequence, so the checker recognises ``lecturelib.rnn_forward``
(for rnn_step_forward), ``lecturelib.rnn_backward`` (rnn_step_backward),
``lecturelib.lstm_forward`` (lstm_step_forward) and ``lecturelib.gru_forward``
(gru_step_forward) and runs them on a one-step sequence.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..gated import gru_forward, lstm_forward
from ..jacobians import orthogonal_init, simulate_rnn
from ..rnn import rnn_backward, rnn_forward
from ._core import Mistake, call_student, call_student_in_place, compare, register

# --- helpers shared by the checkers ---------------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _accept_library(student, library_function, adapter):
    """The adapter when ``student`` is the library's whole-sequence function."""
    return adapter if student is library_function else student


def _check_output(got, expected, what, case, candidates=(), *, shape_hints=None, **tolerance):
    """``compare`` with the candidates, after the mistakes that show in a shape.

    ``shape_hints`` maps a key of a dict result (or an index of a tuple
    result) to {wrong shape: message}, for mistakes such as a gradient not
    summed over the batch.
    """
    for key, hints in (shape_hints or {}).items():
        try:
            part, reference = got[key], expected[key]
        except (KeyError, IndexError, TypeError):
            continue
        shape = np.shape(part) if part is not None else None
        if shape != np.shape(reference) and shape in hints:
            raise Mistake(hints[shape])
    compare(got, expected, what, case, diagnoses=candidates, **tolerance)


def _gaussian(rng, *shape, scale=1.0):
    return scale * rng.normal(size=shape)


# --- 12: one step of the vanilla RNN --------------------------------------------


def rnn_step_forward(x, h_prev, U, W, b):
    """One step of the vanilla RNN: h = tanh(x U + h_prev W + b).

    x: (N, D), h_prev: (N, H), U: (D, H), W: (H, H), b: (H,). Returns (N, H).

    >>> float(rnn_step_forward(np.ones((1, 1)), np.zeros((1, 1)), [[1.0]], [[0.5]], [0.0])[0, 0])
    0.7615941559557649
    """
    return np.tanh(x @ np.asarray(U) + h_prev @ np.asarray(W) + np.asarray(b))


def _rnn_step_via_library(x, h_prev, U, W, b):
    h, _ = rnn_forward(x[None], h_prev, U, W, b)
    return h[0]


def _rnn_step_cases():
    x1, h1 = np.array([[1.0]]), np.array([[0.0]])
    one_unit = {"U": np.array([[1.0]]), "W": np.array([[0.5]]), "b": np.array([0.0])}
    yield "the pulse example of notebook 12, step 0 (x = 1, h_prev = 0, U = 1, W = 0.5)", (
        x1,
        h1,
        *one_unit.values(),
    )
    yield "the pulse example, step 1 (x = 0, h_prev = tanh(1))", (
        np.array([[0.0]]),
        np.tanh(x1),
        *one_unit.values(),
    )
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 3, 3), (4, 2, 6)]):
        rng = np.random.default_rng(100 + seed)
        yield f"random case {seed + 1} (N={N}, D={D}, H={H})", (
            _gaussian(rng, N, D),
            _gaussian(rng, N, H, scale=0.8),
            _gaussian(rng, D, H, scale=0.7),
            _gaussian(rng, H, H, scale=0.7),
            _gaussian(rng, H, scale=0.3),
        )


def _rnn_step_forward_mistakes(x, h_prev, U, W, b):
    a = x @ U + h_prev @ W + b
    return [
        (
            "the recurrent term is missing: h_t = tanh(x_t U + h_{t-1} W + b) also needs "
            "h_prev @ W, the path by which the past reaches the present",
            np.tanh(x @ U + b),
        ),
        (
            "W is transposed: in the lecture's row-vector notation the recurrent term is "
            "h_prev @ W (h_{t-1} W), not h_prev @ W.T",
            np.tanh(x @ U + h_prev @ W.T + b),
        ),
        ("the tanh is missing: h_t = tanh(x_t U + h_{t-1} W + b), not the bare sum", a),
        ("you used the logistic sigmoid; the lecture's vanilla RNN squashes with tanh", _sigmoid(a)),
        ("the bias b is missing: h_t = tanh(x_t U + h_{t-1} W + b)", np.tanh(a - b)),
    ]


@register(
    "rnn_step_forward",
    "12_sequences_and_rnns",
    "One step of a vanilla RNN",
    rnn_step_forward,
)
def _check_rnn_step_forward(student):
    student = _accept_library(student, rnn_forward, _rnn_step_via_library)
    for case, args in _rnn_step_cases():
        got = call_student(student, *args)
        with np.errstate(all="ignore"):
            mistakes = _rnn_step_forward_mistakes(*args)
        _check_output(got, rnn_step_forward(*args), "h", case, mistakes)


# --- 12: parameters of a recurrent layer ---------------------------------------

_GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def rnn_param_count(kind, inputs, hidden, outputs=0, biases=1):
    """Parameters of a recurrent layer ("rnn", "lstm", "gru") and its output layer.

    Each of the 1, 4 or 3 gate blocks has U (inputs x hidden), W (hidden x
    hidden) and ``biases`` bias vectors of ``hidden`` values (1 as in the
    lecture, 2 as PyTorch, 0 for weights only). ``outputs`` > 0 adds V
    (hidden x outputs) and, when biases > 0, its bias c (outputs values).

    >>> rnn_param_count("lstm", 784, 200)
    788000
    """
    blocks = _GATE_BLOCKS[kind]
    per_block = inputs * hidden + hidden * hidden + biases * hidden
    output_layer = hidden * outputs + (outputs if biases > 0 else 0)
    return blocks * per_block + output_layer


def _rnn_param_count_mistakes(kind, inputs, hidden, outputs, biases):
    blocks = _GATE_BLOCKS[kind]
    U, W, V = inputs * hidden, hidden * hidden, hidden * outputs
    c = outputs if biases > 0 else 0
    right = rnn_param_count(kind, inputs, hidden, outputs, biases)
    swapped = {"lstm": 3, "gru": 4, "rnn": 1}[kind]
    return [
        (
            "the recurrent matrix W (hidden x hidden) is missing from your count: every "
            "block has U, W and its biases",
            right - blocks * W,
        ),
        (
            f"a {kind.upper()} has {blocks} weight block(s) (LSTM: i, f, g, o; GRU: r, z, n); "
            f"you counted {swapped}",
            swapped * (U + W + biases * hidden) + V + c,
        ),
        (
            "the biases are counted once per layer, not once per block: each of the "
            f"{blocks} blocks has its own bias vector(s)",
            U * blocks + W * blocks + biases * hidden + V + c,
        ),
        (
            "biases=2 means two bias vectors per block (PyTorch's b_ih and b_hh); you "
            "counted one",
            blocks * (U + W + hidden) + V + c,
        ),
        (
            "the output bias c was counted although biases=0 (weights only)",
            right + outputs,
        ),
        ("the output bias c (one per output) is missing", right - c),
        (
            "the output layer V belongs to the network once, not to every gate block",
            blocks * (U + W + biases * hidden + V + c),
        ),
        ("the output layer V (hidden x outputs) is missing from your count", right - V - c),
    ]


@register(
    "rnn_param_count",
    "12_sequences_and_rnns",
    "Counting the parameters of a recurrent layer",
    rnn_param_count,
)
def _check_rnn_param_count(student):
    cases = [
        ("the lecture's video example (784 inputs, 200 units, 2 classes, weights only)",
         ("rnn", 784, 200, 2, 0)),
        ("the lecture's quiz (n = 14 inputs, 7 units, 2 outputs, weights only)",
         ("rnn", 14, 7, 2, 0)),
        ("the lecture's LSTM (784 inputs, 200 units)", ("lstm", 784, 200, 0, 1)),
        ("the lecture's GRU (784 inputs, 200 units)", ("gru", 784, 200, 0, 1)),
        ("an RNN with an output layer and biases", ("rnn", 5, 3, 4, 1)),
        ("an LSTM counted as PyTorch does (two biases per block)", ("lstm", 10, 20, 0, 2)),
        ("a GRU with two biases and 6 outputs", ("gru", 3, 4, 6, 2)),
    ]
    for case, (kind, inputs, hidden, outputs, biases) in cases:
        got = call_student(student, kind, inputs, hidden, outputs=outputs, biases=biases)
        expected = rnn_param_count(kind, inputs, hidden, outputs, biases)
        mistakes = _rnn_param_count_mistakes(kind, inputs, hidden, outputs, biases)
        compare(got, expected, "the parameter count", case, diagnoses=mistakes)


# --- 13: the backward pass of one step -----------------------------------------


def rnn_step_backward(grad_h, x, h_prev, U, W, b):
    """Gradients of one RNN step h = tanh(x U + h_prev W + b).

    grad_h: (N, H), dL/dh. x: (N, D), h_prev: (N, H), U: (D, H), W: (H, H),
    b: (H,). Returns a dict with "x" (N, D), "h_prev" (N, H), "U" (D, H),
    "W" (H, H) and "b" (H,).
    """
    h = np.tanh(x @ U + h_prev @ W + b)
    grad_a = grad_h * (1 - h**2)  # through tanh: tanh'(a) = 1 - tanh(a)^2 = 1 - h^2
    return {
        "x": grad_a @ U.T,
        "h_prev": grad_a @ W.T,
        "U": x.T @ grad_a,  # summed over the batch by the product
        "W": h_prev.T @ grad_a,
        "b": grad_a.sum(axis=0),
    }


def _rnn_step_backward_via_library(grad_h, x, h_prev, U, W, b):
    _, cache = rnn_forward(x[None], h_prev, U, W, b)
    grads = rnn_backward(grad_h[None], cache)
    return {
        "x": grads["x"][0],
        "h_prev": grads["h0"],
        "U": grads["U"],
        "W": grads["W"],
        "b": grads["b"],
    }


def _rnn_step_gradients(grad_a, x, h_prev, U, W, transpose_W=True, transpose_grad_W=False):
    return {
        "x": grad_a @ U.T,
        "h_prev": grad_a @ (W.T if transpose_W else W),
        "U": x.T @ grad_a,
        "W": grad_a.T @ h_prev if transpose_grad_W else h_prev.T @ grad_a,
        "b": grad_a.sum(axis=0),
    }


def _rnn_step_backward_mistakes(grad_h, x, h_prev, U, W, b):
    a = x @ U + h_prev @ W + b
    h = np.tanh(a)
    right = grad_h * (1 - h**2)
    return [
        (
            "the tanh derivative is wrong: tanh'(a) = 1 - h^2 (the square of the output), "
            "you used 1 - h",
            _rnn_step_gradients(grad_h * (1 - h), x, h_prev, U, W),
        ),
        (
            "the tanh derivative was taken at the wrong value: tanh'(a) = 1 - tanh(a)^2 = "
            "1 - h^2, you used 1 - a^2 with the pre-activation a",
            _rnn_step_gradients(grad_h * (1 - a**2), x, h_prev, U, W),
        ),
        (
            "the gradient skipped the tanh: multiply grad_h by tanh'(a) = 1 - h^2 before "
            "the matrix products",
            _rnn_step_gradients(grad_h, x, h_prev, U, W),
        ),
        (
            "the gradient to h_prev must go back through W transposed: "
            "dL/dh_prev = dL/da @ W.T",
            _rnn_step_gradients(right, x, h_prev, U, W, transpose_W=False),
        ),
        (
            "the gradient of W is transposed: dL/dW = h_prev.T @ dL/da (shape H x H, "
            "row = the unit it comes from)",
            _rnn_step_gradients(right, x, h_prev, U, W, transpose_grad_W=True),
        ),
    ]


def _batch_sum_hint(key, N, shape, name):
    return {
        key: {
            (N, *shape): f"the gradient of {name} was not summed over the batch: {name} is "
            f"shared by all {N} examples, so its gradient adds up every example's part "
            f"(expected shape {shape}, got {(N, *shape)})"
        }
    }


@register(
    "rnn_step_backward",
    "13_backprop_through_time",
    "The backward pass of one RNN step",
    rnn_step_backward,
)
def _check_rnn_step_backward(student):
    student = _accept_library(student, rnn_backward, _rnn_step_backward_via_library)
    cases = [
        (
            "a one-unit example (x = 1, h_prev = 0.5, U = 1, W = 0.5, b = 0, dL/dh = 1)",
            (np.array([[1.0]]), np.array([[1.0]]), np.array([[0.5]]), np.array([[1.0]]),
             np.array([[0.5]]), np.array([0.0])),
        )
    ]
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 2, 3), (5, 3, 4)]):
        rng = np.random.default_rng(200 + seed)
        args = (
            _gaussian(rng, N, H),
            _gaussian(rng, N, D),
            _gaussian(rng, N, H, scale=0.8),
            _gaussian(rng, D, H, scale=0.7),
            _gaussian(rng, H, H, scale=0.7),
            _gaussian(rng, H, scale=0.3),
        )
        cases.append((f"random case {seed + 1} (N={N}, D={D}, H={H})", args))
    for case, args in cases:
        got = call_student(student, *args)
        N, H = args[0].shape
        with np.errstate(all="ignore"):
            mistakes = _rnn_step_backward_mistakes(*args)
        hints = _batch_sum_hint("b", N, (H,), "b")
        _check_output(got, rnn_step_backward(*args), "the gradients", case, mistakes,
                      shape_hints=hints)


# --- 13: backpropagation through time ------------------------------------------


def bptt(grad_h, cache, truncate=None):
    """Backpropagation through time for h_t = tanh(x_t U + h_{t-1} W + b).

    grad_h: (T, N, H), dL_t/dh_t from each step's own loss. cache: a dict with
    "x" (T, N, D), "h0" (N, H), "U" (D, H), "W" (H, H), "b" (H,) and the
    states "h" (T, N, H). truncate=k: the loss at step t sends its gradient
    into h_t, h_{t-1}, ..., h_{t-k+1} (and what those steps used), then stops;
    None means full BPTT. Returns a dict "x", "h0", "U", "W", "b".

    Written as the definition, one backward walk per loss step (O(T^2)).
    """
    x, h0, U, W, h = cache["x"], cache["h0"], cache["U"], cache["W"], cache["h"]
    T = h.shape[0]
    k = T if truncate is None else min(truncate, T)
    grad_a = np.zeros_like(h)  # dL/da_s, the gradient at each step's pre-activation
    grad_h0 = np.zeros_like(h0)
    for t in range(T):  # the loss at step t ...
        grad_state = grad_h[t]
        for s in range(t, max(t - k, -1), -1):  # ... reaches steps t, t-1, ..., t-k+1
            grad_a[s] += grad_state * (1 - h[s] ** 2)  # through tanh
            grad_state = (grad_state * (1 - h[s] ** 2)) @ W.T  # back to h_{s-1}
        if t - k + 1 <= 0:  # the window reached step 0, whose input is h0
            grad_h0 += grad_state
    h_prev = np.concatenate([h0[None], h[:-1]])  # h_prev[s] = h_{s-1}
    return {
        "x": grad_a @ U.T,
        "h0": grad_h0,
        "U": sum(x[s].T @ grad_a[s] for s in range(T)),  # U was used at every step
        "W": sum(h_prev[s].T @ grad_a[s] for s in range(T)),
        "b": grad_a.sum(axis=(0, 1)),
    }


def _bptt_variant(grad_h, cache, reach, slope="h2", through_WT=True, weights_from=None):
    """A wrong BPTT: ``reach(t)`` steps per loss step (h0 when the walk passes step 0),
    the tanh slope "h2" (right), "h" (1 - h) or "a" (1 - a^2), and weight gradients
    from one step only when ``weights_from`` is a step index."""
    x, h0, U, W, b, h = (cache[key] for key in ("x", "h0", "U", "W", "b", "h"))
    T = h.shape[0]
    h_prev = np.concatenate([h0[None], h[:-1]])
    if slope == "h2":
        derivative = 1 - h**2
    elif slope == "h":
        derivative = 1 - h
    else:
        derivative = 1 - (x @ U + h_prev @ W + b) ** 2
    grad_a = np.zeros_like(h)
    grad_h0 = np.zeros_like(h0)
    for t in range(T):
        grad_state = grad_h[t]
        steps = reach(t)
        for s in range(t, t - steps, -1):
            local = grad_state * derivative[s]
            grad_a[s] += local
            grad_state = local @ (W.T if through_WT else W)
        if t - steps + 1 <= 0:
            grad_h0 += grad_state
    used = range(T) if weights_from is None else [weights_from]
    return {
        "x": grad_a @ U.T,
        "h0": grad_h0,
        "U": sum(x[s].T @ grad_a[s] for s in used),
        "W": sum(h_prev[s].T @ grad_a[s] for s in used),
        "b": sum(grad_a[s].sum(axis=0) for s in used),
    }


def _bptt_mistakes(grad_h, cache, truncate):
    T = cache["h"].shape[0]
    k = T if truncate is None else min(truncate, T)

    def window(size):
        return lambda t: min(size, t + 1)

    mistakes = [
        (
            "BPTT is missing the path through h_{t-1}: each loss only reached its own "
            "step. The state h_{t-1} feeds h_t, so dL/dh_{t-1} also receives "
            "dL/da_t @ W.T, the gradient coming back from the future",
            _bptt_variant(grad_h, cache, window(1)),
        ),
    ]
    if k < T:
        mistakes += [
            (
                f"truncate={truncate} was ignored: you computed full BPTT. With truncate=k "
                "the loss at step t reaches only h_t, ..., h_{t-k+1}",
                _bptt_variant(grad_h, cache, window(T)),
            ),
            (
                "truncated at the wrong step (off by one): with truncate=k the loss at step "
                "t reaches k states, h_t, ..., h_{t-k+1}; yours reaches k + 1 (down to h_{t-k})",
                _bptt_variant(grad_h, cache, window(k + 1)),
            ),
            (
                "truncated in fixed blocks: you cut the sequence into chunks of k steps "
                "(detaching the state every k steps), but truncate=k here means that the "
                "loss at EVERY step t reaches its own last k states, h_t, ..., h_{t-k+1}",
                _bptt_variant(grad_h, cache, lambda t: t % k + 1),
            ),
        ]
        if k >= 2:
            mistakes.append(
                (
                    "truncated at the wrong step (off by one): with truncate=k the loss at "
                    "step t reaches k states, h_t, ..., h_{t-k+1}; yours reaches only k - 1",
                    _bptt_variant(grad_h, cache, window(k - 1)),
                )
            )
    full = window(k)
    mistakes += [
        (
            "the tanh derivative is wrong: tanh'(a) = 1 - h^2 (the square of the state), "
            "you used 1 - h",
            _bptt_variant(grad_h, cache, full, slope="h"),
        ),
        (
            "the tanh derivative was taken at the wrong value: tanh'(a_t) = 1 - h_t^2, you "
            "used 1 - a_t^2 with the pre-activation a_t",
            _bptt_variant(grad_h, cache, full, slope="a"),
        ),
        (
            "the gradient going back to h_{t-1} must be multiplied by W transposed "
            "(dL/da_t @ W.T), not by W",
            _bptt_variant(grad_h, cache, full, through_WT=False),
        ),
        (
            "the weight gradients were not summed over time: U, W and b are used at every "
            "step, so their gradients add the terms of ALL steps (use +=, not =); yours "
            "keep one step's term",
            _bptt_variant(grad_h, cache, full, weights_from=0),
        ),
        (
            "the weight gradients were not summed over time: U, W and b are used at every "
            "step, so their gradients add the terms of ALL steps (use +=, not =); yours "
            "keep one step's term",
            _bptt_variant(grad_h, cache, full, weights_from=T - 1),
        ),
    ]
    only_last = np.zeros_like(grad_h)
    only_last[-1] = grad_h[-1]
    if not np.array_equal(only_last, grad_h):
        mistakes.append(
            (
                "each step's own loss is missing: at step t the gradient reaching h_t is "
                "grad_h[t] (its own loss) PLUS what comes back from step t+1; you used only "
                "the loss of the last step",
                _bptt_variant(only_last, cache, full),
            )
        )
    right = bptt(grad_h, cache, truncate)
    mistakes.append(
        (
            "h0 received no gradient: the first step used h0 (as h_{-1}) just like x_0, so "
            "dL/dh0 = dL/da_0 @ W.T from every loss whose window reaches step 0",
            {**right, "h0": np.zeros_like(right["h0"])},
        )
    )
    return mistakes


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _bptt_cases():
    # Notebook 13's worked example: T = 4 steps, the loss L_4 at the last step only.
    rng = np.random.default_rng(3)
    T, D, H, K = 4, 2, 3, 3
    x = rng.normal(size=(T, 1, D))
    h0 = rng.normal(scale=0.5, size=(1, H))
    U, W = rng.normal(size=(D, H)), rng.normal(scale=0.7, size=(H, H))
    b, V = rng.normal(scale=0.1, size=H), rng.normal(size=(H, K))
    _, cache = rnn_forward(x, h0, U, W, b)
    grad_h = np.zeros((T, 1, H))
    probabilities = _softmax(cache["h"][3] @ V)
    grad_h[3] = (probabilities - np.eye(K)[[2]]) @ V.T  # dL_4/dh_4 for the true class 2
    yield "the lecture's L_4 example (notebook 13: T = 4, loss at the last step only)", (
        grad_h,
        cache,
        None,
    )
    settings = [(5, 3, 2, 4, None), (6, 2, 3, 3, 1), (6, 3, 2, 4, 2), (7, 2, 3, 3, 3),
                (5, 2, 2, 3, 9)]
    for seed, (T, N, D, H, truncate) in enumerate(settings):
        rng = np.random.default_rng(300 + seed)
        _, cache = rnn_forward(
            rng.normal(size=(T, N, D)),
            rng.normal(scale=0.5, size=(N, H)),
            rng.normal(scale=0.8, size=(D, H)),
            rng.normal(scale=0.8, size=(H, H)),
            rng.normal(scale=0.2, size=H),
        )
        yield (
            f"random case {seed + 1} (T={T}, N={N}, D={D}, H={H}, truncate={truncate})",
            (rng.normal(size=(T, N, H)), cache, truncate),
        )


@register(
    "bptt",
    "13_backprop_through_time",
    "Backpropagation through time, full and truncated",
    bptt,
)
def _check_bptt(student):
    for case, (grad_h, cache, truncate) in _bptt_cases():
        if truncate is None:
            got = call_student(student, grad_h, cache)
        else:
            got = call_student(student, grad_h, cache, truncate=truncate)
        T, N, H = grad_h.shape
        with np.errstate(all="ignore"):
            mistakes = _bptt_mistakes(grad_h, cache, truncate)
        hints = _batch_sum_hint("b", N, (H,), "b")
        hints["b"][(T, N, H)] = (
            "the gradient of b was not summed over time and batch: b is used by every step "
            f"and every example, so dL/db adds all T x N terms (expected shape ({H},))"
        )
        hints["b"][(T, H)] = (
            "the gradient of b was not summed over time: b is used at every step, so dL/db "
            f"adds the terms of all T steps (expected shape ({H},))"
        )
        _check_output(got, bptt(grad_h, cache, truncate), "the gradients", case, mistakes,
                      shape_hints=hints)


# --- 14: Jacobian products and the lecture's bound ------------------------------


def jacobian_product_norm(h, W, k, t):
    """Spectral norm of dh_t/dh_k for a tanh RNN (numerator layout).

    h: (T, H), the states h_0 ... h_{T-1} of one sequence; W: (H, H).
    dh_j/dh_{j-1} = diag(1 - h_j^2) W^T, and dh_t/dh_k is the product of
    those factors for j = t, t-1, ..., k+1 (the identity when t == k).

    >>> float(jacobian_product_norm(np.zeros((3, 2)), 0.5 * np.eye(2), 0, 2))
    0.25
    """
    product = np.eye(W.shape[0])
    for j in range(k + 1, t + 1):
        step = np.diag(1 - h[j] ** 2) @ W.T  # dh_j/dh_{j-1}
        product = step @ product  # the newest factor on the left
    return float(np.linalg.norm(product, 2))


def _jacobian_variant(h, W, first, last, slope="h2", transpose=True, right_to_left=True):
    product = np.eye(W.shape[0])
    for j in range(first, last + 1):
        derivative = {"h2": 1 - h[j] ** 2, "h": 1 - h[j], "none": np.ones_like(h[j])}[slope]
        step = np.diag(derivative) @ (W.T if transpose else W)
        product = step @ product if right_to_left else product @ step
    return product


def _jacobian_mistakes(h, W, k, t):
    spectral = lambda m: float(np.linalg.norm(m, 2))  # noqa: E731
    factors = [np.diag(1 - h[j] ** 2) @ W.T for j in range(k + 1, t + 1)]
    return [
        (
            "the tanh slope is missing: each factor is dh_j/dh_{j-1} = diag(1 - h_j^2) W^T, "
            "not W^T alone",
            spectral(_jacobian_variant(h, W, k + 1, t, slope="none")),
        ),
        (
            "the tanh derivative is wrong: tanh'(a_j) = 1 - h_j^2, you used 1 - h_j",
            spectral(_jacobian_variant(h, W, k + 1, t, slope="h")),
        ),
        (
            "W is not transposed: in the row-vector notation dh_j/dh_{j-1} = "
            "diag(1 - h_j^2) W^T (numerator layout)",
            spectral(_jacobian_variant(h, W, k + 1, t, transpose=False)),
        ),
        (
            "one factor too many: dh_t/dh_k has t - k factors, for j = k+1, ..., t",
            spectral(_jacobian_variant(h, W, k, t)),
        ),
        (
            "one factor too few: dh_t/dh_k has t - k factors, for j = k+1, ..., t",
            spectral(_jacobian_variant(h, W, k + 2, t)),
        ),
        (
            "the factors are multiplied in the wrong order: dh_t/dh_k = dh_t/dh_{t-1} ... "
            "dh_{k+1}/dh_k, the newest step on the left",
            spectral(_jacobian_variant(h, W, k + 1, t, right_to_left=False)),
        ),
        (
            "you took the Frobenius norm; the lecture's bound is about the spectral norm "
            "(the largest singular value, np.linalg.norm(M, 2))",
            float(np.linalg.norm(_jacobian_variant(h, W, k + 1, t))),
        ),
        (
            "you multiplied the norms of the factors: that product is an upper bound, the "
            "norm of the product of the matrices is smaller",
            float(np.prod([spectral(f) for f in factors])) if factors else 1.0,
        ),
    ]


@register(
    "jacobian_product_norm",
    "14_vanishing_exploding",
    "The norm of a product of step Jacobians",
    jacobian_product_norm,
)
def _check_jacobian_product_norm(student):
    W_check = orthogonal_init(4, rng=0, gain=1.2)
    _, cache = simulate_rnn(W_check, steps=6, activation="tanh", rng=1)
    cases = [("notebook 14's example (dh_4/dh_1, orthogonal W with gain 1.2)",
              (cache["h"][:, 0], W_check, 1, 4))]
    for seed, (T, H, k, t) in enumerate([(8, 5, 2, 6), (9, 4, 0, 8), (6, 3, 3, 3)]):
        rng = np.random.default_rng(400 + seed)
        W = rng.normal(scale=1.0 / np.sqrt(H), size=(H, H))
        h, _ = rnn_forward(rng.normal(size=(T, 1, H)), np.zeros((1, H)), np.eye(H), W,
                           np.zeros(H))
        cases.append((f"random case {seed + 1} (H={H}, k={k}, t={t})", (h[:, 0], W, k, t)))
    for case, args in cases:
        got = call_student(student, *args)
        with np.errstate(all="ignore"):
            mistakes = _jacobian_mistakes(*args)
        compare(got, jacobian_product_norm(*args), "the norm", case, diagnoses=mistakes, rtol=1e-9)


def sigmoid_gradient_bound(W, steps):
    """The lecture's bound (gamma * ||W||_2)^steps on ||dh_t/dh_k||, gamma = 1/4 (sigmoid).

    >>> sigmoid_gradient_bound(2 * np.eye(3), 3)
    0.125
    """
    gamma = 0.25  # the largest slope of the logistic sigmoid, at 0
    spectral_norm = np.linalg.norm(W, 2)  # the largest singular value of W
    return float((gamma * spectral_norm) ** steps)


def _bound_mistakes(W, steps):
    lam = float(np.linalg.norm(W, 2))
    return [
        (
            "gamma is wrong: the logistic sigmoid's slope is at most 1/4 (at 0); gamma = 1 "
            "is the bound for tanh",
            lam**steps,
        ),
        ("gamma is wrong: the logistic sigmoid's slope is at most 1/4, not 1/2",
         (0.5 * lam) ** steps),
        (
            "gamma must be raised to the power too: every one of the t - k factors "
            "contributes gamma, so the bound is (gamma lambda)^(t-k)",
            0.25 * lam**steps,
        ),
        (
            "you used the Frobenius norm of W; lambda is the spectral norm (largest singular "
            "value, np.linalg.norm(W, 2))",
            (0.25 * float(np.linalg.norm(W))) ** steps,
        ),
        (
            "you used the spectral radius (largest |eigenvalue|); the bound needs the "
            "spectral norm, the largest singular value, which can be larger",
            (0.25 * float(np.max(np.abs(np.linalg.eigvals(W))))) ** steps,
        ),
        ("you used the largest entry of W; lambda is its spectral norm",
         (0.25 * float(np.max(np.abs(W)))) ** steps),
        ("the exponent is off by one: t - k steps give t - k factors",
         (0.25 * lam) ** (steps + 1)),
        ("the exponent is off by one: t - k steps give t - k factors",
         (0.25 * lam) ** max(steps - 1, 0)),
    ]


@register(
    "sigmoid_gradient_bound",
    "14_vanishing_exploding",
    "The vanishing-gradient bound for a sigmoid RNN",
    sigmoid_gradient_bound,
)
def _check_sigmoid_gradient_bound(student):
    cases = [("notebook 14's example (lambda = 2, sigmoid, 10 steps)",
              (2.0 * orthogonal_init(6, rng=0), 10))]
    for seed, (H, steps) in enumerate([(5, 3), (4, 7), (3, 1), (4, 0)]):
        rng = np.random.default_rng(500 + seed)
        cases.append((f"random case {seed + 1} (H={H}, {steps} steps)",
                      (rng.normal(scale=1.5, size=(H, H)), steps)))
    for case, (W, steps) in cases:
        got = call_student(student, W, steps)
        compare(got, sigmoid_gradient_bound(W, steps), "the bound", case,
                diagnoses=_bound_mistakes(W, steps), rtol=1e-9)
