"""The clipping lesson's numbers (lecturelib.cliff): clipping one vector by norm and
by value, the cliff's loss and gradient, and descent down it with and without
clipping, checked against the library's array functions and central differences."""

import numpy as np
import pytest

from lecturelib.cliff import CliffSurface, angle_between, clip_vector
from lecturelib.gradients import clip_grad_norm, clip_grad_value, numerical_gradient

# --- clipping one vector ------------------------------------------------------------


def test_clip_vector_reproduces_the_lecture_examples():
    np.testing.assert_allclose(
        clip_vector([-1.2, 0.3, 0.9, -0.5], "value", 0.7), [-0.7, 0.3, 0.7, -0.5]
    )
    np.testing.assert_allclose(clip_vector([3.0, 4.0], "norm", 1.0), [0.6, 0.8], atol=1e-6)
    np.testing.assert_array_equal(clip_vector([3.0, 4.0], "none", 1.0), [3.0, 4.0])


def test_clip_vector_leaves_its_input_alone_and_checks_arguments():
    g = np.array([3.0, 4.0])
    clip_vector(g, "norm", 1.0)
    np.testing.assert_array_equal(g, [3.0, 4.0])
    with pytest.raises(ValueError, match="clip must be one of"):
        clip_vector(g, "sideways", 1.0)
    with pytest.raises(ValueError, match="threshold"):
        clip_vector(g, "norm", -1.0)
    with pytest.raises(TypeError, match="threshold"):
        clip_vector(g, "norm", "big")


def test_norm_clipping_keeps_the_direction_and_value_clipping_may_not():
    g = np.array([3.0, 1.0])
    assert angle_between(g, clip_vector(g, "norm", 1.0)) < 1e-4
    expected = np.degrees(np.arctan2(1, 1) - np.arctan2(1, 3))  # (1, 1) against (3, 1)
    assert angle_between(g, clip_vector(g, "value", 1.0)) == pytest.approx(expected)
    assert angle_between([1.0, 0.0], [0.0, 2.0]) == pytest.approx(90.0)
    assert angle_between([0.0, 0.0], [1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="shape"):
        angle_between([1.0, 0.0], [1.0, 0.0, 0.0])


# --- the cliff --------------------------------------------------------------------------


def test_cliff_gradient_matches_central_differences():
    surface = CliffSurface()
    for point in ([-3.5, 3.5], [-0.2, 0.4], [0.1, -0.7], [2.0, -3.0]):
        w = np.array(point)
        numeric = numerical_gradient(lambda w=w: float(surface.loss(w)), w)
        np.testing.assert_allclose(surface.gradient(w), numeric, rtol=1e-6, atol=1e-7)


def test_cliff_functions_work_on_grids_and_check_shapes():
    surface = CliffSurface()
    w1, w2, loss = surface.grid((-4, 4, -4, 4), resolution=7)
    assert w1.shape == w2.shape == loss.shape == (7, 7)
    points = np.stack([w1, w2], axis=-1)
    assert surface.gradient(points).shape == (7, 7, 2)
    with pytest.raises(ValueError, match="last axis"):
        surface.loss(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="curvature"):
        CliffSurface(curvature=(1.0, -1.0))
    with pytest.raises(ValueError, match="steepness"):
        CliffSurface(steepness=0)


def test_the_minimum_is_at_the_foot_of_the_cliff():
    surface = CliffSurface()
    assert np.linalg.norm(surface.gradient(surface.minimum)) < 1e-2
    around = surface.minimum + 0.05 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    assert np.all(surface.loss(around) > surface.loss(surface.minimum))
    assert surface.max_slope == surface.height * surface.steepness / 4


def reference_descent(surface, learning_rate, steps, clip, threshold, start=(-3.5, 3.5)):
    """Gradient descent written with the library's array functions, for comparison."""
    point, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
    for _ in range(steps):
        g = surface.gradient(point)
        if clip == "norm":
            clip_grad_norm([g], threshold)
        elif clip == "value":
            clip_grad_value([g], threshold)
        point = point - learning_rate * g
        path.append(point)
    return np.array(path)


@pytest.mark.parametrize("clip", ["none", "norm", "value"])
def test_descend_follows_the_library_clipping_rules(clip):
    surface = CliffSurface()
    # lr 0.15: the cliff is reached gently (a catapult would amplify rounding differences)
    run = surface.descend(learning_rate=0.15, steps=40, clip=clip, threshold=0.8)
    np.testing.assert_allclose(
        run.path, reference_descent(surface, 0.15, 40, clip, 0.8), rtol=1e-9, atol=1e-9
    )
    assert run.losses.shape == (41,) and run.grad_norms.shape == run.step_lengths.shape == (40,)
    np.testing.assert_allclose(run.step_lengths, np.linalg.norm(np.diff(run.path, axis=0), axis=1))


def test_clipping_bounds_every_step_and_stops_the_catapult():
    surface = CliffSurface()
    plain = surface.descend(learning_rate=0.4, steps=60)
    clipped = surface.descend(learning_rate=0.4, steps=60, clip="norm", threshold=1.0)
    by_value = surface.descend(learning_rate=0.4, steps=60, clip="value", threshold=1.0)
    assert clipped.step_lengths.max() <= 0.4 + 1e-12
    assert by_value.step_lengths.max() <= 0.4 * np.sqrt(2) + 1e-12
    assert plain.step_lengths.max() > 10 * clipped.step_lengths.max()
    assert clipped.losses[-1] < plain.losses[-1]


def test_descend_checks_its_arguments():
    surface = CliffSurface()
    with pytest.raises(ValueError, match="learning_rate"):
        surface.descend(learning_rate=-0.1)
    with pytest.raises(TypeError, match="steps"):
        surface.descend(steps=2.5)
    with pytest.raises(ValueError, match="clip"):
        surface.descend(clip="both")
    assert surface.descend(steps=0).path.shape == (1, 2)
