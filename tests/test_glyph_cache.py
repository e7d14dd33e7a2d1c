"""The live plot's glyph cache: text where matplotlib puts it, each glyph rendered once."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers import _glyph_cache
from helpers._glyph_cache import GlyphCacheCanvas, GlyphCacheRenderer


def text_figure(canvas_class, text="age loss: training 0.129 / validation 0.4", **options):
    figure = Figure(figsize=(4, 1), dpi=96)
    canvas_class(figure)
    figure.text(0.1, 0.4, text, fontsize=9, **options)
    return figure


def pixels(figure):
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)


def ink_box(image):
    """Rows and columns of the pixels that are not white: (top, bottom, left, right)."""
    rows, columns = np.nonzero((image < 255).any(axis=2))
    return rows.min(), rows.max(), columns.min(), columns.max()


def test_the_pinned_matplotlib_has_what_the_cache_needs():
    assert _glyph_cache.CACHED
    figure = text_figure(GlyphCacheCanvas)
    assert isinstance(figure.canvas.get_renderer(), GlyphCacheRenderer)


def test_text_lands_within_a_pixel_of_matplotlibs_and_has_the_same_ink():
    plain, cached = pixels(text_figure(FigureCanvasAgg)), pixels(text_figure(GlyphCacheCanvas))
    for edge_plain, edge_cached in zip(ink_box(plain), ink_box(cached), strict=True):
        assert abs(int(edge_plain) - int(edge_cached)) <= 1
    ink_plain, ink_cached = (255 - plain).sum(), (255 - cached).sum()
    assert ink_plain > 0
    assert ink_cached == pytest.approx(ink_plain, rel=0.03)
    # The ink's centre: within an eighth of a pixel across (each glyph sits on a quarter
    # pixel), within half a pixel up or down (the baseline sits on a whole pixel).
    for axis, within in ((1, 0.13), (0, 0.51)):
        assert abs(centre(plain, axis) - centre(cached, axis)) <= within


def centre(image, axis):
    """The ink-weighted mean row (axis 0) or column (axis 1)."""
    ink = (255 - image).sum(axis=2)
    weights = ink.sum(axis=1 - axis)
    return float((np.arange(len(weights)) * weights).sum() / weights.sum())


def test_a_string_drawn_again_comes_from_the_cache_pixel_for_pixel():
    figure = text_figure(GlyphCacheCanvas)
    first = pixels(figure)
    renderer = figure.canvas.get_renderer()
    layouts, glyphs = dict(renderer._layouts), dict(renderer._glyphs)
    assert layouts and glyphs
    assert np.array_equal(pixels(figure), first)
    assert renderer._layouts == layouts  # nothing laid out or rendered again
    assert renderer._glyphs.keys() == glyphs.keys()


def test_a_new_string_of_known_glyphs_renders_no_new_glyph():
    figure = text_figure(GlyphCacheCanvas, text="0.129")
    pixels(figure)
    renderer = figure.canvas.get_renderer()
    known = {key[3] for key in renderer._glyphs}  # glyph indices
    figure.texts[0].set_text("0.921")
    pixels(figure)
    assert {key[3] for key in renderer._glyphs} == known


def test_rotated_text_is_drawn_as_matplotlib_draws_it():
    plain = pixels(text_figure(FigureCanvasAgg, rotation=30))
    cached = pixels(text_figure(GlyphCacheCanvas, rotation=30))
    assert np.array_equal(plain, cached)


def test_without_the_private_text_api_the_canvas_is_plain_agg(monkeypatch):
    monkeypatch.setattr(_glyph_cache, "CACHED", False)
    figure = text_figure(GlyphCacheCanvas)
    assert type(figure.canvas.get_renderer()).__name__ == "RendererAgg"
    assert np.array_equal(pixels(figure), pixels(text_figure(FigureCanvasAgg)))


def test_the_caches_keep_at_most_their_limit(monkeypatch):
    monkeypatch.setattr(_glyph_cache, "_LAYOUTS_KEPT", 3)
    figure = text_figure(GlyphCacheCanvas, text="a")
    for text in ("b", "c", "d", "e"):
        figure.texts[0].set_text(text)
        pixels(figure)
    assert len(figure.canvas.get_renderer()._layouts) == 3


def test_a_renderer_used_on_two_threads_renders_each_glyph_with_its_own_threads_font(
    monkeypatch,
):
    import threading

    from matplotlib.font_manager import get_font

    figure = text_figure(GlyphCacheCanvas, text="0.5")
    worker = threading.Thread(target=pixels, args=(figure,))
    worker.start()
    worker.join()
    renderer = figure.canvas.get_renderer()
    # Layouts name faces, not FreeType objects: those belong to the thread that made them.
    for items in renderer._layouts.values():
        for face, *_ in items:
            assert isinstance(face, tuple) and isinstance(face[0], str)
    rendered = []
    original = get_font

    def spy(paths, *args, **kwargs):
        font = original(paths, *args, **kwargs)
        rendered.append((threading.get_ident(), font))
        return font

    monkeypatch.setattr(_glyph_cache, "get_font", spy)
    figure.texts[0].set_text("0.5 and new glyphs")
    drawn = pixels(figure)
    monkeypatch.undo()
    assert rendered and all(ident == threading.get_ident() for ident, _ in rendered)
    fresh = text_figure(GlyphCacheCanvas, text="0.5 and new glyphs")
    assert np.array_equal(drawn, pixels(fresh))
