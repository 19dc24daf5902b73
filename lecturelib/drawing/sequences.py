"""Figures for the sequence notebooks (09-11): unrolled networks, hidden states,
BPTT contributions and Jacobian norms.

Each live figure is a small *view*: it creates its artists once, for the
largest setting a panel allows, and its ``show(...)`` method only moves,
hides, re-labels or re-colours them, so a panel update costs one redraw and
nothing more. The static companions (small multiples) make one view per
subplot and call ``show`` once.

Colours follow :mod:`lecturelib.drawing.figures`: inputs x_t in the input colour,
outputs y_t in the output colour, and each shared weight matrix in one
colour wherever it is used (U orange, W reddish purple, V blue), so that a
student sees the same matrix at every step.

Each view lists the artists that change in ``view.artists``. For a live
panel, :func:`lecturelib.drawing.live.live_figure` (also importable from here)
lays the figure out once and keeps a rendered copy of everything that does
not change (axes, ticks, labels, colour bars); each update pastes that copy
and draws only the changing artists on top: a few milliseconds of drawing
instead of a full redraw.

The notebooks' panels are built here too (:class:`UnrolledPanel`,
:class:`HiddenStatePanel`, :class:`ContributionPanel`,
:class:`JacobianNormPanel`): the notebook chooses the controls and passes
the lesson's computation (a forward pass, the BPTT terms, the measured
norms); the panel draws it with a view and writes the line under it.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from .._checks import as_array, as_int
from . import figures as viz
from .live import live_figure
from .panel import Panel

#: Colour of each shared weight matrix, the same at every time step.
WEIGHT_COLOURS = {"U": viz.KERNEL, "W": "#CC79A7", "V": viz.ACCENT}
HIDDEN_FACE = "#F2F2F2"  # hidden-state boxes: neutral, so the arrows stand out

#: The lecture's five input/output patterns, in the order it lists them.
ARCHITECTURES = (
    "one-to-one",
    "one-to-many",
    "many-to-one",
    "many-to-many (aligned)",
    "many-to-many (unaligned)",
)

#: log10 of the limits of float64 that the Jacobian plots mark.
LOG10_UNDERFLOW = -300.0  # below ~1e-300 products are lost (exactly 0 below ~5e-324)
LOG10_OVERFLOW = float(np.log10(np.finfo(np.float64).max))  # about 308.25: beyond is inf


_SUBSCRIPTS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def subscript(index) -> str:
    """``index`` in Unicode subscript digits ("h" + subscript(12) is "h₁₂").

    Plain text rather than mathtext: it draws several times faster, which
    matters for figures redrawn on every slider move.

    >>> "x" + subscript(3), "h" + subscript(-1)
    ('x₃', 'h₋₁')
    """
    return str(index).translate(_SUBSCRIPTS)


# --- the unrolled network ------------------------------------------------------------


def architecture_steps(architecture: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Which time steps read an input and which emit an output.

    Returns two boolean arrays of length ``steps`` (inputs, outputs).
    "one-to-one" always has a single step; "many-to-many (unaligned)" reads
    the first ceil(steps / 2) inputs and then writes the remaining outputs,
    like a translation model, so it needs at least 2 steps.

    >>> inputs, outputs = architecture_steps("many-to-one", 3)
    >>> inputs.tolist(), outputs.tolist()
    ([True, True, True], [False, False, True])
    >>> architecture_steps("many-to-many (unaligned)", 4)[1].tolist()
    [False, False, True, True]
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {list(ARCHITECTURES)}, got {architecture!r}")
    steps = as_int(steps, "steps", 1)
    if architecture == "one-to-one":
        return np.array([True]), np.array([True])
    index = np.arange(steps)
    if architecture == "one-to-many":
        return index == 0, np.ones(steps, dtype=bool)
    if architecture == "many-to-one":
        return np.ones(steps, dtype=bool), index == steps - 1
    if architecture == "many-to-many (aligned)":
        return np.ones(steps, dtype=bool), np.ones(steps, dtype=bool)
    if steps < 2:
        raise ValueError(
            "many-to-many (unaligned) needs at least 2 steps: some to read, then some to write"
        )
    read = -(-steps // 2)
    return index < read, index >= read


class UnrolledView:
    """An RNN unrolled over time: boxes x_t, h_t, y_t and arrows U, W, V.

    ``ax``: the axes to draw in; ``max_steps``: the most steps ``show`` will
    be asked for (artists are made for all of them and hidden as needed).
    The state before the first step, h_{-1} = 0, is drawn on the left.
    """

    STEP = 1.7  # horizontal distance between steps
    ROWS = {"x": 0.0, "h": 1.45, "y": 2.9}
    BOX = (1.0, 0.62)

    def __init__(self, ax, max_steps: int = 8, fontsize: float = 14):
        self.ax = ax
        self.max_steps = as_int(max_steps, "max_steps", 1)
        self.fontsize = fontsize
        self.boxes = {"x": [], "h": [], "y": []}
        self.labels = {"x": [], "h": [], "y": []}
        self.arrows = {"U": [], "W": [], "V": []}
        self.arrow_labels = {"U": [], "W": [], "V": []}
        faces = {"x": viz.INPUT, "h": HIDDEN_FACE, "y": viz.OUTPUT}
        for t in range(self.max_steps):
            for row, face in faces.items():
                box, label = self._box(self._x(t), self.ROWS[row], face, row + subscript(t))
                self.boxes[row].append(box)
                self.labels[row].append(label)
            self._weight_arrows(t)
        self.start_box, self.start_label = self._box(
            self._x(-1), self.ROWS["h"], "white", "h₋₁ = 0", dashed=True, size=0.75
        )
        # Every part is only shown or hidden: a live figure keeps a picture per
        # combination (lecturelib.drawing.live) and redraws nothing per update.
        self.switched = [self.start_box, self.start_label]
        for group in (self.boxes, self.labels, self.arrows, self.arrow_labels):
            for artists in group.values():
                self.switched += artists
        self.artists = []
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_ylim(self.ROWS["x"] - 0.55, self.ROWS["y"] + 0.55)
        ax.set_xlim(self._x(-1) - 0.65, self._x(self.max_steps - 1) + 0.65)

    def _x(self, t: int) -> float:
        return self.STEP * (t + 1)

    def _box(self, x, y, face, text, dashed=False, size=1.0):
        width, height = self.BOX
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=face,
            edgecolor=viz.MUTED if dashed else "black",
            linestyle="--" if dashed else "-",
            linewidth=1.2,
        )
        self.ax.add_patch(box)
        label = self.ax.text(x, y, text, ha="center", va="center", fontsize=self.fontsize * size)
        return box, label

    def _arrow(self, start, end, name):
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=14,
            color=WEIGHT_COLOURS[name],
            linewidth=2.2,
            shrinkA=0,
            shrinkB=0,
        )
        self.ax.add_patch(arrow)
        self.arrows[name].append(arrow)

    def _weight_arrows(self, t: int) -> None:
        x = self._x(t)
        half_w, half_h = self.BOX[0] / 2, self.BOX[1] / 2
        rows = self.ROWS
        self._arrow((x, rows["x"] + half_h), (x, rows["h"] - half_h), "U")
        self._arrow((x, rows["h"] + half_h), (x, rows["y"] - half_h), "V")
        self._arrow((x - self.STEP + half_w, rows["h"]), (x - half_w, rows["h"]), "W")
        places = {
            "U": (x + 0.1, (rows["x"] + rows["h"]) / 2, "left", "center"),
            "V": (x + 0.1, (rows["h"] + rows["y"]) / 2, "left", "center"),
            "W": (x - self.STEP / 2, rows["h"] + 0.1, "center", "bottom"),
        }
        for name, (lx, ly, ha, va) in places.items():
            text = self.ax.text(
                lx,
                ly,
                name,
                ha=ha,
                va=va,
                color=WEIGHT_COLOURS[name],
                fontsize=self.fontsize - 3,
                fontweight="bold",
            )
            self.arrow_labels[name].append(text)

    def show(self, steps: int, architecture: str = "many-to-many (aligned)") -> int:
        """Show ``steps`` steps of ``architecture``; returns the steps drawn."""
        steps = as_int(steps, "steps", 1)
        if steps > self.max_steps:
            raise ValueError(f"steps must be <= {self.max_steps} for this view, got {steps}")
        inputs, outputs = architecture_steps(architecture, steps)
        drawn = inputs.size
        one_to_one = architecture == "one-to-one"
        for t in range(self.max_steps):
            live = t < drawn
            has_x = live and bool(inputs[t])
            has_y = live and bool(outputs[t])
            for artist in (self.boxes["h"][t], self.labels["h"][t]):
                artist.set_visible(live)
            for artist in (self.boxes["x"][t], self.labels["x"][t]):
                artist.set_visible(has_x)
            for artist in (self.boxes["y"][t], self.labels["y"][t]):
                artist.set_visible(has_y)
            for artist in (self.arrows["U"][t], self.arrow_labels["U"][t]):
                artist.set_visible(has_x)
            for artist in (self.arrows["V"][t], self.arrow_labels["V"][t]):
                artist.set_visible(has_y)
            recurrent = live and not one_to_one
            for artist in (self.arrows["W"][t], self.arrow_labels["W"][t]):
                artist.set_visible(recurrent)
        self.start_box.set_visible(not one_to_one)
        self.start_label.set_visible(not one_to_one)
        return drawn


def draw_unrolled(ax, steps: int, architecture: str = "many-to-many (aligned)", title=None):
    """Static version of :class:`UnrolledView`, sized to ``steps``."""
    view = UnrolledView(ax, max_steps=max(as_int(steps, "steps", 1), 1), fontsize=12)
    view.show(steps, architecture)
    ax.set_title(title if title is not None else architecture)
    return view


def weight_legend(ax, loc="upper left", **kwargs):
    """A legend naming the three shared matrices by colour."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=WEIGHT_COLOURS["U"], lw=2.5, label="U: input to hidden"),
        Line2D([], [], color=WEIGHT_COLOURS["W"], lw=2.5, label="W: hidden to hidden"),
        Line2D([], [], color=WEIGHT_COLOURS["V"], lw=2.5, label="V: hidden to output"),
    ]
    return ax.legend(handles=handles, loc=loc, frameon=False, **kwargs)


# --- the hidden state as characters are typed -----------------------------------------


class HiddenStateView:
    """Hidden state h_t per typed character (heat map) and the next-token forecast (bars).

    ``ax_states``: heat map, one column per character typed, one row per
    hidden unit, on the diverging scale [-1, 1] (tanh states). ``ax_probs``:
    the softmax output after the last character, one bar per token of the
    vocabulary ``tokens``; the most likely token is highlighted.
    ``values=True`` writes each probability above its bar (for static
    figures; a live panel can give the numbers in its text line instead).
    """

    def __init__(self, ax_states, ax_probs, hidden_size, max_steps, tokens, values=False):
        self.hidden_size = as_int(hidden_size, "hidden_size", 1)
        self.max_steps = as_int(max_steps, "max_steps", 1)
        self.tokens = list(tokens)
        self.ax_states, self.ax_probs = ax_states, ax_probs
        blank = np.full((self.hidden_size, self.max_steps), np.nan)
        cmap = mpl.colormaps[viz.DIVERGING].with_extremes(bad="white")
        self.image = ax_states.imshow(blank, cmap=cmap, norm=Normalize(-1.0, 1.0), aspect="auto")
        ax_states.set_ylabel("hidden unit")
        ax_states.set_xlabel("character typed (time step t)", labelpad=18)
        ax_states.set_yticks(range(0, self.hidden_size, max(1, self.hidden_size // 4)))
        ax_states.set_xticks([])
        ax_states.set_xlim(-0.5, self.max_steps - 0.5)
        # The typed characters label the columns: text artists that change, not tick labels.
        under_axis = blended_transform_factory(ax_states.transData, ax_states.transAxes)
        self.step_labels = [
            ax_states.text(i, -0.03, "", transform=under_axis, ha="center", va="top")
            for i in range(self.max_steps)
        ]
        self.colorbar = ax_states.figure.colorbar(
            self.image, ax=ax_states, shrink=0.85, ticks=[-1, 0, 1]
        )
        self.colorbar.set_label("value in h_t")
        self.bars = ax_probs.bar(
            range(len(self.tokens)), np.zeros(len(self.tokens)), color=viz.OUTPUT
        )
        self.bar_text = [
            ax_probs.text(i, 0.0, "", ha="center", va="bottom", fontsize=10, visible=values)
            for i in range(len(self.tokens))
        ]
        ax_probs.set_xticks(range(len(self.tokens)), self.tokens)
        ax_probs.set_ylim(0, 1.12)
        ax_probs.set_yticks([0, 0.5, 1])
        ax_probs.set_ylabel("probability")
        ax_probs.set_xlabel("next token")
        self.artists = [self.image, *self.bars, *self.bar_text, *self.step_labels]

    def show(self, states, typed, probabilities) -> None:
        """states: (T, H) hidden states; typed: T labels; probabilities: (V,)."""
        states = as_array(states, "states", ndim=2)
        probabilities = as_array(probabilities, "probabilities", ndim=1)
        steps = states.shape[0]
        if steps > self.max_steps:
            raise ValueError(f"at most {self.max_steps} characters fit in this view, got {steps}")
        if states.shape[1] != self.hidden_size or len(typed) != steps:
            raise ValueError("states must be (T, H) with one label per step")
        data = np.full((self.hidden_size, self.max_steps), np.nan)
        data[:, :steps] = states.T
        self.image.set_data(data)
        for i, text in enumerate(self.step_labels):
            text.set_text(str(typed[i]) if i < steps else "")
        best = int(np.argmax(probabilities))
        for i, (bar, p) in enumerate(zip(self.bars, probabilities)):
            bar.set_height(p)
            bar.set_color(viz.HIGHLIGHT if i == best else viz.OUTPUT)
            self.bar_text[i].set_position((i, p + 0.02))
            self.bar_text[i].set_text(f"{p:.2f}")


# --- how much each earlier step contributes to dL_t/dW --------------------------------


def _cut_band(steps: int, truncate: int) -> np.ndarray:
    """Staircase outline of the cells (t, k) with k <= t - truncate: the terms
    truncated BPTT drops, in image coordinates (x = column k, y = row t)."""
    vertices = [(-0.5, truncate - 0.5)]
    for row in range(truncate, steps):
        right = row - truncate + 0.5
        vertices += [(right, row - 0.5), (right, row + 0.5)]
    vertices.append((-0.5, steps - 0.5))
    return np.array(vertices)


class ContributionView:
    """The terms of dL_t/dW: a heat map over (loss step t, step k) and one row of it.

    ``ax_map`` shows the size (norm) of every term (rows t, columns k <= t)
    in powers of ten below the largest term, over ``span`` powers of ten;
    the chosen loss step t is outlined and the terms that truncated BPTT
    with k steps drops are covered by a hatched band. ``ax_row`` (optional)
    plots the chosen row on a log scale (ticks in powers of ten) with the
    same cut-off shaded. Terms that are exactly zero (W's term at the first
    step when the initial state is 0) are left blank. ``colorbar=False``
    leaves out the colour bar (for small multiples). ``first_step`` is the
    number of the first step on the axes: 0 as the arrays count, or 1 as
    the lecture's BPTT slides do (then ``show`` takes t in 1..T as well).
    """

    def __init__(self, ax_map, ax_row=None, max_steps=20, span=8.0, colorbar=True, first_step=0):
        self.max_steps = as_int(max_steps, "max_steps", 2)
        self.first = as_int(first_step, "first_step", 0)
        self.span = span
        self.ax_map, self.ax_row = ax_map, ax_row
        blank = np.full((self.max_steps, self.max_steps), np.nan)
        cmap = mpl.colormaps[viz.SEQUENTIAL].with_extremes(bad="white")
        self.image = ax_map.imshow(blank, cmap=cmap, norm=Normalize(-span, 0.0))
        if colorbar:
            bar = ax_map.figure.colorbar(self.image, ax=ax_map, shrink=0.85)
            bar.set_label("log10(size / largest)")
            bar.locator = MaxNLocator(nbins=4, integer=True)
        self.band = Polygon(
            np.zeros((3, 2)),
            closed=True,
            facecolor=(1.0, 1.0, 1.0, 0.3),
            edgecolor=(0.15, 0.15, 0.15, 0.7),
            hatch="//",
            linewidth=1.2,
        )
        ax_map.add_patch(self.band)
        self.row_box = Rectangle(
            (-0.5, -0.5), 1, 1, fill=False, edgecolor=viz.HIGHLIGHT, linewidth=2.5
        )
        ax_map.add_patch(self.row_box)
        ax_map.set_title("size of each term of dL_t/dW", fontsize=11)
        ax_map.set_xlabel("step k where W is used")
        ax_map.set_ylabel("loss step t")
        for axis in (ax_map.xaxis, ax_map.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        # The limits follow T: the ticks are drawn over a kept base for each new T
        # (lecturelib.drawing.live), and the frame with the image it lies over.
        self.artists = [self.image, self.band, self.row_box, *ax_map.spines.values()]
        self.artists += [ax_map.xaxis, ax_map.yaxis]
        if ax_row is None:
            return
        ax_row.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        (self.kept_line,) = ax_row.plot([], [], "o-", color=viz.OUTPUT, ms=5, label="kept")
        (self.cut_line,) = ax_row.plot([], [], "o-", color=viz.MUTED, ms=5, label="cut off")
        self.cut_span = Rectangle(
            (0, 0),
            0,
            1,
            transform=ax_row.get_xaxis_transform(),
            facecolor=(0.85, 0.85, 0.85, 0.5),
            edgecolor=(0.6, 0.6, 0.6, 0.8),
            hatch="//",
            linewidth=0,
        )
        ax_row.add_patch(self.cut_span)
        ax_row.yaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax_row.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax_row.set_xlabel("step k")
        ax_row.set_ylabel("size of term k (log scale)")
        self.row_title = ax_row.set_title(" ", fontsize=11)
        legend = ax_row.legend(loc="upper left", frameon=False, fontsize=10)  # over the lines
        self.artists += [self.kept_line, self.cut_line, self.cut_span, self.row_title, legend]
        self.artists += [*ax_row.spines.values(), ax_row.xaxis, ax_row.yaxis]

    def show(self, contributions, t: int, truncate: int | None = None) -> None:
        """contributions: (T, T) norms from ``rnn_weight_gradient_contributions``;
        t: the loss step to outline; truncate: None (full BPTT) or k >= 1."""
        contributions = as_array(contributions, "contributions", ndim=2)
        steps = contributions.shape[0]
        if contributions.shape != (steps, steps) or not 2 <= steps <= self.max_steps:
            raise ValueError(
                f"contributions must be (T, T) with 2 <= T <= {self.max_steps}, "
                f"got shape {contributions.shape}"
            )
        first = self.first
        t = as_int(t, "t")
        if not first <= t < first + steps:
            raise ValueError(
                f"the loss step t = {t} must lie inside the sequence: "
                f"{first} <= t <= {first + steps - 1}"
            )
        t -= first  # an array index from here on
        keep = steps if truncate is None else min(as_int(truncate, "truncate", 1), steps)
        lower = np.tril(np.ones((steps, steps), dtype=bool))
        positive = lower & (contributions > 0)
        logs = np.full((steps, steps), np.nan)
        logs[positive] = np.log10(contributions[positive])
        top = np.nanmax(logs) if positive.any() else 0.0
        self.image.set_data(logs - top)  # relative to the largest term: a fixed colour scale
        low_edge, high_edge = first - 0.5, first + steps - 0.5
        self.image.set_extent((low_edge, high_edge, high_edge, low_edge))
        self.ax_map.set_xlim(low_edge, high_edge)
        self.ax_map.set_ylim(high_edge, low_edge)
        self.row_box.set_xy((low_edge, first + t - 0.5))
        self.row_box.set_width(t + 1)
        if keep < steps:
            self.band.set_xy(_cut_band(steps, keep) + first)
        self.band.set_visible(keep < steps)
        if self.ax_row is None:
            return

        log_row = logs[t, : t + 1]
        k = np.arange(t + 1) + first
        first_kept = max(t - keep + 1, 0)
        self.kept_line.set_data(k[first_kept:], log_row[first_kept:])
        self.cut_line.set_data(k[: first_kept + 1], log_row[: first_kept + 1])
        self.cut_line.set_visible(first_kept > 0)
        self.cut_span.set_x(low_edge)
        self.cut_span.set_width(first_kept)
        self.cut_span.set_visible(first_kept > 0)
        finite = log_row[np.isfinite(log_row)]
        low, high = (finite.min(), finite.max()) if finite.size else (-3.0, 0.0)
        pad = 0.08 * (high - low) + 0.3
        self.ax_row.set_ylim(low - pad, high + pad)
        self.ax_row.set_xlim(low_edge, high_edge)
        self.row_title.set_text(f"the {t + 1} terms of dL_{first + t}/dW")


# --- Jacobian norms against the bound -------------------------------------------------


# A few fixed ranges each way, the last one reaching beyond float64's range.
_LOG10_LOWER_EDGES = (-12.0, -60.0, -150.0, -340.0)
_LOG10_UPPER_EDGES = (6.0, 60.0, 340.0)


def _log10_label(value, _position) -> str:
    if value == 0:
        return "1"
    return f"1e{int(round(value))}"


class JacobianNormView:
    """log10 ||dh_t/dh_k|| against t - k, the bound (gamma lambda)^(t-k), and float64's limits.

    The y axis is in powers of ten, so values far outside float64's range
    can still be drawn; the band below 1e-300 (float64 loses such numbers,
    and holds exactly 0 below about 5e-324) and the band above about
    1.8e308 (inf) are shaded, and the first step whose value float64 could
    not hold is marked with a line and a label. ``zone_labels=False`` leaves
    the two bands unlabelled (a little faster to redraw; say what they are
    in a caption instead).
    """

    def __init__(self, ax, max_steps: int, legend: bool = True, zone_labels: bool = True):
        self.ax = ax
        self.max_steps = as_int(max_steps, "max_steps", 2)
        (self.measured,) = ax.plot([], [], color=viz.ACCENT, lw=2.2, label="measured ‖dh_t/dh_k‖")
        (self.bound,) = ax.plot([], [], color=viz.KERNEL, lw=2, ls="--", label="bound (γλ)^(t−k)")
        (self.overflow_marks,) = ax.plot(
            [], [], "^", color=viz.HIGHLIGHT, ms=6, label="inf (forward pass overflowed)"
        )
        ax.axhspan(-2000, LOG10_UNDERFLOW, color=viz.MUTED, alpha=0.3, lw=0)
        ax.axhspan(LOG10_OVERFLOW, 2000, color=viz.HIGHLIGHT, alpha=0.18, lw=0)
        blend = ax.get_yaxis_transform()
        self.under_label = ax.text(
            0.01,
            LOG10_UNDERFLOW - 4,
            "underflow: float64 loses values < 1e-300",
            transform=blend,
            ha="left",
            va="top",
            fontsize=9,
            clip_on=True,
            zorder=1.9,  # under the curves, which are redrawn over it
        )
        self.over_label = ax.text(
            0.01,
            LOG10_OVERFLOW + 4,
            "overflow: float64 gives inf",
            transform=blend,
            ha="left",
            va="bottom",
            fontsize=9,
            clip_on=True,
            zorder=1.9,
        )
        self.under_label.set_visible(zone_labels)
        self.over_label.set_visible(zone_labels)
        self.marker_line = ax.axvline(0, color="black", lw=1.5, ls=":")
        self.marker_text = ax.text(
            0,
            0.96,
            "",
            transform=ax.get_xaxis_transform(),
            fontsize=10,
            va="top",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )
        ax.axhline(0, color="black", lw=0.8, zorder=1.9)  # under the curves, as when redrawn
        ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        ax.set_xlabel("t − k (steps back in time)")
        ax.set_ylabel("‖dh_t/dh_k‖ (log scale)")
        ax.set_xlim(0, self.max_steps - 1)
        self.artists = [
            self.measured,
            self.bound,
            self.overflow_marks,
            self.marker_line,
            self.marker_text,
        ]
        if legend:
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0.0, 1.0),
                ncol=3,
                frameon=False,
                fontsize=9,
                borderaxespad=0.2,
            )

    def show(self, log10_norms, log10_bound) -> dict:
        """Draw one run. ``log10_norms``: (S,) true log10 norms (inf for an
        overflowed forward pass); ``log10_bound``: (S,) log10 of the bound.
        Returns {"underflow": first t - k lost to underflow or None,
        "overflow": first t - k that is inf in float64 or None}."""
        log10_norms = as_array(log10_norms, "log10_norms", ndim=1)
        log10_bound = as_array(log10_bound, "log10_bound", ndim=1)
        steps = log10_norms.size
        if log10_bound.shape != (steps,) or not 2 <= steps <= self.max_steps:
            raise ValueError(
                f"log10_norms and log10_bound must both be (S,) with 2 <= S <= {self.max_steps}"
            )
        gap = np.arange(steps)
        finite = np.isfinite(log10_norms)
        overflow = log10_norms >= LOG10_OVERFLOW  # includes inf
        underflow = log10_norms < LOG10_UNDERFLOW  # includes -inf (an exact zero)
        self.measured.set_data(gap, np.where(finite, log10_norms, np.nan))
        bound = np.clip(log10_bound, -1e4, 1e4)
        self.bound.set_data(gap, bound)

        values = log10_norms[finite]
        low = min(values.min(), 0.0) if values.size else 0.0
        high = max(values.max(), 0.0) if values.size else 0.0
        # The bound may run far away: follow it only a little beyond the measurement.
        reach = 0.25 * (high - low) + 5
        low = max(min(low, bound.min()), low - reach)
        high = min(max(high, bound.max()), high + reach)
        if overflow.any():
            high = LOG10_OVERFLOW + 25
        # Snap the limits to a few fixed ranges, so that nearby settings share
        # their axes (and a live figure can reuse its drawn background).
        low = max([edge for edge in _LOG10_LOWER_EDGES if edge <= low], default=-340.0)
        high = min([edge for edge in _LOG10_UPPER_EDGES if edge >= high], default=340.0)
        self.ax.set_ylim(low, high)
        inf_steps = gap[log10_norms == np.inf]
        self.overflow_marks.set_data(inf_steps, np.full(inf_steps.size, high - 0.04 * (high - low)))
        self.overflow_marks.set_markevery(max(1, steps // 25))

        first_over = int(gap[overflow][0]) if overflow.any() else None
        first_under = int(gap[underflow][0]) if underflow.any() else None
        where = first_over if first_over is not None else first_under
        visible = where is not None
        self.marker_line.set_visible(visible)
        self.marker_text.set_visible(visible)
        if visible:
            if first_over is not None:
                kind = "overflow (inf)"
            elif log10_norms[where] == -np.inf:
                kind = "exactly 0"
            else:
                kind = "underflow (< 1e-300)"
            self.marker_line.set_xdata([where, where])
            right_side = where < 0.6 * (steps - 1)
            # a falling curve is low where the marker is, a rising one high: write in the gap
            self.marker_text.set_y(0.08 if first_over is not None else 0.96)
            self.marker_text.set_va("bottom" if first_over is not None else "top")
            self.marker_text.set_x(where + (0.01 if right_side else -0.01) * (steps - 1))
            self.marker_text.set_ha("left" if right_side else "right")
            self.marker_text.set_text(f"{kind} from t − k = {where}")
        return {"underflow": first_under, "overflow": first_over}


# --- static figures -----------------------------------------------------------------


def draw_layer_gradients(ax, curves: dict, title: str | None = None) -> None:
    """Per-layer gradient norms of deep MLPs on a log10 axis.

    ``curves`` maps a label to a (depth,) array of log10 gradient norms,
    indexed by layer 1..depth (layer 1 is the farthest from the loss).
    """
    for colour, (label, log_norms) in zip(viz.SERIES, curves.items()):
        log_norms = as_array(log_norms, f"curves[{label!r}]", ndim=1)
        layers = np.arange(1, log_norms.size + 1)
        ax.plot(
            layers,
            np.where(np.isfinite(log_norms), log_norms, np.nan),
            "o-",
            ms=3.5,
            color=colour,
            label=label,
        )
    ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
    ax.set_xlabel("layer (1 = first, farthest from the loss)")
    ax.set_ylabel("‖dL/dW_layer‖ (log scale)")
    ax.legend(frameon=False, fontsize=10)
    if title:
        ax.set_title(title)


def draw_two_path_graph(ax) -> None:
    """The lecture's small graph z1 -> (z2, z3) -> z4 = J, its two paths coloured."""
    nodes = {
        "x": (0.0, 1.0),
        "z1": (1.6, 1.0),
        "z2": (3.3, 1.8),
        "z3": (3.3, 0.2),
        "z4 = J": (5.2, 1.0),
    }
    weights = {"z1": "wA", "z2": "wB", "z3": "wC", "z4 = J": "wD, wE"}
    edges = [
        ("x", "z1", "black"),
        ("z1", "z2", viz.ACCENT),
        ("z2", "z4 = J", viz.ACCENT),
        ("z1", "z3", viz.KERNEL),
        ("z3", "z4 = J", viz.KERNEL),
    ]
    for start, end, colour in edges:
        ax.add_patch(
            FancyArrowPatch(
                nodes[start],
                nodes[end],
                arrowstyle="-|>",
                mutation_scale=16,
                color=colour,
                lw=2.4,
                shrinkA=22,
                shrinkB=24,
            )
        )
    for name, (x, y) in nodes.items():
        face = viz.INPUT if name == "x" else (viz.OUTPUT if name.startswith("z4") else HIDDEN_FACE)
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=12,
            bbox={"boxstyle": "round,pad=0.45", "facecolor": face, "edgecolor": "black"},
        )
        if name in weights:
            ax.text(x, y - 0.42, weights[name], ha="center", va="top", fontsize=10, color="dimgray")
    ax.text(2.2, 1.75, "path 1 (via z2)", color=viz.ACCENT, ha="right", fontsize=10)
    ax.text(2.2, 0.2, "path 2 (via z3)", color=viz.KERNEL, ha="right", fontsize=10)
    ax.set_xlim(-0.5, 5.9)
    ax.set_ylim(-0.45, 2.3)
    ax.set_aspect("equal")
    ax.set_axis_off()


# --- panel builders (plumbing-b): the notebooks' panels, minus the lesson -------------------


def _first_drawing(panel, view, controls: dict) -> None:
    """Draw the controls' starting setting once, then make the figure live (layout frozen)."""
    panel.draw(**{name: control.value for name, control in controls.items()})
    live_figure(panel.figure, view)


def _listed(letters: str, last_word: str) -> str:
    """'dep' -> 'd, e or p' (``last_word`` "or") or 'd, e and p'."""
    return ", ".join(letters[:-1]) + f" {last_word} {letters[-1]}" if len(letters) > 1 else letters


class UnrolledPanel(Panel):
    """The unrolled-network panel of notebook 12: the same U, W, V at every time step.

    ``controls`` must hold ``steps`` (T, at most ``max_steps``) and
    ``architecture`` (one of :data:`ARCHITECTURES`); ``weights`` is the
    lesson's count of the network's weights (the notebook computes it with
    :func:`lecturelib.rnn_param_count`), quoted under the figure because it
    does not depend on T.
    """

    def __init__(self, controls: dict, weights: int, *, max_steps: int = 8, caption: str = ""):
        figure, ax = viz.new_figure(9.5, 3.4)
        self.view = UnrolledView(ax, max_steps=max_steps)
        self.weights = int(weights)
        weight_legend(ax, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3)
        self.figure = figure
        _first_drawing(self, self.view, controls)
        super().__init__(controls, self.draw, figure, caption=caption)

    def draw(self, steps, architecture) -> str:
        inputs_at, outputs_at = architecture_steps(architecture, steps)
        drawn = self.view.show(steps, architecture)
        uses_w = 0 if architecture == "one-to-one" else drawn
        note = " (one-to-one has a single step whatever the length)" if drawn != steps else ""
        return (
            f"{drawn} step(s){note}. U is used at {inputs_at.sum()} of them, W at {uses_w}, "
            f"V at {outputs_at.sum()}: the same three matrices every time, so for n = 784, "
            f"d = 200, k = 2 the network has {self.weights:,} weights, whatever the length."
        )


class HiddenStatePanel(Panel):
    """The typing panel of notebook 12: the hidden state after each typed character.

    ``controls`` must hold ``typed`` (a text entry) and ``network`` (a key
    of ``networks``). ``read(network, text)`` is the lesson: the forward
    pass of a character RNN over ``text`` from h = 0, returning the hidden
    states (T, H), the logits (T, V) and their softmax (T, V). ``tokens``:
    the vocabulary's tokens; ``letters``: the characters a student may
    type (default: the one-character tokens; anything else, an empty text
    or more than ``max_typed`` characters shows a message); ``hidden``: the
    rows of the heat map (default: the networks' ``hidden_size``). The line
    under the figure names the two likeliest next tokens.
    """

    def __init__(
        self,
        controls: dict,
        read,
        networks: dict,
        tokens,
        *,
        letters: str | None = None,
        hidden: int | None = None,
        max_typed: int = 12,
        caption: str = "",
    ):
        if hidden is None:  # the networks' hidden size (CharRNN.hidden_size)
            hidden = max(network.hidden_size for network in networks.values())
        if letters is None:  # every one-character token
            letters = "".join(token for token in tokens if len(token) == 1)
        figure, (ax_states, ax_probs) = viz.new_figure(9.5, 3.2, 1, 2, width_ratios=[2.3, 1])
        self.view = HiddenStateView(ax_states, ax_probs, hidden, max_typed, tokens)
        self.read, self.networks, self.tokens = read, networks, list(tokens)
        self.letters, self.max_typed = letters, int(max_typed)
        self.figure = figure
        _first_drawing(self, self.view, controls)
        super().__init__(controls, self.draw, figure, caption=caption)

    def draw(self, typed, network) -> str:
        typed = typed.strip().lower()
        if not typed:
            raise ValueError(f"type at least one character: {_listed(self.letters, 'or')}")
        unknown = sorted(set(typed) - set(self.letters))
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not in the vocabulary: type only {_listed(self.letters, 'and')}"
            )
        if len(typed) > self.max_typed:
            raise ValueError(f"type at most {self.max_typed} characters (you typed {len(typed)})")
        states, _, probs = self.read(self.networks[network], typed)
        self.view.show(states, list(typed), probs[-1])
        ranked = np.argsort(probs[-1])[::-1][:2]
        guesses = ", ".join(f"{self.tokens[i]} ({probs[-1, i]:.2f})" for i in ranked)
        return f"after '{typed}' the network expects: {guesses}"


class ContributionPanel(Panel):
    """The BPTT panel of notebook 13: every term of dL_t/dW, and what truncation drops.

    ``controls`` must hold ``steps`` (T), ``scale`` (of W), ``t`` (the loss
    step, 1-based) and ``truncate`` (k). ``terms(steps, scale, t, truncate)``
    is the lesson: it returns ``(norms, change)``, the sizes of the terms
    (T, T) with rows t and columns k, and the relative change of dL_t/dW
    when only its last ``truncate`` terms are kept (it is called only with
    1 <= t <= T: a loss step beyond T shows a message).
    """

    def __init__(self, controls: dict, terms, *, max_steps: int, caption: str = ""):
        figure, ax = viz.new_figure(6.2, 4.6)
        self.view = ContributionView(ax, max_steps=max_steps, first_step=1)
        self.terms = terms
        self.figure = figure
        _first_drawing(self, self.view, controls)
        super().__init__(controls, self.draw, figure, caption=caption)

    def draw(self, steps, scale, t, truncate) -> str:
        if not 1 <= t <= steps:
            raise ValueError(
                f"the loss step t = {t} must lie inside the sequence: 1 <= t <= {steps}"
            )
        norms, change = self.terms(steps, scale, t, truncate)
        self.view.show(norms, t, truncate)
        sizes = norms[t - 1, :t]  # the terms of dL_t/dW, k = 1..t
        window = "all of them (full BPTT)" if truncate >= t else f"k = {t - truncate + 1}..{t}"
        return (
            f"dL_{t}/dW has {t} terms: the newest (k = {t}) has size {sizes[-1]:.1e}, "
            f"the oldest (k = 1) {sizes[0]:.1e}. Truncation to {truncate} step(s) keeps {window} "
            f"and changes dL_{t}/dW by {100 * change:.1f}%."
        )


class JacobianNormPanel(Panel):
    """The panel of notebook 14: the norm of dh_t/dh_0 against its bound, over t.

    ``controls`` must hold ``scale`` (the spectral radius of W),
    ``activation``, ``steps`` (at most ``max_steps``) and ``init``.
    ``measure(scale, activation, init)`` is the lesson: it returns
    ``(log10 measured norms, log10 bound, gamma, lambda)`` over ``max_steps``
    steps. The line under the figure gives the rate gamma * lambda and says
    where float64 overflows, underflows or the gradient is exactly 0.
    """

    def __init__(self, controls: dict, measure, *, max_steps: int, caption: str = ""):
        figure, ax = viz.new_figure(8.0, 3.6)
        self.view = JacobianNormView(ax, max_steps, zone_labels=False)
        self.measure = measure
        self.figure = figure
        _first_drawing(self, self.view, controls)
        super().__init__(controls, self.draw, figure, caption=caption)

    def draw(self, scale, activation, steps, init) -> str:
        measured, bound, gamma, lam = self.measure(scale, activation, init)
        events = self.view.show(measured[:steps], bound[:steps])
        rate = gamma * lam
        trend = "the bound shrinks" if rate < 1 else "the bound grows"
        last = measured[steps - 1]
        if events["overflow"] is not None:
            status = f"<b>overflow</b>: float64 gives inf from t − k = {events['overflow']}"
        elif events["underflow"] is not None and measured[events["underflow"]] == -np.inf:
            status = (
                f"the gradient is <b>exactly 0</b> from t − k = {events['underflow']} "
                "(at some step no unit let any gradient through)"
            )
        elif events["underflow"] is not None:
            status = (
                f"<b>underflow</b>: float64 loses the gradient from t − k = {events['underflow']}"
            )
        else:
            status = "float64 holds every value"
        size = "inf" if last == np.inf else ("exactly 0" if last == -np.inf else f"1e{last:.0f}")
        return (
            f"γ = {gamma:g}, λ = ‖W‖₂ = {lam:.2f}, γλ = {rate:.2f}: {trend} by ×{rate:.2f} "
            "per step. "
            f"‖dh_{steps - 1}/dh_0‖ ≈ {size}; {status}."
        )


__all__ = [
    "ARCHITECTURES",
    "subscript",
    "live_figure",
    "WEIGHT_COLOURS",
    "architecture_steps",
    "UnrolledView",
    "draw_unrolled",
    "weight_legend",
    "HiddenStateView",
    "ContributionView",
    "JacobianNormView",
    "draw_layer_gradients",
    "draw_two_path_graph",
    "UnrolledPanel",
    "HiddenStatePanel",
    "ContributionPanel",
    "JacobianNormPanel",
]
