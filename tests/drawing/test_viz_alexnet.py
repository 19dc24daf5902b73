"""Smoke tests for lecturelib.drawing.alexnet (the layer chart of notebook 08)."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import alexnet as va  # noqa: E402
from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.layer_views import short_name  # noqa: E402
from lecturelib.drawing.panel import Panel, slider  # noqa: E402
from lecturelib.layer_tables import ALEXNET, ALEXNET_INPUT, ConvSpec, layer_table  # noqa: E402

ALEXNET_TABLE = layer_table(ALEXNET, ALEXNET_INPUT)
NAMES = [short_name(row) for row in ALEXNET_TABLE]


def variant(size, stride=4):
    return layer_table((ConvSpec(96, 11, stride=stride), *ALEXNET[1:]), (3, size, size))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


def test_bar_rectangles_span_one_to_count():
    corners = va.bar_rectangles([1000, 0, None], offset=0.2, height=0.4)
    assert corners.shape == (3, 4, 2)
    assert corners[0, :, 0].tolist() == [1.0, 1000.0, 1000.0, 1.0]
    assert corners[1, :, 0].tolist() == [1.0] * 4  # a zero draws nothing
    np.testing.assert_allclose(corners[2, :, 1], [2.0, 2.0, 2.4, 2.4])


def test_chart_shows_counts_and_title():
    figure = Figure(figsize=(6, 4))
    ax = figure.subplots()
    chart = va.draw_layer_bar_chart(ax, ALEXNET_TABLE, legend=True)
    params_right = [path.vertices[1, 0] for path in chart.params.get_paths()]
    macs_right = [path.vertices[1, 0] for path in chart.macs.get_paths()]
    assert params_right == [max(row.params, 1) for row in ALEXNET_TABLE]
    assert macs_right == [max(row.macs, 1) for row in ALEXNET_TABLE]
    assert chart.title.get_text() == "62.4 M parameters, 1.1 G MACs per image"
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    assert chart.broken_names.rows == ()
    assert ax.get_legend() is not None
    assert viz.figure_png(figure).startswith(b"\x89PNG")


def test_broken_rows_are_flagged():
    table = variant(63)
    assert not table.ok
    figure = Figure(figsize=(6, 4))
    chart = va.LayerBarChart(figure.subplots(), NAMES, legend=False)
    chart.update(table)
    first = next(i for i, row in enumerate(table) if row.error is not None)
    assert chart.broken_names.rows == tuple(range(first, len(NAMES)))
    assert list(chart.broken.get_ydata()) == list(range(first, len(NAMES)))
    assert chart.title.get_text() == f"the network breaks at {NAMES[first]}"
    assert to_hex(chart.broken_names.color) == to_hex(viz.HIGHLIGHT)
    with pytest.raises(ValueError, match="rows"):
        chart.update(layer_table(ALEXNET[:3], ALEXNET_INPUT))


def test_blitted_panel_matches_a_full_drawing():
    figure, ax = viz.new_figure(7.5, 4.2)
    chart = va.LayerBarChart(ax, NAMES, legend=False)

    def update(size, stride):
        chart.update(variant(size, stride))

    panel = Panel(
        {"size": slider("size", 63, 319, 227, step=4), "stride": slider("stride", 1, 8, 4)},
        update,
        figure,
        artists=chart.artists,
    )
    # A break, then a later break (painted from kept pixels), then a working network.
    for size, stride in ((63, 4), (95, 4), (63, 4), (227, 2)):
        panel.set(size=size, stride=stride)
        assert not panel.unexpected_errors
        blitted = pixels(panel.image.value)
        for artist in chart.artists:
            artist.set_animated(False)
        full = pixels(viz.figure_png(figure, panel.dpi))
        for artist in chart.artists:
            artist.set_animated(True)
        assert blitted.shape == full.shape
        assert np.array_equal(blitted, full), (size, stride)
