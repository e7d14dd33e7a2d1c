"""The per-head loss table of a multi-output model: which head drives training.

A multi-output model minimises one number, ``loss = sum(weight[h] * loss[h])``. Keras
reports the unweighted per-head losses as ``<head>_loss`` (in ``History.history`` and in
``evaluate(..., return_dict=True)``) next to that weighted total. :func:`loss_table`
puts each head's raw loss, its weight, its weighted contribution and its share of the
total side by side. Plain Python: no Keras or NumPy needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["HeadLoss", "LossTable", "loss_table"]


@dataclass(frozen=True)
class HeadLoss:
    """One row of a :class:`LossTable`.

    Attributes
    ----------
    head : str
        The output's name.
    raw : float
        The head's unweighted loss (Keras's ``<head>_loss``).
    weight : float
        Its loss weight.
    weighted : float
        ``weight * raw``: what the head adds to the total loss.
    share : float
        ``weighted / total``, between 0 and 1.
    """

    head: str
    raw: float
    weight: float
    weighted: float
    share: float


@dataclass(frozen=True, repr=False)
class LossTable:
    """Per-head losses, weights and contributions; prints as a small text table.

    Attributes
    ----------
    rows : tuple of HeadLoss
        One row per head, in the order the heads were given.
    total : float
        The sum of the weighted losses.
    reported_total : float or None
        Keras's own ``loss`` entry, when the scores had one. It equals ``total`` up to
        rounding (and up to how a smaller last batch is averaged).
    """

    rows: tuple[HeadLoss, ...]
    total: float
    reported_total: float | None = None

    def __getitem__(self, head: str) -> HeadLoss:
        for row in self.rows:
            if row.head == head:
                return row
        raise KeyError(f"no head {head!r} in this table; heads are {[r.head for r in self.rows]}")

    @property
    def heads(self) -> tuple[str, ...]:
        """The head names, in table order."""
        return tuple(row.head for row in self.rows)

    def __str__(self) -> str:
        width = max(6, *(len(row.head) for row in self.rows))
        lines = [
            f"{'head':<{width}}  {'raw loss':>10}  {'weight':>8}  {'weighted':>10}  {'share':>8}"
        ]
        for row in self.rows:
            lines.append(
                f"{row.head:<{width}}  {row.raw:>10.3f}  {row.weight:>8.3f}  "
                f"{row.weighted:>10.3f}  {100 * row.share:>7.2f}%"
            )
        lines.append(f"{'total':<{width}}  {'':>10}  {'':>8}  {self.total:>10.3f}  {100.0:>7.2f}%")
        if self.reported_total is not None:
            lines.append(f"(Keras's `loss`: {self.reported_total:.3f})")
        return "\n".join(lines)

    __repr__ = __str__


def loss_table(
    scores,
    loss_weights: Mapping[str, float] | Sequence[float] | None = None,
    *,
    heads: Sequence[str] | None = None,
    epoch: int = -1,
    prefix: str = "",
) -> LossTable:
    """Each head's raw loss, its weight, its weighted contribution and its share.

    Parameters
    ----------
    scores : dict or keras.callbacks.History
        ``model.evaluate(..., return_dict=True)`` (floats), ``history.history`` (lists,
        one value per epoch) or the ``History`` object ``fit`` returns. It must hold
        ``<head>_loss`` for every head; Keras's ``loss`` is shown too when present.
    loss_weights : dict, list or None
        The weights given to ``compile``: a dict keyed by head, or a list in the
        model's output order (then pass ``heads``). ``None`` means every weight is 1,
        which is what Keras uses when ``loss_weights`` is left out.
    heads : sequence of str, optional
        Head names in output order (``model.output_names``). Needed with a list of
        weights; with a dict, defaults to its keys; with ``None``, to the heads found
        in ``scores``.
    epoch : int, default -1
        Which epoch of a history to read; ``0`` is the first, ``-1`` the last.
    prefix : str, default ""
        ``"val_"`` reads the validation losses of a history.

    Returns
    -------
    LossTable
        Prints as a table; ``table["age"].share`` and friends give the numbers.

    Examples
    --------
    >>> scores = {"loss": 2.1, "age_loss": 0.4, "income_loss": 1.0, "gender_loss": 0.1}
    >>> table = loss_table(scores, {"age": 0.25, "income": 1.0, "gender": 10.0})
    >>> round(table.total, 3), round(table["gender"].share, 3)
    (2.1, 0.476)
    """
    values = _scores_dict(scores)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string such as '' or 'val_', got {prefix!r}")
    weights = _weights(loss_weights, heads, values, prefix)

    raw = {head: _pick(values, f"{prefix}{head}_loss", epoch) for head in weights}
    weighted = {head: weights[head] * raw[head] for head in weights}
    total = math.fsum(weighted.values())
    rows = tuple(
        HeadLoss(
            head=head,
            raw=raw[head],
            weight=weights[head],
            weighted=weighted[head],
            share=weighted[head] / total if total else float("nan"),
        )
        for head in weights
    )
    reported = _pick(values, f"{prefix}loss", epoch) if f"{prefix}loss" in values else None
    return LossTable(rows=rows, total=total, reported_total=reported)


def _scores_dict(scores) -> Mapping:
    values = getattr(scores, "history", scores)
    if not isinstance(values, Mapping):
        raise TypeError(
            "scores must be the dict from evaluate(..., return_dict=True), history.history "
            f"or a History object; got {type(scores).__name__}. (A plain list from evaluate() "
            "has no names: call evaluate with return_dict=True.)"
        )
    return values


def _weights(loss_weights, heads, values, prefix) -> dict[str, float]:
    if heads is not None:
        if isinstance(heads, str) or not isinstance(heads, Sequence):
            raise TypeError(f"heads must be a list of output names, got {heads!r}")
        heads = [str(h) for h in heads]
    if loss_weights is None:
        if heads is None:
            heads = [
                key[len(prefix) : -len("_loss")]
                for key in values
                if key.startswith(prefix)
                and key.endswith("_loss")
                and key != f"{prefix}loss"
                and not (prefix == "" and key.startswith("val_"))
            ]
        weights = {head: 1.0 for head in heads}
    elif isinstance(loss_weights, Mapping):
        if heads is not None and set(heads) != set(loss_weights):
            raise ValueError(
                f"loss_weights names heads {sorted(loss_weights)} but heads={heads}; "
                "they must name the same outputs"
            )
        order = heads if heads is not None else list(loss_weights)
        weights = {head: loss_weights[head] for head in order}
    elif isinstance(loss_weights, Sequence) and not isinstance(loss_weights, str):
        if heads is None:
            raise ValueError(
                "loss_weights is a list, so the table needs the head names in the same "
                "order: pass heads=model.output_names (or give loss_weights as a dict)"
            )
        if len(loss_weights) != len(heads):
            raise ValueError(
                f"loss_weights has {len(loss_weights)} entries but heads has {len(heads)} "
                f"({heads}); give one weight per head"
            )
        weights = dict(zip(heads, loss_weights, strict=True))
    else:
        raise TypeError(
            f"loss_weights must be a dict keyed by head, a list in output order or None, "
            f"got {loss_weights!r}"
        )
    if not weights:
        raise ValueError(f"no per-head losses found in scores (keys: {sorted(values)})")
    for head, weight in weights.items():
        try:
            value = None if isinstance(weight, (bool, str)) else float(weight)
        except (TypeError, ValueError):
            value = None
        if value is None or not math.isfinite(value) or value < 0:
            raise ValueError(
                f"the loss weight of {head!r} must be a non-negative number, got {weight!r}"
            )
        weights[head] = value
    return weights


def _pick(values: Mapping, key: str, epoch: int) -> float:
    if key not in values:
        raise KeyError(
            f"scores have no {key!r}; they have {sorted(values)}. Check the head names "
            "(model.output_names) and, for validation losses, fit with validation data."
        )
    value = values[key]
    if isinstance(value, Sequence) and not isinstance(value, str):
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            raise TypeError(f"epoch must be an integer, got {epoch!r}")
        if not -len(value) <= epoch < len(value):
            raise ValueError(
                f"epoch must be between {-len(value)} and {len(value) - 1} "
                f"(the history has {len(value)} epochs), got {epoch}"
            )
        value = value[epoch]
    return float(value)
