"""Fixtures shared by test folders."""

import pytest


@pytest.fixture(scope="session")
def clipping_runs():
    """A small grid of clipped character-level runs (learning rate 0.05, thresholds 1 and 5,
    8 steps) and the vocabulary size: the training tests and the curve drawing tests read it."""
    from lecturelib.text import Vocabulary, load_corpus
    from lecturelib.training.clipping import train_clipping_grid

    text = load_corpus()
    vocab = Vocabulary.from_text(text)
    runs = train_clipping_grid(vocab.encode(text), len(vocab), (0.05,), (1.0, 5.0), steps=8)
    return runs, len(vocab)
