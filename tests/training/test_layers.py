"""Layer objects, Sequential, losses, optimisers, initialisers and the training loop."""

import numpy as np
import pytest

from lecturelib.data import load_digits
from lecturelib.gradients import numerical_gradient_array, relative_error
from lecturelib.losses import log_softmax, mse, softmax_cross_entropy
from lecturelib.training import (
    GRU,
    LSTM,
    RNN,
    SGD,
    Adam,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    History,
    LastStep,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    accuracy,
    evaluate,
    fan_in_and_fan_out,
    fit,
    he_normal,
    he_uniform,
    orthogonal,
    predict,
    xavier_normal,
    xavier_uniform,
)


def check_layer_gradients(layer, x, tolerance=1e-6, reseed=None):
    """Compare a layer's backward (input and parameter gradients) with central differences.

    reseed: a callable run before every forward, for layers that draw random numbers.
    """
    rng = np.random.default_rng(123)

    def forward():
        if reseed is not None:
            reseed()
        return layer.forward(x)

    grad_out = rng.normal(size=forward().shape)
    layer.zero_grad()
    forward()
    grad_x = layer.backward(grad_out)
    assert grad_x.shape == x.shape
    assert relative_error(grad_x, numerical_gradient_array(forward, x, grad_out)) < tolerance
    for param in layer.parameters():
        numeric = numerical_gradient_array(forward, param.value, grad_out)
        assert relative_error(param.grad, numeric) < tolerance, param.name


RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Linear(4, 3, rng=0), (5, 4)),
        (Linear(4, 3, bias=False, rng=0), (5, 4)),
        (Linear(4, 3, rng=0), (2, 5, 4)),
        (Conv2d(2, 3, 3, padding=1, rng=0), (2, 2, 5, 5)),
        (Conv2d(2, 3, (2, 3), stride=2, rng=0), (2, 2, 6, 7)),
        (Conv2d(2, 2, 3, bias=False, dilation=2, rng=0), (1, 2, 6, 6)),
        (MaxPool2d(2), (2, 2, 4, 6)),
        (MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
        (AvgPool2d(2, stride=1), (2, 2, 4, 4)),
        (Flatten(), (3, 2, 2, 2)),
        (ReLU(), (4, 6)),
        (Sigmoid(), (4, 6)),
        (Tanh(), (4, 6)),
        (BatchNorm1d(3), (6, 3)),
        (BatchNorm1d(3), (4, 3, 5)),
        (BatchNorm2d(3), (4, 3, 2, 3)),
        (LastStep(), (4, 2, 3)),
    ],
    ids=lambda v: repr(v) if not isinstance(v, tuple) else str(v),
)
def test_layer_backward_matches_numerical_gradient(layer, shape):
    x = RNG.normal(size=shape)
    if isinstance(layer, MaxPool2d):
        x = RNG.permutation(np.arange(x.size, dtype=float)).reshape(shape) / 10  # no ties
    if isinstance(layer, ReLU):
        x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink
    check_layer_gradients(layer, x)


def test_batch_norm_layer_backward_in_eval_mode():
    layer = BatchNorm2d(2)
    layer.buffers["running_mean"][...] = [0.5, -1.0]
    layer.buffers["running_var"][...] = [2.0, 0.5]
    layer.params["weight"][...] = [1.5, -0.5]
    layer.eval()
    check_layer_gradients(layer, RNG.normal(size=(3, 2, 2, 2)))


def test_batch_norm_without_affine_parameters():
    layer = BatchNorm1d(3, affine=False)
    assert layer.parameters() == []
    check_layer_gradients(layer, RNG.normal(size=(5, 3)))


@pytest.mark.parametrize("training", [True, False])
def test_dropout_layer_backward_matches_numerical_gradient(training):
    layer = Dropout(0.3)
    layer.train(training)

    def reseed():
        layer.generator = np.random.default_rng(5)

    check_layer_gradients(layer, RNG.normal(size=(4, 5)), reseed=reseed)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_recurrent_layer_backward_matches_numerical_gradient(cls):
    layer = cls(3, 4, rng=1)
    check_layer_gradients(layer, RNG.normal(size=(5, 2, 3)), tolerance=1e-5)


def test_recurrent_layers_have_pytorch_names_and_shapes():
    for cls, blocks in ((RNN, 1), (LSTM, 4), (GRU, 3)):
        layer = cls(3, 5, rng=0)
        shapes = {name: p.shape for name, p in layer.params.items()}
        assert shapes == {
            "weight_ih_l0": (5 * blocks, 3),
            "weight_hh_l0": (5 * blocks, 5),
            "bias_ih_l0": (5 * blocks,),
            "bias_hh_l0": (5 * blocks,),
        }
        assert np.abs(layer.params["weight_ih_l0"]).max() <= 1 / np.sqrt(5)


def test_rnn_layer_uses_the_given_initial_state_and_reports_its_gradient():
    layer = RNN(2, 3, rng=0)
    x = RNG.normal(size=(4, 2, 2))
    h0 = RNG.normal(size=(2, 3))
    h = layer.forward(x, h0)
    assert not np.allclose(h, layer.forward(x))
    layer.forward(x, h0)
    layer.backward(np.ones_like(h))

    def loss_of_h0():
        return layer.forward(x, h0)

    numeric = numerical_gradient_array(loss_of_h0, h0, np.ones_like(h))
    assert relative_error(layer.grad_h0, numeric) < 1e-6


def test_sequential_cnn_backward_matches_numerical_gradient():
    model = Sequential(
        Conv2d(1, 2, 3, padding=1, rng=0),
        BatchNorm2d(2),
        Tanh(),
        AvgPool2d(2),
        Flatten(),
        Linear(8, 3, rng=1),
        Sigmoid(),
    )
    check_layer_gradients(model, RNG.normal(size=(3, 1, 4, 4)))


def test_sequential_names_modes_and_zero_grad():
    model = Sequential(Linear(3, 4, rng=0), Dropout(0.5), BatchNorm1d(4), Linear(4, 2, rng=1))
    names = [p.name for p in model.parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    assert model.count_parameters() == 16 + 8 + 10
    model.eval()
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)
    model.forward(RNG.normal(size=(6, 3)))
    model.backward(RNG.normal(size=(6, 2)))
    assert all(np.abs(p.grad).sum() > 0 for p in model.parameters())
    model.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_backward_accumulates_like_pytorch():
    layer = Linear(3, 2, rng=0)
    x = RNG.normal(size=(4, 3))
    layer.forward(x)
    layer.backward(np.ones((4, 2)))
    once = layer.grads["weight"].copy()
    layer.backward(np.ones((4, 2)))
    np.testing.assert_allclose(layer.grads["weight"], 2 * once)


def test_sequential_repr_lists_layers_with_output_shapes():
    model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), Flatten())
    assert "->" not in repr(model)
    model.forward(np.zeros((5, 1, 6, 6)))
    text = repr(model)
    assert "(0): Conv2d(1, 2, kernel_size=(3, 3))  -> (5, 2, 4, 4)" in text
    assert "(2): Flatten()  -> (5, 32)" in text


def test_state_dict_round_trip_and_mismatch():
    model = Sequential(Linear(2, 3, rng=0), BatchNorm1d(3))
    state = model.state_dict()
    assert sorted(state) == [
        "0.bias",
        "0.weight",
        "1.bias",
        "1.num_batches_tracked",
        "1.running_mean",
        "1.running_var",
        "1.weight",
    ]
    other = Sequential(Linear(2, 3, rng=1), BatchNorm1d(3))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other[0].params["weight"], model[0].params["weight"])
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"0.weight": state["0.weight"]})
    state["0.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"0.weight must have shape \(3, 2\)"):
        other.load_state_dict(state)


def test_layer_input_checks_name_the_problem():
    with pytest.raises(ValueError, match="Linear expects 4 in_features"):
        Linear(4, 2).forward(np.ones((3, 5)))
    with pytest.raises(ValueError, match="Conv2d expects 3 input channels"):
        Conv2d(3, 2, 3).forward(np.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d expects x of shape \(N, C, H, W\)"):
        Conv2d(3, 2, 3).forward(np.ones((3, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm2d expects x of shape \(N, C, H, W\)"):
        BatchNorm2d(3).forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="LSTM expects 3 input features"):
        LSTM(3, 2).forward(np.ones((4, 1, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        Linear(2, 2).backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="p must be in"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNorm1d(3, momentum=2.0)
    with pytest.raises(ValueError, match="in_features must be >= 1"):
        Linear(0, 2)
    with pytest.raises(ValueError, match="init must be one of"):
        Linear(2, 2, init="zeros")
    with pytest.raises(TypeError, match="layer 1 must be a Layer"):
        Sequential(ReLU(), "relu")


def test_float32_layers_stay_float32():
    model = Sequential(
        Conv2d(1, 2, 3, padding=1, rng=0, dtype=np.float32),
        BatchNorm2d(2, dtype=np.float32),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(8, 3, rng=0, dtype=np.float32),
    )
    y = model.forward(np.ones((2, 1, 4, 4), dtype=np.float32))
    assert y.dtype == np.float32
    assert model.backward(np.ones_like(y)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# --- initialisers -----------------------------------------------------------------


def test_fans_follow_pytorch():
    assert fan_in_and_fan_out((10, 4)) == (4, 10)
    assert fan_in_and_fan_out((16, 8, 3, 3)) == (72, 144)


@pytest.mark.parametrize(
    ("initialiser", "expected_std"),
    [
        (xavier_uniform, np.sqrt(2 / (200 + 400))),
        (xavier_normal, np.sqrt(2 / (200 + 400))),
        (he_normal, np.sqrt(2 / 200)),
        (he_uniform, np.sqrt(2 / 200)),
    ],
)
def test_initialisers_have_the_right_spread_and_are_seeded(initialiser, expected_std):
    w = initialiser((400, 200), rng=0)
    assert w.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(w.mean()) < 0.01 * expected_std * 10
    np.testing.assert_array_equal(w, initialiser((400, 200), rng=0))
    assert initialiser((4, 2), rng=0, dtype=np.float32).dtype == np.float32


def test_orthogonal_rows_or_columns_are_orthonormal():
    wide = orthogonal((3, 7), rng=0)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    tall = orthogonal((7, 3), gain=2.0, rng=0)
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(3), atol=1e-12)
    assert orthogonal((4, 2, 3, 3), rng=0).shape == (4, 2, 3, 3)


def test_layer_init_option():
    layer = Linear(50, 40, rng=0, init="he_normal")
    np.testing.assert_array_equal(layer.params["bias"], 0.0)
    assert layer.params["weight"].std() == pytest.approx(np.sqrt(2 / 50), rel=0.1)
    default = Linear(50, 40, rng=0)
    assert np.abs(default.params["weight"]).max() <= 1 / np.sqrt(50)
    assert np.abs(default.params["bias"]).max() > 0


# --- losses -----------------------------------------------------------------------


def test_softmax_cross_entropy_value_gradient_and_stability():
    logits = RNG.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    loss, grad = softmax_cross_entropy(logits, labels)
    expected = -np.mean(
        np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[range(4), labels]
    )
    assert loss == pytest.approx(expected)
    numeric = numerical_gradient_array(
        lambda: softmax_cross_entropy(logits, labels)[0], logits, 1.0
    )
    assert relative_error(grad, numeric) < 1e-7
    big = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        loss, grad = softmax_cross_entropy(big, np.array([1, 0]))
    assert loss == pytest.approx(500.0)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(np.exp(log_softmax(big)).sum(axis=1), 1.0)


def test_softmax_cross_entropy_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 3\), got values from 0 to 3"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="targets must hold integer ids"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(
        ValueError, match=r"targets must have shape \(2,\) \(logits without the class"
    ):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 1]))


def test_mse_value_and_gradient():
    prediction, target = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    loss, grad = mse(prediction, target)
    assert loss == pytest.approx(np.mean((prediction - target) ** 2))
    numeric = numerical_gradient_array(lambda: mse(prediction, target)[0], prediction, 1.0)
    assert relative_error(grad, numeric) < 1e-7
    with pytest.raises(ValueError, match="prediction has shape"):
        mse(np.ones(3), np.ones(4))


# --- optimisers -------------------------------------------------------------------


def _one_weight(value=1.0):
    layer = Linear(1, 1, bias=False, rng=0)
    layer.params["weight"][...] = value
    return layer


def test_sgd_momentum_and_weight_decay_by_hand():
    layer = _one_weight(2.0)
    optimiser = SGD(layer, lr=0.1, momentum=0.9, weight_decay=0.5)
    weights = []
    for _ in range(3):
        layer.grads["weight"][...] = 1.0
        optimiser.step()
        weights.append(float(layer.params["weight"][0, 0]))
    # g = 1 + 0.5 w; v1 = g1, v2 = 0.9 v1 + g2, ...
    w, v = 2.0, None
    for expected in weights:
        g = 1.0 + 0.5 * w
        v = g if v is None else 0.9 * v + g
        w -= 0.1 * v
        assert expected == pytest.approx(w)


def test_adam_by_hand():
    layer = _one_weight(1.0)
    optimiser = Adam(layer, lr=0.01, betas=(0.8, 0.9))
    m = v = 0.0
    w = 1.0
    for t, g in enumerate([0.5, -2.0, 1.0], start=1):
        layer.grads["weight"][...] = g
        optimiser.step()
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        w -= 0.01 / (1 - 0.8**t) * m / (np.sqrt(v) / np.sqrt(1 - 0.9**t) + 1e-8)
        assert layer.params["weight"][0, 0] == pytest.approx(w)


def test_optimiser_argument_checks():
    with pytest.raises(ValueError, match="lr must be >= 0"):
        SGD(_one_weight(), lr=-1.0)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        Adam(_one_weight(), betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="params must be a model"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(_one_weight(), lr=0.1, nesterov=True)


def test_optimiser_zero_grad():
    layer = _one_weight()
    layer.grads["weight"][...] = 3.0
    SGD(layer, lr=0.1).zero_grad()
    assert layer.grads["weight"][0, 0] == 0.0


# --- the training loop ----------------------------------------------------------------


def _small_cnn(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 4, 3, padding=1, rng=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(64, 10, rng=rng, dtype=dtype),
    )


def test_a_small_cnn_learns_the_digits():
    images, labels = load_digits("train", dtype=np.float32)
    images, labels = images[:256], labels[:256]
    model = _small_cnn(0, np.float32)
    before = evaluate(model, softmax_cross_entropy, (images, labels))[0]
    history = fit(
        model,
        softmax_cross_entropy,
        SGD(model, lr=0.05, momentum=0.9),
        (images, labels),
        batch_size=32,
        epochs=5,
        rng=0,
        progress=False,
        record_steps=True,
    )
    after, score = evaluate(model, softmax_cross_entropy, (images, labels))
    assert len(history.step_loss) == len(history.step_accuracy) == 5 * 8
    assert all(0 <= a <= 1 for a in history.step_accuracy)
    assert history.train_loss[-1] < history.train_loss[0]
    assert after < 0.5 * before
    assert score > 0.6


def test_fit_is_deterministic_and_records_validation():
    images, labels = load_digits("test")
    train, val = (images[:120], labels[:120]), (images[120:200], labels[120:200])
    runs = []
    for _ in range(2):
        model = _small_cnn(1)
        history = fit(
            model,
            softmax_cross_entropy,
            Adam(model, lr=0.01),
            train,
            batch_size=50,
            epochs=2,
            val_data=val,
            rng=7,
            progress=False,
        )
        runs.append((history, model.state_dict()))
    (first, weights), (second, weights_again) = runs
    assert isinstance(first, History) and first.epochs == 2
    assert first.train_loss == second.train_loss
    assert len(first.val_loss) == len(first.val_accuracy) == 2
    assert all(0 <= a <= 1 for a in first.val_accuracy + first.train_accuracy)
    for name in weights:
        np.testing.assert_array_equal(weights[name], weights_again[name])


def test_fit_regression_has_no_accuracy_and_calls_back():
    x = np.linspace(-1, 1, 30)[:, None]
    model = Sequential(Linear(1, 8, rng=0), Tanh(), Linear(8, 1, rng=1))
    seen = []
    history = fit(
        model,
        mse,
        SGD(model, lr=0.1),
        (x, x**2),
        batch_size=10,
        epochs=3,
        rng=0,
        progress=False,
        callback=lambda epoch, h: seen.append((epoch, h.epochs)),
    )
    assert history.train_accuracy == [None, None, None]
    assert seen == [(0, 1), (1, 2), (2, 3)]


def test_predict_and_evaluate_use_eval_mode_and_restore_it():
    model = Sequential(Linear(3, 3, rng=0), Dropout(0.9))
    x = RNG.normal(size=(10, 3))
    np.testing.assert_array_equal(predict(model, x, batch_size=4), model.eval().forward(x))
    model.train()
    predict(model, x)
    assert model.training and model[1].training


def test_accuracy_and_dataset_checks():
    assert accuracy(np.eye(3), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    model = Sequential(Linear(2, 2, rng=0))
    with pytest.raises(ValueError, match="3 inputs but 2 targets"):
        fit(model, mse, SGD(model, lr=0.1), (np.ones((3, 2)), np.ones((2, 2))), progress=False)
    with pytest.raises(TypeError, match="train_data must be a pair"):
        fit(model, mse, SGD(model, lr=0.1), np.ones((3, 2)), progress=False)


def test_progress_bar_can_be_shown(capsys):
    model = Sequential(Linear(1, 1, rng=0))
    x = np.ones((4, 1))
    fit(model, mse, SGD(model, lr=0.1), (x, x), batch_size=2, epochs=1, rng=0, progress=True)
    assert "training" in capsys.readouterr().err
    fit(model, mse, SGD(model, lr=0.1), (x, x), batch_size=2, epochs=1, rng=0, progress=False)
    assert capsys.readouterr().err == ""
