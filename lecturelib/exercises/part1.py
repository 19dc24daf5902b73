"""Exercises for notebooks 01-11: why depth, convolutions, pooling, layers, training.

Each exercise below has a readable reference (loops where the lecture loops)
and a checker; where lecturelib already holds that reference (the pooling
loops of ``lecturelib.pooling``), the exercise's reference calls it. The
student's function takes the same arguments as the reference; where
lecturelib has the same function (``conv2d``, ``max_pool2d_backward``, ...)
that function is a valid answer too.

The exercises, by notebook (signature of the function the student writes):

01_why_depth
    collapse_linear(weights, biases) -> (W, b)
    perceptron_and(x, W, b) -> (N,) array of 0/1
02_why_convolutions
    receptive_field(kernel_sizes, strides=1, dilations=1) -> int
    conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1) -> y  (like conv1d)
03_convolution_operation
    conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1) -> y  (like conv2d)
    true_convolution(image, kernel, stride=1, padding=0, bias=0.0) -> (OH, OW)
        (like convolve2d with an int or (rows, cols) padding)
04_padding_and_stride
    output_size(n, kernel_size, stride=1, padding=0, dilation=1) -> int
    zero_pad(x, padding) -> x padded with zeros on all four sides of H and W
05_edge_detection
    flip_kernel(kernel) -> kernel turned by 180 degrees (last two axes)
    edge_magnitude(image) -> sqrt(Gx**2 + Gy**2), Sobel kernels, padding 1
06_pooling
    max_pool_forward(x, kernel_size, stride=None, padding=0) -> y  (like max_pool2d)
    max_pool_backward(grad_y, x, kernel_size, stride=None, padding=0) -> grad_x
        (like max_pool2d_backward)
    avg_pool_backward(grad_y, x, kernel_size, stride=None, padding=0) -> grad_x
        (like avg_pool2d_backward)
07_channels_and_layers
    multichannel_pixel(window, kernel, bias) -> float
    layer_params(input_shape, filters, kernel_size, stride=1, padding=0)
        -> (output_shape, params)
08_alexnet_shapes
    alexnet_layer_row(input_shape, layer) -> (output_shape, params)
    fc_fraction(layers, input_shape) -> float
09_learning_kernels
    conv2d_backward(grad_y, x, w, b=None, stride=1, padding=0, dilation=1)
        -> (grad_x, grad_w, grad_b)  (like conv2d_backward)
    sgd_step(params, grads, lr) -> new params (dict)
10_convolution_family
    transposed_output_size(n, kernel_size, stride=1, padding=0, output_padding=0,
        dilation=1) -> int
    separable_params(in_channels, out_channels, kernel_size, bias=True)
        -> (standard, separable)
11_pretraining_and_finetuning
    rbm_hidden_probabilities(x, W, c) -> (N, H)
    frozen_update(params, grads, lr, frozen) -> new params (list of dicts)
"""

from __future__ import annotations

import numpy as np

from .. import convolution
from ..pooling import (
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)
from ._core import Comparisons, call_student, compare, register

NB01 = "01_why_depth"
NB02 = "02_why_convolutions"
NB03 = "03_convolution_operation"
NB04 = "04_padding_and_stride"
NB05 = "05_edge_detection"
NB06 = "06_pooling"
NB07 = "07_channels_and_layers"
NB08 = "08_alexnet_shapes"
NB09 = "09_learning_kernels"
NB10 = "10_convolution_family"
NB11 = "11_pretraining_and_finetuning"

WORKED = "the lecture's worked example"


def _pair(value):
    """An int or a (rows, cols) pair, as a pair of ints."""
    if isinstance(value, tuple | list):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _text(value):
    """A stride/padding/kernel for a case description: 2 or (2, 1)."""
    rows, cols = _pair(value)
    return str(rows) if rows == cols else f"({rows}, {cols})"


def _float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


# =========================================================================================
# 03 The convolution operation: conv2d_forward, true_convolution
# =========================================================================================


def _pad(x, padding, value=0.0):
    """Pad the last two axes of x: ``padding`` rows above and below, columns left and right."""
    ph, pw = _pair(padding)
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths, constant_values=value)


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
    """Reference: 2-D convolution (cross-correlation) with loops, as PyTorch's conv2d.

    x: (N, C, H, W); w: (F, C, KH, KW); b: (F,) or None;
    stride, padding, dilation: int or (rows, cols).
    Returns (N, F, OH, OW), ``OH = (H + 2 PH - DH (KH - 1) - 1) // SH + 1``.
    The loops are the package's: :func:`lecturelib.convolution.conv2d_naive`
    (which also takes ``groups``).
    """
    return convolution.conv2d_naive(x, w, b, stride, padding, dilation)


def _conv_wrong_size(x, w, b, stride, padding, dilation, extra):
    """Like conv2d_forward, with ``extra`` output rows/cols: -1 for a missing "+1";
    +1 for a ceil instead of floor (the windows that run over the end see zeros)."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    kh, kw = w.shape[2:]
    x = _pad(_float(x), padding)
    if extra > 0:  # zeros past the end, enough for one more window
        x = np.pad(x, [(0, 0), (0, 0), (0, sh + dh * kh), (0, sw + dw * kw)])
    y = conv2d_forward(x, w, b, stride, 0, dilation)
    h, wd = x.shape[2:] if extra <= 0 else (x.shape[2] - sh - dh * kh, x.shape[3] - sw - dw * kw)
    oh = (h - dh * (kh - 1) - 1) // sh + 1 + extra
    ow = (wd - dw * (kw - 1) - 1) // sw + 1 + extra
    if oh < 1 or ow < 1:
        return None
    return y[:, :, :oh, :ow]


def _conv_diagnoses(x, w, b, stride, padding, dilation, *, flip_message=None):
    """(message, candidate) pairs for the typical mistakes in a convolution's forward pass."""
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    kh, kw = w.shape[2:]
    c = x.shape[1]
    diagnoses = []

    def add(message, make):
        diagnoses.append((message, make))

    add(
        flip_message
        or "the kernel is flipped: you computed a true convolution, but PyTorch's conv2d "
        "(and a CNN's 'convolution') is a cross-correlation: do not turn the kernel around",
        lambda: conv2d_forward(x, w[:, :, ::-1, ::-1], b, stride, padding, dilation),
    )
    if b is not None:
        add(
            "the bias is missing: add b[f] to every output of filter f",
            lambda: conv2d_forward(x, w, None, stride, padding, dilation),
        )
        add(
            "the bias is added once per kernel pixel (inside the kernel loops): add it once "
            "per output value, after the sum",
            lambda: (
                conv2d_forward(x, w, b, stride, padding, dilation)
                + np.asarray(b)[None, :, None, None] * (kh * kw - 1)
            ),
        )
        if c > 1:
            add(
                "the bias is added once per input channel: add b[f] once per output value, "
                "after summing over the channels",
                lambda: (
                    conv2d_forward(x, w, b, stride, padding, dilation)
                    + np.asarray(b)[None, :, None, None] * (c - 1)
                ),
            )
    if (ph, pw) != (0, 0):
        add(
            "the padding is ignored: pad the input with zeros (padding rows above and below, "
            "padding columns left and right) before sliding the kernel",
            lambda: conv2d_forward(x, w, b, stride, 0, dilation),
        )
        for where, widths in (
            ("only after the input (bottom and right)", [(0, 2 * ph), (0, 2 * pw)]),
            ("only before the input (top and left)", [(2 * ph, 0), (2 * pw, 0)]),
            ("on one side only (bottom and right)", [(0, ph), (0, pw)]),
            ("on one side only (top and left)", [(ph, 0), (pw, 0)]),
        ):
            add(
                f"the padding is applied {where}: put `padding` zeros on both sides "
                "(above and below, left and right)",
                lambda widths=widths: conv2d_forward(
                    np.pad(_float(x), [(0, 0), (0, 0), *widths]), w, b, stride, 0, dilation
                ),
            )
        if ph != pw:
            add(
                "padding rows and columns are swapped: padding=(rows, cols) pads the height "
                "by rows and the width by cols",
                lambda: conv2d_forward(x, w, b, stride, (pw, ph), dilation),
            )
    if (sh, sw) != (1, 1):
        add(
            "the stride is ignored: move the window by `stride` positions between outputs",
            lambda: conv2d_forward(x, w, b, 1, padding, dilation),
        )
        add(
            "the stride is applied to the input instead of the output: keep every input "
            "pixel and move the window by the stride (the output index times the stride)",
            lambda: conv2d_forward(
                _pad(_float(x), padding)[:, :, ::sh, ::sw], w, b, 1, 0, dilation
            ),
        )
        if sh != sw:
            add(
                "stride rows and columns are swapped: stride=(rows, cols)",
                lambda: conv2d_forward(x, w, b, (sw, sh), padding, dilation),
            )
    if _pair(dilation) != (1, 1):
        add(
            "the dilation is ignored: with dilation d the kernel taps are d pixels apart "
            "(index r * stride + i * dilation)",
            lambda: conv2d_forward(x, w, b, stride, padding, 1),
        )
    add(
        "the output size is off by one (one row and column short): the number of "
        "positions is (H + 2P - D(K-1) - 1) // S + 1, do not forget the + 1",
        lambda: _conv_wrong_size(x, w, b, stride, padding, dilation, -1),
    )
    add(
        "the output size is off by one (one row and column too many): round down "
        "(floor), a window that runs past the end of the padded input is dropped",
        lambda: _conv_wrong_size(x, w, b, stride, padding, dilation, +1),
    )
    return diagnoses


def _conv_cases(seed, count, *, batch=True):
    """Seeded random convolution cases: (description, x, w, b, stride, padding, dilation)."""
    rng = np.random.default_rng(seed)
    settings = [
        (1, 0, 1, True),
        (2, 1, 1, True),
        ((2, 1), (1, 2), 1, True),
        (1, 2, 2, False),
        (3, (0, 1), (2, 1), True),
        (2, 1, 1, False),
    ]
    cases = []
    for k in range(count):
        stride, padding, dilation, with_bias = settings[k % len(settings)]
        n = int(rng.integers(2, 4)) if batch else 1
        c, f = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        if k % len(settings) in (0, 4):
            kh, kw = 3, 2  # non-square, so that swapped axes show
        h, wd = int(rng.integers(7, 10)), int(rng.integers(6, 10))
        x = rng.normal(size=(n, c, h, wd))
        w = rng.normal(size=(f, c, kh, kw))
        b = rng.normal(size=f) if with_bias else None
        text = (
            f"random case {k + 1}: x {x.shape}, w {w.shape}, "
            f"{'b given' if with_bias else 'b=None'}, stride {_text(stride)}, "
            f"padding {_text(padding)}, dilation {_text(dilation)}"
        )
        cases.append((text, x, w, b, stride, padding, dilation))
    return cases


def _conv_worked_cases():
    edge = np.array(
        [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]],
        dtype=np.float64,
    )
    vertical = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)
    small = np.array([[2, 2, 1], [3, 1, -1], [4, 3, 2]], dtype=np.float64)
    sharpen_image = np.array(
        [
            [105, 102, 100, 97, 96],
            [103, 99, 103, 101, 102],
            [101, 98, 104, 102, 100],
            [99, 101, 106, 104, 99],
            [104, 104, 104, 100, 98],
        ],
        dtype=np.float64,
    )
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)
    return [
        (
            f"{WORKED} (5 x 5 input, vertical-edge kernel, no padding)",
            edge[None, None],
            vertical[None, None],
            None,
            1,
            0,
            1,
        ),
        (
            f"{WORKED} with a bias (3 x 3 input, 2 x 2 kernel, bias 2)",
            small[None, None],
            np.array([[[[1, -1], [-1, 0]]]], dtype=np.float64),
            np.array([2.0]),
            1,
            0,
            1,
        ),
        (
            f"{WORKED} (sharpen kernel on the 5 x 5 image, padding 1, stride 2)",
            sharpen_image[None, None],
            sharpen[None, None],
            None,
            2,
            1,
            1,
        ),
    ]


def _check_conv(student, reference, diagnose, cases):
    with Comparisons() as checks:
        for text, x, w, b, stride, padding, dilation in cases:
            got = call_student(student, x, w, b, stride, padding, dilation)
            expected = reference(x, w, b, stride, padding, dilation)
            checks.add(
                got,
                expected,
                "the output y",
                text,
                diagnoses=diagnose(x, w, b, stride, padding, dilation),
            )


@register("conv2d_forward", NB03, "A 2-D convolution with four loops", conv2d_forward)
def _check_conv2d_forward(student):
    cases = _conv_worked_cases() + _conv_cases(seed=3, count=8)
    _check_conv(student, conv2d_forward, _conv_diagnoses, cases)


def true_convolution(image, kernel, stride=1, padding=0, bias=0.0):
    """Reference: true (signal-processing) convolution of one 2-D image.

    image: (H, W); kernel: (KH, KW); stride, padding: int or (rows, cols).
    The kernel is turned by 180 degrees, then slid as in a cross-correlation:
    ``out[r, s] = bias + sum over i, j of image_padded[r S + i, s S + j] *
    kernel[KH - 1 - i, KW - 1 - j]``. Returns (OH, OW).
    """
    image, kernel = _float(image), _float(kernel)
    flipped = kernel[::-1, ::-1]
    out = conv2d_forward(image[None, None], flipped[None, None], None, stride, padding)[0, 0]
    return out + bias


def _true_convolution_diagnoses(image, kernel, stride, padding, bias):
    def cross(k, pad=padding, b=bias, img=image):
        return (
            conv2d_forward(_float(img)[None, None], _float(k)[None, None], None, stride, pad)[0, 0]
            + b
        )

    kernel = _float(kernel)
    diagnoses = [
        (
            "the kernel is not flipped: you computed a cross-correlation (a CNN's "
            "'convolution'); a true convolution turns the kernel by 180 degrees first",
            lambda: cross(kernel),
        ),
        (
            "the kernel is flipped upside down only: turn it by 180 degrees "
            "(reverse the rows and the columns)",
            lambda: cross(kernel[::-1, :]),
        ),
        (
            "the kernel is flipped left to right only: turn it by 180 degrees "
            "(reverse the rows and the columns)",
            lambda: cross(kernel[:, ::-1]),
        ),
        (
            "the kernel is transposed, not turned by 180 degrees: reverse the rows and the "
            "columns (kernel[::-1, ::-1])",
            lambda: cross(kernel.T) if kernel.shape[0] == kernel.shape[1] else None,
        ),
    ]
    if bias:
        diagnoses.append(
            (
                "the bias is missing: add it to every output value",
                lambda: cross(kernel[::-1, ::-1], b=0.0),
            )
        )
    if _pair(padding) != (0, 0):
        diagnoses.append(
            (
                "the padding is ignored: pad the image with zeros on every side first",
                lambda: cross(kernel[::-1, ::-1], pad=0),
            )
        )
    return diagnoses


@register("true_convolution", NB03, "True convolution: flip, then slide", true_convolution)
def _check_true_convolution(student):
    with Comparisons() as checks:
        x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float64)
        h = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)
        cases = [(f"{WORKED} (3 x 3 image, Sobel-y kernel, padding 1)", x, h, 1, 1, 0.0)]
        rng = np.random.default_rng(11)
        for k, (stride, padding, bias, shape) in enumerate(
            [
                (1, 0, 0.0, (3, 3)),
                (1, 1, 0.5, (2, 3)),
                (2, (1, 0), -1.0, (3, 2)),
                ((1, 2), 2, 0.0, (3, 3)),
            ]
        ):
            image = rng.normal(size=(int(rng.integers(5, 8)), int(rng.integers(5, 8))))
            kernel = rng.normal(size=shape)
            text = (
                f"random case {k + 1}: image {image.shape}, kernel {kernel.shape}, "
                f"stride {_text(stride)}, padding {_text(padding)}, bias {bias}"
            )
            cases.append((text, image, kernel, stride, padding, bias))
        for text, image, kernel, stride, padding, bias in cases:
            got = call_student(student, image, kernel, stride, padding, bias)
            expected = true_convolution(image, kernel, stride, padding, bias)
            checks.add(
                got,
                expected,
                "the output",
                text,
                diagnoses=_true_convolution_diagnoses(image, kernel, stride, padding, bias),
            )


# =========================================================================================
# 04 Padding and stride: output_size, zero_pad
# =========================================================================================


def output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Reference: the length of a convolution's output along one axis (an int).

    ``(n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``:
    the dilated kernel spans ``dilation * (kernel_size - 1) + 1`` inputs; the
    positions that do not fit at the end are dropped (floor). This is
    :func:`lecturelib.convolution.output_size`.
    """
    return convolution.output_size(n, kernel_size, stride, padding, dilation)


def _output_size_diagnoses(n, k, s, p, d):
    extent = d * (k - 1) + 1
    return [
        (
            "the output size is off by one (one too small): you forgot the + 1 "
            "(the first position is there before any stride is taken)",
            (n + 2 * p - extent) // s,
        ),
        (
            "the output size is off by one (one too large): round down (floor, //), not "
            "up: a window that does not fit into the padded input is dropped",
            -(-(n + 2 * p - extent) // s) + 1,
        ),
        (
            "the padding is counted once: padding P adds P zeros on each side, 2P in all",
            (n + p - extent) // s + 1,
        ),
        ("the padding is ignored: the padded input is n + 2P long", (n - extent) // s + 1),
        (
            "the dilation is ignored: a kernel of size K with dilation D spans D(K - 1) + 1 inputs",
            (n + 2 * p - k) // s + 1,
        ),
        (
            "the dilated kernel's extent is wrong: it spans D(K - 1) + 1 inputs, not D K",
            (n + 2 * p - d * k) // s + 1,
        ),
        (
            "the stride is applied to the whole expression: only the room left after the "
            "first window, (n + 2P - D(K-1) - 1), is divided by the stride",
            (n + 2 * p - extent + 1) // s,
        ),
    ]


@register("output_size", NB04, "The output-size formula", output_size)
def _check_output_size(student):
    with Comparisons() as checks:
        worked = [
            ("5 x 5 input, 3 x 3 kernel, stride 2, padding 1", (5, 3, 2, 1, 1)),
            ("AlexNet conv-1: 227, kernel 11, stride 4", (227, 11, 4, 0, 1)),
            ("LeNet: 32, kernel 5", (32, 5, 1, 0, 1)),
            ("10, kernel 3, padding 1 ('same')", (10, 3, 1, 1, 1)),
            ("7, kernel 3, stride 2", (7, 3, 2, 0, 1)),
            ("8, kernel 3, stride 3 (a row does not fit)", (8, 3, 3, 0, 1)),
            ("12, kernel 3, dilation 3", (12, 3, 1, 0, 3)),
            ("12, kernel 3, stride 2, padding 2, dilation 3", (12, 3, 2, 2, 3)),
        ]
        rng = np.random.default_rng(4)
        cases = [
            (f"{WORKED} ({text})" if i < 4 else text, args) for i, (text, args) in enumerate(worked)
        ]
        for k in range(12):
            kernel, stride = int(rng.integers(1, 6)), int(rng.integers(1, 5))
            padding, dilation = int(rng.integers(0, 3)), int(rng.integers(1, 3))
            n = int(rng.integers(dilation * (kernel - 1) + 1, 30))
            text = (
                f"random case {k + 1}: n={n}, kernel {kernel}, stride {stride}, padding {padding}, "
                f"dilation {dilation}"
            )
            cases.append((text, (n, kernel, stride, padding, dilation)))
        for text, args in cases:
            got = call_student(student, *args)
            checks.add(
                got,
                output_size(*args),
                "the output size",
                text,
                diagnoses=_output_size_diagnoses(*args),
            )


def zero_pad(x, padding):
    """Reference: x (..., H, W) with ``padding`` zeros on both sides of H and W.

    padding: int or (rows, cols). Returns (..., H + 2 PH, W + 2 PW); the
    leading axes (batch, channels) are not padded.
    """
    x = np.asarray(x)
    ph, pw = _pair(padding)
    out = np.zeros(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), dtype=x.dtype)
    out[..., ph : ph + x.shape[-2], pw : pw + x.shape[-1]] = x
    return out


def _zero_pad_diagnoses(x, padding):
    ph, pw = _pair(padding)
    lead = [(0, 0)] * (x.ndim - 2)
    diagnoses = [
        (
            "the zeros are added only after the input (bottom and right): put `padding` "
            "zeros on both sides",
            np.pad(x, lead + [(0, ph), (0, pw)]),
        ),
        (
            "the zeros are added only before the input (top and left): put `padding` "
            "zeros on both sides",
            np.pad(x, lead + [(ph, 0), (pw, 0)]),
        ),
        (
            "all 2P zeros are put after the input (bottom and right): P above and P below",
            np.pad(x, lead + [(0, 2 * ph), (0, 2 * pw)]),
        ),
        (
            "every axis is padded, the batch and channel axes too: pad only the last two "
            "(height and width)",
            np.pad(x, [(ph, ph)] * (x.ndim - 1) + [(pw, pw)]) if ph == pw else None,
        ),
        (
            "the padding is split between the two sides (P // 2 each): each side gets P zeros",
            np.pad(x, lead + [(ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)]),
        ),
    ]
    if ph != pw:
        diagnoses.append(
            (
                "padding rows and columns are swapped: padding=(rows, cols) adds rows above "
                "and below, columns left and right",
                np.pad(x, lead + [(pw, pw), (ph, ph)]),
            )
        )
    return diagnoses


@register("zero_pad", NB04, "Zero padding on every side", zero_pad)
def _check_zero_pad(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(5)
        cases = [
            (f"{WORKED} (a 3 x 3 image, padding 1)", np.arange(1.0, 10.0).reshape(1, 1, 3, 3), 1)
        ]
        for k, (shape, padding) in enumerate(
            [((2, 3, 4, 5), 2), ((1, 2, 3, 3), (1, 2)), ((2, 1, 5, 4), (2, 0)), ((3, 2, 2, 2), 3)]
        ):
            cases.append(
                (
                    f"random case {k + 1}: x {shape}, padding {_text(padding)}",
                    rng.normal(size=shape),
                    padding,
                )
            )
        for text, x, padding in cases:
            got = call_student(student, x, padding)
            checks.add(
                got,
                zero_pad(x, padding),
                "the padded x",
                text,
                diagnoses=_zero_pad_diagnoses(x, padding),
            )


# =========================================================================================
# 06 Pooling: max_pool_forward, max_pool_backward, avg_pool_backward
# =========================================================================================


def _pool_geometry(x, kernel_size, stride, padding):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    oh = (x.shape[-2] + 2 * ph - kh) // sh + 1
    ow = (x.shape[-1] + 2 * pw - kw) // sw + 1
    return (kh, kw), (sh, sw), (ph, pw), (oh, ow)


def max_pool_forward(x, kernel_size, stride=None, padding=0):
    """Reference: :func:`lecturelib.pooling.max_pool2d_naive`, max pooling with loops.

    x: (N, C, H, W); kernel_size, stride, padding: int or (rows, cols);
    stride defaults to kernel_size; padding adds -inf (it never wins).
    Returns (N, C, OH, OW) with ``OH = (H + 2 PH - KH) // SH + 1``.
    """
    return max_pool2d_naive(x, kernel_size, stride, padding)


def _avg_pool(x, kernel_size, stride, padding):
    return avg_pool2d_naive(x, kernel_size, stride, padding)


def _max_pool_diagnoses(x, kernel_size, stride, padding):
    kh, kw = _pair(kernel_size)
    diagnoses = [
        (
            "you took the average, not the maximum, of each window",
            lambda: _avg_pool(x, kernel_size, stride, padding),
        ),
    ]
    if stride is None:
        diagnoses.append(
            (
                "the stride defaults to 1, but PyTorch's default stride is the kernel size "
                "(stride=None means stride = kernel_size: windows do not overlap)",
                lambda: max_pool_forward(x, kernel_size, 1, padding),
            )
        )
    if _pair(padding) != (0, 0):
        diagnoses.append(
            (
                "the padding holds zeros: max pooling pads with -inf, so a padded cell never "
                "wins (it matters when the values are negative)",
                lambda: _max_pool_zero_pad(x, kernel_size, stride, padding),
            )
        )
        diagnoses.append(
            (
                "the padding is ignored: pad (with -inf) on every side first",
                lambda: max_pool_forward(x, kernel_size, stride, 0),
            )
        )
    if kh != kw:
        diagnoses.append(
            (
                "kernel rows and columns are swapped: kernel_size=(rows, cols)",
                lambda: max_pool_forward(x, (kw, kh), stride, padding),
            )
        )
    if stride is not None and len(set(_pair(stride))) == 2:
        sh, sw = _pair(stride)
        diagnoses.append(
            (
                "stride rows and columns are swapped: stride=(rows, cols) moves the window "
                "rows down, cols across",
                lambda: max_pool_forward(x, kernel_size, (sw, sh), padding),
            )
        )
    diagnoses.append(
        (
            "the output size is off by one (one row and column short): "
            "OH = (H + 2P - K) // S + 1, do not forget the + 1",
            lambda: max_pool_forward(x, kernel_size, stride, padding)[:, :, :-1, :-1],
        )
    )
    return diagnoses


def _max_pool_zero_pad(x, kernel_size, stride, padding):
    xp = _pad(_float(x), padding, 0.0)
    return max_pool_forward(xp, kernel_size, kernel_size if stride is None else stride, 0)


def _pool_worked_cases():
    """The lecture's pooling examples: (text, x, kernel_size, stride, padding)."""
    a = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)
    b = np.array(
        [[1, 2, 3, 4, 5], [9, 8, 7, 6, 0], [0, 2, 4, 6, 8], [2, 3, 4, 5, 1], [6, 7, 8, 9, 0]],
        dtype=np.float64,
    )
    b = np.pad(b, [(0, 1), (0, 1)])  # one row of zeros at the bottom, one column at the right
    c = np.array([[1, 4, 2, 1], [5, 8, 3, 4], [7, 6, 4, 5], [1, 3, 1, 2]], dtype=np.float64)
    return [
        (f"{WORKED} (4 x 4, 2 x 2 max pool, stride 2)", a[None, None], 2, None, 0),
        (f"{WORKED} (6 x 6, 2 x 2 window, stride 2 x 1)", b[None, None], 2, (2, 1), 0),
        (f"{WORKED} (6 x 6, 2 x 2 window, stride 1 x 2)", b[None, None], 2, (1, 2), 0),
        (f"{WORKED} (4 x 4, 2 x 2 window, stride 1: windows overlap)", c[None, None], 2, 1, 0),
    ]


def _pool_random_cases(seed, count, *, ties=True):
    """Seeded pooling cases with batches, overlaps, padding and (small integer) ties."""
    rng = np.random.default_rng(seed)
    settings = [
        (2, None, 0),
        (3, 2, 1),
        ((2, 3), (1, 2), 0),
        (3, 1, 1),
        (2, 1, 0),
        ((3, 2), None, (1, 0)),
    ]
    cases = []
    for k in range(count):
        kernel, stride, padding = settings[k % len(settings)]
        shape = (
            int(rng.integers(2, 4)),
            int(rng.integers(1, 3)),
            int(rng.integers(5, 8)),
            int(rng.integers(5, 8)),
        )
        tied = ties and k % 2 == 1
        x = rng.integers(-2, 2, size=shape).astype(np.float64) if tied else rng.normal(size=shape)
        text = (
            f"random case {k + 1}: x {shape}{' with ties' if tied else ''}, kernel "
            f"{_text(kernel)}, "
            f"stride {'None' if stride is None else _text(stride)}, padding {_text(padding)}"
        )
        cases.append((text, x, kernel, stride, padding))
    return cases


@register("max_pool_forward", NB06, "Max pooling with loops", max_pool_forward)
def _check_max_pool_forward(student):
    with Comparisons() as checks:
        for text, x, kernel, stride, padding in _pool_worked_cases() + _pool_random_cases(6, 8):
            got = call_student(student, x, kernel, stride, padding)
            checks.add(
                got,
                max_pool_forward(x, kernel, stride, padding),
                "the output y",
                text,
                diagnoses=_max_pool_diagnoses(x, kernel, stride, padding),
            )


def max_pool_backward(grad_y, x, kernel_size, stride=None, padding=0):
    """Reference: :func:`lecturelib.pooling.max_pool2d_backward_naive`, with loops.

    grad_y: (N, C, OH, OW); x: (N, C, H, W); other arguments as
    :func:`max_pool_forward`. Each window sends its gradient to one maximal
    element, the first in row-major order when several are equal (np.argmax);
    where windows overlap the contributions add up. Returns grad_x (N, C, H, W).
    """
    return max_pool2d_backward_naive(grad_y, x, kernel_size, stride, padding)


def _max_pool_backward_variant(
    grad_y, x, kernel_size, stride=None, padding=0, *, ties="first", accumulate=True
):
    """max_pool_backward with the typical mistakes as options (ties, accumulate)."""
    x, grad_y = _float(x), _float(grad_y)
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = _pool_geometry(x, kernel_size, stride, padding)
    xp = _pad(x, padding, -np.inf)
    grad_xp = np.zeros(xp.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for r in range(oh):
                for s in range(ow):
                    window = xp[n, c, r * sh : r * sh + kh, s * sw : s * sw + kw]
                    target = grad_xp[n, c, r * sh : r * sh + kh, s * sw : s * sw + kw]
                    g = grad_y[n, c, r, s]
                    if ties == "all":  # every maximum gets the whole gradient
                        mask = window == window.max()
                    elif ties == "split":  # the maxima share it
                        mask = (window == window.max()) / np.sum(window == window.max())
                    elif ties == "everywhere":  # no max at all: the whole window
                        mask = np.ones_like(window)
                    else:
                        flat = window.ravel()
                        best = (
                            len(flat) - 1 - int(np.argmax(flat[::-1]))
                            if ties == "last"
                            else int(np.argmax(flat))
                        )
                        mask = np.zeros(window.size)
                        mask[best] = 1.0
                        mask = mask.reshape(window.shape)
                    if accumulate:
                        target += g * mask
                    else:
                        target[mask != 0] = (g * mask)[mask != 0]
    return grad_xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]].astype(
        np.result_type(x, grad_y)
    )


def _max_pool_backward_diagnoses(grad_y, x, kernel_size, stride, padding):
    def variant(**options):
        return lambda: _max_pool_backward_variant(
            grad_y, x, kernel_size, stride, padding, **options
        )

    ph, pw = _pair(padding)
    diagnoses = [
        (
            "ties send the gradient to every maximum: when several values in a window are "
            "equal to its maximum, PyTorch sends the gradient to one of them, the first in "
            "row-major order",
            variant(ties="all"),
        ),
        (
            "ties send the gradient to the last maximum: PyTorch picks the first maximal "
            "element in row-major order (np.argmax does)",
            variant(ties="last"),
        ),
        (
            "ties split the gradient among the maxima: it goes whole to one of them, the "
            "first in row-major order",
            variant(ties="split"),
        ),
        (
            "the gradient is not accumulated where pooling windows overlap: one input can "
            "be the maximum of several windows, add (+=) every window's gradient",
            variant(accumulate=False),
        ),
        (
            "the gradient goes to every element of the window: only the maximum "
            "influenced the output, so only it receives the gradient",
            variant(ties="everywhere"),
        ),
    ]
    if (ph, pw) != (0, 0):
        diagnoses.append(
            (
                "the gradient still has the padding: crop the padded rows and columns, "
                "grad_x has the shape of x",
                lambda: _pad(max_pool_backward(grad_y, x, kernel_size, stride, padding), padding),
            )
        )
    return diagnoses


@register("max_pool_backward", NB06, "Backpropagation through max pooling", max_pool_backward)
def _check_max_pool_backward(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(7)
        cases = _pool_worked_cases()
        tie = np.array(
            [[[[3, 3, 1, 0], [1, 2, 3, 3], [0, 5, 2, 2], [5, 5, 2, 1]]]], dtype=np.float64
        )
        cases = cases[:1] + [(f"{WORKED} with ties (2 x 2, stride 2)", tie, 2, None, 0)] + cases[1:]
        cases += _pool_random_cases(8, 8)
        for text, x, kernel, stride, padding in cases:
            oh_ow = max_pool_forward(x, kernel, stride, padding).shape
            grad_y = np.round(rng.normal(size=oh_ow), 2) + 0.0
            expected = max_pool_backward(grad_y, x, kernel, stride, padding)
            got = call_student(student, grad_y, x, kernel, stride, padding)
            checks.add(
                got,
                expected,
                "grad_x",
                text,
                diagnoses=_max_pool_backward_diagnoses(grad_y, x, kernel, stride, padding),
            )


def avg_pool_backward(grad_y, x, kernel_size, stride=None, padding=0):
    """Reference: :func:`lecturelib.pooling.avg_pool2d_backward_naive`, with loops.

    grad_y: (N, C, OH, OW); x: (N, C, H, W); kernel_size, stride, padding:
    int or (rows, cols), stride defaulting to kernel_size. The zero padding
    counts in the average (count_include_pad=True), so every element of a
    window receives ``grad_y / (KH * KW)``; overlapping windows add up.
    Returns grad_x: (N, C, H, W).
    """
    return avg_pool2d_backward_naive(grad_y, x, kernel_size, stride, padding)


def _avg_pool_backward_variant(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    *,
    divisor="window",
    accumulate=True,
    first_only=False,
):
    """avg_pool_backward with the typical mistakes as options."""
    x, grad_y = _float(x), _float(grad_y)
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = _pool_geometry(x, kernel_size, stride, padding)
    real = _pad(np.ones(x.shape[2:]), padding)
    grad_xp = np.zeros(x.shape[:2] + real.shape)
    for r in range(oh):
        for s in range(ow):
            rows, cols = slice(r * sh, r * sh + kh), slice(s * sw, s * sw + kw)
            if divisor == "window":
                share = grad_y[:, :, r, s] / (kh * kw)
            elif divisor == "none":
                share = grad_y[:, :, r, s]
            elif divisor == "real":  # only the non-padding elements counted
                share = grad_y[:, :, r, s] / real[rows, cols].sum()
            else:  # divided by the kernel size once (K, not K * K)
                share = grad_y[:, :, r, s] / kh
            if first_only:
                grad_xp[:, :, r * sh, s * sw] += share
            elif accumulate:
                grad_xp[:, :, rows, cols] += share[:, :, None, None]
            else:
                grad_xp[:, :, rows, cols] = share[:, :, None, None]
    return grad_xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]].astype(
        np.result_type(x, grad_y)
    )


def _avg_pool_backward_diagnoses(grad_y, x, kernel_size, stride, padding):
    def variant(**options):
        return lambda: _avg_pool_backward_variant(
            grad_y, x, kernel_size, stride, padding, **options
        )

    diagnoses = [
        (
            "the average-pool gradient is not divided by the window size: each of the "
            "KH * KW inputs gets grad_y / (KH * KW)",
            variant(divisor="none"),
        ),
        (
            "the gradient is divided by the kernel size K, not by the number of window "
            "elements KH * KW",
            variant(divisor="side"),
        ),
        (
            "the gradient is not accumulated where pooling windows overlap: add (+=) the "
            "share of every window an input belongs to",
            variant(accumulate=False),
        ),
        (
            "the gradient goes only to the window's first (top-left) element: every "
            "element of the window took part in the average and gets an equal share",
            variant(first_only=True),
        ),
    ]
    if _pair(padding) != (0, 0):
        diagnoses.insert(
            2,
            (
                "the padded zeros are not counted in the average: PyTorch's default "
                "(count_include_pad=True) divides by KH * KW even at the border",
                variant(divisor="real"),
            ),
        )
        diagnoses.append(
            (
                "the gradient still has the padding: crop the padded rows and columns, "
                "grad_x has the shape of x",
                lambda: _pad(avg_pool_backward(grad_y, x, kernel_size, stride, padding), padding),
            )
        )
    return diagnoses


@register("avg_pool_backward", NB06, "Backpropagation through average pooling", avg_pool_backward)
def _check_avg_pool_backward(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(9)
        for text, x, kernel, stride, padding in _pool_worked_cases() + _pool_random_cases(
            10, 8, ties=False
        ):
            out = _avg_pool(x, kernel, stride, padding)
            grad_y = np.round(rng.normal(size=out.shape), 2) + 0.0
            got = call_student(student, grad_y, x, kernel, stride, padding)
            checks.add(
                got,
                avg_pool_backward(grad_y, x, kernel, stride, padding),
                "grad_x",
                text,
                diagnoses=_avg_pool_backward_diagnoses(grad_y, x, kernel, stride, padding),
            )


# =========================================================================================
# 09 Learning the kernels: conv2d_backward, sgd_step
# =========================================================================================


def conv2d_backward(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    """Reference: gradients of conv2d with loops, as PyTorch's.

    grad_y: (N, F, OH, OW); x: (N, C, H, W); w: (F, C, KH, KW); b: (F,) or None.
    Every output position (r, s) used the window of the padded input at
    (r S + i D, s S + j D); going backwards, it hands grad_y times the kernel
    back to that window (grad_x, added up where windows overlap, then the
    padding cropped) and grad_y times the window to the kernel (grad_w,
    summed over the batch and every position). grad_b sums grad_y over the
    batch and every position. Returns (grad_x, grad_w, grad_b or None).
    The loops are the package's: :func:`lecturelib.convolution.conv2d_backward_naive`.
    """
    return convolution.conv2d_backward_naive(grad_y, x, w, b, stride, padding, dilation)


def _conv_backward_diagnoses(grad_y, x, w, b, stride, padding, dilation):
    """Diagnoses for grad_x, grad_w and grad_b separately."""
    n = x.shape[0]

    ref = conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    first = conv2d_backward(grad_y[:1], x[:1], w, b, stride, padding, dilation)
    last = conv2d_backward(grad_y[-1:], x[-1:], w, b, stride, padding, dilation)
    flipped = conv2d_backward(grad_y, x, w[:, :, ::-1, ::-1], b, stride, padding, dilation)
    grad_x = [
        (
            "grad_x uses the kernel without flipping it: the gradient for the input is a "
            "full convolution of grad_y with the kernel (each output hands grad_y * w[i, j] "
            "back to the pixel at offset (i, j) of its window)",
            lambda: flipped[0] if not np.allclose(w, w[:, :, ::-1, ::-1]) else None,
        ),
        (
            "grad_x is not accumulated where windows overlap: a pixel in several windows "
            "receives the sum (+=) of all their contributions",
            lambda: _conv_backward_overwrite(grad_y, x, w, stride, padding, dilation),
        ),
    ]
    if _pair(padding) != (0, 0):
        grad_x.append(
            (
                "grad_x still has the padding: crop the padded rows and columns, grad_x has "
                "the shape of x",
                lambda: _pad(ref[0], padding),
            )
        )
    grad_w = []
    grad_b = []
    if n > 1:
        grad_w += [
            (
                "grad_w is missing the sum over the batch: every image in the batch used the "
                "same kernel, so grad_w adds up the contributions of all N images",
                lambda: first[1],
            ),
            (
                "grad_w is missing the sum over the batch (only the last image is left: "
                "= instead of +=)",
                lambda: last[1],
            ),
            (
                "grad_w is averaged over the batch: the loss is already a sum, so grad_w is "
                "the sum over the batch, not the mean",
                lambda: ref[1] / n,
            ),
        ]
        if b is not None:
            grad_b += [
                (
                    "grad_b is missing the sum over the batch: add grad_y over the batch "
                    "and every output position",
                    lambda: first[2],
                ),
                ("grad_b is averaged over the batch: sum it", lambda: ref[2] / n),
            ]
    grad_w.append(
        (
            "grad_w is flipped: grad_w[f, c, i, j] is the sum of grad_y times the input "
            "pixel at offset (i, j) of each window (a cross-correlation of x with grad_y)",
            lambda: (
                ref[1][:, :, ::-1, ::-1]
                if not np.allclose(ref[1], ref[1][:, :, ::-1, ::-1])
                else None
            ),
        )
    )
    if b is not None:
        grad_b.append(
            (
                "grad_b is summed over the batch only: sum over every output position too",
                lambda: grad_y.sum(axis=0),
            )
        )
    return grad_x, grad_w, grad_b


def _conv_backward_overwrite(grad_y, x, w, stride, padding, dilation):
    """grad_x with '=' instead of '+=' (the last window to touch a pixel wins)."""
    f, c, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    xp = _pad(_float(x), padding)
    grad_xp = np.zeros(xp.shape)
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            for i in range(kh):
                for j in range(kw):
                    grad_xp[:, :, r * sh + i * dh, s * sw + j * dw] = (
                        grad_y[:, :, r, s] @ w[:, :, i, j]
                    )
    return grad_xp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


@register("conv2d_backward", NB09, "Backpropagation through a convolution", conv2d_backward)
def _check_conv2d_backward(student):
    with Comparisons() as checks:
        worked_x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # x1 .. x9
        worked_w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])  # w1 .. w4
        worked_grad = np.array([[[[1.0, -1.0], [2.0, 0.5]]]])
        cases = [
            (
                f"{WORKED} (3 x 3 input x1..x9, 2 x 2 kernel w1..w4)",
                worked_grad,
                worked_x,
                worked_w,
                np.zeros(1),
                1,
                0,
                1,
            )
        ]
        rng = np.random.default_rng(12)
        for text, x, w, b, stride, padding, dilation in _conv_cases(seed=13, count=8):
            oh_ow = conv2d_forward(x, w, b, stride, padding, dilation).shape
            cases.append((text, rng.normal(size=oh_ow), x, w, b, stride, padding, dilation))
        for text, grad_y, x, w, b, stride, padding, dilation in cases:
            got = call_student(student, grad_y, x, w, b, stride, padding, dilation)
            expected = conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
            if not isinstance(got, tuple | list) or len(got) != 3:
                compare(got, expected, "the result (grad_x, grad_w, grad_b)", text)
            dx, dw, db = _conv_backward_diagnoses(grad_y, x, w, b, stride, padding, dilation)
            checks.add(got[1], expected[1], "grad_w", text, diagnoses=dw)
            checks.add(got[2], expected[2], "grad_b", text, diagnoses=db)
            checks.add(got[0], expected[0], "grad_x", text, diagnoses=dx)


def sgd_step(params, grads, lr):
    """Reference: one step of plain gradient descent.

    params, grads: dicts name -> array (the same names and shapes); lr: the
    learning rate. Returns a new dict ``{name: params[name] - lr * grads[name]}``.
    """
    return {name: params[name] - lr * grads[name] for name in params}


@register("sgd_step", NB09, "One step of gradient descent", sgd_step)
def _check_sgd_step(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(14)
        cases = [
            (
                "a 3 x 3 kernel and a bias, learning rate 0.1",
                {"w": np.arange(9.0).reshape(3, 3) / 10, "b": np.array([0.5])},
                {"w": np.ones((3, 3)), "b": np.array([2.0])},
                0.1,
            )
        ]
        for k, lr in enumerate([0.01, 0.5, 2.0]):
            params = {
                "w1": rng.normal(size=(4, 3)),
                "b1": rng.normal(size=4),
                "w2": rng.normal(size=(2, 1, 3, 3)),
            }
            grads = {name: rng.normal(size=value.shape) for name, value in params.items()}
            cases.append(
                (f"random case {k + 1}: three parameters, learning rate {lr}", params, grads, lr)
            )
        for text, params, grads, lr in cases:
            got = call_student(student, params, grads, lr)
            diagnoses = [
                (
                    "the step goes uphill: subtract lr * grad (the gradient points to where the "
                    "loss grows)",
                    {k: params[k] + lr * grads[k] for k in params},
                ),
                (
                    "the learning rate is missing: the step is lr * grad",
                    {k: params[k] - grads[k] for k in params},
                ),
                (
                    "the gradient is divided by the learning rate: multiply",
                    {k: params[k] - grads[k] / lr for k in params},
                ),
                (
                    "the step returns the gradient step only: new = old - lr * grad",
                    {k: -lr * grads[k] for k in params},
                ),
            ]
            checks.add(
                got, sgd_step(params, grads, lr), "the new parameters", text, diagnoses=diagnoses
            )


# =========================================================================================
# 07 Channels and layers: multichannel_pixel, layer_params
# =========================================================================================


def multichannel_pixel(window, kernel, bias):
    """Reference: one output value of a multi-channel convolution.

    window: (C, KH, KW), the input under the kernel (all channels); kernel:
    (C, KH, KW); bias: a number. Returns the float
    ``sum over c, i, j of window[c, i, j] * kernel[c, i, j] + bias``:
    one sum over every channel, one bias.
    """
    window, kernel = _float(window), _float(kernel)
    total = 0.0
    for c in range(window.shape[0]):  # one channel at a time, as on the slide
        total += float(np.sum(window[c] * kernel[c]))
    return total + float(bias)


@register("multichannel_pixel", NB07, "One output value over three channels", multichannel_pixel)
def _check_multichannel_pixel(student):
    with Comparisons() as checks:
        red = [[0, 0, 0], [0, 156, 155], [0, 153, 154]]
        green = [[0, 0, 0], [0, 167, 166], [0, 164, 165]]
        blue = [[0, 0, 0], [0, 163, 162], [0, 160, 161]]
        k_red = [[-1, -1, 1], [0, 1, -1], [0, 1, 1]]
        k_green = [[1, 0, 0], [1, -1, -1], [1, 0, -1]]
        k_blue = [[0, 1, 1], [0, 1, 0], [1, -1, 1]]
        cases = [
            (
                f"{WORKED} (RGB window, 3 x 3 x 3 kernel, bias 1)",
                np.array([red, green, blue], dtype=np.float64),
                np.array([k_red, k_green, k_blue], dtype=np.float64),
                1.0,
            )
        ]
        rng = np.random.default_rng(15)
        for k, shape in enumerate([(2, 3, 3), (4, 2, 3), (3, 5, 5)]):
            bias = float(np.round(rng.normal(), 2))
            cases.append(
                (
                    f"random case {k + 1}: window and kernel {shape}, bias {bias}",
                    rng.normal(size=shape),
                    rng.normal(size=shape),
                    bias,
                )
            )
        for text, window, kernel, bias in cases:
            got = call_student(student, window, kernel, bias)
            sums = np.array([np.sum(window[c] * kernel[c]) for c in range(window.shape[0])])
            c = window.shape[0]
            diagnoses = [
                (
                    "the bias is added once per channel: add it once, after summing over the "
                    "channels",
                    sums.sum() + c * bias,
                ),
                ("the bias is missing: add it once to the sum", sums.sum()),
                (
                    "only the first channel is used: the kernel spans every input channel, sum "
                    "over "
                    "all of them",
                    sums[0] + bias,
                ),
                (
                    "the channels are averaged: sum over the channels, do not average",
                    sums.mean() + bias,
                ),
                (
                    "you returned one sum per channel: add them up (and the bias) into one number",
                    sums + bias,
                ),
                (
                    "you returned one sum per channel: add them up (and the bias) into one number",
                    sums,
                ),
            ]
            checks.add(
                got,
                multichannel_pixel(window, kernel, bias),
                "the output value",
                text,
                diagnoses=diagnoses,
            )


def layer_params(input_shape, filters, kernel_size, stride=1, padding=0):
    """Reference: output shape and parameter count of a convolutional layer.

    input_shape: (C, H, W); filters: F; kernel_size, stride, padding: int or
    (rows, cols). Each filter has ``C * KH * KW`` weights (it spans every input
    channel) and one bias. Returns ``((F, OH, OW), F * C * KH * KW + F)``.
    """
    c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(padding)
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    return (filters, oh, ow), filters * c * kh * kw + filters


@register("layer_params", NB07, "A convolutional layer's shape and parameters", layer_params)
def _check_layer_params(student):
    with Comparisons() as checks:
        cases = [
            (f"{WORKED} (32 x 32 x 3 input, six 5 x 5 filters)", ((3, 32, 32), 6, 5, 1, 0)),
            (
                f"{WORKED} (256 filters 3 x 3 on 256 channels, padding 1)",
                ((256, 13, 13), 256, 3, 1, 1),
            ),
            (
                f"{WORKED} (AlexNet conv-1: 227 x 227 x 3, 96 filters 11 x 11, stride 4)",
                ((3, 227, 227), 96, 11, 4, 0),
            ),
            (
                f"{WORKED} (LeNet C3: 16 filters 5 x 5 on 6 maps of 14 x 14)",
                ((6, 14, 14), 16, 5, 1, 0),
            ),
        ]
        rng = np.random.default_rng(16)
        for k in range(6):
            c, f = int(rng.integers(1, 9)), int(rng.integers(1, 17))
            kernel = (
                (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
                if k % 2
                else int(rng.integers(1, 6))
            )
            stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
            h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
            cases.append(
                (
                    f"random case {k + 1}: input {(c, h, w)}, {f} filters {_text(kernel)}, stride "
                    f"{stride}, padding {padding}",
                    ((c, h, w), f, kernel, stride, padding),
                )
            )
        for text, args in cases:
            got = call_student(student, *args)
            (f, oh, ow), params = layer_params(*args)
            (c, h, w), _, kernel, stride, padding = args
            kh, kw = _pair(kernel)
            diagnoses = [
                (
                    "the biases are missing: each filter has one bias, F * C * KH * KW + F",
                    ((f, oh, ow), params - f),
                ),
                (
                    "the input channels are not counted: a filter spans every input channel, C * "
                    "KH "
                    "* KW weights each",
                    ((f, oh, ow), f * kh * kw + f),
                ),
                (
                    "the biases are counted per output pixel: there is one bias per filter, shared "
                    "by all positions",
                    ((f, oh, ow), params - f + f * oh * ow),
                ),
                (
                    "the output has the input's channels: it has one channel per filter (F)",
                    ((c, oh, ow), params),
                ),
                (
                    "the output size is off by one: OH = (H + 2P - K) // S + 1",
                    ((f, oh - 1, ow - 1), params),
                ),
                (
                    "the padding is ignored in the output size: OH = (H + 2P - K) // S + 1",
                    (layer_params((c, h, w), f, kernel, stride, 0)[0], params),
                ),
            ]
            checks.add(
                got, ((f, oh, ow), params), "(output_shape, params)", text, diagnoses=diagnoses
            )


# =========================================================================================
# 08 AlexNet shapes: alexnet_layer_row, fc_fraction
# =========================================================================================

ALEXNET_LAYERS = [
    {"kind": "conv", "filters": 96, "kernel": 11, "stride": 4, "padding": 0},
    {"kind": "maxpool", "kernel": 3, "stride": 2},
    {"kind": "conv", "filters": 256, "kernel": 5, "stride": 1, "padding": 2},
    {"kind": "maxpool", "kernel": 3, "stride": 2},
    {"kind": "conv", "filters": 384, "kernel": 3, "stride": 1, "padding": 1},
    {"kind": "conv", "filters": 384, "kernel": 3, "stride": 1, "padding": 1},
    {"kind": "conv", "filters": 256, "kernel": 3, "stride": 1, "padding": 1},
    {"kind": "maxpool", "kernel": 3, "stride": 2},
    {"kind": "fc", "units": 4096},
    {"kind": "fc", "units": 4096},
    {"kind": "fc", "units": 1000},
]
"""AlexNet as a list of layer specifications (dicts) for the notebook-08 exercises, on a
(3, 227, 227) input: "conv" (filters, kernel, stride, padding), "maxpool" (kernel,
stride), "fc" (units; a (C, H, W) input is flattened first)."""


def alexnet_layer_row(input_shape, layer):
    """Reference: one row of the AlexNet table: a layer's output shape and parameters.

    input_shape: (C, H, W), or (D,) before a fully connected layer; layer: a
    dict as in :data:`ALEXNET_LAYERS`. Returns (output_shape, params):
    conv: ((F, OH, OW), F * C * K * K + F); maxpool: ((C, OH, OW), 0);
    fc: ((units,), D * units + units) with D the flattened input size.
    """
    kind = layer["kind"]
    if kind == "fc":
        inputs = int(np.prod(input_shape))  # flatten (C, H, W) to C * H * W features
        return (layer["units"],), inputs * layer["units"] + layer["units"]
    c, h, w = input_shape
    k, s = layer["kernel"], layer.get("stride", 1)
    p = layer.get("padding", 0)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    if kind == "maxpool":
        return (c, oh, ow), 0
    f = layer["filters"]
    return (f, oh, ow), f * c * k * k + f


def _alexnet_cases():
    shape, cases = (3, 227, 227), []
    for i, layer in enumerate(ALEXNET_LAYERS):
        cases.append(
            (f"{WORKED} (AlexNet layer {i + 1}, {layer['kind']}, input {shape})", shape, layer)
        )
        shape = alexnet_layer_row(shape, layer)[0]
    rng = np.random.default_rng(17)
    for k in range(6):
        kind = ["conv", "maxpool", "fc"][k % 3]
        shape = (int(rng.integers(1, 20)), int(rng.integers(9, 30)), int(rng.integers(9, 30)))
        if kind == "conv":
            layer = {
                "kind": "conv",
                "filters": int(rng.integers(2, 40)),
                "kernel": int(rng.integers(1, 6)),
                "stride": int(rng.integers(1, 3)),
                "padding": int(rng.integers(0, 3)),
            }
        elif kind == "maxpool":
            layer = {"kind": "maxpool", "kernel": int(rng.integers(2, 4)), "stride": 2}
        else:
            layer = {"kind": "fc", "units": int(rng.integers(5, 100))}
            if k == 5:
                shape = (int(rng.integers(10, 200)),)
        cases.append((f"random case {k + 1}: {layer} on input {shape}", shape, layer))
    return cases


@register("alexnet_layer_row", NB08, "One row of the AlexNet table", alexnet_layer_row)
def _check_alexnet_layer_row(student):
    with Comparisons() as checks:
        for text, shape, layer in _alexnet_cases():
            got = call_student(student, shape, layer)
            out, params = alexnet_layer_row(shape, layer)
            kind = layer["kind"]
            diagnoses = []
            if kind == "conv":
                f, k, c = layer["filters"], layer["kernel"], shape[0]
                diagnoses = [
                    ("the conv layer's biases are missing: one per filter", (out, params - f)),
                    (
                        "the input channels are not counted: each filter has C * K * K weights",
                        (out, f * k * k + f),
                    ),
                    (
                        "the output has the input's channels: a conv layer outputs one map per "
                        "filter",
                        ((c,) + out[1:], params),
                    ),
                ]
            elif kind == "maxpool":
                c, k = shape[0], layer["kernel"]
                diagnoses = [
                    (
                        "a pooling layer has no parameters: it only takes maxima",
                        (out, c * k * k + c),
                    ),
                    ("a pooling layer has no parameters: it only takes maxima", (out, c * k * k)),
                    (
                        "a pooling layer has no parameters: it only takes maxima",
                        (out, c * c * k * k + c),
                    ),
                    (
                        "the stride is ignored: the 3 x 3 pool moves by 2",
                        ((c,) + alexnet_layer_row(shape, dict(layer, stride=1))[0][1:], 0),
                    ),
                ]
            else:
                units = layer["units"]
                diagnoses = [
                    (
                        "the fully connected layer's biases are missing: one per unit",
                        (out, params - units),
                    ),
                    (
                        "the input is not flattened: a fully connected layer sees all C * H * W "
                        "values",
                        (out, shape[0] * units + units),
                    ),
                    (
                        "the input is not flattened: a fully connected layer sees all C * H * W "
                        "values",
                        (out, shape[0] * units),
                    ),
                    (
                        "you returned a (C, H, W) shape for a fully connected layer: its output is "
                        "(units,)",
                        ((units, 1, 1), params),
                    ),
                ]
            checks.add(got, (out, params), "(output_shape, params)", text, diagnoses=diagnoses)


def fc_fraction(layers, input_shape):
    """Reference: the fraction of all parameters held by the fully connected layers.

    layers: a list of layer dicts as :data:`ALEXNET_LAYERS`; input_shape: (C, H, W).
    Walks the layers with :func:`alexnet_layer_row`, adds up the parameters
    of the "fc" layers and of all layers, and returns fc / all (a float in [0, 1]).
    """
    fc = total = 0
    shape = input_shape
    for layer in layers:
        shape, params = alexnet_layer_row(shape, layer)
        total += params
        if layer["kind"] == "fc":
            fc += params
    return fc / total


def _fc_parts(layers, input_shape):
    """(fc params, all params, fc weights, all weights, first fc params)."""
    fc = total = fc_w = total_w = 0
    first = None
    shape = input_shape
    for layer in layers:
        new_shape, params = alexnet_layer_row(shape, layer)
        biases = new_shape[0] if layer["kind"] in ("fc", "conv") else 0
        total, total_w = total + params, total_w + params - biases
        if layer["kind"] == "fc":
            fc, fc_w = fc + params, fc_w + params - biases
            first = params if first is None else first
        shape = new_shape
    return fc, total, fc_w, total_w, first


@register("fc_fraction", NB08, "Where AlexNet's parameters are", fc_fraction)
def _check_fc_fraction(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(18)
        cases = [(f"{WORKED} (AlexNet on 227 x 227 x 3: about 94%)", ALEXNET_LAYERS, (3, 227, 227))]
        for k in range(3):
            layers = [
                {
                    "kind": "conv",
                    "filters": int(rng.integers(4, 32)),
                    "kernel": 3,
                    "stride": 1,
                    "padding": 1,
                },
                {"kind": "maxpool", "kernel": 2, "stride": 2},
                {
                    "kind": "conv",
                    "filters": int(rng.integers(4, 32)),
                    "kernel": 3,
                    "stride": 1,
                    "padding": 0,
                },
                {"kind": "fc", "units": int(rng.integers(10, 100))},
                {"kind": "fc", "units": int(rng.integers(2, 10))},
            ]
            shape = (int(rng.integers(1, 4)), 16, 16)
            cases.append((f"random case {k + 1}: a small CNN on {shape}", layers, shape))
        for text, layers, shape in cases:
            got = call_student(student, layers, shape)
            fc, total, fc_w, total_w, first = _fc_parts(layers, shape)
            diagnoses = [
                (
                    "you returned a percentage: return the fraction (between 0 and 1)",
                    100 * fc / total,
                ),
                (
                    "the biases are left out: count weights and biases (all parameters)",
                    fc_w / total_w,
                ),
                (
                    "you divided by the conv layers' parameters only: divide by all parameters",
                    fc / (total - fc),
                ),
                (
                    "only the first fully connected layer is counted: add up all of them",
                    first / total,
                ),
                (
                    "you returned the conv layers' share: the question asks for the fully "
                    "connected "
                    "layers'",
                    1 - fc / total,
                ),
            ]
            checks.add(got, fc / total, "the fraction", text, diagnoses=diagnoses)


# =========================================================================================
# 02 Why convolutions: receptive_field, conv1d_forward
# =========================================================================================


def receptive_field(kernel_sizes, strides=1, dilations=1):
    """Reference: how many inputs one unit of the last layer sees (1-D, no padding).

    kernel_sizes: one kernel size per layer, first layer first; strides,
    dilations: an int for every layer, or one per layer. Each layer widens
    the field by ``(K - 1) * D`` steps of the layer below, and one step of
    the layer below is ``S_1 * ... * S_{l-1}`` inputs apart. Returns an int.
    """
    layers = len(kernel_sizes)
    strides = list(strides) if isinstance(strides, list | tuple) else [strides] * layers
    dilations = list(dilations) if isinstance(dilations, list | tuple) else [dilations] * layers
    size, jump = 1, 1  # jump: inputs between two neighbouring units of the current layer
    for k, s, d in zip(kernel_sizes, strides, dilations):
        size += (k - 1) * d * jump
        jump *= s
    return size


def _receptive_field_variant(kernel_sizes, strides, dilations, mistake):
    layers = len(kernel_sizes)
    strides = list(strides) if isinstance(strides, list | tuple) else [strides] * layers
    dilations = list(dilations) if isinstance(dilations, list | tuple) else [dilations] * layers
    size, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        if mistake == "jump first":
            jump *= s
        d = 1 if mistake == "no dilation" else d
        size += (k - 1) * d * (1 if mistake == "no stride" else jump)
        if mistake != "jump first":
            jump *= s
    return size


@register("receptive_field", NB02, "How far one unit sees", receptive_field)
def _check_receptive_field(student):
    with Comparisons() as checks:
        cases = [
            (f"{WORKED} (two layers of width-3 kernels)", ([3, 3], 1, 1)),
            ("three layers of width 3", ([3, 3, 3], 1, 1)),
            ("kernels 5 and 3, strides 2 and 1", ([5, 3], [2, 1], 1)),
            ("kernels 3, 3, 3, stride 2 everywhere", ([3, 3, 3], 2, 1)),
            ("kernels 3 and 3, dilations 1 and 2", ([3, 3], 1, [1, 2])),
            (
                "kernels 2, 3, 2, strides 2, 1, 3, dilations 1, 2, 1",
                ([2, 3, 2], [2, 1, 3], [1, 2, 1]),
            ),
            ("kernels 7, 3, 3, 3, strides 2, 2, 1, 1", ([7, 3, 3, 3], [2, 2, 1, 1], 1)),
        ]
        for text, (k, s, d) in cases:
            got = call_student(student, k, s, d)
            diagnoses = [
                (
                    "the strides are ignored: after a stride-S layer, one step of the next layer "
                    "spans S inputs",
                    _receptive_field_variant(k, s, d, "no stride"),
                ),
                (
                    "each layer's own stride is applied to its own kernel: a layer's stride only "
                    "spreads the layers above it",
                    _receptive_field_variant(k, s, d, "jump first"),
                ),
                (
                    "the dilation is ignored: a dilated kernel spans (K - 1) D + 1 inputs",
                    _receptive_field_variant(k, s, d, "no dilation"),
                ),
                (
                    "the kernel sizes are simply added: each layer adds K - 1, not K (they overlap "
                    "by one)",
                    sum(k),
                ),
                (
                    "the kernel sizes are multiplied: each layer adds (K - 1) times the spacing",
                    int(np.prod(k)),
                ),
                (
                    "the field is one too small: start from 1 (a single input) and add (K - 1) per "
                    "layer",
                    receptive_field(k, s, d) - 1,
                ),
            ]
            checks.add(
                got, receptive_field(k, s, d), "the receptive field", text, diagnoses=diagnoses
            )


def conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
    """Reference: 1-D convolution (cross-correlation) with loops, as PyTorch's conv1d.

    x: (N, C, L); w: (F, C, K); b: (F,) or None; stride, padding, dilation: int.
    Returns (N, F, OL), ``OL = (L + 2 P - D (K - 1) - 1) // S + 1`` and
    ``y[n, f, t] = b[f] + sum over c, k of x_padded[n, c, t S + k D] * w[f, c, k]``.
    The loops are the package's: :func:`lecturelib.convolution.conv1d_naive`.
    """
    return convolution.conv1d_naive(x, w, b, stride, padding, dilation)


def _conv1d_diagnoses(x, w, b, stride, padding, dilation):
    def ref(x=x, w=w, b=b, stride=stride, padding=padding, dilation=dilation):
        return conv1d_forward(x, w, b, stride, padding, dilation)

    diagnoses = [
        (
            "the kernel is flipped: you computed a true convolution; PyTorch's conv1d is a "
            "cross-correlation, w[0] multiplies the first input of the window",
            lambda: ref(w=w[:, :, ::-1]),
        ),
    ]
    if b is not None:
        diagnoses.append(
            ("the bias is missing: add b[f] to every output of filter f", lambda: ref(b=None))
        )
        diagnoses.append(
            (
                "the bias is added once per kernel tap: add it once per output value",
                lambda: ref() + np.asarray(b)[None, :, None] * (w.shape[2] - 1),
            )
        )
    if padding:
        diagnoses += [
            (
                "the padding is ignored: put `padding` zeros at both ends first",
                lambda: ref(padding=0),
            ),
            (
                "the padding is applied at one end only: put `padding` zeros at both ends",
                lambda: ref(x=np.pad(_float(x), [(0, 0), (0, 0), (0, 2 * padding)]), padding=0),
            ),
            (
                "the padding is applied at one end only: put `padding` zeros at both ends",
                lambda: ref(x=np.pad(_float(x), [(0, 0), (0, 0), (2 * padding, 0)]), padding=0),
            ),
        ]
    if stride != 1:
        diagnoses += [
            (
                "the stride is ignored: move the window by `stride` inputs between outputs",
                lambda: ref(stride=1),
            ),
            (
                "the stride is applied to the input instead of the output: keep every input, "
                "start the window at t * stride",
                lambda: ref(
                    x=np.pad(_float(x), [(0, 0), (0, 0), (padding, padding)])[:, :, ::stride],
                    stride=1,
                    padding=0,
                ),
            ),
        ]
    if dilation != 1:
        diagnoses.append(
            (
                "the dilation is ignored: the taps are `dilation` inputs apart",
                lambda: ref(dilation=1),
            )
        )
    diagnoses.append(
        (
            "the output is one position short: OL = (L + 2P - D(K-1) - 1) // S + 1, do not "
            "forget the + 1",
            lambda: ref()[:, :, :-1],
        )
    )
    return diagnoses


@register("conv1d_forward", NB02, "A 1-D convolution: smoothing a noisy signal", conv1d_forward)
def _check_conv1d_forward(student):
    with Comparisons() as checks:
        readings = np.array(
            [1.00, 1.10, 1.20, 1.40, 1.70, 1.80, 1.90, 2.10, 2.20, 2.40, 2.50, 2.70]
        )
        weights = np.array([0.01, 0.01, 0.02, 0.02, 0.04, 0.4, 0.5])  # oldest to newest
        cases = [
            (
                f"{WORKED} (12 readings, 7 smoothing weights: s_6 = 1.811)",
                readings[None, None],
                weights[None, None],
                None,
                1,
                0,
                1,
            )
        ]
        rng = np.random.default_rng(19)
        for k, (stride, padding, dilation, bias) in enumerate(
            [(1, 0, 1, True), (2, 1, 1, True), (1, 2, 2, False), (3, 1, 1, True), (2, 0, 2, True)]
        ):
            n, c, f = int(rng.integers(2, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
            x = rng.normal(size=(n, c, int(rng.integers(9, 14))))
            w = rng.normal(size=(f, c, int(rng.integers(2, 4))))
            b = rng.normal(size=f) if bias else None
            cases.append(
                (
                    f"random case {k + 1}: x {x.shape}, w {w.shape}, "
                    f"{'b given' if bias else 'b=None'}, stride {stride}, padding {padding}, "
                    f"dilation {dilation}",
                    x,
                    w,
                    b,
                    stride,
                    padding,
                    dilation,
                )
            )
        for text, x, w, b, stride, padding, dilation in cases:
            got = call_student(student, x, w, b, stride, padding, dilation)
            checks.add(
                got,
                conv1d_forward(x, w, b, stride, padding, dilation),
                "the output y",
                text,
                diagnoses=_conv1d_diagnoses(x, w, b, stride, padding, dilation),
            )


# =========================================================================================
# 05 Edge detection: flip_kernel, edge_magnitude
# =========================================================================================


def flip_kernel(kernel):
    """Reference: the kernel turned by 180 degrees (rows and columns reversed).

    kernel: (KH, KW) or (F, C, KH, KW); only the last two axes are reversed.
    Cross-correlating with the flipped kernel is a true convolution.
    """
    kernel = np.asarray(kernel)
    return kernel[..., ::-1, ::-1].copy()


@register("flip_kernel", NB05, "Turn a kernel by 180 degrees", flip_kernel)
def _check_flip_kernel(student):
    with Comparisons() as checks:
        sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
        diagonal = np.array(
            [[0, 0, -1, 0], [0, -2, 0, 1], [-1, 0, 2, 0], [0, 1, 0, 0]], dtype=np.float64
        )
        rng = np.random.default_rng(20)
        cases = [
            (f"{WORKED} (Sobel x)", sobel_x),
            (f"{WORKED} (the 4 x 4 diagonal detector)", diagonal),
            ("random case 1: a 2 x 3 kernel", rng.normal(size=(2, 3))),
            ("random case 2: a 3 x 3 kernel", rng.normal(size=(3, 3))),
            (
                "random case 3: kernels (4, 3, 3, 2) (filters, channels, rows, columns)",
                rng.normal(size=(4, 3, 3, 2)),
            ),
            ("random case 4: kernels (2, 2, 3, 3)", rng.normal(size=(2, 2, 3, 3))),
        ]
        for text, kernel in cases:
            got = call_student(student, kernel)
            diagnoses = [
                (
                    "only the rows are reversed (upside down): reverse the columns too",
                    kernel[..., ::-1, :],
                ),
                (
                    "only the columns are reversed (left to right): reverse the rows too",
                    kernel[..., :, ::-1],
                ),
                (
                    "the kernel is transposed, not turned: reverse the rows and the columns "
                    "instead",
                    np.swapaxes(kernel, -1, -2),
                ),
                (
                    "every axis is reversed, the filters and channels too: reverse only the last "
                    "two",
                    np.flip(kernel),
                ),
                ("the kernel is unchanged: reverse its rows and its columns", kernel),
            ]
            checks.add(got, flip_kernel(kernel), "the flipped kernel", text, diagnoses=diagnoses)


SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y = SOBEL_X.T.copy()


def _correlate_same(image, kernel):
    return conv2d_forward(_float(image)[None, None], kernel[None, None], None, 1, 1)[0, 0]


def edge_magnitude(image):
    """Reference: the gradient magnitude of an image with Sobel kernels.

    image: (H, W). Gx and Gy are the cross-correlations of the zero-padded
    image (padding 1) with Sobel x ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``
    and Sobel y (its transpose); returns ``sqrt(Gx**2 + Gy**2)``, (H, W).
    """
    gx = _correlate_same(image, SOBEL_X)
    gy = _correlate_same(image, SOBEL_Y)
    return np.sqrt(gx**2 + gy**2)


@register("edge_magnitude", NB05, "Edge strength from Sobel x and Sobel y", edge_magnitude)
def _check_edge_magnitude(student):
    with Comparisons() as checks:
        step = np.zeros((6, 6))
        step[:, :3] = 10.0
        bar = np.zeros((8, 8))
        bar[:, 2:6] = 1.0
        rng = np.random.default_rng(21)
        cases = [
            (f"{WORKED} (6 x 6 image: left half 10, right half 0)", step),
            (f"{WORKED} (8 x 8 image, a vertical bar in columns 2-5)", bar),
            ("random case 1: a 7 x 9 image", rng.normal(size=(7, 9))),
            ("random case 2: a 5 x 5 image", rng.integers(0, 5, size=(5, 5)).astype(np.float64)),
        ]
        prewitt = np.array([[-1.0, 0.0, 1.0]] * 3)
        for text, image in cases:
            got = call_student(student, image)
            gx, gy = _correlate_same(image, SOBEL_X), _correlate_same(image, SOBEL_Y)

            def valid(k, image=image):
                return conv2d_forward(image[None, None], k[None, None])[0, 0]

            diagnoses = [
                ("the square root is missing: the magnitude is sqrt(Gx**2 + Gy**2)", gx**2 + gy**2),
                (
                    "you added |Gx| and |Gy|: the magnitude is sqrt(Gx**2 + Gy**2)",
                    np.abs(gx) + np.abs(gy),
                ),
                ("you added Gx and Gy: the magnitude is sqrt(Gx**2 + Gy**2)", gx + gy),
                ("only Gx is used: combine both directions, sqrt(Gx**2 + Gy**2)", np.abs(gx)),
                (
                    "the padding is missing: pad the image with one ring of zeros so the output "
                    "has "
                    "its size",
                    np.sqrt(valid(SOBEL_X) ** 2 + valid(SOBEL_Y) ** 2),
                ),
                (
                    "the Prewitt kernels are used: the exercise asks for Sobel (the middle row "
                    "weighs 2)",
                    np.sqrt(
                        _correlate_same(image, prewitt) ** 2
                        + _correlate_same(image, prewitt.T) ** 2
                    ),
                ),
            ]
            checks.add(got, edge_magnitude(image), "the magnitude", text, diagnoses=diagnoses)


# =========================================================================================
# 01 Why depth: collapse_linear, perceptron_and
# =========================================================================================


def collapse_linear(weights, biases):
    """Reference: the single linear layer equal to a stack of linear layers.

    weights: list of L matrices, W_l (D_{l-1}, D_l); biases: list of L
    vectors, b_l (D_l,). In the lecture's row-vector notation a layer maps
    x to ``x @ W_l + b_l``; without activations the stack is
    ``x @ W + b`` with ``W = W_1 @ W_2 @ ... @ W_L`` and
    ``b = (...((b_1 @ W_2 + b_2) @ W_3 + b_3) ...) @ W_L + b_L``.
    Returns (W, b).
    """
    total_w = np.asarray(weights[0], dtype=np.float64)
    total_b = np.asarray(biases[0], dtype=np.float64)
    for w, b in zip(weights[1:], biases[1:]):
        total_w = total_w @ w
        total_b = total_b @ w + b  # the bias so far goes through the next layer too
    return total_w, total_b


@register("collapse_linear", NB01, "A deep linear network is one layer", collapse_linear)
def _check_collapse_linear(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(22)
        cases = [
            (
                f"{WORKED} (two 2 x 2 layers)",
                [np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])],
                [np.array([1.0, -1.0]), np.array([0.5, 2.0])],
            )
        ]
        for k, sizes in enumerate([[3, 3, 3, 3, 3, 3], [4, 4, 4], [2, 5, 3, 4], [3, 2, 2, 3]]):
            weights = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
            biases = [rng.normal(size=b) for b in sizes[1:]]
            cases.append((f"random case {k + 1}: layer widths {sizes}", weights, biases))
        for text, weights, biases in cases:
            got = call_student(student, weights, biases)
            w, b = collapse_linear(weights, biases)
            diagnoses = []
            square = all(m.shape[0] == m.shape[1] == weights[0].shape[0] for m in weights)
            if square:
                rev = weights[0]
                for m in weights[1:]:
                    rev = m @ rev
                diagnoses += [
                    (
                        "the matrices are multiplied in reverse order: with row vectors x @ W1 @ "
                        "W2, "
                        "W = W1 @ W2 @ ... @ WL",
                        (rev, b),
                    ),
                    (
                        "the biases are simply added: each bias also goes through the layers after "
                        "it (b = b1 @ W2 + b2 ...)",
                        (w, sum(biases)),
                    ),
                    (
                        "the matrices are multiplied element by element: use the matrix product "
                        "(@)",
                        (np.prod(weights, axis=0), b),
                    ),
                ]
            diagnoses += [
                (
                    "only the last bias is kept: each earlier bias goes through the layers after "
                    "it "
                    "and adds up",
                    (w, biases[-1]),
                ),
                (
                    "the biases are dropped: they fold into one bias b too (b = b1 @ W2 + b2, "
                    "and so "
                    "on)",
                    (w, np.zeros_like(b)),
                ),
                (
                    "the biases are dropped: they fold into one bias b too (b = b1 @ W2 + b2, "
                    "and so "
                    "on)",
                    (w, None),
                ),
                (
                    "the biases are dropped: they fold into one bias b too (b = b1 @ W2 + b2, "
                    "and so "
                    "on)",
                    w,
                ),
            ]
            checks.add(got, (w, b), "(W, b)", text, diagnoses=diagnoses)


def perceptron_and(x, W, b):
    """Reference: three half-planes combined by an AND unit (the triangle challenge).

    x: (N, 2) points; W: (2, 3), one column per hidden perceptron; b: (3,).
    A hidden unit fires (1) where ``x @ W[:, k] + b[k] > 0``; the output unit
    has weights (1, 1, 1) and bias -2.5, so it fires only when all three do.
    Returns (N,) integers 0 or 1.
    """
    hidden = (np.asarray(x) @ W + b > 0).astype(np.int64)  # (N, 3): which side of each line
    return (hidden @ np.ones(3) - 2.5 > 0).astype(np.int64)


@register("perceptron_and", NB01, "Three perceptrons and an AND: a triangle", perceptron_and)
def _check_perceptron_and(student):
    with Comparisons() as checks:
        grid = np.array([[i, j] for i in range(-1, 6) for j in range(-1, 6)], dtype=np.float64)
        triangle_w = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])  # x > 0, y > 0, x + y < 4
        triangle_b = np.array([0.0, 0.0, 4.0])
        rng = np.random.default_rng(23)
        cases = [
            (
                f"{WORKED} (the triangle x > 0, y > 0, x + y < 4, on a grid of points)",
                grid,
                triangle_w,
                triangle_b,
            )
        ]
        for k in range(3):
            w = rng.integers(-2, 3, size=(2, 3)).astype(np.float64)
            b = rng.integers(-3, 4, size=3).astype(np.float64)
            cases.append(
                (f"random case {k + 1}: three lines with small integer weights", grid, w, b)
            )
        for text, x, w, b in cases:
            got = call_student(student, x, w, b)
            pre = x @ w + b
            fires = (pre > 0).astype(np.int64)
            diagnoses = [
                (
                    "you returned the three hidden units: combine them with the AND unit "
                    "(weights 1, "
                    "1, 1, bias -2.5)",
                    fires,
                ),
                (
                    "the points on a line count as inside: a perceptron fires only when w . x + "
                    "b > "
                    "0 (strictly)",
                    ((pre >= 0).sum(axis=1) == 3).astype(np.int64),
                ),
                (
                    "this is an OR, not an AND: with bias -0.5 one firing unit is enough; AND "
                    "needs "
                    "bias -2.5",
                    (fires.sum(axis=1) > 0.5).astype(np.int64),
                ),
                (
                    "the output fires when two of three units do (bias -1.5): AND needs bias -2.5",
                    (fires.sum(axis=1) > 1.5).astype(np.int64),
                ),
            ]
            checks.add(got, perceptron_and(x, w, b), "the output", text, diagnoses=diagnoses)


# =========================================================================================
# 10 The convolution family: transposed_output_size, separable_params
# =========================================================================================


def transposed_output_size(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Reference: the output length of a transposed convolution along one axis (int).

    ``(n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``:
    the n inputs are spread ``stride`` apart, the dilated kernel is stamped at
    each, and ``padding`` is cropped from both ends (PyTorch's conv_transpose).
    This is :func:`lecturelib.convolution.conv_transpose_output_size`.
    """
    return convolution.conv_transpose_output_size(
        n, kernel_size, stride, padding, output_padding, dilation
    )


@register(
    "transposed_output_size",
    NB10,
    "The output size of a transposed convolution",
    transposed_output_size,
)
def _check_transposed_output_size(student):
    with Comparisons() as checks:
        cases = [
            ("a 2 x upsampling: n=4, kernel 2, stride 2", (4, 2, 2, 0, 0, 1)),
            (
                "the inverse of a stride-2 conv: n=3, kernel 3, stride 2, padding 1",
                (3, 3, 2, 1, 0, 1),
            ),
            ("the same with output_padding 1", (3, 3, 2, 1, 1, 1)),
            ("n=5, kernel 4, stride 2, padding 1", (5, 4, 2, 1, 0, 1)),
            ("n=4, kernel 3, dilation 2", (4, 3, 1, 0, 0, 2)),
            (
                "n=6, kernel 5, stride 3, padding 2, output_padding 2, dilation 2",
                (6, 5, 3, 2, 2, 2),
            ),
            ("n=7, kernel 3, stride 1, padding 1", (7, 3, 1, 1, 0, 1)),
        ]
        for text, args in cases:
            n, k, s, p, op, d = args
            got = call_student(student, *args)
            diagnoses = [
                (
                    "you used the ordinary convolution's formula: a transposed convolution grows "
                    "the "
                    "input, O = (n - 1) S - 2P + D(K - 1) + output_padding + 1",
                    (n + 2 * p - d * (k - 1) - 1) // s + 1,
                ),
                (
                    "the stride multiplies n: it multiplies the n - 1 gaps between inputs, (n - "
                    "1) S",
                    n * s - 2 * p + d * (k - 1) + op + 1,
                ),
                (
                    "the padding is added: in a transposed convolution padding is cropped, - 2P",
                    (n - 1) * s + 2 * p + d * (k - 1) + op + 1,
                ),
                (
                    "output_padding is ignored: it adds rows at one end, + output_padding",
                    (n - 1) * s - 2 * p + d * (k - 1) + 1,
                ),
                (
                    "the dilation is ignored: the kernel spans D(K - 1) + 1",
                    (n - 1) * s - 2 * p + (k - 1) + op + 1,
                ),
                ("the + 1 is missing", (n - 1) * s - 2 * p + d * (k - 1) + op),
                (
                    "the padding is subtracted once: PyTorch crops P at both ends, - 2P",
                    (n - 1) * s - p + d * (k - 1) + op + 1,
                ),
            ]
            checks.add(
                got, transposed_output_size(*args), "the output size", text, diagnoses=diagnoses
            )


def separable_params(in_channels, out_channels, kernel_size, bias=True):
    """Reference: parameters of a standard vs a depthwise-separable convolution.

    Standard: ``out * in * K * K`` weights (+ ``out`` biases). Separable: a
    depthwise K x K conv with one kernel per input channel (``in * K * K``
    weights, + ``in`` biases) followed by a 1 x 1 pointwise conv (``out * in``
    weights, + ``out`` biases). ``bias=False`` drops every bias (as
    PyTorch's ``bias=False`` on both layers). Returns (standard, separable).
    """
    k2 = kernel_size * kernel_size
    standard = out_channels * in_channels * k2 + (out_channels if bias else 0)
    depthwise = in_channels * k2 + (in_channels if bias else 0)
    pointwise = out_channels * in_channels + (out_channels if bias else 0)
    return standard, depthwise + pointwise


@register("separable_params", NB10, "What depthwise-separable convolutions save", separable_params)
def _check_separable_params(student):
    with Comparisons() as checks:
        cases = [
            ("MobileNet-style: 32 -> 64 channels, 3 x 3", (32, 64, 3, True)),
            ("3 -> 16 channels, 5 x 5, no biases", (3, 16, 5, False)),
            ("256 -> 256 channels, 3 x 3", (256, 256, 3, True)),
            ("8 -> 4 channels, 7 x 7", (8, 4, 7, True)),
            ("16 -> 32 channels, 1 x 1, no biases", (16, 32, 1, False)),
        ]
        for text, args in cases:
            c, f, k, bias = args
            got = call_student(student, *args)
            standard, separable = separable_params(*args)
            nb = separable_params(c, f, k, False)
            wb = separable_params(c, f, k, True)
            diagnoses = [
                (
                    "the depthwise part is counted like a full convolution: it has one K x K "
                    "kernel "
                    "per input channel (in * K * K), not out * in * K * K",
                    (standard, separable - c * k * k + f * c * k * k),
                ),
                (
                    "the pointwise (1 x 1) part is missing: the depthwise conv alone cannot mix "
                    "channels",
                    (standard, separable - f * c - (f if bias else 0)),
                ),
                (
                    "the depthwise part is missing: the 1 x 1 conv alone has no spatial extent",
                    (standard, separable - c * k * k - (c if bias else 0)),
                ),
            ]
            if bias:
                diagnoses += [
                    (
                        "the biases are missing: with bias=True every conv layer has one bias per "
                        "output channel",
                        nb,
                    ),
                    (
                        "the depthwise layer's biases are missing: it has one per input channel",
                        (standard, separable - c),
                    ),
                ]
            else:
                diagnoses.append(("bias=False is ignored: count no biases then", wb))
            checks.add(
                got, (standard, separable), "(standard, separable)", text, diagnoses=diagnoses
            )


# =========================================================================================
# 11 Pretraining and fine-tuning: rbm_hidden_probabilities, frozen_update
# =========================================================================================


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rbm_hidden_probabilities(x, W, c):
    """Reference: P(h_i = 1 | x) of a restricted Boltzmann machine.

    x: (N, V) visible units; W: (H, V), W[i, j] couples hidden i and visible
    j; c: (H,) hidden biases. Returns (N, H):
    ``sigmoid(c_i + sum over j of W[i, j] x_j)``, i.e. ``sigmoid(x @ W.T + c)``.
    """
    return _sigmoid(np.asarray(x, dtype=np.float64) @ np.asarray(W).T + c)


@register(
    "rbm_hidden_probabilities",
    NB11,
    "An RBM's hidden units given the visible ones",
    rbm_hidden_probabilities,
)
def _check_rbm_hidden_probabilities(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(24)
        cases = [
            (
                "a 3-hidden, 3-visible RBM on two binary vectors",
                np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]),
                np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0], [0.5, 0.5, -0.5]]),
                np.array([-0.5, 0.25, 0.0]),
            )
        ]
        for k, (n, h, v) in enumerate([(4, 3, 3), (5, 4, 6), (3, 6, 2)]):
            x = rng.integers(0, 2, size=(n, v)).astype(np.float64)
            cases.append(
                (
                    f"random case {k + 1}: x {x.shape}, W {(h, v)}",
                    x,
                    rng.normal(size=(h, v)),
                    rng.normal(size=h),
                )
            )
        for text, x, w, c in cases:
            got = call_student(student, x, w, c)
            pre = x @ w.T + c
            diagnoses = [
                (
                    "the sigmoid is missing: P(h = 1 | x) = sigmoid(c + x W^T), a probability "
                    "between 0 and 1",
                    pre,
                ),
                (
                    "tanh is used: the probability is the logistic sigmoid, 1 / (1 + exp(-z))",
                    np.tanh(pre),
                ),
                ("the hidden bias is missing: add c", _sigmoid(x @ w.T)),
                (
                    "the bias is subtracted: P(h = 1 | x) = sigmoid(c + x W^T)",
                    _sigmoid(x @ w.T - c),
                ),
                (
                    "W is not transposed: W[i, j] couples hidden i to visible j, so use x @ W.T",
                    _sigmoid(x @ w + c) if w.shape[0] == w.shape[1] else None,
                ),
                (
                    "you sampled the hidden units (0/1): return the probabilities",
                    (pre > 0).astype(np.float64),
                ),
            ]
            checks.add(
                got,
                rbm_hidden_probabilities(x, w, c),
                "the probabilities",
                text,
                diagnoses=diagnoses,
            )


def frozen_update(params, grads, lr, frozen):
    """Reference: one gradient step that leaves the first ``frozen`` layers unchanged.

    params, grads: lists of dicts (one per layer, first layer first), name
    -> array; lr: learning rate; frozen: how many layers, from the input
    side, keep their pretrained weights. Returns a new list of dicts:
    layers ``0 .. frozen - 1`` copied, the others ``param - lr * grad``.
    """
    new = []
    for index, (layer, layer_grads) in enumerate(zip(params, grads)):
        if index < frozen:  # a frozen layer keeps its (pretrained) values
            new.append({name: value.copy() for name, value in layer.items()})
        else:
            new.append({name: value - lr * layer_grads[name] for name, value in layer.items()})
    return new


def _frozen_variant(params, grads, lr, is_frozen):
    return [
        {k: v.copy() if is_frozen(i) else v - lr * g[k] for k, v in layer.items()}
        for i, (layer, g) in enumerate(zip(params, grads))
    ]


@register("frozen_update", NB11, "Fine-tuning with frozen layers", frozen_update)
def _check_frozen_update(student):
    with Comparisons() as checks:
        rng = np.random.default_rng(25)
        cases = []
        for k, (layers, frozen, lr) in enumerate(
            [(3, 1, 0.1), (4, 2, 0.5), (4, 0, 0.01), (3, 3, 0.2), (5, 3, 1.0)]
        ):
            sizes = [int(rng.integers(2, 5)) for _ in range(layers + 1)]
            params = [
                {"W": rng.normal(size=(a, b)), "b": rng.normal(size=b)}
                for a, b in zip(sizes[:-1], sizes[1:])
            ]
            grads = [
                {name: rng.normal(size=v.shape) for name, v in layer.items()} for layer in params
            ]
            text = f"case {k + 1}: {layers} layers, the first {frozen} frozen, learning rate {lr}"
            cases.append((text, params, grads, lr, frozen))
        for text, params, grads, lr, frozen in cases:
            got = call_student(student, params, grads, lr, frozen)
            n = len(params)
            diagnoses = [
                (
                    "the last layers are frozen: freeze the first `frozen` layers (the general "
                    "features near the input) and train the last ones",
                    _frozen_variant(params, grads, lr, lambda i, n=n, f=frozen: i >= n - f),
                ),
                (
                    "one layer too many is frozen: layers 0 .. frozen - 1 stay fixed (index < "
                    "frozen)",
                    _frozen_variant(params, grads, lr, lambda i, f=frozen: i <= f),
                ),
                (
                    "one layer too few is frozen: layers 0 .. frozen - 1 stay fixed",
                    _frozen_variant(params, grads, lr, lambda i, f=frozen: i < f - 1),
                ),
                (
                    "nothing is frozen: the first `frozen` layers must keep their values",
                    _frozen_variant(params, grads, lr, lambda i: False),
                ),
                (
                    "the frozen layers are set to zero: a frozen layer keeps its pretrained values",
                    [
                        {
                            k: np.zeros_like(v) if i < frozen else v - lr * grads[i][k]
                            for k, v in layer.items()
                        }
                        for i, layer in enumerate(params)
                    ],
                ),
                (
                    "the step goes uphill: subtract lr * grad",
                    _frozen_variant(
                        [{k: v for k, v in layer.items()} for layer in params],
                        [{k: -v for k, v in g.items()} for g in grads],
                        lr,
                        lambda i, f=frozen: i < f,
                    ),
                ),
            ]
            checks.add(
                got,
                frozen_update(params, grads, lr, frozen),
                "the new parameters",
                text,
                diagnoses=diagnoses,
            )
