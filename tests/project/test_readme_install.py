"""The README's set-up without make: the documented lines agree with the project's files.

The install itself runs in CI (.ci/check_readme_install.py, a scratch venv); these
checks read the same blocks the CI step reads and need no network.
"""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check", ROOT / ".ci" / "check_readme_install.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_windows_and_posix_blocks_carry_the_same_pip_lines():
    posix, windows = check.readme_blocks(README)
    pip_lines = check.check_blocks_agree(posix, windows)
    assert any("-r requirements.txt" in line for line in pip_lines)
    assert any(line.endswith("--no-deps -e .") for line in pip_lines)
    assert windows[0].startswith("py -3.") and windows[0].endswith("-m venv .venv")


def test_the_pip_lines_match_what_make_venv_installs():
    makefile = (ROOT / "Makefile").read_text()
    posix, windows = check.readme_blocks(README)
    for line in check.check_blocks_agree(posix, windows):
        options = line.split(" -m pip ", 1)[1].replace("--quiet ", "")
        made = [m.replace("--quiet ", "") for m in re.findall(r"-m pip (.*)", makefile)]
        assert options in made, f"{options!r} is not among make venv's pip lines {made}"


def test_supported_python_versions_agree_with_the_pins():
    # numpy 2.4.6 publishes wheels for CPython 3.11 to 3.14: the README says so, and
    # pyproject, the Makefile and environment.yml ask for 3.11 at least
    assert "Python 3.11, 3.12, 3.13 or 3.14" in README
    assert "numpy==2.4.6" in (ROOT / "requirements.txt").read_text()
    assert 'requires-python = ">=3.11"' in (ROOT / "pyproject.toml").read_text()
    assert "(3, 11)" in (ROOT / "Makefile").read_text()
    assert "conda env create -f environment.yml" in README


def test_ci_runs_the_readme_install_check_before_make_test():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ".venv/bin/python .ci/check_readme_install.py" in ci
    assert ci[-1] == "make test"
