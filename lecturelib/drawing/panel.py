"""Shared interactive pieces: control panels, self-check questions, boxes.

Every interactive figure in the collection is a :class:`Panel`: labelled
controls, a figure that is redrawn by the notebook's ``update`` function, a
line of text under it, and a message area. Whatever a student does with the
controls, the panel never shows a traceback: settings that cannot work (a
kernel larger than the padded input, say) show the library's explanation in
the message area instead.

Self-checks are built from :class:`NumberQuestion` and
:class:`ChoiceQuestion` and laid out by :func:`check_yourself`; the answers
stay in the kernel, so they are not visible in the saved notebook.
"""

from __future__ import annotations

import html
import itertools
import math
import time
import warnings
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML

try:
    from . import controls as lc
except ImportError:  # no anywidget (the JupyterLite site): ipywidgets' own controls
    from . import _plain_controls as lc
from .figures import agg_canvas, canvas_png, describe_figure, figure_png, plain_text
from .live import BlitCanvas, keep_layout, live_figure

# Every panel made in this kernel, so tests and benchmarks can exercise them.
PANELS: list[Panel] = []
_MOST_UPDATES_PER_MOVE = 3  # an update that keeps moving its own controls stops here


def _same(a, b) -> bool:
    """Whether two control values are equal (arrays and odd objects included)."""
    if a is b:
        return True
    try:
        return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray) else bool(a == b)
    except (TypeError, ValueError):
        return False


_PICTURE_SCALE = [1.0]  # set_picture_scale: every panel's picture, times this


def set_picture_scale(scale: float = 1.0) -> None:
    """Draw every panel's picture ``scale`` times larger (or smaller), now and from now on.

    For presenting on a projector or a large screen: ``set_picture_scale(1.5)``
    in any cell redraws the panels already shown at 1.5 times their width and
    height, with 1.5 times the pixels (so they stay sharp rather than being
    stretched), and makes the panels created later the same.
    ``set_picture_scale()`` goes back to the normal size. ``scale``: 0.5 to 3.
    """
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0.5 <= scale <= 3:
        raise ValueError(f"scale must be a number from 0.5 to 3, got {scale!r}")
    _PICTURE_SCALE[0] = float(scale)
    for panel in PANELS:
        panel.rescale()


_DESCRIPTION_STYLE = {"description_width": "initial"}


# --- controls ---------------------------------------------------------------


# The controls are lecturelib.drawing.controls' accessible ones (a native element with a
# label, keys kept from the notebook's shortcuts, a visible focus ring), with
# the Python interface of their ipywidgets namesakes.


def slider(description: str, minimum, maximum, value, step=None, continuous: bool = True, **kw):
    """An integer or float slider (chosen by the type of ``value``) with a readable label."""
    is_int = all(isinstance(v, int | np.integer) for v in (minimum, maximum, value)) and (
        step is None or isinstance(step, int | np.integer)
    )
    cast = int if is_int else float
    cls = lc.IntSlider if is_int else lc.FloatSlider
    options = dict(
        description=description,
        min=cast(minimum),
        max=cast(maximum),
        value=cast(value),
        continuous_update=continuous,
    )
    if step is not None:
        options["step"] = cast(step)
    elif not is_int:
        options["step"] = 0.1
    kw.pop("width", None)
    options.update(kw)
    return cls(**options)


def log_slider(description: str, minimum, maximum, value, step=0.1, base=10.0, **kw):
    """A slider over ``base ** minimum .. base ** maximum`` (the ends are exponents)."""
    kw.pop("width", None)
    continuous = kw.pop("continuous", kw.pop("continuous_update", True))
    return lc.LogSlider(
        description=description,
        min=float(minimum),
        max=float(maximum),
        step=float(step),
        base=float(base),
        value=float(value),
        continuous_update=continuous,
        **kw,
    )


def dropdown(description: str, options, value=None, **kw):
    """A labelled dropdown; ``options`` is a list or a list of (label, value) pairs."""
    kw.pop("width", None)
    return lc.Dropdown(description=description, options=options, value=value, **kw)


def selection_slider(description: str, options, value=None, continuous: bool = True, **kw):
    """A slider over a list of options (or (label, value) pairs), e.g. widths 1, 2, 4, ..."""
    kw.pop("width", None)
    kw.pop("layout", None)
    return lc.SelectionSlider(
        description=description,
        options=list(options),
        value=value,
        continuous_update=continuous,
        **kw,
    )


def toggle(description: str, options, value=None, **kw):
    """Labelled choices for a handful of options (radio buttons drawn as buttons)."""
    return lc.ToggleButtons(description=description, options=options, value=value, **kw)


def checkbox(description: str, value: bool = False, **kw):
    return lc.Checkbox(description=description, value=value, **kw)


def button(description: str, **kw):
    """A button named by its text; ``on_click(callback)`` as with ipywidgets.Button."""
    return lc.Button(description=description, **kw)


def play(description: str, minimum: int, maximum: int, value: int, interval: int = 500, **kw):
    """Play / pause and step buttons; link to a slider with ``traitlets.link``."""
    return lc.Play(
        description=description,
        min=int(minimum),
        max=int(maximum),
        value=int(value),
        interval=int(interval),
        **kw,
    )


def number_grid(values, description: str = "kernel", step: float = 0.5, width: str = "64px"):
    """A grid of FloatText boxes for editing a small matrix (a kernel).

    Returns ``(grid_widget, boxes)``; ``boxes[r][c]`` is the box of entry (r, c).
    Read the matrix back with :func:`grid_values`.
    """
    values = np.asarray(values, dtype=np.float64)
    boxes = [
        [
            widgets.FloatText(
                value=float(values[r, c]),
                step=step,
                description=f"{description}[{r},{c}]",
                style={"description_width": "0px"},
                layout=widgets.Layout(width=width),
            )
            for c in range(values.shape[1])
        ]
        for r in range(values.shape[0])
    ]
    grid = widgets.GridBox(
        [box for row in boxes for box in row],
        layout=widgets.Layout(grid_template_columns=f"repeat({values.shape[1]}, {width})"),
    )
    return grid, boxes


def grid_values(boxes) -> np.ndarray:
    """The matrix currently typed into a :func:`number_grid`."""
    return np.array([[box.value for box in row] for row in boxes], dtype=np.float64)


# --- the panel ----------------------------------------------------------------


class Panel(widgets.VBox):
    """Labelled controls, a live figure, a caption, and a message area.

    ``controls`` maps keyword names to widgets; whenever one changes,
    ``update(**values)`` is called with every control's value. ``update``
    redraws ``figure`` (a matplotlib Figure made with
    :func:`lecturelib.drawing.figures.new_figure`; update its artists rather than
    rebuilding it) and may return a string of HTML shown under the figure.
    A ``ValueError`` or ``TypeError`` raised by ``update`` is shown as a
    short message, and the figure is greyed out until the settings work
    again; any other exception is shown the same way and remembered in
    ``unexpected_errors`` so tests notice it.

    ``extra`` widgets (a resample button, a kernel grid) are laid out with
    the controls; wire them to :meth:`refresh` yourself. The figure's layout
    is solved once, at the first drawing, then frozen (``freeze_layout``);
    pass False if ``update`` changes labels enough to need it again.

    List the artists ``update`` changes in ``artists`` (a view's
    ``.artists``): the rest of the figure is then kept as pixels and each
    update paints only those artists (several times faster, since ticks and
    text dominate the cost of drawing); see :mod:`lecturelib.drawing.live`.
    ``animated`` is the old name of ``artists``, accepted for one release.

    The figure's text alternative changes with the picture. By default it is
    computed from the figure (its titles, axis labels, legend and the range
    of the numbers drawn, see :func:`lecturelib.drawing.figures.describe_figure`) followed
    by the text ``update`` returned. ``describe(**values)`` may return a
    better alt, or a pair ``(alt, long_description)``.
    """

    def __init__(
        self,
        controls: dict[str, widgets.Widget],
        update: Callable[..., str | None],
        figure=None,
        *,
        caption: str = "",
        extra: Sequence[widgets.Widget] = (),
        dpi: float = 96,
        freeze_layout: bool = True,
        artists: Sequence = (),
        describe: Callable[..., str | tuple[str, str]] | None = None,
        animated: Sequence = (),
    ):
        if animated:
            warnings.warn(
                "Panel(animated=...) is now called Panel(artists=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            artists = [*artists, *animated]
        self.controls = dict(controls)
        self.update_function = update
        self.figure = figure
        self.base_dpi = dpi
        self.dpi = dpi * _PICTURE_SCALE[0]
        self.freeze_layout = freeze_layout
        self.artists = list(artists)
        self.describe = describe
        self._live_canvas = None
        self.unexpected_errors: list[str] = []
        self.update_times_ms: list[float] = []
        self.last_message = ""
        self._suspended = False

        self.caption = widgets.HTML(value=f"<div style='font-size:1.05em'>{caption}</div>")
        self.message = widgets.HTML(value="")
        self.image = lc.Figure()
        self.info = widgets.HTML(value="")
        control_box = widgets.HBox(
            list(self.controls.values()) + list(extra),
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        children = [self.caption, control_box, self.message]
        if figure is not None:
            # Show the PNG at its own size: stretched, it would look blurred.
            self.image.width = round(figure.get_figwidth() * self.dpi)
            children.append(self.image)
        children.append(self.info)
        super().__init__(children=children)
        self.add_class("lecturelib-panel")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        PANELS.append(self)
        self.refresh()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def rescale(self) -> None:
        """Redraw at the picture scale of :func:`set_picture_scale` (called by it)."""
        dpi = self.base_dpi * _PICTURE_SCALE[0]
        if self.figure is None or dpi == self.dpi:
            return
        self.dpi = dpi
        self.image.width = round(self.figure.get_figwidth() * dpi)
        self._live_canvas = None  # the saved background has the old size
        self.refresh()

    def _on_change(self, _change) -> None:
        if not self._suspended:
            self.refresh()

    def refresh(self) -> None:
        """Call ``update`` with the current settings and show the result."""
        start = time.perf_counter()
        try:
            text = self._update_until_settled()
        except (ValueError, TypeError) as error:
            self._show_message(str(error))
        except Exception as error:  # never a traceback in front of a class
            self.unexpected_errors.append(f"{type(error).__name__}: {error} at {self.values()}")
            self._show_message(
                f"This setting could not be drawn ({type(error).__name__}: {error})."
            )
        else:
            self.last_message = ""
            self.message.value = ""
            if text is not None:
                self.info.value = f"<div style='font-size:1.05em'>{text}</div>"
            if self.figure is not None:
                png = self._render()
                alt, long_description = self._describe(text)
                # One message: the picture and its description arrive together.
                with self.image.hold_sync():
                    self.image.dimmed = False
                    self.image.alt = alt
                    self.image.long_description = long_description
                    self.image.value = png
        self.update_times_ms.append((time.perf_counter() - start) * 1000.0)

    def _describe(self, text: str | None) -> tuple[str, str]:
        if self.describe is not None:
            said = self.describe(**self.values())
            return (said, "") if isinstance(said, str) else (str(said[0]), str(said[1]))
        alt, long_description = describe_figure(self.figure)
        info = plain_text(text if text is not None else self.info.value)
        if info:
            alt = f"{alt} {info}"
        return alt, long_description

    def _render(self) -> bytes:
        if not self.artists:
            png = figure_png(self.figure, self.dpi)
            if self.freeze_layout and self.figure.get_layout_engine() is not None:
                # The layout is right after the first drawing; solving it
                # again on every slider move would cost more than drawing.
                keep_layout(self.figure)
            return png
        agg_canvas(self.figure, self.dpi)
        if self._live_canvas is None:
            self._live_canvas = live_figure(self.figure, self.artists)
        self._live_canvas.draw()
        return canvas_png(self._live_canvas)

    def _show_message(self, text: str) -> None:
        self.last_message = text
        self.message.value = (
            "<div style='border-left:4px solid #D55E00;background:#FFF3E6;padding:4px 8px;"
            f"color:#000' role='status'><b>Not possible:</b> {html.escape(text)}</div>"
        )
        self.image.dimmed = True
        self.image.alt = f"Figure greyed out: this setting is not possible. {text}"

    def _update_until_settled(self):
        """Call ``update``; if it moved a control itself (a slider's maximum that
        follows another setting, a preset that needs a larger grid), call it again
        with the new settings before anything is drawn, so one move draws one picture."""
        values = self.values()
        was_suspended, self._suspended = self._suspended, True
        try:
            for _ in range(_MOST_UPDATES_PER_MOVE):
                text = self.update_function(**values)
                settled = self.values()
                if all(_same(values[name], settled[name]) for name in values):
                    break
                values = settled
        finally:
            self._suspended = was_suspended
        return text

    def set(self, **values) -> None:
        """Set several controls at once and update once (for tests and demos)."""
        self._suspended = True
        try:
            for name, value in values.items():
                if name not in self.controls:
                    raise KeyError(f"this panel has no control named {name!r}")
                self.controls[name].value = value
        finally:
            self._suspended = False
        self.refresh()


def control_positions(control: widgets.Widget, most: int = 9) -> list:
    """A handful of representative positions of a control: the ends and between."""
    if isinstance(control, lc.LogSlider):
        positions = list(control.base ** np.linspace(control.min, control.max, most))
    elif isinstance(control, lc.IntSlider):
        positions = list(range(control.min, control.max + 1, max(1, control.step)))
    elif isinstance(control, lc.Slider):
        positions = list(np.linspace(control.min, control.max, most))
    elif isinstance(control, lc.Checkbox):
        positions = [False, True]
    elif isinstance(control, lc._Choice):
        positions = list(control._values)
    elif isinstance(control, widgets.SelectionSlider | widgets.Dropdown):
        positions = [o[1] if isinstance(o, tuple) else o for o in control.options]
    elif isinstance(control, widgets.IntSlider | widgets.BoundedIntText):
        step = max(1, int(control.step or 1))
        positions = list(range(control.min, control.max + 1, step))
    elif isinstance(
        control, widgets.FloatSlider | widgets.FloatLogSlider | widgets.BoundedFloatText
    ):
        positions = list(np.linspace(control.min, control.max, most))
        if isinstance(control, widgets.FloatLogSlider):
            positions = list(control.base ** np.linspace(control.min, control.max, most))
    elif isinstance(control, widgets.IntText):
        positions = [-5, -1, 0, 1, 5]
    elif isinstance(control, widgets.FloatText):
        positions = [-10.0, -1.0, 0.0, 0.5, 1.0, 10.0]
    elif isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        positions = [False, True]
    elif hasattr(control, "options"):
        options = control.options
        positions = [o[1] if isinstance(o, tuple) else o for o in options]
    else:
        return [control.value]
    if len(positions) > most:
        indices = np.unique(np.linspace(0, len(positions) - 1, most).round().astype(int))
        positions = [positions[i] for i in indices]
    return positions


def exercise_panel(
    panel: Panel, combinations: int = 12, seed: int = 0, check_pictures: bool = False
) -> dict:
    """Move every control of ``panel`` through its positions, then random mixes.

    Returns a summary with the number of updates, how many showed a message,
    the median update time in ms, and any unexpected errors. The panel is
    restored to its starting settings afterwards. With ``check_pictures``,
    the live picture at every position of every control is compared with a
    full drawing of the figure; ``picture_differences`` lists the positions
    where they differ (see :mod:`lecturelib.drawing.live`).
    """
    start_values = panel.values()
    panel.update_times_ms.clear()
    before = len(panel.unexpected_errors)
    messages = 0
    updates = 0
    differences = []
    for name, control in panel.controls.items():
        for position in control_positions(control):
            panel.set(**{name: position})
            updates += 1
            messages += bool(panel.last_message)
            # a live figure: the panel's own canvas, or one a view made (live_figure)
            canvas = panel.figure.canvas if panel.figure is not None else None
            if check_pictures and isinstance(canvas, BlitCanvas) and not panel.last_message:
                pixels = canvas.full_drawing_difference()
                if pixels:
                    differences.append(f"{name}={position!r}: {pixels} pixels")
        panel.set(**{name: start_values[name]})
    rng = np.random.default_rng(seed)
    choices = {name: control_positions(c) for name, c in panel.controls.items()}
    for _ in range(combinations):
        mix = {name: options[rng.integers(len(options))] for name, options in choices.items()}
        panel.set(**mix)
        updates += 1
        messages += bool(panel.last_message)
    panel.set(**start_values)
    return {
        "updates": updates,
        "messages": messages,
        "median_ms": float(np.median(panel.update_times_ms)) if panel.update_times_ms else math.nan,
        "max_ms": float(np.max(panel.update_times_ms)) if panel.update_times_ms else math.nan,
        "unexpected_errors": panel.unexpected_errors[before:],
        "picture_differences": differences,
    }


def exercise_all_panels(combinations: int = 12, check_pictures: bool = False) -> list[dict]:
    """:func:`exercise_panel` on every panel made in this kernel."""
    return [exercise_panel(panel, combinations, check_pictures=check_pictures) for panel in PANELS]


# --- check yourself -----------------------------------------------------------


def _feedback(correct: bool, explanation: str | None, hint: str | None) -> str:
    if correct:
        body = "<b>Correct.</b>" + (f" {explanation}" if explanation else "")
        colour, background = "#009E73", "#E6F5EF"
    else:
        body = "<b>Not yet.</b>" + (f" Hint: {hint}" if hint else " Try again.")
        colour, background = "#D55E00", "#FFF3E6"
    return (
        f"<div style='border-left:4px solid {colour};background:{background};"
        f"padding:4px 8px;color:#000' role='status'>{body}</div>"
    )


class NumberQuestion:
    """A question with a numeric answer, accepted within a tolerance.

    ``tolerance`` is absolute unless ``relative=True``. The answer is kept in
    the kernel; the saved notebook shows only the question.
    """

    def __init__(
        self, prompt, answer, tolerance=1e-6, *, relative=False, hint=None, explanation=None
    ):
        self.prompt = prompt
        self.answer = float(answer)
        self.tolerance = float(tolerance)
        self.relative = relative
        self.hint = hint
        self.explanation = explanation

    def check(self, value) -> bool:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
        allowed = self.tolerance * (abs(self.answer) if self.relative else 1.0)
        return math.isfinite(value) and abs(value - self.answer) <= allowed

    def widget(self) -> widgets.Widget:
        entry = widgets.Text(
            placeholder="your answer",
            description="Answer",
            layout=widgets.Layout(width="220px"),
            style={"description_width": "initial"},
        )
        check = button("Check")
        feedback = widgets.HTML()

        def on_check(_=None):
            text = entry.value.replace(",", "").strip()
            feedback.value = _feedback(self.check(text), self.explanation, self.hint)

        check.on_click(on_check)
        entry.continuous_update = False  # check on Enter or when the box loses focus
        entry.observe(lambda change: on_check(), names="value")
        return widgets.VBox(
            [widgets.HTML(f"<p>{self.prompt}</p>"), widgets.HBox([entry, check]), feedback]
        )


class ChoiceQuestion:
    """Multiple choice. ``correct`` is an option index, or a set of indices
    for "select all that apply" (then the student ticks boxes)."""

    def __init__(self, prompt, options, correct, *, hint=None, explanation=None):
        self.prompt = prompt
        self.options = list(options)
        self.multiple = not isinstance(correct, int | np.integer)
        self.correct = set(correct) if self.multiple else {int(correct)}
        for index in self.correct:
            if not 0 <= index < len(self.options):
                raise ValueError(f"correct option {index} is not among {len(self.options)} options")
        self.hint = hint
        self.explanation = explanation

    def check(self, chosen) -> bool:
        chosen = {chosen} if isinstance(chosen, int | np.integer) else set(chosen)
        return chosen == self.correct

    def widget(self) -> widgets.Widget:
        feedback = widgets.HTML()
        if self.multiple:
            boxes = [checkbox(o, False) for o in self.options]
            check = button("Check")

            def on_check(_=None):
                chosen = {i for i, box in enumerate(boxes) if box.value}
                feedback.value = _feedback(self.check(chosen), self.explanation, self.hint)

            check.on_click(on_check)
            body = [widgets.VBox(boxes), check]
        else:
            radio = getattr(lc, "RadioButtons", lc.ToggleButtons)(
                description="Your answer:",
                options=[(o, i) for i, o in enumerate(self.options)],
                value=None,
                allow_none=True,
            )

            def on_choice(change):
                if change["new"] is not None:
                    feedback.value = _feedback(
                        self.check(change["new"]), self.explanation, self.hint
                    )

            radio.observe(on_choice, names="value")
            body = [radio]
        return widgets.VBox([widgets.HTML(f"<p>{self.prompt}</p>"), *body, feedback])


def check_yourself(*questions, title: str = "Check yourself") -> widgets.Widget:
    """Lay out a few questions with instant feedback under one heading."""
    # h3: the notebooks' sections are h2, and heading levels must not skip.
    parts = [widgets.HTML(f"<h3>{title}</h3>")]
    for number, question in zip(itertools.count(1), questions):
        item = question.widget()
        item.children[0].value = f"<p><b>{number}.</b> {question.prompt}</p>"
        parts.append(item)
    box = widgets.VBox(parts)
    box.add_class("lecturelib-quiz")
    return box


# --- boxes for the prose ------------------------------------------------------


def erratum(text: str) -> HTML:
    """A short, polite box that corrects a slip on a lecture slide."""
    return HTML(
        "<div style='border-left:5px solid #E69F00;background:#FFF8E6;padding:6px 10px;"
        f"margin:6px 0;color:#000'><b>Erratum.</b> {text}</div>"
    )


def note(text: str, title: str = "Note") -> HTML:
    """A highlighted remark (what to look for, a pitfall)."""
    return HTML(
        "<div style='border-left:5px solid #0072B2;background:#EAF3FA;padding:6px 10px;"
        f"margin:6px 0;color:#000'><b>{title}.</b> {text}</div>"
    )


def text_entry(description: str, value: str = "", suggestions=(), continuous: bool = True, **kw):
    """A labelled text box; ``suggestions`` (a list of strings) drop down as the student types.

    Built on ipywidgets.Combobox, which accepts any text, not only the
    suggestions. With ``continuous=True`` the panel updates on every
    keystroke (keep such updates cheap). The suggestions are the positions
    the panel tests move the control through.
    """
    return widgets.Combobox(
        description=description,
        value=value,
        options=list(suggestions),
        ensure_option=False,
        continuous_update=continuous,
        style=_DESCRIPTION_STYLE,
        layout=widgets.Layout(width=kw.pop("width", "320px")),
        **kw,
    )
