"""Tests for the pooling family without PyTorch: dilation, ceil_mode, return_indices,
max_unpool2d, count_include_pad, divisor_override and unbatched inputs, for max, min
and average pooling; gradient checks against numerical differences, the argument
rules and their messages."""

import numpy as np
import pytest

from lecturelib import output_size
from lecturelib.gradients import numerical_gradient_array, relative_error
from lecturelib.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    max_unpool2d,
    max_unpool2d_backward,
    min_pool2d,
    min_pool2d_backward,
    pool_output_size,
)

SETTINGS = [
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
    {"kernel_size": 2, "stride": 1, "dilation": 2, "ceil_mode": True},
    {"kernel_size": 2},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_max_pool2d_matches_loops_with_indices(settings):
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, size=(2, 3, 7, 8)).astype(float)  # small integers: ties
    y, indices = max_pool2d(x, **settings, return_indices=True)
    y_loop, indices_loop = max_pool2d_naive(x, **settings, return_indices=True)
    np.testing.assert_array_equal(y, y_loop)
    np.testing.assert_array_equal(indices, indices_loop)


@pytest.mark.parametrize("settings", SETTINGS)
def test_min_pool2d_is_max_pooling_of_minus_x_with_every_setting(settings):
    """Values, indices (first minimum on ties) and gradients against the loop references."""
    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, size=(2, 3, 7, 8)).astype(float)  # small integers: ties
    x[0, 0, :2, :3] = np.nan  # a window holding nan returns it and points at its last nan
    y, indices = min_pool2d(x, **settings, return_indices=True)
    negated, indices_loop = max_pool2d_naive(-x, **settings, return_indices=True)
    np.testing.assert_array_equal(y, -negated)
    np.testing.assert_array_equal(indices, indices_loop)
    np.testing.assert_array_equal(min_pool2d(x, **settings), y)
    grad_y = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(
        min_pool2d_backward(grad_y, x, **settings),
        max_pool2d_backward_naive(grad_y, -x, **settings),
    )
    # each window's minimum is where its index points
    planes = x.reshape(2, 3, -1)
    picked = np.take_along_axis(planes, indices.reshape(2, 3, -1), axis=2).reshape(y.shape)
    np.testing.assert_array_equal(picked, y)


@pytest.mark.parametrize(
    ("forward", "backward"),
    [(max_pool2d, max_pool2d_backward), (min_pool2d, min_pool2d_backward)],
    ids=["max", "min"],
)
@pytest.mark.parametrize("settings", SETTINGS)
def test_max_and_min_pool2d_backward_numerical(forward, backward, settings):
    rng = np.random.default_rng(1)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 7.0  # distinct values: no ties
    y = forward(x, **settings)
    grad_y = rng.standard_normal(y.shape)
    numeric = numerical_gradient_array(lambda: forward(x, **settings), x, grad_y, h=1e-3)
    analytic = backward(grad_y, x, **settings, return_indices=True)
    assert relative_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize(
    "settings",
    [
        {"kernel_size": 3, "stride": 2, "ceil_mode": True},
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
        {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "count_include_pad": False},
        {"kernel_size": 2, "stride": 1, "divisor_override": 3},
        {"kernel_size": 2, "padding": 1, "ceil_mode": True, "divisor_override": 1},
        {"kernel_size": 2},
    ],
)
def test_avg_pool2d_backward_numerical(settings):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 8))
    y = avg_pool2d(x, **settings)
    grad_y = rng.standard_normal(y.shape)
    numeric = numerical_gradient_array(lambda: avg_pool2d(x, **settings), x, grad_y)
    assert relative_error(avg_pool2d_backward(grad_y, x, **settings), numeric) < 1e-7


def test_avg_pool2d_divisors():
    x = np.ones((1, 1, 3, 3))
    # ceil mode: the last window runs one column past the end: 2 x 1 real cells
    np.testing.assert_array_equal(avg_pool2d(x, 2, ceil_mode=True)[0, 0], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(
        avg_pool2d(x, 2, padding=1, count_include_pad=True)[0, 0], [[0.25, 0.5], [0.5, 1.0]]
    )
    np.testing.assert_array_equal(
        avg_pool2d(x, 2, padding=1, count_include_pad=False)[0, 0], np.ones((2, 2))
    )
    np.testing.assert_array_equal(avg_pool2d(x, 3, divisor_override=1)[0, 0], [[9.0]])
    # as in PyTorch, a negative divisor is allowed: it flips the sign
    np.testing.assert_array_equal(avg_pool2d(x, 3, divisor_override=-2)[0, 0], [[-4.5]])


def test_unbatched_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 6, 6))
    for forward, backward in (
        (max_pool2d, max_pool2d_backward),
        (min_pool2d, min_pool2d_backward),
        (avg_pool2d, avg_pool2d_backward),
    ):
        y = forward(x, 3, 2, ceil_mode=True)
        np.testing.assert_array_equal(y, forward(x[None], 3, 2, ceil_mode=True)[0])
        grad_y = rng.standard_normal(y.shape)
        np.testing.assert_array_equal(
            backward(grad_y, x, 3, 2, ceil_mode=True),
            backward(grad_y[None], x[None], 3, 2, ceil_mode=True)[0],
        )
        with pytest.raises(ValueError, match=r"grad_y must have 3 dimensions"):
            backward(grad_y[None], x, 3, 2, ceil_mode=True)


def test_one_tuples_and_empty_stride_as_pytorch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(max_pool2d(x, (2,), (), (1,)), max_pool2d(x, 2, 2, 1))
    np.testing.assert_array_equal(avg_pool2d(x, (2,), ()), avg_pool2d(x, 2))


def test_unpool_round_trip():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 7))
    for kernel, stride, padding in ((2, 2, 0), (3, 2, 1), ((2, 3), (2, 3), (1, 0))):
        y, indices = max_pool2d(x, kernel, stride, padding, return_indices=True)
        unpooled = max_unpool2d(y, indices, kernel, stride, padding, output_size=x.shape)
        assert unpooled.shape == x.shape
        kept = unpooled != 0
        # every maximum goes back where it came from; everything else is zero
        np.testing.assert_array_equal(unpooled[kept], x[kept])
        assert np.count_nonzero(kept) == len(
            np.unique(indices + 100 * np.arange(6).reshape(2, 3, 1, 1))
        )
        # pooling the unpooled map again gives y back
        np.testing.assert_array_equal(
            max_pool2d(np.where(kept, unpooled, -np.inf), kernel, stride, padding), y
        )
        # and the backward reads gradients back from the same positions (a numerical
        # check only holds where every index is used once: windows side by side)
        grad_out = rng.standard_normal(x.shape)
        grad_y = max_unpool2d_backward(
            grad_out, y, indices, kernel, stride, padding, output_size=x.shape
        )
        np.testing.assert_array_equal(
            grad_y,
            np.take_along_axis(grad_out.reshape(2, 3, -1), indices.reshape(2, 3, -1), 2).reshape(
                y.shape
            ),
        )
        if kernel == stride:
            numeric = numerical_gradient_array(
                lambda k=kernel, s=stride, p=padding, y=y, i=indices: max_unpool2d(
                    y, i, k, s, p, output_size=x.shape
                ),
                y,
                grad_out,
            )
            assert relative_error(grad_y, numeric) < 1e-7
    # the default size: (OH - 1) * S - 2P + K
    y, indices = max_pool2d(x[..., :6], 2, return_indices=True)
    assert max_unpool2d(y, indices, 2).shape == (2, 3, 8, 6)
    assert max_unpool2d(y[0], indices[0], 2, output_size=(9, 7)).shape == (3, 9, 7)


def test_ceil_mode_output_sizes_follow_pytorchs_rule():
    assert output_size(112, 3, 2) == 55
    assert output_size(112, 3, 2, ceil_mode=True) == 56  # GoogLeNet: 112 -> 56
    assert pool_output_size(112, 3, 2, ceil_mode=True) == 56
    assert pool_output_size(56, 3, 2, ceil_mode=True) == 28
    assert pool_output_size(2, 3, 2, ceil_mode=True) == 1  # a window larger than the input
    # 5 + 2 * 1 padding, kernel 2, stride 2: rounding up would give 4 windows, but
    # the fourth would start at 6, in the right padding: it is dropped
    assert output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert output_size(6, 2, 2, padding=1, ceil_mode=True) == 4
    assert output_size(5, 3, 2, dilation=2, ceil_mode=True) == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda x: max_pool2d(x, 3, padding=2),
            ValueError,
            "padding 2 along height is more than half the kernel size 3",
        ),
        (
            lambda x: max_pool2d(x, 3, padding=2, dilation=2),
            ValueError,
            "pooling padding must be at most 1",
        ),
        (lambda x: max_pool2d(x, 2, dilation=0), ValueError, "dilation must be >= 1, got 0"),
        (lambda x: max_pool2d(x, 2, ceil_mode=1), TypeError, "ceil_mode must be True or False"),
        (
            lambda x: max_pool2d(x, 2, return_indices="yes"),
            TypeError,
            "return_indices must be True or False",
        ),
        (
            lambda x: max_pool2d(x, 6, stride=2, ceil_mode=True),
            ValueError,
            r"kernel 6 \(dilated extent 6\) is larger than padded input 4 along height, even with "
            r"ceil_mode \(a window may run past the end by at most stride - 1 = 1",
        ),
        (
            lambda x: max_pool2d(x, 3, dilation=3),
            ValueError,
            r"kernel 3 \(dilated extent 7\) is larger than padded input 4 along height",
        ),
        (
            lambda x: max_pool2d(
                x[:, :, :1], (2, 1), stride=1, padding=(1, 0), dilation=(2, 1), ceil_mode=True
            ),
            ValueError,
            r"window 0 along height reads cells -1, 1 \(dilation 2, padding 1\): all are padding",
        ),
        (
            lambda x: avg_pool2d(x, 2, divisor_override=0),
            ValueError,
            "divisor_override must not be 0",
        ),
        (
            lambda x: avg_pool2d(x, 2, divisor_override=1.5),
            TypeError,
            "divisor_override must be an integer",
        ),
        (
            lambda x: avg_pool2d(x, 2, count_include_pad=None),
            TypeError,
            "count_include_pad must be True or False",
        ),
        (
            lambda x: avg_pool2d(x, (2, 2, 2)),
            ValueError,
            r"kernel_size must be an int or a \(rows, cols\) pair",
        ),
        (
            lambda x: max_pool2d(x[0, 0], 2),
            ValueError,
            r"x must have 3 or 4 dimensions, got shape \(4, 4\)",
        ),
        (
            lambda x: min_pool2d(x[0, 0], 2),
            ValueError,
            r"x must have 3 or 4 dimensions, got shape \(4, 4\)",
        ),
        (
            lambda x: min_pool2d(x, 3, dilation=3),
            ValueError,
            r"kernel 3 \(dilated extent 7\) is larger than padded input 4 along height",
        ),
        (
            lambda x: min_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, ceil_mode=1),
            TypeError,
            "ceil_mode must be True or False",
        ),
        (lambda x: min_pool2d([["a"]], 2), TypeError, "x must hold numbers"),
    ],
)
def test_bad_pooling_arguments_are_refused_with_the_rule(call, error, message):
    with pytest.raises(error, match=message):
        call(np.zeros((1, 1, 4, 4)))


def test_bad_unpooling_arguments_are_refused_with_the_rule():
    y, indices = max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(TypeError, match="indices must hold integers"):
        max_unpool2d(y, indices.astype(float), 2)
    with pytest.raises(ValueError, match=r"indices must have y's shape \(1, 1, 2, 2\)"):
        max_unpool2d(y, indices[..., :1], 2)
    with pytest.raises(
        ValueError, match=r"indices must lie in 0..15 \(flat positions in the 4 x 4"
    ):
        max_unpool2d(y, indices + 1, 2)
    with pytest.raises(
        ValueError,
        match=r"output_size 6 along height is out of reach: it must lie strictly between 2 and 6",
    ):
        max_unpool2d(y, indices, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match=r"output_size must be \(H, W\) or \(N, C, H, W\)"):
        max_unpool2d(y, indices, 2, output_size=(1, 4, 4))
    with pytest.raises(
        ValueError, match=r"grad_out must have the unpooled output's shape \(1, 1, 4, 4\)"
    ):
        max_unpool2d_backward(np.zeros((1, 1, 4, 5)), y, indices, 2)
