"""Parity of the convolution family with torch.nn.functional in float64 (to 1e-10),
forward and backward, on random cases that use every new argument: groups,
'same'/'valid' padding, unbatched inputs, 1-tuples, and the transposed
convolutions with stride, padding, output_padding, dilation and groups."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")
pytestmark = pytest.mark.usefixtures("one_torch_thread")
F = torch.nn.functional

from lecturelib import (  # noqa: E402
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_transpose1d,
    conv_transpose1d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
)

TOLERANCE = 1e-10
CASES = 80


def assert_close(ours, theirs, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, what
    assert ours.dtype == theirs.dtype, what
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    assert float(np.max(np.abs(ours - theirs), initial=0.0)) <= TOLERANCE * scale, what


def spatial(value, dims, rng, as_one_tuple=True):
    """An int per axis as torch takes it: a tuple in 2-D; in 1-D an int or a 1-tuple."""
    if dims == 2:
        return tuple(value)
    return (value[0],) if as_one_tuple and rng.random() < 0.5 else value[0]


def compare(ours, ours_backward, theirs, x, w, b, settings, rng, what):
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    y_theirs = theirs(*leaves, *([None] if b is None else []), **settings)
    y = ours(x, w, b, **settings)
    assert_close(y, y_theirs, f"{what} forward")
    grad_y = rng.standard_normal(y.shape)
    y_theirs.backward(torch.tensor(grad_y))
    grads = [g for g in ours_backward(grad_y, x, w, b, **settings) if g is not None]
    assert len(grads) == len(leaves)
    for label, grad, leaf in zip(("grad_x", "grad_w", "grad_b"), grads, leaves):
        assert_close(grad, leaf.grad, f"{what} {label}")


def random_conv_case(rng, dims):
    groups = int(rng.choice([1, 1, 2, 3, 4]))
    c = groups * int(rng.integers(1, 3))
    f = groups * int(rng.integers(1, 3))
    if rng.random() < 0.2:  # depthwise
        f = c
    kernel = [int(k) for k in rng.integers(1, 6, size=dims)]
    dilation = [int(d) for d in rng.integers(1, 4, size=dims)]
    mode = rng.choice(["int", "same", "valid"])
    stride = [1] * dims if mode == "same" else [int(s) for s in rng.integers(1, 4, size=dims)]
    padding = [int(p) for p in rng.integers(0, 3, size=dims)] if mode == "int" else [0] * dims
    smallest = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    sizes = [int(rng.integers(n, n + 8)) for n in smallest]
    batch = [] if rng.random() < 0.3 else [int(rng.integers(1, 4))]  # unbatched sometimes
    x = rng.standard_normal((*batch, c, *sizes))
    w = rng.standard_normal((f, c // groups, *kernel))
    b = rng.standard_normal(f) if rng.random() < 0.7 else None
    settings = {
        "stride": spatial(stride, dims, rng),
        "padding": str(mode) if mode != "int" else spatial(padding, dims, rng),
        "dilation": spatial(dilation, dims, rng),
        "groups": groups,
    }
    return x, w, b, settings


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize(
    ("dims", "ours", "ours_backward", "theirs"),
    [(1, conv1d, conv1d_backward, F.conv1d), (2, conv2d, conv2d_backward, F.conv2d)],
    ids=["conv1d", "conv2d"],
)
def test_conv_new_arguments_match_torch(dims, ours, ours_backward, theirs):
    rng = np.random.default_rng(20 + dims)
    seen = set()
    for case in range(CASES):
        x, w, b, settings = random_conv_case(rng, dims)
        seen.add((settings["groups"] > 1, str(settings["padding"]), x.ndim == dims + 1))
        compare(ours, ours_backward, theirs, x, w, b, settings, rng, f"case {case} {settings}")
    assert len(seen) >= 8  # grouped or not, every padding kind, batched and unbatched


def random_transpose_case(rng, dims):
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        c = groups * int(rng.integers(1, 3))
        f_per_group = int(rng.integers(1, 3))
        kernel = [int(k) for k in rng.integers(1, 5, size=dims)]
        stride = [int(s) for s in rng.integers(1, 4, size=dims)]
        dilation = [int(d) for d in rng.integers(1, 4, size=dims)]
        padding = [int(p) for p in rng.integers(0, 3, size=dims)]
        output_padding = [int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation)]
        sizes = [int(n) for n in rng.integers(1, 7, size=dims)]
        out = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
               for n, s, p, d, k, op in zip(sizes, stride, padding, dilation, kernel,
                                            output_padding)]  # fmt: skip
        if min(out) >= 1:
            break
    batch = [] if rng.random() < 0.3 else [int(rng.integers(1, 4))]
    x = rng.standard_normal((*batch, c, *sizes))
    w = rng.standard_normal((c, f_per_group, *kernel))
    b = rng.standard_normal(f_per_group * groups) if rng.random() < 0.7 else None
    settings = {
        "stride": spatial(stride, dims, rng),
        "padding": spatial(padding, dims, rng),
        "output_padding": spatial(output_padding, dims, rng),
        "groups": groups,
        "dilation": spatial(dilation, dims, rng),
    }
    return x, w, b, settings


@pytest.mark.parametrize(
    ("dims", "ours", "ours_backward", "theirs"),
    [
        (1, conv_transpose1d, conv_transpose1d_backward, F.conv_transpose1d),
        (2, conv_transpose2d, conv_transpose2d_backward, F.conv_transpose2d),
    ],
    ids=["conv_transpose1d", "conv_transpose2d"],
)
def test_conv_transpose_matches_torch(dims, ours, ours_backward, theirs):
    rng = np.random.default_rng(30 + dims)
    reaching_past_stride = 0
    for case in range(CASES):
        x, w, b, settings = random_transpose_case(rng, dims)
        op, s = np.atleast_1d(settings["output_padding"]), np.atleast_1d(settings["stride"])
        reaching_past_stride += bool(np.any(op >= s))
        compare(ours, ours_backward, theirs, x, w, b, settings, rng, f"case {case} {settings}")
    assert reaching_past_stride > 0  # output_padding >= stride (allowed below dilation) is covered


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_float32_matches_torch_loosely():
    rng = np.random.default_rng(40)
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    y = conv_transpose2d(x, w, None, 2, 1, 1, 2, 1)
    theirs = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), None, 2, 1, 1, 2, 1).numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, theirs, rtol=1e-5, atol=1e-5)
    w = rng.standard_normal((6, 2, 2, 3)).astype(np.float32)
    y = conv2d(x, w, padding="same", groups=2)
    theirs = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same", groups=2).numpy()
    np.testing.assert_allclose(y, theirs, rtol=1e-5, atol=1e-5)


def test_rejections_agree_with_torch():
    """Where we reject a combination, PyTorch rejects it too."""
    x = torch.zeros(1, 4, 5, 5)
    for kwargs, w_shape, call in [
        ({"groups": 3}, (3, 1, 3, 3), "conv2d"),
        ({"padding": "same", "stride": 2}, (4, 4, 3, 3), "conv2d"),
        ({"stride": 2, "output_padding": 2}, (4, 1, 3, 3), "conv_transpose2d"),
        ({"groups": 3}, (4, 1, 3, 3), "conv_transpose2d"),
    ]:
        with pytest.raises(ValueError):
            {"conv2d": conv2d, "conv_transpose2d": conv_transpose2d}[call](
                x.numpy(), np.zeros(w_shape), **kwargs
            )
        with pytest.raises((RuntimeError, ValueError)):
            getattr(F, call)(x, torch.zeros(w_shape), **kwargs)
