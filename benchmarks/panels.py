"""Notebook execution times and the kernel-side time of every panel update.

    python benchmarks/panels.py [NOTEBOOK ...]

Each notebook is executed from a clean kernel (as `make notebooks` does);
then every control of every panel is moved through its positions and the
time of each update (the notebook's update function plus PNG encoding) is
recorded. Targets: a notebook under 30 s, the collection under 3 minutes,
a panel update under 50 ms (median).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks as nbtools  # noqa: E402

NOTEBOOK_BUDGET_S = nbtools.TIME_BUDGET_S
COLLECTION_BUDGET_S = 180.0
PANEL_BUDGET_MS = 50.0


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or nbtools.all_notebooks()
    rows = []
    total = 0.0
    for path in paths:
        _, seconds, report = nbtools.run(path, exercise=True)
        total += seconds
        panels = [f"{p['median_ms']:.0f}/{p['max_ms']:.0f}" for p in report if p["updates"] > 0]
        slow = [p for p in report if p["median_ms"] > PANEL_BUDGET_MS]
        verdict = "ok" if seconds <= NOTEBOOK_BUDGET_S and not slow else "SLOW"
        rows.append((path.stem, f"{seconds:.1f}", " ".join(panels) or "-", verdict))
    header = ("notebook", "run (s)", "panel update median/max (ms)", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))
    print(
        f"\ncollection: {total:.1f} s (target {COLLECTION_BUDGET_S:.0f} s); per notebook target "
        f"{NOTEBOOK_BUDGET_S:.0f} s; panel target {PANEL_BUDGET_MS:.0f} ms median"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
