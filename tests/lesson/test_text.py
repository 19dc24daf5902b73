"""Vocabulary, softmax cross-entropy over time, sampling, the character RNN, the corpus."""

import warnings

import numpy as np
import pytest

from lecturelib.data import CHECKSUMS, data_dir, sha256
from lecturelib.gradients import check_gradient, numerical_gradient, relative_error
from lecturelib.losses import softmax, softmax_cross_entropy
from lecturelib.text import CharRNN, Vocabulary, load_corpus, one_hot, sample_sequence


def test_vocabulary_round_trip_and_one_hot():
    vocab = Vocabulary.from_text("hello world")
    assert vocab.tokens == sorted(set("hello world"))
    ids = vocab.encode("world")
    assert vocab.decode(ids) == "world"
    assert vocab.one_hot(ids).shape == (5, len(vocab))
    np.testing.assert_array_equal(vocab.one_hot(ids).argmax(axis=1), ids)
    stop = Vocabulary(["d", "e", "p", "<stop>"])
    assert stop.encode(["d", "e", "e", "p", "<stop>"]).tolist() == [0, 1, 1, 2, 3]
    assert stop.decode([2, 3]) == "p<stop>"
    assert len(stop) == stop.size == 4
    assert "4 tokens" in repr(stop)


def test_vocabulary_errors_name_the_problem():
    vocab = Vocabulary.from_text("abc")
    with pytest.raises(ValueError, match="token 'z' is not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        vocab.decode([0, 3])
    with pytest.raises(TypeError, match="ids must hold integer ids"):
        vocab.decode([0.0, 1.0])
    with pytest.raises(ValueError, match="tokens must not repeat"):
        Vocabulary(["a", "a"])
    with pytest.raises(TypeError, match="text must be a non-empty string"):
        Vocabulary.from_text("")
    with pytest.raises(TypeError, match="tokens must be a string or a list"):
        vocab.encode(5)
    with pytest.raises(ValueError, match="size must be >= 1"):
        one_hot([0], 0)


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3, 5))  # T, N, V
    targets = rng.integers(0, 5, size=(4, 3))
    loss, grad = softmax_cross_entropy(logits, targets, reduction="sum")
    probs = softmax(logits)
    expected = -sum(np.log(probs[t, n, targets[t, n]]) for t in range(4) for n in range(3))
    assert np.isclose(loss, expected)
    check_gradient(
        lambda: softmax_cross_entropy(logits, targets, reduction="sum")[0],
        logits,
        grad,
        tolerance=1e-8,
    )
    mean_loss, mean_grad = softmax_cross_entropy(logits, targets, reduction="mean")
    assert np.isclose(mean_loss, loss / 12)
    np.testing.assert_allclose(mean_grad, grad / 12)


def test_softmax_cross_entropy_is_stable_at_huge_logits():
    logits = np.array([[[1000.0, -1000.0, 0.0]], [[-1000.0, -1000.0, -1000.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = softmax_cross_entropy(logits, [[0], [2]], reduction="sum")
        right_at_the_wrong_class, _ = softmax_cross_entropy(logits, [[1], [2]], reduction="sum")
    assert np.isclose(loss, 0.0 + np.log(3))
    assert np.isclose(right_at_the_wrong_class, 2000.0 + np.log(3))
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad[0, 0], [0.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(grad[1, 0], [1 / 3, 1 / 3, -2 / 3])
    np.testing.assert_allclose(softmax([1000.0, -1000.0]), [1.0, 0.0])


def test_softmax_cross_entropy_arguments():
    with pytest.raises(ValueError, match=r"targets must have shape \(2,\)"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\)"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(TypeError, match="targets must hold integer ids"):
        softmax_cross_entropy(np.zeros((2, 3)), [0.5, 1.0])
    with pytest.raises(ValueError, match="reduction must be"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 1], reduction="none")


def test_sampling_greedy_temperature_and_priming():
    def step(token, state):  # state counts the steps; logits favour token + 1
        logits = np.zeros(3)
        logits[(token + 1) % 3] = 2.0
        return logits, (state or 0) + 1

    assert sample_sequence(step, 0, 5, greedy=True).tolist() == [1, 2, 0, 1, 2]
    assert sample_sequence(step, [2, 2, 1], 2, greedy=True).tolist() == [2, 0]
    cold = sample_sequence(step, 0, 300, temperature=0.05, rng=0)
    assert np.all(cold == (np.concatenate([[0], cold[:-1]]) + 1) % 3)  # near greedy
    hot = sample_sequence(step, 0, 3000, temperature=100.0, rng=0)
    counts = np.bincount(hot, minlength=3) / 3000
    np.testing.assert_allclose(counts, 1 / 3, atol=0.05)  # near uniform
    again = sample_sequence(step, 0, 50, rng=7)
    np.testing.assert_array_equal(again, sample_sequence(step, 0, 50, rng=7))
    with pytest.raises(ValueError, match="temperature must be finite and > 0"):
        sample_sequence(step, 0, 5, temperature=0)
    with pytest.raises(TypeError, match="start must be a token id"):
        sample_sequence(step, [], 5)
    with pytest.raises(TypeError, match="model must have a step"):
        sample_sequence(42, 0, 5)
    with pytest.raises(ValueError, match="length must be >= 0"):
        sample_sequence(step, 0, -1)


def test_char_rnn_gradients_match_central_differences():
    model = CharRNN(vocab_size=5, hidden_size=4, rng=0, weight_scale=0.5)
    rng = np.random.default_rng(2)
    inputs = rng.integers(0, 5, size=(6, 2))
    targets = rng.integers(0, 5, size=(6, 2))
    h0 = rng.normal(size=(2, 4)) * 0.3
    _, grads, _ = model.loss_and_grads(inputs, targets, h0)
    for name, param in model.params.items():
        numeric = numerical_gradient(lambda: model.loss_and_grads(inputs, targets, h0)[0], param)
        assert relative_error(grads[name], numeric) < 1e-7, name


def test_char_rnn_learns_the_corpus_and_records_history():
    text = load_corpus()[:600]
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    model = CharRNN(len(vocab), hidden_size=32, rng=0, weight_scale=0.1)
    history = model.train(
        ids,
        150,
        seq_length=20,
        batch_size=4,
        learning_rate=0.1,
        optimizer="adagrad",
        clip="value",
        threshold=5.0,
        reduction="mean",
    )
    assert len(history["loss"]) == len(history["grad_norm"]) == 150
    assert np.mean(history["loss"][-10:]) < 0.75 * history["loss"][0]
    assert history["loss"][0] == pytest.approx(np.log(len(vocab)), rel=0.05)
    sample = vocab.decode(model.sample(vocab.encode("the "), 40, rng=0))
    assert len(sample) == 40


def test_clipping_keeps_a_diverging_run_finite_and_nan_appears_without_warnings():
    text = load_corpus()
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for clip in (None, "norm"):
            model = CharRNN(len(vocab), 64, rng=0, activation="relu", weight_scale=0.1)
            results[clip] = model.train(
                ids,
                40,
                seq_length=25,
                batch_size=4,
                learning_rate=1.0,
                clip=clip,
                threshold=5.0,
                reduction="mean",
            )
    assert np.isnan(results[None]["loss"][-1])
    assert np.all(np.isfinite(results["norm"]["loss"]))
    # the norm is recorded before clipping: it may exceed the threshold
    assert max(results["norm"]["grad_norm"]) > 5.0


def test_clipping_modes_change_the_update():
    rng = np.random.default_rng(3)
    inputs = rng.integers(0, 4, size=(5, 1))
    targets = rng.integers(0, 4, size=(5, 1))
    updates = {}
    for clip in (None, "norm", "value"):
        model = CharRNN(4, 3, rng=0, weight_scale=1.0)
        before = {k: v.copy() for k, v in model.params.items()}
        _, grads, _ = model.loss_and_grads(inputs, targets)
        result = model.train_step(inputs, targets, learning_rate=1.0, clip=clip, threshold=0.1)
        updates[clip] = {k: before[k] - model.params[k] for k in before}
        assert result["grad_norm"] == pytest.approx(
            np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        )
    total = np.sqrt(sum(np.sum(u**2) for u in updates["norm"].values()))
    assert total == pytest.approx(0.1, rel=1e-4)
    assert max(np.abs(u).max() for u in updates["value"].values()) <= 0.1 + 1e-12
    assert max(np.abs(u).max() for u in updates[None].values()) > 0.1


def test_char_rnn_arguments():
    model = CharRNN(4, 3, rng=0)
    ids = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="clip must be None, 'norm' or 'value'"):
        model.train_step(ids, ids, clip="both")
    with pytest.raises(ValueError, match="threshold must be finite and >= 0"):
        model.train_step(ids, ids, clip="norm", threshold=-1)
    with pytest.raises(ValueError, match="learning_rate must be finite and >= 0"):
        model.train_step(ids, ids, learning_rate=-0.1)
    with pytest.raises(ValueError, match="optimizer must be"):
        model.train_step(ids, ids, optimizer="adam")
    with pytest.raises(ValueError, match=r"inputs must lie in \[0, 4\)"):
        model.train_step(np.array([0, 9]), np.array([0, 1]))
    with pytest.raises(ValueError, match="targets must have the shape of inputs"):
        model.train_step(ids, ids[:2])
    with pytest.raises(ValueError, match="truncate must be >= 1"):
        model.train_step(ids, ids, truncate=0)
    with pytest.raises(ValueError, match="ids are too short"):
        model.train(ids, 5, seq_length=10)
    with pytest.raises(ValueError, match="activation must be one of"):
        CharRNN(4, 3, activation="gelu")


def test_corpus_checksum_and_readme():
    text = load_corpus()
    assert "deep" in text and len(text) > 3000
    digest = CHECKSUMS["corpus/tiny_corpus.txt"]
    assert sha256(data_dir() / "corpus" / "tiny_corpus.txt") == digest
    assert digest in (data_dir() / "corpus" / "README.md").read_text()
    with pytest.raises(ValueError, match="name must be one of"):
        load_corpus("shakespeare.txt")
