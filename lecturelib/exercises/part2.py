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

The references of the step, BPTT and batch-norm exercises are the package's
readable references (``rnn_step``, ``rnn_step_backward``, ``lstm_step``,
``gru_step``, ``rnn_backward_naive``, ``batch_norm_naive`` and
``batch_norm_backward_naive``): one copy of each, in the lesson modules.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..batchnorm import batch_norm_backward_naive, batch_norm_naive
from ..gated import gru_forward, gru_step, lstm_forward, lstm_step
from ..jacobians import orthogonal, simulate_rnn
from ..recurrent import (
    rnn_backward,
    rnn_backward_naive,
    rnn_forward,
    rnn_step,
    rnn_step_backward,
)
from ._core import Mistake, NotAttempted, call_student, call_student_in_place, compare, register
from ._core import _close as _same

# --- helpers shared by the checkers ---------------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _accept_library(student, library_function, adapter):
    """The adapter when ``student`` is the library's whole-sequence function."""
    return adapter if student is library_function else student


class _Verdict:
    """Compares a checker's results case by case and names the mistake.

    On a mismatch it looks for the known wrong implementations (candidates)
    that explain the student's result. One: its message is raised. None: the
    generic message of ``compare`` (case, index, expected, got). Several that
    disagree (a small worked example can make two mistakes give the same
    numbers): the verdict waits for a later case that tells them apart, and
    ``finish`` names the first of those still possible if none does.
    """

    def __init__(self):
        self.pending = None  # the messages still possible after an ambiguous case

    def __call__(
        self,
        got,
        expected,
        what,
        case,
        candidates=(),
        *,
        diagnoses=(),
        shape_hints=None,
        rtol=1e-7,
        atol=1e-9,
    ):
        """``shape_hints`` maps a key of a dict result (or an index of a tuple result)
        to {wrong shape: message}, for mistakes such as a gradient not summed over
        the batch."""
        for key, hints in (shape_hints or {}).items():
            try:
                part, reference = got[key], expected[key]
            except (KeyError, IndexError, TypeError):
                continue
            shape = np.shape(part) if part is not None else None
            if shape != np.shape(reference) and shape in hints:
                raise Mistake(hints[shape])
        if _same(got, expected, rtol, atol):
            compare(got, expected, what, case, rtol=rtol, atol=atol)  # type checks, counting
            return
        matching = []
        for message, candidate in [*candidates, *diagnoses]:
            if callable(candidate):
                candidate = candidate()
            if message not in matching and _same(got, candidate, rtol, atol):
                matching.append(message)
        if self.pending is not None:
            matching = [m for m in matching if m in self.pending] or matching
        if len(matching) == 1:
            raise Mistake(matching[0])
        if len(matching) > 1:
            self.pending = matching
            return
        # No known mistake explains this case (an earlier ambiguous match was a
        # coincidence): say where the answer differs.
        compare(got, expected, what, case, rtol=rtol, atol=atol)

    def finish(self):
        """At the end of a checker: name a mistake that no case could tell apart."""
        if self.pending:
            raise Mistake(self.pending[0])


def _gaussian(rng, *shape, scale=1.0):
    return scale * rng.normal(size=shape)


# --- 12: one step of the vanilla RNN --------------------------------------------


rnn_step_forward = rnn_step  # the reference: lecturelib.recurrent.rnn_step


def _rnn_step_via_library(x, h_prev, U, W, b):
    h, _ = rnn_forward(x[None], h_prev, U, W, b)
    return h[0]


def _rnn_step_cases():
    x1, h1 = np.array([[1.0]]), np.array([[0.0]])
    one_unit = {"U": np.array([[1.0]]), "W": np.array([[0.5]]), "b": np.array([0.0])}
    yield (
        "the pulse example of notebook 12, step 0 (x = 1, h_prev = 0, U = 1, W = 0.5)",
        (
            x1,
            h1,
            *one_unit.values(),
        ),
    )
    yield (
        "the pulse example, step 1 (x = 0, h_prev = tanh(1))",
        (
            np.array([[0.0]]),
            np.tanh(x1),
            *one_unit.values(),
        ),
    )
    for seed, (N, D, H) in enumerate([(3, 4, 5), (2, 3, 3), (4, 2, 6)]):
        rng = np.random.default_rng(100 + seed)
        yield (
            f"random case {seed + 1} (N={N}, D={D}, H={H})",
            (
                _gaussian(rng, N, D),
                _gaussian(rng, N, H, scale=0.8),
                _gaussian(rng, D, H, scale=0.7),
                _gaussian(rng, H, H, scale=0.7),
                _gaussian(rng, H, scale=0.3),
            ),
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
        (
            "you used the logistic sigmoid; the lecture's vanilla RNN squashes with tanh",
            _sigmoid(a),
        ),
        ("the bias b is missing: h_t = tanh(x_t U + h_{t-1} W + b)", np.tanh(a - b)),
    ]


@register(
    "rnn_step_forward",
    "12_sequences_and_rnns",
    "One step of a vanilla RNN",
    rnn_step_forward,
)
def _check_rnn_step_forward(student):
    verdict = _Verdict()
    student = _accept_library(student, rnn_forward, _rnn_step_via_library)
    for case, args in _rnn_step_cases():
        got = call_student(student, *args)
        with np.errstate(all="ignore"):
            mistakes = _rnn_step_forward_mistakes(*args)
        verdict(got, rnn_step_forward(*args), "h", case, mistakes)
    verdict.finish()


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
    blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]  # gate blocks, each with its own U, W, b
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
            "the number of gate blocks is wrong: an LSTM has 4 (i, f, g, o), a GRU 3 "
            f"(r, z, n), a vanilla RNN 1, each with its own U, W and biases; for the "
            f"{kind.upper()} you counted {swapped}",
            swapped * (U + W + biases * hidden) + V + c,
        ),
        (
            "the biases are counted once per layer, not once per block: each of the "
            f"{blocks} blocks has its own bias vector(s)",
            U * blocks + W * blocks + biases * hidden + V + c,
        ),
        (
            "biases=2 means two bias vectors per block (PyTorch's b_ih and b_hh); you counted one",
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
    verdict = _Verdict()
    cases = [
        (
            "the lecture's video example (784 inputs, 200 units, 2 classes, weights only)",
            ("rnn", 784, 200, 2, 0),
        ),
        (
            "the lecture's quiz (n = 14 inputs, 7 units, 2 outputs, weights only)",
            ("rnn", 14, 7, 2, 0),
        ),
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
        verdict(got, expected, "the parameter count", case, diagnoses=mistakes)
    verdict.finish()


# --- 13: the backward pass of one step -----------------------------------------


# rnn_step_backward, the reference of the next exercise, is lecturelib.recurrent's


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
            "the gradient to h_prev must go back through W transposed: dL/dh_prev = dL/da @ W.T",
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
            "shared by every example, so its gradient adds up every example's part "
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
    verdict = _Verdict()
    student = _accept_library(student, rnn_backward, _rnn_step_backward_via_library)
    cases = [
        (
            "a one-unit example (x = 1, h_prev = 0.5, U = 1, W = 0.5, b = 0, dL/dh = 1)",
            (
                np.array([[1.0]]),
                np.array([[1.0]]),
                np.array([[0.5]]),
                np.array([[1.0]]),
                np.array([[0.5]]),
                np.array([0.0]),
            ),
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
        verdict(got, rnn_step_backward(*args), "the gradients", case, mistakes, shape_hints=hints)
    verdict.finish()


# --- 13: backpropagation through time ------------------------------------------


def bptt(grad_h, cache, truncate=None):
    """Reference: :func:`lecturelib.recurrent.rnn_backward_naive`, BPTT as a loop over time.

    grad_h: (T, N, H), dL_t/dh_t from each step's own loss. cache: a dict with
    "x" (T, N, D), "h0" (N, H), "U" (D, H), "W" (H, H), "b" (H,) and the
    states "h" (T, N, H). truncate=k: the loss at step t sends its gradient
    into h_t, h_{t-1}, ..., h_{t-k+1} (and what those steps used), then stops;
    None means full BPTT. Returns a dict "x", "h0", "U", "W", "b".
    """
    return rnn_backward_naive(grad_h, cache, truncate)


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
    if k == T and T >= 2:
        mistakes.append(
            (
                "full BPTT stops one step short (off by one): the loss at step t must reach "
                "every state h_t, ..., h_0 and then h0; check the end of your backward loop",
                _bptt_variant(grad_h, cache, window(T - 1)),
            )
        )
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
    yield (
        "the lecture's L_4 example (notebook 13: T = 4, loss at the last step only)",
        (
            grad_h,
            cache,
            None,
        ),
    )
    settings = [
        (5, 3, 2, 4, None),
        (6, 2, 3, 3, 1),
        (6, 3, 2, 4, 2),
        (7, 2, 3, 3, 3),
        (5, 2, 2, 3, 9),
    ]
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
    verdict = _Verdict()
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
        verdict(
            got, bptt(grad_h, cache, truncate), "the gradients", case, mistakes, shape_hints=hints
        )
    verdict.finish()


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
    verdict = _Verdict()
    W_check = orthogonal((4, 4), rng=0, gain=1.2)
    _, cache = simulate_rnn(W_check, steps=6, activation="tanh", rng=1)
    cases = [
        (
            "notebook 14's example (dh_4/dh_1, orthogonal W with gain 1.2)",
            (cache["h"][:, 0], W_check, 1, 4),
        )
    ]
    for seed, (T, H, k, t) in enumerate([(8, 5, 2, 6), (9, 4, 0, 8), (6, 3, 3, 3)]):
        rng = np.random.default_rng(400 + seed)
        W = rng.normal(scale=1.0 / np.sqrt(H), size=(H, H))
        h, _ = rnn_forward(rng.normal(size=(T, 1, H)), np.zeros((1, H)), np.eye(H), W, np.zeros(H))
        cases.append((f"random case {seed + 1} (H={H}, k={k}, t={t})", (h[:, 0], W, k, t)))
    for case, args in cases:
        got = call_student(student, *args)
        with np.errstate(all="ignore"):
            mistakes = _jacobian_mistakes(*args)
        verdict(got, jacobian_product_norm(*args), "the norm", case, diagnoses=mistakes, rtol=1e-9)
    verdict.finish()


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
        (
            "gamma is wrong: the logistic sigmoid's slope is at most 1/4, not 1/2",
            (0.5 * lam) ** steps,
        ),
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
        (
            "you used the largest entry of W; lambda is its spectral norm",
            (0.25 * float(np.max(np.abs(W)))) ** steps,
        ),
        ("the exponent is off by one: t - k steps give t - k factors", (0.25 * lam) ** (steps + 1)),
        (
            "the exponent is off by one: t - k steps give t - k factors",
            (0.25 * lam) ** max(steps - 1, 0),
        ),
    ]


@register(
    "sigmoid_gradient_bound",
    "14_vanishing_exploding",
    "The vanishing-gradient bound for a sigmoid RNN",
    sigmoid_gradient_bound,
)
def _check_sigmoid_gradient_bound(student):
    verdict = _Verdict()
    cases = [
        (
            "notebook 14's example (lambda = 2, sigmoid, 10 steps)",
            (2.0 * orthogonal((6, 6), rng=0), 10),
        )
    ]
    for seed, (H, steps) in enumerate([(5, 3), (4, 7), (3, 1), (4, 0)]):
        rng = np.random.default_rng(500 + seed)
        cases.append(
            (
                f"random case {seed + 1} (H={H}, {steps} steps)",
                (rng.normal(scale=1.5, size=(H, H)), steps),
            )
        )
    for case, (W, steps) in cases:
        got = call_student(student, W, steps)
        verdict(
            got,
            sigmoid_gradient_bound(W, steps),
            "the bound",
            case,
            diagnoses=_bound_mistakes(W, steps),
            rtol=1e-9,
        )
    verdict.finish()


# --- 15: gradient clipping --------------------------------------------------------


def _arrays(grads):
    return list(grads.values()) if isinstance(grads, dict) else list(grads)


def clip_grad_norm(grads, max_norm):
    """Scale the gradients in place so that their global L2 norm is at most ``max_norm``.

    grads: a list or dict of arrays, treated as ONE vector. Returns the norm
    before clipping. As PyTorch, the scale is max_norm / (norm + 1e-6).

    >>> g = [np.array([3.0, 4.0])]
    >>> clip_grad_norm(g, 1.0), np.round(g[0], 6)
    (5.0, array([0.6, 0.8]))
    """
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    total_norm = float(np.sqrt(sum(np.sum(a**2) for a in arrays)))  # one vector of all entries
    if total_norm > max_norm:
        scale = max_norm / (total_norm + 1e-6)
        for a in arrays:
            a *= scale  # in place: the caller's arrays change
    return total_norm


def clip_grad_value(grads, clip_value):
    """Clip every entry of every gradient into [-clip_value, clip_value], in place.

    >>> g = {"w": np.array([-1.2, 0.3, 0.9, -0.5])}
    >>> clip_grad_value(g, 0.7)
    >>> g["w"]
    array([-0.7,  0.3,  0.7, -0.5])
    """
    arrays = list(grads.values()) if isinstance(grads, dict) else list(grads)
    for a in arrays:
        np.clip(a, -clip_value, clip_value, out=a)  # out=a: in place


def _copy_grads(grads):
    return (
        {k: v.copy() for k, v in grads.items()}
        if isinstance(grads, dict)
        else [a.copy() for a in grads]
    )


def _as_expected(grads, arrays):
    """``arrays`` laid out like ``grads`` (a dict with the same keys, or a list)."""
    if isinstance(grads, dict):
        return dict(zip(grads, arrays))
    return list(arrays)


def _received(grads):
    """What the student's call left in the gradients: a dict, or a tuple of arrays."""
    return dict(grads) if isinstance(grads, dict) else tuple(grads)


def _like(grads, arrays):
    """``arrays`` in the layout ``_received`` gives ``grads``: a dict with its keys, or a tuple."""
    return dict(zip(grads, arrays)) if isinstance(grads, dict) else tuple(arrays)


def _scaled(arrays, factor):
    return [a * factor for a in arrays]


def _clip_norm_arrays(arrays, max_norm, per_array=False, always=False, eps=1e-6):
    if per_array:
        out = []
        for a in arrays:
            norm = float(np.sqrt(np.sum(a**2)))
            out.append(a * (max_norm / (norm + eps)) if (norm > max_norm or always) else a)
        return out
    norm = float(np.sqrt(sum(np.sum(a**2) for a in arrays)))
    return _scaled(arrays, max_norm / (norm + eps)) if (norm > max_norm or always) else arrays


def _clip_norm_cases():
    yield "the lecture's example (g = [3, 4], threshold 1)", [np.array([3.0, 4.0])], 1.0
    yield "the lecture's g = [3, 4] with threshold 10 (norm below it)", [np.array([3.0, 4.0])], 10.0
    rng = np.random.default_rng(600)
    grads = {
        "U": _gaussian(rng, 3, 4),
        "W": _gaussian(rng, 4, 4, scale=2.0),
        "b": _gaussian(rng, 4, scale=0.2),
    }
    yield "random case 1 (a dict U, W, b; threshold 3)", grads, 3.0
    rng = np.random.default_rng(601)
    grads = [_gaussian(rng, 5, scale=3.0), _gaussian(rng, 2, 3), _gaussian(rng, 6, scale=0.5)]
    yield "random case 2 (a list of three arrays; threshold 4)", grads, 4.0


@register(
    "clip_grad_norm",
    "15_gradient_clipping",
    "Gradient clipping by the global norm",
    clip_grad_norm,
)
def _check_clip_grad_norm(student):
    verdict = _Verdict()
    for case, grads, max_norm in _clip_norm_cases():
        original = _arrays(grads)
        result, (changed, _), _ = call_student_in_place(student, _copy_grads(grads), max_norm)
        expected_grads = _copy_grads(grads)
        norm = clip_grad_norm(expected_grads, max_norm)
        norms = [float(np.sqrt(np.sum(a**2))) for a in original]
        got = _received(changed)
        mistakes = [
            (
                "you clipped each array on its own norm (per tensor); clipping by norm treats "
                "ALL gradients as one vector: one global norm, one common scale, so the "
                "direction of the whole update is kept",
                _like(grads, _clip_norm_arrays(original, max_norm, per_array=True)),
            ),
            (
                "you clipped although the norm was below the threshold: when ||g|| <= "
                "max_norm the gradients must stay as they are (yours were scaled up to the "
                "threshold)",
                _like(grads, _clip_norm_arrays(original, max_norm, always=True)),
            ),
            (
                "the gradients were not changed in place: clip_grad_norm must scale the "
                "arrays it is given (a *= scale, not a = a * scale) and return the total norm",
                _like(grads, original),
            ),
            (
                "you clipped every entry into [-max_norm, max_norm] (clipping by value); "
                "clipping by norm rescales the whole gradient by max_norm / ||g||",
                _like(grads, [np.clip(a, -max_norm, max_norm) for a in original]),
            ),
        ]
        verdict(
            got,
            _received(expected_grads),
            "the clipped gradients",
            case,
            rtol=1e-5,
            diagnoses=mistakes,
        )
        if result is None:
            raise Mistake(
                "the gradients are clipped correctly, but clip_grad_norm must also return the "
                "total norm before clipping; your function returned None"
            )
        square = sum(n**2 for n in norms)
        verdict(
            result,
            norm,
            "the returned norm",
            case,
            rtol=1e-9,
            diagnoses=[
                (
                    "you returned the norm after clipping; return the total norm BEFORE "
                    "clipping (it is what you log to watch for explosions)",
                    min(norm, max_norm),
                ),
                (
                    "you returned the squared norm; the global norm is the square root of the "
                    "sum of all squared entries",
                    square,
                ),
                (
                    "you returned the sum of the arrays' norms; the global norm is "
                    "sqrt(sum of all squared entries), not the sum of the norms",
                    sum(norms),
                ),
                (
                    "you returned the scale factor; return the total norm before clipping",
                    min(1.0, max_norm / (norm + 1e-6)),
                ),
            ],
        )
    verdict.finish()


def _clip_value_cases():
    yield (
        "the lecture's example (g = [-1.2, 0.3, 0.9, -0.5], threshold 0.7)",
        [np.array([-1.2, 0.3, 0.9, -0.5])],
        0.7,
    )
    rng = np.random.default_rng(610)
    yield (
        "random case 1 (a dict U, W, b; threshold 0.5)",
        {"U": _gaussian(rng, 3, 4), "W": _gaussian(rng, 4, 4), "b": _gaussian(rng, 4)},
        0.5,
    )
    rng = np.random.default_rng(611)
    yield (
        "random case 2 (a list of two arrays; threshold 1.5)",
        [_gaussian(rng, 2, 3, 4, scale=2.0), _gaussian(rng, 5, scale=2.0)],
        1.5,
    )


@register(
    "clip_grad_value",
    "15_gradient_clipping",
    "Gradient clipping by value",
    clip_grad_value,
)
def _check_clip_grad_value(student):
    verdict = _Verdict()
    for case, grads, v in _clip_value_cases():
        original = _arrays(grads)
        result, (changed, _), _ = call_student_in_place(student, _copy_grads(grads), v)
        expected = _copy_grads(grads)
        clip_grad_value(expected, v)
        unchanged = all(np.array_equal(a, b) for a, b in zip(_arrays(changed), original))
        if unchanged and result is not None:
            raise Mistake(
                "the gradients were not changed in place: your function returned a result but "
                "left the arrays it was given as they were; clip them in place "
                "(np.clip(a, -v, v, out=a) or a[...] = ...) and return None"
            )
        mistakes = [
            (
                "you clipped only one side: every entry must end up in [-v, v], so large "
                "negative entries are raised to -v as well as large positive ones lowered to v",
                _like(grads, [np.minimum(a, v) for a in original]),
            ),
            (
                "you clipped only one side: every entry must end up in [-v, v], so large "
                "positive entries are lowered to v as well as large negative ones raised to -v",
                _like(grads, [np.maximum(a, -v) for a in original]),
            ),
            (
                "the signs were lost: clipping by value keeps each entry's sign and only "
                "limits its size, g -> min(max(g, -v), v)",
                _like(grads, [np.minimum(np.abs(a), v) for a in original]),
            ),
            (
                "you clipped into [0, v]; the interval is [-v, v]",
                _like(grads, [np.clip(a, 0, v) for a in original]),
            ),
            (
                "you rescaled by the norm (clipping by norm); clipping by value limits every "
                "entry on its own to [-v, v]",
                _like(grads, _clip_norm_arrays(original, v, eps=0.0)),
            ),
            (
                "the gradients were not changed in place: clip_grad_value must change the "
                "arrays it is given (np.clip(a, -v, v, out=a), not a = np.clip(a, -v, v))",
                _like(grads, original),
            ),
        ]
        verdict(
            _received(changed),
            _received(expected),
            "the clipped gradients",
            case,
            diagnoses=mistakes,
            rtol=1e-5,
        )
    verdict.finish()


# --- 16: one step of an LSTM and of a GRU -----------------------------------------


lstm_step_forward = lstm_step  # the reference: lecturelib.gated.lstm_step


def _lstm_step_via_library(x, h_prev, c_prev, U, W, b):
    h, c, _ = lstm_forward(x[None], h_prev, c_prev, U, W, b)
    return h[0], c[0]


def _lstm_variant(
    x, h_prev, c_prev, U, W, b, order="ifgo", squash="right", cell="right", show="right"
):
    H = h_prev.shape[1]
    a = x @ U + h_prev @ W + b
    blocks = {name: a[:, n * H : (n + 1) * H] for n, name in enumerate(order)}
    gate, content = (_sigmoid, np.tanh) if squash == "right" else (np.tanh, _sigmoid)
    i, f, o = gate(blocks["i"]), gate(blocks["f"]), gate(blocks["o"])
    g = content(blocks["g"])
    c = {"right": f * c_prev + i * g, "no_i": f * c_prev + g, "no_f": c_prev + i * g}[cell]
    h = {"right": o * np.tanh(c), "no_tanh": o * c, "old": o * np.tanh(c_prev)}[show]
    return h, c


def _lstm_mistakes(*args):
    mistakes = []
    for order in itertools.permutations("ifgo"):
        order = "".join(order)
        if order == "ifgo":
            continue
        note = " (the order of some course notes)" if order == "ifog" else ""
        mistakes.append(
            (
                f"the gate order is wrong: you read the blocks of U, W and b as "
                f"{', '.join(order)}{note}; PyTorch's (and lecturelib's) order is i, f, g, o",
                lambda order=order: _lstm_variant(*args, order=order),
            )
        )
    return [
        (
            "sigmoid and tanh are swapped: the gates i, f, o use the sigmoid (values in 0..1 "
            "act as switches) and the candidate g uses tanh",
            lambda: _lstm_variant(*args, squash="swapped"),
        ),
        (
            "h_t = o * tanh(c_t): the tanh on the cell state is missing",
            lambda: _lstm_variant(*args, show="no_tanh"),
        ),
        (
            "h_t = o * tanh(c_t) uses the NEW cell state c_t, not c_{t-1}",
            lambda: _lstm_variant(*args, show="old"),
        ),
        (
            "the input gate is missing: c_t = f * c_{t-1} + i * g",
            lambda: _lstm_variant(*args, cell="no_i"),
        ),
        (
            "the forget gate is missing: c_t = f * c_{t-1} + i * g",
            lambda: _lstm_variant(*args, cell="no_f"),
        ),
        *mistakes,
    ]


def _lstm_cases():
    # A write-once memory (lecturelib.lstm_forward's example): the input gate opens only
    # when the first feature is 1, the forget and output gates are held open.
    b = np.array([-50.0, 50.0, 0.0, 50.0])
    U = np.zeros((2, 4))
    U[0, 0], U[1, 2] = 100.0, 1.0
    W = np.zeros((1, 4))
    zero = np.zeros((1, 1))
    h1, c1 = lstm_step_forward(np.array([[1.0, 0.5]]), zero, zero, U, W, b)
    yield (
        "the write-once memory, step 0 (the input gate opens and stores tanh(0.5))",
        (np.array([[1.0, 0.5]]), zero, zero, U, W, b),
    )
    yield (
        "the write-once memory, step 1 (the input gate stays shut, the memory is kept)",
        (np.array([[0.0, 0.9]]), h1, c1, U, W, b),
    )
    for seed, (N, D, H) in enumerate([(3, 4, 2), (2, 3, 3), (4, 2, 1)]):
        rng = np.random.default_rng(700 + seed)
        yield (
            f"random case {seed + 1} (N={N}, D={D}, H={H})",
            (
                _gaussian(rng, N, D),
                _gaussian(rng, N, H, scale=0.5),
                _gaussian(rng, N, H),
                _gaussian(rng, D, 4 * H, scale=0.8),
                _gaussian(rng, H, 4 * H, scale=0.8),
                _gaussian(rng, 4 * H, scale=0.5),
            ),
        )


@register(
    "lstm_step_forward",
    "16_lstm_gru",
    "One step of an LSTM",
    lstm_step_forward,
)
def _check_lstm_step_forward(student):
    verdict = _Verdict()
    student = _accept_library(student, lstm_forward, _lstm_step_via_library)
    for case, args in _lstm_cases():
        got = call_student(student, *args)
        if isinstance(got, list):
            got = tuple(got)
        verdict(got, lstm_step_forward(*args), "(h, c)", case, _lstm_mistakes(*args))
    verdict.finish()


gru_step_forward = gru_step  # the reference: lecturelib.gated.gru_step


def _gru_step_via_library(x, h_prev, U, W, b_x, b_h):
    h, _ = gru_forward(x[None], h_prev, U, W, b_x, b_h)
    return h[0]


def _gru_variant(
    x, h_prev, U, W, b_x, b_h, order="rzn", reset="right", mix="right", squash=np.tanh
):
    H = h_prev.shape[1]
    from_x, from_h = x @ U + b_x, h_prev @ W + b_h
    block = {name: slice(n * H, (n + 1) * H) for n, name in enumerate(order)}
    r = _sigmoid(from_x[:, block["r"]] + from_h[:, block["r"]])
    z = _sigmoid(from_x[:, block["z"]] + from_h[:, block["z"]])
    n_block = block["n"]
    if reset == "right":
        recurrent = r * from_h[:, n_block]
    elif reset == "before":  # (r * h) W_n + b_hn, the original paper's variant
        recurrent = (r * h_prev) @ W[:, n_block] + b_h[n_block]
    elif reset == "bias_outside":
        recurrent = r * (h_prev @ W[:, n_block]) + b_h[n_block]
    else:  # no reset gate at all
        recurrent = from_h[:, n_block]
    n = squash(from_x[:, n_block] + recurrent)
    return (1 - z) * n + z * h_prev if mix == "right" else z * n + (1 - z) * h_prev


def _gru_mistakes(*args):
    return [
        (
            "the update gate mixes the wrong way round: h_t = (1 - z) * n + z * h_{t-1} "
            "(PyTorch), so z near 1 KEEPS the old state",
            lambda: _gru_variant(*args, mix="swapped"),
        ),
        (
            "the reset gate was applied to h_{t-1} before the product with W_n; PyTorch (and "
            "lecturelib) apply it after: n = tanh(x U_n + b_xn + r * (h W_n + b_hn))",
            lambda: _gru_variant(*args, reset="before"),
        ),
        (
            "b_hn must sit inside the reset gate: n = tanh(x U_n + b_xn + r * (h W_n + b_hn)); "
            "you added it outside",
            lambda: _gru_variant(*args, reset="bias_outside"),
        ),
        (
            "the reset gate is missing from the candidate n",
            lambda: _gru_variant(*args, reset="none"),
        ),
        (
            "the gate order is wrong: you read the blocks as z, r, n; PyTorch's order is r, z, n",
            lambda: _gru_variant(*args, order="zrn"),
        ),
        (
            "the candidate n uses tanh, not the sigmoid",
            lambda: _gru_variant(*args, squash=_sigmoid),
        ),
    ]


def _gru_cases():
    # lecturelib.gru_forward's example: a large update-gate bias holds z at 1.
    yield (
        "the held state (update-gate bias 100: z = 1 keeps h_prev = 0.3)",
        (
            np.ones((1, 1)),
            np.full((1, 1), 0.3),
            np.ones((1, 3)),
            np.ones((1, 3)),
            np.zeros(3),
            np.array([0.0, 100.0, 0.0]),
        ),
    )
    for seed, (N, D, H) in enumerate([(3, 4, 2), (2, 3, 3), (4, 2, 4)]):
        rng = np.random.default_rng(800 + seed)
        yield (
            f"random case {seed + 1} (N={N}, D={D}, H={H})",
            (
                _gaussian(rng, N, D),
                _gaussian(rng, N, H, scale=0.7),
                _gaussian(rng, D, 3 * H, scale=0.8),
                _gaussian(rng, H, 3 * H, scale=0.8),
                _gaussian(rng, 3 * H, scale=0.5),
                _gaussian(rng, 3 * H, scale=0.5),
            ),
        )


@register(
    "gru_step_forward",
    "16_lstm_gru",
    "One step of a GRU",
    gru_step_forward,
)
def _check_gru_step_forward(student):
    verdict = _Verdict()
    student = _accept_library(student, gru_forward, _gru_step_via_library)
    for case, args in _gru_cases():
        got = call_student(student, *args)
        verdict(got, gru_step_forward(*args), "h", case, _gru_mistakes(*args))
    verdict.finish()


# --- 17: dropout ------------------------------------------------------------------


def dropout_forward(x, p=0.5, training=True, rng=None):
    """Inverted dropout: drop each unit with probability ``p``, scale the rest by 1/(1 - p).

    x: any shape. p: the probability of DROPPING a unit (PyTorch). rng: a
    numpy Generator or a seed. Returns (y, mask) shaped like x, mask 1 for
    kept and 0 for dropped units; in eval (training=False) y = x and the mask
    is all ones.
    """
    if not training or p == 0:
        return x.copy(), np.ones_like(x)
    rng = np.random.default_rng(rng)  # a seed or a Generator
    mask = (rng.random(x.shape) >= p).astype(x.dtype)  # kept with probability 1 - p
    if p == 1:
        return np.zeros_like(x), mask
    return x * mask / (1 - p), mask


def dropout_backward(grad_y, mask, p=0.5):
    """Gradient of inverted dropout: the kept units pass grad_y on, scaled by 1/(1 - p).

    grad_y, mask: the same shape (the mask dropout_forward returned).

    >>> dropout_backward(np.ones((1, 4)), np.array([[1.0, 0.0, 1.0, 1.0]]), p=0.25)
    array([[1.33333333, 0.        , 1.33333333, 1.33333333]])
    """
    if p == 1:
        return np.zeros_like(grad_y)
    return grad_y * mask / (1 - p)


def _dropout_scale_mistakes(values, mask, p):
    """What the typical scaling mistakes give, for y (values = x) or grad_x (values = grad_y)."""
    return [
        (
            "dropout is not rescaled: inverted dropout divides the kept units by 1 - p during "
            "training, so that nothing changes at test time; yours leave them unscaled",
            values * mask,
        ),
        (
            "you scaled the kept units by 1/p, reading p as the keep probability: here p is "
            "the probability of DROPPING a unit (PyTorch's convention; the lecture's p is the "
            "keep probability), so kept units are scaled by 1/(1 - p)",
            values * mask / p,
        ),
        (
            "you multiplied the kept units by 1 - p (the classic test-time factor); inverted "
            "dropout DIVIDES them by 1 - p during training",
            values * mask * (1 - p),
        ),
        (
            "the mask is the wrong way round: it must hold 1 for KEPT units and 0 for dropped "
            "ones (y = x * mask / (1 - p))",
            values * (1 - mask) / (1 - p),
        ),
    ]


def _dropout_cases():
    rng = np.random.default_rng(900)

    def activations(*shape):  # no zeros, so a dropped unit shows as an exact 0
        return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    yield (
        "the lecture's hidden units (keep 0.5, i.e. p = 0.5; 200 x 50)",
        activations(200, 50),
        0.5,
        True,
    )
    yield (
        "the lecture's input units (keep 0.8, i.e. p = 0.2; 300 x 40)",
        activations(300, 40),
        0.2,
        True,
    )
    yield (
        "random case 1 (p = 0.7, feature maps 8 x 3 x 10 x 10)",
        activations(8, 3, 10, 10),
        0.7,
        True,
    )
    yield "p = 0 (nothing is dropped)", activations(20, 10), 0.0, True
    yield "eval mode (p = 0.5)", activations(50, 20), 0.5, False
    yield "eval mode (p = 0.2)", activations(40, 30), 0.2, False


def _pair(result, what):
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise Mistake(
            f"{what} must return two arrays, (y, mask); yours returned {type(result).__name__}"
        )
    return result


@register(
    "dropout_forward",
    "17_dropout",
    "Inverted dropout, forward",
    dropout_forward,
)
def _check_dropout_forward(student):
    verdict = _Verdict()
    for seed, (case, x, p, training) in enumerate(_dropout_cases()):
        rng = seed if seed % 2 == 0 else np.random.default_rng(seed)  # a seed or a Generator
        y, mask = _pair(
            call_student(student, x, p=p, training=training, rng=rng), "dropout_forward"
        )
        for name, array in (("y", y), ("the mask", mask)):
            if np.shape(array) != x.shape:
                raise Mistake(
                    f"{name} must have the shape of x {x.shape}, got {np.shape(array)} on {case}"
                )
        mask = np.asarray(mask, dtype=np.float64)
        if not np.all((mask == 0) | (mask == 1)):
            raise Mistake(
                "the mask must hold 1 for kept units and 0 for dropped ones "
                f"(its values on {case} include {mask[(mask != 0) & (mask != 1)][0]:g})"
            )
        if not training:
            if np.any(np.asarray(y) == 0):
                raise Mistake(
                    "units were dropped in eval mode: with training=False dropout does "
                    "nothing, y = x (and the mask is all ones)"
                )
            verdict(
                y,
                x,
                "y",
                case,
                diagnoses=[
                    (
                        "you rescaled at test time: inverted dropout already scaled the "
                        "kept units by 1/(1 - p) during training, so eval returns x "
                        "unchanged (multiplying by 1 - p at test time is classic dropout)",
                        x * (1 - p),
                    ),
                    (
                        "you rescaled at test time as well: in eval inverted dropout returns x "
                        "unchanged",
                        x / (1 - p),
                    ),
                    (
                        "you rescaled at test time (by p): in eval inverted dropout returns x "
                        "unchanged",
                        x * p,
                    ),
                ],
            )
            verdict(mask, np.ones_like(x), "the mask", case)
            continue
        verdict(y, x * mask / (1 - p), "y", case, diagnoses=_dropout_scale_mistakes(x, mask, p))
        if (
            0 < p < 1
            and x.shape[0] >= 4
            and all(np.array_equal(mask[0], mask[n]) for n in range(1, x.shape[0]))
        ):
            raise Mistake(
                "one mask for the whole batch: every example got the same dropped units; "
                "dropout draws a new mask for every unit of every example (a mask shaped like x)"
            )
        kept = float(mask.mean())
        tolerance = 5 * np.sqrt(p * (1 - p) / x.size) + 1e-12
        if abs(kept - (1 - p)) > tolerance:
            if abs(kept - p) <= tolerance:
                raise Mistake(
                    f"you used p as the keep probability: you kept {kept:.1%} of the units with "
                    f"p = {p:g}; p is the probability of DROPPING a unit (PyTorch), so about "
                    f"{1 - p:.0%} should be kept"
                )
            raise Mistake(
                f"you kept {kept:.1%} of the units on {case}; each unit should be kept "
                f"with probability 1 - p = {1 - p:g}"
            )
        if seed == 0:
            again = np.asarray(
                _pair(call_student(student, x, p=p, training=True, rng=seed), "dropout_forward")[1],
                dtype=np.float64,
            )
            if not np.array_equal(again, mask):
                raise Mistake(
                    "your masks do not follow rng: the same seed must drop the same units. "
                    "Draw from np.random.default_rng(rng) (it accepts a seed or a Generator), "
                    "not from np.random's global state"
                )
    verdict.finish()


@register(
    "dropout_backward",
    "17_dropout",
    "Inverted dropout, backward",
    dropout_backward,
)
def _check_dropout_backward(student):
    verdict = _Verdict()
    cases = [
        (
            "lecturelib's example (mask [1, 0, 1, 1], p = 0.25)",
            (np.ones((1, 4)), np.array([[1.0, 0.0, 1.0, 1.0]]), 0.25),
        )
    ]
    for seed, (shape, p) in enumerate([((6, 5), 0.5), ((4, 3, 5, 5), 0.2), ((10,), 0.7)]):
        rng = np.random.default_rng(950 + seed)
        mask = (rng.random(shape) >= p).astype(np.float64)
        cases.append(
            (
                f"random case {seed + 1} (shape {shape}, p = {p:g})",
                (rng.normal(size=shape), mask, p),
            )
        )
    for case, (grad_y, mask, p) in cases:
        got = call_student(student, grad_y, mask, p)
        mistakes = [
            (
                "the mask is not used: a dropped unit did not take part in the forward pass, so "
                "it gets no gradient (grad_x = grad_y * mask / (1 - p))",
                grad_y / (1 - p),
            ),
            *_dropout_scale_mistakes(grad_y, mask, p),
        ]
        verdict(got, dropout_backward(grad_y, mask, p), "grad_x", case, diagnoses=mistakes)
    verdict.finish()


# --- 18: batch normalisation ---------------------------------------------------------


def _channel_axes(x):
    """Every axis but the channel axis 1: (0,) for (N, C), (0, 2, 3) for (N, C, H, W)."""
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, x):
    """A (C,) vector reshaped to broadcast along axis 1 of x."""
    return np.asarray(v).reshape((1, -1) + (1,) * (x.ndim - 2))


def batchnorm_forward(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Reference: :func:`lecturelib.batchnorm.batch_norm_naive`, as the lecture writes it.

    x: (N, C) or (N, C, H, W); one mean and variance per channel, over every
    axis but 1. running_mean, running_var: (C,), updated IN PLACE in
    training (with the unbiased variance); used instead of the batch
    statistics in eval. weight (gamma), bias (beta): (C,) or None.
    Returns y shaped like x.
    """
    return batch_norm_naive(x, running_mean, running_var, weight, bias, training, momentum, eps)


def _bn_normalise(x, mean, var, weight, bias, eps, eps_outside=False, swap=False):
    mean, var = (
        _per_channel(mean, x) if np.ndim(mean) == 1 else mean,
        (_per_channel(var, x) if np.ndim(var) == 1 else var),
    )
    y = (x - mean) / ((np.sqrt(var) + eps) if eps_outside else np.sqrt(var + eps))
    if swap:
        weight, bias = bias, weight
    if weight is not None:
        y = y * _per_channel(weight, x)
    if bias is not None:
        y = y + _per_channel(bias, x)
    return y


def _bn_forward_mistakes(x, running_mean, running_var, weight, bias, training, eps):
    axes = _channel_axes(x)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    if not training:
        return [
            (
                "in eval mode batch norm uses the running statistics, not the batch's own mean "
                "and variance",
                _bn_normalise(x, mean, var, weight, bias, eps),
            ),
            (
                "gamma (weight) and beta (bias) are swapped: y = x_hat * weight + bias",
                _bn_normalise(x, running_mean, running_var, weight, bias, eps, swap=True),
            ),
        ]
    mistakes = [
        (
            "you normalised with the unbiased variance (ddof=1); batch norm normalises with the "
            "biased batch variance (divide by m, np.var's default). The unbiased estimate is only "
            "for the running variance",
            _bn_normalise(x, mean, x.var(axis=axes, ddof=1), weight, bias, eps),
        ),
        (
            "training mode normalises with the batch's own statistics; the running statistics "
            "are for eval",
            _bn_normalise(x, running_mean, running_var, weight, bias, eps),
        ),
        (
            "eps belongs inside the square root: (x - mean) / sqrt(var + eps)",
            _bn_normalise(x, mean, var, weight, bias, eps, eps_outside=True),
        ),
        (
            "eps is missing: (x - mean) / sqrt(var + eps)",
            _bn_normalise(x, mean, var, weight, bias, 0.0),
        ),
        (
            "gamma (weight) and beta (bias) are swapped: y = x_hat * weight + bias; beta sets the "
            "mean, gamma the standard deviation",
            _bn_normalise(x, mean, var, weight, bias, eps, swap=True),
        ),
    ]
    other_axes = [(1,), tuple(range(1, x.ndim))] if x.ndim == 2 else [(0,), (1, 2, 3), (2, 3)]
    for wrong in other_axes:
        m, v = x.mean(axis=wrong, keepdims=True), x.var(axis=wrong, keepdims=True)
        mistakes.append(
            (
                "the statistics are over the wrong axes: batch norm takes one mean and one "
                "variance per channel (axis 1), over the batch"
                + (" and every position (axes 0, 2, 3)" if x.ndim == 4 else " (axis 0)")
                + f"; you averaged over axes {wrong}",
                _bn_normalise(x, m, v, weight, bias, eps),
            )
        )
    return mistakes


def _bn_running_mistakes(x, initial, key, momentum):
    axes = _channel_axes(x)
    m = x.size // x.shape[1]
    statistic = x.mean(axis=axes) if key == "running_mean" else x.var(axis=axes, ddof=1)
    mistakes = [
        (
            f"the running statistics were not updated in place: in training, {key} must change "
            f"in the array passed in ({key} *= 1 - momentum; {key} += momentum * ...). "
            "Assigning a new array to the name does not change the caller's array",
            initial,
        ),
        (
            f"the momentum is the wrong way round: {key} = (1 - momentum) * {key} + momentum * "
            "batch statistic (PyTorch's momentum weighs the NEW batch)",
            momentum * initial + (1 - momentum) * statistic,
        ),
        (
            f"{key} was replaced by the batch statistic: it is a running average, "
            f"(1 - momentum) * {key} + momentum * batch statistic",
            statistic,
        ),
    ]
    if key == "running_var":
        mistakes.insert(
            1,
            (
                "the running variance is biased: PyTorch updates running_var with the UNBIASED "
                "batch variance, var * m / (m - 1) (np.var(..., ddof=1)), m values per channel",
                (1 - momentum) * initial + momentum * statistic * (m - 1) / m,
            ),
        )
    return mistakes


def _bn_forward_cases():
    yield (
        "lecturelib's example (x = [[1, 10], [3, 30]], training)",
        dict(
            x=np.array([[1.0, 10.0], [3.0, 30.0]]),
            running_mean=np.zeros(2),
            running_var=np.ones(2),
            training=True,
        ),
    )
    rng = np.random.default_rng(1)
    yield (
        "notebook 18's layer of 3 units (batch of 8, gamma and beta, training)",
        dict(
            x=rng.normal(loc=2.0, scale=3.0, size=(8, 3)),
            running_mean=np.array([0.5, 0.0, 1.0]),
            running_var=np.array([1.0, 2.0, 4.0]),
            weight=np.array([2.0, 0.5, 3.0]),
            bias=np.array([1.0, -1.0, 5.0]),
            training=True,
        ),
    )
    rng = np.random.default_rng(1000)
    yield (
        "random case 1 (feature maps 4 x 3 x 5 x 5, training, momentum 0.2)",
        dict(
            x=rng.normal(loc=1.0, scale=2.0, size=(4, 3, 5, 5)),
            running_mean=rng.normal(size=3),
            running_var=rng.uniform(0.5, 2.0, size=3),
            weight=rng.uniform(0.5, 2, size=3),
            bias=rng.normal(size=3),
            training=True,
            momentum=0.2,
        ),
    )
    yield (
        "random case 2 (6 x 4, no weight or bias, training, momentum 0.3)",
        dict(
            x=rng.normal(loc=-1.0, scale=0.5, size=(6, 4)),
            running_mean=rng.normal(size=4),
            running_var=rng.uniform(0.5, 2.0, size=4),
            training=True,
            momentum=0.3,
        ),
    )
    yield (
        "random case 3 (6 x 3, eval mode)",
        dict(
            x=rng.normal(loc=1.0, size=(6, 3)),
            running_mean=rng.normal(size=3),
            running_var=rng.uniform(0.5, 2.0, size=3),
            weight=rng.uniform(0.5, 2, size=3),
            bias=rng.normal(size=3),
            training=False,
        ),
    )
    yield (
        "random case 4 (feature maps 2 x 3 x 4 x 4, eval mode)",
        dict(
            x=rng.normal(size=(2, 3, 4, 4)),
            running_mean=rng.normal(size=3),
            running_var=rng.uniform(0.5, 2.0, size=3),
            training=False,
        ),
    )


@register(
    "batchnorm_forward",
    "18_batch_norm",
    "Batch normalisation, forward (train and eval)",
    batchnorm_forward,
)
def _check_batchnorm_forward(student):
    verdict = _Verdict()
    for case, arguments in _bn_forward_cases():
        arguments = {"weight": None, "bias": None, "momentum": 0.1, "eps": 1e-5, **arguments}
        x = arguments.pop("x")
        initial_mean, initial_var = arguments["running_mean"], arguments["running_var"]
        result, _, received = call_student_in_place(student, x, **arguments)
        got_mean, got_var = received["running_mean"], received["running_var"]
        if result is None:
            raise NotAttempted(
                "your function returned None: it is not written yet (or lacks a return)"
            )
        expected_mean, expected_var = initial_mean.copy(), initial_var.copy()
        reference_arguments = {
            **arguments,
            "running_mean": expected_mean,
            "running_var": expected_var,
        }
        expected = batchnorm_forward(x, **reference_arguments)
        training, eps = arguments["training"], arguments["eps"]
        if isinstance(result, tuple | list):
            raise Mistake(
                "return y only: the running statistics are updated in place, not returned"
            )
        mistakes = _bn_forward_mistakes(
            x, initial_mean, initial_var, arguments["weight"], arguments["bias"], training, eps
        )
        verdict(result, expected, "y", case, diagnoses=mistakes)
        for key, got, want, initial in (
            ("running_mean", got_mean, expected_mean, initial_mean),
            ("running_var", got_var, expected_var, initial_var),
        ):
            if not training:
                if not np.array_equal(np.asarray(got), initial):
                    raise Mistake(
                        "the running statistics were updated in eval mode: only training "
                        "updates them; eval reads them and leaves them as they are"
                    )
                continue
            verdict(
                got,
                want,
                f"{key} after the call",
                case,
                diagnoses=_bn_running_mistakes(x, initial, key, arguments["momentum"]),
            )
    verdict.finish()


def batchnorm_backward(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    """Reference: :func:`lecturelib.batchnorm.batch_norm_backward_naive`.

    Returns (grad_x, grad_weight, grad_bias). grad_y, x: (N, C) or
    (N, C, H, W); weight, bias: (C,) or None (then their gradient is None).
    In training the mean and variance depend on every x, which adds the two
    correction terms; in eval they are the constants running_mean and
    running_var.
    """
    return batch_norm_backward_naive(
        grad_y, x, weight, bias, eps, training, running_mean, running_var
    )


def _bn_backward_variant(
    grad_y,
    x,
    weight,
    bias,
    eps,
    training,
    running_mean,
    running_var,
    terms="both",
    ddof=0,
    use_weight=True,
    grad_weight_of="x_hat",
    swap=False,
):
    axes = _channel_axes(x)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=ddof)
    else:
        mean, var = running_mean, running_var
    inv_std = 1 / np.sqrt(_per_channel(var, x) + eps)
    x_hat = (x - _per_channel(mean, x)) * inv_std
    grad_bias = grad_y.sum(axis=axes) if bias is not None else None
    grad_weight = None
    if weight is not None:
        grad_weight = (grad_y * (x_hat if grad_weight_of == "x_hat" else x)).sum(axis=axes)
    if swap:
        grad_weight, grad_bias = grad_bias, grad_weight
    g = grad_y if (weight is None or not use_weight) else grad_y * _per_channel(weight, x)
    grad_x = g
    if terms in ("both", "mean"):
        grad_x = grad_x - g.mean(axis=axes, keepdims=True)
    if terms in ("both", "variance"):
        grad_x = grad_x - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    return grad_x * inv_std, grad_weight, grad_bias


def _bn_backward_mistakes(grad_y, x, weight, bias, eps, training, running_mean, running_var):
    args = (grad_y, x, weight, bias, eps)
    if not training:
        return [
            (
                "in eval mode the mean and variance are the constants running_mean and "
                "running_var, so grad_x = grad_y * weight / sqrt(running_var + eps), without the "
                "training terms",
                lambda: _bn_backward_variant(*args, True, None, None),
            )
        ]
    variant = lambda **kw: lambda: _bn_backward_variant(*args, True, None, None, **kw)  # noqa: E731
    return [
        (
            "batch-norm backward is missing the mean and variance terms: in training the batch "
            "mean and variance depend on every x, so grad_x = (g - mean(g) - x_hat * mean(g * "
            "x_hat)) / sqrt(var + eps) with g = grad_y * weight",
            variant(terms="none"),
        ),
        (
            "batch-norm backward is missing the variance term - x_hat * mean(g * x_hat): the batch "
            "variance depends on every x too",
            variant(terms="mean"),
        ),
        (
            "batch-norm backward is missing the mean term - mean(g): the batch mean depends on "
            "every x too",
            variant(terms="variance"),
        ),
        (
            "you used the unbiased variance (ddof=1); batch norm normalises, and so "
            "differentiates, with the biased batch variance",
            variant(ddof=1),
        ),
        (
            "gamma (weight) is missing from grad_x: the output is x_hat * weight + bias, so "
            "dL/dx_hat = grad_y * weight",
            variant(use_weight=False),
        ),
        (
            "grad_weight is the sum of grad_y * x_hat (the normalised input), not grad_y * x",
            variant(grad_weight_of="x"),
        ),
        (
            "grad_weight and grad_bias are swapped: grad_bias = sum(grad_y), grad_weight = "
            "sum(grad_y * x_hat)",
            variant(swap=True),
        ),
    ]


def _bn_sum_hints(x):
    N, C = x.shape[:2]
    message = (
        "the gradients of weight and bias were not summed over the batch"
        + (" and the positions" if x.ndim == 4 else "")
        + f": gamma and beta are shared, so each has one gradient per channel, "
        f"shape ({C},)"
    )
    hints = {(N, C): message, x.shape: message}
    if x.ndim == 4:
        hints[x.shape[1:]] = (
            "the gradients of weight and bias were summed over the batch but not over the "
            "positions: one gamma and beta per channel act at every (h, w), so sum over "
            f"axes 0, 2 and 3 to shape ({C},)"
        )
    return {1: hints, 2: hints}


def _bn_backward_cases():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    yield (
        "lecturelib's example (x = [1, 2, 3, 4], grad_y = 1, gamma 1, beta 0)",
        dict(grad_y=np.ones_like(x), x=x, weight=np.ones(1), bias=np.zeros(1)),
    )
    rng = np.random.default_rng(1)
    yield (
        "notebook 18's layer of 3 units (batch of 8, gamma and beta)",
        dict(
            grad_y=np.random.default_rng(11).normal(size=(8, 3)),
            x=rng.normal(loc=2.0, scale=3.0, size=(8, 3)),
            weight=np.array([2.0, 0.5, 3.0]),
            bias=np.array([1.0, -1.0, 5.0]),
        ),
    )
    rng = np.random.default_rng(1100)
    yield (
        "random case 1 (feature maps 2 x 3 x 4 x 3)",
        dict(
            grad_y=rng.normal(size=(2, 3, 4, 3)),
            x=rng.normal(loc=1.0, scale=2.0, size=(2, 3, 4, 3)),
            weight=rng.uniform(0.5, 2.0, size=3),
            bias=rng.normal(size=3),
        ),
    )
    yield (
        "random case 2 (5 x 4, no weight or bias)",
        dict(grad_y=rng.normal(size=(5, 4)), x=rng.normal(size=(5, 4))),
    )
    yield (
        "random case 3 (6 x 3, eval mode)",
        dict(
            grad_y=rng.normal(size=(6, 3)),
            x=rng.normal(size=(6, 3)),
            weight=rng.uniform(0.5, 2.0, size=3),
            bias=rng.normal(size=3),
            training=False,
            running_mean=rng.normal(size=3),
            running_var=rng.uniform(0.5, 2.0, size=3),
        ),
    )


@register(
    "batchnorm_backward",
    "18_batch_norm",
    "Batch normalisation, backward",
    batchnorm_backward,
)
def _check_batchnorm_backward(student):
    verdict = _Verdict()
    for case, arguments in _bn_backward_cases():
        arguments = {
            "weight": None,
            "bias": None,
            "eps": 1e-5,
            "training": True,
            "running_mean": None,
            "running_var": None,
            **arguments,
        }
        grad_y, x = arguments.pop("grad_y"), arguments.pop("x")
        got = call_student(student, grad_y, x, **arguments)
        if isinstance(got, list):
            got = tuple(got)
        expected = batchnorm_backward(grad_y, x, **arguments)
        mistakes = _bn_backward_mistakes(grad_y, x, *arguments.values())
        verdict(
            got,
            expected,
            "(grad_x, grad_weight, grad_bias)",
            case,
            mistakes,
            shape_hints=_bn_sum_hints(x),
        )
    verdict.finish()
