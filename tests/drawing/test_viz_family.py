"""Tests for lecturelib.drawing.family (figures of notebook 10)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.convolution import receptive_field  # noqa: E402
from lecturelib.drawing import family as vf  # noqa: E402


@pytest.mark.parametrize("dilations", [[1, 1, 1], [1, 2, 4], [2, 2, 2], [3]])
def test_receptive_paths_span_the_receptive_field(dilations):
    paths = vf.receptive_paths(dilations)
    size = receptive_field([3] * len(dilations), dilations=dilations)
    assert paths.shape == (size, size)
    assert paths.sum() == 9 ** len(dilations)  # every path picks one cell per layer


def test_gridding_leaves_holes():
    assert np.count_nonzero(vf.receptive_paths([1, 2, 4])) == 15 * 15
    assert np.count_nonzero(vf.receptive_paths([2, 2, 2])) == 7 * 7


def test_kernel_copies_and_checkerboard():
    copies = vf.kernel_copies(4, 4, stride=2, padding=1)
    assert copies.shape == (8, 8)
    assert copies[2:-2, 2:-2].min() == copies[2:-2, 2:-2].max() == 4
    assert vf.checkerboard(3, 2) == (1, 2)
    assert vf.checkerboard(4, 2) == (2, 2)
    assert vf.checkerboard(3, 1, dilation=3) == (3, 3)
    with pytest.raises(ValueError, match="groups=4 must divide both"):
        vf.kernel_copies(4, 3, groups=4)
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        vf.kernel_copies(4, 3, stride=1, output_padding=1)


def test_draw_groups_counts_the_connections():
    fig = Figure()
    assert vf.draw_groups(fig.add_subplot(), 6, 6, 1) == 36
    assert vf.draw_groups(fig.add_subplot(), 6, 6, 3) == 12
    assert vf.draw_groups(fig.add_subplot(), 6, 6, 6) == 6


def test_family_view_updates_and_reports():
    fig = Figure(figsize=(8, 3))
    view = vf.FamilyView(fig.subplots(1, 2))
    facts = view.update(3, 2, 1, 1, 1, 2)
    assert facts["output"] == (8, 8)
    assert (facts["fewest"], facts["most"]) == (1, 2)
    assert facts["weights"] == 6 * 3 * 9
    facts = view.update(5, 3, 0, 2, 2, 6)
    assert facts["output"] == (3 * 3 + 2 * 4 + 2 + 1,) * 2
    with pytest.raises(ValueError):
        view.update(3, 1, 0, 1, 1, 1)
