"""The trade-off map: every pair of two heads' weights, trained together, and its picture.

:func:`run_map` trains one copy of the lab's model per (x weight, y weight) pair, all in
one ``fit`` (:class:`~helpers.lab._copies.CopiesTrainer`), and returns a
:class:`MapResult`: each run's weights and held-out metrics, and a picture with one
panel per head over the plane. With Adam, scaling every weight by the same factor
changes little, so two ratios are most of what loss weights can say: the map's plane.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers._render import png_bytes
from helpers._validate import check_int

from ._records import Run, RunRequest, check_lab_weights

__all__ = [
    "DEFAULT_VALUES",
    "MapResult",
    "better_is_higher",
    "check_map_values",
    "plane_point",
    "run_map",
    "train_plans",
]

DEFAULT_VALUES = (0.01, 0.1, 1.0, 10.0, 100.0)
_HIGHER = ("accuracy", "auc", "precision", "recall", "f1")


def better_is_higher(key: str) -> bool:
    """Whether a larger value of the metric ``key`` is better (accuracy: yes; loss, MAE: no)."""
    return any(word in key for word in _HIGHER)


def _label(key: str) -> str:
    """A metric key as a label: ``age_mae`` -> ``age MAE``."""
    words = key.split("_")
    return " ".join(w.upper() if w in ("mae", "mse", "auc") else w for w in words)


def check_map_values(values: Any, heads: Sequence[str], x: str, y: str) -> list[float]:
    """The map's weights, checked: at least two, distinct, increasing, in the sliders' range."""
    for name, head in (("x", x), ("y", y)):
        if head not in heads:
            raise ValueError(f"{name} must be one of the heads {list(heads)}; got {head!r}")
    if x == y:
        raise ValueError(f"x and y must be two different heads; got {x!r} twice")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) < 2:
        raise ValueError(
            f"values must be a list of at least two weights, got {values!r}; "
            "for example values=(0.01, 0.1, 1, 10, 100)"
        )
    checked = [check_lab_weights({x: v}, heads, dict.fromkeys(heads, 1.0))[x] for v in values]
    if sorted(set(checked)) != checked:
        raise ValueError(f"values must be distinct and increasing, got {list(values)}")
    return checked


def plane_point(weights: Mapping[str, float], x: str, y: str) -> tuple[float, float]:
    """Where ``weights`` sit on the plane: log10 of x's and y's weight over the others'.

    The others' weight is their geometric mean (1 for the map's own runs when the other
    heads are at 1), so weights that differ by a common factor land on the same point.
    """
    others = [math.log10(w) for h, w in weights.items() if h not in (x, y)]
    base = sum(others) / len(others) if others else 0.0
    return math.log10(weights[x]) - base, math.log10(weights[y]) - base


@dataclass
class MapResult:
    """A trade-off map: one run per (x weight, y weight), held-out metrics, a picture.

    Attributes
    ----------
    x, y : str
        The heads whose weights the map's axes are.
    values : list of float
        The weights each axis takes.
    others : dict of str to float
        The other heads' weights in every run.
    weights : list of dict
        One dict per run: the loss weights of every head. Run ``i * len(values) + j``
        has x at ``values[i]`` and y at ``values[j]``.
    metrics : list of dict or None
        Each run's held-out metrics, named as ``evaluate(..., return_dict=True)`` names
        them; None where the run's loss became NaN or infinite (a hole in the picture).
    head_metrics : dict of str to str
        Each head's metric, the one its panel shows.
    seconds : float
        Wall time of the whole map, from the request to the held-out metrics.
    epochs : int
        Epochs each run trained (fewer than asked after a Stop).
    stopped : bool
        Whether Stop ended the map early; its metrics are then those after ``epochs``.
    together : bool
        Whether the runs trained together (stacked copies) or one after another.
    """

    x: str
    y: str
    values: list[float]
    others: dict[str, float]
    weights: list[dict[str, float]]
    metrics: list[dict[str, float] | None]
    head_metrics: dict[str, str]
    seconds: float
    epochs: int
    stopped: bool = False
    together: bool = True
    marks: list[dict[str, float]] = field(default_factory=list)  # the table's runs
    labels: list[str] = field(default_factory=list)  # a name for each mark, or none
    current: dict[str, float] | None = None  # the sliders' weights, marked on the picture

    def grid(self, head: str) -> np.ndarray:
        """Head ``head``'s held-out metric as a ``(len(values), len(values))`` array.

        Rows are y's weights, columns x's (``grid[j, i]``: x at ``values[i]``, y at
        ``values[j]``), NaN for a hole.
        """
        key = self.head_metrics[head]
        n = len(self.values)
        out = np.full((n, n), np.nan)
        for index, scores in enumerate(self.metrics):
            if scores is not None:
                out[index % n, index // n] = scores.get(key, np.nan)
        return out

    def span(self, head: str) -> float:
        """How far head ``head``'s metric moves across the map (max minus min, holes left out)."""
        values = self.grid(head)
        return float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() else 0.0

    def nearest(self, weights: Mapping[str, float]) -> int:
        """The index of the mapped run whose weight ratios are nearest ``weights``'."""
        px, py = plane_point(weights, self.x, self.y)
        distances = []
        for run in self.weights:
            rx, ry = plane_point(run, self.x, self.y)
            distances.append((rx - px) ** 2 + (ry - py) ** 2)
        return int(np.argmin(distances))

    def pareto(self, a: str, b: str) -> list[int]:
        """The runs on the Pareto front of heads ``a`` and ``b`` (none of them dominated).

        A run is dominated when another is at least as good on both heads' metrics and
        better on one. Holes are left out. Returned best on ``a`` first.
        """
        points = self._pairs(a, b)
        front = []
        for i, (pa, pb) in points.items():
            dominated = any(
                qa >= pa and qb >= pb and (qa > pa or qb > pb)
                for j, (qa, qb) in points.items()
                if j != i
            )
            if not dominated:
                front.append(i)
        return sorted(front, key=lambda i: -points[i][0])

    def front_picture(self, a: str, b: str) -> Picture:
        """Head ``a``'s metric against ``b``'s for every run, the Pareto front joined.

        Shown in a notebook as a PNG; its ``figure`` is the matplotlib figure.
        """
        return Picture(self._front_figure(a, b))

    def _front_figure(self, a: str, b: str):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        ka, kb = self.head_metrics[a], self.head_metrics[b]
        fig = Figure(figsize=(6.4, 4.4), dpi=90, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        front = self.pareto(a, b)
        for index, scores in enumerate(self.metrics):
            if scores is None:
                continue
            on = index in front
            ax.plot(scores[ka], scores[kb], "o", ms=7 if on else 5, color="C3" if on else "0.6")
            w = self.weights[index]
            ax.annotate(
                f"{w[self.x]:g}/{w[self.y]:g}", (scores[ka], scores[kb]), xytext=(4, 3),
                textcoords="offset points", fontsize=7, color="C3" if on else "0.45",
            )  # fmt: skip
        ax.plot([self.metrics[i][ka] for i in front], [self.metrics[i][kb] for i in front], "-",
                color="C3", lw=1, label="Pareto front (no run beats these on both)")  # fmt: skip
        ax.set_xlabel(f"held-out {_label(ka)} ({'higher' if better_is_higher(ka) else 'lower'}"
                      " is better)", fontsize=9)  # fmt: skip
        ax.set_ylabel(f"held-out {_label(kb)} ({'higher' if better_is_higher(kb) else 'lower'}"
                      " is better)", fontsize=9)  # fmt: skip
        ax.set_title(f"Every mapped run, labelled {self.x} weight / {self.y} weight", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
        ax.grid(True, alpha=0.3)
        return fig

    def _pairs(self, a: str, b: str) -> dict[int, tuple[float, float]]:
        """Each run's (a, b) metrics, signed so that larger is better on both."""
        ka, kb = self.head_metrics[a], self.head_metrics[b]
        sa = 1 if better_is_higher(ka) else -1
        sb = 1 if better_is_higher(kb) else -1
        return {
            i: (sa * m[ka], sb * m[kb])
            for i, m in enumerate(self.metrics)
            if m is not None and math.isfinite(m[ka]) and math.isfinite(m[kb])
        }

    def rows(self) -> list[dict[str, float]]:
        """One row per run: its x and y weights, then each head's held-out metric."""
        rows = []
        for w, m in zip(self.weights, self.metrics, strict=True):
            row = {f"{self.x} weight": w[self.x], f"{self.y} weight": w[self.y]}
            for key in self.head_metrics.values():
                row[key] = math.nan if m is None else m.get(key, math.nan)
            rows.append(row)
        return rows

    def point_text(self, weights: Mapping[str, float]) -> str:
        """One line: the mapped run nearest ``weights`` and its held-out numbers."""
        index = self.nearest(weights)
        run, scores = self.weights[index], self.metrics[index]
        where = ", ".join(f"{h} {run[h]:g}" for h in run)
        if scores is None:
            return f"Map point nearest the sliders ({where}): that run diverged (a hole)."
        numbers = " · ".join(
            f"{_label(key)} {scores[key]:.3f}" for key in self.head_metrics.values()
        )
        return (
            f"Map point nearest the sliders ({where}): held-out {numbers}. "
            "From the map, not trained now; Train runs the sliders' exact setting."
        )

    def with_marks(
        self,
        current: Mapping[str, float] | None,
        marks: Sequence[Mapping[str, float]] | Mapping[str, Mapping[str, float]] = (),
    ) -> MapResult:
        """The same map, marking ``current`` (the sliders) and ``marks``.

        ``marks``: weights to circle (the table's runs), or a dict of name to weights,
        each circled and named on the picture.
        """
        import dataclasses

        labels = list(marks) if isinstance(marks, Mapping) else []
        points = list(marks.values()) if isinstance(marks, Mapping) else list(marks)
        return dataclasses.replace(
            self,
            current=None if current is None else dict(current),
            marks=[dict(m) for m in points],
            labels=labels,
        )

    @property
    def figure(self):
        """The map (a :class:`matplotlib.figure.Figure`): one panel per head."""
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        heads = list(self.head_metrics)
        n = len(self.values)
        fig = Figure(figsize=(3.3 * len(heads), 3.3), dpi=90, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(heads), squeeze=False)[0]
        labels = [f"{v:g}" for v in self.values]
        for ax, head in zip(axes, heads, strict=True):
            key = self.head_metrics[head]
            grid = self.grid(head)
            higher = better_is_higher(key)
            cmap = colormaps["viridis" if higher else "viridis_r"].with_extremes(bad="0.85")
            image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", cmap=cmap)
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
            ax.set_xlabel(f"{self.x} loss weight", fontsize=9)
            ax.set_ylabel(f"{self.y} loss weight", fontsize=9)
            arrow = "higher" if higher else "lower"
            title = f"held-out {_label(key)}\n(yellow = better: {arrow})"
            ax.set_title(title, fontsize=9)
            for index, mark in enumerate(self.marks):
                px, py = self._position(mark)
                ax.plot(px, py, "o", ms=6, mfc="none", mec="red", mew=1.5)
                if index < len(self.labels):
                    ax.annotate(
                        self.labels[index], (px, py), xytext=(4, -9), textcoords="offset points",
                        fontsize=7, color="red", fontweight="bold",
                    )  # fmt: skip
            if self.current is not None:
                ax.plot(*self._position(self.current), "*", ms=13, mfc="red", mec="white")
        others = ", ".join(f"{h} {w:g}" for h, w in self.others.items())
        how = "trained together" if self.together else "trained one after another"
        stopped = f", stopped after epoch {self.epochs}" if self.stopped else ""
        fig.suptitle(
            f"Trade-off map: {len(self.weights)} runs of {self.epochs} epochs ({how}{stopped};"
            f" others: {others})\nred star: the sliders · red circles: runs in the table"
            " · grey: diverged",
            fontsize=9,
        )
        return fig

    def _position(self, weights: Mapping[str, float]) -> tuple[float, float]:
        """``weights`` in the picture's cell coordinates (log scale between the cells)."""
        logs = np.log10(self.values)
        px, py = plane_point(weights, self.x, self.y)
        ox, oy = plane_point({**self.others, self.x: 1.0, self.y: 1.0}, self.x, self.y)
        index = np.arange(len(self.values))
        return (
            float(np.interp(px - ox, logs, index)),
            float(np.interp(py - oy, logs, index)),
        )

    def to_png(self) -> bytes:
        """Render the figure to PNG bytes."""
        return png_bytes(self.figure)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        return {
            "text/plain": repr(self),
            "image/png": base64.b64encode(self.to_png()).decode("ascii"),
        }

    def __repr__(self) -> str:
        holes = sum(m is None for m in self.metrics)
        return (  # no seconds: a notebook's saved output must not change between runs
            f"<Trade-off map of the {self.x} and {self.y} weights: {len(self.weights)} runs "
            f"of {self.epochs} epochs, {holes} holes>"
        )


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
        x, y = self.result._position(weights)
        for star in self._stars:
            star.set_data([x], [y])
            star.axes.draw_artist(star)
        out = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(out, "png", compress_level=1)
        return out.getvalue()


def run_map(
    state: Any,
    train_copies: Callable[..., tuple[list, int]] | None,
    x: str,
    y: str,
    values: Sequence[float],
    *,
    weights: Mapping[str, float] | None,
    epochs: int | None,
    head_metrics: Mapping[str, str],
) -> Callable[[], MapResult]:
    """Check a map's arguments; return the function that trains it and returns its result."""
    heads = state.heads
    values = check_map_values(values, heads, x, y)
    base = check_lab_weights(weights or {}, heads, state.weights)
    plans = [check_lab_weights({x: vx, y: vy}, heads, base) for vx in values for vy in values]
    epochs = state.default_epochs["retrain"] if epochs is None else epochs
    epochs = check_int("epochs", epochs, low=1, high=100_000)
    others = {h: base[h] for h in heads if h not in (x, y)}

    def train(stop: Any, progress: Callable[[str], None]) -> MapResult:
        started = time.perf_counter()
        metrics, done, _ = train_plans(
            state, train_copies, plans, epochs, stop, progress, f"Map of {len(plans)} runs"
        )
        return MapResult(
            x=x,
            y=y,
            values=values,
            others=others,
            weights=plans,
            metrics=metrics,
            head_metrics=dict(head_metrics),
            seconds=time.perf_counter() - started,
            epochs=done,
            stopped=stop.is_set(),
            together=train_copies is not None,
        )

    return train


def train_plans(
    state: Any,
    train_copies: Callable[..., tuple[list, int]] | None,
    plans: list[dict[str, float]],
    epochs: int,
    stop: Any,
    progress: Callable[[str], None],
    what: str,
) -> tuple[list[dict[str, float] | None], int, int]:
    """Train every plan: together when the model stacks, else one retrain after another.

    Returns ``(metrics, epochs_run, finished)``: held-out metrics per plan (None for a
    diverged or unfinished run), the epochs of the last run, and how many runs finished
    (after a Stop: none of the runs trained together; those before it, one by one).
    """
    if train_copies is not None:

        def epoch_done(epoch: int) -> None:
            progress(f"{what}, trained together: epoch {epoch} of {epochs} ...")

        progress(f"{what}, trained together: starting ...")
        metrics, done = train_copies(plans, epochs, stop=stop, progress=epoch_done)
        return metrics, done, 0 if stop.is_set() and done < epochs else len(plans)
    metrics: list[dict[str, float] | None] = []
    for index, plan in enumerate(plans, start=1):
        progress(f"{what}, one after another: run {index} of {len(plans)} ...")
        scores = _one_run(state.trainer, plan, epochs, stop)
        if stop.is_set():
            break
        metrics.append(scores)
    finished = len(metrics)
    return metrics + [None] * (len(plans) - finished), epochs, finished


class _NoHooks:
    """The hooks of a run nobody watches: no live weights, no progress."""

    def take_pending(self) -> None:
        return None

    def epoch_begun(self, run: Run, epoch: int) -> None:
        pass

    def epoch_ended(self, run: Run) -> None:
        pass


def _one_run(trainer: Any, plan: dict[str, float], epochs: int, stop: Any) -> dict | None:
    """One undrawn retrain at ``plan`` (for a model that cannot be stacked)."""
    request = RunRequest(dict(plan), epochs, "retrain", False)
    request.stop = stop  # the map's Stop ends this run too
    run = Run(0, "retrain", dict(plan), epochs)
    trainer.run(request, run, _NoHooks())
    return run.metrics if run.status == "done" else None
