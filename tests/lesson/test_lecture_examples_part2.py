"""The worked examples of the sequence lectures (notebooks 12-16), computed by the library."""

import numpy as np
import pytest

from lecturelib import (
    clip_grad_norm,
    clip_grad_value,
    gru_forward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    rnn_output_backward,
    rnn_output_forward,
    rnn_param_count,
    rnn_weight_gradient_contributions,
)
from lecturelib.gradients import numerical_gradient, numerical_gradient_array
from lecturelib.jacobians import activation_gamma, gradient_bound, jacobian_norms, simulate_rnn
from lecturelib.losses import softmax, softmax_cross_entropy
from lecturelib.text import Vocabulary

# --- 09 sequence learning and recurrent networks ----------------------------------------


def test_frames_of_784_pixels_200_hidden_units_2_classes():
    rng = np.random.default_rng(0)
    U, W, V = np.zeros((784, 200)), np.zeros((200, 200)), np.zeros((200, 2))
    x = rng.random((3, 1, 784))  # three flattened 28 x 28 frames
    assert (x[0] @ U).shape == (1, 200)  # x_0 U is 1 x 200 ...
    h, _ = rnn_forward(x, np.zeros((1, 200)), U, W, np.zeros(200))
    assert h.shape == (3, 1, 200)
    assert rnn_output_forward(h, V, np.zeros(2)).shape == (3, 1, 2)
    with pytest.raises(ValueError, match=r"W must be \(H, H\)"):  # ... so W must be 200 x 200
        rnn_forward(x, np.zeros((1, 200)), U, np.zeros((200, 100)), np.zeros(200))
    assert rnn_param_count("rnn", 784, 200, outputs=2, biases=0) == 784 * 200 + 200 * 200 + 400


def test_quiz_161_weights_gives_n_14():
    solutions = [
        n for n in range(2, 200, 2) if rnn_param_count("rnn", n, n // 2, outputs=2, biases=0) == 161
    ]
    assert solutions == [14]
    assert 14 * 7 + 7 * 7 + 7 * 2 == 161


def test_autocomplete_deep_loss_is_summed_over_time():
    vocab = Vocabulary(["d", "e", "p", "<stop>"])
    inputs = vocab.encode(["d", "e", "e", "p"])
    targets = vocab.encode(["e", "e", "p", "<stop>"])
    assert vocab.decode(inputs) == "deep"
    logits = np.random.default_rng(1).normal(size=(4, 1, 4))
    loss, grad = softmax_cross_entropy(logits, targets[:, None], reduction="sum")
    yhat = softmax(logits)
    assert loss == pytest.approx(-sum(np.log(yhat[t, 0, targets[t]]) for t in range(4)))
    # dL/dV = sum_t h_t^T (yhat_t - y_t)
    h = np.random.default_rng(2).normal(size=(4, 1, 3))
    grad_V = rnn_output_backward(grad, h, np.zeros((3, 4)))["V"]
    y = np.eye(4)[targets]
    expected = sum(np.outer(h[t, 0], yhat[t, 0] - y[t]) for t in range(4))
    np.testing.assert_allclose(grad_V, expected)


# --- 10 backpropagation through time ---------------------------------------------------


def test_jacobian_of_elementwise_square_at_7_3_5_is_diag_14_6_10():
    x = np.array([7.0, 3.0, 5.0])
    rows = [numerical_gradient_array(lambda: x**2, x, np.eye(3)[i]) for i in range(3)]
    np.testing.assert_allclose(np.array(rows), np.diag([14.0, 6.0, 10.0]), atol=1e-6)


def test_two_paths_from_z1_to_J_add_up():
    # z1 = wA x, z2 = wB z1, z3 = wC z1, J = z4 = wD z2 + wE z3 (all scalar)
    wA, wB, wC, wD, wE, x = 2.0, 3.0, -1.0, 0.5, 4.0, 1.5
    z1 = np.array([wA * x])
    numeric = numerical_gradient(lambda: float(wD * wB * z1[0] + wE * wC * z1[0]), z1)
    assert numeric[0] == pytest.approx(wD * wB + wE * wC)  # path via z2 + path via z3


def test_L4_gradient_is_the_sum_of_four_path_terms():
    rng = np.random.default_rng(3)
    x, U, W = rng.normal(size=(4, 1, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 3))
    h, cache = rnn_forward(x, np.zeros((1, 3)), U, W, np.zeros(3))
    grad_h = np.zeros_like(h)
    grad_h[3] = rng.normal(size=(1, 3))  # only L_4 (index 3)
    terms = rnn_weight_gradient_contributions(grad_h, cache, matrices=True)[3]
    assert len(terms) == 4
    np.testing.assert_allclose(terms.sum(axis=0), rnn_backward(grad_h, cache)["W"])


# --- 11 vanishing and exploding gradients ------------------------------------------------


def test_gamma_bounds_and_the_product_bound():
    assert activation_gamma("sigmoid") == 0.25
    assert activation_gamma("tanh") == 1.0
    W = 0.9 * np.eye(5)
    np.testing.assert_allclose(gradient_bound(W, [0, 1, 10], "tanh"), [1.0, 0.9, 0.9**10])
    _, cache = simulate_rnn(W, steps=25, activation="tanh", rng=0)
    norms = jacobian_norms(cache)[:, 0]
    assert np.all(norms <= gradient_bound(W, np.arange(25), "tanh") * (1 + 1e-12))


def test_clipping_examples():
    g = np.array([-1.2, 0.3, 0.9, -0.5])
    clip_grad_value([g], 0.7)
    np.testing.assert_allclose(g, [-0.7, 0.3, 0.7, -0.5])
    g = np.array([3.0, 4.0])
    assert clip_grad_norm([g], 1.0) == 5.0
    np.testing.assert_allclose(g, [0.6, 0.8], atol=1e-6)


# --- 13 LSTM and GRU ------------------------------------------------------------------------


def test_lstm_788000_and_gru_591000_parameters():
    assert rnn_param_count("lstm", 784, 200) == 788_000
    assert rnn_param_count("gru", 784, 200) == 591_000
    # and the arrays the library takes have exactly those sizes (GRU: one bias set counted)
    H, D = 200, 784
    U, W, b = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    assert U.size + W.size + b.size == 788_000
    lstm_forward(np.zeros((1, 1, D)), np.zeros((1, H)), np.zeros((1, H)), U, W, b)
    gru_forward(
        np.zeros((1, 1, D)), np.zeros((1, H)), U[:, : 3 * H], W[:, : 3 * H], b[: 3 * H], b[: 3 * H]
    )
    assert U[:, : 3 * H].size + W[:, : 3 * H].size + b[: 3 * H].size == 591_000


def test_whiteboard_181():
    a, b, c, d = 1, 3, 5, 11
    board = {}  # holds at most three statements

    def write(name, value):
        board[name] = value
        assert len(board) <= 3, "the whiteboard is full"

    write("ac", a * c)
    write("bd", b * d)
    write("bd + a", board["bd"] + a)
    assert (board["ac"], board["bd"], board["bd + a"]) == (5, 33, 34)
    del board["bd"]  # selective forget
    write("ac(bd + a)", board["ac"] * board["bd + a"])
    assert board["ac(bd + a)"] == 170
    del board["ac"], board["bd + a"]
    write("ad", a * d)
    assert board["ad"] == 11
    result = board["ac(bd + a)"] + board["ad"]
    assert result == 181 == a * c * (b * d + a) + a * d
