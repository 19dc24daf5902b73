"""Parity of dropout and batch normalisation with PyTorch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")
F = torch.nn.functional

from lecturelib.batchnorm import batch_norm, batch_norm_backward  # noqa: E402
from lecturelib.dropout import dropout  # noqa: E402

TOLERANCE = {np.float64: 1e-10, np.float32: 2e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(dtype, shape, affine):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=shape).astype(dtype)
    grad_y = rng.normal(size=shape).astype(dtype)
    weight = rng.normal(size=3).astype(dtype) if affine else None
    bias = rng.normal(size=3).astype(dtype) if affine else None
    running_mean = rng.normal(size=3).astype(dtype)
    running_var = (rng.random(3) + 0.5).astype(dtype)

    t_x = torch.tensor(x, requires_grad=True)
    t_weight = torch.tensor(weight, requires_grad=True) if affine else None
    t_bias = torch.tensor(bias, requires_grad=True) if affine else None
    t_mean, t_var = torch.tensor(running_mean), torch.tensor(running_var)
    t_y = F.batch_norm(t_x, t_mean, t_var, t_weight, t_bias, training=True, momentum=0.2)
    t_y.backward(torch.tensor(grad_y))

    y = batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.2)
    grad_x, grad_weight, grad_bias = batch_norm_backward(grad_y, x, weight, bias)

    tol = TOLERANCE[dtype]
    assert y.dtype == grad_x.dtype == dtype
    np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(running_mean, t_mean.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(running_var, t_var.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(grad_x, t_x.grad.numpy(), rtol=tol, atol=tol)
    if affine:
        np.testing.assert_allclose(grad_weight, t_weight.grad.numpy(), rtol=tol, atol=10 * tol)
        np.testing.assert_allclose(grad_bias, t_bias.grad.numpy(), rtol=tol, atol=10 * tol)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 6)])
def test_batch_norm_eval_matches_torch(shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape)
    grad_y = rng.normal(size=shape)
    weight, bias = rng.normal(size=3), rng.normal(size=3)
    running_mean, running_var = rng.normal(size=3), rng.random(3) + 0.5

    t_x = torch.tensor(x, requires_grad=True)
    t_weight = torch.tensor(weight, requires_grad=True)
    t_bias = torch.tensor(bias, requires_grad=True)
    t_mean, t_var = torch.tensor(running_mean), torch.tensor(running_var)
    t_y = F.batch_norm(t_x, t_mean, t_var, t_weight, t_bias, training=False)
    t_y.backward(torch.tensor(grad_y))

    y = batch_norm(x, running_mean, running_var, weight, bias, training=False)
    grads = batch_norm_backward(
        grad_y, x, weight, bias, training=False, running_mean=running_mean, running_var=running_var
    )
    np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(grads, (t_x.grad, t_weight.grad, t_bias.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_batch_norm_running_statistics_follow_torch_over_many_steps():
    rng = np.random.default_rng(2)
    layer = torch.nn.BatchNorm2d(4, momentum=0.1, dtype=torch.float64)
    running_mean, running_var = np.zeros(4), np.ones(4)
    for _ in range(5):
        x = rng.normal(1.0, 2.0, size=(3, 4, 2, 2))
        layer(torch.tensor(x))
        batch_norm(x, running_mean, running_var, training=True, momentum=0.1)
    np.testing.assert_allclose(running_mean, layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(running_var, layer.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics_match_torch(p):
    # The random streams differ, so compare what the masks and the scaling must share.
    shape = (200, 500)
    ones = np.ones(shape)
    y, mask = dropout(ones, p=p, rng=0)
    torch.manual_seed(0)
    t_y = F.dropout(torch.ones(shape, dtype=torch.float64), p=p, training=True).numpy()

    scale = 1 / (1 - p)
    np.testing.assert_allclose(np.unique(y), [0.0, scale])
    np.testing.assert_allclose(np.unique(t_y), [0.0, scale])
    n = mask.size
    standard_error = np.sqrt(p * (1 - p) / n)
    kept_ours, kept_torch = mask.mean(), (t_y != 0).mean()
    assert abs(kept_ours - (1 - p)) < 5 * standard_error
    assert abs(kept_torch - (1 - p)) < 5 * standard_error
    # Inverted scaling keeps the mean at 1; the variance is p / (1 - p) for both.
    assert abs(y.mean() - t_y.mean()) < 10 * standard_error * scale
    assert y.var() == pytest.approx(p / (1 - p), rel=0.05)
    assert t_y.var() == pytest.approx(p / (1 - p), rel=0.05)


def test_dropout_eval_and_extremes_match_torch():
    x = np.random.default_rng(3).normal(size=(4, 5))
    t_x = torch.tensor(x)
    np.testing.assert_array_equal(dropout(x, 0.5, training=False)[0], F.dropout(t_x, 0.5, False))
    np.testing.assert_array_equal(dropout(x, 1.0, rng=0)[0], F.dropout(t_x, 1.0, True).numpy())
    np.testing.assert_array_equal(dropout(x, 0.0, rng=0)[0], F.dropout(t_x, 0.0, True).numpy())
