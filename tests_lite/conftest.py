"""Fixtures for the tests of the JupyterLite site (build it first: `make lite`).

The site is served from build/lite by a static file server on 127.0.0.1 (as
any static host would serve it) and opened in headless Chromium with the
flags of tests_browser/conftest.py. Every request that leaves 127.0.0.1 is
refused and recorded: the tests run offline, and say which requests the site
would have made to Pyodide's CDN.
"""

from __future__ import annotations

import ast
import functools
import http.server
import importlib.util
import json
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "lite"
RESULTS = ROOT / "benchmarks" / "results" / "lite.txt"
# Measurements gathered by the tests, printed (and kept) at the end of the session.
MEASURED: dict[str, str] = {}


def checksum_table() -> dict[str, str]:
    """lecturelib.data.CHECKSUMS, read from the source without importing numpy."""
    tree = ast.parse((ROOT / "lecturelib" / "data.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "CHECKSUMS" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("lecturelib/data.py has no CHECKSUMS table")


def code_cells() -> dict[str, list[str]]:
    """The code cells of every notebook of the collection, by notebook name."""
    cells = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells[path.name] = [
            "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
        ]
    return cells


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.write_sep("=", "JupyterLite site")
        lines = [f"{key:40} {value}" for key, value in MEASURED.items()]
        for line in lines:
            terminalreporter.write_line(line)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "jupyter-lite.json").is_file():
        pytest.fail("build/lite has no site: run `make lite` first")
    return SITE


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".whl": "application/zip",
    }

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="session")
def static_server(site):
    """The site on a local static server (threads, so Chromium can fetch in parallel)."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _browser_conftest():
    """tests_browser/conftest.py, loaded under its own name (for Chromium and its flags)."""
    path = ROOT / "tests_browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("tests_browser_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    shared = _browser_conftest()
    chromium = str(shared.CHROMIUM)
    if not shared.CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium (or run `make browser` once)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=shared.CHROMIUM_FLAGS
        )
        yield instance
        instance.close()
