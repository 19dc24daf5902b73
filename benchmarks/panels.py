"""Notebook execution times, the kernel-side time of every panel update, and where it goes.

    python benchmarks/panels.py [--latency FILE] [--json FILE] [NOTEBOOK ...]
    python benchmarks/panels.py --reprint     the last parts again, with a newer browser table

Each notebook is executed from a clean kernel (as `make notebooks` does);
then every control of every panel is moved through its positions and the
time of each update (the notebook's update function plus PNG encoding) is
recorded. Targets: a notebook under 30 s, the collection under 3 minutes,
a panel update under 50 ms (median).

A second table splits each control's updates into their parts
(benchmarks/panel_parts.py): the update function (the lesson's computation
and the artists it changes), matplotlib drawing, PNG encoding, the text
alternative, sending, and the bytes sent per update. Where the browser
test's latency table exists (benchmarks/results/panel_latency.txt, written
by `run_all.py --browser`), each control's browser median is printed beside
them, and the rest (browser minus kernel) is what the message's transfer,
the front end, the image decode and the paint take, plus any wait for the
kernel.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks as nbtools  # noqa: E402

NOTEBOOK_BUDGET_S = nbtools.TIME_BUDGET_S
COLLECTION_BUDGET_S = 180.0
PANEL_BUDGET_MS = 50.0
LATENCY_TABLE = ROOT / "benchmarks" / "results" / "panel_latency.txt"
PARTS_JSON = ROOT / "benchmarks" / "results" / "panel_parts.json"

# Runs in the notebook's kernel after its last cell: every control moved with
# each part of its updates timed, then the every-control probe of the tests.
PROBE = f"""\
import json as _json, sys as _sys
_sys.path.insert(0, {str(ROOT / "benchmarks")!r})
import lecturelib.drawing.panel as _widgets
import panel_parts as _parts
_parts_rows = _parts.measure_all()  # first, so cached computations are timed too
print(_json.dumps({{"exercise": _widgets.exercise_all_panels(), "parts": _parts_rows}}))
"""


def table(header, rows) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    lines = [line.format(*header), line.format(*["-" * w for w in widths])]
    return lines + [line.format(*row) for row in rows]


def browser_medians(path: Path) -> dict:
    """(notebook, panel, control label) -> JupyterLab medians from the browser table.

    The value is ``(total, round trip, decode, paint)`` in ms; parts are NaN
    in a table written before the browser test measured them.
    """
    medians = {}
    if not path.exists():
        return medians
    section, first_part = None, 3
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("Panel latency in "):
            section = line.split()[3].rstrip(":")
            continue
        if line.startswith("where "):  # tables since the slowest move was added have "max ms"
            first_part = 4 if "max ms" in line else 3
            continue
        if section != "JupyterLab" or ", panel " not in line[:34]:
            continue
        notebook, panel = line[:34].strip().rsplit(", panel ", 1)
        numbers = line[68:].split()
        if len(numbers) < 2 or numbers[1] == "nan":
            continue
        parts = numbers[first_part : first_part + 3]
        parts = [float(n) if n.replace(".", "").isdigit() else math.nan for n in parts]
        parts += [math.nan] * (3 - len(parts))
        medians[(notebook, int(panel), line[35:59].strip())] = (float(numbers[1]), *parts)
    return medians


def _ms(value) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0f}"


def breakdown_rows(name: str, parts: list[dict], browser: dict) -> list[tuple]:
    rows = []
    for p in parts:
        total, trip, decode, paint = browser.get((name, p["panel"], p["control"][:24]), [None] * 4)
        rows.append(
            (
                f"{name[:24]} {p['panel']}",
                p["control"][:22],
                p["kind"][:4],
                p["updates"],
                f"{p['update_ms']:.1f}",
                f"{p['draw_ms']:.1f}",
                f"{p['encode_ms']:.1f}",
                f"{p['describe_ms']:.1f}",
                f"{p['send_ms']:.1f}",
                f"{p['total_ms']:.1f}",
                f"{p['bytes'] / 1024:.0f}",
                "x".join(map(str, p["pixels"])),
                _ms(total),
                _ms(trip),
                _ms(trip - p["total_ms"] if trip is not None else None),
                _ms(decode),
                _ms(paint),
            )
        )
    return rows


BREAKDOWN_HEADER = (
    "notebook panel",
    "control",
    "kind",
    "n",
    "update",
    "draw",
    "encode",
    "alt",
    "send",
    "kernel",
    "KB",
    "pixels",
    "browser",
    "trip",
    "wire",
    "decode",
    "paint",
)


def print_breakdown(kept: dict, latency: Path) -> None:
    """The parts table for ``kept`` (notebook -> rows), joined with the browser table."""
    browser = browser_medians(latency)
    rows = [row for name, parts in kept.items() for row in breakdown_rows(name, parts, browser)]
    print("\nWhere an update's time goes (median ms of CPU time per control; KB sent per update)")
    print("\n".join(table(BREAKDOWN_HEADER, rows)))
    print(
        "update: the notebook's update function (computation and artist changes); draw:"
        " matplotlib painting;\nencode: PNG; alt: the text alternative; send: widget messages."
        "\nbrowser: median key press to painted picture in JupyterLab"
        + (f" ({latency.name})" if browser else " (no browser table found)")
        + "; trip: until the picture's bytes\nreached the page; wire = trip - kernel (front end,"
        " server, messages, waiting for a busy CPU);\ndecode, paint: the browser decoding the PNG"
        " and the two frames until it is painted."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--latency", type=Path, default=LATENCY_TABLE, help="browser table")
    parser.add_argument("--json", type=Path, default=PARTS_JSON, help="where to keep the parts")
    parser.add_argument(
        "--reprint", action="store_true", help="only print the parts kept in --json again"
    )
    args = parser.parse_args(argv)
    if args.reprint:
        print_breakdown(json.loads(args.json.read_text(encoding="utf-8")), args.latency)
        return 0
    paths = [p.resolve() for p in args.notebooks] or nbtools.all_notebooks()
    rows, kept = [], {}
    total = 0.0
    for path in paths:
        _, seconds, report = nbtools.run(path, exercise=True, probe=PROBE)
        total += seconds
        exercise = report["exercise"] if report else []
        panels = [f"{p['median_ms']:.0f}/{p['max_ms']:.0f}" for p in exercise if p["updates"] > 0]
        slow = [p for p in exercise if p["median_ms"] > PANEL_BUDGET_MS]
        verdict = "ok" if seconds <= NOTEBOOK_BUDGET_S and not slow else "SLOW"
        rows.append((path.stem, f"{seconds:.1f}", " ".join(panels) or "-", verdict))
        kept[path.stem] = report["parts"] if report else []
    header = ("notebook", "run (s)", "panel update median/max (ms)", "target")
    print("\n".join(table(header, rows)))
    print(
        f"\ncollection: {total:.1f} s (target {COLLECTION_BUDGET_S:.0f} s); per notebook target "
        f"{NOTEBOOK_BUDGET_S:.0f} s; panel target {PANEL_BUDGET_MS:.0f} ms median"
    )
    print_breakdown(kept, args.latency)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
