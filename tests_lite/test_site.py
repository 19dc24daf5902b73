"""What `make lite` put into build/lite, checked file by file (no browser)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import MEASURED, ROOT, checksum_table, code_cells

CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/"
COMPILED = {"numpy", "matplotlib", "pillow", "kiwisolver", "contourpy"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def config(site) -> dict:
    return json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]


@pytest.fixture(scope="module")
def lock(site) -> dict:
    return json.loads((site / "static" / "pyodide" / "pyodide-lock.json").read_text())


def test_site_size(site):
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    MEASURED["site size"] = f"{size / 1e6:.1f} MB"
    assert size < 150e6


def test_the_kernel_uses_the_sites_own_pyodide(site, config):
    settings = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"):
        assert (site / "static" / "pyodide" / name).is_file(), name
    assert (site / "lab" / "index.html").is_file()


def test_every_lock_entry_is_shipped_with_its_hash_or_on_the_cdn(site, lock):
    assert lock["info"]["python"].startswith("3.14")
    for name, entry in lock["packages"].items():
        if entry["file_name"].startswith("https://"):
            assert entry["file_name"].startswith(CDN), name
        else:
            wheel = site / "static" / "pyodide" / entry["file_name"]
            assert wheel.is_file(), f"{name}: {wheel.name} is not in the site"
            assert digest(wheel) == entry["sha256"], f"{name}: hash differs from the lock"


def test_lecturelib_and_its_dependencies_resolve_in_the_lock(lock):
    packages = {normalise(name): entry for name, entry in lock["packages"].items()}
    assert packages["lecturelib"]["imports"] == ["lecturelib"]
    assert packages["ipywidgets"]["imports"] == ["ipywidgets"]
    needed, todo = set(), ["lecturelib", "ipython", "micropip", "jedi", "comm"]
    while todo:
        name = normalise(todo.pop())
        assert name in packages, f"{name} is missing from the lock"
        if name not in needed:
            needed.add(name)
            todo += packages[name]["depends"]
    remote = {name for name in needed if packages[name]["file_name"].startswith("https://")}
    assert remote == COMPILED, f"loaded from the CDN: {sorted(remote)}"


def test_shipped_versions_follow_the_pins(lock):
    """ipywidgets as `make lab` has it; the stand-in's pins are Pyodide's versions."""
    packages = {normalise(name): entry for name, entry in lock["packages"].items()}
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"ipywidgets=={packages['ipywidgets']['version']}" in requirements
    pins = (ROOT / "requirements-pyodide.txt").read_text().split("# Kernel and tests")[0]
    for line in pins.splitlines():
        name, _, version = line.partition("==")
        if version and normalise(name) in packages:
            assert packages[normalise(name)]["version"] == version, line


def test_lecturelib_wheel_is_the_repository_with_the_data_inside(site):
    (wheel,) = (site / "static" / "pyodide").glob("lecturelib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for source in sorted((ROOT / "lecturelib").rglob("*.py")):
            member = source.relative_to(ROOT).as_posix()
            assert member in names, f"{member} is not in the wheel"
            assert archive.read(member) == source.read_bytes(), f"{member} differs"
        for name, expected in checksum_table().items():
            data = archive.read(f"lecturelib/_data/{name}")
            assert hashlib.sha256(data).hexdigest() == expected, name


def test_notebooks_with_outputs_and_data_are_in_the_contents(site):
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shipped = site / "files" / "notebooks" / notebook.name
        assert shipped.read_bytes() == notebook.read_bytes(), notebook.name
    listing = json.loads((site / "api" / "contents" / "notebooks" / "all.json").read_text())
    listed = {entry["name"] for entry in listing["content"]}
    assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= listed
    for name, expected in checksum_table().items():
        assert digest(site / "files" / "data" / name) == expected, name
    data = json.loads((site / "api" / "contents" / "data" / "all.json").read_text())
    gz = [entry for entry in data["content"] if entry["name"].endswith(".gz")]
    assert gz and all(entry["mimetype"] == "application/gzip" for entry in gz)


def test_settings_of_make_lab_and_the_widget_front_end(site, config):
    overrides = json.loads((ROOT / "scripts" / "jupyter_overrides.json").read_text())
    for plugin, settings in overrides.items():
        assert config["settingsOverrides"][plugin] == settings, plugin
    extensions = {extension["name"] for extension in config["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in extensions
    assert (site / "extensions" / "@jupyter-widgets" / "jupyterlab-manager").is_dir()


def test_every_notebook_compiles_with_python_3_14_or_the_running_one():
    """Python 3.14 is the browser's; where it is not installed, the running Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    sources = {
        f"{name} cell {index}": TransformerManager().transform_cell(source)
        for name, cells in code_cells().items()
        for index, source in enumerate(cells)
    }
    python = shutil.which("python3.14") or sys.executable
    check = (
        "import json, sys\n"
        "failures = []\n"
        "for where, source in json.load(sys.stdin).items():\n"
        "    try:\n"
        "        compile(source, where, 'exec')\n"
        "    except SyntaxError as error:\n"
        "        failures.append(f'{where}: {error}')\n"
        "print(json.dumps([sys.version_info[:2], failures]))\n"
    )
    result = subprocess.run(
        [python, "-c", check], input=json.dumps(sources), capture_output=True, text=True
    )
    version, failures = json.loads(result.stdout)
    MEASURED["notebook code compiled locally with"] = "Python {}.{}".format(*version)
    assert failures == []
