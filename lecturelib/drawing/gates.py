"""Pictures for the gated-cell notebook: the three-slot whiteboard and gate heat maps.

The lecture motivates gated cells with a whiteboard that holds only three
statements: to compute something long on it you must choose what to write,
what to erase and what to read, which is what the LSTM's input, forget and
output gates do for its memory cell. :class:`Whiteboard` plays that game step
by step and :func:`draw_whiteboard` draws its history.

:class:`GateHeatmaps` shows the gate activations a cell computed over one
sequence (units down, time steps across), updated in place so an
interactive panel stays fast. Gate values lie in [0, 1] and use a sequential
map; the memory (the LSTM's c, the GRU's h) is signed and uses the
diverging map centred on zero. :class:`GatesPanel` is the notebook's
interactive panel around them (the notebook supplies the forward pass).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from .._checks import as_array, as_int
from . import figures as viz
from .figures import ACCENT, DIVERGING, HIGHLIGHT, INPUT, KERNEL, MUTED, OUTPUT, PADDING
from .panel import Panel

# --- the whiteboard ------------------------------------------------------------------


class Whiteboard:
    """A board with a fixed number of slots, each holding one named value.

    ``write`` puts a statement in the first free slot (a full board refuses),
    ``erase`` frees a slot, ``read`` looks a value up. Every action is
    recorded in ``history`` as ``(action, slots)``, where ``slots`` is a
    tuple of ``(name, value)`` or None per slot, so the sequence of boards
    can be drawn; ``written`` maps every name ever written to its value.

    >>> board = Whiteboard(slots=2)
    >>> board.write("ac", 5)
    >>> board.write("bd", 33)
    >>> board.write("ad", 11)
    Traceback (most recent call last):
    ...
    ValueError: the board is full (2 slots: ac, bd): erase something before writing ad
    >>> board.erase("bd")
    >>> board.write("ad", 11)
    >>> board.slots
    [('ac', 5), ('ad', 11)]
    """

    def __init__(self, slots: int = 3):
        self.size = as_int(slots, "slots", 1)
        self.slots: list[tuple[str, float] | None] = [None] * self.size
        self.history: list[tuple[str, tuple]] = []
        self.written: dict[str, object] = {}

    def _find(self, name: str) -> int:
        for index, slot in enumerate(self.slots):
            if slot is not None and slot[0] == name:
                return index
        held = ", ".join(s[0] for s in self.slots if s is not None) or "nothing"
        raise ValueError(f"{name} is not on the board (it holds {held})")

    def write(self, name: str, value) -> None:
        """Write ``name = value`` into the first free slot."""
        if not isinstance(name, str) or not name:
            raise TypeError("name must be a non-empty string")
        if any(slot is not None and slot[0] == name for slot in self.slots):
            raise ValueError(f"{name} is already on the board")
        if None not in self.slots:
            held = ", ".join(s[0] for s in self.slots)
            raise ValueError(
                f"the board is full ({self.size} slots: {held}): erase something before "
                f"writing {name}"
            )
        self.slots[self.slots.index(None)] = (name, value)
        self.written[name] = value
        self.history.append((f"write {name} = {value}", tuple(self.slots)))

    def erase(self, name: str) -> None:
        """Free the slot holding ``name``."""
        self.slots[self._find(name)] = None
        self.history.append((f"erase {name}", tuple(self.slots)))

    def read(self, name: str):
        """The value written under ``name``."""
        return self.slots[self._find(name)][1]


def whiteboard_example(a=1, b=3, c=5, d=11, slots: int = 3):
    """Compute ``ac(bd + a) + ad`` on a board of three slots, as in the lecture.

    Returns ``(board, result)``; ``board.history`` lists every write and
    erase. Erasing ``bd`` once ``bd + a`` is known is what frees the room:
    without forgetting, three slots are not enough.

    >>> board, result = whiteboard_example()
    >>> result
    181
    >>> [action for action, _ in board.history][:4]
    ['write ac = 5', 'write bd = 33', 'write bd + a = 34', 'erase bd']
    """
    board = Whiteboard(slots)
    board.write("ac", a * c)
    board.write("bd", b * d)
    board.write("bd + a", board.read("bd") + a)
    board.erase("bd")  # forget: bd is not needed any more
    board.write("ac(bd + a)", board.read("ac") * board.read("bd + a"))
    board.erase("ac")  # both factors have done their work
    board.erase("bd + a")
    board.write("ad", a * d)
    result = board.read("ac(bd + a)") + board.read("ad")
    board.write("result", result)
    return board, result


def draw_whiteboard(ax, board: Whiteboard, fontsize: float = 10):
    """Draw a board's history: one row per action, one column per slot.

    A value written in that action is green (the output colour), values
    kept from before are blue, a slot just erased is hatched grey.
    """
    steps = len(board.history)
    previous: tuple = (None,) * board.size
    for row, (action, slots) in enumerate(board.history):
        for col, slot in enumerate(slots):
            before = previous[col]
            if slot is None:
                face, text = (PADDING if before is not None else "white"), ""
                hatch = "//" if before is not None else None
            else:
                face = OUTPUT if slot != before else INPUT
                text, hatch = f"{slot[0]} = {slot[1]}", None
            ax.add_patch(
                Rectangle(
                    (col, row),
                    0.96,
                    0.9,
                    facecolor=face,
                    edgecolor="black",
                    hatch=hatch,
                    alpha=0.9 if slot is not None else 1.0,
                    lw=0.8,
                )
            )
            ax.text(col + 0.48, row + 0.45, text, ha="center", va="center", fontsize=fontsize)
        ax.text(-0.1, row + 0.45, action, ha="right", va="center", fontsize=fontsize)
        previous = slots
    ax.set_xlim(-2.6, board.size)
    ax.set_ylim(steps, -0.2)
    ax.set_xticks([i + 0.48 for i in range(board.size)])
    ax.set_xticklabels([f"slot {i + 1}" for i in range(board.size)])
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


# --- gate heat maps ------------------------------------------------------------------

#: The rows of the heat maps for each cell: (key, name). The rows line up by
#: role (``ROW_ROLES``): what is kept, what is written, what is read (for the
#: GRU: reset), and the memory itself. In the GRU, z keeps the old state and
#: 1 - z writes the new.
GATE_ROWS = {
    "lstm": (
        ("f", "forget gate f"),
        ("i", "input gate i"),
        ("o", "output gate o"),
        ("c", "cell state c"),
    ),
    "gru": (
        ("z", "update gate z"),
        ("1-z", "1 − z"),
        ("r", "reset gate r"),
        ("h", "hidden state h"),
    ),
}
ROW_ROLES = ("keep", "write", "read (LSTM) / reset (GRU)", "memory")

TOKEN_COLORS = (ACCENT, HIGHLIGHT, OUTPUT, KERNEL, "#CC79A7", INPUT)


def gate_traces(cache: dict, cell: str, sequence: int = 0) -> dict:
    """The heat-map rows of one sequence from an LSTM or GRU forward cache.

    ``cache``: from ``lstm_forward`` or ``gru_forward`` (or a layer's
    ``cache``), with "f", "i", "o", "c" or "z", "r", "h" of shape (T, N, H).
    Returns {key: (H, T)} for the rows of ``GATE_ROWS[cell]``, units down
    and time across.

    >>> from lecturelib import gru_forward
    >>> _, cache = gru_forward(np.zeros((3, 1, 2)), np.zeros((1, 4)), np.zeros((2, 12)),
    ...                        np.zeros((4, 12)), np.zeros(12), np.zeros(12))
    >>> traces = gate_traces(cache, "gru")
    >>> sorted(traces), traces["1-z"].shape, float(traces["1-z"][0, 0])
    (['1-z', 'h', 'r', 'z'], (4, 3), 0.5)
    """
    if cell not in GATE_ROWS:
        raise ValueError(f"cell must be one of {sorted(GATE_ROWS)}, got {cell!r}")
    sequence = as_int(sequence, "sequence", 0)
    traces = {}
    for key, _ in GATE_ROWS[cell]:
        source = "z" if key == "1-z" else key
        if source not in cache:
            raise TypeError(f"cache has no {source!r}: pass the cache of {cell}_forward")
        values = as_array(cache[source], source, ndim=3)
        if sequence >= values.shape[1]:
            raise ValueError(f"sequence {sequence} is not in a batch of {values.shape[1]}")
        values = values[:, sequence, :].T
        traces[key] = 1.0 - values if key == "1-z" else values
    return traces


class GateHeatmaps:
    """A strip of input tokens over four heat maps (``GATE_ROWS``), redrawn in place.

    ``figure``: an empty Figure (``viz.new_figure`` makes one; its axes are
    replaced). ``hidden``: units per map; ``max_steps``: the longest
    sequence; ``state_limits``: {cell: the |state| drawn at full colour},
    fixing the colour range of the memory row. Row titles name the role and
    both cells' quantity, so nothing but the artists in ``self.artists``
    (the images and the outlines) changes between updates, and a panel can
    redraw only those. Gates use the sequential map on [0, 1]; the memory
    row the diverging map centred on zero, from -limit to +limit. The first
    step, which holds the token to remember, is outlined.
    """

    def __init__(self, figure, hidden: int, max_steps: int, state_limits: dict, n_tokens: int = 4):
        self.hidden = as_int(hidden, "hidden", 1)
        self.max_steps = as_int(max_steps, "max_steps", 1)
        self.state_limits = {cell: max(float(v), 1e-6) for cell, v in state_limits.items()}
        figure.clear()
        axes = figure.subplots(5, 1, sharex=True, gridspec_kw={"height_ratios": [0.32, 1, 1, 1, 1]})
        self.token_ax, self.axes = axes[0], list(axes[1:])
        token_cmap = ListedColormap(TOKEN_COLORS[:n_tokens])
        token_cmap = token_cmap.with_extremes(bad="white")
        extent = (-0.5, self.max_steps - 0.5, self.hidden - 0.5, -0.5)
        self.token_image = self.token_ax.imshow(
            np.full((1, self.max_steps), np.nan),
            cmap=token_cmap,
            vmin=-0.5,
            vmax=n_tokens - 0.5,
            aspect="auto",
            extent=(-0.5, self.max_steps - 0.5, 0.5, -0.5),
        )
        self.token_ax.set_yticks([])
        self.token_ax.set_title("input tokens", fontsize=10, loc="left")
        self.token_ax.legend(
            [Rectangle((0, 0), 1, 1, facecolor=c) for c in TOKEN_COLORS[:n_tokens]],
            [chr(ord("A") + k) for k in range(n_tokens)],
            ncols=n_tokens,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=9,
            frameon=False,
            handlelength=1.0,
            columnspacing=1.0,
            borderaxespad=0.1,
        )
        gate_cmap = _with_bad("viridis")
        signed_cmap = _with_bad(DIVERGING)
        self.images, self.titles, self.marks = [], [], []
        for row, ax in enumerate(self.axes):
            signed = row == 3
            image = ax.imshow(
                np.full((self.hidden, self.max_steps), np.nan),
                aspect="auto",
                cmap=signed_cmap if signed else gate_cmap,
                vmin=-1.0 if signed else 0.0,
                vmax=1.0,
                interpolation="nearest",
                extent=extent,
            )
            ax.set_ylabel("unit")
            ax.set_yticks([0, self.hidden - 1])
            self.marks.append(
                ax.add_patch(
                    Rectangle(
                        (-0.5, -0.5),
                        1,
                        self.hidden,
                        fill=False,
                        edgecolor=HIGHLIGHT,
                        lw=2.0,
                        zorder=1.6,  # over the tick marks (1.5) it touches, which are not redrawn
                    )
                )
            )
            self.images.append(image)
            names = " / ".join(rows[row][1] for rows in GATE_ROWS.values())
            self.titles.append(ax.set_title(f"{ROW_ROLES[row]}: {names}", fontsize=10, loc="left"))
        self.marks.append(
            self.token_ax.add_patch(
                Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, lw=2.0, zorder=1.6)
            )
        )
        self.axes[-1].set_xlim(-0.5, self.max_steps - 0.5)
        self.axes[-1].set_xlabel("time step t")
        gate_bar = figure.colorbar(self.images[0], ax=self.axes[:3], shrink=0.8, pad=0.01)
        gate_bar.set_label("gate value")
        gate_bar.set_ticks([0, 0.5, 1])
        signed_bar = figure.colorbar(self.images[3], ax=self.axes[3], pad=0.01)
        signed_bar.set_ticks([-1, 0, 1])
        signed_bar.set_ticklabels(["−limit", "0", "+limit"])
        # Drawn in this order over the fixed background (the marks on top of the maps).
        self.artists = [self.token_image, *self.images, *self.marks]

    def show(self, cell: str, traces: dict, tokens) -> None:
        """Draw the traces of ``cell`` ("lstm" or "gru") for the token labels ``tokens``.

        ``traces``: from :func:`gate_traces`, each (hidden, T) with
        T <= max_steps; ``tokens``: T token ids (0 is A, 1 is B, ...),
        drawn as coloured cells with a legend.
        """
        if cell not in GATE_ROWS:
            raise ValueError(f"cell must be one of {sorted(GATE_ROWS)}, got {cell!r}")
        tokens = np.asarray(tokens).reshape(-1)
        steps = tokens.size
        if not 1 <= steps <= self.max_steps:
            raise ValueError(f"the sequence must have 1 to {self.max_steps} steps, got {steps}")
        limit = self.state_limits.get(cell, 1.0)
        for row, (image, (key, _)) in enumerate(zip(self.images, GATE_ROWS[cell])):
            values = np.asarray(traces[key], dtype=np.float64)
            if values.shape != (self.hidden, steps):
                raise ValueError(
                    f"{key} must be ({self.hidden}, {steps}) to match the tokens, "
                    f"got {values.shape}"
                )
            padded = np.full((self.hidden, self.max_steps), np.nan)
            padded[:, :steps] = values / limit if row == 3 else values
            image.set_data(padded)
        strip = np.full((1, self.max_steps), np.nan)
        strip[0, :steps] = tokens
        self.token_image.set_data(strip)


def _with_bad(name: str):
    """The named colour map with missing (NaN) cells drawn white."""
    return mpl.colormaps[name].with_extremes(bad="white")


def draw_gradient_norms(ax, norms: dict, colors=None, title: str | None = None, relative=False):
    """Plot ||dL/dh_t|| against t for several cells on a log scale.

    ``norms``: {label: (T,) array}, the loss reading the last step.
    ``relative=True`` divides each curve by its last entry, so curves of
    losses of different sizes compare how far back the gradient reaches.
    Labels "rnn", "lstm", "gru" (any case) get the collection's colours
    unless ``colors`` says otherwise. Zero entries are not drawn (log scale).
    """
    defaults = {"rnn": HIGHLIGHT, "lstm": ACCENT, "gru": OUTPUT}
    # Not by colour alone: each cell also has its own line style and marker,
    # and its name is written at the end of its curve.
    styles = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]
    colors = colors or {}
    for index, (label, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=np.float64)
        if relative:
            values = values / values[-1]
        steps = np.arange(values.size)
        shown = values > 0
        color = colors.get(label, defaults.get(str(label).lower(), KERNEL))
        linestyle, marker = styles[index % len(styles)]
        ax.semilogy(
            steps[shown],
            values[shown],
            linestyle=linestyle,
            marker=marker,
            ms=4,
            markevery=max(1, int(shown.sum()) // 10),
            lw=1.8,
            label=label,
            color=color,
        )
        if shown.any():
            first = int(np.flatnonzero(shown)[0])
            ax.annotate(
                str(label),
                (steps[first], values[first]),
                xytext=(-4, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                color=color,
                fontsize=9,
                fontweight="bold",
            )
    ax.set_xlabel("time step t (the loss reads the last step)")
    if relative:
        ax.set_ylabel(r"$\|\partial L / \partial h_t\|$ / last step's")
    else:
        ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", color=MUTED, alpha=0.3)
    return ax


# --- panel builders (plumbing-b): the notebook's panel, minus the lesson --------------------


class GatesPanel(Panel):
    """The gate panel of notebook 16: a trained cell's gates on one sequence, as heat maps.

    ``controls`` must hold ``cell`` ("lstm" or "gru"), ``sequence`` (a
    column of ``tokens``) and ``steps`` (the sequence length T).
    ``run_cell(cell, sequence, steps)`` is the lesson: it runs the first
    ``steps`` tokens of that sequence forward through the trained cell and
    returns ``(traces, probabilities)``, the :func:`gate_traces` of its cache
    and the answer's probabilities over the tokens. ``tokens``: (T_max,
    sequences) token ids, row 0 the token to remember; ``state_limits``:
    {cell: the |memory| drawn at full colour}. The panel draws
    :class:`GateHeatmaps` and says which token the cell answers, whether that
    is right, and its mean keep gate (LSTM f, GRU z) after step 0.
    """

    def __init__(
        self,
        controls: dict,
        run_cell,
        tokens,
        state_limits: dict,
        *,
        hidden: int = 32,
        caption: str = "",
        dpi: float = 80,
    ):
        self.tokens = np.asarray(tokens)
        self.run_cell = run_cell
        self.state_limits = dict(state_limits)
        figure = viz.new_figure(7.6, 5.6)[0]
        self.heatmaps = GateHeatmaps(
            figure, hidden=hidden, max_steps=self.tokens.shape[0], state_limits=state_limits
        )
        super().__init__(
            controls, self.draw, figure, artists=self.heatmaps.artists, dpi=dpi, caption=caption
        )

    def draw(self, cell, sequence, steps) -> str:
        traces, probabilities = self.run_cell(cell, sequence, steps)
        self.heatmaps.show(cell, traces, self.tokens[:steps, sequence])
        answer, target = int(np.argmax(probabilities)), int(self.tokens[0, sequence])
        keep = traces["f" if cell == "lstm" else "z"][:, 1:steps].mean() if steps > 1 else np.nan
        verdict = "right" if answer == target else "wrong"
        limit = self.state_limits[cell]
        return (
            f"{cell.upper()} answers <b>{'ABCD'[answer]}</b> with probability "
            f"{probabilities[answer]:.2f} ({verdict}: the first token was {'ABCD'[target]}); "
            f"mean keep gate after step 0: {keep:.2f}; memory colours run from "
            f"-{limit:.3g} to +{limit:.3g}"
        )


__all__ = [
    "GATE_ROWS",
    "GateHeatmaps",
    "GatesPanel",
    "Whiteboard",
    "draw_gradient_norms",
    "draw_whiteboard",
    "gate_traces",
    "whiteboard_example",
]
