"""CI: the README's set-up without `make` works, in a scratch virtual environment.

Reads the shell block that follows the marker ``<!-- checked by
.ci/check_readme_install.py -->`` in README.md, runs its ``python3 -m venv``
and ``pip`` lines with ``.venv`` replaced by a temporary directory (pip's
cache makes the installs quick after the first run), then checks that
lecturelib imports from this checkout and that JupyterLab is there instead of
opening it. The Windows block of the README must carry the same pip lines.

    python .ci/check_readme_install.py      (from any directory of a clone)
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- checked by .ci/check_readme_install.py -->"


def readme_blocks(text: str) -> tuple[list[str], list[str]]:
    """(the checked POSIX lines, the Windows lines) of the README's set-up without make."""
    if MARKER not in text:
        raise SystemExit(f"README.md has no {MARKER!r}")
    # every fenced block of the README, in order, with where it starts
    blocks = [
        (m.start(), m.group(1)) for m in re.finditer(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)
    ]
    checked = [body for start, body in blocks if start > text.index(MARKER)][:1]
    windows = [body for _, body in blocks if ".venv\\Scripts\\python -m pip" in body]
    if not checked or len(windows) != 1:
        raise SystemExit("README.md: the checked block or the Windows block is missing")

    def lines(block):
        return [line.strip() for line in block.splitlines() if line.strip()]

    return lines(checked[0]), lines(windows[0])


def check_blocks_agree(posix: list[str], windows: list[str]) -> list[str]:
    """The pip lines of both blocks, which must be the same up to the path of the venv."""
    pip_posix = [line for line in posix if " -m pip " in line]
    pip_windows = [line.replace(".venv\\Scripts\\", ".venv/bin/") for line in windows]
    pip_windows = [line for line in pip_windows if " -m pip " in line]
    if not pip_posix or pip_posix != pip_windows:
        raise SystemExit(f"README: the pip lines differ:\n{pip_posix}\n{pip_windows}")
    if not posix[0].startswith("python3 -m venv .venv"):
        raise SystemExit(
            f"README: the checked block must start with python3 -m venv .venv: {posix[0]}"
        )
    return pip_posix


def run(command: list[str]) -> None:
    print("+", shlex.join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main() -> int:
    posix, windows = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    pip_lines = check_blocks_agree(posix, windows)
    with tempfile.TemporaryDirectory(prefix="readme-venv-") as scratch:
        venv = Path(scratch) / "venv"
        run([sys.executable, "-m", "venv", str(venv)])
        python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
        for line in pip_lines:
            words = shlex.split(line)
            assert words[0] == ".venv/bin/python", line
            # --quiet keeps CI logs short; everything else exactly as documented
            run([str(python), *words[1:4], "--quiet", *words[4:]])
        run(
            [
                str(python),
                "-c",
                "import pathlib, lecturelib, numpy, matplotlib, ipywidgets, jupyterlab; "
                f"assert pathlib.Path(lecturelib.__file__).is_relative_to({str(ROOT)!r}); "
                "print('lecturelib', lecturelib.__name__, 'from', lecturelib.__file__)",
            ]
        )
        run([str(python), "-m", "jupyterlab", "--version"])
    print("README install lines: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
