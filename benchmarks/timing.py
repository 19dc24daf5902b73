"""One way to time things, shared by every benchmark script.

Import this module before numpy: it pins numpy's BLAS and PyTorch to one
thread, so ratios compare the algorithms rather than the thread pools.
Implementations are timed in alternating rounds (ours, theirs, ours, ...)
so that a busy machine slows all of them alike, and each time is the median
over rounds of the process's CPU time per call.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # benchmarks then print no PyTorch column
    torch = None

clock = time.process_time


def calls_per_round(function: Callable[[], object], target_s: float = 0.02) -> int:
    """How many calls make one round last about ``target_s`` (at least one)."""
    function()  # warm up caches and allocators
    start = clock()
    function()
    once = max(clock() - start, 1e-6)
    return max(1, min(1000, round(target_s / once)))


def median_times(functions: Sequence[Callable[[], object] | None], rounds: int = 7) -> list:
    """Median CPU seconds per call of each function, timed in alternating rounds.

    ``None`` entries (an implementation that is not available) give None.
    """
    live = [f for f in functions if f is not None]
    numbers = [calls_per_round(f) for f in live]
    samples: list[list[float]] = [[] for _ in live]
    for _ in range(rounds):
        for index, (function, number) in enumerate(zip(live, numbers)):
            start = clock()
            for _ in range(number):
                function()
            samples[index].append((clock() - start) / number)
    medians = iter(statistics.median(s) for s in samples)
    return [None if f is None else next(medians) for f in functions]


def ms(seconds: float | None, approximate: bool = False) -> str:
    if seconds is None:
        return "-"
    return f"{'~' if approximate else ''}{seconds * 1000:.2f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    return "-" if ours is None or theirs is None else f"{ours / theirs:.2f}x"


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table with aligned columns."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))
