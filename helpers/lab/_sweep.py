"""The result of a sweep over one head's loss weight: the trade-off picture."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpers._render import png_bytes

from ._records import check_lab_weights

__all__ = ["SweepResult", "run_sweep"]


def run_sweep(
    state: Any,
    head: str,
    values: Sequence[float],
    *,
    weights: Mapping[str, float] | None,
    epochs: int | None,
    head_metrics: Mapping[str, str],
) -> SweepResult:
    """Retrain once per value of ``head``'s weight on ``state``; the sliders end as they began.

    Every plan is checked before any training. Stop (or Reset) ends the whole sweep; the
    result then holds the runs completed before it.
    """
    if head not in state.heads:
        raise ValueError(f"head must be one of {list(state.heads)}; got {head!r}")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"values must be a non-empty list of weights, got {values!r}")
    before = state.weights
    base = check_lab_weights(weights or {}, state.heads, before)
    plans = [check_lab_weights({head: v}, state.heads, base) for v in values]
    epochs = state.default_epochs["retrain"] if epochs is None else epochs
    results = []
    try:
        for index, plan in enumerate(plans, start=1):
            state.set_message(f"Sweep over the {head} weight: run {index} of {len(plans)} ...")
            run = state.run_blocking(plan, epochs, "sweep")
            if run.status == "stopped":
                break
            results.append(run.metrics if run.metrics is not None else {})
    finally:
        state.restore_weights(before)
    done = len(results)
    state.set_message(
        f"Sweep over the {head} weight: {done} runs done; the sliders are back where they were."
        if done == len(plans)
        else f"Sweep over the {head} weight stopped after {done} of {len(plans)} runs."
    )
    return SweepResult(
        head=head,
        values=[p[head] for p in plans[:done]],
        others={h: base[h] for h in state.heads if h != head},
        results=results,
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
