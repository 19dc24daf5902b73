"""The convolution-arithmetic diagram: input, padding, kernel footprint, output.

The padding-and-stride notebook draws square convolutions in the style of
the classic convolution-arithmetic figures, in the collection's colours:

- the input cells (:data:`lecturelib.drawing.figures.INPUT`) inside a frame of padding
  cells (:data:`lecturelib.drawing.figures.PADDING`);
- the kernel's footprint at the current output position
  (:data:`lecturelib.drawing.figures.KERNEL`; with dilation the footprint has holes);
- the output grid beside it (:data:`lecturelib.drawing.figures.OUTPUT`), with the cell
  being computed in :data:`lecturelib.drawing.figures.HIGHLIGHT`;
- input cells that no window ever reads, shaded :data:`lecturelib.drawing.figures.MUTED`
  and crossed: the rows and columns the floor in the output-size formula
  throws away, or that a large stride jumps over.

:func:`axis_arithmetic` does the bookkeeping along one axis (output size,
which cells are read, how many are lost); :class:`ArithmeticDiagram` draws
once and then only updates its artists, so an interactive panel redraws in
a few milliseconds; :func:`draw_arithmetic` is the one-shot version for
static figures and :func:`describe` writes the facts of one setting as a
short HTML paragraph. :func:`arithmetic_panel` puts the diagram in an
interactive panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import traitlets
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from .._checks import as_int
from ..convolution import output_size
from . import figures as viz
from .panel import Panel

#: Input cells that no window ever reads.
UNVISITED = viz.MUTED
#: Grid lines between cells.
GRID_LINE = "#333333"

_GAP = 2  # empty cells between the input grid and the output grid

#: The colour of every kind of cell, for legends.
ROLES = {
    "input": viz.INPUT,
    "padding": viz.PADDING,
    "kernel footprint": viz.KERNEL,
    "output": viz.OUTPUT,
    "output being computed": viz.HIGHLIGHT,
    "never read (crossed)": UNVISITED,
}


_COLOURS = {
    name: np.array(to_rgb(colour))
    for name, colour in {
        "padding": viz.PADDING,
        "input": viz.INPUT,
        "never read": UNVISITED,
        "kernel": viz.KERNEL,
        "kernel on padding": 0.55 * np.array(to_rgb(viz.KERNEL)) + 0.45,  # lighter orange
        "output": viz.OUTPUT,
        "current": viz.HIGHLIGHT,
    }.items()
}


def _squares(size: int, x0: float, y0: float) -> np.ndarray:
    """Corners (size * size, 4, 2) of a size x size grid of unit cells, top-left at (x0, y0)."""
    r, c = np.divmod(np.arange(size * size), size)
    corners = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], dtype=np.float64)
    return corners[None] + np.stack([x0 + c, y0 + r], axis=1)[:, None, :]


def legend_html() -> str:
    """The colour legend as a line of HTML swatches (for a panel's caption)."""
    swatch = (
        "<span style='display:inline-block;width:0.9em;height:0.9em;background:{};"
        "border:1px solid #333;vertical-align:middle;margin:0 4px 0 12px'></span>{}"
    )
    return "".join(swatch.format(colour, role) for role, colour in ROLES.items())


@dataclass(frozen=True)
class AxisArithmetic:
    """What a convolution does along one axis (rows, or columns).

    ``visited[k]`` tells whether cell ``k`` of the padded axis (length
    ``padded_size``, the input occupying ``padding .. padding + input_size - 1``)
    is read by at least one window. ``dropped_at_end`` counts the input cells
    after the last window (the floor of the output-size formula throws them
    away); ``skipped_between`` counts the input cells that the windows jump
    over (a stride larger than the kernel, or the holes of a dilated kernel).
    ``padding_only`` counts the output positions whose window lies entirely
    on padding.
    """

    input_size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    extent: int
    padded_size: int
    output_size: int
    visited: np.ndarray
    dropped_at_end: int
    skipped_between: int
    padding_only: int

    @property
    def unvisited(self) -> int:
        """Input cells (along this axis) that no window reads."""
        return self.dropped_at_end + self.skipped_between

    @property
    def remainder(self) -> int:
        """``(I + 2P - F_eff) mod S``: the cells left over after the last full stride."""
        return (self.padded_size - self.extent) % self.stride

    def window(self, index: int) -> np.ndarray:
        """Padded-axis cells under the kernel when the output is at ``index``."""
        index = as_int(index, "index", 0)
        if index >= self.output_size:
            raise ValueError(
                f"index {index} is past the last output position {self.output_size - 1}"
            )
        return index * self.stride + np.arange(self.kernel_size) * self.dilation


def axis_arithmetic(input_size, kernel_size, stride=1, padding=0, dilation=1) -> AxisArithmetic:
    """The bookkeeping of a convolution along one axis.

    input_size I, kernel_size F, stride S, padding P, dilation D: ints.
    The kernel spans ``F_eff = D (F - 1) + 1`` cells; the output has
    ``O = (I + 2P - F_eff) // S + 1`` cells (:func:`lecturelib.convolution.output_size`).
    Raises the library's ValueError when the kernel does not fit into the
    padded input.

    >>> a = axis_arithmetic(7, 3, stride=3)
    >>> a.output_size, a.dropped_at_end, a.visited.astype(int)
    (2, 1, array([1, 1, 1, 1, 1, 1, 0]))
    >>> axis_arithmetic(5, 3, stride=2, padding=1).output_size
    3
    >>> axis_arithmetic(3, 3, dilation=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: kernel 3 (dilated extent 5) is larger than padded input 3
    """
    input_size = as_int(input_size, "input_size", 1)
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    stride = as_int(stride, "stride", 1)
    padding = as_int(padding, "padding", 0)
    dilation = as_int(dilation, "dilation", 1)
    size = output_size(input_size, kernel_size, stride, padding, dilation)  # checks the fit
    extent = dilation * (kernel_size - 1) + 1
    padded_size = input_size + 2 * padding
    cells = np.arange(size)[:, None] * stride + np.arange(kernel_size)[None, :] * dilation
    visited = np.zeros(padded_size, dtype=bool)
    visited[cells.ravel()] = True
    is_input = np.zeros(padded_size, dtype=bool)
    is_input[padding : padding + input_size] = True
    last_read = int(cells.max())
    after_last = np.arange(padded_size) > last_read
    lost = is_input & ~visited
    padding_only = int(np.sum(~is_input[cells].any(axis=1)))
    return AxisArithmetic(
        input_size=input_size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        extent=extent,
        padded_size=padded_size,
        output_size=size,
        visited=visited,
        dropped_at_end=int(np.sum(lost & after_last)),
        skipped_between=int(np.sum(lost & ~after_last)),
        padding_only=padding_only,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def describe(arith: AxisArithmetic, row: int, col: int) -> str:
    """A short HTML paragraph with the facts of one square setting and output cell.

    arith: the :func:`axis_arithmetic` of the (square) setting; row, col: the
    output cell being computed.
    """
    a = arith
    o = a.output_size
    kernel = f"F = {a.kernel_size}" if a.dilation == 1 else f"F_eff = {a.extent}"
    parts = [
        f"<b>Output {o} &times; {o}</b>: &lfloor;({a.input_size} + 2&middot;{a.padding} "
        f"&minus; {a.extent}) / {a.stride}&rfloor; + 1 = {o} ({kernel}).",
    ]
    rows, cols = a.window(row), a.window(col)
    parts.append(
        f"Output cell ({row}, {col}) reads padded rows {rows[0]}&ndash;{rows[-1]} and "
        f"columns {cols[0]}&ndash;{cols[-1]}"
        + (f", skipping {a.dilation - 1} between taps." if a.dilation > 1 else ".")
    )
    if a.unvisited == 0:
        parts.append("Every input row and column is read by at least one window.")
    else:
        lost = _plural(a.unvisited, "input row")
        reasons = []
        if a.dropped_at_end:
            reasons.append(
                f"{a.dropped_at_end} at the bottom and right edges, because "
                f"{a.padded_size} &minus; {a.extent} = {a.padded_size - a.extent} is not a "
                f"multiple of the stride {a.stride} and the division is floored"
            )
        if a.skipped_between:
            if a.dilation == 1:
                why = f"the stride {a.stride} is larger than the kernel {a.kernel_size}"
            else:
                why = "they fall into the holes of the dilated kernel or between windows"
            reasons.append(f"{a.skipped_between} in between: {why}")
        parts.append(
            f"<b>{lost} and as many columns are never read</b> (crossed): "
            + "; ".join(reasons)
            + "."
        )
    if a.padding_only:
        parts.append(
            f"{_plural(a.padding_only, 'output row')} (and as many columns) see only padding."
        )
    return " ".join(parts)


class ArithmeticDiagram:
    """A square convolution drawn as coloured cells, updated in place.

    Create it once on an axes, then call :meth:`update` with new settings:
    it changes the image data, grid lines, markers and patches instead of
    drawing new artists, so a panel redraws quickly. ``legend=True`` adds a
    colour legend under the drawing (a legend costs more to draw than the
    cells, so panels show :func:`legend_html` in their caption instead).
    """

    def __init__(self, ax, *, legend: bool = False, titles: bool = True, fontsize: float = 12):
        self.ax = ax
        self.fontsize = fontsize
        self.titles = titles
        ax.set_axis_off()
        ax.set_aspect("equal")
        # every cell (padded input and output) is one square of a PolyCollection:
        # cheaper to redraw than an image, and it draws the grid lines too
        self.cells = PolyCollection([], edgecolors=GRID_LINE, linewidths=0.8, zorder=2)
        ax.add_collection(self.cells)
        self.input_frame = Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor="black", linewidth=2.2, zorder=4
        )
        self.footprint_box = Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor=viz.HIGHLIGHT, linewidth=2.5, zorder=5
        )
        self.output_box = Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor="black", linewidth=2.2, zorder=5
        )
        for patch in (self.input_frame, self.footprint_box, self.output_box):
            ax.add_patch(patch)
        (self.link,) = ax.plot([], [], color=viz.HIGHLIGHT, lw=1.5, ls="--", zorder=6)
        (self.crosses,) = ax.plot(
            [], [], ls="", marker="x", color="black", markersize=7, mew=1.2, zorder=4
        )
        self.input_title = ax.text(0, 0, "", ha="center", va="bottom", fontsize=fontsize)
        self.output_title = ax.text(0, 0, "", ha="center", va="bottom", fontsize=fontsize)
        if legend:
            ax.legend(
                viz.legend_patches(ROLES),
                list(ROLES),
                loc="upper center",
                bbox_to_anchor=(0.5, 0.0),
                ncol=3,
                frameon=False,
                fontsize=fontsize - 1,
                handlelength=1.2,
            )
        self.arith: AxisArithmetic | None = None

    def update(self, input_size, kernel_size, stride=1, padding=0, dilation=1, position=0):
        """Draw one setting; ``position`` is the output cell, counted row by row.

        Returns ``(arith, row, col)``: the :class:`AxisArithmetic` of the
        setting and the output cell drawn. Raises ValueError for settings that
        do not fit (kernel larger than the padded input) or a position past
        the last output cell, leaving the previous drawing in place.
        """
        a = axis_arithmetic(input_size, kernel_size, stride, padding, dilation)
        position = as_int(position, "position", 0)
        o, n, p = a.output_size, a.padded_size, a.padding
        if position >= o * o:
            raise ValueError(f"position {position} is past the last output cell {o * o - 1}")
        row, col = divmod(position, o)
        rows, cols = a.window(row), a.window(col)

        # colours of the padded input cells, then of the output cells
        is_input = np.zeros(n, dtype=bool)
        is_input[p : p + a.input_size] = True
        inside = is_input[:, None] & is_input[None, :]
        never_read = inside & ~(a.visited[:, None] & a.visited[None, :])
        under = np.zeros((n, n), dtype=bool)
        under[np.ix_(rows, cols)] = True
        cells = np.empty((n, n, 3))
        cells[:] = _COLOURS["padding"]
        cells[inside] = _COLOURS["input"]
        cells[never_read] = _COLOURS["never read"]
        cells[under & inside] = _COLOURS["kernel"]
        cells[under & ~inside] = _COLOURS["kernel on padding"]
        out = np.empty((o, o, 3))
        out[:] = _COLOURS["output"]
        out[row, col] = _COLOURS["current"]
        # the output grid sits beside the input, vertically centred
        x0, y0 = n + _GAP, (n - o) // 2
        squares = np.concatenate([_squares(n, 0, 0), _squares(o, x0, y0)])
        self.cells.set_verts(squares)
        self.cells.set_facecolor(np.concatenate([cells.reshape(-1, 3), out.reshape(-1, 3)]))

        self.input_frame.set_bounds(p, p, a.input_size, a.input_size)
        self.footprint_box.set_bounds(cols[0], rows[0], a.extent, a.extent)
        self.output_box.set_bounds(x0, y0, o, o)
        self.link.set_data([cols[-1] + 1, x0 + col + 0.5], [rows[0] + a.extent / 2, y0 + row + 0.5])
        lost_r, lost_c = np.nonzero(never_read)
        self.crosses.set_data(lost_c + 0.5, lost_r + 0.5)

        if self.titles:
            self.input_title.set_position((n / 2, -0.25))
            self.input_title.set_text(
                f"input {a.input_size}×{a.input_size}"
                + (f" + padding {p}" if p else "")
                + f"\nkernel {a.kernel_size}×{a.kernel_size}"
                + (f", dilation {a.dilation}" if a.dilation > 1 else "")
                + f", stride {a.stride}"
            )
        self.output_title.set_position((x0 + o / 2, y0 - 0.25))
        self.output_title.set_text(f"output {o}×{o}")
        cell_points = self._fit_limits(width=x0 + max(o, 2.5), height=n, top=y0)
        self.crosses.set_markersize(0.55 * cell_points)
        self.arith = a
        return a, row, col

    def _fit_limits(self, width: float, height: float, top: float) -> float:
        """Set the axes limits so the drawing and its titles fit; return a cell's size in points.

        width, height: the drawing in cells; top: the row above which the
        output title sits. The room left above the grids is just enough for
        the titles (two lines over the input, one over the output).
        """
        figure = self.ax.figure
        box = self.ax.get_position()
        box_w = box.width * figure.get_figwidth() * 72.0
        box_h = box.height * figure.get_figheight() * 72.0
        line = 1.3 * self.fontsize  # points per line of title text
        margin = 0.4  # cells of white around the drawing
        scale = min(box_w, box_h) / (max(width, height) + 2 * margin)  # points per cell
        for _ in range(3):  # the room for the titles depends on the scale, and back
            if self.titles:  # two lines above the input grid
                room = margin + 2 * line / scale
            else:  # one line above the output grid, which starts at row `top`
                room = max(margin, margin + line / scale - top)
            scale = min(box_w / (width + 2 * margin), box_h / (height + margin + room))
        self.ax.set_xlim(-margin, width + margin)
        self.ax.set_ylim(height + margin, -room)
        return scale


def arithmetic_figure(width: float = 6.4, height: float = 4.6, **kwargs):
    """A panel figure holding one :class:`ArithmeticDiagram`; returns ``(figure, diagram)``.

    Made with :func:`lecturelib.drawing.figures.new_figure`, then the layout engine is
    switched off and the axes fill the figure: the diagram sets its own
    limits and leaves room for its titles, so no layout pass is needed.
    ``kwargs`` go to :class:`ArithmeticDiagram`.
    """
    figure, ax = viz.new_figure(width, height)
    figure.set_layout_engine("none")
    ax.set_position((0.01, 0.01, 0.98, 0.98))
    return figure, ArithmeticDiagram(ax, **kwargs)


def draw_arithmetic(
    ax, input_size, kernel_size, stride=1, padding=0, dilation=1, position=0, legend=False
):
    """One-shot :class:`ArithmeticDiagram` for static figures (small multiples).

    The axes title states the setting, the output size and how many rows
    (and columns) are never read. Returns the diagram.
    """
    diagram = ArithmeticDiagram(ax, legend=legend, titles=False, fontsize=11)
    a, _, _ = diagram.update(input_size, kernel_size, stride, padding, dilation, position)
    setting = f"I={a.input_size}, F={a.kernel_size}, S={a.stride}, P={a.padding}"
    if a.dilation > 1:
        setting += f", D={a.dilation}"
    lost = a.unvisited
    note = (
        f"{_plural(lost, 'row')} and {_plural(lost, 'column')} never read"
        if lost
        else "every input cell is read"
    )
    ax.set_title(f"{setting} → O={a.output_size}\n{note}", fontsize=11)
    return diagram


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def arithmetic_panel(
    controls: dict, *, play=None, caption: str = "", legend: bool = True, dpi: float = 80
) -> Panel:
    """The interactive convolution-arithmetic diagram of the padding-and-stride notebook.

    ``controls`` holds the sliders ``input_size``, ``kernel_size``, ``stride``,
    ``padding``, ``dilation`` and ``position`` (the output cell, counted row by
    row). The sizes come from :func:`axis_arithmetic` (which uses
    :func:`lecturelib.convolution.output_size`); the position slider's maximum
    follows the number of output cells. A ``play`` widget (see
    :func:`lecturelib.drawing.panel.play`), if given, drives the position.
    Settings where the kernel does not fit show :func:`axis_arithmetic`'s
    explanation. ``legend`` appends :func:`legend_html` to the caption.
    """
    figure, diagram = arithmetic_figure(6.4, 4.2, titles=False)
    position = controls["position"]
    if play is not None:
        # Linked in the kernel, not with jslink: a browser-side link answers
        # every change the kernel makes (a new maximum after a size slider
        # moved) with a message back to the kernel, which then sat busy for
        # two more round trips while the student's next move waited.
        traitlets.link((play, "value"), (position, "value"))
        traitlets.dlink((position, "max"), (play, "max"))

    def update(input_size, kernel_size, stride, padding, dilation, position):
        settings = axis_arithmetic(input_size, kernel_size, stride, padding, dilation)
        last = settings.output_size**2 - 1
        if controls["position"].max != last:
            controls["position"].max = last  # the slider follows the number of output cells
        position = min(position, last)
        settings, row, col = diagram.update(
            input_size, kernel_size, stride, padding, dilation, position
        )
        return describe(settings, row, col)

    if legend:
        caption = f"{caption}<br>{legend_html()}"
    extra = [play] if play is not None else []
    return Panel(controls, update, figure, extra=extra, dpi=dpi, caption=caption)


__all__ = [
    "ROLES",
    "AxisArithmetic",
    "axis_arithmetic",
    "describe",
    "legend_html",
    "ArithmeticDiagram",
    "arithmetic_figure",
    "draw_arithmetic",
    "arithmetic_panel",
]
