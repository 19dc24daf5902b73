"""Static checks on the saved notebooks: what nbval cannot see.

Notebooks are committed executed, in order, from a clean kernel, with no
errors or warnings, with widget cells marked for nbval, with slideshow
metadata, and with the pieces every notebook owes a student (a live panel,
a static companion figure, check-yourself questions, asserted numbers).
Headings never skip a level, and every exercise block is the four cells
scripts/exercises.py writes (task, stub with its check, two hints, the
collapsed nbgrader solution cell), with the stub's saved check "Not
attempted yet" and the worked solution's "Passed".
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from notebooks import shows_panel  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
WIDGET_CALLS = ("Panel(", "check_yourself(", "interact(", "interactive(", "interactive_output(")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(notebook):
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def shows_widget(cell):
    return any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])) or any(
        call in source(cell) for call in WIDGET_CALLS
    )


def test_there_are_notebooks_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names and names[0] == "00_start_here.ipynb"
    numbers = [int(n[:2]) for n in names]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names
    assert numbers == sorted(set(numbers)), "notebook numbers must be unique and ordered"


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param.stem, load(request.param)


def test_kernelspec_is_python3(notebook):
    name, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3", name


def test_executed_in_order_from_a_clean_kernel(notebook):
    name, nb = notebook
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{name}: execution counts {counts}"


def test_no_errors_or_warnings_saved(notebook):
    name, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{name} cell {index}: error output"
            if output["output_type"] == "stream":
                assert output["name"] != "stderr", (
                    f"{name} cell {index}: stderr output {output['text']!r}"
                )


def test_no_semicolon_tricks(notebook):
    name, nb = notebook
    for cell in code_cells(nb):
        lines = [line for line in source(cell).rstrip().splitlines() if line.strip()]
        if lines:
            assert not lines[-1].rstrip().endswith(";"), (
                f"{name}: use `_ = ...` or plt.show(), not ';'"
            )


def test_widget_cells_are_ignored_by_nbval(notebook):
    name, nb = notebook
    for cell in code_cells(nb):
        if shows_widget(cell):
            tags = cell.get("metadata", {}).get("tags", [])
            assert "nbval-ignore-output" in tags, (
                f"{name}: widget cell not tagged: {source(cell)[:80]!r}"
            )


def test_every_cell_has_slideshow_metadata(notebook):
    name, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        slide = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert slide in SLIDE_TYPES, f"{name} cell {index}: slide_type {slide!r}"
    assert nb["cells"][0]["metadata"]["slideshow"]["slide_type"] == "slide"


def test_widget_state_is_saved(notebook):
    name, nb = notebook
    if any(shows_widget(c) for c in code_cells(nb)):
        state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state")
        assert state, (
            f"{name}: widget state not saved, a reopened notebook would say 'model not found'"
        )
        for cell in code_cells(nb):
            for output in cell.get("outputs", []):
                view = output.get("data", {}).get(WIDGET_VIEW)
                if view:
                    assert view["model_id"] in state, (
                        f"{name}: a displayed widget has no saved state"
                    )


def test_teaching_structure(notebook):
    name, nb = notebook
    text = "\n".join(source(c) for c in nb["cells"])
    assert nb["cells"][0]["cell_type"] == "markdown" and source(nb["cells"][0]).startswith("# ")
    assert "check_yourself(" in text, f"{name}: no 'Check yourself' questions"
    if not name.startswith("00_"):
        assert any(shows_panel(c) for c in code_cells(nb)), f"{name}: no interactive panel"
        assert "small_multiples(" in text or "static" in text.lower(), (
            f"{name}: no static companion"
        )
        assert len(re.findall(r"^\s*assert ", text, re.M)) >= 3, f"{name}: too few assertions"
        assert re.search(r"^#+ .*takeaways", text, re.M | re.I), f"{name}: no takeaways section"


def test_no_network_or_pickle(notebook):
    name, nb = notebook
    text = "\n".join(source(c) for c in code_cells(nb))
    for forbidden in (
        "urlopen",
        "requests.get",
        "urlretrieve",
        "allow_pickle=True",
        "!pip",
        "%pip",
    ):
        assert forbidden not in text, f"{name}: {forbidden}"


def test_headings_never_skip_a_level(notebook):
    name, nb = notebook
    levels = [
        len(m.group(1))
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        for m in re.finditer(r"^(#{1,6}) ", source(c), re.M)
    ]
    assert levels and levels[0] == 1, f"{name}: the first heading must be the title (#)"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{name}: heading level {before} is followed by {after}"


# --- exercise blocks (four cells: task, stub, hints, worked solution) --------------------

EXERCISE_PARTS = ["task", "stub", "hints", "solution"]
SOLUTION_HEADER = "# Worked solution: open it once you have tried."


def exercise_blocks(nb):
    """Exercise id -> indices of its cells (cells carry metadata["exercise"])."""
    found = {}
    for index, cell in enumerate(nb["cells"]):
        info = cell.get("metadata", {}).get("exercise")
        if info:
            found.setdefault(info["id"], []).append(index)
    return found


def output_text(cell):
    return "".join(
        "".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", ""))
        for o in cell.get("outputs", [])
    )


def exercise_block_problems(nb, student=False):
    """What is wrong with the exercise blocks of a notebook (an empty list when nothing).

    ``student``: the notebook is a student version (no solution region, no
    saved outputs in the exercise and solution cells) rather than the
    executed source.
    """
    problems = []
    cells = nb["cells"]
    blocks = exercise_blocks(nb)
    if blocks and "from lecturelib.exercises import check" not in source(code_cells(nb)[0]):
        problems.append("the import cell does not import check from lecturelib.exercises")
    for exercise_id, indices in blocks.items():

        def problem(text, exercise_id=exercise_id):
            problems.append(f"{exercise_id}: {text}")

        parts = [cells[i]["metadata"]["exercise"].get("part") for i in indices]
        if parts != EXERCISE_PARTS or indices != list(range(indices[0], indices[0] + 4)):
            problem(f"expected four consecutive cells {EXERCISE_PARTS}, got {parts} at {indices}")
            continue
        task, stub, hints, solution = (cells[i] for i in indices)
        kinds = [c["cell_type"] for c in (task, stub, hints, solution)]
        if kinds != ["markdown", "code", "markdown", "code"]:
            problem(f"cell types {kinds}")
            continue
        section = 1
        for cell in reversed(cells[: indices[0]]):
            levels = re.findall(r"^(#{1,6}) ", source(cell), re.M)
            if cell["cell_type"] == "markdown" and levels and "exercise" not in cell["metadata"]:
                section = len(levels[-1])
                break
        heading = "#" * (section + 1) + " Exercise: "
        if not source(task).startswith(heading):
            problem(f"the task must start with {heading!r} (one level below its section)")
        if f"`{exercise_id}`" not in source(task):
            problem("the task does not name the exercise id")
        name = re.search(r"^def (\w+)\(", source(stub), re.M)
        call = f'check("{exercise_id}", {name.group(1) if name else "?"})'
        if (
            not name
            or '"""' not in source(stub)
            or not re.search(r"^    \.\.\.", source(stub), re.M)
        ):
            problem("the stub needs a def, a docstring and a `...` body")
        for cell, tag in ((stub, "exercise"), (solution, "solution")):
            if tag not in cell["metadata"].get("tags", []):
                problem(f"a {tag} cell without the tag {tag!r}")
            if source(cell).rstrip().splitlines()[-1] != call:
                problem(f"the {tag} cell must end with {call}")
        summaries = re.findall(r"<details><summary>Hint (\d): ", source(hints))
        if summaries != ["1", "2"] or source(hints).count("</details>") != 2:
            problem("the hints cell needs Hint 1 and Hint 2, each in <details>")
        if solution["metadata"].get("jupyter", {}).get("source_hidden") is not True:
            problem("the worked solution is not collapsed (jupyter.source_hidden)")
        expected = {
            "grade": False,
            "grade_id": f"{exercise_id}_solution",
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        if solution["metadata"].get("nbgrader") != expected:
            problem("the worked solution lacks nbgrader's solution-cell metadata")
        lines = source(solution).splitlines()
        has_region = "### BEGIN SOLUTION" in lines and "### END SOLUTION" in lines
        if lines[0] != SOLUTION_HEADER:
            problem(f"the worked solution must start with {SOLUTION_HEADER!r}")
        if student:
            if "BEGIN SOLUTION" in source(solution) or "END SOLUTION" in source(solution):
                problem("the student version still holds a solution region")
            for cell in (stub, solution):
                if cell.get("outputs"):
                    problem("the student version keeps the output of an exercise cell")
        else:
            if not has_region or lines.index("### BEGIN SOLUTION") > lines.index(
                "### END SOLUTION"
            ):
                problem("the worked solution needs ### BEGIN SOLUTION ... ### END SOLUTION")
            if not output_text(stub).startswith("[Not attempted yet]"):
                problem(f"the stub's saved check is not 'Not attempted yet': {output_text(stub)!r}")
            if not output_text(solution).startswith("[Passed]"):
                problem(
                    f"the worked solution's saved check is not 'Passed': {output_text(solution)!r}"
                )
    return problems


def test_exercise_blocks_are_complete(notebook):
    name, nb = notebook
    problems = exercise_block_problems(nb)
    assert not problems, f"{name}:\n" + "\n".join(problems)
