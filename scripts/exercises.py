"""Author the exercise blocks in the notebooks and build the student versions.

    python scripts/exercises.py insert scripts/exercise_blocks/NN_name.txt ...
        put every block of those files into its notebook (replacing a block
        with the same id), then tidy the imports; re-execute the notebook next
    python scripts/exercises.py list
        the exercise blocks found in every notebook
    python scripts/exercises.py student [--out build/student] [NOTEBOOK ...]
        write the student versions: solutions replaced by a stub (nbgrader's
        ClearSolutions, configured by nbgrader_config.py at the top of the
        repository), outputs of exercise and solution cells cleared, hints kept

An exercise block is four cells, in this order: the task (markdown, a heading
one level below the section it sits in), the stub the student completes
(tag "exercise") followed by ``check(id, function)``, two hints in
``<details>``, and the worked solution (tag "solution", collapsed, an nbgrader
solution cell with ``### BEGIN SOLUTION`` / ``### END SOLUTION``). Every cell
of a block carries ``metadata["exercise"] = {"id": ..., "part": ...}``.

A block file holds the blocks of one notebook (its name is the notebook's)::

    === conv2d_forward
    title: A 2-D convolution with four loops
    after: a unique piece of text of the cell the block follows
    --- task
    Markdown: what to write.
    --- stub
    def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
        ...
    --- hint: a nudge (the summary line)
    Markdown.
    --- hint: the formula
    Markdown.
    --- solution
    def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1):
        ...

``before:`` instead of ``after:`` puts the block before that cell; with
``your_turn: yes`` the block goes into a "Your turn" section (made once)
just before that cell. When the notebook imports a lecturelib function with
the exercise's name, ``insert`` makes every other cell call
``lecturelib.<name>`` instead, so that the student's stub never shadows it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
BLOCK_DIR = ROOT / "scripts" / "exercise_blocks"
STUDENT_DIR = ROOT / "build" / "student"
NBGRADER_CONFIG = ROOT / "nbgrader_config.py"
CHECK_IMPORT = "from lecturelib.exercises import check"
PARTS = ("task", "stub", "hints", "solution")
SOLUTION_HEADER = "# Worked solution: open it once you have tried."
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
YOUR_TURN = (
    "## Your turn\n\n"
    "Write the functions of this lecture yourself. Each exercise checks your function "
    "on the lecture's example and on random cases, and names the mistake when it sees one."
)


@dataclass
class Spec:
    exercise_id: str
    title: str = ""
    after: str | None = None
    before: str | None = None
    your_turn: bool = False
    task: str = ""
    stub: str = ""
    hints: list[tuple[str, str]] = field(default_factory=list)
    solution: str = ""

    @property
    def function_name(self) -> str:
        match = re.search(r"^def (\w+)\(", self.stub, re.M)
        if not match:
            raise ValueError(f"{self.exercise_id}: the stub defines no function")
        return match.group(1)


def parse_blocks(text: str) -> list[Spec]:
    """The blocks of a block file, in order."""
    specs: list[Spec] = []
    section, lines = None, []

    def flush():
        if section is None or not specs:
            return
        body = "\n".join(lines).strip("\n")
        spec = specs[-1]
        if section == "head":
            for line in body.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "your_turn":
                    spec.your_turn = value.lower() in ("yes", "true", "1")
                elif key in ("title", "after", "before"):
                    setattr(spec, key, value)
                else:
                    raise ValueError(f"{spec.exercise_id}: unknown key {key!r}")
        elif section.startswith("hint:"):
            spec.hints.append((section[5:].strip(), body))
        elif section in ("task", "stub", "solution"):
            setattr(spec, section, body)
        else:
            raise ValueError(f"{spec.exercise_id}: unknown section {section!r}")

    for line in text.splitlines():
        if line.startswith("=== "):
            flush()
            specs.append(Spec(line[4:].strip()))
            section, lines = "head", []
        elif line.startswith("--- "):
            flush()
            section, lines = line[4:].strip(), []
        else:
            lines.append(line)
    flush()
    for spec in specs:
        missing = [k for k in ("title", "task", "stub", "solution") if not getattr(spec, k)]
        if missing or len(spec.hints) != 2 or (spec.after is None) == (spec.before is None):
            raise ValueError(
                f"{spec.exercise_id}: a block needs a title, task, stub, solution, two hints "
                f"and exactly one of after/before (missing: {missing}, hints: {len(spec.hints)})"
            )
    return specs


# --------------------------------------------------------------------------- notebook cells


def exercise_of(cell) -> dict | None:
    return cell.get("metadata", {}).get("exercise")


def headings(cell) -> list[int]:
    if cell.cell_type != "markdown":
        return []
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) ", cell.source, re.M)]


def blocks(notebook) -> dict[str, list[int]]:
    """Exercise id -> the indices of its cells, in notebook order."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(notebook.cells):
        info = exercise_of(cell)
        if info:
            found.setdefault(info["id"], []).append(index)
    return found


def registered_title(spec: Spec) -> str:
    """The title the checker registered (so that notebook and listing agree), else the file's."""
    try:
        from lecturelib.exercises import REGISTRY
    except ImportError:
        return spec.title
    exercise = REGISTRY.get(spec.exercise_id)
    return exercise.title if exercise is not None else spec.title


def make_cells(spec: Spec, level: int, prefix: str) -> list:
    name = spec.function_name
    call = f'check("{spec.exercise_id}", {name})'
    task = (
        f"{'#' * level} Exercise: {registered_title(spec)}\n\n{spec.task}\n\n"
        f"*Exercise `{spec.exercise_id}`.* Write the function in the next cell and run it: "
        "the box below it says whether your function is right and, if not, which mistake "
        "it sees. Two hints follow, then the worked solution in a collapsed cell (left out of "
        "the student version)."
    )
    hints = "\n\n".join(
        f"<details><summary>Hint {k}: {summary}</summary>\n\n{body}\n\n</details>"
        for k, (summary, body) in enumerate(spec.hints, start=1)
    )
    stub = f"{spec.stub}\n\n\n{call}"
    solution = f"{SOLUTION_HEADER}\n{BEGIN}\n{spec.solution}\n\n\n{END}\n{call}"
    cells = [
        nbformat.v4.new_markdown_cell(task),
        nbformat.v4.new_code_cell(stub),
        nbformat.v4.new_markdown_cell(hints),
        nbformat.v4.new_code_cell(solution),
    ]
    slides = ("subslide", "-", "-", "skip")
    for part, cell, slide in zip(PARTS, cells, slides, strict=True):
        cell.metadata["slideshow"] = {"slide_type": slide}
        cell.metadata["exercise"] = {"id": spec.exercise_id, "part": part}
        cell.id = f"{prefix}-ex-{spec.exercise_id}-{part}"[:64]
    cells[1].metadata["tags"] = ["exercise"]
    cells[3].metadata["tags"] = ["solution"]
    cells[3].metadata["jupyter"] = {"source_hidden": True}
    cells[3].metadata["nbgrader"] = {
        "grade": False,
        "grade_id": f"{spec.exercise_id}_solution",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    return cells


def find_cell(notebook, text: str) -> int:
    hits = [
        i
        for i, c in enumerate(notebook.cells)
        if not exercise_of(c) and text in c.source and not c.metadata.get("your_turn")
    ]
    if len(hits) != 1:
        raise ValueError(f"{text!r} matches {len(hits)} cells, not one")
    return hits[0]


def insertion_point(notebook, spec: Spec, prefix: str) -> int:
    if spec.after is not None:
        index = find_cell(notebook, spec.after) + 1
        # After the blocks already placed there, so that blocks keep their file order.
        while index < len(notebook.cells) and exercise_of(notebook.cells[index]):
            index += 1
        return index
    index = find_cell(notebook, spec.before)
    if spec.your_turn:
        turn = [i for i, c in enumerate(notebook.cells) if c.metadata.get("your_turn")]
        if not turn:
            cell = nbformat.v4.new_markdown_cell(YOUR_TURN)
            cell.metadata["slideshow"] = {"slide_type": "slide"}
            cell.metadata["your_turn"] = True
            cell.id = f"{prefix}-your-turn"
            notebook.cells.insert(index, cell)
            index += 1
    return index


def section_level(notebook, index: int) -> int:
    for cell in reversed(notebook.cells[:index]):
        if exercise_of(cell):
            continue
        levels = headings(cell)
        if levels:
            return min(levels[-1] + 1, 6)
    return 2


def requalify(notebook, start: int, name: str) -> list[int]:
    """Make code cells from ``start`` on call ``lecturelib.<name>`` instead of ``<name>``."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}\b(?!\s*=[^=])")
    changed = []
    for index in range(start, len(notebook.cells)):
        cell = notebook.cells[index]
        if cell.cell_type != "code" or exercise_of(cell):
            continue
        new = pattern.sub(f"lecturelib.{name}", cell.source)
        if new != cell.source:
            cell.source = new
            changed.append(index)
    return changed


def drop_import(notebook, name: str) -> None:
    """Remove ``name`` from the import cell's ``from lecturelib import ...``."""
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    lines = cell.source.splitlines()
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "lecturelib":
            kept = [a for a in node.names if a.name != name]
            if len(kept) == len(node.names):
                continue
            names = [a.name if a.asname is None else f"{a.name} as {a.asname}" for a in kept]
            text = ", ".join(names)
            new = [f"from lecturelib import {text}"] if kept else []
            lines[node.lineno - 1 : node.end_lineno] = new
            cell.source = "\n".join(lines)  # ruff format wraps it again
            return


def ensure_imports(notebook, module_import: bool) -> None:
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    lines = cell.source.splitlines()
    wanted = [CHECK_IMPORT] + (["import lecturelib"] if module_import else [])
    for line in wanted:
        if line not in lines:
            # After the last top-level import line; ruff's isort puts it in place.
            last = max(
                (i for i, text in enumerate(lines) if re.match(r"(from \S+ )?import ", text)),
                default=-1,
            )
            end = last
            if last >= 0 and lines[last].rstrip().endswith("("):
                end = next(i for i in range(last, len(lines)) if lines[i].startswith(")"))
            lines.insert(end + 1, line)
    cell.source = "\n".join(lines)


def insert(block_file: Path) -> Path:
    path = NOTEBOOK_DIR / f"{block_file.stem}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    prefix = path.stem[:2]
    specs = parse_blocks(block_file.read_text(encoding="utf-8"))
    ids = {spec.exercise_id for spec in specs}
    notebook.cells = [c for c in notebook.cells if (exercise_of(c) or {}).get("id") not in ids]
    module_import = False
    first_code = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    for spec in specs:
        index = insertion_point(notebook, spec, prefix)
        cells = make_cells(spec, section_level(notebook, index), prefix)
        notebook.cells[index:index] = cells
        name = spec.function_name
        imported = re.search(rf"\b{name}\b", notebook.cells[first_code].source)
        if imported:
            # Every cell, before the block too: a function defined earlier (a panel's
            # callback) looks the name up when it runs, after the stub has replaced it.
            changed = requalify(notebook, first_code + 1, name)
            if changed:
                module_import = True
                drop_import(notebook, name)
                print(f"{path.name}: cells {changed} now call lecturelib.{name}")
    ensure_imports(notebook, module_import)
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    # The import of a name now called as lecturelib.<name> is unused: ruff removes it.
    subprocess.run([ruff, "check", "--quiet", "--select", "I,F401", "--fix", path], check=False)
    subprocess.run([ruff, "format", "--quiet", path], check=True)
    print(f"{path.name}: {len(specs)} exercise blocks ({', '.join(s.exercise_id for s in specs)})")
    return path


# --------------------------------------------------------------------------- student versions


def nbgrader_config():
    """The traitlets config in nbgrader_config.py (the stub that replaces solutions)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(NBGRADER_CONFIG.name, path=str(NBGRADER_CONFIG.parent)).load_config()


def student_version(notebook):
    """The notebook as a student gets it (a new notebook; the argument is not changed).

    nbgrader's ClearSolutions replaces each ``### BEGIN SOLUTION`` ...
    ``### END SOLUTION`` region by the configured stub; nbconvert's
    TagRemovePreprocessor clears the outputs of exercise and solution cells
    (the other outputs stay, so the figures are there before a first run).
    """
    from nbconvert.preprocessors import TagRemovePreprocessor
    from nbgrader.preprocessors import ClearSolutions

    notebook = copy.deepcopy(notebook)
    resources: dict = {}
    notebook, resources = ClearSolutions(config=nbgrader_config()).preprocess(notebook, resources)
    clear = TagRemovePreprocessor(remove_all_outputs_tags={"exercise", "solution"})
    notebook, resources = clear.preprocess(notebook, resources)
    for cell in notebook.cells:
        if {"exercise", "solution"} & set(cell.metadata.get("tags", [])):
            cell.execution_count = None
    return notebook


def write_students(paths: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        notebook = student_version(nbformat.read(path, as_version=4))
        target = out / path.name
        target.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
        written.append(target)
    return written


# --------------------------------------------------------------------------- command line


def all_notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("insert").add_argument("files", nargs="+", type=Path)
    sub.add_parser("list")
    student = sub.add_parser("student")
    student.add_argument("--out", type=Path, default=STUDENT_DIR)
    student.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "insert":
        for block_file in args.files:
            insert(block_file)
    elif args.command == "list":
        for path in all_notebooks():
            found = blocks(nbformat.read(path, as_version=4))
            print(f"{path.stem:32} {len(found):2}  {', '.join(found) or '(no exercises)'}")
    else:
        paths = [p.resolve() for p in args.notebooks] or all_notebooks()
        for target in write_students(paths, args.out):
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
