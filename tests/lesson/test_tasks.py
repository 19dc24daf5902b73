"""The recall-the-first-token task, its models, state gradients and trainers."""

import numpy as np
import pytest

from lecturelib.gradients import numerical_gradient
from lecturelib.losses import softmax_cross_entropy
from lecturelib.tasks import recall_task
from lecturelib.training import (
    accuracy_by_length,
    accuracy_of,
    recall_model,
    state_gradient_norms,
    train_recall,
)


def test_recall_task_marks_the_first_token_and_is_seeded():
    ids, x, targets = recall_task(50, 7, n_symbols=3, rng=1)
    assert ids.shape == (7, 50) and x.shape == (7, 50, 4) and targets.shape == (50,)
    np.testing.assert_array_equal(targets, ids[0])
    np.testing.assert_array_equal(x[..., :3].argmax(axis=2), ids)
    np.testing.assert_array_equal(x[..., 3], np.eye(7)[0][:, None] * np.ones(50))
    assert ids.min() >= 0 and ids.max() < 3
    assert len(np.unique(ids[1:])) == 3  # distractors come from the same alphabet
    again = recall_task(50, 7, n_symbols=3, rng=1)
    np.testing.assert_array_equal(again[0], ids)
    with pytest.raises(ValueError, match="length must be >= 1"):
        recall_task(5, 0)
    with pytest.raises(ValueError, match="n_symbols must be >= 2"):
        recall_task(5, 3, n_symbols=1)
    with pytest.raises(TypeError, match="n_sequences must be an integer"):
        recall_task(5.0, 3)


def test_recall_model_sets_the_memory_bias():
    H = 6
    lstm = recall_model("lstm", hidden_size=H, memory_bias=2.0, rng=0)[0]
    gru = recall_model("gru", hidden_size=H, memory_bias=2.0, rng=0)[0]
    for layer in (lstm, gru):
        total = layer.params["bias_ih_l0"] + layer.params["bias_hh_l0"]
        np.testing.assert_array_equal(total[H : 2 * H], 2.0)  # forget gate f / update gate z
        assert np.all(np.abs(total[:H]) <= 2 / np.sqrt(H))  # the rest as PyTorch
    rnn = recall_model("rnn", hidden_size=H, rng=0)
    assert rnn.forward(np.zeros((4, 3, 5))).shape == (3, 4)
    with pytest.raises(ValueError, match="cell must be one of"):
        recall_model("transformer")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_state_gradient_norms_match_central_differences(cell):
    _, x, targets = recall_task(3, 5, rng=2)
    model = recall_model(cell, hidden_size=4, memory_bias=1.0, rng=3)
    norms = state_gradient_norms(model, x, targets)
    recurrent, head = model[0], model[2]
    h = recurrent.forward(x).copy()
    cells = recurrent.cache.get("c")
    cells = None if cells is None else cells.copy()

    def loss_from(t, state, cell_state):
        args = (state,) if cell_state is None else (state, cell_state)
        last = recurrent.forward(x[t + 1 :], *args)[-1] if t < 4 else state
        return softmax_cross_entropy(head.forward(last), targets)[0]

    for t in range(5):
        state = h[t].copy()
        cell_state = None if cells is None else cells[t].copy()

        def loss(t=t, state=state, cell_state=cell_state):
            return loss_from(t, state, cell_state)

        numeric = numerical_gradient(loss, state)
        assert norms["h"][t] == pytest.approx(np.linalg.norm(numeric), rel=1e-6)
        if cell == "lstm" and t < 4:
            numeric_c = numerical_gradient(loss, cell_state)
            assert norms["c"][t] == pytest.approx(np.linalg.norm(numeric_c), rel=1e-6)
    assert ("c" in norms) == (cell == "lstm")
    assert all(not np.any(p.grad) for p in model.parameters())  # gradients left at zero


def test_a_short_run_learns_and_records_losses_and_pre_clip_norms():
    result = train_recall("gru", 3, steps=100, hidden_size=8, batch_size=16, learning_rate=2.0)
    assert set(result) == {"accuracy", "losses", "grad_norms", "seconds", "model"}
    assert result["losses"].shape == result["grad_norms"].shape == (100,)
    assert result["accuracy"] > 0.9
    assert np.mean(result["losses"][-10:]) < 0.5 * result["losses"][0]
    _, x, targets = recall_task(100, 3, rng=5)
    assert accuracy_of(result["model"], x, targets) > 0.9
    unclipped = train_recall("rnn", 4, steps=5, clip=None, learning_rate=0.1, rng=0)
    assert np.all(np.isfinite(unclipped["grad_norms"]))
    table = accuracy_by_length(["rnn"], [2, 3], steps=3, hidden_size=4, test_size=10)
    assert table["rnn"].shape == (2,)


def test_train_recall_arguments():
    with pytest.raises(ValueError, match="optimizer must be"):
        train_recall("rnn", 3, steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="clip must be None or a number >= 0"):
        train_recall("rnn", 3, steps=1, clip=-1.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        train_recall("lstmm", 3, steps=1)
    with pytest.raises(ValueError, match="steps must be >= 0"):
        train_recall("rnn", 3, steps=-1)


@pytest.mark.slow
def test_the_vanilla_rnn_falls_to_chance_where_the_gated_cells_still_recall():
    accuracies = accuracy_by_length(lengths=[15])
    assert accuracies["rnn"][0] < 0.4  # chance is 0.25
    assert accuracies["lstm"][0] > 0.9
    assert accuracies["gru"][0] > 0.9
