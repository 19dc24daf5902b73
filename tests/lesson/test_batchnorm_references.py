"""The readable batch-norm references against the fast functions, numerical gradients
and PyTorch (where installed)."""

import numpy as np
import pytest

from lecturelib.batchnorm import (
    batch_norm,
    batch_norm_backward,
    batch_norm_backward_naive,
    batch_norm_naive,
)
from lecturelib.gradients import numerical_gradient

SHAPES = [(6, 3), (4, 3, 5), (2, 3, 4, 5), (5, 3, 1, 1)]


def random_case(seed, shape, dtype, affine):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=shape).astype(dtype)
    grad_y = rng.normal(size=shape).astype(dtype)
    channels = shape[1]
    weight = rng.normal(size=channels).astype(dtype) if affine else None
    bias = rng.normal(size=channels).astype(dtype) if affine else None
    running_mean = rng.normal(size=channels).astype(dtype)
    running_var = rng.uniform(0.5, 2.0, size=channels).astype(dtype)
    return x, grad_y, weight, bias, running_mean, running_var


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_references_equal_the_fast_functions(shape, dtype, affine, training):
    tolerance = 2e-5 if dtype == np.float32 else 1e-12
    for seed in range(3):
        x, grad_y, weight, bias, running_mean, running_var = random_case(seed, shape, dtype, affine)
        buffers_ref = running_mean.copy(), running_var.copy()
        buffers = running_mean.copy(), running_var.copy()
        y_ref = batch_norm_naive(x, *buffers_ref, weight, bias, training, momentum=0.3)
        y = batch_norm(x, *buffers, weight, bias, training, momentum=0.3)
        assert y_ref.dtype == y.dtype == dtype
        np.testing.assert_allclose(y_ref, y, rtol=tolerance, atol=tolerance)
        for ref, fast in zip(buffers_ref, buffers):  # the running statistics move alike
            assert ref.dtype == dtype
            np.testing.assert_allclose(ref, fast, rtol=tolerance, atol=tolerance)
        eval_stats = {"running_mean": running_mean, "running_var": running_var}
        ref = batch_norm_backward_naive(grad_y, x, weight, bias, 1e-5, training, **eval_stats)
        fast = batch_norm_backward(grad_y, x, weight, bias, 1e-5, training, **eval_stats)
        for a, b in zip(ref, fast):
            if b is None:
                assert a is None
                continue
            assert a.dtype == b.dtype == dtype
            scale = max(1.0, float(np.abs(b).max()))
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance * scale)


def test_running_statistics_update_without_buffers_and_with_float64_buffers():
    x = np.random.default_rng(1).normal(size=(8, 2, 3)).astype(np.float32)
    assert batch_norm_naive(x, None, None, training=True).dtype == np.float32
    mean_ref, var_ref = np.zeros(2), np.ones(2)
    mean, var = np.zeros(2), np.ones(2)
    batch_norm_naive(x, mean_ref, var_ref, training=True)
    batch_norm(x, mean, var, training=True)
    np.testing.assert_allclose(mean_ref, mean, rtol=1e-6)
    np.testing.assert_allclose(var_ref, var, rtol=1e-6)


@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_reference_backward_passes_the_gradient_check(shape, training):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape)
    grad_y = rng.normal(size=shape)
    weight, bias = rng.normal(size=2), rng.normal(size=2)
    running_mean, running_var = rng.normal(size=2), rng.uniform(0.5, 2, size=2)

    def loss():
        stats = running_mean.copy(), running_var.copy()  # the update must not leak
        return float(np.sum(batch_norm_naive(x, *stats, weight, bias, training) * grad_y))

    grads = batch_norm_backward_naive(
        grad_y, x, weight, bias, 1e-5, training, running_mean, running_var
    )
    for array, analytic in zip((x, weight, bias), grads):
        numeric = numerical_gradient(loss, array)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_references_refuse_bad_arguments():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="running_mean and running_var are required"):
        batch_norm_naive(x, None, None, training=False)
    with pytest.raises(ValueError, match="more than one value per channel"):
        batch_norm_naive(np.ones((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="weight must have shape"):
        batch_norm_backward_naive(x, x, weight=np.ones(2))
    with pytest.raises(ValueError, match="grad_y has shape"):
        batch_norm_backward_naive(np.ones((4, 2)), x)
    with pytest.raises(ValueError, match="momentum must be in"):
        batch_norm_naive(x, np.zeros(3), np.ones(3), training=True, momentum=2.0)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_references_match_torch(shape, training):
    torch = pytest.importorskip("torch")
    x, grad_y, weight, bias, running_mean, running_var = random_case(4, shape, np.float64, True)
    ours_stats = running_mean.copy(), running_var.copy()
    y = batch_norm_naive(x, *ours_stats, weight, bias, training, momentum=0.2)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True)
    rm, rv = torch.tensor(running_mean), torch.tensor(running_var)
    yt = torch.nn.functional.batch_norm(xt, rm, rv, wt, bt, training, momentum=0.2)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_stats[0], rm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_stats[1], rv.numpy(), rtol=1e-12)
    yt.backward(torch.tensor(grad_y))
    grads = batch_norm_backward_naive(
        grad_y, x, weight, bias, 1e-5, training, running_mean, running_var
    )
    for ours, theirs in zip(grads, (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-11)
