"""Tests for lecturelib.pooling: max/avg/min pooling forward and backward, pooling
across channels, the matrix helper and argument validation."""

import numpy as np
import pytest

import lecturelib
from lecturelib.gradients import numerical_gradient_array, relative_error
from lecturelib.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_naive,
    channel_max_pool,
    channel_max_pool_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    min_pool2d,
    min_pool2d_backward,
    pool_matrix,
    pool_output_size,
)


def random_pool_config(rng):
    kernel = tuple(int(v) for v in rng.integers(1, 5, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    h = int(rng.integers(max(1, kernel[0] - 2 * padding[0]), 10))
    w = int(rng.integers(max(1, kernel[1] - 2 * padding[1]), 10))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), h, w)
    return shape, kernel, stride, padding


def test_pools_match_the_loop_references_on_random_configurations():
    """The fast functions against the package's one-window-at-a-time references."""
    rng = np.random.default_rng(0)
    for _ in range(80):
        shape, kernel, stride, padding = random_pool_config(rng)
        x = rng.integers(-3, 4, size=shape).astype(float)  # small integers: many ties
        np.testing.assert_array_equal(
            max_pool2d(x, kernel, stride, padding), max_pool2d_naive(x, kernel, stride, padding)
        )
        np.testing.assert_array_equal(
            min_pool2d(x, kernel, stride, padding), -max_pool2d_naive(-x, kernel, stride, padding)
        )
        np.testing.assert_allclose(
            avg_pool2d(x, kernel, stride, padding),
            avg_pool2d_naive(x, kernel, stride, padding),
            rtol=1e-12,
            atol=1e-12,
        )
        grad_y = rng.standard_normal(max_pool2d(x, kernel, stride, padding).shape)
        np.testing.assert_allclose(
            max_pool2d_backward(grad_y, x, kernel, stride, padding),
            max_pool2d_backward_naive(grad_y, x, kernel, stride, padding),
            rtol=1e-12,
            atol=1e-12,
        )


def test_stride_defaults_to_kernel():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    assert max_pool2d(x, 3).shape == (1, 1, 2, 2)
    assert max_pool2d(x, (2, 3)).shape == (1, 1, 3, 2)
    np.testing.assert_array_equal(avg_pool2d(x, 2), avg_pool2d(x, 2, stride=2))


def test_max_pool_padding_is_minus_infinity():
    x = -np.ones((1, 1, 2, 2))  # all negative: zero padding would win
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=1, padding=1)[0, 0], -np.ones((3, 3)))
    np.testing.assert_array_equal(min_pool2d(-x, 2, stride=1, padding=1)[0, 0], np.ones((3, 3)))


def test_avg_pool_counts_zero_padding():
    x = np.ones((1, 1, 2, 2))
    y = avg_pool2d(x, 2, stride=1, padding=1)[0, 0]
    np.testing.assert_allclose(y, [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_max_pool_ties_go_to_first_maximum_and_overlaps_accumulate():
    x = np.array([[[[5.0, 5.0, 1.0], [5.0, 2.0, 5.0], [0.0, 5.0, 5.0]]]])
    grad = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    # windows (0,0), (0,1) and (1,0) all pick the first 5 they meet in row-major order
    np.testing.assert_array_equal(grad, [[1, 1, 0], [1, 0, 1], [0, 0, 0]])
    assert grad.sum() == 4
    constant = np.zeros((1, 1, 4, 4))
    grad = max_pool2d_backward(np.ones((1, 1, 3, 3)), constant, 2, stride=1)[0, 0]
    np.testing.assert_array_equal(grad, [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("stride", [None, 1], ids=["tiled windows", "overlapping windows"])
def test_max_pool_backward_sends_an_infinite_or_nan_gradient_to_the_winner_only(stride):
    """PyTorch adds every gradient at its window's maximum: the other cells stay 0."""
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    grad_y = np.ones((1, 2, 2, 2) if stride is None else (1, 2, 3, 3))
    grad_y[0, 0, 0, 0], grad_y[0, 1, 1, 1] = np.inf, np.nan
    with np.errstate(invalid="raise"):  # no inf * 0 on the way
        grad = max_pool2d_backward(grad_y, x, 2, stride=stride)
    expected = max_pool2d_backward_naive(grad_y, x, 2, stride=stride)
    np.testing.assert_array_equal(grad, expected)
    assert np.isinf(grad).sum() == 1 and np.isnan(grad).sum() == 1
    assert (grad[np.isfinite(grad)] >= 0).all() and grad[0, 0, 0, 0] == 0


@pytest.mark.parametrize(
    ("kernel", "stride", "padding"),
    [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 0)), (3, 2, 1), ((1, 2), (2, 1), (0, 1))],
)
def test_pool_backward_numerical(kernel, stride, padding):
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 7.0  # distinct: no ties
    for forward, backward in (
        (max_pool2d, max_pool2d_backward),
        (avg_pool2d, avg_pool2d_backward),
        (min_pool2d, min_pool2d_backward),
    ):
        y = forward(x, kernel, stride, padding)
        grad_y = rng.standard_normal(y.shape)
        analytic = backward(grad_y, x, kernel, stride, padding)
        numeric = numerical_gradient_array(
            lambda f=forward: f(x, kernel, stride, padding), x, grad_y, h=1e-3
        )
        assert analytic.shape == x.shape
        assert relative_error(analytic, numeric) < 1e-7, forward.__name__


def test_pool_dtypes():
    x32 = np.ones((1, 2, 4, 4), dtype=np.float32)
    for forward, backward in ((max_pool2d, max_pool2d_backward), (avg_pool2d, avg_pool2d_backward)):
        assert forward(x32, 2).dtype == np.float32
        assert backward(np.ones((1, 2, 2, 2)), x32, 2).dtype == np.float32
        assert forward(np.ones((1, 1, 2, 2), dtype=int), 2).dtype == np.float64


def test_channel_max_pool_and_backward():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 3, 5))
    np.testing.assert_array_equal(channel_max_pool(x), x.max(axis=1))
    assert channel_max_pool(x, keepdims=True).shape == (2, 1, 3, 5)
    for keepdims in (False, True):
        y = channel_max_pool(x, keepdims=keepdims)
        grad_y = rng.standard_normal(y.shape)
        analytic = channel_max_pool_backward(grad_y, x, keepdims=keepdims)
        numeric = numerical_gradient_array(
            lambda k=keepdims: channel_max_pool(x, keepdims=k), x, grad_y
        )
        assert relative_error(analytic, numeric) < 1e-7
    tie = np.ones((1, 3, 1, 1))
    np.testing.assert_array_equal(
        channel_max_pool_backward(np.ones((1, 1, 1)), tie)[0, :, 0, 0], [1, 0, 0]
    )
    with pytest.raises(ValueError, match=r"grad_y must have the output's shape \(2, 1, 3, 5\)"):
        channel_max_pool_backward(np.ones((2, 2, 3, 5)), x, keepdims=True)


def test_pool_matrix_modes():
    m = np.array([[1, 4, 2, 1], [5, 8, 3, 4], [7, 6, 4, 5], [1, 3, 1, 2]])
    np.testing.assert_array_equal(pool_matrix(m, 2, mode="max"), [[8, 4], [7, 5]])
    np.testing.assert_array_equal(pool_matrix(m, 2, mode="min"), [[1, 1], [1, 1]])
    np.testing.assert_allclose(pool_matrix(m, 2, mode="avg"), [[4.5, 2.5], [4.25, 3.0]])
    np.testing.assert_allclose(pool_matrix(m, 2, mode="sum"), [[18, 10], [17, 12]])
    with pytest.warns(DeprecationWarning, match="use lecturelib.pooling.pool_matrix"):
        old_name = lecturelib.pool2d_2d
    assert old_name is pool_matrix
    with pytest.raises(
        ValueError, match="mode must be one of 'max', 'avg', 'min', 'sum'; got 'median'"
    ):
        pool_matrix(m, 2, mode="median")
    with pytest.raises(ValueError, match="matrix must have 2 dimensions"):
        pool_matrix(m[None], 2)


def test_pool_output_size():
    assert (pool_output_size(55, 3, 2), pool_output_size(27, 3, 2), pool_output_size(13, 3, 2)) == (
        27,
        13,
        6,
    )
    assert pool_output_size(28, 2) == 14
    with pytest.raises(ValueError, match="more than half the kernel size 2"):
        pool_output_size(28, 2, padding=2)


def test_pool_validation_messages():
    x = np.zeros((1, 1, 4, 4))
    for forward in (max_pool2d, avg_pool2d, min_pool2d):
        with pytest.raises(
            ValueError, match=r"x must have (3 or )?4 dimensions, got shape \(4, 4\)"
        ):
            forward(x[0, 0], 2)
        with pytest.raises(
            ValueError,
            match=r"padding 2 along height is more than half the kernel size 3: pooling padding must be at most 1",
        ):
            forward(x, 3, padding=2)
        with pytest.raises(
            ValueError, match="padding 2 along width is more than half the kernel size 3"
        ):
            forward(x, 3, padding=(1, 2))
        with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
            forward(x, 2, stride=0)
        with pytest.raises(ValueError, match="kernel_size must be >= 1, got 0"):
            forward(x, 0)
        with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
            forward(x, 2, padding=-1)
        with pytest.raises(
            ValueError,
            match=r"kernel 5 \(dilated extent 5\) is larger than padded input 4 along height",
        ):
            forward(x, 5)
        with pytest.raises(ValueError, match=r"kernel 6 .* larger than padded input 5 along width"):
            forward(np.zeros((1, 1, 9, 5)), (2, 6))
        with pytest.raises(TypeError, match="kernel_size must be an integer, got 2.0"):
            forward(x, 2.0)
    for backward in (max_pool2d_backward, avg_pool2d_backward, min_pool2d_backward):
        with pytest.raises(
            ValueError,
            match=r"grad_y must have the output's shape \(1, 1, 2, 2\), got \(1, 1, 3, 3\)",
        ):
            backward(np.zeros((1, 1, 3, 3)), x, 2)
