"""Dropout and batch normalisation: values, gradients, running statistics, validation."""

import numpy as np
import pytest

from lecturelib.batchnorm import batch_norm, batch_norm_backward, batch_norm_naive
from lecturelib.dropout import (
    drop_probability,
    dropout,
    dropout_backward,
    dropout_expectations,
    retain_probability,
)
from lecturelib.gradients import numerical_gradient_array, relative_error

# --- dropout ------------------------------------------------------------------


def test_dropout_mask_and_inverted_scaling():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    y, mask = dropout(x, p=0.25, rng=3)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert 0 < mask.sum() < mask.size
    np.testing.assert_allclose(y, x * mask / 0.75)


def test_dropout_eval_is_identity_with_all_ones_mask():
    x = np.random.default_rng(0).normal(size=(5, 6))
    y, mask = dropout(x, p=0.7, training=False)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(mask, np.ones_like(x))
    assert y is not x


def test_dropout_p_zero_keeps_everything_and_p_one_drops_everything():
    x = np.random.default_rng(1).normal(size=(4, 5))
    y, mask = dropout(x, p=0.0, rng=0)
    np.testing.assert_array_equal(y, x)
    assert mask.all()
    with np.errstate(all="raise"):  # no division by zero, no invalid values
        y, mask = dropout(x, p=1.0, rng=0)
        grad_x = dropout_backward(np.ones_like(x), mask, p=1.0)
    np.testing.assert_array_equal(y, 0.0)
    np.testing.assert_array_equal(mask, 0.0)
    np.testing.assert_array_equal(grad_x, 0.0)


def test_dropout_is_seeded_and_keeps_float32():
    x = np.ones((50, 40), dtype=np.float32)
    y1, m1 = dropout(x, 0.3, rng=11)
    y2, m2 = dropout(x, 0.3, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(m1, m2)
    assert y1.dtype == m1.dtype == np.float32
    assert not np.array_equal(m1, dropout(x, 0.3, rng=12)[1])


def test_dropout_keep_fraction_matches_p():
    _, mask = dropout(np.ones((400, 500)), p=0.3, rng=5)
    assert abs(mask.mean() - 0.7) < 0.005


def test_dropout_integer_input_is_computed_in_float64():
    y, mask = dropout(np.array([[1, 2], [3, 4]]), p=0.5, rng=0)
    assert y.dtype == mask.dtype == np.float64


def test_classic_dropout_scales_at_test_time():
    x = np.arange(6.0).reshape(2, 3)
    y, mask = dropout(x, p=0.2, rng=1, mode="classic")
    np.testing.assert_array_equal(y, x * mask)  # no scaling in training
    y_test, mask_test = dropout(x, p=0.2, training=False, mode="classic")
    np.testing.assert_allclose(y_test, 0.8 * x)
    np.testing.assert_array_equal(mask_test, 1.0)


def test_retain_and_drop_probability_are_inverse_readings():
    assert retain_probability(0.2) == pytest.approx(0.8)
    assert drop_probability(0.8) == pytest.approx(0.2)
    assert drop_probability(retain_probability(0.35)) == pytest.approx(0.35)
    with pytest.raises(ValueError, match="retain"):
        drop_probability(1.5)


def test_both_dropout_variants_agree_with_their_test_pass_in_expectation():
    x = np.array([[1.0, -2.0, 3.0]])
    e = dropout_expectations(x, p=0.4, samples=40_000, rng=2)
    np.testing.assert_allclose(e.inverted_train, e.inverted_test, atol=0.06)
    np.testing.assert_allclose(e.classic_train, e.classic_test, atol=0.04)
    np.testing.assert_allclose(e.inverted_test, x)
    np.testing.assert_allclose(e.classic_test, 0.6 * x)


@pytest.mark.parametrize("mode", ["inverted", "classic"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_backward_matches_numerical_gradient(mode, training):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5))
    grad_y = rng.normal(size=x.shape)
    _, mask = dropout(x, p=0.4, training=training, rng=9, mode=mode)

    def forward():
        # the same mask every call: the seed is fixed
        return dropout(x, p=0.4, training=training, rng=9, mode=mode)[0]

    numeric = numerical_gradient_array(forward, x, grad_y)
    analytic = dropout_backward(grad_y, mask, p=0.4, training=training, mode=mode)
    assert relative_error(analytic, numeric) < 1e-8


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"p": 1.5}, ValueError, r"p must be in \[0, 1\]"),
        ({"p": -0.1}, ValueError, r"p must be in \[0, 1\]"),
        ({"p": float("nan")}, ValueError, r"p must be in \[0, 1\]"),
        ({"p": "0.5"}, TypeError, "p must be a number"),
        ({"training": "yes"}, TypeError, "training must be True or False"),
        ({"mode": "scaled"}, ValueError, "mode must be 'inverted' or 'classic'"),
    ],
)
def test_dropout_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        dropout(np.ones(3), **kwargs)


def test_dropout_backward_rejects_mismatched_mask():
    with pytest.raises(ValueError, match="mask has shape"):
        dropout_backward(np.ones((2, 3)), np.ones((3, 2)), 0.5)


# --- batch normalisation: forward ---------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_training_normalises_each_channel(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=shape)
    weight, bias = rng.normal(size=3), rng.normal(size=3)
    y = batch_norm(x, np.zeros(3), np.ones(3), weight, bias, training=True)
    reference = batch_norm_naive(x, None, None, weight, bias, training=True)
    np.testing.assert_allclose(y, reference, atol=1e-12)
    axes = (0,) + tuple(range(2, x.ndim))
    plain = batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(plain.mean(axis=axes), 0.0, atol=1e-12)
    np.testing.assert_allclose(plain.var(axis=axes), 1.0, atol=1e-4)


def test_beta_sets_the_mean_and_gamma_the_standard_deviation():
    x = np.random.default_rng(1).normal(size=(1000, 1))
    y = batch_norm(x, None, None, weight=np.array([3.0]), bias=np.array([-2.0]), training=True)
    assert y.mean() == pytest.approx(-2.0)
    assert y.std() == pytest.approx(3.0, rel=1e-4)


def test_batch_norm_running_statistics_update_in_place_with_unbiased_variance():
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 3.0, size=(4, 2, 3, 3))
    running_mean = np.array([0.5, -0.5])
    running_var = np.array([2.0, 0.5])
    expected_mean = 0.7 * running_mean + 0.3 * x.mean(axis=(0, 2, 3))
    expected_var = 0.7 * running_var + 0.3 * x.var(axis=(0, 2, 3), ddof=1)
    ids = id(running_mean), id(running_var)
    batch_norm(x, running_mean, running_var, training=True, momentum=0.3)
    assert (id(running_mean), id(running_var)) == ids
    np.testing.assert_allclose(running_mean, expected_mean)
    np.testing.assert_allclose(running_var, expected_var)


def test_batch_norm_momentum_zero_and_one():
    x = np.random.default_rng(3).normal(size=(8, 2))
    running_mean, running_var = np.zeros(2), np.ones(2)
    batch_norm(x, running_mean, running_var, training=True, momentum=0.0)
    np.testing.assert_array_equal(running_mean, 0.0)
    np.testing.assert_array_equal(running_var, 1.0)
    batch_norm(x, running_mean, running_var, training=True, momentum=1.0)
    np.testing.assert_allclose(running_mean, x.mean(axis=0))
    np.testing.assert_allclose(running_var, x.var(axis=0, ddof=1))


def test_batch_norm_eval_uses_running_statistics_and_leaves_them_alone():
    x = np.random.default_rng(4).normal(size=(5, 3, 2, 2))
    running_mean = np.array([0.1, 0.2, -0.3])
    running_var = np.array([1.5, 0.5, 2.0])
    weight, bias = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 1.0])
    before = running_mean.copy(), running_var.copy()
    y = batch_norm(x, running_mean, running_var, weight, bias, training=False)
    c = (1, 3, 1, 1)
    expected = (x - running_mean.reshape(c)) / np.sqrt(running_var.reshape(c) + 1e-5)
    np.testing.assert_allclose(y, expected * weight.reshape(c) + bias.reshape(c))
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_constant_input_gives_finite_output(training):
    x = np.full((6, 2, 3, 3), 7.0, dtype=np.float32)
    with np.errstate(all="raise"):
        y = batch_norm(x, np.zeros(2), np.zeros(2), np.ones(2), np.array([0.5, -1.0]), training)
        grads = batch_norm_backward(
            np.ones_like(x),
            x,
            np.ones(2),
            np.ones(2),
            training=training,
            running_mean=np.zeros(2),
            running_var=np.zeros(2),
        )
    assert np.isfinite(y).all()
    assert all(np.isfinite(g).all() for g in grads)
    if training:
        np.testing.assert_allclose(y[:, 1], -1.0)


def test_batch_norm_float32_stays_float32_and_float64_params_promote():
    x = np.random.default_rng(5).normal(size=(4, 3)).astype(np.float32)
    y = batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32), training=True)
    assert y.dtype == np.float32
    grads = batch_norm_backward(np.ones_like(x), x, np.ones(3, np.float32), np.zeros(3, np.float32))
    assert all(g.dtype == np.float32 for g in grads)
    assert batch_norm(x, None, None, weight=np.ones(3), training=True).dtype == np.float64


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"running_mean": np.zeros(4)},
            ValueError,
            r"running_mean must have shape \(C,\) = \(3,\)",
        ),
        ({"running_var": np.ones((3, 1))}, ValueError, r"running_var must have shape \(C,\)"),
        (
            {"running_mean": [0.0, 0.0, 0.0]},
            TypeError,
            "running_mean must be a floating-point numpy array",
        ),
        ({"weight": np.ones(2)}, ValueError, r"weight must have shape \(C,\) = \(3,\)"),
        ({"bias": np.ones(4)}, ValueError, r"bias must have shape \(C,\)"),
        ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\]"),
        ({"momentum": -0.1}, ValueError, r"momentum must be in \[0, 1\]"),
        ({"eps": 0.0}, ValueError, "eps must be > 0"),
        ({"eps": -1e-5}, ValueError, "eps must be > 0"),
        ({"training": 1}, TypeError, "training must be True or False"),
    ],
)
def test_batch_norm_rejects_bad_arguments(kwargs, error, message):
    args = {"running_mean": np.zeros(3), "running_var": np.ones(3), "training": True}
    args.update(kwargs)
    x = np.ones((4, 3))
    with pytest.raises(error, match=message):
        batch_norm(x, **args)


def test_batch_norm_rejects_bad_shapes_and_missing_running_stats():
    with pytest.raises(ValueError, match=r"x must have shape \(N, C\)"):
        batch_norm(np.ones(5), None, None, training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        batch_norm(np.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        batch_norm(np.ones((2, 3)), None, None, training=False)
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        batch_norm_backward(np.ones((2, 3)), np.ones((2, 3)), training=False)
    with pytest.raises(ValueError, match="grad_y has shape"):
        batch_norm_backward(np.ones((2, 3)), np.ones((3, 3)))


# --- batch normalisation: backward ----------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 2, 4)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_matches_numerical_gradients(shape, affine, training):
    rng = np.random.default_rng(6)
    x = rng.normal(1.0, 2.0, size=shape)
    grad_y = rng.normal(size=shape)
    weight = rng.normal(size=3) if affine else None
    bias = rng.normal(size=3) if affine else None
    running_mean, running_var = rng.normal(size=3), rng.random(3) + 0.5

    def forward():
        # copies of the running statistics, so repeated calls see the same ones
        return batch_norm(x, running_mean.copy(), running_var.copy(), weight, bias, training)

    grad_x, grad_weight, grad_bias = batch_norm_backward(
        grad_y,
        x,
        weight,
        bias,
        training=training,
        running_mean=running_mean,
        running_var=running_var,
    )
    assert relative_error(grad_x, numerical_gradient_array(forward, x, grad_y)) < 1e-6
    if affine:
        assert relative_error(grad_weight, numerical_gradient_array(forward, weight, grad_y)) < 1e-7
        assert relative_error(grad_bias, numerical_gradient_array(forward, bias, grad_y)) < 1e-7
    else:
        assert grad_weight is None and grad_bias is None


def test_batch_norm_backward_only_bias_or_only_weight():
    x = np.random.default_rng(7).normal(size=(4, 2))
    _, grad_weight, grad_bias = batch_norm_backward(np.ones_like(x), x, bias=np.zeros(2))
    assert grad_weight is None
    np.testing.assert_allclose(grad_bias, [4.0, 4.0])
    _, grad_weight, grad_bias = batch_norm_backward(np.ones_like(x), x, weight=np.ones(2))
    assert grad_bias is None and grad_weight.shape == (2,)
