"""Smoke and sanity tests for the figures and demos of notebook 18 (lecturelib.drawing.batchnorm)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.batchnorm import (
    car_table,
    descend,
)
from lecturelib.drawing import batchnorm as vb  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def population():
    # A skewed, shifted unit: mean far from 0, variance far from 1.
    return 0.3 * np.random.default_rng(0).gamma(2.0, size=600) - 1.5


# --- standardising raw features ------------------------------------------------------------


def test_draw_descent_draws_the_path_with_equal_scales():
    cars = car_table(20, rng=1)
    run = descend(cars.features, cars.price, steps=20)
    fig, ax = plt.subplots()
    vb.draw_descent(ax, cars.features, cars.price, run, names=("age", "distance"), title="raw")
    paths = [line for line in ax.lines if len(line.get_xdata()) == len(run.path)]
    np.testing.assert_allclose(paths[0].get_xydata(), run.path)
    assert ax.get_aspect() == 1.0
    assert ax.get_title() == "raw" and "age" in ax.get_xlabel()
    fig.canvas.draw()


# --- a deep network ----------------------------------------------------------------------


def test_draw_activation_ridges_one_row_per_layer():
    fig, ax = plt.subplots()
    layers = [np.random.default_rng(k).uniform(-1, 1, size=200) * (k + 1) / 4 for k in range(4)]
    vb.draw_activation_ridges(ax, layers, title="demo")
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"layer {k}" for k in range(1, 5)]
    assert any("std" in t.get_text() for t in ax.texts)
    fig.canvas.draw()
    with pytest.raises(ValueError):
        vb.draw_activation_ridges(ax, [])


# --- batch statistics ----------------------------------------------------------------------


def test_draw_batch_noise_uses_log_axes_with_plain_labels():
    fig, ax = plt.subplots()
    vb.draw_batch_noise(ax, [2, 4, 8], [0.7, 0.5, 0.35])
    fig.canvas.draw()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("$" in label for label in labels)


def test_plain_log_axis_labels():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.001, 10])
    ax.set_yscale("log")
    vb.plain_log_axis(ax.yaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "0.01" in labels and "1" in labels


# --- the panel's view ---------------------------------------------------------------------


def test_batch_stats_view_train_and_eval(population):
    fig = Figure(figsize=(10, 3))
    axes = fig.subplots(1, 3)
    view = vb.BatchStatsView(axes, population, steps=80)
    assert len(fig.legends) == 1 and len(view.artists) == 8

    train = view.update(16, 0.1, "train")
    assert train["output_mean"] == pytest.approx(0.0, abs=1e-9)
    assert train["output_std"] == pytest.approx(1.0, abs=1e-3)
    assert train["probe_spread"] > 0  # one value's output depends on its batch
    np.testing.assert_allclose(view.mean_points.get_ydata(), train["run"].batch_means)
    np.testing.assert_allclose(view.mean_used.get_ydata(), [train["run"].batch_means[-1]])
    assert train["predicted_noise"] == pytest.approx(population.std() / 4)

    evaluation = view.update(16, 0.1, "eval")
    assert evaluation["probe_spread"] == 0
    np.testing.assert_allclose(view.mean_used.get_ydata(), [evaluation["running_mean"]])
    assert abs(evaluation["output_mean"]) < 0.2 and abs(evaluation["output_std"] - 1) < 0.2
    assert "eval" in view.hist_text.get_text()

    frozen = view.update(16, 0.0, "eval")  # the running averages never move from 0 and 1
    assert (frozen["running_mean"], frozen["running_var"]) == (0.0, 1.0)
    np.testing.assert_allclose(frozen["outputs"], population / np.sqrt(1 + 1e-5))
    fig.canvas.draw()


def test_batch_stats_view_rejects_impossible_settings(population):
    fig = Figure()
    view = vb.BatchStatsView(
        fig.subplots(1, 3), population, legend=False, titles=False, summary=False
    )
    assert len(fig.legends) == 0 and len(view.artists) == 7
    assert view.hist_text not in view.artists
    with pytest.raises(ValueError, match="one example"):
        view.update(1, 0.1, "train")
    with pytest.raises(ValueError, match="mode"):
        view.update(4, 0.1, "test")
    with pytest.raises(ValueError):
        view.update(4, 2.0, "train")
    with pytest.raises(ValueError, match="3 axes"):
        vb.BatchStatsView(fig.subplots(1, 2), population)
    with pytest.raises(ValueError):
        vb.BatchStatsView(fig.subplots(1, 3), np.ones(10))


def test_batch_stats_view_caches_batches_per_size(population):
    view = vb.BatchStatsView(Figure().subplots(1, 3), population, steps=10)
    assert view.batches(4) is view.batches(4)
    assert view.batches(4).shape == (10, 4) and view.batches(8).shape == (10, 8)


def test_batch_stats_grid_is_the_static_companion(population):
    settings = [
        {"batch_size": 4, "momentum": 0.1, "mode": "train"},
        {"batch_size": 32, "momentum": 0.5, "mode": "eval"},
    ]
    fig, facts = vb.batch_stats_grid(population, settings, steps=40)
    assert len(fig.axes) == 6 and len(facts) == 2
    assert "B = 4" in fig.axes[0].get_title(loc="left")
    assert facts[0]["mean_noise"] > facts[1]["mean_noise"]
    with pytest.raises(ValueError):
        vb.batch_stats_grid(population, [])
