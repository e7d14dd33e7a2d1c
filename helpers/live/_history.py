"""What a live plot records: one value per epoch and key, plus the loss weights in use.

Pure Python and NumPy: no Keras, no matplotlib. :class:`LossHistory` is to the live
plot what livelossplot's ``MainLogger`` is to its outputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["LossHistory", "weights_by_head"]


class LossHistory:
    """Every recorded epoch's logs, and the loss weights in use at each epoch.

    Attributes
    ----------
    values : dict of str to list of float
        One value per recorded epoch for every key seen so far (NaN where missing).
    epochs : list of int
        The 1-based epoch numbers recorded.
    weights : list of (dict of str to float) or None
        The loss weight of each head at each epoch, None where unknown.

    Examples
    --------
    >>> history = LossHistory()
    >>> history.record(0, {"loss": 2.0, "a_loss": 1.0, "b_loss": 0.5}, {"a": 1.0, "b": 2.0})
    >>> history.record(1, {"loss": 1.0, "a_loss": 0.5, "b_loss": 0.25}, {"a": 1.0, "b": 2.0})
    >>> history.series(("weighted", "b")).tolist()
    [1.0, 0.5]
    >>> history.heads(None)
    ['a', 'b']
    """

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.weights: list[dict[str, float] | None] = []

    def __len__(self) -> int:
        return len(self.epochs)

    def record(
        self, epoch: int, logs: Mapping[str, Any], weights: Mapping[str, float] | None = None
    ) -> None:
        """Add epoch ``epoch`` (0-based, as Keras counts) with its logs and loss weights.

        Values that are not scalars are skipped (Keras may log other things).
        """
        values = {}
        for key, value in logs.items():
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                continue
        count = len(self.epochs)
        for key in values:
            if key not in self.values:
                self.values[key] = [math.nan] * count
        for key, column in self.values.items():
            column.append(values.get(key, math.nan))
        self.epochs.append(int(epoch) + 1)
        self.weights.append(dict(weights) if weights is not None else None)

    def has_validation(self) -> bool:
        """Whether any ``val_`` key has been recorded."""
        return any(k.startswith("val_") for k in self.values)

    def heads(self, output_names: Sequence[str] | None) -> list[str]:
        """The output heads whose ``<head>_loss`` was recorded, in the model's order."""
        if isinstance(output_names, (list, tuple)) and len(output_names) > 1:
            found = [n for n in output_names if isinstance(n, str) and f"{n}_loss" in self.values]
            if found:
                return found
        keys = [k for k in self.values if not k.startswith("val_")]
        return [k[: -len("_loss")] for k in keys if k.endswith("_loss")]

    def series(self, key: str | tuple[str, str]) -> np.ndarray:
        """The values of ``key``, or of ``("weighted", head)``: weight times head loss."""
        if isinstance(key, tuple):
            head = key[1]
            losses = self.values.get(f"{head}_loss", [])
            return np.array(
                [
                    (w[head] * v) if w is not None and head in w else math.nan
                    for w, v in zip(self.weights, losses, strict=True)
                ],
                dtype=float,
            )
        return np.asarray(self.values.get(key, []), dtype=float)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except TypeError:
        return float(np.asarray(value))


def weights_by_head(
    source: Any, heads: Sequence[str], output_names: Sequence[str] | None
) -> dict[str, float] | None:
    """Loss weights as ``{head: float}`` from a dict, a list in output order or one number.

    Values may be numbers or anything ``float`` or NumPy can read (Keras variables).

    Examples
    --------
    >>> weights_by_head([0.25, 1, 10], ["age", "gender"], ["age", "income", "gender"])
    {'age': 0.25, 'gender': 10.0}
    """
    if isinstance(source, Mapping):
        return {h: _as_float(source[h]) for h in heads if h in source}
    if isinstance(source, (int, float)):
        return dict.fromkeys(heads, float(source))
    if isinstance(source, Sequence):
        names = list(output_names) if output_names else list(heads)
        if len(source) != len(names):
            return None
        by_name = {n: _as_float(w) for n, w in zip(names, source, strict=True)}
        return {h: by_name[h] for h in heads if h in by_name}
    return dict.fromkeys(heads, _as_float(source))  # a single variable
