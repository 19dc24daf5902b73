"""Accessibility checks in the browser: an axe-core audit and a keyboard walk.

The audit runs axe-core (bundled with the ``axe-playwright-python`` package,
no network) with the WCAG 2.0/2.1 A and AA rules over the whole page, then
sorts every failing node by where it is:

- **collection**: strictly inside a cell's rendered output
  (``.jp-OutputArea-output``) or a rendered Markdown cell
  (``.jp-RenderedMarkdown``): our prose, figures, panels and quizzes;
- **interface**: anything else: JupyterLab's menus, toolbars, editors and
  prompts, or nbconvert's template (code highlighting, prompts) in a static
  export. These are listed, not counted.

The same node classes are used by JupyterLab and by nbconvert's lab
template, so one rule serves both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "resultTypes": ["violations"],
}
COLLECTION = ".jp-OutputArea-output, .jp-RenderedMarkdown"
FAILING_IMPACTS = ("critical", "serious")

# For each failing node: is it strictly inside a cell's output or rendered Markdown?
INSIDE = """([selectors, collection]) => selectors.map(selector => {
  let node = null;
  try { node = document.querySelector(selector); } catch (error) { return false; }
  return Boolean(node && node.parentElement && node.parentElement.closest(collection));
})"""


@dataclass
class Finding:
    rule: str
    impact: str
    help: str
    where: str  # "collection" or "interface"
    targets: list[str] = field(default_factory=list)


def audit(page, where: str, skip: tuple[str, ...] = ()) -> list[Finding]:
    """Run axe on ``page`` and return one Finding per (rule, origin).

    ``skip``: selectors of regions left out of the audit altogether.
    """
    from axe_playwright_python.sync_playwright import Axe

    context = {"exclude": [[selector] for selector in skip]} if skip else None
    results = Axe().run(page, context=context, options=AXE_OPTIONS).response
    findings = []
    for violation in results.get("violations", []):
        targets = [
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"]
        ]
        inside = page.evaluate(INSIDE, [targets, COLLECTION])
        for origin, keep in (("collection", True), ("interface", False)):
            chosen = [t for t, flag in zip(targets, inside, strict=True) if flag == keep]
            if chosen:
                findings.append(
                    Finding(
                        violation["id"],
                        violation.get("impact") or "minor",
                        violation["help"],
                        origin,
                        chosen,
                    )
                )
    for finding in findings:
        finding.targets = [f"{where}: {t}" for t in finding.targets]
    return findings


def failing(findings: list[Finding]) -> list[Finding]:
    """The findings that fail the test: critical or serious, from the collection."""
    return [f for f in findings if f.where == "collection" and f.impact in FAILING_IMPACTS]


def describe(findings: list[Finding]) -> str:
    return "\n".join(
        f"  {f.rule} ({f.impact}, {len(f.targets)} nodes): {f.help}; e.g. {f.targets[0]}"
        for f in findings
    )


def format_report(results: dict[str, list[Finding]], title: str) -> str:
    """Nodes per rule and impact, collection and interface apart."""
    lines = [title]
    for origin in ("collection", "interface"):
        counts: Counter = Counter()
        impacts, examples = {}, {}
        for findings in results.values():
            for f in findings:
                if f.where == origin:
                    counts[f.rule] += len(f.targets)
                    impacts[f.rule] = f.impact
                    examples.setdefault(f.rule, f.targets[0])
        label = "from the collection" if origin == "collection" else "from JupyterLab / nbconvert"
        if not counts:
            lines.append(f"  {label}: none")
            continue
        lines.append(
            f"  {label} (nodes per rule, not counted against the collection)"
            if origin == "interface"
            else f"  {label} (nodes per rule)"
        )
        for rule, count in sorted(counts.items()):
            example = examples[rule][-70:]
            lines.append(f"    {rule:32} {impacts[rule]:9} {count:5d}  e.g. ...{example}")
    lines.append(f"  pages audited: {len(results)}")
    return "\n".join(lines)


# --- keyboard -----------------------------------------------------------------

ACTIVE = """(panel) => {
  const active = document.activeElement;
  if (!active || !panel.contains(active)) return null;
  const style = getComputedStyle(active);
  return {
    tag: active.tagName.toLowerCase(),
    type: active.type || "",
    name: active.labels && active.labels.length ? active.labels[0].textContent : "",
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
  };
}"""


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c):
        c = c / 255.0
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(rgb_a, rgb_b) -> float:
    a, b = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def parse_rgb(css: str) -> tuple[float, float, float]:
    inside = css[css.index("(") + 1 : css.index(")")].replace("/", " ").replace(",", " ")
    return tuple(float(v) for v in inside.split()[:3])


def tab_to(page, panel, selector: str, most: int = 25, key: str = "Tab") -> dict:
    """Press Tab (or ``key``) until the focused element inside ``panel`` matches ``selector``."""
    for _ in range(most):
        page.keyboard.press(key)
        state = page.evaluate(ACTIVE, panel.element_handle())
        if state and page.evaluate(
            "([panel, selector]) => document.activeElement.matches(selector)",
            [panel.element_handle(), selector],
        ):
            return state
    raise AssertionError(f"{most} presses of Tab did not reach {selector}")


RESTORE = """(node, [a, b, value, index]) => {
  const range = node.querySelector(a), select = node.querySelector(b);
  select.selectedIndex = index;
  select.dispatchEvent(new Event("change", {bubbles: true}));
  range.value = value;
  range.dispatchEvent(new Event("change", {bubbles: true}));
}"""

CELL_SOURCES = """(scope) => Array.from(document.querySelectorAll(`${scope} .jp-Cell`)).map(
  cell => (cell.querySelector('.jp-InputArea-editor') || cell).textContent.slice(0, 120))"""

WAIT_FOR_NEW_PICTURE = """async ([image, src, alt]) => {
  for (let i = 0; i < 100; i++) {
    if (image.src !== src && image.alt !== alt) return true;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return false;
}"""


def _changes_picture(page, image, press: list[str]) -> str:
    """Press the first key of ``press`` that gives a new picture and a new alt; return it."""
    for key in press:
        src, alt = image.get_attribute("src"), image.get_attribute("alt")
        page.keyboard.press(key)
        if page.evaluate(WAIT_FOR_NEW_PICTURE, [image.element_handle(), src, alt]):
            return key
    raise AssertionError(f"none of {press} changed the figure and its alt text")


def _check_focus_ring(state: dict, what: str) -> None:
    assert state["name"].strip(), f"the focused {what} has no label"
    assert state["outlineStyle"] != "none" and state["outlineWidth"] >= 2, (
        f"the focused {what} shows no focus ring: {state}"
    )
    ratio = contrast(parse_rgb(state["outlineColor"]), (255, 255, 255))
    assert ratio >= 3.0, f"the focus ring of the {what} has contrast {ratio:.1f}:1 against white"


def keyboard_walk(page, scope: str, slider: str, dropdown: str) -> dict:
    """Reach a panel's slider and dropdown with Tab, change each with keys, try `d d`.

    Checks: each control is reached by Tab, has a label and a visible focus
    ring (>= 3:1 against white); an arrow key on each redraws the figure and
    changes its alt text; `d d` and other notebook shortcut keys pressed on
    the focused dropdown leave every cell where it was. Returns what was done.
    """
    before = page.evaluate(CELL_SOURCES, scope)
    panels = page.locator(f"{scope} .lecturelib-panel")
    for p in range(panels.count()):
        panel = panels.nth(p)
        if panel.locator(slider).count() and panel.locator(dropdown).count():
            break
    else:
        raise AssertionError("no panel has both a slider and a dropdown")
    image = panel.locator("figure.lecturelib-figure img").first
    # Start from the panel itself (as if the student had tabbed to its caption);
    # from there on, only keys.
    panel.scroll_into_view_if_needed()
    panel.evaluate("node => { node.tabIndex = -1; node.focus(); }")
    # Visit the two controls in tab order, whichever comes first in the panel,
    # and end on the dropdown (Shift+Tab back to it if it came first).
    slider_first = panel.evaluate(
        "(node, [a, b]) => Boolean(node.querySelector(a).compareDocumentPosition("
        "node.querySelector(b)) & Node.DOCUMENT_POSITION_FOLLOWING)",
        [slider, dropdown],
    )
    visits = [("slider", slider, ["ArrowRight", "ArrowLeft"])]
    visits.append(("dropdown", dropdown, ["ArrowDown", "ArrowUp"]))
    if not slider_first:
        visits.reverse()
    # Where the two controls start, to put them back afterwards (the latency
    # measurement that follows expects the notebook's own settings).
    start = panel.evaluate(
        "(node, [a, b]) => [node.querySelector(a).value, node.querySelector(b).selectedIndex]",
        [slider, dropdown],
    )
    keys = {}
    for what, selector, press in visits:
        state = tab_to(page, panel, selector)
        _check_focus_ring(state, what)
        keys[what] = _changes_picture(page, image, press)
    if not slider_first:
        tab_to(page, panel, dropdown, key="Shift+Tab")
    for key in ["d", "d", "x", "a", "b", "m", "ArrowUp", "ArrowDown", "Shift+ArrowDown"]:
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    after = page.evaluate(CELL_SOURCES, scope)
    assert after == before, "a key pressed on a focused control changed the notebook's cells"
    still = page.evaluate(ACTIVE, panel.element_handle())
    assert still is not None, "the focus left the panel while keys were pressed on the dropdown"
    panel.evaluate(RESTORE, [slider, dropdown, *start])
    page.wait_for_timeout(1500)
    return {"panel": p, "order": [v[0] for v in visits], "keys": keys, "cells": len(after)}
