"""Figures for notebook 17 (dropout): thinned networks, learning curves, ensembles.

The lecture and PyTorch disagree on what ``p`` means, so every function here
says which one it takes: ``retain_*`` arguments are the lecture's retention
probabilities (0.5 for hidden units, 0.8 for inputs); masks are drawn with
:func:`lecturelib.dropout.dropout`, which takes PyTorch's drop probability.

- :func:`droppable_units`, :func:`thinned_network_count`: how many units can
  be dropped in a network, and how many thinned networks that makes (2^n);
- :func:`sample_masks`: one thinned network, as a kept/dropped mask per layer
  (the same seed gives nested masks: raising ``p`` only adds units);
- :func:`unit_scales`: the factor each unit's output is multiplied by, in
  training or at test time, for classic or inverted dropout;
- :class:`ThinnedNetworkView` and :func:`draw_thinned_network`: a small
  fully connected network with the dropped units greyed out and their edges
  removed, each unit labelled with its factor (the notebook's panel and its
  static companion both draw with it);
- :func:`two_moons`: a small, noisy two-class data set in the plane, easy to
  over-fit;
- :func:`draw_gap_curves`, :func:`draw_decision_regions`,
  :func:`draw_monte_carlo`, :func:`draw_face_outputs`,
  :func:`draw_next_layer_inputs`: the notebook's static figures.

Colours follow :mod:`lecturelib.drawing.figures`: inputs :data:`~lecturelib.drawing.figures.INPUT`,
outputs :data:`~lecturelib.drawing.figures.OUTPUT`, dropped units
:data:`~lecturelib.drawing.figures.MUTED`; class probabilities use the diverging map
centred on 0.5 (blue for class 0, red for class 1).
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from .._checks import as_array, as_generator, as_int, as_number
from ..dropout import dropout
from . import figures as viz

#: The network drawn in the notebook: 4 inputs, two hidden layers of 6, 2 outputs.
NETWORK = (4, 6, 6, 2)
#: Ways of scaling the units: PyTorch's inverted dropout and the lecture's classic one.
MODES = ("inverted", "classic")
#: When the network is used: a thinned network in training, the full one at test time.
PHASES = ("training", "test")

#: Units are drawn as ellipses this much wider than tall, so a label such as ×1.25 fits.
NODE_ASPECT = 1.45
HIDDEN_FACE = "#FFFFFF"  # kept hidden units: plain, so the removed ones stand out
DROPPED_FACE = "#E6E6E6"  # dropped units: greyed out
DROPPED_TEXT = "#6E6E6E"
EDGE_COLOUR = "#3C3C3C"


# --- counting and sampling thinned networks -------------------------------------------


def _layer_sizes(layer_sizes) -> tuple[int, ...]:
    if isinstance(layer_sizes, numbers.Integral) or not hasattr(layer_sizes, "__len__"):
        raise TypeError(f"layer_sizes must be a sequence of unit counts, got {layer_sizes!r}")
    sizes = tuple(as_int(n, "layer_sizes entry", 1) for n in layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes must list at least an input and an output layer, got {sizes}"
        )
    return sizes


def droppable_units(layer_sizes) -> int:
    """Units that dropout may remove: every layer but the output layer.

    >>> droppable_units((4, 6, 6, 2))
    16
    """
    return sum(_layer_sizes(layer_sizes)[:-1])


def thinned_network_count(layer_sizes) -> int:
    """How many thinned networks a network has: 2 ** (droppable units), as an exact int.

    Each droppable unit is either kept or dropped, independently.

    >>> thinned_network_count((4, 6, 6, 2))
    65536
    """
    return 2 ** droppable_units(layer_sizes)


def sample_masks(layer_sizes, retain_input, retain_hidden, seed=0) -> list[np.ndarray]:
    """One thinned network: a 0/1 mask per layer (1 = kept), drawn with dropout().

    retain_input, retain_hidden: the lecture's retention probabilities of the
    input and hidden units; output units are always kept. seed: an int; the
    masks of each layer come from their own generator seeded by (seed, layer),
    so with the same seed a higher retention only ever adds units.

    >>> [m.astype(int).tolist() for m in sample_masks((3, 4, 1), 0.8, 0.5, seed=1)]
    [[1, 1, 0], [0, 1, 1, 0], [1]]
    """
    sizes = _layer_sizes(layer_sizes)
    retain_input = as_number(retain_input, "retain_input", 0, 1)
    retain_hidden = as_number(retain_hidden, "retain_hidden", 0, 1)
    seed = as_int(seed, "seed", 0)
    masks = []
    for layer, size in enumerate(sizes):
        if layer == len(sizes) - 1:
            masks.append(np.ones(size))
            continue
        retain = retain_input if layer == 0 else retain_hidden
        generator = np.random.default_rng([seed, layer])
        _, mask = dropout(np.ones(size), p=round(1.0 - retain, 15), rng=generator)
        masks.append(mask)
    return masks


def unit_scales(masks, retain_input, retain_hidden, mode="inverted", phase="training"):
    """The factor each unit's output is multiplied by, layer by layer.

    masks: as from :func:`sample_masks` (ignored at test time, when every unit
    is present). Training: inverted dropout multiplies kept units by 1/p,
    classic dropout leaves them alone; dropped units are multiplied by 0.
    Test: inverted dropout does nothing, classic dropout multiplies every
    unit by its retention probability p. Output units are never scaled.

    >>> masks = [np.array([1.0, 0.0]), np.array([1.0])]
    >>> unit_scales(masks, 0.8, 0.5, "inverted", "training")[0]
    array([1.25, 0.  ])
    >>> unit_scales(masks, 0.8, 0.5, "classic", "test")[0]
    array([0.8, 0.8])
    """
    retain_input = as_number(retain_input, "retain_input", 0, 1)
    retain_hidden = as_number(retain_hidden, "retain_hidden", 0, 1)
    if mode not in MODES:
        raise ValueError(f"mode must be 'inverted' or 'classic', got {mode!r}")
    if phase not in PHASES:
        raise ValueError(f"phase must be 'training' or 'test', got {phase!r}")
    for name, retain in (("retain_input", retain_input), ("retain_hidden", retain_hidden)):
        if retain == 0.0:
            raise ValueError(
                f"{name} = 0: a keep probability of 0 drops every unit of the layer, so no "
                "thinned network is left to train (and inverted dropout's factor 1/p would be "
                "infinite)"
            )
    scales = []
    for layer, mask in enumerate(masks):
        mask = as_array(mask, f"masks[{layer}]", 1)
        if layer == len(masks) - 1:
            scales.append(np.ones_like(mask))
            continue
        retain = retain_input if layer == 0 else retain_hidden
        if phase == "test":
            scales.append(np.full(mask.shape, 1.0 if mode == "inverted" else retain))
        else:
            scales.append(mask / retain if mode == "inverted" else mask.copy())
    return scales


def mask_probability(masks, retain_input, retain_hidden) -> float:
    """The probability of drawing exactly this thinned network (outputs always kept).

    >>> round(mask_probability([np.array([1.0, 0.0]), np.array([1.0])], 0.8, 0.5), 12)
    0.16
    """
    retain_input = as_number(retain_input, "retain_input", 0, 1)
    retain_hidden = as_number(retain_hidden, "retain_hidden", 0, 1)
    probability = 1.0
    for layer, mask in enumerate(masks[:-1]):
        retain = retain_input if layer == 0 else retain_hidden
        kept = int(np.sum(mask))
        probability *= retain**kept * (1.0 - retain) ** (len(mask) - kept)
    return probability


def _scale_text(scale: float) -> str:
    if scale == 0:
        return "×0"
    return f"×{scale:.2f}".rstrip("0").rstrip(".")


def _layer_names(count: int) -> list[str]:
    hidden = [f"hidden {i}" for i in range(1, count - 1)] if count > 2 else []
    return ["inputs", *hidden, "outputs"]


# --- labels drawn as outlines -------------------------------------------------------------


class PathLabels:
    """Many short labels drawn as one collection of glyph outlines.

    Positions are in data coordinates, glyphs keep their size in points (like
    scatter markers), and redrawing the whole set costs about as much as one
    text artist, which keeps a panel's updates quick. Text may hold line
    breaks; lines are centred on the position. Lines wider than ``max_width``
    points are shrunk to fit (labels inside markers).
    """

    def __init__(
        self,
        ax,
        fontsize: float = 10,
        zorder: float = 4,
        align: str = "center",
        max_width: float | None = None,
    ):
        self.fontsize = float(fontsize)
        self.align = align
        self.max_width = max_width
        points_to_pixels = Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans
        self.collection = PathCollection(
            [],
            offsets=np.zeros((0, 2)),
            offset_transform=ax.transData,
            transform=points_to_pixels,
            linewidths=0,
            zorder=zorder,
        )
        ax.add_collection(self.collection, autolim=False)

    def set(self, texts, positions, colors="black", bold=False) -> None:
        """Write ``texts`` at ``positions`` (N, 2); ``colors``, ``bold``: one or one each."""
        texts = list(texts)
        bolds = [bold] * len(texts) if isinstance(bold, bool | np.bool_) else list(bold)
        paths = [
            viz.glyph_block(text, self.fontsize, bool(b), self.align, self.max_width)
            for text, b in zip(texts, bolds)
        ]
        self.collection.set_paths(paths)
        self.collection.set_offsets(np.asarray(positions, dtype=float).reshape(-1, 2))
        self.collection.set_facecolors(colors)


# --- the thinned network ----------------------------------------------------------------

_UNIT_MARKER = MarkerStyle(
    Path(Path.unit_circle().vertices * (1.0, 1.0 / NODE_ASPECT), Path.unit_circle().codes)
)


class ThinnedNetworkView:
    """A fully connected network with the dropped units greyed and their edges removed.

    ``ax``: a matplotlib Axes; ``layer_sizes``: units per layer, inputs first
    (default :data:`NETWORK`). Call :meth:`show` to draw one setting; the
    artists are updated, not rebuilt, and the axes limits never change, so a
    panel may pass :attr:`artists` and redraw only them.

    Kept units carry the factor their output is multiplied by (``×2`` for a
    kept hidden unit of inverted dropout with p = 0.5), dropped units ``×0``.
    Units are ellipses ``sqrt(node_size)`` points wide (scatter's ``s``) and
    :data:`NODE_ASPECT` times less tall.
    Under each layer a line counts its kept units; with ``title=True`` a line
    above the network counts the possible thinned networks.
    """

    def __init__(
        self,
        ax,
        layer_sizes=NETWORK,
        *,
        fontsize: float = 10,
        node_size: float = 2000,
        title: bool = True,
    ):
        self.ax = ax
        self.layer_sizes = _layer_sizes(layer_sizes)
        tallest = max(self.layer_sizes)
        layers = len(self.layer_sizes)
        self.positions = [
            np.column_stack([np.full(n, float(layer)), (n - 1) / 2 - np.arange(n)])
            for layer, n in enumerate(self.layer_sizes)
        ]
        self.edges = LineCollection(
            [], colors=EDGE_COLOUR, linewidths=1.1, alpha=0.55, zorder=1, capstyle="round"
        )
        ax.add_collection(self.edges, autolim=False)
        self.nodes = ax.scatter(
            *np.concatenate(self.positions).T,
            s=node_size,
            marker=_UNIT_MARKER,
            linewidths=1.4,
            zorder=3,
        )
        self.unit_labels = PathLabels(ax, fontsize - 1, max_width=0.84 * np.sqrt(node_size))
        self.count_labels = PathLabels(ax, fontsize, zorder=4)
        self.names = _layer_names(layers)
        bottom = -(tallest - 1) / 2 - 0.8
        self.count_positions = np.column_stack([np.arange(layers), np.full(layers, bottom - 0.55)])
        for layer, name in enumerate(self.names):
            ax.text(layer, bottom, name, ha="center", va="center", fontsize=fontsize)
        top = (tallest - 1) / 2 + 0.85
        self.title_position = ((layers - 1) / 2, top)
        self.show_title = bool(title)
        ax.set_xlim(-0.55, layers - 0.45)
        ax.set_ylim(bottom - 1.0, top + (0.5 if title else -0.2))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)

    @property
    def artists(self) -> list:
        """Every artist :meth:`show` changes (for a panel's ``artists``)."""
        return [
            self.edges,
            self.nodes,
            self.unit_labels.collection,
            self.count_labels.collection,
        ]

    def show(self, retain_input, retain_hidden, seed=0, mode="inverted", phase="training") -> dict:
        """Draw one thinned network (training) or the full, rescaled one (test).

        Returns the facts the drawing shows: ``kept`` (kept units per
        droppable layer), ``kept_total``, ``droppable``, ``count`` (2^n
        thinned networks), ``probability`` (of drawing this mask) and
        ``expected_kept`` (the mean number of kept units).
        """
        masks = sample_masks(self.layer_sizes, retain_input, retain_hidden, seed)
        scales = unit_scales(masks, retain_input, retain_hidden, mode, phase)
        probability = mask_probability(masks, retain_input, retain_hidden)
        if phase == "test":
            masks = [np.ones_like(mask) for mask in masks]
        kept = [mask.astype(bool) for mask in masks]

        segments = []
        for layer in range(len(self.layer_sizes) - 1):
            sources = self.positions[layer][kept[layer]]
            targets = self.positions[layer + 1][kept[layer + 1]]
            if len(sources) and len(targets):
                segments.append(
                    np.stack(
                        [
                            np.repeat(sources, len(targets), axis=0),
                            np.tile(targets, (len(sources), 1)),
                        ],
                        axis=1,
                    )
                )
        self.edges.set_segments(np.concatenate(segments) if segments else np.zeros((0, 2, 2)))

        faces, outlines = [], []
        last = len(self.layer_sizes) - 1
        for layer, layer_kept in enumerate(kept):
            role = viz.INPUT if layer == 0 else viz.OUTPUT if layer == last else HIDDEN_FACE
            faces += [role if k else DROPPED_FACE for k in layer_kept]
            outlines += ["black" if k else viz.MUTED for k in layer_kept]
        self.nodes.set_facecolors(faces)
        self.nodes.set_edgecolors(outlines)

        flat_kept = np.concatenate(kept[:-1])
        self.unit_labels.set(
            [_scale_text(float(s)) for s in np.concatenate(scales[:-1])],
            np.concatenate(self.positions[:-1]),
            ["black" if k else DROPPED_TEXT for k in flat_kept],
            bold=flat_kept,
        )

        droppable = droppable_units(self.layer_sizes)
        count = thinned_network_count(self.layer_sizes)
        kept_total = int(flat_kept.sum())
        if phase == "test":
            counts = [f"all {k.size} present" for k in kept[:-1]] + ["always kept"]
        else:
            counts = [f"{int(k.sum())} of {k.size} kept" for k in kept[:-1]] + ["always kept"]
        positions = list(self.count_positions)
        if self.show_title:
            counts.append(
                f"test time: the full network, all {droppable} units"
                if phase == "test"
                else f"one of 2^{droppable} = {count:,} thinned networks"
            )
            positions.append(self.title_position)
        self.count_labels.set(counts, positions)
        expected = retain_input * self.layer_sizes[0] + retain_hidden * sum(self.layer_sizes[1:-1])
        return {
            "kept": [int(k.sum()) for k in kept[:-1]],
            "kept_total": kept_total,
            "droppable": droppable,
            "count": count,
            "probability": probability,
            "expected_kept": expected,
        }


def draw_thinned_network(
    ax,
    retain_input=0.8,
    retain_hidden=0.5,
    seed=0,
    mode="inverted",
    phase="training",
    layer_sizes=NETWORK,
    **kwargs,
) -> dict:
    """One-shot :class:`ThinnedNetworkView` (for static figures); returns its facts."""
    return ThinnedNetworkView(ax, layer_sizes, **kwargs).show(
        retain_input, retain_hidden, seed, mode, phase
    )


# --- a toy data set -----------------------------------------------------------------------


def two_moons(n, noise=0.3, rng=None, dtype=np.float64):
    """Two interleaved half circles in the plane, with Gaussian noise: a tiny data set to over-fit.

    n: number of points; each gets class 0 (upper moon) or 1 (lower moon)
    with equal probability. noise: standard deviation of the noise added to
    each coordinate. Returns ``(points (n, 2), labels (n,) int64)``, centred
    near the origin.

    >>> points, labels = two_moons(5, noise=0.0, rng=0)
    >>> points.shape, labels.tolist()
    ((5, 2), [1, 1, 1, 0, 0])
    """
    n = as_int(n, "n", 1)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    generator = as_generator(rng)
    labels = generator.integers(0, 2, n)
    angle = generator.uniform(0.0, np.pi, n)
    upper = labels == 0
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle)) - 0.5
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle)) - 0.25
    points = np.column_stack([x, y]) + noise * generator.standard_normal((n, 2))
    return points.astype(dtype), labels.astype(np.int64)


# --- static figures -----------------------------------------------------------------------


def draw_gap_curves(ax, train_loss, val_loss, title=None, ylim=None) -> float:
    """Training and validation loss per epoch, with the gap between them shaded.

    train_loss, val_loss: (epochs,) losses measured in eval mode. Draws on a
    log scale; returns the gap (validation minus training) at the last epoch.
    """
    train_loss = as_array(train_loss, "train_loss", 1)
    val_loss = as_array(val_loss, "val_loss", 1)
    if train_loss.shape != val_loss.shape or train_loss.size == 0:
        raise ValueError(
            f"train_loss and val_loss must have the same non-zero length, got "
            f"{train_loss.size} and {val_loss.size}"
        )
    epochs = np.arange(1, train_loss.size + 1)
    ax.fill_between(epochs, train_loss, val_loss, color=viz.KERNEL, alpha=0.25, lw=0, label="gap")
    # Not by colour alone: solid with circles against dashed with squares,
    # and each curve named at its last epoch.
    every = max(1, epochs.size // 8)
    ax.plot(
        epochs,
        train_loss,
        color=viz.ACCENT,
        lw=2,
        ls="-",
        marker="o",
        ms=4,
        markevery=every,
        label="training set",
    )
    ax.plot(
        epochs,
        val_loss,
        color=viz.HIGHLIGHT,
        lw=2,
        ls="--",
        marker="s",
        ms=4,
        markevery=every,
        label="validation set",
    )
    for values, name, colour in (
        (train_loss, "training", viz.ACCENT),
        (val_loss, "validation", viz.HIGHLIGHT),
    ):
        ax.annotate(
            name,
            (epochs[-1], values[-1]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            color=colour,
            fontsize=9,
            fontweight="bold",
            annotation_clip=False,
        )
    viz.plain_log_axis(ax.yaxis, subs=(1.0, 3.0))
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss (eval mode)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    gap = float(val_loss[-1] - train_loss[-1])
    if title:
        ax.set_title(f"{title}\nfinal gap {gap:.2f}")
    return gap


def draw_decision_regions(ax, probability, extent, points, labels, title=None):
    """A classifier's P(class 1) over the plane, its 0.5 boundary and the training points.

    probability: (rows, cols) P(class 1) on a grid covering ``extent`` =
    (xmin, xmax, ymin, ymax), row 0 at ymin. Drawn with the diverging map
    centred on 0.5 (blue: class 0, red: class 1). points (N, 2), labels (N,).
    """
    probability = as_array(probability, "probability", 2)
    points = as_array(points, "points", 2)
    labels = np.asarray(labels)
    xmin, xmax, ymin, ymax = extent
    ax.imshow(
        probability - 0.5,
        extent=extent,
        origin="lower",
        cmap=viz.DIVERGING,
        vmin=-0.5,
        vmax=0.5,
        alpha=0.75,
        interpolation="bilinear",
        aspect="auto",
    )
    xs = np.linspace(xmin, xmax, probability.shape[1])
    ys = np.linspace(ymin, ymax, probability.shape[0])
    ax.contour(xs, ys, probability, levels=[0.5], colors="black", linewidths=1.5)
    for label, color, marker in ((0, viz.ACCENT, "o"), (1, viz.HIGHLIGHT, "s")):
        chosen = labels == label
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=28,
            c=color,
            marker=marker,
            edgecolors="black",
            linewidths=0.6,
            label=f"class {label}",
        )
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    if title:
        ax.set_title(title)


def draw_monte_carlo(ax_accuracy, ax_agreement, samples, mc_accuracy, scaled_accuracy, agreement):
    """How averaging more thinned networks approaches the weight-scaled network.

    samples: (K,) numbers of thinned networks averaged; mc_accuracy: (K,)
    validation accuracy of each average; scaled_accuracy: one number (the
    full network, weights scaled); agreement: (K,) fraction of examples on
    which the average and the scaled network predict the same class.
    """
    samples = as_array(samples, "samples", 1)
    for ax in (ax_accuracy, ax_agreement):
        viz.plain_log_axis(ax.xaxis, ticks=samples)
        ax.set_xlabel("thinned networks averaged")
        ax.grid(True, alpha=0.3)
    ax_accuracy.plot(samples, mc_accuracy, "o-", color=viz.ACCENT, label="Monte-Carlo average")
    ax_accuracy.axhline(
        scaled_accuracy, color=viz.OUTPUT, lw=2, ls="--", label="weight scaling (one pass)"
    )
    low = min(float(np.min(mc_accuracy)), float(scaled_accuracy))
    high = max(float(np.max(mc_accuracy)), float(scaled_accuracy))
    ax_accuracy.set_ylim(low - 0.03, high + 0.02)
    ax_accuracy.set_ylabel("validation accuracy")
    ax_accuracy.set_title("accuracy")
    ax_accuracy.legend(loc="lower right", fontsize=9)
    ax_agreement.plot(samples, agreement, "o-", color=viz.HIGHLIGHT)
    ax_agreement.set_ylabel("same class as weight scaling")
    ax_agreement.set_ylim(min(0.8, float(np.min(agreement)) - 0.02), 1.005)
    ax_agreement.set_title("agreement with weight scaling")


def draw_face_outputs(ax, outputs, weights_name, full_output):
    """How often each input value reaches a 'face' unit over all thinned networks.

    outputs: (2^n,) the unit's input in each thinned network (each equally
    likely); full_output: its input in the full network. Bars give the
    fraction of thinned networks per value; the dashed line marks the mean.
    """
    outputs = as_array(outputs, "outputs", 1)
    values, counts = np.unique(outputs, return_counts=True)
    fractions = counts / outputs.size
    colors = [viz.MUTED if v == 0 else viz.ACCENT for v in values]
    ax.bar(values, fractions, width=0.6, color=colors, edgecolor="black")
    mean = float(outputs.mean())
    ax.axvline(
        mean, color=viz.HIGHLIGHT, ls="--", lw=2, label=f"mean {mean:g} = p × {full_output:g}"
    )
    ax.set_xticks(np.arange(0, full_output + 1))
    ax.set_xlim(-0.6, full_output + 0.6)
    ax.set_ylim(0, 0.6)
    ax.set_xlabel("input to the face unit")
    ax.set_ylabel("share of thinned networks")
    ax.set_title(weights_name)
    ax.legend(loc="upper right", fontsize=9)


def draw_next_layer_inputs(ax, values, test_value, title=None):
    """The input a next-layer unit receives over many dropout masks, and at test time.

    values: (S,) one value per sampled mask (only finitely many thinned
    networks exist, so the values repeat); test_value: the deterministic
    test-time value. Each distinct value gets a bar as tall as its share of
    the masks; a dashed line marks the average over the masks, a solid one the
    test-time value: in expectation they agree.
    """
    values = as_array(values, "values", 1)
    distinct, counts = np.unique(np.round(values, 9), return_counts=True)
    shares = counts / values.size
    width = 0.02 * max(float(np.ptp(distinct)), 1e-9)
    ax.bar(distinct, shares, width=width, color=viz.INPUT, edgecolor=viz.ACCENT, lw=0.8)
    mean = float(values.mean())
    ax.axvline(test_value, color=viz.OUTPUT, lw=3, label=f"test time {test_value:.3f}")
    ax.axvline(mean, color=viz.HIGHLIGHT, lw=2, ls="--", label=f"mean over masks {mean:.3f}")
    ax.set_ylim(0, 1.45 * float(shares.max()))
    ax.set_xlabel("input of the next unit")
    ax.set_ylabel("share of masks")
    ax.legend(loc="upper left", fontsize=9, ncols=2)
    if title:
        ax.set_title(title)


__all__ = [
    "NETWORK",
    "MODES",
    "PHASES",
    "droppable_units",
    "thinned_network_count",
    "sample_masks",
    "unit_scales",
    "mask_probability",
    "PathLabels",
    "ThinnedNetworkView",
    "draw_thinned_network",
    "two_moons",
    "draw_gap_curves",
    "draw_decision_regions",
    "draw_monte_carlo",
    "draw_face_outputs",
    "draw_next_layer_inputs",
]
