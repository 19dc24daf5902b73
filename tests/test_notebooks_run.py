"""Each notebook re-executed from a clean kernel.

One execution per notebook checks three promises: the saved file is what a
fresh run produces (no stale outputs), every position of every control of
every panel works without an unexpected error, and the notebook runs within
twice its time budget (a guard; the real timings are in the benchmarks).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks as nbtools  # noqa: E402

NOTEBOOKS = nbtools.all_notebooks()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_fresh_and_every_control_works(path):
    fresh, seconds, report = nbtools.run(path, exercise=True)
    problem = nbtools.difference(path.read_text(encoding="utf-8"), fresh)
    assert problem is None, f"{path.name} is stale ({problem}): run `make notebooks`"
    assert seconds < 2 * nbtools.TIME_BUDGET_S, f"{path.name} took {seconds:.1f} s"
    for index, panel in enumerate(report):
        assert not panel["unexpected_errors"], f"panel {index}: {panel['unexpected_errors'][:3]}"
        assert panel["updates"] > 0
