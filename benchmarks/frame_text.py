"""The lab's live frames with the glyph cache against matplotlib's own Agg text, side by side.

One process builds the default lab on a seed no test or lesson uses (data
``make_posts(3000, standardize_age=True, seed=17)``, model seed 11) and keeps two copies of
its live figure (:class:`helpers.live._figure.PanelFigure`, the lab's panels and options):
one drawn on :class:`helpers._glyph_cache.GlyphCacheCanvas` (what the lab uses), one on
matplotlib's :class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`. Then, for each
of ``--runs`` drawn retrains (weights cycling through 1/1/1, gender x 100, income x 100),
both figures draw the run's curves twice, in alternating order:

- **a run's first frame**: new titles and tick labels, as when a Train press ends;
- **a frame again**: the same strings, as a live run's later frames often are.

Each frame is timed in CPU time of this thread (``time.thread_time``): sync, draw and PNG
encode, the work a frame does on the training thread. It prints the medians and the
paired ratio (plain over cached, same run); and how far the cached text lies from
matplotlib's (the ink-weighted centre of the whole figure's text, in pixels).

Usage: python benchmarks/frame_text.py [--runs 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="drawn retrains")
    args = parser.parse_args()

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from helpers.data import make_posts
    from helpers.lab import LossWeightLab

    lab = LossWeightLab(data=make_posts(3000, standardize_age=True, seed=17), seed=11)
    lab.train(block=True)
    plot = lab.curves.plot

    def figure(plain: bool):
        drawing = plot.new_figure()  # the lab's panels and options
        if plain:
            FigureCanvasAgg(drawing.figure)  # the figure's canvas is now matplotlib's own
        return drawing

    drawings = {"cached": figure(plain=False), "plain": figure(plain=True)}
    weights = [
        {"age": 1.0, "income": 1.0, "gender": 1.0},
        {"age": 1.0, "income": 1.0, "gender": 100.0},
        {"age": 1.0, "income": 100.0, "gender": 1.0},
    ]
    times: dict[tuple[str, str], list[float]] = {}
    for run in range(args.runs + 1):  # run 0 builds both figures' still parts, untimed
        lab.train(weights=weights[run % 3], block=True)
        order = ["cached", "plain"] if run % 2 else ["plain", "cached"]
        for frame in ("first", "again"):
            for name in order:
                drawing = drawings[name]
                start = time.thread_time()
                drawing.sync(plot.history, plot.planned_epochs, plot.caption)
                png = drawing.to_png()
                if run:
                    times.setdefault((name, frame), []).append(time.thread_time() - start)
                assert png.startswith(b"\x89PNG")

    def pixels(name: str) -> np.ndarray:
        canvas = drawings[name].figure.canvas
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].astype(float)

    cached, plain = pixels("cached"), pixels("plain")
    ink_cached, ink_plain = (255 - cached).sum(axis=2), (255 - plain).sum(axis=2)
    shift = [
        abs(
            (np.arange(ink.shape[axis]) * ink.sum(axis=1 - axis)).sum() / ink.sum()
            - (np.arange(ink_plain.shape[axis]) * ink_plain.sum(axis=1 - axis)).sum()
            / ink_plain.sum()
        )
        for axis, ink in ((1, ink_cached), (0, ink_cached))
    ]

    print(f"Lab frames, {args.runs} drawn retrains, CPU ms per frame (median, range):\n")
    print("| frame | matplotlib's Agg text | glyph cache | plain / cached (paired median) |")
    print("|---|---|---|---|")
    for frame, label in (("first", "a run's first frame"), ("again", "the same frame again")):
        plain_t, cached_t = times[("plain", frame)], times[("cached", frame)]
        paired = statistics.median(p / c for p, c in zip(plain_t, cached_t, strict=True))
        print(f"| {label} | {ms(plain_t)} | {ms(cached_t)} | **{paired:.2f}** |")
    print(
        f"\nText position against matplotlib's (ink-weighted centre of the whole figure): "
        f"{shift[0]:.3f} px across, {shift[1]:.3f} px up or down; total ink "
        f"{ink_cached.sum() / ink_plain.sum():.4f} of matplotlib's."
    )


def ms(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1e3:.0f} ({min(values) * 1e3:.0f}-{max(values) * 1e3:.0f})"
    )


if __name__ == "__main__":
    main()
