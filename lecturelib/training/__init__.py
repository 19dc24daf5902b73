"""Training machinery, built from the lesson's forward and backward functions.

- :mod:`~lecturelib.training.layers`    layer objects (Linear, Conv2d, RNN, ...)
  and :class:`Sequential`
- :mod:`~lecturelib.training.init`      initialisers (Xavier, He, orthogonal)
- :mod:`~lecturelib.training.optim`     SGD and Adam with PyTorch's update rules
- :mod:`~lecturelib.training.loop`      :func:`fit`, :func:`evaluate`, the digits CNN
- :mod:`~lecturelib.training.pretrain`  autoencoders, RBMs, greedy pretraining
- :mod:`~lecturelib.training.recall`    the three recurrent cells on the recall task
- :mod:`~lecturelib.training.fits`      one hidden layer fitting a curve
- :mod:`~lecturelib.training.batchnorm` a deep network with and without batch norm
- :mod:`~lecturelib.training.clipping`  a character RNN trained with and without clipping

Everything here imports numpy and the lesson modules only.
"""

from .batchnorm import deep_mlp, layer_activations
from .fits import fit_one_hidden_layer, one_hidden_layer
from .init import (
    INITIALISERS,
    fan_in_and_fan_out,
    fan_in_uniform,
    he_normal,
    he_uniform,
    orthogonal,
    xavier_normal,
    xavier_uniform,
)
from .layers import (
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    LastStep,
    Layer,
    Linear,
    MaxPool2d,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from .loop import DIGITS_RECIPE, History, accuracy, digits_cnn, evaluate, fit, predict
from .optim import SGD, Adam, Optimiser
from .pretrain import (
    RBM,
    Autoencoder,
    Pretrained,
    classifier_on,
    pretrain_greedy,
    sigmoid,
    sigmoid_mlp,
    train_autoencoder,
    train_rbm,
)
from .recall import (
    accuracy_by_length,
    accuracy_of,
    recall_model,
    state_gradient_norms,
    train_recall,
)
