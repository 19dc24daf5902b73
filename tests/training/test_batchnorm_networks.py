"""A deep network with and without batch norm (lecturelib.training.batchnorm)."""

import numpy as np
import pytest

from lecturelib.training import BatchNorm1d, Linear, Sigmoid, Tanh
from lecturelib.training.batchnorm import deep_mlp, layer_activations


def test_deep_mlp_with_and_without_batch_norm_share_their_weights():
    plain = deep_mlp(depth=3, width=8, rng=5)
    normed = deep_mlp(depth=3, width=8, batch_norm=True, rng=5)
    plain_linear = [layer for layer in plain if isinstance(layer, Linear)]
    normed_linear = [layer for layer in normed if isinstance(layer, Linear)]
    assert len(plain_linear) == len(normed_linear) == 4
    for a, b in zip(plain_linear, normed_linear):
        np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert all("bias" not in layer.params for layer in normed_linear[:-1])
    assert sum(isinstance(layer, BatchNorm1d) for layer in normed) == 3
    assert sum(isinstance(layer, Tanh) for layer in plain) == 3
    assert normed.forward(np.ones((4, 64), dtype=np.float32)).shape == (4, 10)


def test_deep_mlp_options():
    net = deep_mlp(depth=2, width=4, activation="sigmoid", inputs=3, classes=2)
    assert isinstance(net[1], Sigmoid) and net.forward(np.ones((2, 3))).shape == (2, 2)
    with pytest.raises(ValueError, match="activation"):
        deep_mlp(activation="swish")
    with pytest.raises(ValueError):
        deep_mlp(depth=0)


def test_layer_activations_leave_the_model_as_it_was():
    net = deep_mlp(depth=3, width=6, batch_norm=True, rng=0)
    x = np.random.default_rng(0).normal(size=(16, 64)).astype(np.float32)
    net.forward(x[:4])
    saved_input = net[0].x
    state = net.state_dict()
    net.eval()
    outputs = layer_activations(net, x, training=True)
    assert [a.shape for a in outputs] == [(16, 6)] * 3
    assert not net.training
    assert net[0].x is saved_input
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    # Training mode standardises every unit over the batch: tanh of N(0, 1) values.
    assert 0.5 < outputs[-1].std() < 0.8
    evaluated = layer_activations(net, x, training=False)
    assert not np.allclose(evaluated[0], outputs[0])
    with pytest.raises(TypeError):
        layer_activations(Linear(2, 2), np.ones((2, 2)))
