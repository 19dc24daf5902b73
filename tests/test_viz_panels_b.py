"""The panel builders of notebooks 10-18 (lecturelib.drawing): build, move every control, messages.

Each builder gets the controls and the lesson's computation from its caller,
as the notebooks do; these tests pass small stand-ins where the notebook
passes a trained model, and check that every position of every control
draws without an unexpected error and that impossible settings show the
library's message instead of a figure.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from lecturelib import drop_probability  # noqa: E402
from lecturelib.drawing import batchnorm as vb  # noqa: E402
from lecturelib.drawing import dropout as vd  # noqa: E402
from lecturelib.drawing import gates as vg  # noqa: E402
from lecturelib.drawing.panel import dropdown, exercise_panel, slider, toggle  # noqa: E402


def exercised(panel, combinations=4):
    """Move every control through its positions; fail on any unexpected error."""
    summary = exercise_panel(panel, combinations=combinations)
    assert summary["unexpected_errors"] == []
    assert summary["updates"] > len(panel.controls)
    return summary


# --- notebook 17: the thinned network -----------------------------------------------------


def thinned_network_panel():
    return vd.ThinnedNetworkPanel(
        {
            "retain_hidden": slider("keep p, hidden units", 0.0, 1.0, 0.5, step=0.05),
            "retain_input": slider("keep p, inputs", 0.0, 1.0, 0.8, step=0.05),
            "mode": dropdown("scaling", [("inverted", "inverted"), ("classic", "classic")]),
            "phase": toggle("phase", ["training", "test"]),
        },
        drop_probability,
        caption="caption",
    )


def test_thinned_network_panel_draws_every_setting():
    panel = thinned_network_panel()
    assert "Mask 0:" in panel.info.value and "nn.Dropout(p=0.5)" in panel.info.value
    exercised(panel)
    panel.set(phase="test", mode="classic")
    assert "every input ×0.8, every hidden unit ×0.5" in panel.info.value


def test_thinned_network_panel_resamples_nested_masks():
    panel = thinned_network_panel()
    panel.resample_button.click()
    assert panel.mask_number == 1 and "Mask 1:" in panel.info.value


def test_thinned_network_panel_shows_a_message_for_an_impossible_keep_probability():
    panel = thinned_network_panel()
    panel.set(retain_hidden=0.0)  # dropout with p = 1 drops every unit: not a network
    assert panel.last_message
    assert "Not possible" in panel.message.value
    panel.set(retain_hidden=0.5)
    assert panel.last_message == ""


# --- notebook 16: gates of a trained cell -------------------------------------------------


def fake_run_cell(cell, sequence, steps, hidden=6):
    """Stand-in for a trained cell's forward pass: traces of the right shape, an answer."""
    if steps > 20:
        raise ValueError("the stand-in cell knows sequences of at most 20 steps")
    rng = np.random.default_rng(sequence)
    traces = {key: rng.uniform(size=(hidden, steps)) for key, _ in vg.GATE_ROWS[cell]}
    probabilities = np.full(4, 0.1)
    probabilities[sequence] = 0.7
    return traces, probabilities


def gates_panel():
    tokens = np.tile(np.arange(4), (24, 1))
    return vg.GatesPanel(
        {
            "cell": dropdown("cell type", [("LSTM", "lstm"), ("GRU", "gru")], "lstm"),
            "sequence": dropdown("sequence", [(f"sequence {k + 1}", k) for k in range(4)], 0),
            "steps": slider("sequence length T", 2, 24, 12),
        },
        fake_run_cell,
        tokens=tokens,
        state_limits={"lstm": 1.0, "gru": 0.5},
        hidden=6,
    )


def test_gates_panel_draws_every_setting():
    panel = gates_panel()
    assert "LSTM answers <b>A</b> with probability 0.70 (right" in panel.info.value
    summary = exercised(panel)
    assert summary["messages"] > 0  # T beyond 20 is refused by the stand-in


def test_gates_panel_shows_the_message_of_the_forward_pass():
    panel = gates_panel()
    panel.set(steps=22)
    assert "at most 20 steps" in panel.last_message
    panel.set(cell="gru", steps=5)
    assert panel.last_message == "" and "memory colours run from -0.5 to +0.5" in panel.info.value


# --- notebook 18: batch statistics ----------------------------------------------------------


def batch_stats_panel():
    population = np.random.default_rng(0).normal(2.0, 0.5, size=300)
    return vb.BatchStatsPanel(
        {
            "batch_size": dropdown("batch size", [1, 2, 4, 16, 64], 16),
            "momentum": slider("momentum", 0.0, 1.0, 0.1, step=0.05),
            "mode": toggle("mode", ["train", "eval"], "train"),
        },
        population,
        steps=30,
    )


def test_batch_stats_panel_draws_every_setting():
    panel = batch_stats_panel()
    assert "batch means scatter by" in panel.info.value and "<b>train</b>" in panel.info.value
    summary = exercised(panel)
    assert summary["messages"] > 0  # a batch of one example
    panel.set(mode="eval", momentum=0.5)
    assert "running variance" in panel.info.value


def test_batch_stats_panel_refuses_a_batch_of_one_in_training():
    panel = batch_stats_panel()
    panel.set(batch_size=1)
    assert "a batch of one example has no spread" in panel.last_message
    panel.set(batch_size=2)
    assert panel.last_message == ""
