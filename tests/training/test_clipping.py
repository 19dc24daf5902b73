"""The clipping notebook's character-level runs (lecturelib.training.clipping): the grid
of learning rates, clipping modes and thresholds, and where a run turns non-finite."""

import numpy as np
import pytest

from lecturelib.training.clipping import first_non_finite


def test_first_non_finite():
    assert first_non_finite([1.0, 2.0]) is None
    assert first_non_finite([1.0, np.nan, np.inf]) == 1
    assert first_non_finite([np.inf]) == 0


def test_train_clipping_grid_covers_every_setting_and_shares_the_unclipped_run(clipping_runs):
    runs, _ = clipping_runs
    assert set(runs) == {(0.05, mode, t) for mode in ("none", "norm", "value") for t in (1.0, 5.0)}
    assert runs[(0.05, "none", 1.0)] is runs[(0.05, "none", 5.0)]
    assert runs[(0.05, "norm", 1.0)]["loss"].shape == (8,)


def test_a_high_learning_rate_diverges_without_clipping_only(clipping_runs):
    runs, vocab_size = clipping_runs
    assert first_non_finite(runs[(0.05, "none", 1.0)]["loss"]) is not None
    for mode in ("norm", "value"):
        loss = runs[(0.05, mode, 5.0)]["loss"]
        assert np.all(np.isfinite(loss))
        assert loss[0] == pytest.approx(np.log(vocab_size), abs=0.1)  # small weights: uniform
