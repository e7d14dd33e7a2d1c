"""An Agg canvas that rasterises each glyph once and reuses it: the live plot's text.

Most of a live frame's drawing time is text: tick labels, titles with the latest values,
legends, the caption. Matplotlib's Agg renderer lays out every string and asks FreeType
to render every glyph of it in every frame, at the exact fraction of a pixel the layout
gives it (1/64 px). :class:`GlyphCacheCanvas` renders with :class:`GlyphCacheRenderer`,
which keeps

- each string's layout (glyphs and their offsets), by string, font, size and hinting;
- each glyph's bitmap, by font, size, glyph and the glyph's horizontal position to a
  quarter of a pixel, its baseline on a whole pixel (as most screen text is drawn).

So a string drawn again, or a new string of glyphs drawn before (a new value of a title,
a new tick label), costs one copy per glyph. Glyphs sit within an eighth of a pixel of
where matplotlib puts them across a line, and their baseline within half a pixel.

A glyph missing from the cache is rendered with the FreeType font of the thread that draws
(matplotlib keeps one per thread), so a figure drawn on the lab's training thread and on
the notebook's thread never shares a font object across threads.

Only unrotated text is cached; rotated text, mathtext and TeX are drawn as matplotlib
draws them. The renderer uses matplotlib's private text API (``FT2Font._layout`` and
``_render_glyph``, ``RendererAgg._draw_text_glyphs_and_boxes`` in matplotlib 3.11); where
it is missing, the canvas is a plain Agg canvas and :data:`CACHED` is False.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontPath, get_font
from matplotlib.ft2font import FT2Font, RenderMode

__all__ = ["CACHED", "GlyphCacheCanvas", "GlyphCacheRenderer"]

_PHASES = 4  # horizontal glyph positions per pixel
_LAYOUTS_KEPT = 4096  # strings whose layout is kept
_GLYPHS_KEPT = 16384  # glyph bitmaps kept (a few MiB at most)

#: Whether this matplotlib has the private text API the cache needs.
CACHED = all(
    hasattr(owner, name)
    for owner, name in (
        (FT2Font, "_layout"),
        (FT2Font, "_render_glyph"),
        (FT2Font, "_set_transform"),
        (RendererAgg, "_draw_text_glyphs_and_boxes"),
        (RendererAgg, "_prepare_font"),
    )
)


class GlyphCacheRenderer(RendererAgg):
    """:class:`RendererAgg` with each string's layout and each glyph's bitmap kept."""

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)
        # A layout names its fonts by file and face: FT2Font objects belong to one thread
        # each (matplotlib's get_font), and a renderer may draw on several threads.
        self._layouts: dict[tuple, list[tuple[tuple[str, int], int, float, float]]] = {}
        self._glyphs: dict[tuple, tuple[Any, int, int]] = {}

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle % 360 != 0 or not gc.get_antialiased():
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        key = (s, hash(prop), size, flags, _frozen(features), language)
        items = self._layouts.get(key)
        if items is None:
            font = self._prepare_font(prop)
            laid = font._layout(s, flags=flags, features=features, language=language)
            items = [
                (
                    (item.ft_object.fname, item.ft_object.face_index),
                    item.glyph_index,
                    item.x,
                    item.y,
                )
                for item in laid
            ]
            _keep(self._layouts, key, items, _LAYOUTS_KEPT)
        baseline = round(self.height - y)  # FreeType's y is upwards
        for face, glyph, dx, dy in items:
            pen_x = x + dx
            whole = math.floor(pen_x)
            phase = round((pen_x - whole) * _PHASES)
            if phase == _PHASES:
                whole, phase = whole + 1, 0
            pen_y = baseline + round(dy)
            buffer, left, top = self._glyph(face, size, glyph, flags, phase)
            if buffer is None:
                continue  # a blank glyph (a space)
            self._renderer.draw_text_image(
                buffer, whole + left, int(self.height) - (pen_y + top) + buffer.shape[0], 0, gc
            )

    def _glyph(self, face: tuple[str, int], size: float, glyph: int, flags: Any, phase: int):
        key = (face, size, self.dpi, glyph, flags, phase)
        cached = self._glyphs.get(key)
        if cached is None:
            font = get_font([FontPath(*face)])  # this thread's FT2Font of that face
            font.set_size(size, self.dpi)
            font._set_transform([[0x10000, 0], [0, 0x10000]], [0x40 * phase // _PHASES, 0])
            bitmap = font._render_glyph(glyph, flags, RenderMode.NORMAL)
            buffer = bitmap.buffer.copy()
            cached = (buffer if buffer.size else None, bitmap.left, bitmap.top)
            _keep(self._glyphs, key, cached, _GLYPHS_KEPT)
        return cached


class GlyphCacheCanvas(FigureCanvasAgg):
    """:class:`FigureCanvasAgg` that draws with one :class:`GlyphCacheRenderer` per size."""

    def get_renderer(self):
        if not CACHED:
            return super().get_renderer()
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = GlyphCacheRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def _keep(cache: dict, key: Any, value: Any, limit: int) -> None:
    if len(cache) >= limit:
        cache.pop(next(iter(cache)))  # the oldest entry
    cache[key] = value


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
