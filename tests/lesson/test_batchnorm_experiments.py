"""The batch-norm lecture's experiments (lecturelib.batchnorm): gradient descent on raw and
standardised features, mini-batch statistics and running averages."""

import numpy as np
import pytest

from lecturelib.batchnorm import (
    batch_mean_noise,
    car_table,
    descend,
    mini_batches,
    running_statistics,
    steps_to_reach,
)
from lecturelib.training import BatchNorm1d


@pytest.fixture(scope="module")
def population():
    # A skewed, shifted unit: mean far from 0, variance far from 1.
    return 0.3 * np.random.default_rng(0).gamma(2.0, size=600) - 1.5


# --- standardising raw features ------------------------------------------------------------


def test_car_table_has_features_on_very_different_scales():
    cars = car_table(40, rng=0)
    age, distance = cars.features.T
    assert cars.features.shape == (40, 2) and cars.price.shape == (40,)
    assert age.min() >= 0 and age.max() <= 30
    assert distance.std() > 10 * age.std()
    assert np.corrcoef(age, cars.price)[0, 1] < 0  # older cars are cheaper
    np.testing.assert_array_equal(car_table(40, rng=0).features, cars.features)


def test_descend_reaches_the_least_squares_weights_in_a_round_bowl():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    run = descend(x, x @ np.array([2.0, -1.0]) + 7.0, steps=3)
    np.testing.assert_allclose(run.best, [2.0, -1.0])
    np.testing.assert_allclose(run.path[1], [2.0, -1.0])
    assert run.condition == pytest.approx(1.0)
    assert run.best_loss == pytest.approx(0.0, abs=1e-20)
    assert run.path.shape == (4, 2) and run.losses.shape == (4,)
    assert steps_to_reach(run) == 1


def test_standardising_makes_gradient_descent_much_faster():
    cars = car_table(40, rng=0)
    standardised = (cars.features - cars.features.mean(axis=0)) / cars.features.std(axis=0)
    raw = descend(cars.features, cars.price, steps=300)
    fast = descend(standardised, cars.price, steps=300)
    assert raw.condition > 50 * fast.condition
    assert steps_to_reach(raw) is None  # not within 300 steps
    assert steps_to_reach(fast) < 50
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
        descend(features, targets, **kwargs)


def test_mini_batches_visit_every_row_once_per_epoch():
    values = np.arange(12.0)
    batches = mini_batches(values, 4, 6, rng=0)
    assert batches.shape == (6, 4)
    np.testing.assert_array_equal(np.sort(batches[:3].ravel()), values)  # one epoch
    np.testing.assert_array_equal(np.sort(batches[3:].ravel()), values)  # the next
    assert mini_batches(np.ones((10, 3)), 5, 2).shape == (2, 5, 3)
    with pytest.raises(ValueError, match="larger"):
        mini_batches(values, 13, 1)


def test_batch_mean_noise_follows_one_over_sqrt_b():
    values = np.random.default_rng(1).normal(3.0, 2.0, size=(20000, 3))
    sizes = [2, 8, 32]
    noise = batch_mean_noise(values, sizes, batches=1500, rng=0)
    np.testing.assert_allclose(noise * np.sqrt(sizes), 1.0, atol=0.08)
    with pytest.raises(ValueError, match="vary"):
        batch_mean_noise(np.ones(50), [2])


def test_running_statistics_match_the_library_layer_step_by_step(population):
    batches = mini_batches(population, 8, 30, rng=0)
    run = running_statistics(batches, momentum=0.2)
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
        running_statistics(batches, momentum)
