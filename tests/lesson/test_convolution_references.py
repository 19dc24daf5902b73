"""The readable convolution references of lecturelib.convolution (the ``*_naive`` loops)
against the fast versions, against numerical gradients and against PyTorch.

Every fast function must give the reference's numbers (forward: y; backward:
grad_x, grad_w, grad_b) on seeded random cases covering stride, padding (ints,
pairs, 'same', 'valid'), dilation, groups, batches and unbatched input, in
float64 (to 1e-12) and float32; and every reference backward must be the
gradient of its forward pass.
"""

import numpy as np
import pytest

import lecturelib
from lecturelib import convolution
from lecturelib.gradients import check_gradient, numerical_gradient_array

TOLERANCE = {np.float64: 1e-12, np.float32: 2e-5}

PAIRS = [
    # (reference forward, reference backward, fast forward, fast backward)
    ("conv1d_naive", "conv1d_backward_naive", "conv1d", "conv1d_backward"),
    ("conv2d_naive", "conv2d_backward_naive", "conv2d", "conv2d_backward"),
    (
        "conv_transpose1d_naive",
        "conv_transpose1d_backward_naive",
        "conv_transpose1d",
        "conv_transpose1d_backward",
    ),
    (
        "conv_transpose2d_naive",
        "conv_transpose2d_backward_naive",
        "conv_transpose2d",
        "conv_transpose2d_backward",
    ),
]
REFERENCES = [name for pair in PAIRS for name in pair[:2]]


def assert_close(got, want, dtype, what=""):
    """max |got - want| <= tolerance * max(1, max |want|); same shape and dtype."""
    if want is None:
        assert got is None, what
        return
    assert got.shape == want.shape, what
    assert got.dtype == want.dtype == dtype, what
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    error = float(np.max(np.abs(got - want), initial=0.0))
    assert error <= TOLERANCE[dtype] * scale, f"{what}: max error {error:.3g}"


# --- seeded random cases ------------------------------------------------------------------

# (stride, padding, dilation, groups, batch, bias); batch None: unbatched input
CONV_SETTINGS = [
    (1, 0, 1, 1, 2, True),
    (2, 1, 1, 1, 3, True),
    (1, "same", 1, 1, 2, False),
    (1, "same", 2, 2, 2, True),  # odd total padding along an even kernel: one extra zero after
    (1, "valid", 1, 1, 1, True),
    (3, 2, 2, 1, 2, False),
    (1, 1, 1, 3, 2, True),  # groups
    (2, 0, 1, "depthwise", 2, True),
    (1, 1, 1, 1, None, True),  # unbatched
    (2, "valid", 2, 2, None, False),
    ((2, 1), (1, 0), (1, 2), 1, 2, True),  # pairs (2-D only)
    ((1, 3), (0, 2), (2, 1), 2, 3, True),
]


def conv_cases(dims):
    """Seeded random conv1d/conv2d cases: (text, x, w, b, settings)."""
    rng = np.random.default_rng(140 + dims)
    cases = []
    for k, (stride, padding, dilation, groups, batch, bias) in enumerate(CONV_SETTINGS):
        if dims == 1 and isinstance(stride, tuple):
            continue
        c_per_group, f_per_group = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        groups = 3 if groups == "depthwise" else groups
        if k == 7:  # depthwise: one channel per group
            c_per_group = 1
        kernel = [int(v) for v in rng.integers(1, 4, size=dims)]
        if padding == "same" and k == 3:
            kernel = [2] * dims  # D * (K - 1) odd for dilation 1, even for dilation 2
            dilation = 1
        sizes = [int(v) for v in rng.integers(7, 11, size=dims)]
        shape = (c_per_group * groups, *sizes)
        x = rng.standard_normal(shape if batch is None else (batch, *shape))
        w = rng.standard_normal((f_per_group * groups, c_per_group, *kernel))
        b = rng.standard_normal(f_per_group * groups) if bias else None
        settings = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        text = f"case {k}: x {x.shape}, w {w.shape}, {settings}, bias {bias}"
        cases.append((text, x, w, b, settings))
    return cases


# (stride, padding, output_padding, dilation, groups, batch, bias)
TRANSPOSE_SETTINGS = [
    (1, 0, 0, 1, 1, 2, True),
    (2, 0, 0, 1, 1, 3, True),
    (2, 1, 1, 1, 1, 2, False),
    (3, 1, 2, 2, 1, 2, True),
    (2, 0, 1, 3, 2, 2, True),  # output_padding past the full scatter's end
    (1, 2, 0, 2, 3, 1, True),  # groups, padding cropping most of the scatter
    (2, 1, 0, 1, 2, None, True),  # unbatched
    ((2, 1), (1, 0), (1, 0), (1, 2), 1, 2, True),  # pairs (2-D only)
]


def transpose_cases(dims):
    """Seeded random conv_transpose1d/2d cases: (text, x, w, b, settings)."""
    rng = np.random.default_rng(240 + dims)
    cases = []
    for k, (stride, padding, output_padding, dilation, groups, batch, bias) in enumerate(
        TRANSPOSE_SETTINGS
    ):
        if dims == 1 and isinstance(stride, tuple):
            continue
        c_per_group, f_per_group = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        kernel = [int(v) for v in rng.integers(2, 4, size=dims)]
        sizes = [int(v) for v in rng.integers(3, 6, size=dims)]
        shape = (c_per_group * groups, *sizes)
        x = rng.standard_normal(shape if batch is None else (batch, *shape))
        w = rng.standard_normal((c_per_group * groups, f_per_group, *kernel))
        b = rng.standard_normal(f_per_group * groups) if bias else None
        settings = {
            "stride": stride,
            "padding": padding,
            "output_padding": output_padding,
            "dilation": dilation,
            "groups": groups,
        }
        text = f"case {k}: x {x.shape}, w {w.shape}, {settings}, bias {bias}"
        cases.append((text, x, w, b, settings))
    return cases


def cases_for(forward_name):
    dims = 1 if "1d" in forward_name else 2
    return transpose_cases(dims) if "transpose" in forward_name else conv_cases(dims)


def as_dtype(dtype, *arrays):
    return [None if a is None else a.astype(dtype) for a in arrays]


# --- the references equal the fast versions -----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("names", PAIRS, ids=[pair[2] for pair in PAIRS])
def test_the_fast_version_equals_the_reference(names, dtype):
    naive, naive_backward, fast, fast_backward = (getattr(convolution, n) for n in names)
    rng = np.random.default_rng(7)
    cases = cases_for(names[0])
    assert len(cases) >= 7
    for text, x, w, b, settings in cases:
        x, w, b = as_dtype(dtype, x, w, b)
        y = naive(x, w, b, **settings)
        assert_close(fast(x, w, b, **settings), y, dtype, f"y, {text}")
        grad_y = rng.standard_normal(y.shape).astype(dtype)
        want = naive_backward(grad_y, x, w, b, **settings)
        got = fast_backward(grad_y, x, w, b, **settings)
        assert len(want) == len(got) == 3
        for name, g, r in zip(("grad_x", "grad_w", "grad_b"), got, want):
            assert_close(g, r, dtype, f"{name}, {text}")
        assert want[0].shape == x.shape and want[1].shape == w.shape


def test_the_cases_cover_every_setting():
    settings = [s for _, _, _, _, s in conv_cases(2)]
    assert {"same", "valid"} <= {s["padding"] for s in settings}
    assert any(isinstance(s["padding"], tuple) for s in settings)
    assert any(s["groups"] > 1 for s in settings) and any(s["dilation"] != 1 for s in settings)
    assert {x.ndim for _, x, *_ in conv_cases(2)} == {3, 4}
    assert {x.ndim for _, x, *_ in transpose_cases(1)} == {2, 3}


def test_integer_input_gives_float64_like_the_fast_version():
    x = np.arange(12).reshape(1, 1, 3, 4)
    w = np.array([[[[1, -1], [2, 0]]]])
    grad_y = np.ones((1, 1, 2, 3), dtype=int)
    for got, want in zip(
        convolution.conv2d_backward_naive(grad_y, x, w, np.array([1])),
        convolution.conv2d_backward(grad_y, x, w, np.array([1])),
    ):
        assert_close(got, want, np.float64)


def test_mixed_float32_and_float64_gives_float64():
    x = np.ones((1, 2, 5), dtype=np.float32)
    w = np.ones((1, 2, 3), dtype=np.float64)
    grad_x, grad_w, _ = convolution.conv1d_backward_naive(np.ones((1, 1, 3)), x, w)
    assert grad_x.dtype == grad_w.dtype == np.float64


# --- the references' gradients are the gradients ----------------------------------------


@pytest.mark.parametrize("names", PAIRS, ids=[pair[1] for pair in PAIRS])
def test_the_reference_backward_matches_numerical_gradients(names):
    naive, naive_backward = getattr(convolution, names[0]), getattr(convolution, names[1])
    rng = np.random.default_rng(11)
    for text, x, w, b, settings in cases_for(names[0])[:7]:
        spatial = 1 if "1d" in names[0] else 2
        b = rng.standard_normal(naive(x, w, None, **settings).shape[-spatial - 1])  # F biases
        grad_y = rng.standard_normal(naive(x, w, b, **settings).shape)
        grad_x, grad_w, grad_b = naive_backward(grad_y, x, w, b, **settings)

        def loss(x=x, w=w, b=b, settings=settings, grad_y=grad_y):
            return float(np.sum(naive(x, w, b, **settings) * grad_y))

        for name, array, analytic in (("x", x, grad_x), ("w", w, grad_w), ("b", b, grad_b)):
            try:
                check_gradient(loss, array, analytic, tolerance=1e-7)
            except AssertionError as error:
                raise AssertionError(f"grad_{name}, {text}: {error}") from None


def test_the_lecture_example_of_backpropagation_through_a_convolution():
    """3 x 3 input x1..x9, 2 x 2 kernel w1..w4: dL/dw1 = sum of grad_y times x1, x2, x4, x5."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    grad_y = np.array([[[[1.0, -1.0], [2.0, 0.5]]]])
    grad_x, grad_w, grad_b = convolution.conv2d_backward_naive(grad_y, x, w, np.zeros(1))
    assert grad_w[0, 0, 0, 0] == 1 * 1 - 1 * 2 + 2 * 4 + 0.5 * 5
    assert grad_x[0, 0, 1, 1] == 1 * 4 - 1 * 3 + 2 * 2 + 0.5 * 1  # x5 is under every window
    assert grad_b[0] == 2.5
    numeric = numerical_gradient_array(lambda: convolution.conv2d_naive(x, w), x, grad_y)
    np.testing.assert_allclose(grad_x, numeric, atol=1e-8)


# --- the same arguments, the same errors ----------------------------------------------


BAD_ARGUMENTS = [
    # (keywords changed from a good call, exception type, words of the message)
    ({"stride": 0}, ValueError, "stride must be >= 1"),
    ({"stride": 2, "padding": "same"}, ValueError, "padding='same' is not supported"),
    ({"padding": "full"}, ValueError, "padding must be an int"),
    ({"dilation": 1.5}, TypeError, "dilation must be an integer"),
    ({"groups": 3}, ValueError, "groups=3 must divide"),
    ({"grad_y": np.ones((2, 3, 4, 4))}, ValueError, "grad_y must have the output's shape"),
    ({"x": np.ones((6, 6))}, ValueError, "x must have 4 dimensions"),
    ({"w": np.ones((3, 4, 3, 3))}, ValueError, "w expects 4 input channels"),
    ({"b": np.ones(2)}, ValueError, "b must have shape (3,)"),
    ({"w": np.ones((3, 2, 9, 3))}, ValueError, "larger than padded input"),
]


@pytest.mark.parametrize(("change", "error", "words"), BAD_ARGUMENTS)
def test_bad_arguments_give_the_same_message_as_the_fast_backward(change, error, words):
    call = {
        "grad_y": np.ones((2, 3, 4, 4)),
        "x": np.ones((2, 2, 6, 6)),
        "w": np.ones((3, 2, 3, 3)),
        "b": np.ones(3),
        "padding": 0,
    }
    if change.get("padding") == "same" or "dilation" in change:
        call["grad_y"] = np.ones((2, 3, 6, 6))
    if "grad_y" in change:
        call["grad_y"] = np.ones((2, 3, 5, 5))
    else:
        call.update(change)
    messages = []
    for backward in (convolution.conv2d_backward_naive, convolution.conv2d_backward):
        with pytest.raises(error) as raised:
            backward(**call)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert words in messages[0]


def test_bad_arguments_of_the_transposed_reference_backward():
    x, w = np.ones((1, 2, 3, 3)), np.ones((2, 1, 2, 2))
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        convolution.conv_transpose2d_backward_naive(np.ones((1, 1, 4, 4)), x, w, output_padding=1)
    with pytest.raises(ValueError, match="grad_y must have the output's shape"):
        convolution.conv_transpose2d_backward_naive(np.ones((1, 1, 3, 3)), x, w)
    with pytest.raises(ValueError, match="one kernel stack per input channel"):
        convolution.conv_transpose1d_backward_naive(
            np.ones((1, 1, 4)), x[..., 0], np.ones((3, 1, 2))
        )


# --- PyTorch ------------------------------------------------------------------------------


def torch_pairs():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")
    functional = torch.nn.functional
    return torch, {
        "conv1d_naive": functional.conv1d,
        "conv2d_naive": functional.conv2d,
        "conv_transpose1d_naive": functional.conv_transpose1d,
        "conv_transpose2d_naive": functional.conv_transpose2d,
    }


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("names", PAIRS, ids=[pair[1] for pair in PAIRS])
def test_the_reference_backward_agrees_with_pytorch(names):
    torch, theirs = torch_pairs()
    naive, naive_backward = getattr(convolution, names[0]), getattr(convolution, names[1])
    rng = np.random.default_rng(21)
    for text, x, w, b, settings in cases_for(names[0])[:6]:
        grad_y = rng.standard_normal(naive(x, w, b, **settings).shape)
        grads = naive_backward(grad_y, x, w, b, **settings)
        leaves = [None if a is None else torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = theirs[names[0]](*leaves, **settings)
        assert_close(naive(x, w, b, **settings), y.detach().numpy(), np.float64, f"y, {text}")
        y.backward(torch.tensor(grad_y))
        for name, ours, leaf in zip(("grad_x", "grad_w", "grad_b"), grads, leaves):
            want = None if leaf is None else leaf.grad.numpy()
            assert_close(ours, want, np.float64, f"{name}, {text}")


# --- where they live ----------------------------------------------------------------------


@pytest.mark.parametrize("name", REFERENCES)
def test_every_reference_is_exported(name):
    assert name in convolution.__all__
    assert getattr(lecturelib, name) is getattr(convolution, name)


def test_the_references_come_before_the_fast_versions_and_use_no_fast_path():
    import inspect

    source = inspect.getsource(convolution)
    assert source.index("def conv2d_backward_naive") < source.index("def conv2d(")
    for name in REFERENCES:
        assert "fast." not in inspect.getsource(getattr(convolution, name)), name
