"""lecturelib: the numpy code behind the deep-learning lecture notebooks.

Every forward and backward pass is written by hand in numpy, with PyTorch's
semantics (NCHW arrays, cross-correlation as "convolution", PyTorch's gate
order), so that a student can read how each operation really works and check
it against a framework.

The package is laid out like the course. The modules at the top are the
lesson and import numpy only; in each, every operation's readable reference
(loops where the lecture loops, forward and backward side by side) comes
first and the fast version, tested equal to it, after it:

- ``convolution``  1-D and 2-D convolution, transposed convolution
- ``pooling``      max, average and min pooling, unpooling
- ``recurrent``    the vanilla RNN and backpropagation through time
- ``gated``        LSTM and GRU cells
- ``dropout``, ``batchnorm``   regularisation and normalisation
- ``losses``       softmax cross-entropy, mean squared error
- ``gradients``    numerical gradient checks, gradient clipping
- ``cliff``        a loss surface with a cliff, descended with and without clipping
- ``layer_tables`` output shapes, parameters and MACs of whole networks
- ``jacobians``    vanishing and exploding gradients
- ``depth``, ``text``, ``tasks``, ``data``   why depth, text, a memory task,
  the shipped data

Four subpackages sit beside the lesson:

- ``lecturelib.fast``      the vectorised paths the lesson's public functions use
- ``lecturelib.training``  layers, initialisers, optimisers, the training loop,
  pretraining (built from the lesson's functions)
- ``lecturelib.drawing``   figures and interactive panels, the only part that
  imports matplotlib or ipywidgets
- ``lecturelib.exercises`` the checker for the notebooks' exercises

The public API is listed in the project's API notes; each function's docstring
gives its shapes and a small example.
"""

import importlib
import warnings

from ._checks import set_seed
from .batchnorm import (
    batch_norm,
    batch_norm_backward,
    batch_norm_backward_naive,
    batch_norm_naive,
)
from .convolution import (
    conv1d,
    conv1d_backward,
    conv1d_backward_naive,
    conv1d_naive,
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
    conv_matrix,
    conv_transpose1d,
    conv_transpose1d_backward,
    conv_transpose1d_backward_naive,
    conv_transpose1d_naive,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    convolve2d,
    cross_correlate2d,
    output_size,
    receptive_field,
    window_indices,
)
from .data import list_images, load_digits, load_image
from .depth import collapse_linear, perceptron, perceptron_and
from .dropout import (
    drop_probability,
    dropout,
    dropout_backward,
    dropout_expectations,
    retain_probability,
)
from .gated import (
    gru_backward,
    gru_backward_naive,
    gru_forward,
    gru_forward_naive,
    gru_step,
    gru_step_backward,
    lstm_backward,
    lstm_backward_naive,
    lstm_forward,
    lstm_forward_naive,
    lstm_step,
    lstm_step_backward,
    rnn_param_count,
)
from .gradients import (
    check_gradient,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)
from .jacobians import (
    gradient_bound,
    jacobian_norms,
    jacobian_products,
    mlp_gradient_norms,
    orthogonal,
    orthogonal_init,  # deprecated: it warns when called
    scaled_random_init,
    simulate_rnn,
    step_jacobians,
)
from .layer_tables import (
    ALEXNET,
    ALEXNET_GROUPED,
    ALEXNET_INPUT,
    GOOGLENET_INPUT,
    GOOGLENET_STEM,
    LENET5,
    LENET5_C3_CONNECTIONS,
    LENET5_INPUT,
    VGG16,
    VGG16_INPUT,
    AvgPoolSpec,
    ConvSpec,
    DenseSpec,
    DepthwiseConvSpec,
    FlattenSpec,
    InputSpec,
    LayerTable,
    LRNSpec,
    MaxPoolSpec,
    ReLUSpec,
    SubsampleSpec,
    dense_stack_counts,
    depthwise_separable,
    layer_table,
    memory_estimate,
    shape_text,
)
from .losses import log_softmax, mse, softmax, softmax_cross_entropy
from .pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_naive,
    channel_max_pool,
    channel_max_pool_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
    max_unpool2d,
    max_unpool2d_backward,
    min_pool2d,
    min_pool2d_backward,
    pool_matrix,
    pool_output_size,
)
from .recurrent import (
    rnn_backward,
    rnn_backward_naive,
    rnn_forward,
    rnn_forward_naive,
    rnn_output_backward,
    rnn_output_forward,
    rnn_step,
    rnn_step_backward,
    rnn_weight_gradient_contributions,
)
from .tasks import recall_task
from .text import CharRNN, Vocabulary, load_corpus, sample_sequence

__version__ = "0.2.0"

# Names that lived at the top level before the package was split into the lesson,
# lecturelib.training and lecturelib.drawing. They still work for one release, with
# a DeprecationWarning that says where they live now.
_MOVED = {
    # layer-table specifications, renamed so they cannot be mistaken for layers
    **{
        old: ("lecturelib.layer_tables", old + "Spec")
        for old in ("Input", "Conv", "DepthwiseConv", "MaxPool", "AvgPool", "Subsample")
    },
    **{
        old: ("lecturelib.layer_tables", old + "Spec")
        for old in ("Dense", "Flatten", "ReLU", "LRN")
    },
    "FC": ("lecturelib.layer_tables", "DenseSpec"),
    # second names of one function
    "true_convolution2d": ("lecturelib.convolution", "convolve2d"),
    "pool2d_2d": ("lecturelib.pooling", "pool_matrix"),
    # training machinery
    **{
        name: ("lecturelib.training", name)
        for name in (
            "he_normal",
            "he_uniform",
            "xavier_normal",
            "xavier_uniform",
            "DIGITS_RECIPE",
            "History",
            "accuracy",
            "digits_cnn",
            "evaluate",
            "fit",
            "predict",
            "RBM",
            "Autoencoder",
            "Pretrained",
            "classifier_on",
            "pretrain_greedy",
            "sigmoid_mlp",
            "train_autoencoder",
            "train_rbm",
            "one_hidden_layer",
            "fit_one_hidden_layer",
            "train_recall",
            "accuracy_by_length",
        )
    },
}


def __getattr__(name):
    if name in _MOVED:
        module, new = _MOVED[name]
        warnings.warn(
            f"lecturelib.{name} has moved: use {module}.{new}; the old name will be removed",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), new)
    raise AttributeError(f"module 'lecturelib' has no attribute {name!r}")
