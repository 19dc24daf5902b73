"""Execute, normalise and check the collection's notebooks.

    python scripts/notebooks.py execute [NOTEBOOK ...]   re-execute and save
    python scripts/notebooks.py check [NOTEBOOK ...]     re-execute in memory and
                                                         compare with the saved file

Every notebook runs top to bottom in a fresh kernel (the project's own
Python), with cell timing left out and widget model ids renumbered, so that
executing an unchanged notebook twice writes the same bytes. Outputs of
cells tagged ``volatile-output`` (wall-clock timings) are the only ones the
check ignores.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kernels import AsyncIpcKernelManager

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
VOLATILE_TAG = "volatile-output"
TIME_BUDGET_S = 30.0


def exercise_source(check_pictures: bool = False) -> str:
    """The every-control probe: moves every control of every panel, prints a JSON
    report; with ``check_pictures`` it also compares each live picture with a full
    drawing (the tests)."""
    return (
        "import json as _json\n"
        "import lecturelib.drawing.panel as _widgets\n"
        f"print(_json.dumps(_widgets.exercise_all_panels(check_pictures={check_pictures})))\n"
    )


EXERCISE_SOURCE = exercise_source()


def all_notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def shows_panel(cell: dict) -> bool:
    """Whether a code cell shows an interactive panel: it makes a ``Panel(...)`` (or
    one of lecturelib.drawing's ``...Panel`` classes), or calls a builder whose saved
    output is a widget that is not a "Check yourself" quiz."""
    if cell["cell_type"] != "code":
        return False
    text = "".join(cell["source"])
    shows_widget = any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))
    return "Panel(" in text or (shows_widget and "check_yourself(" not in text)


def _kernel_environment() -> None:
    # Progress bars print wall-clock rates; saved notebooks must not depend on them.
    os.environ["LECTURELIB_PROGRESS"] = "0"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # The notebooks multiply small matrices: one BLAS thread is several times
    # faster than two there, and keeps round-off the same from run to run.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


def _client(notebook, path: Path) -> NotebookClient:
    return NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        # On socket files, not TCP ports (scripts/kernels.py says why).
        kernel_manager_class=AsyncIpcKernelManager,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=True,
        # One print can arrive as two stream messages on a busy machine; merge
        # them so the saved outputs do not depend on timing.
        coalesce_streams=True,
    )


def _move_every_control(client, notebook, source: str = EXERCISE_SOURCE):
    """Run the every-control probe after the notebook's last cell; the JSON it printed last."""
    probe = nbformat.v4.new_code_cell(source)
    notebook.cells.append(probe)
    client.execute_cell(probe, len(notebook.cells) - 1)
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1]) if text.strip() else []


def run(path: Path, exercise: bool = False, probe: str = EXERCISE_SOURCE):
    """Execute ``path`` in a fresh kernel.

    Returns ``(notebook, seconds, exercise_report)``; the report (a list of
    dicts, one per panel) is None unless ``exercise`` is set, in which case
    every control of every panel is moved after the last cell. ``probe`` is
    the code that moves them; it prints its report as JSON on its last line.
    """
    _kernel_environment()
    notebook = nbformat.read(path, as_version=4)
    client = _client(notebook, path)
    report = None
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        client.set_widgets_metadata()
        executed = normalise(notebook, path.stem)
        if exercise:
            report = _move_every_control(client, notebook, probe)
    return executed, seconds, report


def run_with_student(path: Path, exercise: bool = False):
    """Execute the student version of ``path`` and, in the same kernel, the source's exercises.

    One kernel, one pass over the notebook, two results. The student version
    (scripts/exercises.py: worked solutions replaced by a stub) runs top to
    bottom, and the panels are moved in that state, the state a student's
    kernel is in. Then the source's exercise and worked-solution cells run
    once more; the other cells are the same in both versions, so their
    outputs from the student run complete the fresh source notebook.

    Returns ``(fresh_source, executed_student, seconds, exercise_report)``;
    ``seconds`` is the time of the student run.
    """
    import exercises  # scripts/exercises.py, next to this file

    _kernel_environment()
    source = nbformat.read(path, as_version=4)
    student = exercises.student_version(source)
    client = _client(student, path)
    report = None
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(student.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        client.set_widgets_metadata()
        fresh = copy.deepcopy(source)
        for mine, theirs in zip(fresh.cells, student.cells, strict=True):
            if mine.cell_type == "code":
                mine.outputs = copy.deepcopy(theirs.outputs)
                mine.execution_count = theirs.execution_count
        if "widgets" in student.metadata:
            fresh.metadata["widgets"] = copy.deepcopy(student.metadata["widgets"])
        executed_student = normalise(student, path.stem)
        if exercise:
            report = _move_every_control(client, student, exercise_source(check_pictures=True))
        for index, cell in enumerate(fresh.cells):
            info = cell.metadata.get("exercise", {})
            if cell.cell_type == "code" and info.get("part") in ("stub", "solution"):
                count = cell.execution_count
                cell.outputs = []
                client.nb = fresh  # display updates look cells up by index in client.nb
                client.execute_cell(cell, index)
                cell.execution_count = count
                for output in cell.outputs:
                    if "execution_count" in output:
                        output["execution_count"] = count
    return normalise(fresh, path.stem), executed_student, seconds, report


def normalise(notebook, name: str):
    """Make a notebook's saved form independent of when and where it ran."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("execution", None)
        if "id" not in cell or not cell.id:
            cell.id = f"cell-{index}"
    text = nbformat.writes(notebook)
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    ids = list(state)
    # Ids also appear in outputs of cells; take them in order of appearance there too.
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view.get("model_id") not in ids:
                ids.append(view["model_id"])
    for index, model_id in enumerate(ids):
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"lecturelib/{name}/{index}").hex
        text = text.replace(model_id, stable)
    return nbformat.reads(text, as_version=4)


def to_text(notebook) -> str:
    return nbformat.writes(notebook) + "\n"


def blank_volatile(notebook):
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if VOLATILE_TAG in cell.metadata.get("tags", []):
            cell.outputs = []
    return notebook


def difference(saved_text: str, fresh) -> str | None:
    """None when the saved notebook equals a fresh execution, else where they differ."""
    saved = blank_volatile(nbformat.reads(saved_text, as_version=4))
    fresh = blank_volatile(fresh)
    if to_text(saved) == to_text(fresh):
        return None
    for index, (a, b) in enumerate(zip(saved.cells, fresh.cells)):
        if a != b:
            return f"cell {index} differs (source starts {''.join(a.source)[:60]!r})"
    if saved.metadata != fresh.metadata:
        return "notebook metadata (saved widget state) differs"
    return "the files differ"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["execute", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or all_notebooks()
    failures = 0
    for path in paths:
        notebook, seconds, _ = run(path)
        if args.command == "execute":
            path.write_text(to_text(notebook), encoding="utf-8")
            print(f"{path.name}: executed in {seconds:.1f} s")
        else:
            problem = difference(path.read_text(encoding="utf-8"), notebook)
            print(f"{path.name}: {'up to date' if problem is None else 'STALE: ' + problem}")
            failures += problem is not None
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
