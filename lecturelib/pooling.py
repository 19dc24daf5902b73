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

Every reference function below works one kernel offset at a time: for
offset (i, j) the values ``x_padded[:, :, i * DH::SH, j * DW::SW]`` (cut to
OH x OW) are the (i, j)-th element of every window at once, so a window
reduction becomes KH * KW vectorised steps, and the backward pass adds
gradients back through the same slices (or, for max pooling, through the
indices of the maxima).

The usual case in a CNN, windows side by side that cover the input exactly
(e.g. 2 x 2 windows at stride 2 on 28 x 28), has a faster path, kept apart
at the end of each section. The input then *is*, without any copy, a 6-D
array ``(N, C, OH, KH, OW, KW)`` (window row r, row i inside the window,
window column s, column j inside the window), every input belongs to
exactly one window, and the gradients can be written once instead of added
up. The fast paths give exactly the reference's numbers (tests compare them).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_flag, as_int, as_pair
from .convolution import output_size

# --- arguments, output sizes and padding ----------------------------------------------------


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
        first = _first_inside(starts, d)
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


def _padded(x, geometry, value):
    """x (N, C, H, W) with ``padding`` cells of ``value`` on every side, plus as many
    more at the bottom/right as a ceil-mode window running past the end needs."""
    n, c, h, w = x.shape
    (ph, pw), (sh, sw), (oh, ow) = geometry.padding, geometry.stride, geometry.out
    (eh, ew) = geometry.extent
    rows = max(h + 2 * ph, (oh - 1) * sh + eh)
    cols = max(w + 2 * pw, (ow - 1) * sw + ew)
    if (rows, cols) == (h, w):
        return x
    padded = np.full((n, c, rows, cols), value, dtype=x.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = x
    return padded


def _unpad(grad_xp, x_shape, padding):
    """Cut the padding off a gradient (a fresh array only when there was padding)."""
    (ph, pw), (h, w) = padding, x_shape[2:]
    if grad_xp.shape[2:] == (h, w):
        return grad_xp
    return grad_xp[:, :, ph : ph + h, pw : pw + w].copy()


def _offset_slices(geometry):
    """Yield (i, j, rows, cols): for kernel offset (i, j), the slices of the padded
    input holding the (i, j)-th element of every window, in row-major order."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = (
        geometry.kernel,
        geometry.stride,
        geometry.dilation,
        geometry.out,
    )
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i, j, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


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


def _padded_shape(x_shape, geometry):
    """Shape of :func:`_padded`'s result for an input of shape x_shape."""
    n, c, h, w = x_shape
    (ph, pw), (sh, sw), (oh, ow) = geometry.padding, geometry.stride, geometry.out
    (eh, ew) = geometry.extent
    return (n, c, max(h + 2 * ph, (oh - 1) * sh + eh), max(w + 2 * pw, (ow - 1) * sw + ew))


def _first_inside(starts, dilation):
    """For windows starting at ``starts`` (input coordinates, negative in the padding),
    the first of their cells (every ``dilation``-th) that lies inside the input."""
    before = np.maximum(-starts, 0)
    return starts + dilation * ((before + dilation - 1) // dilation)


# --- max pooling -------------------------------------------------------------------------


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
    (on a tie the first maximum in row-major order), as PyTorch returns it
    for :func:`max_unpool2d`.

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
        y, indices = _max_and_indices(x, geometry)
        return _result(y, unbatched), _result(indices, unbatched)
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _result(_tiled_max(tiles), unbatched)
    # the values alone: the (i, j)-th cell of every window at once, kept if larger
    xp = _padded(x, geometry, -np.inf)
    y = None
    for _, _, rows, cols in _offset_slices(geometry):
        if y is None:
            y = xp[:, :, rows, cols].copy()
        else:
            np.maximum(y, xp[:, :, rows, cols], out=y)
    return _result(y, unbatched)


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
    row-major order gets it (as PyTorch). When windows overlap, an input
    that is the maximum of several windows collects the sum.

    >>> x = np.array([[[[1.0, 3.0, 2.0], [3.0, 0.0, 1.0], [0.0, 2.0, 1.0]]]])
    >>> max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)[0, 0]
    array([[0., 2., 0.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, dilation, ceil_mode)
    as_flag(return_indices, "return_indices")
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _result(_tiled_max_backward(grad_y, tiles).reshape(x.shape), unbatched)
    _, indices = _max_and_indices(x, geometry)
    return _result(_scatter_add(grad_y, indices, x.shape), unbatched)


def _max_and_indices(x, geometry):
    """The reference max pooling of x (N, C, H, W): (y, indices), both (N, C, OH, OW)."""
    xp = _padded(x, geometry, -np.inf)
    # winner: the kernel offset (0 .. KH*KW - 1, row-major) holding y, in the
    # smallest unsigned type that holds it (uint8 up to 16 x 16 cells)
    winner_type = np.min_scalar_type(geometry.kernel[0] * geometry.kernel[1] - 1).type
    y = winner = None
    for k, (_, _, rows, cols) in enumerate(_offset_slices(geometry)):
        part = xp[:, :, rows, cols]
        if y is None:
            y, winner = part.copy(), np.zeros(part.shape, dtype=winner_type)
            larger = np.empty(part.shape, dtype=bool)
        else:
            np.greater(part, y, out=larger)  # strictly: on a tie the earlier offset keeps the win
            np.maximum(y, part, out=y)
            # offsets only grow, so the winner becomes k exactly where part is larger
            np.maximum(winner, larger.view(np.uint8) * winner_type(k), out=winner)
    # from (window, offset) to the flat position h * W + w in the input: window
    # (r, s) starts at row r * SH - PH and column s * SW - PW; offset (i, j)
    # lies i * DH rows and j * DW columns further on
    ((sh, sw), (ph, pw), (dh, dw), (oh, ow)) = (
        geometry.stride,
        geometry.padding,
        geometry.dilation,
        geometry.out,
    )
    width = x.shape[3]
    first_rows = np.arange(oh)[:, None] * sh - ph  # (OH, 1)
    first_cols = np.arange(ow)[None, :] * sw - pw  # (1, OW)
    offset_steps = np.array([i * dh * width + j * dw for i, j, _, _ in _offset_slices(geometry)])
    indices = offset_steps[winner]
    indices += first_rows * width + first_cols
    # A window whose every real value is -inf: PyTorch names its first cell
    # inside the input (a padded cell is never a maximum), so do we.
    all_minus_inf = y == -np.inf
    if all_minus_inf.any():
        inside = _first_inside(first_rows, dh) * width + _first_inside(first_cols, dw)
        indices = np.where(all_minus_inf, inside, indices)
    return y, indices


def _scatter_add(values, indices, shape):
    """Zeros of ``shape`` (N, C, H, W) with every value added at its flat index
    (``h * W + w``) in its own (n, c) plane; repeated indices add up, in the
    order of the values (as PyTorch adds them). ``indices`` is overwritten."""
    n, c, h, w = shape
    indices += np.arange(n * c).reshape(n, c, 1, 1) * (h * w)  # index into all planes at once
    sums = np.bincount(
        indices.ravel(),
        weights=values.ravel().astype(np.float64, copy=False),
        minlength=n * c * h * w,
    )
    return sums.reshape(shape).astype(values.dtype, copy=False)


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


# The fast path for windows that tile the input exactly, on the 6-D view
# tiles (N, C, OH, KH, OW, KW): tiles[:, :, :, i] is row i of every window,
# (N, C, OH, OW, KW), a set of whole input rows; a maximum over i gives every
# window column's maximum, and a maximum over j of those the window's.


def _tiles(x, geometry):
    """x as (N, C, OH, KH, OW, KW) if its windows sit side by side and cover it exactly
    (no padding, no dilation, stride = kernel), else None.

    ``tiles[n, c, r, i, s, j] == x[n, c, r * KH + i, s * KW + j]``: window
    (r, s), row i and column j inside it; a reshape, no data is copied.
    """
    (kh, kw), (oh, ow) = geometry.kernel, geometry.out
    if (
        geometry.stride != geometry.kernel
        or geometry.padding != (0, 0)
        or geometry.dilation != (1, 1)
        or x.shape[2:] != (oh * kh, ow * kw)
    ):
        return None
    return x.reshape(x.shape[0], x.shape[1], oh, kh, ow, kw)


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


def _tiled_max(tiles):
    """max_pool2d of tiles (N, C, OH, KH, OW, KW): y (N, C, OH, OW)."""
    n, c, oh, kh, ow, kw = tiles.shape
    y = np.empty((n, c, oh, ow), dtype=tiles.dtype)
    for images in _image_chunks(tiles):
        # the maximum down every window column (n, C, OH, OW, KW), then across them
        column_maxima = _maximum([tiles[images, :, :, i] for i in range(kh)])
        _maximum([column_maxima[..., j] for j in range(kw)], out=y[images])
    return y


def _first_maxima(parts, need_maximum=True):
    """Which of several equally shaped arrays holds the elementwise maximum first.

    Returns (best, winners): ``best`` the elementwise maximum (None when
    ``need_maximum`` is False) and ``winners`` one boolean mask per part,
    True where that part holds the maximum and no earlier part does
    (PyTorch's tie rule), so every element is won by exactly one part.
    """
    best = parts[0]
    winners = []
    for k, part in enumerate(parts[1:], start=1):
        later = part > best  # strictly larger: on a tie the earlier part keeps the win
        earlier = ~later
        if k == 1:
            winners.append(earlier)  # the first part wins wherever the second is not larger
        else:
            for winner in winners:
                winner &= earlier
        winners.append(later)
        if need_maximum or k < len(parts) - 1:
            best = np.maximum(best, part)
    if not winners:  # a single part wins everywhere
        winners.append(np.ones(best.shape, dtype=bool))
    return (best if need_maximum else None), winners


def _tiled_max_backward(grad_y, tiles):
    """max_pool2d_backward on tiles (N, C, OH, KH, OW, KW): the gradient of tiles.

    The first maximum of a window in row-major order lies in the first row
    holding the window's maximum, in the first column of that row holding
    the row's maximum: the winners are found row by row (the forward pass's
    column-first order would break ties the wrong way).
    """
    kh, kw = tiles.shape[3], tiles.shape[5]
    grad_tiles = np.empty(tiles.shape, dtype=grad_y.dtype)
    for images in _image_chunks(tiles):
        # which column wins inside every window row (n, C, OH, KH, OW), then which row wins
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

    Returns y: (N, C, OH, OW) (or (C, OH, OW)).

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
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _result(_tiled_avg(tiles, divisor), unbatched)
    xp = _padded(x, geometry, 0.0)
    total = None
    for _, _, rows, cols in _offset_slices(geometry):
        # the (i, j)-th element of every window, added in row-major order
        if total is None:
            total = xp[:, :, rows, cols].copy()
        else:
            total += xp[:, :, rows, cols]
    total /= divisor
    return _result(total, unbatched)


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
    pass); overlapping windows add up; padding receives nothing.

    >>> avg_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), 2, stride=1)[0, 0]
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]])
    """
    x, unbatched, geometry = _pool_arguments(x, kernel_size, stride, padding, 1, ceil_mode)
    grad_y = _check_grad_y(grad_y, x, unbatched, geometry.out)
    divisor = _avg_divisors(x, geometry, count_include_pad, divisor_override)
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _result(
            _tiled_avg_backward(grad_y, tiles.shape, divisor).reshape(x.shape), unbatched
        )
    share = grad_y / divisor
    grad_xp = np.zeros(_padded_shape(x.shape, geometry), dtype=x.dtype)
    for _, _, rows, cols in _offset_slices(geometry):
        grad_xp[:, :, rows, cols] += share
    return _result(_unpad(grad_xp, x.shape, geometry.padding), unbatched)


def _avg_divisors(x, geometry, count_include_pad, divisor_override):
    """What every window's sum is divided by: one number, or (OH, OW) numbers.

    PyTorch's rule per axis: the window starting at ``r * S - P`` (input
    coordinates) ends at ``min(start + K, n + P)``, the end of the padding;
    with ``count_include_pad=False`` only the part inside 0..n counts.
    """
    count_include_pad = as_flag(count_include_pad, "count_include_pad")
    if divisor_override is not None:
        divisor = as_int(divisor_override, "divisor_override")
        if divisor == 0:
            raise ValueError("divisor_override must not be 0: every window's sum is divided by it")
        return divisor  # PyTorch accepts any other integer, negative ones included
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


# The fast path for windows that tile the input exactly (see _tiles); every
# window then counts all its KH * KW cells, or divisor_override.


def _divide(values, divisor, out=None):
    """values / divisor (a positive int), bit for bit.

    Dividing by a power of two (4 for 2 x 2 windows) gives exactly the same
    numbers as multiplying by its reciprocal, which is exact too (0.25), and
    a multiplication is several times faster than a division.
    """
    if divisor & (divisor - 1) == 0:  # a power of two
        return np.multiply(values, 1.0 / divisor, out=out)
    return np.divide(values, divisor, out=out)


def _tiled_avg(tiles, divisor):
    """avg_pool2d of tiles (N, C, OH, KH, OW, KW): y (N, C, OH, OW)."""
    n, c, oh, kh, ow, kw = tiles.shape
    y = np.empty((n, c, oh, ow), dtype=tiles.dtype)
    for images in _image_chunks(tiles):
        # the elements of every window, added in row-major order (as PyTorch adds them)
        parts = [tiles[images, :, :, i, :, j] for i in range(kh) for j in range(kw)]
        sums = np.add(parts[0], parts[1] if len(parts) > 1 else 0.0, out=y[images])
        for part in parts[2:]:
            sums += part
        _divide(sums, divisor, out=sums)  # while this chunk is still in the cache
    return y


def _tiled_avg_backward(grad_y, tiles_shape, divisor):
    """avg_pool2d_backward for tiled windows: the gradient of tiles (N, C, OH, KH, OW, KW).

    Every cell of window (r, s) gets the same share grad_y[r, s] / divisor:
    one column j of every window at a time, broadcast down the KH rows.
    """
    grad_tiles = np.empty(tiles_shape, dtype=grad_y.dtype)
    for images in _image_chunks(grad_tiles):
        share = _divide(grad_y[images], divisor)
        for j in range(tiles_shape[5]):
            grad_tiles[images, ..., j] = share[:, :, :, None, :]
    return grad_tiles


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


__all__ = [
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
