"""Build a notebook from a plain-text source with cell markers (an authoring aid).

    python scripts/nbbuild.py SOURCE.txt notebooks/NN_name.ipynb

The source is a sequence of cells, each introduced by a marker line:

    # %% md [slide=subslide]
    Markdown text ...
    # %% code [slide=fragment] [tags=nbval-ignore-output,volatile-output]
    python code ...

``slide`` is the slideshow type (default: "slide" for the first cell and for
markdown cells that start with "## ", "-" otherwise). Cell ids are derived
from the notebook name and position. The result is unexecuted: run
``python scripts/notebooks.py execute notebooks/NN_name.ipynb`` next.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

MARKER = re.compile(r"^# %% (md|code)\b(.*)$")


def parse(text: str):
    cells = []
    kind, options, lines = None, {}, []

    def flush():
        if kind is not None:
            cells.append((kind, options, "\n".join(lines).strip("\n")))

    for line in text.splitlines():
        match = MARKER.match(line)
        if match:
            flush()
            kind = match.group(1)
            options = dict(part.split("=", 1) for part in match.group(2).split() if "=" in part)
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(text: str, name: str):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, (kind, options, body) in enumerate(parse(text)):
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(body)
            default = "slide" if index == 0 or body.startswith("## ") else "-"
        else:
            cell = nbformat.v4.new_code_cell(body)
            default = "slide" if index == 0 else "-"
        cell.metadata["slideshow"] = {"slide_type": options.get("slide", default)}
        if "tags" in options:
            cell.metadata["tags"] = options["tags"].split(",")
        cell.id = f"{name[:2]}-{index:03d}"
        notebook.cells.append(cell)
    return notebook


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    notebook = build(source.read_text(encoding="utf-8"), target.stem)
    target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(notebook.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
