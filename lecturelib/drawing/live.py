"""Live figures: redraw only what changed.

A panel redraws the same figure on every move of a control, and most of the
figure (axes, ticks, labels, colour bars, the cells of an input that never
changes) is the same each time. Text and ticks are what cost most to draw,
so every live figure of the collection is drawn the same way:

1. the figure's layout is solved once and then frozen (:func:`freeze_layout`);
2. a full drawing *without* the artists that change is kept as pixels, the
   *background*;
3. each update pastes the background and draws only the changing artists on
   top of it.

Every view lists the artists its ``show``/``update`` method changes in one
attribute, ``artists``; a :class:`~lecturelib.drawing.panel.Panel` takes them
as ``Panel(..., artists=view.artists)``. The picture is the same, pixel for
pixel, as a full drawing of the figure (the tests check it), provided that
nothing left out of ``artists`` lies over them: give a moving line a zorder
above the fixed lines it crosses. The frame (the axes' spines) over a listed
image or line is the exception: the canvas redraws it itself.

A background is only valid while everything else stays put. :class:`BlitCanvas`
keys its backgrounds by the figure's size and dpi, by which axes are visible
and by the limits of every axis that draws ticks, so a view may change the
limits of a plot with ticks (a new background is drawn once, and a few are
kept for settings visited again). An axes without ticks (a matrix, a diagram)
may change its limits freely: whatever moves with them must be in
``artists`` (an image and the frame around it). After changing anything else
that is not in ``artists`` (a label, a colour map, a new example drawn into
the axes), call :meth:`BlitCanvas.forget`.

When a control changes the limits of a plot with ticks at every step (a
heat map over a sequence length T), each new setting would draw the whole
figure again. List that plot's axis objects (``ax.xaxis``, ``ax.yaxis``) in
``artists`` as well: the canvas then keeps one picture of everything else
(the *base*), and for each new set of limits pastes the base, draws only
those axes' ticks and labels over it and keeps the result as that setting's
background. As for an axes without ticks, whatever moves with the limits
must be in ``artists``, and the ticks must not overlap the changing artists
(ticks point outwards, so list the axes' frame with its image).

A diagram whose parts are only ever shown or hidden (an unrolled network
with a box and an arrow per time step) need not redraw them at all: list
them as ``switched`` (a view's ``.switched``) instead. They are drawn into
the background, which is then kept per combination of shown parts, so a
setting visited before costs one paste.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from types import MethodType

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.spines import Spine
from matplotlib.ticker import FixedLocator, NullLocator

from .._checks import as_int
from . import _glyphs


def freeze_layout(figure) -> None:
    """Lay ``figure`` out once (constrained layout) and keep that layout from now on.

    Recomputing the constrained layout on every redraw of a live figure
    roughly doubles the cost of an update, and the layout of a figure whose
    axes stay put does not change. Call this once the figure shows what it
    will show (one full drawing solves the layout).
    """
    if figure.get_layout_engine() is not None:
        FigureCanvasAgg.draw(_agg(figure))  # one full drawing, with the layout engine
        keep_layout(figure)


def keep_layout(figure) -> None:
    """Keep the layout the last drawing of ``figure`` solved (no layout engine from now on)."""
    with mpl.rc_context({"figure.constrained_layout.use": False, "figure.autolayout": False}):
        figure.set_layout_engine(None)


def _agg(figure) -> FigureCanvasAgg:
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    return figure.canvas


def _flatten(items) -> list[Artist]:
    """Artists from artists, views (anything with ``.artists``) and lists of either
    (each artist once, in the order first met)."""
    artists, seen = [], set()
    for item in items:
        if isinstance(item, Artist):
            found = [item]
        elif hasattr(item, "artists"):
            found = _flatten(item.artists)
        elif isinstance(item, Iterable) and not isinstance(item, str):
            found = _flatten(item)
        else:
            raise TypeError(
                "expected a matplotlib artist, a view with .artists or a list of them, "
                f"got {item!r}"
            )
        for artist in found:
            if id(artist) not in seen:
                seen.add(id(artist))
                artists.append(artist)
    return artists


def _frames_over(artists) -> list[Artist]:
    """The spines that a full drawing puts over ``artists``: of every axes holding one
    of them, each spine drawn after the first of them (a higher zorder), unless listed.

    An image or a line reaching its axes' edge lies under the frame; redrawn
    over a background that already holds the frame, it would cover it.
    """
    lowest: dict = {}
    for artist in artists:
        ax = artist.axes
        if ax is not None and not isinstance(artist, Axis):
            lowest[ax] = min(lowest.get(ax, artist.get_zorder()), artist.get_zorder())
    listed = {id(artist) for artist in artists}
    return [
        spine
        for ax, zorder in lowest.items()
        for spine in ax.spines.values()
        if spine.get_zorder() > zorder and id(spine) not in listed
    ]


def _drawn_by_its_axes(artist) -> bool:
    """Whether a full drawing draws ``artist``: not when it is hidden, nor in a hidden
    axes, nor, for a spine, when its axes is switched off or has no frame."""
    ax = artist.axes
    if not artist.get_visible() or (ax is not None and not ax.get_visible()):
        return False
    return not isinstance(artist, Spine) or (ax.axison and ax.get_frame_on())


def _draws_ticks(axis) -> bool:
    """Whether ``axis`` draws ticks (whose places and labels follow its limits)."""
    if not axis.get_visible():
        return False
    for locator in (axis.get_major_locator(), axis.get_minor_locator()):
        if isinstance(locator, FixedLocator) and len(locator.locs) == 0:
            continue
        if not isinstance(locator, NullLocator):
            return True
    return False


class BlitCanvas(FigureCanvasAgg):
    """An Agg canvas that draws ``artists`` over a saved picture of everything else.

    ``artists``: the artists that change between updates (they are marked
    animated, so a full drawing leaves them out). Each :meth:`draw` pastes
    the background for the current key (figure size and dpi, every axes'
    visibility and limits), drawing and keeping it first when there is none
    (the last ``max_backgrounds`` are kept), then draws ``artists`` in the
    order a full drawing would: axes by axes, by zorder within an axes, then
    artists that belong to the figure itself.

    Axis objects (``ax.xaxis``) among ``artists`` are not drawn at every
    update: a background for new limits of theirs is the base (the figure
    without them) with their ticks and labels drawn over it. ``switched``:
    artists that are only shown or hidden; they belong to the background,
    whose key includes which of them are visible.
    """

    def __init__(self, figure, artists=(), max_backgrounds: int = 12, switched=()):
        super().__init__(figure)
        self.max_backgrounds = as_int(max_backgrounds, "max_backgrounds", 1)
        self._backgrounds: OrderedDict = OrderedDict()
        self._bases: OrderedDict = OrderedDict()  # figures without the listed axis objects
        self._artists: list[Artist] = []
        self._added: dict = {}  # id(artist) -> its place among its axes' children
        self._tick_layers: list[Axis] = []  # axis objects drawn onto the backgrounds
        self._switched: list[Artist] = []
        self.full_draws = 0  # how many figures were drawn in full (for tests)
        self.artists = artists
        self.switched = switched

    @property
    def artists(self) -> list[Artist]:
        """The artists listed as changing (the rest is kept as pixels)."""
        return self._artists + self._tick_layers

    @artists.setter
    def artists(self, artists) -> None:
        for artist in self.artists:
            artist.set_animated(False)
        listed = _flatten([artists])
        listed += _frames_over(listed)
        self._artists = [artist for artist in listed if not isinstance(artist, Axis)]
        self._tick_layers = [artist for artist in listed if isinstance(artist, Axis)]
        # the order the artists were added to their axes (the tie-break of a full
        # drawing), read once here rather than on every draw
        self._added = {}
        for ax in {artist.axes for artist in self._artists if artist.axes is not None}:
            self._added.update((id(child), i) for i, child in enumerate(ax.get_children()))
        for artist in listed:
            artist.set_animated(True)
        self.forget()

    @property
    def switched(self) -> list[Artist]:
        """Artists only shown or hidden: drawn into backgrounds kept per combination."""
        return self._switched

    @switched.setter
    def switched(self, switched) -> None:
        self._switched = _flatten([switched])
        for artist in self._switched:
            artist.set_animated(False)
        self.forget()

    def forget(self) -> None:
        """Drop the saved backgrounds: the next draw is a full one."""
        self._backgrounds.clear()
        self._bases.clear()

    def base_key(self) -> tuple:
        """What the base (the figure without ``artists``) depends on: the figure's
        size and dpi, which ``switched`` artists and which axes are visible, and the
        limits of every axis that draws ticks into it (listed axis objects draw theirs
        over it)."""
        figure = self.figure
        key = [figure.dpi, tuple(figure.get_size_inches())]
        key.append(tuple(artist.get_visible() for artist in self._switched))
        for ax in figure.axes:
            key.append(ax.get_visible())
            if ax.axison:
                for axis in (ax.xaxis, ax.yaxis):
                    if _draws_ticks(axis) and axis not in self._tick_layers:
                        key.append(tuple(axis.get_view_interval()))
        return tuple(key)

    def background_key(self) -> tuple:
        """What the background depends on: the base's key and the limits of the
        listed axis objects."""
        layers = tuple(
            (axis.get_visible(), tuple(axis.get_view_interval())) for axis in self._tick_layers
        )
        return self.base_key(), layers

    def get_renderer(self):
        """The Agg renderer, drawing text from kept glyph pictures (same pixels)."""
        renderer = super().get_renderer()
        if _glyphs.SUPPORTED and "draw_text" not in vars(renderer):
            renderer.draw_text = MethodType(_glyphs.draw_text, renderer)
        return renderer

    def _drawing_order(self) -> list[Artist]:
        """The listed artists in the order a full drawing draws them: axes by axes, by
        zorder within an axes and, on equal zorder, in the axes' own order (the order
        they were added), then the figure's own artists."""
        axes = {id(ax): index for index, ax in enumerate(self.figure.axes)}
        last = len(axes)

        def place(item):
            index, artist = item
            ax = artist.axes
            where = axes.get(id(ax), last) if ax is not None else last
            return (where, artist.get_zorder(), self._added.get(id(artist), index), index)

        return [artist for _, artist in sorted(enumerate(self._artists), key=place)]

    def _keep(self, kept: OrderedDict, key) -> None:
        kept[key] = self.copy_from_bbox(self.figure.bbox)
        while len(kept) > self.max_backgrounds:
            kept.popitem(last=False)

    def _draw_without_artists(self) -> None:
        for artist in self.artists:  # in case something drew them the ordinary way
            artist.set_animated(True)
        super().draw()  # everything but the animated artists (and the layout, if any)
        self.full_draws += 1

    def _paste_base(self) -> None:
        """Paste the base for the current settings, drawing and keeping it if new."""
        key = self.base_key()
        base = self._bases.get(key)
        if base is None:
            self._draw_without_artists()
            self._keep(self._bases, self.base_key())  # the layout may have settled the limits
        else:
            self._bases.move_to_end(key)
            self.restore_region(base)

    def full_drawing_difference(self) -> int:
        """How many pixels of the picture on the canvas (the last :meth:`draw`) differ
        from a full drawing of the figure: 0 when ``artists`` lists everything that
        lies over the changing parts. The canvas then holds the full drawing, which
        is the same picture; the kept backgrounds stay valid."""
        live = np.asarray(self.buffer_rgba()).copy()
        animated = [artist for artist in self.figure.findobj() if artist.get_animated()]
        for artist in animated:
            artist.set_animated(False)
        try:
            FigureCanvasAgg.draw(self)
        finally:
            for artist in animated:
                artist.set_animated(True)
        full = np.asarray(self.buffer_rgba())
        if full.shape != live.shape:
            return full.shape[0] * full.shape[1]
        return int(np.count_nonzero((live != full).any(axis=2)))

    def draw(self) -> None:
        key = self.background_key()
        background = self._backgrounds.get(key)
        if background is not None:
            self._backgrounds.move_to_end(key)
            self.restore_region(background)
        elif self._tick_layers:
            self._paste_base()
            renderer = self.get_renderer()
            for axis in self._tick_layers:
                if axis.get_visible() and axis.axes.get_visible() and axis.axes.axison:
                    axis.draw(renderer)
            self._keep(self._backgrounds, self.background_key())
        else:  # the base is the background
            self._draw_without_artists()
            self._keep(self._backgrounds, self.background_key())
        renderer = self.get_renderer()
        for artist in self._drawing_order():
            if _drawn_by_its_axes(artist):
                artist.draw(renderer)


def _declared_switched(items) -> list[Artist]:
    """The ``.switched`` artists of the views among ``items`` (and lists of them)."""
    found = []
    for item in items:
        if isinstance(item, Artist):
            continue
        if hasattr(item, "artists"):
            found += _flatten([getattr(item, "switched", [])])
        elif isinstance(item, Iterable) and not isinstance(item, str):
            found += _declared_switched(item)
    return found


def live_figure(figure, *artists, max_backgrounds: int = 12, switched=()) -> BlitCanvas:
    """Make ``figure`` cheap to redraw: its layout frozen and a :class:`BlitCanvas`.

    ``artists``: the artists that change, or views (whose ``.artists`` are
    taken, and their ``.switched`` if they have one), or lists of either;
    ``switched``: artists that are only shown or hidden. Returns the canvas
    (also ``figure.canvas``), which :func:`lecturelib.drawing.figures.figure_png`
    then draws with. A figure that already has a :class:`BlitCanvas` keeps
    it, with these artists. Artists marked animated are left out of an
    ordinary drawing, so render a live figure with ``figure_png`` or a
    :class:`Panel` only.
    """
    switched = [*_flatten([switched]), *_declared_switched(artists)]
    canvas = figure.canvas
    if isinstance(canvas, BlitCanvas):
        canvas.artists = list(artists)
        canvas.switched = switched
    else:
        canvas = BlitCanvas(figure, list(artists), max_backgrounds, switched)
    if figure.get_layout_engine() is not None:
        # The first drawing solves the layout; its background stays valid once the
        # layout is frozen, since nothing moves after it.
        canvas.draw()
        keep_layout(figure)
    return canvas


__all__ = ["BlitCanvas", "freeze_layout", "keep_layout", "live_figure"]
