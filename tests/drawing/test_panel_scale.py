"""A presenter's larger pictures: set_picture_scale redraws every panel with more pixels."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402

from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.panel import Panel, set_picture_scale, slider  # noqa: E402


@pytest.fixture(autouse=True)
def normal_size_afterwards():
    yield
    set_picture_scale()


def picture_size(panel) -> tuple[int, int]:
    return PIL.Image.open(io.BytesIO(panel.image.value)).size


@pytest.mark.parametrize("live", [False, True], ids=["full drawing", "live artists"])
def test_a_larger_scale_redraws_shown_and_new_panels_with_more_pixels(live):
    def make():
        figure, ax = viz.new_figure(3, 2)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 3)
        (line,) = ax.plot([0, 1], [0, 1])

        def update(height):
            line.set_ydata([0, height])

        controls = {"height": slider("height", 0, 3, 1)}
        return Panel(controls, update, figure, artists=[line] if live else ())

    shown = make()
    width, height = picture_size(shown)
    assert shown.image.width == width == 3 * 96
    set_picture_scale(1.5)
    assert picture_size(shown) == (round(1.5 * width), round(1.5 * height))
    assert shown.image.width == round(1.5 * width)
    shown.set(height=2)  # moving a control keeps the new size
    assert picture_size(shown) == (round(1.5 * width), round(1.5 * height))
    assert picture_size(make()) == (round(1.5 * width), round(1.5 * height))
    set_picture_scale()
    assert picture_size(shown) == (width, height)


def test_the_larger_picture_shows_the_same_figure():
    figure, ax = viz.new_figure(3, 2)
    ax.imshow(np.arange(12.0).reshape(3, 4))
    panel = Panel({"k": slider("k", 0, 1, 0)}, lambda k: None, figure)
    small = np.asarray(PIL.Image.open(io.BytesIO(panel.image.value)).convert("L"), float)
    set_picture_scale(2)
    large = np.asarray(PIL.Image.open(io.BytesIO(panel.image.value)).convert("L"), float)
    assert large.shape == (2 * small.shape[0], 2 * small.shape[1])
    halved = large.reshape(small.shape[0], 2, small.shape[1], 2).mean(axis=(1, 3))
    assert np.mean(np.abs(halved - small)) < 12  # the same picture, drawn finer


@pytest.mark.parametrize("scale", [0.2, 4, "big", True, float("nan")])
def test_a_scale_out_of_range_is_refused(scale):
    with pytest.raises(ValueError, match="scale must be a number from 0.5 to 3"):
        set_picture_scale(scale)


# --- one move, one picture, even when update moves a control itself ---------------------


def test_an_update_that_moves_its_own_slider_draws_one_picture_for_the_final_settings():
    figure, ax = viz.new_figure(3, 2)
    ax.set_xlim(0, 10)
    (line,) = ax.plot([0, 1], [0, 1])
    calls = []

    def update(size, position):
        last = size - 1
        if controls["position"].max != last:
            controls["position"].max = last  # clamps position when it is past the end
        calls.append((size, position))
        line.set_xdata([0, min(position, last)])
        return f"{size} cells, position {min(position, last)}"

    controls = {"size": slider("size", 2, 10, 10), "position": slider("position", 0, 9, 9)}
    panel = Panel(controls, update, figure)
    pictures = []
    panel.image.observe(lambda change: pictures.append(change["new"]), names="value")
    calls.clear()
    controls["size"].value = 4  # the position slider shrinks to 0..3 and its value to 3
    assert controls["position"].value == 3
    assert calls == [(4, 9), (4, 3)]  # called again with the clamped position ...
    assert len(pictures) == 1  # ... and drawn once, for it
    assert panel.info.value.endswith("4 cells, position 3</div>")


def test_an_update_that_never_settles_is_called_a_bounded_number_of_times():
    figure, _ = viz.new_figure(3, 2)
    count = []

    def update(k):
        count.append(k)
        controls["k"].value = (k + 1) % 5  # moves itself on every call

    controls = {"k": slider("k", 0, 4, 0)}
    Panel(controls, update, figure)
    assert 1 <= len(count) <= 3
