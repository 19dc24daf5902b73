"""A deep network with and without batch normalisation, and what its layers output.

The experiment of the batch-norm notebook: :func:`deep_mlp` builds the same deep
classifier twice, plain or with :class:`~lecturelib.training.layers.BatchNorm1d`
before every activation, from the same weights; :func:`layer_activations` records
what every hidden layer outputs, so the notebook can show the activations
saturating without batch norm and staying spread with it.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, as_generator, as_int
from .layers import BatchNorm1d, Linear, ReLU, Sequential, Sigmoid, Tanh

_ACTIVATIONS = {"tanh": Tanh, "sigmoid": Sigmoid, "relu": ReLU}


def deep_mlp(
    depth=6,
    width=64,
    batch_norm=False,
    activation="tanh",
    inputs=64,
    classes=10,
    rng=0,
    dtype=np.float32,
) -> Sequential:
    """A deep fully connected classifier: ``depth`` hidden layers of ``width`` units.

    Each hidden layer is Linear - activation, or Linear (without bias) -
    BatchNorm1d - activation when ``batch_norm`` is True (the batch norm's
    beta takes the bias's place). Every Linear layer draws its weights from
    its own child of ``rng``, so the networks with and without batch norm
    start from the same weights. PyTorch's default initialisation.

    >>> plain, normed = deep_mlp(depth=2, width=8), deep_mlp(depth=2, width=8, batch_norm=True)
    >>> plain
    Sequential(
      (0): Linear(64, 8)
      (1): Tanh()
      (2): Linear(8, 8)
      (3): Tanh()
      (4): Linear(8, 10)
    )
    >>> np.array_equal(plain[2].params["weight"], normed[3].params["weight"])
    True
    """
    depth = as_int(depth, "depth", 1)
    width = as_int(width, "width", 1)
    inputs = as_int(inputs, "inputs", 1)
    classes = as_int(classes, "classes", 1)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    generators = as_generator(rng).spawn(depth + 1)
    layers = []
    fan_in = inputs
    for generator in generators[:-1]:
        layers.append(Linear(fan_in, width, bias=not batch_norm, rng=generator, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm1d(width, dtype=dtype))
        layers.append(_ACTIVATIONS[activation]())
        fan_in = width
    layers.append(Linear(fan_in, classes, rng=generators[-1], dtype=dtype))
    return Sequential(*layers)


def layer_activations(model: Sequential, x, training=True) -> list[np.ndarray]:
    """The output of every activation layer (tanh, sigmoid, ReLU) of ``model`` for ``x``.

    training: use batch statistics (True, what the layers see while the
    network trains) or the running averages (False). The model's mode,
    running statistics and saved inputs are left as they were.
    Returns one (N, width) array per hidden layer.

    >>> outputs = layer_activations(deep_mlp(depth=3, width=5), np.ones((4, 64)))
    >>> [a.shape for a in outputs]
    [(4, 5), (4, 5), (4, 5)]
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x = as_array(x, "x")
    state = model.state_dict()
    saved = [dict(vars(layer)) for layer in model]
    was_training = model.training
    model.train(bool(training))
    outputs = []
    try:
        for layer in model:
            x = layer.forward(x)
            if isinstance(layer, tuple(_ACTIVATIONS.values())):
                outputs.append(x.copy())
    finally:
        model.load_state_dict(state)
        for layer, attributes in zip(model, saved):
            vars(layer).update(attributes)
        model.train(was_training)
    return outputs


__all__ = ["deep_mlp", "layer_activations"]
