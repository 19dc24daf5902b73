"""The whole collection under a stand-in for the in-browser kernel.

Run in .venv-pyodide (`make lite-test`): CPython with the package versions
of Pyodide 314.0.6 (requirements-pyodide.txt: matplotlib 3.10.8, numpy
2.4.6, ...) and the lecturelib wheel the site ships, installed from
build/lite, with its data inside. Together with nbval over notebooks/ (same
command), this is what stands in for running the notebooks in the browser,
which an offline test cannot do (numpy and matplotlib come from Pyodide's CDN).

Each notebook runs once from a clean kernel and every position of every
control of every panel is moved. The saved outputs are not compared byte for
byte here (another matplotlib draws other PNG bytes); nbval compares the
text outputs.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks as nbtools  # noqa: E402

NOTEBOOKS = nbtools.all_notebooks()
PINS = dict(
    line.split("==")
    for line in (ROOT / "requirements-pyodide.txt").read_text().splitlines()
    if "==" in line and not line.startswith("#")
)

KERNEL_FACTS = """\
import importlib.metadata, json, lecturelib, lecturelib.data
print(json.dumps({
    "versions": {name: importlib.metadata.version(name) for name in NAMES},
    "lecturelib": lecturelib.__file__,
    "data_dir": str(lecturelib.data.data_dir()),
}))
"""


def test_the_environment_is_the_stand_in():
    """Pyodide's versions, and lecturelib (with its data) from the site's wheel."""
    names = ["numpy", "matplotlib", "pillow", "tqdm", "ipywidgets", "comm"]
    code = KERNEL_FACTS.replace("NAMES", repr(names))
    # A fresh interpreter in the notebooks' folder, as their kernels start.
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        check=True,
    )
    facts = json.loads(result.stdout)
    for name, version in facts["versions"].items():
        assert version == PINS[name], f"{name} {version}, Pyodide has {PINS[name]}"
    assert "site-packages" in facts["lecturelib"], "lecturelib must be the site's wheel"
    assert facts["data_dir"].endswith("lecturelib/_data"), facts["data_dir"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_every_control_works(path):
    _, seconds, report = nbtools.run(path, exercise=True)
    assert seconds < 2 * nbtools.TIME_BUDGET_S, f"{path.name} took {seconds:.1f} s"
    for index, panel in enumerate(report):
        assert not panel["unexpected_errors"], f"panel {index}: {panel['unexpected_errors'][:3]}"
        assert panel["updates"] > 0
