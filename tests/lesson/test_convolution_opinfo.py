"""PyTorch's own OpInfo sample inputs for conv1d, conv2d, conv_transpose1d and
conv_transpose2d, run through lecturelib and compared with PyTorch.

PyTorch tests every operator on a list of sample inputs (its "OpInfo"
database, ``op_db``); they cover the corners its authors thought of (groups,
'same' with even kernels and dilation, unbatched inputs, 1-tuples, output
padding reaching past the stride). Each sample is converted to float64
numpy; a sample is skipped only when it uses something outside lecturelib's
API (complex numbers, a keyword we do not have), and every skip is counted
with its reason. Every other sample must match PyTorch, forward and
backward, to round-off. Skipped without PyTorch or expecttest (which
PyTorch's test helpers import).
"""

from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: OpInfo samples skipped")
pytest.importorskip("expecttest", reason="expecttest not installed: OpInfo samples skipped")
common_methods_invocations = pytest.importorskip(
    "torch.testing._internal.common_methods_invocations",
    reason="PyTorch's OpInfo database is not importable",
)

import lecturelib  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

OP_DB = {op.name: op for op in common_methods_invocations.op_db}
TOLERANCE = 1e-10

# PyTorch name -> (forward, backward, the keywords lecturelib accepts,
# smallest number of samples that must pass; measured with torch 2.13.0:
# 5 real dtypes x 10 / 30 / 10 / 12 samples)
OPERATIONS = {
    "nn.functional.conv1d": (
        lecturelib.conv1d,
        lecturelib.conv1d_backward,
        {"stride", "padding", "dilation", "groups"},
        50,
    ),
    "nn.functional.conv2d": (
        lecturelib.conv2d,
        lecturelib.conv2d_backward,
        {"stride", "padding", "dilation", "groups"},
        150,
    ),
    "nn.functional.conv_transpose1d": (
        lecturelib.conv_transpose1d,
        lecturelib.conv_transpose1d_backward,
        {"stride", "padding", "output_padding", "groups", "dilation"},
        50,
    ),
    "nn.functional.conv_transpose2d": (
        lecturelib.conv_transpose2d,
        lecturelib.conv_transpose2d_backward,
        {"stride", "padding", "output_padding", "groups", "dilation"},
        60,
    ),
}


def skip_reason(sample, dtype, keywords):
    """Why a sample is outside lecturelib's API, or None if it is inside."""
    if dtype.is_complex:
        return f"complex dtype {dtype}"
    tensors = [sample.input, *sample.args]
    if any(t is not None and not isinstance(t, torch.Tensor) for t in tensors):
        return "a positional argument that is not an array"
    unknown = set(sample.kwargs) - keywords
    if unknown:
        return f"keywords outside the API: {sorted(unknown)}"
    return None


def to_numpy(tensor):
    return None if tensor is None else tensor.detach().to(torch.float64).numpy().copy()


def assert_round_off(ours, theirs, what):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    error = float(np.max(np.abs(ours - theirs), initial=0.0))
    assert error <= TOLERANCE * scale, f"{what}: max difference {error:.3g}"


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_opinfo_samples_match_pytorch(name, record_property):
    if name not in OP_DB:
        pytest.skip(f"this PyTorch's op_db has no {name}")
    forward, backward, keywords, floor = OPERATIONS[name]
    op = OP_DB[name]
    theirs = op.op
    torch.manual_seed(0)  # the samples are random tensors
    rng = np.random.default_rng(0)
    passed, skipped = 0, Counter()
    for dtype in sorted(op.supported_dtypes("cpu"), key=str):
        for index, sample in enumerate(op.sample_inputs("cpu", dtype, requires_grad=False)):
            reason = skip_reason(sample, dtype, keywords)
            if reason:
                skipped[reason] += 1
                continue
            x = to_numpy(sample.input)
            w = to_numpy(sample.args[0])
            b = to_numpy(sample.args[1]) if len(sample.args) > 1 else None
            kwargs = dict(sample.kwargs)
            what = f"{name} {dtype} sample {index}: x {x.shape}, w {w.shape}, {kwargs}"
            leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
            y_theirs = theirs(*leaves, *([None] if b is None else []), **kwargs)
            y = forward(x, w, b, **kwargs)
            assert_round_off(y, y_theirs, what + " (forward)")
            grad_y = rng.standard_normal(y.shape)
            y_theirs.backward(torch.tensor(grad_y))
            grads = [g for g in backward(grad_y, x, w, b, **kwargs) if g is not None]
            for label, ours, leaf in zip(("grad_x", "grad_w", "grad_b"), grads, leaves):
                assert_round_off(ours, leaf.grad, f"{what} ({label})")
            passed += 1
    summary = f"{name}: {passed} OpInfo samples match PyTorch; skipped {dict(skipped)}"
    print(summary)
    record_property("opinfo", summary)
    assert passed >= floor, summary
