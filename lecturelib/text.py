"""Text as sequences: vocabularies, sampling, and a small character-level RNN
language model (its loss, the softmax cross-entropy over time, is in
:mod:`lecturelib.losses`).

The language model is the lecture's autocomplete example grown up: at step
t it reads one character x_t (one-hot), updates its state
``h_t = tanh(x_t U + h_{t-1} W + b)`` and predicts the next character with
``y_t = softmax(h_t V + c)``. Training minimises the cross-entropy summed
over time, ``L = sum_t -log y_t[target_t]``, with BPTT from ``recurrent.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._checks import as_generator, as_int, as_number, class_ids
from .data import verified_path
from .gradients import clip_grad_norm, clip_grad_value, global_norm
from .losses import softmax, softmax_cross_entropy
from .recurrent import (
    _activation,
    rnn_backward,
    rnn_forward,
    rnn_output_backward,
    rnn_output_forward,
)

# --- vocabulary --------------------------------------------------------------------


def one_hot(ids, size: int, dtype=np.float64) -> np.ndarray:
    """One-hot vectors for integer ids: shape ``ids.shape + (size,)``.

    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    size = as_int(size, "size", 1)
    ids = class_ids(ids, "ids", size)
    out = np.zeros(ids.shape + (size,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


class Vocabulary:
    """A numbered list of tokens: characters, or names such as "<stop>".

    ``Vocabulary(tokens)`` keeps the given order; ``Vocabulary.from_text``
    takes the distinct characters of a text in sorted order. ``encode`` turns
    a string (one token per character) or a list of tokens into ids,
    ``decode`` turns ids back into a string.

    >>> vocab = Vocabulary(["d", "e", "p", "<stop>"])     # the autocomplete example
    >>> vocab.encode(["d", "e", "e", "p", "<stop>"])
    array([0, 1, 1, 2, 3])
    >>> vocab.decode([0, 1, 1, 2])
    'deep'
    >>> vocab.one_hot(vocab.encode("dep"))
    array([[1., 0., 0., 0.],
           [0., 1., 0., 0.],
           [0., 0., 1., 0.]])
    """

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise TypeError("tokens must be a non-empty list of non-empty strings")
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens must not repeat")
        self.tokens = tokens
        self.index = {token: i for i, token in enumerate(tokens)}

    @classmethod
    def from_text(cls, text: str, extra: Sequence[str] = ()) -> Vocabulary:
        """The sorted distinct characters of ``text``, then the ``extra`` tokens.

        >>> Vocabulary.from_text("deep", extra=["<stop>"]).tokens
        ['d', 'e', 'p', '<stop>']
        """
        if not isinstance(text, str) or not text:
            raise TypeError("text must be a non-empty string")
        return cls(sorted(set(text)) + list(extra))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def size(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        shown = ", ".join(repr(t) for t in self.tokens[:8])
        more = ", ..." if len(self.tokens) > 8 else ""
        return f"Vocabulary({len(self)} tokens: {shown}{more})"

    def encode(self, tokens) -> np.ndarray:
        """Ids of a string (one token per character) or of a list of tokens."""
        if not isinstance(tokens, str | list | tuple):
            raise TypeError(
                f"tokens must be a string or a list of tokens, got {type(tokens).__name__}"
            )
        try:
            return np.array([self.index[t] for t in tokens], dtype=np.intp)
        except KeyError as error:
            raise ValueError(f"token {error.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The string spelled by a sequence of ids."""
        ids = class_ids(ids, "ids", len(self))
        return "".join(self.tokens[i] for i in ids.reshape(-1))

    def one_hot(self, ids, dtype=np.float64) -> np.ndarray:
        """One-hot vectors, shape ``ids.shape + (len(self),)``."""
        return one_hot(ids, len(self), dtype)


# --- sampling -------------------------------------------------------------------------


def sample_sequence(
    model,
    start,
    length: int,
    temperature: float = 1.0,
    greedy: bool = False,
    rng=None,
    state=None,
) -> np.ndarray:
    """Generate ``length`` tokens from a model, feeding each choice back in.

    ``model``: an object with ``step(token, state) -> (logits, state)`` and
    ``initial_state()`` (such as ``CharRNN``), or such a step function
    itself (``state`` then starts as the given ``state``, default None).
    ``start``: a token id or a sequence of ids that primes the model; the
    prediction after the last of them is the first generated token.
    Each next token is drawn from ``softmax(logits / temperature)``
    (temperature > 0: low is careful, high is adventurous) or, with
    ``greedy=True``, is the most likely one. Returns the generated ids,
    (length,), without the start.

    >>> def step(token, state):          # always predicts "token + 1"
    ...     logits = np.full(4, -50.0)
    ...     logits[(token + 1) % 4] = 50.0
    ...     return logits, state
    >>> sample_sequence(step, start=0, length=6, greedy=True)
    array([1, 2, 3, 0, 1, 2])
    """
    length = as_int(length, "length", 0)
    try:
        temperature = float(temperature)
    except (TypeError, ValueError):
        raise TypeError(f"temperature must be a number, got {temperature!r}") from None
    if not temperature > 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be finite and > 0, got {temperature}")
    if hasattr(model, "step"):
        step = model.step
        if state is None and hasattr(model, "initial_state"):
            state = model.initial_state()
    elif callable(model):
        step = model
    else:
        raise TypeError("model must have a step(token, state) method or be such a function")
    prime = np.atleast_1d(np.asarray(start))
    if prime.ndim != 1 or prime.size == 0 or not np.issubdtype(prime.dtype, np.integer):
        raise TypeError("start must be a token id or a non-empty sequence of token ids")
    rng = as_generator(rng)

    for token in prime[:-1]:
        _, state = step(int(token), state)
    token = int(prime[-1])
    generated = np.empty(length, dtype=np.intp)
    for position in range(length):
        logits, state = step(token, state)
        logits = np.asarray(logits, dtype=np.float64).reshape(-1)
        if greedy:
            token = int(np.argmax(logits))
        else:
            token = int(rng.choice(logits.size, p=softmax(logits / temperature)))
        generated[position] = token
    return generated


# --- a character-level RNN language model ------------------------------------------


class CharRNN:
    """A small character-level RNN language model, trained with BPTT.

    Parameters (``self.params``): U (V, H), W (H, H), b (H,), V (H, V),
    c (V,) for a vocabulary of V characters and H hidden units. Inputs are
    one-hot (T, N, V) built from integer ids (T, N) (or (T,) for a single
    sequence).

    ``train_step`` does one update and records the loss and the gradient
    norm *before* clipping in ``self.history``. When training diverges (too
    high a learning rate, no clipping) the loss becomes inf or NaN; this is
    recorded, without numpy warnings, so a notebook can show it.

    >>> text = "deep deep deep "
    >>> vocab = Vocabulary.from_text(text)
    >>> ids = vocab.encode(text)
    >>> model = CharRNN(len(vocab), hidden_size=8, rng=0)
    >>> first = model.train_step(ids[:-1], ids[1:], learning_rate=0.1)["loss"]
    >>> for _ in range(200):
    ...     result = model.train_step(ids[:-1], ids[1:], learning_rate=0.1, optimizer="adagrad")
    >>> result["loss"] < 0.1 * first
    True
    >>> vocab.decode(model.sample(vocab.encode("d"), 7, greedy=True))
    'eep dee'
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 100,
        rng=None,
        weight_scale: float = 0.01,
        activation: str = "tanh",
    ):
        vocab_size = as_int(vocab_size, "vocab_size", 1)
        hidden_size = as_int(hidden_size, "hidden_size", 1)
        activation = _activation(activation)
        rng = as_generator(rng)
        self.vocab_size, self.hidden_size, self.activation = vocab_size, hidden_size, activation
        self.params = {
            "U": rng.normal(size=(vocab_size, hidden_size)) * weight_scale,
            "W": rng.normal(size=(hidden_size, hidden_size)) * weight_scale,
            "b": np.zeros(hidden_size),
            "V": rng.normal(size=(hidden_size, vocab_size)) * weight_scale,
            "c": np.zeros(vocab_size),
        }
        self.adagrad_memory = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.history = {"loss": [], "grad_norm": []}

    def _rnn_params(self) -> dict:
        p = self.params
        return {"U": p["U"], "W": p["W"], "b": p["b"], "activation": self.activation}

    def initial_state(self, batch: int = 1) -> np.ndarray:
        """The zero state h_{-1}: (batch, H)."""
        return np.zeros((batch, self.hidden_size))

    def _ids(self, ids, name: str) -> np.ndarray:
        ids = class_ids(ids, name, self.vocab_size)
        if ids.ndim == 1:
            ids = ids[:, None]
        if ids.ndim != 2 or ids.shape[0] == 0:
            raise ValueError(f"{name} must be (T,) or (T, N) token ids, got shape {ids.shape}")
        return ids

    def loss_and_grads(self, inputs, targets, h0=None, truncate=None, reduction: str = "sum"):
        """Loss and gradients for one batch of sequences.

        inputs, targets: (T,) or (T, N) ids (targets usually the inputs
        shifted by one); h0: (N, H) or None for zeros. Returns
        ``(loss, grads, h_last)``: grads a dict like ``self.params``, h_last
        (N, H) to carry into the next chunk.
        """
        inputs = self._ids(inputs, "inputs")
        targets = self._ids(targets, "targets")
        if targets.shape != inputs.shape:
            raise ValueError(
                f"targets must have the shape of inputs {inputs.shape}, got {targets.shape}"
            )
        T, N = inputs.shape
        h0 = self.initial_state(N) if h0 is None else h0
        x = one_hot(inputs, self.vocab_size)  # (T, N, V)
        h, cache = rnn_forward(x, h0, **self._rnn_params())
        logits = rnn_output_forward(h, self.params["V"], self.params["c"])
        loss, grad_logits = softmax_cross_entropy(logits, targets, reduction)
        out = rnn_output_backward(grad_logits, h, self.params["V"])
        inner = rnn_backward(out["h"], cache, truncate=truncate)
        grads = {"U": inner["U"], "W": inner["W"], "b": inner["b"], "V": out["V"], "c": out["c"]}
        return loss, grads, h[-1]

    def train_step(
        self,
        inputs,
        targets,
        h0=None,
        learning_rate: float = 0.1,
        clip: str | None = None,
        threshold: float = 5.0,
        optimizer: str = "sgd",
        truncate=None,
        reduction: str = "sum",
    ) -> dict:
        """One gradient step. Returns {"loss", "grad_norm", "h"}.

        ``clip``: None, "norm" (rescale all gradients together when their
        global L2 norm exceeds ``threshold``) or "value" (clip every entry
        to [-threshold, threshold]). ``optimizer``: "sgd"
        (p -= lr g) or "adagrad" (p -= lr g / sqrt(sum of past g^2 + 1e-8)).
        "grad_norm" is the global norm before clipping. Appends the loss and
        the norm to ``self.history``.
        """
        if clip not in (None, "norm", "value"):
            raise ValueError(f"clip must be None, 'norm' or 'value', got {clip!r}")
        if optimizer not in ("sgd", "adagrad"):
            raise ValueError(f"optimizer must be 'sgd' or 'adagrad', got {optimizer!r}")
        learning_rate = as_number(learning_rate, "learning_rate", 0, finite=True)
        threshold = as_number(threshold, "threshold", 0, finite=True)
        # A diverging run produces inf and NaN on purpose; say nothing, record it.
        with np.errstate(all="ignore"):
            loss, grads, h_last = self.loss_and_grads(inputs, targets, h0, truncate, reduction)
            if clip == "norm":
                norm = clip_grad_norm(grads, threshold)
            else:
                norm = global_norm(grads)
                if clip == "value":
                    clip_grad_value(grads, threshold)
            for name, param in self.params.items():
                if optimizer == "adagrad":
                    memory = self.adagrad_memory[name]
                    memory += grads[name] ** 2
                    param -= learning_rate * grads[name] / np.sqrt(memory + 1e-8)
                else:
                    param -= learning_rate * grads[name]
        self.history["loss"].append(loss)
        self.history["grad_norm"].append(norm)
        return {"loss": loss, "grad_norm": norm, "h": h_last}

    def train(self, ids, steps: int, seq_length: int = 25, batch_size: int = 1, **step_options):
        """Train on a long id sequence, chunk by chunk, carrying the state (truncated BPTT).

        The sequence is cut into ``batch_size`` equal tracks read side by side;
        each step takes the next ``seq_length`` ids of every track (targets:
        the ids one further) and starts from the last step's state; at the
        end of the tracks the state is reset and reading starts again.
        ``step_options`` go to ``train_step``. Returns ``self.history``.
        """
        ids = class_ids(ids, "ids", self.vocab_size).reshape(-1)
        steps = as_int(steps, "steps", 0)
        seq_length = as_int(seq_length, "seq_length", 1)
        batch_size = as_int(batch_size, "batch_size", 1)
        track = (ids.size - 1) // batch_size
        if track < seq_length:
            raise ValueError(
                f"ids are too short: {ids.size} ids give tracks of {track} for batch_size "
                f"{batch_size}, fewer than seq_length {seq_length} + 1"
            )
        inputs_all = ids[: track * batch_size].reshape(batch_size, track).T  # (track, N)
        targets_all = ids[1 : track * batch_size + 1].reshape(batch_size, track).T
        position, h = 0, None
        for _ in range(steps):
            if position + seq_length > track:
                position, h = 0, None
            chunk = slice(position, position + seq_length)
            h = self.train_step(inputs_all[chunk], targets_all[chunk], h0=h, **step_options)["h"]
            position += seq_length
        return self.history

    def step(self, token: int, state=None):
        """One step of generation: read ``token``, return ``(logits (V,), new state (1, H))``."""
        token = int(class_ids(token, "token", self.vocab_size))
        state = self.initial_state(1) if state is None else state
        x = one_hot([[token]], self.vocab_size)  # (T=1, N=1, V)
        with np.errstate(all="ignore"):
            h, _ = rnn_forward(x, state, **self._rnn_params())
            logits = rnn_output_forward(h, self.params["V"], self.params["c"])
        return logits[0, 0], h[0]

    def sample(self, start, length: int, temperature: float = 1.0, greedy: bool = False, rng=None):
        """Generate ``length`` ids after priming with ``start`` (see ``sample_sequence``)."""
        return sample_sequence(self, start, length, temperature, greedy, rng)


# --- the corpus ------------------------------------------------------------------------

CORPORA = ("tiny_corpus.txt",)


def load_corpus(name: str = "tiny_corpus.txt") -> str:
    """The text of a corpus file in data/corpus/ (written for this project, CC0).

    ``tiny_corpus.txt``: about 4 KB of short original sentences on
    sequences and learning, in 32 lower-case characters, including the
    lecture's "deep". Its SHA-256 is checked against
    ``lecturelib.data.CHECKSUMS``, like every shipped file.

    >>> text = load_corpus()
    >>> len(text), text[:4]
    (3965, 'deep')
    """
    if name not in CORPORA:
        raise ValueError(f"name must be one of {sorted(CORPORA)}, got {name!r}")
    return verified_path(f"corpus/{name}").read_text(encoding="utf-8")


__all__ = [
    "Vocabulary",
    "one_hot",
    "sample_sequence",
    "CharRNN",
    "load_corpus",
    "CORPORA",
]
