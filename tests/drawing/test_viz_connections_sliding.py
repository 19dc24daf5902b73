"""Smoke tests for the drawings of notebooks 02 and 03 (viz_connections, viz_sliding).

The drawings only read numbers computed elsewhere, so these tests check that
what they show matches the library (counts, receptive fields, sums), that
impossible settings raise ValueError/TypeError with a message, and that the
quick redraw of the step-through panel paints the same picture as a full
redraw.
"""

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread

from lecturelib import convolve2d, cross_correlate2d, receptive_field
from lecturelib.drawing import figures as viz
from lecturelib.drawing.connections import (
    KINDS,
    WEIGHT_COLOURS,
    ConnectionDiagram,
    CountBars,
    ReceptiveFieldDiagram,
    connection_counts,
    draw_connections,
    draw_receptive_field,
    layer_edges,
)
from lecturelib.drawing.sliding import (
    SlidingWindowDiagram,
    SlidingWindowStepper,
    draw_sliding_step,
)

EDGE_INPUT = np.array(
    [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
)
EDGE_KERNEL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])


def png_pixels(figure):
    return imread(io.BytesIO(viz.figure_png(figure)), format="png")


# --- viz_connections ---------------------------------------------------------------


def test_connection_counts_match_the_lecture():
    assert connection_counts(8, 6, 3) == {
        "fully connected": 48,
        "locally connected": 18,
        "shared weights": 3,
    }
    assert connection_counts(36, 16, 9)["fully connected"] == 576
    big = connection_counts(10**6, 10**6, 100)
    assert (big["fully connected"], big["locally connected"], big["shared weights"]) == (
        10**12,
        10**8,
        100,
    )


@pytest.mark.parametrize(
    "args, error",
    [((4, 2, 5), ValueError), ((0, 2, 1), ValueError), ((4.0, 2, 1), TypeError)],
)
def test_connection_counts_reject_bad_sizes(args, error):
    with pytest.raises(error, match="window|n_inputs"):
        connection_counts(*args)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_inputs, window", [(8, 3), (5, 1), (7, 7), (12, 4)])
def test_layer_edges_count_the_weights(kind, n_inputs, window):
    inputs, outputs, weight_ids = layer_edges(n_inputs, window, kind)
    n_outputs = n_inputs - window + 1
    expected = connection_counts(n_inputs, n_outputs, window)[kind]
    assert len(np.unique(weight_ids)) == expected
    assert inputs.min() >= 0 and inputs.max() == n_inputs - 1
    assert outputs.max() == n_outputs - 1
    if kind != "fully connected":  # every edge stays inside its output's window
        assert np.all((inputs - outputs >= 0) & (inputs - outputs < window))


def test_layer_edges_reject_unknown_kind_and_large_window():
    with pytest.raises(ValueError, match="kind"):
        layer_edges(8, 3, "convolutional")
    with pytest.raises(ValueError, match="window 9 is larger"):
        layer_edges(8, 9, "shared weights")


def test_connection_diagram_updates_its_artists():
    figure, axes = viz.new_figure(9, 2.5, 1, 3)
    diagrams = [ConnectionDiagram(ax, kind) for ax, kind in zip(axes, KINDS)]
    assert [d.draw(8, 3) for d in diagrams] == [48, 18, 3]
    assert len(diagrams[0].edges.get_segments()) == 48
    assert diagrams[2].count_text.get_text() == "3 weights"
    assert [label.get_visible() for label in diagrams[2].weight_labels[:4]] == [
        True,
        True,
        True,
        False,
    ]
    assert [d.draw(5, 5) for d in diagrams] == [5, 5, 5]
    assert len(diagrams[1].nodes.get_offsets()) == 5 + 1
    png_pixels(figure)  # draws without error
    with pytest.raises(ValueError, match="larger than the input length"):
        diagrams[1].draw(4, 6)
    with pytest.raises(ValueError, match="colours for windows"):
        diagrams[2].draw(12, len(WEIGHT_COLOURS) + 1)
    with pytest.raises(ValueError, match="kind"):
        ConnectionDiagram(axes[0], "dense")


def test_count_bars_show_the_counts():
    figure, ax = viz.new_figure(3, 3)
    bars = CountBars(ax, title="2-D weights", top=1e17)
    counts = connection_counts(36, 16, 9)
    bars.draw(counts, "6 x 6 image")
    assert [bar.get_height() for bar in bars.bars] == [576, 144, 9]
    assert [label.get_text() for label in bars.labels] == ["576", "144", "9"]
    bars.draw(connection_counts(10**6, 10**6, 100))
    assert bars.labels[0].get_text() == "1e12"
    assert ax.get_ylim()[1] == pytest.approx(1e17)
    png_pixels(figure)


@pytest.mark.parametrize("depth, window", [(1, 3), (2, 3), (3, 2), (4, 5)])
def test_receptive_field_diagram_agrees_with_the_library(depth, window):
    figure, ax = viz.new_figure(6, 3)
    diagram = ReceptiveFieldDiagram(ax, max_depth=4)
    field = diagram.draw(17, window, depth)
    assert len(field) == receptive_field([window] * depth) == depth * (window - 1) + 1
    # the highlighted edges: every unit of the cone below the top feeds `window` edges upwards
    cone_units_above_inputs = sum(len(field) - layer * (window - 1) for layer in range(1, depth))
    assert len(diagram.cone.get_segments()) == window * (1 + cone_units_above_inputs)
    assert diagram.field_text.get_text() == f"{len(field)} inputs"
    assert sum(label.get_visible() for label in diagram.layer_labels) == depth + 1
    png_pixels(figure)


def test_receptive_field_diagram_rejects_impossible_stacks():
    figure, ax = viz.new_figure(6, 3)
    diagram = ReceptiveFieldDiagram(ax, max_depth=2)
    with pytest.raises(ValueError, match="room for 2 layers"):
        diagram.draw(17, 3, 3)
    with pytest.raises(ValueError, match="need at least 9 inputs"):
        draw_receptive_field(ax, 8, 3, 4)


def test_one_shot_drawings_return_their_numbers():
    figure, axes = viz.new_figure(6, 2, 1, 2)
    assert draw_connections(axes[0], 8, 3, "locally connected") == 18
    assert draw_receptive_field(axes[1], 13, 3, 2) == range(4, 9)  # centred on input 6


# --- viz_sliding ----------------------------------------------------------------------


def test_format_number():
    # one format for every figure (lecturelib.drawing.figures): trailing zeros dropped
    assert [viz.format_number(v) for v in (-13.0, 320, 2.5, -0.0, 1.811)] == [
        "-13",
        "320",
        "2.5",
        "0",
        "1.81",
    ]


@pytest.mark.parametrize("flip", [False, True])
def test_sliding_diagram_shows_the_library_sums(flip):
    figure, ax = viz.new_figure(8, 3)
    diagram = SlidingWindowDiagram(ax, EDGE_INPUT, EDGE_KERNEL)
    expected = (convolve2d if flip else cross_correlate2d)(EDGE_INPUT, EDGE_KERNEL)
    for position in range(diagram.positions):
        facts = diagram.show(position, flip)
        row, col = divmod(position, 3)
        assert (facts["row"], facts["col"]) == (row, col)
        assert facts["products"].sum() == facts["total"] == expected[row, col]
        assert len(diagram.pending.get_paths()) == 8 - position
    assert diagram.kernel_label.get_text() == ("kernel, flipped" if flip else "kernel")
    png_pixels(figure)


def test_sliding_diagram_with_padding_stride_and_bias():
    figure, ax = viz.new_figure(8, 3)
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    image = np.arange(25).reshape(5, 5) + 100
    facts = draw_sliding_step(ax, image, sharpen, 0, stride=2, padding=1)
    assert facts["output"].shape == (3, 3)
    assert facts["total"] == 5 * 100 - 101 - 105
    figure, ax = viz.new_figure(8, 3)
    diagram = SlidingWindowDiagram(
        ax, [[2, 2, 1], [3, 1, -1], [4, 3, 2]], [[1, -1], [-1, 0]], bias=2
    )
    assert diagram.show(3)["total"] == 1
    assert diagram.sum_text.get_text() == "\u03a3 = -1 + 2 = 1"


def test_sliding_diagram_rejects_bad_settings():
    figure, ax = viz.new_figure(8, 3)
    diagram = SlidingWindowDiagram(ax, EDGE_INPUT, EDGE_KERNEL)
    with pytest.raises(ValueError, match="only 9 positions"):
        diagram.show(9)
    with pytest.raises(TypeError, match="position must be an integer"):
        diagram.show(1.5)
    with pytest.raises(ValueError, match="larger than padded input"):
        SlidingWindowDiagram(ax, np.ones((2, 2)), np.ones((3, 3)))
    with pytest.raises(TypeError, match="bias must be a number"):
        SlidingWindowDiagram(ax, EDGE_INPUT, EDGE_KERNEL, bias="two")


def plain_pixels(figure, artists):
    """The figure drawn the ordinary way (every artist in z-order), as pixels."""
    for artist in artists:
        artist.set_animated(False)
    FigureCanvasAgg.draw(figure.canvas)
    return imread(io.BytesIO(viz.canvas_png(figure.canvas)), format="png")


def test_stepper_quick_redraw_paints_the_same_picture():
    examples = {
        "edge": {"image": EDGE_INPUT, "kernel": EDGE_KERNEL},
        "padded": {"image": np.arange(1, 10).reshape(3, 3), "kernel": EDGE_KERNEL.T, "padding": 1},
    }
    figure, ax = viz.new_figure(6, 2.2)
    stepper = SlidingWindowStepper(figure, ax, examples)
    steps = [
        ("edge", 0, False),
        ("edge", 4, False),  # position only: a quick redraw over the saved background
        ("edge", 4, True),  # the operation changes: full redraw
        ("padded", 2, True),  # the example changes: full redraw
        ("padded", 6, True),
    ]
    for name, position, flip in steps:
        facts = stepper.show(name, position, flip)
        quick = png_pixels(figure)
        figure.set_layout_engine("none")  # as a Panel does after its first drawing
        full = plain_pixels(figure, stepper.diagram.artists)
        assert quick.shape == full.shape
        assert np.mean(np.any(np.abs(quick - full) > 0.02, axis=-1)) < 0.001, (name, position)
        assert facts["total"] == stepper.diagram.outputs[flip].ravel()[position]
    with pytest.raises(ValueError, match="unknown example"):
        stepper.show("sharpen", 0)
    with pytest.raises(ValueError, match="examples"):
        SlidingWindowStepper(figure, ax, {})
