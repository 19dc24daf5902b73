"""Layers, losses and optimisers against PyTorch: the same weights give the same numbers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity tests skipped")
F = torch.nn.functional

from lecturelib.losses import mse, softmax_cross_entropy  # noqa: E402
from lecturelib.training import (  # noqa: E402
    GRU,
    LSTM,
    RNN,
    SGD,
    Adam,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)


def _load_into_torch(model, torch_model):
    state = {name: torch.tensor(value) for name, value in model.state_dict().items()}
    torch_model.load_state_dict(state)


def _compare_grads(model, torch_model, atol=1e-10):
    ours = {p.name: p.grad for p in model.parameters()}
    theirs = dict(torch_model.named_parameters())
    assert sorted(ours) == sorted(theirs)
    for name, grad in ours.items():
        np.testing.assert_allclose(grad, theirs[name].grad.numpy(), atol=atol, err_msg=name)


def test_cnn_forward_backward_and_running_stats_match_torch():
    model = Sequential(
        Conv2d(1, 3, 3, padding=1, rng=0),
        BatchNorm2d(3),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(12, 4, rng=1),
    )
    torch_model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(12, 4),
    ).double()
    _load_into_torch(model, torch_model)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 1, 4, 4))
    labels = np.array([0, 3, 1, 2, 3])

    logits = model.forward(x)
    loss, grad_logits = softmax_cross_entropy(logits, labels)
    model.backward(grad_logits)
    t_logits = torch_model(torch.tensor(x))
    t_loss = F.cross_entropy(t_logits, torch.tensor(labels))
    t_loss.backward()

    np.testing.assert_allclose(logits, t_logits.detach().numpy(), atol=1e-12)
    assert loss == pytest.approx(t_loss.item(), abs=1e-12)
    _compare_grads(model, torch_model)
    state, torch_state = model.state_dict(), torch_model.state_dict()
    for name in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        np.testing.assert_allclose(state[name], torch_state[name].numpy(), atol=1e-12)

    model.eval()
    torch_model.eval()
    np.testing.assert_allclose(
        model.forward(x), torch_model(torch.tensor(x)).detach().numpy(), atol=1e-12
    )


@pytest.mark.parametrize(
    ("ours", "theirs"), [(RNN, torch.nn.RNN), (LSTM, torch.nn.LSTM), (GRU, torch.nn.GRU)]
)
def test_recurrent_layers_match_torch(ours, theirs):
    layer = ours(3, 4, rng=0)
    torch_layer = theirs(3, 4).double()
    torch_layer.load_state_dict({k: torch.tensor(v) for k, v in layer.params.items()})
    x = np.random.default_rng(1).normal(size=(6, 2, 3))
    grad_h = np.random.default_rng(2).normal(size=(6, 2, 4))

    h = layer.forward(x)
    grad_x = layer.backward(grad_h)
    t_x = torch.tensor(x, requires_grad=True)
    t_h = torch_layer(t_x)[0]
    t_h.backward(torch.tensor(grad_h))

    np.testing.assert_allclose(h, t_h.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(grad_x, t_x.grad.numpy(), atol=1e-12)
    for name, param in torch_layer.named_parameters():
        np.testing.assert_allclose(layer.grads[name], param.grad.numpy(), atol=1e-12, err_msg=name)


def test_mse_and_dropout_eval_match_torch():
    rng = np.random.default_rng(3)
    prediction, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    t_prediction = torch.tensor(prediction, requires_grad=True)
    t_loss = F.mse_loss(t_prediction, torch.tensor(target))
    t_loss.backward()
    loss, grad = mse(prediction, target)
    assert loss == pytest.approx(t_loss.item())
    np.testing.assert_allclose(grad, t_prediction.grad.numpy())
    x = rng.normal(size=(3, 3))
    layer = Dropout(0.4).eval()
    np.testing.assert_array_equal(layer.forward(x), torch.nn.Dropout(0.4).eval()(torch.tensor(x)))


OPTIMISERS = [
    (SGD, torch.optim.SGD, {"lr": 0.1}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (Adam, torch.optim.Adam, {"lr": 0.01}),
    (Adam, torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("ours", "theirs", "settings"), OPTIMISERS)
def test_optimisers_follow_torch_optim_step_by_step(ours, theirs, settings):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 3))
    y = rng.normal(size=(16, 2))
    model = Sequential(Linear(3, 5, rng=0), ReLU(), Linear(5, 2, rng=1))
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)
    ).double()
    _load_into_torch(model, torch_model)
    optimiser = ours(model, **settings)
    torch_optimiser = theirs(torch_model.parameters(), **settings)
    for _ in range(5):
        optimiser.zero_grad()
        _, grad = mse(model.forward(x), y)
        model.backward(grad)
        optimiser.step()
        torch_optimiser.zero_grad()
        F.mse_loss(torch_model(torch.tensor(x)), torch.tensor(y)).backward()
        torch_optimiser.step()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(
            value, torch_model.state_dict()[name].numpy(), atol=1e-12, err_msg=name
        )
