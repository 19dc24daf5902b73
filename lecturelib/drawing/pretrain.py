"""Figures for notebook 11 (pretraining and fine-tuning).

In the collection's vocabulary (:mod:`lecturelib.drawing.figures`): weights (filters)
are signed, so they use the diverging colour map centred on zero; digits
are dark ink on white; series of results are told apart by line style and
marker as well as by colour.

- :func:`filter_mosaic` / :func:`draw_filters`: the weights into each hidden
  unit, reshaped to 8 x 8, as one mosaic (each filter scaled to its own
  largest |weight|, so that its shape shows);
- :func:`digit_pairs`: originals above their reconstructions, as one mosaic;
- :class:`CodeSizeView`: an autoencoder's reconstructions and filters for one
  code size (the panel and its static companion draw with it);
- :func:`draw_accuracy_spread`: accuracy against labelled examples, one line
  per method (the mean over seeds) with every seed as a dot;
- :class:`TransferView`: fine-tuning with k frozen layers against training
  from scratch, for one number of labelled examples;
- :class:`CodeSizePanel` and :class:`TransferPanel`: the notebook's panels
  around those views (the notebook passes the models' results).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array
from . import figures as viz
from .panel import Panel
from .training import DIGIT_CMAP, _bare, _colormap, tile_maps

#: Line style and marker of each series, so that no series is told by colour alone.
STYLES = [
    {"color": viz.MUTED, "linestyle": "--", "marker": "o"},
    {"color": viz.ACCENT, "linestyle": "-", "marker": "s"},
    {"color": viz.HIGHLIGHT, "linestyle": "-.", "marker": "^"},
    {"color": viz.OUTPUT, "linestyle": ":", "marker": "D"},
    {"color": viz.KERNEL, "linestyle": (0, (5, 1)), "marker": "v"},
]


def filter_mosaic(filters, columns=8, slots=None, side=8) -> np.ndarray:
    """Filters (K, side * side) as a mosaic of side x side tiles, each scaled to [-1, 1].

    slots: draw room for this many tiles (the rest NaN), so that mosaics of
    different K have one shape. Returns the mosaic array (NaN between tiles).

    >>> filter_mosaic(np.ones((3, 4)), columns=3, side=2).shape
    (4, 10)
    """
    filters = as_array(filters, "filters", 2)
    if filters.shape[1] != side * side:
        raise ValueError(f"filters must have {side * side} weights each, got shape {filters.shape}")
    scale = np.abs(filters).max(axis=1, keepdims=True)
    scaled = filters / np.where(scale > 0, scale, 1.0)
    slots = len(filters) if slots is None else max(slots, len(filters))
    tiles = np.full((slots, side, side), np.nan)
    tiles[: len(filters)] = scaled.reshape(-1, side, side)
    return tile_maps(tiles, columns=columns)


def draw_filters(ax, filters, columns=8, slots=None, title=None):
    """Draw :func:`filter_mosaic` with the diverging map (red +, blue -); returns the image."""
    mosaic = filter_mosaic(filters, columns, slots)
    image = ax.imshow(mosaic, cmap=_colormap(viz.DIVERGING), vmin=-1, vmax=1)
    _bare(ax)
    if title:
        ax.set_title(title)
    return image


def digit_pairs(originals, reconstructions) -> np.ndarray:
    """Originals (n, 64) in the top row, their reconstructions (n, 64) below, one mosaic."""
    originals = as_array(originals, "originals", 2)
    reconstructions = as_array(reconstructions, "reconstructions", 2)
    if originals.shape != reconstructions.shape:
        raise ValueError(
            f"originals {originals.shape} and reconstructions {reconstructions.shape} differ"
        )
    n = len(originals)
    tiles = np.concatenate([originals, reconstructions]).reshape(2 * n, 8, 8)
    return tile_maps(tiles, columns=n)


class CodeSizeView:
    """Reconstructions (top: originals, bottom: reconstructions) and encoder filters.

    ``axes``: two Axes. ``update(originals, reconstructions, filters, title)``
    changes the pixels only, so the panel can blit; room is kept for up to
    ``max_filters`` filters.
    """

    def __init__(self, axes, count, max_filters=32, columns=8):
        self.columns, self.max_filters = columns, max_filters
        blank = np.zeros((count, 64))
        self.pairs = axes[0].imshow(
            digit_pairs(blank, blank), cmap=_colormap(DIGIT_CMAP), vmin=0, vmax=1
        )
        axes[0].set_ylabel("original\n\nreconstruction", fontsize=10)
        axes[0].set_xticks([])
        axes[0].set_yticks([])
        self.filters = draw_filters(axes[1], np.zeros((1, 64)), columns, max_filters)
        axes[1].set_title("encoder filters (each scaled to its largest |weight|)", fontsize=10)
        self.title = axes[0].set_title(" ")
        self.artists = [self.pairs, self.filters, self.title]

    def update(self, originals, reconstructions, filters, title):
        self.pairs.set_data(digit_pairs(originals, reconstructions))
        self.filters.set_data(filter_mosaic(filters, self.columns, self.max_filters))
        self.title.set_text(title)


def draw_accuracy_spread(ax, counts, results, names=None, ylabel="test accuracy"):
    """Accuracy against labelled examples per class: mean line per method, a dot per seed.

    counts: (C,) labelled examples per class; results: dict name -> (C, seeds)
    accuracies. The x axis is logarithmic. Returns the line artists.
    """
    counts = np.asarray(counts)
    names = list(results) if names is None else names
    lines = []
    for index, name in enumerate(names):
        values = np.asarray(results[name])
        style = STYLES[index % len(STYLES)]
        offset = counts * (1 + 0.04 * (index - (len(names) - 1) / 2))  # keep dots apart
        for column in values.T:
            ax.plot(
                offset,
                column,
                linestyle="none",
                marker=style["marker"],
                color=style["color"],
                alpha=0.35,
                markersize=4,
            )
        (line,) = ax.plot(counts, values.mean(axis=1), label=name, linewidth=2, **style)
        lines.append(line)
    ax.set_xscale("log")
    ax.set_xticks(counts)
    ax.set_xticklabels([str(c) for c in counts])
    ax.set_xlabel("labelled examples per class")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="lower right")
    return lines


class TransferView:
    """Fine-tuning with k frozen layers against scratch, at one number of labels.

    Left: mean test accuracy against labelled examples per class for
    scratch (grey, dashed, circles) and the chosen k (blue, solid, squares),
    the chosen number of labels marked. Right: every seed's accuracy at
    that number of labels, scratch and transfer joined by a line per seed.
    """

    def __init__(self, axes, counts, scratch, limits=(0.4, 1.0)):
        self.counts = np.asarray(counts)
        self.scratch = np.asarray(scratch)
        left, right = axes
        self.scratch_line = left.plot(
            self.counts, self.scratch.mean(1), label="from scratch", linewidth=2, **STYLES[0]
        )[0]
        self.transfer_line = left.plot(
            self.counts, self.scratch.mean(1), label="transferred", linewidth=2, **STYLES[1]
        )[0]
        self.marker = left.axvline(self.counts[0], color=viz.KERNEL, linewidth=6, alpha=0.3)
        left.set_xscale("log")
        left.set_xticks(self.counts)
        left.set_xticklabels([str(c) for c in self.counts])
        left.set_ylim(*limits)
        left.set_xlabel("labelled examples per class (digits 5-9)")
        left.set_ylabel("test accuracy (mean over seeds)")
        left.grid(alpha=0.3)
        left.legend(loc="lower right", fontsize=9)
        seeds = self.scratch.shape[1]
        self.pairs = [
            right.plot([0, 1], [0, 0], color=viz.MUTED, linewidth=1)[0] for _ in range(seeds)
        ]
        self.scratch_dots = right.plot(
            np.zeros(seeds),
            np.zeros(seeds),
            linestyle="none",
            markersize=8,
            **{k: v for k, v in STYLES[0].items() if k != "linestyle"},
        )[0]
        self.transfer_dots = right.plot(
            np.ones(seeds),
            np.zeros(seeds),
            linestyle="none",
            markersize=8,
            **{k: v for k, v in STYLES[1].items() if k != "linestyle"},
        )[0]
        right.set_xlim(-0.5, 1.5)
        right.set_ylim(*limits)
        right.set_xticks([0, 1])
        right.set_xticklabels(["scratch", "transferred"])
        right.set_ylabel("test accuracy of each seed")
        right.grid(alpha=0.3, axis="y")
        self.title = right.set_title(" ", fontsize=10)
        self.artists = [
            self.transfer_line,
            self.marker,
            left.get_legend(),  # the marker passes under it at the largest counts
            *self.pairs,
            self.scratch_dots,
            self.transfer_dots,
            self.title,
        ]

    def update(self, index, transfer, label):
        """Show row ``index`` of the counts; transfer: (C, seeds) accuracies."""
        transfer = np.asarray(transfer)
        self.transfer_line.set_ydata(transfer.mean(1))
        self.transfer_line.set_label(label)
        count = self.counts[index]
        self.marker.set_xdata([count, count])
        for seed, line in enumerate(self.pairs):
            line.set_ydata([self.scratch[index, seed], transfer[index, seed]])
        self.scratch_dots.set_ydata(self.scratch[index])
        self.transfer_dots.set_ydata(transfer[index])
        self.title.set_text(f"{count} per class: {label}")


# --- panel builders (plumbing-b): the notebook's panels, minus the lesson -------------------


class CodeSizePanel(Panel):
    """The code-size panel of notebook 11: reconstructions and filters of one autoencoder.

    ``controls`` must hold ``code_size``. ``reconstruct(code_size)`` is the
    lesson: it returns ``(reconstructions, filters)``, the ``originals``
    (N, 64) as the autoencoder with that code size reconstructs them, and its
    encoder filters (code_size, 64). ``errors`` and ``saturated`` map each
    code size to its test reconstruction error and its number of saturated
    code units; ``average_error`` is the error of the average image. They
    are quoted under the figure (:class:`CodeSizeView`).
    """

    def __init__(
        self,
        controls: dict,
        reconstruct,
        originals,
        *,
        errors: dict,
        average_error: float,
        saturated: dict,
        max_filters: int = 32,
        caption: str = "",
    ):
        figure, axes = viz.new_figure(10.5, 3.0, 1, 2, width_ratios=(1.4, 1))
        self.originals = np.asarray(originals)
        self.view = CodeSizeView(axes, len(self.originals), max_filters=max_filters)
        self.reconstruct = reconstruct
        self.errors, self.average_error, self.saturated = errors, average_error, saturated
        super().__init__(controls, self.draw, figure, artists=self.view.artists, caption=caption)

    def draw(self, code_size) -> str:
        reconstructions, filters = self.reconstruct(code_size)
        error = self.errors[code_size]
        title = f"code of {code_size} units: test error {error:.3f}"
        self.view.update(self.originals, reconstructions, filters, title)
        return (
            f"64 pixels squeezed into {code_size} numbers ({64 // code_size} times fewer): "
            f"test reconstruction error {error:.3f} "
            f"(the average image gives {self.average_error:.3f}); "
            f"{self.saturated[code_size]} of the {code_size} code units are saturated"
        )


class TransferPanel(Panel):
    """The transfer panel of notebook 11: fine-tuning with k frozen blocks against scratch.

    ``controls`` must hold ``labelled_per_class`` (one of ``counts``) and
    ``frozen_blocks`` (a key of ``names``). ``results`` maps each variant's
    name to its test accuracies (len(counts), seeds), trained in the
    notebook (the lesson); ``names`` maps k to the name of the variant with k
    frozen blocks, and ``results[scratch]`` is training from scratch. The
    figure is :class:`TransferView`; the line under it compares the two.
    """

    def __init__(
        self,
        controls: dict,
        results: dict,
        counts,
        names: dict,
        *,
        scratch: str = "from scratch",
        caption: str = "",
    ):
        figure, axes = viz.new_figure(9.5, 3.4, 1, 2, width_ratios=(1.5, 1))
        self.results, self.counts, self.names = results, list(counts), names
        self.scratch = np.asarray(results[scratch])
        self.view = TransferView(axes, self.counts, self.scratch)
        super().__init__(controls, self.draw, figure, artists=self.view.artists, caption=caption)

    def draw(self, labelled_per_class, frozen_blocks) -> str:
        name = self.names[frozen_blocks]
        row = self.counts.index(labelled_per_class)
        transfer, scratch = np.asarray(self.results[name]), self.scratch
        self.view.update(row, transfer, name)
        better = int(np.sum(transfer[row] - scratch[row] > 0))
        return (
            f"{labelled_per_class} labelled image(s) per digit, {name}: accuracy "
            f"{transfer[row].mean():.2f} ± {transfer[row].std():.2f} against "
            f"{scratch[row].mean():.2f} ± {scratch[row].std():.2f} from scratch; "
            f"transfer is ahead for {better} of {scratch.shape[1]} seeds"
        )


__all__ = [
    "STYLES",
    "filter_mosaic",
    "draw_filters",
    "digit_pairs",
    "CodeSizeView",
    "draw_accuracy_spread",
    "TransferView",
    "CodeSizePanel",
    "TransferPanel",
]
