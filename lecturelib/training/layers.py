"""Thin layer objects over the package's functions: enough to train the lecture models.

Every layer here is a small wrapper around a forward function and its
backward function from the lecture modules (:mod:`lecturelib.convolution`,
:mod:`lecturelib.pooling`, :mod:`lecturelib.dropout`, :mod:`lecturelib.batchnorm`,
:mod:`lecturelib.recurrent`, :mod:`lecturelib.gated`). A layer keeps what its
backward pass needs from the last forward pass, and its parameters and their
gradients in two dicts with PyTorch's names and shapes:

- ``layer.params["weight"]``, ``layer.params["bias"]``: Linear weight is
  (out_features, in_features), Conv2d weight is (F, C, KH, KW); the recurrent
  layers use ``weight_ih_l0`` (G, D), ``weight_hh_l0`` (G, H), ``bias_ih_l0``
  and ``bias_hh_l0`` (G,), exactly as ``torch.nn.RNN/LSTM/GRU``.
- ``layer.grads`` has the same keys. As in PyTorch, backward ADDS to the
  gradients, so call ``zero_grad()`` before each step.
- ``layer.freeze()`` / ``layer.unfreeze()`` (or the ``trainable`` flag)
  switch a layer's learning off and on, as ``requires_grad_(False)`` does in
  PyTorch: a frozen layer adds nothing to its gradients, the optimisers skip
  its parameters, and :meth:`Sequential.backward` with ``input_grad=False``
  stops below the lowest layer that still learns.

:class:`Sequential` stacks layers. The losses (:func:`~lecturelib.losses.softmax_cross_entropy`,
:func:`~lecturelib.losses.mse`, each returning the loss and its gradient) are in
:mod:`lecturelib.losses`, the optimisers in :mod:`lecturelib.training.optim` and the
initialisers in :mod:`lecturelib.training.init`.

>>> from lecturelib.losses import softmax_cross_entropy
>>> model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))
>>> logits = model.forward(np.ones((5, 3)))
>>> loss, grad_logits = softmax_cross_entropy(logits, np.array([0, 1, 0, 1, 1]))
>>> grad_x = model.backward(grad_logits)
>>> [(p.name, p.value.shape) for p in model.parameters()]
[('0.weight', (4, 3)), ('0.bias', (4,)), ('2.weight', (2, 4)), ('2.bias', (2,))]
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, as_generator, as_int, as_number, as_pair
from ..batchnorm import _momentum, batch_norm, batch_norm_backward
from ..convolution import conv2d, conv2d_backward
from ..dropout import _dropout_mode, dropout, dropout_backward
from ..gated import gru_backward, gru_forward, lstm_backward, lstm_forward
from ..pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from ..recurrent import rnn_backward, rnn_forward
from .init import _float_dtype, _init_bias, _init_weight, fan_in_and_fan_out

# --- the layer protocol -----------------------------------------------------------------


class Layer:
    """Base class: parameters and gradients in dicts, a mode flag, forward and backward.

    Subclasses fill ``params`` (and ``buffers`` for state that is not
    learnt, such as batch norm's running statistics) and implement
    ``forward(x)`` and ``backward(grad_out)``; backward returns the gradient
    with respect to the layer's input and adds to ``grads``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self.trainable = True  # False: frozen (see freeze)
        self.output_shape: tuple[int, ...] | None = None  # of the last forward pass

    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (dropout active, batch statistics); returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode (no dropout, running statistics); returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        for grad in self.grads.values():
            grad.fill(0.0)

    def freeze(self) -> Layer:
        """Stop learning: parameters stay as they are until :meth:`unfreeze`; returns self.

        A frozen layer still runs forward and still passes gradients back to
        the layers below it, but its backward pass neither computes nor adds
        gradients for its own parameters, and SGD and Adam skip them (no
        update, no momentum, no weight decay). As ``requires_grad_(False)``
        on every parameter of a PyTorch module.

        >>> layer = Linear(2, 1, rng=0).freeze()
        >>> layer.trainable, [p.trainable for p in layer.parameters()]
        (False, [False, False])
        """
        self.trainable = False
        return self

    def unfreeze(self) -> Layer:
        """Learn again after :meth:`freeze`; returns self."""
        self.trainable = True
        return self

    def has_trainable_parameters(self) -> bool:
        """True if this layer has parameters and is not frozen."""
        return self.trainable and bool(self.params)

    def parameters(self) -> list[Parameter]:
        return [Parameter(name, self, name) for name in self.params]

    def _saved(self, name: str):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value

    def _accumulate(self, name: str, grad: np.ndarray) -> None:
        if self.trainable:  # a frozen layer's gradients stay as they are
            self.grads[name] += grad

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Parameter:
    """A handle on one parameter: ``value`` and ``grad`` are read from the layer's dicts.

    Optimisers hold these handles, so a layer may replace its gradient array
    and the optimiser still finds the current one. ``name`` follows PyTorch's
    ``named_parameters`` ("0.weight" for the first layer of a Sequential).
    """

    __slots__ = ("name", "layer", "key")

    def __init__(self, name: str, layer: Layer, key: str) -> None:
        self.name, self.layer, self.key = name, layer, key

    @property
    def value(self) -> np.ndarray:
        return self.layer.params[self.key]

    @property
    def grad(self) -> np.ndarray:
        return self.layer.grads[self.key]

    @property
    def trainable(self) -> bool:
        """False while the layer that owns this parameter is frozen."""
        return self.layer.trainable

    def __repr__(self) -> str:
        frozen = "" if self.trainable else ", frozen"
        return f"Parameter({self.name!r}, shape={self.value.shape}{frozen})"


def _check_input(layer: Layer, x, ndim: int | tuple[int, ...], what: str) -> np.ndarray:
    x = as_array(x, "x")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in allowed:
        raise ValueError(f"{type(layer).__name__} expects x of shape {what}, got shape {x.shape}")
    return x


def _check_size(layer: Layer, x: np.ndarray, axis: int, expected: int, what: str) -> None:
    if x.shape[axis] != expected:
        raise ValueError(
            f"{type(layer).__name__} expects {expected} {what} (axis {axis} of x), "
            f"got x of shape {x.shape}"
        )


# --- dense and convolutional layers --------------------------------------------------


class Linear(Layer):
    """Fully connected layer ``y = x @ weight.T + bias``, as ``torch.nn.Linear``.

    x: (N, in_features) or (..., in_features); weight: (out_features,
    in_features); bias: (out_features,). init: "default" (PyTorch's
    U(+-1/sqrt(in_features)) for weight and bias) or an initialiser name
    (then the bias starts at zero).

    >>> layer = Linear(2, 1, rng=0)
    >>> layer.params["weight"][...] = [[1.0, -1.0]]; layer.params["bias"][...] = 0.5
    >>> layer.forward(np.array([[3.0, 1.0]]))
    array([[2.5]])
    >>> layer.backward(np.array([[1.0]])), layer.grads["weight"]
    (array([[ 1., -1.]]), array([[3., 1.]]))
    """

    def __init__(
        self, in_features, out_features, bias=True, rng=None, init="default", dtype=np.float64
    ):
        super().__init__()
        self.in_features = as_int(in_features, "in_features", 1)
        self.out_features = as_int(out_features, "out_features", 1)
        dtype = _float_dtype(dtype)
        generator = as_generator(rng)
        shape = (self.out_features, self.in_features)
        self._add_param("weight", _init_weight(shape, init, generator, dtype))
        if bias:
            self._add_param(
                "bias", _init_bias(self.out_features, init, generator, dtype, self.in_features)
            )
        self.x = None

    def forward(self, x):
        x = _check_input(self, x, tuple(range(1, 8)), "(N, in_features)")
        _check_size(self, x, -1, self.in_features, "in_features")
        self.x = x
        y = x @ self.params["weight"].T
        if "bias" in self.params:
            y += self.params["bias"]
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        x = self._saved("x")
        grad_out = as_array(grad_out, "grad_out")
        if grad_out.shape != (*x.shape[:-1], self.out_features):
            raise ValueError(
                f"grad_out must have the output's shape {(*x.shape[:-1], self.out_features)}, "
                f"got {grad_out.shape}"
            )
        if self.trainable:  # a frozen layer computes no parameter gradients at all
            grad_2d = grad_out.reshape(-1, self.out_features)
            self._accumulate("weight", grad_2d.T @ x.reshape(-1, self.in_features))
            if "bias" in self.params:
                self._accumulate("bias", grad_2d.sum(axis=0))
        return grad_out @ self.params["weight"]

    def extra_repr(self):
        bias = "" if "bias" in self.params else ", bias=False"
        return f"{self.in_features}, {self.out_features}{bias}"


class Conv2d(Layer):
    """2-D convolution layer over :func:`lecturelib.convolution.conv2d`, as ``torch.nn.Conv2d``.

    x: (N, in_channels, H, W) -> (N, out_channels, OH, OW); weight:
    (out_channels, in_channels, KH, KW); bias: (out_channels,).

    >>> layer = Conv2d(1, 2, kernel_size=3, padding=1, rng=0)
    >>> layer.params["weight"].shape, layer.forward(np.ones((4, 1, 8, 8))).shape
    ((2, 1, 3, 3), (4, 2, 8, 8))
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias=True,
        rng=None,
        init="default",
        dtype=np.float64,
    ):
        super().__init__()
        self.in_channels = as_int(in_channels, "in_channels", 1)
        self.out_channels = as_int(out_channels, "out_channels", 1)
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride = as_pair(stride, "stride", 1)
        self.padding = as_pair(padding, "padding", 0)
        self.dilation = as_pair(dilation, "dilation", 1)
        dtype = _float_dtype(dtype)
        generator = as_generator(rng)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self._add_param("weight", _init_weight(shape, init, generator, dtype))
        if bias:
            fan_in = fan_in_and_fan_out(shape)[0]
            self._add_param("bias", _init_bias(self.out_channels, init, generator, dtype, fan_in))
        self.x = None

    def _settings(self):
        return self.stride, self.padding, self.dilation

    def forward(self, x):
        x = _check_input(self, x, 4, "(N, C, H, W)")
        _check_size(self, x, 1, self.in_channels, "input channels")
        self.x = x
        y = conv2d(x, self.params["weight"], self.params.get("bias"), *self._settings())
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        x = self._saved("x")
        grad_x, grad_w, grad_b = conv2d_backward(
            grad_out, x, self.params["weight"], self.params.get("bias"), *self._settings()
        )
        self._accumulate("weight", grad_w)
        if grad_b is not None:
            self._accumulate("bias", grad_b)
        return grad_x

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        for name, default in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text + ("" if "bias" in self.params else ", bias=False")


class _Pool2d(Layer):
    forward_function = staticmethod(max_pool2d)
    backward_function = staticmethod(max_pool2d_backward)

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", 1)
        self.padding = as_pair(padding, "padding", 0)
        self.x = None

    def forward(self, x):
        x = _check_input(self, x, 4, "(N, C, H, W)")
        self.x = x
        y = self.forward_function(x, self.kernel_size, self.stride, self.padding)
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        x = self._saved("x")
        return self.backward_function(grad_out, x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        text = f"kernel_size={self.kernel_size}, stride={self.stride}"
        return text + (f", padding={self.padding}" if self.padding != (0, 0) else "")


class MaxPool2d(_Pool2d):
    """Max pooling layer over :func:`lecturelib.pooling.max_pool2d`; no parameters.

    >>> MaxPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """


class AvgPool2d(_Pool2d):
    """Average pooling layer over :func:`lecturelib.pooling.avg_pool2d`; no parameters.

    >>> AvgPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    forward_function = staticmethod(avg_pool2d)
    backward_function = staticmethod(avg_pool2d_backward)


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)), as ``torch.nn.Flatten()``.

    >>> Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def __init__(self):
        super().__init__()
        self.input_shape = None

    def forward(self, x):
        x = _check_input(self, x, tuple(range(1, 8)), "(N, ...)")
        self.input_shape = x.shape
        y = x.reshape(x.shape[0], -1)
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        shape = self._saved("input_shape")
        return as_array(grad_out, "grad_out").reshape(shape)


# --- activations -----------------------------------------------------------------------


class ReLU(Layer):
    """max(0, x); its gradient passes where x > 0.

    >>> layer = ReLU()
    >>> layer.forward(np.array([-1.0, 2.0])), layer.backward(np.array([5.0, 5.0]))
    (array([0., 2.]), array([0., 5.]))
    """

    def __init__(self):
        super().__init__()
        self.positive = None

    def forward(self, x):
        x = as_array(x, "x")
        self.positive = x > 0
        self.output_shape = x.shape
        # max(x, 0); adding 0.0 turns a -0.0 into 0.0. (np.where(positive, x, 0) gives
        # the same numbers, except that a NaN stays NaN here as in PyTorch, but is
        # several times slower: it branches on every element.)
        y = np.maximum(x, 0)
        y += 0.0
        return y

    def backward(self, grad_out):
        positive = self._saved("positive")
        grad_out = as_array(grad_out, "grad_out")
        grad_x = grad_out * positive  # grad_out where x > 0, else (+ or -) 0
        grad_x += 0.0  # -0.0 + 0.0 = 0.0: a plain zero everywhere else
        return grad_x


class Sigmoid(Layer):
    """1 / (1 + exp(-x)); derivative y (1 - y), written with the output y.

    >>> Sigmoid().forward(np.array([0.0]))
    array([0.5])
    """

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        x = as_array(x, "x")
        # exp(-|x|) never overflows; the two branches are the same function
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        self.y = y
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        y = self._saved("y")
        return as_array(grad_out, "grad_out") * y * (1.0 - y)


class Tanh(Layer):
    """tanh(x); derivative 1 - y^2.

    >>> Tanh().forward(np.array([0.0]))
    array([0.])
    """

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        self.y = np.tanh(as_array(x, "x"))
        self.output_shape = self.y.shape
        return self.y

    def backward(self, grad_out):
        y = self._saved("y")
        return as_array(grad_out, "grad_out") * (1.0 - y * y)


# --- regularisation layers ------------------------------------------------------------


class Dropout(Layer):
    """Dropout layer over :func:`lecturelib.dropout.dropout` (p = DROP probability).

    Active in training mode, the identity in eval mode. ``rng``: a Generator
    or a seed, used for every mask this layer draws.

    >>> layer = Dropout(0.5, rng=0)
    >>> layer.forward(np.ones((1, 4)))
    array([[2., 0., 0., 0.]])
    >>> layer.eval().forward(np.ones((1, 4)))
    array([[1., 1., 1., 1.]])
    """

    def __init__(self, p=0.5, rng=None, mode="inverted"):
        super().__init__()
        self.p, self.mode = as_number(p, "p", 0, 1), _dropout_mode(mode)
        self.generator = as_generator(rng)
        self.mask = None
        self.mask_training = None

    def forward(self, x):
        y, self.mask = dropout(x, self.p, self.training, self.generator, self.mode)
        self.mask_training = self.training
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        mask = self._saved("mask")
        return dropout_backward(grad_out, mask, self.p, self.mask_training, self.mode)

    def extra_repr(self):
        return f"p={self.p}" + ("" if self.mode == "inverted" else f", mode={self.mode!r}")


class _BatchNorm(Layer):
    ndims: tuple[int, ...] = ()
    layout = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, dtype=np.float64):
        super().__init__()
        self.num_features = as_int(num_features, "num_features", 1)
        dtype = _float_dtype(dtype)
        channels = np.zeros(self.num_features, dtype=dtype)
        self.eps, self.momentum = as_number(eps, "eps", above=0), _momentum(momentum)
        if affine:
            self._add_param("weight", channels + 1.0)
            self._add_param("bias", channels.copy())
        self.buffers["running_mean"] = channels.copy()
        self.buffers["running_var"] = channels + 1.0
        self.buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)
        self.x = None
        self.x_training = None

    def forward(self, x):
        x = _check_input(self, x, self.ndims, self.layout)
        _check_size(self, x, 1, self.num_features, "channels (num_features)")
        y = batch_norm(
            x,
            self.buffers["running_mean"],
            self.buffers["running_var"],
            self.params.get("weight"),
            self.params.get("bias"),
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )
        self.x, self.x_training = x, self.training
        if self.training:
            self.buffers["num_batches_tracked"] += 1
        self.output_shape = y.shape
        return y

    def backward(self, grad_out):
        x = self._saved("x")
        grad_x, grad_weight, grad_bias = batch_norm_backward(
            grad_out,
            x,
            self.params.get("weight"),
            self.params.get("bias"),
            eps=self.eps,
            training=self.x_training,
            running_mean=self.buffers["running_mean"],
            running_var=self.buffers["running_var"],
        )
        if grad_weight is not None:
            self._accumulate("weight", grad_weight)
            self._accumulate("bias", grad_bias)
        return grad_x

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, as ``torch.nn.BatchNorm1d``.

    weight (gamma) starts at 1 and bias (beta) at 0; buffers
    ``running_mean`` (0) and ``running_var`` (1) are updated in training.

    >>> layer = BatchNorm1d(2)
    >>> layer.forward(np.array([[1.0, 10.0], [3.0, 30.0]])).round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> layer.buffers["running_mean"]
    array([0.2, 2. ])
    """

    ndims = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs: one mean and variance per channel.

    >>> BatchNorm2d(3).forward(np.ones((2, 3, 4, 4))).shape
    (2, 3, 4, 4)
    """

    ndims = (4,)
    layout = "(N, C, H, W)"


# --- recurrent layers -------------------------------------------------------------------


class _Recurrent(Layer):
    """Shared code: PyTorch's parameter names and shapes, the lecture's functions inside.

    The parameters are stored as PyTorch stores them, ``weight_ih_l0``
    (G, D), ``weight_hh_l0`` (G, H), ``bias_ih_l0`` and ``bias_hh_l0`` (G,),
    with G = H, 4H or 3H; the lecture's row-vector matrices are their
    transposes, U = weight_ih_l0.T (D, G) and W = weight_hh_l0.T (H, G).
    x: (T, N, D) as PyTorch's default (batch_first=False). forward returns
    every step's hidden state, (T, N, H); ``h0`` defaults to zeros. After
    backward, ``grad_h0`` holds the gradient with respect to h0.
    """

    blocks = 1

    def __init__(self, input_size, hidden_size, rng=None, init="default", dtype=np.float64):
        super().__init__()
        self.input_size = as_int(input_size, "input_size", 1)
        self.hidden_size = as_int(hidden_size, "hidden_size", 1)
        dtype = _float_dtype(dtype)
        generator = as_generator(rng)
        gates, hidden = self.blocks * self.hidden_size, self.hidden_size
        # PyTorch draws every recurrent parameter from U(+-1/sqrt(hidden_size))
        for name, shape in (
            ("weight_ih_l0", (gates, self.input_size)),
            ("weight_hh_l0", (gates, hidden)),
        ):
            self._add_param(name, _init_weight(shape, init, generator, dtype, fan_in=hidden))
        for name in ("bias_ih_l0", "bias_hh_l0"):
            self._add_param(name, _init_bias(gates, init, generator, dtype, hidden))
        self.cache = None
        self.grad_h0 = None

    def _initial_state(self, state, x):
        if state is None:
            return np.zeros((x.shape[1], self.hidden_size), dtype=x.dtype)
        return state

    def _check_x(self, x):
        x = _check_input(self, x, 3, "(T, N, D)")
        _check_size(self, x, 2, self.input_size, "input features (input_size)")
        return x

    def _weights(self):
        return self.params["weight_ih_l0"].T, self.params["weight_hh_l0"].T

    def _accumulate_weights(self, grads):
        self._accumulate("weight_ih_l0", grads["U"].T)
        self._accumulate("weight_hh_l0", grads["W"].T)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"


class RNN(_Recurrent):
    """Vanilla RNN over :func:`lecturelib.recurrent.rnn_forward`, as ``torch.nn.RNN``.

    ``h[t] = tanh(x[t] @ U + h[t-1] @ W + b)`` with the lecture's single
    bias ``b = bias_ih_l0 + bias_hh_l0`` (PyTorch keeps two; only their sum
    matters). nonlinearity: "tanh" or "relu".

    >>> layer = RNN(3, 5, rng=0)
    >>> h = layer.forward(np.ones((4, 2, 3)))
    >>> h.shape, layer.backward(np.ones_like(h)).shape
    ((4, 2, 5), (4, 2, 3))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        nonlinearity="tanh",
        rng=None,
        init="default",
        dtype=np.float64,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, rng, init, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x, h0=None):
        x = self._check_x(x)
        U, W = self._weights()
        b = self.params["bias_ih_l0"] + self.params["bias_hh_l0"]
        h, self.cache = rnn_forward(
            x, self._initial_state(h0, x), U, W, b, activation=self.nonlinearity
        )
        self.output_shape = h.shape
        return h

    def backward(self, grad_out, truncate=None):
        grads = rnn_backward(grad_out, self._saved("cache"), truncate=truncate)
        self._accumulate_weights(grads)
        self._accumulate("bias_ih_l0", grads["b"])
        self._accumulate("bias_hh_l0", grads["b"])
        self.grad_h0 = grads["h0"]
        return grads["x"]


class LSTM(_Recurrent):
    """LSTM over :func:`lecturelib.gated.lstm_forward`, as ``torch.nn.LSTM`` (gates i, f, g, o).

    forward(x, h0=None, c0=None) returns h (T, N, H); the cell states of the
    last call are in ``layer.cache["c"]``. After backward, ``grad_h0`` and
    ``grad_c0`` hold the gradients with respect to the initial states.

    >>> layer = LSTM(3, 4, rng=0)
    >>> layer.params["weight_ih_l0"].shape, layer.forward(np.ones((5, 2, 3))).shape
    ((16, 3), (5, 2, 4))
    """

    blocks = 4

    def forward(self, x, h0=None, c0=None):
        x = self._check_x(x)
        U, W = self._weights()
        b = self.params["bias_ih_l0"] + self.params["bias_hh_l0"]
        h, _, self.cache = lstm_forward(
            x, self._initial_state(h0, x), self._initial_state(c0, x), U, W, b
        )
        self.output_shape = h.shape
        return h

    def backward(self, grad_out):
        grads = lstm_backward(grad_out, self._saved("cache"))
        self._accumulate_weights(grads)
        self._accumulate("bias_ih_l0", grads["b"])
        self._accumulate("bias_hh_l0", grads["b"])
        self.grad_h0, self.grad_c0 = grads["h0"], grads["c0"]
        return grads["x"]


class GRU(_Recurrent):
    """GRU over :func:`lecturelib.gated.gru_forward`, as ``torch.nn.GRU`` (gates r, z, n).

    Unlike the RNN and LSTM, the GRU's two biases are not interchangeable
    (the reset gate scales ``h @ W_n + b_hn`` only), so they map one to one
    onto the function's b_x = bias_ih_l0 and b_h = bias_hh_l0.

    >>> layer = GRU(3, 4, rng=0)
    >>> layer.params["weight_hh_l0"].shape, layer.forward(np.ones((5, 2, 3))).shape
    ((12, 4), (5, 2, 4))
    """

    blocks = 3

    def forward(self, x, h0=None):
        x = self._check_x(x)
        U, W = self._weights()
        h, self.cache = gru_forward(
            x,
            self._initial_state(h0, x),
            U,
            W,
            self.params["bias_ih_l0"],
            self.params["bias_hh_l0"],
        )
        self.output_shape = h.shape
        return h

    def backward(self, grad_out):
        grads = gru_backward(grad_out, self._saved("cache"))
        self._accumulate_weights(grads)
        self._accumulate("bias_ih_l0", grads["b_x"])
        self._accumulate("bias_hh_l0", grads["b_h"])
        self.grad_h0 = grads["h0"]
        return grads["x"]


class LastStep(Layer):
    """Keep only the last step of a sequence: (T, N, H) -> (N, H).

    Puts a classifier after a recurrent layer ("many to one").

    >>> LastStep().forward(np.arange(6.0).reshape(3, 1, 2))
    array([[4., 5.]])
    """

    def __init__(self):
        super().__init__()
        self.input_shape = None

    def forward(self, x):
        x = _check_input(self, x, 3, "(T, N, H)")
        self.input_shape, self.dtype = x.shape, x.dtype
        self.output_shape = x.shape[1:]
        return x[-1].copy()

    def backward(self, grad_out):
        shape = self._saved("input_shape")
        grad_x = np.zeros(shape, dtype=self.dtype)
        grad_x[-1] = grad_out
        return grad_x


# --- a stack of layers --------------------------------------------------------------


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    ``parameters()`` lists every parameter with PyTorch's names ("0.weight"),
    ``state_dict()`` / ``load_state_dict()`` copy parameters and buffers in
    and out (the same keys as PyTorch's, so weights can be moved across).
    The repr shows each layer and, once a forward pass has run, its output
    shape.

    >>> model = Sequential(Conv2d(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool2d(2),
    ...                    Flatten(), Linear(64, 10, rng=1))
    >>> model.forward(np.zeros((2, 1, 8, 8))).shape
    (2, 10)
    >>> model
    Sequential(
      (0): Conv2d(1, 4, kernel_size=(3, 3), padding=(1, 1))  -> (2, 4, 8, 8)
      (1): ReLU()  -> (2, 4, 8, 8)
      (2): MaxPool2d(kernel_size=(2, 2), stride=(2, 2))  -> (2, 4, 4, 4)
      (3): Flatten()  -> (2, 64)
      (4): Linear(64, 10)  -> (2, 10)
    )
    >>> model.count_parameters()
    690
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be a Layer, got {type(layer).__name__}")
        self.layers = list(layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        self.output_shape = getattr(x, "shape", None)
        return x

    def backward(self, grad_out, input_grad=True):
        """Run every layer's backward in reverse; return the gradient for the input.

        With ``input_grad=False`` (what a training loop wants: nobody needs
        the gradient for the images) the pass stops once no layer below
        still learns: layers below the lowest trainable one, frozen or without
        parameters, are not visited at all, and None is returned.
        """
        layers = self.layers
        if not input_grad:
            learning = [i for i, layer in enumerate(layers) if layer.has_trainable_parameters()]
            layers = layers[learning[0] :] if learning else []
        for layer in reversed(layers):
            grad_out = layer.backward(grad_out)
        return grad_out if input_grad else None

    def freeze(self, layers=None) -> Sequential:
        """Freeze every layer, or the first ``layers`` of them (an int); returns self.

        ``model.freeze(3)`` freezes layers 0, 1 and 2, as fine-tuning does
        with the early, general layers of a network.

        >>> model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1)).freeze(2)
        >>> [layer.trainable for layer in model], model.has_trainable_parameters()
        ([False, False, True], True)
        """
        count = len(self.layers) if layers is None else as_int(layers, "layers", 0)
        if count > len(self.layers):
            raise ValueError(
                f"layers must be <= {len(self.layers)} (the model's length), got {count}"
            )
        for layer in self.layers[:count]:
            layer.freeze()
        if count == len(self.layers):
            self.trainable = False
        return self

    def unfreeze(self) -> Sequential:
        """Unfreeze every layer; returns self."""
        self.trainable = True
        for layer in self.layers:
            layer.unfreeze()
        return self

    def has_trainable_parameters(self) -> bool:
        return any(layer.has_trainable_parameters() for layer in self.layers)

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    def parameters(self) -> list[Parameter]:
        handles = []
        for i, layer in enumerate(self.layers):
            for handle in layer.parameters():
                handles.append(Parameter(f"{i}.{handle.name}", handle.layer, handle.key))
        return handles

    def count_parameters(self) -> int:
        return sum(p.value.size for p in self.parameters())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed as PyTorch's state_dict."""
        return {name: value.copy() for name, value in self._arrays().items()}

    def load_state_dict(self, state) -> None:
        """Copy values into the parameters and buffers in place (shapes must match)."""
        targets = self._arrays()
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(f"state keys do not match: missing {missing}, unexpected {unexpected}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"{name} must have shape {target.shape}, got {value.shape}")
            target[...] = value

    def _arrays(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer array itself (not a copy), by its state_dict key."""
        arrays = {}
        for i, layer in enumerate(self.layers):
            inner = (
                layer._arrays()
                if isinstance(layer, Sequential)
                else {**layer.params, **layer.buffers}
            )
            arrays.update({f"{i}.{name}": value for name, value in inner.items()})
        return arrays

    def __repr__(self) -> str:
        lines = []
        for i, layer in enumerate(self.layers):
            text = repr(layer).replace("\n", "\n  ")
            if layer.output_shape is not None and not isinstance(layer, Sequential):
                text += f"  -> {tuple(layer.output_shape)}"
            lines.append(f"  ({i}): {text}")
        return "Sequential(\n" + "\n".join(lines) + "\n)"


__all__ = [
    "Layer",
    "Parameter",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "RNN",
    "LSTM",
    "GRU",
    "LastStep",
    "Sequential",
]
