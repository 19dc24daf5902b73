"""The panel builders of lecturelib.drawing for notebooks 00-09.

Each builder is built once with the notebook's controls and a compute
function, every control is moved through its positions (then random mixes)
without an unexpected error, and an impossible setting shows its message.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecturelib import convolve2d, cross_correlate2d  # noqa: E402
from lecturelib.drawing.panel import (  # noqa: E402
    checkbox,
    dropdown,
    exercise_panel,
    play,
    slider,
    toggle,
)


def exercised(panel, combinations=6):
    """Move every control through its positions; no unexpected error allowed."""
    report = exercise_panel(panel, combinations=combinations)
    assert report["updates"] > 0
    assert not report["unexpected_errors"], report["unexpected_errors"][:3]
    return report


# --- kernels: the kernel editor (notebook 05) ------------------------------------


def kernel_editor_panel():
    from lecturelib.drawing.kernels import PRESETS, kernel_editor

    rng = np.random.default_rng(0)
    pictures = {"noise": rng.random((12, 12)), "ramp": np.tile(np.linspace(0, 1, 10), (10, 1))}

    def feature_map(image, kernel, stride, padding, flip):
        apply = convolve2d if flip else cross_correlate2d
        return apply(image, kernel, stride=stride, padding=padding)

    controls = {
        "picture": dropdown("picture", list(pictures), "noise"),
        "preset": dropdown("preset", list(PRESETS), "Sobel x"),
        "size": toggle("kernel size", [("3 x 3", 3), ("5 x 5", 5)], 3),
        "stride": slider("stride", 1, 4, 1),
        "padding": slider("padding", 0, 3, 0),
        "flip": checkbox("flip the kernel (true convolution)"),
    }
    return kernel_editor(controls, feature_map, pictures, PRESETS, caption="try it"), pictures


def test_kernel_editor_loads_presets_and_draws_the_lesson_s_feature_map():
    from lecturelib.drawing.kernels import PRESETS

    panel, pictures = kernel_editor_panel()
    assert "Weights sum to 0" in panel.info.value and not panel.last_message
    boxes = panel.kernel_boxes
    typed = np.array([[box.value for box in row] for row in boxes])
    np.testing.assert_array_equal(typed[1:4, 1:4], PRESETS["Sobel x"])
    assert typed[0].sum() == 0 and boxes[0][0].disabled and not boxes[2][2].disabled
    # a 5 x 5 preset switches the size to 5 and enables every box
    panel.set(preset="Gaussian blur 5 x 5")
    assert panel.controls["size"].value == 5 and not boxes[0][0].disabled
    # editing one weight redraws: the map follows the typed kernel
    panel.set(preset="identity", size=3)
    boxes[2][2].value = 2.0
    assert "Weights sum to 2" in panel.info.value
    panel.set(flip=True)
    assert "flipped: true convolution" in panel.info.value
    exercised(panel)


def test_kernel_editor_message_for_a_large_preset_kept_at_3_x_3():
    panel, _ = kernel_editor_panel()
    panel.set(preset="diagonal 4 x 4")
    assert panel.controls["size"].value == 5 and not panel.last_message
    panel.set(size=3)
    assert "does not fit in 3 x 3" in panel.last_message
    assert panel.image.dimmed


# --- arithmetic: the convolution-arithmetic diagram (notebook 04) --------------------


def arithmetic_controls():
    return {
        "input_size": slider("input size I", 1, 9, 5),
        "kernel_size": slider("kernel size F", 1, 5, 3),
        "stride": slider("stride S", 1, 4, 2),
        "padding": slider("padding P", 0, 3, 1),
        "dilation": slider("dilation D", 1, 3, 1),
        "position": slider("output position", 0, 8, 4),
    }


@pytest.mark.parametrize("with_play", [True, False])
def test_arithmetic_panel_follows_the_output_size(with_play):
    from lecturelib.drawing.arithmetic import arithmetic_panel

    animate = play("animate the window", 0, 8, 4, interval=700) if with_play else None
    panel = arithmetic_panel(arithmetic_controls(), play=animate, caption="look")
    assert "output" in panel.info.value.lower() and not panel.last_message
    panel.set(input_size=7, stride=3, padding=0)
    assert panel.controls["position"].max == 2**2 - 1  # a 2 x 2 output
    exercised(panel)


def test_arithmetic_panel_message_when_the_kernel_does_not_fit():
    from lecturelib.drawing.arithmetic import arithmetic_panel

    panel = arithmetic_panel(arithmetic_controls())
    panel.set(input_size=1, kernel_size=5, padding=0)
    assert "no position where it fits" in panel.last_message
