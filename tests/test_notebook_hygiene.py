"""Static checks on the saved notebooks: what nbval cannot see.

Notebooks are committed executed, in order, from a clean kernel, with no
errors or warnings, with widget cells marked for nbval, with slideshow
metadata, and with the pieces every notebook owes a student (a live panel,
a static companion figure, check-yourself questions, asserted numbers).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
        assert "Panel(" in text, f"{name}: no interactive panel"
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
