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

The surface, its gradient and the descent are numpy only; the clipping rules
are those of :mod:`lecturelib.gradients`. The pictures are drawn by
:mod:`lecturelib.drawing.cliff`, and the character-level RNN trained with and
without clipping lives in :mod:`lecturelib.training.clipping`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import as_array, as_int, as_number
from .gradients import clip_grad_norm, clip_grad_value

CLIP_MODES = ("none", "norm", "value")


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


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
    threshold = as_number(threshold, "threshold", 0, finite=True)
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
        self.height = as_number(height, "height", 0, finite=True)
        self.steepness = as_number(steepness, "steepness", above=0, finite=True)
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
        learning_rate = as_number(learning_rate, "learning_rate", 0, finite=True)
        steps = as_int(steps, "steps", 0)
        mode = clip_mode(clip)
        threshold = as_number(threshold, "threshold", 0, finite=True)
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


__all__ = [
    "CLIP_MODES",
    "CliffSurface",
    "Trajectory",
    "angle_between",
    "clip_mode",
    "clip_vector",
]
