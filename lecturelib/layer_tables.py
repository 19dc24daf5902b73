"""Layer tables: output shapes, parameters, multiply-accumulates and memory per layer.

Describe a network as a list of layer specifications (``Conv``, ``MaxPool``,
``Dense``, ...) and :func:`layer_table` works out, layer by layer, what the
lecture's tables list: the output shape, the number of weights and biases,
the multiply-accumulate operations (MACs) of one forward pass for one image,
and the activation memory. Shapes follow PyTorch: an image is (C, H, W); a
row displays it the way the lecture slides write it, "55x55x96" (H x W x C).

Counting rules (one image, forward pass):

- convolution with F filters of size KH x KW on C channels:
  weights ``F * KH * KW * C``, biases ``F``, MACs ``OH * OW * F * KH * KW * C``
  (every output value is one kernel-volume dot product). With a connection
  table (LeNet-5's C3) filter f only spans the channels listed for it; with
  ``groups`` g each filter spans C / g channels (weights ``F * KH * KW * C / g``),
  and a depthwise convolution (``DepthwiseConv``, groups = C) gives every
  channel its own KH x KW filter.
- fully connected (``Dense``, alias ``FC``) from n inputs to m units (a
  (C, H, W) input is flattened first): weights ``n * m``, biases ``m``, MACs ``n * m``.
- pooling, ReLU, LRN, flatten: no parameters, 0 MACs (comparisons and
  additions are not multiply-accumulates).
- LeNet-5's subsampling layers (``Subsample``): as in LeCun et al. (1998),
  each map's 2 x 2 sum is multiplied by one trainable coefficient and shifted
  by one trainable bias, so 2 parameters per map and one multiplication per
  output value. ``SubsampleSpec(..., trainable=False)`` is plain average pooling.
- activations: the number of output values; bytes: activations * 4 (float32).

Settings that cannot work (a kernel larger than its padded input, a
convolution after a vector) never raise: the row where the network breaks
carries the message in ``row.error`` and every later row says it follows a
broken layer. The constants :data:`ALEXNET`, :data:`LENET5` and
:data:`VGG16` reproduce the lecture's tables; :data:`ALEXNET_GROUPED` is the
original two-GPU AlexNet, :data:`GOOGLENET_STEM` GoogLeNet's first layers
(ceil-mode pooling), and :func:`depthwise_separable` MobileNet's block.
"""

from __future__ import annotations

import html
import numbers
import warnings
from dataclasses import dataclass, field, fields

from ._checks import as_int
from .convolution import output_size

# --- layer specifications ----------------------------------------------------------------


class _LayerError(ValueError):
    """A layer that cannot work on its input; carries the parameter counts if known."""

    def __init__(self, message, weights=None, biases=None):
        super().__init__(message)
        self.weights, self.biases = weights, biases


def _pair(value):
    """(rows, cols) from an int or a pair; anything else is returned unchanged (checked later)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return (value[0], value[1])
    return (value, value)


def _check_positive(value, name, minimum=1):
    for v in _pair(value):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(f"{name} must be an integer or a (rows, cols) pair, got {value!r}")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")


def _repr(layer, extras):
    """The dataclass repr, plus the ``extras`` (name, default) fields only when they
    differ from their defaults (so that older specifications print as before)."""
    shown = [f"{f.name}={getattr(layer, f.name)!r}" for f in fields(layer) if f.repr]
    shown += [
        f"{name}={getattr(layer, name)!r}"
        for name, default in extras
        if getattr(layer, name) != default
    ]
    return f"{type(layer).__name__}({', '.join(shown)})"


def _size_text(value):
    rows, cols = _pair(value)
    return f"{rows}x{cols}"


def _scalar_text(value):
    rows, cols = _pair(value)
    return f"{rows}" if rows == cols else f"{rows}x{cols}"


@dataclass(frozen=True)
class InputSpec:
    """The input layer: ``shape`` is (C, H, W) or (features,). No parameters."""

    shape: tuple
    name: str | None = None


@dataclass(frozen=True)
class ConvSpec:
    """A convolutional layer: ``filters`` kernels of ``kernel`` x ``kernel`` over all input
    channels (or over the channels listed in ``connections``).

    kernel, stride, padding, dilation: int or (rows, cols).
    connections: optional list with one entry per filter, each a list of the
    input channels that filter reads (LeNet-5's C3 table); None = all.
    name: optional display name ("C1"); the default numbers layers by kind.
    groups: split the input channels and the filters into this many groups
    (as PyTorch's ``groups``); each filter then reads only its group's
    C / groups channels (AlexNet's two GPUs: groups=2).
    """

    filters: int
    kernel: int | tuple = 3
    stride: int | tuple = 1
    padding: int | tuple = 0
    dilation: int | tuple = 1
    bias: bool = True
    connections: tuple | None = None
    name: str | None = None
    groups: int = field(default=1, repr=False)

    kind = "conv"

    def __repr__(self):
        return _repr(self, (("groups", 1),))

    def details(self):
        parts = [f"{self.filters}", _size_text(self.kernel)]
        if _pair(self.stride) != (1, 1):
            parts.append(f"s{_scalar_text(self.stride)}")
        if _pair(self.padding) != (0, 0):
            parts.append(f"p{_scalar_text(self.padding)}")
        if _pair(self.dilation) != (1, 1):
            parts.append(f"d{_scalar_text(self.dilation)}")
        if self.groups != 1:
            parts.append(f"g{self.groups}")
        if self.connections is not None:
            parts.append("partial")
        return ", ".join(parts)

    def _channels_read(self, c):
        """Input channels read by all filters together (a filter reads C / groups)."""
        _check_positive(self.groups, "groups")
        if self.groups != 1:
            if self.connections is not None:
                raise ValueError("give either groups or connections, not both")
            if c % self.groups or self.filters % self.groups:
                raise ValueError(
                    f"groups {self.groups} must divide both the input channels {c} and the "
                    f"filters {self.filters}"
                )
            return self.filters * (c // self.groups)
        if self.connections is None:
            return self.filters * c
        if len(self.connections) != self.filters:
            raise ValueError(
                f"connections must list input channels for each of the {self.filters} "
                f"filters, got {len(self.connections)} entries"
            )
        for f, channels in enumerate(self.connections):
            bad = [ch for ch in channels if not 0 <= ch < c]
            if bad or len(set(channels)) != len(channels) or not channels:
                raise ValueError(
                    f"connections[{f}] = {list(channels)} must name distinct input "
                    f"channels in 0..{c - 1}"
                )
        return sum(len(channels) for channels in self.connections)

    def apply(self, shape):
        _check_positive(self.filters, "filters")
        _check_positive(self.kernel, "kernel")
        _check_positive(self.stride, "stride")
        _check_positive(self.padding, "padding", 0)
        _check_positive(self.dilation, "dilation")
        if len(shape) != 3:
            raise ValueError(f"a convolution needs a (C, H, W) input, got a vector of {shape[0]}")
        c, h, w = shape
        (kh, kw), (sh, sw) = _pair(self.kernel), _pair(self.stride)
        (ph, pw), (dh, dw) = _pair(self.padding), _pair(self.dilation)
        weights = self._channels_read(c) * kh * kw
        biases = self.filters if self.bias else 0
        try:
            oh = output_size(h, kh, sh, ph, dh, axis="height")
            ow = output_size(w, kw, sw, pw, dw, axis="width")
        except ValueError as error:  # the parameters are known even if the shape is not
            raise _LayerError(str(error), weights, biases) from None
        macs = oh * ow * weights  # each output map position: one dot product per filter
        return (self.filters, oh, ow), weights, biases, macs


@dataclass(frozen=True)
class DepthwiseConvSpec:
    """A depthwise convolution: every input channel gets its own ``multiplier``
    filters of ``kernel`` x ``kernel`` that read only that channel (a ConvSpec with
    groups = C and C * multiplier filters, MobileNet's first half of a block).

    kernel, stride, padding, dilation: int or (rows, cols), as :class:`Conv`.
    """

    kernel: int | tuple = 3
    stride: int | tuple = 1
    padding: int | tuple = 0
    dilation: int | tuple = 1
    multiplier: int = 1
    bias: bool = True
    name: str | None = None

    kind = "dwconv"

    def _conv(self, channels):
        return ConvSpec(
            channels * self.multiplier,
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            self.bias,
            groups=channels,
        )

    def details(self):
        text = self._conv(1).details().split(", ", 1)[1].replace(", g1", "")
        return text if self.multiplier == 1 else f"x{self.multiplier}, {text}"

    def apply(self, shape):
        _check_positive(self.multiplier, "multiplier")
        if len(shape) != 3:
            raise ValueError(f"a convolution needs a (C, H, W) input, got a vector of {shape[0]}")
        return self._conv(shape[0]).apply(shape)


@dataclass(frozen=True)
class _Pool:
    kernel: int | tuple = 2
    stride: int | tuple | None = None
    padding: int | tuple = 0
    name: str | None = None
    ceil_mode: bool = field(default=False, repr=False)

    dilation = 1  # max pooling only (a field of MaxPoolSpec)

    def __repr__(self):
        return _repr(self, (("ceil_mode", False), ("dilation", 1)))

    def details(self):
        stride = self.kernel if self.stride is None else self.stride
        text = f"{_size_text(self.kernel)}, s{_scalar_text(stride)}"
        if _pair(self.padding) != (0, 0):
            text += f", p{_scalar_text(self.padding)}"
        if _pair(self.dilation) != (1, 1):
            text += f", d{_scalar_text(self.dilation)}"
        if self.ceil_mode:
            text += ", ceil"
        return text

    def output(self, shape):
        _check_positive(self.kernel, "kernel")
        stride = self.kernel if self.stride is None else self.stride
        _check_positive(stride, "stride")
        _check_positive(self.padding, "padding", 0)
        _check_positive(self.dilation, "dilation")
        if len(shape) != 3:
            raise ValueError(f"pooling needs a (C, H, W) input, got a vector of {shape[0]}")
        c, h, w = shape
        (kh, kw), (sh, sw), (ph, pw) = _pair(self.kernel), _pair(stride), _pair(self.padding)
        (dh, dw) = _pair(self.dilation)
        for axis, k, p in (("height", kh, ph), ("width", kw, pw)):
            if 2 * p > k:
                raise ValueError(
                    f"padding {p} along {axis} is more than half the pooling kernel {k}"
                )
        ceil_mode = self.ceil_mode
        return (
            c,
            output_size(h, kh, sh, ph, dh, ceil_mode, axis="height"),
            output_size(w, kw, sw, pw, dw, ceil_mode, axis="width"),
        )

    def apply(self, shape):
        return self.output(shape), 0, 0, 0


@dataclass(frozen=True, repr=False)  # _Pool's repr
class MaxPoolSpec(_Pool):
    """Max pooling: ``kernel``, ``stride`` (default: the kernel), ``padding``,
    ``ceil_mode`` (keep a last, partial window, as GoogLeNet does), ``dilation``.
    No parameters."""

    dilation: int | tuple = field(default=1, repr=False)

    kind = "maxpool"


@dataclass(frozen=True, repr=False)  # _Pool's repr
class AvgPoolSpec(_Pool):
    """Average pooling: ``kernel``, ``stride`` (default: the kernel), ``padding``,
    ``ceil_mode``."""

    kind = "avgpool"


@dataclass(frozen=True, repr=False)  # _Pool's repr
class SubsampleSpec(_Pool):
    """LeNet-5's subsampling: 2 x 2 sums times a trainable coefficient plus a trainable
    bias per map (2 parameters per map). ``trainable=False``: plain average pooling."""

    trainable: bool = True

    kind = "subsample"

    def apply(self, shape):
        out = self.output(shape)
        if not self.trainable:
            return out, 0, 0, 0
        c = shape[0]
        return out, c, c, out[0] * out[1] * out[2]  # one multiplication per output


@dataclass(frozen=True)
class DenseSpec:
    """A fully connected layer with ``units`` outputs; a (C, H, W) input is flattened."""

    units: int
    bias: bool = True
    name: str | None = None

    kind = "fc"

    def details(self):
        return ""

    def apply(self, shape):
        _check_positive(self.units, "units")
        inputs = 1
        for size in shape:
            inputs *= size
        weights = inputs * self.units
        return (self.units,), weights, (self.units if self.bias else 0), weights


@dataclass(frozen=True)
class FlattenSpec:
    """Flatten (C, H, W) into one vector; fully connected layers also do this implicitly."""

    name: str | None = None

    kind = "flatten"

    def details(self):
        return ""

    def apply(self, shape):
        size = 1
        for s in shape:
            size *= s
        return (size,), 0, 0, 0


@dataclass(frozen=True)
class ReLUSpec:
    """The ReLU non-linearity: same shape out, no parameters."""

    name: str | None = None

    kind = "relu"

    def details(self):
        return ""

    def apply(self, shape):
        return tuple(shape), 0, 0, 0


@dataclass(frozen=True)
class LRNSpec:
    """Local response normalisation (AlexNet): same shape out, no trainable parameters."""

    size: int = 5
    name: str | None = None

    kind = "lrn"

    def details(self):
        return f"{self.size}"

    def apply(self, shape):
        return tuple(shape), 0, 0, 0


_DISPLAY_KIND = {
    "conv": ("Conv", "conv"),
    "dwconv": ("DWConv", "dwconv"),
    "maxpool": ("MaxPool", "maxpool"),
    "avgpool": ("AvgPool", "avgpool"),
    "subsample": ("Subsample", "subsample"),
    "fc": ("FC", "fc"),
    "flatten": ("Flatten", "flatten"),
    "relu": ("ReLU", "relu"),
    "lrn": ("LRN", "lrn"),
}


# --- the table -------------------------------------------------------------------------------


def shape_text(shape) -> str:
    """A shape the way the slides write it: (96, 55, 55) -> "55x55x96", (4096,) -> "4096".

    >>> shape_text((96, 55, 55)), shape_text((4096,))
    ('55x55x96', '4096')
    """
    if shape is None:
        return ""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(s) for s in shape)


@dataclass
class LayerRow:
    """One row of a layer table.

    name: machine-friendly, unique ("conv1", "maxpool2", or the layer's own name);
    label: as displayed ("Conv-1 (96, 11x11, s4)"); kind: "input", "conv", "fc", ...
    output_shape: (C, H, W) or (units,), None when it cannot be computed;
    weights, biases, params (= weights + biases), macs, activations (output
    values), bytes (activations in float32): ints, or None when unknown;
    error: None, or why this layer cannot work with its input.
    """

    name: str
    label: str
    kind: str
    output_shape: tuple | None
    weights: int | None = 0
    biases: int | None = 0
    params: int | None = 0
    macs: int | None = 0
    activations: int | None = 0
    bytes: int | None = 0
    error: str | None = None
    layer: object = field(default=None, repr=False)

    @property
    def shape_text(self) -> str:
        """The output shape as on the slides, e.g. "55x55x96"."""
        return shape_text(self.output_shape)


_COLUMNS = {
    "layer": ("Layer", lambda row: row.label),
    "output": ("Output", lambda row: row.shape_text),
    "weights": ("Weights", lambda row: row.weights),
    "biases": ("Biases", lambda row: row.biases),
    "params": ("Parameters", lambda row: row.params),
    "macs": ("MACs", lambda row: row.macs),
    "activations": ("Activations", lambda row: row.activations),
    "bytes": ("Memory (float32)", lambda row: row.bytes),
}
DEFAULT_COLUMNS = ("layer", "output", "weights", "biases", "params", "macs", "activations", "bytes")
LECTURE_COLUMNS = ("layer", "output", "weights", "biases", "params")


def _number(value) -> str:
    return "" if value is None else f"{value:,}"


def _memory(value) -> str:
    if value is None:
        return ""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


class LayerTable:
    """The rows of :func:`layer_table` plus totals and text/HTML renderings.

    Iterate over it (or index it by position or row name) to get
    :class:`LayerRow` objects; ``total_params``, ``total_macs`` etc. are None
    when some layer could not be computed. ``ok`` tells whether every layer works.
    """

    def __init__(self, rows):
        self.rows = list(rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, key):
        if isinstance(key, str):
            for row in self.rows:
                if key in (row.name, row.label) or row.label.split(" (")[0] == key:
                    return row
            raise KeyError(f"no layer named {key!r}; names: {[row.name for row in self.rows]}")
        return self.rows[key]

    @property
    def ok(self) -> bool:
        return all(row.error is None for row in self.rows)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(label, message) for every row with an error."""
        return [(row.label, row.error) for row in self.rows if row.error is not None]

    def _total(self, attribute):
        values = [getattr(row, attribute) for row in self.rows]
        return None if any(v is None for v in values) else sum(values)

    @property
    def total_weights(self):
        return self._total("weights")

    @property
    def total_biases(self):
        return self._total("biases")

    @property
    def total_params(self):
        return self._total("params")

    @property
    def total_macs(self):
        return self._total("macs")

    @property
    def total_activations(self):
        return self._total("activations")

    @property
    def total_bytes(self):
        return self._total("bytes")

    def share(self, kind, of="params") -> float | None:
        """Fraction of the total ``of`` ("params", "macs", ...) held by layers of ``kind``
        ("conv", "fc", ...), e.g. AlexNet's fully connected layers hold ~94% of the parameters."""
        total = self._total(of)
        if not total:
            return None
        return sum(getattr(row, of) for row in self.rows if row.kind == kind) / total

    # --- rendering ---

    def _cells(self, columns):
        for key in columns:
            if key not in _COLUMNS:
                raise ValueError(f"unknown column {key!r}; choose from {', '.join(_COLUMNS)}")
        header = [_COLUMNS[key][0] for key in columns]
        body = []
        for row in self.rows:
            cells = []
            for key in columns:
                value = _COLUMNS[key][1](row)
                if key == "bytes":
                    cells.append(_memory(value))
                elif isinstance(value, int):
                    cells.append(_number(value))
                else:
                    cells.append("" if value is None else str(value))
            body.append(cells)
        total = []
        for key in columns:
            if key == "layer":
                total.append("Total")
            elif key in ("output",):
                total.append("")
            elif key == "bytes":
                total.append(_memory(self.total_bytes))
            else:
                total.append(_number(self._total(key)))
        return header, body, total

    def to_text(self, columns=DEFAULT_COLUMNS) -> str:
        """An aligned plain-text table with thousands separators (for print()).

        ``columns``: any of "layer", "output", "weights", "biases", "params",
        "macs", "activations", "bytes"; ``LECTURE_COLUMNS`` gives the lecture's
        five. Rows with an error get a "!" and the message below the table.
        """
        header, body, total = self._cells(columns)
        marks = ["!" if row.error else "" for row in self.rows]
        lines = [header] + body + [total]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

        def render(cells, mark=""):
            parts = []
            for i, cell in enumerate(cells):
                parts.append(
                    cell.ljust(widths[i])
                    if i < 2 and columns[i] in ("layer", "output")
                    else cell.rjust(widths[i])
                )
            return (mark.ljust(2) + "  ".join(parts)).rstrip()

        rule = "-" * (2 + sum(widths) + 2 * (len(widths) - 1))
        out = [render(header), rule]
        out += [render(cells, mark) for cells, mark in zip(body, marks)]
        out += [rule, render(total)]
        followers = 0
        for label, message in self.errors:
            if message.startswith(_FOLLOWS):
                followers += 1
            else:
                out.append(f"! {label}: {message}")
        if followers:
            out.append(f"! the {followers} layer(s) after it cannot be computed")
        return "\n".join(out)

    def to_html(self, columns=DEFAULT_COLUMNS) -> str:
        """The table as HTML (numbers right-aligned; broken rows in red with their message)."""
        header, body, total = self._cells(columns)
        numeric = [key not in ("layer", "output") for key in columns]

        def cell(tag, text, right, extra=""):
            align = ' style="text-align:right"' if right else ' style="text-align:left"'
            return f"<{tag}{align}{extra}>{html.escape(text)}</{tag}>"

        parts = ['<table class="lecturelib-layer-table">', "<thead><tr>"]
        parts += [cell("th", text, right) for text, right in zip(header, numeric)]
        parts.append("</tr></thead><tbody>")
        for row, cells in zip(self.rows, body):
            style = ' style="color:#b00020"' if row.error else ""
            title = f' title="{html.escape(row.error)}"' if row.error else ""
            parts.append(f"<tr{style}{title}>")
            parts += [cell("td", text, right) for text, right in zip(cells, numeric)]
            parts.append("</tr>")
            if row.error and not row.error.startswith(_FOLLOWS):
                parts.append(
                    f'<tr style="color:#b00020"><td colspan="{len(columns)}">'
                    f"&#9888; {html.escape(row.error)}</td></tr>"
                )
        parts.append('<tr style="font-weight:bold">')
        parts += [cell("td", text, right) for text, right in zip(total, numeric)]
        parts.append("</tr></tbody></table>")
        return "".join(parts)

    def _repr_html_(self):
        return self.to_html()

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return (
            f"<LayerTable: {len(self.rows)} rows, {_number(self.total_params) or '?'} parameters>"
        )


_FOLLOWS = "follows a broken layer"
_LAYER_TYPES = (
    InputSpec,
    ConvSpec,
    DepthwiseConvSpec,
    MaxPoolSpec,
    AvgPoolSpec,
    SubsampleSpec,
    DenseSpec,
    FlattenSpec,
    ReLUSpec,
    LRNSpec,
)


def _input_shape(shape):
    if not isinstance(shape, tuple | list) or len(shape) not in (1, 3):
        raise ValueError(f"input_shape must be (C, H, W) or (features,), got {shape!r}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"input_shape must hold positive integers, got {shape!r}")
    return tuple(int(s) for s in shape)


def layer_table(layers, input_shape=None) -> LayerTable:
    """Output shape, parameters, MACs and memory of every layer of a network.

    layers: a list of layer specifications (:class:`Conv`, :class:`MaxPool`,
    :class:`AvgPool`, :class:`Subsample`, :class:`Dense` / ``FC``,
    :class:`Flatten`, :class:`ReLU`, :class:`LRN`), optionally starting with
    :class:`Input`; input_shape: (C, H, W) as in PyTorch (or (features,)),
    needed unless the first layer is an InputSpec. Returns a :class:`LayerTable`
    whose first row is the input. A layer whose settings cannot work on its
    input gets the reason in ``row.error`` (and unknown values None) instead
    of raising; later rows are marked as following a broken layer.

    >>> table = layer_table(ALEXNET, (3, 227, 227))
    >>> table["Conv-1"].label, table["Conv-1"].shape_text, table["Conv-1"].params
    ('Conv-1 (96, 11x11, s4)', '55x55x96', 34944)
    >>> table.total_params
    62378344
    >>> layer_table([ConvSpec(6, 5)], (1, 4, 4))["conv1"].error
    'kernel 5 (dilated extent 5) is larger than padded input 4 along height'
    """
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, _LAYER_TYPES):
            raise TypeError(
                f"layers[{i}] must be a layer specification (ConvSpec, MaxPoolSpec, "
                f"DenseSpec, ...), "
                f"got {type(layer).__name__}"
            )
    input_name = "Input"
    if layers and isinstance(layers[0], InputSpec):
        first = layers.pop(0)
        input_shape = first.shape if input_shape is None else input_shape
        input_name = first.name or input_name
    for layer in layers:
        if isinstance(layer, InputSpec):
            raise TypeError("Input may only be the first layer")

    rows = []
    try:
        shape = _input_shape(input_shape)
        error = None
    except ValueError as exc:
        shape, error = None, str(exc)
    size = None if shape is None else _count(shape)
    rows.append(
        LayerRow(
            name="input",
            label=input_name,
            kind="input",
            output_shape=shape,
            activations=size,
            bytes=None if size is None else 4 * size,
            error=error,
        )
    )

    counters = {}
    broken = input_name if error is not None else None  # label of the first broken row
    for layer in layers:
        display, machine = _DISPLAY_KIND[layer.kind]
        counters[layer.kind] = counters.get(layer.kind, 0) + 1
        number = counters[layer.kind]
        name = layer.name or f"{machine}{number}"
        title = layer.name or f"{display}-{number}"
        details = layer.details()
        label = f"{title} ({details})" if details else title
        row = LayerRow(
            name=name,
            label=label,
            kind=layer.kind,
            output_shape=None,
            weights=None,
            biases=None,
            params=None,
            macs=None,
            activations=None,
            bytes=None,
            layer=layer,
        )
        if broken:
            row.error = f"{_FOLLOWS} ({broken})"
        else:
            try:
                shape, weights, biases, macs = layer.apply(shape)
            except ValueError as exc:
                row.error = str(exc)
                broken = label
                if isinstance(exc, _LayerError) and exc.weights is not None:
                    row.weights, row.biases = exc.weights, exc.biases
                    row.params = exc.weights + exc.biases
            else:
                size = _count(shape)
                row.output_shape = shape
                row.weights, row.biases, row.params = weights, biases, weights + biases
                row.macs, row.activations, row.bytes = macs, size, 4 * size
        rows.append(row)
    names = [row.name for row in rows]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"layer names must be unique, repeated: {', '.join(duplicates)}")
    return LayerTable(rows)


def _count(shape):
    size = 1
    for s in shape:
        size *= s
    return size


# --- memory in training ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a network holds while it trains: its weights, and the activations of a batch.

    weights_bytes is paid once; activations_bytes grows with the batch,
    because the backward pass needs every activation of every example.
    """

    weights: int
    activations_per_example: int
    batch_size: int
    bytes_per_value: int
    weights_bytes: int
    activations_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.activations_bytes


def memory_estimate(weights, activations, batch_size=1, bytes_per_value=4) -> MemoryEstimate:
    """Memory for training: ``(weights + batch_size * activations) * bytes_per_value``.

    weights: the number of weights (parameters) of the network;
    activations: the number of values one example produces in the forward
    pass, all of which are kept until the backward pass has used them;
    bytes_per_value: 4 for float32 (the default), 8 for float64, 2 for
    float16. Gradients and optimiser state (more copies of the weights) are
    not counted, nor the input batch itself, as in the lecture's estimate.

    The lecture's 50-layer network (26 M weights, 16 M activations per
    example) in float32:

    >>> estimate = memory_estimate(26_000_000, 16_000_000)
    >>> estimate.total_bytes
    168000000
    >>> memory_estimate(26_000_000, 16_000_000, batch_size=32).activations_bytes
    2048000000
    """
    weights = as_int(weights, "weights", 0)
    activations = as_int(activations, "activations", 0)
    batch_size = as_int(batch_size, "batch_size", 1)
    bytes_per_value = as_int(bytes_per_value, "bytes_per_value", 1)
    return MemoryEstimate(
        weights=weights,
        activations_per_example=activations,
        batch_size=batch_size,
        bytes_per_value=bytes_per_value,
        weights_bytes=weights * bytes_per_value,
        activations_bytes=batch_size * activations * bytes_per_value,
    )


def dense_stack_counts(depth, width, inputs=None, biases=True) -> tuple[int, int]:
    """Weights and activations per example of ``depth`` fully connected layers of ``width`` units.

    The first layer reads ``inputs`` values (default: ``width``), every
    later one the ``width`` outputs of the layer below. Returns
    ``(weights, activations)``: weights ``inputs * width + (depth - 1) *
    width**2`` (plus ``depth * width`` biases), activations ``depth *
    width`` (one output value per unit and layer; the input is not counted).

    >>> dense_stack_counts(3, 100, inputs=10)
    (21300, 300)
    """
    depth = as_int(depth, "depth", 1)
    width = as_int(width, "width", 1)
    inputs = width if inputs is None else as_int(inputs, "inputs", 1)
    weights = inputs * width + (depth - 1) * width * width
    if biases:
        weights += depth * width
    return weights, depth * width


# --- the lecture's networks ----------------------------------------------------------------

ALEXNET = (
    ConvSpec(96, 11, stride=4),
    MaxPoolSpec(3, 2),
    ConvSpec(256, 5, padding=2),
    MaxPoolSpec(3, 2),
    ConvSpec(384, 3, padding=1),
    ConvSpec(384, 3, padding=1),
    ConvSpec(256, 3, padding=1),
    MaxPoolSpec(3, 2),
    DenseSpec(4096),
    DenseSpec(4096),
    DenseSpec(1000),
)
"""AlexNet as one tower (the lecture's table), for a (3, 227, 227) input:
62,378,344 parameters. ReLU and LRN layers, which have no parameters, are left out."""

ALEXNET_INPUT = (3, 227, 227)

ALEXNET_GROUPED = (
    ConvSpec(96, 11, stride=4),
    MaxPoolSpec(3, 2),
    ConvSpec(256, 5, padding=2, groups=2),
    MaxPoolSpec(3, 2),
    ConvSpec(384, 3, padding=1),
    ConvSpec(384, 3, padding=1, groups=2),
    ConvSpec(256, 3, padding=1, groups=2),
    MaxPoolSpec(3, 2),
    DenseSpec(4096),
    DenseSpec(4096),
    DenseSpec(1000),
)
"""AlexNet as Krizhevsky et al. (2012) trained it, split over two GPUs: conv-2,
conv-4 and conv-5 only read the half of the channels computed on their own GPU
(groups=2), conv-3 and the fully connected layers read both halves. For a
(3, 227, 227) input: 60,965,224 parameters, 1,413,120 fewer than the one-tower
table (:data:`ALEXNET`)."""

LENET5_C3_CONNECTIONS = (
    # maps 0-5: three neighbouring S2 maps; 6-11: four neighbouring; 12-14: four
    # non-neighbouring; 15: all six (LeCun et al. 1998, Table I)
    *(tuple((start + k) % 6 for k in range(3)) for start in range(6)),
    *(tuple((start + k) % 6 for k in range(4)) for start in range(6)),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
"""Which of the 6 S2 maps each of the 16 C3 maps of LeNet-5 reads (60 connections)."""

LENET5 = (
    ConvSpec(6, 5, name="C1"),
    SubsampleSpec(2, name="S2"),
    ConvSpec(16, 5, connections=LENET5_C3_CONNECTIONS, name="C3"),
    SubsampleSpec(2, name="S4"),
    ConvSpec(120, 5, name="C5"),
    DenseSpec(84, name="F6"),
    DenseSpec(10, name="Output"),
)
"""LeNet-5 for a (1, 32, 32) input. C3 uses the original partial connection table
(1,516 parameters); S2 and S4 have one trainable coefficient and one bias per map
(12 and 32 parameters). The original output layer of 10 radial-basis units on
F6's 84 values (840 fixed parameters) is modelled as a fully connected layer
(850 parameters, as in most modern re-implementations). Total 60,850."""

LENET5_INPUT = (1, 32, 32)


def _vgg16():
    layers = []
    for filters, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [ConvSpec(filters, 3, padding=1) for _ in range(repeat)]
        layers.append(MaxPoolSpec(2, 2))
    return (*layers, DenseSpec(4096), DenseSpec(4096), DenseSpec(1000))


VGG16 = _vgg16()
"""VGG-16 (configuration D) for a (3, 224, 224) input: 138,357,544 parameters."""

VGG16_INPUT = (3, 224, 224)

GOOGLENET_STEM = (
    ConvSpec(64, 7, stride=2, padding=3, bias=False),
    MaxPoolSpec(3, 2, ceil_mode=True),
    ConvSpec(64, 1, bias=False),
    ConvSpec(192, 3, padding=1, bias=False),
    MaxPoolSpec(3, 2, ceil_mode=True),
)
"""GoogLeNet's stem (as in torchvision, convolutions without bias, batch norm
left out) for a (3, 224, 224) input: its 3 x 3, stride-2 poolings round up
(ceil_mode), 112 -> 56 -> ... 56 -> 28, where rounding down would give 55 and 27."""

GOOGLENET_INPUT = (3, 224, 224)


def depthwise_separable(filters, kernel=3, stride=1, padding=1, bias=False):
    """MobileNet's block: a depthwise KxK convolution, then a pointwise (1x1) one.

    Returns the two layer specifications; compare them with a standard
    ``ConvSpec(filters, kernel, stride, padding)``. For C input channels and F
    filters, the weights drop from ``F * K * K * C`` to ``C * K * K + C * F``,
    a fraction ``1 / F + 1 / K**2`` (about 1/8 to 1/9 for 3 x 3 kernels), and
    the MACs by the same fraction. ``bias=False`` as in MobileNet (batch
    norm follows each convolution).

    >>> separable = layer_table(depthwise_separable(512), (512, 14, 14))
    >>> standard = layer_table([ConvSpec(512, 3, padding=1, bias=False)], (512, 14, 14))
    >>> separable.total_params, standard.total_params
    (266752, 2359296)
    """
    return (
        DepthwiseConvSpec(kernel, stride, padding, bias=bias),
        ConvSpec(filters, 1, bias=bias),
    )


__all__ = [
    "InputSpec",
    "ConvSpec",
    "DepthwiseConvSpec",
    "MaxPoolSpec",
    "AvgPoolSpec",
    "SubsampleSpec",
    "DenseSpec",
    "FlattenSpec",
    "ReLUSpec",
    "LRNSpec",
    "LayerRow",
    "LayerTable",
    "layer_table",
    "shape_text",
    "MemoryEstimate",
    "memory_estimate",
    "dense_stack_counts",
    "DEFAULT_COLUMNS",
    "LECTURE_COLUMNS",
    "ALEXNET",
    "ALEXNET_INPUT",
    "LENET5",
    "LENET5_C3_CONNECTIONS",
    "LENET5_INPUT",
    "VGG16",
    "VGG16_INPUT",
    "ALEXNET_GROUPED",
    "GOOGLENET_STEM",
    "GOOGLENET_INPUT",
    "depthwise_separable",
]


# The specifications used to be called Conv, Dense, ReLU, ...: the same names as
# the trainable layers of lecturelib.training.layers. The old names still work
# for one release, with a warning.
_OLD_NAMES = {
    "Input": "InputSpec",
    "Conv": "ConvSpec",
    "DepthwiseConv": "DepthwiseConvSpec",
    "MaxPool": "MaxPoolSpec",
    "AvgPool": "AvgPoolSpec",
    "Subsample": "SubsampleSpec",
    "Dense": "DenseSpec",
    "FC": "DenseSpec",
    "Flatten": "FlattenSpec",
    "ReLU": "ReLUSpec",
    "LRN": "LRNSpec",
}


def __getattr__(name):
    if name in _OLD_NAMES:
        new = _OLD_NAMES[name]
        warnings.warn(
            f"lecturelib.layer_tables.{name} is now {new} (so that it cannot be mistaken "
            f"for a trainable layer); the old name will be removed",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
