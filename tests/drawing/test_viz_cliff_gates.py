"""The clipping notebook's pictures (drawing.cliff) and the gated-cell pictures
(drawing.gates). The cliff itself is tested in tests/lesson/test_cliff.py, the
clipped training runs in tests/training/test_clipping.py."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from lecturelib import gru_forward, lstm_forward
from lecturelib.cliff import CliffSurface
from lecturelib.drawing.cliff import (
    ClippingArrows,
    TrainingCurves,
    TrajectoryArtists,
    draw_clipping,
    draw_descent,
    left_view,
)
from lecturelib.drawing.gates import (
    GATE_ROWS,
    GateHeatmaps,
    Whiteboard,
    draw_gradient_norms,
    draw_whiteboard,
    gate_traces,
    whiteboard_example,
)

# --- clipping one vector ------------------------------------------------------------


def test_clipping_arrows_show_both_clipped_vectors():
    figure = Figure()
    arrows = ClippingArrows(figure.subplots(), limit=3.0)
    by_norm, by_value = arrows.show([2.0, 1.0], 0.5)
    np.testing.assert_allclose(np.linalg.norm(by_norm), 0.5, atol=1e-6)
    np.testing.assert_allclose(by_value, [0.5, 0.5])
    assert arrows.circle.get_radius() == 0.5
    assert arrows.square.get_width() == 1.0
    with pytest.raises(ValueError, match="two entries"):
        arrows.show([1.0, 2.0, 3.0], 1.0)
    ax = Figure().subplots()
    draw_clipping(ax, (3.0, 1.0), 1.0)
    assert "value 27 deg" in ax.get_title() and ax.get_legend() is None


# --- the cliff --------------------------------------------------------------------------


def test_left_view_says_when_a_run_leaves_the_picture():
    surface = CliffSurface()
    plain = surface.descend(learning_rate=0.4, steps=60)
    clipped = surface.descend(learning_rate=0.4, steps=60, clip="norm", threshold=1.0)
    assert left_view(plain, (-4, 4, -4, 4)) is not None
    assert left_view(clipped, (-4, 4, -4, 4)) is None


def test_trajectory_artists_highlight_only_a_catapult():
    surface = CliffSurface()
    figure = Figure()
    artists = TrajectoryArtists(figure.subplots())
    artists.show(surface.descend(learning_rate=0.4))
    assert len(artists.jump.get_xdata()) == 2
    artists.show(surface.descend(learning_rate=0.4, clip="norm", threshold=1.0))
    assert len(artists.jump.get_xdata()) == 0
    ax = Figure().subplots()
    draw_descent(ax, surface, surface.descend(learning_rate=0.4), title="plain")
    assert any("left the view" in text.get_text() for text in ax.texts)


# --- the character-level runs ------------------------------------------------------------


def test_training_curves_mark_the_first_nan(clipping_runs):
    runs, vocab_size = clipping_runs
    figure = Figure()
    curves = TrainingCurves(*figure.subplots(1, 2), steps=8, vocab_size=vocab_size)
    bad = curves.show(runs[(0.05, "none", 1.0)])
    assert bad is not None and curves.nan_lines[0].get_visible()
    assert "NaN from step" in curves.nan_text.get_text()
    assert len(curves.loss_line.get_xdata()) == bad
    assert curves.show(runs[(0.05, "norm", 1.0)], "norm", 1.0) is None
    assert not curves.nan_lines[0].get_visible() and curves.threshold_line.get_visible()


# --- the whiteboard ----------------------------------------------------------------------


def test_whiteboard_example_reproduces_the_lecture():
    board, result = whiteboard_example(1, 3, 5, 11)
    assert result == 181
    assert board.written == {
        "ac": 5,
        "bd": 33,
        "bd + a": 34,
        "ac(bd + a)": 170,
        "ad": 11,
        "result": 181,
    }
    assert all(sum(slot is not None for slot in slots) <= 3 for _, slots in board.history)
    assert whiteboard_example(2, 1, 3, 4)[1] == 2 * 3 * (1 * 4 + 2) + 2 * 4


def test_whiteboard_refuses_what_does_not_fit():
    board = Whiteboard(slots=1)
    board.write("x", 1)
    with pytest.raises(ValueError, match="full"):
        board.write("y", 2)
    roomy = Whiteboard(slots=2)
    roomy.write("x", 1)
    with pytest.raises(ValueError, match="already"):
        roomy.write("x", 3)
    with pytest.raises(ValueError, match="not on the board"):
        board.erase("y")
    with pytest.raises(ValueError, match="not on the board"):
        board.read("y")
    with pytest.raises(TypeError):
        board.write("", 1)
    with pytest.raises(ValueError, match="full"):
        whiteboard_example(slots=2)


def test_draw_whiteboard_draws_one_row_per_action():
    board, _ = whiteboard_example()
    ax = Figure().subplots()
    draw_whiteboard(ax, board)
    assert len(ax.patches) == 3 * len(board.history)
    texts = [t.get_text() for t in ax.texts]
    assert "erase bd" in texts and "result = 181" in texts


# --- gate heat maps ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def caches():
    rng = np.random.default_rng(0)
    T, N, D, H = 6, 2, 3, 4
    x = rng.normal(size=(T, N, D))
    h0 = np.zeros((N, H))
    _, _, lstm = lstm_forward(
        x, h0, h0, rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), np.zeros(4 * H)
    )
    _, gru = gru_forward(
        x,
        h0,
        rng.normal(size=(D, 3 * H)),
        rng.normal(size=(H, 3 * H)),
        np.zeros(3 * H),
        np.zeros(3 * H),
    )
    return {"lstm": lstm, "gru": gru}


def test_gate_traces_pick_one_sequence_units_down_time_across(caches):
    traces = gate_traces(caches["lstm"], "lstm", sequence=1)
    assert set(traces) == {key for key, _ in GATE_ROWS["lstm"]}
    np.testing.assert_array_equal(traces["f"], caches["lstm"]["f"][:, 1, :].T)
    gru = gate_traces(caches["gru"], "gru")
    np.testing.assert_allclose(gru["1-z"], 1 - caches["gru"]["z"][:, 0, :].T)
    with pytest.raises(ValueError, match="cell"):
        gate_traces(caches["gru"], "rnn")
    with pytest.raises(TypeError, match="cache"):
        gate_traces(caches["gru"], "lstm")
    with pytest.raises(ValueError, match="sequence"):
        gate_traces(caches["gru"], "gru", sequence=5)


def test_gate_heatmaps_pad_short_sequences_and_scale_the_memory(caches):
    figure = Figure()
    maps = GateHeatmaps(figure, hidden=4, max_steps=10, state_limits={"lstm": 2.0, "gru": 1.0})
    traces = gate_traces(caches["lstm"], "lstm")
    maps.show("lstm", traces, tokens=[0, 1, 2, 3, 0, 1])
    forget = maps.images[0].get_array()
    assert forget.shape == (4, 10)
    np.testing.assert_allclose(forget[:, :6], traces["f"])
    assert np.all(np.ma.getmaskarray(forget)[:, 6:] | np.isnan(forget.data[:, 6:]))
    np.testing.assert_allclose(maps.images[3].get_array()[:, :6], traces["c"] / 2.0)
    assert maps.titles[0].get_text() == "keep: forget gate f / update gate z"
    gru = gate_traces(caches["gru"], "gru")
    maps.show("gru", gru, tokens=[1] * 6)
    np.testing.assert_allclose(maps.images[1].get_array()[:, :6], gru["1-z"])
    np.testing.assert_allclose(maps.images[3].get_array()[:, :6], gru["h"] / 1.0)
    with pytest.raises(ValueError, match="1 to 10 steps"):
        maps.show("gru", traces, tokens=list(range(11)))
    with pytest.raises(ValueError, match="to match the tokens"):
        maps.show("lstm", traces, tokens=[0, 1, 2])


def test_draw_gradient_norms_relative_curves_end_at_one():
    ax = Figure().subplots()
    draw_gradient_norms(
        ax, {"RNN": np.array([1e-6, 1e-3, 0.5]), "GRU": [0.2, 0.3, 0.4]}, relative=True
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["RNN", "GRU"]
    np.testing.assert_allclose([line.get_ydata()[-1] for line in lines], [1.0, 1.0])
    np.testing.assert_allclose(lines[0].get_ydata()[0], 2e-6)
