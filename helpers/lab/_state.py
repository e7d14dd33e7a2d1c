"""The lab's state: what the learner asked for, the runs, the Train button's settings.

No Keras, no widgets, no thread of its own (``_worker`` trains). Views read it through
its traits (``observe``/``dlink``) and change it only through its methods; the trainer
is injected, so the thread logic is tested with a fake trainer in milliseconds.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence

import traitlets

from helpers._validate import check_choice, check_int
from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN, balanced_weights

from ._messages import RESET, balance_text, limit_text, method_text, started_text, status_line
from ._methods import MANUAL, METHODS, starting_weights, train_mode
from ._records import MODES, Run, RunRequest, check_lab_weights
from ._tasks import LabTasks
from ._worker import RunWorker, TrainerLike

__all__ = ["LabState"]

# Every lab state alive in this kernel; a new one stops the others' training first.
_OPEN_LABS: weakref.WeakSet = weakref.WeakSet()


class LabState(traitlets.HasTraits):
    """What the learner asked for, the runs and the Train button: no Keras, no widgets.

    ``trainer`` trains a run (the Keras trainer, or a fake); ``weights`` is what Reset
    returns to. Traits notify with no lock held, on the thread that changed them.
    """

    weights = traitlets.Dict(help="The loss weights the sliders show.")
    status = traitlets.Unicode(help="The status line: weights in use, the run's progress.")
    message = traitlets.Unicode(help="One line for the learner.")
    runs = traitlets.List(help="Every finished run, oldest first.")
    current_run = traitlets.Any(None, allow_none=True, help="The run in progress, or None.")
    resets = traitlets.Int(0, help="Resets done (the view hides its curves at each).")
    retired = traitlets.Unicode(help="Why a newer lab replaced this one ('' while in use).")
    button_mode = traitlets.Unicode("retrain", help="What the Train button does.")
    button_method = traitlets.Unicode(MANUAL, help="Who chooses the weights on Train.")
    button_epochs = traitlets.Dict(help="The Train button's epochs, per mode.")

    def __init__(
        self,
        trainer: TrainerLike,
        heads: Sequence[str],
        *,
        weights: Mapping[str, float],
        epochs: int = 10,
        live_epochs: int = 100,
    ) -> None:
        super().__init__()
        for other in list(_OPEN_LABS):
            other.stop(wait=True)
        self.trainer = trainer
        self.heads = tuple(heads)
        self.initial_weights = check_lab_weights(weights, self.heads, None)
        self.default_epochs = {
            "retrain": check_int("epochs", epochs, low=1, high=10_000),
            "live": check_int("live_epochs", live_epochs, low=1, high=100_000),
        }
        self.button_epochs = dict(self.default_epochs)
        self._wanted = dict(self.initial_weights)  # what the next run starts with
        self.weights = dict(self._wanted)
        self._lock = threading.RLock()
        self._reset_requested = False
        self._closed: str | None = None  # why this lab refuses work, once closed
        self.worker = RunWorker(
            trainer, started=self._run_started, progressed=self._epoch_begun, ended=self._run_ended
        )
        self.tasks = LabTasks(self)  #: Maps and sweeps: many settings at once.
        self.status = self.status_text()
        _OPEN_LABS.add(self)

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self.worker.current_request is not None

    def status_text(self, run: Run | None = None, epoch: int = 0, done: bool = False) -> str:
        """The status line: the loss weights in use, and the run's progress."""
        return status_line(self.trainer.weights_in_use(), self.heads, run, epoch, done)

    def status_now(self) -> str:
        """The status line for the run in progress, or else the last run."""
        run = self.current_run or (self.runs[-1] if self.runs else None)
        return self.status_text(run, run.epochs_run if run else 0, self.current_run is None)

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set some or all wanted weights; a live run uses them from its next epoch."""
        self._check_open()
        with self._lock:
            new = check_lab_weights(weights, self.heads, self._wanted)
            self._wanted = new
        self.worker.offer(new)
        self.weights = dict(new)
        return dict(new)

    def slider_moved(self, head: str, value: float) -> None:
        """A view's slider moved; a value the sliders already show changes nothing."""
        value = min(WEIGHT_MAX, max(WEIGHT_MIN, float(value)))
        with self._lock:
            if self._closed or head not in self._wanted or self.weights.get(head) == value:
                return
            self._wanted[head] = value
            new = dict(self._wanted)
        self.worker.offer(new)
        self.weights = new
        if value in (WEIGHT_MIN, WEIGHT_MAX):  # a drag to the end, or a typed 1000, 0, -1
            self.set_message(limit_text(head, value))

    def set_message(self, text: str) -> None:
        """Show one line to the learner."""
        self.message = text

    def set_button_mode(self, mode: str) -> None:
        """What the Train button does: ``"retrain"`` or ``"live"``."""
        self.button_mode = check_choice("mode", mode, MODES)

    def set_button_method(self, method: str) -> None:
        """Who chooses the weights when the Train button is pressed (a name in METHODS)."""
        self.button_method = check_choice("method", method, tuple(METHODS))
        mode = train_mode(method, self.button_mode)
        self.set_message(method_text(method, self.button_epochs[mode]))

    def set_button_epochs(self, epochs: int) -> None:
        """How many epochs the Train button trains in the mode it trains in."""
        epochs = check_int("epochs", epochs, low=1, high=100_000)
        mode = train_mode(self.button_method, self.button_mode)
        self.button_epochs = {**self.button_epochs, mode: epochs}

    def press_train(self) -> None:
        """The Train button: the sliders' weights, the mode and epochs the widgets show."""
        method = self.button_method
        mode = train_mode(method, self.button_mode)
        try:
            request = self._request(None, self.button_epochs[mode], mode, True, method)
            self.worker.start(request, False)
        except (RuntimeError, ValueError) as exc:  # a run in progress, a closed lab
            self.set_message(str(exc))

    def train(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        epochs: int | None = None,
        block: bool = False,
        mode: str | None = None,
        draw: bool = True,
        method: str = MANUAL,
    ) -> Run | None:
        """Start a run (code's defaults: Retrain and its epochs); see ``LossWeightLab.train``."""
        mode = "retrain" if mode is None else check_choice("mode", mode, MODES)
        if epochs is None:
            epochs = self.default_epochs[mode]
        return self.worker.start(self._request(weights, epochs, mode, draw, method), block)

    def claim_for_task(self, kind: str) -> RunRequest:
        """Hold the lab's thread for a map or a sweep (``self.tasks``), as for a run."""
        return self._request(None, 1, kind, False)

    def task_ended(self) -> None:
        """A map or a sweep let the thread go: the status line, and a Reset asked meanwhile."""
        with self._lock:
            reset, self._reset_requested = self._reset_requested, False
        self.status = self.status_text()
        if reset:
            self._reset_now()

    def _request(self, weights, epochs, kind, draw, method=MANUAL) -> RunRequest:
        """Check the lab is open and a run's arguments, reserve the worker, move the sliders."""
        self._check_open()
        epochs = check_int("epochs", epochs, low=1, high=100_000)
        weights = starting_weights(method, kind, weights, self.heads)
        if METHODS[method].chooses_weights:
            self.trainer.check_method(method)
        with self._lock:
            full = check_lab_weights(weights or {}, self.heads, self._wanted)
            request = RunRequest(full, epochs, kind, bool(draw), method)
            self.worker.claim(request)
            self._wanted = dict(full)
        self.weights = dict(full)
        return request

    def _run_started(self, run: Run, request: RunRequest) -> None:
        self.set_message(started_text(run, request.live))
        self.current_run = run
        self.status = self.status_text(run, 0)

    def _epoch_begun(self, run: Run, epoch: int) -> None:
        if METHODS[run.method].chooses_weights:  # the sliders show the method's weights
            self.weights = dict(run.final_weights)
        self.status = self.status_text(run, epoch)

    def _run_ended(self, run: Run) -> None:
        chosen = METHODS[run.method].chooses_weights
        with self._lock:
            reset, self._reset_requested = self._reset_requested, False
            if chosen and run.final_weights and not reset:
                self._wanted = dict(run.final_weights)  # the sliders keep the method's last
            wanted = dict(self._wanted)
        if chosen:
            self.weights = wanted
        self.runs = list(self.worker.runs)
        self.status = self.status_text(run, run.epochs_run, done=True)
        self.set_message(run.message)
        if reset:
            self._reset_now()
        self.current_run = None

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
            self._wanted = dict(self.initial_weights)
            busy = self.worker.stop()
            self._reset_requested = busy
        self.weights = dict(self.initial_weights)
        if not busy:
            self._reset_now()

    def _reset_now(self) -> None:
        self.trainer.restore(self.initial_weights)
        self.resets += 1
        self.status = self.status_text()
        self.set_message(RESET)

    def balance(self) -> dict[str, float]:
        """Weights giving every head the same share of the initial loss; see the lab."""
        self._check_open()
        losses = self.trainer.initial_losses
        weights = balanced_weights(losses)
        self.set_weights(weights)
        self.set_message(balance_text(losses, weights))
        return weights

    def clear_runs(self) -> None:
        """Empty the runs table."""
        self.worker.runs.clear()
        self.runs = []

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
        self.retired = text

    @property
    def closed(self) -> bool:
        """Whether this lab was closed or replaced."""
        return self._closed is not None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(self._closed)
