"""Figures and small demonstrations for notebook 18 (batch normalisation).

The numbers come from the package (:func:`lecturelib.batch_norm`, the layer
objects of :mod:`lecturelib.training.layers`); this module only sets up the lecture's
small experiments and draws them in the collection's vocabulary
(:mod:`lecturelib.drawing.figures`): raw values in :data:`~lecturelib.drawing.figures.INPUT`,
normalised values in :data:`~lecturelib.drawing.figures.OUTPUT`, the statistic in use
in :data:`~lecturelib.drawing.figures.HIGHLIGHT`, reference values in
:data:`~lecturelib.drawing.figures.MUTED` or black.

- :func:`car_table`: a small synthetic table of used cars (age, distance
  driven, price), two features on very different scales;
- :func:`descend` and :func:`draw_descent`: gradient descent on a linear
  model of the price, and its path over the loss contours;
- :func:`deep_mlp`: a deep tanh (or sigmoid) network, with or without
  batch norm, whose Linear layers start from the same weights either way;
- :func:`layer_activations` and :func:`draw_activation_ridges`: what every
  hidden layer outputs, as one histogram per layer;
- :func:`batch_mean_noise` and :func:`draw_batch_noise`: how far a
  mini-batch's mean strays from the population mean, against batch size;
- :func:`mini_batches`, :func:`running_statistics` and
  :class:`BatchStatsView`: the batch statistics and running averages of one
  unit over many training steps (the notebook's panel draws with the view,
  and :func:`batch_stats_grid`, its static companion, with one view per row).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_array, as_generator, as_int
from ..batchnorm import batch_norm, running_average
from ..training.layers import BatchNorm1d, Linear, ReLU, Sequential, Sigmoid, Tanh
from . import figures as viz
from .figures import plain_log_axis

#: Names of the two columns of :func:`car_table`'s features.
CAR_FEATURES = ("age (years)", "distance (1000 km)")

_ACTIVATIONS = {"tanh": Tanh, "sigmoid": Sigmoid, "relu": ReLU}


# --- standardising raw features ------------------------------------------------------------


class CarTable(NamedTuple):
    """Used cars: features (N, 2) = (age in years, distance in 1000 km), price (N,) in 1000 EUR."""

    features: np.ndarray
    price: np.ndarray


def car_table(count=40, rng=0) -> CarTable:
    """A synthetic table of ``count`` used cars, seeded by ``rng``.

    Ages are spread over 0 to 30 years; each car is driven between 4,000
    and 16,000 km a year, so the distance (in thousands of km) runs into
    the hundreds and grows with the age. The price (in thousands of euros)
    falls with both: ``28 - 0.45 * age - 0.025 * distance`` plus noise.

    >>> cars = car_table(40, rng=0)
    >>> cars.features.shape, cars.price.shape
    ((40, 2), (40,))
    >>> cars.features.std(axis=0).round(1)  # the distance spreads far wider than the age
    array([  8.9, 130.2])
    """
    count = as_int(count, "count", 2)
    generator = as_generator(rng)
    age = generator.uniform(0.5, 30.0, count)
    per_year = generator.uniform(4.0, 16.0, count)  # thousands of km a year
    distance = np.maximum(age * per_year + generator.normal(0.0, 15.0, count), 1.0)
    price = 28.0 - 0.45 * age - 0.025 * distance + generator.normal(0.0, 1.0, count)
    return CarTable(np.column_stack([age, distance]).round(1), price.round(2))


class Descent(NamedTuple):
    """A run of :func:`descend`: the weights at every step and the loss they give."""

    path: np.ndarray  # (steps + 1, 2): the two weights after each step (row 0: the start)
    losses: np.ndarray  # (steps + 1,): half the mean squared error at each step
    best: np.ndarray  # (2,): the least-squares weights
    best_loss: float
    learning_rate: float
    condition: float  # largest / smallest curvature of the loss (its Hessian's eigenvalues)


def _centred(features, targets):
    features = as_array(features, "features", 2)
    targets = as_array(targets, "targets", 1)
    if features.shape[0] != targets.shape[0]:
        raise ValueError(
            f"features has {features.shape[0]} rows but targets has {targets.shape[0]} values"
        )
    if features.shape[1] != 2:
        raise ValueError(f"features must have 2 columns (two weights), got {features.shape}")
    if features.shape[0] < 3:
        raise ValueError(f"features must have at least 3 rows, got {features.shape[0]}")
    return features - features.mean(axis=0), targets - targets.mean()


def descend(features, targets, steps=200, learning_rate=None, start=(0.0, 0.0)) -> Descent:
    """Gradient descent on the two weights of ``target ~ w1 x1 + w2 x2 + b``.

    features: (N, 2); targets: (N,). The loss is half the mean squared
    error. To keep the picture two-dimensional the bias ``b`` is set to its
    best value after every step (the mean target minus ``w . mean(x)``),
    which is the same as running the descent on centred features and
    targets. learning_rate: default ``1 / largest curvature``, the largest
    step that never overshoots along the steepest direction; the number of
    steps needed then grows with the ``condition`` (largest over smallest
    curvature).

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> run = descend(x, x @ np.array([2.0, -1.0]), steps=1)
    >>> run.path[-1], run.condition  # round bowl: one step lands on the best weights
    (array([ 2., -1.]), 1.0)
    """
    centred, target = _centred(features, targets)
    steps = as_int(steps, "steps", 0)
    count = len(target)
    hessian = centred.T @ centred / count
    curvatures = np.linalg.eigvalsh(hessian)
    if curvatures[0] <= 1e-12 * curvatures[-1]:
        raise ValueError("the two features are constant or proportional: no unique best weights")
    if learning_rate is None:
        learning_rate = 1.0 / curvatures[-1]
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a number, got {learning_rate!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    weights = np.asarray(start, dtype=np.float64)
    if weights.shape != (2,):
        raise ValueError(f"start must be a pair of weights, got {start!r}")
    path = np.empty((steps + 1, 2))
    path[0] = weights
    for step in range(steps):
        gradient = centred.T @ (centred @ weights - target) / count
        weights = weights - learning_rate * gradient
        path[step + 1] = weights
    residuals = path @ centred.T - target
    best = np.linalg.solve(hessian, centred.T @ target / count)
    best_loss = 0.5 * float(np.mean((centred @ best - target) ** 2))
    return Descent(
        path,
        0.5 * np.mean(residuals**2, axis=1),
        best,
        best_loss,
        float(learning_rate),
        float(curvatures[-1] / curvatures[0]),
    )


def steps_to_reach(descent: Descent, tolerance=0.01) -> int | None:
    """The first step at which both weights are within ``tolerance`` of the best ones.

    Measured relative to each best weight's size; None if the run never
    gets there.

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> steps_to_reach(descend(x, x @ np.array([2.0, -1.0]), steps=3))
    1
    """
    gap = np.abs(descent.path - descent.best) <= tolerance * np.abs(descent.best)
    reached = np.flatnonzero(gap.all(axis=1))
    return int(reached[0]) if reached.size else None


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


def deep_mlp(
    depth=6,
    width=64,
    batch_norm=False,
    activation="tanh",
    inputs=64,
    classes=10,
    rng=0,
    dtype=np.float32,
) -> Sequential:
    """A deep fully connected classifier: ``depth`` hidden layers of ``width`` units.

    Each hidden layer is Linear - activation, or Linear (without bias) -
    BatchNorm1d - activation when ``batch_norm`` is True (the batch norm's
    beta takes the bias's place). Every Linear layer draws its weights from
    its own child of ``rng``, so the networks with and without batch norm
    start from the same weights. PyTorch's default initialisation.

    >>> plain, normed = deep_mlp(depth=2, width=8), deep_mlp(depth=2, width=8, batch_norm=True)
    >>> plain
    Sequential(
      (0): Linear(64, 8)
      (1): Tanh()
      (2): Linear(8, 8)
      (3): Tanh()
      (4): Linear(8, 10)
    )
    >>> np.array_equal(plain[2].params["weight"], normed[3].params["weight"])
    True
    """
    depth = as_int(depth, "depth", 1)
    width = as_int(width, "width", 1)
    inputs = as_int(inputs, "inputs", 1)
    classes = as_int(classes, "classes", 1)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    generators = as_generator(rng).spawn(depth + 1)
    layers = []
    fan_in = inputs
    for generator in generators[:-1]:
        layers.append(Linear(fan_in, width, bias=not batch_norm, rng=generator, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm1d(width, dtype=dtype))
        layers.append(_ACTIVATIONS[activation]())
        fan_in = width
    layers.append(Linear(fan_in, classes, rng=generators[-1], dtype=dtype))
    return Sequential(*layers)


def layer_activations(model: Sequential, x, training=True) -> list[np.ndarray]:
    """The output of every activation layer (tanh, sigmoid, ReLU) of ``model`` for ``x``.

    training: use batch statistics (True, what the layers see while the
    network trains) or the running averages (False). The model's mode,
    running statistics and saved inputs are left as they were.
    Returns one (N, width) array per hidden layer.

    >>> outputs = layer_activations(deep_mlp(depth=3, width=5), np.ones((4, 64)))
    >>> [a.shape for a in outputs]
    [(4, 5), (4, 5), (4, 5)]
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x = as_array(x, "x")
    state = model.state_dict()
    saved = [dict(vars(layer)) for layer in model]
    was_training = model.training
    model.train(bool(training))
    outputs = []
    try:
        for layer in model:
            x = layer.forward(x)
            if isinstance(layer, tuple(_ACTIVATIONS.values())):
                outputs.append(x.copy())
    finally:
        model.load_state_dict(state)
        for layer, attributes in zip(model, saved):
            vars(layer).update(attributes)
        model.train(was_training)
    return outputs


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


def mini_batches(values, batch_size, count, rng=0) -> np.ndarray:
    """``count`` mini-batches of ``batch_size`` rows of ``values``, as training draws them.

    values: (N,) or (N, K). The rows are shuffled, cut into N // batch_size
    batches (the incomplete rest is dropped), and reshuffled for the next
    epoch until ``count`` batches are drawn. Returns (count, batch_size) or
    (count, batch_size, K).

    >>> mini_batches(np.arange(6.0), 3, 4, rng=0).shape
    (4, 3)
    """
    values = as_array(values, "values", (1, 2))
    batch_size = as_int(batch_size, "batch_size", 1)
    count = as_int(count, "count", 1)
    if batch_size > len(values):
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(values)} values to draw from"
        )
    generator = as_generator(rng)
    per_epoch = len(values) // batch_size
    epochs = -(-count // per_epoch)
    orders = np.concatenate(
        [generator.permutation(len(values))[: per_epoch * batch_size] for _ in range(epochs)]
    )
    return values[orders[: count * batch_size]].reshape(count, batch_size, *values.shape[1:])


def batch_mean_noise(values, batch_sizes, batches=400, rng=0) -> np.ndarray:
    """How far a mini-batch mean strays from the population mean, in population stds.

    values: (N,) one unit over a data set, or (N, K) K units. For each batch
    size B, ``batches`` mini-batches are drawn (:func:`mini_batches`) and
    the standard deviation of their means is divided by the population's
    standard deviation (averaged over the K units). Theory for independent
    draws: 1 / sqrt(B).

    >>> values = np.random.default_rng(0).normal(size=5000)
    >>> noise = batch_mean_noise(values, [4, 16], batches=2000)
    >>> np.round(noise * np.sqrt([4, 16]), 1)
    array([1., 1.])
    """
    values = as_array(values, "values", (1, 2))
    if values.ndim == 1:
        values = values[:, None]
    spread = values.std(axis=0)
    if np.any(spread == 0):
        raise ValueError("every unit must vary over the data set (a constant has no noise)")
    generator = as_generator(rng)
    noise = []
    for batch_size in batch_sizes:
        means = mini_batches(values, batch_size, batches, generator).mean(axis=1)  # (batches, K)
        noise.append(float(np.mean(means.std(axis=0) / spread)))
    return np.array(noise)


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


class RunningStatistics(NamedTuple):
    """What :func:`running_statistics` records, one row per training step."""

    batch_means: np.ndarray  # (steps,)
    batch_vars: np.ndarray  # (steps,): unbiased, as the running variance uses
    running_means: np.ndarray  # (steps + 1,): row 0 is the start value 0
    running_vars: np.ndarray  # (steps + 1,): row 0 is the start value 1
    outputs: np.ndarray  # (steps, B): each batch normalised with its own statistics


def running_statistics(batches, momentum=0.1, eps=1e-5) -> RunningStatistics:
    """What a batch-norm layer does with a stream of batches of one unit, in training mode.

    batches: (steps, B), one row per training step. Each batch is
    normalised with its own mean and (biased) variance by
    :func:`lecturelib.batch_norm` (one call for all steps). The running
    mean and variance start at 0 and 1, as in PyTorch, and follow the
    library's update after every batch, ``running = (1 - momentum) *
    running + momentum * batch statistic`` with the unbiased batch
    variance (the tests check this against :class:`lecturelib.training.layers.BatchNorm1d`
    fed one batch at a time).

    >>> run = running_statistics(np.array([[1.0, 3.0], [5.0, 7.0]]), momentum=0.5)
    >>> run.running_means, run.running_vars
    (array([0. , 1. , 3.5]), array([1.  , 1.5 , 1.75]))
    >>> run.outputs.round(4)
    array([[-1.,  1.],
           [-1.,  1.]])
    """
    batches = as_array(batches, "batches", 2)
    steps, batch_size = batches.shape
    if batch_size < 2:
        raise ValueError(
            "a batch of one example has no spread: its variance is 0 and every output would be "
            "0, so batch norm needs at least 2 examples per batch in training"
        )
    # (B, steps): every step becomes a channel, normalised over its own batch
    # (and the library checks momentum).
    outputs = batch_norm(batches.T, None, None, training=True, momentum=momentum, eps=eps).T
    momentum = float(momentum)
    batch_means = batches.mean(axis=1)
    batch_vars = batches.var(axis=1, ddof=1)  # unbiased, divided by B - 1
    running_means = np.empty(steps + 1)
    running_vars = np.empty(steps + 1)
    running_mean, running_var = 0.0, 1.0
    running_means[0], running_vars[0] = running_mean, running_var
    for step in range(steps):  # one batch after the other, as batch_norm updates them
        running_mean = running_average(running_mean, float(batch_means[step]), momentum)
        running_var = running_average(running_var, float(batch_vars[step]), momentum)
        running_means[step + 1], running_vars[step + 1] = running_mean, running_var
    return RunningStatistics(batch_means, batch_vars, running_means, running_vars, outputs)


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


__all__ = [
    "CAR_FEATURES",
    "CarTable",
    "car_table",
    "Descent",
    "descend",
    "steps_to_reach",
    "draw_descent",
    "deep_mlp",
    "layer_activations",
    "draw_activation_ridges",
    "mini_batches",
    "batch_mean_noise",
    "draw_batch_noise",
    "RunningStatistics",
    "running_statistics",
    "BatchStatsView",
    "batch_stats_grid",
]
