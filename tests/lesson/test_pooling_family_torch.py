"""Parity of the pooling family with torch.nn.functional, float64, forward and backward:
dilation, ceil_mode, return_indices, max_unpool2d, count_include_pad,
divisor_override, unbatched inputs, on random cases (skipped without PyTorch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from lecturelib import (  # noqa: E402
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    max_unpool2d,
    max_unpool2d_backward,
)

TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}


def some_window_reads_only_padding(spatial, kernel, stride, padding, dilation):
    for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        extent = d * (k - 1) + 1
        for start in range(-p, n + p - extent + s, s):  # generous: every window ceil mode may keep
            if not any(0 <= start + d * i < n for i in range(k)):
                return True
    return False


def random_case(rng, max_pool):
    """A random valid setting and an input it fits (PyTorch decides what is valid)."""
    while True:
        kernel = tuple(int(v) for v in rng.integers(1, 5, size=2))
        stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        dilation = tuple(int(v) for v in rng.integers(1, 3, size=2)) if max_pool else (1, 1)
        ceil_mode = bool(rng.integers(2))
        batched = bool(rng.integers(4))  # mostly batched
        spatial = tuple(int(v) for v in rng.integers(1, 10, size=2))
        shape = (
            ((int(rng.integers(1, 3)),) if batched else ()) + (int(rng.integers(1, 3)),) + spatial
        )
        settings = {
            "kernel_size": kernel,
            "stride": stride,
            "padding": padding,
            "ceil_mode": ceil_mode,
        }
        if max_pool:
            settings["dilation"] = dilation
        if max_pool and some_window_reads_only_padding(spatial, kernel, stride, padding, dilation):
            continue  # lecturelib refuses these; PyTorch 2.13 corrupts memory in the backward
        x = torch.zeros(shape, dtype=torch.float64)
        try:
            (F.max_pool2d if max_pool else F.avg_pool2d)(x, **settings)
        except RuntimeError:
            continue
        return shape, settings


@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
def test_max_pool2d_matches_torch_with_indices(values):
    rng = np.random.default_rng({"distinct": 11, "ties": 12, "nan": 13}[values])
    for _ in range(150):
        shape, settings = random_case(rng, max_pool=True)
        if values == "distinct":
            x = rng.standard_normal(shape)
        else:  # small integers: many equal maxima, the first in row-major order must win
            x = rng.integers(-2, 3, size=shape).astype(float)
        if values == "nan":  # PyTorch: nan beats any number, and the last nan of a window wins
            x[rng.random(shape) < 0.3] = np.nan
        xt = torch.tensor(x, requires_grad=True)
        yt, indices_t = F.max_pool2d(xt, **settings, return_indices=True)
        y, indices = max_pool2d(x, **settings, return_indices=True)
        np.testing.assert_array_equal(y, yt.detach().numpy(), err_msg=str(settings))
        np.testing.assert_array_equal(indices, indices_t.numpy(), err_msg=str(settings))
        np.testing.assert_array_equal(max_pool2d(x, **settings), y)
        grad_y = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(grad_y))
        np.testing.assert_allclose(
            max_pool2d_backward(grad_y, x, **settings), xt.grad.numpy(), **TOLERANCE
        )
        if values == "nan":  # the readable references follow the same rule
            _, indices_naive = max_pool2d_naive(x, **settings, return_indices=True)
            np.testing.assert_array_equal(indices_naive, indices, err_msg=str(settings))
            np.testing.assert_allclose(
                max_pool2d_backward_naive(grad_y, x, **settings), xt.grad.numpy(), **TOLERANCE
            )


def test_max_pool2d_fast_path_matches_torch_with_and_without_ties():
    rng = np.random.default_rng(3)
    for kernel in (2, 3, (2, 3), 1, (1, 2), (3, 1)):
        for x in (
            rng.standard_normal((5, 3, 12, 12)),
            rng.integers(0, 2, size=(5, 3, 12, 12)).astype(float),  # ties everywhere
            np.zeros((5, 3, 12, 12)),
            np.where(rng.random((5, 3, 12, 12)) < 0.3, np.nan, rng.integers(0, 2, (5, 3, 12, 12))),
        ):
            for dtype in (np.float64, np.float32):
                xd = x.astype(dtype)
                xt = torch.tensor(xd, requires_grad=True)
                yt = F.max_pool2d(xt, kernel)
                np.testing.assert_array_equal(max_pool2d(xd, kernel), yt.detach().numpy())
                grad_y = rng.standard_normal(tuple(yt.shape)).astype(dtype)
                yt.backward(torch.tensor(grad_y))
                np.testing.assert_array_equal(
                    max_pool2d_backward(grad_y, xd, kernel), xt.grad.numpy()
                )


def test_max_pool2d_windows_of_minus_infinity_index_their_first_real_cell():
    x = np.full((1, 1, 3, 4), -np.inf)
    x[0, 0, 2, 3] = 1.0
    for settings in (
        {"kernel_size": 2, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
        {"kernel_size": 2, "stride": 2, "ceil_mode": True},
    ):
        xt = torch.tensor(x, requires_grad=True)
        yt, indices_t = F.max_pool2d(xt, **settings, return_indices=True)
        y, indices = max_pool2d(x, **settings, return_indices=True)
        np.testing.assert_array_equal(y, yt.detach().numpy())
        np.testing.assert_array_equal(indices, indices_t.numpy())
        grad_y = np.arange(1.0, y.size + 1).reshape(y.shape)
        yt.backward(torch.tensor(grad_y))
        np.testing.assert_array_equal(max_pool2d_backward(grad_y, x, **settings), xt.grad.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(count_include_pad):
    rng = np.random.default_rng(21 + count_include_pad)
    for case in range(150):
        shape, settings = random_case(rng, max_pool=False)
        settings["count_include_pad"] = count_include_pad
        if case % 3 == 0:
            settings["divisor_override"] = int(rng.integers(1, 7))
        x = rng.standard_normal(shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = F.avg_pool2d(xt, **settings)
        y = avg_pool2d(x, **settings)
        np.testing.assert_allclose(y, yt.detach().numpy(), **TOLERANCE, err_msg=str(settings))
        grad_y = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(grad_y))
        np.testing.assert_allclose(
            avg_pool2d_backward(grad_y, x, **settings), xt.grad.numpy(), **TOLERANCE
        )


def test_avg_pool2d_fast_path_matches_torch_bit_for_bit():
    rng = np.random.default_rng(4)
    for kernel in (2, 3, (3, 2)):
        for divisor_override in (None, 3):
            x = rng.standard_normal((5, 3, 12, 12))
            xt = torch.tensor(x, requires_grad=True)
            yt = F.avg_pool2d(xt, kernel, divisor_override=divisor_override)
            y = avg_pool2d(x, kernel, divisor_override=divisor_override)
            np.testing.assert_array_equal(y, yt.detach().numpy())
            grad_y = rng.standard_normal(y.shape)
            yt.backward(torch.tensor(grad_y))
            np.testing.assert_array_equal(
                avg_pool2d_backward(grad_y, x, kernel, divisor_override=divisor_override),
                xt.grad.numpy(),
            )


def test_max_unpool2d_matches_torch_forward_and_backward():
    rng = np.random.default_rng(31)
    for _ in range(100):
        shape, settings = random_case(rng, max_pool=True)
        settings.update(dilation=1, ceil_mode=False)
        try:
            F.max_pool2d(torch.zeros(shape, dtype=torch.float64), **settings)
        except RuntimeError:
            continue
        x = rng.standard_normal(shape)
        y, indices = max_pool2d(x, **settings, return_indices=True)
        unpool = {k: settings[k] for k in ("kernel_size", "stride", "padding")}
        for output_size in (None, x.shape[-2:]):
            yt = torch.tensor(y, requires_grad=True)
            try:
                out_t = F.max_unpool2d(yt, torch.tensor(indices), **unpool, output_size=output_size)
            except (RuntimeError, ValueError):
                out_t = None
            if out_t is None or out_t.numel() == 0:  # refused, or (PyTorch) an empty plane
                with pytest.raises(ValueError):
                    max_unpool2d(y, indices, **unpool, output_size=output_size)
                continue
            out = max_unpool2d(y, indices, **unpool, output_size=output_size)
            np.testing.assert_array_equal(out, out_t.detach().numpy())
            grad_out = rng.standard_normal(out.shape)
            out_t.backward(torch.tensor(grad_out))
            np.testing.assert_allclose(
                max_unpool2d_backward(grad_out, y, indices, **unpool, output_size=output_size),
                yt.grad.numpy(),
                **TOLERANCE,
            )


def test_unbatched_inputs_give_unbatched_outputs_as_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 7, 6))
    xt = torch.tensor(x)
    y, indices = max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    yt, indices_t = F.max_pool2d(xt, 3, 2, 1, ceil_mode=True, return_indices=True)
    assert y.shape == tuple(yt.shape) == (3, 4, 4)
    np.testing.assert_array_equal(indices, indices_t.numpy())
    np.testing.assert_allclose(
        avg_pool2d(x, 3, 2, 1, True, False), F.avg_pool2d(xt, 3, 2, 1, True, False), **TOLERANCE
    )
    unpooled = max_unpool2d(y, indices, 3, 2, 1, output_size=(7, 6))
    np.testing.assert_array_equal(
        unpooled, F.max_unpool2d(yt, indices_t, 3, 2, 1, output_size=(7, 6)).numpy()
    )
