"""Tests for the convolution family in lecturelib.convolution (no PyTorch needed):
groups, 'same'/'valid' padding, unbatched inputs, 1-tuples, transposed
convolution; gradient checks of every backward, the readable loops against
the fast paths, a transposed convolution as the gradient of a convolution,
and every bad combination rejected with a message naming the rule."""

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
    conv_transpose1d,
    conv_transpose1d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    output_size,
)
from lecturelib.gradients import numerical_gradient_array, relative_error


def check_gradients(forward, backward, grad_y_shape_of, arrays, settings, rng):
    """Compare every gradient of ``backward`` with central differences of ``forward``."""
    x, w, b = arrays
    y = forward(x, w, b, **settings)
    grad_y = rng.standard_normal(y.shape)
    grads = backward(grad_y, x, w, b, **settings)
    for analytic, array in zip(grads, (x, w, b)):
        if array is None:
            assert analytic is None
            continue
        assert analytic.shape == array.shape
        numeric = numerical_gradient_array(lambda: forward(x, w, b, **settings), array, grad_y)
        assert relative_error(analytic, numeric) < 1e-7


# --- groups, 'same', unbatched: forward -------------------------------------------------


def test_grouped_conv2d_is_one_conv_per_group():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 7, 6))
    w = rng.standard_normal((9, 2, 3, 2))  # 3 groups: 2 channels -> 3 filters each
    b = rng.standard_normal(9)
    y = conv2d(x, w, b, stride=(2, 1), padding=1, groups=3)
    for g in range(3):
        part = conv2d(x[:, 2 * g : 2 * g + 2], w[3 * g : 3 * g + 3], b[3 * g : 3 * g + 3],
                      stride=(2, 1), padding=1)  # fmt: skip
        np.testing.assert_allclose(y[:, 3 * g : 3 * g + 3], part, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        y, conv2d_naive(x, w, b, stride=(2, 1), padding=1, groups=3), rtol=1e-12, atol=1e-12
    )


def test_depthwise_conv2d_filters_each_channel_alone():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 6, 6))
    w = rng.standard_normal((4, 1, 3, 3))
    y = conv2d(x, w, padding="same", groups=4)
    assert y.shape == (1, 4, 6, 6)
    for c in range(4):
        alone = lecturelib.cross_correlate2d(x[0, c], w[c, 0], padding=1)
        np.testing.assert_allclose(y[0, c], alone, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", [(1, 1), (2, 3), (4, 4), (3, 5)])
@pytest.mark.parametrize("dilation", [1, 2, (3, 1)])
def test_same_padding_keeps_the_size_and_pads_the_extra_zero_after(kernel, dilation):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 6, 7))
    w = rng.standard_normal((3, 2, *kernel))
    y = conv2d(x, w, padding="same", dilation=dilation)
    assert y.shape == (2, 3, 6, 7)
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    total_h, total_w = dh * (kernel[0] - 1), dw * (kernel[1] - 1)
    padded = np.pad(
        x,
        ((0, 0), (0, 0), (total_h // 2, total_h - total_h // 2),
         (total_w // 2, total_w - total_w // 2)),
    )  # fmt: skip
    np.testing.assert_allclose(y, conv2d(padded, w, dilation=dilation), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        y, conv2d_naive(x, w, padding="same", dilation=dilation), rtol=1e-12, atol=1e-12
    )


def test_valid_padding_is_zero_padding():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((2, 2, 2, 3))
    np.testing.assert_array_equal(conv2d(x, w, padding="valid", stride=2), conv2d(x, w, stride=2))
    np.testing.assert_array_equal(
        conv1d(x[:, :, 0], w[:, :, 0], padding="valid"), conv1d(x[:, :, 0], w[:, :, 0])
    )


def test_conv1d_same_with_even_kernel():
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    # total padding 1: none on the left, one zero on the right (PyTorch's choice)
    np.testing.assert_array_equal(conv1d(x, np.array([[[1.0, 10.0]]]), padding="same"),
                                  [[[21.0, 32.0, 43.0, 4.0]]])  # fmt: skip


def test_unbatched_inputs_give_unbatched_outputs():
    rng = np.random.default_rng(4)
    x2, w2 = rng.standard_normal((3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    y2 = conv2d(x2, w2, stride=2)
    assert y2.shape == (4, 2, 2)
    np.testing.assert_array_equal(y2, conv2d(x2[None], w2, stride=2)[0])
    np.testing.assert_allclose(conv2d_naive(x2, w2, stride=2), y2, rtol=1e-12, atol=1e-12)
    x1, w1 = rng.standard_normal((3, 9)), rng.standard_normal((2, 3, 4))
    y1 = conv1d(x1, w1, padding="same")
    assert y1.shape == (2, 9)
    np.testing.assert_array_equal(y1, conv1d(x1[None], w1, padding="same")[0])
    grad_x, grad_w, _ = conv1d_backward(np.ones((2, 9)), x1, w1, padding="same")
    batched = conv1d_backward(np.ones((1, 2, 9)), x1[None], w1, padding="same")
    assert grad_x.shape == (3, 9)
    np.testing.assert_array_equal(grad_x, batched[0][0])
    np.testing.assert_array_equal(grad_w, batched[1])
    yt = conv_transpose2d(x2, rng.standard_normal((3, 2, 2, 2)), stride=2)
    assert yt.shape == (2, 12, 10)


def test_one_tuples_in_1d():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 2, 9)), rng.standard_normal((2, 2, 3))
    np.testing.assert_array_equal(
        conv1d(x, w, stride=(2,), padding=(1,), dilation=[2]),
        conv1d(x, w, stride=2, padding=1, dilation=2),
    )
    np.testing.assert_array_equal(
        conv_transpose1d(x, w, stride=(2,), padding=[1], output_padding=(1,), dilation=(1,)),
        conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
    )


# --- gradient checks --------------------------------------------------------------------

CONV2D_SETTINGS = [
    {"groups": 2},
    {"groups": 2, "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
    {"groups": 4, "padding": "same"},
    {"padding": "same", "dilation": (1, 3)},
    {"groups": 2, "padding": "valid", "stride": 2},
]


@pytest.mark.parametrize("settings", CONV2D_SETTINGS)
def test_conv2d_backward_numerical_new_arguments(settings):
    rng = np.random.default_rng(6)
    groups = settings.get("groups", 1)
    x = rng.standard_normal((2, 4, 6, 5))
    w = rng.standard_normal((4, 4 // groups, 2, 3))  # even kernel height: uneven 'same'
    check_gradients(conv2d, conv2d_backward, None, (x, w, rng.standard_normal(4)), settings, rng)


def test_conv2d_backward_numerical_unbatched():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 1, 2, 2))
    check_gradients(conv2d, conv2d_backward, None, (x, w, None), {"groups": 2, "padding": "same"},
                    rng)  # fmt: skip


@pytest.mark.parametrize(
    "settings",
    [
        {"groups": 3},
        {"groups": 3, "padding": "same", "dilation": 2},
        {"padding": (1,), "stride": 2},
    ],
)
def test_conv1d_backward_numerical_new_arguments(settings):
    rng = np.random.default_rng(8)
    groups = settings.get("groups", 1)
    x = rng.standard_normal((2, 3, 8))
    w = rng.standard_normal((6, 3 // groups, 4))
    check_gradients(conv1d, conv1d_backward, None, (x, w, rng.standard_normal(6)), settings, rng)


TRANSPOSE_SETTINGS = [
    {},
    {"stride": 2},
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (3, 2), "padding": (1, 2), "output_padding": (2, 1), "dilation": (1, 2)},
    {"groups": 2, "stride": 2, "dilation": 2},
    {"stride": 1, "dilation": 3, "output_padding": 2, "padding": 1},  # output_padding >= stride
    {"groups": 4, "padding": 1},
]


@pytest.mark.parametrize("settings", TRANSPOSE_SETTINGS)
def test_conv_transpose2d_backward_numerical(settings):
    rng = np.random.default_rng(9)
    groups = settings.get("groups", 1)
    x = rng.standard_normal((2, 4, 3, 4))
    w = rng.standard_normal((4, 6 // groups if groups != 4 else 1, 3, 2))
    b = rng.standard_normal(w.shape[1] * groups)
    check_gradients(conv_transpose2d, conv_transpose2d_backward, None, (x, w, b), settings, rng)


@pytest.mark.parametrize("settings", [{}, {"stride": 3, "padding": 2, "output_padding": 1},
                                      {"groups": 2, "dilation": 2, "output_padding": 1}])  # fmt: skip
def test_conv_transpose1d_backward_numerical(settings):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 2, 5))
    w = rng.standard_normal((2, 3, 3))
    b = rng.standard_normal(3 * settings.get("groups", 1))
    check_gradients(conv_transpose1d, conv_transpose1d_backward, None, (x, w, b), settings, rng)


def test_conv_transpose_backward_without_bias_and_unbatched():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 2, 2, 2))
    check_gradients(conv_transpose2d, conv_transpose2d_backward, None, (x, w, None),
                    {"stride": 2}, rng)  # fmt: skip


# --- a transposed convolution is the gradient of a convolution ------------------------------


def random_transpose_case(rng):
    groups = int(rng.integers(1, 4))
    c_in, f = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel = [int(k) for k in rng.integers(1, 5, size=2)]
    stride = [int(s) for s in rng.integers(1, 4, size=2)]
    dilation = [int(d) for d in rng.integers(1, 3, size=2)]
    padding = [int(p) for p in rng.integers(0, 3, size=2)]
    output_padding = [int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation)]
    size = [int(n) for n in rng.integers(1, 6, size=2)]
    x = rng.standard_normal((int(rng.integers(1, 3)), c_in, *size))
    w = rng.standard_normal((c_in, f // groups, *kernel))
    settings = {"stride": tuple(stride), "padding": tuple(padding),
                "output_padding": tuple(output_padding), "groups": groups,
                "dilation": tuple(dilation)}  # fmt: skip
    return x, w, settings


def test_scatter_loops_equal_the_fast_transposed_convolution():
    rng = np.random.default_rng(12)
    checked = 0
    while checked < 80:
        x, w, settings = random_transpose_case(rng)
        try:
            y = conv_transpose2d(x, w, None, **settings)
        except ValueError:  # output size too small for these settings
            continue
        b = rng.standard_normal(y.shape[1])
        np.testing.assert_allclose(
            conv_transpose2d_naive(x, w, b, **settings), y + b[:, None, None],
            rtol=1e-12, atol=1e-12,
        )  # fmt: skip
        checked += 1


def test_transposed_convolution_is_the_input_gradient_of_conv2d():
    """conv_transpose2d(g, w) == grad_x of conv2d(z, w) for grad_y = g, any settings.

    With output_padding < stride the transposed output has the size of the
    convolution's input z; grad_x does not depend on z's values.
    """
    rng = np.random.default_rng(13)
    checked = 0
    while checked < 80:
        x, w, settings = random_transpose_case(rng)
        stride, output_padding = settings["stride"], settings["output_padding"]
        if any(op >= s for op, s in zip(output_padding, stride)):
            continue
        try:
            y = conv_transpose2d(x, w, **settings)
        except ValueError:
            continue
        z = rng.standard_normal((x.shape[0], y.shape[1], *y.shape[2:]))
        conv_settings = {k: settings[k] for k in ("stride", "padding", "dilation", "groups")}
        assert conv2d(z, w, **conv_settings).shape == x.shape
        grad_z = conv2d_backward(x, z, w, **conv_settings)[0]
        np.testing.assert_allclose(y, grad_z, rtol=1e-12, atol=1e-12)
        # and the transposed convolution's own input gradient is the convolution
        grad_x = conv_transpose2d_backward(y, x, w, **settings)[0]
        np.testing.assert_allclose(grad_x, conv2d(y, w, **conv_settings), rtol=1e-12, atol=1e-12)
        checked += 1


def test_transposed_convolution_matrix_is_the_transpose():
    rng = np.random.default_rng(14)
    kernel = rng.standard_normal((3, 3))
    matrix = conv_matrix((5, 5), kernel, stride=2, padding=1)  # (9, 25)
    x = rng.standard_normal((3, 3))
    y = conv_transpose2d(x[None, None], kernel[None, None], stride=2, padding=1)[0, 0]
    np.testing.assert_allclose(y.ravel(), matrix.T @ x.ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize(("k", "s", "p", "op", "d"),
                         [(3, 1, 0, 0, 1), (4, 2, 1, 0, 1), (3, 2, 1, 1, 1), (3, 3, 2, 2, 2),
                          (2, 1, 0, 1, 2), (5, 2, 0, 1, 3)])  # fmt: skip
def test_transposed_output_size_formula_and_inverse(n, k, s, p, op, d):
    expected = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if expected < 1:
        with pytest.raises(ValueError, match="output size is too small"):
            conv_transpose_output_size(n, k, s, p, op, d)
        return
    assert conv_transpose_output_size(n, k, s, p, op, d) == expected
    y = conv_transpose1d(np.ones((1, 1, n)), np.ones((1, 1, k)), None, s, p, op, 1, d)
    assert y.shape == (1, 1, expected)
    if op < s:  # the convolution with the same settings maps the size back
        assert output_size(expected, k, s, p, d) == n


def test_float32_stays_float32():
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    w = np.ones((2, 1, 3, 3), dtype=np.float32)
    assert conv2d(x, w, groups=2, padding="same").dtype == np.float32
    assert conv_transpose2d(x, w, stride=2).dtype == np.float32
    grads = conv_transpose2d_backward(np.ones((1, 1, 9, 9), np.float32), x, w,
                                      np.zeros(1, np.float32), stride=2)  # fmt: skip
    assert all(g.dtype == np.float32 for g in grads)


# --- bad combinations, each rejected with the rule ---------------------------------------------


def test_groups_must_divide_both_channel_counts():
    x = np.zeros((1, 4, 5, 5))
    with pytest.raises(ValueError, match=r"groups=3 must divide both the input channels \(4\)"):
        conv2d(x, np.zeros((3, 1, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"groups=2 must divide both .* output channels \(3\)"):
        conv2d(x, np.zeros((3, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"w expects 1 input channels per group .* 2 per group"):
        conv2d(x, np.zeros((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="groups must be >= 1, got 0"):
        conv1d(np.zeros((1, 4, 5)), np.zeros((4, 4, 3)), groups=0)
    with pytest.raises(TypeError, match="groups must be an integer"):
        conv2d(x, np.zeros((4, 2, 3, 3)), groups=2.0)
    with pytest.raises(ValueError, match=r"groups=3 must divide both the input channels \(4\)"):
        conv_transpose2d(x, np.zeros((4, 1, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"groups=2 must divide .* \(5\)"):
        conv2d_backward(np.zeros((1, 2, 3, 3)), np.zeros((1, 5, 5, 5)), np.zeros((2, 2, 3, 3)),
                        groups=2)  # fmt: skip


def test_padding_strings_and_their_rules():
    x, w = np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided conv"):
        conv2d(x, w, padding="same", stride=(1, 2))
    with pytest.raises(ValueError, match=r"stride must be 1, got 2"):
        conv1d(x[:, :, 0], w[:, :, 0], padding="same", stride=2)
    with pytest.raises(ValueError, match="padding must be an int, a 1-tuple, 'same' or 'valid'"):
        conv1d(x[:, :, 0], w[:, :, 0], padding="full")
    with pytest.raises(ValueError, match="padding must be an int, a .* pair, 'same' or 'valid'"):
        conv2d(x, w, padding="SAME")
    with pytest.raises(TypeError, match="padding must be an integer"):  # no strings here
        conv_transpose2d(x, w, padding="same")


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    x, w = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3))
    rule = "output_padding must be smaller than either stride or dilation"
    with pytest.raises(ValueError, match=f"{rule}.*output_padding 2, stride 2, dilation 1"):
        conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=f"{rule}.* along width"):
        conv_transpose2d(x, w, stride=(2, 1), output_padding=(1, 1))
    with pytest.raises(ValueError, match=rule):
        conv_transpose1d(x[:, :, 0], w[:, :, 0], output_padding=1)
    with pytest.raises(ValueError, match=rule):
        conv_transpose_output_size(4, 3, stride=3, output_padding=3, dilation=2)
    # allowed: smaller than the dilation although not smaller than the stride
    assert conv_transpose2d(x, w, dilation=2, output_padding=1).shape == (1, 1, 9, 9)


def test_transposed_argument_errors():
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"w must have one kernel stack per input channel"):
        conv_transpose2d(x, np.zeros((3, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"output size is too small: .* = -1 along height"):
        conv_transpose2d(np.zeros((1, 1, 1, 4)), np.zeros((1, 1, 1, 1)), padding=1)
    with pytest.raises(ValueError, match=r"b must have shape \(6,\), one bias per filter"):
        conv_transpose2d(x, np.zeros((2, 3, 3, 3)), np.zeros(3), groups=2)
    with pytest.raises(ValueError, match=r"grad_y must have the output's shape \(1, 3, 6, 6\)"):
        conv_transpose2d_backward(np.zeros((1, 3, 4, 4)), x, np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"x must have 3 dimensions \(N, C, L\), or 2"):
        conv_transpose1d(np.zeros(4), np.zeros((1, 1, 3)))
    with pytest.raises(TypeError, match="stride must be an integer or a 1-tuple in 1-D"):
        conv_transpose1d(np.zeros((1, 1, 4)), np.zeros((1, 1, 3)), stride=(1, 1))
    with pytest.raises(ValueError, match="x must not have an empty dimension"):
        conv_transpose2d(np.zeros((0, 2, 4, 4)), np.zeros((2, 1, 3, 3)))


def test_unbatched_grad_y_must_be_unbatched():
    x, w = np.zeros((2, 5, 5)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"grad_y must have the output's shape \(3, 3, 3\)"):
        conv2d_backward(np.zeros((1, 3, 3, 3)), x, w)


def test_exports():
    for name in ["conv_transpose1d", "conv_transpose1d_backward", "conv_transpose2d",
                 "conv_transpose2d_backward", "conv_transpose2d_naive",
                 "conv_transpose_output_size"]:  # fmt: skip
        assert getattr(lecturelib, name) is getattr(conv, name)
        assert name in conv.__all__
