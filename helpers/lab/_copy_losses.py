"""Each copy's loss for one head: a head's loss (or metric) on stacked outputs.

A stacked output has the copies on axis 1, ``(batch, K, ...)``; the targets have none.
:func:`copy_losses` turns a head's loss, as ``compile`` was given it (a name, a
``keras.losses.Loss`` or a function), into ``(y_true, y_pred) -> (K,)``: every copy's
loss, reduced over the batch as ``compile``'s default reduction reduces one model's. The
stacked model's total loss and the copies' held-out scores both read it.
"""

from __future__ import annotations

from typing import Any

from helpers.env import quiet_keras_import

keras = quiet_keras_import()
ops = keras.ops

__all__ = ["copy_losses"]


def copy_losses(spec: Any):
    """``(y_true, y_pred) -> (K,)``: a head's loss (or metric) for each copy, batch-averaged.

    ``y_true`` has no copy axis; ``y_pred`` is ``(B, K, ...)``. Targets and outputs are
    brought to the same rank as Keras brings one copy's (``(B,)`` targets of a
    ``(B, 1)`` output become ``(B, 1)``), the copy axis is added to the targets, and the
    per-example values (the loss's own function, unreduced) are averaged over the batch
    as ``compile``'s default reduction does.
    """
    fn = _per_example(spec)

    def loss(y_true: Any, y_pred: Any) -> Any:
        y_true = ops.convert_to_tensor(y_true)
        if "float" in str(y_true.dtype):  # the targets as the compiled loss casts them
            y_true = ops.cast(y_true, y_pred.dtype)
        y_true, y_pred = _same_rank(y_true, y_pred)
        copies = y_pred.shape[1]
        target = ops.broadcast_to(
            ops.expand_dims(y_true, 1), (ops.shape(y_true)[0], copies, *y_true.shape[1:])
        )
        values = fn(target, y_pred)  # (B, K) or (B, K, ...)
        while len(values.shape) > 2:
            values = ops.mean(values, axis=-1)
        return ops.mean(values, axis=0)

    return loss


def _same_rank(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Keras's rank rule for one copy (``squeeze_or_expand_to_same_rank``), on stacked outputs."""
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape) - 1  # one copy's rank
    if true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    elif pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    return y_true, y_pred


def _per_example(spec: Any):
    """A loss (or metric function) as Keras applies it to each example, unreduced."""
    if isinstance(spec, str):
        spec = keras.losses.get(spec)
    if isinstance(spec, keras.losses.Loss):
        return spec.call  # per example, no reduction
    if callable(spec):
        return spec
    raise TypeError(f"a head's loss must be a name, a keras loss or a function, got {spec!r}")
