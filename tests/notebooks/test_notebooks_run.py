"""Each notebook re-executed from a clean kernel, together with its student version.

One kernel run per notebook checks four promises. The student version (the
worked solutions replaced by a stub, see scripts/exercises.py) runs top to
bottom without an error and every exercise in it says "not attempted yet";
every position of every control of every panel works in that state;
the saved file is what a fresh run produces (no stale outputs: the cells
outside the exercises are the same in both versions, and the source's
exercise and solution cells run once more in the same kernel); and the
notebook runs within twice its time budget (a guard; the real timings are
in the benchmarks).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks as nbtools  # noqa: E402

NOTEBOOKS = nbtools.all_notebooks()


def student_problems(student):
    """Error outputs, and exercise cells whose check is not "Not attempted yet"."""
    problems = []
    for index, cell in enumerate(student.cells):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"cell {index}: {output['ename']}: {output['evalue'][:120]}")
        part = cell.metadata.get("exercise", {}).get("part")
        if part in ("stub", "solution"):
            text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            if not text.startswith("[Not attempted yet]"):
                problems.append(f"cell {index} ({part}) checks as {text[:120]!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_fresh_its_student_version_runs_and_every_control_works(path):
    fresh, student, seconds, report = nbtools.run_with_student(path, exercise=True)
    problems = student_problems(student)
    assert not problems, f"the student version of {path.name}:\n" + "\n".join(problems)
    problem = nbtools.difference(path.read_text(encoding="utf-8"), fresh)
    assert problem is None, f"{path.name} is stale ({problem}): run `make notebooks`"
    assert seconds < 2 * nbtools.TIME_BUDGET_S, f"{path.name} took {seconds:.1f} s"
    for index, panel in enumerate(report):
        assert not panel["unexpected_errors"], f"panel {index}: {panel['unexpected_errors'][:3]}"
        assert panel["updates"] > 0
        # the live picture is the figure's full drawing, at every position of every control
        differences = panel["picture_differences"]
        assert not differences, f"panel {index} live picture differs: {differences[:3]}"
