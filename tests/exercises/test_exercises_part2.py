"""The exercises of notebooks 12-18: references pass, the library passes, mistakes are named."""

import numpy as np
import pytest

import lecturelib
from lecturelib.exercises import REGISTRY, check, list_exercises, load_wrong_implementations, part2

NOTEBOOKS = {
    "12_sequences_and_rnns": {"rnn_step_forward", "rnn_param_count"},
    "13_backprop_through_time": {"rnn_step_backward", "bptt"},
    "14_vanishing_exploding": {"jacobian_product_norm", "sigmoid_gradient_bound"},
    "15_gradient_clipping": {"clip_grad_norm", "clip_grad_value"},
    "16_lstm_gru": {"lstm_step_forward", "gru_step_forward"},
    "17_dropout": {"dropout_forward", "dropout_backward"},
    "18_batch_norm": {"batchnorm_forward", "batchnorm_backward"},
}
PART2 = sorted(set().union(*NOTEBOOKS.values()))

# The library function that is a valid answer to each exercise (the step exercises
# through the checker's one-step adapter).
LIBRARY = {
    "rnn_step_forward": lecturelib.rnn_forward,
    "rnn_param_count": lecturelib.rnn_param_count,
    "rnn_step_backward": lecturelib.rnn_backward,
    "bptt": lecturelib.rnn_backward,
    "clip_grad_norm": lecturelib.clip_grad_norm,
    "clip_grad_value": lecturelib.clip_grad_value,
    "lstm_step_forward": lecturelib.lstm_forward,
    "gru_step_forward": lecturelib.gru_forward,
    "dropout_forward": lecturelib.dropout,
    "dropout_backward": lecturelib.dropout_backward,
    "batchnorm_forward": lecturelib.batch_norm,
    "batchnorm_backward": lecturelib.batch_norm_backward,
}
WRONG = [w for w in load_wrong_implementations() if w.exercise_id in PART2]


def test_two_exercises_per_notebook_with_their_notebook():
    for notebook, ids in NOTEBOOKS.items():
        assert {e.id for e in list_exercises(notebook)} == ids
    for exercise_id in PART2:
        assert REGISTRY[exercise_id].reference is getattr(part2, exercise_id)


@pytest.mark.parametrize("exercise_id", PART2)
def test_the_reference_passes(exercise_id):
    result = check(exercise_id, REGISTRY[exercise_id].reference)
    assert result.passed, result.message
    assert result.status == "passed"


@pytest.mark.parametrize("exercise_id", sorted(LIBRARY))
def test_the_library_function_passes(exercise_id):
    result = check(exercise_id, LIBRARY[exercise_id])
    assert result.passed, result.message


def test_at_least_three_wrong_implementations_per_exercise():
    counts = {exercise_id: 0 for exercise_id in PART2}
    for wrong in WRONG:
        counts[wrong.exercise_id] += 1
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.exercise_id}: {w.mistake}")
def test_a_wrong_implementation_is_rejected_with_its_mistake_named(wrong):
    result = check(wrong.exercise_id, wrong.function)
    assert result.status == "mistake"
    assert not result.passed
    assert wrong.expect.lower() in result.message.lower(), result.message
    assert "Traceback" not in result.message


# --- stubs, as handed out in the notebooks ---------------------------------------------


def rnn_step_forward(x, h_prev, U, W, b):
    """x (N, D), h_prev (N, H), U (D, H), W (H, H), b (H,) -> h (N, H)."""
    ...  # your code here


def rnn_param_count(kind, inputs, hidden, outputs=0, biases=1):
    """The number of parameters."""
    ...  # your code here


def rnn_step_backward(grad_h, x, h_prev, U, W, b):
    """A dict "x", "h_prev", "U", "W", "b"."""
    ...  # your code here


def bptt(grad_h, cache, truncate=None):
    """A dict "x", "h0", "U", "W", "b"."""
    ...  # your code here


def jacobian_product_norm(h, W, k, t):
    """h (T, H), W (H, H)."""
    ...  # your code here


def sigmoid_gradient_bound(W, steps):
    """(||W||_2 / 4) ** steps."""
    ...  # your code here


def clip_grad_norm(grads, max_norm):
    """In place; returns the norm before clipping."""
    ...  # your code here


def clip_grad_value(grads, clip_value):
    """In place."""
    ...  # your code here


def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    """Returns (h, c)."""
    ...  # your code here


def gru_step_forward(x, h_prev, U, W, b_x, b_h):
    """Returns h."""
    ...  # your code here


def dropout_forward(x, p=0.5, training=True, rng=None):
    """Returns (y, mask)."""
    ...  # your code here


def dropout_backward(grad_y, mask, p=0.5):
    """Returns grad_x."""
    ...  # your code here


def batchnorm_forward(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Returns y; updates the running statistics in place in training."""
    ...  # your code here


def batchnorm_backward(
    grad_y, x, weight=None, bias=None, eps=1e-5, training=True, running_mean=None, running_var=None
):
    """Returns (grad_x, grad_weight, grad_bias)."""
    ...  # your code here


STUBS = {name: globals()[name] for name in PART2}


@pytest.mark.parametrize("exercise_id", PART2)
def test_a_stub_is_not_attempted(exercise_id):
    result = check(exercise_id, STUBS[exercise_id])
    assert result.status == "not attempted"
    assert str(result).startswith("[Not attempted yet]")
    assert "not attempted" not in result.message.lower()  # the label says it once


def crashes(*args, **kwargs):
    return [1, 2, 3][10]


@pytest.mark.parametrize("exercise_id", PART2)
def test_an_exception_in_the_student_code_is_a_message(exercise_id):
    result = check(exercise_id, crashes)
    assert result.status == "mistake"
    assert "your function raised IndexError" in result.message
    assert "Traceback" not in result.message


def test_a_missing_return_is_not_attempted_where_a_result_is_expected():
    def forgets_return(
        x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
    ):
        lecturelib.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)

    assert check("batchnorm_forward", forgets_return).status == "not attempted"


def test_a_wrong_shape_is_named():
    def bias_per_step_and_example(grad_h, cache, truncate=None):
        grads = lecturelib.rnn_backward(grad_h, cache, truncate)
        grads["b"] = np.zeros_like(cache["h"])
        return grads

    result = check("bptt", bias_per_step_and_example)
    assert "not summed over time and batch" in result.message


def test_the_jacobian_reference_matches_the_library():
    W = lecturelib.orthogonal((4, 4), rng=0, gain=1.2)
    _, cache = lecturelib.simulate_rnn(W, steps=6, activation="tanh", rng=1)
    norms = lecturelib.jacobian_norms(cache, k=1)[:, 0]
    for t in range(1, 6):
        assert part2.jacobian_product_norm(cache["h"][:, 0], W, 1, t) == pytest.approx(
            norms[t - 1], rel=1e-10
        )


def test_the_bound_reference_matches_the_library():
    W = np.random.default_rng(0).normal(size=(5, 5))
    expected = lecturelib.gradient_bound(W, [7], "sigmoid")[0]
    assert part2.sigmoid_gradient_bound(W, 7) == pytest.approx(expected, rel=1e-12)


def test_bptt_reference_matches_the_library_for_every_window():
    rng = np.random.default_rng(5)
    x, h0 = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4))
    U, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    h, cache = lecturelib.rnn_forward(x, h0, U, W, b)
    grad_h = rng.normal(size=h.shape)
    for truncate in (None, 1, 2, 3, 5, 6, 10):
        ours = part2.bptt(grad_h, cache, truncate)
        library = lecturelib.rnn_backward(grad_h, cache, truncate)
        for key in library:
            np.testing.assert_allclose(ours[key], library[key], rtol=1e-10, atol=1e-12)


def test_the_batchnorm_references_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.normal(loc=1.0, scale=2.0, size=(4, 3, 5, 5))
    weight, bias = rng.uniform(0.5, 2.0, size=3), rng.normal(size=3)
    running_mean, running_var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    torch_mean, torch_var = torch.tensor(running_mean), torch.tensor(running_var)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True)
    yt = torch.nn.functional.batch_norm(
        xt, torch_mean, torch_var, wt, bt, training=True, momentum=0.1, eps=1e-5
    )
    y = part2.batchnorm_forward(x, running_mean, running_var, weight, bias, training=True)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(running_mean, torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(running_var, torch_var.numpy(), rtol=1e-12)
    grad_y = rng.normal(size=x.shape)
    yt.backward(torch.tensor(grad_y))
    grads = part2.batchnorm_backward(grad_y, x, weight, bias)
    for ours, theirs in zip(grads, (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-11)
