"""The layer chart of the AlexNet notebook (07), built to redraw quickly.

:class:`LayerBarChart` draws a network's layer table (a
:class:`lecturelib.layer_tables.LayerTable`) as pairs of horizontal bars on a
logarithmic axis: parameters in :data:`~lecturelib.drawing.figures.ACCENT`,
multiply-accumulates in :data:`~lecturelib.drawing.figures.KERNEL`. The names of the
layers that cannot work are painted in :data:`~lecturelib.drawing.figures.HIGHLIGHT`
and crossed out. :func:`draw_layer_bar_chart` is the one-shot version for
static figures.

In a :class:`lecturelib.drawing.panel.Panel` the chart is blitted: the axes, ticks
and black layer names never change, so the panel keeps them as pixels and
each update paints only the artists in :attr:`LayerBarChart.artists`:
one collection of bars per series (one drawing call for twelve bars), the
left spine they start on, the crosses, the title, and an overlay that
repaints the broken rows' names in red. The red names are rendered once per
row and then copied as pixels, since drawing text is the slowest thing
matplotlib does. Updated this way, the panel looks exactly as if the whole
figure had been drawn again.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import PolyCollection
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox

from . import figures as viz
from .layer_views import LAYER_KEY, compact_number, settle_axes, short_name
from .panel import Panel

#: Half the gap between a row's two bars and the bar height, in rows.
_OFFSET, _HEIGHT = 0.2, 0.38


def bar_rectangles(counts, offset: float, height: float = _HEIGHT) -> np.ndarray:
    """Corners (N, 4, 2) of horizontal bars from x = 1 to x = count, bar i centred on
    y = i + offset; counts of 0 or None give bars of zero width (nothing drawn on a log axis).

    >>> bar_rectangles([100, None], 0.0, 0.5)[:, :, 0]
    array([[  1., 100., 100.,   1.],
           [  1.,   1.,   1.,   1.]])
    """
    right = np.array([max(count or 0, 1) for count in counts], dtype=np.float64)
    centre = np.arange(len(right)) + offset
    bottom, top = centre - height / 2, centre + height / 2
    left = np.ones_like(right)
    return np.stack(
        [
            np.stack([left, bottom], -1),
            np.stack([right, bottom], -1),
            np.stack([right, top], -1),
            np.stack([left, top], -1),
        ],
        axis=1,
    )


class RowNameHighlight(Artist):
    """Paints some of an axes' y tick labels in another colour, over the drawn ones.

    Each chosen label is covered by a white box and written again in
    ``color``. When the artist is animated (blitted by a Panel) and drawn by
    an Agg renderer, the painted pixels of each row are kept and copied
    back on later draws, as long as the axes has not moved.
    """

    def __init__(self, ax, color: str, margin: int = 2):
        super().__init__()
        self.ax = ax
        self.color = color
        self.margin = margin
        self.rows: tuple[int, ...] = ()
        self._pixels: dict[int, object] = {}
        self._placement = None
        self.set_in_layout(False)
        self.set_zorder(10)  # after the axis has written the labels

    def set_rows(self, rows) -> None:
        """Which labels (indices of the y ticks) to paint."""
        self.rows = tuple(int(row) for row in rows)
        self.stale = True

    def draw(self, renderer) -> None:
        if not self.get_visible() or not self.rows:
            return
        keep = self.get_animated() and hasattr(renderer, "copy_from_bbox")
        placement = (
            renderer.get_canvas_width_height(),
            tuple(self.ax.transAxes.transform([(0, 0), (1, 1)]).ravel()),
        )
        if placement != self._placement:
            self._pixels.clear()
            self._placement = placement
        labels = self.ax.yaxis.get_ticklabels()
        for row in self.rows:
            if row >= len(labels):
                continue
            pixels = self._pixels.get(row) if keep else None
            if pixels is not None:
                renderer.restore_region(pixels)
                continue
            box = self._paint(renderer, labels[row])
            if keep and box is not None:
                self._pixels[row] = renderer.copy_from_bbox(box)
        self.stale = False

    def _paint(self, renderer, label: Text):
        """Cover ``label`` with white and write it in colour; returns the covered box."""
        if not label.get_visible() or not label.get_text():
            return None
        extent = label.get_window_extent(renderer)
        x0 = math.floor(extent.x0) - self.margin
        y0 = math.floor(extent.y0) - self.margin
        x1 = math.ceil(extent.x1) + self.margin
        y1 = math.ceil(extent.y1) + self.margin
        gc = renderer.new_gc()
        gc.set_antialiased(False)
        gc.set_linewidth(0)
        cover = Affine2D().scale(x1 - x0, y1 - y0).translate(x0, y0)
        renderer.draw_path(gc, Path.unit_rectangle(), cover, (1.0, 1.0, 1.0, 1.0))
        gc.restore()
        painted = Text()
        painted.update_from(label)
        painted.set_figure(self.ax.figure)
        painted.set_transform(label.get_transform())
        painted.set_position(label.get_position())
        painted.set_text(label.get_text())
        painted.set_color(self.color)
        painted.draw(renderer)
        return Bbox([[x0, y0], [x1, y1]])


class LayerBarChart:
    """Parameters and multiply-accumulates of every layer of a table, as paired bars.

    One pair of horizontal bars per row of a :class:`lecturelib.layer_tables.LayerTable`
    (parameters on top, MACs below) on a logarithmic axis from 1 to 3e11;
    zeros draw no bar. The row where the network breaks and every row after
    it get their name in the highlight colour and a cross instead of bars.
    Create once with the layer names, then :meth:`update` with tables of the
    same length; pass :attr:`artists` to the Panel.
    """

    def __init__(self, ax, names, *, fontsize: float = 10, legend: bool = True):
        self.ax = ax
        self.names = list(names)
        count = len(self.names)
        positions = np.arange(count)
        self.params = PolyCollection(
            bar_rectangles([0] * count, -_OFFSET),
            facecolors=viz.ACCENT,
            edgecolors="none",
            label="parameters",
        )
        self.macs = PolyCollection(
            bar_rectangles([0] * count, _OFFSET),
            facecolors=viz.KERNEL,
            edgecolors="none",
            label="multiply-accumulates",
        )
        ax.add_collection(self.params, autolim=False)
        ax.add_collection(self.macs, autolim=False)
        (self.broken,) = ax.plot(
            [], [], ls="", marker="x", color=viz.HIGHLIGHT, markersize=10, mew=2.5
        )
        ax.set_xscale("log")
        ax.set_xlim(1, 3e11)
        ax.set_ylim(count - 0.4, -0.6)
        ax.set_yticks(positions, self.names, fontsize=fontsize)
        ax.set_xlabel("count per image (log scale)")
        ax.grid(axis="x", color="#DDDDDD", lw=0.8)
        ax.set_axisbelow(True)
        ax.set_xticks([10.0**k for k in range(0, 12, 2)])
        if legend:
            ax.legend(loc="lower right", fontsize=fontsize - 1, frameon=True)
        self.title = ax.set_title("", fontsize=fontsize + 1)
        self.broken_names = RowNameHighlight(ax, viz.HIGHLIGHT)
        ax.add_artist(self.broken_names)
        settle_axes(ax, xlabel_y=-0.09)
        #: The artists :meth:`update` changes (for ``Panel(..., artists=...)``); the
        #: left spine comes after the bars, which start on it, as in a full drawing.
        self.artists = [
            self.params,
            self.macs,
            ax.spines["left"],
            self.broken,
            self.broken_names,
            self.title,
        ]

    def update(self, table) -> None:
        """Show the counts of ``table`` (a LayerTable with one row per name)."""
        rows = list(table)
        if len(rows) != len(self.names):
            raise ValueError(f"the table has {len(rows)} rows, the chart {len(self.names)} names")
        self.params.set_verts(bar_rectangles([row.params for row in rows], -_OFFSET))
        self.macs.set_verts(bar_rectangles([row.macs for row in rows], _OFFSET))
        broken_at = [index for index, row in enumerate(rows) if row.error is not None]
        self.broken_names.set_rows(broken_at)
        self.broken.set_data(np.full(len(broken_at), 3.0), broken_at)
        if table.ok:
            self.title.set_text(
                f"{compact_number(table.total_params)} parameters, "
                f"{compact_number(table.total_macs)} MACs per image"
            )
        else:
            self.title.set_text(f"the network breaks at {short_name(rows[broken_at[0]])}")


def draw_layer_bar_chart(ax, table, title=None, legend=False) -> LayerBarChart:
    """One-shot :class:`LayerBarChart` of ``table`` for static figures."""
    chart = LayerBarChart(ax, [short_name(row) for row in table], legend=legend)
    chart.update(table)
    if title:
        chart.title.set_text(title)
    return chart


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def layer_table_panel(
    controls: dict, compute, names, *, columns=None, caption: str = "", dpi: float = 96
) -> Panel:
    """A network's parameters and multiply-accumulates per layer, as bars and a table.

    ``compute(**values)`` is the lesson: the network's
    :class:`lecturelib.layer_tables.LayerTable` for the controls' settings
    (e.g. :func:`lecturelib.layer_tables.layer_table` of a variant of AlexNet).
    ``names`` labels the bars, one per row of the table. The text gives the
    totals and the share of the fully connected layers, or, when a layer
    cannot be computed, the first such layer and why; under it the table
    with ``columns`` (flagged rows in red).
    """
    figure, ax = viz.new_figure(7.5, 4.2)
    chart = LayerBarChart(ax, list(names), legend=False)

    def update(**values):
        table = compute(**values)
        chart.update(table)
        if table.ok:
            summary = (
                f"<b>{table.total_params:,}</b> parameters ({table.share('fc'):.0%} in the fully "
                f"connected layers), <b>{table.total_macs:,}</b> MACs per image"
            )
        else:
            label, message = table.errors[0]
            summary = f"<b>This network breaks at {label}</b>: {message}."
        rows = table.to_html() if columns is None else table.to_html(columns=columns)
        return f"{LAYER_KEY}<br>{summary}{rows}"

    return Panel(controls, update, figure, artists=chart.artists, caption=caption, dpi=dpi)


__all__ = [
    "bar_rectangles",
    "RowNameHighlight",
    "LayerBarChart",
    "draw_layer_bar_chart",
    "layer_table_panel",
]
