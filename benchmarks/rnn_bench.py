"""Forward + backward through time: lecturelib against PyTorch autograd (float64, 1 thread).

Two sizes: a character model over a 65-symbol vocabulary (one-hot inputs,
D = 65) with hidden 128, T = 50, batch 32; and the classic minimal
character RNN, batch 1, hidden 100, T = 25. For each cell (RNN, LSTM,
GRU) the table gives the median time of one forward and backward pass over
the whole sequence, PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with
``backward()`` on the same numbers, and the ratio ours / torch (below 1:
we are faster). Rounds alternate between the two implementations. Times
are the process's CPU time by default (steadier than wall-clock time on a
shared machine; both sides run on one thread); ``--wall`` uses wall time.

Run: ``python benchmarks/rnn_bench.py [--rounds 30] [--wall]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lecturelib import (  # noqa: E402
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

SIZES = {
    "char model  T=50 N=32 D=65 H=128": (50, 32, 65, 128),
    "min-char-rnn T=25 N=1 D=65 H=100": (25, 1, 65, 100),
}
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def make_ours(kind, x, h0, U, W, b_x, b_h, grad_h):
    if kind == "rnn":
        b = b_x + b_h

        def run():
            h, cache = rnn_forward(x, h0, U, W, b)
            return rnn_backward(grad_h, cache)

    elif kind == "lstm":
        b = b_x + b_h
        c0 = np.zeros_like(h0)

        def run():
            h, c, cache = lstm_forward(x, h0, c0, U, W, b)
            return lstm_backward(grad_h, cache)

    else:

        def run():
            h, cache = gru_forward(x, h0, U, W, b_x, b_h)
            return gru_backward(grad_h, cache)

    return run


def make_torch(torch, kind, x, h0, U, W, b_x, b_h, grad_h):
    D, H = x.shape[2], h0.shape[1]
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    net = module(D, H).double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(U.T))
        net.weight_hh_l0.copy_(torch.from_numpy(W.T))
        net.bias_ih_l0.copy_(torch.from_numpy(b_x))
        net.bias_hh_l0.copy_(torch.from_numpy(b_h))
    xt = torch.from_numpy(x).requires_grad_(True)
    h0t = torch.from_numpy(h0[None].copy()).requires_grad_(True)
    state = (h0t, torch.zeros_like(h0t)) if kind == "lstm" else h0t
    grad = torch.from_numpy(grad_h)

    def run():
        net.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = net(xt, state)
        out.backward(grad)

    return run


def median_times(functions, rounds, clock=time.process_time):
    for f in functions:  # warm up
        f()
        f()
    times = [[] for _ in functions]
    for _ in range(rounds):
        for f, bucket in zip(functions, times):
            start = clock()
            f()
            bucket.append(clock() - start)
    return [statistics.median(bucket) for bucket in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(1)

    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", no torch"))
    kind = "wall-clock" if args.wall else "CPU"
    print(f"float64, 1 thread, median {kind} time of {args.rounds} rounds, forward + backward")
    header = f"{'size':34} {'cell':5} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10}"
    print(header)
    print("-" * len(header))
    for label, (T, N, D, H) in SIZES.items():
        for kind, blocks in BLOCKS.items():
            rng = np.random.default_rng(0)
            x = np.zeros((T, N, D))
            x[np.arange(T)[:, None], np.arange(N), rng.integers(0, D, size=(T, N))] = 1.0
            h0 = rng.normal(size=(N, H)) * 0.1
            U = rng.normal(size=(D, blocks * H)) / np.sqrt(D)
            W = rng.normal(size=(H, blocks * H)) / np.sqrt(H)
            b_x = rng.normal(size=blocks * H) * 0.1
            b_h = rng.normal(size=blocks * H) * 0.1
            grad_h = rng.normal(size=(T, N, H))
            functions = [make_ours(kind, x, h0, U, W, b_x, b_h, grad_h)]
            if torch is not None:
                functions.append(make_torch(torch, kind, x, h0, U, W, b_x, b_h, grad_h))
            medians = median_times(functions, args.rounds, clock)
            ours = medians[0] * 1e3
            if torch is not None:
                theirs = medians[1] * 1e3
                print(f"{label:34} {kind:5} {ours:9.3f} {theirs:9.3f} {ours / theirs:10.2f}")
            else:
                print(f"{label:34} {kind:5} {ours:9.3f} {'-':>9} {'-':>10}")


if __name__ == "__main__":
    main()
