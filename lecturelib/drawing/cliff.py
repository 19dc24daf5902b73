"""A loss surface with a cliff, and gradient descent on it with and without clipping.

The loss of a recurrent network, seen as a function of its weights, can be
almost flat for a long way and then fall (or rise) by a large amount over a
tiny distance: a *cliff*. On the face of the cliff the gradient is huge, so
one plain gradient step there throws the parameters far away, undoing the
progress made so far. Clipping the gradient bounds the length of every step
(``learning_rate * threshold``), so the descent creeps up to the cliff and
stays at its foot instead.

The toy surface here has two parameters ``w = (w1, w2)`` and is written in
coordinates rotated by ``angle``: ``u`` across the cliff (uphill) and ``v``
along it::

    L(w) = a_u (u - u_c)^2 / 2  +  a_v (v - v_c)^2 / 2  +  height * sigmoid(steepness * u)

a gentle bowl whose centre (u_c, v_c) lies behind a wall of ``height`` that
rises across the line ``u = 0``. Gradient descent runs downhill towards the
centre, into the wall; the lowest point is at the wall's foot. The wall's
largest slope is ``height * steepness / 4``: one unclipped step there
throws the parameters far back down the bowl, as in the pictures that first
motivated clipping for recurrent networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_array, as_int
from ..gradients import clip_grad_norm, clip_grad_value
from ..text import CharRNN
from .figures import ACCENT, HIGHLIGHT, KERNEL, MUTED, OUTPUT

CLIP_MODES = ("none", "norm", "value")


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


def _number(value, name: str, positive: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value) or (positive and not value > 0) or value < 0:
        rule = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be finite and {rule}, got {value}")
    return value


def clip_mode(mode) -> str:
    """Check a clipping mode: "none" (or None), "norm" or "value"."""
    if mode is None:
        return "none"
    if not isinstance(mode, str) or mode not in CLIP_MODES:
        raise ValueError(f"clip must be one of {list(CLIP_MODES)} or None, got {mode!r}")
    return mode


def clip_vector(gradient, mode, threshold: float) -> np.ndarray:
    """A clipped copy of one gradient vector, using ``lecturelib.gradients``'s rules.

    mode "norm": rescaled to norm ``threshold`` when longer (direction kept);
    "value": every entry clipped into [-threshold, threshold]; "none": unchanged.

    >>> clip_vector([3.0, 4.0], "norm", 1.0).round(6)
    array([0.6, 0.8])
    >>> clip_vector([-1.2, 0.3, 0.9, -0.5], "value", 0.7)
    array([-0.7,  0.3,  0.7, -0.5])
    """
    gradient = as_array(gradient, "gradient").astype(np.float64, copy=True)
    mode = clip_mode(mode)
    threshold = _number(threshold, "threshold")
    if mode == "norm":
        clip_grad_norm([gradient], threshold)
    elif mode == "value":
        clip_grad_value([gradient], threshold)
    return gradient


def angle_between(a, b) -> float:
    """The angle in degrees between two vectors (0 when either is zero).

    >>> round(angle_between([1.0, 0.0], [1.0, 1.0]), 6)
    45.0
    """
    a = as_array(a, "a").reshape(-1).astype(np.float64)
    b = as_array(b, "b").reshape(-1).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}")
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 0.0
    cosine = np.clip(float(a @ b) / norms, -1.0, 1.0)
    return float(np.degrees(np.arccos(cosine)))


@dataclass(frozen=True)
class Trajectory:
    """The record of one gradient-descent run on a :class:`CliffSurface`.

    path: (S + 1, 2) the parameters before every step and after the last;
    losses: (S + 1,) the loss at each of them; grad_norms: (S,) the gradient
    norm before clipping at every step; step_lengths: (S,) how far each
    step moved the parameters.
    """

    path: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    step_lengths: np.ndarray

    @property
    def longest_step(self) -> int:
        """Index of the longest step (the catapult, when there is one)."""
        return int(np.argmax(self.step_lengths)) if self.step_lengths.size else 0


class CliffSurface:
    """The two-parameter loss with a cliff described in the module docstring.

    ``height`` and ``steepness`` shape the cliff, ``angle`` (degrees) turns
    it, ``centre`` is the bowl's centre in (w1, w2) (behind the cliff, so
    that the descent runs into it) and ``curvature`` its curvatures (a_u
    across the cliff, a_v along it). Points are arrays whose last axis holds
    (w1, w2). ``minimum`` is the lowest point, at the foot of the cliff.

    >>> surface = CliffSurface()
    >>> round(surface.max_slope, 6)       # height * steepness / 4
    48.0
    >>> np.round(surface.minimum, 2), round(float(surface.loss(surface.minimum)), 2)
    (array([-0.1 , -0.69]), 1.08)
    """

    def __init__(
        self,
        height: float = 12.0,
        steepness: float = 16.0,
        angle: float = 20.0,
        centre=(1.8, 0.0),
        curvature=(0.5, 0.15),
    ):
        self.height = _number(height, "height")
        self.steepness = _number(steepness, "steepness", positive=True)
        self.angle = float(angle)
        theta = np.deg2rad(self.angle)
        # Columns: the unit vector across the cliff (u, uphill) and the one along it (v).
        self.axes = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        self.centre = as_array(centre, "centre", ndim=1).astype(np.float64)
        if self.centre.shape != (2,):
            raise ValueError(f"centre must hold two numbers, got shape {self.centre.shape}")
        curvature = as_array(curvature, "curvature", ndim=1).astype(np.float64)
        if curvature.shape != (2,) or not np.all(curvature > 0):
            raise ValueError(f"curvature must be two positive numbers, got {curvature}")
        self.curvature = curvature
        self._centre_uv = self.centre @ self.axes
        # The lowest point lies on the line v = v_c; find u on a fine grid.
        u = np.linspace(self._centre_uv[0] - 8.0, self._centre_uv[0], 40001)
        along = 0.5 * self.curvature[0] * (u - self._centre_uv[0]) ** 2
        along = along + self.height * _sigmoid(self.steepness * u)
        best = np.array([u[np.argmin(along)], self._centre_uv[1]])
        self.minimum = best @ self.axes.T

    @property
    def max_slope(self) -> float:
        """The steepest slope of the cliff's face: height * steepness / 4."""
        return self.height * self.steepness / 4.0

    def _points(self, points) -> np.ndarray:
        points = as_array(points, "points").astype(np.float64, copy=False)
        if points.ndim < 1 or points.shape[-1] != 2:
            raise ValueError(f"points must have (w1, w2) along the last axis, got {points.shape}")
        return points

    def loss(self, points) -> np.ndarray:
        """The loss at ``points`` (..., 2); returns shape (...)."""
        uv = self._points(points) @ self.axes
        du, dv = uv[..., 0] - self._centre_uv[0], uv[..., 1] - self._centre_uv[1]
        bowl = 0.5 * (self.curvature[0] * du**2 + self.curvature[1] * dv**2)
        return bowl + self.height * _sigmoid(self.steepness * uv[..., 0])

    def gradient(self, points) -> np.ndarray:
        """The gradient of the loss at ``points`` (..., 2); returns (..., 2)."""
        uv = self._points(points) @ self.axes
        s = _sigmoid(self.steepness * uv[..., 0])
        grad_u = self.curvature[0] * (uv[..., 0] - self._centre_uv[0])
        grad_u = grad_u + self.height * self.steepness * s * (1 - s)
        grad_v = self.curvature[1] * (uv[..., 1] - self._centre_uv[1])
        return np.stack([grad_u, grad_v], axis=-1) @ self.axes.T

    def grid(self, extent=(-4.0, 4.0, -4.0, 4.0), resolution: int = 200):
        """The loss on a regular grid, for drawing.

        Returns ``(w1, w2, loss)``, each (resolution, resolution), rows along w2.
        """
        resolution = as_int(resolution, "resolution", 2)
        x0, x1, y0, y1 = (float(e) for e in extent)
        w1, w2 = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        return w1, w2, self.loss(np.stack([w1, w2], axis=-1))

    def descend(
        self,
        start=(-3.5, 3.5),
        learning_rate: float = 0.1,
        steps: int = 60,
        clip="none",
        threshold: float = 1.0,
    ) -> Trajectory:
        """Plain gradient descent ``w <- w - learning_rate * clip(g)`` from ``start``.

        ``clip``: "none", "norm" or "value" (see :func:`clip_vector`).
        Returns a :class:`Trajectory`. Stops early if the parameters stop
        being finite.

        >>> surface = CliffSurface()
        >>> plain = surface.descend(learning_rate=0.4)
        >>> clipped = surface.descend(learning_rate=0.4, clip="norm", threshold=1.0)
        >>> round(float(plain.step_lengths.max()), 1)   # thrown off the cliff
        12.8
        >>> bool(clipped.step_lengths.max() <= 0.4)     # never longer than lr * threshold
        True
        """
        learning_rate = _number(learning_rate, "learning_rate")
        steps = as_int(steps, "steps", 0)
        mode = clip_mode(clip)
        threshold = _number(threshold, "threshold")
        w1, w2 = (float(v) for v in self._points(start).reshape(-1)[:2])
        # The loop works on two Python floats: a panel runs it on every slider
        # move, and numpy's per-call overhead would dominate for 2-vectors.
        # The clipping rules are those of lecturelib.gradients (tested to agree).
        (cos_t, neg_sin), (sin_t, cos_t2) = self.axes
        a_u, a_v = (float(c) for c in self.curvature)
        u_c, v_c = (float(c) for c in self._centre_uv)
        height, steepness = self.height, self.steepness
        path, norms, lengths = [(w1, w2)], [], []
        for _ in range(steps):
            u = w1 * cos_t + w2 * sin_t
            v = w1 * neg_sin + w2 * cos_t2
            s = 0.5 * (1.0 + math.tanh(0.5 * steepness * u))
            grad_u = a_u * (u - u_c) + height * steepness * s * (1.0 - s)
            grad_v = a_v * (v - v_c)
            g1 = grad_u * cos_t + grad_v * neg_sin
            g2 = grad_u * sin_t + grad_v * cos_t2
            norm = math.hypot(g1, g2)
            norms.append(norm)
            if mode == "norm" and norm > threshold:
                scale = threshold / (norm + 1e-6)  # as clip_grad_norm
                g1, g2 = g1 * scale, g2 * scale
            elif mode == "value":  # as clip_grad_value
                g1 = min(max(g1, -threshold), threshold)
                g2 = min(max(g2, -threshold), threshold)
            w1, w2 = w1 - learning_rate * g1, w2 - learning_rate * g2
            if not (math.isfinite(w1) and math.isfinite(w2)):
                break
            lengths.append(learning_rate * math.hypot(g1, g2))
            path.append((w1, w2))
        path = np.array(path)
        return Trajectory(
            path=path,
            losses=self.loss(path),
            grad_norms=np.array(norms[: len(lengths)]),
            step_lengths=np.array(lengths),
        )


# --- drawing ----------------------------------------------------------------------


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
        self.circle = ax.add_patch(
            Circle((0, 0), 1.0, fill=False, edgecolor=OUTPUT, lw=1.5, ls="--")
        )
        self.square = ax.add_patch(
            Rectangle((-1, -1), 2, 2, fill=False, edgecolor=HIGHLIGHT, lw=1.5, ls=":")
        )
        style = {"arrowstyle": "-|>", "mutation_scale": 18}
        self.arrows = {
            name: ax.add_patch(FancyArrowPatch((0, 0), (1, 0), color=color, lw=2.5, **style))
            for name, color in (("original", ACCENT), ("norm", OUTPUT), ("value", HIGHLIGHT))
        }
        self.artists = [self.circle, self.square, *self.arrows.values()]  # what show() changes
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

    def show(self, gradient, threshold: float):
        gradient = as_array(gradient, "gradient", ndim=1).astype(np.float64)
        if gradient.shape != (2,):
            raise ValueError(f"gradient must have two entries, got shape {gradient.shape}")
        threshold = _number(threshold, "threshold")
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


def first_non_finite(values) -> int | None:
    """Index of the first inf or NaN in ``values``, or None when all are finite.

    >>> first_non_finite([3.0, 2.5, float("inf"), float("nan")])
    2
    """
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    return int(bad[0]) if bad.size else None


def train_clipping_grid(
    ids,
    vocab_size: int,
    learning_rates,
    thresholds,
    steps: int = 100,
    hidden_size: int = 32,
    activation: str = "relu",
    seq_length: int = 25,
    batch_size: int = 4,
    weight_scale: float = 0.1,
    rng=0,
) -> dict:
    """Train one small ``CharRNN`` per (learning rate, clipping mode, threshold).

    Every run starts from the same seeded weights and reads the same
    chunks, so runs differ only in the setting. Without clipping the
    threshold does not matter: one run per learning rate is stored under
    every threshold. Returns {(learning_rate, mode, threshold): {"loss":
    (steps,) loss per character, "grad_norm": (steps,) norm before
    clipping}}.
    """
    steps = as_int(steps, "steps", 1)
    learning_rates = [_number(lr, "learning_rates") for lr in learning_rates]
    thresholds = [_number(t, "thresholds") for t in thresholds]
    if not learning_rates or not thresholds:
        raise ValueError("learning_rates and thresholds must each hold at least one value")
    runs = {}
    for lr in learning_rates:
        for mode in CLIP_MODES:
            for threshold in thresholds if mode != "none" else thresholds[:1]:
                model = CharRNN(
                    vocab_size,
                    hidden_size,
                    rng=rng,
                    weight_scale=weight_scale,
                    activation=activation,
                )
                history = model.train(
                    ids,
                    steps,
                    seq_length=seq_length,
                    batch_size=batch_size,
                    learning_rate=lr,
                    clip=None if mode == "none" else mode,
                    threshold=threshold,
                )
                run = {
                    "loss": np.array(history["loss"]) / (seq_length * batch_size),
                    "grad_norm": np.array(history["grad_norm"]),
                }
                for t in thresholds if mode == "none" else [threshold]:
                    runs[(lr, mode, t)] = run
    return runs


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


__all__ = [
    "CLIP_MODES",
    "ClippingArrows",
    "CliffSurface",
    "TrainingCurves",
    "Trajectory",
    "TrajectoryArtists",
    "angle_between",
    "clip_mode",
    "clip_vector",
    "describe",
    "draw_descent",
    "draw_clipping",
    "draw_surface",
    "first_non_finite",
    "left_view",
    "train_clipping_grid",
]
