"""Pooling (subsampling), forward and backward, in numpy.

A pooling layer summarises every window of a feature map by one number: its
maximum, its average, or its minimum. It has no parameters; in the backward
pass it only routes gradients back to the inputs that produced each output.

Layout and names (as in PyTorch):

- ``x``: input, ``(N, C, H, W)``; channels are pooled separately, so the
  output keeps C.
- ``kernel_size``, ``stride``, ``padding``: int or (rows, cols); ``stride``
  defaults to ``kernel_size`` (windows side by side); padding may be at most
  half the kernel, as in PyTorch.
- ``y``: output, ``(N, C, OH, OW)`` with ``OH = (H + 2 * PH - KH) // SH + 1``.

Every function below works one kernel offset at a time: for offset (i, j) the
values ``x_padded[:, :, i::SH, j::SW]`` (cut to OH x OW) are the (i, j)-th
element of every window at once, so a window reduction becomes KH * KW
vectorised steps, and the backward pass adds gradients back through the
same slices.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, as_pair
from .conv import _pad2d, output_size

# --- shared helpers --------------------------------------------------------------


def _pool_arguments(x, kernel_size, stride, padding):
    """Validate pooling arguments; return (x, kernel, stride, padding, (OH, OW))."""
    x = as_array(x, "x", 4)
    if 0 in x.shape:
        raise ValueError(f"x must not have an empty dimension, got shape {x.shape}")
    kernel = as_pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else as_pair(stride, "stride", 1)
    padding = as_pair(padding, "padding", 0)
    out = []
    for axis, n, k, s, p in zip(("height", "width"), x.shape[2:], kernel, stride, padding):
        if 2 * p > k:
            raise ValueError(
                f"padding {p} along {axis} is more than half the kernel size {k}: "
                f"pooling padding must be at most {k // 2} (as in PyTorch)"
            )
        out.append(output_size(n, k, s, p, axis=axis))
    return x, kernel, stride, padding, tuple(out)


def _offset_slices(kernel, stride, out):
    """Yield (i, j, rows, cols): for kernel offset (i, j), the slices of the padded
    input holding the (i, j)-th element of every window, in row-major order."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out
    for i in range(kh):
        rows = slice(i, i + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i, j, rows, slice(j, j + sw * (ow - 1) + 1, sw)


def _padded_zeros(x_shape, padding, dtype):
    n, c, h, w = x_shape
    return np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=dtype)


def _unpad(grad_xp, x_shape, padding):
    """Cut the padding off a gradient (a fresh array only when there was padding)."""
    (ph, pw), (h, w) = padding, x_shape[2:]
    if ph == pw == 0:
        return grad_xp
    return grad_xp[:, :, ph : ph + h, pw : pw + w].copy()


def _check_grad_y(grad_y, x, out, channels=None):
    expected = (x.shape[0], x.shape[1] if channels is None else channels, *out)
    grad_y = as_array(grad_y, "grad_y", 4)
    if grad_y.shape != expected:
        raise ValueError(f"grad_y must have the output's shape {expected}, got {grad_y.shape}")
    return grad_y.astype(x.dtype, copy=False)


# --- max pooling -------------------------------------------------------------------------


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling over height and width, as PyTorch's ``F.max_pool2d``.

    x: (N, C, H, W). kernel_size, stride, padding: int or (rows, cols);
    stride defaults to kernel_size; padding adds -inf, so a padded cell never
    wins. Returns y: (N, C, OH, OW), ``OH = (H + 2 * PH - KH) // SH + 1``, with
    ``y[n, c, r, s]`` the largest value of the window starting at
    ``(r * SH, s * SW)`` of the padded input.

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> max_pool2d(x, 2)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    """
    x, kernel, stride, padding, out = _pool_arguments(x, kernel_size, stride, padding)
    xp = _pad2d(x, padding, -np.inf)
    y = None
    for _, _, rows, cols in _offset_slices(kernel, stride, out):
        if y is None:
            y = xp[:, :, rows, cols].copy()
        else:
            np.maximum(y, xp[:, :, rows, cols], out=y)
    return y


def max_pool2d_backward(grad_y, x, kernel_size, stride=None, padding=0):
    """Gradient of a scalar loss through :func:`max_pool2d`.

    grad_y: (N, C, OH, OW); x and the settings as given to max_pool2d.
    Returns grad_x: (N, C, H, W). Each window passes its gradient to the one
    input that was its maximum and nothing to the others; on a tie the first
    maximal element in row-major order gets it (as PyTorch). When windows
    overlap, an input that is the maximum of several windows collects the sum.

    >>> x = np.array([[[[1.0, 3.0, 2.0], [3.0, 0.0, 1.0], [0.0, 2.0, 1.0]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    array([[0., 2., 0.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    x, kernel, stride, padding, out = _pool_arguments(x, kernel_size, stride, padding)
    grad_y = _check_grad_y(grad_y, x, out)
    xp = _pad2d(x, padding, -np.inf)
    y = max_pool2d(x, kernel, stride, padding)
    grad_xp = _padded_zeros(x.shape, padding, x.dtype)
    # Separate windows: each input belongs to one window at most, so its
    # gradient can be written directly; overlapping windows must add up.
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    unclaimed = np.ones(y.shape, dtype=bool)  # windows whose maximum is not yet found
    winner = np.empty(y.shape, dtype=bool)
    for _, _, rows, cols in _offset_slices(kernel, stride, out):
        np.equal(xp[:, :, rows, cols], y, out=winner)
        winner &= unclaimed  # the first maximum in row-major order wins a tie
        unclaimed ^= winner
        if overlapping:
            grad_xp[:, :, rows, cols] += grad_y * winner
        else:
            np.multiply(grad_y, winner, out=grad_xp[:, :, rows, cols])
    return _unpad(grad_xp, x.shape, padding)


# --- average pooling ----------------------------------------------------------------------


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling over height and width, as PyTorch's ``F.avg_pool2d``.

    x: (N, C, H, W). kernel_size, stride, padding: int or (rows, cols);
    stride defaults to kernel_size. Padding adds zeros that count in the
    average (PyTorch's default ``count_include_pad=True``): every window is
    divided by KH * KW. Returns y: (N, C, OH, OW).

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> avg_pool2d(x, 2)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    """
    x, kernel, stride, padding, out = _pool_arguments(x, kernel_size, stride, padding)
    xp = _pad2d(x, padding, 0.0)
    total = np.zeros((x.shape[0], x.shape[1], *out), dtype=x.dtype)
    for _, _, rows, cols in _offset_slices(kernel, stride, out):
        total += xp[:, :, rows, cols]
    return total / (kernel[0] * kernel[1])


def avg_pool2d_backward(grad_y, x, kernel_size, stride=None, padding=0):
    """Gradient of a scalar loss through :func:`avg_pool2d`.

    grad_y: (N, C, OH, OW); x and the settings as given to avg_pool2d.
    Returns grad_x: (N, C, H, W): every input of a window receives
    ``grad_y / (KH * KW)``; overlapping windows add up.

    >>> avg_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), 2, stride=1)[0, 0]
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    """
    x, kernel, stride, padding, out = _pool_arguments(x, kernel_size, stride, padding)
    grad_y = _check_grad_y(grad_y, x, out)
    share = grad_y / (kernel[0] * kernel[1])
    (kh, kw), (oh, ow) = kernel, out
    padded_size = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if tuple(stride) == tuple(kernel) and padded_size == (oh * kh, ow * kw):
        # windows tile the input exactly: repeat each share over its KH x KW block
        grad_xp = share.repeat(kh, axis=2).repeat(kw, axis=3)
    else:
        grad_xp = _padded_zeros(x.shape, padding, x.dtype)
        for _, _, rows, cols in _offset_slices(kernel, stride, out):
            grad_xp[:, :, rows, cols] += share
    return _unpad(grad_xp, x.shape, padding)


# --- min pooling ---------------------------------------------------------------------------


def min_pool2d(x, kernel_size, stride=None, padding=0):
    """Min pooling: the smallest value of every window (padding adds +inf).

    Useful for dark features on a bright background; it is max pooling of -x,
    negated. Arguments and shapes as :func:`max_pool2d`.

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> min_pool2d(x, 2)[0, 0]
    array([[1., 2.],
           [1., 0.]])
    """
    x = as_array(x, "x", 4)
    return -max_pool2d(-x, kernel_size, stride, padding)


def min_pool2d_backward(grad_y, x, kernel_size, stride=None, padding=0):
    """Gradient through :func:`min_pool2d`: each window's gradient goes to its
    (first, in row-major order) minimum. Shapes as :func:`max_pool2d_backward`.

    >>> x = np.array([[[[4.0, 1.0], [1.0, 3.0]]]])
    >>> min_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0]
    array([[0., 1.],
           [0., 0.]])
    """
    x = as_array(x, "x", 4)
    return max_pool2d_backward(grad_y, -x, kernel_size, stride, padding)


# --- pooling across channels -------------------------------------------------------------


def channel_max_pool(x, keepdims=False):
    """Max over the channel axis: "is any feature active at this pixel?".

    x: (N, C, H, W). Returns (N, H, W), or (N, 1, H, W) with ``keepdims=True``.

    >>> x = np.array([[[[1.0, 5.0]], [[3.0, 2.0]]]])  # N=1, C=2, H=1, W=2
    >>> channel_max_pool(x)
    array([[[3., 5.]]])
    """
    x = as_array(x, "x", 4)
    if 0 in x.shape:
        raise ValueError(f"x must not have an empty dimension, got shape {x.shape}")
    return x.max(axis=1, keepdims=bool(keepdims))


def channel_max_pool_backward(grad_y, x, keepdims=False):
    """Gradient through :func:`channel_max_pool`.

    grad_y: (N, H, W), or (N, 1, H, W) when ``keepdims=True``; x: (N, C, H, W).
    Returns grad_x (N, C, H, W): at every pixel the gradient goes to the
    channel holding the maximum (the first one on a tie).

    >>> x = np.array([[[[1.0, 5.0]], [[3.0, 2.0]]]])
    >>> channel_max_pool_backward(np.array([[[10.0, 20.0]]]), x)
    array([[[[ 0., 20.]],
    <BLANKLINE>
            [[10.,  0.]]]])
    """
    x = as_array(x, "x", 4)
    if 0 in x.shape:
        raise ValueError(f"x must not have an empty dimension, got shape {x.shape}")
    n, _, h, w = x.shape
    expected = (n, 1, h, w) if keepdims else (n, h, w)
    grad_y = as_array(grad_y, "grad_y", len(expected))
    if grad_y.shape != expected:
        raise ValueError(f"grad_y must have the output's shape {expected}, got {grad_y.shape}")
    winner = np.argmax(x, axis=1)[:, None]  # (N, 1, H, W): first maximal channel
    grad_x = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(grad_x, winner, grad_y.reshape(n, 1, h, w).astype(x.dtype), axis=1)
    return grad_x


# --- plain matrices, as on the slides -----------------------------------------------------


_MATRIX_MODES = ("max", "avg", "min", "sum")


def pool_matrix(matrix, kernel_size, stride=None, padding=0, mode="max"):
    """Pool a single 2-D matrix, as on the slides: (H, W) in, (OH, OW) out.

    kernel_size, stride, padding: int or (rows, cols), stride defaulting to
    kernel_size, e.g. ``stride=(2, 1)`` for 2 rows down and 1 column across.
    mode: "max", "avg", "min" or "sum". Padding follows the 4-D functions
    (max pads -inf, min +inf, avg and sum zeros); for the slides' zero-padded
    matrices pad with ``np.pad`` first.

    >>> m = np.array([[1, 4, 2, 1], [5, 8, 3, 4], [7, 6, 4, 5], [1, 3, 1, 2]])
    >>> pool_matrix(m, 2)
    array([[8., 4.],
           [7., 5.]])
    >>> pool_matrix(m, 2, stride=1, mode="min")
    array([[1., 2., 1.],
           [5., 3., 3.],
           [1., 1., 1.]])
    """
    matrix = as_array(matrix, "matrix", 2)
    if not isinstance(mode, str) or mode not in _MATRIX_MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MATRIX_MODES))}; got {mode!r}")
    x = matrix[None, None]
    if mode == "max":
        y = max_pool2d(x, kernel_size, stride, padding)
    elif mode == "min":
        y = min_pool2d(x, kernel_size, stride, padding)
    else:
        y = avg_pool2d(x, kernel_size, stride, padding)
        if mode == "sum":
            kh, kw = as_pair(kernel_size, "kernel_size", 1)
            y = y * (kh * kw)
    return y[0, 0]


pool2d_2d = pool_matrix


def pool_output_size(n, kernel_size, stride=None, padding=0) -> int:
    """Output length of pooling along one axis: ``(n + 2P - K) // S + 1``, S = K by default.

    >>> pool_output_size(55, 3, 2), pool_output_size(27, 3, 2), pool_output_size(13, 3, 2)
    (27, 13, 6)
    """
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    stride = kernel_size if stride is None else as_int(stride, "stride", 1)
    padding = as_int(padding, "padding", 0)
    if 2 * padding > kernel_size:
        raise ValueError(
            f"padding {padding} is more than half the kernel size {kernel_size}: "
            f"pooling padding must be at most {kernel_size // 2} (as in PyTorch)"
        )
    return output_size(n, kernel_size, stride, padding)


__all__ = [
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "min_pool2d",
    "min_pool2d_backward",
    "channel_max_pool",
    "channel_max_pool_backward",
    "pool_matrix",
    "pool2d_2d",
    "pool_output_size",
]
