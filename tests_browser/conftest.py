"""Fixtures for the end-to-end tests: Chromium, a JupyterLab server, a Voila server.

Each server runs from the project's virtual environment on a free loopback
port, with throw-away settings, runtime and workspace directories, over a
copy of the notebooks (JupyterLab autosaves what it runs, and the committed
notebooks must not change). Every process started here is stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "screenshots"
LATENCY_TABLE = ROOT / "benchmarks" / "results" / "panel_latency.txt"
# Control timings gathered by the tests, printed at the end of the session.
LATENCY: dict[str, list] = {"JupyterLab": [], "Voila": []}
BURSTS: list[tuple[str, dict]] = []
ACCESSIBILITY_TABLE = ROOT / "benchmarks" / "results" / "accessibility.txt"
# axe findings per front end and page, and the keyboard walks, printed at the end.
A11Y: dict[str, dict] = {"JupyterLab": {}, "Voila": {}, "static export": {}}
KEYBOARD: list[tuple[str, dict]] = []


def latency_report() -> str:
    from latency import format_table

    tables = [
        format_table(timings, f"Panel latency in {front_end}: key press or choice to picture")
        for front_end, timings in LATENCY.items()
        if timings
    ]
    if BURSTS:
        lines = [
            "Bursts: 30 key presses as fast as possible, from the start of the first slider",
            "with 30 steps (else the longest); changes: the presses that changed the value",
        ]
        lines += [
            f"{where:30} panel {r['panel']}, {r['control'][:22]:22} changes {r['changes']:2d}, "
            f"pictures {r['pictures']:2d}, final value {r['readout']:>6}, last picture "
            f"{'matches' if r['final_matches'] else 'DOES NOT match'} that value"
            for where, r in BURSTS
        ]
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def accessibility_report() -> str:
    from a11y import format_report

    parts = [
        format_report(pages, f"axe-core {front_end} (WCAG 2.0/2.1 A and AA rules)")
        for front_end, pages in A11Y.items()
        if pages
    ]
    parts += [f"keyboard walk in {name}: {walk}" for name, walk in KEYBOARD]
    return "\n\n".join(parts)


def pytest_terminal_summary(terminalreporter):
    accessibility = accessibility_report()
    if accessibility:
        terminalreporter.write_sep("=", "accessibility")
        terminalreporter.write_line(accessibility)
        ACCESSIBILITY_TABLE.parent.mkdir(parents=True, exist_ok=True)
        ACCESSIBILITY_TABLE.write_text(accessibility + "\n", encoding="utf-8")
    report = latency_report()
    if report:
        terminalreporter.write_sep("=", "panel latency")
        terminalreporter.write_line(report)
        LATENCY_TABLE.parent.mkdir(parents=True, exist_ok=True)
        LATENCY_TABLE.write_text(report + "\n", encoding="utf-8")
        terminalreporter.write_line(f"(also written to {LATENCY_TABLE.relative_to(ROOT)})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server and everything it started (kernels included)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; installed with apt when missing (CI machines start without it)."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail(
                "Chromium is missing and cannot be installed here: apt-get install chromium"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=True,
            env=env,
            timeout=1200,
            stdout=subprocess.DEVNULL,
        )
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def notebook_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS
        )
        yield instance
        instance.close()


# The servers' kernels listen on socket files, not TCP ports that another
# process can take while a kernel starts (scripts/kernels.py says why).
KERNELS_ON_SOCKET_FILES = ["--KernelManager.transport=ipc"] if os.name == "posix" else []


def _runtime_dir(home: Path) -> Path:
    """The server's runtime folder: connection files and kernels' socket files.

    A socket file's path must fit in about 100 bytes and a kernel's adds
    "kernel-<36-character id>-ipc-1" to this folder: the folder is made
    short, under the system's temporary folder, and linked from ``home``.
    """
    link = home / "runtime"
    if not link.exists():
        link.symlink_to(tempfile.mkdtemp(prefix="rt-"))
    return link.resolve()


def _server_environment(home: Path) -> dict:
    settings = home / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # JupyterLab's default windowing, as students have it: every cell is in the
    # page (the test reads outputs far down), and the browser skips laying out
    # and painting the cells off screen (CSS content-visibility).
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "contentVisibility"})
    )
    environment = dict(os.environ)
    environment.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(_runtime_dir(home)),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        LECTURELIB_PROGRESS="0",
    )
    return environment


class Server:
    def __init__(self, process, base_url, token="", runtime_dir: Path | None = None):
        self.process, self.base_url, self.token = process, base_url, token
        self.runtime_dir = runtime_dir

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


@contextlib.contextmanager
def running_server(command, home: Path, port: int, ready_path: str, token: str = ""):
    """Start a server in its own process group, wait until it answers, stop it after."""
    with open(home / "server.log", "w") as log:
        process = subprocess.Popen(
            command,
            env=_server_environment(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{base}{ready_path}")
            yield Server(process, base, token, _runtime_dir(home))
        finally:
            stop(process)
            shutil.rmtree(_runtime_dir(home), ignore_errors=True)


@pytest.fixture(scope="session")
def jupyterlab(notebook_copy, tmp_path_factory):
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(BIN / "jupyter-lab"),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebook_copy}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *KERNELS_ON_SOCKET_FILES,
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    home = tmp_path_factory.mktemp("jupyter-home")
    with running_server(command, home, port, f"/api/status?token={token}", token) as server:
        yield server


@pytest.fixture(scope="session")
def voila(notebook_copy, tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("voila-home")
    command = [
        str(BIN / "voila"),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--strip_sources=True",
        *KERNELS_ON_SOCKET_FILES,
        # Voila keeps its connection files in a folder of its own, made here.
        f"--Voila.connection_dir_root={_runtime_dir(home)}",
        str(notebook_copy),
    ]
    with running_server(command, home, port, "/") as server:
        yield server
