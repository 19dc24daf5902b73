"""Smoke tests for the figures of notebook 11 (lecturelib.drawing.pretrain)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecturelib.drawing import pretrain as vp  # noqa: E402
from lecturelib.drawing.figures import new_figure  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_filter_mosaic_scales_each_filter_and_keeps_room():
    filters = np.zeros((3, 64))
    filters[0, 0], filters[1, 5], filters[2, 63] = 4.0, -0.5, 0.0
    mosaic = vp.filter_mosaic(filters, columns=2, slots=4)
    assert mosaic.shape == (2 * 8 + 3, 2 * 8 + 3)
    assert np.nanmax(mosaic) == 1.0 and np.nanmin(mosaic) == -1.0  # each scaled to its own max
    assert np.isnan(mosaic[10:18, 10:18]).all()  # the fourth slot is empty
    with pytest.raises(ValueError, match="filters must have 64 weights"):
        vp.filter_mosaic(np.zeros((2, 10)))


def test_digit_pairs_puts_originals_above_reconstructions():
    originals, reconstructions = np.zeros((3, 64)), np.ones((3, 64))
    mosaic = vp.digit_pairs(originals, reconstructions)
    assert mosaic.shape == (2 * 8 + 3, 3 * 8 + 4)
    assert np.nanmax(mosaic[:9]) == 0.0 and np.nanmin(mosaic[10:]) == 1.0
    with pytest.raises(ValueError, match="differ"):
        vp.digit_pairs(originals, np.ones((2, 64)))


def test_views_update_in_place():
    figure, axes = new_figure(8, 3, 1, 2)
    view = vp.CodeSizeView(axes, 4, max_filters=8)
    rng = np.random.default_rng(0)
    view.update(rng.random((4, 64)), rng.random((4, 64)), rng.normal(size=(5, 64)), "five")
    assert view.title.get_text() == "five" and view.filters.get_array().shape == (10, 8 * 9 + 1)

    counts = (1, 2, 5)
    scratch, transfer = rng.random((3, 4)), rng.random((3, 4))
    figure, axes = new_figure(8, 3, 1, 2)
    tv = vp.TransferView(axes, counts, scratch)
    tv.update(1, transfer, "k = 1")
    np.testing.assert_allclose(tv.transfer_line.get_ydata(), transfer.mean(1))
    np.testing.assert_allclose(tv.transfer_dots.get_ydata(), transfer[1])
    assert "2 per class" in tv.title.get_text()

    fig, ax = plt.subplots()
    lines = vp.draw_accuracy_spread(ax, counts, {"a": scratch, "b": transfer})
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert len({line.get_linestyle() for line in lines}) == 2  # not told by colour alone
