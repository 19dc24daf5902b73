"""Shared figures: one visual vocabulary for the whole collection.

Every notebook draws inputs, padding, kernel footprints and outputs in the
same colours (the Okabe-Ito palette, safe for colour-blind readers), signed
values with a diverging colour map centred on zero, and text large enough to
read on a projector. Notebooks call these helpers instead of styling figures
themselves.

The helpers every topic module shares live here, once: :func:`format_number`
(the numbers written in cells), :func:`plain_log_axis`, the text drawn as
glyph outlines (:func:`text_path`, :func:`label_path`, :func:`glyph_block`),
PNG encoding and the text alternatives of figures. How live figures are
redrawn is :mod:`lecturelib.drawing.live`.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache

import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

# Roles, not hues: a figure asks for "the input colour", never for "blue".
INPUT = "#56B4E9"  # sky blue
PADDING = "#D9D9D9"  # light grey
KERNEL = "#E69F00"  # orange: the kernel's footprint
OUTPUT = "#009E73"  # bluish green
HIGHLIGHT = "#D55E00"  # vermillion: the cell being computed now
ACCENT = "#0072B2"  # blue: a second series
MUTED = "#999999"  # grey: things never visited, dropped units
SERIES = [ACCENT, HIGHLIGHT, OUTPUT, KERNEL, "#CC79A7", INPUT, "#000000"]

DIVERGING = "RdBu_r"  # signed values, always centred on zero
SEQUENTIAL = "viridis"  # magnitudes
GREY = "gray"  # photographs


def use_style() -> None:
    """Set matplotlib defaults that read well on a projector and in a handout."""
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "axes.prop_cycle": mpl.cycler(color=SERIES),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.interpolation": "nearest",
            "figure.constrained_layout.use": True,
            "svg.hashsalt": "lecturelib",
        }
    )


def symmetric_norm(values, minimum: float = 1e-12) -> Normalize:
    """A colour normalisation centred on zero: -m maps to blue, +m to red."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    limit = float(np.max(np.abs(finite))) if finite.size else 1.0
    limit = max(limit, minimum)
    return Normalize(vmin=-limit, vmax=limit)


def new_figure(width: float = 6.0, height: float = 4.0, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure not managed by pyplot (for interactive panels), and its axes.

    Returns ``(figure, axes)``; ``axes`` is a single Axes when nrows = ncols = 1.
    """
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=True, **kwargs)
    return figure, axes


def figure_png(figure: Figure, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes quickly.

    Draws with the Agg canvas and encodes with :func:`canvas_png`, several
    times faster than ``savefig`` for the small figures of a panel.
    """
    canvas = agg_canvas(figure, dpi)
    canvas.draw()
    return canvas_png(canvas)


def agg_canvas(figure: Figure, dpi: float | None = None) -> FigureCanvasAgg:
    """The figure's Agg canvas (attached on first use), at the given dpi."""
    if dpi is not None and figure.dpi != dpi:
        figure.set_dpi(dpi)
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    return figure.canvas


def canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """Encode what the canvas holds now as PNG bytes, quickly and without loss.

    The pixels are written as 8-bit RGB (figures are opaque), each row as its
    difference from the row above (PNG's "Up" filter), compressed with zlib
    at level 1. A panel's line art is mostly flat areas and vertical edges,
    where this is as small as Pillow's per-row filter search and about three
    times faster. When the canvas holds the same pixels as at its last
    encoding, the same bytes are returned without encoding again (and a
    panel then sends nothing).
    """
    rgba = np.asarray(canvas.buffer_rgba())
    last = getattr(canvas, "_lecturelib_last_png", None)
    if last is not None and last[0].shape == rgba.shape and np.array_equal(last[0], rgba):
        return last[1]
    png = _png_rgb(rgba)
    canvas._lecturelib_last_png = (rgba.copy(), png)
    return png


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_rgb(rgba: np.ndarray) -> bytes:
    """An (H, W, 4) uint8 array as an RGB PNG (alpha dropped), every row Up-filtered."""
    height, width = rgba.shape[:2]
    # Pillow drops the alpha channel several times faster than numpy's strided copy.
    image = PIL.Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
    pixels = np.frombuffer(image.convert("RGB").tobytes(), dtype=np.uint8)
    pixels = pixels.reshape(height, 3 * width)
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 2  # each row's filter type: Up (the first row's "above" is zeros)
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # wraps modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            _png_chunk(b"IEND", b""),
        )
    )


def show_matrix(
    ax,
    matrix,
    *,
    annotate: bool = True,
    fmt: str = "{:g}",
    signed: bool | None = None,
    cmap: str | None = None,
    norm: Normalize | None = None,
    title: str | None = None,
    fontsize: float | None = None,
    origin: tuple[float, float] = (0.0, 0.0),
):
    """Draw a small matrix as coloured cells with its numbers written in.

    Rows go down and columns go right, as the matrix is printed. ``signed``
    (default: any negative entry) picks the diverging colour map centred on
    zero. ``origin`` shifts the drawing (x = column, y = row) so several
    matrices can share one axes. Returns the image artist.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    rows, cols = matrix.shape
    if signed is None:
        signed = bool(np.nanmin(matrix) < 0) if matrix.size else False
    if norm is None:
        norm = symmetric_norm(matrix) if signed else None
    cmap = cmap or (DIVERGING if signed else "Blues")
    x0, y0 = origin
    image = ax.imshow(
        matrix,
        cmap=cmap,
        norm=norm,
        extent=(x0 - 0.5, x0 + cols - 0.5, y0 + rows - 0.5, y0 - 0.5),
    )
    if annotate and matrix.size <= 400:
        size = fontsize or (11 if max(rows, cols) <= 6 else 8)
        normed = image.norm(matrix)
        for r in range(rows):
            for c in range(cols):
                value = matrix[r, c]
                text = fmt.format(value) if np.isfinite(value) else str(value)
                shade = normed[r, c] if np.ndim(normed) else 0.5
                dark_cell = signed and (shade < 0.2 or shade > 0.8) or (not signed and shade > 0.6)
                ax.text(
                    x0 + c,
                    y0 + r,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if dark_cell else "black",
                )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return image


def outline_cells(ax, row: int, col: int, height: int, width: int, color: str = KERNEL, **kwargs):
    """Draw a rectangle around ``height x width`` cells whose top-left cell is (row, col)."""
    rectangle = Rectangle(
        (col - 0.5, row - 0.5),
        width,
        height,
        fill=False,
        edgecolor=color,
        linewidth=kwargs.pop("linewidth", 3),
        **kwargs,
    )
    ax.add_patch(rectangle)
    return rectangle


def show_image(ax, image, *, signed: bool = False, title: str | None = None, cmap=None):
    """Show a grey image (or a signed feature map with the diverging map) without ticks."""
    image = np.asarray(image)
    if signed:
        artist = ax.imshow(image, cmap=cmap or DIVERGING, norm=symmetric_norm(image))
    elif image.ndim == 3:
        artist = ax.imshow(np.clip(image, 0, 1))
    else:
        artist = ax.imshow(image, cmap=cmap or GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return artist


def mark_sign(ax, values, fraction: float = 0.5):
    """Outline strong responses of a signed map by line style, not colour alone.

    Solid black lines surround values above ``fraction`` of the largest
    magnitude, dashed ones values below minus that; the legend says which is
    which. For static figures (contours are not redrawn by a panel).
    """
    from matplotlib.lines import Line2D

    values = np.asarray(values, dtype=np.float64)
    limit = float(np.nanmax(np.abs(values))) if values.size else 0.0
    if limit == 0.0:
        return None
    level = fraction * limit
    contours = ax.contour(
        values,
        levels=[-level, level],
        colors="black",
        linestyles=["dashed", "solid"],
        linewidths=0.9,
    )
    handles = [
        Line2D([], [], color="black", ls="solid", lw=0.9, label=f"> +{level:.2g}"),
        Line2D([], [], color="black", ls="dashed", lw=0.9, label=f"< -{level:.2g}"),
    ]
    ax.legend(
        handles=handles,
        loc="lower right",
        fontsize=7,
        framealpha=0.85,
        handlelength=1.6,
        borderpad=0.3,
    )
    return contours


def small_multiples(
    draw: Callable[..., object],
    settings: Sequence[dict],
    *,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    panel_size: tuple[float, float] = (3.2, 3.0),
    suptitle: str | None = None,
    **subplot_kw,
):
    """The static companion of an interactive panel: one small plot per setting.

    ``draw(ax, **setting)`` draws one setting into ``ax``; ``titles`` label
    each plot (default: the settings written out). Returns a pyplot figure,
    so ``plt.show()`` puts it in the saved notebook.
    """
    import matplotlib.pyplot as plt

    count = len(settings)
    ncols = ncols or min(count, 4)
    nrows = -(-count // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
        squeeze=False,
        subplot_kw=subplot_kw or None,
    )
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.set_visible(False)
            continue
        setting = settings[index]
        draw(ax, **setting)
        if titles is not None:
            ax.set_title(titles[index])
        elif not ax.get_title():
            ax.set_title(", ".join(f"{k}={v}" for k, v in setting.items()), fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def legend_patches(labels_colors: dict[str, str]):
    """Handles for a legend that names the colour roles (input, padding, ...)."""
    return [
        Rectangle((0, 0), 1, 1, facecolor=color, edgecolor="black")
        for color in labels_colors.values()
    ]


# --- numbers and axes ---------------------------------------------------------------


def format_number(value, decimals: int = 2) -> str:
    """A short label for a cell: integers without a decimal point, others rounded.

    Rounded to ``decimals`` places, trailing zeros dropped; "-0" is shown as "0".

    >>> format_number(6.0), format_number(-13), format_number(2.5), format_number(-0.0)
    ('6', '-13', '2.5', '0')
    >>> format_number(1 / 3), format_number(1.811), format_number(float("inf"))
    ('0.33', '1.81', '∞')
    """
    value = float(value)
    if not np.isfinite(value):
        return "∞" if value > 0 else ("-∞" if value < 0 else "nan")
    rounded = round(value, decimals)
    if rounded == 0:
        return "0"
    return f"{rounded:g}"


def plain_log_axis(axis, subs=(1.0,), ticks=None) -> None:
    """Put ``axis`` (``ax.xaxis`` or ``ax.yaxis``) on a log scale labelled with plain numbers.

    Labels read 0.01, 0.1, 1 instead of powers of ten typeset as formulas,
    which also draws several times faster; no minor ticks. ``subs``: the
    multiples of each power of ten that get a tick, e.g. (1, 2, 5) for an
    axis spanning less than two decades; ``ticks``: exactly these ticks instead.
    """
    if axis.get_scale() != "log":
        getattr(axis.axes, f"set_{axis.axis_name}scale")("log")
    if ticks is None:
        axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12))
    else:
        axis.set_ticks(ticks)
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))


# --- text drawn as outlines ------------------------------------------------------------
# A panel that writes dozens of numbers (the cells of a matrix, the labels of a network)
# redraws much faster when they are one path of glyph outlines than one text artist each.

_FONTS = {
    False: FontProperties(family="DejaVu Sans"),
    True: FontProperties(family="DejaVu Sans", weight="bold"),
}
_DIGIT_HEIGHT = TextPath((0, 0), "0", size=1, prop=_FONTS[False]).get_extents().height


@lru_cache(maxsize=4096)
def glyphs(text: str, bold: bool = False):
    """The outline of ``text`` at font size 1, centred on the origin.

    Returns ``(vertices, codes, width)``: the path's points (y grows upwards,
    the middle of a digit at y = 0), its codes, and the width of the ink.
    """
    path = TextPath((0, 0), text, size=1, prop=_FONTS[bool(bold)]) if text.strip() else None
    if path is None or len(path.vertices) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.uint8), 0.0
    # The font puts an on-curve point at every extreme of an outline, so the
    # points' bounding box is the outline's: far cheaper than
    # Path.get_extents, which solves for the extremes of every curve.
    points = path.vertices[path.codes != Path.CLOSEPOLY]
    left, right = points[:, 0].min(), points[:, 0].max()
    centre = np.array([(left + right) / 2, _DIGIT_HEIGHT / 2])
    return path.vertices - centre, path.codes, float(right - left)


def _no_path() -> Path:
    return Path(np.zeros((1, 2)), [Path.MOVETO])


def text_path(texts, centres, height: float, max_width: float | None = None) -> Path:
    """One compound path writing every string of ``texts`` centred on its point.

    ``height`` is the height of a digit in data units (y grows downwards, as
    in a matrix drawn with rows going down); strings wider than
    ``max_width`` are all shrunk by the same factor, so a grid's numbers
    share one size.
    """
    texts = list(texts)
    if not texts:
        return _no_path()
    scale = height / _DIGIT_HEIGHT
    if max_width is not None:
        widest = max(glyphs(t)[2] for t in texts)
        if widest * scale > max_width:
            scale = max_width / widest
    vertices, codes = [], []
    for text, (x, y) in zip(texts, centres):
        v, c, _ = glyphs(text)
        if len(v):
            vertices.append(v * (scale, -scale) + (x, y))
            codes.append(c)
    if not vertices:
        return _no_path()
    return Path(np.concatenate(vertices), np.concatenate(codes))


def label_path(labels, height: float) -> Path:
    """One compound path for several labels: ``labels`` holds (text, x, y, align) with
    align "left" (x is where the text starts) or "center"; y is the middle of a digit.

    Drawing labels as one path costs far less than one text artist per label.
    """
    scale = height / _DIGIT_HEIGHT
    vertices, codes = [], []
    for text, x, y, align in labels:
        v, c, width = glyphs(text)
        if not len(v):
            continue
        shift = width * scale / 2 if align == "left" else 0.0
        vertices.append(v * (scale, -scale) + (x + shift, y))
        codes.append(c)
    if not vertices:
        return _no_path()
    return Path(np.concatenate(vertices), np.concatenate(codes))


@lru_cache(maxsize=1024)
def glyph_block(text: str, size: float, bold: bool, align: str, max_width: float | None) -> Path:
    """The outline of ``text`` in points (y up), lines centred on the origin
    (``align`` "center") or starting at it ("left"); the middle of a digit of
    the middle line is at y = 0. Lines wider than ``max_width`` points are set
    smaller. For glyphs that keep their size in points, like scatter markers.
    """
    lines = text.split("\n")
    parts = []
    for index, line in enumerate(lines):
        vertices, codes, width = glyphs(line, bold)
        if not len(vertices):
            continue
        scale = size
        if max_width is not None and width * size > max_width:
            scale = max_width / width
        dx = width * scale / 2 if align == "left" else 0.0
        dy = ((len(lines) - 1) / 2 - index) * size * 1.3
        parts.append(Path(vertices * scale + (dx, dy), codes))
    if not parts:
        return _no_path()
    return Path.make_compound_path(*parts)


# --- text alternatives ----------------------------------------------------------

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(markup: str) -> str:
    """HTML or matplotlib mathtext reduced to plain words (for alt texts)."""
    text = html.unescape(_TAGS.sub(" ", markup or ""))
    text = text.replace("$", "").replace("\\", "")
    return _SPACE.sub(" ", text).strip()


def _number(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else str(value)


def _range(values) -> str | None:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())  # one pass each, no copy
    if not (np.isfinite(low) and np.isfinite(high)):
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return None
        low, high = float(finite.min()), float(finite.max())
    return f"all {_number(low)}" if low == high else f"from {_number(low)} to {_number(high)}"


def _describe_axes(ax) -> tuple[str, list[str]]:
    """A short name for one axes and sentences about what it draws."""
    title = plain_text(ax.get_title()) or plain_text(ax.get_title("left"))
    xlabel, ylabel = plain_text(ax.get_xlabel()), plain_text(ax.get_ylabel())
    facts = []
    if xlabel and ylabel:
        facts.append(f"{ylabel} against {xlabel}")
    elif xlabel or ylabel:
        facts.append(f"axis labelled {xlabel or ylabel}")
    for image in ax.get_images():
        data = np.asarray(image.get_array())
        if data.ndim < 2:
            continue
        span = _range(data) if data.ndim == 2 else None
        shape = " x ".join(str(n) for n in data.shape[:2])
        diverging = image.get_cmap().name.startswith(("RdBu", "coolwarm"))
        colours = " (blue negative, red positive)" if diverging and span else ""
        facts.append(f"a {shape} grid, values {span}{colours}" if span else f"a {shape} picture")
    lines = [line for line in ax.get_lines() if line.get_visible()]
    named = [line for line in lines if not line.get_label().startswith("_")]
    for line in named[:6]:
        span = _range(line.get_ydata())
        facts.append(f"{plain_text(line.get_label())}" + (f" {span}" if span else ""))
    if lines and not named:
        spans = [_range(line.get_ydata()) for line in lines]
        spans = [s for s in spans if s]
        if spans:
            count = f"{len(lines)} lines" if len(lines) > 1 else "a line"
            facts.append(f"{count}, values {spans[0]}" + (" and others" * (len(spans) > 1)))
    for container in ax.containers:
        if isinstance(container, BarContainer) and len(container.patches) >= 1:
            heights = [p.get_height() for p in container.patches]
            name = "" if container.get_label().startswith("_") else f" ({container.get_label()})"
            facts.append(f"{len(heights)} bars{name}, heights {_range(heights)}")
    legend = ax.get_legend()
    if legend is not None and not named:
        labels = [plain_text(t.get_text()) for t in legend.get_texts()]
        if labels:
            facts.append("legend: " + ", ".join(labels))
    return title, facts


def describe_figure(figure, limit: int = 8) -> tuple[str, str]:
    """An alt text and a longer description of a matplotlib figure, from its artists.

    The alt names the figure (its suptitle, else its axes titles); the long
    description gives, axes by axes, the labels, the legend entries and the
    range of the numbers drawn (images, lines, bars). Notebooks pass a
    better alt where they know what the figure is meant to show.
    """
    suptitle = figure._suptitle.get_text() if getattr(figure, "_suptitle", None) else ""
    axes = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    parts, titles = [], []
    for index, ax in enumerate(axes[:limit]):
        title, facts = _describe_axes(ax)
        if title:
            titles.append(title)
        name = title or f"plot {index + 1}"
        if facts:
            parts.append(f"{name}: " + "; ".join(facts) + ".")
    if len(axes) > limit:
        parts.append(f"{len(axes) - limit} more plots of the same kind.")
    head = plain_text(suptitle)
    if not head:
        shown = titles[:4]
        head = "; ".join(shown) + ("; ..." if len(titles) > 4 else "")
    if not head and parts:
        head = parts[0].rstrip(".")
    if not parts:  # a diagram: name what is written on it
        words = [plain_text(t.get_text()) for ax in axes for t in ax.texts if t.get_visible()]
        words = [w for w in dict.fromkeys(words) if w]
        if words:
            parts.append("Labels: " + ", ".join(words[:12]) + (", ..." if len(words) > 12 else "."))
    count = f"{len(axes)} plots" if len(axes) > 1 else "one plot"
    alt = f"Figure ({count}): {head}." if head else f"Figure ({count})."
    return alt, " ".join(parts)


def png_base64(figure, dpi: float | None = None) -> str:
    """The figure as a base64 PNG (drawn with savefig, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_html(png64: str, alt: str, long_description: str = "", width: int | None = None) -> str:
    """An ``<img>`` with its alt text, and a long description in a ``<details>`` after it."""
    size = f' width="{width}"' if width else ""
    markup = (
        f'<figure class="lecturelib-figure" style="margin:0">'
        f'<img src="data:image/png;base64,{png64}" alt="{html.escape(alt)}"{size}>'
    )
    if long_description:
        markup += (
            "<details><summary>Description of the figure</summary>"
            f"<p>{html.escape(long_description)}</p></details>"
        )
    return markup + "</figure>"


def show(figure=None, alt: str | None = None, long_description: str | None = None) -> None:
    """Display a static figure as an image with a text alternative, then close it.

    Use instead of ``plt.show()``: JupyterLab, Voila and nbconvert all render
    the ``alt`` of the ``<img>`` this emits (they ignore alt texts given any
    other way). ``figure`` defaults to pyplot's current figure; ``alt`` and
    ``long_description`` default to :func:`describe_figure`'s, computed from
    what the figure draws. The plain-text form of the output is the alt, so
    a reader without images (and nbval) sees what the figure shows.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    figure = figure if figure is not None else plt.gcf()
    auto_alt, auto_long = describe_figure(figure)
    alt = alt or auto_alt
    long_description = auto_long if long_description is None else long_description
    markup = figure_html(png_base64(figure), alt, long_description)
    plt.close(figure)
    # The plain-text form is the alt alone: the long description lists the range of every
    # series drawn, whose last digits can differ between CPUs for long or chaotic runs, and
    # it stays one click away in the HTML form (tests/nbval_sanitize.cfg, rule 3).
    display({"text/html": markup, "text/plain": alt}, raw=True)
