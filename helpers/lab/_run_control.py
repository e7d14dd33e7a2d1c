"""A lab run's callbacks: the control that applies weights, honours Stop and spots divergence.

:class:`RunControl` is the lab's per-epoch hook into Keras's ``fit``: it applies a slider's
or a method's weights as an epoch begins, measures what the run's method needs as it ends
(the heads' gradients on the probe batch, learned variances), adds what the live plot
draws to the epoch's logs, and stops the run on Stop or divergence. :class:`EpochCallbacks`
is Keras's callback list without the per-batch log conversion no lab callback reads.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from helpers.env import quiet_keras_import

from ._gradients import gradient_summary
from ._messages import diverged_text
from ._methods import METHODS, EpochInfo
from ._records import Run, RunRequest
from ._worker import RunHooks

if TYPE_CHECKING:
    from ._trainer import Trainer

keras = quiet_keras_import()

__all__ = ["EpochCallbacks", "RunControl"]


class EpochCallbacks(keras.callbacks.CallbackList):
    """Keras's list of callbacks for ``fit``, without the batch-end work nobody asks for.

    Before ``on_train_batch_end`` Keras turns the batch's logs into Python floats, which
    waits for every execution of steps to finish (on JAX it hands that to a thread),
    whether or not a callback reads them. The lab's callbacks read only epochs' logs, so
    this list skips it unless one of them has a batch-end hook.
    """

    def __init__(self, callbacks: list[Any], model: Any, *, epochs: int, steps: int) -> None:
        # fit sets up only the lists it makes: the model and the params it would pass.
        super().__init__(
            callbacks, add_history=True, model=model, verbose=0, epochs=epochs, steps=steps
        )
        base = keras.callbacks.Callback
        self._batch_end = any(
            type(c).on_train_batch_end is not base.on_train_batch_end
            or type(c).on_batch_end is not base.on_batch_end
            for c in self.callbacks
        )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_end:
            super().on_train_batch_end(batch, logs)


class RunControl(keras.callbacks.Callback):
    """Applies weight changes (live, or a method's), honours Stop, spots divergence.

    At each epoch's end it also measures what the run's method needs (the heads'
    gradients on the probe batch, the learned variances) and adds what the lab draws to
    the epoch's logs (``loss weight/<head>``, the gradient view), so the live plot shows
    them as panels.
    """

    def __init__(self, run: Run, request: RunRequest, hooks: RunHooks, trainer: Trainer) -> None:
        super().__init__()
        self.run, self.request, self.hooks, self.trainer = run, request, hooks, trainer
        self.method = METHODS[request.method]
        self.watch = trainer.config.gradient_view or self.method.needs_gradients
        self._epoch_started = time.perf_counter()
        self._initial_losses: dict[str, float] = {}
        self._next: dict[str, float] | None = None  # a rule's weights for the next epoch

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.method.needs_gradients:
            self._initial_losses, _ = self.trainer.gradients()()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        # New weights (a slider's, or a rule's from the epoch before) apply as an epoch
        # begins: a rule's weights for an epoch that never comes are never used or shown.
        pending = self.hooks.take_pending() if self.request.live else self._next
        self._next = None
        if pending is not None and pending != self.run.final_weights:
            self._apply(epoch + 1, pending)
        self.hooks.epoch_begun(self.run, epoch + 1)
        self._epoch_started = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        # Checked as each execution of steps begins, it takes effect as that one ends: a
        # batch-begin hook gets no logs, so no execution waits for its metrics to be read.
        if self.request.stop.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        seconds = time.perf_counter() - self._epoch_started
        used = dict(self.run.final_weights)
        extra, new = self._measure(used, logs)
        # A learned loss moved its weights during the epoch: they are read at its end
        # (drawn beside the learned variances); a rule's wait for the next epoch.
        learned = new if self.method.learned_loss and new is not None else None
        if self.method.chooses_weights or self.watch:
            extra.update({f"loss weight/{h}": w for h, w in (learned or used).items()})
        logs.update(extra)  # the live plot, next in the callback list, draws them
        values = self.run.record_epoch(logs, seconds)
        if learned is not None and learned != used:
            self._apply(epoch + 1, learned)
        elif learned is None:
            self._next = new
        if not all(math.isfinite(v) for v in values.values()):
            self.run.status = "diverged"
            self.run.message = diverged_text(self.run, "the training loss became NaN or infinite")
            self.model.stop_training = True
        if self.request.stop.is_set():
            self.model.stop_training = True
        self.hooks.epoch_ended(self.run)

    def _measure(self, used: dict[str, float], logs: dict) -> tuple[dict[str, float], dict | None]:
        """The extra log entries of this epoch and the method's weights for the next."""
        extra: dict[str, float] = {}
        grads = probe_losses = log_variances = None
        if self.watch:
            probe_losses, grads = self.trainer.gradients()()
            if self.trainer.config.gradient_view:
                extra.update(gradient_summary(grads, used, list(used)))
        if self.method.learned_loss:
            log_variances = self.trainer.log_variances()
        if not self.method.chooses_weights:
            return extra, None
        history = self.run.history  # every epoch so far, this one included
        info = EpochInfo(
            used=used,
            losses={h: [*history.get(f"{h}_loss", []), float(logs[f"{h}_loss"])] for h in used},
            grads=grads,
            probe_losses=probe_losses,
            initial_probe_losses=self._initial_losses,
            log_variances=log_variances,
        )
        extra.update(self.method.logs(info))
        return extra, self.method.next_weights(info)

    def _apply(self, epoch: int, weights: dict[str, float]) -> None:
        """Use ``weights`` from 1-based ``epoch`` on."""
        self.trainer.loss_weights.assign(weights)
        self.run.final_weights = dict(weights)
        self.run.weight_changes.append((epoch, dict(weights)))
