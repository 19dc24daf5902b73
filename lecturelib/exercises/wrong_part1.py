"""Typical wrong answers to the notebook 01-11 exercises, kept to test the checkers.

Each function below is a mistake a student is likely to make, registered
with :func:`wrong_implementation` together with a fragment of the message
its checker must give (the mistake named). The tests run every one of them
and ``python -m lecturelib.exercises --mistakes`` prints the table. They are
not imported with the package (see ``load_wrong_implementations``).
"""

from __future__ import annotations

import numpy as np

from . import part1 as ref
from ._core import wrong_implementation as wrong


def _pair(value):
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def _loop_conv(x, w, b, stride, padding, dilation, *, flip=False, bias_times=1, pad_mode="both"):
    """A student's four-loop convolution with one of the usual slips switched on."""
    x = np.asarray(x, dtype=np.float64)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    if pad_mode == "both":
        xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    elif pad_mode == "after":  # zeros placed in a bigger array, image in the top-left corner
        xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
        xp[:, :, :h, :wd] = x
    else:  # "ignored"
        xp = x
    if flip:
        w = w[:, :, ::-1, ::-1]
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, f, oh, ow))
    for r in range(oh):
        for s in range(ow):
            for i in range(kh):
                for j in range(kw):
                    y[:, :, r, s] += xp[:, :, r * sh + i * dh, s * sw + j * dw] @ w[:, :, i, j].T
                    if b is not None and bias_times == "per pixel":
                        y[:, :, r, s] += b
    if b is not None and bias_times == 1:
        y += b[None, :, None, None]
    return y


# --- 03 conv2d_forward ---------------------------------------------------------------------


@wrong("conv2d_forward", "kernel flipped (true convolution)", "kernel is flipped")
def conv_flipped(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, dilation, flip=True)


@wrong("conv2d_forward", "bias missing", "bias is missing")
def conv_no_bias(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, None, stride, padding, dilation)


@wrong("conv2d_forward", "bias added per kernel pixel", "bias is added once per kernel pixel")
def conv_bias_per_pixel(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, dilation, bias_times="per pixel")


@wrong("conv2d_forward", "padding ignored", "padding is ignored")
def conv_padding_ignored(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, dilation, pad_mode="ignored")


@wrong("conv2d_forward", "padding all on one side", "padding is applied only after")
def conv_padding_one_side(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, dilation, pad_mode="after")


@wrong("conv2d_forward", "stride applied to the input", "stride is applied to the input")
def conv_stride_on_input(x, w, b=None, stride=1, padding=0, dilation=1):
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    xp = np.pad(np.asarray(x, dtype=np.float64), [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    return _loop_conv(xp[:, :, ::sh, ::sw], w, b, 1, 0, dilation)


@wrong("conv2d_forward", "dilation ignored", "dilation is ignored")
def conv_no_dilation(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, 1)


@wrong("conv2d_forward", "output size missing the + 1", "off by one")
def conv_missing_plus_one(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, stride, padding, dilation)[:, :, :-1, :-1]


# --- 03 true_convolution -------------------------------------------------------------------


def _correlate(image, kernel, stride, padding, bias):
    y = ref.conv2d_forward(
        np.asarray(image, float)[None, None],
        np.asarray(kernel, float)[None, None],
        None,
        stride,
        padding,
    )
    return y[0, 0] + bias


@wrong("true_convolution", "kernel not flipped (cross-correlation)", "kernel is not flipped")
def true_conv_not_flipped(image, kernel, stride=1, padding=0, bias=0.0):
    return _correlate(image, kernel, stride, padding, bias)


@wrong("true_convolution", "kernel flipped upside down only", "flipped upside down only")
def true_conv_rows_only(image, kernel, stride=1, padding=0, bias=0.0):
    return _correlate(image, np.asarray(kernel)[::-1, :], stride, padding, bias)


@wrong("true_convolution", "kernel transposed instead of turned", "transposed")
def true_conv_transposed(image, kernel, stride=1, padding=0, bias=0.0):
    return _correlate(image, np.asarray(kernel).T, stride, padding, bias)


@wrong("true_convolution", "padding ignored", "padding is ignored")
def true_conv_no_padding(image, kernel, stride=1, padding=0, bias=0.0):
    return _correlate(image, np.asarray(kernel)[::-1, ::-1], stride, 0, bias)


# --- 04 output_size ------------------------------------------------------------------------


@wrong("output_size", "missing + 1", "you forgot the + 1")
def size_missing_plus_one(n, kernel_size, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride


@wrong("output_size", "ceil instead of floor", "round down")
def size_ceil(n, kernel_size, stride=1, padding=0, dilation=1):
    return int(np.ceil((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride)) + 1


@wrong("output_size", "padding counted once", "padding is counted once")
def size_one_padding(n, kernel_size, stride=1, padding=0, dilation=1):
    return (n + padding - dilation * (kernel_size - 1) - 1) // stride + 1


@wrong("output_size", "dilation ignored", "dilation is ignored")
def size_no_dilation(n, kernel_size, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - kernel_size) // stride + 1


@wrong("output_size", "true division (a float)", "whole number")
def size_float(n, kernel_size, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1


# --- 04 zero_pad ---------------------------------------------------------------------------


@wrong("zero_pad", "zeros only after the input", "only after the input")
def pad_after(x, padding):
    ph, pw = _pair(padding)
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, ph), (0, pw)])


@wrong("zero_pad", "every axis padded", "every axis is padded")
def pad_every_axis(x, padding):
    return np.pad(x, padding if isinstance(padding, int) else max(padding))


@wrong("zero_pad", "rows and columns swapped", "rows and columns are swapped")
def pad_swapped(x, padding):
    ph, pw = _pair(padding)
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pw, pw), (ph, ph)])


@wrong("zero_pad", "P split between the sides", "split between the two sides")
def pad_split(x, padding):
    ph, pw = _pair(padding)
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)])


# --- 06 max_pool_forward -------------------------------------------------------------------


def _pool_loops(x, kernel_size, stride, padding, *, reduce=np.max, pad_value=-np.inf):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=pad_value)
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (oh, ow))
    for r in range(oh):
        for s in range(ow):
            y[:, :, r, s] = reduce(
                xp[:, :, r * sh : r * sh + kh, s * sw : s * sw + kw], axis=(2, 3)
            )
    return y


@wrong("max_pool_forward", "stride defaults to 1", "default stride is the kernel size")
def pool_default_stride_one(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, 1 if stride is None else stride, padding)


@wrong("max_pool_forward", "padding with zeros, not -inf", "pads with -inf")
def pool_zero_padding(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, stride, padding, pad_value=0.0)


@wrong("max_pool_forward", "average instead of maximum", "average, not the maximum")
def pool_average(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, stride, padding, reduce=np.mean, pad_value=0.0)


@wrong("max_pool_forward", "stride rows and columns swapped", "stride rows and columns are swapped")
def pool_swapped_stride(x, kernel_size, stride=None, padding=0):
    if stride is not None:
        stride = tuple(reversed(_pair(stride)))
    return _pool_loops(x, kernel_size, stride, padding)


# --- 06 max_pool_backward ------------------------------------------------------------------


def _max_backward(grad_y, x, kernel_size, stride, padding, *, pick="first", add=True, crop=True):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
    grad = np.zeros(xp.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for r in range(grad_y.shape[2]):
                for s in range(grad_y.shape[3]):
                    win = xp[n, c, r * sh : r * sh + kh, s * sw : s * sw + kw]
                    g = grad_y[n, c, r, s]
                    if pick == "all":
                        mask = win == win.max()
                    elif pick == "last":
                        flat = np.flatnonzero(win == win.max())[-1]
                        mask = np.zeros(win.size, bool)
                        mask[flat] = True
                        mask = mask.reshape(win.shape)
                    else:
                        mask = np.zeros(win.size, bool)
                        mask[np.argmax(win)] = True
                        mask = mask.reshape(win.shape)
                    block = grad[n, c, r * sh : r * sh + kh, s * sw : s * sw + kw]
                    if add:
                        block[mask] += g
                    else:
                        block[mask] = g
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]] if crop else grad


@wrong("max_pool_backward", "ties: gradient to every maximum", "every maximum")
def max_back_all_ties(grad_y, x, kernel_size, stride=None, padding=0):
    return _max_backward(grad_y, x, kernel_size, stride, padding, pick="all")


@wrong("max_pool_backward", "ties: gradient to the last maximum", "last maximum")
def max_back_last_tie(grad_y, x, kernel_size, stride=None, padding=0):
    return _max_backward(grad_y, x, kernel_size, stride, padding, pick="last")


@wrong("max_pool_backward", "overlapping windows not accumulated", "not accumulated")
def max_back_overwrite(grad_y, x, kernel_size, stride=None, padding=0):
    return _max_backward(grad_y, x, kernel_size, stride, padding, add=False)


@wrong("max_pool_backward", "padding not cropped", "still has the padding")
def max_back_uncropped(grad_y, x, kernel_size, stride=None, padding=0):
    return _max_backward(grad_y, x, kernel_size, stride, padding, crop=False)


# --- 06 avg_pool_backward ------------------------------------------------------------------


def _avg_backward(grad_y, x, kernel_size, stride, padding, *, divide=True, add=True):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    grad = np.zeros(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            g = grad_y[:, :, r, s][:, :, None, None] / (kh * kw if divide else 1)
            if add:
                grad[:, :, r * sh : r * sh + kh, s * sw : s * sw + kw] += g
            else:
                grad[:, :, r * sh : r * sh + kh, s * sw : s * sw + kw] = g
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


@wrong("avg_pool_backward", "not divided by the window size", "not divided by the window size")
def avg_back_no_divide(grad_y, x, kernel_size, stride=None, padding=0):
    return _avg_backward(grad_y, x, kernel_size, stride, padding, divide=False)


@wrong("avg_pool_backward", "overlapping windows not accumulated", "not accumulated")
def avg_back_overwrite(grad_y, x, kernel_size, stride=None, padding=0):
    return _avg_backward(grad_y, x, kernel_size, stride, padding, add=False)


@wrong("avg_pool_backward", "padding not counted (count_include_pad=False)", "padded zeros")
def avg_back_exclude_pad(grad_y, x, kernel_size, stride=None, padding=0):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    inside = np.pad(np.ones(x.shape[2:]), [(ph, ph), (pw, pw)])
    grad = np.zeros(x.shape[:2] + inside.shape)
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            rows, cols = slice(r * sh, r * sh + kh), slice(s * sw, s * sw + kw)
            grad[:, :, rows, cols] += (
                grad_y[:, :, r, s][:, :, None, None] / inside[rows, cols].sum()
            )
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


@wrong("avg_pool_backward", "gradient to the top-left element only", "first (top-left) element")
def avg_back_first_only(grad_y, x, kernel_size, stride=None, padding=0):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    grad = np.zeros(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            grad[:, :, r * sh, s * sw] += grad_y[:, :, r, s] / (kh * kw)
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


# --- 07 multichannel_pixel and layer_params ------------------------------------------------


@wrong("multichannel_pixel", "bias added per channel", "bias is added once per channel")
def pixel_bias_per_channel(window, kernel, bias):
    return sum(float(np.sum(window[c] * kernel[c]) + bias) for c in range(len(window)))


@wrong("multichannel_pixel", "only the first channel", "only the first channel")
def pixel_first_channel(window, kernel, bias):
    return float(np.sum(window[0] * kernel[0]) + bias)


@wrong("multichannel_pixel", "per-channel sums returned", "one sum per channel")
def pixel_per_channel(window, kernel, bias):
    return np.sum(np.asarray(window) * kernel, axis=(1, 2)) + bias


@wrong("multichannel_pixel", "bias missing", "bias is missing")
def pixel_no_bias(window, kernel, bias):
    return float(np.sum(np.asarray(window) * kernel))


def _conv_out(h, k, s, p):
    return (h + 2 * p - k) // s + 1


@wrong("layer_params", "biases missing", "biases are missing")
def params_no_bias(input_shape, filters, kernel_size, stride=1, padding=0):
    c, h, w = input_shape
    kh, kw = _pair(kernel_size)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    return (filters, _conv_out(h, kh, sh, ph), _conv_out(w, kw, sw, pw)), filters * c * kh * kw


@wrong(
    "layer_params",
    "input channels not counted (5*5+1 per filter)",
    "input channels are not counted",
)
def params_no_channels(input_shape, filters, kernel_size, stride=1, padding=0):
    c, h, w = input_shape
    kh, kw = _pair(kernel_size)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    return (filters, _conv_out(h, kh, sh, ph), _conv_out(w, kw, sw, pw)), filters * (kh * kw + 1)


@wrong("layer_params", "a bias per output pixel", "biases are counted per output pixel")
def params_bias_per_pixel(input_shape, filters, kernel_size, stride=1, padding=0):
    c, h, w = input_shape
    kh, kw = _pair(kernel_size)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    oh, ow = _conv_out(h, kh, sh, ph), _conv_out(w, kw, sw, pw)
    return (filters, oh, ow), filters * c * kh * kw + filters * oh * ow


@wrong("layer_params", "output keeps the input channels", "one channel per filter")
def params_input_channels_out(input_shape, filters, kernel_size, stride=1, padding=0):
    c, h, w = input_shape
    kh, kw = _pair(kernel_size)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    return (c, _conv_out(h, kh, sh, ph), _conv_out(w, kw, sw, pw)), filters * (c * kh * kw + 1)


# --- 08 alexnet_layer_row and fc_fraction --------------------------------------------------


@wrong("alexnet_layer_row", "pooling layers given parameters", "pooling layer has no parameters")
def row_pool_params(input_shape, layer):
    shape, params = ref.alexnet_layer_row(input_shape, layer)
    if layer["kind"] == "maxpool":
        params = input_shape[0] * layer["kernel"] ** 2 + input_shape[0]
    return shape, params


@wrong("alexnet_layer_row", "fc input not flattened", "input is not flattened")
def row_fc_not_flattened(input_shape, layer):
    if layer["kind"] == "fc":
        return (layer["units"],), input_shape[0] * layer["units"] + layer["units"]
    return ref.alexnet_layer_row(input_shape, layer)


@wrong("alexnet_layer_row", "conv biases missing", "biases are missing")
def row_conv_no_bias(input_shape, layer):
    shape, params = ref.alexnet_layer_row(input_shape, layer)
    return shape, params - (layer["filters"] if layer["kind"] == "conv" else 0)


@wrong("alexnet_layer_row", "conv input channels not counted", "input channels are not counted")
def row_conv_no_channels(input_shape, layer):
    shape, params = ref.alexnet_layer_row(input_shape, layer)
    if layer["kind"] == "conv":
        params = layer["filters"] * (layer["kernel"] ** 2 + 1)
    return shape, params


def _params(layers, input_shape, kinds=("conv", "fc"), biases=True):
    total, shape = 0, input_shape
    for layer in layers:
        new_shape, params = ref.alexnet_layer_row(shape, layer)
        if layer["kind"] in kinds:
            total += params - (0 if biases or layer["kind"] == "maxpool" else new_shape[0])
        shape = new_shape
    return total


@wrong("fc_fraction", "a percentage", "percentage")
def fraction_percent(layers, input_shape):
    return 100 * _params(layers, input_shape, ("fc",)) / _params(layers, input_shape)


@wrong("fc_fraction", "weights only (biases left out)", "biases are left out")
def fraction_weights_only(layers, input_shape):
    return _params(layers, input_shape, ("fc",), False) / _params(layers, input_shape, biases=False)


@wrong("fc_fraction", "divided by the conv parameters", "conv layers' parameters only")
def fraction_over_conv(layers, input_shape):
    return _params(layers, input_shape, ("fc",)) / _params(layers, input_shape, ("conv",))


@wrong("fc_fraction", "the conv layers' share", "conv layers' share")
def fraction_conv_share(layers, input_shape):
    return _params(layers, input_shape, ("conv",)) / _params(layers, input_shape)


# --- 09 conv2d_backward and sgd_step -------------------------------------------------------


@wrong("conv2d_backward", "grad_w from the first image only", "missing the sum over the batch")
def back_no_batch_sum(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    grad_x, _, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    _, grad_w0, _ = ref.conv2d_backward(grad_y[:1], x[:1], w, b, stride, padding, dilation)
    return grad_x, grad_w0, grad_b


@wrong("conv2d_backward", "grad_w averaged over the batch", "averaged over the batch")
def back_batch_mean(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    grad_x, grad_w, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    return grad_x, grad_w / x.shape[0], grad_b


@wrong("conv2d_backward", "grad_x with the kernel not flipped", "without flipping")
def back_grad_x_unflipped(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    _, grad_w, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    grad_x, _, _ = ref.conv2d_backward(grad_y, x, w[:, :, ::-1, ::-1], b, stride, padding, dilation)
    return grad_x, grad_w, grad_b


@wrong("conv2d_backward", "grad_x written with = instead of +=", "not accumulated")
def back_grad_x_overwrite(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    _, grad_w, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    kh, kw = w.shape[2:]
    grad = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            for i in range(kh):
                for j in range(kw):
                    grad[:, :, r * sh + i * dh, s * sw + j * dw] = (
                        grad_y[:, :, r, s] @ w[:, :, i, j]
                    )
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]], grad_w, grad_b


@wrong("conv2d_backward", "grad_b summed over the batch only", "summed over the batch only")
def back_grad_b_batch_only(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    grad_x, grad_w, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    return grad_x, grad_w, None if b is None else grad_y.sum(axis=0)


@wrong("sgd_step", "gradient ascent (+)", "uphill")
def sgd_ascent(params, grads, lr):
    return {k: params[k] + lr * grads[k] for k in params}


@wrong("sgd_step", "learning rate forgotten", "learning rate is missing")
def sgd_no_lr(params, grads, lr):
    return {k: params[k] - grads[k] for k in params}


@wrong("sgd_step", "divided by the learning rate", "divided by the learning rate")
def sgd_divide(params, grads, lr):
    return {k: params[k] - grads[k] / lr for k in params}


@wrong("sgd_step", "updated in place, nothing returned", "returned None")
def sgd_in_place(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]


# --- 02 receptive_field and conv1d_forward -------------------------------------------------


@wrong("receptive_field", "strides ignored", "strides are ignored")
def field_no_strides(kernel_sizes, strides=1, dilations=1):
    d = dilations if isinstance(dilations, list | tuple) else [dilations] * len(kernel_sizes)
    return 1 + sum((k - 1) * di for k, di in zip(kernel_sizes, d))


@wrong("receptive_field", "kernel sizes added", "simply added")
def field_sum(kernel_sizes, strides=1, dilations=1):
    return sum(kernel_sizes)


@wrong("receptive_field", "a layer's own stride spreads its own kernel", "own stride")
def field_own_stride(kernel_sizes, strides=1, dilations=1):
    s = strides if isinstance(strides, list | tuple) else [strides] * len(kernel_sizes)
    d = dilations if isinstance(dilations, list | tuple) else [dilations] * len(kernel_sizes)
    size, jump = 1, 1
    for k, si, di in zip(kernel_sizes, s, d):
        jump *= si
        size += (k - 1) * di * jump
    return size


@wrong("receptive_field", "dilation ignored", "dilation is ignored")
def field_no_dilation(kernel_sizes, strides=1, dilations=1):
    return ref.receptive_field(kernel_sizes, strides, 1)


def _conv1d(x, w, b, stride, padding, dilation, flip=False):
    w = w[:, :, ::-1] if flip else w
    return ref.conv1d_forward(x, w, b, stride, padding, dilation)


@wrong("conv1d_forward", "kernel flipped", "kernel is flipped")
def conv1d_flipped(x, w, b=None, stride=1, padding=0, dilation=1):
    return _conv1d(x, w, b, stride, padding, dilation, flip=True)


@wrong("conv1d_forward", "bias missing", "bias is missing")
def conv1d_no_bias(x, w, b=None, stride=1, padding=0, dilation=1):
    return _conv1d(x, w, None, stride, padding, dilation)


@wrong("conv1d_forward", "stride ignored", "stride is ignored")
def conv1d_no_stride(x, w, b=None, stride=1, padding=0, dilation=1):
    return _conv1d(x, w, b, 1, padding, dilation)


@wrong("conv1d_forward", "padding at one end only", "one end only")
def conv1d_pad_one_end(x, w, b=None, stride=1, padding=0, dilation=1):
    xp = np.pad(np.asarray(x, float), [(0, 0), (0, 0), (0, 2 * padding)])
    return _conv1d(xp, w, b, stride, 0, dilation)


# --- 05 flip_kernel and edge_magnitude -----------------------------------------------------


@wrong("flip_kernel", "transposed", "transposed")
def flip_transpose(kernel):
    return np.swapaxes(kernel, -1, -2)


@wrong("flip_kernel", "rows only (upside down)", "only the rows")
def flip_rows(kernel):
    return np.asarray(kernel)[..., ::-1, :]


@wrong("flip_kernel", "columns only (left to right)", "only the columns")
def flip_cols(kernel):
    return np.fliplr(kernel) if np.ndim(kernel) == 2 else np.asarray(kernel)[..., ::-1]


@wrong("flip_kernel", "np.flip on every axis", "every axis is reversed")
def flip_all_axes(kernel):
    return np.flip(kernel)


def _sobel_pair(image, padding=1):
    image = np.asarray(image, float)[None, None]
    gx = ref.conv2d_forward(image, ref.SOBEL_X[None, None], None, 1, padding)[0, 0]
    gy = ref.conv2d_forward(image, ref.SOBEL_Y[None, None], None, 1, padding)[0, 0]
    return gx, gy


@wrong("edge_magnitude", "square root missing", "square root is missing")
def edge_no_sqrt(image):
    gx, gy = _sobel_pair(image)
    return gx**2 + gy**2


@wrong("edge_magnitude", "|Gx| + |Gy|", "added |Gx| and |Gy|")
def edge_abs_sum(image):
    gx, gy = _sobel_pair(image)
    return np.abs(gx) + np.abs(gy)


@wrong("edge_magnitude", "no padding", "padding is missing")
def edge_no_padding(image):
    gx, gy = _sobel_pair(image, padding=0)
    return np.sqrt(gx**2 + gy**2)


@wrong("edge_magnitude", "Gx only", "only Gx")
def edge_gx_only(image):
    gx, _ = _sobel_pair(image)
    return np.sqrt(gx**2)


# --- 01 collapse_linear and perceptron_and -------------------------------------------------


@wrong("collapse_linear", "product in reverse order", "reverse order")
def collapse_reversed(weights, biases):
    w, b = ref.collapse_linear(weights, biases)
    total = np.eye(weights[-1].shape[1])
    for m in reversed(weights):
        total = total @ m if total.shape[1] == m.shape[0] else m @ total
    return total, b


@wrong("collapse_linear", "biases summed", "biases are simply added")
def collapse_sum_biases(weights, biases):
    w, _ = ref.collapse_linear(weights, biases)
    return w, np.sum(biases, axis=0)


@wrong("collapse_linear", "only the last bias", "only the last bias")
def collapse_last_bias(weights, biases):
    w, _ = ref.collapse_linear(weights, biases)
    return w, biases[-1]


@wrong("collapse_linear", "element-wise product", "element by element")
def collapse_elementwise(weights, biases):
    _, b = ref.collapse_linear(weights, biases)
    total = weights[0]
    for m in weights[1:]:
        total = total * m
    return total, b


@wrong("perceptron_and", "OR instead of AND (bias -0.5)", "OR, not an AND")
def and_is_or(x, W, b):
    hidden = (x @ W + b > 0).astype(int)
    return (hidden.sum(axis=1) - 0.5 > 0).astype(int)


@wrong("perceptron_and", ">= instead of >", "strictly")
def and_non_strict(x, W, b):
    hidden = (x @ W + b >= 0).astype(int)
    return (hidden.sum(axis=1) - 2.5 > 0).astype(int)


@wrong("perceptron_and", "hidden units returned", "three hidden units")
def and_hidden_only(x, W, b):
    return (x @ W + b > 0).astype(int)


@wrong("perceptron_and", "two of three (bias -1.5)", "two of three")
def and_majority(x, W, b):
    hidden = (x @ W + b > 0).astype(int)
    return (hidden.sum(axis=1) - 1.5 > 0).astype(int)


# --- 10 transposed_output_size and separable_params ----------------------------------------


@wrong("transposed_output_size", "the ordinary conv formula", "ordinary convolution's formula")
def tsize_conv_formula(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


@wrong("transposed_output_size", "n * S instead of (n - 1) * S", "stride multiplies n")
def tsize_n_times_s(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return n * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


@wrong("transposed_output_size", "padding added", "padding is added")
def tsize_plus_padding(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return (n - 1) * stride + 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


@wrong("transposed_output_size", "output_padding ignored", "output_padding is ignored")
def tsize_no_output_padding(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1


@wrong("separable_params", "depthwise counted as a full conv", "counted like a full convolution")
def sep_full_depthwise(in_channels, out_channels, kernel_size, bias=True):
    standard, _ = ref.separable_params(in_channels, out_channels, kernel_size, bias)
    k2 = kernel_size**2
    extra = (in_channels + out_channels) if bias else 0
    return standard, out_channels * in_channels * k2 + out_channels * in_channels + extra


@wrong("separable_params", "pointwise part missing", "pointwise (1 x 1) part is missing")
def sep_no_pointwise(in_channels, out_channels, kernel_size, bias=True):
    standard, _ = ref.separable_params(in_channels, out_channels, kernel_size, bias)
    return standard, in_channels * kernel_size**2 + (in_channels if bias else 0)


@wrong("separable_params", "biases never counted", "biases are missing")
def sep_no_biases(in_channels, out_channels, kernel_size, bias=True):
    return ref.separable_params(in_channels, out_channels, kernel_size, False)


@wrong("separable_params", "bias=False ignored", "bias=False is ignored")
def sep_bias_flag_ignored(in_channels, out_channels, kernel_size, bias=True):
    return ref.separable_params(in_channels, out_channels, kernel_size, True)


# --- 11 rbm_hidden_probabilities and frozen_update -----------------------------------------


@wrong("rbm_hidden_probabilities", "sigmoid missing", "sigmoid is missing")
def rbm_no_sigmoid(x, W, c):
    return x @ W.T + c


@wrong("rbm_hidden_probabilities", "tanh instead of sigmoid", "tanh")
def rbm_tanh(x, W, c):
    return np.tanh(x @ W.T + c)


@wrong("rbm_hidden_probabilities", "hidden bias missing", "bias is missing")
def rbm_no_bias(x, W, c):
    return 1 / (1 + np.exp(-(x @ W.T)))


@wrong("rbm_hidden_probabilities", "W not transposed", "not transposed")
def rbm_no_transpose(x, W, c):
    return 1 / (1 + np.exp(-(x @ W + c)))


def _step(layer, grads, lr):
    return {k: v - lr * grads[k] for k, v in layer.items()}


@wrong("frozen_update", "the last layers frozen", "last layers are frozen")
def frozen_last(params, grads, lr, frozen):
    n = len(params)
    return [
        dict(layer) if i >= n - frozen else _step(layer, g, lr)
        for i, (layer, g) in enumerate(zip(params, grads))
    ]


@wrong("frozen_update", "one layer too many frozen (<=)", "one layer too many")
def frozen_off_by_one(params, grads, lr, frozen):
    return [
        dict(layer) if i <= frozen else _step(layer, g, lr)
        for i, (layer, g) in enumerate(zip(params, grads))
    ]


@wrong("frozen_update", "nothing frozen", "nothing is frozen")
def frozen_none(params, grads, lr, frozen):
    return [_step(layer, g, lr) for layer, g in zip(params, grads)]


@wrong("frozen_update", "frozen layers zeroed", "set to zero")
def frozen_zeroed(params, grads, lr, frozen):
    return [
        {k: np.zeros_like(v) for k, v in layer.items()} if i < frozen else _step(layer, g, lr)
        for i, (layer, g) in enumerate(zip(params, grads))
    ]


# --- a few more, for the diagnoses not covered above -----------------------------------------


@wrong("conv2d_forward", "stride ignored", "stride is ignored")
def conv_no_stride(x, w, b=None, stride=1, padding=0, dilation=1):
    return _loop_conv(x, w, b, 1, padding, dilation)


@wrong("conv2d_forward", "bias added once per input channel", "once per input channel")
def conv_bias_per_channel(x, w, b=None, stride=1, padding=0, dilation=1):
    y = _loop_conv(x, w, b, stride, padding, dilation)
    if b is not None:
        y = y + (x.shape[1] - 1) * np.asarray(b)[None, :, None, None]
    return y


@wrong("max_pool_forward", "output size missing the + 1", "off by one")
def pool_missing_plus_one(x, kernel_size, stride=None, padding=0):
    return _pool_loops(x, kernel_size, stride, padding)[:, :, :-1, :-1]


@wrong("avg_pool_backward", "divided by K instead of K * K", "divided by the kernel size K")
def avg_back_divide_by_k(grad_y, x, kernel_size, stride=None, padding=0):
    kh, kw = _pair(kernel_size)
    return _avg_backward(grad_y, x, kernel_size, stride, padding) * kw


@wrong("conv2d_backward", "grad_x not cropped", "still has the padding")
def back_grad_x_uncropped(grad_y, x, w, b=None, stride=1, padding=0, dilation=1):
    grad_x, grad_w, grad_b = ref.conv2d_backward(grad_y, x, w, b, stride, padding, dilation)
    ph, pw = _pair(padding)
    return np.pad(grad_x, [(0, 0), (0, 0), (ph, ph), (pw, pw)]), grad_w, grad_b


@wrong("max_pool_backward", "gradient to the whole window", "every element of the window")
def max_back_whole_window(grad_y, x, kernel_size, stride=None, padding=0):
    x = np.asarray(x, dtype=np.float64)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    grad = np.zeros(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
    for r in range(grad_y.shape[2]):
        for s in range(grad_y.shape[3]):
            grad[:, :, r * sh : r * sh + kh, s * sw : s * sw + kw] += grad_y[:, :, r, s][
                :, :, None, None
            ]
    return grad[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


@wrong("output_size", "dilated extent D * K", "extent is wrong")
def size_extent_dk(n, kernel_size, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * kernel_size) // stride + 1
