"""The trade-off map's pictures: its panels, the Pareto front, the star that follows the sliders."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers._render import png_bytes

from ._map import MapResult, better_is_higher, metric_label, plane_point

__all__ = ["MapPicture", "Picture", "cell_position", "colour_range", "front_figure", "map_figure"]

_LABEL_WIDTH, _LABEL_HEIGHT = 0.11, 0.04  # a front label's room, as shares of the axes
LEAST_SPAN = 0.1  # of accuracy, or of a loss's or error's mean: the least a panel's colours span


def map_figure(result: MapResult):
    """The map (a :class:`matplotlib.figure.Figure`): one panel per head."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    heads = list(result.head_metrics)
    n = len(result.values)
    fig = Figure(figsize=(3.3 * len(heads), 3.3), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(heads), squeeze=False)[0]
    labels = [f"{v:g}" for v in result.values]
    for ax, head in zip(axes, heads, strict=True):
        key = result.head_metrics[head]
        grid = result.grid(head)
        higher = better_is_higher(key)
        cmap = colormaps["viridis" if higher else "viridis_r"].with_extremes(bad="0.85")
        low, high = colour_range(key, grid)
        image = ax.imshow(
            np.ma.masked_invalid(grid), origin="lower", cmap=cmap, vmin=low, vmax=high
        )
        for j in range(n):
            for i in range(n):
                value = grid[j, i]
                text = "NaN" if not math.isfinite(value) else f"{value:.2f}"
                shade = image.cmap(image.norm(value)) if math.isfinite(value) else (1, 1, 1)
                light = 0.3 * shade[0] + 0.6 * shade[1] + 0.1 * shade[2] > 0.5
                ax.text(
                    i, j + 0.22, text, ha="center", va="center", fontsize=8,
                    color="black" if light else "white",
                )  # fmt: skip
        ax.set_xticks(range(n), labels, fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        ax.set_xlabel(f"{result.x} loss weight", fontsize=9)
        ax.set_ylabel(f"{result.y} loss weight", fontsize=9)
        arrow = "higher" if higher else "lower"
        finite = grid[np.isfinite(grid)]
        spread = f": {finite.min():.2f} to {finite.max():.2f}" if finite.size else ""
        title = f"held-out {metric_label(key)}{spread}\n(yellow = better: {arrow})"
        ax.set_title(title, fontsize=9)
        for index, mark in enumerate(result.marks):
            px, py = cell_position(result, mark)
            ax.plot(px, py, "o", ms=6, mfc="none", mec="red", mew=1.5)
            if index < len(result.labels):
                ax.annotate(
                    result.labels[index], (px, py), xytext=(4, -9), textcoords="offset points",
                    fontsize=7, color="red", fontweight="bold",
                )  # fmt: skip
        if result.current is not None:
            ax.plot(*cell_position(result, result.current), "*", ms=13, mfc="red", mec="white")
    others = ", ".join(f"{h} {w:g}" for h, w in result.others.items())
    how = "trained together" if result.together else "trained one after another"
    stopped = f", stopped after epoch {result.epochs}" if result.stopped else ""
    fig.suptitle(
        f"Trade-off map: {len(result.weights)} runs of {result.epochs} epochs ({how}{stopped};"
        f" others: {others})\nred star: the sliders · red circles: runs in the table"
        " · grey: diverged",
        fontsize=9,
    )
    return fig


def colour_range(key: str, grid: np.ndarray) -> tuple[float, float]:
    """The values a panel's colours span: its own, or at least :data:`LEAST_SPAN`'s.

    A panel whose runs hardly differ is drawn in nearby colours, not in the whole scale:
    an accuracy spans at least 0.1 of colour, another metric at least a tenth of its mean.

    Examples
    --------
    >>> colour_range("income_accuracy", np.array([[0.80, 0.81], [0.79, np.nan]]))
    (0.75, 0.85)
    >>> colour_range("age_mae", np.array([[0.4, 0.9]]))
    (0.4, 0.9)
    """
    finite = grid[np.isfinite(grid)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    middle = (low + high) / 2
    least = LEAST_SPAN if "acc" in key else LEAST_SPAN * max(abs(middle), 1e-12)
    if high - low < least:
        low, high = middle - least / 2, middle + least / 2
    return round(low, 12), round(high, 12)


def cell_position(result: MapResult, weights: Mapping[str, float]) -> tuple[float, float]:
    """``weights`` in the picture's cell coordinates (log scale between the cells)."""
    logs = np.log10(result.values)
    px, py = plane_point(weights, result.x, result.y)
    ox, oy = plane_point({**result.others, result.x: 1.0, result.y: 1.0}, result.x, result.y)
    index = np.arange(len(result.values))
    return (
        float(np.interp(px - ox, logs, index)),
        float(np.interp(py - oy, logs, index)),
    )


def front_figure(result: MapResult, a: str, b: str):
    """Head ``a``'s metric against ``b``'s for every run, the Pareto front joined."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ka, kb = result.head_metrics[a], result.head_metrics[b]
    fig = Figure(figsize=(6.4, 4.4), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    front = result.pareto(a, b)
    runs = [i for i, scores in enumerate(result.metrics) if scores is not None]
    for index in runs:
        on = index in front
        point = (result.metrics[index][ka], result.metrics[index][kb])
        ax.plot(*point, "o", ms=7 if on else 5, color="C3" if on else "0.6")
    ax.autoscale_view()
    # Labels: every run on the front, then the others where no label is near already.
    placed: list[tuple[float, float]] = []
    for index in sorted(runs, key=lambda i: i not in front):
        point = (result.metrics[index][ka], result.metrics[index][kb])
        fx, fy = ax.transLimits.transform(point)  # the point as a share of the axes
        if index not in front and any(
            abs(fx - px) < _LABEL_WIDTH and abs(fy - py) < _LABEL_HEIGHT for px, py in placed
        ):
            continue
        placed.append((fx, fy))
        w = result.weights[index]
        right = fx > 0.85  # near the right edge: the label goes left of its point
        ax.annotate(
            f"{w[result.x]:g}/{w[result.y]:g}", point, xytext=(-4 if right else 4, 3),
            textcoords="offset points", ha="right" if right else "left", fontsize=7,
            color="C3" if index in front else "0.45",
        )  # fmt: skip
    ax.plot([result.metrics[i][ka] for i in front], [result.metrics[i][kb] for i in front], "-",
            color="C3", lw=1, label="Pareto front (no run beats these on both)")  # fmt: skip
    ax.set_xlabel(f"held-out {metric_label(ka)} ({'higher' if better_is_higher(ka) else 'lower'}"
                  " is better)", fontsize=9)  # fmt: skip
    ax.set_ylabel(f"held-out {metric_label(kb)} ({'higher' if better_is_higher(kb) else 'lower'}"
                  " is better)", fontsize=9)  # fmt: skip
    ax.set_title(
        f"Every mapped run, labelled {result.x} weight / {result.y} weight\n"
        "(every run on the front; the others where there is room)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, alpha=0.3)
    return fig


@dataclass(frozen=True)
class Picture:
    """A matplotlib figure that a notebook shows as a PNG."""

    figure: Any

    def to_png(self) -> bytes:
        """Render the figure to PNG bytes."""
        return png_bytes(self.figure)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        title = self.figure.axes[0].get_title() if self.figure.axes else "figure"
        return {
            "text/plain": f"<picture: {title}>",
            "image/png": base64.b64encode(self.to_png()).decode("ascii"),
        }


class MapPicture:
    """A map's picture, drawn once; moving the sliders' star redraws only the star.

    The panels are rendered once (with the runs-table marks); :meth:`png` restores that
    image and draws the star where ``weights`` sit, so a slider move costs a PNG encode,
    not a new figure.
    """

    def __init__(self, result: MapResult, marks: Sequence[Mapping[str, float]]) -> None:
        self.result = result.with_marks(None, marks)
        self.figure = self.result.figure
        canvas = self.figure.canvas
        self._stars = []
        for ax in self.figure.axes:
            (star,) = ax.plot([], [], "*", ms=13, mfc="red", mec="white", animated=True)
            self._stars.append(star)
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.figure.bbox)

    def png(self, weights: Mapping[str, float]) -> bytes:
        """The picture with the star at ``weights`` (the sliders), as PNG bytes."""
        import io

        from PIL import Image

        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        x, y = cell_position(self.result, weights)
        for star in self._stars:
            star.set_data([x], [y])
            star.axes.draw_artist(star)
        out = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(out, "png", compress_level=1)
        return out.getvalue()
