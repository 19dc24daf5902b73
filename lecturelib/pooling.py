"""Pooling (subsampling), forward and backward, in numpy.

A pooling layer summarises every window of a feature map by one number: its
maximum, its average, or its minimum. It has no parameters; in the backward
pass it only routes gradients back to the inputs that produced each output.

Layout and names (as in PyTorch's ``torch.nn.functional``):

- ``x``: input, ``(N, C, H, W)``, or one unbatched image ``(C, H, W)`` (the
  output is then unbatched too); channels are pooled separately, so the
  output keeps C.
- ``kernel_size``, ``stride``, ``padding``, ``dilation``: int or (rows, cols)
  (a 1-tuple counts for both); ``stride`` defaults to ``kernel_size``
  (windows side by side); padding may be at most half the kernel, as in
  PyTorch; ``dilation`` (max pooling) spreads a window's cells apart.
- ``y``: output, ``(N, C, OH, OW)`` with
  ``OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1`` (see
  :func:`lecturelib.convolution.output_size`); ``ceil_mode=True`` rounds up
  instead, keeping a last, partial window if it starts inside the input or
  the left padding.

The module opens with the readable references, written as the lecture
writes them: a loop over the windows, each window reduced to its maximum or
average, and in the backward pass each window's gradient sent back to the
cells it came from. Then the functions the package uses
(:func:`max_pool2d`, :func:`avg_pool2d` and their backward passes): same
arguments, same numbers (the tests compare them on random cases), computed
by the vectorised code in :mod:`lecturelib.fast.pooling`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_flag, as_int, as_pair
from .convolution import output_size
from .fast import pooling as fast

# --- the readable references: one window at a time ---------------------------------------


def max_pool2d_naive(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling as the lecture computes it: one window at a time.

    Arguments and result as :func:`max_pool2d`. x: (N, C, H, W) or (C, H, W);
    returns y: (N, C, OH, OW) with ``OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1``,
    and with ``return_indices=True`` also ``indices`` (int64, y's shape), the
    flat position ``h * W + w`` of every maximum in its input plane.

    Window (r, s) reads rows ``r * SH - PH + i * DH`` (i = 0 .. KH - 1) and
    columns ``s * SW - PW + j * DW`` (j = 0 .. KW - 1) of x. The padding holds
    -inf, which never wins, so the cells outside x are simply left out; of
    the cells that remain, the first maximum in row-major order wins
    (``np.argmax``), as in PyTorch; a window holding nan gives nan, and its
    last nan wins (PyTorch counts nan as larger than anything).

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> y, indices = max_pool2d_naive(x, 2, return_indices=True)
    >>> y[0, 0]
    array([[6., 8.],
           [3., 4.]])
    >>> indices[0, 0]  # 6 is x[1, 1], flat 1 * 4 + 1 = 5
    array([[ 5,  7],
           [ 8, 15]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode)
    return_indices = as_flag(return_indices, "return_indices")
    n, c, _, width = x.shape
    y = np.empty((n, c, *geometry.out), dtype=x.dtype)
    indices = np.empty((n, c, *geometry.out), dtype=np.int64)
    for r in range(geometry.out[0]):
        for s in range(geometry.out[1]):
            rows, cols = _window_cells(r, s, geometry, x.shape)
            window = x[:, :, rows][:, :, :, cols].reshape(n, c, -1)  # (N, C, cells), row-major
            winner = _winning_cells(window)  # (N, C): which cell wins
            y[:, :, r, s] = window.max(axis=2)
            indices[:, :, r, s] = rows[winner // len(cols)] * width + cols[winner % len(cols)]
    if return_indices:
        return _result(y, unbatched), _result(indices, unbatched)
    return _result(y, unbatched)


def _winning_cells(window):
    """The cell of each window that max pooling picks, as PyTorch picks it.

    window: (N, C, cells), each window's cells in row-major order. Returns
    (N, C) positions along the cells axis: the first maximum (``np.argmax``),
    except that a nan counts as larger than any number and a later nan
    replaces an earlier one, so a window holding nan picks its last nan.
    """
    first_max = window.argmax(axis=2)
    nan = np.isnan(window)
    last_nan = window.shape[2] - 1 - nan[:, :, ::-1].argmax(axis=2)
    return np.where(nan.any(axis=2), last_nan, first_max)


def max_pool2d_backward_naive(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Gradient through max pooling, one window at a time.

    Arguments and result as :func:`max_pool2d_backward`. grad_y:
    (N, C, OH, OW) (or (C, OH, OW)); returns grad_x, shaped like x. A
    window's output is its maximum, so only that cell moved it: the window's
    gradient goes to that cell (the first maximum in row-major order on a
    tie) and the others get nothing. Where windows overlap, one cell can be
    the maximum of several windows and collects all their gradients (+=).

    >>> x = np.array([[[[1.0, 3.0, 2.0], [3.0, 0.0, 1.0], [0.0, 2.0, 1.0]]]])
    >>> max_pool2d_backward_naive(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    array([[0., 2., 0.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode)
    as_flag(return_indices, "return_indices")
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    n, c = x.shape[:2]
    images, channels = np.ogrid[:n, :c]  # (N, 1) and (1, C): every (image, channel) plane
    grad_x = np.zeros_like(x)
    for r in range(geometry.out[0]):
        for s in range(geometry.out[1]):
            rows, cols = _window_cells(r, s, geometry, x.shape)
            window = x[:, :, rows][:, :, :, cols].reshape(n, c, -1)
            winner = _winning_cells(window)  # (N, C), as in the forward pass
            row, col = rows[winner // len(cols)], cols[winner % len(cols)]
            grad_x[images, channels, row, col] += grad_y[:, :, r, s]
    return _result(grad_x, unbatched)


def avg_pool2d_naive(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average pooling as the lecture computes it: one window at a time.

    Arguments and result as :func:`avg_pool2d`. x: (N, C, H, W) or
    (C, H, W); returns y: (N, C, OH, OW), ``OH = (H + 2 * PH - KH) // SH + 1``.
    Window (r, s) covers rows ``r * SH - PH`` to ``r * SH - PH + KH - 1``. The
    padding holds zeros, which add nothing, so the sum runs over the cells
    inside x; it is divided by the window's number of cells inside the padded
    input (KH * KW, unless a ceil-mode window runs past the end), by its
    number of cells inside x with ``count_include_pad=False``, or by
    ``divisor_override``.

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> avg_pool2d_naive(x, 2)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = as_flag(count_include_pad, "count_include_pad")
    divisor_override = _divisor_override(divisor_override)
    y = np.empty((*x.shape[:2], *geometry.out), dtype=x.dtype)
    for r in range(geometry.out[0]):
        for s in range(geometry.out[1]):
            rows, cols, divisor = _avg_window(
                r, s, geometry, x.shape, count_include_pad, divisor_override
            )
            y[:, :, r, s] = x[:, :, rows, cols].sum(axis=(2, 3)) / divisor
    return _result(y, unbatched)


def avg_pool2d_backward_naive(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Gradient through average pooling, one window at a time.

    Arguments and result as :func:`avg_pool2d_backward`. grad_y:
    (N, C, OH, OW) (or (C, OH, OW)); returns grad_x, shaped like x. Every
    cell of a window took part in its average with weight 1 / divisor, so
    each receives ``grad_y[r, s] / divisor``; overlapping windows add up
    (+=), and the padding's share is dropped.

    >>> avg_pool2d_backward_naive(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), 2, stride=1)[0, 0]
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = as_flag(count_include_pad, "count_include_pad")
    divisor_override = _divisor_override(divisor_override)
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    grad_x = np.zeros_like(x)
    for r in range(geometry.out[0]):
        for s in range(geometry.out[1]):
            rows, cols, divisor = _avg_window(
                r, s, geometry, x.shape, count_include_pad, divisor_override
            )
            grad_x[:, :, rows, cols] += (grad_y[:, :, r, s] / divisor)[:, :, None, None]
    return _result(grad_x, unbatched)


def _window_cells(r, s, geometry, shape):
    """The rows and the columns of x (int arrays) that max-pooling window (r, s)
    reads, without the cells in the padding or past the end of x."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = geometry[:4]
    height, width = shape[2:]
    rows = r * sh - ph + dh * np.arange(kh)
    cols = s * sw - pw + dw * np.arange(kw)
    return rows[(rows >= 0) & (rows < height)], cols[(cols >= 0) & (cols < width)]


def _avg_window(r, s, geometry, shape, count_include_pad, divisor_override):
    """Average-pooling window (r, s): (rows, cols, divisor).

    rows and cols are slices of x (the window's cells inside x); the divisor
    is ``divisor_override`` if given, else the window's number of cells
    inside the padded input (``count_include_pad=True``: KH * KW unless a
    ceil-mode window runs past the padding, as PyTorch counts) or inside x.
    """
    (kh, kw), (sh, sw), (ph, pw) = geometry[:3]
    height, width = shape[2:]
    top, left = r * sh - ph, s * sw - pw  # may lie in the padding
    rows = slice(max(top, 0), min(top + kh, height))
    cols = slice(max(left, 0), min(left + kw, width))
    if divisor_override is not None:
        divisor = divisor_override
    elif count_include_pad:
        divisor = (min(top + kh, height + ph) - top) * (min(left + kw, width + pw) - left)
    else:
        divisor = (rows.stop - rows.start) * (cols.stop - cols.start)
    return rows, cols, divisor


# --- max pooling: the function the package uses ------------------------------------------


def max_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling over height and width, as PyTorch's ``F.max_pool2d``.

    x: (N, C, H, W) or (C, H, W). kernel_size, stride, padding, dilation:
    int or (rows, cols); stride defaults to kernel_size; padding adds -inf,
    so a padded cell never wins; dilation D reads every D-th cell, so a
    window spans D * (K - 1) + 1 rows; ceil_mode keeps a last, partial window
    (see :func:`lecturelib.convolution.output_size`).
    Returns y: (N, C, OH, OW), ``OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1``,
    with ``y[n, c, r, s]`` the largest value of the window starting at
    ``(r * SH, s * SW)`` of the padded input. With ``return_indices=True``,
    returns ``(y, indices)``: indices (int64, y's shape) says where each
    maximum is, as a flat position ``h * W + w`` in its H x W input plane
    (on a tie the first maximum in row-major order; in a window holding nan,
    the last nan), as PyTorch returns it for :func:`max_unpool2d`. The
    numbers of :func:`max_pool2d_naive`, computed by the vectorised code of
    :mod:`lecturelib.fast.pooling`.

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> max_pool2d(x, 2)[0, 0]
    array([[6., 8.],
           [3., 4.]])
    >>> y, indices = max_pool2d(x, 2, return_indices=True)
    >>> indices[0, 0]  # 6 is x[1, 1] = flat 1 * 4 + 1 = 5, ...
    array([[ 5,  7],
           [ 8, 15]])
    >>> max_pool2d(x[0], 3, stride=2, ceil_mode=True)  # unbatched, a partial last window
    array([[[7., 8.],
            [3., 4.]]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode)
    return_indices = as_flag(return_indices, "return_indices")
    if return_indices:
        y, indices = fast.max_pool_with_indices(x, geometry)
        return _result(y, unbatched), _result(indices, unbatched)
    return _result(fast.max_pool(x, geometry), unbatched)


def max_pool2d_backward(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Gradient of a scalar loss through :func:`max_pool2d`.

    grad_y: (N, C, OH, OW) (or (C, OH, OW) for an unbatched x); x and the
    settings as given to max_pool2d (``return_indices`` is accepted so that
    the same keywords can be passed, and changes nothing). Returns grad_x,
    shaped like x. Each window passes its gradient to the one input that
    was its maximum (the position :func:`max_pool2d` returns as its index)
    and nothing to the others; on a tie the first maximal element in
    row-major order gets it, and in a window holding nan its last nan (as
    PyTorch). When windows overlap, an input
    that is the maximum of several windows collects the sum. The numbers
    of :func:`max_pool2d_backward_naive`, computed faster.

    >>> x = np.array([[[[1.0, 3.0, 2.0], [3.0, 0.0, 1.0], [0.0, 2.0, 1.0]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    array([[0., 2., 0.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode)
    as_flag(return_indices, "return_indices")
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    return _result(fast.max_pool_backward(grad_y, x, geometry), unbatched)


def max_unpool2d(y, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Undo max pooling's subsampling, as PyTorch's ``F.max_unpool2d``.

    y: (N, C, OH, OW) or (C, OH, OW); indices: integers of y's shape, flat
    positions ``h * W + w`` in the output planes (as
    ``max_pool2d(..., return_indices=True)`` returns them); kernel_size,
    stride, padding: as given to max_pool2d. Returns (N, C, H, W) (or
    (C, H, W)): zeros, except that ``y[n, c, r, s]`` is put back at position
    ``indices[n, c, r, s]`` of plane (n, c). H defaults to
    ``(OH - 1) * SH - 2 * PH + KH``; since pooling rounds down, several
    input sizes pool to the same OH, so ``output_size`` (H, W) (or
    (N, C, H, W)) may ask for any size strictly within one stride of that.

    >>> x = np.array([[[[1.0, 2.0, 0.0], [4.0, 3.0, 1.0], [0.0, 5.0, 2.0]]]])
    >>> y, indices = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(y, indices, 2, output_size=x.shape)[0, 0]
    array([[0., 0., 0.],
           [4., 0., 0.],
           [0., 0., 0.]])
    """
    y, indices, unbatched, shape = _unpool_arguments(
        y, indices, kernel_size, stride, padding, output_size
    )
    n, c, h, w = shape
    x = np.zeros(shape, dtype=y.dtype)
    planes = np.arange(n * c)[:, None]
    x.reshape(n * c, h * w)[planes, indices.reshape(n * c, -1)] = y.reshape(n * c, -1)
    return _result(x, unbatched)


def max_unpool2d_backward(
    grad_out, y, indices, kernel_size, stride=None, padding=0, output_size=None
):
    """Gradient through :func:`max_unpool2d`: returns grad_y, shaped like y.

    grad_out: the gradient of the unpooled output (N, C, H, W) (or
    (C, H, W)); y, indices and the settings as given to max_unpool2d. Each
    value of y was copied to one position, so its gradient is read back from
    there: ``grad_y[n, c, r, s] = grad_out[n, c].flat[indices[n, c, r, s]]``.

    >>> indices = np.array([[[[3, 1]]]])
    >>> grad_out = np.arange(4.0).reshape(1, 1, 2, 2)
    >>> max_unpool2d_backward(grad_out, np.ones((1, 1, 1, 2)), indices, (2, 1), output_size=(2, 2))
    array([[[[3., 1.]]]])
    """
    y, indices, unbatched, shape = _unpool_arguments(
        y, indices, kernel_size, stride, padding, output_size
    )
    grad_out = as_array(grad_out, "grad_out", 3 if unbatched else 4)
    if grad_out.shape != shape[unbatched:]:
        raise ValueError(
            f"grad_out must have the unpooled output's shape {shape[unbatched:]}, "
            f"got {grad_out.shape}"
        )
    n, c, h, w = shape
    planes = np.arange(n * c)[:, None]
    grad_y = grad_out.reshape(n * c, h * w)[planes, indices.reshape(n * c, -1)]
    return _result(grad_y.reshape(y.shape).astype(y.dtype, copy=False), unbatched)


def _unpool_arguments(y, indices, kernel_size, stride, padding, output_size):
    """Validate max_unpool2d's arguments: (y, indices, unbatched, (N, C, H, W))."""
    y = as_array(y, "y", (3, 4))
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(
            f"indices must hold integers (as max_pool2d(..., return_indices=True) returns "
            f"them), got dtype {indices.dtype}"
        )
    if indices.shape != y.shape:
        raise ValueError(f"indices must have y's shape {y.shape}, got {indices.shape}")
    unbatched = y.ndim == 3
    if unbatched:
        y, indices = y[None], indices[None]
    if 0 in y.shape:
        raise ValueError(f"y must not have an empty dimension, got shape {y.shape}")
    kernel = _pool_pair(kernel_size, "kernel_size", 1)
    no_stride = stride is None or (isinstance(stride, tuple | list) and len(stride) == 0)
    stride = kernel if no_stride else _pool_pair(stride, "stride", 1)
    padding = _pool_pair(padding, "padding", 0)
    default = tuple(
        (o - 1) * s - 2 * p + k for o, s, p, k in zip(y.shape[2:], stride, padding, kernel)
    )
    if output_size is None:
        size = default
    else:
        if not isinstance(output_size, tuple | list) or len(output_size) not in (2, 4):
            raise ValueError(f"output_size must be (H, W) or (N, C, H, W), got {output_size!r}")
        size = tuple(as_int(v, "output_size", 1) for v in output_size[-2:])
        for axis, wanted, d, s in zip(("height", "width"), size, default, stride):
            if not d - s < wanted < d + s:
                raise ValueError(
                    f"output_size {wanted} along {axis} is out of reach: it must lie strictly "
                    f"between {d - s} and {d + s} (the default {d} plus or minus the stride {s}), "
                    f"as in PyTorch"
                )
    for axis, length in zip(("height", "width"), size):
        if length < 1:
            raise ValueError(f"the unpooled {axis} would be {length}; it must be >= 1")
    plane = size[0] * size[1]
    bad = indices[(indices < 0) | (indices >= plane)]
    if bad.size:
        raise ValueError(
            f"indices must lie in 0..{plane - 1} (flat positions in the {size[0]} x {size[1]} "
            f"output plane), got {int(bad.flat[0])}"
        )
    return y, indices, unbatched, (*y.shape[:2], *size)


# --- average pooling: the function the package uses --------------------------------------


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average pooling over height and width, as PyTorch's ``F.avg_pool2d``.

    x: (N, C, H, W) or (C, H, W). kernel_size, stride, padding: int or
    (rows, cols); stride defaults to kernel_size. Padding adds zeros. Every
    window's sum (its cells added in row-major order, as PyTorch adds them)
    is divided by:

    - ``count_include_pad=True`` (default): its number of cells inside the
      padded input, KH * KW unless a ceil-mode window runs past the end;
    - ``count_include_pad=False``: its number of cells inside the input
      itself, so zero padding does not pull averages at the border down;
    - ``divisor_override`` (any non-zero integer, as in PyTorch): that number,
      for every window.

    Returns y: (N, C, OH, OW) (or (C, OH, OW)). The numbers of
    :func:`avg_pool2d_naive`, computed faster.

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> avg_pool2d(x, 2)[0, 0]
    array([[3.25, 5.25],
           [2.  , 2.  ]])
    >>> avg_pool2d(np.ones((1, 2, 2)), 2, stride=1, padding=1, count_include_pad=False)[0]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisors(x, geometry, count_include_pad, divisor_override)
    return _result(fast.avg_pool(x, geometry, divisor), unbatched)


def avg_pool2d_backward(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Gradient of a scalar loss through :func:`avg_pool2d`.

    grad_y: (N, C, OH, OW) (or (C, OH, OW)); x and the settings as given to
    avg_pool2d. Returns grad_x, shaped like x: every input cell of a window
    receives ``grad_y / divisor`` (the window's divisor, as in the forward
    pass); overlapping windows add up; padding receives nothing. The numbers
    of :func:`avg_pool2d_backward_naive`, computed faster.

    >>> avg_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), 2, stride=1)[0, 0]
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode)
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    divisor = _avg_divisors(x, geometry, count_include_pad, divisor_override)
    return _result(fast.avg_pool_backward(grad_y, x, geometry, divisor), unbatched)


def _avg_divisors(x, geometry, count_include_pad, divisor_override):
    """What every window's sum is divided by: one number, or (OH, OW) numbers.

    PyTorch's rule per axis: the window starting at ``r * S - P`` (input
    coordinates) ends at ``min(start + K, n + P)``, the end of the padding;
    with ``count_include_pad=False`` only the part inside 0..n counts.
    """
    count_include_pad = as_flag(count_include_pad, "count_include_pad")
    divisor = _divisor_override(divisor_override)
    if divisor is not None:
        return divisor
    full = geometry.kernel[0] * geometry.kernel[1]
    if geometry.padding == (0, 0) and all(
        (o - 1) * s + k <= n
        for n, k, s, o in zip(x.shape[2:], geometry.kernel, geometry.stride, geometry.out)
    ):
        return full  # no padding, no window past the end: every window is whole
    lengths = []
    for n, k, s, p, o in zip(
        x.shape[2:], geometry.kernel, geometry.stride, geometry.padding, geometry.out
    ):
        starts = np.arange(o) * s - p
        ends = np.minimum(starts + k, n + p)
        if not count_include_pad:
            starts, ends = np.maximum(starts, 0), np.minimum(ends, n)
        lengths.append(ends - starts)
    divisors = lengths[0][:, None] * lengths[1][None, :]
    if np.all(divisors == full):
        return full  # every window counts KH * KW cells: one number will do
    return divisors.astype(x.dtype)


def _divisor_override(divisor_override):
    """None, or divisor_override checked: any non-zero integer (negative ones too, as PyTorch)."""
    if divisor_override is None:
        return None
    divisor = as_int(divisor_override, "divisor_override")
    if divisor == 0:
        raise ValueError("divisor_override must not be 0: every window's sum is divided by it")
    return divisor


# --- min pooling ---------------------------------------------------------------------------


def min_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Min pooling: the smallest value of every window (padding adds +inf).

    Useful for dark features on a bright background; it is max pooling of -x,
    negated. Arguments, shapes and ``return_indices`` as :func:`max_pool2d`
    (indices point at each window's first minimum in row-major order; in a
    window holding nan, at its last nan).

    >>> x = np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]])
    >>> min_pool2d(x, 2)[0, 0]
    array([[1., 2.],
           [1., 0.]])
    >>> y, indices = min_pool2d(x, 2, return_indices=True)
    >>> indices[0, 0]  # the first 1 of the top left window is x[0, 0], flat 0
    array([[ 0,  2],
           [12, 11]])
    """
    x = as_array(x, "x")
    pooled = max_pool2d(-x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    if return_indices:
        negated_minima, indices = pooled
        return -negated_minima, indices
    return -pooled


def min_pool2d_backward(
    grad_y,
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Gradient through :func:`min_pool2d`: each window's gradient goes to its
    first minimum in row-major order (the position min_pool2d returns as its
    index). Arguments and shapes as :func:`max_pool2d_backward`.

    >>> x = np.array([[[[4.0, 1.0], [1.0, 3.0]]]])
    >>> min_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0]
    array([[0., 1.],
           [0., 0.]])
    """
    x = as_array(x, "x")
    settings = (stride, padding, dilation, ceil_mode, return_indices)
    return max_pool2d_backward(grad_y, -x, kernel_size, *settings)


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


def pool_output_size(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> int:
    """Output length of pooling along one axis, stride defaulting to the kernel size.

    ``(n + 2P - D(K - 1) - 1) // S + 1``, or rounded up with ``ceil_mode=True``
    (a last window starting inside the input or the left padding may run
    past the end, as in PyTorch); padding must be at most half the kernel.

    >>> pool_output_size(55, 3, 2), pool_output_size(27, 3, 2), pool_output_size(13, 3, 2)
    (27, 13, 6)
    >>> pool_output_size(112, 3, 2), pool_output_size(112, 3, 2, ceil_mode=True)  # GoogLeNet
    (55, 56)
    """
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    stride = kernel_size if stride is None else as_int(stride, "stride", 1)
    padding = as_int(padding, "padding", 0)
    if 2 * padding > kernel_size:
        raise ValueError(
            f"padding {padding} is more than half the kernel size {kernel_size}: "
            f"pooling padding must be at most {kernel_size // 2} (as in PyTorch)"
        )
    return output_size(n, kernel_size, stride, padding, dilation, ceil_mode)


# --- arguments, output sizes and the result's shape --------------------------------------


def _pool_pair(value, name, minimum):
    """(rows, cols) from an int, a 1-tuple (used for both, as PyTorch) or a pair."""
    if type(value) is int and value >= minimum:  # the common case, checked quickly
        return (value, value)
    if isinstance(value, tuple | list) and len(value) == 1:
        value = value[0]
    return as_pair(value, name, minimum)


class _Geometry(NamedTuple):
    """Checked pooling settings, each a (rows, cols) pair; ``out`` is (OH, OW)."""

    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out: tuple

    @property
    def extent(self):
        """The dilated window size (rows, cols): D * (K - 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))


def _pool_arguments(x, kernel_size, stride, padding, dilation=1, ceil_mode=False, name="x"):
    """Validate pooling arguments; return (x as (N, C, H, W), unbatched, geometry)."""
    x = as_array(x, name, (3, 4))
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if 0 in x.shape:
        raise ValueError(f"{name} must not have an empty dimension, got shape {x.shape}")
    kernel = _pool_pair(kernel_size, "kernel_size", 1)
    # stride None (or PyTorch's empty list) means windows side by side
    no_stride = stride is None or (isinstance(stride, tuple | list) and len(stride) == 0)
    stride = kernel if no_stride else _pool_pair(stride, "stride", 1)
    padding = _pool_pair(padding, "padding", 0)
    dilation = _pool_pair(dilation, "dilation", 1)
    ceil_mode = as_flag(ceil_mode, "ceil_mode")
    out = []
    for axis, n, k, s, p, d in zip(
        ("height", "width"), x.shape[2:], kernel, stride, padding, dilation
    ):
        if 2 * p > k:
            raise ValueError(
                f"padding {p} along {axis} is more than half the kernel size {k}: "
                f"pooling padding must be at most {k // 2} (as in PyTorch)"
            )
        out.append(output_size(n, k, s, p, d, ceil_mode, axis=axis))
        if d == 1:
            continue  # an undilated window always covers an input cell
        # With dilation, a window may step over the whole input and read only
        # padding; PyTorch then returns -inf and an index outside the input.
        starts = np.arange(out[-1]) * s - p
        first = fast.first_inside(starts, d)
        empty = (first >= n) | (first > starts + d * (k - 1))
        if empty.any():
            r = int(np.argmax(empty))
            cells = [int(starts[r]) + d * i for i in range(k)]
            text = (
                ", ".join(map(str, cells))
                if k <= 4
                else f"{cells[0]}, {cells[1]}, ..., {cells[-1]}"
            )
            raise ValueError(
                f"window {r} along {axis} reads cells {text} (dilation {d}, padding {p}): all "
                f"are padding, outside the input's 0..{n - 1}; every window must cover at least "
                f"one input cell"
            )
    return x, unbatched, _Geometry(kernel, stride, padding, dilation, tuple(out))


def _check_grad_y(grad_y, x, unbatched, out, name="grad_y"):
    """grad_y shaped like the output: (N, C, OH, OW), or (C, OH, OW) for unbatched x."""
    expected = (*x.shape[:2], *out)
    grad_y = as_array(grad_y, name, 3 if unbatched else 4)
    if grad_y.shape != expected[unbatched:]:
        raise ValueError(
            f"{name} must have the output's shape {expected[unbatched:]}, got {grad_y.shape}"
        )
    return (grad_y[None] if unbatched else grad_y).astype(x.dtype, copy=False)


def _result(array, unbatched):
    """Drop the batch axis again for an unbatched input."""
    return array[0] if unbatched else array


__all__ = [
    "max_pool2d_naive",
    "max_pool2d_backward_naive",
    "avg_pool2d_naive",
    "avg_pool2d_backward_naive",
    "max_pool2d",
    "max_pool2d_backward",
    "max_unpool2d",
    "max_unpool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "min_pool2d",
    "min_pool2d_backward",
    "channel_max_pool",
    "channel_max_pool_backward",
    "pool_matrix",
    "pool_output_size",
]
