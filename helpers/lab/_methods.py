"""Loss-weighting methods that choose the weights themselves, as pure functions.

Each takes what was measured in the epoch that just ended and returns the weights for
the next one. NumPy only: the trainer measures (losses, gradients, learned variances)
and assigns; these functions decide.

- ``"manual"``: the weights the learner set (the sliders).
- ``"uncertainty"`` (Kendall, Gal and Cipolla 2018): the total is
  ``sum(exp(-s_i) * L_i + s_i)`` with one learned log-variance ``s_i`` per head, so head
  ``i``'s weight is ``exp(-s_i)`` and its learned variance ``exp(s_i)``. The optimum of
  ``s_i`` is where ``exp(s_i)`` equals the head's loss: the weights drift towards
  ``1 / loss``, Balance kept up to date.
- ``"dwa"``, Dynamic Weight Average (Liu, Johns and Davison 2019): ``w_i = K *
  softmax(r_i / T)`` with ``r_i = L_i(t-1) / L_i(t-2)`` and ``T = 2``; a head whose loss
  falls slowly gets more weight. Weights are 1 for the first two epochs.
- ``"gradnorm"`` (Chen et al. 2018): each head's weighted gradient norm on the shared
  layer, ``G_i = w_i * |grad L_i|``, is moved towards ``mean(G) * r_i ** alpha`` where
  ``r_i`` is the head's loss ratio ``L_i(t) / L_i(0)`` relative to the mean ratio
  (``alpha = 1.5``). Here the step is taken once per epoch on a fixed probe batch, as a
  damped multiplicative move towards that target, then the weights are rescaled to sum
  to the number of heads ``K``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "METHODS",
    "starting_weights",
    "dwa_weights",
    "gradnorm_weights",
    "uncertainty_weights",
]

METHODS = ("manual", "uncertainty", "dwa", "gradnorm")
LOW, HIGH = 0.001, 100.0


def starting_weights(method: str, kind: str, weights, heads: Sequence[str]):
    """The weights a run starts from: ``weights`` for manual runs, 1 for every head else.

    Raises a ``ValueError`` for an unknown method, or a method other than manual asked
    for live mode or given weights (it chooses them itself).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if method == "manual":
        return weights
    if kind == "live":
        raise ValueError(
            f"method {method!r} chooses the weights itself while it trains; "
            "use mode='retrain' (live mode is for moving the sliders by hand)"
        )
    if weights:
        raise ValueError(
            f"method {method!r} chooses the weights itself, starting from 1 for every "
            "head; leave weights= out (or use method='manual')"
        )
    return dict.fromkeys(heads, 1.0)


def _clip(weights: Mapping[str, float]) -> dict[str, float]:
    return {h: float(min(HIGH, max(LOW, w))) for h, w in weights.items()}


def uncertainty_weights(log_variances: Mapping[str, float]) -> dict[str, float]:
    """``exp(-s_i)``: the weight each learned log-variance gives its head's loss.

    Examples
    --------
    >>> uncertainty_weights({"a": 0.0, "b": math.log(4.0)})
    {'a': 1.0, 'b': 0.25}
    """
    return _clip({h: math.exp(-s) for h, s in log_variances.items()})


def dwa_weights(
    history: Mapping[str, Sequence[float]], heads: Sequence[str], temperature: float = 2.0
) -> dict[str, float]:
    """Dynamic Weight Average's weights for the next epoch, from each head's epoch losses.

    Examples
    --------
    >>> dwa_weights({"a_loss": [1.0], "b_loss": [1.0]}, ["a", "b"])  # too early: all 1
    {'a': 1.0, 'b': 1.0}
    >>> w = dwa_weights({"a_loss": [1.0, 0.5], "b_loss": [1.0, 1.0]}, ["a", "b"])
    >>> w["b"] > 1 > w["a"]  # b's loss fell more slowly, so b gets more weight
    True
    """
    if any(len(history.get(f"{h}_loss", ())) < 2 for h in heads):
        return dict.fromkeys(heads, 1.0)
    ratios = np.array([history[f"{h}_loss"][-1] / history[f"{h}_loss"][-2] for h in heads])
    scaled = np.exp((ratios - ratios.max()) / temperature)
    weights = len(heads) * scaled / scaled.sum()
    return _clip(dict(zip(heads, weights.tolist(), strict=True)))


def gradnorm_weights(
    weights: Mapping[str, float],
    grad_norms: Mapping[str, float],
    losses: Mapping[str, float],
    initial_losses: Mapping[str, float],
    *,
    alpha: float = 1.5,
    step: float = 0.5,
) -> dict[str, float]:
    """GradNorm's next weights from the unweighted gradient norms and loss ratios.

    ``grad_norms`` are the norms of each head's *unweighted* loss gradient on the shared
    layer. Each weight is multiplied by ``(target_i / G_i) ** step`` and the weights are
    rescaled to sum to the number of heads.

    Examples
    --------
    >>> w = gradnorm_weights({"a": 1.0, "b": 1.0}, {"a": 4.0, "b": 1.0},
    ...                      {"a": 1.0, "b": 1.0}, {"a": 1.0, "b": 1.0})
    >>> w["a"] < 1 < w["b"]  # a's gradient dominates the shared layer: a gets less weight
    True
    """
    heads = list(weights)
    g = np.array([weights[h] * grad_norms[h] for h in heads])
    rate = np.array([losses[h] / initial_losses[h] for h in heads])
    relative = rate / rate.mean()
    target = g.mean() * relative**alpha
    factor = np.where(g > 0, (target / np.maximum(g, 1e-12)) ** step, 1.0)
    new = np.array([weights[h] for h in heads]) * factor
    new = len(heads) * new / new.sum()
    return _clip(dict(zip(heads, new.tolist(), strict=True)))
