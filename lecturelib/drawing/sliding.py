"""One step of a 2-D convolution, drawn: window, products, sum, output cell.

:class:`SlidingWindowDiagram` lays four small matrices side by side in one
axes::

    input (padding in grey)  x  kernel  =  products  -- sum -->  output

At output position ``p`` (row-major: 0 is the top-left output), the kernel's
footprint is outlined on the input, the element-wise products of that window
and the kernel are shown with their signs in the diverging colour map, and
their sum (plus the bias) lands in the highlighted output cell; the outputs
of earlier positions are filled in, later ones are still empty. With
``flip=True`` the kernel is turned by 180 degrees first, which turns the
cross-correlation of a CNN into a true (signal-processing) convolution.

The numbers come from :func:`lecturelib.convolution.cross_correlate2d` and
:func:`lecturelib.convolution.convolve2d`; the drawing only reads them.

For interactive panels, :class:`SlidingWindowStepper` keeps one diagram per
example (and operation) in a figure and redraws quickly: the parts that
move with the output position (window, products, sum, output cells) are
painted over a saved picture of everything else, one picture per example.
:func:`draw_sliding_step` is the one-shot version for static figures.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.patches import FancyArrowPatch, Rectangle

from .._checks import as_array, as_pair
from ..convolution import convolve2d, cross_correlate2d, output_size
from . import figures as viz
from .figures import format_number
from .live import BlitCanvas, freeze_layout
from .panel import Panel

_GAP = 1.7  # horizontal space between two matrices, in cells
_GRID = "#666666"  # cell borders


def _grid_lines(x0, y0, rows, cols):
    """Cell borders of a rows x cols block whose top-left cell is centred at (x0, y0)."""
    left, top = x0 - 0.5, y0 - 0.5
    horizontal = [[(left, top + r), (left + cols, top + r)] for r in range(rows + 1)]
    vertical = [[(left + c, top), (left + c, top + rows)] for c in range(cols + 1)]
    return horizontal + vertical


def _square(x, y):
    """Corners of the unit cell centred at (x, y)."""
    return [(x - 0.5, y - 0.5), (x + 0.5, y - 0.5), (x + 0.5, y + 0.5), (x - 0.5, y + 0.5)]


class _Matrix:
    """A block of cells coloured by value (diverging map) with the number written in each."""

    def __init__(self, ax, shape, x0, y0, norm, fontsize):
        rows, cols = shape
        self.norm = norm
        self.image = ax.imshow(
            np.zeros(shape),
            cmap=mpl.colormaps[viz.DIVERGING],
            norm=norm,
            extent=(x0 - 0.5, x0 + cols - 0.5, y0 + rows - 0.5, y0 - 0.5),
            zorder=1,
        )
        self.texts = [
            ax.text(x0 + c, y0 + r, "", ha="center", va="center", fontsize=fontsize, zorder=3)
            for r in range(rows)
            for c in range(cols)
        ]

    @property
    def artists(self) -> list:
        return [self.image, *self.texts]

    def set(self, values) -> None:
        values = np.asarray(values, dtype=np.float64)
        self.image.set_data(values)
        shades = self.norm(values).ravel()
        for text, value, shade in zip(self.texts, values.ravel(), shades):
            text.set_text(format_number(value))
            text.set_color("white" if abs(shade - 0.5) > 0.32 else "black")


class SlidingWindowDiagram:
    """Input, kernel, element-wise products and output of one 2-D convolution step.

    ax: a matplotlib Axes (the diagram uses all of it); image: (H, W);
    kernel: (KH, KW); stride, padding: int or (rows, cols), zero padding;
    bias: a number added to every output. Raises ValueError when the kernel
    does not fit (from :func:`lecturelib.convolution.output_size`). Call
    :meth:`show` to move to an output position. :attr:`artists` are
    the artists that change with the position alone; the kernel and the
    output values change only when ``flip`` does.
    """

    def __init__(self, ax, image, kernel, *, stride=1, padding=0, bias=0.0, fontsize=11):
        self.ax = ax
        self.image = as_array(image, "image", 2)
        self.kernel = as_array(kernel, "kernel", 2)
        self.stride = as_pair(stride, "stride", 1)
        self.padding = as_pair(padding, "padding", 0)
        try:
            self.bias = float(bias)
        except (TypeError, ValueError):
            raise TypeError(f"bias must be a number, got {bias!r}") from None
        (sh, sw), (ph, pw) = self.stride, self.padding
        h, w = self.image.shape
        kh, kw = self.kernel.shape
        self.output_shape = (
            output_size(h, kh, sh, ph, axis="height"),
            output_size(w, kw, sw, pw, axis="width"),
        )
        self.padded = np.pad(self.image, ((ph, ph), (pw, pw)))
        self.outputs = {
            False: cross_correlate2d(self.image, self.kernel, self.stride, self.padding, bias),
            True: convolve2d(self.image, self.kernel, self.stride, self.padding, bias),
        }
        self.flip = None  # which operation the kernel and output cells show now
        hp, wp = self.padded.shape
        oh, ow = self.output_shape
        x_kernel = wp + _GAP
        x_products = x_kernel + kw + _GAP
        x_output = x_products + kw + _GAP
        centre = (hp - 1) / 2
        y_kernel = centre - (kh - 1) / 2
        y_output = centre - (oh - 1) / 2
        self._x_output, self._y_output = x_output, y_output
        self._x_products_right = x_products + kw - 0.5
        self._y_products_middle = y_kernel + (kh - 1) / 2

        # the input: image cells in the input colour, padding in grey, numbers written in
        colours = np.empty((hp, wp, 3))
        colours[...] = to_rgb(viz.PADDING)
        colours[ph : ph + h, pw : pw + w] = to_rgb(viz.INPUT)
        ax.imshow(colours, extent=(-0.5, wp - 0.5, hp - 0.5, -0.5), zorder=1)
        for r in range(hp):
            for c in range(wp):
                ax.text(
                    c,
                    r,
                    format_number(self.padded[r, c]),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    zorder=3,
                )

        # kernel, products, output: signed values, diverging colours centred on zero
        kernel_limit = float(np.max(np.abs(self.kernel))) or 1.0
        product_limit = float(np.max(np.abs(self.padded))) * kernel_limit or 1.0
        output_limit = max(float(np.max(np.abs(o))) for o in self.outputs.values()) or 1.0
        self.kernel_cells = _Matrix(
            ax, (kh, kw), x_kernel, y_kernel, Normalize(-kernel_limit, kernel_limit), fontsize
        )
        self.product_cells = _Matrix(
            ax, (kh, kw), x_products, y_kernel, Normalize(-product_limit, product_limit), fontsize
        )
        self.output_cells = _Matrix(
            ax, (oh, ow), x_output, y_output, Normalize(-output_limit, output_limit), fontsize
        )
        borders = (
            _grid_lines(0, 0, hp, wp)
            + _grid_lines(x_kernel, y_kernel, kh, kw)
            + _grid_lines(x_output, y_output, oh, ow)
        )
        ax.add_collection(LineCollection(borders, colors=_GRID, linewidths=0.6, zorder=2))
        self.product_borders = LineCollection(
            _grid_lines(x_products, y_kernel, kh, kw), colors=_GRID, linewidths=0.6, zorder=2
        )
        ax.add_collection(self.product_borders)
        # output cells not computed yet: blank squares drawn over them
        self.pending = PolyCollection(
            [], facecolors="white", edgecolors=_GRID, linewidths=0.6, zorder=3.5
        )
        ax.add_collection(self.pending)

        # the window on the input, the output cell being computed, and the arrow to it
        self.window = Rectangle(
            (0, 0), kw, kh, fill=False, edgecolor=viz.KERNEL, linewidth=3.5, zorder=4
        )
        self.current = Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor=viz.HIGHLIGHT, linewidth=3.5, zorder=4
        )
        self.arrow = FancyArrowPatch(
            (0, 0),
            (1, 1),
            arrowstyle="-|>",
            mutation_scale=16,
            color=viz.HIGHLIGHT,
            linewidth=1.8,
            zorder=4,
        )
        for patch in (self.window, self.current, self.arrow):
            ax.add_patch(patch)

        # operators and labels
        label_y = max(hp, kh, oh) - 0.5 + 0.55
        big = fontsize + 5
        ax.text(wp - 0.5 + _GAP / 2, centre, "\u00d7", ha="center", va="center", fontsize=big)
        ax.text(x_kernel + kw - 0.5 + _GAP / 2, centre, "=", ha="center", va="center", fontsize=big)
        self.sum_text = ax.text(
            x_products + (kw - 1) / 2,
            y_kernel + kh - 0.5 + 0.35,
            "",
            ha="center",
            va="top",
            fontsize=fontsize + 1,
            color=viz.HIGHLIGHT,
            fontweight="bold",
        )
        padding_note = f", zero padding {ph}" if ph or pw else ""
        ax.text(
            (wp - 1) / 2, label_y, f"input{padding_note}", ha="center", va="top", fontsize=fontsize
        )
        self.kernel_label = ax.text(
            x_kernel + (kw - 1) / 2, label_y, "", ha="center", va="top", fontsize=fontsize
        )
        stride_note = ""
        if (sh, sw) != (1, 1):
            stride_note = f" (stride {sh})" if sh == sw else f" (stride {sh}, {sw})"
        bias_note = f", bias {format_number(self.bias)}" if self.bias else ""
        ax.text(
            x_output + (ow - 1) / 2,
            label_y,
            f"output{stride_note}{bias_note}",
            ha="center",
            va="top",
            fontsize=fontsize,
        )
        ax.set_xlim(-0.6, x_output + ow - 0.4)
        ax.set_ylim(label_y + 0.7, -0.6)
        ax.set_aspect("equal")
        ax.axis("off")

    @property
    def positions(self) -> int:
        """How many output positions there are (OH * OW)."""
        return self.output_shape[0] * self.output_shape[1]

    @property
    def artists(self) -> list:
        """The artists that :meth:`show` changes when only the position changes."""
        return [
            *self.product_cells.artists,
            self.product_borders,
            self.sum_text,
            self.pending,
            self.window,
            self.current,
            self.arrow,
        ]

    def show(self, position, flip=False) -> dict:
        """Move to output ``position`` (0-based, row-major); ``flip`` for true convolution.

        Returns the facts shown: ``row``, ``col``, ``window`` (KH, KW),
        ``kernel`` (as applied), ``products``, ``total`` (sum plus bias) and
        ``output`` (the whole output).
        """
        if isinstance(position, bool) or not isinstance(position, int | np.integer):
            raise TypeError(f"position must be an integer, got {position!r}")
        if not 0 <= position < self.positions:
            oh, ow = self.output_shape
            raise ValueError(f"this output is {oh} x {ow}: it has only {self.positions} positions")
        flip = bool(flip)
        oh, ow = self.output_shape
        row, col = divmod(int(position), ow)
        kh, kw = self.kernel.shape
        top, left = row * self.stride[0], col * self.stride[1]
        applied = self.kernel[::-1, ::-1] if flip else self.kernel
        window = self.padded[top : top + kh, left : left + kw]
        products = window * applied
        output = self.outputs[flip]

        if flip != self.flip:
            self.kernel_cells.set(applied)
            self.output_cells.set(output)
            self.kernel_label.set_text("kernel, flipped" if flip else "kernel")
            self.flip = flip
        self.window.set_xy((left - 0.5, top - 0.5))
        self.product_cells.set(products)
        later = range(int(position) + 1, oh * ow)
        self.pending.set_verts(
            [_square(self._x_output + p % ow, self._y_output + p // ow) for p in later]
        )
        x_cell, y_cell = self._x_output + col, self._y_output + row
        self.current.set_xy((x_cell - 0.5, y_cell - 0.5))
        self.arrow.set_positions(
            (self._x_products_right + 0.15, self._y_products_middle),
            (self._x_output - 0.6, y_cell),
        )
        text = f"\u03a3 = {format_number(products.sum())}"
        if self.bias:
            sign = "+" if self.bias > 0 else "\u2212"
            text += f" {sign} {format_number(abs(self.bias))} = {format_number(output[row, col])}"
        self.sum_text.set_text(text)
        return {
            "row": row,
            "col": col,
            "window": window,
            "kernel": applied,
            "products": products,
            "total": float(output[row, col]),
            "output": output,
        }


def draw_sliding_step(
    ax, image, kernel, position, flip=False, *, stride=1, padding=0, bias=0.0, fontsize=11
) -> dict:
    """One-shot :class:`SlidingWindowDiagram` at ``position`` (for static figures).

    Returns the facts of :meth:`SlidingWindowDiagram.show`.
    """
    diagram = SlidingWindowDiagram(
        ax, image, kernel, stride=stride, padding=padding, bias=bias, fontsize=fontsize
    )
    return diagram.show(position, flip)


class SlidingWindowStepper:
    """Step through the examples of a panel in one figure, redrawing quickly.

    figure, ax: from :func:`lecturelib.drawing.figures.new_figure`; examples: a dict
    mapping a name to the keyword arguments of :class:`SlidingWindowDiagram`
    (``image``, ``kernel`` and optionally ``stride``, ``padding``, ``bias``).

    Every example has its own diagram in its own axes, stacked on ``ax``
    (the first example draws into ``ax`` itself), and only the one shown is
    visible. The figure's canvas (a :class:`~lecturelib.drawing.live.BlitCanvas`)
    keeps one picture of everything that does not move per example and
    operation, so moving the output position, switching the example or
    flipping the kernel repaints only the moving parts. The layout is
    solved at once, with the first example, and the cross-correlation
    diagram of every example is made and drawn then too (about 0.2 s), so
    that the first switch to another example is as quick as the later ones;
    the flipped diagrams are made when first asked for.
    """

    def __init__(self, figure, ax, examples: dict, *, fontsize=11):
        if not examples:
            raise ValueError("examples must name at least one example")
        self.figure = figure
        self.ax = ax
        self.examples = dict(examples)
        self.fontsize = fontsize
        self.canvas = BlitCanvas(figure, max_backgrounds=2 * len(self.examples) + 2)
        self.name = None
        self.diagram = None
        # One diagram per (example, flip): a diagram's kernel and output cells
        # belong to its background, so each operation gets its own.
        self._diagrams: dict[tuple[str, bool], SlidingWindowDiagram] = {}
        first = next(iter(self.examples))
        self._diagrams[first, False] = SlidingWindowDiagram(
            ax, fontsize=fontsize, **self.examples[first]
        )
        freeze_layout(figure)  # with the first example, as a panel's first drawing would
        for name in self.examples:
            self._diagram(name, False)
        for name in list(self.examples)[::-1]:  # ends showing the first example
            self.show(name, 0)
            self.canvas.draw()

    def _diagram(self, name: str, flip: bool) -> SlidingWindowDiagram:
        """The diagram of example ``name`` with the kernel flipped or not (made on first use)."""
        if (name, flip) not in self._diagrams:
            ax = self.figure.add_axes(self.ax.get_position(original=True))
            ax.set_visible(False)
            diagram = SlidingWindowDiagram(ax, fontsize=self.fontsize, **self.examples[name])
            diagram.show(0, flip)  # its kernel and output cells, for good
            self._diagrams[name, flip] = diagram
            self.canvas.artists = [d.artists for d in self._diagrams.values()]
        return self._diagrams[name, flip]

    def show(self, name, position, flip=False) -> dict:
        """Show example ``name`` at output ``position`` (0-based).

        ``flip`` and the returned facts: as :meth:`SlidingWindowDiagram.show`.
        """
        if name not in self.examples:
            raise ValueError(f"unknown example {name!r}; choose one of {list(self.examples)}")
        diagram = self._diagram(name, bool(flip))
        if diagram is not self.diagram:
            for other in self._diagrams.values():
                other.ax.set_visible(other is diagram)
            self.diagram, self.name = diagram, name
        return diagram.show(position, flip)


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def convolution_stepper(
    controls: dict, examples: dict, compute, *, caption: str = "", dpi: float = 80
) -> Panel:
    """Step through worked examples of a 2-D convolution, one output position at a time.

    ``examples`` maps a name to the keyword arguments of
    :class:`SlidingWindowDiagram` (``image``, ``kernel`` and optionally
    ``stride``, ``padding``, ``bias``). ``controls``: ``example`` (a name),
    ``position`` (the output cell, counted from 1 row by row) and ``flip``
    (True for true convolution). ``compute(image, kernel, flip, stride=,
    padding=, bias=)`` is the lesson: the whole output map; the panel draws
    the window and its products (:class:`SlidingWindowStepper`), checks the
    drawn sum against ``compute``'s value and writes the sum out.
    """
    figure, ax = viz.new_figure(10, 3.4)
    stepper = SlidingWindowStepper(figure, ax, examples)
    maps = {}  # the lesson's output for each example and operation (positions reuse it)

    def update(example, position, flip):
        facts = stepper.show(example, position - 1, flip=flip)
        setting = {"stride": 1, "padding": 0, "bias": 0, **examples[example]}
        if (example, flip) not in maps:
            maps[example, flip] = compute(flip=flip, **setting)
        value = maps[example, flip][facts["row"], facts["col"]]
        if not np.isclose(value, facts["total"]):
            raise RuntimeError(f"the drawing sums to {facts['total']}, the lesson says {value}")
        products = " + ".join(f"({format_number(p)})" for p in facts["products"].ravel())
        bias_text = f" + bias {setting['bias']}" if setting["bias"] else ""
        return (
            f"output row {facts['row'] + 1}, column {facts['col'] + 1}: {products}{bias_text} "
            f"= <b>{format_number(facts['total'])}</b>"
        )

    return Panel(controls, update, figure, dpi=dpi, caption=caption)


def smoothing_panel(controls: dict, times, signal, compute, *, caption: str = "") -> Panel:
    """A noisy signal and its smoothed version, for one ``width`` control.

    times, signal: (T,). ``compute(signal, width)`` is the lesson: a moving
    average of ``width`` samples, (T - width + 1,), drawn centred on its
    windows over the signal. The start-here notebook uses it to check that
    widgets work.
    """
    times, signal = as_array(times, "times", 1), as_array(signal, "signal", 1)
    figure, ax = viz.new_figure(7, 3)
    ax.plot(times, signal, color=viz.MUTED, lw=1, label="noisy signal")
    (line,) = ax.plot([], [], color=viz.OUTPUT, lw=2.5, label="moving average")
    ax.set_xlabel("time")
    ax.set_ylabel("value")
    ax.legend(loc="upper right")

    def update(width):
        smoothed = compute(signal, width)
        offset = (width - 1) // 2
        line.set_data(times[offset : offset + smoothed.size], smoothed)
        return (
            f"window of {width} samples: the output has {smoothed.size} of the "
            f"{signal.size} samples"
        )

    return Panel(controls, update, figure, caption=caption, artists=[line])


__all__ = [
    "SlidingWindowDiagram",
    "SlidingWindowStepper",
    "draw_sliding_step",
    "convolution_stepper",
    "smoothing_panel",
]
