"""PyTorch's own OpInfo samples for max_pool2d, avg_pool2d and batch_norm, run
through lecturelib (float64, forward and backward).

``torch.testing._internal.common_methods_invocations.op_db`` lists, for every
PyTorch operation, the sample inputs PyTorch tests it with. Each sample is
converted to numpy and fed to lecturelib; the outputs, the indices of
max_pool2d, the updated running statistics of batch_norm and the gradients
must match PyTorch to 1e-10. A sample is skipped only when it uses a feature
outside lecturelib's API; every skip is counted with its reason, and the
number of samples that pass must not fall below the floors measured when this
test was written (with torch 2.13).
"""

import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # the OpInfo database imports it

from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

from lecturelib import (  # noqa: E402
    avg_pool2d,
    avg_pool2d_backward,
    batch_norm,
    batch_norm_backward,
    max_pool2d,
    max_pool2d_backward,
)

TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}

# Samples that pass today (torch 2.13.0); more is fine, fewer means a regression.
PASS_FLOOR = {
    "nn.functional.max_pool2d": 1440,
    "nn.functional.avg_pool2d": 7,
    "nn.functional.batch_norm": 18,
}


def samples(name):
    """Every OpInfo sample of operation ``name`` (all its variants), float64 on the CPU."""
    ops = [op for op in op_db if op.name == name]
    assert ops, f"{name} is not in op_db"
    return [
        sample
        for op in ops
        for sample in op.sample_inputs("cpu", torch.float64, requires_grad=True)
    ]


def numpy_value(value):
    """Tensors to float64 numpy arrays (copies); other arguments unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    return value


def grad_like(tensor, seed):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(tuple(tensor.shape)))


# --- max_pool2d ------------------------------------------------------------------------------


def check_max_pool2d(sample, seed):
    kwargs = dict(sample.kwargs)
    x = sample.input.detach().clone().requires_grad_(True)
    result = torch.nn.functional.max_pool2d(x, *sample.args, **kwargs)
    ours = max_pool2d(numpy_value(x), *sample.args, **kwargs)
    if kwargs.get("return_indices"):
        result, indices = result
        ours, our_indices = ours
        np.testing.assert_array_equal(our_indices, indices.numpy())
    np.testing.assert_array_equal(ours, result.detach().numpy())
    grad_y = grad_like(result, seed)
    result.backward(grad_y)
    grad_x = max_pool2d_backward(grad_y.numpy(), numpy_value(x), *sample.args, **kwargs)
    np.testing.assert_allclose(grad_x, x.grad.numpy(), **TOLERANCE)


MAX_POOL_UNSUPPORTED = ()  # every feature these samples use is in lecturelib's API


# --- avg_pool2d ------------------------------------------------------------------------------

AVG_ARGUMENTS = ("stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")


def avg_keywords(sample):
    """avg_pool2d's samples pass (kernel_size, stride, ...) positionally: name them."""
    kwargs = dict(zip(("kernel_size", *AVG_ARGUMENTS), sample.args))
    kwargs.update(sample.kwargs)
    return kwargs


def check_avg_pool2d(sample, seed):
    kwargs = avg_keywords(sample)
    x = sample.input.detach().clone().requires_grad_(True)
    result = torch.nn.functional.avg_pool2d(x, **kwargs)
    np.testing.assert_allclose(
        avg_pool2d(numpy_value(x), **kwargs), result.detach().numpy(), **TOLERANCE
    )
    grad_y = grad_like(result, seed)
    result.backward(grad_y)
    grad_x = avg_pool2d_backward(grad_y.numpy(), numpy_value(x), **kwargs)
    np.testing.assert_allclose(grad_x, x.grad.numpy(), **TOLERANCE)


AVG_POOL_UNSUPPORTED = ()  # every avg_pool2d sample is inside the API, negative divisors too


# --- batch_norm ------------------------------------------------------------------------------

BN_ARGUMENTS = ("running_mean", "running_var", "weight", "bias", "training", "momentum", "eps")


def bn_keywords(sample):
    kwargs = dict(zip(BN_ARGUMENTS, sample.args))
    kwargs.update(sample.kwargs)
    return kwargs


def check_batch_norm(sample, seed):
    kwargs = bn_keywords(sample)
    ours_kwargs = {key: numpy_value(value) for key, value in kwargs.items()}  # copies
    x = sample.input.detach().clone().requires_grad_(True)
    theirs_kwargs = dict(kwargs)
    for key in ("running_mean", "running_var"):  # updated in place: give torch its own copy
        if isinstance(kwargs.get(key), torch.Tensor):
            theirs_kwargs[key] = kwargs[key].detach().clone()
    leaves = {"x": x}
    for key in ("weight", "bias"):
        if isinstance(kwargs.get(key), torch.Tensor):
            theirs_kwargs[key] = leaves[key] = kwargs[key].detach().clone().requires_grad_(True)
    running = {key: ours_kwargs.get(key) for key in ("running_mean", "running_var")}
    running_before = {k: None if v is None else v.copy() for k, v in running.items()}

    result = torch.nn.functional.batch_norm(x, **theirs_kwargs)
    ours = batch_norm(numpy_value(x), **ours_kwargs)
    np.testing.assert_allclose(ours, result.detach().numpy(), **TOLERANCE)
    for key, value in running.items():  # updated in place by both (training only)
        if value is not None:
            np.testing.assert_allclose(value, theirs_kwargs[key].numpy(), **TOLERANCE)

    grad_y = grad_like(result, seed)
    grads = torch.autograd.grad(result, list(leaves.values()), grad_y)
    grad_x, grad_weight, grad_bias = batch_norm_backward(
        grad_y.numpy(),
        numpy_value(x),
        ours_kwargs.get("weight"),
        ours_kwargs.get("bias"),
        eps=ours_kwargs.get("eps", 1e-5),
        training=ours_kwargs.get("training", False),
        running_mean=running_before["running_mean"],
        running_var=running_before["running_var"],
    )
    ours_grads = {"x": grad_x, "weight": grad_weight, "bias": grad_bias}
    for key, grad in zip(leaves, grads):
        np.testing.assert_allclose(ours_grads[key], grad.numpy(), **TOLERANCE)


BATCH_NORM_UNSPPORTED_MOMENTUM = "momentum outside [0, 1] in training (lecturelib refuses it there)"
BATCH_NORM_UNSUPPORTED = (
    (
        "input without a channel axis (lecturelib needs (N, C, ...))",
        lambda sample: sample.input.dim() < 2,
    ),
    (
        BATCH_NORM_UNSPPORTED_MOMENTUM,
        lambda sample: (
            bn_keywords(sample).get("training", False)
            and not 0 <= bn_keywords(sample).get("momentum", 0.1) <= 1
        ),
    ),
)


# --- running them ------------------------------------------------------------------------------

CASES = {
    "nn.functional.max_pool2d": (check_max_pool2d, MAX_POOL_UNSUPPORTED),
    "nn.functional.avg_pool2d": (check_avg_pool2d, AVG_POOL_UNSUPPORTED),
    "nn.functional.batch_norm": (check_batch_norm, BATCH_NORM_UNSUPPORTED),
}


def run_samples(name):
    """(passed, skipped reasons counter) for every sample of one operation."""
    check, unsupported = CASES[name]
    passed, skipped = 0, collections.Counter()
    for seed, sample in enumerate(samples(name)):
        reasons = [reason for reason, uses in unsupported if uses(sample)]
        if reasons:
            skipped[reasons[0]] += 1
            continue
        try:
            check(sample, seed)
        except AssertionError as error:
            raise AssertionError(
                f"{name} sample {seed} differs from PyTorch: input {tuple(sample.input.shape)}, "
                f"args {sample.args}, kwargs {sample.kwargs}\n{error}"
            ) from None
        passed += 1
    return passed, skipped


@pytest.mark.parametrize("name", list(CASES))
def test_opinfo_samples_match_pytorch(name):
    passed, skipped = run_samples(name)
    total = passed + sum(skipped.values())
    print(f"\n{name}: {passed} of {total} samples pass, skipped: {dict(skipped)}")
    assert passed >= PASS_FLOOR[name], (name, passed, dict(skipped))
