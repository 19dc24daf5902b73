"""Text drawn from kept glyphs (lecturelib.drawing._glyphs) against matplotlib's own drawing."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import _glyphs  # noqa: E402
from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.live import BlitCanvas  # noqa: E402

pytestmark = pytest.mark.skipif(
    not _glyphs.SUPPORTED, reason="this matplotlib draws text the ordinary way"
)


def stock_pixels(figure) -> np.ndarray:
    """The figure drawn by matplotlib's own Agg canvas."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def kept_glyph_pixels(figure) -> np.ndarray:
    canvas = BlitCanvas(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def text_heavy_figure():
    """Ticks, titles, rotated and fallback-font text, sizes, weights, fractional places."""
    figure = Figure(figsize=(7, 3.2))
    left, right = figure.subplots(1, 2)
    left.plot([0, 3], [0, 2e4])
    left.set_title("h₋₁ = 0, x₁₂ → ŷ: the 12 terms of dL₄/dW", fontsize=10)
    left.set_xlabel("step k where W is used")
    left.set_ylabel("size (log scale)", fontweight="bold")
    right.imshow(np.arange(12.0).reshape(3, 4))
    texts = []
    for i in range(12):
        texts.append(
            right.text(
                i % 4 + 0.137 * i,
                i // 4 + 0.071 * i,
                f"{i * 7.31:.2f}",
                fontsize=7 + i % 5,
                rotation=(0, 30, 90, -45)[i % 4],
                color=("black", "white")[i % 2],
                ha="center",
            )
        )
    figure.text(0.013, 0.02, "no smoothing", antialiased=False, fontsize=9)
    figure.text(0.5, 0.02, r"mathtext: $\sum_k \partial h_t / \partial W$", fontsize=9)
    return figure, texts


def test_kept_glyphs_give_matplotlibs_pixels():
    figure, texts = text_heavy_figure()
    expected = stock_pixels(figure)
    assert np.array_equal(kept_glyph_pixels(figure), expected)  # first drawing: rendered
    assert np.array_equal(kept_glyph_pixels(figure), expected)  # again: pasted
    # Moved by whole and by fractional pixels: pasted where the fraction was seen before.
    for shift in (1.0, 0.5, 3.0, 0.25, 17.0):
        for text in texts:
            x, y = text.get_position()
            text.set_position((x + shift / 40, y - shift / 60))
        expected = stock_pixels(figure)
        assert np.array_equal(kept_glyph_pixels(figure), expected), shift


def test_kept_glyphs_follow_the_dpi_and_a_changed_string():
    figure, texts = text_heavy_figure()
    kept_glyph_pixels(figure)
    figure.set_dpi(150)
    texts[0].set_text("changed: 0.5")
    assert np.array_equal(kept_glyph_pixels(figure), stock_pixels(figure))


def test_the_kept_glyphs_stay_bounded(monkeypatch):
    monkeypatch.setattr(_glyphs, "MAX_LAYOUTS", 5)
    monkeypatch.setattr(_glyphs, "MAX_GLYPHS", 40)
    figure, texts = text_heavy_figure()
    for i in range(8):
        texts[0].set_text(f"a new string {i}")
        assert np.array_equal(kept_glyph_pixels(figure), stock_pixels(figure)), i
        assert len(_glyphs._layouts) <= 5 and len(_glyphs._glyphs) <= 40


def test_a_live_canvas_draws_its_text_with_kept_glyphs(monkeypatch):
    figure, _ = text_heavy_figure()
    calls = []
    draw_text = _glyphs.draw_text

    def counted(*args, **kwargs):
        calls.append(args[4])  # the string
        return draw_text(*args, **kwargs)

    monkeypatch.setattr(_glyphs, "draw_text", counted)
    png = viz.figure_png(figure)  # figure.canvas is not live: matplotlib draws the text
    assert not calls
    BlitCanvas(figure)
    png = viz.figure_png(figure)  # now it is
    assert "no smoothing" in calls
    assert PIL.Image.open(io.BytesIO(png)).size == (700, 320)
