"""Speed of lecturelib's convolution and pooling against the naive loops and PyTorch.

Run from the repository root:

    python benchmarks/conv_bench.py            # full table (a few minutes)
    python benchmarks/conv_bench.py --rounds 5 # quicker, noisier

Everything runs on one thread (numpy's BLAS and PyTorch). Each time is the
median over several rounds of the process's CPU time (wall-clock with
--wall); in every round the implementations run one after the other
(alternating), so a busy machine affects all of them alike. The
naive four-loop convolution (forward only) is timed directly on small cases;
on large ones it runs on the first few output rows and the time is scaled to
the full height (marked "~"). "ratio" is lecturelib's time over PyTorch's.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecturelib import (  # noqa: E402
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv2d_naive,
    max_pool2d,
    max_pool2d_backward,
    output_size,
)

try:
    import torch

    torch.set_num_threads(1)
    functional = torch.nn.functional
except ImportError:  # the table then has no PyTorch column
    torch = None

clock = time.process_time  # CPU time: robust on a shared machine (--wall for wall-clock)
NAIVE_BUDGET = 20_000  # loop iterations (OH * OW * KH * KW) timed directly

CONV_CASES = [
    # name, x shape, w shape, settings
    ("1x1x512x512 -> 1, 3x3 p1", (1, 1, 512, 512), (1, 1, 3, 3), {"padding": 1}),
    ("64x1x28x28 -> 8, 3x3 p1", (64, 1, 28, 28), (8, 1, 3, 3), {"padding": 1}),
    ("64x8x14x14 -> 16, 3x3 p1", (64, 8, 14, 14), (16, 8, 3, 3), {"padding": 1}),
    (
        "AlexNet conv-1 1x3x227x227 -> 96, 11x11 s4",
        (1, 3, 227, 227),
        (96, 3, 11, 11),
        {"stride": 4},
    ),
]

POOL_CASES = [
    # name, x shape, kernel, stride
    ("1x1x512x512, 3x3 s2", (1, 1, 512, 512), 3, 2),
    ("64x8x28x28, 2x2 s2", (64, 8, 28, 28), 2, 2),
    ("64x16x14x14, 2x2 s2", (64, 16, 14, 14), 2, 2),
    ("AlexNet pool-1 1x96x55x55, 3x3 s2", (1, 96, 55, 55), 3, 2),
]


def median_times(functions, rounds):
    """Median seconds per call of each function, running them alternately each round."""
    for function in functions.values():  # warm-up
        function()
    samples = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            start = clock()
            function()
            samples[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def naive_conv_time(x, w, b, settings, rounds):
    """Time conv2d_naive, directly or on the first output rows and scaled up."""
    oh = output_size(x.shape[2], w.shape[2], settings.get("stride", 1), settings.get("padding", 0))
    ow = output_size(x.shape[3], w.shape[3], settings.get("stride", 1), settings.get("padding", 0))
    per_row = ow * w.shape[2] * w.shape[3]
    if oh * per_row <= NAIVE_BUDGET:
        return median_times({"naive": lambda: conv2d_naive(x, w, b, **settings)}, rounds)[
            "naive"
        ], False
    rows = max(1, NAIVE_BUDGET // per_row)
    stride, padding = settings.get("stride", 1), settings.get("padding", 0)
    # input rows needed for `rows` output rows (the top padding is still added by conv2d_naive)
    needed = (rows - 1) * stride + w.shape[2] - padding
    part = x[:, :, :needed]
    seconds = median_times(
        {"naive": lambda: conv2d_naive(part, w, b, **settings)}, max(1, rounds // 3)
    )["naive"]
    produced = output_size(needed, w.shape[2], stride, padding)
    return seconds * oh / produced, True


def naive_pool(x, kernel, stride, reduce):
    """The lecture's loops: one output position at a time."""
    oh = (x.shape[2] - kernel) // stride + 1
    ow = (x.shape[3] - kernel) // stride + 1
    y = np.empty(x.shape[:2] + (oh, ow), dtype=x.dtype)
    for r in range(oh):
        for s in range(ow):
            y[:, :, r, s] = reduce(
                x[:, :, r * stride : r * stride + kernel, s * stride : s * stride + kernel],
                axis=(2, 3),
            )
    return y


def format_ms(seconds, approximate=False):
    if seconds is None:
        return "-"
    return ("~" if approximate else "") + f"{seconds * 1e3:.3f}"


def conv_rows(dtype, rounds):
    rng = np.random.default_rng(0)
    rows = []
    for name, x_shape, w_shape, settings in CONV_CASES:
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(w_shape[0]).astype(dtype)
        grad_y = rng.standard_normal(conv2d(x, w, b, **settings).shape).astype(dtype)

        def ours_forward(x=x, w=w, b=b, settings=settings):
            return conv2d(x, w, b, **settings)

        def ours_both(x=x, w=w, b=b, grad_y=grad_y, settings=settings):
            conv2d(x, w, b, **settings)
            return conv2d_backward(grad_y, x, w, b, **settings)

        forward = {"ours": ours_forward}
        both = {"ours": ours_both}
        if torch is not None:
            xt = torch.tensor(x, requires_grad=True)
            wt = torch.tensor(w, requires_grad=True)
            bt = torch.tensor(b, requires_grad=True)
            gt = torch.tensor(grad_y)

            def torch_forward(xt=xt, wt=wt, bt=bt, settings=settings):
                with torch.no_grad():
                    return functional.conv2d(xt, wt, bt, **settings)

            def torch_both(xt=xt, wt=wt, bt=bt, gt=gt, settings=settings):
                xt.grad = wt.grad = bt.grad = None
                functional.conv2d(xt, wt, bt, **settings).backward(gt)

            forward["torch"] = torch_forward
            both["torch"] = torch_both
        naive, approximate = naive_conv_time(x, w, b, settings, rounds)
        for label, functions, naive_time in (("fwd", forward, naive), ("fwd+bwd", both, None)):
            times = median_times(functions, rounds)
            rows.append((f"conv2d {label}", name, times, naive_time, approximate))
    return rows


def pool_rows(dtype, rounds):
    rng = np.random.default_rng(1)
    rows = []
    for name, x_shape, kernel, stride in POOL_CASES:
        x = rng.standard_normal(x_shape).astype(dtype)
        for kind, forward, backward, reduce, theirs in (
            ("max_pool2d", max_pool2d, max_pool2d_backward, np.max, "max_pool2d"),
            ("avg_pool2d", avg_pool2d, avg_pool2d_backward, np.mean, "avg_pool2d"),
        ):
            grad_y = rng.standard_normal(forward(x, kernel, stride).shape).astype(dtype)

            def ours(
                x=x, forward=forward, backward=backward, grad_y=grad_y, kernel=kernel, stride=stride
            ):
                forward(x, kernel, stride)
                return backward(grad_y, x, kernel, stride)

            functions = {"ours": ours}
            if torch is not None:
                xt = torch.tensor(x, requires_grad=True)
                gt = torch.tensor(grad_y)
                torch_pool = getattr(functional, theirs)

                def torch_both(xt=xt, gt=gt, torch_pool=torch_pool, kernel=kernel, stride=stride):
                    xt.grad = None
                    torch_pool(xt, kernel, stride).backward(gt)

                functions["torch"] = torch_both
            times = median_times(functions, rounds)
            naive = median_times(
                {"naive": lambda x=x, r=reduce, k=kernel, s=stride: naive_pool(x, k, s, r)},
                max(1, rounds // 3),
            )["naive"]
            rows.append((f"{kind} fwd+bwd", name, times, naive, False))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds per measurement (median)")
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    global clock
    clock = time.perf_counter if args.wall else time.process_time
    versions = f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}"
    print(
        f"{versions}; 1 thread; median of {args.rounds} alternating rounds of "
        f"{'wall-clock' if args.wall else 'CPU'} time, in ms"
    )
    print(
        "naive: the four-loop conv2d_naive (forward only) and loop pooling (forward only); "
        "~ = timed on the first output rows and scaled to the full height"
    )
    header = ("operation", "case", "dtype", "lecturelib", "naive", "torch", "ratio")
    lines = []
    for dtype in (np.float64, np.float32):
        for operation, case, times, naive, approximate in conv_rows(dtype, args.rounds) + pool_rows(
            dtype, args.rounds
        ):
            theirs = times.get("torch")
            ratio = f"{times['ours'] / theirs:.2f}x" if theirs else "-"
            lines.append(
                (
                    operation,
                    case,
                    np.dtype(dtype).name,
                    format_ms(times["ours"]),
                    format_ms(naive, approximate),
                    format_ms(theirs),
                    ratio,
                )
            )
            print("  .. " + " | ".join(lines[-1]), file=sys.stderr, flush=True)
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    print(
        "  ".join(
            h.ljust(wd) if i < 3 else h.rjust(wd) for i, (h, wd) in enumerate(zip(header, widths))
        )
    )
    print("  ".join("-" * wd for wd in widths))
    for line in lines:
        print(
            "  ".join(
                c.ljust(wd) if i < 3 else c.rjust(wd) for i, (c, wd) in enumerate(zip(line, widths))
            )
        )


if __name__ == "__main__":
    main()
