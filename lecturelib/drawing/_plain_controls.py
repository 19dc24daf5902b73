"""ipywidgets stand-ins for :mod:`lecturelib.drawing.controls`, used where anywidget is missing.

The in-browser site (JupyterLite) ships no anywidget yet; there the panels
fall back to ipywidgets' own controls and Image widget, as they were before
the accessible controls: they work, but sliders have no accessible name,
keys on a dropdown reach the notebook and panel figures carry no alt text.
Same names and keywords as :mod:`lecturelib.drawing.controls`.

>>> Dropdown(description="mode", options=["a", "b"], value="b").index
1
"""

from __future__ import annotations

import ipywidgets as widgets
import traitlets

_STYLE = {"description_width": "initial"}


def _styled(kw: dict) -> dict:
    kw.setdefault("style", _STYLE)
    return kw


class IntSlider(widgets.IntSlider):
    def __init__(self, **kw):
        super().__init__(**_styled(kw))


class FloatSlider(widgets.FloatSlider):
    def __init__(self, **kw):
        super().__init__(**_styled(kw))


class LogSlider(widgets.FloatLogSlider):
    def __init__(self, **kw):
        super().__init__(**_styled(kw))


Slider = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)


class _WithValue:
    def __init__(self, value=None, allow_none: bool = False, **kw):
        super().__init__(**_styled(kw))
        if value is not None:
            self.value = value

    @property
    def _values(self) -> list:
        return [o[1] if isinstance(o, tuple) else o for o in self.options]


class Dropdown(_WithValue, widgets.Dropdown):
    pass


class SelectionSlider(_WithValue, widgets.SelectionSlider):
    pass


class ToggleButtons(_WithValue, widgets.ToggleButtons):
    pass


class RadioButtons(_WithValue, widgets.RadioButtons):
    def __init__(self, value=None, allow_none: bool = False, **kw):
        super().__init__(**kw)
        self.value = value


_Choice = (Dropdown, SelectionSlider, ToggleButtons, RadioButtons)


class Checkbox(widgets.Checkbox):
    def __init__(self, **kw):
        kw.setdefault("indent", False)
        super().__init__(**_styled(kw))


class Button(widgets.Button):
    pass


class Play(widgets.Play):
    pass


class Figure(widgets.Image):
    """ipywidgets' Image with the attributes of :class:`lecturelib.drawing.controls.Figure`."""

    alt = traitlets.Unicode("")
    long_description = traitlets.Unicode("")
    dimmed = traitlets.Bool(False)
    width = traitlets.Int(0)

    def __init__(self, **kw):
        super().__init__(format="png", layout=widgets.Layout(max_width="100%"), **kw)

    @traitlets.observe("dimmed")
    def _dim(self, change):
        self.layout.opacity = "0.35" if change["new"] else "1"

    @traitlets.observe("width")
    def _size(self, change):
        self.layout.width = f"{change['new']}px"
