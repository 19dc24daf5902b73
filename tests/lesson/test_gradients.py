import numpy as np
import pytest

from lecturelib import (
    check_gradient,
    clip_grad_norm,
    clip_grad_value,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)


def test_numerical_gradient_of_a_quadratic():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    assert np.array_equal(x, [[1.0, -2.0], [0.5, 3.0]]), "x must be restored"


def test_numerical_gradient_array_matches_a_linear_map():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4))
    x = rng.normal(size=4)
    grad_out = rng.normal(size=3)
    np.testing.assert_allclose(numerical_gradient_array(lambda: a @ x, x, grad_out), a.T @ grad_out)


def test_relative_error_and_check_gradient_catch_a_wrong_gradient():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    x = np.array([1.0, 2.0])
    assert check_gradient(lambda: float(np.sum(x**2)), x, 2 * x) < 1e-8
    with pytest.raises(AssertionError, match="relative error"):
        check_gradient(lambda: float(np.sum(x**2)), x, 3 * x)
    with pytest.raises(ValueError, match="shape"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(lambda: 0.0, np.array([1, 2]))


def test_lecture_clipping_examples():
    g = {"w": np.array([-1.2, 0.3, 0.9, -0.5])}
    clip_grad_value(g, 0.7)
    np.testing.assert_allclose(g["w"], [-0.7, 0.3, 0.7, -0.5])
    g = [np.array([3.0, 4.0])]
    assert clip_grad_norm(g, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(g[0], [0.6, 0.8], rtol=1e-5)


def test_norm_clipping_keeps_direction_and_leaves_small_gradients():
    g = [np.array([1.0, -2.0]), np.array([[2.0]])]
    assert clip_grad_norm(g, 10.0) == pytest.approx(3.0)
    np.testing.assert_array_equal(g[0], [1.0, -2.0])
    clip_grad_norm(g, 1.5)
    total = np.sqrt(sum(np.sum(a**2) for a in g))
    assert total == pytest.approx(1.5, rel=1e-5)
    np.testing.assert_allclose(g[0] / g[1][0, 0], [0.5, -1.0])


def test_per_parameter_clipping_clips_each_array_on_its_own():
    g = [np.array([3.0, 4.0]), np.array([0.3, 0.4])]
    total = clip_grad_norm(g, 1.0, per_parameter=True)
    assert total == pytest.approx(np.sqrt(25.25))
    np.testing.assert_allclose(g[0], [0.6, 0.8], rtol=1e-5)
    np.testing.assert_array_equal(g[1], [0.3, 0.4])


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_clipping_rejects_negative_or_nan_thresholds(bad):
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        clip_grad_norm([np.ones(2)], bad)
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value([np.ones(2)], bad)


def test_clipping_rejects_things_it_cannot_change_in_place():
    with pytest.raises(TypeError, match="grads must be a dict or a list"):
        clip_grad_norm(np.ones(3), 1.0)
    with pytest.raises(TypeError, match="entry 0"):
        clip_grad_value([[1.0, 2.0]], 1.0)
