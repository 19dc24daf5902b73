"""Smoke and sanity tests for the figures and demos of notebook 18 (lecturelib.drawing.batchnorm)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lecturelib.drawing import batchnorm as vb  # noqa: E402
from lecturelib.training import BatchNorm1d, Linear, Sigmoid, Tanh  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def population():
    # A skewed, shifted unit: mean far from 0, variance far from 1.
    return 0.3 * np.random.default_rng(0).gamma(2.0, size=600) - 1.5


# --- standardising raw features ------------------------------------------------------------


def test_car_table_has_features_on_very_different_scales():
    cars = vb.car_table(40, rng=0)
    age, distance = cars.features.T
    assert cars.features.shape == (40, 2) and cars.price.shape == (40,)
    assert age.min() >= 0 and age.max() <= 30
    assert distance.std() > 10 * age.std()
    assert np.corrcoef(age, cars.price)[0, 1] < 0  # older cars are cheaper
    np.testing.assert_array_equal(vb.car_table(40, rng=0).features, cars.features)


def test_descend_reaches_the_least_squares_weights_in_a_round_bowl():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    run = vb.descend(x, x @ np.array([2.0, -1.0]) + 7.0, steps=3)
    np.testing.assert_allclose(run.best, [2.0, -1.0])
    np.testing.assert_allclose(run.path[1], [2.0, -1.0])
    assert run.condition == pytest.approx(1.0)
    assert run.best_loss == pytest.approx(0.0, abs=1e-20)
    assert run.path.shape == (4, 2) and run.losses.shape == (4,)
    assert vb.steps_to_reach(run) == 1


def test_standardising_makes_gradient_descent_much_faster():
    cars = vb.car_table(40, rng=0)
    standardised = (cars.features - cars.features.mean(axis=0)) / cars.features.std(axis=0)
    raw = vb.descend(cars.features, cars.price, steps=300)
    fast = vb.descend(standardised, cars.price, steps=300)
    assert raw.condition > 50 * fast.condition
    assert vb.steps_to_reach(raw) is None  # not within 300 steps
    assert vb.steps_to_reach(fast) < 50
    assert np.all(np.diff(fast.losses) <= 1e-12)  # lr = 1 / largest curvature never overshoots


@pytest.mark.parametrize(
    "features, targets, kwargs, error",
    [
        (np.ones((5, 2)), np.ones(4), {}, ValueError),
        (np.ones((5, 3)), np.ones(5), {}, ValueError),
        (np.ones((2, 2)), np.ones(2), {}, ValueError),
        (np.c_[np.arange(5.0), 2 * np.arange(5.0)], np.ones(5), {}, ValueError),
        (
            np.c_[np.arange(5.0), np.arange(5.0) ** 2],
            np.ones(5),
            {"learning_rate": -1.0},
            ValueError,
        ),
        (
            np.c_[np.arange(5.0), np.arange(5.0) ** 2],
            np.ones(5),
            {"learning_rate": True},
            TypeError,
        ),
        (np.c_[np.arange(5.0), np.arange(5.0) ** 2], np.ones(5), {"steps": 1.5}, TypeError),
        (np.c_[np.arange(5.0), np.arange(5.0) ** 2], np.ones(5), {"start": (1, 2, 3)}, ValueError),
    ],
)
def test_descend_rejects_bad_arguments(features, targets, kwargs, error):
    with pytest.raises(error):
        vb.descend(features, targets, **kwargs)


def test_draw_descent_draws_the_path_with_equal_scales():
    cars = vb.car_table(20, rng=1)
    run = vb.descend(cars.features, cars.price, steps=20)
    fig, ax = plt.subplots()
    vb.draw_descent(ax, cars.features, cars.price, run, names=("age", "distance"), title="raw")
    paths = [line for line in ax.lines if len(line.get_xdata()) == len(run.path)]
    np.testing.assert_allclose(paths[0].get_xydata(), run.path)
    assert ax.get_aspect() == 1.0
    assert ax.get_title() == "raw" and "age" in ax.get_xlabel()
    fig.canvas.draw()


# --- a deep network ----------------------------------------------------------------------


def test_deep_mlp_with_and_without_batch_norm_share_their_weights():
    plain = vb.deep_mlp(depth=3, width=8, rng=5)
    normed = vb.deep_mlp(depth=3, width=8, batch_norm=True, rng=5)
    plain_linear = [layer for layer in plain if isinstance(layer, Linear)]
    normed_linear = [layer for layer in normed if isinstance(layer, Linear)]
    assert len(plain_linear) == len(normed_linear) == 4
    for a, b in zip(plain_linear, normed_linear):
        np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert all("bias" not in layer.params for layer in normed_linear[:-1])
    assert sum(isinstance(layer, BatchNorm1d) for layer in normed) == 3
    assert sum(isinstance(layer, Tanh) for layer in plain) == 3
    assert normed.forward(np.ones((4, 64), dtype=np.float32)).shape == (4, 10)


def test_deep_mlp_options():
    net = vb.deep_mlp(depth=2, width=4, activation="sigmoid", inputs=3, classes=2)
    assert isinstance(net[1], Sigmoid) and net.forward(np.ones((2, 3))).shape == (2, 2)
    with pytest.raises(ValueError, match="activation"):
        vb.deep_mlp(activation="swish")
    with pytest.raises(ValueError):
        vb.deep_mlp(depth=0)


def test_layer_activations_leave_the_model_as_it_was():
    net = vb.deep_mlp(depth=3, width=6, batch_norm=True, rng=0)
    x = np.random.default_rng(0).normal(size=(16, 64)).astype(np.float32)
    net.forward(x[:4])
    saved_input = net[0].x
    state = net.state_dict()
    net.eval()
    outputs = vb.layer_activations(net, x, training=True)
    assert [a.shape for a in outputs] == [(16, 6)] * 3
    assert not net.training
    assert net[0].x is saved_input
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    # Training mode standardises every unit over the batch: tanh of N(0, 1) values.
    assert 0.5 < outputs[-1].std() < 0.8
    evaluated = vb.layer_activations(net, x, training=False)
    assert not np.allclose(evaluated[0], outputs[0])
    with pytest.raises(TypeError):
        vb.layer_activations(Linear(2, 2), np.ones((2, 2)))


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


def test_mini_batches_visit_every_row_once_per_epoch():
    values = np.arange(12.0)
    batches = vb.mini_batches(values, 4, 6, rng=0)
    assert batches.shape == (6, 4)
    np.testing.assert_array_equal(np.sort(batches[:3].ravel()), values)  # one epoch
    np.testing.assert_array_equal(np.sort(batches[3:].ravel()), values)  # the next
    assert vb.mini_batches(np.ones((10, 3)), 5, 2).shape == (2, 5, 3)
    with pytest.raises(ValueError, match="larger"):
        vb.mini_batches(values, 13, 1)


def test_batch_mean_noise_follows_one_over_sqrt_b():
    values = np.random.default_rng(1).normal(3.0, 2.0, size=(20000, 3))
    sizes = [2, 8, 32]
    noise = vb.batch_mean_noise(values, sizes, batches=1500, rng=0)
    np.testing.assert_allclose(noise * np.sqrt(sizes), 1.0, atol=0.08)
    with pytest.raises(ValueError, match="vary"):
        vb.batch_mean_noise(np.ones(50), [2])


def test_draw_batch_noise_uses_log_axes_with_plain_labels():
    fig, ax = plt.subplots()
    vb.draw_batch_noise(ax, [2, 4, 8], [0.7, 0.5, 0.35])
    fig.canvas.draw()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("$" in label for label in labels)


def test_running_statistics_match_the_library_layer_step_by_step(population):
    batches = vb.mini_batches(population, 8, 30, rng=0)
    run = vb.running_statistics(batches, momentum=0.2)
    layer = BatchNorm1d(1, momentum=0.2)
    for step, batch in enumerate(batches, start=1):
        output = layer.forward(batch[:, None])[:, 0]
        np.testing.assert_allclose(run.outputs[step - 1], output, rtol=1e-10, atol=1e-12)
        assert run.running_means[step] == pytest.approx(layer.buffers["running_mean"][0], rel=1e-12)
        assert run.running_vars[step] == pytest.approx(layer.buffers["running_var"][0], rel=1e-12)
    assert (run.running_means[0], run.running_vars[0]) == (0.0, 1.0)
    np.testing.assert_allclose(run.batch_vars, batches.var(axis=1, ddof=1))


@pytest.mark.parametrize(
    "batches, momentum", [(np.ones((3, 1)), 0.1), (np.ones((3, 2)), 1.5), (np.ones((3, 2)), -0.1)]
)
def test_running_statistics_reject_impossible_settings(batches, momentum):
    with pytest.raises(ValueError):
        vb.running_statistics(batches, momentum)


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
