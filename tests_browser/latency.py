"""How long a student waits: from a key press (or a choice) to the new picture on screen.

For every panel on a page, each slider is stepped with the arrow keys (one
step right, one back, and so on: eleven moves, so it is left one step right
of where it started and the next controls meet a setting other than the
default; notebook 10's output padding only draws once the stride is above
1), and each dropdown is switched through its options (eleven switches, or
once round when it has more) and back. Eleven moves give a p90 that is not
simply the slowest move; the table prints the slowest too.
The first move to a new setting may cost more than a return to one the
panel has drawn before, as it does for a student. A move is
timed in the page itself: the clock starts when the keyboard or change
event reaches the document, and stops when the panel's image has a new
source, that image has been decoded, and two animation frames have passed
(so the browser has painted it). Moves that do not change the picture (the
end of a range, a setting the panel explains instead of drawing) are not
timed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# The panels' controls (lecturelib.drawing.controls): a labelled native range input with
# its readout, and a labelled native select.
SLIDER = ".lecturelib-slider"
DROPDOWN = ".lecturelib-dropdown"
READOUT = ".lecturelib-readout"

# Targets of the speed table (this machine, idle): slider steps and dropdown switches.
TARGET_P90_MS = {"slider": 100.0, "dropdown": 150.0}
MOVES = 11  # per control (odd: a slider ends one step right of its start)

ARM = """([image, eventName]) => {
  window.__latencyStart = null;
  window.__latencyParts = null;
  const start = () => { window.__latencyStart = performance.now(); };
  document.addEventListener(eventName, start, {capture: true, once: true});
  window.__latencyDone = new Promise(resolve => {
    const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, %d);
    const observer = new MutationObserver(async () => {
      const arrived = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      try { await image.decode(); } catch (error) { /* a broken image still counts as shown */ }
      const decoded = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const painted = performance.now();
        window.__latencyParts = [arrived, decoded, painted];
        resolve(painted);
      }));
    });
    observer.observe(image, {attributes: true, attributeFilter: ["src"]});
  });
}"""

# The total, and its three parts: until the new picture's bytes reached the
# image (the round trip through server and kernel), decoding them, and the
# two frames until the paint.
READ = """async () => {
  const end = await window.__latencyDone;
  const start = window.__latencyStart;
  if (end === null || start === null) return null;
  const [arrived, decoded, painted] = window.__latencyParts;
  return [end - start, arrived - start, decoded - arrived, painted - decoded];
}"""


@dataclass
class ControlTiming:
    where: str  # "notebook, panel 2"
    control: str  # the control's label
    kind: str  # "slider" or "dropdown"
    times_ms: list[float] = field(default_factory=list)
    # Per timed move: (round trip to the new picture's arrival, decode, paint) in ms.
    parts_ms: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(np.median(self.times_ms)) if self.times_ms else math.nan

    @property
    def p90(self) -> float:
        return float(np.percentile(self.times_ms, 90)) if self.times_ms else math.nan

    @property
    def slowest(self) -> float:
        return max(self.times_ms) if self.times_ms else math.nan

    def part_median(self, index: int) -> float:
        return float(np.median([p[index] for p in self.parts_ms])) if self.parts_ms else math.nan

    def add(self, measured: list[float] | None) -> bool:
        """Keep one move's total and parts; False when the move showed no new picture."""
        if measured is None:
            return False
        self.times_ms.append(measured[0])
        self.parts_ms.append(tuple(measured[1:]))
        return True

    @property
    def meets_target(self) -> bool:
        return bool(self.times_ms) and self.p90 <= TARGET_P90_MS[self.kind]


def _timed(page, image, event_name: str, timeout_ms: int, act, *args, **kwargs):
    """Run ``act(*args, **kwargs)``; the milliseconds until the new picture showed, and parts.

    Returns ``[total, round trip, decode, paint]``, or None when no new picture came.
    """
    page.evaluate(ARM % timeout_ms, [image, event_name])
    act(*args, **kwargs)
    return page.evaluate(READ)


def _label(control) -> str:
    label = control.locator("label").first
    text = label.text_content().strip() if label.count() else ""
    return text or "(unlabelled)"


def _drawing_panels(page, scope: str):
    """(index, panel) for every panel in ``scope`` that shows a picture."""
    panels = page.locator(f"{scope} .lecturelib-panel")
    for p in range(panels.count()):
        if panels.nth(p).locator("img").count():
            yield p, panels.nth(p)


def _range_inputs(panel):
    """(slider control, its range input) for every slider of ``panel``."""
    sliders = panel.locator(SLIDER)
    for s in range(sliders.count()):
        handle = sliders.nth(s).locator("input[type=range]").first
        if handle.count():
            yield sliders.nth(s), handle


def measure_panels(page, scope: str, where: str, moves: int = MOVES, timeout_ms: int = 1500):
    """Time every slider and dropdown of every panel in ``scope``; returns ControlTimings."""
    results = []
    for p, panel in _drawing_panels(page, scope):
        image = panel.locator("img").first.element_handle()
        for control, handle in _range_inputs(panel):
            timing = ControlTiming(f"{where}, panel {p}", _label(control), "slider")
            handle.scroll_into_view_if_needed()
            handle.focus()
            key, misses = "ArrowRight", 0
            while len(timing.times_ms) < moves and misses < 3:
                measured = _timed(page, image, "keydown", timeout_ms, page.keyboard.press, key)
                # At the end of the range, or with no new picture: turn round.
                misses += not timing.add(measured)
                key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
            results.append(timing)
        dropdowns = panel.locator(DROPDOWN)
        for d in range(dropdowns.count()):
            control = dropdowns.nth(d)
            select = control.locator("select").first
            options = select.locator("option").all_text_contents()
            if len(options) < 2:
                continue
            timing = ControlTiming(f"{where}, panel {p}", _label(control), "dropdown")
            start = select.evaluate("s => s.selectedIndex")
            switches = max(moves, len(options))
            order = [(start + 1 + i) % len(options) for i in range(switches)]
            if order[-1] != start:
                order.append(start)  # leave the panel as it was
            for index in order:
                choose = select.select_option
                timing.add(_timed(page, image, "change", timeout_ms, choose, index=index))
            results.append(timing)
    return results


def format_table(timings, title: str) -> str:
    """A plain-text table, one row per control, with the target verdict."""
    header = f"{'where':34} {'control':24} {'kind':8} {'moves':>5} {'median ms':>9} {'p90 ms':>7}"
    header += f" {'max ms':>6}  {'trip':>4} {'decode':>6} {'paint':>5}"
    lines = [title, header + "  target"]
    for t in timings:
        verdict = "met" if t.meets_target else ("no picture" if not t.times_ms else "MISSED")
        lines.append(
            f"{t.where[:34]:34} {t.control[:24]:24} {t.kind:8} {len(t.times_ms):5d} "
            f"{t.median:9.0f} {t.p90:7.0f} {t.slowest:6.0f}  {t.part_median(0):4.0f} "
            f"{t.part_median(1):6.0f} "
            f"{t.part_median(2):5.0f}  {verdict} (p90 <= {TARGET_P90_MS[t.kind]:.0f})"
        )
    timed = [t for t in timings if t.times_ms]
    met = sum(t.meets_target for t in timed)
    lines.append(f"{met} of {len(timed)} timed controls meet their target")
    lines.append(
        "trip: from the event to the new picture's bytes in the page (front end, server, kernel"
        " and back);\ndecode: the image decoded; paint: two animation frames until it is"
        " painted (medians, ms)"
    )
    return "\n".join(lines)


COUNT_PICTURES = """(image) => {
  window.__pictures = 0;
  window.__pictureObserver = new MutationObserver(() => { window.__pictures += 1; });
  window.__pictureObserver.observe(image, {attributes: true, attributeFilter: ["src"]});
}"""

PICTURE_BYTES = """async (image) => {
  const response = await fetch(image.src);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let hash = 0;
  for (const b of bytes) hash = (hash * 31 + b) >>> 0;
  return `${bytes.length}:${hash}`;
}"""


def _settle(page, quiet_ms: int = 1500, most_ms: int = 20000) -> None:
    """Wait until the picture has not changed for ``quiet_ms``."""
    last, quiet = page.evaluate("window.__pictures"), 0
    waited = 0
    while quiet < quiet_ms and waited < most_ms:
        page.wait_for_timeout(100)
        waited += 100
        now = page.evaluate("window.__pictures")
        quiet = quiet + 100 if now == last else 0
        last = now


STEPS = """(input) => {
  const step = input.step === "any" || !input.step ? 1 : Number(input.step);
  return Math.round((Number(input.max) - Number(input.min)) / step);
}"""


def _burst_slider(page, scope: str, presses: int):
    """(panel index, panel, slider control, its range input, its steps) for the burst: the first
    slider with at least ``presses`` steps in a panel that draws a picture, else the
    slider with the most steps; None if there is none."""
    longest = None
    for p, panel in _drawing_panels(page, scope):
        for control, handle in _range_inputs(panel):
            steps = handle.evaluate(STEPS)
            if steps >= presses:
                return p, panel, control, handle, steps
            if longest is None or steps > longest[-1]:
                longest = (p, panel, control, handle, steps)
    return longest


def burst(page, scope: str, presses: int = 30) -> dict | None:
    """Press an arrow key ``presses`` times as fast as possible on one slider of a panel.

    The slider is the first one with room for ``presses`` steps (else the
    longest), moved to its start first, so that every press changes the
    value (``changes`` counts the presses that could). Returns how many
    pictures arrived, the slider's readout at the end, and whether the final
    picture is the one that value draws (checked by moving away and back,
    which must reproduce it). None when no panel has a slider.
    """
    chosen = _burst_slider(page, scope, presses)
    if chosen is None:
        return None
    p, panel, control, handle, steps = chosen
    image = panel.locator("img").first.element_handle()
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.evaluate(COUNT_PICTURES, image)
    page.keyboard.press("Home")
    _settle(page)
    page.evaluate("window.__pictures = 0")
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
    _settle(page)
    pictures = page.evaluate("window.__pictures")
    readout = control.locator(READOUT).first.text_content().strip()
    final = page.evaluate(PICTURE_BYTES, image)
    page.keyboard.press("ArrowLeft")
    _settle(page)
    page.keyboard.press("ArrowRight")
    _settle(page)
    again = page.evaluate(PICTURE_BYTES, image)
    page.evaluate("window.__pictureObserver.disconnect()")
    return {
        "panel": p,
        "control": _label(control),
        "presses": presses,
        "changes": min(presses, steps),
        "pictures": pictures,
        "readout": readout,
        "final_matches": final == again,
    }
