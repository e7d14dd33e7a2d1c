"""The lab's trainer: the only part of the lab that talks to Keras.

It compiles the model once with its loss weights held in variables
(:mod:`helpers.lossweights`), keeps a snapshot of the initial parameters and optimizer
state so every run starts from the same point, trains one run at a time, and reports
each epoch to the worker through :class:`~helpers.lab._worker.RunHooks` only.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from helpers.env import quiet_keras_import
from helpers.lossweights import LossWeights

from ._config import LabConfig
from ._gradients import HeadGradients
from ._messages import curves_caption, diverged_text
from ._methods import METHODS
from ._records import Run, RunRequest
from ._run_control import EpochCallbacks, RunControl
from ._weighted_model import LabModel
from ._worker import RunHooks

PROBE_SIZE = 256  # posts in the fixed batch the heads' gradients are measured on

keras = quiet_keras_import()

__all__ = ["Snapshot", "Trainer"]


def to_numpy(variable: Any) -> Any:
    """A variable's value as NumPy, by the route that warns on no backend."""
    value = variable.value
    if keras.backend.backend() == "tensorflow":
        return value.numpy()
    return keras.ops.convert_to_numpy(value)


@dataclass(frozen=True)
class Snapshot:
    """The model's parameters and the optimizer's state, as NumPy arrays."""

    parameters: list[Any]
    optimizer_state: list[Any]


class Trainer:
    """Compile once, restore the snapshot before every run, fit, evaluate.

    Parameters
    ----------
    model : keras.Model
        The uncompiled model.
    config : LabConfig
        Data, losses, metrics and batching.
    weights : dict of str to float
        The loss weights to start with.
    curves : keras.callbacks.Callback, optional
        The live plot, added to a run's callbacks when it asks to be drawn.

    Attributes
    ----------
    initial_losses : dict of str to float
        Each head's unweighted training loss at the initial parameters.
    snapshot : Snapshot
        What every run starts from.
    """

    def __init__(
        self, model: Any, config: LabConfig, weights: Mapping[str, float], curves: Any = None
    ) -> None:
        model = LabModel(inputs=model.inputs, outputs=model.outputs, name=model.name)
        model.setup_lab(config.loss)
        self.model, self.config, self.curves = model, config, curves
        self._gradients: HeadGradients | None = None
        self.loss_weights = LossWeights(config.heads, dict(weights))
        compile_options = {"steps_per_execution": config.steps_per_execution}
        if config.jit_compile != "auto":
            compile_options["jit_compile"] = config.jit_compile
        self.loss_weights.compile(
            model,
            loss=config.loss,
            optimizer=config.optimizer(),
            metrics=config.metrics,
            **compile_options,
        )
        self.lock = threading.Lock()  # one thread uses the model at a time
        # TensorFlow re-slices NumPy arrays through a new input pipeline at every fit and
        # evaluate; the same batches, built once, save most of that (None elsewhere).
        self._train_batches = batched(config.x_train, config.y_train, config.batch_size)
        self._test_batches = batched(config.x_test, config.y_test, config.batch_size)
        examples = len(next(iter(config.y_train.values())))
        self._batches_per_epoch = math.ceil(examples / config.batch_size)
        model.optimizer.build(model.trainable_variables)
        self.snapshot = Snapshot(
            parameters=[to_numpy(v) for v in model.weights],
            optimizer_state=[to_numpy(v) for v in model.optimizer.variables],
        )
        scores = self._evaluate(config.x_train, config.y_train, self._train_batches)
        self.initial_losses = {h: float(scores[f"{h}_loss"]) for h in config.heads}
        # Trace the training and evaluation steps now, so no Train press waits for it; the
        # epoch's logs tell the live plot which panels a run will have (warm_logs).
        history = self._fit(epochs=1, callbacks=[])
        self.warm_logs = {k: float(v[-1]) for k, v in history.history.items()}
        self._restore_snapshot()
        self.evaluate()
        if config.gradient_view:  # trace (JAX: compile) the per-head gradients now too
            self.gradients()()

    @property
    def test_data(self) -> tuple[Any, dict[str, Any]]:
        """The held-out inputs and targets."""
        return self.config.x_test, self.config.y_test

    def check_method(self, method: str) -> None:
        """Raise a clear error if ``method`` (or the gradient view) cannot run here."""
        if METHODS[method].needs_gradients or self.config.gradient_view:
            self.gradients()

    def gradients(self) -> HeadGradients:
        """Per-head losses and gradients on the shared layer, for the fixed probe batch."""
        if self._gradients is None:
            x, y = self.config.x_train, self.config.y_train
            self._gradients = HeadGradients(
                self.model,
                x[:PROBE_SIZE],
                {h: v[:PROBE_SIZE] for h, v in y.items()},
                self.config.shared_layer,
            )
        return self._gradients

    def log_variances(self) -> dict[str, float]:
        """Uncertainty weighting's learned log-variance of each head, now."""
        variances = self.model.log_variances.items()
        return {h: float(to_numpy(v)) for h, v in variances}

    def weights_in_use(self) -> dict[str, float]:
        """The loss weights the compiled loss reads now."""
        return self.loss_weights.values()

    def restore(self, weights: Mapping[str, float]) -> None:
        """Put the model back at its snapshot and the loss weights at ``weights``."""
        with self.lock:
            self._restore_snapshot()
            self.loss_weights.assign(weights)

    def evaluate(self) -> dict[str, float]:
        """Held-out metrics, named as ``evaluate(..., return_dict=True)`` names them."""
        scores = self._evaluate(self.config.x_test, self.config.y_test, self._test_batches)
        return {k: float(v) for k, v in scores.items()}

    def run(self, request: RunRequest, run: Run, hooks: RunHooks) -> None:
        """Train ``run`` from the snapshot as ``request`` asks; set its status and metrics."""
        with self.lock:
            self._restore_snapshot()
            self.loss_weights.assign(request.weights)
            self.model.learned_switch.assign(1.0 if METHODS[request.method].learned_loss else 0.0)
            run.final_weights = dict(request.weights)
            callbacks = [RunControl(run, request, hooks, self)]
            if request.draw and self.curves is not None:
                self.curves.caption = curves_caption(run)  # the curves name their run
                callbacks.append(self.curves)
            callbacks = EpochCallbacks(
                callbacks, self.model, epochs=request.epochs, steps=self._batches_per_epoch
            )
            self._fit(epochs=request.epochs, callbacks=callbacks)
            if run.status != "diverged":
                scores = self.evaluate()
                if all(math.isfinite(v) for v in scores.values()):
                    run.metrics = scores
                else:
                    run.status = "diverged"
                    run.message = diverged_text(run, "the held-out loss is NaN")
            if run.status == "diverged":
                self._restore_snapshot()
            else:
                run.finish(stopped=request.stop.is_set())

    def _fit(self, *, epochs: int, callbacks: Any) -> Any:
        if self._train_batches is not None:
            data, batch_size = (self._train_batches,), None
        else:
            data, batch_size = (self.config.x_train, self.config.y_train), self.config.batch_size
        return self.model.fit(
            *data,
            batch_size=batch_size,
            epochs=epochs,
            verbose=0,
            shuffle=False,  # the same batches in the same order in every run
            callbacks=callbacks,
        )

    def _evaluate(self, x: Any, y: Any, batches: Any) -> dict[str, Any]:
        if batches is not None:
            return self.model.evaluate(batches, verbose=0, return_dict=True)
        return self.model.evaluate(
            x, y, batch_size=self.config.batch_size, verbose=0, return_dict=True
        )

    def _restore_snapshot(self) -> None:
        for variable, value in zip(self.model.weights, self.snapshot.parameters, strict=True):
            variable.assign(value)
        variables = self.model.optimizer.variables
        for variable, value in zip(variables, self.snapshot.optimizer_state, strict=True):
            variable.assign(value)


def batched(x: Any, y: Mapping[str, Any], batch_size: int) -> Any:
    """On TensorFlow, ``(x, y)`` as a ``tf.data.Dataset`` of batches in order; else None.

    The batches ``fit(x, y, batch_size=..., shuffle=False)`` would make from the arrays,
    so training and metrics come out the same.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    inputs = tuple(x) if isinstance(x, list) else x  # tf.data would stack a list
    return tf.data.Dataset.from_tensor_slices((inputs, dict(y))).batch(batch_size)
