"""Parity of lecturelib's convolution and pooling with torch.nn.functional,
forward and backward (through autograd), on many random configurations."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
F = torch.nn.functional

from lecturelib import (  # noqa: E402
    avg_pool2d,
    avg_pool2d_backward,
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    max_pool2d,
    max_pool2d_backward,
)

TOLERANCE = {np.float64: 1e-10, np.float32: 2e-5}


def assert_close(ours, theirs, dtype):
    """max |ours - theirs| <= tolerance * max(1, max |theirs|)."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    assert float(np.max(np.abs(ours - theirs), initial=0.0)) <= TOLERANCE[dtype] * scale


def torch_leaf(array):
    return torch.tensor(array, requires_grad=True)


def random_conv_case(rng, dims, dtype):
    n, c, f = (int(v) for v in rng.integers(1, 5, size=3))
    kernel = [int(v) for v in rng.integers(1, 6, size=dims)]
    stride = [int(v) for v in rng.integers(1, 4, size=dims)]
    padding = [int(v) for v in rng.integers(0, 3, size=dims)]
    dilation = [int(v) for v in rng.integers(1, 4, size=dims)]
    sizes = []
    for k, p, d in zip(kernel, padding, dilation):
        smallest = max(1, d * (k - 1) + 1 - 2 * p)  # the dilated kernel must fit
        sizes.append(int(rng.integers(smallest, smallest + 10)))
    x = rng.standard_normal((n, c, *sizes)).astype(dtype)
    w = rng.standard_normal((f, c, *kernel)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype) if rng.random() < 0.8 else None
    if dims == 1:
        settings = {"stride": stride[0], "padding": padding[0], "dilation": dilation[0]}
    else:
        settings = {"stride": tuple(stride), "padding": tuple(padding), "dilation": tuple(dilation)}
    return x, w, b, settings


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("dims", "ours", "ours_backward", "theirs"),
    [(1, conv1d, conv1d_backward, F.conv1d), (2, conv2d, conv2d_backward, F.conv2d)],
    ids=["conv1d", "conv2d"],
)
def test_conv_parity_random(dims, ours, ours_backward, theirs, dtype):
    rng = np.random.default_rng(dims * 100 + (dtype == np.float32))
    for _ in range(60):
        x, w, b, settings = random_conv_case(rng, dims, dtype)
        xt, wt = torch_leaf(x), torch_leaf(w)
        bt = torch_leaf(b) if b is not None else None
        yt = theirs(xt, wt, bt, **settings)
        y = ours(x, w, b, **settings)
        assert_close(y, yt, dtype)
        grad_y = rng.standard_normal(y.shape).astype(dtype)
        yt.backward(torch.tensor(grad_y))
        grad_x, grad_w, grad_b = ours_backward(grad_y, x, w, b, **settings)
        assert_close(grad_x, xt.grad, dtype)
        assert_close(grad_w, wt.grad, dtype)
        if b is None:
            assert grad_b is None
        else:
            assert_close(grad_b, bt.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_parity_lecture_shapes(dtype):
    """The shapes of the lecture's CNNs, batch > 1, stride 1 with padding and stride 4."""
    rng = np.random.default_rng(7)
    cases = [
        ((64, 1, 28, 28), (8, 1, 3, 3), {"padding": 1}),
        ((16, 8, 14, 14), (16, 8, 3, 3), {"padding": 1}),
        ((2, 3, 35, 35), (4, 3, 11, 11), {"stride": 4}),
        ((3, 2, 9, 12), (5, 2, 2, 5), {"padding": (1, 2), "dilation": (2, 1)}),
    ]
    for x_shape, w_shape, settings in cases:
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(w_shape[0]).astype(dtype)
        xt, wt, bt = torch_leaf(x), torch_leaf(w), torch_leaf(b)
        yt = F.conv2d(xt, wt, bt, **settings)
        y = conv2d(x, w, b, **settings)
        assert_close(y, yt, dtype)
        grad_y = rng.standard_normal(y.shape).astype(dtype)
        yt.backward(torch.tensor(grad_y))
        for ours, theirs in zip(conv2d_backward(grad_y, x, w, b, **settings), (xt, wt, bt)):
            assert_close(ours, theirs.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("ours", "ours_backward", "theirs"),
    [
        (max_pool2d, max_pool2d_backward, F.max_pool2d),
        (avg_pool2d, avg_pool2d_backward, F.avg_pool2d),
    ],
    ids=["max_pool2d", "avg_pool2d"],
)
def test_pool_parity_random_with_ties(ours, ours_backward, theirs, dtype):
    rng = np.random.default_rng(3 + (dtype == np.float32))
    for trial in range(80):
        kernel = tuple(int(v) for v in rng.integers(1, 5, size=2))
        stride = tuple(int(v) for v in rng.integers(1, 4, size=2)) if trial % 4 else None
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        h = int(rng.integers(max(1, kernel[0] - 2 * padding[0]), 12))
        w = int(rng.integers(max(1, kernel[1] - 2 * padding[1]), 12))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), h, w)
        # small integers make ties, overlapping windows (stride < kernel) share maxima
        x = rng.integers(-2, 3, size=shape).astype(dtype)
        xt = torch_leaf(x)
        yt = theirs(xt, kernel, stride, padding)
        y = ours(x, kernel, stride, padding)
        assert_close(y, yt, dtype)
        grad_y = rng.standard_normal(y.shape).astype(dtype)
        yt.backward(torch.tensor(grad_y))
        assert_close(ours_backward(grad_y, x, kernel, stride, padding), xt.grad, dtype)


def test_max_pool_tie_rule_matches_torch_on_constant_input():
    x = np.zeros((1, 1, 5, 5))
    xt = torch_leaf(x)
    F.max_pool2d(xt, 3, 1, 1).sum().backward()
    np.testing.assert_array_equal(
        max_pool2d_backward(np.ones((1, 1, 5, 5)), x, 3, 1, 1), xt.grad.numpy()
    )
