"""Smoke tests for the figures of notebook 17 (lecturelib.drawing.dropout)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import dropout as vd  # noqa: E402
from lecturelib.drawing.figures import figure_png  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def new_axes(width=6.0, height=4.0):
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


# --- counting and sampling -----------------------------------------------------------------


def test_counts_follow_two_to_the_number_of_droppable_units():
    assert vd.droppable_units(vd.NETWORK) == 16
    assert vd.thinned_network_count(vd.NETWORK) == 65_536
    assert vd.thinned_network_count((64, 64, 2)) == 2**128  # exact, not a float
    assert vd.droppable_units((3, 1)) == 3


@pytest.mark.parametrize("bad", [5, (4,), (4, 0, 2), "abc"])
def test_layer_sizes_are_checked(bad):
    with pytest.raises((TypeError, ValueError)):
        vd.droppable_units(bad)


def test_masks_keep_outputs_and_match_the_layer_sizes():
    masks = vd.sample_masks((5, 7, 3), 0.8, 0.5, seed=4)
    assert [m.shape for m in masks] == [(5,), (7,), (3,)]
    assert np.all(masks[-1] == 1)
    assert all(set(np.unique(m)) <= {0.0, 1.0} for m in masks)


def test_masks_are_nested_as_the_keep_probability_grows():
    previous = None
    for keep in np.linspace(0.0, 1.0, 11):
        masks = vd.sample_masks((40, 40, 2), keep, keep, seed=3)
        kept = np.concatenate(masks).astype(bool)
        if previous is not None:
            assert np.all(kept[previous])  # every unit kept before is still kept
        previous = kept
    assert previous.all()  # keep = 1 keeps everything


def test_masks_keep_about_p_of_the_units():
    masks = vd.sample_masks((4000, 4000, 1), 0.8, 0.5, seed=0)
    assert abs(masks[0].mean() - 0.8) < 0.03
    assert abs(masks[1].mean() - 0.5) < 0.03


@pytest.mark.parametrize("keep", [-0.1, 1.5, float("nan")])
def test_keep_probability_out_of_range_is_rejected(keep):
    with pytest.raises(ValueError, match="retain_hidden"):
        vd.sample_masks(vd.NETWORK, 0.8, keep)


def test_keep_probability_must_be_a_number():
    with pytest.raises(TypeError, match="retain_input"):
        vd.sample_masks(vd.NETWORK, "0.8", 0.5)


def test_unit_scales_in_training_and_at_test_time():
    masks = [np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0])]
    inverted = vd.unit_scales(masks, 0.8, 0.5, "inverted", "training")
    np.testing.assert_allclose(inverted[0], [1.25, 0.0, 1.25])
    np.testing.assert_allclose(inverted[1], [0.0, 2.0])
    classic = vd.unit_scales(masks, 0.8, 0.5, "classic", "training")
    np.testing.assert_allclose(classic[1], [0.0, 1.0])
    np.testing.assert_allclose(vd.unit_scales(masks, 0.8, 0.5, "classic", "test")[1], [0.5, 0.5])
    np.testing.assert_allclose(vd.unit_scales(masks, 0.8, 0.5, "inverted", "test")[0], [1, 1, 1])
    np.testing.assert_allclose(inverted[-1], [1.0])  # outputs are never scaled


def test_unit_scales_reject_zero_keep_probability_and_unknown_names():
    masks = vd.sample_masks(vd.NETWORK, 0.8, 0.5)
    with pytest.raises(ValueError, match="keep probability of 0"):
        vd.unit_scales(masks, 0.8, 0.0)
    with pytest.raises(ValueError, match="mode"):
        vd.unit_scales(masks, 0.8, 0.5, mode="dropconnect")
    with pytest.raises(ValueError, match="phase"):
        vd.unit_scales(masks, 0.8, 0.5, phase="inference")


def test_mask_probabilities_over_all_masks_sum_to_one():
    total = 0.0
    for bits in range(2**4):
        first = np.array([(bits >> i) & 1 for i in range(2)], dtype=float)
        second = np.array([(bits >> i) & 1 for i in range(2, 4)], dtype=float)
        total += vd.mask_probability([first, second, np.ones(1)], 0.8, 0.3)
    assert total == pytest.approx(1.0)


# --- the thinned network view ----------------------------------------------------------


def test_view_draws_only_the_edges_between_kept_units():
    figure, ax = new_axes()
    view = vd.ThinnedNetworkView(ax)
    facts = view.show(0.8, 0.5, seed=2)
    masks = vd.sample_masks(vd.NETWORK, 0.8, 0.5, seed=2)
    sizes = [int(m.sum()) for m in masks]
    expected_edges = sum(a * b for a, b in zip(sizes, sizes[1:]))
    assert len(view.edges.get_segments()) == expected_edges
    assert facts["kept"] == sizes[:-1] and facts["kept_total"] == sum(sizes[:-1])
    assert facts["count"] == 65_536 and facts["expected_kept"] == pytest.approx(9.2)
    assert len(figure_png(figure)) > 1000


def test_view_greys_out_dropped_units():
    figure, ax = new_axes()
    view = vd.ThinnedNetworkView(ax)
    view.show(0.5, 0.5, seed=1)
    kept = np.concatenate(vd.sample_masks(vd.NETWORK, 0.5, 0.5, seed=1)).astype(bool)
    faces = view.nodes.get_facecolors()
    dropped_face = matplotlib.colors.to_rgba(vd.DROPPED_FACE)
    assert np.allclose(faces[~kept], dropped_face)
    assert not np.any(np.all(np.isclose(faces[kept], dropped_face), axis=1))


def test_view_at_test_time_draws_the_full_network():
    figure, ax = new_axes()
    view = vd.ThinnedNetworkView(ax)
    view.show(0.8, 0.5, seed=0, mode="classic", phase="test")
    sizes = vd.NETWORK
    assert len(view.edges.get_segments()) == sum(a * b for a, b in zip(sizes, sizes[1:]))


def test_view_updates_in_place_and_reports_impossible_settings():
    figure, ax = new_axes()
    view = vd.ThinnedNetworkView(ax)
    artists_before = list(ax.get_children())
    for keep in (1.0, 0.6, 0.05):
        view.show(0.8, keep, seed=5)
    assert list(ax.get_children()) == artists_before
    with pytest.raises(ValueError):
        view.show(0.0, 0.5)
    everything = vd.ThinnedNetworkView(new_axes()[1]).show(1.0, 1.0)
    assert everything["kept_total"] == 16 and everything["probability"] == 1.0


def test_draw_thinned_network_in_small_multiples():
    from lecturelib.drawing import figures as viz

    settings = [{"retain_hidden": p, "seed": 0} for p in (0.8, 0.5, 0.3)]
    figure = viz.small_multiples(
        lambda ax, **s: vd.draw_thinned_network(ax, node_size=900, title=False, **s),
        settings,
    )
    assert len(figure.axes) == 3


def test_path_labels_shrink_wide_text_to_fit():
    _, ax = new_axes()
    labels = vd.PathLabels(ax, fontsize=10, max_width=10.0)
    labels.set(["×1.25", "×2"], [(0, 0), (1, 0)])
    widths = [path.get_extents().width for path in labels.collection.get_paths()]
    assert max(widths) <= 10.0 + 1e-6
    assert len(labels.collection.get_offsets()) == 2


# --- toy data and static figures --------------------------------------------------------


def test_two_moons_is_seeded_and_shaped():
    points, labels = vd.two_moons(50, noise=0.1, rng=3)
    again, labels_again = vd.two_moons(50, noise=0.1, rng=3)
    assert points.shape == (50, 2) and labels.shape == (50,) and labels.dtype == np.int64
    np.testing.assert_array_equal(points, again)
    np.testing.assert_array_equal(labels, labels_again)
    assert set(np.unique(labels)) == {0, 1}
    clean, clean_labels = vd.two_moons(200, noise=0.0, rng=0)
    upper = clean[clean_labels == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0] + 0.5, upper[:, 1] + 0.25), 1.0)
    with pytest.raises(ValueError, match="noise"):
        vd.two_moons(10, noise=-1.0)
    with pytest.raises(ValueError, match="n must be"):
        vd.two_moons(0)


def test_draw_gap_curves_returns_the_final_gap():
    _, ax = new_axes()
    gap = vd.draw_gap_curves(ax, [0.5, 0.2, 0.1], [0.6, 0.5, 0.7], title="test")
    assert gap == pytest.approx(0.6)
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="same non-zero length"):
        vd.draw_gap_curves(ax, [0.5, 0.2], [0.6])


def test_other_static_figures_draw():
    figure = Figure(figsize=(12, 3))
    axes = figure.subplots(1, 5)
    probability = np.linspace(0, 1, 20)[None, :].repeat(10, axis=0)
    vd.draw_decision_regions(axes[0], probability, (-1, 1, -1, 1), np.zeros((2, 2)), [0, 1])
    vd.draw_monte_carlo(axes[1], axes[2], [1, 2, 4], [0.8, 0.85, 0.9], 0.88, [0.9, 0.95, 0.99])
    vd.draw_face_outputs(axes[3], np.array([0.0, 4.0, 0.0, 4.0]), "relies on one", 4)
    vd.draw_next_layer_inputs(axes[4], np.array([0.0, 1.0, 1.0, 2.0]), 1.0, "inverted")
    assert len(figure_png(figure)) > 1000
