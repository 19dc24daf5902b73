"""LSTM and GRU: forward equations, gradient checks, gate caches, parameter counts."""

import numpy as np
import pytest

from lecturelib import gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_param_count
from lecturelib.gradients import check_gradient


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def make_lstm(T=4, N=2, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        x=rng.normal(size=(T, N, D)),
        h0=rng.normal(size=(N, H)) * 0.5,
        c0=rng.normal(size=(N, H)) * 0.5,
        U=rng.normal(size=(D, 4 * H)) * 0.7,
        W=rng.normal(size=(H, 4 * H)) * 0.7,
        b=rng.normal(size=4 * H) * 0.3,
    )


def make_gru(T=4, N=2, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        x=rng.normal(size=(T, N, D)),
        h0=rng.normal(size=(N, H)) * 0.5,
        U=rng.normal(size=(D, 3 * H)) * 0.7,
        W=rng.normal(size=(H, 3 * H)) * 0.7,
        b_x=rng.normal(size=3 * H) * 0.3,
        b_h=rng.normal(size=3 * H) * 0.3,
    )


def test_lstm_forward_follows_the_equations_and_caches_the_gates():
    p = make_lstm()
    h, c, cache = lstm_forward(**p)
    H = p["h0"].shape[1]
    h_prev, c_prev = p["h0"], p["c0"]
    for t in range(p["x"].shape[0]):
        a = p["x"][t] @ p["U"] + h_prev @ p["W"] + p["b"]
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
        g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
        c_prev = f * c_prev + i * g
        h_prev = o * np.tanh(c_prev)
        np.testing.assert_allclose(c[t], c_prev, rtol=1e-12)
        np.testing.assert_allclose(h[t], h_prev, rtol=1e-12)
        for name, gate in zip("ifgo", (i, f, g, o)):
            np.testing.assert_allclose(cache[name][t], gate, rtol=1e-12)
    assert cache["gates"].shape == (4, 2, 16)
    assert np.shares_memory(cache["f"], cache["gates"])


def test_lstm_backward_passes_the_gradient_check_with_losses_on_h_and_c():
    p = make_lstm(T=4, N=2, D=3, H=3, seed=1)
    rng = np.random.default_rng(11)
    grad_h = rng.normal(size=(4, 2, 3))
    grad_c = rng.normal(size=(4, 2, 3))
    _, _, cache = lstm_forward(**p)
    grads = lstm_backward(grad_h, cache, grad_c=grad_c)
    only_h = lstm_backward(grad_h, cache)

    def loss(with_c=True):
        h, c, _ = lstm_forward(**p)
        return float(np.sum(h * grad_h) + (np.sum(c * grad_c) if with_c else 0.0))

    for name, array in p.items():
        assert grads[name].shape == array.shape
        check_gradient(loss, array, grads[name], tolerance=1e-7)
        check_gradient(lambda: loss(False), array, only_h[name], tolerance=1e-7)


def test_gru_forward_follows_the_equations_and_caches_the_gates():
    p = make_gru()
    h, cache = gru_forward(**p)
    H = p["h0"].shape[1]
    h_prev = p["h0"]
    for t in range(p["x"].shape[0]):
        ax = p["x"][t] @ p["U"] + p["b_x"]
        ah = h_prev @ p["W"] + p["b_h"]
        r = sigmoid(ax[:, :H] + ah[:, :H])
        z = sigmoid(ax[:, H : 2 * H] + ah[:, H : 2 * H])
        n = np.tanh(ax[:, 2 * H :] + r * ah[:, 2 * H :])
        h_prev = (1 - z) * n + z * h_prev
        np.testing.assert_allclose(h[t], h_prev, rtol=1e-12)
        for name, gate in zip("rzn", (r, z, n)):
            np.testing.assert_allclose(cache[name][t], gate, rtol=1e-12)
        np.testing.assert_allclose(cache["hn"][t], ah[:, 2 * H :], rtol=1e-12)


def test_gru_backward_passes_the_gradient_check():
    p = make_gru(T=5, N=2, D=3, H=3, seed=2)
    grad_h = np.random.default_rng(12).normal(size=(5, 2, 3))
    _, cache = gru_forward(**p)
    grads = gru_backward(grad_h, cache)

    def loss():
        h, _ = gru_forward(**p)
        return float(np.sum(h * grad_h))

    for name, array in p.items():
        assert grads[name].shape == array.shape
        check_gradient(loss, array, grads[name], tolerance=1e-7)


def test_an_open_forget_gate_carries_the_gradient_back_unchanged():
    # f = 1, i = 0, o = 1 everywhere: c is a pure memory and dL/dc0 = dL/dc_T.
    T, N, D, H = 30, 1, 2, 3
    b = np.concatenate([np.full(H, -60.0), np.full(H, 60.0), np.zeros(H), np.full(H, 60.0)])
    x = np.random.default_rng(3).normal(size=(T, N, D))
    c0 = np.full((N, H), 0.5)
    h, c, cache = lstm_forward(
        x, np.zeros((N, H)), c0, np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), b
    )
    np.testing.assert_allclose(c[-1], c0)
    grad_c = np.zeros_like(c)
    grad_c[-1] = 1.0
    grads = lstm_backward(np.zeros_like(h), cache, grad_c=grad_c)
    np.testing.assert_allclose(grads["c0"], 1.0)


def test_dtypes_follow_the_input():
    p32 = {k: v.astype(np.float32) for k, v in make_lstm().items()}
    h, c, cache = lstm_forward(**p32)
    assert h.dtype == c.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm_backward(np.ones_like(h), cache).values())
    g32 = {k: v.astype(np.float32) for k, v in make_gru().items()}
    h, cache = gru_forward(**g32)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru_backward(np.ones_like(h), cache).values())
    p = make_lstm()
    p["x"] = np.ones((2, 2, 3), dtype=int)
    assert lstm_forward(**p)[0].dtype == np.float64


def test_shapes_are_validated_by_name():
    p = make_lstm(T=3, N=2, D=3, H=4)
    with pytest.raises(ValueError, match=r"W must be \(H, 4H\)"):
        lstm_forward(**{**p, "W": p["W"][:, :12]})
    with pytest.raises(ValueError, match=r"U must be \(D, 16\) = \(3, 16\)"):
        lstm_forward(**{**p, "U": p["U"][:2]})
    with pytest.raises(ValueError, match=r"c0 must be \(N, H\) = \(2, 4\)"):
        lstm_forward(**{**p, "c0": p["c0"][:, :3]})
    with pytest.raises(ValueError, match=r"h0 must be \(N, H\)"):
        lstm_forward(**{**p, "h0": p["h0"][:1]})
    with pytest.raises(ValueError, match=r"b must be \(16,\)"):
        lstm_forward(**{**p, "b": p["b"][:4]})
    g = make_gru(T=3, N=2, D=3, H=4)
    with pytest.raises(ValueError, match=r"b_h must be \(12,\)"):
        gru_forward(**{**g, "b_h": g["b_h"][:4]})
    with pytest.raises(ValueError, match=r"W must be \(H, 3H\)"):
        gru_forward(**{**g, "W": g["W"][:3]})
    h, c, cache = lstm_forward(**p)
    with pytest.raises(ValueError, match="grad_c must have the shape"):
        lstm_backward(np.ones_like(h), cache, grad_c=np.ones((3, 2, 5)))
    with pytest.raises(TypeError, match="cache must be the dict returned by lstm_forward"):
        lstm_backward(np.ones_like(h), {})
    with pytest.raises(TypeError, match="cache must be the dict returned by gru_forward"):
        gru_backward(np.ones_like(h), cache)


def test_parameter_counts():
    assert rnn_param_count("lstm", 784, 200) == 4 * (784 * 200 + 200 * 200 + 200) == 788_000
    assert rnn_param_count("gru", 784, 200) == 3 * (784 * 200 + 200 * 200 + 200) == 591_000
    assert rnn_param_count("rnn", 784, 200, outputs=2, biases=0) == 784 * 200 + 200 * 200 + 400
    assert rnn_param_count("RNN", 3, 2, outputs=4) == 3 * 2 + 2 * 2 + 2 + 2 * 4 + 4
    assert rnn_param_count("lstm", 10, 5, biases=2) == 4 * (50 + 25 + 10)
    with pytest.raises(ValueError, match="kind must be one of"):
        rnn_param_count("transformer", 3, 2)
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        rnn_param_count("gru", 3, 0)
    with pytest.raises(ValueError, match="biases must be 0, 1 or 2"):
        rnn_param_count("gru", 3, 2, biases=3)
    with pytest.raises(TypeError, match="inputs must be an integer"):
        rnn_param_count("gru", 3.5, 2)
