"""Portability of notebook 09 (learning the kernels): the kernel fit and the digits CNN.

The photograph is nudged by a relative 1e-12, the training images by one unit
in their last place (they are float32, where 1e-12 would vanish); what the
notebook prints must come out the same (as nbval compares it) and its claims
must still hold.
"""

import numpy as np
import pytest
from _portability import assert_prints_the_same, nudge

from lecturelib import conv2d, conv2d_backward, cross_correlate2d, load_digits, load_image
from lecturelib.losses import softmax, softmax_cross_entropy
from lecturelib.training import DIGITS_RECIPE, SGD, digits_cnn, evaluate, fit, predict

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def _learn_kernel(image, target, learning_rate, steps=200, momentum=0.9, seed=0):
    # the notebook's learn_kernel, step for step
    x = image[None, None]
    kernel = np.random.default_rng(seed).normal(scale=0.5, size=(1, 1, 3, 3))
    velocity = np.zeros_like(kernel)
    kernels, losses = [], []
    for step in range(steps + 1):
        error = conv2d(x, kernel) - target[None, None]
        kernels.append(kernel[0, 0].copy())
        losses.append(0.5 * np.mean(error**2))
        if step == steps or losses[-1] > 1e6:
            break
        _, grad_kernel, _ = conv2d_backward(error / error.size, x, kernel)
        velocity = momentum * velocity - learning_rate * grad_kernel
        kernel = kernel + velocity
    return np.array(kernels), np.array(losses)


@pytest.mark.parametrize("seed", (1, 2))
def test_kernel_fit_prints_the_same_when_nudged(seed):
    camera = load_image("camera")
    small = camera.reshape(64, 4, 64, 4).mean(axis=(1, 3))
    photo = nudge((small - small.mean()) / small.std(), seed)
    target = cross_correlate2d(photo, SOBEL_X)
    runs = {rate: _learn_kernel(photo, target, rate) for rate in (0.01, 0.03, 0.1, 0.3, 0.5)}
    final = {rate: np.abs(run[0][-1] - SOBEL_X).max() for rate, run in runs.items()}
    steps_taken = {rate: len(run[1]) - 1 for rate, run in runs.items()}
    lines = ["largest difference from Sobel x after the last step:"]
    for rate, value in final.items():
        lines.append(
            f"  rate {rate}: "
            + (
                f"{value:.3g}"
                if steps_taken[rate] == 200
                else f"exploded at step {steps_taken[rate]}"
            )
        )
    assert final[0.3] < 1e-3 < final[0.01] and steps_taken[0.5] < 200
    assert_prints_the_same("09_", "steps_taken = {rate:", "\n".join(lines))


@pytest.mark.slow
def test_digits_cnn_prints_the_same_when_nudged():
    images, labels = load_digits("train", dtype=np.float32)
    test_images, test_labels = load_digits("test", dtype=np.float32)
    order = np.random.default_rng(0).permutation(len(labels))
    x_train, y_train = nudge(images[order[288:]], seed=1), labels[order[288:]]
    x_val, y_val = images[order[:288]], labels[order[:288]]
    model = digits_cnn(rng=DIGITS_RECIPE["seed"])
    optimiser = SGD(model, lr=DIGITS_RECIPE["lr"], momentum=DIGITS_RECIPE["momentum"])
    history = fit(
        model,
        softmax_cross_entropy,
        optimiser,
        (x_train, y_train),
        batch_size=DIGITS_RECIPE["batch_size"],
        epochs=12,
        val_data=(x_val, y_val),
        rng=DIGITS_RECIPE["seed"],
        progress=False,
    )
    assert_prints_the_same(
        "09_",
        "vt.draw_learning_curves(ax_loss, ax_accuracy, history)",
        f"after epoch {history.epochs}: training accuracy {history.train_accuracy[-1]:.2f}, "
        f"validation accuracy {history.val_accuracy[-1]:.2f}",
    )
    assert history.val_accuracy[-1] >= 0.95 and history.train_loss[-1] < history.train_loss[0] / 10

    test_loss, test_accuracy = evaluate(model, softmax_cross_entropy, (test_images, test_labels))
    assert_prints_the_same(
        "09_",
        "test_loss, test_accuracy = evaluate(",
        f"test accuracy {test_accuracy:.0%} on {len(test_labels)} images\n"
        f"test loss {test_loss:.1f} (guessing scores ln 10 = {np.log(10):.1f})",
    )
    assert test_accuracy >= 0.97 and test_loss < 0.2
    wrong = np.flatnonzero(softmax(predict(model, test_images)).argmax(axis=1) != test_labels)
    assert len(wrong) <= 0.03 * len(test_labels)
