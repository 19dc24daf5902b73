"""Figures for notebook 18 (batch normalisation).

The numbers come from the package: the lecture's small experiments are in
:mod:`lecturelib.batchnorm` (the car table, gradient descent on raw and
standardised features, batch statistics and running averages) and
:mod:`lecturelib.training.batchnorm` (a deep network with and without batch
norm); this module draws them in the collection's vocabulary
(:mod:`lecturelib.drawing.figures`): raw values in :data:`~lecturelib.drawing.figures.INPUT`,
normalised values in :data:`~lecturelib.drawing.figures.OUTPUT`, the statistic in use
in :data:`~lecturelib.drawing.figures.HIGHLIGHT`, reference values in
:data:`~lecturelib.drawing.figures.MUTED` or black.

- :func:`draw_descent`: gradient descent's path over the loss contours;
- :func:`draw_activation_ridges`: what every hidden layer outputs, as one
  histogram per layer;
- :func:`draw_batch_noise`: how far a mini-batch's mean strays from the
  population mean, against batch size;
- :class:`BatchStatsView`: the batch statistics and running averages of one
  unit over many training steps (the notebook's panel draws with the view,
  and :func:`batch_stats_grid`, its static companion, with one view per row);
- :class:`BatchStatsPanel`: that panel, around the view (the notebook
  chooses the controls).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_array, as_int
from ..batchnorm import Descent, _centred, batch_norm, mini_batches, running_statistics
from . import figures as viz
from .figures import plain_log_axis
from .panel import Panel

# --- standardising raw features ------------------------------------------------------------


def draw_descent(ax, features, targets, descent: Descent, *, names=("w1", "w2"), title=None):
    """Loss contours over the two weights and the descent's path, with equal axis scales.

    The contours are drawn with the bias at its best value (as in
    :func:`descend`); the window is a square around the start and the best
    weights, so a round bowl looks round and a narrow valley looks narrow.
    """
    centred, target = _centred(features, targets)
    corners = np.vstack([descent.path[:1], descent.best[None]])
    centre = corners.mean(axis=0)
    half = 0.75 * max(float(np.ptp(corners, axis=0).max()), 1e-9)
    w1 = np.linspace(centre[0] - half, centre[0] + half, 161)
    w2 = np.linspace(centre[1] - half, centre[1] + half, 161)
    grid1, grid2 = np.meshgrid(w1, w2)
    residuals = (
        grid1[..., None] * centred[:, 0] + grid2[..., None] * centred[:, 1] - target
    )  # (rows, cols, N)
    excess = 0.5 * np.mean(residuals**2, axis=-1) - descent.best_loss
    scale = max(float(descent.losses[0] - descent.best_loss), 1e-12)
    levels = scale * np.geomspace(1e-3, 4.0, 10)
    ax.contour(grid1, grid2, excess, levels=levels, cmap="Blues_r", linewidths=1)
    path = descent.path
    ax.plot(path[:, 0], path[:, 1], "-", color=viz.HIGHLIGHT, lw=1.5, label="descent")
    ax.plot(path[:, 0], path[:, 1], "o", color=viz.HIGHLIGHT, ms=2.5)
    ax.plot(*path[0], "s", color="black", ms=6, label="start")
    ax.plot(*descent.best, "*", color=viz.OUTPUT, ms=14, mec="black", label="best weights")
    ax.set_xlim(w1[0], w1[-1])
    ax.set_ylim(w2[0], w2[-1])
    ax.set_aspect("equal")
    ax.set_xlabel(f"weight of {names[0]}")
    ax.set_ylabel(f"weight of {names[1]}")
    if title:
        ax.set_title(title)


# --- a deep network, with and without batch norm --------------------------------------------


def draw_activation_ridges(
    ax, activations, *, value_range=(-1.0, 1.0), bins=41, color=viz.OUTPUT, title=None
):
    """One histogram per hidden layer, stacked upwards (layer 1 at the bottom).

    activations: a list of arrays, one per layer (any shape; every value
    counts). Each histogram is scaled to the same peak height, so the
    shape, not the count, is compared; the text at the right of each row
    is the layer's standard deviation.
    """
    if len(activations) == 0:
        raise ValueError("activations must hold at least one layer")
    edges = np.linspace(value_range[0], value_range[1], bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    for row, values in enumerate(activations):
        values = np.asarray(values, dtype=np.float64).ravel()
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        height = 0.9 * counts / max(counts.max(), 1)
        ax.fill_between(centres, row, row + height, color=color, alpha=0.75, step="mid", lw=0)
        ax.plot(centres, row + height, color="black", lw=0.6, drawstyle="steps-mid")
        ax.text(
            edges[-1], row + 0.3, f" std {values.std():.2f}", fontsize=9, va="center", ha="left"
        )
    ax.set_yticks(np.arange(len(activations)) + 0.3)
    ax.set_yticklabels([f"layer {k}" for k in range(1, len(activations) + 1)])
    ax.set_ylim(-0.1, len(activations))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("activation value")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title)


# --- batch statistics ----------------------------------------------------------------------


def draw_batch_noise(ax, batch_sizes, noise) -> None:
    """Measured noise of the batch mean against batch size, with the 1/sqrt(B) law (log-log)."""
    batch_sizes = np.asarray(batch_sizes, dtype=np.float64)
    smooth = np.geomspace(batch_sizes.min(), batch_sizes.max(), 50)
    ax.plot(smooth, 1 / np.sqrt(smooth), "--", color="black", lw=1.2, label=r"$1/\sqrt{B}$")
    ax.plot(batch_sizes, noise, "o", color=viz.HIGHLIGHT, ms=7, label="measured")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain_log_axis(ax.yaxis, subs=(1.0, 2.0, 5.0))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(batch_sizes)
    ax.set_xticklabels([f"{int(b)}" for b in batch_sizes])
    ax.set_xlabel("batch size B")
    ax.set_ylabel("std of batch mean / population std")
    ax.grid(True, alpha=0.3)
    ax.legend()


class BatchStatsView:
    """The batch statistics of one unit over many training steps, and what batch norm outputs.

    axes: three axes: the batch means with the running mean, the batch
    variances with the running variance (both against the step, with the
    population's value as a dashed line), and a histogram of the normalised
    outputs. ``update(batch_size, momentum, mode)`` redraws them in place;
    in mode "train" the histogram pools every batch normalised with its own
    statistics, in mode "eval" it is the whole population normalised with
    the final running statistics. The statistic that normalises is ringed
    in :data:`~lecturelib.drawing.figures.HIGHLIGHT`. The grey outline is the
    population normalised with its true mean and variance. Outputs beyond
    the histogram's range are counted in its outermost bins.

    legend: put one legend for all three axes above them (on the figure);
    titles: give each axes a title; summary: write the outputs' mean and
    standard deviation in the histogram (a live panel can leave it to its
    text line, which saves drawing time).
    """

    def __init__(
        self,
        axes,
        population,
        *,
        steps=100,
        seed=0,
        eps=1e-5,
        histogram_limit=4.0,
        legend=True,
        titles=True,
        summary=True,
    ):
        population = as_array(population, "population", 1)
        if len(population) < 4 or population.std() == 0:
            raise ValueError("population must hold at least 4 values that are not all equal")
        self.axes = list(np.ravel(axes))
        if len(self.axes) != 3:
            raise ValueError(f"axes must hold 3 axes, got {len(self.axes)}")
        self.population = population
        self.steps = as_int(steps, "steps", 1)
        self.seed = as_int(seed, "seed", 0)
        self.eps = eps
        self.mean = float(population.mean())
        self.var = float(population.var())
        self._batches: dict[int, np.ndarray] = {}
        ax_mean, ax_var, ax_hist = self.axes
        std = math.sqrt(self.var)
        step_axis = np.arange(1, self.steps + 1)
        for ax, value in ((ax_mean, self.mean), (ax_var, self.var)):
            ax.axhline(value, color="black", ls="--", lw=1.2, label="data-set value")
            ax.set_xlim(0, self.steps * 1.04 + 1)
            ax.set_xlabel("training step")
        (self.mean_points,) = ax_mean.plot(
            step_axis, np.zeros(self.steps), "o", color=viz.INPUT, ms=3, label="batch statistic"
        )
        (self.mean_line,) = ax_mean.plot(
            [], [], "-", color=viz.OUTPUT, lw=2.2, label="running average"
        )
        (self.var_points,) = ax_var.plot(
            step_axis, np.zeros(self.steps), "o", color=viz.INPUT, ms=3
        )
        (self.var_line,) = ax_var.plot([], [], "-", color=viz.OUTPUT, lw=2.2)
        marker = dict(marker="o", ms=11, mfc="none", mec=viz.HIGHLIGHT, mew=2.5, ls="none")
        (self.mean_used,) = ax_mean.plot([], [], label="used in this mode", **marker)
        (self.var_used,) = ax_var.plot([], [], **marker)
        low = min(0.0, self.mean - 3.2 * std)
        high = max(0.0, self.mean + 3.2 * std)
        ax_mean.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        # Log scale: the running variance starts at 1, however small the population's is.
        ax_var.set_yscale("log")
        plain_log_axis(ax_var.yaxis)
        ax_var.set_ylim(min(1.0, self.var) / 30, 3 * max(1.0, 4.0 * self.var))
        ax_mean.set_ylabel("mean")
        ax_var.set_ylabel("variance (log scale)")

        self.edges = np.linspace(-histogram_limit, histogram_limit, 41)
        reference = (population - self.mean) / math.sqrt(self.var + eps)
        density, _ = np.histogram(reference, bins=self.edges, density=True)
        ax_hist.stairs(density, self.edges, color=viz.MUTED, lw=1.5, label="ideal output")
        self.histogram = ax_hist.stairs(
            np.zeros(len(self.edges) - 1),
            self.edges,
            fill=True,
            color=viz.OUTPUT,
            alpha=0.7,
            label="batch norm output",
        )
        ax_hist.set_xlim(self.edges[0], self.edges[-1])
        ax_hist.set_ylim(0, 1.6 * max(density.max(), 0.4))
        ax_hist.set_xlabel("normalised value")
        ax_hist.set_ylabel("density")
        self.hist_text = ax_hist.text(
            0.03, 0.95, "", transform=ax_hist.transAxes, va="top", fontsize=9, family="monospace"
        )
        self.hist_text.set_visible(bool(summary))
        if titles:
            ax_mean.set_title("batch means, running mean")
            ax_var.set_title("batch variances, running variance")
            ax_hist.set_title("what batch norm outputs")
        if legend:
            handles = [
                *ax_mean.get_legend_handles_labels()[0],
                *ax_hist.get_legend_handles_labels()[0],
            ]
            ax_mean.figure.legend(
                handles=handles, loc="outside upper center", ncols=len(handles), fontsize=9
            )

    @property
    def artists(self) -> list:
        """The artists :meth:`update` changes (for a Panel's ``artists``)."""
        return [
            self.mean_points,
            self.mean_line,
            self.var_points,
            self.var_line,
            self.mean_used,
            self.var_used,
            self.histogram,
            *([self.hist_text] if self.hist_text.get_visible() else []),
        ]

    def batches(self, batch_size) -> np.ndarray:
        """The (steps, batch_size) stream of mini-batches for this batch size (cached)."""
        batch_size = as_int(batch_size, "batch_size", 1)
        if batch_size not in self._batches:
            self._batches[batch_size] = mini_batches(
                self.population, batch_size, self.steps, rng=self.seed * 1000 + batch_size
            )
        return self._batches[batch_size]

    def compute(self, batch_size, momentum, mode) -> dict:
        """Run the stream through batch norm; return the numbers the figure shows.

        Keys: run (a :class:`RunningStatistics`), outputs, output_mean,
        output_std, probe_spread (how much one fixed value's output varies
        from batch to batch: 0 in eval mode), mean_noise (std of the batch
        means), predicted_noise (sigma / sqrt(B)), running_mean, running_var.
        """
        if mode not in ("train", "eval"):
            raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
        if as_int(batch_size, "batch_size", 1) < 2:
            raise ValueError(
                "a batch of one example has no spread: its variance is 0, so batch norm "
                "cannot normalise it in training (PyTorch refuses too); pick at least 2"
            )
        batches = self.batches(batch_size)
        run = running_statistics(batches, momentum, self.eps)
        if mode == "train":
            outputs = run.outputs
            # One fixed value (the population's median) as each batch would normalise it.
            probe = (np.median(self.population) - run.batch_means) / np.sqrt(
                batches.var(axis=1) + self.eps
            )
        else:
            outputs = batch_norm(
                self.population[:, None],
                run.running_means[-1:].copy(),
                run.running_vars[-1:].copy(),
                training=False,
                eps=self.eps,
            )[:, 0]
            probe = np.zeros(1)
        return {
            "run": run,
            "outputs": outputs,
            "output_mean": _no_negative_zero(outputs.mean()),
            "output_std": float(outputs.std()),
            "probe_spread": float(probe.std()),
            "mean_noise": float(run.batch_means.std()),
            "predicted_noise": math.sqrt(self.var / batch_size),
            "running_mean": float(run.running_means[-1]),
            "running_var": float(run.running_vars[-1]),
        }

    def update(self, batch_size, momentum, mode) -> dict:
        """Redraw for these settings; returns the numbers of :meth:`compute`."""
        facts = self.compute(batch_size, momentum, mode)
        run = facts["run"]
        step_axis = np.arange(self.steps + 1)
        self.mean_points.set_ydata(run.batch_means)
        self.var_points.set_ydata(run.batch_vars)
        self.mean_line.set_data(step_axis, run.running_means)
        self.var_line.set_data(step_axis, run.running_vars)
        if mode == "train":
            self.mean_used.set_data([self.steps], [run.batch_means[-1]])
            self.var_used.set_data([self.steps], [run.batch_vars[-1]])
        else:
            self.mean_used.set_data([self.steps], [run.running_means[-1]])
            self.var_used.set_data([self.steps], [run.running_vars[-1]])
        values = np.clip(np.ravel(facts["outputs"]), self.edges[0], self.edges[-1])
        density, _ = np.histogram(values, bins=self.edges, density=True)
        self.histogram.set_data(density)
        self.hist_text.set_text(
            f"{mode}\nmean {facts['output_mean']:+.2f}\nstd  {facts['output_std']:.2f}"
        )
        return facts


def _no_negative_zero(value, decimals=2) -> float:
    """``value`` as a float, with tiny negatives that would print as -0.00 made +0.0."""
    value = float(value)
    return 0.0 if round(value, decimals) == 0 else value


def batch_stats_grid(population, settings, *, steps=100, seed=0, width=12.0, row_height=2.3):
    """The static companion of the panel: one row of :class:`BatchStatsView` per setting.

    settings: a list of dicts with keys batch_size, momentum and mode.
    Returns ``(figure, facts)``: a pyplot figure (show it with
    ``plt.show()``) and the numbers of every row's update. Rows share their
    step axes; only the bottom row carries the step labels.
    """
    import matplotlib.pyplot as plt

    if len(settings) == 0:
        raise ValueError("settings must hold at least one setting")
    fig, axes = plt.subplots(
        len(settings), 3, figsize=(width, row_height * len(settings) + 0.5), squeeze=False
    )
    facts = []
    for index, (row, setting) in enumerate(zip(axes, settings)):
        view = BatchStatsView(row, population, steps=steps, seed=seed, legend=index == 0)
        facts.append(view.update(**setting))
        row[0].set_title("")  # the setting takes the place of the first column's title
        row[0].set_title(
            "B = {batch_size}, momentum {momentum}, {mode}".format(**setting),
            loc="left",
            fontweight="bold",
        )
        if index > 0:
            row[1].set_title("")
            row[2].set_title("")
        if index < len(settings) - 1:
            for ax in row:
                ax.set_xlabel("")
                ax.tick_params(labelbottom=False)
    return fig, facts


# --- panel builders (plumbing-b): the notebook's panel, minus the lesson --------------------


class BatchStatsPanel(Panel):
    """The panel of notebook 18: one unit's batch statistics over ``steps`` training steps.

    ``controls`` must hold ``batch_size``, ``momentum`` and ``mode`` ("train"
    or "eval"); ``population``: the unit's values over the data set, from
    which the mini-batches are drawn. The numbers come from
    :meth:`BatchStatsView.compute` (the library's :func:`lecturelib.batch_norm`
    on every batch, and the running averages with that momentum); the line
    under the figure compares the scatter of the batch means with
    sigma / sqrt(B) and says what the chosen mode outputs. A batch of one
    example in training shows the view's message instead of a figure.
    """

    def __init__(self, controls: dict, population, *, steps=100, caption: str = "", dpi=80):
        figure, axes = viz.new_figure(11, 3.4, 1, 3)
        self.view = BatchStatsView(axes, population, steps=steps, summary=False)
        super().__init__(
            controls, self.draw, figure, dpi=dpi, caption=caption, artists=self.view.artists
        )

    def draw(self, batch_size, momentum, mode) -> str:
        facts = self.view.update(batch_size, momentum, mode)
        if mode == "train":
            detail = (
                f"one example's output varies by {facts['probe_spread']:.2f} from batch to batch"
            )
        else:
            detail = (
                f"running mean {facts['running_mean']:+.3f} (true {self.view.mean:+.3f}), "
                f"running variance {facts['running_var']:.4f} (true {self.view.var:.4f})"
            )
        return (
            f"batch means scatter by {facts['mean_noise']:.3f} (theory &sigma;/&radic;B = "
            f"{facts['predicted_noise']:.3f}) &middot; <b>{mode}</b> outputs: mean "
            f"{facts['output_mean']:+.2f}, std {facts['output_std']:.2f} &middot; {detail}"
        )


__all__ = [
    "draw_descent",
    "draw_activation_ridges",
    "draw_batch_noise",
    "BatchStatsView",
    "batch_stats_grid",
    "BatchStatsPanel",
]
