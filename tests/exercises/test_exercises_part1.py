"""The notebook 01-11 exercises: references pass, lecturelib passes, typical mistakes are named."""

import inspect

import numpy as np
import pytest

import lecturelib
from lecturelib.exercises import REGISTRY, check, load_wrong_implementations, mistake_table, part1

PART1 = sorted(i for i, e in REGISTRY.items() if e.notebook[:2] <= "11")
WRONG = [w for w in load_wrong_implementations() if w.exercise_id in PART1]


def test_every_notebook_01_to_11_has_two_exercises():
    counts = {}
    for exercise_id in PART1:
        notebook = REGISTRY[exercise_id].notebook
        counts[notebook] = counts.get(notebook, 0) + 1
    assert len(counts) == 11 and min(counts.values()) >= 2, counts
    assert len(PART1) >= 23


@pytest.mark.parametrize("exercise_id", PART1)
def test_the_reference_passes(exercise_id):
    result = check(exercise_id, REGISTRY[exercise_id].reference)
    assert result.passed, result.message
    assert result.status == "passed"


def _layer_params_from_layer_table(input_shape, filters, kernel_size, stride=1, padding=0):
    row = list(
        lecturelib.layer_table(
            [lecturelib.Conv(filters, kernel_size, stride, padding)], input_shape
        )
    )[-1]
    return row.output_shape, row.params


LIBRARY = [
    ("conv2d_forward", lecturelib.conv2d),
    ("conv2d_forward", lecturelib.conv2d_naive),
    ("conv2d_backward", lecturelib.conv2d_backward),
    ("true_convolution", lecturelib.convolve2d),
    ("output_size", lecturelib.output_size),
    ("max_pool_forward", lecturelib.max_pool2d),
    ("max_pool_backward", lecturelib.max_pool2d_backward),
    ("avg_pool_backward", lecturelib.avg_pool2d_backward),
    ("layer_params", _layer_params_from_layer_table),
    ("conv1d_forward", lecturelib.conv1d),
    ("receptive_field", lecturelib.receptive_field),
]


@pytest.mark.parametrize(
    ("exercise_id", "function"), LIBRARY, ids=[f"{i}-{f.__name__}" for i, f in LIBRARY]
)
def test_the_lecturelib_function_passes(exercise_id, function):
    result = check(exercise_id, function)
    assert result.passed, result.message


def test_three_wrong_implementations_per_exercise():
    counts = {exercise_id: 0 for exercise_id in PART1}
    for wrong in WRONG:
        counts[wrong.exercise_id] += 1
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize(
    "wrong", WRONG, ids=[f"{w.exercise_id}-{w.function.__name__}" for w in WRONG]
)
def test_a_typical_mistake_is_rejected_and_named(wrong):
    result = check(wrong.exercise_id, wrong.function)
    assert not result.passed
    # a function that forgets its return is "not attempted" by the interface's rule
    assert result.status == "mistake" or "returned None" in result.message, result.message
    assert wrong.expect.lower() in result.message.lower(), result.message
    assert "Traceback" not in result.message


def _stub_like(reference):
    """A stub with the reference's signature and a ``...`` body, as handed out."""
    signature = inspect.signature(reference)
    namespace = {}
    exec(f"def stub{signature}:\n    '''Your code here.'''\n    ...\n", namespace)
    return namespace["stub"]


@pytest.mark.parametrize("exercise_id", PART1)
def test_a_stub_is_not_attempted(exercise_id):
    result = check(exercise_id, _stub_like(REGISTRY[exercise_id].reference))
    assert result.status == "not attempted"
    assert str(result).startswith("[Not attempted yet]")
    assert "not attempted" not in result.message.lower()  # the label says it once


@pytest.mark.parametrize("exercise_id", PART1)
def test_an_exception_in_the_student_code_is_a_message(exercise_id):
    def broken(*args, **kwargs):
        raise ValueError("oops, a bug")

    result = check(exercise_id, broken)
    assert result.status == "mistake"
    assert "your function raised ValueError: oops, a bug" in result.message


def test_the_mistakes_table():
    rows = mistake_table(PART1)
    assert len(rows) == len(WRONG) >= 3 * len(PART1)
    assert all(r["caught"] and r["named"] for r in rows), [r for r in rows if not r["named"]]
    from lecturelib.exercises.__main__ import format_mistakes

    out = format_mistakes(rows, markdown=True)
    assert "| conv2d_forward | 03_convolution_operation | kernel flipped" in out


def test_the_references_give_the_lecture_numbers():
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    h = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    assert part1.true_convolution(x, h, padding=1).tolist() == [
        [-13, -20, -17],
        [-18, -24, -18],
        [13, 20, 17],
    ]
    readings = np.array([1.0, 1.1, 1.2, 1.4, 1.7, 1.8, 1.9, 2.1, 2.2, 2.4, 2.5, 2.7])
    weights = np.array([0.01, 0.01, 0.02, 0.02, 0.04, 0.4, 0.5])
    smoothed = part1.conv1d_forward(readings[None, None], weights[None, None])[0, 0]
    np.testing.assert_allclose(smoothed, [1.811, 1.967, 2.112, 2.269, 2.413, 2.569], atol=1e-12)
    pooled = part1.max_pool_forward(
        np.array([[[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]]]), 2
    )
    assert pooled[0, 0].tolist() == [[6, 8], [3, 4]]
    window = np.array(
        [
            [[0, 0, 0], [0, 156, 155], [0, 153, 154]],
            [[0, 0, 0], [0, 167, 166], [0, 164, 165]],
            [[0, 0, 0], [0, 163, 162], [0, 160, 161]],
        ]
    )
    kernel = np.array(
        [
            [[-1, -1, 1], [0, 1, -1], [0, 1, 1]],
            [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
            [[0, 1, 1], [0, 1, 0], [1, -1, 1]],
        ]
    )
    assert part1.multichannel_pixel(window, kernel, 1) == -25
    assert part1.layer_params((3, 32, 32), 6, 5) == ((6, 28, 28), 456)
    total, shape = 0, (3, 227, 227)
    for layer in part1.ALEXNET_LAYERS:
        shape, params = part1.alexnet_layer_row(shape, layer)
        total += params
    assert (shape, total) == ((1000,), 62_378_344)
    assert round(part1.fc_fraction(part1.ALEXNET_LAYERS, (3, 227, 227)), 3) == 0.940
    assert part1.output_size(227, 11, 4) == 55
    assert part1.receptive_field([3, 3]) == 5


def test_max_pool_backward_ties_and_overlaps_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(2, 2, 6, 7)).astype(np.float64)  # many ties
    for kernel, stride, padding in [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1))]:
        grad_y_shape = part1.max_pool_forward(x, kernel, stride, padding).shape
        grad_y = rng.normal(size=grad_y_shape)
        xt = torch.tensor(x, requires_grad=True)
        y = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
        y.backward(torch.tensor(grad_y))
        ours = part1.max_pool_backward(grad_y, x, kernel, stride, padding)
        np.testing.assert_allclose(ours, xt.grad.numpy(), atol=1e-12)


def test_transposed_size_and_separable_params_match_torch():
    torch = pytest.importorskip("torch")
    for n, k, s, p, op, d in [(4, 2, 2, 0, 0, 1), (3, 3, 2, 1, 1, 1), (6, 5, 3, 2, 2, 2)]:
        layer = torch.nn.ConvTranspose1d(1, 1, k, s, p, op, dilation=d)
        assert layer(torch.zeros(1, 1, n)).shape[-1] == part1.transposed_output_size(
            n, k, s, p, op, d
        )
    for c, f, k, bias in [(32, 64, 3, True), (3, 16, 5, False)]:
        standard = torch.nn.Conv2d(c, f, k, bias=bias)
        depthwise = torch.nn.Conv2d(c, c, k, groups=c, bias=bias)
        pointwise = torch.nn.Conv2d(c, f, 1, bias=bias)

        def count(*modules):
            return sum(p.numel() for m in modules for p in m.parameters())

        assert part1.separable_params(c, f, k, bias) == (
            count(standard),
            count(depthwise, pointwise),
        )
