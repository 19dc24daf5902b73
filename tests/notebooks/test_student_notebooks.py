"""The student versions of the notebooks, and the exercises behind them.

``make student`` (scripts/exercises.py) writes the version of every notebook
a student gets: each worked solution's ``### BEGIN SOLUTION`` region
replaced by a stub (nbgrader's ClearSolutions, configured by
nbgrader_config.py), the outputs of exercise and solution cells cleared, the
hints kept. Here they are built in memory and checked without a kernel:
no solution code survives, the hygiene checks that do not need an executed
notebook still hold, and every checker has exactly one block in its
notebook. Running them top to bottom (every exercise "not attempted yet")
is part of tests/notebooks/test_notebooks_run.py, in the same kernel run as the
freshness check.
"""

import inspect
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import test_notebook_hygiene as hygiene

from lecturelib.exercises import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import exercises as authoring  # noqa: E402

NOTEBOOKS = authoring.all_notebooks()
LECTURES = [p for p in NOTEBOOKS if not p.name.startswith("00_")]
MIN_EXERCISES = 2


def load(path):
    return nbformat.read(path, as_version=4)


def as_dict(notebook):
    return json.loads(nbformat.writes(notebook))


def all_blocks():
    """Exercise id -> the notebooks (stems) that hold a block for it."""
    found = {}
    for path in NOTEBOOKS:
        for exercise_id in authoring.blocks(load(path)):
            found.setdefault(exercise_id, []).append(path.stem)
    return found


def test_every_checker_has_one_block_in_its_notebook_and_every_block_a_checker():
    found, existing = all_blocks(), {p.stem for p in NOTEBOOKS}
    problems = []
    for exercise_id, exercise in sorted(REGISTRY.items()):
        places = found.get(exercise_id, [])
        if exercise.notebook in existing and places != [exercise.notebook]:
            problems.append(
                f"{exercise_id}: registered for {exercise.notebook}, "
                f"blocks in {places or 'no notebook'}"
            )
    for exercise_id, places in sorted(found.items()):
        if exercise_id not in REGISTRY:
            problems.append(f"{exercise_id}: a block in {places} but no checker is registered")
    assert not problems, "\n".join(problems)


def test_every_checker_s_notebook_exists():
    existing = {p.stem for p in NOTEBOOKS}
    missing = sorted({e.notebook for e in REGISTRY.values()} - existing)
    if missing:
        pytest.skip(f"checkers registered for notebooks not in this checkout: {missing}")


def test_every_lecture_notebook_has_at_least_two_exercises():
    counts = {p.stem: len(authoring.blocks(load(p))) for p in LECTURES}
    lacking = [f"{name} ({count})" for name, count in counts.items() if count < MIN_EXERCISES]
    assert not lacking, (
        f"notebooks with fewer than {MIN_EXERCISES} exercise blocks: {', '.join(lacking)}"
    )


@pytest.fixture(scope="module")
def students():
    return {p.stem: (load(p), authoring.student_version(load(p))) for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_version_has_no_solution_code(path, students):
    source, student = students[path.stem]
    text = "\n".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    # Lines the student may see anyway: everything outside the worked solutions.
    public = {
        line.strip()
        for cell in source.cells
        if "solution" not in cell.metadata.get("tags", [])
        for line in cell.source.splitlines()
    }
    secret = set()
    for cell in source.cells:
        if "solution" in cell.metadata.get("tags", []):
            region = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            secret |= {line.strip() for line in region.splitlines()}
            exercise_id = cell.metadata["exercise"]["id"]
            if exercise_id in REGISTRY:  # the checker's own reference solution
                reference = inspect.getsource(REGISTRY[exercise_id].reference)
                secret |= {line.strip() for line in reference.split('"""')[-1].splitlines()}
    secret = {line for line in secret - public if len(line) > 12 and not line.startswith("#")}
    visible = {line.strip() for line in text.splitlines()}
    leaked = sorted(secret & visible)
    assert not leaked, f"{path.stem}: solution lines in the student version: {leaked[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_version_keeps_hints_and_clears_exercise_outputs(path, students):
    source, student = students[path.stem]
    assert len(student.cells) == len(source.cells)
    for before, after in zip(source.cells, student.cells, strict=True):
        part = before.metadata.get("exercise", {}).get("part")
        if part in ("stub", "solution"):
            assert after.outputs == [] and after.execution_count is None
        else:
            assert after == before, f"{path.stem}: a cell outside the solutions changed"
        if part == "stub":
            assert after.source == before.source  # the stub is the student's starting point


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_version_passes_the_hygiene_checks(path, students):
    name, nb = path.stem, as_dict(students[path.stem][1])
    for check in (
        hygiene.test_kernelspec_is_python3,
        hygiene.test_no_errors_or_warnings_saved,
        hygiene.test_no_semicolon_tricks,
        hygiene.test_widget_cells_are_ignored_by_nbval,
        hygiene.test_every_cell_has_slideshow_metadata,
        hygiene.test_teaching_structure,
        hygiene.test_no_network_or_pickle,
        hygiene.test_headings_never_skip_a_level,
    ):
        check((name, nb))
    counts = [c["execution_count"] for c in hygiene.code_cells(nb) if c["execution_count"]]
    assert counts == sorted(set(counts)), f"{name}: execution counts out of order"
    problems = hygiene.exercise_block_problems(nb, student=True)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_make_student_writes_every_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nbgrader's preprocessors must not need its database
    written = authoring.write_students(NOTEBOOKS[:2], tmp_path / "student")
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS[:2]]
    for path in written:
        assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student"]  # no gradebook.db


def test_the_stub_that_replaces_solutions_is_nbgrader_s_configured_one():
    stub = authoring.nbgrader_config().ClearSolutions.code_stub["python"]
    assert stub.startswith("#") and "\n" not in stub  # a comment: "Run all" goes through
    assert re.search(r"student version", stub)
