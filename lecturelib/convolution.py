"""Convolution (really cross-correlation), forward and backward, in numpy.

A convolutional layer slides a small kernel over its input and, at every
position, takes the weighted sum of the values under the kernel. Deep-learning
libraries call this "convolution" although they do not flip the kernel: it is
cross-correlation, and so it is here (PyTorch's semantics throughout).

Layout and names (as in PyTorch):

- ``x``: input, ``(N, C, H, W)`` (batch, channels, height, width);
  ``(N, C, L)`` in 1-D.
- ``w``: kernels, ``(F, C, KH, KW)`` (filters, input channels, kernel rows,
  kernel columns); ``(F, C, K)`` in 1-D; ``(F, C / groups, KH, KW)`` with
  groups; ``(C, F / groups, KH, KW)`` for a transposed convolution.
- ``b``: one bias per filter, ``(F,)``.
- ``y``: output, ``(N, F, OH, OW)`` with
  ``OH = (H + 2 * padding - dilation * (KH - 1) - 1) // stride + 1``.

The module reads top to bottom:

1. The output-size formulas: :func:`output_size` and
   :func:`conv_transpose_output_size`.
2. The lesson, written as the lecture writes it (loops over output positions
   and kernel taps), each forward pass followed by its backward pass:
   :func:`conv1d_naive` / :func:`conv1d_backward_naive`,
   :func:`conv2d_naive` / :func:`conv2d_backward_naive`, and the transposed
   convolutions (every input pixel scatters a scaled copy of the kernel)
   :func:`conv_transpose1d_naive` / :func:`conv_transpose1d_backward_naive`,
   :func:`conv_transpose2d_naive` / :func:`conv_transpose2d_backward_naive`.
3. The fast versions with the same arguments and results, the ones the
   layers and notebooks use: :func:`conv1d`, :func:`conv1d_backward`,
   :func:`conv2d`, :func:`conv2d_backward`, :func:`conv_transpose1d`,
   :func:`conv_transpose1d_backward`, :func:`conv_transpose2d`,
   :func:`conv_transpose2d_backward`. Each checks its arguments here and
   calls the vectorised code in :mod:`lecturelib.fast.convolution` (im2col,
   and a faster "wide rows" variant at stride 1); the tests check every one
   equal to its reference on random cases.
4. Lesson helpers for plain 2-D matrices, as on the slides:
   :func:`cross_correlate2d`, :func:`convolve2d` (true convolution, kernel
   flipped by 180 degrees); :func:`conv_matrix`, the dense (doubly-blocked
   Toeplitz) matrix of a convolution, showing that a conv layer is a sparse
   fully connected layer with tied weights; :func:`window_indices` and
   :func:`receptive_field` for "which pixels does this unit see?".
5. The argument checks every function above shares (private).

Everything supports ``groups`` (grouped and depthwise convolution), unbatched
inputs (``(C, H, W)``, ``(C, L)``) and, for conv1d and conv2d,
``padding='same'`` / ``'valid'``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_int, as_pair, result_dtype
from .fast import convolution as fast

# --- output sizes -----------------------------------------------------------------------


def output_size(
    n, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False, *, axis=None
) -> int:
    """Length of a convolution's (or pooling's) output along one axis.

    ``O = (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1``:
    the kernel's dilated extent ``dilation * (kernel_size - 1) + 1`` must fit
    into the padded input ``n + 2 * padding``; positions that do not fit at
    the end (when the stride does not divide evenly) are dropped (floor).
    ``axis`` (e.g. ``"width"``) is only used to make error messages precise.

    ``ceil_mode=True`` (pooling only, as PyTorch's ``ceil_mode``) rounds up
    instead: a last window that runs past the end of the padded input is
    kept, ``O = ceil((n + 2 * padding - extent) / stride) + 1``, but only if
    it starts inside the input or the left padding; one that would start in
    the right padding is dropped (PyTorch's rule).

    >>> output_size(227, 11, stride=4)
    55
    >>> output_size(5, 3, stride=2, padding=1)
    3
    >>> output_size(112, 3, stride=2), output_size(112, 3, stride=2, ceil_mode=True)
    (55, 56)
    >>> output_size(4, 5)
    Traceback (most recent call last):
        ...
    ValueError: kernel 5 (dilated extent 5) is larger than padded input 4
    """
    plain = all(type(v) is int for v in (n, kernel_size, stride, padding, dilation))
    if not (plain and min(n, kernel_size, stride, dilation) >= 1 and padding >= 0):
        # not the common case of plain ints in range: check each (and say what is wrong)
        n = as_int(n, "n", 1)
        kernel_size = as_int(kernel_size, "kernel_size", 1)
        stride = as_int(stride, "stride", 1)
        padding = as_int(padding, "padding", 0)
        dilation = as_int(dilation, "dilation", 1)
    if not isinstance(ceil_mode, bool | np.bool_):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    if not ceil_mode:
        return _output_length(n, kernel_size, stride, padding, dilation, axis)
    extent = dilation * (kernel_size - 1) + 1
    padded = n + 2 * padding
    if extent > padded + stride - 1:
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"kernel {kernel_size} (dilated extent {extent}) is larger than padded input "
            f"{padded}{where}, even with ceil_mode (a window may run past the end by at most "
            f"stride - 1 = {stride - 1} and must start inside the input or the left padding)"
        )
    count = (padded - extent + stride - 1) // stride + 1  # ceil((padded - extent) / stride) + 1
    if (count - 1) * stride >= n + padding:  # the last window would start in the right padding
        count -= 1
    return count


def _output_length(n, kernel_size, stride, padding, dilation, axis=None) -> int:
    """:func:`output_size` for arguments that are already checked ints (no re-checking)."""
    extent = dilation * (kernel_size - 1) + 1
    padded = n + 2 * padding
    if extent > padded:
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"kernel {kernel_size} (dilated extent {extent}) is larger than padded input "
            f"{padded}{where}"
        )
    return (padded - extent) // stride + 1


def conv_transpose_output_size(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Length of a transposed convolution's output along one axis.

    ``O = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1)
    + output_padding + 1``: the n input pixels scatter kernel copies
    ``stride`` apart, ``padding`` is cropped from both ends and
    ``output_padding`` added at the end. It inverts :func:`output_size`:
    a convolution with the same settings maps O back to n.

    >>> conv_transpose_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    >>> output_size(6, 3, stride=2, padding=1)
    3
    """
    n = as_int(n, "n", 1)
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    stride = as_int(stride, "stride", 1)
    padding = as_int(padding, "padding", 0)
    output_padding = as_int(output_padding, "output_padding", 0)
    dilation = as_int(dilation, "dilation", 1)
    _check_output_padding(output_padding, stride, dilation)
    return _transpose_length(n, kernel_size, stride, padding, output_padding, dilation)


# --- the lesson: convolution written as the lecture writes it ---------------------------
#
# Every reference below loops where the lecture loops: over groups, over the
# output positions and over the kernel taps (the transposed convolutions:
# over the input pixels). Only the batch and the channels of one group are
# left to a small matrix product inside the loops, ``(N, C/G) @ (C/G, F/G)``,
# which is the sum over input channels written once for every image.
# Each backward pass follows its forward pass step by step, in reverse: where
# the forward pass read a value, the backward pass adds a gradient to it.
# The fast functions further down give the same numbers, much sooner.


def conv1d_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """A 1-D convolution (cross-correlation) with loops: the reference for :func:`conv1d`.

    x: (N, C, L), or (C, L) for one signal; w: (F, C / groups, K); b: (F,) or
    None; stride, dilation: int; padding: int, ``'valid'`` or ``'same'``;
    groups: C and F split into ``groups`` independent convolutions.
    Returns y: (N, F, OL) with ``OL = (L + 2 * padding - dilation * (K - 1) - 1)
    // stride + 1`` and, for filter f in group g,
    ``y[n, f, t] = b[f] + sum over c of group g, k of
    x_padded[n, c, t * stride + k * dilation] * w[f, c', k]`` (c' counts c
    within its group).

    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    >>> conv1d_naive(x, np.array([[[1.0, 0.0, -1.0]]]))
    array([[[-2., -2., -2.]]])
    >>> conv1d_naive(x, np.array([[[1.0, 1.0]]]), dilation=3)  # taps 3 apart: 1 + 4, 2 + 5
    array([[[5., 7.]]])
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("length",))
    n, f, out_length = a.y_shape
    in_per_group, taps = a.w.shape[1:]
    out_per_group = f // a.groups
    (s,), (p,), (extra,), (d,) = a.stride, a.padding, a.extra, a.dilation
    xp = np.pad(a.x, ((0, 0), (0, 0), (p, p + extra)))  # zeros at both ends
    y = np.zeros(a.y_shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)  # its channels
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)  # its filters
        for t in range(out_length):  # output position
            for k in range(taps):  # kernel tap
                pixel = xp[:, inputs, t * s + k * d]  # (N, C/G)
                y[:, outputs, t] += pixel @ a.w[outputs, :, k].T  # (N, C/G) @ (C/G, F/G)
    if a.b is not None:
        y += a.b[None, :, None]
    return y[0] if a.unbatched else y


def conv1d_backward_naive(grad_y, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients through :func:`conv1d_naive`, with the same loops run backwards.

    grad_y: (N, F, OL), the loss's gradient with respect to the output
    ((F, OL) for an unbatched x); the other arguments as given to the forward
    pass. Returns (grad_x (N, C, L) or (C, L), grad_w (F, C / groups, K),
    grad_b (F,) or None), equal to :func:`conv1d_backward`'s.

    Output t read ``x_padded[:, :, t * stride + k * dilation]`` times
    ``w[:, :, k]``; so it hands ``grad_y[:, :, t]`` times the kernel tap back
    to that input (overlapping windows add up) and ``grad_y`` times that input
    to the tap. Then the padding is cut off: it is not part of x.

    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> conv1d_backward_naive(np.ones((1, 1, 3)), x, np.ones((1, 1, 2)), b=np.zeros(1))
    (array([[[1., 2., 2., 1.]]]), array([[[6., 9.]]]), array([3.]))
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("length",))
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    n, f, out_length = a.y_shape
    in_per_group, taps = a.w.shape[1:]
    out_per_group = f // a.groups
    (s,), (p,), (extra,), (d,) = a.stride, a.padding, a.extra, a.dilation
    xp = np.pad(a.x, ((0, 0), (0, 0), (p, p + extra)))
    grad_xp = np.zeros(xp.shape, dtype=a.x.dtype)
    grad_w = np.zeros(a.w.shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for t in range(out_length):  # output position
            grad_t = grad_y[:, outputs, t]  # (N, F/G)
            for k in range(taps):  # kernel tap
                position = t * s + k * d
                grad_xp[:, inputs, position] += grad_t @ a.w[outputs, :, k]  # (N, C/G)
                grad_w[outputs, :, k] += grad_t.T @ xp[:, inputs, position]  # sum over N
    grad_x = grad_xp[:, :, p : p + a.x.shape[2]]  # drop the padding
    grad_b = grad_y.sum(axis=(0, 2)) if a.b is not None else None
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """The lecture's four nested loops: a slow, readable reference for :func:`conv2d`.

    x: (N, C, H, W), or (C, H, W) for one image; w: (F, C / groups, KH, KW);
    b: (F,) or None; stride, dilation: int or (rows, cols); padding: int,
    (rows, cols), ``'valid'`` or ``'same'``; groups as in :func:`conv1d_naive`.
    Returns y: (N, F, OH, OW) with ``OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1``
    (OW likewise) and ``y[n, f, r, s] = b[f] + sum over c, i, j of
    x_padded[n, c, r * SH + i * DH, s * SW + j * DW] * w[f, c', i, j]``.
    The loops run over groups, output rows, output columns, kernel rows and
    kernel columns; the batch, the input channels and the filters of a group
    are handled by one small matrix product inside the innermost loop.

    >>> x = np.array([[[[2, 2, 1], [3, 1, -1], [4, 3, 2]]]])
    >>> w = np.array([[[[1, -1], [-1, 0]]]])
    >>> conv2d_naive(x, w, b=np.array([2]))[0, 0]
    array([[-1.,  2.],
           [ 0.,  1.]])
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("height", "width"))
    n, f, out_rows, out_cols = a.y_shape
    in_per_group, kernel_rows, kernel_cols = a.w.shape[1:]
    out_per_group = f // a.groups
    (ph, pw), (eh, ew) = a.padding, a.extra
    xp = np.pad(a.x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)))  # zeros around
    (sh, sw), (dh, dw) = a.stride, a.dilation
    y = np.zeros(a.y_shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)  # its channels
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)  # its filters
        for r in range(out_rows):  # output row
            for s in range(out_cols):  # output column
                for i in range(kernel_rows):  # kernel row
                    for j in range(kernel_cols):  # kernel column
                        pixel = xp[:, inputs, r * sh + i * dh, s * sw + j * dw]  # (N, C/G)
                        y[:, outputs, r, s] += pixel @ a.w[outputs, :, i, j].T
    if a.b is not None:
        y += a.b[None, :, None, None]
    return y[0] if a.unbatched else y


def conv2d_backward_naive(grad_y, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients through :func:`conv2d_naive`: the same four loops, run backwards.

    grad_y: (N, F, OH, OW), the loss's gradient with respect to the output
    ((F, OH, OW) for an unbatched x); x, w, b, stride, padding, dilation,
    groups: as given to the forward pass.
    Returns (grad_x (N, C, H, W) or (C, H, W), grad_w (F, C / groups, KH, KW),
    grad_b (F,) or None), equal to :func:`conv2d_backward`'s.

    Output (r, s) read the padded pixel at (r * SH + i * DH, s * SW + j * DW)
    times kernel cell (i, j). Going backwards it hands ``grad_y[:, :, r, s]``
    times the kernel cell back to that pixel (pixels in several windows add
    up every contribution) and ``grad_y`` times the pixel to the kernel cell
    (summed over the batch and every position, as every image and every
    position used the same kernel). ``grad_b`` sums grad_y over the batch and
    every position. The padding rows and columns are cut off at the end.

    With stride 2 the four 2 x 2 windows of a 4 x 4 image do not overlap:
    every pixel gets its gradient from one output only, and each kernel cell
    sums the four pixels it was laid on.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> grad_x, grad_w, grad_b = conv2d_backward_naive(
    ...     np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)), b=np.zeros(1), stride=2)
    >>> grad_x[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    >>> grad_w[0, 0], grad_b
    (array([[20., 24.],
           [36., 40.]]), array([4.]))
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("height", "width"))
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    n, f, out_rows, out_cols = a.y_shape
    in_per_group, kernel_rows, kernel_cols = a.w.shape[1:]
    out_per_group = f // a.groups
    (ph, pw), (eh, ew) = a.padding, a.extra
    xp = np.pad(a.x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)))
    (sh, sw), (dh, dw) = a.stride, a.dilation
    grad_xp = np.zeros(xp.shape, dtype=a.x.dtype)
    grad_w = np.zeros(a.w.shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for r in range(out_rows):  # output row
            for s in range(out_cols):  # output column
                grad_rs = grad_y[:, outputs, r, s]  # (N, F/G)
                for i in range(kernel_rows):  # kernel row
                    for j in range(kernel_cols):  # kernel column
                        row, col = r * sh + i * dh, s * sw + j * dw
                        # (N, F/G) @ (F/G, C/G): back to the pixel under kernel cell (i, j)
                        grad_xp[:, inputs, row, col] += grad_rs @ a.w[outputs, :, i, j]
                        # (F/G, N) @ (N, C/G): to the kernel cell, summed over the batch
                        grad_w[outputs, :, i, j] += grad_rs.T @ xp[:, inputs, row, col]
    h, width = a.x.shape[2:]
    grad_x = grad_xp[:, :, ph : ph + h, pw : pw + width]  # drop the padding
    grad_b = grad_y.sum(axis=(0, 2, 3)) if a.b is not None else None
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


# --- transposed convolution: every input pixel scatters a copy of the kernel -----------
#
# A convolution gathers: each output is a weighted sum over a window of the
# input. Its transpose scatters: each input pixel adds "pixel times kernel"
# onto a window of the output, windows S apart (S the stride), overlaps
# summed. That is exactly what conv2d_backward does to grad_y to get grad_x,
# which is where the name comes from: the matrix of a transposed convolution
# is the transpose of the convolution's matrix (see :func:`conv_matrix`).
# Padding P crops P rows/columns from each side of the full scattered
# output; output_padding adds rows/columns at the bottom/right (to pick one
# of the S input sizes that a strided convolution maps to the same size).
# w is (C_in, F / groups, *kernel): input channels first, as in PyTorch.


def conv_transpose1d_naive(
    x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """A 1-D transposed convolution with loops: the reference for :func:`conv_transpose1d`.

    x: (N, C_in, L) or (C_in, L); w: (C_in, F / groups, K); b: (F,) or None;
    stride, padding, output_padding, dilation: int.
    Returns y: (N, F, OL) with ``OL = (L - 1) * stride - 2 * padding +
    dilation * (K - 1) + output_padding + 1``. Input position t adds the
    kernel, scaled by ``x[:, :, t]``, onto the outputs ``t * stride + k *
    dilation`` (k = 0 .. K - 1); then ``padding`` is cut from both ends.

    >>> x, w = np.array([[[1.0, 10.0]]]), np.array([[[1.0, 2.0, 3.0]]])
    >>> conv_transpose1d_naive(x, w, stride=3)  # copies side by side
    array([[[ 1.,  2.,  3., 10., 20., 30.]]])
    >>> conv_transpose1d_naive(x, w, stride=1)  # copies overlap: 2 + 10, 3 + 20
    array([[[ 1., 12., 23., 30.]]])
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("length",)
    )
    n, c, length = a.x.shape
    f, out_length = a.y_shape[1:]
    in_per_group, out_per_group, taps = c // a.groups, a.w.shape[1], a.w.shape[2]
    (s,), (p,), (d,) = a.stride, a.padding, a.dilation
    # the full scatter, long enough for output_padding reaching past its end
    y_full = np.zeros((n, f, max(a.full[0], p + out_length)), dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for t in range(length):  # input position
            pixel = a.x[:, inputs, t]  # (N, C/G)
            for k in range(taps):  # kernel tap
                y_full[:, outputs, t * s + k * d] += pixel @ a.w[inputs, :, k]  # (N, F/G)
    y = y_full[:, :, p : p + out_length]
    if a.b is not None:
        y = y + a.b[None, :, None]
    return y[0] if a.unbatched else y


def conv_transpose1d_backward_naive(
    grad_y, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Gradients through :func:`conv_transpose1d_naive`, its loops run backwards.

    grad_y: (N, F, OL) or (F, OL); the rest as given to the forward pass.
    Returns (grad_x (N, C_in, L) or (C_in, L), grad_w (C_in, F / groups, K),
    grad_b (F,) or None), equal to :func:`conv_transpose1d_backward`'s.
    Input t added ``x[:, :, t]`` times tap k onto output ``t * stride + k *
    dilation``; so it reads that output's gradient back: times the tap for
    grad_x, times x for grad_w.

    >>> x, w = np.array([[[1.0, 10.0]]]), np.array([[[1.0, 2.0, 3.0]]])
    >>> grad_y = np.array([[[1.0, 0.0, 0.0, 0.0, -1.0]]])
    >>> conv_transpose1d_backward_naive(grad_y, x, w, stride=2)
    (array([[[ 1., -3.]]]), array([[[  1.,   0., -10.]]]), None)
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("length",)
    )
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    n, c, length = a.x.shape
    f, out_length = a.y_shape[1:]
    in_per_group, out_per_group, taps = c // a.groups, a.w.shape[1], a.w.shape[2]
    (s,), (p,), (d,) = a.stride, a.padding, a.dilation
    # grad_y back on the full scatter's grid; the cropped ends had no effect: zero gradient
    grad_full = np.zeros((n, f, max(a.full[0], p + out_length)), dtype=a.x.dtype)
    grad_full[:, :, p : p + out_length] = grad_y
    grad_x = np.zeros(a.x.shape, dtype=a.x.dtype)
    grad_w = np.zeros(a.w.shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for t in range(length):  # input position
            pixel = a.x[:, inputs, t]  # (N, C/G)
            for k in range(taps):  # kernel tap
                grad_out = grad_full[:, outputs, t * s + k * d]  # (N, F/G)
                grad_x[:, inputs, t] += grad_out @ a.w[inputs, :, k].T  # (N, C/G)
                grad_w[inputs, :, k] += pixel.T @ grad_out  # (C/G, F/G), summed over N
    grad_b = grad_y.sum(axis=(0, 2)) if a.b is not None else None
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


def conv_transpose2d_naive(
    x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Readable reference for :func:`conv_transpose2d`: scatter every input pixel times the kernel.

    x: (N, C_in, H, W) or (C_in, H, W); w: (C_in, F / groups, KH, KW); b: (F,)
    or None; stride, padding, output_padding, dilation: int or (rows, cols).
    Returns y: (N, F, OH, OW) with
    ``OH = (H - 1) * SH - 2 * PH + DH * (KH - 1) + output_padding[0] + 1``.
    For every input pixel (r, s), the kernel, scaled by that pixel, is added
    onto the output window whose top-left corner is (r * SH, s * SW) (cells
    DH, DW apart); windows overlap where the kernel is larger than the
    stride. Then ``padding`` is cropped from every side and
    ``output_padding`` zero rows / columns (or the rows cropped there) are
    kept at the bottom / right.

    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d_naive(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("height", "width")
    )
    n, c, h, width = a.x.shape
    f, oh, ow = a.y_shape[1:]
    in_per_group, out_per_group = c // a.groups, a.w.shape[1]
    kh, kw = a.w.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = a.stride, a.padding, a.dilation
    # big enough for the full scatter and for output_padding reaching past it
    y_full = np.zeros((n, f, max(a.full[0], ph + oh), max(a.full[1], pw + ow)), dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for r in range(h):  # input row
            for s in range(width):  # input column
                pixel = a.x[:, inputs, r, s]  # (N, C/G): this pixel in every image and channel
                # pixel times kernel: (N, C/G) x (C/G, F/G, KH, KW) -> (N, F/G, KH, KW)
                copy = np.einsum("nc,cfij->nfij", pixel, a.w[inputs])
                rows = slice(r * sh, r * sh + dh * (kh - 1) + 1, dh)
                cols = slice(s * sw, s * sw + dw * (kw - 1) + 1, dw)
                y_full[:, outputs, rows, cols] += copy
    y = y_full[:, :, ph : ph + oh, pw : pw + ow]
    if a.b is not None:
        y = y + a.b[None, :, None, None]
    y = np.ascontiguousarray(y)
    return y[0] if a.unbatched else y


def conv_transpose2d_backward_naive(
    grad_y, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Gradients through :func:`conv_transpose2d_naive`: each pixel reads back its window.

    grad_y: (N, F, OH, OW) or (F, OH, OW); the rest as given to the forward pass.
    Returns (grad_x (N, C_in, H, W) or (C_in, H, W), grad_w (C_in, F / groups,
    KH, KW), grad_b (F,) or None), equal to :func:`conv_transpose2d_backward`'s.

    Pixel (r, s) added ``pixel * w`` onto the output window at (r * SH, s * SW);
    so its gradient is the sum of that window of grad_y times the kernel (a
    convolution of grad_y: the transpose of the transpose) and the kernel's
    gradient adds ``pixel * window`` over every pixel and image. Outputs
    cropped away by ``padding`` had no effect on the loss: their gradient is 0.

    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> grad_x, grad_w, grad_b = conv_transpose2d_backward_naive(
    ...     np.ones((1, 1, 4, 4)), x, np.ones((1, 1, 2, 2)), np.zeros(1), stride=2)
    >>> grad_x[0, 0], grad_w[0, 0], grad_b
    (array([[4., 4.],
           [4., 4.]]), array([[10., 10.],
           [10., 10.]]), array([16.]))
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("height", "width")
    )
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    n, c, h, width = a.x.shape
    f, oh, ow = a.y_shape[1:]
    in_per_group, out_per_group = c // a.groups, a.w.shape[1]
    kh, kw = a.w.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = a.stride, a.padding, a.dilation
    # grad_y back on the full scatter's grid; the cropped border gets zero gradient
    grad_full = np.zeros((n, f, max(a.full[0], ph + oh), max(a.full[1], pw + ow)), a.x.dtype)
    grad_full[:, :, ph : ph + oh, pw : pw + ow] = grad_y
    grad_x = np.zeros(a.x.shape, dtype=a.x.dtype)
    grad_w = np.zeros(a.w.shape, dtype=a.x.dtype)
    for group in range(a.groups):
        inputs = slice(group * in_per_group, (group + 1) * in_per_group)
        outputs = slice(group * out_per_group, (group + 1) * out_per_group)
        for r in range(h):  # input row
            for s in range(width):  # input column
                rows = slice(r * sh, r * sh + dh * (kh - 1) + 1, dh)
                cols = slice(s * sw, s * sw + dw * (kw - 1) + 1, dw)
                window = grad_full[:, outputs, rows, cols]  # (N, F/G, KH, KW): where the copy went
                # (N, F/G, KH, KW) x (C/G, F/G, KH, KW) -> (N, C/G): window times kernel, summed
                grad_x[:, inputs, r, s] = np.einsum("nfij,cfij->nc", window, a.w[inputs])
                # (N, C/G) x (N, F/G, KH, KW) -> (C/G, F/G, KH, KW): pixel times window
                grad_w[inputs] += np.einsum("nc,nfij->cfij", a.x[:, inputs, r, s], window)
    grad_b = grad_y.sum(axis=(0, 2, 3)) if a.b is not None else None
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


# --- the fast versions: same arguments, same results, vectorised -------------------------
#
# Each function checks its arguments (the same checks as the references
# above, so a mistake gives the same message) and hands them to
# lecturelib/fast/convolution.py, which computes the same numbers with a few
# large matrix products: im2col copies every kernel window into a column, so
# the whole convolution is one product per image (stride 1 uses a faster
# variant, "wide rows"); the backward pass adds the columns' gradients back
# onto their windows (col2im).


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of a batch of signals, as PyTorch's.

    x: (N, C, L), or (C, L) for one signal (the output is then unbatched);
    w: (F, C / groups, K); b: (F,) or None; stride, dilation: int or 1-tuple;
    padding: int, 1-tuple, ``'valid'`` or ``'same'`` (as in :func:`conv2d`:
    an odd total puts the extra zero on the right); groups as in :func:`conv2d`.
    Returns y: (N, F, OL) with ``OL = (L + 2 * padding - dilation * (K - 1) - 1)
    // stride + 1`` and ``y[n, f, t] = b[f] + sum over c, k of
    x_padded[n, c, t * stride + k * dilation] * w[f, c, k]`` (c in f's group).
    The same numbers as :func:`conv1d_naive`'s loops.

    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    >>> conv1d(x, np.array([[[1.0, 0.0, -1.0]]]))
    array([[[-2., -2., -2.]]])
    >>> conv1d(x, np.array([[[1.0, 1.0]]]), stride=2, padding=1)
    array([[[1., 5., 9.]]])
    >>> conv1d(x[0], np.array([[[1.0, 1.0]]]), padding="same")  # extra zero on the right
    array([[3., 5., 7., 9., 5.]])
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("length",))
    y = fast.conv1d_checked(a)
    return y[0] if a.unbatched else y


def conv1d_backward(grad_y, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of a scalar loss through :func:`conv1d`.

    grad_y: (N, F, OL) ((F, OL) for an unbatched x); x, w, b, stride, padding,
    dilation, groups: as given to conv1d.
    Returns (grad_x (N, C, L) or (C, L), grad_w (F, C / groups, K), grad_b (F,) or None).
    The same numbers as :func:`conv1d_backward_naive`'s loops.

    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> grad_x, grad_w, grad_b = conv1d_backward(np.ones((1, 1, 3)), x, np.ones((1, 1, 2)))
    >>> grad_x, grad_w, grad_b
    (array([[[1., 2., 2., 1.]]]), array([[[6., 9.]]]), None)
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("length",))
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    grad_x, grad_w, grad_b = fast.conv1d_backward_checked(grad_y, a)
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of a batch of images, as PyTorch's.

    x: (N, C, H, W), or (C, H, W) for one image (the output is then unbatched
    too); w: (F, C / groups, KH, KW); b: (F,) or None.
    stride, dilation: int or (rows, cols). padding: int, (rows, cols),
    ``'valid'`` (no padding) or ``'same'`` (stride 1 only: the output keeps
    the input's size; an odd total ``D * (K - 1)`` puts the extra zero row or
    column at the bottom or right, as PyTorch does).
    groups: split the C input channels and the F filters into ``groups``
    groups; each filter sees only the C / groups channels of its group
    (``groups == C`` is a depthwise convolution). groups must divide C and F.
    Returns y: (N, F, OH, OW) with
    ``OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1`` (OW likewise), where
    ``y[n, f, r, s] = b[f] + sum over c in f's group, i, j of
    x_padded[n, c, r * SH + i * DH, s * SW + j * DW] * w[f, c', i, j]``
    (c' the index of c within its group).
    The same numbers as :func:`conv2d_naive`'s loops.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    >>> conv2d(x, w, b=np.array([0.5]))[0, 0]
    array([[-4.5, -4.5, -4.5],
           [-4.5, -4.5, -4.5],
           [-4.5, -4.5, -4.5]])
    >>> conv2d(np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3)), stride=2, padding=1).shape
    (2, 4, 3, 3)
    >>> conv2d(np.ones((4, 5, 5)), np.ones((4, 1, 2, 2)), padding="same", groups=4).shape
    (4, 5, 5)
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("height", "width"))
    y = fast.conv2d_checked(a)
    return y[0] if a.unbatched else y


def conv2d_backward(grad_y, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of a scalar loss through :func:`conv2d`.

    grad_y: (N, F, OH, OW), the loss's gradient with respect to conv2d's output
    ((F, OH, OW) for an unbatched x); x, w, b, stride, padding, dilation,
    groups: as given to :func:`conv2d`.
    Returns (grad_x (N, C, H, W) or (C, H, W), grad_w (F, C / groups, KH, KW),
    grad_b (F,) or None), the same as :func:`conv2d_backward_naive` computes with loops:

    - ``grad_b[f]`` sums grad_y over the batch and all output positions;
    - ``grad_w`` is a cross-correlation of the input with grad_y: the matrix
      product of grad_y with the im2col columns of x;
    - ``grad_x`` is a "full" convolution of grad_y with the kernel: every
      output position hands ``grad_y * w`` back to the pixels of its window,
      and overlapping windows add up (col2im). This is exactly a transposed
      convolution of grad_y (:func:`conv_transpose2d`).
    - with groups, each group is its own convolution: its gradients only
      involve its own channels and filters.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> grad_x, grad_w, grad_b = conv2d_backward(np.ones((1, 1, 2, 2)), x, w, b=np.zeros(1))
    >>> grad_x[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> grad_w[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    >>> grad_b
    array([4.])
    """
    a = _conv_arguments(x, w, b, stride, padding, dilation, groups, ("height", "width"))
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    grad_x, grad_w, grad_b = fast.conv2d_backward_checked(grad_y, a)
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution, as PyTorch's: :func:`conv_transpose2d` on signals.

    x: (N, C_in, L) or (C_in, L); w: (C_in, F / groups, K); b: (F,) or None;
    stride, padding, output_padding, dilation: int or 1-tuple.
    Returns y: (N, F, OL) with ``OL = (L - 1) * stride - 2 * padding +
    dilation * (K - 1) + output_padding + 1``.
    The same numbers as :func:`conv_transpose1d_naive`'s loops.

    >>> conv_transpose1d(np.array([[[1.0, 10.0]]]), np.array([[[1.0, 2.0, 3.0]]]), stride=2)
    array([[[ 1.,  2., 13., 20., 30.]]])
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("length",)
    )
    y = fast.conv_transpose1d_checked(a)
    return y[0] if a.unbatched else y


def conv_transpose1d_backward(
    grad_y, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Gradients of a scalar loss through :func:`conv_transpose1d`.

    grad_y: (N, F, OL) or (F, OL); the rest as given to conv_transpose1d.
    Returns (grad_x (N, C_in, L) or (C_in, L), grad_w (C_in, F / groups, K),
    grad_b (F,) or None).
    The same numbers as :func:`conv_transpose1d_backward_naive`'s loops.

    >>> grad_x, grad_w, grad_b = conv_transpose1d_backward(
    ...     np.ones((1, 1, 5)), np.array([[[1.0, 10.0]]]), np.array([[[1.0, 2.0, 3.0]]]), stride=2)
    >>> grad_x, grad_w
    (array([[[6., 6.]]]), array([[[11., 11., 11.]]]))
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("length",)
    )
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    grad_x, grad_w, grad_b = fast.conv_transpose1d_backward_checked(grad_y, a)
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution", fractionally strided), as PyTorch's.

    x: (N, C_in, H, W) or (C_in, H, W) unbatched; w: (C_in, F / groups, KH, KW)
    (note: input channels first, as in PyTorch); b: (F,) or None.
    stride, padding, output_padding, dilation: int or (rows, cols);
    output_padding must be smaller than either stride or dilation.
    groups must divide C_in (and F = w.shape[1] * groups).
    Returns y: (N, F, OH, OW) with
    ``OH = (H - 1) * SH - 2 * PH + DH * (KH - 1) + output_padding[0] + 1``.

    Each input pixel adds a copy of the kernel, scaled by its value, onto the
    output, copies S apart (:func:`conv_transpose2d_naive` writes this out);
    the result equals the grad_x that :func:`conv2d_backward` computes for a
    conv2d with the same w and settings when x is its grad_y. Here: one
    matrix product for all the scaled copies, then col2im to add them up.

    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> conv_transpose2d(x, np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1)[0, 0]
    array([[ 1.,  3.,  2.,  2.],
           [ 4., 10.,  6.,  6.],
           [ 3.,  7.,  4.,  4.],
           [ 3.,  7.,  4.,  4.]])
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("height", "width")
    )
    y = fast.conv_transpose2d_checked(a)
    return y[0] if a.unbatched else y


def conv_transpose2d_backward(
    grad_y, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Gradients of a scalar loss through :func:`conv_transpose2d`.

    grad_y: (N, F, OH, OW) ((F, OH, OW) for an unbatched x); the other
    arguments as given to :func:`conv_transpose2d`.
    Returns (grad_x (N, C_in, H, W) or (C_in, H, W), grad_w (C_in, F / groups,
    KH, KW), grad_b (F,) or None).
    The same numbers as :func:`conv_transpose2d_backward_naive`'s loops.

    The transposed convolution's transpose is the convolution again:
    ``grad_x = conv2d(grad_y, w, stride=S, padding=P, dilation=D, groups=G)``
    (cut to H x W when output_padding >= stride). ``grad_w[c, f, i, j]``
    sums ``x[n, c, r, s] * grad_y[n, f, r * SH + i * DH - PH, s * SW + j * DW - PW]``
    and ``grad_b`` sums grad_y over everything but the channel.

    >>> x = np.array([[[[1.0, 2.0]]]])
    >>> grad_y = np.array([[[[1.0, 0.0, 0.0, -1.0]]]])
    >>> grad_x, grad_w, grad_b = conv_transpose2d_backward(grad_y, x, np.ones((1, 1, 1, 2)),
    ...                                                    np.zeros(1), stride=2)
    >>> grad_x, grad_w, grad_b
    (array([[[[ 1., -1.]]]]), array([[[[ 1., -2.]]]]), array([0.]))
    """
    a = _transpose_arguments(
        x, w, b, stride, padding, output_padding, groups, dilation, ("height", "width")
    )
    grad_y = _check_grad_y(grad_y, a.y_shape, a.x.dtype, a.unbatched)
    grad_x, grad_w, grad_b = fast.conv_transpose2d_backward_checked(grad_y, a)
    return (grad_x[0] if a.unbatched else grad_x), grad_w, grad_b


# --- plain 2-D matrices, as on the slides ----------------------------------------------


def _matrix_padding(padding, kernel_shape):
    """Turn "valid" / "same" / "full" / int / pair into a (rows, cols) padding."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0)
        if mode == "full":
            return (kernel_shape[0] - 1, kernel_shape[1] - 1)
        if mode == "same":
            if kernel_shape[0] % 2 == 0 or kernel_shape[1] % 2 == 0:
                raise ValueError(
                    f'padding="same" needs an odd kernel size in both directions, '
                    f"got kernel shape {kernel_shape}"
                )
            return (kernel_shape[0] // 2, kernel_shape[1] // 2)
        raise ValueError(
            f'padding must be an int, a (rows, cols) pair, "valid", "same" or "full"; '
            f"got {padding!r}"
        )
    return as_pair(padding, "padding", 0)


def cross_correlate2d(image, kernel, stride=1, padding=0, bias=0.0, dilation=1):
    """Slide ``kernel`` over a single 2-D ``image`` without flipping it (a CNN's "convolution").

    image: (H, W); kernel: (KH, KW); stride, dilation: int or (rows, cols);
    padding: int, (rows, cols), or "valid" (0), "same" (odd kernels: output the
    size of the input at stride 1), "full" (K - 1: every partial overlap);
    bias: a number added to every output. Returns (OH, OW), float64 for
    integer input: ``out[r, s] = bias + sum over i, j of
    image_padded[r * SH + i, s * SW + j] * kernel[i, j]``.

    >>> image = np.array([[2, 2, 1], [3, 1, -1], [4, 3, 2]])
    >>> cross_correlate2d(image, [[1, -1], [-1, 0]], bias=2)
    array([[-1.,  2.],
           [ 0.,  1.]])
    """
    image = as_array(image, "image", 2)
    kernel = as_array(kernel, "kernel", 2)
    padding = _matrix_padding(padding, kernel.shape)
    try:
        bias = float(bias)
    except (TypeError, ValueError):
        raise TypeError(f"bias must be a number, got {bias!r}") from None
    y = conv2d(image[None, None], kernel[None, None], None, stride, padding, dilation)[0, 0]
    if bias:
        y += bias
    return y


def convolve2d(image, kernel, stride=1, padding=0, bias=0.0):
    """True (signal-processing) 2-D convolution: the kernel is flipped by 180 degrees.

    ``y[m, n] = sum over i, j of x[i, j] * h[m - i, n - j]``, which is the same
    as cross-correlating with the kernel turned upside down and left to right.
    Arguments and shapes as :func:`cross_correlate2d`; with ``padding="same"``
    (odd kernels) the output has the input's size, the kernel centred on every
    pixel, zeros outside the image.

    >>> x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> h = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    >>> convolve2d(x, h, padding="same")
    array([[-13., -20., -17.],
           [-18., -24., -18.],
           [ 13.,  20.,  17.]])
    """
    kernel = as_array(kernel, "kernel", 2)
    return cross_correlate2d(image, kernel[::-1, ::-1], stride, padding, bias)


# --- which input pixels does an output see? ---------------------------------------------


def window_indices(input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Flat (row-major) input indices under the kernel at every output position.

    input_shape: (H, W); kernel_size, stride, padding, dilation: int or (rows, cols).
    Returns an int array (OH, OW, KH, KW): entry ``[r, s, i, j]`` is the index
    ``row * W + col`` of the pixel under kernel cell (i, j) when the output is
    at (r, s), or -1 where that kernel cell lies on padding.

    On a 4 x 4 image with a 2 x 2 kernel and stride 2, counting pixels from 1,
    the first output sees pixels 1, 2, 5, 6 and the last 11, 12, 15, 16:

    >>> idx = window_indices((4, 4), 2, stride=2) + 1
    >>> idx[0, 0].ravel(), idx[1, 1].ravel()
    (array([1, 2, 5, 6]), array([11, 12, 15, 16]))
    """
    h, w = _input_shape(input_shape)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    (sh, sw), (ph, pw) = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    dh, dw = as_pair(dilation, "dilation", 1)
    oh = output_size(h, kh, sh, ph, dh, axis="height")
    ow = output_size(w, kw, sw, pw, dw, axis="width")
    rows = np.arange(oh)[:, None, None, None] * sh + np.arange(kh)[None, None, :, None] * dh - ph
    cols = np.arange(ow)[None, :, None, None] * sw + np.arange(kw)[None, None, None, :] * dw - pw
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    return np.where(inside, rows * w + cols, -1)


def _input_shape(input_shape):
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 2:
        raise ValueError(f"input_shape must be a pair (H, W), got {input_shape!r}")
    return (
        as_int(input_shape[0], "input_shape[0]", 1),
        as_int(input_shape[1], "input_shape[1]", 1),
    )


def conv_matrix(input_shape, kernel, stride=1, padding=0, dilation=1):
    """The dense matrix M of a 2-D cross-correlation: ``M @ x.ravel()`` is the output.

    input_shape: (H, W); kernel: (KH, KW) array; stride, padding, dilation:
    int or (rows, cols). Returns M of shape (OH * OW, H * W) with
    ``M @ x.ravel() == cross_correlate2d(x, kernel, stride, padding).ravel()``.
    Row p of M holds the kernel's values at the columns of the pixels that
    output p sees (zeros elsewhere): a convolution is a fully connected layer
    whose weights are mostly zero (sparse) and repeated (tied). For stride 1
    and no padding M is a doubly-blocked Toeplitz matrix.

    >>> M = conv_matrix((3, 3), [[1, 2], [3, 4]])
    >>> M
    array([[1., 2., 0., 3., 4., 0., 0., 0., 0.],
           [0., 1., 2., 0., 3., 4., 0., 0., 0.],
           [0., 0., 0., 1., 2., 0., 3., 4., 0.],
           [0., 0., 0., 0., 1., 2., 0., 3., 4.]])
    """
    kernel = as_array(kernel, "kernel", 2)
    h, w = _input_shape(input_shape)
    idx = window_indices((h, w), kernel.shape, stride, padding, dilation)  # (OH, OW, KH, KW)
    oh, ow = idx.shape[:2]
    matrix = np.zeros((oh * ow, h * w), dtype=kernel.dtype)
    rows = np.broadcast_to(np.arange(oh * ow).reshape(oh, ow, 1, 1), idx.shape)
    values = np.broadcast_to(kernel, idx.shape)
    inside = idx >= 0
    # an output sees each pixel under at most one kernel cell: plain assignment
    matrix[rows[inside], idx[inside]] = values[inside]
    return matrix


def receptive_field(kernel_sizes, strides=1, dilations=1, position=None):
    """Receptive field of a unit after a stack of 1-D convolutions (no padding).

    kernel_sizes: one kernel size per layer (a list, first layer first);
    strides, dilations: an int for every layer or a list like kernel_sizes.
    Without ``position`` returns the receptive field's size,
    ``1 + sum over layers l of (K_l - 1) * D_l * (S_1 * ... * S_{l-1})``.
    With ``position=p`` returns the ``range`` of input indices (0-based) that
    unit p of the last layer depends on.

    Two layers of width-3 kernels: a unit of layer 2 sees 5 inputs, so x1 and
    x5 (indices 0 and 4) meet there although no unit of layer 1 sees both:

    >>> receptive_field([3, 3])
    5
    >>> receptive_field([3, 3], position=0)
    range(0, 5)
    >>> receptive_field([3], position=0)
    range(0, 3)
    """
    if not isinstance(kernel_sizes, list | tuple) or not kernel_sizes:
        raise ValueError(f"kernel_sizes must be a non-empty list of ints, got {kernel_sizes!r}")
    layers = len(kernel_sizes)
    kernel_sizes = [as_int(k, f"kernel_sizes[{i}]", 1) for i, k in enumerate(kernel_sizes)]

    def per_layer(value, name):
        if isinstance(value, list | tuple):
            if len(value) != layers:
                raise ValueError(f"{name} must have one entry per layer ({layers}), got {value!r}")
            return [as_int(v, f"{name}[{i}]", 1) for i, v in enumerate(value)]
        return [as_int(value, name, 1)] * layers

    strides = per_layer(strides, "strides")
    dilations = per_layer(dilations, "dilations")
    size, jump = 1, 1  # jump: distance in the input between neighbouring units
    for k, s, d in zip(kernel_sizes, strides, dilations):
        size += (k - 1) * d * jump
        jump *= s
    if position is None:
        return size
    position = as_int(position, "position", 0)
    start = position * jump
    return range(start, start + size)


# --- argument checking shared by every function above (private) ---------------------------
#
# The references and the fast versions call the same checks, so they accept
# the same arguments and reject bad ones with the same messages. The checked
# arguments come back in one canonical form: one float dtype for every array,
# a batch axis always present, and stride, padding and dilation as tuples with
# one entry per spatial axis.


def _as_tuple(value, name, d, minimum):
    """An int, or one int per spatial axis (a pair in 2-D, a 1-tuple in 1-D), as a d-tuple."""
    if d == 2:
        return as_pair(value, name, minimum)
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise TypeError(f"{name} must be an integer or a 1-tuple in 1-D, got {value!r}")
        return (as_int(value[0], f"{name}[0]", minimum),)
    return (as_int(value, name, minimum),)


def _check_input(x, d):
    """x as an array with a batch axis, and whether it came without one (unbatched)."""
    layout, single = ("(N, C, H, W)", "(C, H, W)") if d == 2 else ("(N, C, L)", "(C, L)")
    x = as_array(x, "x")
    if x.ndim not in (d + 1, d + 2):
        raise ValueError(
            f"x must have {d + 2} dimensions {layout}, or {d + 1} {single} for a single "
            f"unbatched input, got shape {x.shape}"
        )
    unbatched = x.ndim == d + 1
    return (x[None] if unbatched else x), unbatched


def _check_groups(groups, in_channels, out_channels):
    groups = as_int(groups, "groups", 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide both the input channels ({in_channels}) and the "
            f"output channels ({out_channels})"
        )
    return groups


def _check_bias(b, out_channels):
    if b is None:
        return None
    b = as_array(b, "b", 1)
    if b.shape != (out_channels,):
        raise ValueError(f"b must have shape ({out_channels},), one bias per filter, got {b.shape}")
    return b


def _resolve_padding(padding, kernel, stride, dilation):
    """Turn ``padding`` into (padding on both sides, extra padding after the end) per axis.

    An int or tuple pads both sides alike. ``'valid'`` is no padding.
    ``'same'`` (stride 1 only) pads ``D * (K - 1)`` in total so that the output
    keeps the input's size; when that total is odd, PyTorch puts the extra
    element after the input (right, bottom): ``total // 2`` before and
    ``total - total // 2`` after.
    """
    d = len(kernel)
    if not isinstance(padding, str):
        return _as_tuple(padding, "padding", d, 0), (0,) * d
    if padding == "valid":
        return (0,) * d, (0,) * d
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(
                f"padding='same' is not supported for strided convolutions (as in PyTorch): "
                f"stride must be 1, got {stride if d == 2 else stride[0]}"
            )
        totals = [dil * (k - 1) for k, dil in zip(kernel, dilation)]
        return tuple(t // 2 for t in totals), tuple(t % 2 for t in totals)
    shape = "a (rows, cols) pair" if d == 2 else "a 1-tuple"
    raise ValueError(f"padding must be an int, {shape}, 'same' or 'valid', got {padding!r}")


class _ConvArguments(NamedTuple):
    """Checked arguments of a convolution, in canonical form (see :func:`_conv_arguments`)."""

    x: np.ndarray  # (N, C, *spatial), a batch axis added for unbatched input
    w: np.ndarray  # (F, C / groups, *kernel)
    b: np.ndarray | None  # (F,)
    stride: tuple
    padding: tuple  # zeros on both sides of every spatial axis
    extra: tuple  # one more zero after the end ('same' with an odd total padding)
    dilation: tuple
    groups: int
    unbatched: bool
    y_shape: tuple  # (N, F, *output), always with the batch axis


def _conv_arguments(x, w, b, stride, padding, dilation, groups, spatial_names):
    """Validate the arguments of a convolution; return them as :class:`_ConvArguments`.

    ``spatial_names`` is ("height", "width") in 2-D and ("length",) in 1-D.
    Arrays are cast to one common float dtype; stride, padding and dilation
    become tuples with one entry per spatial axis.
    """
    d = len(spatial_names)
    x, unbatched = _check_input(x, d)
    w = as_array(w, "w", d + 2)
    stride = _as_tuple(stride, "stride", d, 1)
    dilation = _as_tuple(dilation, "dilation", d, 1)
    padding, extra = _resolve_padding(padding, w.shape[2:], stride, dilation)
    groups = _check_groups(groups, x.shape[1], w.shape[0])
    if w.shape[1] * groups != x.shape[1]:
        if groups == 1:
            raise ValueError(
                f"w expects {w.shape[1]} input channels (w.shape[1]) but x has {x.shape[1]} "
                f"channels (x.shape[1]); x {x.shape}, w {w.shape}"
            )
        raise ValueError(
            f"w expects {w.shape[1]} input channels per group (w.shape[1]) but x has "
            f"{x.shape[1]} channels, {x.shape[1] // groups} per group for groups={groups}"
        )
    for name, size in zip(("x", "w"), (x.shape, w.shape)):
        if 0 in size:
            raise ValueError(f"{name} must not have an empty dimension, got shape {size}")
    b = _check_bias(b, w.shape[0])
    dtype = result_dtype(x, w, b)
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    if b is not None:
        b = b.astype(dtype, copy=False)
    out = tuple(
        _output_length(
            x.shape[2 + i] + extra[i],
            w.shape[2 + i],
            stride[i],
            padding[i],
            dilation[i],
            axis=spatial_names[i],
        )
        for i in range(d)
    )
    y_shape = (x.shape[0], w.shape[0], *out)
    return _ConvArguments(x, w, b, stride, padding, extra, dilation, groups, unbatched, y_shape)


def _check_grad_y(grad_y, expected_shape, dtype, unbatched=False):
    """grad_y as an array of the output's shape (with a batch axis added if unbatched)."""
    if unbatched:  # any rank: the shape message below says what is expected
        expected_shape = expected_shape[1:]
        grad_y = as_array(grad_y, "grad_y")
    else:
        grad_y = as_array(grad_y, "grad_y", len(expected_shape))
    if grad_y.shape != tuple(expected_shape):
        unbatched_note = " (unbatched, like x)" if unbatched else ""
        raise ValueError(
            f"grad_y must have the output's shape {tuple(expected_shape)}{unbatched_note}, "
            f"got {grad_y.shape}"
        )
    grad_y = grad_y.astype(dtype, copy=False)
    return grad_y[None] if unbatched else grad_y


class _TransposeArguments(NamedTuple):
    """Checked arguments of a transposed convolution (see :func:`_transpose_arguments`)."""

    x: np.ndarray  # (N, C_in, *spatial)
    w: np.ndarray  # (C_in, F / groups, *kernel)
    b: np.ndarray | None  # (F,)
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    groups: int
    unbatched: bool
    full: tuple  # the scattered output before cropping: (I - 1) * S + D * (K - 1) + 1
    y_shape: tuple  # (N, F, *output)


def _check_output_padding(output_padding, stride, dilation, axis=None):
    if output_padding >= stride and output_padding >= dilation:
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"output_padding must be smaller than either stride or dilation (PyTorch's rule), "
            f"got output_padding {output_padding}, stride {stride}, dilation {dilation}{where}"
        )


def _transpose_length(n, kernel_size, stride, padding, output_padding, dilation, axis=None):
    out = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"output size is too small: (I - 1) * S - 2 * P + D * (K - 1) + output_padding + 1 "
            f"= ({n} - 1) * {stride} - 2 * {padding} + {dilation} * ({kernel_size} - 1) + "
            f"{output_padding} + 1 = {out}{where}, must be >= 1"
        )
    return out


def _transpose_arguments(x, w, b, stride, padding, output_padding, groups, dilation, names):
    """Validate the arguments of a transposed convolution (``names``: the spatial axes)."""
    d = len(names)
    x, unbatched = _check_input(x, d)
    w = as_array(w, "w", d + 2)
    stride = _as_tuple(stride, "stride", d, 1)
    padding = _as_tuple(padding, "padding", d, 0)
    output_padding = _as_tuple(output_padding, "output_padding", d, 0)
    dilation = _as_tuple(dilation, "dilation", d, 1)
    groups = _check_groups(groups, x.shape[1], w.shape[1] * as_int(groups, "groups", 1))
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have one kernel stack per input channel: w.shape[0] is {w.shape[0]} but x "
            f"has {x.shape[1]} channels (x.shape[1]); a transposed convolution's w is "
            f"(C_in, F / groups, {'KH, KW' if d == 2 else 'K'})"
        )
    for name, size in zip(("x", "w"), (x.shape, w.shape)):
        if 0 in size:
            raise ValueError(f"{name} must not have an empty dimension, got shape {size}")
    f = w.shape[1] * groups
    b = _check_bias(b, f)
    for i in range(d):
        _check_output_padding(output_padding[i], stride[i], dilation[i], names[i])
    out, full = [], []
    for i in range(d):
        n, k = x.shape[2 + i], w.shape[2 + i]
        args = (n, k, stride[i], padding[i], output_padding[i], dilation[i], names[i])
        out.append(_transpose_length(*args))
        full.append((n - 1) * stride[i] + dilation[i] * (k - 1) + 1)
    dtype = result_dtype(x, w, b)
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    if b is not None:
        b = b.astype(dtype, copy=False)
    y_shape = (x.shape[0], f, *out)
    return _TransposeArguments(
        x, w, b, stride, padding, output_padding, dilation, groups, unbatched, tuple(full), y_shape
    )


__all__ = [
    "output_size",
    "conv_transpose_output_size",
    "conv1d_naive",
    "conv1d_backward_naive",
    "conv2d_naive",
    "conv2d_backward_naive",
    "conv_transpose1d_naive",
    "conv_transpose1d_backward_naive",
    "conv_transpose2d_naive",
    "conv_transpose2d_backward_naive",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "conv_transpose1d",
    "conv_transpose1d_backward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "cross_correlate2d",
    "convolve2d",
    "window_indices",
    "conv_matrix",
    "receptive_field",
]
