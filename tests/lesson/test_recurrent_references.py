"""The readable recurrent references (one step, and the loops over time built from it)
against the fast functions, numerical gradients and PyTorch (where installed)."""

import numpy as np
import pytest

from lecturelib.gated import (
    gru_backward,
    gru_backward_naive,
    gru_forward,
    gru_forward_naive,
    gru_step,
    gru_step_backward,
    lstm_backward,
    lstm_backward_naive,
    lstm_forward,
    lstm_forward_naive,
    lstm_step,
    lstm_step_backward,
)
from lecturelib.gradients import numerical_gradient
from lecturelib.recurrent import (
    rnn_backward,
    rnn_backward_naive,
    rnn_forward,
    rnn_forward_naive,
    rnn_step,
    rnn_step_backward,
)

SIZES = [(1, 1, 1, 1), (5, 3, 4, 6), (7, 2, 3, 4)]  # T, N, D, H


def weights(rng, D, H, blocks, dtype):
    return [
        (0.6 * rng.normal(size=shape)).astype(dtype)
        for shape in ((D, blocks * H), (H, blocks * H), (blocks * H,), (blocks * H,))
    ]


def sequence(rng, T, N, D, H, dtype):
    x = rng.normal(size=(T, N, D)).astype(dtype)
    h0 = (0.5 * rng.normal(size=(N, H))).astype(dtype)
    grad_h = rng.normal(size=(T, N, H)).astype(dtype)
    return x, h0, grad_h


def assert_same(ours, theirs, dtype):
    tolerance = 2e-5 if dtype == np.float32 else 1e-12
    assert ours.dtype == theirs.dtype == dtype
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rnn_references_equal_the_fast_functions(size, dtype):
    T, N, D, H = size
    rng = np.random.default_rng(T + D)
    x, h0, grad_h = sequence(rng, T, N, D, H, dtype)
    U, W, b, _ = weights(rng, D, H, 1, dtype)
    h_ref, cache_ref = rnn_forward_naive(x, h0, U, W, b)
    h, cache = rnn_forward(x, h0, U, W, b)
    assert_same(h_ref, h, dtype)
    for truncate in (None, 1, 2, 3, T + 1):
        ref = rnn_backward_naive(grad_h, cache_ref, truncate)
        fast = rnn_backward(grad_h, cache, truncate)
        assert sorted(ref) == sorted(fast)
        for name in fast:
            assert_same(ref[name], fast[name], dtype)
    # the reference also reads the fast forward's cache
    assert_same(rnn_backward_naive(grad_h, cache)["W"], rnn_backward(grad_h, cache)["W"], dtype)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lstm_references_equal_the_fast_functions(size, dtype):
    T, N, D, H = size
    rng = np.random.default_rng(2 * T + D)
    x, h0, grad_h = sequence(rng, T, N, D, H, dtype)
    c0 = rng.normal(size=(N, H)).astype(dtype)
    grad_c = rng.normal(size=(T, N, H)).astype(dtype)
    U, W, b, _ = weights(rng, D, H, 4, dtype)
    h_ref, c_ref, cache_ref = lstm_forward_naive(x, h0, c0, U, W, b)
    h, c, cache = lstm_forward(x, h0, c0, U, W, b)
    assert_same(h_ref, h, dtype)
    assert_same(c_ref, c, dtype)
    for extra in (None, grad_c):
        ref = lstm_backward_naive(grad_h, cache_ref, extra)
        fast = lstm_backward(grad_h, cache, extra)
        assert sorted(ref) == sorted(fast)
        for name in fast:
            assert_same(ref[name], fast[name], dtype)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gru_references_equal_the_fast_functions(size, dtype):
    T, N, D, H = size
    rng = np.random.default_rng(3 * T + D)
    x, h0, grad_h = sequence(rng, T, N, D, H, dtype)
    U, W, b_x, b_h = weights(rng, D, H, 3, dtype)
    h_ref, cache_ref = gru_forward_naive(x, h0, U, W, b_x, b_h)
    h, cache = gru_forward(x, h0, U, W, b_x, b_h)
    assert_same(h_ref, h, dtype)
    ref = gru_backward_naive(grad_h, cache_ref)
    fast = gru_backward(grad_h, cache)
    assert sorted(ref) == sorted(fast)
    for name in fast:
        assert_same(ref[name], fast[name], dtype)


def check_step_gradients(step, step_backward, args, names, grad_outputs):
    """Numerical gradients of sum(grad_output * output) for every array argument."""
    grads = step_backward(*grad_outputs, *args)

    def loss():
        outputs = step(*args)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        return float(sum(np.sum(g * o) for g, o in zip(grad_outputs, outputs) if g is not None))

    for name, array in zip(names, args):
        numeric = numerical_gradient(loss, array)
        assert grads[name].shape == array.shape, name
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_rnn_step_backward_passes_the_gradient_check():
    rng = np.random.default_rng(10)
    N, D, H = 3, 4, 5
    args = [rng.normal(size=(N, D)), rng.normal(size=(N, H))] + weights(rng, D, H, 1, float)[:3]
    names = ["x", "h_prev", "U", "W", "b"]
    check_step_gradients(rnn_step, rnn_step_backward, args, names, [rng.normal(size=(N, H))])


@pytest.mark.parametrize("with_grad_c", [False, True])
def test_lstm_step_backward_passes_the_gradient_check(with_grad_c):
    rng = np.random.default_rng(11)
    N, D, H = 3, 2, 4
    args = [rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))]
    args += weights(rng, D, H, 4, float)[:3]
    names = ["x", "h_prev", "c_prev", "U", "W", "b"]
    grad_c = rng.normal(size=(N, H)) if with_grad_c else None
    check_step_gradients(
        lstm_step, lstm_step_backward, args, names, [rng.normal(size=(N, H)), grad_c]
    )


def test_gru_step_backward_passes_the_gradient_check():
    rng = np.random.default_rng(12)
    N, D, H = 3, 2, 4
    args = [rng.normal(size=(N, D)), rng.normal(size=(N, H))] + weights(rng, D, H, 3, float)
    names = ["x", "h_prev", "U", "W", "b_x", "b_h"]
    check_step_gradients(gru_step, gru_step_backward, args, names, [rng.normal(size=(N, H))])


def test_step_functions_name_bad_arguments():
    x, h = np.ones((2, 3)), np.ones((2, 4))
    with pytest.raises(ValueError, match="h_prev must be"):
        rnn_step(x, np.ones((3, 4)), np.ones((3, 4)), np.ones((4, 4)), np.ones(4))
    with pytest.raises(ValueError, match="x must have 2 dimensions"):
        rnn_step(np.ones((1, 2, 3)), h, np.ones((3, 4)), np.ones((4, 4)), np.ones(4))
    with pytest.raises(ValueError, match="grad_h must have the shape"):
        rnn_step_backward(np.ones((2, 5)), x, h, np.ones((3, 4)), np.ones((4, 4)), np.ones(4))
    with pytest.raises(ValueError, match="c_prev must be"):
        lstm_step(x, h, np.ones((2, 3)), np.ones((3, 16)), np.ones((4, 16)), np.ones(16))
    with pytest.raises(ValueError, match="b_h must be"):
        gru_step(x, h, np.ones((3, 12)), np.ones((4, 12)), np.ones(12), np.ones(4))
    with pytest.raises(ValueError, match="tanh"):
        _, cache = rnn_forward(x[None], h, np.ones((3, 4)), np.ones((4, 4)), np.ones(4), "relu")
        rnn_backward_naive(np.ones((1, 2, 4)), cache)


def test_references_match_torch():
    torch = pytest.importorskip("torch")
    T, N, D, H = 4, 3, 2, 5
    rng = np.random.default_rng(13)
    x, h0, grad_h = sequence(rng, T, N, D, H, np.float64)
    c0 = rng.normal(size=(N, H))

    def run(net, *states):
        xt = torch.tensor(x, requires_grad=True)
        initial = [torch.tensor(s[None], requires_grad=True) for s in states]
        out, _ = net(xt, initial[0] if len(initial) == 1 else tuple(initial))
        out.backward(torch.tensor(grad_h))
        params = [p.detach().numpy() for p in net.parameters()]  # w_ih, w_hh, b_ih, b_hh
        grads = [p.grad.numpy() for p in net.parameters()]
        return (
            out.detach().numpy(),
            xt.grad.numpy(),
            [s.grad.numpy()[0] for s in initial],
            (
                params,
                grads,
            ),
        )

    torch.manual_seed(0)
    out, grad_x, (grad_h0,), ((w_ih, w_hh, b_ih, b_hh), g) = run(torch.nn.RNN(D, H).double(), h0)
    h, cache = rnn_forward_naive(x, h0, w_ih.T, w_hh.T, b_ih + b_hh)
    grads = rnn_backward_naive(grad_h, cache)
    np.testing.assert_allclose(h, out, rtol=1e-12, atol=1e-13)
    for ours, theirs in [(grads["x"], grad_x), (grads["h0"], grad_h0), (grads["U"], g[0].T)]:
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    np.testing.assert_allclose(grads["W"], g[1].T, atol=1e-12)
    np.testing.assert_allclose(grads["b"], g[2], atol=1e-12)

    out, grad_x, (grad_h0, grad_c0), ((w_ih, w_hh, b_ih, b_hh), g) = run(
        torch.nn.LSTM(D, H).double(), h0, c0
    )
    h, _, cache = lstm_forward_naive(x, h0, c0, w_ih.T, w_hh.T, b_ih + b_hh)
    grads = lstm_backward_naive(grad_h, cache)
    np.testing.assert_allclose(h, out, rtol=1e-12, atol=1e-13)
    expected = {"x": grad_x, "h0": grad_h0, "c0": grad_c0, "U": g[0].T, "W": g[1].T, "b": g[2]}
    for name, theirs in expected.items():
        np.testing.assert_allclose(grads[name], theirs, atol=1e-12, err_msg=name)

    out, grad_x, (grad_h0,), ((w_ih, w_hh, b_ih, b_hh), g) = run(torch.nn.GRU(D, H).double(), h0)
    h, cache = gru_forward_naive(x, h0, w_ih.T, w_hh.T, b_ih, b_hh)
    grads = gru_backward_naive(grad_h, cache)
    np.testing.assert_allclose(h, out, rtol=1e-12, atol=1e-13)
    expected = {"x": grad_x, "h0": grad_h0, "U": g[0].T, "W": g[1].T, "b_x": g[2], "b_h": g[3]}
    for name, theirs in expected.items():
        np.testing.assert_allclose(grads[name], theirs, atol=1e-12, err_msg=name)
