"""The PNG encoder of the panels (figures.canvas_png): lossless, and silent when nothing changed."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402

from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.panel import Panel, slider  # noqa: E402


class Pixels:
    """Stands in for an Agg canvas: anything with buffer_rgba()."""

    def __init__(self, rgba):
        self.rgba = rgba

    def buffer_rgba(self):
        return memoryview(self.rgba)


def decode(png: bytes) -> np.ndarray:
    image = PIL.Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (33, 17), (64, 200)])
def test_every_pixel_comes_back(shape):
    # Random bytes: every difference between rows, wrapping round 0 and 255.
    rgba = np.random.default_rng(0).integers(0, 256, (*shape, 4), dtype=np.uint8)
    assert np.array_equal(decode(viz.canvas_png(Pixels(rgba))), rgba[..., :3])


def test_a_drawn_figure_comes_back_as_drawn():
    figure, ax = viz.new_figure(3, 2)
    ax.plot([0, 1, 2], [2, 0, 1])
    ax.set_title("a title")
    png = viz.figure_png(figure, 80)
    drawn = np.asarray(figure.canvas.buffer_rgba())[..., :3]
    assert decode(png).shape == (160, 240, 3)
    assert np.array_equal(decode(png), drawn)


def test_the_same_pixels_are_not_encoded_again():
    figure, ax = viz.new_figure(3, 2)
    (line,) = ax.plot([0, 1], [0, 1])
    viz.figure_png(figure, 80)
    figure.set_layout_engine("none")  # the layout kept, as a panel keeps it after one drawing
    first = viz.figure_png(figure, 80)
    assert viz.figure_png(figure, 80) is first  # drawn again, same pixels: the same bytes
    line.set_ydata([1, 0])
    changed = viz.figure_png(figure, 80)
    assert changed != first
    assert np.array_equal(decode(changed), np.asarray(figure.canvas.buffer_rgba())[..., :3])


def test_a_panel_sends_no_new_picture_when_the_picture_did_not_change():
    figure, ax = viz.new_figure(3, 2)
    (line,) = ax.plot([0, 1], [0, 0])

    def update(height, label):
        line.set_ydata([0, height])  # the label changes the text under the figure only
        return f"{label}: {height}"

    panel = Panel(
        {"height": slider("height", 0, 3, 1), "label": slider("label", 0, 3, 0)},
        update,
        figure,
    )
    pictures = []
    panel.image.observe(lambda change: pictures.append(change["new"]), names="value")
    panel.set(label=2)
    assert pictures == [] and panel.info.value.endswith("2: 1</div>")
    panel.set(height=2)
    assert len(pictures) == 1
