"""Smoke tests for the drawing modules of notebooks 04 and 05.

lecturelib.drawing.arithmetic (the convolution-arithmetic diagram) and
lecturelib.drawing.kernels (kernel gallery, feature maps, kernel editor figure):
the bookkeeping is checked against hand-counted cases, and every drawing
function is run on an off-screen figure.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecturelib import cross_correlate2d  # noqa: E402
from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.arithmetic import (
    ROLES,
    ArithmeticDiagram,
    arithmetic_figure,
    axis_arithmetic,
    describe,
    draw_arithmetic,
    legend_html,
)
from lecturelib.drawing.kernels import (
    KERNELS,
    PRESETS,
    SYNTHETIC,
    KernelExplorer,
    draw_gallery,
    draw_gradients,
    feature_map_style,
    place_feature_map,
    synthetic_image,
)
from lecturelib.drawing.panel import Panel, exercise_panel, slider  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- viz_arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, size",
    [((5, 3, 2, 1), 3), ((227, 11, 4, 0), 55), ((32, 5, 1, 0), 28), ((10, 3, 1, 1), 10)],
)
def test_output_sizes_of_the_lecture(setting, size):
    assert axis_arithmetic(*setting).output_size == size


def test_the_floor_drops_the_last_cells():
    a = axis_arithmetic(7, 3, stride=3)
    assert a.output_size == 2
    assert a.visited.tolist() == [True] * 6 + [False]
    assert (a.dropped_at_end, a.skipped_between, a.remainder) == (1, 0, 1)


def test_cells_skipped_between_windows_and_by_dilation():
    # windows 0-1, 3-4, 6-7 on 9 cells: 2 and 5 skipped, 8 dropped by the floor
    a = axis_arithmetic(9, 2, stride=3)
    assert (a.output_size, a.skipped_between, a.dropped_at_end) == (3, 2, 1)
    # one dilated window reads cells 0, 2, 4 of 5: 1 and 3 fall into its holes
    b = axis_arithmetic(5, 3, dilation=2)
    assert (b.output_size, b.skipped_between, b.dropped_at_end) == (1, 2, 0)


def test_windows_on_padding_only():
    a = axis_arithmetic(2, 1, padding=2)  # padded cells 0..5, input 2..3
    assert a.output_size == 6 and a.padding_only == 4 and a.unvisited == 0


def test_impossible_and_bad_settings_explain_themselves():
    with pytest.raises(ValueError, match="larger than padded input"):
        axis_arithmetic(3, 5)
    with pytest.raises(ValueError, match="larger than padded input"):
        axis_arithmetic(4, 3, dilation=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        axis_arithmetic(5, 3, stride=0)
    with pytest.raises(TypeError, match="kernel_size must be an integer"):
        axis_arithmetic(5, 2.5)
    with pytest.raises(ValueError, match="past the last output position"):
        axis_arithmetic(5, 3).window(3)


def test_diagram_draws_every_cell_and_crosses_the_lost_ones():
    figure, diagram = arithmetic_figure()
    a, row, col = diagram.update(7, 3, stride=3, padding=1, position=3)
    n, o = a.padded_size, a.output_size
    assert (row, col) == divmod(3, o)
    assert len(diagram.cells.get_paths()) == n * n + o * o
    lost = a.unvisited
    assert len(diagram.crosses.get_xdata()) == 2 * lost * a.input_size - lost * lost
    assert viz.figure_png(figure)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="past the last output cell"):
        diagram.update(7, 3, stride=3, padding=1, position=o * o)
    with pytest.raises(ValueError, match="larger than padded input"):
        diagram.update(2, 5)


def test_describe_names_the_floor_and_the_counts():
    a = axis_arithmetic(7, 3, stride=3)
    text = describe(a, 1, 1)
    assert "Output 2 &times; 2" in text and "floored" in text and "1 input row" in text
    assert "Every input row" in describe(axis_arithmetic(5, 3, padding=1), 0, 0)
    assert "holes" in describe(axis_arithmetic(5, 3, dilation=2), 0, 0)


def test_static_diagram_and_legend():
    figure, ax = plt.subplots()
    draw_arithmetic(ax, 7, 3, stride=3, position=1, legend=True)
    assert "O=2" in ax.get_title() and "1 row and 1 column never read" in ax.get_title()
    assert ax.get_legend() is not None
    assert all(role in legend_html() for role in ROLES)
    ArithmeticDiagram(plt.subplots()[1], titles=True).update(5, 3, 2, 1)


# --- viz_kernels ----------------------------------------------------------------------


def test_gallery_kernels():
    for name in ("identity", "shift", "box blur", "sharpen (2 identity - blur)", "sharpen"):
        assert np.isclose(KERNELS[name].sum(), 1.0), name
    for name in ("Laplacian-style edges", "Sobel x", "Sobel y", "Prewitt x", "diagonal 4 x 4"):
        assert KERNELS[name].sum() == 0, name
    assert KERNELS["diagonal 4 x 4"].shape == (4, 4)
    assert {PRESETS[name].shape for name in PRESETS} == {(3, 3), (4, 4), (5, 5)}
    assert np.isclose(PRESETS["Gaussian blur 5 x 5"].sum(), 1.0)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_images(name):
    image = synthetic_image(name, 64)
    assert image.shape == (64, 64) and image.min() == 0 and 0.5 < image.max() <= 1


def test_synthetic_image_rejects_bad_names_and_sizes():
    with pytest.raises(ValueError, match="name must be one of"):
        synthetic_image("cat")
    with pytest.raises(ValueError, match="size must be >= 8"):
        synthetic_image("disc", 4)


def test_feature_map_style():
    cmap, norm, signed = feature_map_style(KERNELS["box blur"], np.ones((4, 4)))
    assert (cmap, signed, norm.vmin, norm.vmax) == (viz.GREY, False, 0.0, pytest.approx(1.0))
    edges = np.zeros((20, 20))
    edges[0, 0], edges[5, 5] = 8.0, -1.0
    cmap, norm, signed = feature_map_style(KERNELS["Sobel x"], edges)
    assert cmap == viz.DIVERGING and signed and norm.vmin == -norm.vmax == -2.0  # 8 / 4
    _, norm, _ = feature_map_style(np.zeros((3, 3)), np.zeros((5, 5)))  # all zero: no crash
    assert norm.vmax > 0


def test_place_feature_map_centres_output_pixels_on_their_windows():
    figure, ax = plt.subplots()
    artist = ax.imshow(np.zeros((2, 2)))
    # 3 x 3 kernel, stride 2, padding 1 on 6 pixels: window centres at 0, 2, 4
    place_feature_map(artist, np.zeros((3, 3)), (3, 3), stride=2, padding=1)
    assert artist.get_extent() == pytest.approx((-1.0, 5.0, 5.0, -1.0))


def test_kernel_explorer_and_a_panel_around_it():
    figure, axes = viz.new_figure(6, 3, ncols=2)
    explorer = KernelExplorer(*axes)
    pictures = [synthetic_image("shapes", 32), synthetic_image("disc", 24)[:, :20]]

    def update(picture, stride, padding):
        image, kernel = pictures[picture], KERNELS["Sobel x"]
        feature_map = cross_correlate2d(image, kernel, stride=stride, padding=padding)
        explorer.update(image, feature_map, kernel, stride, padding)
        return f"{feature_map.shape}"

    controls = {
        "picture": slider("picture", 0, 1, 0),
        "stride": slider("stride", 1, 3, 1),
        "padding": slider("padding", 0, 2, 0),
    }
    panel = Panel(controls, update, figure, artists=explorer.artists)
    report = exercise_panel(panel, combinations=4)
    assert report["unexpected_errors"] == [] and report["messages"] == 0
    assert panel.image.value[:4] == b"\x89PNG"
    assert axes[0].get_xlim() == pytest.approx(axes[1].get_xlim())
    solo_axes = plt.subplots()[1]
    assert KernelExplorer(None, solo_axes).artists and explorer.artists[0] is not None


def test_static_gallery_and_gradients():
    images = {"shapes": synthetic_image("shapes", 32)}
    figure = draw_gallery({"Sobel x": KERNELS["Sobel x"]}, images, cross_correlate2d)
    assert len(figure.axes) == 2
    disc = synthetic_image("disc", 32)
    gradients = {
        "disc": (
            cross_correlate2d(disc, KERNELS["Sobel x"]),
            cross_correlate2d(disc, KERNELS["Sobel y"]),
        )
    }
    figure = draw_gradients(gradients)
    assert [ax.get_title() for ax in figure.axes[:4]] == [
        "G_x (Sobel x)",
        "G_y (Sobel y)",
        "magnitude",
        "orientation",
    ]
