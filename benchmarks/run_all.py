"""Every speed target of the collection, measured in one run.

    python benchmarks/run_all.py [--rounds 7] [--no-notebooks] [--browser]

Part 1 times lecturelib against PyTorch (when installed) on one thread, in
alternating rounds (see timing.py), and prints each ratio (our time / torch
time) next to its target; the naive four-loop convolution is the baseline
the notebooks quote. Part 2 executes every notebook and moves every control
of every panel (benchmarks/panels.py), timing each part of an update:
update function, drawing, PNG encoding, alt text, sending, bytes sent.
Part 3 (``--browser``, a few more minutes) runs the browser tests, which
time every slider and dropdown from the key press to the painted picture in
JupyterLab and Voila, and prints their table, then Part 2's parts beside
the browser's times. Run it on an otherwise idle machine: on a loaded one
all numbers grow, and ratios wobble by 10-20 %.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import timing  # noqa: I001  (pins threads before numpy is imported)
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lecturelib import (  # noqa: E402
    avg_pool2d,
    avg_pool2d_backward,
    batch_norm,
    batch_norm_backward,
    conv2d,
    conv2d_backward,
    conv2d_naive,
    dropout,
    dropout_backward,
    max_pool2d,
    max_pool2d_backward,
)
from lecturelib.data import load_digits  # noqa: E402
from lecturelib.training import SGD  # noqa: E402
from lecturelib.losses import softmax_cross_entropy  # noqa: E402
from lecturelib.training import DIGITS_RECIPE, digits_cnn  # noqa: E402

torch = timing.torch
F = torch.nn.functional if torch is not None else None

# name, x shape, w shape, stride, padding, float64 target, float32 target (fwd+bwd)
CONV_CASES = [
    ("edge demo 1x1x512x512, 3x3 p1", (1, 1, 512, 512), (1, 1, 3, 3), 1, 1, None, None),
    ("tiny CNN 64x1x28x28 -> 8, 3x3 p1", (64, 1, 28, 28), (8, 1, 3, 3), 1, 1, 1.0, 1.5),
    ("tiny CNN 64x8x14x14 -> 16, 3x3 p1", (64, 8, 14, 14), (16, 8, 3, 3), 1, 1, 1.0, 1.5),
    (
        "AlexNet conv-1 1x3x227x227 -> 96, 11x11 s4",
        (1, 3, 227, 227),
        (96, 3, 11, 11),
        4,
        0,
        None,
        None,
    ),
]
NAIVE_MAX_ITERATIONS = 20_000  # OH * OW * KH * KW: the loops are timed only below this


def tensor(array, grad=False):
    return torch.tensor(array, requires_grad=grad)


def conv_rows(rounds):
    rows = []
    rng = np.random.default_rng(0)
    for name, x_shape, w_shape, stride, padding, target64, target32 in CONV_CASES:
        for dtype, target in ((np.float64, target64), (np.float32, target32)):
            x = rng.normal(size=x_shape).astype(dtype)
            w = rng.normal(size=w_shape).astype(dtype)
            b = rng.normal(size=w_shape[0]).astype(dtype)
            y = conv2d(x, w, b, stride, padding)
            grad_y = rng.normal(size=y.shape).astype(dtype)
            oh, ow = y.shape[2:]
            loops = oh * ow * w_shape[2] * w_shape[3]

            def ours_fwd():
                return conv2d(x, w, b, stride, padding)

            def ours_both():
                conv2d(x, w, b, stride, padding)
                return conv2d_backward(grad_y, x, w, b, stride, padding)

            def naive():
                return conv2d_naive(x, w, b, stride, padding)

            torch_fwd = torch_both = None
            if torch is not None:
                xt, wt, bt, gt = tensor(x, True), tensor(w, True), tensor(b, True), tensor(grad_y)

                def torch_fwd():
                    with torch.no_grad():
                        return F.conv2d(xt, wt, bt, stride, padding)

                def torch_both():
                    xt.grad = wt.grad = bt.grad = None
                    F.conv2d(xt, wt, bt, stride, padding).backward(gt)

            use_naive = loops <= NAIVE_MAX_ITERATIONS and dtype == np.float64
            fwd, naive_s, tfwd, both, tboth = timing.median_times(
                [ours_fwd, naive if use_naive else None, torch_fwd, ours_both, torch_both],
                rounds,
            )
            rows.append(
                (
                    f"conv2d {name}",
                    np.dtype(dtype).name,
                    timing.ms(fwd),
                    timing.ms(naive_s),
                    timing.ratio(fwd, tfwd),
                    timing.ms(both),
                    timing.ratio(both, tboth),
                    verdict(both, tboth, target),
                )
            )
    return rows


def verdict(ours, theirs, target):
    if target is None:
        return ""
    if ours is None or theirs is None:
        return f"<= {target}x (no torch)"
    return f"<= {target}x {'ok' if ours / theirs <= target else 'MISSED'}"


def pool_rows(rounds):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 16, 28, 28))
    grad_y = rng.normal(size=(64, 16, 14, 14))
    rows = []
    for name, forward, backward, torch_forward, target in (
        ("max_pool2d 2x2 64x16x28x28", max_pool2d, max_pool2d_backward, "max_pool2d", 0.75),
        ("avg_pool2d 2x2 64x16x28x28", avg_pool2d, avg_pool2d_backward, "avg_pool2d", 0.5),
    ):

        def ours_fwd(forward=forward):
            return forward(x, 2)

        def ours_both(forward=forward, backward=backward):
            forward(x, 2)
            return backward(grad_y, x, 2)

        tfwd = tboth = None
        if torch is not None:
            xt, gt = tensor(x, True), tensor(grad_y)
            op = getattr(F, torch_forward)

            def tfwd(op=op, xt=xt):
                with torch.no_grad():
                    return op(xt, 2)

            def tboth(op=op, xt=xt, gt=gt):
                xt.grad = None
                op(xt, 2).backward(gt)

        fwd, t_fwd, both, t_both = timing.median_times([ours_fwd, tfwd, ours_both, tboth], rounds)
        rows.append(
            (
                name,
                "float64",
                timing.ms(fwd),
                "",
                timing.ratio(fwd, t_fwd),
                timing.ms(both),
                timing.ratio(both, t_both),
                verdict(both, t_both, target),
            )
        )
    return rows


def recurrent_rows(rounds):
    from rnn_bench import make_ours, make_torch

    T, N, D, H = 50, 32, 65, 128
    rng = np.random.default_rng(2)
    x = rng.normal(size=(T, N, D))
    h0 = np.zeros((N, H))
    grad_h = rng.normal(size=(T, N, H))
    rows = []
    for kind, blocks, target in (("rnn", 1, 0.75), ("lstm", 4, 1.0), ("gru", 3, 1.0)):
        weights = [
            rng.normal(scale=0.1, size=shape)
            for shape in ((D, blocks * H), (H, blocks * H), (blocks * H,), (blocks * H,))
        ]
        ours = make_ours(kind, x, h0, *weights, grad_h)
        theirs = None if torch is None else make_torch(torch, kind, x, h0, *weights, grad_h)
        both, t_both = timing.median_times([ours, theirs], rounds)
        rows.append(
            (
                f"{kind.upper()} fwd+bwd T50 N32 D65 H128",
                "float64",
                "",
                "",
                "",
                timing.ms(both),
                timing.ratio(both, t_both),
                verdict(both, t_both, target),
            )
        )
    return rows


def regularisation_rows(rounds):
    rng = np.random.default_rng(3)
    shape = (64, 16, 28, 28)
    x = rng.normal(size=shape).astype(np.float32)
    grad_y = rng.normal(size=shape).astype(np.float32)
    weight = np.ones(16, np.float32)
    bias = np.zeros(16, np.float32)
    running_mean, running_var = np.zeros(16, np.float32), np.ones(16, np.float32)

    def bn_ours():
        batch_norm(x, running_mean, running_var, weight, bias, training=True)
        return batch_norm_backward(grad_y, x, weight, bias, training=True)

    def dropout_ours():
        y, mask = dropout(x, 0.5, True, rng)
        return dropout_backward(grad_y, mask, 0.5)

    bn_theirs = dropout_theirs = None
    if torch is not None:
        xt, gt = tensor(x, True), tensor(grad_y)
        wt, bt = tensor(weight, True), tensor(bias, True)
        rm, rv = torch.zeros(16), torch.ones(16)

        def bn_theirs():
            xt.grad = wt.grad = bt.grad = None
            F.batch_norm(xt, rm, rv, wt, bt, training=True).backward(gt)

        def dropout_theirs():
            xt.grad = None
            F.dropout(xt, 0.5, True).backward(gt)

        torch.manual_seed(0)
    bn, t_bn, dr, t_dr = timing.median_times(
        [bn_ours, bn_theirs, dropout_ours, dropout_theirs], rounds
    )
    return [
        ("batch_norm fwd+bwd 64x16x28x28", "float32", "", "", "", timing.ms(bn),
         timing.ratio(bn, t_bn), verdict(bn, t_bn, 1.25)),
        ("dropout fwd+bwd 64x16x28x28", "float32", "", "", "", timing.ms(dr),
         timing.ratio(dr, t_dr), verdict(dr, t_dr, 0.5)),
    ]  # fmt: skip


def epoch_rows(rounds):
    x_train, y_train = load_digits("train", dtype=np.float32)
    recipe = DIGITS_RECIPE
    size = recipe["batch_size"]
    batches = np.array_split(np.random.default_rng(0).permutation(len(x_train)),
                             range(size, len(x_train), size))  # fmt: skip
    model = digits_cnn(rng=0)
    optimiser = SGD(model, lr=recipe["lr"], momentum=recipe["momentum"])

    def ours():
        for batch in batches:
            optimiser.zero_grad()
            _, grad = softmax_cross_entropy(model.forward(x_train[batch]), y_train[batch])
            model.backward(grad)
            optimiser.step()

    theirs = None
    if torch is not None:
        from train_bench import torch_copy

        torch_model = torch_copy(digits_cnn(rng=0))
        torch_optimiser = torch.optim.SGD(
            torch_model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"]
        )
        inputs, labels = torch.tensor(x_train), torch.tensor(y_train)
        indices = [torch.from_numpy(batch) for batch in batches]

        def theirs():
            for index in indices:
                torch_optimiser.zero_grad()
                loss = F.cross_entropy(torch_model(inputs[index]), labels[index])
                loss.backward()
                torch_optimiser.step()

    epoch, t_epoch = timing.median_times([ours, theirs], max(3, rounds // 2))
    return [
        ("digits CNN, one epoch (45 batches of 32)", "float32", "", "", "", timing.ms(epoch),
         timing.ratio(epoch, t_epoch), verdict(epoch, t_epoch, 1.0)),
    ]  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-notebooks", action="store_true", help="skip part 2")
    parser.add_argument("--browser", action="store_true", help="part 3: latency in the browser")
    args = parser.parse_args(argv)
    print("Part 1: lecturelib vs the naive loops vs PyTorch, one thread, CPU time per call")
    if torch is None:
        print("(PyTorch is not installed: no ratios; `pip install torch==2.13.0` to compare)")
    rows = []
    for section in (conv_rows, pool_rows, recurrent_rows, regularisation_rows, epoch_rows):
        rows += section(args.rounds)
    timing.print_table(
        ("case", "dtype", "fwd ms", "naive fwd ms", "fwd/torch", "fwd+bwd ms", "fwd+bwd/torch",
         "target"),
        rows,
    )  # fmt: skip
    if not args.no_notebooks:
        import panels

        print("\nPart 2: notebooks and panels (kernel side)")
        panels.main([])
    if args.browser:
        print("\nPart 3: panels in the browser (key press to painted picture)")
        code = browser_latency()
        if not args.no_notebooks:
            import panels

            print("\nPart 2's parts beside the browser's times")
            panels.main(["--reprint"])
        return code
    return 0


def browser_latency() -> int:
    """Run the browser tests quietly and print the latency table they write."""
    import subprocess

    table = ROOT / "benchmarks" / "results" / "panel_latency.txt"
    table.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests_browser"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if not table.exists():
        print(run.stdout[-3000:])
        return run.returncode or 1
    print(table.read_text(encoding="utf-8"))
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
