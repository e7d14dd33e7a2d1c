"""The lab's model: the learner's functional model, plus the state learned weights need.

:class:`LabModel` wraps a built functional model (same layers, same weights) and
overrides ``compute_loss``, the documented way to change how Keras totals the losses.
It adds one learned log-variance per head for uncertainty weighting (Kendall, Gal and
Cipolla 2018) and a switch, both part of the model's state, so every backend's training
step reads them and switching method needs no recompile and no retrace:

- switch 0 (manual, DWA, GradNorm): the total is Keras's own weighted sum,
  ``sum(w_i * L_i)``, with the loss weights of :mod:`helpers.lossweights`;
- switch 1 (uncertainty): the total is ``sum(exp(-s_i) * L_i + s_i)``, and the ``s_i``
  learn with the model's other weights.

Keras's compiled loss still runs in both cases, so the history keeps each head's
unweighted ``<head>_loss``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpers.env import quiet_keras_import

keras = quiet_keras_import()
ops = keras.ops

__all__ = ["LabModel", "head_loss"]

_LOSS_CLASSES = {
    "mse": "MeanSquaredError",
    "mean_squared_error": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "mean_absolute_error": "MeanAbsoluteError",
    "huber": "Huber",
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}


def head_loss(spec: Any):
    """A callable ``(y_true, y_pred) -> scalar`` for a loss as ``compile`` accepts it."""
    if isinstance(spec, keras.losses.Loss):
        return spec
    if isinstance(spec, str):
        return keras.losses.get(_LOSS_CLASSES.get(spec, spec))
    if callable(spec):

        def loss(y_true, y_pred):
            y_true = ops.convert_to_tensor(y_true)
            if len(y_true.shape) == len(y_pred.shape) - 1:
                y_true = ops.expand_dims(y_true, -1)
            return ops.mean(spec(y_true, y_pred))

        return loss
    raise TypeError(f"a head's loss must be a name, a keras loss or a function, got {spec!r}")


class LabModel(keras.Model):
    """A functional model whose total loss can also be uncertainty-weighted."""

    def setup_lab(self, losses: Mapping[str, Any]) -> None:
        """Add the learned log-variances and the switch (call once, before compiling)."""
        heads = list(self.output_names)
        self.lab_losses = {h: head_loss(losses[h]) for h in heads}
        self.log_variances = {
            h: self.add_weight(shape=(), initializer="zeros", name=f"log_variance_{h}")
            for h in heads
        }
        self.learned_switch = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="uncertainty_switch"
        )

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        weighted = super().compute_loss(x, y, y_pred, sample_weight, training)
        predictions = y_pred
        if not isinstance(y_pred, Mapping):
            predictions = dict(zip(self.output_names, y_pred, strict=True))

        def learned():
            total = 0.0
            for head, log_variance in self.log_variances.items():
                loss = self.lab_losses[head](y[head], predictions[head])
                total = total + ops.exp(-log_variance) * loss + log_variance
            return ops.cast(total, weighted.dtype)

        # Only the branch in use runs, so manual, DWA and GradNorm runs pay nothing extra.
        return ops.cond(self.learned_switch > 0.5, learned, lambda: weighted)
