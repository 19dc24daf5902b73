"""Figures for notebook 09 (learning the kernels: training a CNN).

Everything is drawn in the collection's vocabulary (:mod:`lecturelib.drawing.figures`):
kernels, gradients and feature maps are signed, so they use the diverging
colour map centred on zero (red positive, blue negative, white zero); the
window a kernel covers is outlined in :data:`~lecturelib.drawing.figures.KERNEL`; the
true class is :data:`~lecturelib.drawing.figures.OUTPUT` and a wrong prediction
:data:`~lecturelib.drawing.figures.HIGHLIGHT`. Handwritten digits are shown as dark
ink on white.

- :func:`tile_maps`: a stack of feature maps laid out as one mosaic image;
- :func:`layer_outputs`: every layer's output of a model, for drawing;
- :class:`FeatureMapView`: every layer's feature maps of one image and its
  class probabilities, updated in place (the notebook's panel and its static
  companion both draw with it);
- :func:`feature_map_figure`, :func:`draw_feature_map_examples`: the
  panel's figure and its static companion (the same figure for a few images);
- :class:`KernelFitView`: a 3 x 3 kernel learnt by gradient descent, its
  output and its loss curve, at one step of the descent;
- :func:`draw_kernel` (one kernel, values written in) and
  :func:`draw_kernel_grid` (many kernels as one mosaic);
- :func:`draw_gradient_scatter`: the gradient with respect to a
  convolution's input, as every output handing back its share;
- :func:`draw_learning_curves`, :func:`draw_digits`, :func:`draw_mistakes`,
  :func:`draw_search_layouts`: learning curves, galleries of digits and of
  misclassified digits, grid against random search.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import PathPatch

from .._checks import as_array, as_int
from ..losses import softmax
from . import figures as viz
from .figures import text_path
from .panel import Panel

#: Colour of the lines between tiled feature maps (and of missing values).
GAP_COLOR = "#4D4D4D"
#: Colour map of handwritten digits: dark ink on white paper.
DIGIT_CMAP = "gray_r"

_LAYER_NAMES = {
    "Conv2d": "conv",
    "ReLU": "ReLU",
    "MaxPool2d": "max pool",
    "AvgPool2d": "avg pool",
    "Flatten": "flatten",
    "Linear": "dense",
    "Dropout": "dropout",
}


def _colormap(name: str, bad: str = GAP_COLOR):
    """A copy of a matplotlib colour map that draws missing values (NaN) in ``bad``."""
    import matplotlib as mpl

    return mpl.colormaps[name].with_extremes(bad=bad)


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


# --- feature maps -------------------------------------------------------------------------


def tile_maps(maps, columns=None, gap: int = 1) -> np.ndarray:
    """Lay out C feature maps of H x W as one mosaic, with NaN lines between and around them.

    maps: (..., C, H, W), any leading axes (a batch of images); columns: maps
    per row of the mosaic (default: all in one row); gap: width of the
    separating lines in pixels. Returns (..., rows * H + (rows + 1) * gap,
    columns * W + (columns + 1) * gap) with rows = ceil(C / columns), filled
    row by row; the lines and unused tiles are NaN (drawn in
    :data:`GAP_COLOR`).

    >>> mosaic = tile_maps(np.arange(8.0).reshape(2, 2, 2), columns=2)
    >>> mosaic.shape
    (4, 7)
    >>> mosaic[1:3, 1:3]
    array([[0., 1.],
           [2., 3.]])
    >>> int(np.isnan(mosaic).sum())
    20
    """
    maps = as_array(maps, "maps")
    if maps.ndim < 3:
        raise ValueError(f"maps must have shape (..., C, H, W), got shape {maps.shape}")
    count, height, width = maps.shape[-3:]
    if count == 0:
        raise ValueError("maps must hold at least one feature map (C >= 1)")
    columns = count if columns is None else as_int(columns, "columns", 1)
    columns = min(columns, count)
    gap = as_int(gap, "gap", 0)
    rows = -(-count // columns)
    leading = maps.shape[:-3]
    mosaic = np.full(
        (*leading, rows * height + (rows + 1) * gap, columns * width + (columns + 1) * gap),
        np.nan,
        dtype=maps.dtype,
    )
    for k in range(count):
        r, c = divmod(k, columns)
        top, left = gap + r * (height + gap), gap + c * (width + gap)
        mosaic[..., top : top + height, left : left + width] = maps[..., k, :, :]
    return mosaic


def layer_outputs(model, images) -> list[tuple[str, np.ndarray]]:
    """The input and every layer's output of a Sequential model, in eval mode.

    model: a :class:`lecturelib.training.layers.Sequential`; images: (N, C, H, W).
    Returns a list of (name, array) pairs: ("input", images), then one pair per
    layer named by its kind and number ("conv 1", "ReLU 1", "max pool 1", ...,
    "dense 1"). The model's mode is restored afterwards.

    >>> from lecturelib.training.layers import Conv2d, Flatten, Linear, ReLU, Sequential
    >>> model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), Flatten(), Linear(8, 3, rng=0))
    >>> outputs = layer_outputs(model, np.zeros((5, 1, 4, 4)))
    >>> [name for name, _ in outputs]
    ['input', 'conv 1', 'ReLU 1', 'flatten 1', 'dense 1']
    >>> [out.shape for _, out in outputs]
    [(5, 1, 4, 4), (5, 2, 2, 2), (5, 2, 2, 2), (5, 8), (5, 3)]
    """
    images = as_array(images, "images", 4)
    if not hasattr(model, "layers"):
        raise TypeError(f"model must be a Sequential (with .layers), got {type(model).__name__}")
    was_training = model.training
    model.eval()
    outputs = [("input", images)]
    counts: dict[str, int] = {}
    try:
        x = images
        for layer in model.layers:
            x = layer.forward(x)
            kind = _LAYER_NAMES.get(type(layer).__name__, type(layer).__name__)
            counts[kind] = counts.get(kind, 0) + 1
            outputs.append((f"{kind} {counts[kind]}", x))
    finally:
        model.train(was_training)
    return outputs


def _stage_title(name: str, maps: np.ndarray) -> str:
    count, height, width = maps.shape[-3:]
    what = "map" if count == 1 else "maps"
    return f"{name}\n{count} {what} {height}×{width}"


#: Feature maps are enlarged (each value repeated) to about this many pixels a side,
#: so 8 x 8, 4 x 4 and 2 x 2 maps are drawn at a similar size; a lone map twice as large.
MAP_PIXELS = 16
#: Pixels between two stages in a row of feature maps.
STAGE_GAP = 14
#: Stages per row in the interactive panel: the input and block 1, then block 2.
PANEL_LAYOUT = ((0, 1, 2, 3), (4, 5, 6))


def _enlarge(maps: np.ndarray) -> np.ndarray:
    """Repeat every value of (N, C, H, W) maps so each map is about MAP_PIXELS a side."""
    count, height = maps.shape[1], maps.shape[2]
    target = 2 * MAP_PIXELS if count == 1 else MAP_PIXELS
    zoom = max(1, target // height)
    return np.repeat(np.repeat(maps, zoom, axis=2), zoom, axis=3)


class FeatureMapView:
    """Every layer's feature maps of one image, and its class probabilities.

    map_axes: one axes per row of ``layout``; bar_axes: the axes for the
    probabilities. outputs: :func:`layer_outputs` for a batch of N images;
    the image-shaped entries (the input and every 4-D layer output) are the
    stages, and the last entry must be the logits (N, K). labels: the true
    classes (N,). layout: which stages go in which row, by number
    (default :data:`PANEL_LAYOUT`). columns: maps per row in each stage's
    mosaic. titles: write each stage's name and shape above it, in
    ``fontsize`` points.

    Each conv layer's output is drawn with the diverging map centred on zero;
    the ReLU and pooling layers after it share its colour scale, so ReLU
    visibly turns the blue (negative) parts white and pooling keeps the
    reddest pixel of each window. The scale follows the image shown
    (``limits[conv name][index]``: the conv output's largest magnitude).

    All images are coloured once, when the view is made, and each row of
    stages is one picture, so :meth:`update` only copies pixels: it is fast
    enough for a slider. :attr:`artists` lists what it changes (pass them to
    a Panel as ``artists``).
    """

    def __init__(
        self,
        map_axes,
        bar_axes,
        outputs,
        labels,
        *,
        layout=PANEL_LAYOUT,
        columns: int = 4,
        titles: bool = True,
        fontsize: float = 10,
    ):
        stages = [(name, as_array(array, name)) for name, array in outputs if np.ndim(array) == 4]
        logits = as_array(outputs[-1][1], "the last output (logits)")
        if logits.ndim != 2:
            raise ValueError(f"the last output must be logits (N, K), got shape {logits.shape}")
        map_axes = list(np.ravel(map_axes))
        layout = [tuple(as_int(i, "stage", 0) for i in row) for row in layout]
        if len(map_axes) != len(layout):
            raise ValueError(
                f"map_axes must hold one axes per row of the layout ({len(layout)}), "
                f"got {len(map_axes)}"
            )
        placed = sorted(i for row in layout for i in row)
        if placed != list(range(len(stages))):
            raise ValueError(
                f"layout must place every stage 0..{len(stages) - 1} exactly once, got {layout}"
            )
        self.count = logits.shape[0]
        self.labels = np.asarray(labels)
        if self.labels.shape != (self.count,):
            raise ValueError(f"labels must have shape ({self.count},), got {self.labels.shape}")
        self.probabilities = softmax(logits.astype(np.float64))
        self.predictions = self.probabilities.argmax(axis=1)
        self.names = [name for name, _ in stages]

        # Colour groups: a conv layer and the layers after it share one scale,
        # its largest magnitude in the image shown (per image, so every image
        # uses the full range of colours).
        self.limits, group, groups = {}, None, []
        for name, array in stages:
            if name.startswith("conv"):
                group = name
                magnitude = np.abs(array).reshape(self.count, -1).max(axis=1)
                self.limits[name] = np.maximum(magnitude.astype(np.float64), 1e-12)
            groups.append(None if name == "input" else group)
        self.groups = groups

        # Every image's mosaics are coloured once, here (RGBA bytes).
        self._pixels = []
        digit_cmap, signed_cmap = _colormap(DIGIT_CMAP), _colormap(viz.DIVERGING)
        for (_, array), group in zip(stages, groups):
            mosaic = tile_maps(_enlarge(array), columns=min(columns, array.shape[1]))
            mosaic = mosaic.astype(np.float64)
            if group is None:
                colours = digit_cmap(np.clip(mosaic, 0.0, 1.0), bytes=True)
            else:
                limit = self.limits[group][:, None, None]
                colours = signed_cmap((mosaic / limit + 1.0) / 2.0, bytes=True)
            self._pixels.append(colours)

        # One transparent canvas per row; each stage has its place in it.
        self._rows = []
        self.images = []
        for ax, row in zip(map_axes, layout):
            height = max(self._pixels[i].shape[1] for i in row)
            width = sum(self._pixels[i].shape[2] for i in row) + STAGE_GAP * (len(row) - 1)
            canvas = np.zeros((height, width, 4), dtype=np.uint8)
            places, left = [], 0
            for i in row:
                h, w = self._pixels[i].shape[1:3]
                places.append((i, (height - h) // 2, left))
                if titles:  # a few points above the row, whatever the figure's size
                    ax.annotate(
                        _stage_title(*stages[i]),
                        xy=(left + w / 2 - 0.5, -0.5),
                        xytext=(0, 3),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=fontsize,
                        annotation_clip=False,
                    )
                left += w + STAGE_GAP
            self._rows.append((canvas, places))
            self.images.append(ax.imshow(canvas))
            _bare(ax)

        self.bar_axes = bar_axes
        classes = logits.shape[1]
        self.bars = bar_axes.bar(np.arange(classes), np.zeros(classes), color=viz.MUTED)
        bar_axes.set_ylim(0, 1.02)
        bar_axes.set_xlim(-0.6, classes - 0.4)
        bar_axes.set_xticks(np.arange(classes))
        bar_axes.tick_params(labelsize=9)
        if titles:
            bar_axes.set_title("softmax\nprobabilities", fontsize=fontsize)
        bar_axes.set_xlabel("digit", fontsize=9)
        self.update(0)

    @property
    def artists(self) -> list:
        return [*self.images, *self.bars.patches]

    def stage_pixels(self, stage, index) -> np.ndarray:
        """The RGBA picture (h, w, 4) of stage number ``stage`` for image ``index``."""
        return self._pixels[stage][index]

    def update(self, index) -> dict:
        """Show image ``index``; returns its label, prediction and probabilities."""
        index = as_int(index, "index", 0)
        if index >= self.count:
            raise ValueError(f"index must be < {self.count} (the number of images), got {index}")
        for image, (canvas, places) in zip(self.images, self._rows):
            for stage, down, left in places:
                pixels = self._pixels[stage][index]
                canvas[down : down + pixels.shape[0], left : left + pixels.shape[1]] = pixels
            image.set_data(canvas)
        label = int(self.labels[index])
        predicted = int(self.predictions[index])
        for digit, (bar, p) in enumerate(zip(self.bars.patches, self.probabilities[index])):
            bar.set_height(p)
            if digit == label:
                bar.set_color(viz.OUTPUT)
            elif digit == predicted:
                bar.set_color(viz.HIGHLIGHT)
            else:
                bar.set_color(viz.MUTED)
        return {
            "label": label,
            "predicted": predicted,
            "probability": float(self.probabilities[index, predicted]),
            "probabilities": self.probabilities[index],
        }


def _feature_map_axes(parent):
    """The panel's three axes in a Figure or SubFigure: (map_axes, bar_axes)."""
    grid = parent.add_gridspec(2, 2, width_ratios=(2.9, 1.0), height_ratios=(1.0, 1.25))
    map_axes = [parent.add_subplot(grid[0, :]), parent.add_subplot(grid[1, 0])]
    return map_axes, parent.add_subplot(grid[1, 1])


def feature_map_figure(width: float = 8.6, height: float = 4.0, pyplot: bool = False):
    """The figure of the interactive panel for :class:`FeatureMapView` (digit CNN).

    Top: the input and the first block (conv, ReLU, pool); bottom: the second
    block and the probabilities. Like :func:`lecturelib.drawing.figures.new_figure` the
    figure is not managed by pyplot unless ``pyplot=True`` (then
    ``plt.show()`` puts it in the notebook). Returns ``(figure, map_axes,
    bar_axes)`` with ``map_axes`` a list of two (one per row).
    """
    if pyplot:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=(width, height), layout="constrained")
    else:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(width, height), layout="constrained")
    map_axes, bar_axes = _feature_map_axes(figure)
    return figure, map_axes, bar_axes


def draw_feature_map_examples(outputs, labels, indices, *, ncols: int = 2, size=(6.3, 3.2)):
    """Static small multiples of the panel: the same figure for a few images.

    outputs, labels: as for :class:`FeatureMapView`; indices: the images to
    show, each in its own copy of the panel's layout (``ncols`` side by
    side, each ``size`` inches), drawn by the same view. Returns the pyplot
    figure.
    """
    import matplotlib.pyplot as plt

    indices = [as_int(i, "index", 0) for i in indices]
    if not indices:
        raise ValueError("indices must name at least one image")
    ncols = min(as_int(ncols, "ncols", 1), len(indices))
    nrows = -(-len(indices) // ncols)
    figure = plt.figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    parts = np.ravel(figure.subfigures(nrows, ncols, wspace=0.04, hspace=0.04))
    for part, index in zip(parts, indices):
        map_axes, bar_axes = _feature_map_axes(part)
        view = FeatureMapView(map_axes, bar_axes, outputs, labels, fontsize=9)
        facts = view.update(index)
        verdict = "right" if facts["predicted"] == facts["label"] else "wrong"
        part.suptitle(
            f"test image #{index}: a {facts['label']}, the network says "
            f"{facts['predicted']} ({verdict})",
            fontsize=11,
            color="black" if verdict == "right" else viz.HIGHLIGHT,
        )
    for part in parts[len(indices) :]:
        part.set_visible(False)
    return figure


# --- kernels ------------------------------------------------------------------------------


def draw_kernel(ax, kernel, *, title=None, limit=None, fmt="{:.2f}", fontsize=None):
    """One small kernel as coloured cells with its values written in (diverging, centred on 0).

    kernel: (KH, KW); limit: the colour scale runs from -limit to +limit
    (default: the kernel's largest magnitude). Returns the image artist.
    """
    kernel = as_array(kernel, "kernel", 2)
    norm = Normalize(-limit, limit) if limit is not None else viz.symmetric_norm(kernel)
    image = viz.show_matrix(
        ax, kernel, fmt=fmt, signed=True, norm=norm, title=title, fontsize=fontsize
    )
    return image


def draw_kernel_grid(ax, kernels, *, limit=None, columns=None):
    """Many small kernels as one mosaic in one axes, on a shared diverging colour scale.

    kernels: (F, 1, KH, KW) or (F, KH, KW) (first-layer kernels of a grey
    input); limit: the colour scale runs from -limit to +limit (default: the
    largest magnitude); columns: kernels per row (default: all in one row).
    Each kernel's number is written under it. Returns the image artist (for
    a colour bar).
    """
    kernels = as_array(kernels, "kernels", (3, 4))
    if kernels.ndim == 4:
        if kernels.shape[1] != 1:
            raise ValueError(
                f"kernels must have one input channel to be drawn flat, got shape {kernels.shape}"
            )
        kernels = kernels[:, 0]
    count, height, width = kernels.shape
    columns = count if columns is None else min(as_int(columns, "columns", 1), count)
    limit = float(np.abs(kernels).max()) if limit is None else float(limit)
    limit = max(limit, 1e-12)
    # Each weight becomes a 4 x 4 block of pixels, so the 1-pixel gaps stay thin.
    zoom = 4
    enlarged = np.repeat(np.repeat(kernels, zoom, axis=1), zoom, axis=2)
    image = ax.imshow(
        tile_maps(enlarged, columns=columns), cmap=_colormap(viz.DIVERGING), vmin=-limit, vmax=limit
    )
    _bare(ax)
    rows = -(-count // columns)
    if rows == 1:
        step = zoom * width + 1
        ax.set_xticks(1 + np.arange(count) * step + (zoom * width - 1) / 2, range(count))
        ax.tick_params(length=0, labelsize=9)
    return image


class KernelFitView:
    """A 3 x 3 kernel being learnt: its values, its output, and the loss so far.

    axes: four axes (kernel, learnt output, target output, loss curve).
    image: the (H, W) input; target: the (OH, OW) output the kernel should
    reproduce; max_steps: the x-range of the loss axes. :meth:`update` takes
    the kernel at one step, the whole loss curve and the step; the axes
    limits stay fixed, so :attr:`artists` can be blitted.
    """

    def __init__(self, axes, image, target, max_steps, *, kernel_limit=3.0, target_name="target"):
        from ..convolution import cross_correlate2d

        self._correlate = cross_correlate2d
        self.image = as_array(image, "image", 2)
        self.target = as_array(target, "target", 2)
        ax_kernel, ax_output, ax_target, ax_loss = list(np.ravel(axes))
        self.kernel_limit = float(kernel_limit)
        output_limit = float(np.abs(self.target).max())

        self.kernel_image = ax_kernel.imshow(
            np.zeros((3, 3)), cmap=viz.DIVERGING, vmin=-self.kernel_limit, vmax=self.kernel_limit
        )
        # The nine numbers are drawn as two outline paths (light cells, dark cells):
        # far cheaper to redraw than nine text artists.
        self.dark_numbers = PathPatch(text_path([], [], 0.2), facecolor="white", edgecolor="none")
        self.light_numbers = PathPatch(text_path([], [], 0.2), facecolor="black", edgecolor="none")
        ax_kernel.add_patch(self.dark_numbers)
        ax_kernel.add_patch(self.light_numbers)
        _bare(ax_kernel)
        ax_kernel.set_title("learnt kernel")

        self.output_image = ax_output.imshow(
            np.zeros_like(self.target), cmap=viz.DIVERGING, vmin=-output_limit, vmax=output_limit
        )
        _bare(ax_output)
        ax_output.set_title("its output")
        ax_target.imshow(self.target, cmap=viz.DIVERGING, vmin=-output_limit, vmax=output_limit)
        _bare(ax_target)
        ax_target.set_title(f"{target_name} output")

        (self.loss_line,) = ax_loss.semilogy([], [], color=viz.ACCENT, lw=2)
        (self.marker,) = ax_loss.semilogy([], [], "o", color=viz.HIGHLIGHT, ms=8)
        ax_loss.set_xlim(0, max_steps)
        ax_loss.set_ylim(1e-12, 1e6)
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("loss")
        ax_loss.set_title("loss")
        ax_loss.grid(True, alpha=0.3)

    @property
    def artists(self) -> list:
        return [
            self.kernel_image,
            self.dark_numbers,
            self.light_numbers,
            self.output_image,
            self.loss_line,
            self.marker,
        ]

    def update(self, kernel, losses, step) -> None:
        kernel = as_array(kernel, "kernel", 2)
        losses = np.asarray(losses, dtype=np.float64)
        self.kernel_image.set_data(kernel)
        labels = {True: ([], []), False: ([], [])}
        for (r, c), value in np.ndenumerate(kernel):
            dark = bool(abs(value) > 0.6 * self.kernel_limit)
            labels[dark][0].append(f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}")
            labels[dark][1].append((c, r))
        for dark, patch in ((True, self.dark_numbers), (False, self.light_numbers)):
            texts, centres = labels[dark]
            patch.set_path(text_path(texts, centres, height=0.2, max_width=0.9))
        self.output_image.set_data(self._correlate(self.image, kernel))
        steps = np.arange(losses.size)
        self.loss_line.set_data(steps, np.clip(losses, 1e-12, 1e12))
        if step < losses.size:
            self.marker.set_data([step], [max(losses[step], 1e-12)])
        else:
            self.marker.set_data([], [])


# --- backpropagation through a convolution ---------------------------------------------------


def draw_gradient_scatter(axes, grad_out, kernel) -> np.ndarray:
    """The gradient with respect to a convolution's input, built output by output.

    Output position k of a stride-1, unpadded convolution read the input
    window under the kernel, so it hands ``grad_out[k] * kernel`` back to that
    window. axes: one axes per output position plus one for the sum;
    grad_out: (OH, OW); kernel: (KH, KW). Returns the sum, the (OH + KH - 1,
    OW + KW - 1) gradient with respect to the input.
    """
    grad_out = as_array(grad_out, "grad_out", 2)
    kernel = as_array(kernel, "kernel", 2)
    (oh, ow), (kh, kw) = grad_out.shape, kernel.shape
    axes = list(np.ravel(axes))
    if len(axes) != oh * ow + 1:
        raise ValueError(f"axes must hold {oh * ow + 1} axes (one per output and the sum)")
    shares = np.zeros((oh * ow, oh + kh - 1, ow + kw - 1))
    for k in range(oh * ow):
        r, c = divmod(k, ow)
        shares[k, r : r + kh, c : c + kw] = grad_out[r, c] * kernel
    total = shares.sum(axis=0)
    norm = viz.symmetric_norm(np.concatenate([shares.ravel(), total.ravel()]))
    cmap = _colormap(viz.DIVERGING, bad=viz.PADDING)
    for k, ax in enumerate(axes[:-1]):
        r, c = divmod(k, ow)
        shown = np.full(total.shape, np.nan)
        shown[r : r + kh, c : c + kw] = shares[k, r : r + kh, c : c + kw]
        ax.imshow(shown, cmap=cmap, norm=norm)
        for i in range(kh):
            for j in range(kw):
                value = shown[r + i, c + j]
                shade = norm(value)
                colour = "white" if shade < 0.2 or shade > 0.8 else "black"
                ax.text(c + j, r + i, f"{value:.3f}", ha="center", va="center", color=colour)
        viz.outline_cells(ax, r, c, kh, kw, color=viz.KERNEL)
        _bare(ax)
        ax.set_title(f"o{k + 1} hands back δ{k + 1}·w", fontsize=11)
    viz.show_matrix(axes[-1], total, fmt="{:.3f}", signed=True, norm=norm, fontsize=10)
    axes[-1].set_title("sum: ∂L/∂x", fontsize=11)
    return total


# --- training -----------------------------------------------------------------------------


def draw_learning_curves(ax_loss, ax_accuracy, history) -> None:
    """Loss and accuracy per epoch, on the training and the validation set.

    history: a :class:`lecturelib.training.loop.History` (validation curves are
    drawn when it has them).
    """
    epochs = np.arange(1, history.epochs + 1)
    if epochs.size == 0:
        raise ValueError("history holds no epochs yet: train for at least one epoch")
    ax_loss.plot(epochs, history.train_loss, "o-", color=viz.ACCENT, label="training")
    ax_accuracy.plot(epochs, history.train_accuracy, "o-", color=viz.ACCENT, label="training")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s-", color=viz.HIGHLIGHT, label="validation")
        ax_accuracy.plot(
            epochs, history.val_accuracy, "s-", color=viz.HIGHLIGHT, label="validation"
        )
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_title("loss")
    ax_accuracy.set_xlabel("epoch")
    ax_accuracy.set_ylabel("accuracy")
    ax_accuracy.set_title("accuracy")
    ax_accuracy.set_ylim(0, 1.01)
    for ax in (ax_loss, ax_accuracy):
        ax.grid(True, alpha=0.3)
        ax.legend(loc="center right")


def draw_digits(axes, images, titles=None, colors=None) -> None:
    """8 x 8 digits (or any small grey images) as dark ink on white, one per axes.

    images: (N, 1, H, W) or (N, H, W); titles, colors: one per image (optional).
    """
    images = as_array(images, "images", (3, 4))
    if images.ndim == 4:
        images = images[:, 0]
    axes = list(np.ravel(axes))
    if len(axes) < len(images):
        raise ValueError(f"axes must hold at least {len(images)} axes, got {len(axes)}")
    for index, ax in enumerate(axes):
        if index >= len(images):
            ax.set_visible(False)
            continue
        ax.imshow(images[index], cmap=DIGIT_CMAP, vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color(viz.MUTED)
        if titles is not None:
            color = colors[index] if colors is not None else "black"
            ax.set_title(titles[index], fontsize=10, color=color)


def draw_mistakes(axes, images, labels, probabilities) -> np.ndarray:
    """The images a classifier gets wrong, each titled with its true and predicted class.

    images: (N, 1, H, W); labels: (N,); probabilities: (N, K). Draws the
    misclassified images in order (as many as there are axes) and returns
    the indices of all misclassified images.
    """
    images = as_array(images, "images", 4)
    probabilities = as_array(probabilities, "probabilities", 2)
    labels = np.asarray(labels)
    predictions = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predictions != labels)
    axes = list(np.ravel(axes))
    shown = wrong[: len(axes)]
    titles = [
        f"true {labels[i]}\nsaid {predictions[i]} ({probabilities[i, predictions[i]]:.0%})"
        for i in shown
    ]
    draw_digits(axes, images[shown], titles, colors=[viz.HIGHLIGHT] * len(shown))
    return wrong


def draw_search_layouts(ax_grid, ax_random, runs: int = 9, rng=0) -> dict:
    """Grid search against random search with the same budget of runs.

    Two hyperparameters: the learning rate (log scale, 1e-4 to 1: matters a
    lot) and a dropout probability (0 to 0.6: matters little here). The grid
    tries sqrt(runs) values of each; random search draws every run's values
    independently. Returns the learning rates tried by each, as
    ``{"grid": array, "random": array}``.
    """
    from .._checks import as_generator

    runs = as_int(runs, "runs", 1)
    side = int(round(np.sqrt(runs)))
    if side * side != runs:
        raise ValueError(f"runs must be a square number for a grid, got {runs}")
    generator = as_generator(rng)
    grid_lr, grid_p = np.meshgrid(np.logspace(-3, -1, side), np.linspace(0.1, 0.5, side))
    random_lr = 10 ** generator.uniform(-4, 0, runs)
    random_p = generator.uniform(0, 0.6, runs)
    tried = {"grid": grid_lr.ravel(), "random": random_lr}
    for ax, (name, lr), p in zip((ax_grid, ax_random), tried.items(), (grid_p.ravel(), random_p)):
        ax.scatter(lr, p, s=70, color=viz.ACCENT, zorder=3)
        ax.plot(lr, np.full(lr.shape, -0.09), "|", color=viz.HIGHLIGHT, ms=14, mew=2)
        ax.set_xscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_ylim(-0.13, 0.65)
        ax.set_yticks([0, 0.2, 0.4, 0.6])
        ax.set_xlabel("learning rate (matters a lot)")
        ax.set_ylabel("dropout p (matters little)")
        distinct = len(np.unique(np.round(np.log10(lr), 6)))
        ax.set_title(f"{name} search: {runs} runs, {distinct} learning rates")
        ax.grid(True, alpha=0.3)
    return tried


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def kernel_descent_panel(
    controls: dict,
    runs: dict,
    image,
    target,
    reference,
    *,
    target_name: str = "target",
    caption: str = "",
    dpi: float = 96,
) -> Panel:
    """Replay gradient descents on a kernel, one step at a time (:class:`KernelFitView`).

    ``runs`` maps a learning rate to ``(kernels, losses)``: the kernel after
    each step (the first is the start) and the loss of each, as the
    notebook's descent returned them; a run that exploded stops early.
    ``image`` and ``target`` are the picture and the output the kernel
    learns to reproduce, ``reference`` the kernel that makes ``target``
    (named ``target_name``). ``controls``: ``learning_rate`` (a key of
    ``runs``) and ``step``; a step past an exploded run's end shows a message.
    """
    figure, axes = viz.new_figure(9.2, 2.6, 1, 4, width_ratios=(1, 1, 1, 1.5))
    view = KernelFitView(
        axes, image, target, max_steps=controls["step"].max, target_name=target_name
    )

    def update(learning_rate, step):
        kernels, losses = runs[learning_rate]
        if step >= len(kernels):
            raise ValueError(
                f"with learning rate {learning_rate} the loss exploded after {len(kernels) - 1} "
                f"steps (the steps overshoot): pick a step below {len(kernels)} or a smaller rate"
            )
        kernel = kernels[step]
        view.update(kernel, losses, step)
        distance = np.abs(kernel - reference).max()
        return (
            f"learning rate {learning_rate}, step {step}: loss {losses[step]:.2e}, "
            f"largest difference from {target_name} {distance:.3f}"
        )

    return Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)


def feature_map_panel(
    controls: dict, outputs, labels, *, caption: str = "", dpi: float = 96
) -> Panel:
    """Every layer's feature maps for one test image, chosen by digit and example.

    ``outputs``: :func:`layer_outputs` of the trained network on the test
    images (the lesson's forward pass), ``labels`` their classes.
    ``controls``: ``digit`` (0-9) and ``example`` (the how-many-th test
    image of that digit, from 0); an example past the last image of a digit
    shows a message. The text says what the network predicts, and whether it
    is right (:class:`FeatureMapView` draws the maps and the probabilities).
    """
    labels = np.asarray(labels)
    by_digit = [np.flatnonzero(labels == digit) for digit in range(10)]
    figure, map_axes, bar_axes = feature_map_figure()
    view = FeatureMapView(map_axes, bar_axes, outputs, labels)

    def update(digit, example):
        members = by_digit[digit]
        if example >= len(members):
            raise ValueError(
                f"there are only {len(members)} test images of the digit {digit}: "
                f"pick an example from 0 to {len(members) - 1}"
            )
        index = int(members[example])
        facts = view.update(index)
        verdict = "right" if facts["predicted"] == facts["label"] else "<b>wrong</b>"
        return (
            f"test image #{index}, a {facts['label']}: the network says {facts['predicted']} "
            f"with probability {facts['probability']:.2f} ({verdict})"
        )

    return Panel(controls, update, figure, caption=caption, artists=view.artists, dpi=dpi)


__all__ = [
    "GAP_COLOR",
    "DIGIT_CMAP",
    "tile_maps",
    "layer_outputs",
    "FeatureMapView",
    "KernelFitView",
    "PANEL_LAYOUT",
    "feature_map_figure",
    "draw_feature_map_examples",
    "draw_kernel",
    "draw_kernel_grid",
    "draw_gradient_scatter",
    "draw_learning_curves",
    "draw_digits",
    "draw_mistakes",
    "draw_search_layouts",
    "kernel_descent_panel",
    "feature_map_panel",
]
