"""The accessible controls, the panel's text alternative and the static-figure helper."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecturelib.drawing import controls as lc  # noqa: E402
from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing.panel import (
    ChoiceQuestion,
    Panel,
    button,
    check_yourself,
    checkbox,
    control_positions,
    dropdown,
    exercise_panel,
    log_slider,
    play,
    slider,
    toggle,
)


def test_slider_types_and_clipping():
    s = slider("n", 1, 9, 5)
    assert isinstance(s, lc.IntSlider) and (s.min, s.max, s.value, s.step) == (1, 9, 5, 1)
    f = slider("p", 0.0, 1.0, 0.5, step=0.05)
    assert isinstance(f, lc.FloatSlider) and f.step == 0.05
    s.value = 20
    assert s.value == 9
    s.max = 4  # a slider that follows another setting keeps its value inside
    assert s.value == 4
    with pytest.raises(ValueError, match="below min"):
        lc.IntSlider(min=3, max=1)


def test_log_slider_positions_are_powers():
    s = log_slider("scale", -1, 1, 1.0, step=0.05)
    positions = control_positions(s)
    assert positions[0] == pytest.approx(0.1) and positions[-1] == pytest.approx(10.0)
    s.value = 1000.0
    assert s.value == pytest.approx(10.0)


def test_choices_keep_value_and_index_together():
    d = dropdown("mode", [("inverted (PyTorch)", "inverted"), ("classic", "classic")], "classic")
    assert (d.value, d.index, d.label) == ("classic", 1, "classic")
    d.index = 0
    assert d.value == "inverted"
    with pytest.raises(ipywidgets.widgets.trait_types.traitlets.TraitError, match="not among"):
        d.value = "other"
    t = toggle("phase", ["training", "test"])
    assert t.value == "training" and t._labels == ["training", "test"]
    assert control_positions(t) == ["training", "test"]
    assert control_positions(checkbox("on")) == [False, True]


def test_button_and_quiz_use_the_accessible_controls():
    clicks = []
    b = button("resample")
    b.on_click(lambda widget: clicks.append(widget.description))
    b._on_message(b, {"event": "click"}, [])
    assert clicks == ["resample"]
    box = check_yourself(ChoiceQuestion("Which?", ["a", "b"], 1))
    assert "<h3>" in box.children[0].value  # sections are h2: no skipped level
    radios = box.children[1].children[1]
    assert isinstance(radios, lc.ToggleButtons) and radios.value is None and radios.index == -1
    radios.index = 1
    assert "Correct" in box.children[1].children[2].value
    p = play("animate", 0, 8, 4, 700)
    ipywidgets.jslink((p, "value"), (slider("position", 0, 8, 4), "value"))  # still linkable


def test_panel_alt_follows_the_picture():
    figure, ax = viz.new_figure(4, 3)
    (line,) = ax.plot(np.arange(5.0), label="signal")
    ax.set_title("A ramp")

    def update(slope):
        if slope > 3:
            raise ValueError("too steep")
        line.set_ydata(slope * np.arange(5.0))
        return f"slope <b>{slope}</b>"

    panel = Panel({"slope": slider("slope", 0, 4, 1)}, update, figure)
    assert panel.image.value[:4] == b"\x89PNG"
    assert panel.image.alt == "Figure (one plot): A ramp. slope 1"
    assert "signal from 0 to 4" in panel.image.long_description
    panel.set(slope=2)
    assert panel.image.alt.endswith("slope 2") and "0 to 8" in panel.image.long_description
    panel.set(slope=4)
    assert panel.image.dimmed and "not possible" in panel.image.alt
    summary = exercise_panel(panel)
    assert summary["unexpected_errors"] == [] and summary["messages"] >= 1

    described = Panel(
        {"slope": slider("slope", 0, 3, 1)},
        update,
        figure,
        describe=lambda slope: (f"A line of slope {slope}", "It rises."),
    )
    assert described.image.alt == "A line of slope 1"
    assert described.image.long_description == "It rises."


def test_describe_figure_reports_the_numbers_drawn():
    figure, axes = viz.new_figure(6, 3, 1, 2)
    viz.show_image(axes[0], np.array([[-4.0, 0.0], [1.0, 4.0]]), signed=True, title="Sobel x")
    axes[1].bar([0, 1, 2], [3, 1, 2])
    figure.suptitle("Two views")
    alt, long = viz.describe_figure(figure)
    assert alt == "Figure (2 plots): Two views."
    assert "a 2 x 2 grid, values from -4 to 4" in long
    assert "3 bars, heights from 1 to 3" in long


def test_show_emits_an_img_with_alt(monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw: shown.append(data))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [2, 3], label="loss")
    viz.show(fig, alt='A line "up"')
    html = shown[0]["text/html"]
    assert '<img src="data:image/png;base64,' in html and 'alt="A line &quot;up&quot;"' in html
    assert shown[0]["text/plain"].startswith('A line "up"')
    assert not plt.fignum_exists(fig.number)


def test_mark_sign_outlines_both_signs_by_line_style():
    figure, ax = viz.new_figure(3, 3)
    values = np.zeros((9, 9))
    values[2:4, 2:4], values[5:7, 5:7] = 4.0, -4.0
    viz.show_image(ax, values, signed=True)
    contours = viz.mark_sign(ax, values)
    assert list(contours.levels) == [-2.0, 2.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["> +2", "< -2"]
    assert viz.mark_sign(ax, np.zeros((3, 3))) is None


def test_selection_slider_moves_over_the_options():
    from lecturelib.drawing.panel import selection_slider

    s = selection_slider("width", [1, 2, 4, 8], 4)
    assert (s.value, s.index, s._labels) == (4, 2, ["1", "2", "4", "8"])
    s.index = 3
    assert s.value == 8
    assert control_positions(s) == [1, 2, 4, 8]


FALLBACK = """
import sys
sys.modules["anywidget"] = None  # as in the JupyterLite site, which ships no anywidget
import matplotlib
matplotlib.use("Agg")
import ipywidgets
import numpy as np
from lecturelib.drawing import figures as viz
from lecturelib.drawing import panel as w
assert w.lc.__name__ == "lecturelib.drawing._plain_controls"
figure, ax = viz.new_figure(3, 2)
(line,) = ax.plot(np.arange(4.0))
def update(n, mode, on, width):
    line.set_ydata(n * np.arange(4.0))
    return f"n {n}"
panel = w.Panel(
    {"n": w.slider("n", 0, 3, 1), "mode": w.dropdown("mode", ["a", "b"], "b"),
     "on": w.checkbox("on"), "width": w.selection_slider("width", [1, 2, 4], 2)},
    update, figure,
)
assert isinstance(panel.image, ipywidgets.Image) and panel.image.value[:4] == b"\\x89PNG"
assert w.exercise_panel(panel)["unexpected_errors"] == []
assert w.control_positions(w.log_slider("s", -1, 1, 1.0))[0] == 0.1
quiz = w.check_yourself(w.ChoiceQuestion("?", ["x", "y"], 0))
w.play("go", 0, 4, 0), w.button("again"), w.toggle("t", ["p", "q"])
print("fallback ok")
"""


def test_without_anywidget_the_panels_fall_back_to_ipywidgets():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", FALLBACK], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "fallback ok" in result.stdout
