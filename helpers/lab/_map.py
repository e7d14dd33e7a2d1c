"""The trade-off map's result: every pair of two heads' weights and its held-out metrics.

``_map_train.run_map`` trains one copy of the lab's model per (x weight, y weight) pair,
all in one ``fit`` (:class:`~helpers.lab._copies.CopiesTrainer`), and returns a
:class:`MapResult`: each run's weights and held-out metrics, and a picture with one
panel per head over the plane (``_map_draw``). With Adam, scaling every weight by the
same factor changes little, so two ratios are most of what loss weights can say.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers._render import png_bytes

from ._records import check_lab_weights

__all__ = [
    "DEFAULT_VALUES",
    "MapResult",
    "better_is_higher",
    "check_map_values",
    "metric_label",
    "plane_point",
]

DEFAULT_VALUES = (0.01, 0.1, 1.0, 10.0, 100.0)
_HIGHER = ("accuracy", "auc", "precision", "recall", "f1")


def better_is_higher(key: str) -> bool:
    """Whether a larger value of the metric ``key`` is better (accuracy: yes; loss, MAE: no)."""
    return any(word in key for word in _HIGHER)


def metric_label(key: str) -> str:
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

    def front_picture(self, a: str, b: str) -> Any:
        """Head ``a``'s metric against ``b``'s for every run, the Pareto front joined.

        Shown in a notebook as a PNG; its ``figure`` is the matplotlib figure.
        """
        from ._map_draw import Picture, front_figure

        return Picture(front_figure(self, a, b))

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
            f"{metric_label(key)} {scores[key]:.3f}" for key in self.head_metrics.values()
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
        from ._map_draw import map_figure

        return map_figure(self)

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
