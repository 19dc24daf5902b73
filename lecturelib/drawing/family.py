"""Figures for the convolution-family notebook (10): dilated, transposed, grouped.

- :func:`receptive_paths`: how many paths lead from each input pixel to the
  centre output of a stack of dilated 3 x 3 convolutions (the receptive
  field, with its holes when the dilations grid);
- :func:`kernel_copies` and :func:`checkerboard`: how many kernel copies a
  transposed convolution adds onto each output pixel, and whether the count
  is uneven away from the borders (the checkerboard artefact);
- :func:`draw_counts`: a grid of such counts, numbered;
- :func:`draw_groups`: which input channels each output channel of a
  grouped convolution reads (one line style per group);
- :class:`FamilyView`: the notebook's panel figure (kernel copies and groups),
  and :class:`FamilyPanel`, the panel around it.

Colours follow :mod:`lecturelib.drawing.figures`; counts are also written as numbers
and groups drawn with different line styles, so nothing relies on colour.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from .._checks import as_int
from ..convolution import conv_transpose1d, conv_transpose2d
from . import figures as viz
from .layer_views import CellGrid, matrix_axes
from .panel import Panel

#: One line style per group (cycled), so groups differ by more than colour.
GROUP_STYLES = ("-", "--", ":", "-.")


def receptive_paths(dilations, kernel_size: int = 3) -> np.ndarray:
    """Paths from every input pixel to the centre output of stacked dilated convolutions.

    dilations: one dilation per layer (first layer first), each a
    ``kernel_size`` x ``kernel_size`` kernel of ones, no padding. The count is
    the gradient of that output with respect to the input, computed by
    transposed convolutions (one per layer, last layer first). Returns an
    (E, E) int array, ``E = 1 + (kernel_size - 1) * sum(dilations)``; zeros
    are pixels the output never sees.

    >>> receptive_paths([1, 1]).shape, int(receptive_paths([1, 1])[2, 2])
    ((5, 5), 9)
    """
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    paths = np.ones((1, 1, 1, 1))
    kernel = np.ones((1, 1, kernel_size, kernel_size))
    for dilation in reversed(list(dilations)):
        paths = conv_transpose2d(paths, kernel, dilation=as_int(dilation, "dilation", 1))
    return np.rint(paths[0, 0]).astype(int)


def kernel_copies(
    input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, groups=1
):
    """How many kernel cells land on each output pixel of a transposed convolution.

    The transposed convolution of an ``input_size`` x ``input_size`` image of
    ones with a kernel of ones: every input pixel adds one copy of the kernel,
    so each output counts the copies that reach it. ``groups`` checks the
    channel arithmetic on a 6-channel example (it must divide 6). Returns an
    (OH, OW) int array; impossible settings raise lecturelib's ValueError.

    >>> kernel_copies(2, 3, stride=2)
    array([[1, 1, 2, 1, 1],
           [1, 1, 2, 1, 1],
           [2, 2, 4, 2, 2],
           [1, 1, 2, 1, 1],
           [1, 1, 2, 1, 1]])
    """
    channels = 6
    groups = as_int(groups, "groups", 1)
    if channels % groups:
        raise ValueError(
            f"groups={groups} must divide both the input channels ({channels}) and the "
            f"output channels ({channels})"
        )
    x = np.ones((channels, input_size, input_size))
    w = np.ones((channels, channels // groups, kernel_size, kernel_size))
    y = conv_transpose2d(x, w, None, stride, padding, output_padding, groups, dilation)
    return np.rint(y[0] / (channels // groups)).astype(int)


def checkerboard(kernel_size, stride, dilation=1, length: int = 16) -> tuple[int, int]:
    """(fewest, most) kernel copies on the pixels of a long 1-D transposed convolution.

    Only pixels away from both ends are counted (the ends get fewer copies
    anyway). Unequal numbers mean an input of constant value comes out
    striped (a checkerboard in 2-D); equal numbers mean it stays flat.

    >>> checkerboard(3, 2), checkerboard(4, 2), checkerboard(2, 2, dilation=2)
    ((1, 2), (2, 2), (0, 2))
    """
    copies = conv_transpose1d(
        np.ones((1, length)), np.ones((1, 1, kernel_size)), stride=stride, dilation=dilation
    )[0]
    reach = dilation * (kernel_size - 1)
    interior = copies[reach : (length - 1) * stride + 1]
    if interior.size == 0:
        interior = copies
    return int(round(interior.min())), int(round(interior.max()))


def _count_colors(counts, top):
    cmap = colormaps[viz.SEQUENTIAL]
    return cmap(0.4 + 0.6 * counts / max(top, 1))  # the light end: black numbers stay legible


def draw_counts(ax, counts, title=None, top=None):
    """A grid of counts, each cell coloured and numbered (0 in grey: nothing lands there)."""
    counts = np.asarray(counts)
    matrix_axes(ax)
    grid = CellGrid(ax, text_height=0.4 if max(counts.shape) <= 12 else 0.3)
    colors = _count_colors(counts, top if top is not None else counts.max())
    colors[counts == 0] = (0.92, 0.92, 0.92, 1.0)
    labels = None if counts.size <= 400 else [[""] * counts.shape[1]] * counts.shape[0]
    grid.update(counts, colors, labels=labels)
    ax.set_xlim(-0.2, counts.shape[1] + 0.2)
    ax.set_ylim(counts.shape[0] + 0.2, -0.2)
    if title:
        ax.set_title(title, fontsize=10)
    return grid


def draw_groups(ax, in_channels: int, out_channels: int, groups: int, title=None):
    """Input channels (left) joined to the output channels (right) that read them.

    Output channel f of group g reads input channels g * C/G ... (g + 1) * C/G - 1;
    each group has its own line style and colour. Returns the number of lines
    (= weights per kernel position, F * C / G).
    """
    per_in, per_out = in_channels // groups, out_channels // groups
    ax.set_axis_off()
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(max(in_channels, out_channels) - 0.5, -1.7)
    lines = 0
    for g in range(groups):
        color = viz.SERIES[g % len(viz.SERIES)]
        style = GROUP_STYLES[g % len(GROUP_STYLES)]
        for c in range(g * per_in, (g + 1) * per_in):
            for f in range(g * per_out, (g + 1) * per_out):
                ax.add_line(Line2D([0, 1], [c, f], color=color, linestyle=style, linewidth=1.4))
                lines += 1
    ax.scatter(np.zeros(in_channels), np.arange(in_channels), s=90, color=viz.INPUT,
               edgecolor="black", zorder=3)  # fmt: skip
    ax.scatter(np.ones(out_channels), np.arange(out_channels), s=90, color=viz.OUTPUT,
               edgecolor="black", marker="s", zorder=3)  # fmt: skip
    ax.text(0, -0.5, "input\nchannels", ha="center", va="bottom", fontsize=9)
    ax.text(1, -0.5, "output\nchannels", ha="center", va="bottom", fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    return lines


class FamilyView:
    """The notebook's panel figure: kernel copies of a transposed convolution, and groups.

    Two axes: ``axes[0]`` shows how many kernel copies reach each output
    pixel of a transposed convolution of a 4 x 4 input; ``axes[1]`` the
    channel connections of the same layer with 6 input and 6 output
    channels in ``groups`` groups. The artists are made once;
    :meth:`update` only changes them, and returns the facts the caption reports.
    """

    INPUT_SIZE = 4
    CHANNELS = 6

    def __init__(self, axes):
        self.axes = axes
        matrix_axes(axes[0])
        self.grid = CellGrid(axes[0], text_height=0.4)
        # fixed titles: redrawing text costs more than the grid (the sizes go in the caption)
        axes[0].set_title(
            f"{self.INPUT_SIZE}×{self.INPUT_SIZE} input of ones: kernel copies per output pixel",
            fontsize=10,
        )
        axes[1].set_title(f"{self.CHANNELS} channels in and out, one line style per group",
                          fontsize=10)  # fmt: skip
        ax = axes[1]
        n = self.CHANNELS
        ax.set_axis_off()
        ax.set_xlim(-0.35, 1.35)
        ax.set_ylim(n - 0.5, -1.7)
        # one collection per line style; group g uses style g mod 4
        self.links = [
            LineCollection([], linestyles=style, linewidths=1.4) for style in GROUP_STYLES
        ]
        for links in self.links:
            ax.add_collection(links)
        # the channels never change, but lie over the links: redrawn with them
        self.channels = [
            ax.scatter(np.zeros(n), np.arange(n), s=90, color=viz.INPUT, edgecolor="black",
                       zorder=3),
            ax.scatter(np.ones(n), np.arange(n), s=90, color=viz.OUTPUT, edgecolor="black",
                       marker="s", zorder=3),
        ]  # fmt: skip
        ax.text(0, -0.5, "input\nchannels", ha="center", va="bottom", fontsize=9)
        ax.text(1, -0.5, "output\nchannels", ha="center", va="bottom", fontsize=9)

    @property
    def artists(self) -> list:
        """The artists :meth:`update` changes (for the Panel's ``artists``: faster redraws),
        and the channel markers drawn over the links."""
        return [self.grid.cells, self.grid.numbers, *self.links, *self.channels]

    def update(self, kernel_size, stride, padding, output_padding, dilation, groups) -> dict:
        counts = kernel_copies(
            self.INPUT_SIZE, kernel_size, stride, padding, output_padding, dilation, groups
        )  # raises ValueError first, before anything is drawn
        fewest, most = checkerboard(kernel_size, stride, dilation)
        rows, cols = counts.shape
        colors = _count_colors(counts, kernel_size * kernel_size)
        colors[counts == 0] = (0.92, 0.92, 0.92, 1.0)
        self.grid.update(counts, colors)
        self.axes[0].set_xlim(-0.2, max(rows, cols) + 0.2)
        self.axes[0].set_ylim(max(rows, cols) + 0.2, -0.2)
        per = self.CHANNELS // groups
        segments = [[] for _ in GROUP_STYLES]
        colours = [[] for _ in GROUP_STYLES]
        for g in range(groups):
            for c in range(g * per, (g + 1) * per):
                for f in range(g * per, (g + 1) * per):
                    segments[g % len(GROUP_STYLES)].append([(0, c), (1, f)])
                    colours[g % len(GROUP_STYLES)].append(viz.SERIES[g % len(viz.SERIES)])
        for links, lines, colour in zip(self.links, segments, colours):
            links.set_segments(lines)
            links.set_colors(colour or ["black"])
        pairs = self.CHANNELS * per
        weights = pairs * kernel_size * kernel_size
        return {
            "output": (rows, cols),
            "pairs": pairs,
            "fewest": fewest,
            "most": most,
            "weights": weights,
            "macs": weights * self.INPUT_SIZE * self.INPUT_SIZE,
        }


# --- panel builders (plumbing-b): the notebook's panel, minus the lesson --------------------


class FamilyPanel(Panel):
    """The panel of notebook 10: a transposed convolution's kernel copies, and its groups.

    ``controls`` must hold ``kernel_size``, ``stride``, ``padding``,
    ``output_padding``, ``dilation`` and ``groups``. The figure is
    :class:`FamilyView` (the copies are counted by
    :func:`lecturelib.conv_transpose2d`, see :func:`kernel_copies`);
    ``output_size(n, kernel_size, stride, padding, output_padding, dilation)``
    is the lesson's formula for the output length (the notebook passes
    :func:`lecturelib.conv_transpose_output_size`), written out under the
    figure with the counts of copies, weights and multiply-accumulates.
    Impossible settings (output padding not below stride or dilation,
    groups that do not divide 6) show the library's message.
    """

    def __init__(self, controls: dict, output_size, *, caption: str = ""):
        figure, axes = viz.new_figure(10, 4.4, 1, 2, width_ratios=[1.6, 1])
        self.view = FamilyView(axes)
        self.output_size = output_size
        super().__init__(controls, self.draw, figure, caption=caption, artists=self.view.artists)

    def draw(self, kernel_size, stride, padding, output_padding, dilation, groups) -> str:
        facts = self.view.update(kernel_size, stride, padding, output_padding, dilation, groups)
        n = self.view.INPUT_SIZE
        size = self.output_size(n, kernel_size, stride, padding, output_padding, dilation)
        fewest, most = facts["fewest"], facts["most"]
        overlap = (
            f"every pixel away from the border gets {most} copies per axis: no checkerboard"
            if fewest == most
            else f"pixels get between {fewest} and {most} copies per axis: a checkerboard"
        )
        return (
            f"O = ({n} - 1)·{stride} - 2·{padding} + {dilation}·({kernel_size} - 1) + "
            f"{output_padding} + 1 = {size}; {overlap}. In {groups} group(s), {facts['pairs']} "
            f"channel pairs: {facts['weights']} weights, {facts['macs']:,} multiply-accumulates."
        )
