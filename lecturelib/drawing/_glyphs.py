"""Text drawn from kept glyph pictures: the same pixels, without FreeType's work each time.

A panel update draws the same few strings again and again (a title that
changes one number, tick labels, the boxes of a diagram). Matplotlib's Agg
renderer lays every string out and renders every glyph again each time;
on this project's panels that is the largest part of what an update draws.
:func:`draw_text` does the same drawing, keeping two things between calls:

- the layout of a string in a font (which glyphs, where), and
- each glyph's grey-level picture, for its position's fraction of a pixel
  (FreeType places glyphs in 1/64 px), so a glyph drawn again whole pixels
  away is pasted, not rendered.

It follows matplotlib 3.11's ``RendererAgg.draw_text`` step for step and is
used only where that renderer has the same private parts
(:data:`SUPPORTED`); mathtext and other matplotlib versions are drawn the
ordinary way. The tests compare its pictures with matplotlib's own, pixel
for pixel.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import matplotlib as mpl
import numpy as np
from matplotlib import ft2font
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import RendererAgg

SUPPORTED = all(
    hasattr(thing, name)
    for thing, name in (
        (backend_agg, "get_hinting_flag"),
        (backend_agg, "RenderMode"),
        (RendererAgg, "_prepare_font"),
        (RendererAgg, "_draw_text_glyphs_and_boxes"),
        (ft2font.FT2Font, "_layout"),
        (ft2font.FT2Font, "_render_glyph"),
        (ft2font.FT2Font, "_set_transform"),
    )
)

# The settings that choose and shape a font besides the text's own properties.
_FONT_SETTINGS = (
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.cursive",
    "font.fantasy",
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
)

MAX_LAYOUTS = 4096
MAX_GLYPHS = 16384
_layouts: OrderedDict = OrderedDict()  # string and font -> [(font, glyph index, x, y)]
_glyphs: OrderedDict = OrderedDict()  # glyph and 1/64 px -> (font, buffer, left, top)


def _remember(kept: OrderedDict, key, value, most: int):
    kept[key] = value
    while len(kept) > most:
        kept.popitem(last=False)
    return value


def _layout(renderer, s: str, prop, mtext, flags) -> tuple[float, list]:
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    size = prop.get_size_in_points()
    key = (
        s,
        type(prop),
        tuple(prop.__dict__.values()),
        tuple(features) if features else None,
        repr(language),
        renderer.dpi,
        flags,
        tuple(str(mpl.rcParams[name]) for name in _FONT_SETTINGS),
    )
    glyphs = _layouts.get(key)
    if glyphs is None:
        font = renderer._prepare_font(prop)
        items = font._layout(s, flags=flags, features=features, language=language)
        glyphs = [(item.ft_object, item.glyph_index, item.x, item.y) for item in items]
        _remember(_layouts, key, glyphs, MAX_LAYOUTS)
    else:
        _layouts.move_to_end(key)
    return size, glyphs


def draw_text(renderer, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """``RendererAgg.draw_text`` for ``renderer``, with layouts and glyphs kept."""
    if ismath or not SUPPORTED:
        return RendererAgg.draw_text(renderer, gc, x, y, s, prop, angle, ismath, mtext)
    flags = backend_agg.get_hinting_flag()
    size, glyphs = _layout(renderer, s, prop, mtext, flags)
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    # the rotation in FreeType's 16.16 fixed point (no slant or stretch for plain text)
    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
    turn = tuple(matrix.ravel())
    antialiased = gc.get_antialiased()
    mode = backend_agg.RenderMode.NORMAL if antialiased else backend_agg.RenderMode.MONO
    height = renderer.height
    dpi = renderer.dpi
    for font, glyph_index, dx, dy in glyphs:  # dy is upwards
        # Where FreeType puts the glyph, in 1/64 px (its y is upwards).
        fx = round(0x40 * (x + dx * cos - dy * sin))
        fy = round(0x40 * (height - y + dx * sin + dy * cos))
        key = (id(font), size, dpi, glyph_index, turn, fx & 63, fy & 63, antialiased, flags)
        kept = _glyphs.get(key)
        if kept is None or kept[0] is not font:
            font.set_size(size, dpi)
            font._set_transform(matrix, [fx, fy])
            bitmap = font._render_glyph(glyph_index, flags, mode)
            buffer = np.array(bitmap.buffer, copy=True)
            if not antialiased:
                buffer *= 0xFF
            # left and top for the glyph placed at the whole pixel 0, 0
            kept = (font, buffer, bitmap.left - (fx >> 6), bitmap.top - (fy >> 6))
            _remember(_glyphs, key, kept, MAX_GLYPHS)
        else:
            _glyphs.move_to_end(key)
        _, buffer, left, top = kept
        # draw_text_image's y is downwards and names the bitmap's bottom row
        renderer._renderer.draw_text_image(
            buffer, left + (fx >> 6), int(height) - (top + (fy >> 6)) + buffer.shape[0], 0, gc
        )
    return None


__all__ = ["SUPPORTED", "draw_text"]
