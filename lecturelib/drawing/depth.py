"""Figures for the why-depth notebook (01): perceptron regions, curve fits, memory bars.

Each interactive figure is a view whose artists are made once and then
updated, with fixed axes, so a panel can blit them (see
:class:`lecturelib.drawing.panel.Panel`); each has a ``draw_*`` twin for the static
small multiples:

- :class:`TriangleView` / :func:`draw_triangle`: three perceptrons' lines,
  the side each one fires on, how many fire at every point, and the region
  where the AND unit fires;
- :class:`FitView` / :func:`draw_fit`: a one-hidden-layer network's fit of a
  curve, and the error against the number of hidden units;
- :class:`MemoryView` / :func:`draw_memory`: the bytes of the weights and of
  a batch's activations, on a logarithmic scale.

:func:`perceptron_editor` and :func:`memory_panel` put the first and the
last in interactive panels.

Nothing is told by colour alone: the three lines differ in line style, points
the network puts inside are filled circles and the others crosses, the fit is
solid and the target dashed, and the activation bar is hatched.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from .._checks import as_array
from ..depth import perceptron, perceptron_and
from ..layer_tables import MemoryEstimate
from . import figures as viz
from .panel import Panel

UNIT_NAMES = ("A", "B", "C")
UNIT_STYLES = ("-", "--", ":")
#: How many units fire at a point: 0, 1, 2 (shades of grey) and 3 (the AND region).
FIRING_COLOURS = ListedColormap(["#FFFFFF", "#E8E8E8", "#C8C8C8", viz.OUTPUT])


# --- three perceptrons and an AND ------------------------------------------------------


def _line_through_box(w, b, low, high):
    """The line w . x + b = 0 as two far-apart points, and the middle of its part in the box.

    Returns (xs, ys, middle); middle is None when w = 0 (no line) or when the
    line misses the box.
    """
    norm2 = float(w @ w)
    if norm2 == 0.0:
        return np.array([]), np.array([]), None
    centre = np.array([(low + high) / 2, (low + high) / 2])
    # the point of the line nearest the centre of the box, and the line's direction
    foot = centre - (w @ centre + b) / norm2 * w
    direction = np.array([-w[1], w[0]]) / np.sqrt(norm2)
    reach = 4.0 * (high - low)
    ends = np.stack([foot - reach * direction, foot + reach * direction])
    # clip foot + t * direction to the box, one axis at a time
    t_low, t_high = -reach, reach
    for axis in range(2):
        if direction[axis] == 0.0:
            if not low <= foot[axis] <= high:
                return ends[:, 0], ends[:, 1], None
            continue
        t1 = (low - foot[axis]) / direction[axis]
        t2 = (high - foot[axis]) / direction[axis]
        t_low, t_high = max(t_low, min(t1, t2)), min(t_high, max(t1, t2))
    if t_low >= t_high:
        return ends[:, 0], ends[:, 1], None
    return ends[:, 0], ends[:, 1], foot + (t_low + t_high) / 2 * direction


class TriangleView:
    """Three perceptrons (lines), the AND of them (a region), and test points.

    ax: the axes, showing the square ``extent`` x ``extent``. points: (N, 2)
    test points drawn as filled circles where the network says "inside" and
    crosses elsewhere. :meth:`update` takes W (2, 3), one column per unit
    (as :func:`lecturelib.depth.perceptron_and`), b (3,) and the index of the
    unit to draw thicker; it returns a dict of counts.
    """

    def __init__(self, ax, points, extent=(0.0, 4.0), resolution=161, legend=True):
        self.ax = ax
        self.low, self.high = (float(v) for v in extent)
        self.points = as_array(points, "points", 2)
        ticks = np.linspace(self.low, self.high, resolution)
        grid_x, grid_y = np.meshgrid(ticks, ticks)
        self.grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
        self.shape = grid_x.shape
        self.image = ax.imshow(
            np.zeros(self.shape),
            cmap=FIRING_COLOURS,
            vmin=-0.5,
            vmax=3.5,
            origin="lower",
            extent=(self.low, self.high, self.low, self.high),
            interpolation="nearest",
            zorder=1.6,  # over the tick marks (1.5) at its edges, which are not redrawn
        )
        self.lines, self.normals, self.labels = [], [], []
        for name, style in zip(UNIT_NAMES, UNIT_STYLES):
            (line,) = ax.plot([], [], style, color="black", lw=2, label=f"unit {name}")
            (normal,) = ax.plot([], [], "-", color=viz.HIGHLIGHT, lw=2, marker="o", markevery=[1])
            label = ax.text(0, 0, name, fontsize=12, fontweight="bold", ha="center", va="center")
            self.lines.append(line)
            self.normals.append(normal)
            self.labels.append(label)
        (self.inside_marks,) = ax.plot([], [], "o", color=viz.ACCENT, ms=7, mec="black")
        (self.outside_marks,) = ax.plot([], [], "x", color="black", ms=7, mew=2)
        ax.set_xlim(self.low, self.high)
        ax.set_ylim(self.low, self.high)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        if legend:
            ax.legend(
                handles=[
                    *self.lines,
                    Rectangle((0, 0), 1, 1, color=viz.OUTPUT, label="AND fires (all 3)"),
                    self.inside_marks,
                    self.outside_marks,
                ],
                labels=[
                    "unit A",
                    "unit B",
                    "unit C",
                    "AND fires (all 3)",
                    "point classed inside",
                    "point classed outside",
                ],
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                fontsize=9,
            )

    @property
    def artists(self) -> list:
        return [
            self.image,
            *self.lines,
            *self.normals,
            *self.labels,
            self.inside_marks,
            self.outside_marks,
        ]

    def update(self, W, b, selected=None) -> dict:
        W = as_array(W, "W", 2)
        b = as_array(b, "b", 1)
        weights = W.T  # one row w_k per unit
        firing = perceptron(self.grid, W, b).sum(axis=1)
        self.image.set_data(firing.reshape(self.shape))
        span = self.high - self.low
        for k in range(3):
            xs, ys, middle = _line_through_box(weights[k], b[k], self.low, self.high)
            self.lines[k].set_data(xs, ys)
            self.lines[k].set_linewidth(3.5 if k == selected else 1.8)
            if middle is None:
                self.normals[k].set_data([], [])
                self.labels[k].set_visible(False)
                continue
            # a short tick from the middle of the visible line towards the side that fires
            unit = weights[k] / np.linalg.norm(weights[k])
            tip = middle + 0.1 * span * unit
            self.normals[k].set_data([middle[0], tip[0]], [middle[1], tip[1]])
            at = middle - 0.06 * span * unit
            self.labels[k].set_visible(True)
            self.labels[k].set_position(at)
        inside = perceptron_and(self.points, W, b).astype(bool)
        self.inside_marks.set_data(self.points[inside, 0], self.points[inside, 1])
        self.outside_marks.set_data(self.points[~inside, 0], self.points[~inside, 1])
        return {
            "and_fraction": float(np.mean(firing == 3)),
            "points_inside": int(inside.sum()),
            "silent_units": [UNIT_NAMES[k] for k in range(3) if not weights[k].any()],
        }


def draw_triangle(ax, W, b, points, extent=(0.0, 4.0), title=None, legend=False) -> dict:
    """One static picture of :class:`TriangleView`; W (2, 3), b (3,); returns its counts."""
    view = TriangleView(ax, points, extent, resolution=101, legend=legend)
    facts = view.update(W, b)
    if title:
        ax.set_title(title)
    return facts


# --- one hidden layer fits a curve ---------------------------------------------------------


class FitView:
    """A fitted curve against its target, and the error against the width.

    ax_fit: the curve (target dashed, fit solid); ax_error: the RMS error of
    every precomputed fit against the number of hidden units (log scales),
    one marker style per activation, the current fit ringed. x: (M,) the
    points the curves are drawn at; target: (M,); widths: the widths that
    were fitted; errors: dict activation -> (len(widths),) RMS errors.
    """

    def __init__(self, ax_fit, ax_error, x, target, widths, errors):
        self.x = np.asarray(x, dtype=np.float64)
        self.widths = list(widths)
        self.errors = {name: np.asarray(e, dtype=np.float64) for name, e in errors.items()}
        ax_fit.plot(self.x, target, "--", color="black", lw=2, label="target f(x)")
        (self.fit_line,) = ax_fit.plot([], [], "-", color=viz.HIGHLIGHT, lw=2, label="network")
        spread = float(np.ptp(target))
        ax_fit.set_xlim(self.x[0], self.x[-1])
        ax_fit.set_ylim(target.min() - 0.35 * spread, target.max() + 0.35 * spread)
        ax_fit.set_xlabel("x")
        ax_fit.set_ylabel("f(x)")
        ax_fit.legend(loc="lower left", fontsize=9)
        self.fit_title = ax_fit.text(
            0.02, 0.97, "", transform=ax_fit.transAxes, va="top", fontsize=10
        )

        markers = {"relu": ("o-", viz.ACCENT), "sigmoid": ("s--", viz.KERNEL)}
        for name, values in self.errors.items():
            style, colour = markers.get(name, ("^-", viz.MUTED))
            ax_error.loglog(self.widths, values, style, color=colour, ms=5, label=name)
        (self.ring,) = ax_error.loglog([], [], "o", ms=14, mfc="none", mec=viz.HIGHLIGHT, mew=2.5)
        every = np.concatenate(list(self.errors.values()))
        ax_error.set_ylim(every.min() / 2, every.max() * 2)
        ax_error.set_xlabel("hidden units")
        ax_error.set_ylabel("RMS error")
        ax_error.set_title("error against width")
        ax_error.legend(loc="lower left", fontsize=9)
        ax_error.grid(True, which="major", alpha=0.3)

    @property
    def artists(self) -> list:
        return [self.fit_line, self.fit_title, self.ring]

    def update(self, width, activation, curve) -> float:
        if activation not in self.errors:
            raise ValueError(f"no fits for activation {activation!r}")
        if width not in self.widths:
            raise ValueError(f"no fit was computed for {width} hidden units")
        error = float(self.errors[activation][self.widths.index(width)])
        self.fit_line.set_data(self.x, curve)
        units = "unit" if width == 1 else "units"
        self.fit_title.set_text(f"{width} {activation} {units}: RMS error {error:.3g}")
        self.ring.set_data([width], [error])
        return error


def draw_fit(ax, x, target, curve, title=None) -> None:
    """One static fit: target dashed, network solid."""
    ax.plot(x, target, "--", color="black", lw=2, label="target")
    ax.plot(x, curve, "-", color=viz.HIGHLIGHT, lw=2, label="network")
    ax.set_xlabel("x")
    if title:
        ax.set_title(title)


# --- memory ------------------------------------------------------------------------------


def memory_text(n_bytes: float) -> str:
    """Bytes in decimal units, as memory is quoted: 168 MB, 2.1 GB."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes:.0f} B"


class MemoryView:
    """Three bars on a fixed logarithmic scale: weights, a batch's activations, total.

    ``reference`` (bytes) draws a dashed line, e.g. a GPU's memory, labelled
    ``reference_label``. :meth:`update` takes a :class:`MemoryEstimate`.
    """

    def __init__(self, ax, limits=(1e3, 1e13), reference=None, reference_label=""):
        self.ax = ax
        self.low = float(limits[0])
        styles = (
            dict(facecolor=viz.ACCENT, hatch=None),
            dict(facecolor=viz.KERNEL, hatch="//"),
            dict(facecolor=viz.MUTED, hatch=None),
        )
        self.bars, self.values = [], []
        for row, style in enumerate(styles):
            bar = Rectangle((self.low, row - 0.35), 0, 0.7, edgecolor="black", **style)
            ax.add_patch(bar)
            self.bars.append(bar)
            self.values.append(ax.text(self.low, row, "", va="center", fontsize=11))
        ax.set_xscale("log")
        ax.set_xlim(*limits)
        decades = [10.0**k for k in range(3, 16, 3) if limits[0] <= 10.0**k <= limits[1]]
        ax.set_xticks(decades, [memory_text(d) for d in decades])
        ax.minorticks_off()
        ax.set_ylim(2.6, -0.6)
        ax.set_yticks(range(3), ["weights", "activations\n(whole batch)", "total"])
        ax.set_xlabel("memory (log scale: each grid step is 1000 times more)")
        # the reference line lies over the bars: redrawn with them (it never moves)
        self.reference = []
        if reference is not None:
            self.reference = [
                ax.axvline(reference, ls="--", color="black", lw=1.5),
                ax.text(reference, 2.55, f" {reference_label}", va="bottom", fontsize=9),
            ]
        ax.grid(True, axis="x", which="major", alpha=0.3)
        ax.set_axisbelow(True)  # the grid under the bars, as in the background they are drawn on

    @property
    def artists(self) -> list:
        return [*self.bars, *self.values, *self.reference]

    def update(self, estimate: MemoryEstimate) -> None:
        sizes = (estimate.weights_bytes, estimate.activations_bytes, estimate.total_bytes)
        for bar, text, size in zip(self.bars, self.values, sizes):
            right = max(float(size), self.low)
            bar.set_width(right - self.low)
            text.set_position((right * 1.15, text.get_position()[1]))
            text.set_text(memory_text(size))


def draw_memory(ax, estimate: MemoryEstimate, title=None, **kw) -> None:
    """One static memory bar chart."""
    MemoryView(ax, **kw).update(estimate)
    if title:
        ax.set_title(title)


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def perceptron_editor(controls: dict, W, b, points, *, caption: str = "", dpi: float = 80) -> Panel:
    """Edit three perceptrons one at a time and watch the region where their AND fires.

    ``controls``: ``unit`` (one of "A", "B", "C"), ``w1``, ``w2`` and ``bias``,
    the sliders of the unit being edited; their first values should be unit
    A's. W (2, 3) and b (3,) are the starting units, one column per unit, as
    :func:`lecturelib.depth.perceptron_and` takes them; ``points`` (N, 2) are
    classified by that function on every update (:class:`TriangleView`).

    Choosing another unit loads its weights into the sliders; each unit keeps
    its own settings. The text lists every unit and the share of the square
    where the AND fires (or says that it never does).
    """
    W, b = as_array(W, "W", 2), as_array(b, "b", 1)
    figure, ax = viz.new_figure(6.6, 4.0)
    view = TriangleView(ax, points)
    names = list(UNIT_NAMES)
    settings = {
        name: [float(w[0]), float(w[1]), float(bias)] for name, w, bias in zip(names, W.T, b)
    }
    editing = {"unit": names[0]}
    panel = None

    def update(unit, w1, w2, bias):
        if unit != editing["unit"]:
            # the sliders still show the previous unit: load this unit's settings into them
            editing["unit"] = unit
            w1_now, w2_now, bias_now = settings[unit]
            panel.set(w1=w1_now, w2=w2_now, bias=bias_now)
            return None
        settings[unit] = [w1, w2, bias]
        weights = np.array([settings[name][:2] for name in names]).T  # (2, 3)
        biases = np.array([settings[name][2] for name in names])
        facts = view.update(weights, biases, names.index(unit))
        rows = ", ".join(
            f"{name}: w = ({s[0]:g}, {s[1]:g}), b = {s[2]:g}" for name, s in settings.items()
        )
        if facts["silent_units"]:
            rows += (
                f"<br>Unit {', '.join(facts['silent_units'])} has w = (0, 0): it has no line, "
                "and fires everywhere if b > 0, nowhere otherwise."
            )
        if facts["and_fraction"] == 0:
            verdict = (
                "No point of the square lies on the firing side of all three units: "
                "the AND never fires."
            )
        else:
            verdict = (
                f"The AND fires on {facts['and_fraction']:.1%} of the square; "
                f"{facts['points_inside']} of {len(view.points)} points classed inside."
            )
        return f"{rows}<br>{verdict}"

    panel = Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)
    return panel


def fit_panel(
    controls: dict, x, target, widths, curves: dict, errors: dict, *, caption: str = "", dpi=80
) -> Panel:
    """Precomputed fits of a one-hidden-layer network, by width and activation (:class:`FitView`).

    ``controls``: ``width`` (one of ``widths``) and ``activation``. x, target:
    (M,); ``curves[activation, width]`` is the trained network's output at x,
    ``errors[activation]`` its RMS errors, one per width (the notebook's
    training, done before the panel is made). The text compares the error
    with the one-unit fit's.
    """
    figure, (ax_fit, ax_error) = viz.new_figure(10, 3.6, 1, 2)
    view = FitView(ax_fit, ax_error, x, target, widths, errors)

    def update(width, activation):
        error = view.update(width, activation, curves[activation, width])
        best = errors[activation][0] / error
        return (
            f"{width} {activation} hidden unit{'s' * (width > 1)}: RMS error {error:.4f}, "
            f"{best:.1f} times smaller than with 1 unit. Dashed: the target; solid: the network."
        )

    return Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)


def memory_panel(
    controls: dict,
    compute,
    *,
    caption: str = "",
    reference: float = 16e9,
    reference_label: str = "16 GB",
    dpi: float = 80,
) -> Panel:
    """Memory bars (weights, a batch's activations, total) for the network the controls describe.

    ``compute(**values)`` receives every control's value and returns the
    :class:`lecturelib.layer_tables.MemoryEstimate` to draw (the notebook's
    call to :func:`lecturelib.memory_estimate`). If the controls include
    ``network``, ``layers`` and ``width``, the text names the network: "the
    lecture's 50-layer network" when ``network == "lecture"``, otherwise the
    layers and their width.
    """
    figure, ax = viz.new_figure(8, 2.8)
    view = MemoryView(ax, limits=(1e3, 1e13), reference=reference, reference_label=reference_label)

    def update(**values):
        estimate = compute(**values)
        view.update(estimate)
        if values.get("network") == "lecture":
            shape = "the lecture's 50-layer network (depth and width sliders not used)"
        else:
            layers, width = values.get("layers"), values.get("width")
            shape = f"{layers} layer{'s' * (layers > 1)} of {width} units"
        share = estimate.activations_bytes / estimate.total_bytes
        number_format = values.get("dtype", f"{estimate.bytes_per_value}-byte numbers")
        return (
            f"{shape}: {estimate.weights:,} weights, {estimate.activations_per_example:,} "
            f"activations per example. Batch of {estimate.batch_size} in {number_format}: "
            f"weights {memory_text(estimate.weights_bytes)}, activations "
            f"{memory_text(estimate.activations_bytes)} ({share:.0%} of the total "
            f"{memory_text(estimate.total_bytes)}). Hatched bar: the activations."
        )

    return Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)


__all__ = [
    "TriangleView",
    "draw_triangle",
    "FitView",
    "draw_fit",
    "MemoryView",
    "draw_memory",
    "memory_text",
    "perceptron_editor",
    "memory_panel",
    "fit_panel",
]
