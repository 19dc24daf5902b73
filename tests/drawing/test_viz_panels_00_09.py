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
    selection_slider,
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
    if with_play:
        # The play buttons follow the slider in the kernel, and drive it.
        assert animate.max == 3 and animate.value == panel.controls["position"].value
        before = panel.image.value
        animate.value = (animate.value + 1) % 4
        assert panel.controls["position"].value == animate.value
        assert panel.image.value != before
        panel.controls["position"].value = 0
        assert animate.value == 0
    exercised(panel)


def test_arithmetic_panel_message_when_the_kernel_does_not_fit():
    from lecturelib.drawing.arithmetic import arithmetic_panel

    panel = arithmetic_panel(arithmetic_controls())
    panel.set(input_size=1, kernel_size=5, padding=0)
    assert "larger than padded input 1" in panel.last_message


# --- depth: three perceptrons and the memory bars (notebook 01) ----------------------


def test_perceptron_editor_keeps_each_unit_s_weights():
    from lecturelib.drawing.depth import perceptron_editor

    W = np.array([[0.0, 2.0, -2.0], [1.0, -1.0, -1.0]])
    b = np.array([-1.0, 1.0, 7.0])
    points = np.random.default_rng(0).uniform(0, 4, size=(20, 2))
    controls = {
        "unit": dropdown("unit to edit", ["A", "B", "C"], "A"),
        "w1": slider("weight w1", -3.0, 3.0, 0.0, step=0.5),
        "w2": slider("weight w2", -3.0, 3.0, 1.0, step=0.5),
        "bias": slider("bias b", -8.0, 8.0, -1.0, step=0.5),
    }
    panel = perceptron_editor(controls, W, b, points, caption="try")
    assert "The AND fires on" in panel.info.value
    panel.set(unit="C")  # the sliders load unit C
    assert (controls["w1"].value, controls["w2"].value, controls["bias"].value) == (-2, -1, 7)
    panel.set(bias=-8.0)  # C fires nowhere in the square now
    assert "the AND never fires" in panel.info.value
    panel.set(unit="A")
    assert controls["bias"].value == -1.0
    panel.set(unit="B")  # switching units loads B's weights; then edit them
    panel.set(w1=0.0, w2=0.0)
    assert "has w = (0, 0)" in panel.info.value
    exercised(panel)


def test_memory_panel_names_the_network_and_its_bytes():
    from lecturelib import dense_stack_counts, memory_estimate
    from lecturelib.drawing.depth import memory_panel

    def memory(network, layers, width, batch_size, dtype):
        if network == "lecture":
            weights, activations = 26_000_000, 16_000_000
        else:
            weights, activations = dense_stack_counts(layers, width)
        bytes_per_value = {"float32": 4, "float16": 2, "float64": 8}[dtype]
        return memory_estimate(weights, activations, batch_size, bytes_per_value)

    controls = {
        "network": toggle("network", [("dense stack", "dense"), ("lecture", "lecture")], "dense"),
        "layers": slider("depth (layers)", 1, 100, 10),
        "width": selection_slider("width (units)", [2**k for k in range(4, 14)], 1024),
        "batch_size": selection_slider("batch size", [2**k for k in range(11)], 32),
        "dtype": toggle("number format", ["float32", "float16", "float64"], "float32"),
    }
    panel = memory_panel(controls, memory, caption="try")
    assert panel.info.value.startswith("<div style='font-size:1.05em'>10 layers of 1024 units")
    panel.set(network="lecture", batch_size=1)
    assert "the lecture's 50-layer network" in panel.info.value
    assert "26,000,000 weights, 16,000,000 activations" in panel.info.value
    assert "weights 104 MB" in panel.info.value  # 26 M float32 values
    exercised(panel)


def test_fit_panel_shows_the_precomputed_fits():
    from lecturelib.drawing.depth import fit_panel

    x = np.linspace(0, 1, 30)
    target = np.sin(6 * x)
    widths = [1, 4, 16]
    curves = {(a, w): target * (1 - 1 / (w + 1)) for a in ("relu", "sigmoid") for w in widths}
    errors = {
        a: [np.sqrt(np.mean((curves[a, w] - target) ** 2)) for w in widths]
        for a in ("relu", "sigmoid")
    }
    controls = {
        "width": selection_slider("hidden units", widths, 4),
        "activation": toggle("activation", ["relu", "sigmoid"], "relu"),
    }
    panel = fit_panel(controls, x, target, widths, curves, errors, caption="c")
    assert "4 relu hidden units: RMS error" in panel.info.value
    assert "2.5 times smaller than with 1 unit" in panel.info.value  # (1/2) / (1/5)
    exercised(panel)


# --- connections: receptive field and weight counts (notebook 02) --------------------


def test_receptive_field_panel_checks_the_drawing_against_the_lesson():
    import lecturelib
    from lecturelib.drawing.connections import receptive_field_panel

    def field_size(depth, window):
        return lecturelib.receptive_field([window] * depth)

    controls = {"depth": slider("layers", 1, 4, 2), "window": slider("window", 2, 5, 3)}
    panel = receptive_field_panel(controls, field_size)
    assert "5 in all (1 + 2 x 2)" in panel.info.value
    exercised(panel)
    # a lesson that disagrees with the drawing is an unexpected error, not a silent figure
    wrong = receptive_field_panel(dict(controls), lambda depth, window: 0)
    assert wrong.unexpected_errors and "the lesson says 0" in wrong.unexpected_errors[0]


def test_weight_count_panel_and_its_message_for_a_window_larger_than_the_image():
    from lecturelib import output_size
    from lecturelib.drawing.connections import connection_counts, weight_count_panel

    def weight_counts(n_inputs, window, side):
        side_out = output_size(side, window, axis="image side")
        image = connection_counts(side * side, side_out * side_out, window * window)
        line = connection_counts(n_inputs, n_inputs - window + 1, window)
        return {"1-D": (n_inputs - window + 1, line), "2-D": (side_out, image)}

    controls = {
        "n_inputs": slider("input length", 3, 14, 8),
        "window": slider("window (kernel) size", 1, 7, 3),
        "side": slider("image side (2-D)", 3, 1000, 6),
    }
    panel = weight_count_panel(controls, weight_counts)
    assert "8 inputs, 6 outputs: 48 / 18 / 3 weights" in panel.info.value
    panel.set(side=3, window=5)
    assert panel.last_message and "image side" in panel.last_message
    exercised(panel)


# --- sliding: stepping through a convolution (notebook 03) ---------------------------


def output_map(image, kernel, flip, stride, padding, bias):
    apply = convolve2d if flip else cross_correlate2d
    return apply(image, kernel, stride=stride, padding=padding) + bias


STEPPER_EXAMPLES = {
    "3 x 3, edge": {"image": np.arange(9.0).reshape(3, 3), "kernel": np.array([[1.0, -1.0]])},
    "padded, stride 2, bias": {
        "image": np.arange(16.0).reshape(4, 4),
        "kernel": np.array([[0.0, 1.0], [2.0, 0.0]]),
        "padding": 1,
        "stride": 2,
        "bias": 2,
    },
}


def stepper_controls():
    return {
        "example": dropdown("example", list(STEPPER_EXAMPLES)),
        "position": slider("output position", 1, 9, 1),
        "flip": toggle(
            "operation",
            [("cross-correlation (CNN)", False), ("convolution (flipped kernel)", True)],
        ),
    }


def test_convolution_stepper_writes_the_lesson_s_sum():
    from lecturelib.drawing.sliding import convolution_stepper

    panel = convolution_stepper(stepper_controls(), STEPPER_EXAMPLES, output_map, caption="c")
    assert "output row 1, column 1: (0) + (-1) = <b>-1</b>" in panel.info.value
    panel.set(flip=True)
    assert "= <b>1</b>" in panel.info.value
    panel.set(example="padded, stride 2, bias", flip=False, position=1)
    assert "+ bias 2" in panel.info.value
    exercised(panel)


def test_convolution_stepper_message_past_the_last_position_and_a_wrong_lesson():
    from lecturelib.drawing.sliding import convolution_stepper

    panel = convolution_stepper(stepper_controls(), STEPPER_EXAMPLES, output_map)
    panel.set(position=9)  # a 3 x 2 output has 6 positions
    assert "it has only 6 positions" in panel.last_message

    def wrong(**setting):
        return output_map(**setting) + 1

    broken = convolution_stepper(stepper_controls(), STEPPER_EXAMPLES, wrong)
    assert broken.unexpected_errors and "the lesson says" in broken.unexpected_errors[0]


# --- layer_views: pooling, shifting, conv layers, channels (notebooks 06, 07) --------


def test_pooling_panel_counts_unread_cells_and_says_when_the_window_is_too_big():
    from lecturelib import pool_matrix
    from lecturelib.drawing.layer_views import pooling_panel

    five = np.arange(25.0).reshape(5, 5)
    matrices = {
        "4×4": (np.arange(16.0).reshape(4, 4), None),
        "5×5 padded": (np.pad(five, ((0, 1), (0, 1))), (5, 5)),
    }

    def pooled(matrix, mode, window, row_stride, col_stride):
        return pool_matrix(matrices[matrix][0], window, (row_stride, col_stride), mode=mode)

    controls = {
        "matrix": dropdown("matrix", list(matrices), "5×5 padded"),
        "mode": toggle("pooling", ["max", "avg", "min", "sum"], "max"),
        "window": slider("window", 1, 5, 2),
        "row_stride": slider("row stride", 1, 4, 1),
        "col_stride": slider("column stride", 1, 4, 2),
    }
    panel = pooling_panel(controls, matrices, pooled, caption="c")
    assert "output 5×3: 15 values from 36 cells; 0 cells never read" in panel.info.value
    panel.set(matrix="4×4", row_stride=3, col_stride=2)  # one row of windows: rows 2, 3 unread
    assert "output 1×2: 2 values from 16 cells; 8 cells never read" in panel.info.value
    panel.set(window=5)
    assert panel.last_message  # a 5 x 5 window does not fit into 4 x 4
    exercised(panel)
    # the panel draws the notebook's pooled matrix, computed once per move
    calls = []

    def pooled_and_counted(*args):
        calls.append(args)
        return pooled(*args) + 100.0

    counted = pooling_panel(dict(controls), matrices, pooled_and_counted, caption="c")
    calls.clear()
    counted.set(window=2, row_stride=1)
    assert len(calls) == 1
    assert not counted.unexpected_errors and not counted.last_message  # drawn as given


def test_shift_panel():
    from lecturelib.drawing.layer_views import shift_panel

    feature_map = np.random.default_rng(1).random((40, 60))
    controls = {
        "mode": toggle("pooling", ["max", "avg"], "max"),
        "window": slider("window", 2, 6, 4),
        "row_stride": slider("row stride", 1, 6, 4),
        "col_stride": slider("column stride", 1, 6, 4),
        "shift": slider("shift (px)", 0, 8, 1),
    }
    panel = shift_panel(controls, feature_map, 24, (4, 8), caption="c")
    assert "6×6 pooled values; after a shift of 1 px" in panel.info.value
    panel.set(shift=0)
    assert "100% unchanged with max pooling" in panel.info.value
    exercised(panel, combinations=3)


def test_conv_layer_panel_counts_and_its_message():
    from lecturelib.drawing.layer_views import conv_layer_panel
    from lecturelib.layer_tables import ConvSpec, layer_table

    def conv_layer(channels, size, kernel_size, filters, stride, padding):
        return layer_table(
            [ConvSpec(filters, kernel_size, stride, padding)], (channels, size, size)
        )[1]

    controls = {
        "channels": dropdown("input channels", [1, 3, 6, 16, 64, 256], 3),
        "size": slider("input size", 4, 64, 32),
        "kernel_size": slider("kernel size", 1, 11, 5),
        "filters": dropdown("filters", [1, 6, 16, 96, 256], 6),
        "stride": slider("stride", 1, 4, 1),
        "padding": slider("padding", 0, 5, 0),
    }
    panel = conv_layer_panel(controls, conv_layer, caption="c")
    assert "output 6×28×28" in panel.info.value and "<b>456</b>" in panel.info.value
    panel.set(size=4, kernel_size=11, padding=0)
    assert panel.last_message
    exercised(panel, combinations=4)


def test_multichannel_panel_checks_the_drawing_against_conv2d():
    from lecturelib import conv2d
    from lecturelib.drawing.layer_views import multichannel_panel

    rng = np.random.default_rng(2)
    x = rng.integers(-3, 4, size=(3, 4, 4)).astype(float)
    w = rng.integers(-1, 2, size=(3, 3, 3)).astype(float)

    def output_map(bias):
        return conv2d(x[None], w[None], np.array([bias]), padding=1)[0, 0]

    controls = {"position": slider("output position", 0, 30, 0), "bias": slider("bias", -20, 20, 1)}
    panel = multichannel_panel(controls, x, w, output_map, caption="c")
    assert controls["position"].max == 15 and panel.steps == 16
    assert f"= <b>{output_map(1)[0, 0]:g}</b>" in panel.info.value
    exercised(panel, combinations=4)
    broken = multichannel_panel(dict(controls), x, w, lambda bias: output_map(bias) + 1)
    assert broken.unexpected_errors and "disagree" in broken.unexpected_errors[0]


# --- alexnet: a variant's layer table (notebook 08) ----------------------------------


def test_layer_table_panel_totals_and_the_first_broken_layer():
    from lecturelib.drawing.alexnet import layer_table_panel
    from lecturelib.drawing.layer_views import short_name
    from lecturelib.layer_tables import ALEXNET, ALEXNET_INPUT, ConvSpec, layer_table

    def alexnet_variant(size, filters, kernel_size, stride):
        return layer_table(
            (ConvSpec(filters, kernel_size, stride=stride), *ALEXNET[1:]), (3, size, size)
        )

    names = [short_name(row) for row in layer_table(ALEXNET, ALEXNET_INPUT)]
    controls = {
        "size": slider("input size", 63, 319, 227, step=4, continuous=False),
        "filters": dropdown("conv-1 filters", [16, 32, 64, 96, 128, 256], 96),
        "kernel_size": slider("conv-1 kernel", 1, 15, 11),
        "stride": slider("conv-1 stride", 1, 8, 4),
    }
    panel = layer_table_panel(
        controls, alexnet_variant, names, columns=("layer", "output", "params")
    )
    assert "<b>62,378,344</b> parameters" in panel.info.value
    panel.set(size=63)
    assert "This network breaks at" in panel.info.value and not panel.last_message
    exercised(panel, combinations=4)
    every_column = layer_table_panel(dict(controls), alexnet_variant, names)
    assert "<table" in every_column.info.value


# --- training: replaying a descent, feature maps of a trained network (notebook 09) --


def test_kernel_descent_panel_and_its_message_after_an_explosion():
    from lecturelib.drawing.training import kernel_descent_panel

    image = np.random.default_rng(0).normal(size=(10, 10))
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    target = cross_correlate2d(image, sobel)
    steps = np.linspace(0, 1, 11)[:, None, None]
    runs = {0.1: (steps * sobel, 1.0 - steps[:, 0, 0]), 0.5: (steps[:4] * sobel, np.ones(4))}
    controls = {
        "learning_rate": dropdown("learning rate", [0.1, 0.5], 0.1),
        "step": slider("step", 0, 10, 2),
    }
    panel = kernel_descent_panel(controls, runs, image, target, sobel, target_name="Sobel x")
    assert "step 2: loss 8.00e-01, largest difference from Sobel x 1.600" in panel.info.value
    panel.set(learning_rate=0.5, step=7)
    assert "exploded after 3 steps" in panel.last_message
    exercised(panel, combinations=4)


def test_feature_map_panel_and_its_message_past_the_last_example():
    from lecturelib.drawing.training import feature_map_panel, layer_outputs
    from lecturelib.training import digits_cnn

    images = np.random.default_rng(0).uniform(size=(6, 1, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 3, 5])
    outputs = layer_outputs(digits_cnn(rng=0), images)
    controls = {
        "digit": dropdown("digit", list(range(10)), 3),
        "example": slider("example", 0, 3, 0),
    }
    panel = feature_map_panel(controls, outputs, labels)
    assert panel.info.value.startswith("<div style='font-size:1.05em'>test image #3, a 3:")
    panel.set(example=1)
    assert "test image #4" in panel.info.value
    panel.set(example=2)
    assert "only 2 test images of the digit 3" in panel.last_message
    exercised(panel, combinations=4)


# --- sliding: the start-here smoothing panel (notebook 00) ---------------------------


def test_smoothing_panel_draws_the_lesson_s_moving_average():
    from lecturelib.drawing.sliding import smoothing_panel

    times = np.linspace(0, 10, 50)
    signal = np.sin(times)

    def moving_average(values, width):
        return np.convolve(values, np.ones(width) / width, mode="valid")

    controls = {"width": slider("window width", 1, 41, 9, step=2)}
    panel = smoothing_panel(controls, times, signal, moving_average, caption="c")
    assert "the output has 42 of the 50 samples" in panel.info.value
    line = panel.artists[0]
    np.testing.assert_allclose(line.get_ydata(), moving_average(signal, 9))
    exercised(panel)
    panel.set(width=41)
    assert "the output has 10 of the 50 samples" in panel.info.value
