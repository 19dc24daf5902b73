"""Tests for the why-depth pieces: lecturelib.depth and the memory estimate in shapes."""

import numpy as np
import pytest

from lecturelib import (
    collapse_linear,
    dense_stack_counts,
    memory_estimate,
    perceptron,
    perceptron_and,
)
from lecturelib.training import Linear, Sequential, fit_one_hidden_layer, one_hidden_layer

# --- collapse_linear -----------------------------------------------------------------------


def _stack(sizes, rng, dtype=np.float64):
    weights = [rng.normal(size=(a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=b).astype(dtype) for b in sizes[1:]]
    return weights, biases


def _run_stack(x, weights, biases):
    for W, b in zip(weights, biases):
        x = x @ W + b
    return x


@pytest.mark.parametrize("sizes", [(3, 4), (3, 5, 2), (6, 4, 8, 3, 5, 2)])
def test_collapse_matches_the_stack(sizes):
    rng = np.random.default_rng(0)
    weights, biases = _stack(sizes, rng)
    x = rng.normal(size=(7, sizes[0]))
    W, b = collapse_linear(weights, biases)
    assert W.shape == (sizes[0], sizes[-1]) and b.shape == (sizes[-1],)
    np.testing.assert_allclose(x @ W + b, _run_stack(x, weights, biases), rtol=1e-10, atol=1e-10)


def test_collapse_without_biases_is_the_matrix_product():
    rng = np.random.default_rng(1)
    weights, _ = _stack((3, 4, 2, 5), rng)
    W, b = collapse_linear(weights)
    np.testing.assert_allclose(W, weights[0] @ weights[1] @ weights[2], rtol=1e-12)
    np.testing.assert_array_equal(b, np.zeros(5))


def test_collapse_matches_lecturelib_linear_layers():
    layers = [Linear(a, b, rng=i) for i, (a, b) in enumerate([(4, 6), (6, 3), (3, 2)])]
    model = Sequential(*layers)
    x = np.random.default_rng(2).normal(size=(5, 4))
    W, b = collapse_linear(
        [layer.params["weight"].T for layer in layers], [layer.params["bias"] for layer in layers]
    )
    np.testing.assert_allclose(x @ W + b, model.forward(x), rtol=1e-10, atol=1e-12)


def test_collapse_keeps_float32():
    weights, biases = _stack((3, 4, 2), np.random.default_rng(3), np.float32)
    W, b = collapse_linear(weights, biases)
    assert W.dtype == np.float32 and b.dtype == np.float32


def test_collapse_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    weights, biases = _stack((4, 5, 3), rng)
    x = rng.normal(size=(6, 4))
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Linear(5, 3)).double()
    with torch.no_grad():
        for layer, W, b in zip(torch_model, weights, biases):
            layer.weight.copy_(torch.from_numpy(W.T))
            layer.bias.copy_(torch.from_numpy(b))
        expected = torch_model(torch.from_numpy(x)).numpy()
    W, b = collapse_linear(weights, biases)
    np.testing.assert_allclose(x @ W + b, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "weights, biases, error, words",
    [
        ([], None, TypeError, "non-empty list"),
        (np.eye(2), None, TypeError, "non-empty list"),
        ([np.eye(2), np.ones((3, 2))], None, ValueError, "weights[1] has 3 rows"),
        ([np.ones(3)], None, ValueError, "weights[0] must have 2 dimensions"),
        ([np.eye(2)], [np.ones(2), np.ones(2)], ValueError, "biases has 2 entries"),
        ([np.eye(2)], [np.ones(3)], ValueError, "biases[0] must have shape (2,)"),
    ],
)
def test_collapse_rejects_bad_arguments(weights, biases, error, words):
    with pytest.raises(error) as caught:
        collapse_linear(weights, biases)
    assert words in str(caught.value)


# --- perceptrons ---------------------------------------------------------------------------

TRIANGLE_W = np.array([[0.0, 2.0, -2.0], [1.0, -1.0, -1.0]])  # columns: units A, B, C
TRIANGLE_B = np.array([-1.0, -1.0, 7.0])  # the triangle (1, 1), (3, 1), (2, 3)


def _inside_triangle(points):
    a, b, c = np.array([1.0, 1.0]), np.array([3.0, 1.0]), np.array([2.0, 3.0])

    def side(p, q, r):
        return (q[0] - p[0]) * (r[:, 1] - p[1]) - (q[1] - p[1]) * (r[:, 0] - p[0])

    s1, s2, s3 = side(a, b, points), side(b, c, points), side(c, a, points)
    return ((s1 > 0) & (s2 > 0) & (s3 > 0)).astype(int)


def test_perceptron_one_unit_and_several():
    x = np.array([[2.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(perceptron(x, np.array([1.0, 0.0]), -1.0), [1, 0, 0])
    both = perceptron(x, np.array([[1.0, -1.0], [0.0, 0.0]]), np.array([-1.0, 0.5]))
    np.testing.assert_array_equal(both, [[1, 0], [0, 1], [0, 0]])


def test_perceptron_and_matches_the_exercise_layout():
    """The exercise's worked example: x > 0, y > 0, x + y < 4 with W (2, 3)."""
    W = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])
    b = np.array([0.0, 0.0, 4.0])
    x = np.array([[1.0, 1.0], [0.0, 1.0], [2.0, 2.0], [3.0, 0.5], [-1.0, 2.0]])
    np.testing.assert_array_equal(perceptron_and(x, W, b), [1, 0, 0, 1, 0])


def test_perceptron_and_is_the_triangle():
    grid = np.stack(np.meshgrid(np.linspace(0, 4, 41), np.linspace(0, 4, 41)), -1).reshape(-1, 2)
    grid = grid + 0.013  # off the grid lines, so no point lies exactly on an edge
    got = perceptron_and(grid, TRIANGLE_W, TRIANGLE_B)
    np.testing.assert_array_equal(got, _inside_triangle(grid))
    assert 0 < got.sum() < len(grid)


def test_perceptron_and_with_scaled_units_gives_the_same_region():
    points = np.random.default_rng(5).uniform(0, 4, (200, 2))
    scaled = perceptron_and(points, 3.0 * TRIANGLE_W, 3.0 * TRIANGLE_B)
    np.testing.assert_array_equal(scaled, perceptron_and(points, TRIANGLE_W, TRIANGLE_B))


@pytest.mark.parametrize(
    "w, b, words",
    [
        (np.ones(3), 0.0, "W has 3 rows"),
        (np.ones((2, 4)), 0.0, "b must have shape (4,)"),
        (np.ones(2), np.ones(2), "b must have shape ()"),
    ],
)
def test_perceptron_rejects_bad_arguments(w, b, words):
    """W is (D, K) with one column per unit; b one bias per unit."""
    with pytest.raises(ValueError) as caught:
        perceptron(np.zeros((4, 2)), w, b)
    assert words in str(caught.value)


# --- one hidden layer ----------------------------------------------------------------------


def _bumpy(x):
    return np.sin(2 * np.pi * x) + 0.8 * np.exp(-(((x - 0.7) / 0.08) ** 2))


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_wider_hidden_layers_fit_better(activation):
    x = np.linspace(0, 1, 101)[:, None]
    errors = {}
    for width in (1, 32):
        model, losses = fit_one_hidden_layer(x, _bumpy(x), width, activation, steps=200, rng=0)
        assert losses[-1] <= losses[0] + 1e-12
        errors[width] = np.sqrt(losses[-1])
    assert errors[32] < 0.1 * errors[1]


def test_fit_is_seeded():
    x = np.linspace(0, 1, 30)[:, None]
    runs = [fit_one_hidden_layer(x, x**2, 4, steps=10, rng=7)[1] for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(width=0), ValueError, "width must be >= 1"),
        (dict(width=2.0), TypeError, "width must be an integer"),
        (dict(width=2, activation="tanh"), ValueError, "activation must be one of"),
        (dict(width=2, interval=(1.0, 1.0)), ValueError, "high > low"),
    ],
)
def test_one_hidden_layer_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as caught:
        one_hidden_layer(**kwargs)
    assert words in str(caught.value)


def test_fit_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape \(N, 1\)"):
        fit_one_hidden_layer(np.zeros((5, 1)), np.zeros((4, 1)), 3)


# --- memory --------------------------------------------------------------------------------


def test_the_lectures_fifty_layer_network():
    estimate = memory_estimate(26_000_000, 16_000_000)
    assert estimate.weights_bytes == 104_000_000
    assert estimate.activations_bytes == 64_000_000
    assert estimate.total_bytes == 168_000_000


def test_activations_grow_with_the_batch_and_weights_do_not():
    one, many = memory_estimate(1000, 300), memory_estimate(1000, 300, batch_size=64)
    assert many.weights_bytes == one.weights_bytes
    assert many.activations_bytes == 64 * one.activations_bytes
    assert memory_estimate(1000, 300, bytes_per_value=8).total_bytes == 2 * one.total_bytes


def test_dense_stack_counts():
    assert dense_stack_counts(1, 5, inputs=3) == (3 * 5 + 5, 5)
    assert dense_stack_counts(4, 10, biases=False) == (4 * 100, 40)


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((-1, 5), {}, ValueError, "weights must be >= 0"),
        ((10, 5.5), {}, TypeError, "activations must be an integer"),
        ((10, 5), {"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ((10, 5), {"bytes_per_value": 0}, ValueError, "bytes_per_value must be >= 1"),
    ],
)
def test_memory_estimate_rejects_bad_arguments(args, kwargs, error, words):
    with pytest.raises(error) as caught:
        memory_estimate(*args, **kwargs)
    assert words in str(caught.value)
