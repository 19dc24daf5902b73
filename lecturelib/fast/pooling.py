"""The fast paths behind lecturelib.pooling's max and average pooling.

The readable references are in :mod:`lecturelib.pooling` (``max_pool2d_naive``
and friends: one loop step per window). The functions here give the same
numbers much faster; they take an input already checked by
:mod:`lecturelib.pooling` (always (N, C, H, W)) and its pooling ``geometry``
(kernel, stride, padding, dilation and output size, each a (rows, cols)
pair), and the tests compare them with the references.

Two ideas make them fast:

- One kernel offset at a time instead of one window at a time. For offset
  (i, j) the values ``x_padded[:, :, i * DH::SH, j * DW::SW]`` (cut to OH x OW)
  are the (i, j)-th cell of every window at once, so a window reduction
  becomes KH * KW vectorised steps, and the backward pass adds gradients
  back through the same slices (or, for max pooling, through the indices of
  the maxima).
- The usual case in a CNN, windows side by side that cover the input exactly
  (e.g. 2 x 2 windows at stride 2 on 28 x 28): the input then *is*, without
  any copy, a 6-D array ``(N, C, OH, KH, OW, KW)`` (window row r, row i inside
  the window, window column s, column j inside the window); every input
  belongs to exactly one window, so the gradients can be written once
  instead of added up, and the work is done a few images at a time so that
  the temporaries stay in the CPU cache.
"""

from __future__ import annotations

import numpy as np

# --- padding and the kernel offsets ------------------------------------------------------


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


def _padded_shape(x_shape, geometry):
    """Shape of :func:`_padded`'s result for an input of shape x_shape."""
    n, c, h, w = x_shape
    (ph, pw), (sh, sw), (oh, ow) = geometry.padding, geometry.stride, geometry.out
    (eh, ew) = geometry.extent
    return (n, c, max(h + 2 * ph, (oh - 1) * sh + eh), max(w + 2 * pw, (ow - 1) * sw + ew))


def first_inside(starts, dilation):
    """For windows starting at ``starts`` (input coordinates, negative in the padding),
    the first of their cells (every ``dilation``-th) that lies inside the input."""
    before = np.maximum(-starts, 0)
    return starts + dilation * ((before + dilation - 1) // dilation)


# --- max pooling -------------------------------------------------------------------------


def max_pool(x, geometry):
    """max_pool2d of a checked x (N, C, H, W): y (N, C, OH, OW)."""
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _tiled_max(tiles)
    # the values alone: the (i, j)-th cell of every window at once, kept if larger
    xp = _padded(x, geometry, -np.inf)
    y = None
    for _, _, rows, cols in _offset_slices(geometry):
        if y is None:
            y = xp[:, :, rows, cols].copy()
        else:
            np.maximum(y, xp[:, :, rows, cols], out=y)
    return y


def max_pool_backward(grad_y, x, geometry):
    """max_pool2d_backward for a checked grad_y (N, C, OH, OW) and x: grad_x (N, C, H, W)."""
    tiles = _tiles(x, geometry)
    # The tiled path multiplies grad_y by each cell's 0/1 win, and inf * 0 is
    # nan: an infinite or nan gradient must reach its window's winner alone.
    if tiles is not None and np.isfinite(grad_y).all():
        return _tiled_max_backward(grad_y, tiles).reshape(x.shape)
    _, indices = max_pool_with_indices(x, geometry)
    return _scatter_add(grad_y, indices, x.shape)


def max_pool_with_indices(x, geometry):
    """Max pooling of x (N, C, H, W) and the flat index of every maximum (first on a
    tie): (y, indices), both (N, C, OH, OW)."""
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
            larger |= np.isnan(part)  # PyTorch: a nan beats any number and any earlier nan
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
        inside = first_inside(first_rows, dh) * width + first_inside(first_cols, dw)
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

    Max pooling's fast paths work on a few images at a time: their masks and
    other temporaries then stay small enough for the CPU cache and are
    reused from one chunk to the next instead of being fetched fresh from
    the operating system (without chunks its backward pass ran three times
    slower).
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


def _later_winners(parts, need_maximum=True, nan_wins=False):
    """Which of several equally shaped arrays holds the elementwise maximum first.

    Returns (best, winners): ``best`` the elementwise maximum (None when
    ``need_maximum`` is False) and ``winners`` one boolean mask for each part
    after the first, True where that part holds the maximum and no earlier
    part does (PyTorch's tie rule). The first part wins wherever no mask is
    True, so it needs no mask of its own. The running maximum is kept in
    ``parts[0]``, which is overwritten. With ``nan_wins`` (needed only when
    the parts hold nan), a nan beats any number and any earlier nan, as in
    PyTorch; the maximum is then nan too.
    """
    best = parts[0]
    winners = []
    for k, part in enumerate(parts[1:], start=1):
        later = part > best  # strictly larger: on a tie the earlier part keeps the win
        if nan_wins:
            later |= np.isnan(part)
        if winners:
            earlier = ~later
            for winner in winners:
                winner &= earlier
        winners.append(later)
        if need_maximum or k < len(parts) - 1:
            best = np.maximum(best, part, out=parts[0])
    return (best if need_maximum else None), winners


def _pass_to_winners(grad, winners, outs):
    """outs[k] = grad where part k wins, 0 elsewhere (``winners`` as _later_winners gives them).

    The masks are made 0/1 numbers of grad's type before multiplying: numpy
    multiplies a float array by a boolean one through a conversion buffer,
    about twice as slowly as by a float array. The first part gets what is
    left, grad minus the others' shares: exactly grad or exactly 0, since a
    finite number minus zeros is itself and minus itself is 0 (the caller
    sends infinite and nan gradients elsewhere).
    """
    if not winners:  # a single part wins everywhere
        outs[0][...] = grad
        return
    number = np.empty(winners[0].shape, dtype=grad.dtype)
    for winner, out in zip(winners, outs[1:]):
        number[...] = winner
        np.multiply(grad, number, out=out)
    np.subtract(grad, outs[1], out=outs[0])
    for out in outs[2:]:
        outs[0] -= out


def _columns(tiles, images):
    """Column j of every window of the chunk ``images``, one fresh (n, C, OH, KH, OW)
    array per j: numpy compares contiguous arrays about three times as fast as
    every KW-th number, and the copy is cheap."""
    return [tiles[images, ..., j].copy() for j in range(tiles.shape[5])]


def _tiled_max_backward(grad_y, tiles):
    """max_pool2d_backward on tiles (N, C, OH, KH, OW, KW): the gradient of tiles.

    The first maximum of a window in row-major order lies in the first row
    holding the window's maximum, in the first column of that row holding
    the row's maximum: the winners are found row by row (the forward pass's
    column-first order would break ties the wrong way). grad_y must be finite.
    """
    kh, kw = tiles.shape[3], tiles.shape[5]
    grad_tiles = np.empty(tiles.shape, dtype=grad_y.dtype)
    for images in _image_chunks(tiles):
        # which column wins inside every window row (n, C, OH, KH, OW), then which row wins
        row_maxima, column_winners = _later_winners(_columns(tiles, images))
        # a nan anywhere makes some window row's maximum nan; then (rarely) the
        # columns' winners are found again by PyTorch's nan rule
        nan_wins = bool(np.isnan(row_maxima.max()))
        if nan_wins:
            row_maxima, column_winners = _later_winners(_columns(tiles, images), nan_wins=True)
        rows = [row_maxima[:, :, :, i] for i in range(kh)]
        _, row_winners = _later_winners(rows, need_maximum=False, nan_wins=nan_wins)
        # grad_y goes to the winning row, then inside that row to the winning column
        grad_rows = np.empty(row_maxima.shape, dtype=grad_y.dtype)  # (n, C, OH, KH, OW)
        _pass_to_winners(grad_y[images], row_winners, [grad_rows[:, :, :, i] for i in range(kh)])
        grad_columns = [grad_tiles[images, ..., j] for j in range(kw)]
        _pass_to_winners(grad_rows, column_winners, grad_columns)
    return grad_tiles


# --- average pooling ---------------------------------------------------------------------


def avg_pool(x, geometry, divisor):
    """avg_pool2d of a checked x (N, C, H, W); divisor: one number or (OH, OW) numbers."""
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _tiled_avg(tiles, divisor)
    xp = _padded(x, geometry, 0.0)
    total = None
    for _, _, rows, cols in _offset_slices(geometry):
        # the (i, j)-th element of every window, added in row-major order
        if total is None:
            total = xp[:, :, rows, cols].copy()
        else:
            total += xp[:, :, rows, cols]
    total /= divisor
    return total


def avg_pool_backward(grad_y, x, geometry, divisor):
    """avg_pool2d_backward for a checked grad_y (N, C, OH, OW) and x: grad_x (N, C, H, W)."""
    tiles = _tiles(x, geometry)
    if tiles is not None:
        return _tiled_avg_backward(grad_y, tiles.shape, divisor).reshape(x.shape)
    share = grad_y / divisor
    grad_xp = np.zeros(_padded_shape(x.shape, geometry), dtype=x.dtype)
    for _, _, rows, cols in _offset_slices(geometry):
        grad_xp[:, :, rows, cols] += share
    return _unpad(grad_xp, x.shape, geometry.padding)


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
    """avg_pool2d of tiles (N, C, OH, KH, OW, KW): y (N, C, OH, OW).

    The whole batch at once: unlike max pooling, the sums need no large
    temporaries, and splitting the batch into chunks only added calls (the
    benchmark's 64 x 16 x 28 x 28 ran about a tenth slower in 1 MB chunks).
    """
    kh, kw = tiles.shape[3], tiles.shape[5]
    # the elements of every window, added in row-major order (as PyTorch adds them)
    parts = [tiles[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]
    sums = np.add(parts[0], parts[1]) if len(parts) > 1 else parts[0].copy()
    for part in parts[2:]:
        sums += part
    return _divide(sums, divisor, out=sums)


def _tiled_avg_backward(grad_y, tiles_shape, divisor):
    """avg_pool2d_backward for tiled windows: the gradient of tiles (N, C, OH, KH, OW, KW).

    Every cell of window (r, s) gets the same share grad_y[r, s] / divisor.
    Built as rows: each share written KW times side by side (one long strided
    copy per column j), which makes one input row of shares; then every such
    row repeated KH times. Long copies, where writing column j of every window
    directly would run numpy's inner loop over only OW cells at a time (half
    again as slow on the benchmark's 64 x 16 x 28 x 28).
    """
    n, c, oh, kh, ow, kw = tiles_shape
    share = _divide(grad_y, divisor).reshape(-1)
    row = np.empty((share.size, kw), dtype=grad_y.dtype)  # (N * C * OH * OW, KW)
    for j in range(kw):
        row[:, j] = share
    rows = row.reshape(n * c * oh, 1, ow * kw)  # one input row per window row
    return np.repeat(rows, kh, axis=1).reshape(tiles_shape)
