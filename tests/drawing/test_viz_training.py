"""Smoke tests for the figures of notebook 09 (lecturelib.drawing.training)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import training as vt  # noqa: E402
from lecturelib.training import (  # noqa: E402  # noqa: E402
    Conv2d,
    Flatten,
    History,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    digits_cnn,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digit_outputs():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(6, 1, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 4, 5])
    return vt.layer_outputs(digits_cnn(rng=0), images), labels


def test_tile_maps_places_every_map_and_fills_gaps_with_nan():
    maps = np.arange(3 * 2 * 2, dtype=float).reshape(3, 2, 2)
    mosaic = tile_maps_checked(maps, columns=2)
    assert mosaic.shape == (2 * 2 + 3, 2 * 2 + 3)
    np.testing.assert_array_equal(mosaic[1:3, 1:3], maps[0])
    np.testing.assert_array_equal(mosaic[1:3, 4:6], maps[1])
    np.testing.assert_array_equal(mosaic[4:6, 1:3], maps[2])
    assert np.isnan(mosaic[4:6, 4:6]).all()  # the unused fourth tile
    assert np.isnan(mosaic[0]).all() and np.isnan(mosaic[:, 3]).all()


def tile_maps_checked(maps, columns):
    mosaic = vt.tile_maps(maps, columns=columns)
    assert np.count_nonzero(~np.isnan(mosaic)) == maps.size
    return mosaic


def test_tile_maps_keeps_leading_batch_axes():
    maps = np.ones((5, 8, 4, 4))
    assert vt.tile_maps(maps, columns=4).shape == (5, 2 * 4 + 3, 4 * 4 + 5)
    assert vt.tile_maps(maps[0], gap=0).shape == (4, 32)


@pytest.mark.parametrize(
    "maps, columns, error",
    [
        (np.ones((4, 4)), None, ValueError),
        (np.ones((0, 2, 2)), None, ValueError),
        (np.ones((2, 2, 2)), 0, ValueError),
        (np.ones((2, 2, 2)), 1.5, TypeError),
    ],
)
def test_tile_maps_rejects_bad_input(maps, columns, error):
    with pytest.raises(error):
        vt.tile_maps(maps, columns=columns)


def test_layer_outputs_names_and_shapes_and_restores_mode(digit_outputs):
    outputs, _ = digit_outputs
    names = [name for name, _ in outputs]
    assert names == [
        "input",
        "conv 1",
        "ReLU 1",
        "max pool 1",
        "conv 2",
        "ReLU 2",
        "max pool 2",
        "flatten 1",
        "dense 1",
    ]
    assert outputs[3][1].shape == (6, 8, 4, 4) and outputs[-1][1].shape == (6, 10)
    model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(2, 3, rng=0))
    model.train()
    vt.layer_outputs(model, np.zeros((1, 1, 4, 4)))
    assert model.training
    with pytest.raises(ValueError):
        vt.layer_outputs(model, np.zeros((4, 4)))
    with pytest.raises(TypeError):
        vt.layer_outputs(object(), np.zeros((1, 1, 4, 4)))


def test_feature_map_view_updates_every_stage(digit_outputs):
    outputs, labels = digit_outputs
    figure, map_axes, bar_axes = vt.feature_map_figure()
    view = vt.FeatureMapView(map_axes, bar_axes, outputs, labels)
    facts = view.update(4)
    assert facts["label"] == 4
    np.testing.assert_allclose(facts["probabilities"].sum(), 1.0)
    assert facts["predicted"] == int(np.argmax(outputs[-1][1][4]))
    # conv 1 is drawn for image 4 on a scale centred on zero: its largest
    # magnitude is the end of the colour map, zero is the middle
    conv_maps = outputs[1][1][4]
    limit = view.limits["conv 1"][4]
    assert limit == pytest.approx(np.abs(conv_maps).max())
    cmap = matplotlib.colormaps["RdBu_r"]
    expected = cmap((conv_maps[0].astype(np.float64) / limit + 1) / 2, bytes=True)
    zoom = 16 // 8  # 8 x 8 maps are enlarged to 16 x 16
    np.testing.assert_array_equal(
        view.stage_pixels(1, 4)[1 : 1 + 16 : zoom, 1 : 1 + 16 : zoom], expected
    )
    # and that picture is what the first row's image now shows, next to the input
    shown = view.images[0].get_array()
    assert any(
        np.array_equal(shown[r : r + 35, c : c + 69], view.stage_pixels(1, 4))
        for r in range(shown.shape[0] - 34)
        for c in range(shown.shape[1] - 68)
    )
    # ReLU and pooling share their conv layer's scale; lines between maps are GAP_COLOR
    assert view.groups == [None] + ["conv 1"] * 3 + ["conv 2"] * 3
    gap = view.stage_pixels(0, 4)[0, 0]
    np.testing.assert_array_equal(gap[:3], [int(vt.GAP_COLOR[i : i + 2], 16) for i in (1, 3, 5)])
    assert len(view.artists) == 2 + 10
    heights = [bar.get_height() for bar in view.bars.patches]
    np.testing.assert_allclose(heights, facts["probabilities"])
    with pytest.raises(ValueError):
        view.update(6)
    with pytest.raises(ValueError):
        vt.FeatureMapView(map_axes[:1], bar_axes, outputs, labels)
    with pytest.raises(ValueError):
        vt.FeatureMapView(map_axes, bar_axes, outputs, labels, layout=((0, 1), (2, 3)))
    assert isinstance(figure, Figure)


def test_feature_map_examples_draw_the_panel_for_each_image(digit_outputs):
    outputs, labels = digit_outputs
    figure = vt.draw_feature_map_examples(outputs, labels, [0, 2, 5])
    parts = figure.subfigs
    assert len(parts) == 4 and not parts[3].get_visible()
    assert all(len(part.axes) == 3 for part in parts[:3])
    assert "#2: a 2" in parts[1].get_suptitle()
    figure.canvas.draw()
    with pytest.raises(ValueError):
        vt.draw_feature_map_examples(outputs, labels, [])


def test_kernel_fit_view_shows_the_given_step():
    image = np.random.default_rng(0).normal(size=(10, 10))
    kernel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    from lecturelib.convolution import cross_correlate2d

    target = cross_correlate2d(image, kernel)
    figure, axes = plt.subplots(1, 4)
    view = vt.KernelFitView(axes, image, target, max_steps=5)
    losses = np.array([1.0, 0.1, 0.01])
    view.update(kernel, losses, 2)
    np.testing.assert_allclose(view.output_image.get_array(), target)
    assert view.marker.get_xdata()[0] == 2 and view.marker.get_ydata()[0] == 0.01
    assert len(view.loss_line.get_xdata()) == 3
    figure.canvas.draw()


def test_gradient_scatter_sums_to_full_convolution():
    from lecturelib.convolution import convolve2d

    grad_out = np.array([[1.0, -2.0], [0.5, 3.0]])
    kernel = np.array([[0.3, -0.2], [0.4, 0.1]])
    figure, axes = plt.subplots(1, 5)
    total = vt.draw_gradient_scatter(axes, grad_out, kernel)
    np.testing.assert_allclose(total, convolve2d(grad_out, kernel, padding="full"))
    with pytest.raises(ValueError):
        vt.draw_gradient_scatter(axes[:3], grad_out, kernel)


def test_kernel_grid_and_kernel():
    kernels = np.random.default_rng(1).normal(size=(8, 1, 3, 3))
    figure, ax = plt.subplots()
    image = vt.draw_kernel_grid(ax, kernels, limit=2.0)
    assert image.get_clim() == (-2.0, 2.0)
    assert image.get_array().shape == (4 * 3 + 2, 8 * 4 * 3 + 9)
    with pytest.raises(ValueError):
        vt.draw_kernel_grid(ax, np.ones((2, 3, 3, 3)))
    vt.draw_kernel(ax, kernels[0, 0], limit=3.0)


def test_learning_curves_and_galleries():
    history = History(
        train_loss=[2.0, 1.0],
        train_accuracy=[0.3, 0.6],
        val_loss=[1.8, 1.1],
        val_accuracy=[0.4, 0.5],
    )
    figure, (ax_loss, ax_acc) = plt.subplots(1, 2)
    vt.draw_learning_curves(ax_loss, ax_acc, history)
    assert len(ax_loss.lines) == 2 and len(ax_acc.lines) == 2
    with pytest.raises(ValueError):
        vt.draw_learning_curves(ax_loss, ax_acc, History())

    images = np.random.default_rng(2).uniform(size=(4, 1, 8, 8))
    probabilities = np.eye(3)[[0, 2, 1, 1]]
    labels = np.array([0, 1, 1, 2])
    figure, axes = plt.subplots(1, 3)
    wrong = vt.draw_mistakes(axes, images, labels, probabilities)
    np.testing.assert_array_equal(wrong, [1, 3])
    assert axes[0].get_title().startswith("true 1") and not axes[2].get_visible()


def test_search_layouts_count_distinct_learning_rates():
    figure, (a, b) = plt.subplots(1, 2)
    tried = vt.draw_search_layouts(a, b, runs=9, rng=0)
    assert len(np.unique(tried["grid"])) == 3 and len(np.unique(tried["random"])) == 9
    with pytest.raises(ValueError):
        vt.draw_search_layouts(a, b, runs=8)
