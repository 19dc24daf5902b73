"""Training the lecture's CNN on the shipped digits, and batch norm against PyTorch (1 thread).

1. The recipe of ``lecturelib.training.loop.DIGITS_RECIPE`` (the one the notebooks
   use) trains ``digits_cnn`` (conv 8@3x3 pad 1 - ReLU - max pool 2 -
   conv 16@3x3 pad 1 - ReLU - max pool 2 - dense 10) on
   ``load_digits("train")`` and measures ``load_digits("test")``.
   Targets: test accuracy >= 97 %, whole run < 60 s on 2 cores.
   ``--seeds K`` repeats the run for seeds 0..K-1 (the spread of the accuracy).
2. One epoch of the same model, same weights, same batches: lecturelib
   against PyTorch (``torch.nn`` modules, autograd, ``torch.optim.SGD``),
   float32, medians of rounds that alternate between the two.
3. ``batch_norm`` in float32 against ``torch.nn.functional.batch_norm``:
   forward in training and eval mode, and backward (ours:
   ``batch_norm_backward``; PyTorch: autograd through F.batch_norm).
   Target: within 1.25x of PyTorch.

Run: ``python benchmarks/train_bench.py [--rounds 7] [--seeds 1]``. Without
PyTorch, sections 2 and 3 print only our own times.
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
from lecturelib.data import load_digits  # noqa: E402
from lecturelib.training import SGD  # noqa: E402
from lecturelib.losses import softmax_cross_entropy  # noqa: E402
from lecturelib.batchnorm import batch_norm, batch_norm_backward  # noqa: E402
from lecturelib.training import DIGITS_RECIPE, digits_cnn, evaluate, fit  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the comparison columns are then left empty
    torch = None

ACCURACY_TARGET = 0.97
TIME_TARGET_S = 60.0
BATCH_NORM_TARGET = 1.25


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))
    print()


def dataset(dtype):
    return load_digits("train", dtype=dtype), load_digits("test", dtype=dtype)


# --- 1. the recipe ---------------------------------------------------------------------


def train_recipe(seed, dtype):
    (x_train, y_train), test = dataset(dtype)
    r = DIGITS_RECIPE
    started = time.perf_counter()
    model = digits_cnn(rng=seed, dtype=dtype)
    optimiser = SGD(model, lr=r["lr"], momentum=r["momentum"])
    fit(
        model,
        softmax_cross_entropy,
        optimiser,
        (x_train, y_train),
        batch_size=r["batch_size"],
        epochs=r["epochs"],
        rng=seed,
        progress=False,
    )
    seconds = time.perf_counter() - started
    _, test_accuracy = evaluate(model, softmax_cross_entropy, test)
    return test_accuracy, seconds


def section_recipe(seeds):
    r = DIGITS_RECIPE
    print(
        f"1. digits_cnn, SGD lr={r['lr']} momentum={r['momentum']}, batch {r['batch_size']}, "
        f"{r['epochs']} epochs, seeds 0..{seeds - 1} (default seed {r['seed']})"
    )
    rows, ok = [], True
    for dtype in (np.float32, np.float64):
        for seed in range(seeds):
            score, seconds = train_recipe(seed, dtype)
            passed = score >= ACCURACY_TARGET and seconds < TIME_TARGET_S
            ok &= passed
            rows.append(
                (
                    np.dtype(dtype).name,
                    seed,
                    f"{100 * score:.2f}",
                    f"{seconds:.2f}",
                    "ok" if passed else "MISSED",
                )
            )
    print_table(("dtype", "seed", "test accuracy (%)", "wall time (s)", "target"), rows)
    return ok


# --- 2. one epoch against PyTorch ---------------------------------------------------------


def torch_copy(model):
    torch_model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
    )
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return torch_model


def section_epoch(rounds):
    (x_train, y_train), _ = dataset(np.float32)
    r = DIGITS_RECIPE
    order = np.random.default_rng(0).permutation(len(x_train))
    batches = np.array_split(order, range(r["batch_size"], len(x_train), r["batch_size"]))

    def ours():
        model = digits_cnn(rng=0)
        optimiser = SGD(model, lr=r["lr"], momentum=r["momentum"])
        started = time.perf_counter()
        for batch in batches:
            optimiser.zero_grad()
            _, grad = softmax_cross_entropy(model.forward(x_train[batch]), y_train[batch])
            model.backward(grad)
            optimiser.step()
        return time.perf_counter() - started

    def theirs():
        torch_model = torch_copy(digits_cnn(rng=0))
        optimiser = torch.optim.SGD(torch_model.parameters(), lr=r["lr"], momentum=r["momentum"])
        inputs, labels = torch.tensor(x_train), torch.tensor(y_train)
        started = time.perf_counter()
        for batch in batches:
            index = torch.from_numpy(batch)
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(torch_model(inputs[index]), labels[index])
            loss.backward()
            optimiser.step()
        return time.perf_counter() - started

    times = {"lecturelib": [], "pytorch": []}
    ours()  # warm up both
    if torch is not None:
        theirs()
    for _ in range(rounds):
        times["lecturelib"].append(ours())
        if torch is not None:
            times["pytorch"].append(theirs())
    ours_s = statistics.median(times["lecturelib"])
    row = [f"{len(batches)} batches of {r['batch_size']}", f"{1000 * ours_s:.0f}"]
    if torch is not None:
        theirs_s = statistics.median(times["pytorch"])
        row += [f"{1000 * theirs_s:.0f}", f"{ours_s / theirs_s:.2f}"]
    else:
        row += ["-", "-"]
    print(f"2. one training epoch of digits_cnn, float32, median of {rounds} rounds")
    print_table(("epoch", "lecturelib (ms)", "pytorch (ms)", "ratio"), [row])


# --- 3. batch norm against PyTorch ---------------------------------------------------------

BATCH_NORM_SHAPES = [(64, 16, 32, 32), (128, 32, 8, 8), (256, 128)]


def median_time(function, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def batch_norm_cases(shape):
    """The three timed passes for one input shape: ours, and PyTorch's (or {})."""
    rng = np.random.default_rng(0)
    channels = shape[1]
    x = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
    grad_y = rng.normal(size=shape).astype(np.float32)
    weight = rng.normal(size=channels).astype(np.float32)
    bias = rng.normal(size=channels).astype(np.float32)
    mean, var = np.zeros(channels, np.float32), np.ones(channels, np.float32)
    ours = {
        "forward, training": lambda: batch_norm(x, mean, var, weight, bias, training=True),
        "forward, eval": lambda: batch_norm(x, mean, var, weight, bias, training=False),
        "backward, training": lambda: batch_norm_backward(grad_y, x, weight, bias),
    }
    if torch is None:
        return ours, {}
    F = torch.nn.functional
    t_x = torch.tensor(x, requires_grad=True)
    t_w = torch.tensor(weight, requires_grad=True)
    t_b = torch.tensor(bias, requires_grad=True)
    t_mean, t_var, t_grad = torch.tensor(mean), torch.tensor(var), torch.tensor(grad_y)
    t_y = F.batch_norm(t_x, t_mean, t_var, t_w, t_b, training=True)  # the graph, built once

    def forward(training):
        with torch.no_grad():  # no autograd graph, as our forward keeps none
            return F.batch_norm(t_x, t_mean, t_var, t_w, t_b, training=training)

    theirs = {
        "forward, training": lambda: forward(True),
        "forward, eval": lambda: forward(False),
        "backward, training": lambda: torch.autograd.grad(
            t_y, (t_x, t_w, t_b), t_grad, retain_graph=True
        ),
    }
    return ours, theirs


def section_batch_norm(rounds):
    rows = []
    for shape in BATCH_NORM_SHAPES:
        ours, theirs = batch_norm_cases(shape)
        for case, function in ours.items():
            ours_samples, theirs_samples = [], []
            for _ in range(rounds):  # alternate the two implementations
                ours_samples.append(median_time(function, 3))
                if case in theirs:
                    theirs_samples.append(median_time(theirs[case], 3))
            ours_s = statistics.median(ours_samples)
            row = [str(shape), case, f"{1e3 * ours_s:.3f}"]
            if theirs_samples:
                ratio = ours_s / statistics.median(theirs_samples)
                verdict = "ok" if ratio <= BATCH_NORM_TARGET else "above"
                row += [f"{1e3 * statistics.median(theirs_samples):.3f}", f"{ratio:.2f}", verdict]
            else:
                row += ["-", "-", "-"]
            rows.append(row)
    print(
        f"3. batch norm, float32, median of {rounds} rounds (target ratio <= {BATCH_NORM_TARGET})"
    )
    print_table(("x shape", "pass", "lecturelib (ms)", "pytorch (ms)", "ratio", "target"), rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args(argv)
    ok = section_recipe(args.seeds)
    section_epoch(args.rounds)
    section_batch_norm(args.rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
