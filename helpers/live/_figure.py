"""The live plot's matplotlib figure: built once per panel plan, updated in place.

Object-oriented matplotlib only (a :class:`~matplotlib.figure.Figure` with its own Agg
canvas): pyplot's global list of figures is never touched, so nothing leaks between
cells and any thread may render under :data:`helpers._render.RENDER_LOCK`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator, ScalarFormatter

from helpers._glyph_cache import GlyphCacheCanvas
from helpers._render import RENDER_LOCK, canvas_png
from helpers._validate import check_choice

from ._history import LossHistory
from ._options import LEGEND_PLACES
from ._panels import Panel, title_with_latest

__all__ = ["PanelFigure"]

_BACKGROUNDS_KEPT = 4  # epoch ranges whose still parts are kept (a retrain's, a live run's)

_TITLE_PAD_PT = 6.0  # matplotlib's default gap between a title and its axes
_LEGEND_ROW_PT = 13.0  # one row of 7-point legend entries, with its padding


class PanelFigure:
    """A grid of loss and metric panels drawn from a :class:`LossHistory`.

    Parameters
    ----------
    panels : tuple of Panel
        What to draw, from :func:`helpers.live._panels.plan_panels`.
    columns : int or None
        Panels per row; by default 1-3 (2 for four panels).
    panel_size : (float, float)
        Width and height of one panel, in inches.
    dpi : int
        Resolution of rendered frames.
    log_scale : bool
        Logarithmic y axis on loss panels.
    validation : bool
        Whether the legend explains dashed validation curves.
    caption : str
        A line under the legend (for example where held-out results are shown).
    legend : {"inside", "above"}
        Where a panel with several named curves puts its legend: in the axes' upper
        right corner, or on one row between the panel's title and its axes, where it
        never covers a curve (the figure grows by that row).
    """

    def __init__(
        self,
        panels: tuple[Panel, ...],
        *,
        columns: int | None,
        panel_size: tuple[float, float],
        dpi: int,
        log_scale: bool,
        validation: bool,
        caption: str = "",
        legend: str = "inside",
    ) -> None:
        check_choice("legend", legend, LEGEND_PLACES)
        self.panels = panels
        count = len(panels)
        columns = columns or (2 if count == 4 else min(count, 3))
        rows = math.ceil(count / columns)
        width, height = panel_size
        # A legend above its axes lifts the titles of its row of panels by one legend row.
        lifted = {i // columns for i, p in enumerate(panels) if p.legend and legend == "above"}
        row = _LEGEND_ROW_PT / 72 if lifted else 0.0  # inches
        top_margin = 0.45 + (0.2 if caption else 0.0)  # inches for the legend (and caption)
        total = rows * height + top_margin + rows * row
        fig = Figure(figsize=(columns * width, total), dpi=dpi, layout=None)
        GlyphCacheCanvas(fig)  # text, most of a frame, drawn from kept glyphs
        # Each gap between rows grows by the legend row: hspace is a share of axes height.
        axes_height = max((rows * height - 0.75) / (rows + 0.62 * (rows - 1)), 0.1)
        fig.subplots_adjust(
            left=0.55 / (columns * width),
            right=1 - 0.15 / (columns * width),
            bottom=0.5 / total,
            top=1 - (top_margin + 0.25 + row) / total,
            wspace=0.32,
            hspace=0.62 + row / axes_height,
        )
        handles = [Line2D([], [], color="0.3", linestyle="-", label="training")]
        if validation:
            handles.append(Line2D([], [], color="0.3", linestyle="--", label="validation"))
        fig.legend(handles=handles, loc="upper center", ncols=2, frameon=False, fontsize=9)
        self.caption = None  # the caption's Text, kept to follow a new caption
        if caption:
            self.caption = fig.text(
                0.5,
                1 - 0.42 / (rows * height + top_margin),
                caption,
                ha="center",
                va="top",
                fontsize=8,
                color="0.35",
            )

        self._legend_over_curves = legend == "inside"  # else it is still, above its axes
        self._artists: list[tuple[Any, Panel, list[Line2D], float]] = []
        for index, panel in enumerate(panels):
            ax = fig.add_subplot(rows, columns, index + 1)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.tick_params(labelsize=8)
            ax.grid(True, alpha=0.3)
            # The value axis has no label: a fixed place for it spares matplotlib a search
            # through every panel's tick labels for one, in each frame.
            ax.yaxis.set_label_coords(-0.1, 0.5)
            if panel.is_loss and log_scale:
                ax.set_yscale("log", nonpositive="mask")
                # Plain tick labels: the default mathtext ones (10^-1) cost more to draw than
                # the rest of the frame. The locator is picked per frame in sync().
                ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
                ax.yaxis.set_minor_locator(NullLocator())
            if index >= count - columns:
                ax.set_xlabel("epoch", fontsize=8)
            else:  # every panel shares the epochs: label them once, under the bottom row
                ax.tick_params(labelbottom=False)
            lines = [
                ax.plot([], [], color=s.color, linestyle=s.linestyle, label=s.label, lw=1.5)[0]
                for s in panel.series
            ]
            if panel.legend and legend == "above":
                ax.legend(
                    fontsize=7,
                    loc="lower center",
                    bbox_to_anchor=(0.5, 1.0),
                    ncols=len(lines),
                    frameon=False,
                    borderaxespad=0.2,
                    handlelength=1.0,
                    handletextpad=0.4,
                    columnspacing=0.8,
                )
            elif panel.legend:
                # Upper right, where falling curves rarely are: "best" searches every frame.
                ax.legend(fontsize=7, loc="upper right", framealpha=0.8, handlelength=1.5)
            pad = _TITLE_PAD_PT + (_LEGEND_ROW_PT if index // columns in lifted else 0.0)
            self._artists.append((ax, panel, lines, pad))
        self.figure = fig
        # The still parts of a frame (figure legend, panels' backgrounds, epoch axes),
        # rendered once per epoch range: {(canvas size, x limits): Agg buffer region}.
        self._backgrounds: dict[tuple, Any] = {}

    def sync(self, history: LossHistory, planned_epochs: int | None, caption: str = "") -> None:
        """Bring every curve, axis range, title and the caption up to date with ``history``."""
        with RENDER_LOCK:
            if self.caption is not None and self.caption.get_text() != caption:
                self.caption.set_text(caption)
            x = np.asarray(history.epochs, dtype=float)
            right = max(planned_epochs or 0, int(x[-1]) if len(x) else 1, 2)
            marker = "." if len(x) <= 30 else ""
            for ax, panel, lines, pad in self._artists:
                if ax.get_xlim() != (1.0, right):
                    ax.set_xlim(1, right)
                for series, line in zip(panel.series, lines, strict=True):
                    line.set_data(x, history.series(series.key))
                    line.set_marker(marker)
                ax.relim()
                ax.autoscale_view(scalex=False)
                if ax.get_yscale() == "log":
                    _pick_log_ticks(ax)
                # A fixed y skips matplotlib's search for a title place clear of top tick labels
                # (there are none): a fifth of each frame's drawing time.
                ax.set_title(title_with_latest(panel, history), fontsize=9, y=1.0, pad=pad)

    def to_png(self) -> bytes:
        """Render the figure to PNG bytes, drawing only what changes from frame to frame.

        What stays the same while the epoch range does (the figure legend, each panel's
        background, epoch axis and grid, and panel legends above their axes) is rendered
        once and kept. A frame puts it back and draws over it, in matplotlib's own order,
        what :meth:`sync` changes: value axes, curves, spines, titles, legends inside the
        axes and the caption. The pixels equal a full redraw's; a frame costs about two
        thirds of one.
        """
        with RENDER_LOCK:
            canvas = self.figure.canvas
            changing = self._changing_artists()
            key = (canvas.get_width_height(), tuple(ax.get_xlim() for ax, *_ in self._artists))
            background = self._backgrounds.get(key)
            if background is None:
                for artist in changing:
                    artist.set_animated(True)  # left out of a full draw
                try:
                    canvas.draw()
                finally:
                    for artist in changing:
                        artist.set_animated(False)
                if len(self._backgrounds) >= _BACKGROUNDS_KEPT:
                    self._backgrounds.pop(next(iter(self._backgrounds)))
                self._backgrounds[key] = canvas.copy_from_bbox(self.figure.bbox)
            else:
                canvas.restore_region(background)
            renderer = canvas.get_renderer()
            for artist in changing:
                artist.draw(renderer)
            return canvas_png(self.figure)

    def _changing_artists(self) -> list[Any]:
        """What :meth:`sync` changes, in the order a full draw paints it."""
        changing = []
        for ax, _, lines, _ in self._artists:
            parts = {id(a) for a in (ax.yaxis, *lines, *ax.spines.values(), ax.title)}
            if ax.legend_ is not None and self._legend_over_curves:  # drawn over the curves
                parts.add(id(ax.legend_))
            # Axes.draw paints its children sorted by zorder, in get_children() order.
            children = sorted(ax.get_children(), key=lambda a: a.get_zorder())
            changing += [a for a in children if id(a) in parts]
        if self.caption is not None:  # the figure paints its texts after every panel
            changing.append(self.caption)
        return changing


def _pick_log_ticks(ax: Any) -> None:
    """Ticks at 1, 2, 5 x 10^k over wide ranges, evenly spaced ones over narrow ranges."""
    low, high = ax.get_ylim()
    if low > 0 and high / low >= 4:
        subs = (1.0, 2.0, 5.0) if high / low < 1e3 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(subs=subs, numticks=6))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
