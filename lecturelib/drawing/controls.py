"""Accessible controls and a figure view for the panels, built on anywidget.

ipywidgets 8's sliders give screen readers no name, its dropdown lets
letter and arrow keys through to JupyterLab's notebook shortcuts (``d d`` on
a focused dropdown deletes the cell), and its Image widget has no alt text.
The controls here draw native HTML elements (``<input type="range">``,
``<select>``, radio buttons, a checkbox, buttons) with a ``<label>``, so the
browser gives them their name, their keyboard behaviour and a focus ring;
they keep every key pressed on them from reaching the notebook (JupyterLab
runs its shortcuts on keydown events that bubble up to the notebook). Their
Python side has the attributes notebooks use with ipywidgets: ``value``,
``min``, ``max``, ``step``, ``description``, ``options``, ``observe``.

The JavaScript is inline (no network). :class:`Figure` shows a panel's PNG in
one ``<img>`` whose ``src`` and ``alt`` change together.

>>> mode = Dropdown(description="scaling", options=[("inverted", "inv"), ("classic", "cls")])
>>> mode.value, mode.index
('inv', 0)
>>> mode.index = 1
>>> mode.value
'cls'
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

_ESM = r"""
let counter = 0;
const uid = (kind) => `lecturelib-${kind}-${Math.random().toString(36).slice(2, 8)}-${counter++}`;

// JupyterLab runs notebook shortcuts (d d deletes a cell, arrows move between
// cells) on keydown events that bubble up to the notebook. A key pressed on
// one of these controls belongs to the control: stop it here (Tab still
// moves the focus, since stopping propagation does not prevent defaults).
function keepKeys(el) {
  for (const type of ["keydown", "keypress", "keyup"]) {
    el.addEventListener(type, (event) => {
      if (event.key !== "Tab") event.stopPropagation();
    });
  }
}

function mount(model, el, root, sync) {
  // Every control: redraw on model changes, keep keys from notebook shortcuts,
  // draw once, show; the returned function detaches it.
  model.on("change", sync);
  keepKeys(root);
  sync();
  el.append(root);
  return () => model.off("change", sync);
}

function decimals(step) {
  const text = String(step);
  if (text.includes("e-")) return Number(text.split("e-")[1]);
  return (text.split(".")[1] || "").length;
}

// A labelled native range input and its visible readout (hidden from screen
// readers, which hear aria-valuetext instead): the body of both slider views.
function rangeControl() {
  const id = uid("slider");
  const root = document.createElement("div");
  root.className = "lecturelib-control lecturelib-slider";
  const label = document.createElement("label");
  label.htmlFor = id;
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  const readout = document.createElement("output");
  readout.className = "lecturelib-readout";
  readout.setAttribute("for", id);
  readout.setAttribute("aria-hidden", "true");
  root.append(label, input, readout);
  return { root, label, input, readout };
}

function slider({ model, el }) {
  const { root, label, input, readout } = rangeControl();
  const log = () => model.get("_kind") === "log";
  const text = (value) => {
    if (log()) return Number(value).toPrecision(3);
    if (model.get("_kind") === "int") return String(value);
    return Number(value).toFixed(Math.max(1, decimals(model.get("step"))));
  };
  const position = () => {
    const value = model.get("value");
    return log() ? Math.log(value) / Math.log(model.get("base")) : value;
  };
  const sync = () => {
    label.textContent = model.get("description");
    input.min = model.get("min");
    input.max = model.get("max");
    input.step = model.get("step");
    input.disabled = model.get("disabled");
    input.value = position();
    readout.textContent = text(model.get("value"));
    input.setAttribute("aria-valuetext", readout.textContent);
  };
  const send = () => {
    const where = Number(input.value);
    const value = log() ? model.get("base") ** where : where;
    readout.textContent = text(value);
    input.setAttribute("aria-valuetext", readout.textContent);
    model.set("value", value);
    model.save_changes();
  };
  input.addEventListener("input", () => { if (model.get("continuous_update")) send(); });
  input.addEventListener("change", send);
  return mount(model, el, root, sync);
}

function selection({ model, el }) {
  const { root, label, input, readout } = rangeControl();
  input.min = 0;
  input.step = 1;
  const sync = () => {
    const labels = model.get("_labels");
    label.textContent = model.get("description");
    input.max = labels.length - 1;
    input.disabled = model.get("disabled");
    input.value = model.get("index");
    readout.textContent = labels[model.get("index")] ?? "";
    input.setAttribute("aria-valuetext", readout.textContent);
  };
  const send = () => {
    model.set("index", Number(input.value));
    model.save_changes();
  };
  input.addEventListener("input", () => {
    readout.textContent = model.get("_labels")[Number(input.value)] ?? "";
    if (model.get("continuous_update")) send();
  });
  input.addEventListener("change", send);
  return mount(model, el, root, sync);
}

function dropdown({ model, el }) {
  const id = uid("dropdown");
  const root = document.createElement("div");
  root.className = "lecturelib-control lecturelib-dropdown";
  const label = document.createElement("label");
  label.htmlFor = id;
  const select = document.createElement("select");
  select.id = id;
  root.append(label, select);
  const sync = () => {
    label.textContent = model.get("description");
    const labels = model.get("_labels");
    if (select.options.length !== labels.length ||
        labels.some((text, i) => select.options[i].textContent !== text)) {
      select.replaceChildren(...labels.map((text, i) => new Option(text, String(i))));
    }
    select.selectedIndex = model.get("index");
    select.disabled = model.get("disabled");
  };
  select.addEventListener("change", () => {
    model.set("index", select.selectedIndex);
    model.save_changes();
  });
  return mount(model, el, root, sync);
}

function radios({ model, el }) {
  const name = uid("radios");
  const root = document.createElement("fieldset");
  root.className = "lecturelib-control lecturelib-toggle";
  const legend = document.createElement("legend");
  root.append(legend);
  const group = document.createElement("div");
  group.className = "lecturelib-choices";
  root.append(group);
  const sync = () => {
    legend.textContent = model.get("description");
    const labels = model.get("_labels");
    const inputs = group.querySelectorAll("input");
    if (inputs.length !== labels.length) {
      group.replaceChildren(...labels.map((text, i) => {
        const option = document.createElement("label");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = name;
        input.value = String(i);
        input.addEventListener("change", () => {
          if (input.checked) { model.set("index", i); model.save_changes(); }
        });
        const span = document.createElement("span");
        option.append(input, span);
        return option;
      }));
    }
    group.querySelectorAll("label").forEach((option, i) => {
      option.querySelector("span").textContent = labels[i];
      const input = option.querySelector("input");
      input.checked = i === model.get("index");
      input.disabled = model.get("disabled");
    });
  };
  return mount(model, el, root, sync);
}

function checkbox({ model, el }) {
  const root = document.createElement("label");
  root.className = "lecturelib-control lecturelib-checkbox";
  const input = document.createElement("input");
  input.type = "checkbox";
  const span = document.createElement("span");
  root.append(input, span);
  const sync = () => {
    span.textContent = model.get("description");
    input.checked = model.get("value");
    input.disabled = model.get("disabled");
  };
  input.addEventListener("change", () => {
    model.set("value", input.checked);
    model.save_changes();
  });
  return mount(model, el, root, sync);
}

function button({ model, el }) {
  const root = document.createElement("button");
  root.type = "button";
  root.className = "lecturelib-control lecturelib-button";
  const sync = () => {
    root.textContent = model.get("description");
    root.disabled = model.get("disabled");
  };
  root.addEventListener("click", () => model.send({ event: "click" }));
  return mount(model, el, root, sync);
}

function play({ model, el }) {
  const root = document.createElement("div");
  root.className = "lecturelib-control lecturelib-play";
  root.setAttribute("role", "group");
  const make = (text) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "lecturelib-button";
    b.textContent = text;
    return b;
  };
  const back = make("◀ step back");
  const toggle = make("");
  const forward = make("step ▶");
  const status = document.createElement("span");
  status.className = "lecturelib-readout";
  status.setAttribute("aria-live", "off");
  root.append(toggle, back, forward, status);
  let timer = null;
  const move = (delta) => {
    const low = model.get("min"), high = model.get("max");
    let value = model.get("value") + delta * model.get("step");
    if (value > high) value = model.get("repeat") ? low : high;
    if (value < low) value = low;
    model.set("value", value);
    model.save_changes();
    return value;
  };
  const stop = () => { clearInterval(timer); timer = null; sync(); };
  const start = () => {
    if (model.get("value") >= model.get("max")) {
      model.set("value", model.get("min"));
      model.save_changes();
    }
    timer = setInterval(() => {
      const value = move(1);
      if (value >= model.get("max") && !model.get("repeat")) stop();
    }, model.get("interval"));
    sync();
  };
  const sync = () => {
    const name = model.get("description");
    root.setAttribute("aria-label", name);
    toggle.textContent = timer ? "❚❚ pause" : "▶ play";
    toggle.setAttribute("aria-label", `${timer ? "pause" : "play"}: ${name}`);
    toggle.setAttribute("aria-pressed", timer ? "true" : "false");
    back.setAttribute("aria-label", `step back: ${name}`);
    forward.setAttribute("aria-label", `step forward: ${name}`);
    status.textContent = `${model.get("value")} of ${model.get("min")}..${model.get("max")}`;
  };
  toggle.addEventListener("click", () => (timer ? stop() : start()));
  back.addEventListener("click", () => move(-1));
  forward.addEventListener("click", () => move(1));
  const unmount = mount(model, el, root, sync);
  return () => { clearInterval(timer); unmount(); };
}

function base64(bytes) {
  if (bytes.toBase64) return bytes.toBase64();
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function figure({ model, el }) {
  const root = document.createElement("figure");
  root.className = "lecturelib-figure";
  const image = document.createElement("img");
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "Description of the figure";
  const text = document.createElement("p");
  details.append(summary, text);
  root.append(image, details);
  const describe = () => {
    image.alt = model.get("alt");
    text.textContent = model.get("long_description");
    details.hidden = !model.get("long_description");
    image.style.opacity = model.get("dimmed") ? "0.35" : "1";
    if (model.get("width")) image.style.width = `${model.get("width")}px`;
  };
  const draw = () => {
    describe();
    const data = model.get("value");
    if (!data || !data.byteLength) return;
    // A data: URL, not a blob: URL: Chromium loads a data: URL at once, in
    // the page, while a blob: URL is fetched through the browser process
    // (headless Chromium on the 2-core machine: image decoded 2 ms after the
    // new src instead of 5-6 ms, median of 80 pictures).
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    image.src = `data:image/png;base64,${base64(bytes)}`;
  };
  model.on("change:value", draw);
  model.on("change:alt", describe);
  model.on("change:long_description", describe);
  model.on("change:dimmed", describe);
  draw();
  el.append(root);
  return () => {
    model.off("change:value", draw);
    model.off("change:alt", describe);
  };
}

const views = { slider, selection, dropdown, radios, checkbox, button, play, figure };

export default {
  render(context) {
    return views[context.model.get("_view")](context);
  },
};
"""

# Focus rings are 3 px of #1A4D8F (8.4:1 against white); the slider's track
# and thumb use the same dark blue (>= 3:1 against white, WCAG 1.4.11).
_CSS = r"""
.lecturelib-control { font-size: var(--jp-widgets-font-size, 13px); color: #1a1a1a;
  display: inline-flex; align-items: center; gap: 8px; margin: 2px 12px 2px 0; }
.lecturelib-control :focus-visible, .lecturelib-button:focus-visible {
  outline: 3px solid #1A4D8F; outline-offset: 2px; }
.lecturelib-slider input[type="range"] { width: 160px; accent-color: #1A4D8F; }
.lecturelib-readout { min-width: 3em; font-variant-numeric: tabular-nums; }
.lecturelib-dropdown select { padding: 2px 4px; border: 1px solid #595959; border-radius: 2px;
  background: #fff; color: #1a1a1a; }
fieldset.lecturelib-toggle { border: none; padding: 0; }
.lecturelib-toggle legend { float: left; margin-right: 8px; padding: 0; }
.lecturelib-choices { display: inline-flex; flex-wrap: wrap; gap: 4px; }
.lecturelib-choices label { display: inline-flex; align-items: center; gap: 4px;
  border: 1px solid #595959; border-radius: 3px; padding: 2px 8px; cursor: pointer; }
.lecturelib-choices label:has(input:checked) { background: #1A4D8F; color: #fff; }
.lecturelib-choices input { accent-color: #1A4D8F; margin: 0; }
.lecturelib-choices label:has(input:focus-visible) { outline: 3px solid #1A4D8F;
  outline-offset: 2px; }
.lecturelib-checkbox input { accent-color: #1A4D8F; width: 16px; height: 16px; }
.lecturelib-button { border: 1px solid #595959; border-radius: 3px; background: #f2f2f2;
  color: #1a1a1a; padding: 3px 10px; cursor: pointer; font: inherit; }
.lecturelib-button:hover { background: #e0e0e0; }
.lecturelib-play { gap: 4px; }
figure.lecturelib-figure { margin: 0; }
figure.lecturelib-figure img { max-width: 100%; display: block; }
figure.lecturelib-figure summary { cursor: pointer; color: #1A4D8F; }
"""


class _Control(anywidget.AnyWidget):
    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs):
        kwargs.pop("style", None)  # ipywidgets' description style; these controls size themselves
        super().__init__(**kwargs)


class Slider(_Control):
    """A labelled slider over ``min..max`` in steps of ``step`` (int or float values)."""

    _view = traitlets.Unicode("slider").tag(sync=True)
    _kind = traitlets.Unicode("float").tag(sync=True)
    value = traitlets.Float(0.0).tag(sync=True)
    min = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(100.0).tag(sync=True)
    step = traitlets.Float(0.1).tag(sync=True)
    continuous_update = traitlets.Bool(True).tag(sync=True)

    def __init__(self, **kwargs):
        value = kwargs.pop("value", None)
        super().__init__(**kwargs)
        if self.max < self.min:
            raise ValueError(f"slider max {self.max} is below min {self.min}")
        if value is not None:
            self.value = value

    @traitlets.validate("value")
    def _clip(self, proposal):
        return min(max(proposal["value"], self.min), self.max)

    @traitlets.observe("min", "max")
    def _keep_inside(self, _change):
        clipped = min(max(self.value, self.min), self.max)
        if clipped != self.value:
            self.value = clipped


class IntSlider(Slider):
    _kind = traitlets.Unicode("int").tag(sync=True)
    value = traitlets.Int(0).tag(sync=True)
    min = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(100).tag(sync=True)
    step = traitlets.Int(1).tag(sync=True)


class FloatSlider(Slider):
    pass


class LogSlider(Slider):
    """A slider whose ``value`` is ``base ** position``; ``min``/``max``/``step`` are exponents."""

    _kind = traitlets.Unicode("log").tag(sync=True)
    base = traitlets.Float(10.0).tag(sync=True)
    value = traitlets.Float(1.0).tag(sync=True)

    @traitlets.validate("value")
    def _clip(self, proposal):
        low, high = self.base**self.min, self.base**self.max
        return min(max(proposal["value"], low), high)

    @traitlets.observe("min", "max")
    def _keep_inside(self, _change):
        low, high = self.base**self.min, self.base**self.max
        clipped = min(max(self.value, low), high)
        if clipped != self.value:
            self.value = clipped


class _Choice(_Control):
    """Options as a list of values or of (label, value) pairs; ``index`` is synced."""

    _labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    index = traitlets.Int(0).tag(sync=True)
    value = traitlets.Any(None)
    options = traitlets.Any(())

    def __init__(self, options=(), value=None, allow_none: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_none = allow_none
        self.options = options
        if value is not None or allow_none:
            self.value = value

    @property
    def _values(self) -> list:
        return [o[1] if isinstance(o, tuple) else o for o in self.options]

    @traitlets.observe("options")
    def _on_options(self, _change):
        options = list(self.options)
        self._labels = [str(o[0]) if isinstance(o, tuple) else str(o) for o in options]
        if not options:
            raise ValueError("a choice needs at least one option")
        self.index = 0
        self.value = self._values[0]

    @traitlets.observe("index")
    def _on_index(self, change):
        value = None if change["new"] < 0 else self._values[change["new"]]
        if not _same(value, self.value):
            self.value = value

    @traitlets.validate("value")
    def _known(self, proposal):
        values = self._values
        if proposal["value"] is None and self.allow_none:
            return None
        for option in values:
            if _same(option, proposal["value"]):
                return option
        raise traitlets.TraitError(f"{proposal['value']!r} is not among the options {values!r}")

    @traitlets.observe("value")
    def _on_value(self, change):
        if change["new"] is None:
            self.index = -1
            return
        for i, option in enumerate(self._values):
            if _same(option, change["new"]):
                if self.index != i:
                    self.index = i
                return

    @property
    def label(self) -> str:
        return self._labels[self.index]


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # arrays compare element-wise
        return False


class Dropdown(_Choice):
    _view = traitlets.Unicode("dropdown").tag(sync=True)


class SelectionSlider(_Choice):
    """A slider over a list of options (labels shown as its readout)."""

    _view = traitlets.Unicode("selection").tag(sync=True)
    continuous_update = traitlets.Bool(True).tag(sync=True)


class ToggleButtons(_Choice):
    """A few choices as a group of radio buttons (arrow keys move between them)."""

    _view = traitlets.Unicode("radios").tag(sync=True)


class Checkbox(_Control):
    _view = traitlets.Unicode("checkbox").tag(sync=True)
    value = traitlets.Bool(False).tag(sync=True)


class Button(_Control):
    """A button; ``on_click(callback)`` calls ``callback(button)`` on each click."""

    _view = traitlets.Unicode("button").tag(sync=True)

    def __init__(self, **kwargs):
        kwargs.pop("icon", None)  # the description names the button; no icon font needed
        super().__init__(**kwargs)
        self._click_handlers: list[Callable] = []
        self.on_msg(self._on_message)

    def on_click(self, callback: Callable, remove: bool = False) -> None:
        if remove:
            self._click_handlers.remove(callback)
        else:
            self._click_handlers.append(callback)

    def click(self) -> None:
        for callback in list(self._click_handlers):
            callback(self)

    def _on_message(self, _widget, content, _buffers) -> None:
        if content.get("event") == "click":
            self.click()


class Play(_Control):
    """Play / pause and step buttons that move ``value`` from ``min`` to ``max``.

    Link it to a slider in the kernel with ``traitlets.link((play, "value"), (slider, "value"))``
    (a browser-side ``jslink`` sends every change the kernel makes back to it).
    """

    _view = traitlets.Unicode("play").tag(sync=True)
    value = traitlets.Int(0).tag(sync=True)
    min = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(100).tag(sync=True)
    step = traitlets.Int(1).tag(sync=True)
    interval = traitlets.Int(500).tag(sync=True)
    repeat = traitlets.Bool(False).tag(sync=True)


class Figure(anywidget.AnyWidget):
    """A PNG (``value``, bytes) shown in one ``<img>`` with its ``alt`` text.

    ``long_description`` (plain text) opens under the picture in a
    ``<details>`` element; ``dimmed`` greys the picture out.
    """

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    _view = traitlets.Unicode("figure").tag(sync=True)
    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    long_description = traitlets.Unicode("").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    dimmed = traitlets.Bool(False).tag(sync=True)
