"""How deep networks were first trained: autoencoders, RBMs, greedy layer-wise pretraining.

Before good initialisations and ReLUs, a deep sigmoid network trained from
random weights with backpropagation alone often ended up worse than a
shallow one. The fix of 2006-2007 (Hinton et al.; Bengio et al.) was to
train the layers one at a time, without labels, each to model its own
input, and only then to train the whole stack with labels (fine-tuning).
This module holds the pieces of that recipe:

- :class:`Autoencoder`: encoder ``Linear + Sigmoid`` to a small code, decoder
  ``Linear + Sigmoid`` back to the input, trained to reproduce its input
  under the mean squared error (:func:`train_autoencoder`);
- :class:`RBM`: a restricted Boltzmann machine with binary units, its two
  conditional probabilities, free energy and contrastive divergence
  (:meth:`RBM.contrastive_divergence`, :func:`train_rbm`);
- :func:`pretrain_greedy`: stack either of them layer by layer into an
  encoder, and :func:`classifier_on` / :func:`sigmoid_mlp` to put a
  classifier on top of a pretrained encoder or of random weights.

Convention: rows are examples, as everywhere in lecturelib. An RBM's weight
is (D, H), visible by hidden, so ``x @ weight`` feeds the hidden units. The
lecture writes the same model with a (H, D) matrix, ``sum_j W_ij x_j``: our
``weight`` is the lecture's W transposed (``weight[j, i] = W_ij``).

>>> x = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(float)
>>> model = Autoencoder(6, 3, rng=0)
>>> model.forward(x).shape, model.encode(x).shape
((40, 6), (40, 3))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._checks import as_array, as_generator, as_int, as_number
from ..losses import mse
from .layers import Linear, Sequential, Sigmoid
from .loop import History, fit
from .optim import Adam

# --- a helper -----------------------------------------------------------------------------


def sigmoid(z) -> np.ndarray:
    """1 / (1 + exp(-z)), without overflow for large |z|; keeps float32.

    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    z = as_array(z, "z")
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def _features(x, name: str, features: int | None = None) -> np.ndarray:
    x = as_array(x, name, 2)
    if features is not None and x.shape[1] != features:
        raise ValueError(f"{name} must have {features} features per row, got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one example, got shape {x.shape}")
    return x


def _copy_linear(layer: Linear) -> Linear:
    """A new Linear layer holding copies of ``layer``'s weight and bias."""
    weight = layer.params["weight"]
    copy = Linear(
        layer.in_features, layer.out_features, "bias" in layer.params, rng=0, dtype=weight.dtype
    )
    for name, value in layer.params.items():
        copy.params[name][...] = value
    return copy


# --- autoencoder ----------------------------------------------------------------------------


class Autoencoder(Sequential):
    """x (N, D) -> code (N, K) -> reconstruction (N, D), trained to give back x.

    encoder: ``Linear(D, K)`` then ``Sigmoid``, so the code is
    ``a = sigmoid(x @ W_enc.T + b_enc)`` (the lecture's ``a = f(W x + b)``);
    decoder: ``Linear(K, D)`` then ``Sigmoid``, so reconstructions lie in
    (0, 1) like the digit images. With K < D the code is a bottleneck: the
    network must keep what varies most in its inputs.

    The weights are untied: the decoder has its own (D, K) weight rather
    than the encoder's transpose. That keeps every layer an ordinary Linear
    layer with one owner of each parameter (tied weights would need a
    shared parameter and the sum of two gradients); with a sigmoid decoder
    and a small code it reconstructs as well. The encoder's rows,
    ``filters()`` (K, D), are what each code unit looks for in the input.

    It is a :class:`Sequential` of two Sequentials (encoder, decoder), so
    ``forward``, ``backward``, ``parameters()``, optimisers and ``fit`` work
    as for any model; train it with :func:`train_autoencoder` or
    ``fit(model, mse, optimiser, (x, x))``. ``init`` is passed to both
    Linear layers: PyTorch's default U(+-1/sqrt(fan_in)). (With the larger
    Xavier weights, a code of two sigmoid units on the digits saturates at
    once and never learns: both units give the same value for every image.)

    >>> model = Autoencoder(4, 2, rng=0)
    >>> [(p.name, p.value.shape) for p in model.parameters()]
    [('0.0.weight', (2, 4)), ('0.0.bias', (2,)), ('1.0.weight', (4, 2)), ('1.0.bias', (4,))]
    >>> x = np.eye(4)
    >>> loss, grad = mse(model.forward(x), x)
    >>> model.backward(grad).shape
    (4, 4)
    """

    def __init__(self, in_features, code_size, rng=None, init="default", dtype=np.float64):
        in_features = as_int(in_features, "in_features", 1)
        code_size = as_int(code_size, "code_size", 1)
        generator = as_generator(rng)
        encoder = Sequential(
            Linear(in_features, code_size, rng=generator, init=init, dtype=dtype), Sigmoid()
        )
        decoder = Sequential(
            Linear(code_size, in_features, rng=generator, init=init, dtype=dtype), Sigmoid()
        )
        super().__init__(encoder, decoder)
        self.in_features, self.code_size = in_features, code_size

    @property
    def encoder(self) -> Sequential:
        return self.layers[0]

    @property
    def decoder(self) -> Sequential:
        return self.layers[1]

    def encode(self, x) -> np.ndarray:
        """The code (N, K) of x (N, D), without touching what backward needs."""
        x = _features(x, "x", self.in_features)
        return sigmoid(x @ self.encoder[0].params["weight"].T + self.encoder[0].params["bias"])

    def reconstruct(self, x) -> np.ndarray:
        """decode(encode(x)): (N, D), values in (0, 1)."""
        decoder = self.decoder[0]
        code = self.encode(x)
        return sigmoid(code @ decoder.params["weight"].T + decoder.params["bias"])

    def reconstruction_error(self, x) -> float:
        """Mean squared error between x (N, D) and its reconstruction."""
        x = _features(x, "x", self.in_features)
        return mse(self.reconstruct(x), x)[0]

    def filters(self) -> np.ndarray:
        """The encoder's weight (K, D): row k is what code unit k responds to."""
        return self.encoder[0].params["weight"].copy()

    def __repr__(self) -> str:
        return f"Autoencoder({self.in_features} -> {self.code_size} -> {self.in_features})"


def train_autoencoder(
    autoencoder: Autoencoder, x, epochs=20, lr=0.01, batch_size=32, rng=None
) -> History:
    """Train ``autoencoder`` to reproduce x (N, D): Adam on the mean squared error.

    No labels are used: the targets are the inputs themselves. Returns the
    :func:`lecturelib.training.loop.fit` History (train_loss: the reconstruction
    error of every epoch, averaged over its mini-batches).

    >>> x = (np.random.default_rng(0).random((64, 8)) < 0.3).astype(float)
    >>> model = Autoencoder(8, 4, rng=0)
    >>> history = train_autoencoder(model, x, epochs=30, lr=0.03, rng=0)
    >>> bool(history.train_loss[-1] < history.train_loss[0])
    True
    """
    if not isinstance(autoencoder, Autoencoder):
        raise TypeError(f"autoencoder must be an Autoencoder, got {type(autoencoder).__name__}")
    x = _features(x, "x", autoencoder.in_features)
    lr = as_number(lr, "lr", above=0)
    optimiser = Adam(autoencoder, lr=lr)
    return fit(autoencoder, mse, optimiser, (x, x), batch_size, epochs, rng=rng, progress=False)


# --- restricted Boltzmann machine --------------------------------------------------------------


class RBM:
    """A restricted Boltzmann machine with D binary visible and H binary hidden units.

    Parameters (in ``params``): weight (D, H), visible_bias b (D,),
    hidden_bias c (H,). In the row-vector convention of the course (rows
    are examples; the lecture's W is our weight transposed):

    - energy ``E(x, h) = -x b - h c - x W h^T`` and ``P(x, h) ~ exp(-E(x, h))``
      (the lecture's ``exp(h^T W x + b^T x + c^T h)``);
    - ``P(h_i = 1 | x) = sigmoid(c_i + (x W)_i)``: :meth:`hidden_probabilities`;
    - ``P(x_j = 1 | h) = sigmoid(b_j + (h W^T)_j)``: :meth:`visible_probabilities`.

    No connections within a layer ("restricted"), so given one layer the
    units of the other are independent and both conditionals factorise.

    Weights start as N(0, 0.01^2), biases at zero (Hinton's practical guide).

    >>> rbm = RBM(3, 2, rng=0)
    >>> rbm.params["weight"][...] = [[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]]
    >>> rbm.hidden_probabilities(np.array([[1.0, 1.0, 0.0]]))  # sigmoid([1, 2])
    array([[0.73105858, 0.88079708]])
    >>> rbm.visible_probabilities(np.array([[1.0, 0.0]]))  # sigmoid([1, 0, -1])
    array([[0.73105858, 0.5       , 0.26894142]])
    """

    def __init__(self, visible, hidden, rng=None, dtype=np.float64):
        self.visible = as_int(visible, "visible", 1)
        self.hidden = as_int(hidden, "hidden", 1)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        generator = as_generator(rng)
        self.params = {
            "weight": (0.01 * generator.standard_normal((self.visible, self.hidden))).astype(dtype),
            "visible_bias": np.zeros(self.visible, dtype),
            "hidden_bias": np.zeros(self.hidden, dtype),
        }

    # the two conditionals -------------------------------------------------------------

    def hidden_probabilities(self, x) -> np.ndarray:
        """P(h = 1 | x) = sigmoid(c + x W): x (N, D) -> (N, H)."""
        x = _features(x, "x", self.visible)
        return sigmoid(self.params["hidden_bias"] + x @ self.params["weight"])

    def visible_probabilities(self, h) -> np.ndarray:
        """P(x = 1 | h) = sigmoid(b + h W^T): h (N, H) -> (N, D)."""
        h = _features(h, "h", self.hidden)
        return sigmoid(self.params["visible_bias"] + h @ self.params["weight"].T)

    def sample_hidden(self, x, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """(P(h = 1 | x), a binary sample of h drawn from it), both (N, H)."""
        probabilities = self.hidden_probabilities(x)
        states = as_generator(rng).random(probabilities.shape) < probabilities
        return probabilities, states.astype(probabilities.dtype)

    # energy and free energy ---------------------------------------------------------------

    def energy(self, x, h) -> np.ndarray:
        """E(x, h) = -x b - h c - x W h^T for each row: x (N, D), h (N, H) -> (N,)."""
        x = _features(x, "x", self.visible)
        h = _features(h, "h", self.hidden)
        if len(x) != len(h):
            raise ValueError(f"x and h must have as many rows, got {len(x)} and {len(h)}")
        interaction = np.sum((x @ self.params["weight"]) * h, axis=1)
        return -(x @ self.params["visible_bias"] + h @ self.params["hidden_bias"] + interaction)

    def free_energy(self, x) -> np.ndarray:
        """F(x) = -x b - sum_i log(1 + exp(c_i + (x W)_i)): x (N, D) -> (N,).

        Summing the hidden units out: P(x) ~ exp(-F(x)), so a low free energy
        means the model finds x likely.
        """
        x = _features(x, "x", self.visible)
        pre_activation = self.params["hidden_bias"] + x @ self.params["weight"]
        softplus = np.logaddexp(0.0, pre_activation)  # log(1 + e^z), stable
        return -(x @ self.params["visible_bias"]) - softplus.sum(axis=1)

    def free_energy_gradients(self, x) -> dict[str, np.ndarray]:
        """Gradients of mean_n F(x_n) with respect to every parameter.

        With p = P(h = 1 | x) (N, H): dF/dW = -x^T p / N, dF/db = -mean x,
        dF/dc = -mean p (the derivative of softplus is the sigmoid).
        """
        x = _features(x, "x", self.visible)
        p = self.hidden_probabilities(x)
        n = len(x)
        return {
            "weight": -(x.T @ p) / n,
            "visible_bias": -x.sum(axis=0) / n,
            "hidden_bias": -p.sum(axis=0) / n,
        }

    # learning ---------------------------------------------------------------------------------

    def gibbs_chain(self, x, k=1, rng=None) -> np.ndarray:
        """Run k steps of block Gibbs sampling from x (N, D); return the last visible (N, D).

        Each step samples binary hidden states from P(h | x), then takes the
        visible probabilities P(x = 1 | h) as the next x (the usual choice
        for grey-level data such as the digits: less sampling noise).
        """
        k = as_int(k, "k", 1)
        generator = as_generator(rng)
        for _ in range(k):
            _, h = self.sample_hidden(x, generator)
            x = self.visible_probabilities(h)
        return x

    def contrastive_divergence(self, x, k=1, rng=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """CD-k gradients for a batch x (N, D): (gradients, negative samples x_k (N, D)).

        The log-likelihood gradient is the data's statistics minus the
        model's; CD-k replaces the model's (an intractable sum) by those of
        x_k, a k-step Gibbs chain started at the data. As a gradient to
        descend: grad = dF/dtheta at the data - dF/dtheta at x_k (x_k held
        fixed), i.e. for the weight ``-(x^T P(h|x) - x_k^T P(h|x_k)) / N``:
        lower the free energy of the data, raise that of the reconstructions.
        """
        x = _features(x, "x", self.visible)
        negative = self.gibbs_chain(x, k, rng)
        positive_grads = self.free_energy_gradients(x)
        negative_grads = self.free_energy_gradients(negative)
        grads = {name: positive_grads[name] - negative_grads[name] for name in self.params}
        return grads, negative

    def step(self, x, lr=0.1, k=1, rng=None) -> None:
        """One CD-k update on the batch x (N, D): theta -= lr * CD gradient."""
        lr = as_number(lr, "lr", above=0)
        grads, _ = self.contrastive_divergence(x, k, rng)
        for name, grad in grads.items():
            self.params[name] -= (lr * grad).astype(self.params[name].dtype, copy=False)

    def reconstruction_error(self, x) -> float:
        """Mean squared error between x and P(x = 1 | h = P(h = 1 | x)): a monitor, not the loss.

        CD does not minimise any function exactly; this number (deterministic,
        no sampling) falls while the RBM learns to model its data.
        """
        x = _features(x, "x", self.visible)
        reconstruction = self.visible_probabilities(self.hidden_probabilities(x))
        return float(np.mean((x - reconstruction) ** 2))

    def filters(self) -> np.ndarray:
        """The weights into each hidden unit, (H, D): what each unit looks for."""
        return self.params["weight"].T.copy()

    def to_linear(self) -> Linear:
        """A Linear(D, H) layer computing c + x W; followed by Sigmoid it gives P(h = 1 | x).

        This is how a trained RBM initialises a layer of a deep network.
        """
        weight = self.params["weight"]
        layer = Linear(self.visible, self.hidden, rng=0, dtype=weight.dtype)
        layer.params["weight"][...] = weight.T
        layer.params["bias"][...] = self.params["hidden_bias"]
        return layer

    def __repr__(self) -> str:
        return f"RBM(visible={self.visible}, hidden={self.hidden})"


def train_rbm(rbm: RBM, x, epochs=10, lr=0.1, batch_size=20, k=1, rng=None) -> list[float]:
    """Train ``rbm`` on x (N, D) with CD-k on shuffled mini-batches.

    Returns the reconstruction error (:meth:`RBM.reconstruction_error` on
    the whole of x) before training and after every epoch: epochs + 1 numbers.

    >>> x = np.repeat([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]], 20, axis=0)
    >>> errors = train_rbm(RBM(4, 2, rng=0), x, epochs=30, lr=1.0, rng=0)
    >>> round(errors[0], 2), bool(errors[-1] < 0.01)
    (0.25, True)
    """
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm must be an RBM, got {type(rbm).__name__}")
    x = _features(x, "x", rbm.visible)
    epochs = as_int(epochs, "epochs", 0)
    batch_size = as_int(batch_size, "batch_size", 1)
    k = as_int(k, "k", 1)
    lr = as_number(lr, "lr", above=0)
    generator = as_generator(rng)
    errors = [rbm.reconstruction_error(x)]
    for _ in range(epochs):
        order = generator.permutation(len(x))
        for start in range(0, len(x), batch_size):
            rbm.step(x[order[start : start + batch_size]], lr, k, generator)
        errors.append(rbm.reconstruction_error(x))
    return errors


# --- greedy layer-wise pretraining ---------------------------------------------------------------


@dataclass
class Pretrained:
    """What :func:`pretrain_greedy` returns.

    encoder: Sequential(Linear, Sigmoid, Linear, Sigmoid, ...), fresh copies
    of the trained layers (fine-tuning it leaves ``layers`` untouched);
    layers: the trained Autoencoders or RBMs, first layer first;
    errors: each layer's reconstruction error per epoch (its own input).
    """

    encoder: Sequential
    layers: list = field(default_factory=list)
    errors: list[list[float]] = field(default_factory=list)


METHODS = ("autoencoder", "rbm")


def pretrain_greedy(
    x, code_sizes, method="autoencoder", epochs=20, lr=None, batch_size=32, rng=None
) -> Pretrained:
    """Greedy layer-wise unsupervised pretraining of a sigmoid encoder.

    x: (N, D) unlabelled inputs in [0, 1]. code_sizes: the widths of the
    encoder's layers, e.g. (32, 16) for D -> 32 -> 16. Layer 1 is trained
    alone on x (an :class:`Autoencoder`, or an :class:`RBM` with CD-1);
    then it is fixed, x is mapped to its codes, and layer 2 is trained alone
    on those codes; and so on. Returns :class:`Pretrained` whose encoder
    stacks the trained layers' encoding halves (``Linear + Sigmoid``).
    lr defaults to 0.01 (Adam, autoencoders) or 0.1 (CD-1, RBMs).

    >>> x = (np.random.default_rng(0).random((50, 12)) < 0.3).astype(float)
    >>> result = pretrain_greedy(x, (6, 3), epochs=2, rng=0)
    >>> result.encoder.forward(x).shape, [len(e) for e in result.errors]
    ((50, 3), [2, 2])
    """
    x = _features(x, "x")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not isinstance(code_sizes, list | tuple) or len(code_sizes) == 0:
        raise ValueError(f"code_sizes must be a non-empty list of layer widths, got {code_sizes!r}")
    sizes = [as_int(size, f"code_sizes[{i}]", 1) for i, size in enumerate(code_sizes)]
    epochs = as_int(epochs, "epochs", 1)
    generator = as_generator(rng)
    result = Pretrained(encoder=Sequential())
    inputs = x
    for size in sizes:
        if method == "autoencoder":
            layer = Autoencoder(inputs.shape[1], size, rng=generator, dtype=x.dtype)
            history = train_autoencoder(
                layer, inputs, epochs, 0.01 if lr is None else lr, batch_size, generator
            )
            errors = history.train_loss
            linear = _copy_linear(layer.encoder[0])
        else:
            layer = RBM(inputs.shape[1], size, rng=generator, dtype=x.dtype)
            errors = train_rbm(
                layer, inputs, epochs, 0.1 if lr is None else lr, batch_size, 1, generator
            )[1:]
            linear = layer.to_linear()
        result.layers.append(layer)
        result.errors.append(list(errors))
        result.encoder.layers += [linear, Sigmoid()]
        inputs = sigmoid(inputs @ linear.params["weight"].T + linear.params["bias"])
    return result


# --- classifiers on top ---------------------------------------------------------------------------


def sigmoid_mlp(sizes, classes, rng=None, dtype=np.float64) -> Sequential:
    """A classifier with sigmoid hidden layers: sizes (D, H1, ..., Hm) -> classes scores.

    Linear(D, H1), Sigmoid, ..., Linear(Hm, classes), PyTorch's default
    initialisation: the network "without pretraining" of the lecture's
    table. ``sizes=(D,)`` gives a linear classifier.

    >>> model = sigmoid_mlp((64, 32, 16), 10, rng=0)
    >>> model.forward(np.zeros((2, 64))).shape, len(model)
    ((2, 10), 5)
    """
    if not isinstance(sizes, list | tuple) or len(sizes) == 0:
        raise ValueError(f"sizes must list the input width and hidden widths, got {sizes!r}")
    sizes = [as_int(size, f"sizes[{i}]", 1) for i, size in enumerate(sizes)]
    classes = as_int(classes, "classes", 2)
    generator = as_generator(rng)
    layers = []
    for width_in, width_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(width_in, width_out, rng=generator, dtype=dtype), Sigmoid()]
    layers.append(Linear(sizes[-1], classes, rng=generator, dtype=dtype))
    return Sequential(*layers)


def classifier_on(encoder: Sequential, classes, rng=None) -> Sequential:
    """Copies of the encoder's layers, then a new Linear head to ``classes`` scores.

    The pretrained weights are the starting point of supervised
    fine-tuning; the encoder passed in is not changed by training the
    result. Freeze the copied layers (``model.freeze(len(encoder))``) to
    train the head alone.

    >>> encoder = Sequential(Linear(4, 3, rng=0), Sigmoid())
    >>> model = classifier_on(encoder, 2, rng=1)
    >>> model.forward(np.ones((5, 4))).shape, np.array_equal(model[0].params["weight"],
    ...                                                       encoder[0].params["weight"])
    ((5, 2), True)
    """
    if not isinstance(encoder, Sequential) or len(encoder) == 0:
        raise TypeError("encoder must be a non-empty Sequential (such as Pretrained.encoder)")
    classes = as_int(classes, "classes", 2)
    layers = []
    width = None
    for layer in encoder:
        if isinstance(layer, Linear):
            layers.append(_copy_linear(layer))
            width = layer.out_features
        elif isinstance(layer, Sigmoid):
            layers.append(Sigmoid())
        else:
            raise TypeError(f"encoder layers must be Linear or Sigmoid, got {type(layer).__name__}")
    if width is None:
        raise ValueError("encoder has no Linear layer")
    dtype = layers[0].params["weight"].dtype
    layers.append(Linear(width, classes, rng=as_generator(rng), dtype=dtype))
    return Sequential(*layers)


__all__ = [
    "sigmoid",
    "Autoencoder",
    "train_autoencoder",
    "RBM",
    "train_rbm",
    "Pretrained",
    "pretrain_greedy",
    "sigmoid_mlp",
    "classifier_on",
]
