"""Pictures of the cliff experiment (notebook 15): the loss surface with its cliff,
gradient descent with and without clipping drawn on it, one gradient and its
two clipped versions, and the training curves of the clipped RNNs.

The numbers come from :mod:`lecturelib.cliff` (the surface and the descent)
and :mod:`lecturelib.training.clipping` (the trained runs); this module only
draws them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_array, as_number
from ..cliff import CliffSurface, Trajectory, angle_between, clip_vector
from ..training.clipping import first_non_finite
from . import figures as viz
from .figures import ACCENT, HIGHLIGHT, KERNEL, MUTED, OUTPUT
from .panel import Panel


def draw_surface(ax, surface: CliffSurface, extent=(-4.0, 4.0, -4.0, 4.0), resolution: int = 160):
    """Draw the loss as a shaded map with contour lines; mark the minimum.

    Returns the image artist. Light grey is low loss, darker grey high (a
    light map, so that coloured paths stay readable); the cliff is the band
    where the shade changes fast. The lowest point is a star.
    """
    w1, w2, loss = surface.grid(extent, resolution)
    image = ax.imshow(
        loss,
        origin="lower",
        extent=extent,
        cmap="Greys",
        vmin=0.0,
        vmax=2.5 * surface.height,
        aspect="equal",
    )
    ax.contour(w1, w2, loss, levels=12, colors=MUTED, linewidths=0.6)
    ax.plot(*surface.minimum, marker="*", ms=15, color=KERNEL, mec="black", ls="none")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("weight $w_1$")
    ax.set_ylabel("weight $w_2$")
    return image


class TrajectoryArtists:
    """The lines that show one trajectory, updated in place by :meth:`show`.

    A path with a dot per step, the start marked in black and, when one
    step is far longer than the typical one (more than three times the
    median: a catapult), that step drawn over it in the highlight colour.
    """

    def __init__(self, ax, color: str = ACCENT):
        (self.path,) = ax.plot([], [], "o-", color=color, ms=3.5, lw=1.6, mec="white", mew=0.4)
        (self.jump,) = ax.plot([], [], "-", color=HIGHLIGHT, lw=3.0)
        (self.start,) = ax.plot([], [], "o", color="black", ms=7)
        self.ax = ax
        self.artists = [self.path, self.jump, self.start]  # what show() changes

    def show(self, trajectory: Trajectory) -> None:
        path = trajectory.path
        self.path.set_data(path[:, 0], path[:, 1])
        self.start.set_data(path[:1, 0], path[:1, 1])
        k = trajectory.longest_step
        lengths = trajectory.step_lengths
        if lengths.size and lengths[k] > 3 * np.median(lengths):  # a catapult, not a long walk
            self.jump.set_data(path[k : k + 2, 0], path[k : k + 2, 1])
        else:
            self.jump.set_data([], [])


def left_view(trajectory: Trajectory, extent) -> int | None:
    """The first step after which the path is outside ``extent``, or None."""
    x0, x1, y0, y1 = extent
    path = trajectory.path
    outside = (path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1)
    return int(np.argmax(outside)) if outside.any() else None


def describe(trajectory: Trajectory) -> str:
    """A short summary: final loss, longest step and the largest gradient norm."""
    return (
        f"final loss {trajectory.losses[-1]:.2f}, longest step "
        f"{trajectory.step_lengths.max(initial=0.0):.2f}, largest gradient norm "
        f"{trajectory.grad_norms.max(initial=0.0):.1f}"
    )


def draw_descent(
    ax,
    surface: CliffSurface,
    trajectory: Trajectory,
    color: str = ACCENT,
    extent=(-4.0, 4.0, -4.0, 4.0),
    title: str | None = None,
):
    """Static drawing: the surface and one trajectory (for small multiples)."""
    draw_surface(ax, surface, extent, resolution=120)
    TrajectoryArtists(ax, color).show(trajectory)
    if title:
        ax.set_title(title, fontsize=11)
    gone = left_view(trajectory, extent)
    if gone is not None:
        ax.text(
            0.03,
            0.03,
            f"left the view at step {gone}",
            transform=ax.transAxes,
            fontsize=9,
            color="black",
            bbox={"facecolor": "white", "edgecolor": MUTED, "alpha": 0.9},
        )


# --- clipping one vector, drawn ------------------------------------------------------


class ClippingArrows:
    """One gradient and its two clipped versions as arrows, redrawn in place.

    The circle of radius ``threshold`` is where norm clipping puts long
    gradients; the square [-threshold, threshold]^2 is where value clipping
    puts them. :meth:`show` returns the two clipped vectors.
    """

    def __init__(self, ax, limit: float = 3.0):
        from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

        self.ax = ax
        # above the axis lines they cross (zorder 2), which are not redrawn
        self.circle = ax.add_patch(
            Circle((0, 0), 1.0, fill=False, edgecolor=OUTPUT, lw=1.5, ls="--", zorder=2.1)
        )
        self.square = ax.add_patch(
            Rectangle((-1, -1), 2, 2, fill=False, edgecolor=HIGHLIGHT, lw=1.5, ls=":", zorder=2.1)
        )
        style = {"arrowstyle": "-|>", "mutation_scale": 18, "zorder": 2.2}
        self.arrows = {
            name: ax.add_patch(FancyArrowPatch((0, 0), (1, 0), color=color, lw=2.5, **style))
            for name, color in (("original", ACCENT), ("norm", OUTPUT), ("value", HIGHLIGHT))
        }
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.axhline(0, color=MUTED, lw=0.6)
        ax.axvline(0, color=MUTED, lw=0.6)
        ax.set_xlabel("$g_1$")
        ax.set_ylabel("$g_2$")
        ax.legend(
            list(self.arrows.values()) + [self.circle, self.square],
            [
                "gradient g",
                "clipped by norm",
                "clipped by value",
                "norm = threshold",
                "|entries| = threshold",
            ],
            loc="upper left",
            fontsize=9,
            framealpha=0.9,
        )
        # what show() changes, and the legend that long arrows and circles pass under
        self.artists = [self.circle, self.square, *self.arrows.values(), ax.get_legend()]

    def show(self, gradient, threshold: float):
        gradient = as_array(gradient, "gradient", ndim=1).astype(np.float64)
        if gradient.shape != (2,):
            raise ValueError(f"gradient must have two entries, got shape {gradient.shape}")
        threshold = as_number(threshold, "threshold", 0, finite=True)
        by_norm = clip_vector(gradient, "norm", threshold)
        by_value = clip_vector(gradient, "value", threshold)
        self.circle.set_radius(threshold)
        self.square.set_xy((-threshold, -threshold))
        self.square.set_width(2 * threshold)
        self.square.set_height(2 * threshold)
        for name, vector in (("original", gradient), ("norm", by_norm), ("value", by_value)):
            self.arrows[name].set_positions((0.0, 0.0), tuple(vector))
        return by_norm, by_value


def draw_clipping(ax, gradient, threshold: float, limit: float = 3.0, legend: bool = False):
    """Static drawing of :class:`ClippingArrows` with a title giving both angles."""
    arrows = ClippingArrows(ax, limit)
    by_norm, by_value = arrows.show(gradient, threshold)
    ax.set_title(
        f"g = ({gradient[0]:.2f}, {gradient[1]:.2f}), threshold {threshold:g}\n"
        f"angle: norm {angle_between(gradient, by_norm):.0f} deg, "
        f"value {angle_between(gradient, by_value):.0f} deg",
        fontsize=10,
    )
    if not legend:
        ax.get_legend().remove()
    return arrows


# --- a character-level RNN trained with and without clipping ---------------------------


class TrainingCurves:
    """Loss and gradient-norm curves of one run, with the first NaN marked.

    ``ax_loss`` shows the loss per character (and the loss of uniform
    guessing, ``log(vocab_size)``); ``ax_norm`` the gradient norm before
    clipping on a log scale, with the threshold when clipping by norm.
    Values beyond the axes are drawn at the edge. Updated in place by
    :meth:`show`.
    """

    def __init__(
        self, ax_loss, ax_norm, steps: int, vocab_size: int, loss_limit=6.0, norm_limits=(1.0, 1e10)
    ):
        self.ax_loss, self.ax_norm = ax_loss, ax_norm
        self.loss_limit, self.norm_limits = float(loss_limit), norm_limits
        guess = float(np.log(vocab_size))
        ax_loss.axhline(guess, color=MUTED, ls="--", lw=1.2)
        ax_loss.text(
            steps * 0.99,
            guess + 0.08,
            "uniform guessing",
            ha="right",
            va="bottom",
            color=MUTED,
            fontsize=9,
        )
        (self.loss_line,) = ax_loss.plot([], [], color=ACCENT, lw=1.8)
        (self.norm_line,) = ax_norm.semilogy([], [], color=ACCENT, lw=1.5)
        self.threshold_line = ax_norm.axhline(1.0, color=OUTPUT, ls="--", lw=1.5)
        self.nan_lines = [ax.axvline(0, color=HIGHLIGHT, lw=2.0) for ax in (ax_loss, ax_norm)]
        self.nan_text = ax_loss.text(
            0, loss_limit * 0.93, "", color=HIGHLIGHT, fontsize=10, fontweight="bold", va="top"
        )
        self.artists = [  # what show() changes
            self.loss_line,
            self.norm_line,
            self.threshold_line,
            *self.nan_lines,
            self.nan_text,
        ]
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(0, loss_limit)
        ax_norm.set_xlim(0, steps)
        ax_norm.set_ylim(*norm_limits)
        ax_norm.yaxis.set_minor_locator(NullLocator())
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("loss per character")
        ax_norm.set_xlabel("training step")
        ax_norm.set_ylabel("gradient norm (before clipping)")

    def show(self, run: dict, mode: str = "none", threshold: float = 1.0) -> int | None:
        """Draw ``run`` (from :func:`train_clipping_grid`); returns the first NaN step or None."""
        loss = np.asarray(run["loss"], dtype=np.float64)
        norms = np.asarray(run["grad_norm"], dtype=np.float64)
        steps = np.arange(loss.size)
        bad = first_non_finite(loss)
        end = loss.size if bad is None else bad
        self.loss_line.set_data(steps[:end], np.minimum(loss[:end], self.loss_limit))
        low, high = self.norm_limits
        self.norm_line.set_data(steps[:end], np.clip(norms[:end], low, high))
        self.threshold_line.set_visible(mode == "norm")
        self.threshold_line.set_ydata([threshold, threshold])
        for line in self.nan_lines:
            line.set_visible(bad is not None)
            line.set_xdata([end, end])
        color = ACCENT if bad is None else HIGHLIGHT
        self.loss_line.set_color(color)
        self.norm_line.set_color(color)
        self.nan_text.set_text("" if bad is None else f" NaN from step {bad}")
        self.nan_text.set_x(end)
        return bad


# --- panel builders (plumbing-b): the notebook's panels, minus the lesson -------------------


def _clipping_name(mode: str, threshold: float) -> str:
    return "no clipping" if mode == "none" else f"clipped by {mode} at {threshold:g}"


class ClippingArrowsPanel(Panel):
    """The first panel of notebook 15: one 2-D gradient and its two clipped versions.

    ``controls`` must hold ``direction`` (degrees), ``length`` and
    ``threshold``. ``clipped(direction, length, threshold)`` is the lesson:
    it returns ``(gradient, by_norm, by_value)``, the gradient at that angle
    and length and what norm and value clipping make of it. The panel draws
    them with :class:`ClippingArrows` and gives their coordinates and their
    angles to the gradient under the figure.
    """

    def __init__(self, controls: dict, clipped, *, limit: float = 3.0, caption: str = ""):
        figure, ax = viz.new_figure(4.6, 4.4)
        self.arrows = ClippingArrows(ax, limit=limit)
        self.clipped = clipped
        super().__init__(controls, self.draw, figure, artists=self.arrows.artists, caption=caption)

    def draw(self, direction, length, threshold) -> str:
        gradient, by_norm, by_value = self.clipped(direction, length, threshold)
        self.arrows.show(gradient, threshold)
        return (
            f"g = ({gradient[0]:.2f}, {gradient[1]:.2f}), norm {length:.2f}. "
            f"By norm: ({by_norm[0]:.2f}, {by_norm[1]:.2f}), "
            f"angle {angle_between(gradient, by_norm):.1f}°. "
            f"By value: ({by_value[0]:.2f}, {by_value[1]:.2f}), "
            f"angle {angle_between(gradient, by_value):.1f}°."
        )


class CliffPanel(Panel):
    """The cliff panel of notebook 15: two descents on the surface, without and with clipping.

    ``controls`` must hold ``learning_rate``, ``mode`` ("none", "norm" or
    "value") and ``threshold``. ``descents(learning_rate, mode, threshold)``
    is the lesson: it returns the two :class:`~lecturelib.cliff.Trajectory`
    runs (plain, clipped), e.g. from :meth:`CliffSurface.descend`. The
    surface is drawn once, in both plots, over ``extent``; each update moves
    the two paths and retitles the right plot.
    """

    def __init__(self, controls: dict, descents, surface, extent, *, caption: str = ""):
        figure, self.axes = viz.new_figure(7.6, 3.7, ncols=2)
        self.paths = []
        for ax, color, title in zip(
            self.axes, (ACCENT, OUTPUT), ("without clipping", "with clipping")
        ):
            draw_surface(ax, surface, extent, resolution=120)
            ax.set_title(title)
            self.paths.append(TrajectoryArtists(ax, color))
        self.descents = descents
        artists = [artist for paths in self.paths for artist in paths.artists]
        super().__init__(
            controls,
            self.draw,
            figure,
            artists=[*artists, self.axes[1].title],
            caption=caption,
        )

    def draw(self, learning_rate, mode, threshold) -> str:
        runs = self.descents(learning_rate, mode, threshold)
        for artists, run in zip(self.paths, runs):
            artists.show(run)
        self.axes[1].set_title(_clipping_name(mode, threshold))
        return "<br>".join(
            f"<b>{name}</b>: {describe(run)}" for name, run in zip(("plain", "clipped"), runs)
        )


class TrainingRunsPanel(Panel):
    """The training panel of notebook 15: the loss and gradient norm of one trained run.

    ``controls`` must hold ``learning_rate``, ``mode`` and ``threshold``;
    ``runs`` maps ``(learning_rate, mode, threshold)`` to a run of
    :func:`lecturelib.training.clipping.train_clipping_grid` (the lesson,
    trained in the notebook), each with its "loss" and "grad_norm" per step.
    ``steps`` and ``vocab_size`` as for :class:`TrainingCurves`. The line
    under the figure gives the final loss, or the step where it became NaN.
    """

    def __init__(self, controls: dict, runs: dict, *, steps: int, vocab_size: int, caption=""):
        figure, (self.ax_loss, ax_norm) = viz.new_figure(8.6, 3.3, ncols=2)
        self.curves = TrainingCurves(self.ax_loss, ax_norm, steps=steps, vocab_size=vocab_size)
        self.runs, self.vocab_size = runs, int(vocab_size)
        start = {name: control.value for name, control in controls.items()}
        self._title(**start)  # a title of the right length for the frozen layout
        super().__init__(
            controls,
            self.draw,
            figure,
            artists=[*self.curves.artists, self.ax_loss.title],
            caption=caption,
        )

    def _title(self, learning_rate, mode, threshold) -> None:
        self.ax_loss.set_title(
            f"learning rate {learning_rate:g}, " + _clipping_name(mode, threshold)
        )

    def draw(self, learning_rate, mode, threshold) -> str:
        run = self.runs[(learning_rate, mode, threshold)]
        bad = self.curves.show(run, mode, threshold)
        self._title(learning_rate, mode, threshold)
        if bad is not None:
            return (
                f"<b>Diverged</b>: the loss is NaN from step {bad} on "
                f"(largest gradient norm {np.nanmax(run['grad_norm']):.3g})."
            )
        return (
            f"final loss per character {run['loss'][-1]:.2f} "
            f"(uniform guessing: {np.log(self.vocab_size):.2f}); "
            f"largest gradient norm {run['grad_norm'].max():.3g}"
        )


def draw_runs_compared(ax_loss, ax_norm, runs: dict, vocab_size: int, title: str) -> int | None:
    """Loss and gradient norm of a few training runs side by side, the first NaN marked.

    ``runs``: {label: run of :func:`lecturelib.training.clipping.train_clipping_grid`}
    (up to three, drawn in :data:`HIGHLIGHT`, :data:`ACCENT`, :data:`OUTPUT`
    in that order). Losses are cut at 6 and norms at 1e10 (the axes' tops);
    where the first run that diverges becomes NaN, both axes get a dotted
    line and the norm axis the largest norm it reached. The loss of uniform
    guessing, ``log(vocab_size)``, is dashed. Returns that NaN step or None.
    """
    for (label, run), color in zip(runs.items(), (HIGHLIGHT, ACCENT, OUTPUT)):
        steps = np.arange(run["loss"].size)
        ax_loss.plot(steps, np.minimum(run["loss"], 6), color=color, lw=1.8, label=label)
        ax_norm.semilogy(
            steps, np.minimum(run["grad_norm"], 1e10), color=color, lw=1.5, label=label
        )
    diverged = [run for run in runs.values() if first_non_finite(run["loss"]) is not None]
    nan_step = first_non_finite(diverged[0]["loss"]) if diverged else None
    if nan_step is not None:
        for ax in (ax_loss, ax_norm):
            ax.axvline(nan_step, color=HIGHLIGHT, ls=":", lw=2)
        ax_loss.annotate(
            f"NaN from step {nan_step}",
            (nan_step, 5.5),
            xytext=(nan_step + 8, 5.5),
            color=HIGHLIGHT,
            arrowprops={"arrowstyle": "->", "color": HIGHLIGHT},
            va="center",
        )
        ax_norm.text(
            nan_step + 2,
            3e9,
            f"off the scale: {np.nanmax(diverged[0]['grad_norm']):.1e}",
            color=HIGHLIGHT,
            va="top",
        )
    ax_loss.axhline(np.log(vocab_size), color=MUTED, ls="--", lw=1)
    ax_loss.set(xlabel="training step", ylabel="loss per character", ylim=(0, 6), title=title)
    ax_norm.set(
        xlabel="training step",
        ylabel="gradient norm before clipping",
        ylim=(1, 1e10),
        title="gradient norm",
    )
    ax_loss.legend(title="clipping")
    return nan_step


def draw_loss_run(ax, run: dict, vocab_size: int, title: str) -> int | None:
    """One run's loss per character (cut at 6), in vermillion with a dotted NaN line if it diverged.

    The static companion of :class:`TrainingRunsPanel`; the loss of uniform
    guessing, ``log(vocab_size)``, is dashed. Returns the first NaN step or None.
    """
    finite = np.isfinite(run["loss"])
    color = HIGHLIGHT if not finite.all() else ACCENT
    ax.plot(np.flatnonzero(finite), np.minimum(run["loss"][finite], 6), color=color, lw=1.8)
    bad = first_non_finite(run["loss"])
    if bad is not None:
        ax.axvline(bad, color=HIGHLIGHT, ls=":", lw=2)
        ax.text(bad + 3, 5.4, f"NaN from step {bad}", color=HIGHLIGHT, fontsize=9)
    ax.axhline(np.log(vocab_size), color=MUTED, ls="--", lw=1)
    ax.set(
        xlim=(0, run["loss"].size), ylim=(0, 6), xlabel="training step", ylabel="loss per character"
    )
    ax.set_title(title, fontsize=10)
    return bad


__all__ = [
    "ClippingArrows",
    "ClippingArrowsPanel",
    "CliffPanel",
    "TrainingRunsPanel",
    "draw_loss_run",
    "draw_runs_compared",
    "TrainingCurves",
    "TrajectoryArtists",
    "describe",
    "draw_clipping",
    "draw_descent",
    "draw_surface",
    "left_view",
]
