"""The lab's records and messages: runs, requests and the seams between the parts.

Pure Python (no Keras, no widgets, no threads): what a run is, what a request asks for,
what the trainer, the state and a view may call on each other, and the texts a learner
reads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from helpers.lossweights import check_loss_weights

__all__ = [
    "MODES",
    "SLIDER_MAX",
    "SLIDER_MIN",
    "LabDivergedError",
    "LabListener",
    "Run",
    "RunHooks",
    "RunRequest",
    "TrainerLike",
    "balance_text",
    "status_line",
    "check_lab_weights",
    "diverged_text",
    "fmt",
    "runs_table",
]

SLIDER_MIN = 0.001
SLIDER_MAX = 100.0
MODES = ("retrain", "live")
Kind = Literal["retrain", "live", "sweep"]


class LabDivergedError(RuntimeError):
    """A blocking run's loss became NaN or infinite; the lab is reset and still usable."""


@dataclass
class Run:
    """One training run of the lab, as the runs table shows it.

    Attributes
    ----------
    number : int
        1 for the lab's first run, then counting up.
    mode : str
        ``"retrain"``, ``"live"`` or ``"sweep"``.
    method : str
        Who chose the weights: ``"manual"`` (the learner), ``"uncertainty"``, ``"dwa"``
        or ``"gradnorm"`` (see :mod:`helpers.lab._methods`).
    weights : dict of str to float
        The loss weights the run started with.
    epochs : int
        Epochs asked for.
    final_weights : dict of str to float
        The loss weights in use at its last epoch (differ from ``weights`` in live mode
        when a slider moved).
    weight_changes : list of (int, dict)
        Live mode: the epoch (1-based) from which new weights applied, and the weights.
    weight_history : list of dict
        The loss weights the total loss used at each epoch, one dict per epoch (for
        uncertainty weighting, ``exp(-s)`` clipped to the sliders' 0.001 to 100; its
        loss uses the unclipped value).
    epochs_run : int
        Epochs completed.
    status : str
        ``"running"``, ``"done"``, ``"stopped"``, ``"diverged"``, ``"failed"`` or
        ``"interrupted"``.
    metrics : dict of str to float or None
        Held-out results, named as ``model.evaluate(..., return_dict=True)`` names them;
        None when the run diverged or failed.
    history : dict of str to list of float
        Every epoch's training logs, plus ``"weight/<head>"`` for the weights in use.
    message : str
        One line for the learner: how the run ended.
    seconds : float
        Wall time from the request to the held-out results.
    first_point_seconds : float or None
        Wall time from the request to the first frame with a curve point.
    epoch_seconds : list of float
        Wall time of each epoch's training steps (drawing not included).
    """

    number: int
    mode: str
    weights: dict[str, float]
    epochs: int
    method: str = "manual"
    final_weights: dict[str, float] = field(default_factory=dict)
    weight_changes: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    weight_history: list[dict[str, float]] = field(default_factory=list)
    epochs_run: int = 0
    status: str = "running"
    metrics: dict[str, float] | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    first_point_seconds: float | None = None
    epoch_seconds: list[float] = field(default_factory=list)
    error: BaseException | None = field(default=None, repr=False)

    def finish(self, stopped: bool) -> None:
        """Set the status and message of a run whose training ended without diverging."""
        if stopped and self.epochs_run < self.epochs:
            self.status = "stopped"
            self.message = (
                f"Run {self.number} stopped after epoch {self.epochs_run} of {self.epochs}."
            )
        else:
            self.status = "done"
            self.message = f"Run {self.number} done: {self.epochs_run} epochs."

    def record_epoch(self, logs: Mapping[str, Any], seconds: float) -> dict[str, float]:
        """Add one finished epoch's logs and the weights it used; return the numbers."""
        epoch = self.epochs_run
        self.epoch_seconds.append(seconds)
        self.epochs_run = epoch + 1
        self.weight_history.append(dict(self.final_weights))
        values = {k: float(v) for k, v in logs.items() if _is_number(v)}
        values.update({f"weight/{h}": w for h, w in self.final_weights.items()})
        for key, value in values.items():
            self.history.setdefault(key, [math.nan] * epoch).append(value)
        return values


@dataclass
class RunRequest:
    """What a Train press, a ``train`` call or one step of a sweep asks for."""

    weights: dict[str, float]
    epochs: int
    kind: Kind
    draw: bool
    method: str = "manual"
    requested: float = field(default_factory=time.perf_counter)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def live(self) -> bool:
        """Whether weight changes reach this run while it trains."""
        return self.kind == "live"


class RunHooks(Protocol):
    """What the trainer's per-epoch callback may call on the state, and nothing else."""

    def take_pending(self) -> dict[str, float] | None: ...
    def epoch_begun(self, run: Run, epoch: int) -> None: ...
    def epoch_ended(self, run: Run) -> None: ...


class TrainerLike(Protocol):
    """What the state needs from a trainer (the Keras one, or a fake in tests)."""

    initial_losses: dict[str, float]

    def check_method(self, method: str) -> None: ...
    def run(self, request: RunRequest, run: Run, hooks: RunHooks) -> None: ...
    def restore(self, weights: Mapping[str, float]) -> None: ...
    def weights_in_use(self) -> dict[str, float]: ...


class LabListener(Protocol):
    """What the state tells a view. Every method is called with no lock held."""

    def weights_changed(self, weights: Mapping[str, float]) -> None: ...
    def status_changed(self, text: str) -> None: ...
    def message_changed(self, text: str) -> None: ...
    def runs_changed(self, runs: Sequence[Run]) -> None: ...
    def running_changed(self, run: Run | None) -> None: ...
    def reset_done(self) -> None: ...
    def retired(self, text: str) -> None: ...


def check_lab_weights(
    weights: Mapping[str, float], heads: Sequence[str], current: Mapping[str, float] | None
) -> dict[str, float]:
    """Loss weights as :func:`check_loss_weights` checks them, within the sliders' range."""
    full = check_loss_weights(weights, heads, current=current)
    for head, value in full.items():
        if not SLIDER_MIN <= value <= SLIDER_MAX:
            raise ValueError(
                f"loss weight for {head!r} is {value:g}, outside the lab's sliders "
                f"({SLIDER_MIN:g} to {SLIDER_MAX:g}); only the ratios between heads matter, "
                "so scale the other heads' weights instead (use 0.001 to nearly switch a "
                "head off)"
            )
    return full


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


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
