"""Where a panel update's time goes, measured inside the notebook's kernel.

Imported by the probe that benchmarks/panels.py runs after a notebook's last
cell. Every control of every panel is moved through its positions (as the
panel tests do), and each update is split into parts:

    update   the notebook's update function: the lesson's computation and
             the changes to the figure's artists (set_data, set_text, ...)
    draw     matplotlib painting the figure (or only its animated artists)
    encode   the PNG encoding of the painted pixels
    describe the figure's text alternative
    send     handing the widget messages to the kernel's socket

plus the bytes sent per update (every widget message of the update, PNG
included) and the picture's size in pixels. Times are CPU time of the
kernel's main thread, so a busy machine inflates them less than wall time.
Nothing here changes a panel: the functions are wrapped while measuring and
unwrapped afterwards.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import ipywidgets
import numpy as np

import lecturelib.drawing.figures as figures
import lecturelib.drawing.panel as panel_module

PARTS = ("update", "draw", "encode", "describe", "send")
clock = time.thread_time


class _Meter:
    """Running sums of the parts of the update being measured."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.bytes_sent = 0
        self.png_bytes = 0
        self.pixels = (0, 0)


def _timed(meter: _Meter, part: str, function):
    def wrapper(*args, **kwargs):
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            meter.seconds[part] += clock() - start

    return wrapper


@contextmanager
def _instrumented(meter: _Meter):
    """Wrap the encoder, the message sender and each panel's functions; undo on exit."""
    encode = figures.canvas_png
    send = ipywidgets.Widget._send

    def timed_encode(canvas):
        start = clock()
        png = encode(canvas)
        meter.seconds["encode"] += clock() - start
        meter.png_bytes += len(png)
        meter.pixels = canvas.get_width_height(physical=True)
        return png

    def timed_send(self, msg, buffers=None):
        start = clock()
        try:
            return send(self, msg, buffers)
        finally:
            meter.seconds["send"] += clock() - start
            meter.bytes_sent += len(json.dumps(msg, default=str)) + sum(
                memoryview(b).nbytes for b in buffers or ()
            )

    saved = []
    figures.canvas_png = timed_encode
    if getattr(panel_module, "canvas_png", None) is encode:
        panel_module.canvas_png = timed_encode
    ipywidgets.Widget._send = timed_send
    for panel in panel_module.PANELS:
        saved.append((panel, panel.update_function))
        panel.update_function = _timed(meter, "update", panel.update_function)
        panel._describe = _timed(meter, "describe", panel._describe)
    try:
        yield
    finally:
        figures.canvas_png = encode
        if getattr(panel_module, "canvas_png", None) is timed_encode:
            panel_module.canvas_png = encode
        ipywidgets.Widget._send = send
        for panel, update in saved:
            panel.update_function = update
            del panel._describe  # the wrapper was an instance attribute over the method


def _kind(control) -> str:
    """ "slider" or "dropdown" as the browser test names them; "other" for the rest."""
    view = getattr(control, "_view", "")
    return {"slider": "slider", "selection": "slider", "dropdown": "dropdown"}.get(view, "other")


def measure_panel(panel, meter: _Meter) -> list[dict]:
    """One row per control: the median of each part over the control's positions."""
    rows = []
    start_values = panel.values()
    for name, control in panel.controls.items():
        samples = []
        for position in panel_module.control_positions(control):
            if position == panel.values()[name]:
                continue  # no change, no update (the browser sends nothing either)
            panel._suspended = True
            try:
                control.value = position
            finally:
                panel._suspended = False
            meter.reset()
            start = clock()
            panel.refresh()
            total = clock() - start
            if panel.last_message:
                continue  # a setting the panel explains instead of drawing
            parts = dict(meter.seconds)
            # What the wrappers did not see is matplotlib drawing (and the
            # panel's own bookkeeping, which is small).
            parts["draw"] = max(0.0, total - sum(v for k, v in parts.items() if k != "draw"))
            samples.append((parts, total, meter.bytes_sent, meter.png_bytes, meter.pixels))
        panel.set(**start_values)
        if not samples:
            continue
        row = {
            "control": str(getattr(control, "description", name) or name),
            "kind": _kind(control),
            "updates": len(samples),
            "total_ms": 1000 * float(np.median([s[1] for s in samples])),
            "bytes": int(np.median([s[2] for s in samples])),
            "png_bytes": int(np.median([s[3] for s in samples])),
            "pixels": list(samples[-1][4]),
        }
        for part in PARTS:
            row[f"{part}_ms"] = 1000 * float(np.median([s[0][part] for s in samples]))
        rows.append(row)
    return rows


def measure_all() -> list[dict]:
    """:func:`measure_panel` for every panel of the kernel, each row naming its panel."""
    meter = _Meter()
    rows = []
    with _instrumented(meter):
        for index, panel in enumerate(panel_module.PANELS):
            if panel.figure is None:
                continue
            for row in measure_panel(panel, meter):
                rows.append({"panel": index, **row})
    return rows
