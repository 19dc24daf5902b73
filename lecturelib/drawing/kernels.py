"""Hand-designed kernels and the feature maps they make, for the edge-detection notebook.

- :data:`KERNELS`: the lecture's gallery (identity, shift, box blur, two
  sharpening kernels, a Laplacian-style edge detector, Sobel x and y,
  Prewitt, a 4 x 4 diagonal detector), and :data:`PRESETS`, the same plus
  two 5 x 5 blurs, for the interactive kernel editor.
- :func:`synthetic_image`: simple test pictures (shapes, a disc, stripes, a
  checkerboard) whose edges run in known directions.
- :func:`feature_map_style`: how to colour a feature map. Kernels whose
  weights sum to zero (edge detectors) answer "how much does brightness
  change here?", a signed value: they get the diverging colour map centred
  on zero. Kernels with a positive sum (blurs, sharpening) keep brightness:
  they are shown in grey like the photograph.
- :func:`place_feature_map`: draws a feature map on top of the (padded)
  input's coordinates, each output pixel centred on the window it summarises,
  so a stride shows up as bigger pixels and padding as an output that
  reaches into the border.
- :class:`KernelExplorer`: the two-panel figure (input, feature map) of the
  interactive kernel editor, updated in place; :func:`draw_gallery` and
  :func:`draw_gradients`: static figures.
- :func:`kernel_editor`: the whole interactive editor (a grid of weights,
  presets, the figure) around a feature-map function the notebook writes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize

from .._checks import as_array, as_int
from . import figures as viz
from .panel import Panel, grid_values, number_grid

_IDENTITY = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
_BOX = np.full((3, 3), 1.0 / 9.0)

#: The lecture's kernel gallery, in the lecture's order (rows top to bottom).
KERNELS: dict[str, np.ndarray] = {
    "identity": _IDENTITY,
    "shift": np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    "box blur": _BOX,
    "sharpen (2 identity - blur)": 2.0 * _IDENTITY - _BOX,
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "Laplacian-style edges": np.array([[1.0, 1.0, 1.0], [1.0, -8.0, 1.0], [1.0, 1.0, 1.0]]),
    "Sobel x": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "Sobel y": np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
    "Prewitt x": np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]),
    "diagonal 4 x 4": np.array(
        [[0.0, 0.0, -1.0, 0.0], [0.0, -2.0, 0.0, 1.0], [-1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    ),
}

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0])

#: Presets of the kernel editor: the gallery plus two 5 x 5 blurs.
PRESETS: dict[str, np.ndarray] = {
    **KERNELS,
    "box blur 5 x 5": np.full((5, 5), 1.0 / 25.0),
    "Gaussian blur 5 x 5": np.outer(_BINOMIAL, _BINOMIAL) / 256.0,
}

#: Names understood by :func:`synthetic_image`.
SYNTHETIC = ("shapes", "disc", "stripes", "checkerboard")


def synthetic_image(name: str = "shapes", size: int = 128) -> np.ndarray:
    """A simple grey test picture, (size, size) with values in [0, 1].

    - "shapes": a bright square, a disc and a triangle on a dark background:
      edges in every direction;
    - "disc": one bright disc (its edge turns through every orientation);
    - "stripes": vertical bars (only vertical edges);
    - "checkerboard": 8 x 8 squares (horizontal and vertical edges, corners).

    >>> image = synthetic_image("disc", 32)
    >>> image.shape, float(image.min()), float(image.max()), float(image[16, 16])
    ((32, 32), 0.0, 1.0, 1.0)
    """
    size = as_int(size, "size", 8)
    if name not in SYNTHETIC:
        raise ValueError(f"name must be one of {', '.join(map(repr, SYNTHETIC))}; got {name!r}")
    rows, cols = np.mgrid[0:size, 0:size] / size  # pixel coordinates in [0, 1)
    image = np.zeros((size, size))
    if name == "shapes":
        image[(rows > 0.12) & (rows < 0.42) & (cols > 0.1) & (cols < 0.4)] = 1.0
        image[(rows - 0.68) ** 2 + (cols - 0.68) ** 2 < 0.2**2] = 0.8
        triangle = (rows > 0.55) & (rows < 0.9) & (cols > 0.1) & (cols - 0.1 < rows - 0.55)
        image[triangle] = 0.6
        image[(rows > 0.12) & (rows < 0.42) & (np.abs(cols + rows - 1.0) < 0.06)] = 0.7
    elif name == "disc":
        image[(rows - 0.5) ** 2 + (cols - 0.5) ** 2 < 0.3**2] = 1.0
    elif name == "stripes":
        image[(np.floor(cols * 8) % 2) == 1] = 1.0
    else:
        image[(np.floor(rows * 8) + np.floor(cols * 8)) % 2 == 1] = 1.0
    return image


def feature_map_style(kernel, feature_map=None):
    """Colour map and normalisation for the feature map of ``kernel``.

    Returns ``(cmap, norm, signed)``. A kernel whose weights sum to zero (or
    less) makes signed values: the diverging map, centred on zero, scaled to
    the 99.5th percentile of the magnitudes in ``feature_map`` (at least a
    quarter of the largest), so that a few very strong edges do not wash out
    the rest; stronger values show in the darkest colour. A kernel with a positive sum
    ``s`` keeps brightness: grey from 0 to ``s`` (for images in [0, 1]), so
    the identity shows the image unchanged and out-of-range values clip.

    >>> feature_map_style(np.ones((3, 3)) / 9)[2], feature_map_style([[1, 0, -1]])[2]
    (False, True)
    """
    kernel = as_array(kernel, "kernel", 2)
    total = float(kernel.sum())
    if total > 1e-9 * max(float(np.abs(kernel).sum()), 1e-12):
        return viz.GREY, Normalize(vmin=0.0, vmax=total), False
    if feature_map is None:
        return viz.DIVERGING, viz.symmetric_norm(np.zeros(1)), True
    magnitudes = np.abs(np.asarray(feature_map, dtype=np.float64))
    magnitudes = magnitudes[np.isfinite(magnitudes)]
    if magnitudes.size == 0:
        return viz.DIVERGING, viz.symmetric_norm(np.zeros(1)), True
    # a few very strong edges should not wash out all the others
    limit = max(float(np.percentile(magnitudes, 99.5)), 0.25 * float(magnitudes.max()))
    return viz.DIVERGING, viz.symmetric_norm([limit]), True


def place_feature_map(artist, feature_map, kernel_shape, stride=1, padding=0):
    """Put ``feature_map`` on the input's pixel grid: output pixel (r, s) is drawn
    centred on the window it summarises, ``stride`` pixels wide.

    artist: an AxesImage; feature_map: (OH, OW); kernel_shape: (KH, KW);
    stride, padding: ints. Input pixel (i, j) spans [j - 0.5, j + 0.5] x
    [i - 0.5, i + 0.5], as matplotlib draws an image.
    """
    oh, ow = np.shape(feature_map)
    kh, kw = kernel_shape
    first_row = -padding + (kh - 1) / 2  # centre of the first window, in input pixels
    first_col = -padding + (kw - 1) / 2
    half = stride / 2
    artist.set_data(feature_map)
    artist.set_extent(
        (
            first_col - half,
            first_col + (ow - 1) * stride + half,
            first_row + (oh - 1) * stride + half,
            first_row - half,
        )
    )


def show_kernel(ax, kernel, title=None, fontsize=None):
    """A kernel as a small matrix, signed values on the diverging map."""
    kernel = as_array(kernel, "kernel", 2)
    exact = np.allclose(kernel, np.round(kernel))
    viz.show_matrix(
        ax,
        kernel,
        signed=True,
        fmt="{:g}" if exact else "{:.2f}",
        title=title,
        fontsize=fontsize or (10 if kernel.shape[0] <= 3 else 9),
    )


def show_feature_map(ax, feature_map, kernel, title=None):
    """A feature map coloured by :func:`feature_map_style`, without ticks."""
    cmap, norm, _ = feature_map_style(kernel, feature_map)
    artist = ax.imshow(feature_map, cmap=cmap, norm=norm)
    _frame(ax)
    if title:
        ax.set_title(title)
    return artist


def draw_gallery(kernels: dict, images: dict, apply, panel_size=(1.9, 1.9)):
    """The kernel gallery: one column per kernel; the kernel, then its feature
    map on each image.

    kernels: name -> kernel; images: label -> (H, W) image;
    apply(image, kernel) -> feature map (e.g. a cross-correlation). Returns a
    pyplot figure.
    """
    import matplotlib.pyplot as plt

    rows, cols = 1 + len(images), len(kernels)
    figure, axes = plt.subplots(
        rows,
        cols,
        figsize=(panel_size[0] * cols, panel_size[1] * rows),
        squeeze=False,
        height_ratios=[0.8] + [1.0] * len(images),
    )
    for col, (name, kernel) in enumerate(kernels.items()):
        show_kernel(axes[0, col], kernel, title=name)
        for row, (label, image) in enumerate(images.items(), start=1):
            show_feature_map(axes[row, col], apply(image, kernel), kernel)
            if col == 0:
                axes[row, col].set_ylabel(label)
    return figure


def draw_gradients(rows: dict, threshold: float = 0.15):
    """Sobel gradients of a few images: G_x, G_y, magnitude and orientation.

    rows: label -> (gx, gy), two feature maps of the same shape. The
    orientation ``arctan2(G_y, G_x)`` is drawn with a cyclic colour map and
    left blank where the magnitude is below ``threshold`` times its maximum
    (flat regions have no meaningful direction). Returns a pyplot figure.
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(rows), 4, figsize=(9.6, 2.5 * len(rows)), squeeze=False)
    cyclic = plt.get_cmap("twilight_shifted").with_extremes(bad="white")
    for row, (label, (gx, gy)) in enumerate(rows.items()):
        magnitude = np.hypot(gx, gy)
        orientation = np.degrees(np.arctan2(gy, gx))
        orientation[magnitude < threshold * magnitude.max()] = np.nan
        show_feature_map(axes[row, 0], gx, KERNELS["Sobel x"], title="G_x (Sobel x)")
        show_feature_map(axes[row, 1], gy, KERNELS["Sobel y"], title="G_y (Sobel y)")
        # The sign is the lesson here (which side of an edge is brighter): outline
        # strong positive and negative responses by line style as well as colour.
        viz.mark_sign(axes[row, 0], gx)
        viz.mark_sign(axes[row, 1], gy)
        strong = float(np.percentile(magnitude, 99.5)) or float(magnitude.max()) or 1.0
        axes[row, 2].imshow(magnitude, cmap=viz.SEQUENTIAL, vmin=0.0, vmax=strong)
        shown = axes[row, 3].imshow(orientation, cmap=cyclic, vmin=-180, vmax=180)
        for ax, title in zip(axes[row, 2:], ("magnitude", "orientation")):
            _frame(ax)
            ax.set_title(title)
        bar = figure.colorbar(shown, ax=axes[row, 3], ticks=[-180, -90, 0, 90, 180], shrink=0.8)
        bar.set_label("degrees")
        axes[row, 0].set_ylabel(label)
    return figure


def _frame(ax):
    """No ticks, and a thin frame all round (a white-centred map needs its edges drawn)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color(viz.MUTED)
        spine.set_linewidth(0.8)


class KernelExplorer:
    """The kernel editor's figure: the zero-padded input beside its feature map.

    Both axes share the input's pixel coordinates, so the feature map lies
    over the part of the image it describes (see :func:`place_feature_map`).
    :meth:`update` only changes the two images (data, colour map, extent)
    and the axes limits; the titles never change, so a panel can keep
    everything else as pixels and redraw just :attr:`artists` (blitting).
    ``input_ax=None`` draws the feature map alone (for static small multiples).
    """

    def __init__(self, input_ax, output_ax):
        self.input_ax, self.output_ax = input_ax, output_ax
        blank = np.zeros((2, 2))
        self.axes = [ax for ax in (input_ax, output_ax) if ax is not None]
        self.input_image = None
        if input_ax is not None:
            self.input_image = input_ax.imshow(blank, cmap=viz.GREY, vmin=0.0, vmax=1.0)
            input_ax.set_title("input (black border: zero padding)")
        self.output_image = output_ax.imshow(blank, cmap=viz.DIVERGING)
        output_ax.set_title("feature map")
        for ax in self.axes:
            _frame(ax)
            ax.set_box_aspect(1)  # a square box whatever the picture: see update's limits

    @property
    def artists(self) -> list:
        """The artists :meth:`update` changes (for ``Panel(artists=...)``)."""
        return [a for a in (self.input_image, self.output_image) if a is not None]

    def update(self, image, feature_map, kernel, stride=1, padding=0):
        """Show ``image`` (H, W), zero-padded by ``padding``, and ``feature_map``.

        Returns ``signed`` (whether the diverging colour map was used).
        """
        image = as_array(image, "image", 2)
        kernel = as_array(kernel, "kernel", 2)
        stride = as_int(stride, "stride", 1)
        padding = as_int(padding, "padding", 0)
        h, w = image.shape
        if self.input_image is not None:
            self.input_image.set_data(np.pad(image, padding) if padding else image)
            self.input_image.set_extent(
                (-padding - 0.5, w + padding - 0.5, h + padding - 0.5, -padding - 0.5)
            )
        # square limits around the padded picture, so the axes box never changes
        half = max(h, w) / 2 + padding
        limits_x = ((w - 1) / 2 - half, (w - 1) / 2 + half)
        limits_y = ((h - 1) / 2 + half, (h - 1) / 2 - half)
        cmap, norm, signed = feature_map_style(kernel, feature_map)
        self.output_image.set_cmap(cmap)
        self.output_image.set_norm(norm)
        place_feature_map(self.output_image, feature_map, kernel.shape, stride, padding)
        for ax in self.axes:
            ax.set_xlim(*limits_x)
            ax.set_ylim(*limits_y)
        return signed


# --- panel builders (plumbing-a): the notebooks' panels, minus the lesson ----------


def _preset_grid(preset, size: int = 5) -> np.ndarray:
    """``preset`` centred in a ``size`` x ``size`` grid of zeros (a 3 x 3 kernel in the middle)."""
    grid = np.zeros((size, size))
    rows, cols = preset.shape
    top, left = (size - rows) // 2, (size - cols) // 2
    grid[top : top + rows, left : left + cols] = preset
    return grid


def kernel_editor(
    controls: dict, compute, pictures: dict, presets: dict, *, caption: str = "", dpi: float = 80
) -> Panel:
    """The kernel editor of the edge-detection notebook, as a :class:`Panel`.

    A 5 x 5 grid of weight boxes (described "kernel weight[r,c]") sits beside
    ``controls``, which must include ``picture`` (a key of ``pictures``, each an
    (H, W) image), ``preset`` (a key of ``presets``, kernels of at most 5 x 5),
    ``size`` (3 or 5: how much of the grid is the kernel), ``stride`` and
    ``padding``; a ``flip`` checkbox is optional. Every other control's value
    goes to ``compute`` too.

    ``compute(image, kernel, stride=, padding=, **rest)`` is the lesson: it
    returns the feature map (OH, OW) of the picture under the kernel typed
    into the grid; the editor only draws it with :class:`KernelExplorer` and
    writes the facts (sum of the weights, range, output size) under it.

    Choosing a preset writes it into the grid (3 x 3 kernels in the middle,
    zeros around) and redraws once; a preset larger than 3 x 3 switches the
    size to 5 x 5. With size 3 the outer boxes are disabled, and keeping a
    larger preset at 3 x 3 shows a message instead of a figure.
    """
    figure, axes = viz.new_figure(7.2, 3.5, ncols=2)
    explorer = KernelExplorer(*axes)
    grid, boxes = number_grid(np.zeros((5, 5)), description="kernel weight", step=0.5)
    all_boxes = [box for row in boxes for box in row]
    state = {"preset": None, "loading": False}

    def load_preset(name):
        state["loading"] = True  # the boxes change one by one: redraw once, afterwards
        for box, value in zip(all_boxes, _preset_grid(presets[name]).ravel()):
            box.value = round(float(value), 4)
        state["loading"] = False

    def update(picture, preset, size, stride, padding, **rest):
        if preset != state["preset"]:
            load_preset(preset)
            state["preset"] = preset
            if size == 3 and presets[preset].shape[0] > 3:
                controls["size"].value = size = 5  # a larger preset needs the 5 x 5 grid
        for r, row in enumerate(boxes):
            for c, box in enumerate(row):
                box.disabled = size == 3 and not (1 <= r <= 3 and 1 <= c <= 3)
        if size == 3 and presets[preset].shape[0] > 3:
            raise ValueError(
                f"'{preset}' does not fit in 3 x 3: set the kernel size to 5 x 5, "
                "or pick a 3 x 3 preset."
            )
        kernel = grid_values(boxes)
        if size == 3:
            kernel = kernel[1:4, 1:4]
        image = pictures[picture]
        feature_map = compute(image, kernel, stride=stride, padding=padding, **rest)
        signed = explorer.update(image, feature_map, kernel, stride, padding)
        look = "signed map: white is 0" if signed else "brightness kept: drawn in grey"
        return (
            f"Weights sum to {kernel.sum():.3g} ({look}); values from {feature_map.min():.2f} to "
            f"{feature_map.max():.2f}. Output {feature_map.shape[0]} x {feature_map.shape[1]}"
            f" = floor(({image.shape[0]} + 2 x {padding} - {size}) / {stride}) + 1 rows."
            + (" The kernel is flipped: true convolution." if rest.get("flip") else "")
        )

    panel = Panel(
        controls,
        update,
        figure,
        extra=[grid],
        dpi=dpi,
        artists=explorer.artists,  # only the two images are redrawn on each update
        caption=caption,
    )
    panel.kernel_boxes = boxes

    def on_weight_edit(_change):
        if not state["loading"]:
            panel.refresh()

    for box in all_boxes:
        box.observe(on_weight_edit, names="value")
    return panel


__all__ = [
    "KERNELS",
    "PRESETS",
    "SYNTHETIC",
    "synthetic_image",
    "feature_map_style",
    "place_feature_map",
    "show_kernel",
    "show_feature_map",
    "draw_gallery",
    "draw_gradients",
    "KernelExplorer",
    "kernel_editor",
]
