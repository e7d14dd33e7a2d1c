"""Train many loss-weight settings at once: the stacked copies behind ``lab.map`` and ``lab.sweep``.

:class:`CopiesTrainer` trains one copy of the lab's model per setting, every copy from
the lab's snapshot, on the same batches in the same order, with the same optimizer
settings, in one ``fit`` of a :class:`~helpers.lab._stacked.StackedModel`. Each copy's
held-out metrics are named as ``evaluate(..., return_dict=True)`` names them, so a
setting's numbers read like a ``lab.train(weights=..., block=True)`` of it.

When a model cannot be stacked (a layer with no stacked form, see
:func:`~helpers.lab._stacked.unstackable`), :attr:`CopiesTrainer.reason` says why and
the lab trains the settings one after another instead.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from helpers.env import quiet_keras_import

from ._copy_losses import copy_losses
from ._stacked import StackedModel, fill_copies, stack_model, unstackable

keras = quiet_keras_import()
ops = keras.ops

__all__ = ["CopiesTrainer"]


class CopiesTrainer:
    """Stacked copies of ``trainer``'s model, built once per number of copies.

    Parameters
    ----------
    trainer : Trainer
        The lab's trainer: its model, configuration and snapshot.
    """

    def __init__(self, trainer: Any) -> None:
        self.trainer, self.config = trainer, trainer.config
        self.reason = unstackable(trainer.model)  #: Why the model cannot be stacked, or None.
        self._built: dict[int, tuple[StackedModel, list, list]] = {}
        self.lock = threading.Lock()

    def train(
        self,
        settings: Sequence[Mapping[str, float]],
        epochs: int,
        *,
        stop: threading.Event | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[dict[str, float] | None], int]:
        """Train one copy per setting for ``epochs`` epochs; return their held-out metrics.

        Returns ``(metrics, epochs_run)``: one dict per setting (None for a copy whose
        loss became NaN or infinite), and the epochs trained (fewer after a Stop).
        ``progress(epoch)`` is called after every epoch.
        """
        if self.reason:
            raise ValueError(f"this model cannot be stacked: {self.reason}")
        heads = self.config.heads
        matrix = np.array([[float(s[h]) for h in heads] for s in settings], dtype="float32")
        with self.lock:
            model, plan, optimizer_start = self._model(len(settings))
            fill_copies(plan, self._snapshot_by_variable())
            for variable, value in zip(model.optimizer.variables, optimizer_start, strict=True):
                variable.assign(value)
            model.loss_weight_matrix.assign(matrix)
            control = _Control(stop, progress)
            model.fit(
                self.config.x_train,
                self.config.y_train,
                batch_size=self.config.batch_size,
                epochs=epochs,
                verbose=0,
                shuffle=False,  # the batches of every lab run
                callbacks=[control],
            )
            predictions = model.by_head(
                model.predict(self.config.x_test, batch_size=self.config.batch_size, verbose=0)
            )
        return held_out_scores(self.config, predictions, matrix), control.epochs

    def _model(self, copies: int) -> tuple[StackedModel, list, list]:
        if copies not in self._built:
            net, plan = stack_model(self.trainer.model, copies)
            model = StackedModel(net, self.config.heads, self.config.loss)
            optimizer = self.config.optimizer()
            optimizer = optimizer.__class__.from_config(optimizer.get_config())
            # A whole epoch per execution: the same batches, fewer trips to Python.
            steps = -(-len(self.config.x_train) // self.config.batch_size)
            options = {"steps_per_execution": max(steps, self.config.steps_per_execution)}
            if self.config.jit_compile != "auto":
                options["jit_compile"] = self.config.jit_compile
            model.compile(optimizer=optimizer, **options)
            model.optimizer.build(model.trainable_variables)
            start = [as_numpy(v.value) for v in model.optimizer.variables]
            self._built[copies] = (model, plan, start)
        return self._built[copies]

    def _snapshot_by_variable(self) -> dict[int, np.ndarray]:
        model, snapshot = self.trainer.model, self.trainer.snapshot
        return {id(v): value for v, value in zip(model.weights, snapshot.parameters, strict=True)}


class _Control(keras.callbacks.Callback):
    """Stop within an epoch; count epochs; report progress."""

    def __init__(self, stop: threading.Event | None, progress: Callable[[int], None] | None):
        super().__init__()
        self.stop, self.progress, self.epochs = stop, progress, 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.stop is not None and self.stop.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs = epoch + 1
        if self.progress is not None:
            self.progress(self.epochs)
        if self.stop is not None and self.stop.is_set():
            self.model.stop_training = True


def as_numpy(tensor: Any) -> np.ndarray:
    """A tensor as NumPy, by the route that warns on no backend (TensorFlow: ``.numpy()``)."""
    if hasattr(tensor, "numpy"):
        return np.asarray(tensor.numpy())
    return np.asarray(ops.convert_to_numpy(tensor))


def held_out_scores(
    config: Any, predictions: Mapping[str, Any], matrix: np.ndarray
) -> list[dict[str, float] | None]:
    """Each copy's held-out loss and metrics, named as ``evaluate`` names them."""
    copies = matrix.shape[0]
    columns: dict[str, np.ndarray] = {}
    total = np.zeros(copies)
    for index, head in enumerate(config.heads):
        y_true, y_pred = config.y_test[head], ops.convert_to_tensor(predictions[head])
        loss = as_numpy(copy_losses(config.loss[head])(y_true, y_pred))
        columns[f"{head}_loss"] = loss
        total = total + matrix[:, index] * loss
        for metric in _as_list(config.metrics.get(head)):
            name, values = _metric_per_copy(metric, y_true, y_pred)
            columns[f"{head}_{name}"] = values
    columns["loss"] = total
    scores: list[dict[str, float] | None] = []
    for k in range(copies):
        row = {key: float(values[k]) for key, values in columns.items()}
        scores.append(row if all(math.isfinite(v) for v in row.values()) else None)
    return scores


def _as_list(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]


def _metric_per_copy(metric: Any, y_true: np.ndarray, y_pred: Any) -> tuple[str, np.ndarray]:
    """A metric's name (as ``evaluate`` names it) and its value for each copy."""
    name = metric if isinstance(metric, str) else None
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc"):
        fn = _accuracy(y_true, y_pred)
    else:
        made = keras.metrics.get(metric)
        if name is None:
            name = getattr(made, "name", None) or getattr(made, "__name__", str(made))
        fn = getattr(made, "_fn", None) if isinstance(made, keras.metrics.Metric) else made
        if fn is None:  # a stateful metric: one fresh instance per copy
            return name, _stateful_per_copy(made, y_true, y_pred)
    return name, as_numpy(copy_losses(fn)(y_true, y_pred))


def _accuracy(y_true: np.ndarray, y_pred: Any):
    """The accuracy ``compile`` picks for "accuracy" (binary, sparse or categorical)."""
    if y_pred.shape[-1] == 1:
        return keras.metrics.binary_accuracy
    if np.ndim(y_true) < len(y_pred.shape) - 1 or np.shape(y_true)[-1] == 1:
        return keras.metrics.sparse_categorical_accuracy
    return keras.metrics.categorical_accuracy


def _stateful_per_copy(metric: Any, y_true: np.ndarray, y_pred: Any) -> np.ndarray:
    values = []
    predictions = as_numpy(y_pred)
    for k in range(predictions.shape[1]):
        fresh = metric.__class__.from_config(metric.get_config())
        fresh.update_state(y_true, predictions[:, k])
        values.append(float(as_numpy(fresh.result())))
    return np.array(values)
