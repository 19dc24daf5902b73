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

The usual case in a CNN, windows side by side that cover the input exactly
(e.g. 2 x 2 windows at stride 2 on 28 x 28), has a faster path. The input
then *is*, without any copy, a 6-D array ``(N, C, OH, KH, OW, KW)`` (window
row r, row i inside the window, window column s, column j inside the
window), every input belongs to exactly one window, and the gradients can
be written once instead of added up.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, as_pair
from .conv import _output_length, _pad2d, output_size

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
        out.append(_output_length(n, k, s, p, 1, axis=axis))
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


def _tile_shape(padded_shape, kernel, stride, out):
    """(N, C, OH, KH, OW, KW) if the windows tile the padded input exactly, else None.

    Then ``xp.reshape(tile_shape)[n, c, r, i, s, j] == xp[n, c, r * KH + i, s * KW + j]``:
    window (r, s), row i and column j inside it; a reshape, no data is copied.
    """
    (kh, kw), (oh, ow) = kernel, out
    if tuple(stride) != tuple(kernel) or tuple(padded_shape[2:]) != (oh * kh, ow * kw):
        return None
    return (padded_shape[0], padded_shape[1], oh, kh, ow, kw)


_CHUNK_BYTES = 1 << 20  # input bytes per chunk of images in the tiled fast paths


def _image_chunks(x):
    """Slices of the batch axis, each holding about _CHUNK_BYTES of x.

    The fast paths work on a few images at a time: their temporaries then
    stay small enough for the CPU cache and are reused from one chunk to the
    next instead of being fetched fresh from the operating system.
    """
    step = max(1, _CHUNK_BYTES // max(1, x[:1].nbytes))
    return [slice(start, start + step) for start in range(0, x.shape[0], step)]


def _maximum(parts, out=None):
    """Elementwise maximum of a list of equally shaped arrays (into ``out`` if given)."""
    if len(parts) == 1:
        if out is None:
            return parts[0].copy()
        out[...] = parts[0]
        return out
    best = np.maximum(parts[0], parts[1], out=out)
    for part in parts[2:]:
        np.maximum(best, part, out=best)
    return best


def _first_maxima(parts, need_maximum=True):
    """Which of several equally shaped arrays holds the elementwise maximum first.

    Returns (best, winners): ``best`` the elementwise maximum (None when
    ``need_maximum`` is False) and ``winners`` one boolean mask per part,
    True where that part holds the maximum and no earlier part does
    (PyTorch's tie rule), so every element is won by exactly one part.
    """
    best = parts[0]
    winners = [np.ones(best.shape, dtype=bool)]
    for k, part in enumerate(parts[1:], start=1):
        later = part > best  # strictly larger: on a tie the earlier part keeps the win
        for winner in winners:
            winner &= ~later
        winners.append(later)
        if need_maximum or k < len(parts) - 1:
            best = np.maximum(best, part)
    return (best if need_maximum else None), winners


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
    tile_shape = _tile_shape(xp.shape, kernel, stride, out)
    if tile_shape is not None:
        return _tiled_max(xp.reshape(tile_shape))
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
    tile_shape = _tile_shape(xp.shape, kernel, stride, out)
    if tile_shape is not None:
        grad_tiles = _tiled_max_backward(grad_y, xp.reshape(tile_shape))
        return _unpad(grad_tiles.reshape(xp.shape), x.shape, padding)
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


# The fast path for windows that tile the input exactly, on the 6-D view
# tiles (N, C, OH, KH, OW, KW): tiles[..., j] is column j of every window
# row, (N, C, OH, KH, OW); a maximum over j gives every window row's maximum,
# and a maximum over i of row_maxima[:, :, :, i] the window's maximum.


def _tiled_max(tiles):
    """max_pool2d of tiles (N, C, OH, KH, OW, KW): y (N, C, OH, OW)."""
    n, c, oh, kh, ow, kw = tiles.shape
    y = np.empty((n, c, oh, ow), dtype=tiles.dtype)
    for images in _image_chunks(tiles):
        # the maximum of every window row (n, C, OH, KH, OW), then of those rows
        row_maxima = _maximum([tiles[images, ..., j] for j in range(kw)])
        _maximum([row_maxima[:, :, :, i] for i in range(kh)], out=y[images])
    return y


def _tiled_max_backward(grad_y, tiles):
    """max_pool2d_backward on tiles (N, C, OH, KH, OW, KW): the gradient of tiles.

    The first maximum of a window in row-major order lies in the first row
    holding the window's maximum, in the first column of that row holding
    the row's maximum: the winners are found in the forward pass's order.
    """
    kh, kw = tiles.shape[3], tiles.shape[5]
    grad_tiles = np.empty(tiles.shape, dtype=grad_y.dtype)
    for images in _image_chunks(tiles):
        # which column wins inside every window row, then which row wins
        row_maxima, column_winners = _first_maxima([tiles[images, ..., j] for j in range(kw)])
        _, row_winners = _first_maxima([row_maxima[:, :, :, i] for i in range(kh)], False)
        # grad_y goes to the winning row, then inside that row to the winning
        # column; the others get grad_y * False = 0 (so no zero fill is needed)
        grad_rows = np.empty(row_maxima.shape, dtype=grad_y.dtype)  # (n, C, OH, KH, OW)
        for i, winner in enumerate(row_winners):
            np.multiply(grad_y[images], winner, out=grad_rows[:, :, :, i])
        for j, winner in enumerate(column_winners):
            np.multiply(grad_rows, winner, out=grad_tiles[images, ..., j])
    return grad_tiles


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
    total = np.empty((x.shape[0], x.shape[1], *out), dtype=x.dtype)
    for images in _image_chunks(xp):
        # the elements of every window, added in row-major order (as PyTorch adds them)
        parts = [
            xp[images, :, rows, cols] for _, _, rows, cols in _offset_slices(kernel, stride, out)
        ]
        window_sums = np.add(parts[0], parts[1] if len(parts) > 1 else 0.0, out=total[images])
        for part in parts[2:]:
            window_sums += part
    total /= kernel[0] * kernel[1]
    return total


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
    window_size = kernel[0] * kernel[1]
    n, c, h, w = x.shape
    padded_shape = (n, c, h + 2 * padding[0], w + 2 * padding[1])
    tile_shape = _tile_shape(padded_shape, kernel, stride, out)
    if tile_shape is not None:
        # windows tile the input exactly: copy each share to its KH x KW block, one
        # column j of every window at a time (broadcast down the KH rows)
        grad_xp = np.empty(padded_shape, dtype=x.dtype)
        grad_tiles = grad_xp.reshape(tile_shape)
        for images in _image_chunks(grad_tiles):
            share = grad_y[images] / window_size
            for j in range(kernel[1]):
                grad_tiles[images, ..., j] = share[:, :, :, None, :]
    else:
        share = grad_y / window_size
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
