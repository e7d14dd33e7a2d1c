"""The lab's records: a run, a request for one, and the check of a run's loss weights."""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN, check_loss_weights

from ._methods import MANUAL

__all__ = ["MODES", "LabDivergedError", "Run", "RunRequest", "check_lab_weights"]

MODES = ("retrain", "live")
Kind = Literal["retrain", "live", "sweep", "map"]


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
        Who chose the weights: a name in :data:`~helpers.lab._methods.METHODS`.
    weights : dict of str to float
        The loss weights the run started with.
    epochs : int
        Epochs asked for.
    final_weights : dict of str to float
        The loss weights of its last epoch (differ from ``weights`` when a slider or a
        method changed them; a learned loss's are those learned by the epoch's end).
    weight_changes : list of (int, dict)
        The epoch (1-based) from which new weights applied, and the weights; a learned
        loss's: the epoch at whose end its learned weights were read.
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
    method: str = MANUAL
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
                f"Run {self.number} stopped after epoch {self.epochs_run} of {self.epochs} "
                "(Stop ends the epoch in progress early)."
            )
        else:
            self.status = "done"
            self.message = f"Run {self.number} done: {self.epochs_run} epochs."

    def outcome(self) -> dict[str, float] | None:
        """What a blocking ``lab.train`` returns: the held-out metrics (None if there are none).

        Raises :class:`LabDivergedError` if the loss became NaN, and a failed run's error.
        """
        if self.status == "diverged":
            raise LabDivergedError(self.message)
        if self.status == "failed" and self.error is not None:
            raise self.error
        return dict(self.metrics) if self.metrics is not None else None

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
    method: str = MANUAL
    requested: float = field(default_factory=time.perf_counter)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def live(self) -> bool:
        """Whether weight changes reach this run while it trains."""
        return self.kind == "live"


def check_lab_weights(
    weights: Mapping[str, float] | float,
    heads: Sequence[str],
    current: Mapping[str, float] | None,
) -> dict[str, float]:
    """Loss weights (a dict, or one number for every head) within the sliders' range."""
    if isinstance(weights, numbers.Real) and not isinstance(weights, bool):
        weights = dict.fromkeys(heads, weights)
    full = check_loss_weights(weights, heads, current=current)
    for head, value in full.items():
        if not WEIGHT_MIN <= value <= WEIGHT_MAX:
            raise ValueError(
                f"loss weight for {head!r} is {value:g}, outside the lab's sliders "
                f"({WEIGHT_MIN:g} to {WEIGHT_MAX:g}); only the ratios between heads matter, "
                "so scale the other heads' weights instead (use 0.001 to nearly switch a "
                "head off)"
            )
    return full


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
