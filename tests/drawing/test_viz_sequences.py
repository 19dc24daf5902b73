"""Smoke tests for the sequence-notebook figures (lecturelib.drawing.sequences)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_hex

from lecturelib.drawing import figures as viz
from lecturelib.drawing import sequences as vs


def visible_count(artists):
    return sum(artist.get_visible() for artist in artists)


# --- the unrolled network ---------------------------------------------------------------


@pytest.mark.parametrize(
    "architecture, inputs, outputs",
    [
        ("one-to-one", [True], [True]),
        ("one-to-many", [True, False, False, False], [True] * 4),
        ("many-to-one", [True] * 4, [False, False, False, True]),
        ("many-to-many (aligned)", [True] * 4, [True] * 4),
        ("many-to-many (unaligned)", [True, True, False, False], [False, False, True, True]),
    ],
)
def test_architecture_steps(architecture, inputs, outputs):
    got_inputs, got_outputs = vs.architecture_steps(architecture, 4)
    assert got_inputs.tolist() == inputs
    assert got_outputs.tolist() == outputs


def test_architecture_steps_rejects_impossible_settings():
    with pytest.raises(ValueError, match="at least 2 steps"):
        vs.architecture_steps("many-to-many (unaligned)", 1)
    with pytest.raises(ValueError, match="architecture must be one of"):
        vs.architecture_steps("two-to-two", 3)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        vs.architecture_steps("many-to-one", 0)


def test_subscript():
    assert "h" + vs.subscript(-1) == "h₋₁"
    assert vs.subscript(12) == "₁₂"


def test_unrolled_view_shows_the_right_boxes_and_arrows():
    _, ax = viz.new_figure(8, 3)
    view = vs.UnrolledView(ax, max_steps=6)
    assert view.show(4, "many-to-one") == 4
    assert visible_count(view.boxes["h"]) == 4
    assert visible_count(view.boxes["x"]) == 4
    assert visible_count(view.boxes["y"]) == 1
    assert view.boxes["y"][3].get_visible()
    assert visible_count(view.arrows["W"]) == 4
    assert visible_count(view.arrows["V"]) == 1
    # every W arrow has the same colour: one shared matrix
    colours = {to_hex(arrow.get_edgecolor()) for arrow in view.arrows["W"]}
    assert colours == {to_hex(vs.WEIGHT_COLOURS["W"])}
    assert view.labels["x"][2].get_text() == "x₂"

    assert view.show(6, "one-to-one") == 1
    assert visible_count(view.boxes["h"]) == 1
    assert visible_count(view.arrows["W"]) == 0
    assert not view.start_box.get_visible()
    with pytest.raises(ValueError, match="steps must be <= 6"):
        view.show(7)


def test_draw_unrolled_titles_the_axes():
    _, ax = viz.new_figure(8, 3)
    view = vs.draw_unrolled(ax, 3, "one-to-many")
    assert ax.get_title() == "one-to-many"
    assert visible_count(view.boxes["x"]) == 1 and visible_count(view.boxes["y"]) == 3


# --- hidden state heat map ------------------------------------------------------------------


def test_hidden_state_view_fills_columns_and_highlights_the_best_token():
    _, (ax_h, ax_p) = viz.new_figure(8, 3, 1, 2)
    view = vs.HiddenStateView(ax_h, ax_p, hidden_size=3, max_steps=5, tokens=["a", "b", "c"])
    states = np.array([[0.1, -0.2, 0.3], [0.5, 0.0, -0.9]])
    view.show(states, ["a", "b"], np.array([0.2, 0.7, 0.1]))
    data = np.ma.getdata(view.image.get_array())
    np.testing.assert_allclose(data[:, :2], states.T)
    assert np.isnan(data[:, 2:]).all()
    assert [bar.get_height() for bar in view.bars] == [0.2, 0.7, 0.1]
    assert to_hex(view.bars[1].get_facecolor()) == to_hex(viz.HIGHLIGHT)
    assert to_hex(view.bars[0].get_facecolor()) == to_hex(viz.OUTPUT)
    with pytest.raises(ValueError, match="at most 5 characters"):
        view.show(np.zeros((6, 3)), list("abcabc"), np.ones(3) / 3)


# --- BPTT contributions ---------------------------------------------------------------------


def test_cut_band_outlines_the_dropped_terms():
    band = vs._cut_band(steps=4, truncate=2)
    # rows 2 and 3 lose columns 0 and 0..1
    expected = [(-0.5, 1.5), (0.5, 1.5), (0.5, 2.5), (1.5, 2.5), (1.5, 3.5), (-0.5, 3.5)]
    np.testing.assert_allclose(band, expected)


def test_contribution_view_marks_row_and_band():
    _, (ax_map, ax_row) = viz.new_figure(8, 3, 1, 2)
    view = vs.ContributionView(ax_map, ax_row, max_steps=6, first_step=1)
    contributions = np.tril(np.arange(1.0, 26.0).reshape(5, 5))
    view.show(contributions, t=4, truncate=2)
    assert view.band.get_visible()
    assert view.row_box.get_xy() == (0.5, 3.5) and view.row_box.get_width() == 4
    kept_x, kept_y = view.kept_line.get_data()
    assert list(kept_x) == [3, 4]  # terms k = 3, 4 of dL_4/dW (1-based)
    np.testing.assert_allclose(kept_y, np.log10(contributions[3, 2:4]))
    assert view.cut_span.get_width() == 2
    assert view.row_title.get_text() == "the 4 terms of dL_4/dW"

    view.show(contributions, t=5, truncate=None)
    assert not view.band.get_visible() and not view.cut_span.get_visible()
    with pytest.raises(ValueError, match="must lie inside the sequence"):
        view.show(contributions, t=6)
    with pytest.raises(ValueError, match="2 <= T <= 6"):
        view.show(np.ones((7, 7)), t=1)


def test_contribution_view_without_row_axes():
    _, ax = viz.new_figure(4, 3)
    view = vs.ContributionView(ax, None, max_steps=4, colorbar=False)
    view.show(np.tril(np.ones((4, 4))), t=3, truncate=1)
    assert view.band.get_visible()


# --- Jacobian norms ---------------------------------------------------------------------------


def test_jacobian_view_reports_underflow_overflow_and_exact_zero():
    _, ax = viz.new_figure(6, 3)
    view = vs.JacobianNormView(ax, max_steps=50)
    steps = np.arange(50.0)

    events = view.show(-10.0 * steps, -5.0 * steps)
    assert events == {"underflow": 31, "overflow": None}
    assert view.marker_line.get_visible()
    assert "underflow" in view.marker_text.get_text() and "31" in view.marker_text.get_text()

    rising = 10.0 * steps
    rising[40:] = np.inf  # the forward pass overflowed
    events = view.show(rising, 12.0 * steps)
    assert events == {"underflow": None, "overflow": 31}
    assert "overflow" in view.marker_text.get_text()
    assert len(view.overflow_marks.get_xdata()) == 10

    zero = -0.1 * steps
    zero[20:] = -np.inf
    assert view.show(zero, 0 * steps) == {"underflow": 20, "overflow": None}
    assert "exactly 0" in view.marker_text.get_text()

    assert view.show(-0.1 * steps, 0 * steps) == {"underflow": None, "overflow": None}
    assert not view.marker_line.get_visible()
    with pytest.raises(ValueError, match="2 <= S <= 50"):
        view.show(np.zeros(51), np.zeros(51))


# --- static figures and layout --------------------------------------------------------------


def test_static_figures_draw():
    fig, (ax_a, ax_b) = viz.new_figure(9, 3, 1, 2)
    vs.draw_layer_gradients(ax_a, {"sigmoid": np.linspace(-10, 0, 5), "relu": np.zeros(5)})
    assert len(ax_a.get_lines()) == 2
    vs.draw_two_path_graph(ax_b)
    assert len(ax_b.patches) == 5  # five arrows: x->z1, two paths of two edges
    assert viz.figure_png(fig)[:4] == b"\x89PNG"
