"""The JupyterLite site in headless Chromium, offline.

One page, one notebook made by the test: the Pyodide kernel starts from the
site's own files and reaches idle; Run All runs a widget cell and a cell that
reads the data files through the site's drive; a slider moved with the
keyboard changes the value the kernel sees, and a value set by the kernel
changes the slider; the data files packed in the lecturelib wheel have their
checksums; every notebook's code compiles under the kernel's Python (3.14).

What cannot run here: numpy, matplotlib, pillow, kiwisolver and contourpy
come from Pyodide's CDN, which this offline test refuses, so lecturelib
cannot be imported and no notebook of the collection can run. The test
checks that ``import lecturelib`` asks the CDN for exactly those wheels; the
notebooks themselves run in tests_lite/test_standin.py instead.
"""

from __future__ import annotations

import json
import re
import sys
import time

import pytest

from conftest import MEASURED, checksum_table, code_cells

pytestmark = pytest.mark.browser

NOTEBOOK = "lite_probe.ipynb"
CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/"
COMPILED_WHEELS = {"numpy", "matplotlib", "pillow", "kiwisolver", "contourpy"}

# Cells of the probe notebook: pure-Python work only (see the module docstring).
WIDGET_CELL = """\
import ipywidgets as widgets

slider = widgets.IntSlider(value=3, min=0, max=10, description="probe")
seen = []
slider.observe(lambda change: seen.append(change["new"]), names="value")
slider"""
DRIVE_CELL = """\
import hashlib
import json
import pathlib

drive_digests = {
    name: hashlib.sha256((pathlib.Path("data") / name).read_bytes()).hexdigest()
    for name in NAMES
}
print("DRIVE", json.dumps(drive_digests))"""

# Runs one piece of code on the open notebook's kernel; returns its outputs.
EXECUTE_JS = """async (code) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, stop_on_error: true});
  let out = "", error = null;
  future.onIOPub = (msg) => {
    const kind = msg.header.msg_type;
    if (kind === "stream") out += msg.content.text;
    if (kind === "execute_result") out += msg.content.data["text/plain"] + "\\n";
    if (kind === "error") error = msg.content.ename + ": " + msg.content.evalue;
  };
  const reply = await future.done;
  return {status: reply.content.status, out, error};
}"""

KERNEL_IDLE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const context = panel && panel.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return Boolean(kernel && context.isReady && kernel.status === "idle");
}"""

ALL_RUN_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const prompts = [...panel.node.querySelectorAll(".jp-CodeCell .jp-InputArea-prompt")]
    .map(node => node.textContent.trim());
  const kernel = panel.sessionContext.session.kernel;
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p))
    && kernel.status === "idle";
}"""


def probe_notebook() -> dict:
    cells = [WIDGET_CELL, DRIVE_CELL.replace("NAMES", repr(sorted(checksum_table())))]
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python", "display_name": "Python (Pyodide)"}},
        "cells": [
            {
                "cell_type": "code",
                "id": f"probe-{index}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for index, source in enumerate(cells)
        ],
    }


class Offline:
    """Serve the site, refuse everything else (and remember what was asked for)."""

    def __init__(self, base: str):
        self.base, self.refused = base, []

    def __call__(self, route):
        url = route.request.url
        if not url.startswith(self.base):
            self.refused.append(url)
            route.abort()
        elif url.split("?")[0].endswith("/jupyter-lite.json"):
            # The test drives JupyterLab through window.jupyterapp; the site
            # itself does not expose it.
            response = route.fetch()
            config = response.json()
            config.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = "true"
            route.fulfill(response=response, json=config)
        else:
            route.continue_()


@pytest.fixture(scope="module")
def lite_page(browser, static_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    offline = Offline(static_server)
    context.route("**/*", offline)
    page = context.new_page()
    page.offline = offline
    page.set_default_timeout(60000)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.console = console
    try:
        page.goto(f"{static_server}/lab/index.html")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager")
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        page.wait_for_function("() => window.jupyterapp.commands.hasCommand('docmanager:open')")
        page.evaluate(
            """async ([path, notebook]) => {
                await window.jupyterapp.serviceManager.contents.save(
                    path, {type: "notebook", format: "json", content: notebook});
            }""",
            [NOTEBOOK, probe_notebook()],
        )
        started = time.monotonic()
        page.evaluate(
            """async (path) => { await window.jupyterapp.commands.execute("docmanager:open",
                {path, factory: "Notebook", kernel: {name: "python"}}); }""",
            NOTEBOOK,
        )
        try:
            page.wait_for_function(KERNEL_IDLE_JS, timeout=180000, polling=200)
        except Exception as error:
            raise AssertionError(f"no idle kernel; console: {console[-20:]}") from error
        first = page.evaluate(EXECUTE_JS, "1 + 1")
        seconds = time.monotonic() - started
        assert first["status"] == "ok", first
        MEASURED["time to an idle kernel"] = f"{seconds:.1f} s (opened notebook to first reply)"
        page.kernel_seconds = seconds
        yield page
    finally:
        context.close()


def run(page, code: str) -> str:
    result = page.evaluate(EXECUTE_JS, code)
    assert result["status"] == "ok", f"{code[:60]!r}: {result['error']}"
    return result["out"]


def test_kernel_is_pyodide_from_the_site_and_starts_offline(lite_page):
    code = "import sys, pyodide; print(sys.platform, sys.version_info[:2], pyodide.__version__)"
    out = run(lite_page, code)
    assert out.split()[0] == "emscripten"
    assert "(3, 14)" in out and "314.0.6" in out
    assert lite_page.offline.refused == [], lite_page.offline.refused
    assert lite_page.kernel_seconds < 180


def test_run_all_then_widget_round_trip(lite_page):
    page = lite_page
    started = time.monotonic()
    page.evaluate(
        'async () => { await window.jupyterapp.commands.execute("notebook:run-all-cells"); }'
    )
    page.wait_for_function(ALL_RUN_JS, timeout=120000, polling=200)
    MEASURED["Run All of the probe notebook"] = (
        f"{time.monotonic() - started:.1f} s (ipywidgets loaded from the lock, data read"
        " from the drive; no notebook of the collection is pure Python)"
    )
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()[:500]

    # Front end -> kernel: two key presses on the slider.
    handle = page.locator(".jp-OutputArea .widget-slider .noUi-handle").first
    handle.wait_for(state="visible", timeout=30000)
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = run(page, "print(slider.value, seen)")
        if out.startswith("5"):
            break
        time.sleep(0.3)
    assert out.strip() == "5 [4, 5]", out

    # Kernel -> front end: the kernel sets a value, the slider shows it.
    run(page, "slider.value = 8")
    readout = page.locator(".jp-OutputArea .widget-slider .widget-readout").first
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and readout.inner_text().strip() != "8":
        time.sleep(0.2)
    assert readout.inner_text().strip() == "8"


def test_data_through_the_drive_has_the_checksums(lite_page):
    out = run(lite_page, "print('DRIVE', json.dumps(drive_digests))")
    digests = json.loads(out.split("DRIVE", 1)[1])
    assert digests == checksum_table()


def test_import_lecturelib_asks_the_cdn_for_the_compiled_wheels_only(lite_page):
    """Offline, the import loads lecturelib and its pure dependencies from the site, then
    fails at the CDN's wheels (before any other test installs lecturelib without them)."""
    before = len(lite_page.offline.refused)
    lite_page.evaluate(EXECUTE_JS, "import lecturelib")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(lite_page.offline.refused) == before:
        time.sleep(0.2)
    time.sleep(1.0)
    asked = lite_page.offline.refused[before:]
    names = {re.match(r"[A-Za-z0-9_]+", url.rsplit("/", 1)[1]).group(0).lower() for url in asked}
    assert asked and all(url.startswith(CDN) for url in asked), asked
    assert names == COMPILED_WHEELS, names
    loaded = [line for line in lite_page.console if line.startswith("Loaded ")]
    assert loaded and "lecturelib" in loaded[-1], loaded
    print("refused, as expected offline:", *asked, sep="\n  ", file=sys.stderr)


def test_data_in_the_lecturelib_wheel_has_the_checksums(lite_page, static_server, site):
    (wheel,) = (site / "static" / "pyodide").glob("lecturelib-*.whl")
    # Installed without dependencies (importing lecturelib needs numpy from the CDN); a
    # no-op when the import test above has already loaded it from the lock.
    code = f"""
import importlib.util, micropip
if importlib.util.find_spec("lecturelib") is None:
    await micropip.install("{static_server}/static/pyodide/{wheel.name}", deps=False)
folder = pathlib.Path(importlib.util.find_spec("lecturelib").origin).parent / "_data"
digests = {{n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in NAMES}}
print("WHEEL", json.dumps(digests))
""".replace("NAMES", repr(sorted(checksum_table())))
    out = run(lite_page, code)
    assert json.loads(out.split("WHEEL", 1)[1]) == checksum_table()


def test_every_notebook_compiles_with_the_kernels_python(lite_page):
    code = f"""
import json, sys
from IPython.core.inputtransformer2 import TransformerManager
failures = []
for name, cells in json.loads({json.dumps(json.dumps(code_cells()))}).items():
    for index, source in enumerate(cells):
        try:
            compile(TransformerManager().transform_cell(source), f"{{name}}[{{index}}]", "exec")
        except SyntaxError as error:
            failures.append(f"{{name}} cell {{index}}: {{error}}")
print("COMPILED", sys.version_info[:2], json.dumps(failures))
"""
    out = run(lite_page, code)
    assert "(3, 14)" in out
    assert json.loads(out.split(")", 1)[1]) == []
