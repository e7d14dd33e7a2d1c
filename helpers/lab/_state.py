"""The lab's state: what the learner asked for, the runs, and the views to tell.

No Keras, no widgets, no thread of its own (``_worker`` trains). :class:`LabState` holds
the loss weights the sliders show, what the Train button does, and the runs. Views change it
only through its methods and hear back through :class:`~helpers.lab._runs.LabListener`;
the trainer is injected (:class:`~helpers.lab._runs.TrainerLike`), so the thread logic
is tested with a fake trainer in milliseconds.

The thread contract: callbacks from widgets only set state; the training thread applies
it at epoch boundaries; listeners are called with no lock held; Stop ends a run within
one epoch; creating a lab stops every other lab's training first.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from helpers._validate import check_choice, check_int
from helpers.lossweights import balanced_weights

from ._buttons import TrainButton
from ._methods import starting_weights
from ._runs import (
    MODES,
    SLIDER_MAX,
    SLIDER_MIN,
    Run,
    RunRequest,
    TrainerLike,
    balance_text,
    check_lab_weights,
    status_line,
)
from ._worker import RunWorker

__all__ = ["LabState"]

# Every lab state alive in this kernel; a new one stops the others' training first.
_OPEN_LABS: weakref.WeakSet = weakref.WeakSet()


class LabState(TrainButton):
    """What the learner asked for, the runs, and the views to tell: no Keras, no widgets.

    Parameters
    ----------
    trainer : TrainerLike
        Trains a run (the Keras trainer, or a fake in tests).
    heads : sequence of str
        The output names.
    weights : dict of str to float
        Starting loss weights, and what Reset returns to.
    epochs, live_epochs : int
        What a run of each mode trains by default, in code and on the button.
    """

    def __init__(
        self,
        trainer: TrainerLike,
        heads: Sequence[str],
        *,
        weights: Mapping[str, float],
        epochs: int = 10,
        live_epochs: int = 100,
    ) -> None:
        for other in list(_OPEN_LABS):
            other.stop(wait=True)
        self.trainer = trainer
        self.heads = tuple(heads)
        self.initial_weights = check_lab_weights(weights, self.heads, None)
        self.default_epochs = {
            "retrain": check_int("epochs", epochs, low=1, high=10_000),
            "live": check_int("live_epochs", live_epochs, low=1, high=100_000),
        }
        self.button_mode, self.button_method = "retrain", "manual"
        self.button_epochs = dict(self.default_epochs)
        self.listeners: list[Any] = []
        self.message = ""
        self._weights = dict(self.initial_weights)
        self._lock = threading.RLock()
        self._reset_requested = False
        self._closed: str | None = None  # why this lab refuses work, once closed
        self.worker = RunWorker(
            trainer, started=self._run_started, progressed=self._epoch_begun, ended=self._run_ended
        )
        _OPEN_LABS.add(self)

    # ------------------------------------------------------------------ reading
    @property
    def weights(self) -> dict[str, float]:
        """The loss weights the next run starts with (what the sliders show)."""
        with self._lock:
            return dict(self._weights)

    @property
    def runs(self) -> list[Run]:
        """Every finished run, oldest first."""
        return self.worker.runs

    @property
    def current_run(self) -> Run | None:
        """The run in progress, or None."""
        return self.worker.current_run

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self.worker.current_request is not None

    def status_text(self, run: Run | None = None, epoch: int = 0, done: bool = False) -> str:
        """The status line: the loss weights in use, and the run's progress."""
        return status_line(self.trainer.weights_in_use(), self.heads, run, epoch, done)

    # ------------------------------------------------------------------ changing
    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set some or all wanted weights; a live run uses them from its next epoch."""
        self._check_open()
        with self._lock:
            new = check_lab_weights(weights, self.heads, self._weights)
            self._weights = new
        self.worker.offer(new)
        self._tell("weights_changed", dict(new))
        return dict(new)

    def slider_moved(self, head: str, value: float) -> None:
        """A view's slider moved (the slider already shows the value)."""
        with self._lock:
            if self._closed or head not in self._weights:
                return
            self._weights[head] = min(SLIDER_MAX, max(SLIDER_MIN, float(value)))
            new = dict(self._weights)
        self.worker.offer(new)

    def set_message(self, text: str) -> None:
        """Show one line to the learner."""
        self.message = text
        self._tell("message_changed", text)

    def frame_drawn(self) -> None:
        """The live plot showed a frame: note the run's first curve point."""
        run, request = self.worker.current_run, self.worker.current_request
        if run is not None and request is not None and run.first_point_seconds is None:
            run.first_point_seconds = time.perf_counter() - request.requested

    # ------------------------------------------------------------------ training
    def train(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        epochs: int | None = None,
        block: bool = False,
        mode: str | None = None,
        draw: bool = True,
        method: str = "manual",
    ) -> Run | None:
        """Start a run (code's defaults: Retrain and its epochs); see ``LossWeightLab.train``."""
        self._check_open()
        mode = "retrain" if mode is None else check_choice("mode", mode, MODES)
        if epochs is None:
            epochs = self.default_epochs[mode]
        return self.worker.start(self._request(weights, epochs, mode, draw, method), block)

    def run_blocking(self, weights: Mapping[str, float], epochs: int, kind: str) -> Run:
        """Train one run in this thread without drawing (a sweep's step); return it."""
        self._check_open()
        return self.worker.start(self._request(weights, epochs, kind, False), block=True)

    def _request(self, weights, epochs, kind, draw, method="manual") -> RunRequest:
        """Check a run's arguments, reserve the worker, move the sliders to its weights.

        A method other than ``"manual"`` chooses the weights itself, starting from 1 each.
        """
        epochs = check_int("epochs", epochs, low=1, high=100_000)
        weights = starting_weights(method, kind, weights, self.heads)
        if method != "manual":
            self.trainer.check_method(method)
        with self._lock:
            full = check_lab_weights(weights or {}, self.heads, self._weights)
            request = RunRequest(
                weights=full, epochs=epochs, kind=kind, draw=bool(draw), method=method
            )
            self.worker.claim(request)
            self._weights = dict(full)
        self._tell("weights_changed", dict(full))
        return request

    def _run_started(self, run: Run, request: RunRequest) -> None:
        hint = " Move a slider to change the weights from the next epoch." if request.live else ""
        self.set_message(f"Run {run.number} ({run.mode}) is training {run.epochs} epochs.{hint}")
        self._tell("running_changed", run)
        self._tell("status_changed", self.status_text(run, 0))

    def _epoch_begun(self, run: Run, epoch: int) -> None:
        if run.method != "manual":  # the sliders show the weights the method is using
            self._tell("weights_changed", dict(run.final_weights))
        self._tell("status_changed", self.status_text(run, epoch))

    def _run_ended(self, run: Run) -> None:
        with self._lock:
            reset, self._reset_requested = self._reset_requested, False
            if run.method != "manual" and run.final_weights and not reset:
                self._weights = dict(run.final_weights)  # the sliders keep the method's last
        if run.method != "manual":
            self._tell("weights_changed", self.weights)
        self._tell("runs_changed", list(self.worker.runs))
        self._tell("status_changed", self.status_text(run, run.epochs_run, done=True))
        self.set_message(run.message)
        if reset:
            self._reset_now()
        self._tell("running_changed", None)

    # ------------------------------------------------------------------ waiting, stopping
    def wait(self, timeout: float | None = None, *, epoch: int | None = None) -> Run | None:
        """Wait until no run is in progress (or the run has ``epoch`` epochs); see the lab."""
        return self.worker.wait(timeout, epoch=epoch)

    def stop(self, wait: bool = False, timeout: float | None = 30.0) -> None:
        """Ask the current run to stop (within one epoch); ``wait`` for its thread."""
        self.worker.stop(wait=wait, timeout=timeout)

    def reset(self) -> None:
        """Stop training; sliders and model back to the start; runs stay in the table."""
        self._check_open()
        with self._lock:
            self._weights = dict(self.initial_weights)
            busy = self.worker.stop()
            self._reset_requested = busy
        self._tell("weights_changed", dict(self.initial_weights))
        if not busy:
            self._reset_now()

    def _reset_now(self) -> None:
        self.trainer.restore(self.initial_weights)
        self._tell("reset_done")
        self._tell("status_changed", self.status_text())
        self.set_message(
            "Reset: sliders and model are back at the start; earlier runs stay in the table."
        )

    def balance(self) -> dict[str, float]:
        """Weights giving every head the same share of the initial loss; see the lab."""
        self._check_open()
        losses = self.trainer.initial_losses
        weights = balanced_weights(losses, low=SLIDER_MIN, high=SLIDER_MAX)
        self.set_weights(weights)
        self.set_message(balance_text(losses, weights))
        return weights

    def restore_weights(self, weights: Mapping[str, float]) -> None:
        """Put the sliders back at ``weights`` unless a Reset or close came meanwhile."""
        with self._lock:
            if not self._reset_requested and self._closed is None:
                self._weights = dict(weights)
            shown = dict(self._weights)
        self._tell("weights_changed", shown)

    def clear_runs(self) -> None:
        """Empty the runs table."""
        self.worker.runs.clear()
        self._tell("runs_changed", [])

    # ------------------------------------------------------------------ ending
    def close(self, reason: str = "this lab was closed; create a new LossWeightLab()") -> None:
        """Stop training, wait for the thread, refuse more work with ``reason``."""
        if self._closed:
            return
        self.stop(wait=True)
        self._closed = reason
        _OPEN_LABS.discard(self)

    def retire(self, text: str) -> None:
        """Close this lab because a newer one replaced it, and say so in its views."""
        self.close(text)
        self._tell("retired", text)

    @property
    def closed(self) -> bool:
        """Whether this lab was closed or replaced."""
        return self._closed is not None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(self._closed)

    def _tell(self, event: str, *args: Any) -> None:
        for listener in list(self.listeners):
            getattr(listener, event)(*args)
