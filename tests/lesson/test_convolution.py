"""Tests for lecturelib.convolution: output sizes, conv1d/conv2d forward and backward,
the naive reference, the 2-D matrix helpers and argument validation."""

import numpy as np
import pytest

import lecturelib
from lecturelib import convolution as conv
from lecturelib.convolution import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv2d_naive,
    conv_matrix,
    convolve2d,
    cross_correlate2d,
    output_size,
    receptive_field,
    window_indices,
)
from lecturelib.fast import convolution as fast_conv
from lecturelib.gradients import numerical_gradient_array, relative_error

# --- output_size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((227, 11, 4, 0), 55),
        ((32, 5, 1, 0), 28),
        ((10, 3, 1, 1), 10),
        ((5, 3, 2, 1), 3),
        ((7, 3, 2, 0), 3),  # floor: the last column does not fit
        ((8, 2, 3, 0), 3),
        ((9, 3, 1, 0, 2), 5),  # dilation 2: extent 5
        ((4, 4, 1, 0), 1),
    ],
)
def test_output_size(args, expected):
    assert output_size(*args) == expected


def test_output_size_matches_explicit_formula():
    for n in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, 3):
                    for d in range(1, 3):
                        extent = d * (k - 1) + 1
                        if extent > n + 2 * p:
                            continue
                        assert output_size(n, k, s, p, d) == (n + 2 * p - extent) // s + 1


def test_output_size_errors():
    with pytest.raises(
        ValueError, match=r"kernel 5 \(dilated extent 5\) is larger than padded input 4"
    ):
        output_size(4, 5)
    with pytest.raises(
        ValueError, match=r"kernel 4 \(dilated extent 7\) is larger than padded input 6 along width"
    ):
        output_size(4, 4, dilation=2, padding=1, axis="width")
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        output_size(10, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        output_size(10, 3, padding=-1)
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        output_size(10, 3, dilation=0)
    with pytest.raises(TypeError, match="kernel_size must be an integer, got 2.5"):
        output_size(10, 2.5)
    with pytest.raises(TypeError, match="n must be an integer"):
        output_size("10", 3)


# --- conv2d against the naive loops ------------------------------------------------------


def random_config(rng, allow_stride=True):
    n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    sh, sw = (int(v) for v in rng.integers(1, 4, size=2)) if allow_stride else (1, 1)
    ph, pw = (int(v) for v in rng.integers(0, 3, size=2))
    dh, dw = (int(v) for v in rng.integers(1, 3, size=2))
    h = int(rng.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 11))
    w = int(rng.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 11))
    x = rng.standard_normal((n, c, h, w))
    weights = rng.standard_normal((f, c, kh, kw))
    bias = rng.standard_normal(f)
    settings = {"stride": (sh, sw), "padding": (ph, pw), "dilation": (dh, dw)}
    return x, weights, bias, settings


def test_conv2d_matches_naive_loops_on_random_configurations():
    rng = np.random.default_rng(0)
    for _ in range(120):
        x, w, b, settings = random_config(rng)
        fast = conv2d(x, w, b, **settings)
        slow = conv2d_naive(x, w, b, **settings)
        assert fast.shape == slow.shape
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_conv2d_matches_explicit_sum_formula():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    y = conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    expected = np.zeros_like(y)
    for r in range(y.shape[2]):
        for s in range(y.shape[3]):
            window = xp[:, :, r * 2 : r * 2 + 3, s : s + 3 : 2]  # dilation 2 along width
            expected[:, :, r, s] = np.einsum("ncij,fcij->nf", window, w) + b
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_chunked_fast_path_with_uneven_last_chunk(monkeypatch):
    """Force tiny batch chunks so the last chunk is shorter than the others."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 2, 5, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    grad_y = rng.standard_normal((7, 3, 5, 6))
    reference = conv2d(x, w, b, padding=1), conv2d_backward(grad_y, x, w, b, padding=1)
    monkeypatch.setattr(fast_conv, "_CHUNK_BYTES", 8 * 2 * 9 * 2 * 7 * 8)  # 2 images per chunk
    assert fast_conv._wide_geometry(x.shape, w.shape, (1, 1), (1, 1), 8)[3] == 2
    y = conv2d(x, w, b, padding=1)
    grads = conv2d_backward(grad_y, x, w, b, padding=1)
    np.testing.assert_allclose(y, reference[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, conv2d_naive(x, w, b, padding=1), rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, reference[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_conv2d_dtypes():
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    w = np.ones((2, 1, 3, 3), dtype=np.float32)
    assert conv2d(x, w).dtype == np.float32
    assert conv2d(x, w, stride=2).dtype == np.float32
    assert all(
        g.dtype == np.float32
        for g in conv2d_backward(np.ones((1, 2, 2, 2)), x, w, np.zeros(2, np.float32))
    )
    assert conv2d(x.astype(np.float64), w).dtype == np.float64  # mixed -> float64
    y = conv2d(np.ones((1, 1, 3, 3), dtype=int), np.ones((1, 1, 2, 2), dtype=int))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 4.0))


def test_conv2d_float32_close_to_float64():
    rng = np.random.default_rng(3)
    x, w, b, settings = random_config(rng)
    y64 = conv2d(x, w, b, **settings)
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **settings)
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4)


def test_conv2d_does_not_modify_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    x0, w0 = x.copy(), w.copy()
    conv2d(x, w, padding=1)
    conv2d_backward(np.ones((2, 3, 5, 5)), x, w, padding=1)
    conv2d(x, w, stride=2)
    conv2d_backward(np.ones((2, 3, 2, 2)), x, w, stride=2)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_conv2d_int_and_pair_arguments_agree():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 8, 8))
    w = rng.standard_normal((2, 2, 3, 3))
    np.testing.assert_allclose(
        conv2d(x, w, stride=2, padding=1, dilation=2),
        conv2d(x, w, stride=(2, 2), padding=[1, 1], dilation=(2, 2)),
    )


def test_top_level_imports():
    for name in [
        "conv2d",
        "conv2d_backward",
        "conv1d",
        "conv1d_backward",
        "output_size",
        "cross_correlate2d",
        "convolve2d",
        "conv_matrix",
        "conv2d_naive",
    ]:
        assert getattr(lecturelib, name) is getattr(conv, name)


# --- gradients -------------------------------------------------------------------------------


def check_conv2d_gradients(x, w, b, settings, tolerance=1e-7):
    rng = np.random.default_rng(6)
    y = conv2d(x, w, b, **settings)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grad_w, grad_b = conv2d_backward(grad_y, x, w, b, **settings)
    numeric_x = numerical_gradient_array(lambda: conv2d(x, w, b, **settings), x, grad_y)
    numeric_w = numerical_gradient_array(lambda: conv2d(x, w, b, **settings), w, grad_y)
    assert relative_error(grad_x, numeric_x) < tolerance
    assert relative_error(grad_w, numeric_w) < tolerance
    if b is not None:
        numeric_b = numerical_gradient_array(lambda: conv2d(x, w, b, **settings), b, grad_y)
        assert relative_error(grad_b, numeric_b) < tolerance
    else:
        assert grad_b is None


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"padding": 1},
        {"stride": 2},
        {"stride": (2, 1), "padding": (0, 2)},
        {"dilation": 2, "padding": 1},
        {"stride": (1, 3), "dilation": (2, 1), "padding": (2, 1)},
    ],
)
def test_conv2d_backward_numerical(settings):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((2, 3, 3, 2))
    b = rng.standard_normal(2)
    check_conv2d_gradients(x, w, b, settings)


def test_conv2d_backward_numerical_without_bias_and_random_shapes():
    rng = np.random.default_rng(8)
    check_conv2d_gradients(
        rng.standard_normal((1, 1, 4, 5)), rng.standard_normal((1, 1, 2, 3)), None, {}
    )
    for _ in range(6):
        x, w, b, settings = random_config(rng)
        check_conv2d_gradients(x, w, b, settings)


def test_conv2d_backward_lecture_example():
    """Notebook 09's example: 3x3 input, 2x2 kernel, outputs o1..o4."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # x1..x9
    w = np.array([[[[2.0, -1.0], [0.5, 3.0]]]])  # w1..w4
    grad_y = np.array([[[[1.0, -2.0], [0.5, 4.0]]]])  # dL/do1..dL/do4
    grad_x, grad_w, _ = conv2d_backward(grad_y, x, w)
    # dL/dw is the cross-correlation of the input with the output gradient
    np.testing.assert_allclose(grad_w[0, 0], cross_correlate2d(x[0, 0], grad_y[0, 0]))
    # dL/dx is the full (true) convolution of the output gradient with the kernel
    np.testing.assert_allclose(grad_x[0, 0], convolve2d(grad_y[0, 0], w[0, 0], padding="full"))
    # dL/dw1 = x1 g1 + x2 g2 + x4 g3 + x5 g4
    assert grad_w[0, 0, 0, 0] == 1 * 1 + 2 * -2 + 4 * 0.5 + 5 * 4


# --- conv1d ------------------------------------------------------------------------------------


def test_conv1d_matches_conv2d_and_loops():
    rng = np.random.default_rng(9)
    for _ in range(40):
        n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
        k, s, p, d = (
            int(rng.integers(1, 5)),
            int(rng.integers(1, 4)),
            int(rng.integers(0, 3)),
            int(rng.integers(1, 3)),
        )
        length = int(rng.integers(max(1, d * (k - 1) + 1 - 2 * p), 15))
        x = rng.standard_normal((n, c, length))
        w = rng.standard_normal((f, c, k))
        b = rng.standard_normal(f)
        y = conv1d(x, w, b, stride=s, padding=p, dilation=d)
        xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
        out = output_size(length, k, s, p, d)
        expected = np.stack(
            [
                np.einsum("nck,fck->nf", xp[:, :, t * s : t * s + d * (k - 1) + 1 : d], w) + b
                for t in range(out)
            ],
            axis=-1,
        )
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "settings",
    [{}, {"stride": 2, "padding": 1}, {"dilation": 2}, {"stride": 3, "padding": 2, "dilation": 2}],
)
def test_conv1d_backward_numerical(settings):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 11))
    w = rng.standard_normal((2, 3, 3))
    b = rng.standard_normal(2)
    y = conv1d(x, w, b, **settings)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grad_w, grad_b = conv1d_backward(grad_y, x, w, b, **settings)
    assert grad_x.shape == x.shape and grad_w.shape == w.shape and grad_b.shape == b.shape
    for analytic, array in ((grad_x, x), (grad_w, w), (grad_b, b)):
        numeric = numerical_gradient_array(lambda: conv1d(x, w, b, **settings), array, grad_y)
        assert relative_error(analytic, numeric) < 1e-7


# --- validation --------------------------------------------------------------------------------


def test_conv2d_validation_messages():
    x = np.zeros((1, 3, 5, 5))
    w = np.zeros((2, 3, 3, 3))
    # (C, H, W) is one unbatched image; (H, W) is not accepted
    with pytest.raises(
        ValueError, match=r"x must have 4 dimensions \(N, C, H, W\), or 3 .* got shape \(5, 5\)"
    ):
        conv2d(x[0, 0], w)
    with pytest.raises(ValueError, match="w must have 4 dimensions"):
        conv2d(x, w[0])
    with pytest.raises(ValueError, match=r"w expects 2 input channels .* x has 3 channels"):
        conv2d(x, np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"stride\[1\] must be >= 1, got -1"):
        conv2d(x, w, stride=(1, -1))
    with pytest.raises(ValueError, match="dilation must be >= 1, got 0"):
        conv2d(x, w, dilation=0)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        conv2d(x, w, padding=-1)
    with pytest.raises(
        ValueError,
        match=r"kernel 7 \(dilated extent 7\) is larger than padded input 5 along height",
    ):
        conv2d(x, np.zeros((2, 3, 7, 1)))
    with pytest.raises(
        ValueError, match=r"kernel 3 \(dilated extent 5\) is larger than padded input 4 along width"
    ):
        conv2d(np.zeros((1, 3, 9, 2)), w, dilation=2, padding=(0, 1))
    with pytest.raises(TypeError, match="stride must be an integer, got 1.5"):
        conv2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="padding must be an int, .*'same' or 'valid', got '1'"):
        conv2d(x, w, padding="1")
    with pytest.raises(ValueError, match=r"padding must be an int or a \(rows, cols\) pair"):
        conv2d(x, w, padding=(1, 1, 1))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\), one bias per filter"):
        conv2d(x, w, b=np.zeros(3))
    with pytest.raises(TypeError, match="x must hold numbers"):
        conv2d(np.full((1, 3, 5, 5), "a"), w)
    with pytest.raises(ValueError, match="x must not have an empty dimension"):
        conv2d(np.zeros((0, 3, 5, 5)), w)


def test_backward_validation_messages():
    x = np.zeros((1, 3, 5, 5))
    w = np.zeros((2, 3, 3, 3))
    with pytest.raises(
        ValueError, match=r"grad_y must have the output's shape \(1, 2, 3, 3\), got \(1, 2, 5, 5\)"
    ):
        conv2d_backward(np.zeros((1, 2, 5, 5)), x, w)
    with pytest.raises(ValueError, match=r"grad_y must have the output's shape \(1, 2, 5, 5\)"):
        conv2d_backward(np.zeros((1, 2, 3, 3)), x, w, padding=1)
    with pytest.raises(ValueError, match=r"grad_y must have 3 dimensions"):
        conv1d_backward(np.zeros((1, 2, 3, 3)), np.zeros((1, 3, 5)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"x must have 3 dimensions"):
        conv1d(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"larger than padded input 4 along length"):
        conv1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 5)))
    with pytest.raises(TypeError, match="stride must be an integer"):
        conv1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 2)), stride=(1, 1))


# --- 2-D matrix helpers ---------------------------------------------------------------------


def test_cross_correlate2d_and_convolve2d_relation():
    rng = np.random.default_rng(11)
    image = rng.standard_normal((6, 7))
    kernel = rng.standard_normal((3, 2))
    np.testing.assert_allclose(
        convolve2d(image, kernel), cross_correlate2d(image, kernel[::-1, ::-1])
    )
    np.testing.assert_allclose(
        cross_correlate2d(image, kernel, stride=(2, 1), padding=1, bias=0.5),
        conv2d(image[None, None], kernel[None, None], np.array([0.5]), stride=(2, 1), padding=1)[
            0, 0
        ],
    )


def test_convolve2d_matches_textbook_double_sum():
    """y[m, n] = sum_i sum_j x[i, j] h[m - i, n - j] ("full" output)."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 5))
    h = rng.standard_normal((3, 2))
    full = np.zeros((4 + 3 - 1, 5 + 2 - 1))
    for m in range(full.shape[0]):
        for n in range(full.shape[1]):
            for i in range(4):
                for j in range(5):
                    if 0 <= m - i < 3 and 0 <= n - j < 2:
                        full[m, n] += x[i, j] * h[m - i, n - j]
    np.testing.assert_allclose(convolve2d(x, h, padding="full"), full, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        lecturelib.convolve2d(x, h, padding="full"), full, rtol=1e-12, atol=1e-12
    )


def test_padding_modes():
    image = np.arange(20.0).reshape(4, 5)
    assert cross_correlate2d(image, np.ones((3, 3)), padding="same").shape == (4, 5)
    assert cross_correlate2d(image, np.ones((3, 3)), padding="valid").shape == (2, 3)
    assert cross_correlate2d(image, np.ones((3, 2)), padding="full").shape == (6, 6)
    with pytest.raises(ValueError, match='padding="same" needs an odd kernel size'):
        cross_correlate2d(image, np.ones((2, 2)), padding="same")
    with pytest.raises(ValueError, match='padding must be an int, a .* "valid", "same" or "full"'):
        cross_correlate2d(image, np.ones((3, 3)), padding="half")
    with pytest.raises(ValueError, match="image must have 2 dimensions"):
        cross_correlate2d(image[None], np.ones((3, 3)))
    with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
        cross_correlate2d(image, np.ones(3))
    with pytest.raises(TypeError, match="bias must be a number"):
        cross_correlate2d(image, np.ones((3, 3)), bias="b")


def test_conv_matrix_reproduces_cross_correlation():
    rng = np.random.default_rng(13)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(3, 8, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
        stride = tuple(int(v) for v in rng.integers(1, 3, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 2, size=2))
        x = rng.standard_normal((h, w))
        k = rng.standard_normal((kh, kw))
        M = conv_matrix((h, w), k, stride=stride, padding=padding)
        y = cross_correlate2d(x, k, stride=stride, padding=padding)
        assert M.shape == (y.size, x.size)
        np.testing.assert_allclose(M @ x.ravel(), y.ravel(), rtol=1e-12, atol=1e-12)


def test_conv_matrix_is_doubly_blocked_toeplitz():
    M = conv_matrix((4, 4), np.arange(1.0, 10.0).reshape(3, 3))  # 4 outputs, 16 pixels
    assert M.shape == (4, 16)
    # stride 1, no padding: every row is the previous one shifted within its block row
    np.testing.assert_array_equal(M[1, 1:], M[0, :-1])
    np.testing.assert_array_equal(M[3, 4:], M[1, :-4])


def test_window_indices_and_padding():
    idx = window_indices((3, 3), 3, padding=1)
    assert idx.shape == (3, 3, 3, 3)
    np.testing.assert_array_equal(idx[0, 0], [[-1, -1, -1], [-1, 0, 1], [-1, 3, 4]])
    np.testing.assert_array_equal(idx[1, 1], np.arange(9).reshape(3, 3))
    idx = window_indices((1, 8), (1, 3), stride=(1, 2), dilation=(1, 2))
    np.testing.assert_array_equal(idx[0, :, 0], [[0, 2, 4], [2, 4, 6]])
    with pytest.raises(ValueError, match=r"input_shape must be a pair \(H, W\)"):
        window_indices((3,), 2)
    with pytest.raises(ValueError, match="larger than padded input 3 along height"):
        window_indices((3, 5), (4, 1))


def test_receptive_field():
    assert receptive_field([3]) == 3
    assert receptive_field([3, 3, 3]) == 7
    assert receptive_field([3, 3], strides=2) == 7  # 1 + 2 + 2*2
    assert receptive_field([2, 2], strides=[2, 2]) == 4
    assert receptive_field([3, 3], dilations=[1, 2]) == 7
    assert receptive_field([3, 3], strides=[2, 1], position=2) == range(4, 11)
    with pytest.raises(ValueError, match="kernel_sizes must be a non-empty list"):
        receptive_field([])
    with pytest.raises(ValueError, match=r"strides must have one entry per layer \(2\)"):
        receptive_field([3, 3], strides=[1])
    with pytest.raises(ValueError, match=r"kernel_sizes\[1\] must be >= 1"):
        receptive_field([3, 0])


def test_receptive_field_agrees_with_stacked_convolutions():
    """Perturb one input and see which outputs of a two-layer stack change."""
    rng = np.random.default_rng(14)
    w1, w2 = rng.standard_normal((1, 1, 3)), rng.standard_normal((1, 1, 3))
    for stride in (1, 2):

        def stack(x, stride=stride):
            return conv1d(conv1d(x, w1, stride=stride), w2)

        x = rng.standard_normal((1, 1, 15))
        base = stack(x)
        for unit in range(base.shape[-1]):
            seen = receptive_field([3, 3], strides=[stride, 1], position=unit)
            for i in range(15):
                bumped = x.copy()
                bumped[0, 0, i] += 1.0
                changed = not np.isclose(stack(bumped)[0, 0, unit], base[0, 0, unit])
                assert changed == (i in seen)
