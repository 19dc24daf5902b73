"""Parity with PyTorch's nn.RNN, nn.LSTM, nn.GRU and clip_grad_norm_ (float64)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")

from lecturelib import (  # noqa: E402
    clip_grad_norm,
    clip_grad_value,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from lecturelib.losses import softmax_cross_entropy  # noqa: E402

# (T, N, D, H): edge cases, then sizes drawn at random (seeded)
SIZES = [(1, 1, 1, 1), (5, 3, 4, 6)] + [
    tuple(int(n) for n in np.random.default_rng(seed).integers(1, 10, size=4)) for seed in range(3)
]


def tensor(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def numpy(t):
    return t.detach().numpy()


def random_inputs(T, N, D, H, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(T, N, H)), rng


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_rnn_matches_torch(T, N, D, H):
    torch.manual_seed(T * 100 + H)
    net = torch.nn.RNN(D, H, nonlinearity="tanh").double()
    x, h0, grad_h, _ = random_inputs(T, N, D, H, seed=T + D)
    xt, h0t = tensor(x), tensor(h0[None])
    out, _ = net(xt, h0t)
    out.backward(torch.tensor(grad_h))
    # torch: x W_ih^T + b_ih + h W_hh^T + b_hh  ->  U = W_ih^T, W = W_hh^T, b = b_ih + b_hh
    U = numpy(net.weight_ih_l0).T
    W = numpy(net.weight_hh_l0).T
    b = numpy(net.bias_ih_l0) + numpy(net.bias_hh_l0)
    h, cache = rnn_forward(x, h0, U, W, b)
    np.testing.assert_allclose(h, numpy(out), rtol=1e-12, atol=1e-13)
    grads = rnn_backward(grad_h, cache)
    np.testing.assert_allclose(grads["x"], numpy(xt.grad), atol=1e-12)
    np.testing.assert_allclose(grads["h0"], numpy(h0t.grad)[0], atol=1e-12)
    np.testing.assert_allclose(grads["U"], numpy(net.weight_ih_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["W"], numpy(net.weight_hh_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["b"], numpy(net.bias_ih_l0.grad), atol=1e-12)
    np.testing.assert_allclose(grads["b"], numpy(net.bias_hh_l0.grad), atol=1e-12)


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_lstm_matches_torch(T, N, D, H):
    torch.manual_seed(T * 10 + H)
    net = torch.nn.LSTM(D, H).double()
    x, h0, grad_h, rng = random_inputs(T, N, D, H, seed=2 * T + D)
    c0 = rng.normal(size=(N, H))
    grad_c_last = rng.normal(size=(N, H))
    xt, h0t, c0t = tensor(x), tensor(h0[None]), tensor(c0[None])
    out, (_, c_n) = net(xt, (h0t, c0t))
    (
        torch.sum(out * torch.tensor(grad_h)) + torch.sum(c_n[0] * torch.tensor(grad_c_last))
    ).backward()
    U = numpy(net.weight_ih_l0).T  # (D, 4H), blocks i, f, g, o as in torch
    W = numpy(net.weight_hh_l0).T
    b = numpy(net.bias_ih_l0) + numpy(net.bias_hh_l0)
    h, c, cache = lstm_forward(x, h0, c0, U, W, b)
    np.testing.assert_allclose(h, numpy(out), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c[-1], numpy(c_n)[0], rtol=1e-12, atol=1e-13)
    grad_c = np.zeros_like(c)
    grad_c[-1] = grad_c_last  # torch only returns the last cell state
    grads = lstm_backward(grad_h, cache, grad_c=grad_c)
    np.testing.assert_allclose(grads["x"], numpy(xt.grad), atol=1e-12)
    np.testing.assert_allclose(grads["h0"], numpy(h0t.grad)[0], atol=1e-12)
    np.testing.assert_allclose(grads["c0"], numpy(c0t.grad)[0], atol=1e-12)
    np.testing.assert_allclose(grads["U"], numpy(net.weight_ih_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["W"], numpy(net.weight_hh_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["b"], numpy(net.bias_ih_l0.grad), atol=1e-12)


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_gru_matches_torch(T, N, D, H):
    torch.manual_seed(T + 7 * H)
    net = torch.nn.GRU(D, H).double()
    x, h0, grad_h, _ = random_inputs(T, N, D, H, seed=3 * T + D)
    xt, h0t = tensor(x), tensor(h0[None])
    out, _ = net(xt, h0t)
    out.backward(torch.tensor(grad_h))
    U = numpy(net.weight_ih_l0).T  # (D, 3H), blocks r, z, n as in torch
    W = numpy(net.weight_hh_l0).T
    b_x, b_h = numpy(net.bias_ih_l0), numpy(net.bias_hh_l0)
    h, cache = gru_forward(x, h0, U, W, b_x, b_h)
    np.testing.assert_allclose(h, numpy(out), rtol=1e-12, atol=1e-13)
    grads = gru_backward(grad_h, cache)
    np.testing.assert_allclose(grads["x"], numpy(xt.grad), atol=1e-12)
    np.testing.assert_allclose(grads["h0"], numpy(h0t.grad)[0], atol=1e-12)
    np.testing.assert_allclose(grads["U"], numpy(net.weight_ih_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["W"], numpy(net.weight_hh_l0.grad).T, atol=1e-12)
    np.testing.assert_allclose(grads["b_x"], numpy(net.bias_ih_l0.grad), atol=1e-12)
    np.testing.assert_allclose(grads["b_h"], numpy(net.bias_hh_l0.grad), atol=1e-12)


@pytest.mark.parametrize("max_norm", [0.0, 0.5, 3.0, 1e6])
def test_clip_grad_norm_matches_torch(max_norm):
    rng = np.random.default_rng(int(max_norm) + 1)
    arrays = [rng.normal(size=s) for s in [(3, 4), (4,), (2, 2, 2)]]
    params = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = torch.tensor(a)
    torch_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    ours = [a.copy() for a in arrays]
    norm = clip_grad_norm(ours, max_norm)
    assert np.isclose(norm, float(torch_norm), rtol=1e-12)
    for p, a in zip(params, ours):
        np.testing.assert_allclose(a, numpy(p.grad), rtol=1e-12, atol=1e-15)


def test_clip_grad_value_matches_torch():
    a = np.random.default_rng(5).normal(size=(4, 5)) * 2
    p = torch.zeros(a.shape, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor(a)
    torch.nn.utils.clip_grad_value_([p], 0.7)
    ours = {"w": a.copy()}
    clip_grad_value(ours, 0.7)
    np.testing.assert_array_equal(ours["w"], numpy(p.grad))


def test_softmax_cross_entropy_mean_matches_torch():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 3, 7)) * 30  # (T, N, V), large logits on purpose
    targets = rng.integers(0, 7, size=(4, 3))
    loss, grad = softmax_cross_entropy(logits, targets, reduction="mean")
    logits_t = tensor(logits)
    reference = torch.nn.functional.cross_entropy(
        logits_t.reshape(12, 7), torch.tensor(targets).reshape(12)
    )
    reference.backward()
    assert np.isclose(loss, float(reference.detach()), rtol=1e-12)
    np.testing.assert_allclose(grad, numpy(logits_t.grad), atol=1e-15)
