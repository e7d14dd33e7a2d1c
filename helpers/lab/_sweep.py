"""The result of a sweep over one head's loss weight: the trade-off picture."""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpers._render import png_bytes
from helpers._validate import check_int

from ._map_train import train_plans
from ._messages import diverged_text
from ._records import Run, check_lab_weights

__all__ = ["SweepResult", "run_sweep"]


def run_sweep(
    state: Any,
    train_copies: Callable[..., tuple[list, int]] | None,
    head: str,
    values: Sequence[float],
    *,
    weights: Mapping[str, float] | None,
    epochs: int | None,
    head_metrics: Mapping[str, str],
) -> SweepResult:
    """Retrain once per value of ``head``'s weight on ``state``; the sliders stay put.

    The runs train together (``train_copies``, as a map's do) or, for a model that
    cannot be stacked, one after another. Every plan is checked before any training;
    the finished runs join the runs table. Stop (or Reset) ends the whole sweep: runs
    trained together then all stop, and the result holds none of them.
    """
    if head not in state.heads:
        raise ValueError(f"head must be one of {list(state.heads)}; got {head!r}")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"values must be a non-empty list of weights, got {values!r}")
    base = check_lab_weights(weights or {}, state.heads, state.weights)
    plans = [check_lab_weights({head: v}, state.heads, base) for v in values]
    epochs = state.default_epochs["retrain"] if epochs is None else epochs
    epochs = check_int("epochs", epochs, low=1, high=100_000)
    what = f"Sweep over the {head} weight, {len(plans)} runs"

    def task(stop: Any, progress: Any) -> tuple[list, int, int, float]:
        started = time.perf_counter()
        metrics, done, finished = train_plans(
            state, train_copies, plans, epochs, stop, progress, what
        )
        return metrics, done, finished, time.perf_counter() - started

    metrics, done, finished, seconds = state.tasks.run("sweep", task, block=True)

    def make(plan: dict[str, float], scores: dict[str, float] | None):
        def run(number: int) -> Run:
            made = Run(number, "sweep", dict(plan), epochs)
            made.final_weights, made.epochs_run = dict(plan), done
            made.seconds = seconds / len(plans)
            if scores is None:
                made.status = "diverged"
                made.message = diverged_text(made, "the held-out loss is NaN")
            else:
                made.status, made.metrics = "done", dict(scores)
                made.message = f"Run {number} done: {done} epochs (a sweep's run)."
            return made

        return run

    for plan, scores in zip(plans[:finished], metrics[:finished], strict=True):
        state.tasks.record(make(plan, scores))
    state.set_message(
        f"{what}: done in {seconds:.1f} s; the sliders stay where they were."
        if finished == len(plans)
        else f"{what}: stopped; {finished} of {len(plans)} runs finished."
    )
    return SweepResult(
        head=head,
        values=[p[head] for p in plans[:finished]],
        others={h: base[h] for h in state.heads if h != head},
        results=[m if m is not None else {} for m in metrics[:finished]],
        head_metrics=dict(head_metrics),
    )


@dataclass
class SweepResult:
    """Held-out metrics of a sweep over one head's loss weight (the trade-off picture).

    Shown in a notebook as a figure: one panel per head, its held-out metric against the
    swept weight (log scale).
    """

    head: str
    values: list[float]
    others: dict[str, float]
    results: list[dict[str, float]]
    head_metrics: dict[str, str]

    def metric(self, head: str) -> list[float]:
        """Head ``head``'s held-out metric for each swept value (NaN for a failed run)."""
        key = self.head_metrics[head]
        return [r.get(key, math.nan) for r in self.results]

    def rows(self) -> list[dict[str, float]]:
        """One row per swept value: the weight, then each head's held-out metric."""
        return [
            {
                f"{self.head} weight": v,
                **{k: r.get(k, math.nan) for k in self.head_metrics.values()},
            }
            for v, r in zip(self.values, self.results, strict=True)
        ]

    @property
    def figure(self):
        """The trade-off figure (a :class:`matplotlib.figure.Figure`)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        heads = list(self.head_metrics)
        fig = Figure(figsize=(3.2 * len(heads), 2.7), dpi=80, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(heads), squeeze=False)[0]
        for i, (ax, h) in enumerate(zip(axes, heads, strict=True)):
            key = self.head_metrics[h]
            ax.plot(
                self.values,
                self.metric(h),
                marker="o",
                color=f"C{i}",
                lw=2 if h == self.head else 1.5,
            )
            ax.set_xscale("log")
            if len(set(self.values)) <= 8:  # every swept weight labelled (0.1-1 is one decade)
                ax.set_xticks(self.values, [f"{v:g}" for v in self.values])
                ax.minorticks_off()
            ax.set_xlabel(f"{self.head} loss weight", fontsize=9)
            ax.set_title(f"held-out {key.replace('_', ' ')}", fontsize=10)
            ax.grid(True, alpha=0.3)
            ax.tick_params(labelsize=8)
        others = ", ".join(f"{h}={w:.3g}" for h, w in self.others.items())
        fig.suptitle(f"Sweeping the {self.head} weight (others: {others})", fontsize=10)
        return fig

    def to_png(self) -> bytes:
        """Render the figure to PNG bytes."""
        return png_bytes(self.figure)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        return {
            "text/plain": repr(self),
            "image/png": base64.b64encode(self.to_png()).decode("ascii"),
        }

    def __repr__(self) -> str:
        return (
            f"<Sweep of the {self.head} loss weight over {len(self.values)} values; "
            f"held-out {', '.join(self.head_metrics.values())}>"
        )
