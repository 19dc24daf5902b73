"""How a layer wires its inputs to its outputs: fully connected, local, shared.

The first convolution notebook compares three layers that map a row of
``n_inputs`` units to ``n_outputs = n_inputs - window + 1`` units:

- **fully connected**: every input feeds every output (``n_inputs * n_outputs``
  weights);
- **locally connected**: each output sees only a window of ``window``
  neighbouring inputs, with weights of its own (``window * n_outputs``);
- **shared weights** (a convolution): the same ``window`` weights are reused
  at every position (``window`` weights).

:func:`connection_counts` gives the three counts for any sizes (1-D or 2-D,
flattened), :class:`ConnectionDiagram` draws one of the three layers as a
graph whose edges take the colour of their weight when weights are shared,
:class:`CountBars` draws the three counts on a log scale, and
:class:`ReceptiveFieldDiagram` stacks locally connected layers to show which
inputs one unit high up depends on. The diagram classes draw once and then
update their artists, so an interactive panel can redraw them quickly; the
``draw_*`` functions are one-shot versions for static figures.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from .._checks import as_int
from ..convolution import receptive_field
from . import figures as viz
from .panel import Panel

KINDS = ("fully connected", "locally connected", "shared weights")

#: One colour per shared weight w1, w2, ... (colour-blind-safe Okabe-Ito hues).
WEIGHT_COLOURS = (
    viz.ACCENT,
    viz.HIGHLIGHT,
    viz.KERNEL,
    "#CC79A7",
    "#000000",
    viz.OUTPUT,
    viz.INPUT,
)

_UNSHARED_EDGE = "#555555"


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {kind!r}")
    return kind


def connection_counts(n_inputs, n_outputs, window) -> dict[str, int]:
    """Weights of three layers that map ``n_inputs`` units to ``n_outputs`` units.

    n_inputs, n_outputs: numbers of units (for images: pixels, H * W);
    window: how many inputs each output sees (for a K x K kernel: K * K).
    Returns a dict with the keys of :data:`KINDS`:
    ``n_inputs * n_outputs`` (fully connected), ``window * n_outputs``
    (locally connected) and ``window`` (shared weights). Biases are not
    counted. Python ints, so large counts are exact.

    >>> connection_counts(8, 6, 3)
    {'fully connected': 48, 'locally connected': 18, 'shared weights': 3}
    >>> connection_counts(10**6, 10**6, 10 * 10)["fully connected"] == 10**12
    True
    >>> connection_counts(4, 2, 5)
    Traceback (most recent call last):
        ...
    ValueError: window 5 is larger than the 4 inputs
    """
    n_inputs = as_int(n_inputs, "n_inputs", 1)
    n_outputs = as_int(n_outputs, "n_outputs", 1)
    window = as_int(window, "window", 1)
    if window > n_inputs:
        raise ValueError(f"window {window} is larger than the {n_inputs} inputs")
    return {
        "fully connected": n_inputs * n_outputs,
        "locally connected": window * n_outputs,
        "shared weights": window,
    }


def layer_edges(n_inputs, window, kind):
    """The edges of a 1-D layer with ``n_outputs = n_inputs - window + 1`` outputs.

    kind: one of :data:`KINDS`. Returns ``(inputs, outputs, weight_ids)``, three
    int arrays of shape (E,), one entry per edge: edge e joins input
    ``inputs[e]`` to output ``outputs[e]`` and uses weight ``weight_ids[e]``.
    Weights are numbered so that edges with the same id share one weight; the
    number of distinct ids is the layer's weight count.

    >>> inputs, outputs, ids = layer_edges(4, 2, "shared weights")
    >>> inputs, outputs, ids
    (array([0, 1, 1, 2, 2, 3]), array([0, 0, 1, 1, 2, 2]), array([0, 1, 0, 1, 0, 1]))
    >>> len(np.unique(layer_edges(8, 3, "locally connected")[2]))
    18
    """
    n_inputs = as_int(n_inputs, "n_inputs", 1)
    window = as_int(window, "window", 1)
    _check_kind(kind)
    if window > n_inputs:
        raise ValueError(f"window {window} is larger than the input length {n_inputs}")
    n_outputs = n_inputs - window + 1
    if kind == "fully connected":
        outputs, inputs = np.divmod(np.arange(n_inputs * n_outputs), n_inputs)
        return inputs, outputs, np.arange(inputs.size)
    outputs, offsets = np.divmod(np.arange(window * n_outputs), window)
    inputs = outputs + offsets
    weight_ids = offsets if kind == "shared weights" else np.arange(inputs.size)
    return inputs, outputs, weight_ids


def _node_positions(n_inputs, window):
    """x positions of the inputs (0, 1, ...) and of the outputs, each above its window."""
    n_outputs = n_inputs - window + 1
    return np.arange(n_inputs, dtype=float), np.arange(n_outputs) + (window - 1) / 2


class ConnectionDiagram:
    """One layer drawn as a graph: inputs in a row at the bottom, outputs on top.

    ``ax``: a matplotlib Axes; ``kind``: one of :data:`KINDS`. Call
    :meth:`draw` with new sizes to redraw (artists are updated, not rebuilt).
    Fully and locally connected layers draw every edge in dark grey (each edge
    is its own weight); with shared weights, edges take the colour of their
    weight (w1, w2, ... written under the first window). The title names the
    kind of layer and a line under it counts the weights.

    The x-axis is fitted to the row drawn; nothing else in the axes depends
    on it (no x ticks, no spines), so a panel may redraw only :attr:`artists`
    over a saved background (blitting).
    """

    def __init__(self, ax, kind, *, label_rows: bool = True, fontsize: float = 11):
        self.ax = ax
        self.kind = _check_kind(kind)
        self.fontsize = fontsize
        self.edges = LineCollection([], linewidths=1.4, zorder=1)
        ax.add_collection(self.edges)
        self.nodes = ax.scatter(np.zeros((0, 2)), np.zeros(0), s=90, edgecolor="black", zorder=3)
        self.count_text = ax.text(
            0.5,
            1.2,
            "",
            transform=blended_transform_factory(ax.transAxes, ax.transData),
            ha="center",
            va="bottom",
            fontsize=fontsize,
        )
        self.weight_labels = [
            ax.text(
                0,
                0,
                f"w{i + 1}",
                color=colour,
                fontsize=fontsize - 2,
                ha="center",
                va="center",
                fontweight="bold",
                visible=False,
            )
            for i, colour in enumerate(WEIGHT_COLOURS)
        ]
        ax.set_ylim(-0.48, 1.55)
        ax.set_xticks([])
        if label_rows:
            ax.set_yticks([0, 1], ["inputs", "outputs"])
        else:
            ax.set_yticks([])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(kind, fontsize=fontsize + 1)

    @property
    def artists(self) -> list:
        """Every artist :meth:`draw` changes (for a panel's ``artists``)."""
        return [self.edges, self.nodes, *self.weight_labels, self.count_text]

    def draw(self, n_inputs, window) -> int:
        """Draw the layer for these sizes; returns its number of distinct weights."""
        inputs, outputs, weight_ids = layer_edges(n_inputs, window, self.kind)
        n_inputs, window = int(n_inputs), int(window)
        if self.kind == "shared weights" and window > len(WEIGHT_COLOURS):
            raise ValueError(
                f"the drawing has colours for windows of up to {len(WEIGHT_COLOURS)} weights, "
                f"got {window}"
            )
        x_in, x_out = _node_positions(n_inputs, window)
        segments = np.stack(
            [
                np.column_stack([x_in[inputs], np.zeros(inputs.size)]),
                np.column_stack([x_out[outputs], np.ones(inputs.size)]),
            ],
            axis=1,
        )
        self.edges.set_segments(segments)
        if self.kind == "shared weights":
            self.edges.set_color([WEIGHT_COLOURS[i] for i in weight_ids])
            self.edges.set_linewidth(2.2)
        else:
            self.edges.set_color(_UNSHARED_EDGE)
            self.edges.set_linewidth(1.0 if self.kind == "fully connected" else 1.4)
            self.edges.set_alpha(0.55 if self.kind == "fully connected" else 0.9)
        self.nodes.set_offsets(
            np.concatenate(
                [
                    np.column_stack([x_in, np.zeros_like(x_in)]),
                    np.column_stack([x_out, np.ones_like(x_out)]),
                ]
            )
        )
        self.nodes.set_facecolor([viz.INPUT] * x_in.size + [viz.OUTPUT] * x_out.size)
        for i, label in enumerate(self.weight_labels):
            shown = self.kind == "shared weights" and i < window
            label.set_visible(shown)
            if shown:  # under input i of the first window: the first output's weight i
                staggered = n_inputs > 10 and i % 2 == 1  # long rows: no room side by side
                label.set_position((x_in[i], -0.38 if staggered else -0.22))
        self.ax.set_xlim(-0.7, n_inputs - 0.3)
        count = len(np.unique(weight_ids))
        self.count_text.set_text(f"{count:,} weight{'s' if count != 1 else ''}")
        return count


def draw_connections(ax, n_inputs, window, kind, **kwargs) -> int:
    """One-shot :class:`ConnectionDiagram` (for static figures); returns the weight count."""
    return ConnectionDiagram(ax, kind, **kwargs).draw(n_inputs, window)


def _short_count(value: int) -> str:
    if value < 10**6:
        return f"{value:,}"
    exponent = int(np.floor(np.log10(value)))
    mantissa = value / 10**exponent
    if abs(mantissa - round(mantissa)) < 1e-9:
        return f"{round(mantissa)}e{exponent}" if round(mantissa) != 1 else f"1e{exponent}"
    return f"{mantissa:.2f}e{exponent}"


class CountBars:
    """The three weight counts of :func:`connection_counts` as bars on a log scale.

    ``title`` stays fixed; call :meth:`draw` with a counts dict and a short
    note (written at the top of the axes) to update the bars and their labels.
    ``top`` fixes the upper end of the axis (the axes then never change, so a
    panel can redraw only :attr:`artists`); without it the axis fits the bars.
    """

    def __init__(self, ax, *, title: str = "", fontsize: float = 11, top=None):
        self.ax = ax
        self.top = top
        colours = (viz.MUTED, _UNSHARED_EDGE, viz.KERNEL)
        positions = np.arange(len(KINDS))
        self.bars = ax.bar(positions, np.ones(len(KINDS)), color=colours, edgecolor="black")
        self.labels = [
            ax.text(p, 1, "", ha="center", va="bottom", fontsize=fontsize) for p in positions
        ]
        self.note = ax.text(
            0.5, 0.98, "", transform=ax.transAxes, ha="center", va="top", fontsize=fontsize - 1
        )
        ax.set_yscale("log")
        ax.set_xticks(positions, ["full", "local", "shared"])
        ax.set_ylabel("weights (log scale)")
        ax.set_title(title, fontsize=fontsize + 1)
        if top is not None:
            ax.set_ylim(0.8, top)

    @property
    def artists(self) -> list:
        """Every artist :meth:`draw` changes (for a panel's ``artists``)."""
        return [*self.bars, *self.labels, self.note]

    def draw(self, counts: dict[str, int], note: str = "") -> None:
        values = [counts[kind] for kind in KINDS]
        for bar, label, value in zip(self.bars, self.labels, values):
            bar.set_height(value)
            label.set_y(value * 1.3)
            label.set_text(_short_count(value))
        if self.top is None:
            self.ax.set_ylim(0.8, max(values) ** 1.4 * 30)
        self.note.set_text(note)


def _layer_sizes(n_inputs, window, depth):
    sizes = [n_inputs - layer * (window - 1) for layer in range(depth + 1)]
    if sizes[-1] < 1:
        raise ValueError(
            f"{depth} layers of windows of {window} need at least {depth * (window - 1) + 1} "
            f"inputs, got {n_inputs}"
        )
    return sizes


class ReceptiveFieldDiagram:
    """A stack of locally connected 1-D layers and the inputs one top unit sees.

    Layer 0 (bottom) holds the inputs; each layer above has ``window - 1``
    fewer units, each joined to ``window`` neighbours below (no padding,
    stride 1). The middle unit of the top layer, every edge and unit it
    depends on are highlighted, and a shaded band marks its receptive field
    in the input row, ``depth * (window - 1) + 1`` inputs wide (from
    :func:`lecturelib.convolution.receptive_field`).

    The axes are fitted to the stack drawn; nothing else in them depends on
    the limits (no ticks, no spines). Give ``max_depth`` to create the row
    labels up front: then :attr:`artists` lists everything :meth:`draw`
    changes, and a panel may redraw only those over a saved background.
    """

    def __init__(self, ax, *, fontsize: float = 11, max_depth=None):
        self.ax = ax
        self.fontsize = fontsize
        self.background = LineCollection([], colors="#BBBBBB", linewidths=0.9, zorder=1)
        self.cone = LineCollection([], colors=viz.HIGHLIGHT, linewidths=2.2, zorder=2)
        ax.add_collection(self.background)
        ax.add_collection(self.cone)
        self.nodes = ax.scatter([], [], s=70, zorder=3, linewidths=1.0)
        self.span = Rectangle((0, -0.3), 1, 0.6, color=viz.HIGHLIGHT, alpha=0.18, lw=0)
        ax.add_patch(self.span)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title("What the top unit depends on", fontsize=fontsize + 1)
        self.field_text = ax.text(
            0, -0.38, "", ha="center", va="top", fontsize=fontsize, color=viz.HIGHLIGHT
        )
        self.layer_labels: list = []
        self.max_depth = None if max_depth is None else as_int(max_depth, "max_depth", 1)
        if self.max_depth is not None:
            self._labels(self.max_depth)

    def _labels(self, depth):
        """Make sure there is a row label for layers 0 to depth."""
        for layer in range(len(self.layer_labels), depth + 1):
            text = "inputs" if layer == 0 else f"layer {layer}"
            self.layer_labels.append(
                self.ax.text(-1.0, layer, text, ha="right", va="center", fontsize=self.fontsize)
            )

    @property
    def artists(self) -> list:
        """Every artist :meth:`draw` changes (for a panel's ``artists``)."""
        return [
            self.background,
            self.cone,
            self.nodes,
            self.span,
            self.field_text,
            *self.layer_labels,
        ]

    def draw(self, n_inputs, window, depth) -> range:
        """Draw ``depth`` layers over ``n_inputs`` inputs; returns the top unit's input range."""
        n_inputs = as_int(n_inputs, "n_inputs", 1)
        window = as_int(window, "window", 1)
        depth = as_int(depth, "depth", 1)
        if self.max_depth is not None and depth > self.max_depth:
            raise ValueError(f"the drawing has room for {self.max_depth} layers, got {depth}")
        sizes = _layer_sizes(n_inputs, window, depth)
        x_rows = [np.arange(size) + layer * (window - 1) / 2 for layer, size in enumerate(sizes)]
        # which units of every layer the chosen top unit depends on: walk down
        top = sizes[-1] // 2
        seen = [None] * (depth + 1)
        seen[depth] = np.array([top])
        for layer in range(depth, 0, -1):
            above = seen[layer]
            seen[layer - 1] = np.arange(above.min(), above.max() + window)
        background, cone = [], []
        for layer in range(1, depth + 1):
            inputs, outputs, _ = layer_edges(sizes[layer - 1], window, "locally connected")
            lower, upper = x_rows[layer - 1], x_rows[layer]
            for i, o in zip(inputs, outputs):
                segment = [(lower[i], layer - 1), (upper[o], layer)]
                (cone if o in seen[layer] else background).append(segment)
        self.background.set_segments(background)
        self.cone.set_segments(cone)
        offsets, faces, edges = [], [], []
        for layer, (size, x) in enumerate(zip(sizes, x_rows)):
            base = viz.INPUT if layer == 0 else viz.OUTPUT
            for unit in range(size):
                inside = unit in seen[layer]
                offsets.append((x[unit], layer))
                faces.append(base if inside else "white")
                edges.append(viz.HIGHLIGHT if (layer == depth and inside) else "black")
        self.nodes.set_offsets(np.array(offsets))
        self.nodes.set_facecolor(faces)
        self.nodes.set_edgecolor(edges)
        field = receptive_field([window] * depth, position=top)
        self.span.set_x(field.start - 0.5)
        self.span.set_width(len(field))
        self.ax.set_xlim(-0.7, n_inputs - 0.3)
        self.ax.set_ylim(-0.75, depth + 0.3)
        self._labels(depth)
        for layer, label in enumerate(self.layer_labels):
            label.set_visible(layer <= depth)
        self.field_text.set_position(((field.start + field.stop - 1) / 2, -0.36))
        self.field_text.set_text(f"{len(field)} inputs")
        return field


def draw_receptive_field(ax, n_inputs, window, depth, **kwargs) -> range:
    """One-shot :class:`ReceptiveFieldDiagram`; returns the top unit's range of inputs."""
    return ReceptiveFieldDiagram(ax, **kwargs).draw(n_inputs, window, depth)


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def receptive_field_panel(
    controls: dict, compute, *, n_inputs: int = 17, caption: str = "", dpi: float = 80
) -> Panel:
    """A stack of 1-D layers over ``n_inputs`` inputs and the top unit's receptive field.

    ``controls``: ``depth`` (layers, at most 4 are drawn) and ``window``.
    ``compute(depth, window)`` is the lesson's receptive-field size (e.g.
    :func:`lecturelib.receptive_field` of ``[window] * depth``); the panel
    checks that the drawn field has that many inputs and names them.
    """
    figure, ax = viz.new_figure(8, 3.4)
    diagram = ReceptiveFieldDiagram(ax, max_depth=4)

    def update(depth, window):
        field = diagram.draw(n_inputs, window, depth)
        size = compute(depth, window)
        if len(field) != size:
            raise RuntimeError(f"the drawing shows {len(field)} inputs, the lesson says {size}")
        return (
            f"{depth} layer(s) of windows of {window}: the top unit sees inputs x{field.start + 1} "
            f"to x{field.stop}, {size} in all (1 + {depth} x {window - 1})"
        )

    return Panel(controls, update, figure, artists=diagram.artists, dpi=dpi, caption=caption)


def weight_count_panel(controls: dict, compute, *, caption: str = "", dpi: float = 80) -> Panel:
    """The three kinds of layer drawn in 1-D, and bars of their weight counts in 2-D.

    ``controls``: ``n_inputs`` (the 1-D layer's inputs), ``window`` and ``side``
    (of a square image). ``compute(n_inputs, window, side)`` is the lesson: it
    returns ``{"1-D": (outputs, counts), "2-D": (output_side, counts)}``, where
    each ``counts`` is :func:`connection_counts` of that layer. The drawings
    come first, so a window the 1-D drawing cannot show gives its message.
    """
    figure, axes = viz.new_figure(12, 3.0, 1, 4, width_ratios=[1, 1, 1, 0.75])
    diagrams = [
        ConnectionDiagram(ax, kind, label_rows=ax is axes[0]) for ax, kind in zip(axes, KINDS)
    ]
    bars = CountBars(axes[3], title="2-D weights", top=1e17)

    def update(n_inputs, window, side):
        for diagram in diagrams:
            diagram.draw(n_inputs, window)
        counts = compute(n_inputs, window, side)
        outputs, line = counts["1-D"]
        side_out, image = counts["2-D"]
        bars.draw(image, f"{side} x {side} image\n{window} x {window} window")
        return (
            f"<b>1-D</b>: {n_inputs} inputs, {outputs} outputs: "
            f"{line['fully connected']} / {line['locally connected']} / {line['shared weights']} "
            f"weights (fully connected / locally connected / shared). "
            f"<b>2-D</b>: {side} x {side} image, {side_out} x {side_out} outputs: "
            f"{image['fully connected']:,} / {image['locally connected']:,} / "
            f"{image['shared weights']:,} weights."
        )

    artists = [artist for diagram in diagrams for artist in diagram.artists] + bars.artists
    return Panel(controls, update, figure, artists=artists, dpi=dpi, caption=caption)


__all__ = [
    "KINDS",
    "WEIGHT_COLOURS",
    "connection_counts",
    "layer_edges",
    "ConnectionDiagram",
    "draw_connections",
    "CountBars",
    "ReceptiveFieldDiagram",
    "draw_receptive_field",
    "receptive_field_panel",
    "weight_count_panel",
]
