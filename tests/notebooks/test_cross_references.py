"""Every cross-reference in the collection points at something that exists.

Notebooks are renumbered when a lecture is added, so a "see notebook 07" in
prose, a link to a notebook file or heading, the map in 00_start_here, the
README's commands and the Makefile's default notebook can all go stale. These
tests read them all and resolve each one against the files in notebooks/.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
BY_NUMBER = {path.name[:2]: path for path in NOTEBOOKS}

# "notebook 07", "Notebooks 02 and 03", "notebooks 12-16", "notebooks 06, 07 and 08"
MENTION = re.compile(r"\b[Nn]otebooks? (\d\d(?:(?:, | and |-|–)\d\d)*)\b")
# a file name of a notebook, with or without the folder, optionally with a heading anchor
FILE_LINK = re.compile(r"(?<![\w/])(\d\d_[a-z0-9_]+)\.ipynb(#[^\s)\"'>]+)?")
NB_STEM = re.compile(r"\bNB=(\d\d_[a-z0-9_]+)\b")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def headings(path: Path) -> list[str]:
    found = []
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            found += [m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$", source(cell), re.M)]
    return found


def anchor(heading: str) -> str:
    """The anchor JupyterLab and nbconvert give a heading: spaces become dashes."""
    return heading.replace(" ", "-")


def mentioned_numbers(text: str) -> list[str]:
    numbers = []
    for match in MENTION.finditer(text):
        numbers += re.findall(r"\d\d", match.group(1))
    return numbers


def texts_to_check() -> list[tuple[str, str]]:
    """(where, text) for every markdown cell, the README, the Makefile and the package."""
    items = []
    for path in NOTEBOOKS:
        for index, cell in enumerate(cells(path)):
            if cell["cell_type"] == "markdown":
                items.append((f"{path.name} cell {index}", source(cell)))
    for name in ("README.md", "Makefile"):
        items.append((name, (ROOT / name).read_text(encoding="utf-8")))
    for path in sorted((ROOT / "lecturelib").rglob("*.py")):
        items.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return items


def test_notebook_files_are_numbered_without_gaps():
    numbers = [int(path.name[:2]) for path in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("where, text", texts_to_check(), ids=lambda v: v if len(v) < 60 else None)
def test_every_mention_and_link_resolves(where, text):
    for number in mentioned_numbers(text):
        assert number in BY_NUMBER, f"{where} mentions notebook {number}, which does not exist"
    for match in FILE_LINK.finditer(text):
        stem, fragment = match.group(1), match.group(2)
        path = NOTEBOOK_DIR / f"{stem}.ipynb"
        assert path.exists(), f"{where} links to {stem}.ipynb, which does not exist"
        if fragment:
            anchors = {anchor(h) for h in headings(path)}
            assert fragment[1:] in anchors, (
                f"{where} links to {stem}.ipynb{fragment}: no such heading"
            )
    for stem in NB_STEM.findall(text):
        assert (NOTEBOOK_DIR / f"{stem}.ipynb").exists(), (
            f"{where} names NB={stem}, which does not exist"
        )


def test_the_map_in_start_here_lists_every_notebook_in_order():
    start_here = BY_NUMBER["00"]
    map_cell = next(source(c) for c in cells(start_here) if source(c).startswith("## The map"))
    rows = re.findall(r"^\| (\d\d) \| ([^|]+?) \|", map_cell, re.M)
    assert [number for number, _ in rows] == sorted(BY_NUMBER), "the map and notebooks/ disagree"
    for number, title in rows:
        first_heading = headings(BY_NUMBER[number])[0]
        assert first_heading.lower().startswith(title.lower()), (
            f"the map calls notebook {number} {title!r}, but its title is {first_heading!r}"
        )


def test_makefile_default_notebooks_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^NB \?= (\S+)$", makefile, re.M).group(1)
    assert (NOTEBOOK_DIR / f"{default}.ipynb").exists()
    for stem in re.findall(r"notebooks/(\d\d_[a-z0-9_]+)\.ipynb", makefile):
        assert (NOTEBOOK_DIR / f"{stem}.ipynb").exists(), stem
