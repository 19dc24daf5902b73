"""Figures for the pooling, channels and AlexNet notebooks (05, 06, 07).

Everything here draws in the collection's colours (:mod:`lecturelib.drawing.figures`):
input cells in :data:`~lecturelib.drawing.figures.INPUT`, padding in
:data:`~lecturelib.drawing.figures.PADDING`, the window (kernel or pooling footprint) in
:data:`~lecturelib.drawing.figures.KERNEL`, outputs in :data:`~lecturelib.drawing.figures.OUTPUT`,
the output being computed in :data:`~lecturelib.drawing.figures.HIGHLIGHT` and cells no
window reads in :data:`~lecturelib.drawing.figures.MUTED`, crossed out.

Interactive panels must redraw in a few tens of milliseconds, and a text
artist costs about a millisecond to draw. So the numbers written into grids
are drawn as outlines (one :class:`~matplotlib.patches.PathPatch` per grid,
whatever the number of cells) and every class below creates its artists once
and then only updates them:

- :class:`CellGrid`: a grid of coloured, numbered cells;
- :class:`PoolMatrixView`: a small matrix and its pooled output (notebook 06);
- :class:`ShiftExperimentView` and :func:`draw_unchanged`, with
  :func:`shifted_crop` and :func:`unchanged_fraction`: how much of a pooled
  feature map survives a shift of the input (notebook 06);
- :class:`MultiChannelStepper`: a 3-channel convolution, one output position
  at a time (notebook 07); :class:`VolumeDiagram`: input, kernel and output
  volumes with their shapes (notebook 07);
- :func:`draw_conv_matrix`, :func:`draw_sparse_connectivity`,
  :func:`draw_receptive_growth`, :func:`draw_cnn_pipeline`: static figures
  of notebook 07;
- the bar charts of notebook 08 live in :mod:`lecturelib.drawing.alexnet`.

The ``draw_*`` functions are one-shot versions for static figures (small
multiples): they take an axes and the same settings as the panel's controls.
The ``*_panel`` functions at the end build the notebooks' interactive panels
around these views.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.patches import FancyArrowPatch, PathPatch, Polygon, Rectangle
from matplotlib.ticker import FuncFormatter, NullLocator

from .._checks import as_array, as_int, as_pair
from ..convolution import conv_matrix, output_size, receptive_field, window_indices
from ..pooling import pool_matrix
from . import figures as viz
from .figures import format_number, label_path, text_path
from .panel import Panel

#: Lines between cells.
GRID_LINE = "#333333"
#: Input cells that no window reads.
UNVISITED = viz.MUTED
#: Pooling modes of :func:`lecturelib.pooling.pool_matrix`.
POOL_MODES = ("max", "avg", "min", "sum")


def tint(color, amount: float = 0.45) -> tuple[float, float, float, float]:
    """``color`` mixed with ``amount`` of white (0: the colour, 1: white), as RGBA.

    Numbers stay readable on tinted cells while the hue still names the role.

    >>> tint("#000000", 0.5)
    (0.5, 0.5, 0.5, 1.0)
    """
    r, g, b, a = to_rgba(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount, a)


# --- a grid of coloured, numbered cells -----------------------------------------------------


class CellGrid:
    """A matrix drawn as coloured cells with its numbers written in, updated in place.

    Cell (r, c) covers ``[x0 + c, x0 + c + 1] x [y0 + r, y0 + r + 1]`` in data
    units, rows going down (the axes' y axis must be inverted: use
    :func:`matrix_axes`). :meth:`update` sets values, colours and position;
    the artists (one collection of cells, one path of numbers) are reused.
    """

    def __init__(self, ax, *, text_height: float = 0.34, zorder: float = 2.0):
        self.ax = ax
        self.text_height = text_height
        self.cells = PolyCollection(
            [], edgecolors=GRID_LINE, linewidths=0.8, zorder=zorder, closed=True
        )
        ax.add_collection(self.cells)
        self.numbers = PathPatch(
            text_path([], [], 1.0), facecolor="black", edgecolor="none", zorder=zorder + 0.5
        )
        ax.add_patch(self.numbers)
        self.shape = (0, 0)
        self.origin = (0.0, 0.0)

    def update(self, values, colors, origin=(0.0, 0.0), labels=None):
        """Draw ``values`` (R, C) at ``origin`` (x0, y0) with cell colours ``colors``.

        colors: one colour for every cell, or an (R, C, 4) RGBA array.
        labels: strings to write, (R, C) (None or "" leaves a cell blank);
        default: the values, formatted by :func:`format_number`.
        """
        values = np.asarray(values, dtype=np.float64)
        rows, cols = values.shape
        x0, y0 = origin
        self.shape, self.origin = (rows, cols), (float(x0), float(y0))
        r, c = np.mgrid[0:rows, 0:cols]
        left, top = (x0 + c).ravel(), (y0 + r).ravel()
        squares = np.stack(
            [
                np.stack([left, top], -1),
                np.stack([left + 1, top], -1),
                np.stack([left + 1, top + 1], -1),
                np.stack([left, top + 1], -1),
            ],
            axis=1,
        )
        self.cells.set_verts(squares)
        if isinstance(colors, np.ndarray) and colors.ndim == 3:
            self.cells.set_facecolors(colors.reshape(-1, colors.shape[-1]))
        else:
            self.cells.set_facecolors([to_rgba(colors)] * (rows * cols))
        if labels is None:
            labels = [[format_number(v) for v in row] for row in values]
        texts, centres = [], []
        for i in range(rows):
            for j in range(cols):
                label = labels[i][j]
                if label:
                    texts.append(label)
                    centres.append((x0 + j + 0.5, y0 + i + 0.5))
        self.numbers.set_path(text_path(texts, centres, self.text_height, max_width=0.78))

    def recolor(self, colors) -> None:
        """Change only the cell colours (an (R, C, 4) RGBA array), keeping cells and numbers."""
        colors = np.asarray(colors, dtype=np.float64)
        if colors.shape[:2] != self.shape:
            raise ValueError(f"colors has shape {colors.shape[:2]}, the grid {self.shape}")
        self.cells.set_facecolors(colors.reshape(-1, colors.shape[-1]))

    @property
    def artists(self) -> list:
        """The grid's artists in drawing order (cells, then numbers), for a panel's blitting."""
        return [self.cells, self.numbers]

    def box(self, row: int, col: int, height: int = 1, width: int = 1):
        """(x, y, width, height) of a block of cells of this grid, for an outline."""
        x0, y0 = self.origin
        return (x0 + col, y0 + row, width, height)


def matrix_axes(ax) -> None:
    """Prepare an axes for grids: equal aspect, no ticks or frame, rows going down."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    if not ax.yaxis_inverted():
        ax.invert_yaxis()


def settle_axes(ax, xlabel_y: float = -0.1, ylabel_x: float = -0.1) -> None:
    """Fix the positions matplotlib would otherwise work out on every drawing.

    The title, the axis labels and the minor ticks of a log axis are placed
    once, so a panel's redraw skips the search for overlapping tick labels.
    Call it after setting labels, title and scales.
    """
    ax.title.set_y(1.0)
    ax._autotitlepos = False  # the title stays where set_y put it
    if ax.get_xlabel():
        ax.xaxis.set_label_coords(0.5, xlabel_y)
    if ax.get_ylabel():
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())


def _outline(ax, color, linewidth=3.0, linestyle="-", zorder=4.0):
    box = Rectangle(
        (0, 0),
        1,
        1,
        fill=False,
        edgecolor=color,
        linewidth=linewidth,
        linestyle=linestyle,
        zorder=zorder,
    )
    ax.add_patch(box)
    return box


def _place(box: Rectangle, bounds) -> None:
    box.set_bounds(*bounds)


# --- pooling a small matrix (notebook 06) --------------------------------------------------


def visited_cells(size: int, kernel_size: int, stride: int) -> np.ndarray:
    """Which of ``size`` cells along one axis some pooling window reads (no padding).

    >>> visited_cells(6, 2, 3)
    array([ True,  True, False,  True,  True, False])
    """
    count = output_size(size, kernel_size, stride)
    seen = np.zeros(size, dtype=bool)
    for start in range(0, count * stride, stride):
        seen[start : start + kernel_size] = True
    return seen


class PoolMatrixView:
    """A small matrix and its pooled output side by side, redrawn in place.

    The first window and the output it makes are outlined in the kernel
    colour, the last window and its output in the highlight colour; input
    cells that no window reads are greyed and crossed out; padding cells
    (outside ``image_shape``) are grey.
    """

    def __init__(self, ax, *, fontsize: float = 12):
        self.ax = ax
        matrix_axes(ax)
        self.input = CellGrid(ax)
        self.output = CellGrid(ax)
        self.first_window = _outline(ax, viz.KERNEL, 3.5)
        self.last_window = _outline(ax, viz.HIGHLIGHT, 3.0, "--", zorder=4.5)
        self.first_out = _outline(ax, viz.KERNEL, 3.5)
        self.last_out = _outline(ax, viz.HIGHLIGHT, 3.0, "--", zorder=4.5)
        (self.crosses,) = ax.plot(
            [], [], ls="", marker="x", color="black", markersize=18, mew=1.0, alpha=0.5, zorder=3
        )
        self.arrow = FancyArrowPatch(
            (0, 0), (1, 0), arrowstyle="-|>", mutation_scale=16, lw=1.5, color="black"
        )
        ax.add_patch(self.arrow)
        self.input_title = ax.text(0, 0, "", ha="center", va="bottom", fontsize=fontsize)
        self.output_title = ax.text(0, 0, "", ha="center", va="bottom", fontsize=fontsize)

    def update(self, matrix, kernel_size, stride=None, mode="max", image_shape=None, pooled=None):
        """Pool ``matrix`` with :func:`lecturelib.pooling.pool_matrix` and draw both.

        image_shape: (rows, cols) of the original matrix when ``matrix`` was
        zero-padded at the bottom and right (those cells are drawn as padding).
        pooled: the pooled matrix, when the caller has computed it already
        (a notebook's own ``pool_matrix`` call); it is drawn as given.
        Returns the pooled matrix. Raises ValueError for a window larger than
        the matrix, leaving the previous drawing in place.
        """
        if mode not in POOL_MODES:
            raise ValueError(f"mode must be one of {', '.join(POOL_MODES)}; got {mode!r}")
        matrix = as_array(matrix, "matrix", 2)
        if pooled is None:
            pooled = pool_matrix(matrix, kernel_size, stride, mode=mode)
        pooled = as_array(pooled, "pooled", 2)
        (kh, kw) = as_pair(kernel_size, "kernel_size", 1)
        (sh, sw) = (kh, kw) if stride is None else as_pair(stride, "stride", 1)
        rows, cols = matrix.shape
        out_rows, out_cols = pooled.shape
        image_rows, image_cols = image_shape if image_shape is not None else (rows, cols)

        seen = visited_cells(rows, kh, sh)[:, None] & visited_cells(cols, kw, sw)[None, :]
        colors = np.empty((rows, cols, 4))
        colors[:] = tint(viz.INPUT)
        colors[image_rows:, :] = to_rgba(viz.PADDING)
        colors[:, image_cols:] = to_rgba(viz.PADDING)
        colors[~seen] = tint(UNVISITED, 0.3)
        self.input.update(matrix, colors, (0.0, 0.0))
        lost_r, lost_c = np.nonzero(~seen)
        self.crosses.set_data(lost_c + 0.5, lost_r + 0.5)

        gap = 2.0
        x_out, y_out = cols + gap, (rows - out_rows) / 2
        self.output.update(pooled, tint(viz.OUTPUT), (x_out, y_out))
        last_r, last_c = (out_rows - 1) * sh, (out_cols - 1) * sw
        _place(self.first_window, (0, 0, kw, kh))
        _place(self.last_window, (last_c, last_r, kw, kh))
        _place(self.first_out, (x_out, y_out, 1, 1))
        _place(self.last_out, (x_out + out_cols - 1, y_out + out_rows - 1, 1, 1))
        single = out_rows * out_cols == 1
        self.last_window.set_visible(not single)
        self.last_out.set_visible(not single)
        self.arrow.set_positions((cols + 0.25, rows / 2), (cols + gap - 0.25, rows / 2))
        self.input_title.set_position((cols / 2, -0.3))
        self.input_title.set_text(f"input {rows}×{cols}")
        self.output_title.set_position((x_out + out_cols / 2, min(y_out, 0) - 0.3))
        names = {"max": "max", "avg": "average", "min": "min", "sum": "sum"}
        self.output_title.set_text(
            f"{names[mode]} pool {kh}×{kw}, stride ({sh}, {sw})\noutput {out_rows}×{out_cols}"
        )
        top = min(y_out, 0) - 1.6
        self.ax.set_xlim(-0.3, x_out + max(out_cols, 3) + 0.3)
        self.ax.set_ylim(max(rows, y_out + out_rows) + 0.3, top)
        return pooled


def draw_pooling(ax, matrix, kernel_size, stride=None, mode="max", image_shape=None, title=None):
    """One-shot :class:`PoolMatrixView` for static figures; returns the pooled matrix."""
    view = PoolMatrixView(ax, fontsize=10)
    pooled = view.update(matrix, kernel_size, stride, mode, image_shape)
    if title:
        ax.set_title(title, fontsize=11)
    return pooled


# --- shifting the input of a pooling layer (notebook 06) -----------------------------------


def shifted_crop(feature_map, shift: int, size: int, origin=(0, 0)) -> np.ndarray:
    """A ``size`` x ``size`` crop of ``feature_map`` whose content is moved ``shift`` pixels right.

    The crop starts at ``origin`` (row, col); shifting takes the columns
    ``shift`` pixels further left, so the picture inside moves right, and
    new image content (not zeros) enters at the left edge.

    >>> m = np.arange(16).reshape(4, 4)
    >>> shifted_crop(m, 1, 2, origin=(0, 1))
    array([[0, 1],
           [4, 5]])
    """
    feature_map = np.asarray(feature_map)
    if feature_map.ndim != 2:
        raise ValueError(f"feature_map must be 2-D, got shape {feature_map.shape}")
    shift = as_int(shift, "shift", 0)
    size = as_int(size, "size", 1)
    row, col = as_int(origin[0], "origin[0]", 0), as_int(origin[1], "origin[1]", 0)
    if col - shift < 0:
        raise ValueError(f"shift {shift} moves the crop past the left edge (origin column {col})")
    if row + size > feature_map.shape[0] or col + size > feature_map.shape[1]:
        raise ValueError(
            f"a crop of {size} at {origin} does not fit into a map of shape {feature_map.shape}"
        )
    return feature_map[row : row + size, col - shift : col - shift + size]


def unchanged_fraction(
    feature_map, shifts, mode="max", kernel_size=2, stride=None, size=96, origin=(0, 0)
) -> np.ndarray:
    """For every shift, the fraction of pooled values that stay exactly the same.

    The crop of ``feature_map`` (see :func:`shifted_crop`) is pooled with
    :func:`lecturelib.pooling.pool_matrix` before and after moving its content
    ``shift`` pixels to the right, and the two outputs are compared cell by
    cell (equal to 1e-12). ``mode="none"`` compares the crops themselves
    (no pooling: the baseline). Returns an array with one fraction per shift.

    Two bright pixels moved one pixel right: one leaves its 2 x 2 window (two
    of the 16 pooled values change), the other stays inside its window:

    >>> spikes = np.zeros((8, 12))
    >>> spikes[1, 5] = spikes[5, 6] = 1.0
    >>> unchanged_fraction(spikes, [0, 1], "max", 2, size=8, origin=(0, 4))
    array([1.   , 0.875])
    """
    if mode != "none" and mode not in POOL_MODES:
        raise ValueError(f"mode must be 'none' or one of {', '.join(POOL_MODES)}; got {mode!r}")
    reference = shifted_crop(feature_map, 0, size, origin)
    if mode != "none":
        reference = pool_matrix(reference, kernel_size, stride, mode=mode)
    fractions = []
    for shift in shifts:
        moved = shifted_crop(feature_map, shift, size, origin)
        if mode != "none":
            moved = pool_matrix(moved, kernel_size, stride, mode=mode)
        fractions.append(float(np.mean(np.abs(moved - reference) <= 1e-12)))
    return np.array(fractions)


class ShiftExperimentView:
    """Pool a feature map, move the input, and count the pooled values that stay put.

    Four axes: the shifted input crop, its pooled output, a map of the
    pooled values that did not change (output colour) and did (grey), and
    the measured curves "fraction unchanged against shift" for max pooling,
    average pooling and no pooling, with the current shift marked.
    """

    def __init__(self, axes, max_shift: int = 8, *, legend: bool = True):
        self.axes = list(axes)
        self.max_shift = max_shift
        ax_input, ax_pooled, ax_same, ax_curve = self.axes
        for ax in (ax_input, ax_pooled, ax_same):
            ax.set_xticks([])
            ax.set_yticks([])
        blank = np.zeros((2, 2))
        self.input_image = viz.show_image(ax_input, blank)
        self.pooled_image = viz.show_image(ax_pooled, blank)
        same_cmap = _two_colour_map(tint(UNVISITED, 0.35), viz.OUTPUT)
        self.same_image = ax_same.imshow(blank, cmap=same_cmap, vmin=0, vmax=1)
        self.window_box = _outline(ax_input, viz.KERNEL, 2.0)
        self.curves = {}
        styles = {
            "max": dict(color=viz.HIGHLIGHT, marker="o", label="max pooling"),
            "avg": dict(color=viz.ACCENT, marker="s", label="average pooling"),
            "none": dict(color=viz.MUTED, marker=".", ls="--", label="no pooling"),
        }
        for name, style in styles.items():
            (self.curves[name],) = ax_curve.plot([], [], lw=2, markersize=5, **style)
        self.cursor = ax_curve.axvline(0, color="black", lw=1, ls=":")
        ax_curve.set_xlim(-0.3, max_shift + 0.3)
        ax_curve.set_ylim(-0.03, 1.03)
        ax_curve.set_xticks(range(0, max_shift + 1, 2))
        ax_curve.set_yticks([0, 0.5, 1])
        ax_curve.set_xlabel("shift (pixels to the right)")
        ax_curve.set_ylabel("pooled values unchanged")
        ax_curve.yaxis.set_major_formatter(_percent)
        if legend:  # a panel can name the curves in its text instead (faster redraws)
            ax_curve.legend(loc="upper right", fontsize=9, frameon=False)
        self.titles = [ax.set_title("", fontsize=11) for ax in self.axes]
        settle_axes(ax_curve, xlabel_y=-0.16, ylabel_x=-0.22)
        for ax in (ax_input, ax_pooled, ax_same):
            settle_axes(ax)
        self._curves, self._curves_of = {}, None
        self._references = {}
        #: What :meth:`update` changes, in drawing order: pass to a Panel as ``artists``.
        #: The pooled maps change shape, so their axes' boxes move (equal aspect):
        #: their frames and titles are redrawn with them; the curve's axes stay put.
        self.artists = []
        for ax, image in zip(self.axes, (self.input_image, self.pooled_image, self.same_image)):
            self.artists.append(image)
            self.artists += [spine for spine in ax.spines.values() if spine.get_visible()]
        self.artists += [self.window_box, *self.titles[:3], *self.curves.values(), self.cursor]

    def update(
        self, feature_map, mode="max", kernel_size=2, stride=None, shift=0, size=96, origin=(0, 0)
    ):
        """Draw one setting; returns a dict of facts (output shape, fraction unchanged)."""
        shift = as_int(shift, "shift", 0)
        if shift > self.max_shift:
            raise ValueError(f"shift must be at most {self.max_shift}, got {shift}")
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg' here, got {mode!r}")
        crop = shifted_crop(feature_map, shift, size, origin)
        shifts = np.arange(self.max_shift + 1)
        if feature_map is not self._curves_of:
            self._curves, self._references, self._curves_of = {}, {}, feature_map
        key = (str(kernel_size), str(stride), size, tuple(origin))
        if (mode, key) not in self._references:  # the unshifted output, pooled once
            self._references[mode, key] = pool_matrix(
                shifted_crop(feature_map, 0, size, origin), kernel_size, stride, mode=mode
            )
        reference = self._references[mode, key]
        pooled = pool_matrix(crop, kernel_size, stride, mode=mode)
        same = np.abs(pooled - reference) <= 1e-12
        if key not in self._curves:  # the curves do not depend on the shift: measure once
            self._curves[key] = {
                name: unchanged_fraction(
                    feature_map, shifts, name, kernel_size, stride, size, origin
                )
                for name in ("max", "avg", "none")
            }
        curves = self._curves[key]
        top = float(np.max(feature_map))
        self.input_image.set_data(crop)
        self.input_image.set_clim(0, top)
        self.input_image.set_extent((-0.5, size - 0.5, size - 0.5, -0.5))
        kh, kw = as_pair(kernel_size, "kernel_size", 1)
        _place(self.window_box, (-0.5, -0.5, kw, kh))
        self.pooled_image.set_data(pooled)
        self.pooled_image.set_clim(0, top)
        rows, cols = pooled.shape
        self.pooled_image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        self.same_image.set_data(same.astype(float))
        self.same_image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        for ax in self.axes[1:3]:
            ax.apply_aspect()  # place the box now: a panel may redraw only these artists
        for name, line in self.curves.items():
            line.set_data(shifts, curves[name])
            line.set_linewidth(3 if name == mode else 1.5)
        self.cursor.set_xdata([shift, shift])
        label = {"max": "max", "avg": "average"}[mode]
        self.titles[0].set_text(f"input, moved {shift} px right")
        self.titles[1].set_text(f"{label} pooled: {rows}×{cols}")
        self.titles[2].set_text(f"unchanged: {same.mean():.0%}")
        self.titles[3].set_text("measured on this feature map")
        return {
            "input": crop.shape,
            "output": pooled.shape,
            "unchanged": float(same.mean()),
            "unchanged_max": float(curves["max"][shift]),
            "unchanged_avg": float(curves["avg"][shift]),
            "unchanged_none": float(curves["none"][shift]),
        }


def draw_unchanged(
    ax, feature_map, mode="max", kernel_size=2, stride=None, shift=1, size=96, origin=(0, 0)
):
    """Static companion of :class:`ShiftExperimentView`: the map of pooled values that
    stay exactly the same (output colour) or change (grey) after a shift. Returns the
    fraction unchanged."""
    fraction = unchanged_fraction(feature_map, [shift], mode, kernel_size, stride, size, origin)
    reference = pool_matrix(
        shifted_crop(feature_map, 0, size, origin), kernel_size, stride, mode=mode
    )
    moved = pool_matrix(
        shifted_crop(feature_map, shift, size, origin), kernel_size, stride, mode=mode
    )
    same = np.abs(moved - reference) <= 1e-12
    ax.imshow(
        same.astype(float), cmap=_two_colour_map(tint(UNVISITED, 0.35), viz.OUTPUT), vmin=0, vmax=1
    )
    ax.set_xticks([])
    ax.set_yticks([])
    label = {"max": "max", "avg": "average", "min": "min", "sum": "sum"}[mode]
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    ax.set_title(f"{label} {kh}×{kw}, shift {shift}: {fraction[0]:.0%} same", fontsize=10)
    return float(fraction[0])


def colour_key(items) -> str:
    """HTML naming the colours of a figure: ``items`` holds (label, colour) pairs.

    Panels put the key in their text line instead of a matplotlib legend,
    which would be drawn again on every update.

    >>> colour_key([("max pooling", "#D55E00")])
    "<span style='color:#D55E00'>&#9632;</span>&nbsp;max pooling"
    """
    return " &nbsp; ".join(
        f"<span style='color:{colour}'>&#9632;</span>&nbsp;{label}" for label, colour in items
    )


SHIFT_KEY = colour_key(
    [("max pooling", viz.HIGHLIGHT), ("average pooling", viz.ACCENT), ("no pooling", viz.MUTED)]
)
LAYER_KEY = colour_key([("parameters", viz.ACCENT), ("multiply-accumulates", viz.KERNEL)])


def _two_colour_map(low, high):
    return ListedColormap([low, high])


_percent = FuncFormatter(lambda value, _position: f"{value:.0%}")


# --- a multi-channel convolution, one output at a time (notebook 07) -----------------------

CHANNEL_NAMES = ("red", "green", "blue")


class MultiChannelStepper:
    """One filter sliding over a multi-channel input, one output position at a time.

    Rows of the drawing: every input channel (zero-padded) with the window
    filled in the kernel colour, the matching channel of the kernel beside
    it and the channel's sum at the current position. On the right the
    output map fills up cell by cell (current cell in the highlight colour),
    with the sum of the channel sums and the bias written under it.

    x: (C, H, W) input; w: (C, KH, KW) one filter; b: its bias; stride,
    padding: ints. Create once, then call :meth:`show` with a step number
    (0 is the top-left output, counted row by row).
    """

    def __init__(self, ax, x, w, b=0.0, stride=1, padding=1, *, names=None, fontsize=11):
        x = as_array(x, "x", 3)
        w = as_array(w, "w", 3)
        if x.shape[0] != w.shape[0]:
            raise ValueError(
                f"w has {w.shape[0]} channels but x has {x.shape[0]}: a filter spans every "
                "input channel"
            )
        self.stride = as_int(stride, "stride", 1)
        self.padding = as_int(padding, "padding", 0)
        self.x, self.w, self.b = x, w, float(b)
        self.names = list(names) if names is not None else [f"channel {c}" for c in range(len(x))]
        channels, height, width = x.shape
        _, kh, kw = w.shape
        p = self.padding
        self.padded = np.pad(x, ((0, 0), (p, p), (p, p)))
        self.out_shape = (
            output_size(height, kh, self.stride, p, axis="height"),
            output_size(width, kw, self.stride, p, axis="width"),
        )
        # per-channel maps: sums[c, r, s] = sum of window * kernel on channel c
        idx = window_indices((height + 2 * p, width + 2 * p), (kh, kw), self.stride)
        flat = self.padded.reshape(channels, -1)
        self.sums = np.einsum("crsij,cij->crs", flat[:, idx], w)
        self.output = self.sums.sum(axis=0) + self.b

        self.ax = ax
        matrix_axes(ax)
        hp, wp = self.padded.shape[1:]
        self.block = hp + 2.0  # height of one channel's row of the drawing
        self.kernel_x = wp + 1.5
        self.output_x = self.kernel_x + kw + 3.6
        self.inputs, self.kernels, self.windows = [], [], []
        text_height = 0.4 * fontsize / 11
        self.text_height = text_height
        static = []
        # Input cells: padding grey, image blue; show() only recolours the window.
        self.input_colors = np.empty((hp, wp, 4))
        self.input_colors[:] = to_rgba(viz.PADDING)
        self.input_colors[p : hp - p, p : wp - p] = tint(viz.INPUT)
        for c in range(channels):
            top = c * self.block + 1.0
            grid = CellGrid(ax)
            grid.update(self.padded[c], self.input_colors, (0.0, top))
            self.inputs.append(grid)
            kernel = CellGrid(ax)
            kernel.update(w[c], tint(viz.KERNEL, 0.35), (self.kernel_x, top + (hp - kh) / 2))
            self.kernels.append(kernel)
            self.windows.append(_outline(ax, viz.KERNEL, 3.0))
            static.append((f"{self.names[c]} (padded)", 0.0, top - 0.45, "left"))
            static.append(("kernel", self.kernel_x, top + (hp - kh) / 2 - 0.45, "left"))
        oh, ow = self.out_shape
        total_height = channels * self.block
        self.output_y = (total_height - oh) / 2
        self.output_grid = CellGrid(ax)
        self.current = _outline(ax, "black", 2.5, zorder=5)
        static.append(("output", self.output_x, self.output_y - 0.45, "left"))
        ax.add_patch(
            PathPatch(label_path(static, text_height), facecolor="black", edgecolor="none")
        )
        self.labels = PathPatch(label_path([], 1.0), facecolor="black", edgecolor="none")
        ax.add_patch(self.labels)
        ax.set_xlim(-0.3, self.output_x + max(ow, 7.6) + 0.3)
        ax.set_ylim(total_height + 0.2, -0.2)
        self.steps = oh * ow
        #: What :meth:`show` changes, in drawing order: pass to a Panel as ``artists``
        #: (the axes limits never change, so the kernels and labels can stay as pixels).
        self.artists = [
            *(artist for grid in self.inputs for artist in grid.artists),
            *self.output_grid.artists,
            *self.windows,
            self.current,
            self.labels,
        ]

    def set_bias(self, b) -> None:
        """Change the filter's bias (the output map moves by the difference)."""
        self.b = float(b)
        self.output = self.sums.sum(axis=0) + self.b

    def show(self, step: int) -> dict:
        """Draw output position ``step``; returns its channel sums, bias and value."""
        step = as_int(step, "step", 0)
        if step >= self.steps:
            raise ValueError(f"step must be below {self.steps} (the number of outputs), got {step}")
        oh, ow = self.out_shape
        r, s = divmod(step, ow)
        _, kh, kw = self.w.shape
        hp = self.padded.shape[1]
        row0, col0 = r * self.stride, s * self.stride
        labels = []
        colors = self.input_colors.copy()
        under = colors[row0 : row0 + kh, col0 : col0 + kw]
        inside = under[..., 0] != to_rgba(viz.PADDING)[0]
        under[inside] = tint(viz.KERNEL, 0.35)
        under[~inside] = tint(viz.KERNEL, 0.7)
        for c, grid in enumerate(self.inputs):
            top = c * self.block + 1.0
            grid.recolor(colors)
            _place(self.windows[c], (col0, top + row0, kw, kh))
            labels.append(
                (
                    f"→ {format_number(self.sums[c, r, s])}",
                    self.kernel_x + kw + 0.3,
                    top + hp / 2,
                    "left",
                )
            )
        done = np.arange(oh * ow).reshape(oh, ow) <= step
        colors = np.empty((oh, ow, 4))
        colors[:] = (1.0, 1.0, 1.0, 1.0)
        colors[done] = tint(viz.OUTPUT)
        colors[r, s] = tint(viz.HIGHLIGHT, 0.25)
        cell_labels = [
            [format_number(self.output[i, j]) if done[i, j] else "" for j in range(ow)]
            for i in range(oh)
        ]
        self.output_grid.update(self.output, colors, (self.output_x, self.output_y), cell_labels)
        _place(self.current, (self.output_x + s, self.output_y + r, 1, 1))
        sums = [format_number(v) for v in self.sums[:, r, s]]
        terms = " + ".join(f"({t})" if t.startswith("-") else t for t in sums)
        lines = [terms, f"+ bias {format_number(self.b)}", f"= {format_number(self.output[r, s])}"]
        for k, line in enumerate(lines):
            labels.append((line, self.output_x, self.output_y + oh + 0.9 + 0.75 * k, "left"))
        self.labels.set_path(label_path(labels, self.text_height * 1.1))
        return {
            "position": (r, s),
            "channel_sums": self.sums[:, r, s].copy(),
            "bias": self.b,
            "value": float(self.output[r, s]),
        }


def draw_multichannel_step(ax, x, w, b=0.0, step=0, stride=1, padding=1, names=None, title=None):
    """One-shot :class:`MultiChannelStepper` at ``step`` for static figures."""
    stepper = MultiChannelStepper(ax, x, w, b, stride, padding, names=names, fontsize=12)
    facts = stepper.show(step)
    if title:
        ax.set_title(title, fontsize=11)
    return facts


# --- shapes of a conv layer as volumes (notebook 07) ---------------------------------------


def _depth(channels: int) -> float:
    """Drawn depth of a volume: grows with the number of channels, but slowly."""
    return 0.35 + 0.55 * np.log2(channels)


def _cuboid(x, y, width, height, depth):
    """Front, top and side faces of a box whose front face is (x, y, width, height)."""
    dx, dy = 0.6 * depth, 0.45 * depth
    front = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    top = [
        (x, y + height),
        (x + width, y + height),
        (x + width + dx, y + height + dy),
        (x + dx, y + height + dy),
    ]
    side = [
        (x + width, y),
        (x + width + dx, y + dy),
        (x + width + dx, y + height + dy),
        (x + width, y + height),
    ]
    return front, top, side


class VolumeDiagram:
    """Input volume, one filter and the output volume of a conv layer, with their shapes.

    Front faces are drawn to scale (height and width), depth grows with the
    logarithm of the number of channels so that 3 and 512 channels both fit.
    """

    def __init__(self, ax, *, fontsize: float = 11):
        self.ax = ax
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.faces = {}
        shades = (0.0, 0.35, 0.6)
        for role, colour in (("input", viz.INPUT), ("kernel", viz.KERNEL), ("output", viz.OUTPUT)):
            self.faces[role] = [
                Polygon(
                    np.zeros((4, 2)),
                    closed=True,
                    facecolor=tint(colour, shade),
                    edgecolor=GRID_LINE,
                    linewidth=1.0,
                )
                for shade in shades
            ]
            for face in self.faces[role]:
                ax.add_patch(face)
        self.labels = {
            role: ax.text(0, 0, "", ha="center", va="top", fontsize=fontsize)
            for role in ("input", "kernel", "output")
        }
        self.operator = ax.text(0, 0, "", ha="center", va="center", fontsize=fontsize + 4)

    def update(self, channels, size, kernel_size, filters, stride=1, padding=0):
        """Draw a conv layer of ``filters`` kernels ``kernel_size`` x ``kernel_size`` on a
        ``channels`` x ``size`` x ``size`` input; returns the output size (one side).

        Raises ValueError (from :func:`lecturelib.convolution.output_size`) when the
        kernel does not fit into the padded input.
        """
        channels = as_int(channels, "channels", 1)
        filters = as_int(filters, "filters", 1)
        out = output_size(size, kernel_size, stride, padding)
        scale = 6.0 / max(size + 2 * padding, 1)
        gap = 1.6
        x = 0.0
        placed = {}
        for role, side, depth in (
            ("input", size, channels),
            ("kernel", kernel_size, channels),
            ("output", out, filters),
        ):
            drawn_side = max(side * scale, 0.25)
            d = _depth(depth)
            y = (6.0 - drawn_side) / 2
            for face, corners in zip(self.faces[role], _cuboid(x, y, drawn_side, drawn_side, d)):
                face.set_xy(corners)
            placed[role] = (x, drawn_side, d)
            x += drawn_side + 0.6 * d + gap
        texts = {
            "input": f"input\n{channels}×{size}×{size}",
            "kernel": f"{filters} filter{'s' if filters > 1 else ''}\n"
            f"each {channels}×{kernel_size}×{kernel_size}",
            "output": f"output\n{filters}×{out}×{out}",
        }
        for role, (x0, side, d) in placed.items():
            self.labels[role].set_position((x0 + (side + 0.6 * d) / 2, (6.0 - 6.0) / 2 - 0.3))
            self.labels[role].set_text(texts[role])
        self.labels["input"].set_y(-0.3)
        kx, kside, kd = placed["kernel"]
        self.operator.set_position((kx - gap / 2, 3.0))
        self.operator.set_text("∗")
        self.ax.set_xlim(-0.3, x - gap + 0.3)
        self.ax.set_ylim(-2.6, 6.0 + 0.45 * _depth(max(channels, filters)) + 0.6)
        return out


def draw_volumes(ax, channels, size, kernel_size, filters, stride=1, padding=0, title=None):
    """One-shot :class:`VolumeDiagram`; returns the output size."""
    out = VolumeDiagram(ax, fontsize=10).update(
        channels, size, kernel_size, filters, stride, padding
    )
    if title:
        ax.set_title(title, fontsize=11)
    return out


# --- static figures of notebook 07 ------------------------------------------------------


def draw_conv_matrix(ax, input_shape, kernel, stride=1, padding=0):
    """The matrix of a small convolution (:func:`lecturelib.convolution.conv_matrix`), coloured
    by which kernel entry sits in each cell (zeros white); returns the matrix."""
    kernel = as_array(kernel, "kernel", 2)
    matrix = conv_matrix(input_shape, kernel, stride, padding)
    matrix_axes(ax)
    palette = [viz.ACCENT, viz.HIGHLIGHT, viz.KERNEL, "#CC79A7", viz.OUTPUT, viz.INPUT]
    colors = np.ones(matrix.shape + (4,))
    for index, value in enumerate(np.unique(kernel[kernel != 0])):
        colors[matrix == value] = tint(palette[index % len(palette)], 0.3)
    labels = [[format_number(v) if v else "0" for v in row] for row in matrix]
    grid = CellGrid(ax)
    grid.update(matrix, colors, (0.0, 0.0), labels)
    rows, cols = matrix.shape
    for c in range(cols):
        ax.text(c + 0.5, -0.2, f"x{c + 1}", ha="center", va="bottom", fontsize=10)
    for r in range(rows):
        ax.text(-0.2, r + 0.5, f"y{r + 1}", ha="right", va="center", fontsize=10)
    ax.set_xlim(-1.2, cols + 0.2)
    ax.set_ylim(rows + 0.2, -1.0)
    return matrix


def draw_sparse_connectivity(ax, image_shape=(4, 4), kernel_size=2, stride=2):
    """Pixels numbered from 1 and coloured by the output unit that sees them.

    The output units (h11, h12, ...) are drawn on the right in the same
    colours. Returns :func:`lecturelib.convolution.window_indices` + 1 (pixel
    numbers, 0 for padding), shape (OH, OW, KH, KW).
    """
    h, w = image_shape
    seen = window_indices((h, w), kernel_size, stride) + 1
    oh, ow = seen.shape[:2]
    palette = [viz.ACCENT, viz.HIGHLIGHT, viz.OUTPUT, "#CC79A7", viz.KERNEL, viz.INPUT]
    matrix_axes(ax)
    colors = np.empty((h, w, 4))
    colors[:] = tint(UNVISITED, 0.5)
    out_colors = np.empty((oh, ow, 4))
    for unit, (r, s) in enumerate(np.ndindex(oh, ow)):
        colour = tint(palette[unit % len(palette)], 0.35)
        out_colors[r, s] = colour
        for pixel in seen[r, s].ravel():
            if pixel > 0:
                colors[(pixel - 1) // w, (pixel - 1) % w] = colour
    numbers = np.arange(1, h * w + 1).reshape(h, w)
    CellGrid(ax).update(numbers, colors, (0.0, 0.0))
    x_out, y_out = w + 2.0, (h - oh) / 2
    names = [[f"h1{r * ow + s + 1}" for s in range(ow)] for r in range(oh)]
    CellGrid(ax, text_height=0.28).update(np.zeros((oh, ow)), out_colors, (x_out, y_out), names)
    ax.annotate(
        "",
        xy=(x_out - 0.3, h / 2),
        xytext=(w + 0.3, h / 2),
        arrowprops=dict(arrowstyle="->", lw=1.5),
    )
    ax.text(w / 2, -0.2, f"input {h}×{w} (pixel numbers)", ha="center", va="bottom", fontsize=10)
    ax.text(x_out + ow / 2, y_out - 0.2, "outputs", ha="center", va="bottom", fontsize=10)
    ax.set_xlim(-0.3, x_out + ow + 0.3)
    ax.set_ylim(h + 0.3, -1.0)
    return seen


def draw_receptive_growth(ax, n_inputs=7, kernel_size=3, layers=2, meet=(0, 4)):
    """Stacked 1-D convolutions (no padding, stride 1) as a graph of units.

    Edges leaving the two inputs in ``meet`` (0-based; default x1 and x5) are
    coloured, every unit that depends on one of them is filled, and units
    depending on both are ringed in the highlight colour. Returns, per layer
    (1, 2, ...), the units that see both inputs.
    """
    n_inputs = as_int(n_inputs, "n_inputs", 1)
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    layers = as_int(layers, "layers", 1)
    a, b = meet
    colours = {a: viz.ACCENT, b: viz.KERNEL}
    sizes = [n_inputs - layer * (kernel_size - 1) for layer in range(layers + 1)]
    if sizes[-1] < 1:
        raise ValueError(f"{layers} layers of width {kernel_size} need more than {n_inputs} inputs")
    xs = [np.arange(size) + layer * (kernel_size - 1) / 2 for layer, size in enumerate(sizes)]
    both_per_layer = []
    background, coloured, coloured_c = [], [], []
    for layer in range(1, layers + 1):
        for unit in range(sizes[layer]):
            field = receptive_field([kernel_size] * layer, position=unit)
            for k in range(kernel_size):
                below = unit + k
                segment = [(xs[layer - 1][below], layer - 1), (xs[layer][unit], layer)]
                below_field = (
                    range(below, below + 1)
                    if layer == 1
                    else receptive_field([kernel_size] * (layer - 1), position=below)
                )
                hit = [i for i in (a, b) if i in below_field]
                if hit:
                    for i in hit:
                        coloured.append(segment)
                        coloured_c.append(colours[i])
                else:
                    background.append(segment)
            del field
    ax.add_collection(LineCollection(background, colors="#CCCCCC", linewidths=0.9, zorder=1))
    ax.add_collection(LineCollection(coloured, colors=coloured_c, linewidths=2.0, zorder=2))
    for layer, (size, x) in enumerate(zip(sizes, xs)):
        both = []
        for unit in range(size):
            field = (
                range(unit, unit + 1)
                if layer == 0
                else receptive_field([kernel_size] * layer, position=unit)
            )
            has_a, has_b = a in field, b in field
            face = "white"
            if has_a and not has_b:
                face = colours[a]
            elif has_b and not has_a:
                face = colours[b]
            elif has_a and has_b:
                face = viz.HIGHLIGHT
                both.append(unit)
            ax.scatter([x[unit]], [layer], s=260, color=face, edgecolors="black", zorder=3)
            name = (
                f"x{unit + 1}" if layer == 0 else f"h{unit + 1}" if layer == 1 else f"g{unit + 1}"
            )
            ax.text(
                x[unit],
                layer - 0.28 if layer == 0 else layer + 0.22,
                name,
                ha="center",
                va="top" if layer == 0 else "bottom",
                fontsize=9,
            )
        if layer:
            both_per_layer.append(both)
    ax.set_yticks(range(layers + 1), ["input"] + [f"layer {k}" for k in range(1, layers + 1)])
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlim(-0.7, n_inputs - 0.3)
    ax.set_ylim(-0.6, layers + 0.6)
    return both_per_layer


def draw_cnn_pipeline(ax, stages):
    """A row of boxes, one per stage of a network: ``stages`` is a list of
    (name, detail, role colour) triples, drawn left to right with arrows."""
    ax.set_axis_off()
    width, gap = 1.9, 0.55
    for index, (name, detail, colour) in enumerate(stages):
        x = index * (width + gap)
        ax.add_patch(
            Rectangle(
                (x, 0), width, 1.3, facecolor=tint(colour, 0.45), edgecolor=GRID_LINE, linewidth=1.2
            )
        )
        ax.text(x + width / 2, 0.85, name, ha="center", va="center", fontsize=10, fontweight="bold")
        ax.text(x + width / 2, 0.38, detail, ha="center", va="center", fontsize=9)
        if index:
            ax.annotate(
                "",
                xy=(x - 0.05, 0.65),
                xytext=(x - gap + 0.05, 0.65),
                arrowprops=dict(arrowstyle="->", lw=1.4),
            )
    ax.set_xlim(-0.1, len(stages) * (width + gap) - gap + 0.1)
    ax.set_ylim(-0.1, 1.4)


# --- layer tables (notebook 08) ------------------------------------------------------------


def short_name(row) -> str:
    """A layer row's label without its details: "Conv-1 (96, 11x11, s4)" -> "Conv-1"."""
    return row.label.split(" (")[0]


def compact_number(value) -> str:
    """A count in a few characters, for titles and bar labels.

    >>> compact_number(62_378_344), compact_number(60_850), compact_number(None)
    ('62.4 M', '60.9 k', '?')
    """
    if value is None:
        return "?"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value}"


# --- panel builders (plumbing-a): notebooks 06 and 07, minus the lesson ----------------


def _check_agrees(drawn, lesson, what: str) -> None:
    """The drawing and the notebook's computation must agree; a mismatch is a bug, not a setting."""
    if np.shape(drawn) != np.shape(lesson) or not np.allclose(drawn, lesson):
        raise RuntimeError(f"the drawing and the lesson disagree on {what}")


def pooling_panel(controls: dict, matrices: dict, compute, *, caption: str = "") -> Panel:
    """Pool a small matrix with any window and strides (:class:`PoolMatrixView`).

    ``matrices`` maps a name to ``(values, image_shape)``: the matrix and, if
    it was zero-padded at the bottom and right, the shape before padding
    (else None). ``controls``: ``matrix`` (a name), ``mode``, ``window``,
    ``row_stride`` and ``col_stride``. ``compute(**values)`` is the lesson,
    the pooled matrix (the notebook's :func:`lecturelib.pool_matrix` call),
    which the panel draws; the text counts the outputs and the cells no window
    reads.
    """
    figure, ax = viz.new_figure(7, 3.6)
    view = PoolMatrixView(ax)

    def update(matrix, mode, window, row_stride, col_stride):
        values, image_shape = matrices[matrix]
        pooled = compute(matrix, mode, window, row_stride, col_stride)
        out = view.update(values, window, (row_stride, col_stride), mode, image_shape, pooled)
        seen = np.outer(
            visited_cells(values.shape[0], window, row_stride),
            visited_cells(values.shape[1], window, col_stride),
        )
        return (
            f"output {out.shape[0]}×{out.shape[1]}: {out.size} values from {values.size} cells; "
            f"{values.size - seen.sum()} cells never read"
        )

    return Panel(controls, update, figure, caption=caption)


def shift_panel(
    controls: dict, feature_map, crop_size: int, crop_origin, *, caption: str = "", dpi=80
) -> Panel:
    """Shift the input of a pooling layer and count the pooled values that stay the same.

    ``controls``: ``mode`` ("max" or "avg"), ``window``, ``row_stride``,
    ``col_stride`` and ``shift`` (0 to 8 pixels). The experiment is
    :class:`ShiftExperimentView` on the ``crop_size`` crop of ``feature_map``
    at ``crop_origin``: pooled with :func:`lecturelib.pool_matrix` before and
    after the shift (:func:`unchanged_fraction`).
    """
    figure, axes = viz.new_figure(12, 3.1, 1, 4)
    view = ShiftExperimentView(axes, max_shift=8, legend=False)

    def update(mode, window, row_stride, col_stride, shift):
        facts = view.update(
            feature_map, mode, window, (row_stride, col_stride), shift, crop_size, crop_origin
        )
        rows, cols = facts["output"]
        return (
            f"{SHIFT_KEY}<br>{rows}×{cols} pooled values; after a shift of {shift} px: "
            f"{facts['unchanged_max']:.0%} unchanged with max pooling, "
            f"{facts['unchanged_avg']:.0%} with average pooling, "
            f"{facts['unchanged_none']:.0%} of the pixels without pooling"
        )

    return Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)


def conv_layer_panel(controls: dict, compute, *, caption: str = "") -> Panel:
    """Input, filter and output volumes of one convolution layer, with its counts.

    ``controls``: ``channels``, ``size`` (of a square input), ``kernel_size``,
    ``filters``, ``stride`` and ``padding``. ``compute(**values)`` is the
    lesson: the layer's row of :func:`lecturelib.layer_tables.layer_table`
    (output shape, weights, biases, parameters, MACs); a row with an
    ``error`` shows that error as the message.
    """
    figure, ax = viz.new_figure(8, 3.6)
    volumes = VolumeDiagram(ax)

    def update(channels, size, kernel_size, filters, stride, padding):
        out = volumes.update(channels, size, kernel_size, filters, stride, padding)
        row = compute(channels, size, kernel_size, filters, stride, padding)
        if row.error:
            raise ValueError(row.error)
        _check_agrees(row.output_shape, (filters, out, out), "the output shape")
        return (
            f"output {filters}×{out}×{out}; "
            f"weights {filters}·{channels}·{kernel_size}·{kernel_size} = {row.weights:,}, "
            f"biases {row.biases:,}, parameters <b>{row.params:,}</b>; "
            f"{row.macs:,} multiply-accumulates per image"
        )

    return Panel(controls, update, figure, caption=caption)


def multichannel_panel(
    controls: dict, x, w, compute, *, padding: int = 1, names=CHANNEL_NAMES, caption: str = ""
) -> Panel:
    """One filter over a multi-channel input, position by position (:class:`MultiChannelStepper`).

    x: (C, H, W), w: (C, KH, KW). ``controls``: ``position`` (0 to the number
    of output cells - 1) and ``bias``. ``compute(bias)`` is the lesson, the
    whole output map (OH, OW) (the notebook's :func:`lecturelib.conv2d` call);
    the panel checks the drawn value against it and writes out the channel sums.
    """
    figure, ax = viz.new_figure(6, 6.4)
    maps = {}  # the lesson's output map for each bias (moving the position reuses it)
    stepper = MultiChannelStepper(ax, x, w, controls["bias"].value, padding=padding, names=names)
    controls["position"].max = stepper.steps - 1  # one position per output cell

    def update(position, bias):
        stepper.set_bias(bias)
        facts = stepper.show(position)
        r, c = facts["position"]
        if bias not in maps:
            maps[bias] = compute(bias)
        _check_agrees(facts["value"], maps[bias][r, c], f"output ({r}, {c})")
        sums = " + ".join(f"({v:g})" for v in facts["channel_sums"])
        return f"output ({r}, {c}) = {sums} + bias {bias:g} = <b>{facts['value']:g}</b>"

    panel = Panel(controls, update, figure, caption=caption, artists=stepper.artists)
    panel.steps = stepper.steps
    return panel


__all__ = [
    "GRID_LINE",
    "UNVISITED",
    "POOL_MODES",
    "CHANNEL_NAMES",
    "tint",
    "CellGrid",
    "matrix_axes",
    "settle_axes",
    "visited_cells",
    "PoolMatrixView",
    "draw_pooling",
    "shifted_crop",
    "unchanged_fraction",
    "ShiftExperimentView",
    "draw_unchanged",
    "colour_key",
    "SHIFT_KEY",
    "LAYER_KEY",
    "MultiChannelStepper",
    "draw_multichannel_step",
    "VolumeDiagram",
    "draw_volumes",
    "draw_conv_matrix",
    "draw_sparse_connectivity",
    "draw_receptive_growth",
    "draw_cnn_pipeline",
    "short_name",
    "compact_number",
    "pooling_panel",
    "shift_panel",
    "conv_layer_panel",
    "multichannel_panel",
]
