"""The two environment files pin the same packages at the same versions."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip().lstrip("- ").strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][^\s]*", line), f"not pinned: {line}"


def test_environment_yml_carries_the_same_pins():
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert requirements, "requirements.txt lists no pins"
    assert environment == requirements


def test_environment_yml_installs_lecturelib_and_python_311():
    text = (ROOT / "environment.yml").read_text()
    assert "- -e ." in text
    assert re.search(r"- python=3\.1[1-9]", text)


def test_requirements_never_pull_torch():
    # torch is a test-only extra installed by .ci/run from local disk; a
    # requirement on it here would fetch a multi-gigabyte CUDA build.
    for name in ("requirements.txt", "environment.yml", "pyproject.toml"):
        assert "torch" not in (ROOT / name).read_text().lower(), name


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert ci.strip().splitlines()[-1] == "make test"


def test_jupyterlab_settings_silence_the_news_and_save_widget_state():
    import json

    overrides = json.loads((ROOT / "scripts" / "jupyter_overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    # make venv (and so make lab) installs them where JupyterLab reads overrides
    makefile = (ROOT / "Makefile").read_text()
    assert "share/jupyter/lab/settings/overrides.json" in makefile
    assert "overrides.json" in (ROOT / "postBuild").read_text()
