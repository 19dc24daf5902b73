"""Helpers for the portability tests (tests/notebooks/test_portability_*.py).

A student's computer may sum in another order than the one that executed the
notebooks (another BLAS kernel, another CPU), which changes the last bits of
every matrix product. The portability tests imitate that without touching
BLAS settings: they nudge the inputs of a notebook's headline experiment by a
relative 1e-12 (float64) or by one unit in the last place (float32, where
1e-12 would vanish), rerun it, and check that what the notebook prints (after
the nbval sanitize rules) and what it asserts come out the same.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SANITIZE_FILE = ROOT / "tests" / "nbval_sanitize.cfg"
RELATIVE_NUDGE = 1e-12


def nudge(array, seed: int):
    """A copy of ``array`` with every entry moved by a relative 1e-12 (float64) or
    by about one unit in the last place (float32), up or down at random."""
    array = np.asarray(array)
    relative = max(RELATIVE_NUDGE, float(np.finfo(array.dtype).eps))
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=array.shape)
    return (array.astype(np.float64) * (1.0 + relative * signs)).astype(array.dtype)


def nudge_all(arrays: dict, seed: int) -> dict:
    """``nudge`` every array of a dict, each with its own seed."""
    return {name: nudge(value, seed + i) for i, (name, value) in enumerate(arrays.items())}


def sanitize_rules() -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of tests/nbval_sanitize.cfg, read as nbval reads them."""
    text = SANITIZE_FILE.read_text(encoding="utf-8")
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)


def sanitize(text: str) -> str:
    for regex, replacement in sanitize_rules():
        text = re.sub(regex, replacement, text)
    return text


def saved_output(notebook: str, marker: str) -> str:
    """The saved stdout of the one code cell of ``notebooks/<notebook>*.ipynb`` whose
    source contains ``marker``: what nbval compares a fresh run with."""
    (path,) = sorted((ROOT / "notebooks").glob(f"{notebook}*.ipynb"))
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    hits = [c for c in cells if c["cell_type"] == "code" and marker in "".join(c["source"])]
    assert len(hits) == 1, f"{len(hits)} cells of {path.name} contain {marker!r}"
    return "".join(
        "".join(output["text"])
        for output in hits[0].get("outputs", [])
        if output.get("name") == "stdout"
    )


def assert_prints_the_same(notebook: str, marker: str, printed: str) -> None:
    """``printed`` (what a nudged run prints) equals the notebook's saved output, as nbval
    compares them (both sanitized)."""
    saved = sanitize(saved_output(notebook, marker))
    assert sanitize(printed).strip() == saved.strip(), (
        f"a nudged run of {notebook} prints\n{printed}\nbut the notebook shows\n{saved}"
    )
