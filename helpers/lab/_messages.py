"""The texts a learner reads: status line, Balance's note, run messages, the runs table."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN

from ._methods import METHODS
from ._records import Run

__all__ = [
    "CODE_SHOWN",
    "CURVES_NOTE",
    "RESET",
    "RETIRED",
    "TOOLTIPS",
    "balance_text",
    "curves_caption",
    "diverged_text",
    "fmt",
    "lab_text",
    "limit_text",
    "map_text",
    "method_text",
    "run_how",
    "runs_table",
    "started_text",
    "status_line",
    "table_html",
    "weight_text",
]

CODE_SHOWN = "The last run as one cell of plain Keras: copy it into a new cell and run it."
CURVES_NOTE = "curves: training data · runs table: held-out data"
RESET = "Reset: sliders and model are back at the start; earlier runs stay in the table."
RETIRED = (
    "This lab was replaced: the cell that made it ran again and made a new lab. Run the "
    "cell that shows the lab again to see the new one; this one can no longer train."
)

TOOLTIPS = {  # the lab's controls, by name
    "retrain": "every Train starts from the same initial weights",
    "live": "sliders change the running model's loss weights from the next epoch",
    "method": "who chooses the loss weights when you press Train",
    "train": "train with the sliders' weights",
    "stop": "stop: the epoch in progress ends early",
    "reset": "sliders and model back to the start",
    "balance": "weights that give every head an equal share of the initial loss",
    "code": "the last run as one cell of plain Keras",
    "map": "train a 5 x 5 map of the last two heads' weights (the others as the sliders are),"
    " all runs together; then a slider move reads the nearest mapped run",
}


def fmt(value: float) -> str:
    """A weight as the lab shows it: three significant digits."""
    return f"{value:.3g}"


def lab_text(heads: Sequence[str]) -> str:
    """The lab in plain text, where its widgets cannot show (outside Jupyter)."""
    return (
        f"Loss-weight lab for the heads {', '.join(heads)}: weight sliders, "
        "Train / Stop / Reset / Balance, live curves and a table of runs "
        "(run the notebook in Jupyter to use it)."
    )


def diverged_text(run: Run, what: str) -> str:
    """The message of a run whose loss became NaN or infinite."""
    return (
        f"Run {run.number} diverged at epoch {max(run.epochs_run, 1)}: {what}. The model is "
        "back at its initial weights; lower the largest loss weight (or the learning rate) "
        "and train again."
    )


def run_how(run: Run) -> str:
    """A run's mode, and the method if one chose its weights: ``"retrain · dwa"``."""
    return f"{run.mode} · {run.method}" if METHODS[run.method].chooses_weights else run.mode


def curves_caption(run: Run) -> str:
    """The line under the curves' legend: which run they show, and on what data."""
    return f"run {run.number} ({run_how(run)}) · {CURVES_NOTE}"


def started_text(run: Run, live: bool) -> str:
    """The message when a run starts."""
    hint = " Move a slider to change the weights from the next epoch." if live else ""
    return f"Run {run.number} ({run_how(run)}) is training {run.epochs} epochs.{hint}"


def method_text(method: str, epochs: int) -> str:
    """What choosing a method in the weights menu does to the Train button."""
    if not METHODS[method].chooses_weights:
        return "The sliders choose the weights: Train uses the mode and epochs shown."
    return (
        f"{METHODS[method].label} chooses the weights while it trains: Train retrains "
        f"{epochs} epochs, starting every head at 1."
    )


def limit_text(head: str, value: float) -> str:
    """Why a slider stopped at its end (a typed 1000, 0 or -1 lands there too)."""
    return (
        f"The {head} weight is {fmt(value)}, the sliders' limit: they go from "
        f"{WEIGHT_MIN:g} to {WEIGHT_MAX:g}. Only the ratios between heads matter, so "
        "scale the other heads' weights instead."
    )


def status_line(
    in_use: Mapping[str, float], heads: Sequence[str], run: Run | None, epoch: int, done: bool
) -> str:
    """The lab's status line: the loss weights in use, and a run's progress or end."""
    text = "loss weights in use: " + ", ".join(f"{h}={fmt(in_use[h])}" for h in heads)
    if run is None:
        return text
    state = run.status if done else f"epoch {epoch}/{run.epochs}"
    return f"{text} · run {run.number} ({run_how(run)}): {state}"


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


def map_text(result: Any) -> str:
    """What a finished (or stopped) map holds, and how to read it."""
    holes = sum(m is None for m in result.metrics)
    hole_text = f", {holes} diverged (holes)" if holes else ""
    ended = f"stopped after epoch {result.epochs}" if result.stopped else "done"
    return (
        f"Map {ended}: {len(result.weights)} runs in {result.seconds:.1f} s{hole_text}. "
        "Move a slider to read the nearest mapped run; Train runs the exact setting."
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


def table_html(runs: Sequence[Run], heads: Sequence[str], head_metrics: Mapping[str, str]) -> str:
    """The runs table, newest run first, in a box that scrolls after about six rows."""
    if not runs:
        return "<i>No runs yet: press Train.</i>"
    rows = runs_table(runs, heads, head_metrics)
    metric_cols = list(head_metrics.values())
    head = "".join(
        f"<th>{html.escape(c)}</th>"
        for c in ["run", "mode", *(f"weight {h}" for h in heads), *metric_cols, "status"]
    )
    body = []
    for run, row in reversed(list(zip(runs, rows, strict=True))):
        cells = [str(row["run"]), run_how(run), *(weight_text(run, h) for h in heads)]
        cells += ["–" if math.isnan(row[c]) else f"{row[c]:.3f}" for c in metric_cols]
        cells.append(row["status"])
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<style>.lw-runs-table th, .lw-runs-table td {padding: 1px 10px; text-align: right;"
        " white-space: nowrap}"
        " .lw-runs-table th {border-bottom: 1px solid #999; position: sticky; top: 0;"
        " background: var(--jp-layout-color1, white)}</style>"
        "<div>Runs, newest first (metrics on held-out data):</div>"
        '<div class="lw-runs-scroll" style="max-height: 12em; overflow-y: auto">'
        '<table class="lw-runs-table" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
