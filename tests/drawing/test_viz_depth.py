"""Smoke tests for the figures of notebook 01 (lecturelib.drawing.depth)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib import memory_estimate  # noqa: E402
from lecturelib.drawing import depth as vd  # noqa: E402
from lecturelib.drawing.figures import figure_png  # noqa: E402

TRIANGLE_W = np.array([[0.0, 2.0, -2.0], [1.0, -1.0, -1.0]])
TRIANGLE_B = np.array([-1.0, -1.0, 7.0])


def new_axes(ncols=1):
    figure = Figure(figsize=(4.0 * ncols, 3.0))
    return figure, figure.subplots(1, ncols)


def test_line_middle_is_the_middle_of_the_visible_part():
    _, _, middle = vd._line_through_box(np.array([0.0, 1.0]), -1.0, 0.0, 4.0)
    np.testing.assert_allclose(middle, [2.0, 1.0], atol=1e-12)
    _, _, middle = vd._line_through_box(np.array([2.0, -1.0]), -1.0, 0.0, 4.0)
    np.testing.assert_allclose(middle, [1.5, 2.0], atol=1e-12)
    assert vd._line_through_box(np.array([0.0, 1.0]), -9.0, 0.0, 4.0)[2] is None  # y = 9
    assert vd._line_through_box(np.zeros(2), 1.0, 0.0, 4.0)[2] is None  # no line


def test_triangle_view_counts_and_draws():
    figure, ax = new_axes()
    points = np.array([[2.0, 2.0], [0.5, 0.5], [3.5, 3.5]])
    view = vd.TriangleView(ax, points, resolution=81)
    facts = view.update(TRIANGLE_W, TRIANGLE_B, selected=1)
    assert facts["points_inside"] == 1 and facts["silent_units"] == []
    assert 0.1 < facts["and_fraction"] < 0.15  # the triangle has area 2 of the square's 16
    silent = TRIANGLE_W.copy()
    silent[:, 2] = 0.0
    assert view.update(silent, TRIANGLE_B)["silent_units"] == ["C"]
    assert figure_png(figure)[:4] == b"\x89PNG"


def test_fit_view_refuses_widths_it_has_no_fit_for():
    figure, (ax_fit, ax_error) = new_axes(2)
    x = np.linspace(0, 1, 11)
    view = vd.FitView(ax_fit, ax_error, x, np.sin(x), [1, 2], {"relu": [0.5, 0.1]})
    assert view.update(2, "relu", np.sin(x)) == 0.1
    with pytest.raises(ValueError, match="no fit was computed for 3 hidden units"):
        view.update(3, "relu", np.sin(x))
    with pytest.raises(ValueError, match="no fits for activation"):
        view.update(1, "sigmoid", np.sin(x))
    assert figure_png(figure)[:4] == b"\x89PNG"


def test_memory_view_and_text():
    assert vd.memory_text(168_000_000) == "168 MB"
    assert vd.memory_text(2_048_000_000) == "2.05 GB"
    assert vd.memory_text(512) == "512 B"
    figure, ax = new_axes()
    view = vd.MemoryView(ax, reference=16e9, reference_label="16 GB")
    view.update(memory_estimate(26_000_000, 16_000_000, batch_size=32))
    assert view.values[1].get_text() == "2.05 GB"
    assert figure_png(figure)[:4] == b"\x89PNG"
