"""lecturelib: the numpy code behind the deep-learning lecture notebooks.

Every forward and backward pass is written by hand in numpy, with PyTorch's
semantics (NCHW arrays, cross-correlation as "convolution", PyTorch's gate
order), so that a student can read how each operation really works and check
it against a framework. The public API is listed in the project's API notes;
each function's docstring gives its shapes and a small example.
"""

from ._checks import set_seed
from .grad import (
    check_gradient,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)

# --- convolution, pooling, layer tables (conv.py, pool.py, shapes.py) -------
from .conv import (
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv2d_naive,
    conv_matrix,
    conv_transpose1d,
    conv_transpose1d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    convolve2d,
    cross_correlate2d,
    output_size,
    receptive_field,
    true_convolution2d,
    window_indices,
)
from .pool import (
    avg_pool2d,
    avg_pool2d_backward,
    channel_max_pool,
    channel_max_pool_backward,
    max_pool2d,
    max_pool2d_backward,
    max_unpool2d,
    max_unpool2d_backward,
    min_pool2d,
    min_pool2d_backward,
    pool2d_2d,
    pool_matrix,
    pool_output_size,
)
from .shapes import (
    ALEXNET,
    ALEXNET_GROUPED,
    ALEXNET_INPUT,
    FC,
    GOOGLENET_INPUT,
    GOOGLENET_STEM,
    LENET5,
    LENET5_C3_CONNECTIONS,
    LENET5_INPUT,
    LRN,
    VGG16,
    VGG16_INPUT,
    AvgPool,
    Conv,
    Dense,
    DepthwiseConv,
    Flatten,
    Input,
    LayerTable,
    MaxPool,
    ReLU,
    Subsample,
    dense_stack_counts,
    depthwise_separable,
    layer_table,
    memory_estimate,
    shape_text,
)

# --- why depth (depth.py) ----------------------------------------------------
from .depth import (
    collapse_linear,
    fit_one_hidden_layer,
    one_hidden_layer,
    perceptron,
    perceptron_and,
)

# --- recurrent networks (rnn.py, gated.py, text.py, tasks.py) ---------------
from .gated import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_param_count,
)
from .jacobians import (
    gradient_bound,
    jacobian_norms,
    jacobian_products,
    mlp_gradient_norms,
    orthogonal_init,
    scaled_random_init,
    simulate_rnn,
    step_jacobians,
)
from .rnn import (
    rnn_backward,
    rnn_forward,
    rnn_output_backward,
    rnn_output_forward,
    rnn_weight_gradient_contributions,
)
from .tasks import accuracy_by_length, recall_task, train_recall
from .text import CharRNN, Vocabulary, load_corpus, sample_sequence

# --- regularisation, layers, data, pretraining (regularize.py, layers.py, data.py,
# pretrain.py) ---------------------------------------------------------------------
# The layer classes stay in lecturelib.layers (``from lecturelib.layers import
# Conv2d, ReLU, ...``): shapes.py's layer-table specs own the top-level names
# ReLU and Flatten.
from .data import list_images, load_digits, load_image
from .layers import (
    he_normal,
    he_uniform,
    mse,
    orthogonal,
    softmax,
    softmax_cross_entropy,
    xavier_normal,
    xavier_uniform,
)
from .pretrain import (
    RBM,
    Autoencoder,
    Pretrained,
    classifier_on,
    pretrain_greedy,
    sigmoid_mlp,
    train_autoencoder,
    train_rbm,
)
from .regularize import (
    batch_norm,
    batch_norm_backward,
    drop_probability,
    dropout,
    dropout_backward,
    dropout_expectations,
    retain_probability,
)
from .train import DIGITS_RECIPE, History, accuracy, digits_cnn, evaluate, fit, predict

__version__ = "0.1.0"
