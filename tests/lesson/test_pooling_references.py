"""The readable pooling references (one window at a time) against the fast functions,
against numerical gradients, and against PyTorch where it is installed."""

import numpy as np
import pytest

from lecturelib.gradients import numerical_gradient_array
from lecturelib.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)


def random_max_settings(rng):
    """Kernel, stride, padding, dilation and ceil_mode that PyTorch accepts for some x."""
    kernel = tuple(int(k) for k in rng.integers(1, 5, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    ceil_mode = bool(rng.integers(0, 2))
    return {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }


def random_avg_settings(rng):
    settings = random_max_settings(rng)
    del settings["dilation"]
    settings["count_include_pad"] = bool(rng.integers(0, 2))
    if rng.integers(0, 4) == 0:
        settings["divisor_override"] = int(rng.integers(1, 7))
    return settings


def random_cases(make_settings, seed, count):
    """(x, settings) pairs: small integers (many ties) or normal values, float64 or float32."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        settings = make_settings(rng)
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), *rng.integers(3, 10, size=2))
        dtype = np.float32 if len(cases) % 3 == 2 else np.float64
        if len(cases) % 2:
            x = rng.integers(-2, 3, size=shape).astype(dtype)  # ties
        else:
            x = rng.normal(size=shape).astype(dtype)
        try:
            y = max_pool2d(x, **settings) if "dilation" in settings else avg_pool2d(x, **settings)
        except ValueError:
            continue  # a window that reads padding only: refused by both
        grad_y = rng.normal(size=y.shape).astype(dtype)
        cases.append((x, grad_y, settings))
    return cases


@pytest.mark.parametrize("case", random_cases(random_max_settings, 0, 120))
def test_max_pool_reference_equals_the_fast_path(case):
    x, grad_y, settings = case
    y_ref, indices_ref = max_pool2d_naive(x, **settings, return_indices=True)
    y, indices = max_pool2d(x, **settings, return_indices=True)
    assert y_ref.dtype == y.dtype == x.dtype
    np.testing.assert_array_equal(y_ref, y)
    np.testing.assert_array_equal(indices_ref, indices)
    np.testing.assert_array_equal(max_pool2d_naive(x, **settings), max_pool2d(x, **settings))
    grad_ref = max_pool2d_backward_naive(grad_y, x, **settings)
    grad = max_pool2d_backward(grad_y, x, **settings)
    assert grad_ref.dtype == grad.dtype == x.dtype
    tolerance = 1e-6 if x.dtype == np.float32 else 1e-14
    np.testing.assert_allclose(grad_ref, grad, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("case", random_cases(random_avg_settings, 1, 120))
def test_avg_pool_reference_equals_the_fast_path(case):
    x, grad_y, settings = case
    tolerance = 1e-5 if x.dtype == np.float32 else 1e-13
    y_ref, y = avg_pool2d_naive(x, **settings), avg_pool2d(x, **settings)
    assert y_ref.dtype == y.dtype == x.dtype
    np.testing.assert_allclose(y_ref, y, rtol=tolerance, atol=tolerance)
    grad_ref = avg_pool2d_backward_naive(grad_y, x, **settings)
    grad = avg_pool2d_backward(grad_y, x, **settings)
    assert grad_ref.dtype == grad.dtype == x.dtype
    np.testing.assert_allclose(grad_ref, grad, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("shape", [(3, 2, 28, 28), (2, 3, 8, 6)])
def test_the_tiled_fast_path_equals_the_reference(shape):
    """2 x 2 windows side by side covering x: the fast path's 6-D special case."""
    rng = np.random.default_rng(2)
    for dtype in (np.float64, np.float32):
        x = rng.integers(-2, 3, size=shape).astype(dtype)
        grad_y = rng.normal(size=(*shape[:2], shape[2] // 2, shape[3] // 2)).astype(dtype)
        np.testing.assert_array_equal(max_pool2d_naive(x, 2), max_pool2d(x, 2))
        np.testing.assert_array_equal(
            max_pool2d_backward_naive(grad_y, x, 2), max_pool2d_backward(grad_y, x, 2)
        )
        np.testing.assert_allclose(avg_pool2d_naive(x, 2), avg_pool2d(x, 2), rtol=1e-6)
        np.testing.assert_allclose(
            avg_pool2d_backward_naive(grad_y, x, 2), avg_pool2d_backward(grad_y, x, 2), rtol=1e-6
        )


def test_unbatched_input_gives_unbatched_output():
    x = np.random.default_rng(3).normal(size=(2, 5, 5))
    assert max_pool2d_naive(x, 2).shape == (2, 2, 2)
    np.testing.assert_array_equal(max_pool2d_naive(x, 2), max_pool2d(x, 2))
    grad = avg_pool2d_backward_naive(np.ones((2, 2, 2)), x, 2)
    assert grad.shape == x.shape


def test_ties_go_to_the_first_maximum_and_overlaps_add_up():
    x = np.array([[[[5.0, 5.0, 1.0], [5.0, 2.0, 5.0], [0.0, 5.0, 5.0]]]])
    grad = max_pool2d_backward_naive(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    np.testing.assert_array_equal(grad, [[1, 1, 0], [1, 0, 1], [0, 0, 0]])


MAX_SETTINGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 0), "dilation": (2, 1)},
]
AVG_SETTINGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": 1, "padding": (1, 1), "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5},
]


@pytest.mark.parametrize("settings", MAX_SETTINGS)
def test_max_pool_reference_backward_passes_the_gradient_check(settings):
    rng = np.random.default_rng(4)
    x = rng.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) / 7.0  # distinct values: no ties
    grad_y = rng.normal(size=max_pool2d_naive(x, **settings).shape)
    numeric = numerical_gradient_array(lambda: max_pool2d_naive(x, **settings), x, grad_y, h=1e-3)
    analytic = max_pool2d_backward_naive(grad_y, x, **settings)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("settings", AVG_SETTINGS)
def test_avg_pool_reference_backward_passes_the_gradient_check(settings):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 2, 7, 6))
    grad_y = rng.normal(size=avg_pool2d_naive(x, **settings).shape)
    numeric = numerical_gradient_array(lambda: avg_pool2d_naive(x, **settings), x, grad_y, h=1e-3)
    analytic = avg_pool2d_backward_naive(grad_y, x, **settings)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_references_refuse_bad_arguments_like_the_fast_functions():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="padding 2 along height is more than half"):
        max_pool2d_naive(x, 3, padding=2)
    with pytest.raises(ValueError, match="divisor_override must not be 0"):
        avg_pool2d_naive(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="grad_y must have the output's shape"):
        max_pool2d_backward_naive(np.ones((1, 1, 3, 3)), x, 2)
    with pytest.raises(TypeError, match="count_include_pad must be True or False"):
        avg_pool2d_backward_naive(np.ones((1, 1, 2, 2)), x, 2, count_include_pad=1)


@pytest.mark.parametrize("settings", MAX_SETTINGS)
def test_max_pool_reference_matches_torch(settings):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, size=(2, 3, 7, 6)).astype(np.float64)  # ties
    y, indices = max_pool2d_naive(x, **settings, return_indices=True)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(xt, **settings, return_indices=True)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(indices, it.numpy())
    grad_y = rng.normal(size=y.shape)
    yt.backward(torch.tensor(grad_y))
    np.testing.assert_allclose(
        max_pool2d_backward_naive(grad_y, x, **settings), xt.grad.numpy(), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("settings", AVG_SETTINGS)
def test_avg_pool_reference_matches_torch(settings):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 7, 6))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.avg_pool2d(xt, **settings)
    np.testing.assert_allclose(avg_pool2d_naive(x, **settings), yt.detach().numpy(), rtol=1e-10)
    grad_y = rng.normal(size=tuple(yt.shape))
    yt.backward(torch.tensor(grad_y))
    np.testing.assert_allclose(
        avg_pool2d_backward_naive(grad_y, x, **settings), xt.grad.numpy(), rtol=1e-10, atol=1e-12
    )
