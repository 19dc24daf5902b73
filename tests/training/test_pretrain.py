"""Autoencoder, RBM, greedy layer-wise pretraining, and freezing layers."""

import itertools

import numpy as np
import pytest

from lecturelib.gradients import check_gradient, numerical_gradient, relative_error
from lecturelib.losses import mse, softmax_cross_entropy
from lecturelib.training import (
    RBM,
    SGD,
    Adam,
    Autoencoder,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    classifier_on,
    fit,
    pretrain_greedy,
    sigmoid,
    sigmoid_mlp,
    train_autoencoder,
    train_rbm,
)

# --- the RBM's conditionals ------------------------------------------------------------


def small_rbm():
    """Three visible, two hidden units, with numbers simple enough to work by hand."""
    rbm = RBM(3, 2, rng=0)
    rbm.params["weight"][...] = [[1.0, -1.0], [2.0, 0.0], [0.0, 0.5]]  # (D, H) = lecture's W^T
    rbm.params["visible_bias"][...] = [0.0, -1.0, 0.5]
    rbm.params["hidden_bias"][...] = [-1.0, 0.5]
    return rbm


def test_rbm_conditionals_on_a_hand_example():
    rbm = small_rbm()
    x = np.array([[1.0, 1.0, 0.0]])
    # c + x W = [-1 + 1 + 2, 0.5 - 1 + 0] = [2, -0.5]
    expected_h = 1 / (1 + np.exp(-np.array([[2.0, -0.5]])))
    np.testing.assert_allclose(rbm.hidden_probabilities(x), expected_h, rtol=0, atol=1e-15)
    h = np.array([[1.0, 0.0]])
    # b + h W^T = [0 + 1, -1 + 2, 0.5 + 0] = [1, 1, 0.5]
    expected_x = 1 / (1 + np.exp(-np.array([[1.0, 1.0, 0.5]])))
    np.testing.assert_allclose(rbm.visible_probabilities(h), expected_x, rtol=0, atol=1e-15)


def test_rbm_conditionals_agree_with_the_joint_distribution():
    """P(h_i = 1 | x) summed out of exp(-E(x, h)) over all 2^H states equals the sigmoid."""
    rbm = small_rbm()
    states_h = np.array(list(itertools.product([0.0, 1.0], repeat=2)))
    states_x = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    for x in states_x:
        weights = np.exp(-rbm.energy(np.repeat(x[None], len(states_h), 0), states_h))
        by_enumeration = (weights[:, None] * states_h).sum(0) / weights.sum()
        np.testing.assert_allclose(rbm.hidden_probabilities(x[None])[0], by_enumeration, atol=1e-12)
    for h in states_h:
        weights = np.exp(-rbm.energy(states_x, np.repeat(h[None], len(states_x), 0)))
        by_enumeration = (weights[:, None] * states_x).sum(0) / weights.sum()
        np.testing.assert_allclose(
            rbm.visible_probabilities(h[None])[0], by_enumeration, atol=1e-12
        )


def test_free_energy_sums_the_hidden_units_out():
    rbm = small_rbm()
    states_h = np.array(list(itertools.product([0.0, 1.0], repeat=2)))
    x = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    for row, free in zip(x, rbm.free_energy(x)):
        energies = rbm.energy(np.repeat(row[None], len(states_h), 0), states_h)
        assert free == pytest.approx(-np.log(np.exp(-energies).sum()), abs=1e-12)


def test_free_energy_gradients_match_finite_differences():
    rbm = RBM(5, 4, rng=1)
    generator = np.random.default_rng(2)
    for array in rbm.params.values():
        array[...] = generator.normal(size=array.shape)
    x = generator.random((6, 5))
    grads = rbm.free_energy_gradients(x)
    for name, array in rbm.params.items():
        check_gradient(lambda: float(rbm.free_energy(x).mean()), array, grads[name], tolerance=1e-8)


def test_cd_gradient_is_data_minus_reconstruction_statistics():
    rbm = small_rbm()
    x = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    grads, negative = rbm.contrastive_divergence(x, k=1, rng=3)
    p_data, p_model = rbm.hidden_probabilities(x), rbm.hidden_probabilities(negative)
    np.testing.assert_allclose(grads["weight"], -(x.T @ p_data - negative.T @ p_model) / 2)
    np.testing.assert_allclose(grads["visible_bias"], -(x - negative).mean(0))
    np.testing.assert_allclose(grads["hidden_bias"], -(p_data - p_model).mean(0))
    # the same seed gives the same chain
    again, _ = rbm.contrastive_divergence(x, k=1, rng=3)
    np.testing.assert_array_equal(grads["weight"], again["weight"])


def prototype_data(rows=200, flip=0.05, seed=0):
    prototypes = np.array(
        [[1, 1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1, 1, 1]], float
    )
    generator = np.random.default_rng(seed)
    x = prototypes[generator.integers(0, 3, rows)]
    return np.abs(x - (generator.random(x.shape) < flip))


@pytest.mark.parametrize("k", [1, 3])
def test_cd_lowers_the_reconstruction_error_on_a_toy_set(k):
    x = prototype_data()
    rbm = RBM(8, 4, rng=0)
    errors = train_rbm(rbm, x, epochs=30, lr=0.5, k=k, rng=0)
    assert len(errors) == 31
    assert errors[-1] < 0.4 * errors[0]
    # and the data became more likely than noise under the model
    noise = (np.random.default_rng(1).random(x.shape) < 0.4).astype(float)
    assert rbm.free_energy(x).mean() < rbm.free_energy(noise).mean() - 1.0


def test_rbm_to_linear_gives_the_hidden_probabilities():
    rbm = small_rbm()
    x = np.random.default_rng(0).random((4, 3))
    layer = rbm.to_linear()
    np.testing.assert_allclose(sigmoid(layer.forward(x)), rbm.hidden_probabilities(x), atol=1e-15)
    assert rbm.filters().shape == (2, 3)


def test_rbm_float32_stays_float32():
    rbm = RBM(4, 3, rng=0, dtype=np.float32)
    x = np.ones((2, 4), np.float32)
    assert rbm.hidden_probabilities(x).dtype == np.float32
    rbm.step(x, lr=0.1, rng=0)
    assert all(value.dtype == np.float32 for value in rbm.params.values())


def test_rbm_argument_checks():
    rbm = RBM(3, 2, rng=0)
    with pytest.raises(ValueError, match="x must have 3 features"):
        rbm.hidden_probabilities(np.ones((2, 4)))
    with pytest.raises(ValueError, match="h must have 2 features"):
        rbm.visible_probabilities(np.ones((2, 3)))
    with pytest.raises(ValueError, match="k must be >= 1"):
        rbm.contrastive_divergence(np.ones((1, 3)), k=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        rbm.step(np.ones((1, 3)), lr=0)
    with pytest.raises(TypeError, match="visible must be an integer"):
        RBM(2.5, 2)
    with pytest.raises(TypeError, match="dtype"):
        RBM(2, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="rbm must be an RBM"):
        train_rbm(Autoencoder(3, 2), np.ones((2, 3)))


# --- the autoencoder -------------------------------------------------------------------


def test_autoencoder_gradients_match_finite_differences():
    model = Autoencoder(5, 3, rng=0)
    x = np.random.default_rng(1).random((4, 5))

    def loss():
        return mse(model.forward(x), x)[0]

    model.zero_grad()
    value, grad_out = mse(model.forward(x), x)
    grad_x = model.backward(grad_out)
    for p in model.parameters():
        check_gradient(loss, p.value, p.grad.copy(), tolerance=1e-7)
    # the gradient for the input (the target held fixed)
    x_fixed = x.copy()
    numeric = numerical_gradient(lambda: mse(model.forward(x), x_fixed)[0], x)
    assert relative_error(grad_x, numeric) < 1e-7
    assert value == pytest.approx(model.reconstruction_error(x))


def test_autoencoder_parts_and_training():
    x = prototype_data(rows=120).astype(float)
    model = Autoencoder(8, 3, rng=0)
    assert model.encode(x).shape == (120, 3) and model.filters().shape == (3, 8)
    np.testing.assert_allclose(model.reconstruct(x), model.forward(x), atol=1e-15)
    before = model.reconstruction_error(x)
    history = train_autoencoder(model, x, epochs=40, lr=0.05, rng=0)
    assert history.epochs == 40
    assert model.reconstruction_error(x) < 0.5 * before
    assert repr(model) == "Autoencoder(8 -> 3 -> 8)"
    with pytest.raises(ValueError, match="x must have 8 features"):
        model.encode(np.ones((2, 7)))
    with pytest.raises(TypeError, match="autoencoder must be an Autoencoder"):
        train_autoencoder(Sequential(Linear(2, 2)), np.ones((2, 2)))


def test_greedy_pretraining_trains_each_layer_on_the_codes_below():
    x = prototype_data(rows=100)
    for method in ("autoencoder", "rbm"):
        result = pretrain_greedy(x, (6, 3), method=method, epochs=5, lr=0.05, rng=0)
        assert len(result.layers) == 2 and [len(e) for e in result.errors] == [5, 5]
        assert result.encoder.forward(x).shape == (100, 3)
        first, second = result.layers
        codes = first.encode(x) if method == "autoencoder" else first.hidden_probabilities(x)
        # the encoder's first half computes the first layer's codes ...
        np.testing.assert_allclose(result.encoder[1].forward(result.encoder[0].forward(x)), codes)
        # ... and the second layer was trained on those codes, not on the images
        width = second.in_features if method == "autoencoder" else second.visible
        assert width == 6
        assert second.filters().shape == (3, 6)
    with pytest.raises(ValueError, match="method must be one of"):
        pretrain_greedy(x, (3,), method="pca")
    with pytest.raises(ValueError, match="code_sizes must be a non-empty list"):
        pretrain_greedy(x, ())
    with pytest.raises(ValueError, match="code_sizes must be a non-empty list"):
        pretrain_greedy(x, 3)
    with pytest.raises(ValueError, match="sizes must list"):
        sigmoid_mlp(8, 3)


def test_classifier_on_copies_the_encoder_and_adds_a_head():
    x = prototype_data(rows=60)
    labels = np.argmax(x[:, [0, 4, 7]], axis=1)
    result = pretrain_greedy(x, (5, 4), epochs=3, rng=0)
    model = classifier_on(result.encoder, 3, rng=0)
    before = result.encoder[0].params["weight"].copy()
    fit(model, softmax_cross_entropy, Adam(model, lr=0.05), (x, labels), epochs=3, rng=0)
    np.testing.assert_array_equal(result.encoder[0].params["weight"], before)
    assert not np.array_equal(model[0].params["weight"], before)
    assert [type(layer).__name__ for layer in model] == ["Linear", "Sigmoid"] * 2 + ["Linear"]
    assert sigmoid_mlp((8, 4), 3, rng=0).forward(x).shape == (60, 3)
    with pytest.raises(TypeError, match="encoder layers must be Linear or Sigmoid"):
        classifier_on(Sequential(Linear(2, 2), ReLU()), 2)


# --- freezing -------------------------------------------------------------------------


def small_cnn(seed=0):
    generator = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 3, 3, padding=1, rng=generator),
        ReLU(),
        MaxPool2d(2),
        Conv2d(3, 4, 3, padding=1, rng=generator),
        ReLU(),
        Flatten(),
        Linear(4 * 4 * 4, 3, rng=generator),
    )


@pytest.mark.parametrize(
    "make_optimiser",
    [
        lambda model: SGD(model, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda model: Adam(model, lr=0.01, weight_decay=0.01),
    ],
    ids=["sgd", "adam"],
)
def test_frozen_layers_are_bit_identical_after_training(make_optimiser):
    model = small_cnn()
    model.freeze(3)  # conv 1, its ReLU and pooling
    frozen_before = {k: v.copy() for k, v in model[0].params.items()}
    others_before = {k: v.copy() for k, v in model[3].params.items()}
    x = np.random.default_rng(1).normal(size=(10, 1, 8, 8))
    y = np.arange(10) % 3
    optimiser = make_optimiser(model)
    fit(model, softmax_cross_entropy, optimiser, (x, y), batch_size=4, epochs=3, rng=0)
    for key, value in frozen_before.items():
        np.testing.assert_array_equal(model[0].params[key], value)  # bit for bit
        assert not model[0].grads[key].any()  # no gradient was ever added
    assert all(not np.array_equal(model[3].params[k], v) for k, v in others_before.items())
    # the optimiser kept no state for the frozen parameters
    frozen_states = [s for p, s in zip(optimiser.params, optimiser.state) if not p.trainable]
    assert len(frozen_states) == 2 and all(state == {} for state in frozen_states)


def test_frozen_layers_are_not_even_visited_by_backward():
    model = small_cnn()
    model.freeze(3)
    visited = []
    for index, layer in enumerate(model):
        original = layer.backward

        def spy(grad_out, original=original, index=index):
            visited.append(index)
            return original(grad_out)

        layer.backward = spy
    x = np.random.default_rng(1).normal(size=(4, 1, 8, 8))
    loss, grad = softmax_cross_entropy(model.forward(x), np.array([0, 1, 2, 0]))
    assert model.backward(grad, input_grad=False) is None
    assert visited == [6, 5, 4, 3]  # the pass stops at conv 2, the lowest layer that learns
    visited.clear()
    assert model.backward(grad).shape == x.shape  # the input gradient still flows when asked
    assert visited == [6, 5, 4, 3, 2, 1, 0]


def test_a_frozen_layer_in_the_middle_passes_gradients_but_adds_none():
    model = Sequential(Linear(3, 4, rng=0), Sigmoid(), Linear(4, 2, rng=1))
    model[2].freeze()
    x = np.random.default_rng(0).normal(size=(5, 3))
    _, grad = mse(model.forward(x), np.zeros((5, 2)))
    model.zero_grad()
    model.backward(grad)
    assert not model[2].grads["weight"].any() and model[0].grads["weight"].any()
    model[2].unfreeze()
    model.zero_grad()
    model.backward(grad)
    assert model[2].grads["weight"].any()


def test_freeze_unfreeze_flags_and_checks():
    model = small_cnn()
    assert model.freeze() is model and not model.has_trainable_parameters()
    assert not any(p.trainable for p in model.parameters())
    assert "frozen" in repr(model.parameters()[0])
    model.unfreeze()
    assert all(p.trainable for p in model.parameters())
    with pytest.raises(ValueError, match="layers must be <= 7"):
        model.freeze(8)
    with pytest.raises(TypeError, match="layers must be an integer"):
        model.freeze(1.5)


def test_adam_bias_correction_restarts_for_a_thawed_parameter():
    """A parameter frozen for the first steps moves by about lr on its first real step."""
    model = Sequential(Linear(1, 1, bias=False, rng=0), Linear(1, 1, bias=False, rng=1))
    model[0].freeze()
    optimiser = Adam(model, lr=0.1)
    for _ in range(5):
        optimiser.zero_grad()
        model[0].grads["weight"][...] = 3.0
        model[1].grads["weight"][...] = 3.0
        optimiser.step()
    model[0].unfreeze()
    before = model[0].params["weight"].copy()
    optimiser.zero_grad()
    model[0].grads["weight"][...] = 3.0
    optimiser.step()
    assert float((before - model[0].params["weight"])[0, 0]) == pytest.approx(0.1, rel=1e-6)
