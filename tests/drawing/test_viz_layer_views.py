"""Smoke tests for lecturelib.drawing.layer_views (figures of notebooks 06, 07 and 08).

Each test draws into an off-screen figure and checks what was computed or
placed, so a broken helper fails here rather than inside a notebook.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing import layer_views as vl  # noqa: E402

FIRST = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
FIVE = np.array(
    [[1, 2, 3, 4, 5], [9, 8, 7, 6, 0], [0, 2, 4, 6, 8], [2, 3, 4, 5, 1], [6, 7, 8, 9, 0]]
)
RGB = np.zeros((3, 4, 4))
RGB[0, :2, :2] = [[156, 155], [153, 154]]
RGB[1, :2, :2] = [[167, 166], [164, 165]]
RGB[2, :2, :2] = [[163, 162], [160, 161]]
KERNEL = np.array(
    [
        [[-1, -1, 1], [0, 1, -1], [0, 1, 1]],
        [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
        [[0, 1, 1], [0, 1, 0], [1, -1, 1]],
    ]
)


def new_axes(nrows=1, ncols=1, size=(6, 4)):
    figure = Figure(figsize=size)
    axes = figure.subplots(nrows, ncols)
    return figure, axes


def render(figure):
    png = viz.figure_png(figure)
    assert png.startswith(b"\x89PNG")
    return png


def test_tint_and_number_format():
    assert vl.tint("#FFFFFF", 0.3) == (1.0, 1.0, 1.0, 1.0)
    assert vl.tint("#000000", 0.25) == (0.25, 0.25, 0.25, 1.0)
    assert [viz.format_number(v) for v in (7.0, -25.0, 3.256, 1e-9)] == ["7", "-25", "3.26", "0"]
    assert vl.compact_number(62_378_344) == "62.4 M"
    assert vl.compact_number(999) == "999"


def test_text_paths_scale_with_height():
    small = viz.text_path(["308"], [(0.0, 0.0)], 0.2).get_extents()
    large = viz.text_path(["308"], [(0.0, 0.0)], 0.4).get_extents()
    assert large.height == pytest.approx(2 * small.height, rel=1e-6)
    shrunk = viz.text_path(["-12345"], [(0.0, 0.0)], 0.4, max_width=0.8).get_extents()
    assert shrunk.width == pytest.approx(0.8, rel=1e-6)
    left = viz.label_path([("abc", 2.0, 0.0, "left")], 0.3).get_extents()
    assert left.x0 == pytest.approx(2.0, abs=0.05)


def test_glyph_blocks_in_points_centre_and_shrink_their_lines():
    one = viz.glyph_block("42", 10.0, False, "center", None).get_extents()
    assert (one.x0 + one.x1) / 2 == pytest.approx(0.0, abs=1e-9)
    assert (one.y0 + one.y1) / 2 == pytest.approx(0.0, abs=0.2)  # digits: centred vertically
    assert viz.glyph_block("42", 20.0, False, "center", None).get_extents().height == (
        pytest.approx(2 * one.height)
    )
    bold = viz.glyph_block("42", 10.0, True, "center", None).get_extents()
    assert bold.width > one.width
    left = viz.glyph_block("42", 10.0, False, "left", None).get_extents()
    assert left.x0 == pytest.approx(0.0, abs=1e-9)
    shrunk = viz.glyph_block("12345", 10.0, False, "center", 12.0).get_extents()
    assert shrunk.width == pytest.approx(12.0, rel=1e-6)
    two = viz.glyph_block("1\n2", 10.0, False, "center", None).get_extents()
    assert two.height > 2 * one.height and (two.y0 + two.y1) / 2 == pytest.approx(0, abs=0.2)
    assert len(viz.glyph_block("", 10.0, False, "center", None).vertices) == 1  # nothing drawn


def test_plain_log_axis_sets_the_scale_and_plain_labels():
    figure, ax = viz.new_figure(4, 3)
    ax.plot([1, 2, 4, 8], [0.01, 0.1, 1, 10])
    viz.plain_log_axis(ax.yaxis)
    viz.plain_log_axis(ax.xaxis, ticks=[1, 2, 4, 8])
    assert ax.get_yscale() == ax.get_xscale() == "log"
    render(figure)
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "0.01" in ylabels and "10" in ylabels
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"]


def test_cell_grid_colours_and_numbers():
    figure, ax = new_axes()
    vl.matrix_axes(ax)
    grid = vl.CellGrid(ax)
    grid.update(FIRST, vl.tint(viz.INPUT), (1.0, 2.0))
    assert grid.shape == (4, 4)
    assert len(grid.cells.get_paths()) == 16
    assert grid.box(1, 2, 2, 3) == (3.0, 3.0, 3, 2)
    extents = grid.numbers.get_path().get_extents()
    assert 1.0 < extents.x0 and extents.x1 < 5.0 and 2.0 < extents.y0 and extents.y1 < 6.0
    labels = [["" for _ in range(4)] for _ in range(4)]
    grid.update(FIRST, vl.tint(viz.INPUT), labels=labels)
    assert len(grid.numbers.get_path().vertices) == 1  # nothing written
    render(figure)


def test_visited_cells():
    np.testing.assert_array_equal(vl.visited_cells(6, 2, 3), [1, 1, 0, 1, 1, 0])
    assert vl.visited_cells(4, 2, 2).all()
    with pytest.raises(ValueError, match="larger than padded input"):
        vl.visited_cells(3, 4, 1)


def test_pool_matrix_view_reproduces_the_lecture():
    figure, ax = new_axes(size=(7, 4))
    view = vl.PoolMatrixView(ax)
    np.testing.assert_array_equal(view.update(FIRST, 2), [[6, 8], [3, 4]])
    padded = np.pad(FIVE, ((0, 1), (0, 1)))
    out = view.update(padded, 2, (1, 2), "max", image_shape=(5, 5))
    np.testing.assert_array_equal(out[-1], [7, 9, 0])
    assert "5×3" in view.output_title.get_text()
    render(figure)
    with pytest.raises(ValueError, match="larger than padded input"):
        view.update(FIRST, 5)
    with pytest.raises(ValueError, match="mode"):
        view.update(FIRST, 2, mode="median")
    # stride 3 with a 2x2 window skips the third row and column: crosses there
    view.update(padded, 2, 3)
    crossed_cols, crossed_rows = view.crosses.get_data()
    assert set(np.asarray(crossed_rows) - 0.5) == {0, 1, 2, 3, 4, 5}
    assert 2 in set(np.asarray(crossed_cols) - 0.5)


def test_draw_pooling_returns_the_pooled_matrix():
    figure, ax = new_axes()
    out = vl.draw_pooling(ax, FIRST, 2, 1, "min", title="min")
    np.testing.assert_array_equal(out, [[1, 1, 2], [2, 1, 0], [1, 1, 0]])
    assert ax.get_title() == "min"


def test_shifted_crop_moves_content_right():
    image = np.arange(30).reshape(5, 6)
    np.testing.assert_array_equal(vl.shifted_crop(image, 0, 2, (1, 2)), [[8, 9], [14, 15]])
    np.testing.assert_array_equal(vl.shifted_crop(image, 2, 2, (1, 2)), [[6, 7], [12, 13]])
    with pytest.raises(ValueError, match="left edge"):
        vl.shifted_crop(image, 3, 2, (1, 2))
    with pytest.raises(ValueError, match="does not fit"):
        vl.shifted_crop(image, 0, 5, (1, 2))


def test_max_pooling_keeps_more_values_than_average_pooling():
    rng = np.random.default_rng(0)
    feature_map = rng.random((40, 48))
    shifts = [0, 1, 2]
    kept_max = vl.unchanged_fraction(feature_map, shifts, "max", 4, size=32, origin=(4, 8))
    kept_avg = vl.unchanged_fraction(feature_map, shifts, "avg", 4, size=32, origin=(4, 8))
    kept_raw = vl.unchanged_fraction(feature_map, shifts, "none", size=32, origin=(4, 8))
    assert kept_max[0] == kept_avg[0] == kept_raw[0] == 1.0
    assert kept_max[1] > 0.3 and kept_avg[1] == 0.0 and kept_raw[1] == 0.0
    with pytest.raises(ValueError, match="mode"):
        vl.unchanged_fraction(feature_map, shifts, "median")


def test_shift_experiment_view_facts_and_limits():
    rng = np.random.default_rng(1)
    feature_map = rng.random((40, 48))
    figure, axes = new_axes(1, 4, size=(12, 3))
    view = vl.ShiftExperimentView(axes, max_shift=4)
    facts = view.update(feature_map, "max", 4, None, 1, 32, (4, 8))
    assert facts["output"] == (8, 8) and facts["input"] == (32, 32)
    assert facts["unchanged"] == facts["unchanged_max"] > facts["unchanged_avg"]
    facts_avg = view.update(feature_map, "avg", 4, (4, 2), 0, 32, (4, 8))
    assert facts_avg["output"] == (8, 15) and facts_avg["unchanged"] == 1.0
    render(figure)
    with pytest.raises(ValueError, match="at most 4"):
        view.update(feature_map, "max", 4, None, 5, 32, (4, 8))
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        view.update(feature_map, "min", 4, None, 1, 32, (4, 8))


def test_draw_unchanged_agrees_with_unchanged_fraction():
    rng = np.random.default_rng(2)
    feature_map = rng.random((40, 48))
    figure, ax = new_axes()
    kept = vl.draw_unchanged(ax, feature_map, "max", 4, shift=1, size=32, origin=(4, 8))
    expected = vl.unchanged_fraction(feature_map, [1], "max", 4, size=32, origin=(4, 8))[0]
    assert kept == expected and f"{kept:.0%}" in ax.get_title()


def test_multichannel_stepper_gives_the_lectures_minus_25():
    figure, ax = new_axes(size=(7, 6))
    stepper = vl.MultiChannelStepper(ax, RGB, KERNEL, 1, padding=1, names=("r", "g", "b"))
    facts = stepper.show(0)
    np.testing.assert_array_equal(facts["channel_sums"], [308, -498, 164])
    assert facts["value"] == -25 and stepper.steps == 16
    stepper.set_bias(-4)
    assert stepper.show(0)["value"] == -30
    last = stepper.show(15)
    assert last["position"] == (3, 3) and last["value"] == -4  # the last window sees zeros only
    render(figure)
    with pytest.raises(ValueError, match="below 16"):
        stepper.show(16)
    with pytest.raises(ValueError, match="every input channel"):
        vl.MultiChannelStepper(ax, RGB, KERNEL[:2])


def test_draw_multichannel_step_with_stride():
    figure, ax = new_axes()
    facts = vl.draw_multichannel_step(ax, RGB, KERNEL, 1, step=1, stride=2, padding=1)
    assert facts["position"] == (0, 1)


def test_volume_diagram_shapes():
    figure, ax = new_axes(size=(8, 3))
    volumes = vl.VolumeDiagram(ax)
    assert volumes.update(3, 227, 11, 96, stride=4) == 55
    assert volumes.labels["output"].get_text() == "output\n96×55×55"
    assert volumes.update(256, 13, 3, 256, padding=1) == 13
    render(figure)
    with pytest.raises(ValueError, match="larger than padded input"):
        volumes.update(3, 4, 5, 6)
    assert vl.draw_volumes(ax, 3, 32, 5, 6, title="six filters") == 28


def test_conv_matrix_figure():
    figure, ax = new_axes()
    matrix = vl.draw_conv_matrix(ax, (3, 3), [[1, 2], [3, 4]])
    assert matrix.shape == (4, 9) and np.count_nonzero(matrix) == 16
    assert sorted(np.unique(matrix[matrix != 0])) == [1, 2, 3, 4]


def test_sparse_connectivity_figure():
    figure, ax = new_axes()
    seen = vl.draw_sparse_connectivity(ax, (4, 4), 2, 2)
    assert [seen[r, c].ravel().tolist() for r in range(2) for c in range(2)] == [
        [1, 2, 5, 6],
        [3, 4, 7, 8],
        [9, 10, 13, 14],
        [11, 12, 15, 16],
    ]


def test_receptive_growth_figure():
    figure, ax = new_axes()
    assert vl.draw_receptive_growth(ax, 7, 3, 2, meet=(0, 4)) == [[], [0]]
    figure, ax = new_axes()
    assert vl.draw_receptive_growth(ax, 7, 3, 1, meet=(0, 2)) == [[0]]
    with pytest.raises(ValueError, match="need more than"):
        vl.draw_receptive_growth(ax, 5, 3, 3)


def test_cnn_pipeline_draws_one_box_per_stage():
    figure, ax = new_axes(size=(10, 1.6))
    vl.draw_cnn_pipeline(ax, [("input", "28x28x1", viz.INPUT), ("softmax", "10", viz.OUTPUT)])
    assert len(ax.patches) == 2
    written = [t.get_text() for t in ax.texts if t.get_text()]
    assert written == ["input", "28x28x1", "softmax", "10"]


def test_settle_axes_fixes_positions():
    figure, ax = new_axes()
    ax.set_xlabel("x")
    ax.set_xscale("log")
    vl.settle_axes(ax, xlabel_y=-0.2)
    assert ax.xaxis.label.get_position()[1] == pytest.approx(-0.2)
    assert ax.xaxis.get_minor_locator().tick_values(1, 1000) == []
