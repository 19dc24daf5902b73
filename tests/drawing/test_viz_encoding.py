"""What a panel update costs: the PNG encoder (figures.canvas_png) is lossless and silent when
nothing changed, and a live figure draws a new background only when its ticks move."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.live import live_figure  # noqa: E402
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


# --- which limits a live figure's background depends on (drawing/live.py) ------------------


def full_drawing(figure, artists=()) -> np.ndarray:
    artists = [*artists, *figure.findobj(lambda artist: artist.get_animated())]
    for artist in artists:
        artist.set_animated(False)
    FigureCanvasAgg.draw(figure.canvas)
    drawn = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    for artist in artists:
        artist.set_animated(True)
    figure.canvas.forget()
    return drawn


def diagram():
    """Nodes in an axes without ticks, with a title and a label in axes units."""
    figure, ax = viz.new_figure(5, 3)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("nodes")
    (nodes,) = ax.plot([0, 1, 2], [0, 0, 0], "o")
    ax.set_ylim(-1, 1)
    ax.text(0.02, 0.9, "kept", transform=ax.transAxes)  # away from the nodes
    canvas = live_figure(figure, [nodes])
    return figure, ax, nodes, canvas


def test_a_diagram_without_ticks_keeps_one_background_for_every_limit():
    figure, ax, nodes, canvas = diagram()
    viz.figure_png(figure)
    for n in (5, 9, 5):  # the diagram grows, the limits follow, then back
        nodes.set_data(np.arange(n), np.zeros(n))
        ax.set_xlim(-0.5, n - 0.5)
        live = decode(viz.figure_png(figure))
    assert canvas.full_draws == 1
    assert np.array_equal(live, full_drawing(figure, [nodes]))


def test_ticks_tie_the_background_to_their_own_axis_only():
    figure, ax = viz.new_figure(5, 3)
    ax.set_xticks([])  # the y ticks stay
    (line,) = ax.plot([0, 1], [0, 1])
    canvas = live_figure(figure, [line])
    viz.figure_png(figure)
    ax.set_xlim(-1, 3)  # no x ticks: the same background
    viz.figure_png(figure)
    assert canvas.full_draws == 1
    ax.set_ylim(-1, 3)  # the y ticks move: a new one
    live = decode(viz.figure_png(figure))
    assert canvas.full_draws == 2
    assert np.array_equal(live, full_drawing(figure, [line]))


def test_a_colour_bar_in_a_live_figure():
    figure, ax = viz.new_figure(5, 3)
    image = ax.imshow(np.arange(12.0).reshape(3, 4))
    figure.colorbar(image, ax=ax)
    artists = [image, *ax.spines.values()]  # the frame is drawn over the image
    canvas = live_figure(figure, artists)
    viz.figure_png(figure)
    image.set_data(np.arange(12.0).reshape(3, 4)[::-1])
    live = decode(viz.figure_png(figure))
    assert canvas.full_draws == 1
    assert np.array_equal(live, full_drawing(figure, artists))
