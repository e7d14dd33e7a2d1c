"""The texts a learner reads: the status line, Balance's explanation, run messages, rows."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ._records import Run

__all__ = ["balance_text", "diverged_text", "fmt", "runs_table", "status_line", "weight_text"]


def fmt(value: float) -> str:
    """A weight as the lab shows it: three significant digits."""
    return f"{value:.3g}"


def diverged_text(run: Run, what: str) -> str:
    """The message of a run whose loss became NaN or infinite."""
    return (
        f"Run {run.number} diverged at epoch {max(run.epochs_run, 1)}: {what}. The model is "
        "back at its initial weights; lower the largest loss weight (or the learning rate) "
        "and train again."
    )


def status_line(
    in_use: Mapping[str, float], heads: Sequence[str], run: Run | None, epoch: int, done: bool
) -> str:
    """The lab's status line: the loss weights in use, and a run's progress or end."""
    text = "loss weights in use: " + ", ".join(f"{h}={fmt(in_use[h])}" for h in heads)
    if run is None:
        return text
    state = run.status if done else f"epoch {epoch}/{run.epochs}"
    return f"{text} · run {run.number} ({run.mode}): {state}"


def balance_text(losses: Mapping[str, float], weights: Mapping[str, float]) -> str:
    """What Balance says it did: the initial losses, the weights, the equal shares."""
    shares = {h: weights[h] * losses[h] for h in losses}
    spread = max(shares.values()) / min(shares.values())
    share_text = (
        "so every head starts with the same share of the total "
        f"({fmt(next(iter(shares.values())))} each)"
        if spread < 1.01
        else "clipped to the sliders' range, so the shares are only nearly equal"
    )
    return (
        "Balance: at the initial weights the losses are "
        + ", ".join(f"{h} {v:.3g}" for h, v in losses.items())
        + "; weights "
        + ", ".join(f"{h} {weights[h]:.3g}" for h in losses)
        + f" make each weighted loss equal, {share_text}."
    )


def weight_text(run: Run, head: str) -> str:
    """A head's weight in a run: ``"1.69"``, or ``"1.69 → 100 (epoch 11)"`` if it changed."""
    text = fmt(run.weights[head])
    value = run.weights[head]
    if len(run.weight_changes) > 2:
        last = run.weight_changes[-1][1][head]
        return f"{text} → {fmt(last)} ({len(run.weight_changes)} changes)"
    for epoch, weights in run.weight_changes:
        if weights[head] != value:
            value = weights[head]
            text += f" → {fmt(value)} (epoch {epoch})"
    return text


def runs_table(
    runs: Sequence[Run], heads: Sequence[str], head_metrics: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The runs table as rows, oldest first: number, mode, status, weights, metrics.

    ``"weight <head>"`` is the weight the run started with; ``"weight changes"`` lists
    live changes as ``[(epoch, weights), ...]``.
    """
    rows = []
    for run in runs:
        row: dict[str, Any] = {"run": run.number, "mode": run.mode, "status": run.status}
        for h in heads:
            row[f"weight {h}"] = run.weights[h]
        row["weight changes"] = [(e, dict(w)) for e, w in run.weight_changes]
        for key in head_metrics.values():
            row[key] = run.metrics.get(key, math.nan) if run.metrics else math.nan
        rows.append(row)
    return rows
