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
import pytest  # noqa: E402

from lecturelib import conv_transpose_output_size, drop_probability  # noqa: E402
from lecturelib.cliff import CliffSurface, clip_vector  # noqa: E402
from lecturelib.drawing import batchnorm as vb  # noqa: E402
from lecturelib.drawing import cliff as vc  # noqa: E402
from lecturelib.drawing import dropout as vd  # noqa: E402
from lecturelib.drawing import family as vf  # noqa: E402
from lecturelib.drawing import gates as vg  # noqa: E402
from lecturelib.drawing import pretrain as vp  # noqa: E402
from lecturelib.drawing import sequences as vs  # noqa: E402
from lecturelib.drawing.panel import (  # noqa: E402
    dropdown,
    exercise_panel,
    log_slider,
    selection_slider,
    slider,
    text_entry,
    toggle,
)


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


# --- notebooks 12-14: the sequence panels ----------------------------------------------------


def test_unrolled_panel_draws_every_setting():
    panel = vs.UnrolledPanel(
        {
            "steps": slider("time steps T", 1, 8, 4),
            "architecture": dropdown("architecture", list(vs.ARCHITECTURES), "one-to-many"),
        },
        weights=197_200,
    )
    assert "197,200 weights" in panel.info.value
    exercised(panel)
    panel.set(architecture="one-to-one", steps=5)
    assert "(one-to-one has a single step whatever the length)" in panel.info.value


class TinyNetwork:
    """Stand-in for a CharRNN: a hidden size and nothing else."""

    hidden_size = 3


def fake_read(network, text):
    """Hidden states (T, 3), logits (T, 4) and their softmax, depending on the letters."""
    codes = np.array([ord(c) % 7 for c in text], dtype=float)
    states = np.tanh(np.outer(codes, [0.1, -0.2, 0.3]))
    logits = np.outer(codes, [0.3, 0.1, -0.2, 0.0])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return states, logits, probs


def hidden_state_panel():
    return vs.HiddenStatePanel(
        {
            "typed": text_entry("typed text", "dee", suggestions=["d", "deep", "peep"]),
            "network": dropdown("network", ["tiny"]),
        },
        fake_read,
        {"tiny": TinyNetwork()},
        ["d", "e", "p", "<stop>"],
        max_typed=6,
    )


def test_hidden_state_panel_draws_what_is_typed():
    panel = hidden_state_panel()
    assert panel.info.value.count("after 'dee' the network expects") == 1
    exercised(panel)
    panel.set(typed=" DEEP ")
    assert "after 'deep'" in panel.info.value and panel.last_message == ""


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "type at least one character: d, e or p"),
        ("dex", "'x' is not in the vocabulary: type only d, e and p"),
        ("deepdeep", "type at most 6 characters (you typed 8)"),
    ],
)
def test_hidden_state_panel_explains_what_cannot_be_read(typed, message):
    panel = hidden_state_panel()
    panel.set(typed=typed)
    assert panel.last_message == message


def fake_terms(steps, scale, t, truncate):
    """Term sizes that fade by ``scale`` per step back, and a change that grows with the cut."""
    gaps = np.subtract.outer(np.arange(steps), np.arange(steps))
    norms = np.where(gaps >= 0, scale ** np.maximum(gaps, 0), 0.0)
    return norms, max(t - truncate, 0) / t


def test_contribution_panel_draws_every_setting_and_refuses_t_beyond_t():
    panel = vs.ContributionPanel(
        {
            "steps": slider("sequence length T", 2, 10, 6),
            "scale": slider("weight scale of W", 0.25, 2.5, 1.0, step=0.25),
            "t": slider("loss step t", 1, 10, 5),
            "truncate": slider("truncation k", 1, 10, 3),
        },
        fake_terms,
        max_steps=10,
    )
    assert "dL_5/dW has 5 terms" in panel.info.value and "changes dL_5/dW by 40.0%" in (
        panel.info.value
    )
    summary = exercised(panel)
    assert summary["messages"] > 0
    panel.set(steps=4, t=6)
    assert panel.last_message == "the loss step t = 6 must lie inside the sequence: 1 <= t <= 4"
    panel.set(t=4, truncate=4)
    assert "keeps all of them (full BPTT)" in panel.info.value


def fake_measure(scale, activation, init, steps=40):
    """log10 norms that fall or grow with the rate, with inf beyond 300 powers of ten."""
    gamma = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}[activation]
    bound = np.arange(steps) * np.log10(gamma * scale)
    measured = bound - (0.1 if init == "random" else 0.0)
    measured = np.where(measured > 300, np.inf, measured)
    if activation == "relu" and scale < 1:
        measured[steps // 2 :] = -np.inf  # no unit active: exactly 0
    return measured, bound, gamma, scale


def test_jacobian_norm_panel_draws_every_setting():
    panel = vs.JacobianNormPanel(
        {
            "scale": log_slider("weight scale (spectral radius)", -1, 1, 1.0, step=0.05),
            "activation": toggle("activation", ["sigmoid", "tanh", "relu"], "tanh"),
            "steps": slider("sequence length", 10, 40, 20, step=10),
            "init": toggle("initialisation", ["random", "orthogonal"], "orthogonal"),
        },
        fake_measure,
        max_steps=40,
    )
    assert "float64 holds every value" in panel.info.value
    exercised(panel)
    panel.set(activation="relu", scale=0.5, steps=40)
    assert "exactly 0" in panel.info.value


# --- notebook 15: clipping -------------------------------------------------------------------


def clipped(direction, length, threshold):
    angle = np.deg2rad(direction)
    gradient = length * np.array([np.cos(angle), np.sin(angle)])
    return (
        gradient,
        clip_vector(gradient, "norm", threshold),
        clip_vector(gradient, "value", threshold),
    )


def test_clipping_arrows_panel_draws_every_setting():
    panel = vc.ClippingArrowsPanel(
        {
            "direction": slider("gradient direction (degrees)", 0, 360, 45, step=15),
            "length": slider("gradient length", 0.25, 2.75, 2.0, step=0.25),
            "threshold": slider("threshold", 0.25, 2.0, 1.0, step=0.25),
        },
        clipped,
    )
    # At 45 degrees value clipping keeps the direction: both clipped arrows lie on g.
    assert "By norm: (0.71, 0.71), angle 0.0°" in panel.info.value
    assert "By value: (1.00, 1.00), angle 0.0°" in panel.info.value
    exercised(panel)


def cliff_panel(surface):
    def descents(learning_rate, mode, threshold):
        return (
            surface.descend(learning_rate=learning_rate, steps=10),
            surface.descend(learning_rate=learning_rate, steps=10, clip=mode, threshold=threshold),
        )

    return vc.CliffPanel(
        {
            "learning_rate": slider("learning rate", 0.1, 0.5, 0.4, step=0.2),
            "mode": dropdown("clipping mode", ["none", "norm", "value", "sideways"], "norm"),
            "threshold": slider("threshold", 0.5, 1.5, 1.0, step=0.5),
        },
        descents,
        surface,
        (-4.0, 4.0, -4.0, 4.0),
    )


def test_cliff_panel_draws_every_setting_and_refuses_an_unknown_mode():
    panel = cliff_panel(CliffSurface())
    assert "<b>plain</b>" in panel.info.value and "<b>clipped</b>" in panel.info.value
    assert panel.axes[1].get_title() == "clipped by norm at 1"
    summary = exercised(panel)
    assert summary["messages"] > 0
    panel.set(mode="sideways")
    assert "sideways" in panel.last_message
    panel.set(mode="none")
    assert panel.last_message == "" and panel.axes[1].get_title() == "no clipping"


def test_training_runs_panel_draws_every_run_and_marks_a_divergence():
    steps = 20
    runs = {}
    for learning_rate in (0.05, 1.0):
        for mode in ("none", "norm"):
            loss = np.linspace(3.0, 1.5, steps)
            if learning_rate == 1.0 and mode == "none":
                loss[12:] = np.nan
            runs[(learning_rate, mode, 5.0)] = {"loss": loss, "grad_norm": np.full(steps, 7.0)}
    panel = vc.TrainingRunsPanel(
        {
            "learning_rate": dropdown("learning rate", [0.05, 1.0], 0.05),
            "mode": dropdown("clipping mode", ["none", "norm"], "norm"),
            "threshold": dropdown("threshold", [5.0], 5.0),
        },
        runs,
        steps=steps,
        vocab_size=4,
    )
    assert "final loss per character 1.50 (uniform guessing: 1.39)" in panel.info.value
    exercised(panel)
    panel.set(learning_rate=1.0, mode="none")
    assert "<b>Diverged</b>: the loss is NaN from step 12 on" in panel.info.value
    assert panel.ax_loss.get_title() == "learning rate 1, no clipping"


# --- notebooks 10 and 11: the convolution family, pretraining -------------------------------


def family_panel():
    return vf.FamilyPanel(
        {
            "kernel_size": slider("kernel size", 1, 5, 3),
            "stride": slider("stride", 1, 3, 2),
            "padding": slider("padding", 0, 2, 1),
            "output_padding": slider("output padding", 0, 2, 1),
            "dilation": slider("dilation", 1, 3, 1),
            "groups": slider("groups", 1, 6, 2),
        },
        conv_transpose_output_size,
    )


def test_family_panel_draws_every_setting():
    panel = family_panel()
    # The lecture's upsampling layer: 4 -> 8, kernel 3, stride 2: a checkerboard.
    assert "O = (4 - 1)·2 - 2·1 + 1·(3 - 1) + 1 + 1 = 8" in panel.info.value
    assert "between 1 and 2 copies per axis: a checkerboard" in panel.info.value
    summary = exercised(panel)
    assert summary["messages"] > 0
    panel.set(kernel_size=4, output_padding=0)
    assert "gets 2 copies per axis: no checkerboard" in panel.info.value


@pytest.mark.parametrize(
    "setting, words",
    [({"groups": 4}, "groups=4 must divide"), ({"output_padding": 2}, "output_padding")],
)
def test_family_panel_shows_the_library_message_for_impossible_settings(setting, words):
    panel = family_panel()
    panel.set(**setting)
    assert words in panel.last_message and "Not possible" in panel.message.value


def test_code_size_panel_draws_every_code_size():
    rng = np.random.default_rng(0)
    originals = rng.uniform(size=(4, 64))
    sizes = (2, 4, 8)

    def reconstruct(code_size):
        return originals * code_size / 8, rng.normal(size=(code_size, 64))

    panel = vp.CodeSizePanel(
        {"code_size": selection_slider("code size (units)", list(sizes), 4)},
        reconstruct,
        originals,
        errors={size: 0.1 / size for size in sizes},
        average_error=0.07,
        saturated={size: size // 2 for size in sizes},
        max_filters=8,
    )
    assert "(16 times fewer): test reconstruction error 0.025" in panel.info.value
    exercised(panel)
    panel.set(code_size=8)
    assert "4 of the 8 code units are saturated" in panel.info.value


def test_transfer_panel_draws_every_setting():
    counts = (1, 2, 5)
    names = {0: "k = 0", 1: "k = 1"}
    rng = np.random.default_rng(1)
    results = {name: rng.uniform(0.5, 0.9, size=(3, 4)) for name in ["from scratch", "k = 0"]}
    results["k = 1"] = results["from scratch"] + 0.01  # ahead on every seed
    panel = vp.TransferPanel(
        {
            "labelled_per_class": selection_slider("labelled examples per class", list(counts), 2),
            "frozen_blocks": slider("frozen conv blocks k", 0, 1, 1),
        },
        results,
        counts,
        names=names,
    )
    assert "2 labelled image(s) per digit, k = 1" in panel.info.value
    assert "transfer is ahead for 4 of 4 seeds" in panel.info.value
    exercised(panel)


def test_static_training_figures_mark_the_first_nan():
    from matplotlib.figure import Figure

    steps = np.arange(30)
    calm = {"loss": 3.0 - 0.05 * steps, "grad_norm": np.full(30, 4.0)}
    wild = {
        "loss": np.where(steps < 9, 3.0, np.nan),
        "grad_norm": np.where(steps < 9, 1e12, np.nan),
    }
    figure = Figure()
    ax_loss, ax_norm = figure.subplots(1, 2)
    assert vc.draw_runs_compared(ax_loss, ax_norm, {"none": wild, "norm": calm}, 4, "loss") == 9
    assert ax_loss.get_title() == "loss" and len(ax_loss.get_legend().get_texts()) == 2
    assert "off the scale: 1.0e+12" in [t.get_text() for t in ax_norm.texts]
    figure = Figure()
    ax = figure.subplots()
    assert vc.draw_loss_run(ax, calm, 4, "calm") is None
    assert vc.draw_loss_run(ax, wild, 4, "wild") == 9
    assert ax.get_title() == "wild"
