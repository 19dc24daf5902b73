"""The fast convolutions: im2col, "wide rows" and col2im, vectorised with numpy.

:mod:`lecturelib.convolution` is the lesson: its ``*_naive`` functions loop
over output positions and kernel taps as the lecture does, and its public
functions (``conv2d``, ``conv2d_backward``, ...) check their arguments there
and then call the entry points below, which compute the same numbers with a
few large matrix products instead of many small ones:

- im2col: copy every kernel window into a column (no copy in the view,
  :func:`_windows`), so a convolution is one matrix product per image; its
  gradient with respect to the input adds every column back onto its window
  (col2im, :func:`_col2im`).
- "wide rows" at stride 1 (:class:`_WideBuffers`): the columns are shifted
  copies of one flat buffer, so both copies are a few long, contiguous
  operations (the comment above :data:`_CHUNK_BYTES` explains it).
- the transposed convolution scatters with col2im and reads its gradient with
  im2col.

Every entry point takes the checked arguments of ``lecturelib.convolution``
(``_conv_arguments`` / ``_transpose_arguments``: arrays of one float dtype,
a batch axis always present, stride, padding and dilation as tuples) and
returns batched arrays; removing the batch axis for unbatched input is left to
the caller. tests/test_convolution_references.py checks every one equal to
its readable reference on random cases.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

# --- entry points: checked arguments in, batched arrays out -----------------------------


def conv2d_checked(a):
    """conv2d on checked arguments (batched, 2-D): extra 'same' padding, groups."""
    x = _pad_after(a.x, a.extra)
    if a.groups == 1:
        return _conv2d_fast(x, a.w, a.b, a.stride, a.padding, a.dilation, a.y_shape)
    # groups > 1: every group is an ordinary convolution on its own channels
    n, f, oh, ow = a.y_shape
    y = np.empty(a.y_shape, dtype=x.dtype)
    for inputs, outputs in _group_slices(a.groups, a.w.shape[1], f // a.groups):
        y[:, outputs] = _conv2d_fast(
            np.ascontiguousarray(x[:, inputs]),
            np.ascontiguousarray(a.w[outputs]),
            None if a.b is None else a.b[outputs],
            a.stride,
            a.padding,
            a.dilation,
            (n, f // a.groups, oh, ow),
        )
    return y


def conv2d_backward_checked(grad_y, a):
    """conv2d_backward on checked arguments (batched, 2-D): extra 'same' padding, groups."""
    x = _pad_after(a.x, a.extra)
    if a.groups == 1:
        grad_x, grad_w, grad_b = _conv2d_backward_fast(
            grad_y, x, a.w, a.b, a.stride, a.padding, a.dilation
        )
    else:
        grad_x = np.empty(x.shape, dtype=x.dtype)
        grad_w = np.empty(a.w.shape, dtype=x.dtype)
        grad_b = None if a.b is None else np.empty(a.b.shape, dtype=x.dtype)
        f = a.w.shape[0]
        for inputs, outputs in _group_slices(a.groups, a.w.shape[1], f // a.groups):
            grad_x[:, inputs], grad_w[outputs], group_grad_b = _conv2d_backward_fast(
                np.ascontiguousarray(grad_y[:, outputs]),
                np.ascontiguousarray(x[:, inputs]),
                np.ascontiguousarray(a.w[outputs]),
                None if a.b is None else a.b[outputs],
                a.stride,
                a.padding,
                a.dilation,
            )
            if grad_b is not None:
                grad_b[outputs] = group_grad_b
    if a.extra != (0, 0):  # the extra 'same' zeros are not part of x
        h, w = a.x.shape[2:]
        grad_x = np.ascontiguousarray(grad_x[:, :, :h, :w])
    return grad_x, grad_w, grad_b


def conv1d_checked(a):
    """conv1d on checked arguments: the 2-D code on images of height 1."""
    return conv2d_checked(_as_2d(a)).reshape(a.y_shape)


def conv1d_backward_checked(grad_y, a):
    """conv1d_backward on checked arguments; grad_y (N, F, OL)."""
    grad_x, grad_w, grad_b = conv2d_backward_checked(grad_y[:, :, None, :], _as_2d(a))
    return grad_x[:, :, 0, :], grad_w[:, :, 0, :], grad_b


def conv_transpose2d_checked(a):
    """conv_transpose2d on checked (batched, 2-D) arguments, one group at a time."""
    n, f, oh, ow = a.y_shape
    y = np.empty(a.y_shape, dtype=a.x.dtype)
    for inputs, outputs in _group_slices(a.groups, a.x.shape[1] // a.groups, a.w.shape[1]):
        y[:, outputs] = _conv_transpose2d_fast(
            np.ascontiguousarray(a.x[:, inputs]),
            np.ascontiguousarray(a.w[inputs]),
            a.stride,
            a.padding,
            a.dilation,
            a.full,
            (oh, ow),
        )
    if a.b is not None:
        y += a.b[None, :, None, None]
    return y


def conv_transpose2d_backward_checked(grad_y, a):
    """conv_transpose2d_backward on checked arguments (batched, 2-D), one group at a time."""
    grad_x = np.empty(a.x.shape, dtype=a.x.dtype)
    grad_w = np.empty(a.w.shape, dtype=a.x.dtype)
    for inputs, outputs in _group_slices(a.groups, a.x.shape[1] // a.groups, a.w.shape[1]):
        grad_x[:, inputs], grad_w[inputs] = _conv_transpose2d_backward_fast(
            grad_y[:, outputs],
            np.ascontiguousarray(a.x[:, inputs]),
            np.ascontiguousarray(a.w[inputs]),
            a.stride,
            a.padding,
            a.dilation,
            a.full,
        )
    grad_b = grad_y.sum(axis=(0, 2, 3)) if a.b is not None else None
    return grad_x, grad_w, grad_b


def conv_transpose1d_checked(a):
    """conv_transpose1d on checked arguments: the 2-D code on images of height 1."""
    return conv_transpose2d_checked(_as_2d(a)).reshape(a.y_shape)


def conv_transpose1d_backward_checked(grad_y, a):
    """conv_transpose1d_backward on checked arguments; grad_y (N, F, OL)."""
    grad_x, grad_w, grad_b = conv_transpose2d_backward_checked(grad_y[:, :, None, :], _as_2d(a))
    return grad_x[:, :, 0, :], grad_w[:, :, 0, :], grad_b


# --- helpers shared by the entry points ---------------------------------------------------


# a 1-D argument as a 2-D one on images of height 1: the value it takes along the height
_HEIGHT_ONE = {"stride": 1, "padding": 0, "extra": 0, "output_padding": 0, "dilation": 1, "full": 1}


def _as_2d(a):
    """1-D arguments (of a convolution or a transposed one) as 2-D ones on images of height 1.

    Same data, no copy: x, w and the output get a height axis of length 1.
    """
    height_one = {
        name: (value, *getattr(a, name)) for name, value in _HEIGHT_ONE.items() if name in a._fields
    }
    return a._replace(
        x=a.x[:, :, None, :],
        w=a.w[:, :, None, :],
        y_shape=(a.y_shape[0], a.y_shape[1], 1, a.y_shape[2]),
        **height_one,
    )


def _group_slices(groups, in_per_group, out_per_group):
    """(input channels, output channels) of every group, as slices."""
    return [
        (
            slice(g * in_per_group, (g + 1) * in_per_group),
            slice(g * out_per_group, (g + 1) * out_per_group),
        )
        for g in range(groups)
    ]


def _pad_after(x, extra):
    """x (N, C, H, W) with extra[0] rows of zeros below and extra[1] columns on the right."""
    if extra == (0, 0):
        return x
    return np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))


# --- one group, 2-D: wide rows at stride 1, else im2col ----------------------------------


def _conv2d_fast(x, w, b, stride, padding, dilation, y_shape):
    """conv2d for one group on checked arguments: wide rows at stride 1, else im2col."""
    if stride == (1, 1):
        return _conv2d_wide(x, w, b, padding, dilation, y_shape)
    n, f, oh, ow = y_shape
    kernel = w.shape[2:]
    cols = _im2col(x, kernel, stride, padding, dilation, (oh, ow))  # (N, CKK, P)
    y = np.matmul(w.reshape(f, -1), cols)  # (F, CKK) @ (N, CKK, P) -> (N, F, P)
    if b is not None:
        y += b[:, None]
    return y.reshape(y_shape)


def _conv2d_backward_fast(grad_y, x, w, b, stride, padding, dilation):
    """conv2d_backward for one group on checked arguments (grad_y of the right shape)."""
    if stride == (1, 1):
        return _conv2d_wide_backward(grad_y, x, w, b, padding, dilation)
    n, f, oh, ow = grad_y.shape
    kernel = w.shape[2:]
    grad_y = grad_y.reshape(n, f, oh * ow)
    cols = _im2col(x, kernel, stride, padding, dilation, (oh, ow))  # (N, CKK, P)
    # grad_w[f, k] = sum over n, p of grad_y[n, f, p] * cols[n, k, p]
    grad_w = np.matmul(grad_y, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    # every column's gradient: grad_cols[n, k, p] = sum over f of w[f, k] * grad_y[n, f, p]
    grad_cols = np.matmul(w.reshape(f, -1).T, grad_y)
    grad_x = _col2im(grad_cols, x.shape, kernel, stride, padding, dilation, (oh, ow))
    grad_b = grad_y.sum(axis=(0, 2)) if b is not None else None
    return np.ascontiguousarray(grad_x), grad_w, grad_b


# --- im2col: every kernel window as a column ------------------------------------------


def _pad2d(x, padding, value=0.0):
    """Return x (N, C, H, W) with ``padding`` (rows, cols) cells of ``value`` around it."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = x
    return padded


def _windows(xp, kernel, stride, dilation, out):
    """A read-only view (N, C, KH, KW, OH, OW) of every kernel window of xp.

    ``windows[n, c, i, j, r, s] == xp[n, c, r * SH + i * DH, s * SW + j * DW]``:
    no data is copied, only strides are set.
    """
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(
        xp,
        shape=(n, c, kernel[0], kernel[1], out[0], out[1]),
        strides=(s_n, s_c, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
        writeable=False,
    )


def _im2col(x, kernel, stride, padding, dilation, out):
    """Columns (N, C * KH * KW, OH * OW): one column per output position."""
    windows = _windows(_pad2d(x, padding), kernel, stride, dilation, out)
    n, c = x.shape[:2]
    return windows.reshape(n, c * kernel[0] * kernel[1], out[0] * out[1])  # copies


def _col2im(grad_cols, x_shape, kernel, stride, padding, dilation, out):
    """Inverse of im2col for gradients: add every column back onto its window.

    grad_cols (N, C * KH * KW, OH * OW) -> grad_x (N, C, H, W). Windows overlap,
    so contributions are summed: one strided slice per kernel offset (i, j).
    """
    n, c, h, w = x_shape
    kh, kw = kernel
    (sh, sw), (ph, pw), (dh, dw), (oh, ow) = stride, padding, dilation, out
    grad_cols = grad_cols.reshape(n, c, kh, kw, oh, ow)
    grad_xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad_cols.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            grad_xp[:, :, rows, cols] += grad_cols[:, :, i, j]
    return grad_xp[:, :, ph : ph + h, pw : pw + w]


# --- the stride-1 fast path: "wide rows" ------------------------------------------------
#
# im2col copies every window into a column; with numpy that copy and the
# col2im scatter run row by row (OW numbers at a time) and cost more than the
# matrix product itself. For stride 1 there is a trick that turns both into a
# few long, contiguous operations. Lay a zero-padded image out flat, row
# after row (Hp * Wp numbers). Kernel cell (i, j) then reads, for *every*
# output position at once, the same flat array shifted by
# ``offset = i * DH * Wp + j * DW``: the columns are KH * KW shifted copies of
# one flat array. The price: we compute an output at every position of the
# padded image, including Wp - OW extra columns per row and Hp - OH extra
# rows per image that are simply dropped ("wide rows"). Images of a batch
# chunk and their channels are laid end to end, channel-major, so a shift
# never leaves the flat buffer; valid outputs only ever read their own image.
# Chunks of a few images keep every buffer in the CPU cache.

_CHUNK_BYTES = 512 * 1024  # size of the columns buffer per chunk of images


def _wide_geometry(x_shape, w_shape, padding, dilation, itemsize=8):
    n, c, h, w = x_shape
    kh, kw = w_shape[2:]
    hp, wp = h + 2 * padding[0], w + 2 * padding[1]
    offsets = [i * dilation[0] * wp + j * dilation[1] for i in range(kh) for j in range(kw)]
    chunk = max(1, min(n, _CHUNK_BYTES // (itemsize * kh * kw * c * hp * wp)))
    return hp, wp, offsets, chunk


class _WideBuffers:
    """Reusable flat buffers for one call: padded input and its shifted columns."""

    def __init__(self, x, w_shape, padding, dilation):
        self.x, self.padding, self.dilation = x, padding, dilation
        self.kernel = w_shape[2:]
        self.c, self.h, self.w = x.shape[1:]
        self.hp, self.wp, self.offsets, self.chunk = _wide_geometry(
            x.shape, w_shape, padding, dilation, x.itemsize
        )
        image = self.hp * self.wp
        size = self.c * self.chunk * image
        self.padded = np.zeros(size + self.offsets[-1], dtype=x.dtype)
        self.columns = np.empty(len(self.offsets) * size, dtype=x.dtype)
        self.filled_with = None  # chunk length the padded buffer is laid out for

    def columns_for(self, start, stop):
        """Columns (KH * KW * C, n * Hp * Wp) of images start:stop, rows ordered (i, j, c)."""
        n = stop - start
        size = self.c * n * self.hp * self.wp
        if self.filled_with != n:  # a shorter last chunk moves the images: clear stale values
            self.padded.fill(0)
            self.filled_with = n
        ph, pw = self.padding
        images = self.padded[:size].reshape(self.c, n, self.hp, self.wp)
        images[:, :, ph : ph + self.h, pw : pw + self.w] = self.x[start:stop].transpose(1, 0, 2, 3)
        # row (i, j) of the columns is the flat buffer shifted by i * DH * Wp + j * DW
        it = self.padded.itemsize
        shifted = as_strided(
            self.padded,
            shape=(self.kernel[0], self.kernel[1], size),
            strides=(self.dilation[0] * self.wp * it, self.dilation[1] * it, it),
            writeable=False,
        )
        columns = self.columns[: len(self.offsets) * size].reshape(shifted.shape)
        np.copyto(columns, shifted)
        return columns.reshape(len(self.offsets) * self.c, n * self.hp * self.wp)


def _per_image(matrix, images):
    """View a (rows, images * Hp * Wp) matrix as a stack (images, rows, Hp * Wp), no copy."""
    rows = matrix.shape[0]
    return matrix.reshape(rows, images, -1).transpose(1, 0, 2)


def _conv2d_wide(x, w, b, padding, dilation, y_shape):
    """conv2d at stride 1 by wide rows: one matrix product per image, in chunks."""
    n, f, oh, ow = y_shape
    buffers = _WideBuffers(x, w.shape, padding, dilation)
    hp, wp, chunk = buffers.hp, buffers.wp, buffers.chunk
    w_rows = w.transpose(0, 2, 3, 1).reshape(f, -1)  # (F, KH * KW * C), order (i, j, c)
    y_wide_buffer = np.empty(chunk * f * hp * wp, dtype=x.dtype)
    y = np.empty(y_shape, dtype=x.dtype)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        images = stop - start
        columns = _per_image(buffers.columns_for(start, stop), images)  # (n, KKC, Hp * Wp)
        y_wide = np.matmul(
            w_rows, columns, out=y_wide_buffer[: images * f * hp * wp].reshape(images, f, -1)
        )
        if b is not None:
            y_wide += b[:, None]
        y[start:stop] = y_wide.reshape(images, f, hp, wp)[:, :, :oh, :ow]  # drop the extras
    return y


def _conv2d_wide_backward(grad_y, x, w, b, padding, dilation):
    """conv2d_backward at stride 1 by wide rows; col2im is KH * KW shifted additions."""
    n, f, oh, ow = grad_y.shape
    c, h, width = x.shape[1:]
    kh, kw = w.shape[2:]
    ph, pw = padding
    buffers = _WideBuffers(x, w.shape, padding, dilation)
    hp, wp, offsets, chunk = buffers.hp, buffers.wp, buffers.offsets, buffers.chunk
    w_rows = w.transpose(0, 2, 3, 1).reshape(f, -1)  # (F, KH * KW * C), order (i, j, c)
    grad_w_rows = np.zeros(w_rows.shape, dtype=x.dtype)
    grad_x = np.empty(x.shape, dtype=x.dtype)
    # grad_y on the wide grid; the dropped positions stay 0, so they add nothing
    grad_wide_buffer = np.zeros(chunk * f * hp * wp, dtype=x.dtype)
    grad_columns_buffer = np.empty(len(offsets) * c * chunk * hp * wp, dtype=x.dtype)
    grad_padded = np.empty(c * chunk * hp * wp + offsets[-1], dtype=x.dtype)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        images, positions = stop - start, (stop - start) * hp * wp
        columns = _per_image(buffers.columns_for(start, stop), images)  # (n, KKC, Hp * Wp)
        grad_wide = grad_wide_buffer[: f * positions].reshape(images, f, hp * wp)
        grad_wide.reshape(images, f, hp, wp)[:, :, :oh, :ow] = grad_y[start:stop]
        # grad_w: sum over images of grad_y (F, P) @ columns.T (P, KKC)
        grad_w_rows += np.matmul(grad_wide, columns.transpose(0, 2, 1)).sum(axis=0)
        # gradient of every column, laid out like the columns: (KK, C, n, Hp * Wp)
        grad_columns = grad_columns_buffer[: len(offsets) * c * positions]
        np.matmul(w_rows.T, grad_wide, out=_per_image(grad_columns.reshape(-1, positions), images))
        # col2im: kernel cell k read the flat input shifted by offsets[k]; add back there
        grad_columns = grad_columns.reshape(len(offsets), c * positions)
        grad_padded.fill(0)
        for k, offset in enumerate(offsets):
            grad_padded[offset : offset + c * positions] += grad_columns[k]
        grad_images = grad_padded[: c * positions].reshape(c, images, hp, wp)
        grad_x[start:stop] = grad_images[:, :, ph : ph + h, pw : pw + width].transpose(1, 0, 2, 3)
    grad_w = grad_w_rows.reshape(f, kh, kw, c).transpose(0, 3, 1, 2).copy()
    grad_b = grad_y.reshape(n, f, -1).sum(axis=2).sum(axis=0) if b is not None else None
    return grad_x, grad_w, grad_b


# --- transposed convolution: scatter with col2im, gradient with im2col -------------------


def _crop_full(y_full, padding, out):
    """The transposed output: ``padding`` cut from the start of the full scatter, size ``out``.

    Rows/columns past the end of the full scatter (output_padding > padding) are zeros.
    """
    (ph, pw), (fh, fw) = padding, y_full.shape[2:]
    rows, cols = max(0, min(out[0], fh - ph)), max(0, min(out[1], fw - pw))
    y = np.zeros((*y_full.shape[:2], *out), dtype=y_full.dtype)
    y[:, :, :rows, :cols] = y_full[:, :, ph : ph + rows, pw : pw + cols]
    return y


def _uncrop(grad_y, padding, full):
    """Adjoint of :func:`_crop_full`: grad_y placed back onto the full scatter's grid."""
    (ph, pw), (oh, ow) = padding, grad_y.shape[2:]
    rows, cols = max(0, min(oh, full[0] - ph)), max(0, min(ow, full[1] - pw))
    grad_full = np.zeros((*grad_y.shape[:2], *full), dtype=grad_y.dtype)
    grad_full[:, :, ph : ph + rows, pw : pw + cols] = grad_y[:, :, :rows, :cols]
    return grad_full


def _conv_transpose2d_fast(x, w, stride, padding, dilation, full, out):
    """One group, no bias: all pixel-times-kernel copies in one product, then col2im."""
    n, c, h, width = x.shape
    f, kh, kw = w.shape[1:]
    # copies[n, (f, i, j), (r, s)] = sum over c of w[c, f, i, j] * x[n, c, r, s]
    copies = np.matmul(w.reshape(c, -1).T, x.reshape(n, c, h * width))
    # add copy (r, s) onto the full output at (r * SH + i * DH, s * SW + j * DW)
    y_full = _col2im(copies, (n, f, *full), (kh, kw), stride, (0, 0), dilation, (h, width))
    return _crop_full(y_full, padding, out)


def _conv_transpose2d_backward_fast(grad_y, x, w, stride, padding, dilation, full):
    """One group: (grad_x, grad_w); the copies' gradient is im2col of grad_y."""
    n, c, h, width = x.shape
    kh, kw = w.shape[2:]
    grad_full = _uncrop(grad_y, padding, full)
    # copy (r, s) landed on a kernel window of the full output: read its gradient there
    grad_copies = _im2col(grad_full, (kh, kw), stride, (0, 0), dilation, (h, width))
    grad_x = np.matmul(w.reshape(c, -1), grad_copies).reshape(x.shape)  # a conv2d of grad_y
    grad_w = np.matmul(x.reshape(n, c, -1), grad_copies.transpose(0, 2, 1)).sum(axis=0)
    return grad_x, grad_w.reshape(w.shape)
