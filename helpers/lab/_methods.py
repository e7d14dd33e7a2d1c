"""The registry of loss-weighting methods: who chooses the loss weights, and how.

Each :class:`Method` is one entry of :data:`METHODS`; the trainer, the state, the view's
dropdown and the replay cell all read it, so a new method is one entry here. The weight
rules are pure NumPy functions of an :class:`EpochInfo` (what the trainer measured in
the epoch that just ended); the trainer measures and assigns, these decide.

- manual: the weights the learner set (the sliders).
- uncertainty (Kendall, Gal and Cipolla 2018): total ``sum(exp(-s_i) * L_i + s_i)``
  with a learned log-variance ``s_i`` per head; head ``i``'s weight is ``exp(-s_i)``.
- DWA, Dynamic Weight Average (Liu, Johns and Davison 2019): ``w_i = K *
  softmax(r_i / T)``, ``r_i = L_i(t-1) / L_i(t-2)``, ``T = 2``; 1 for two epochs.
- GradNorm (Chen et al. 2018): each head's weighted gradient norm on the shared layer is
  moved towards ``mean(G) * r_i ** alpha`` (once per epoch, on a fixed probe batch),
  then the weights are rescaled to sum to the number of heads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN

__all__ = [
    "MANUAL",
    "METHODS",
    "EpochInfo",
    "Method",
    "dwa_weights",
    "gradnorm_weights",
    "starting_weights",
    "train_mode",
    "uncertainty_weights",
]


@dataclass(frozen=True)
class EpochInfo:
    """What the trainer measured in the epoch that just ended, for a method's rule.

    ``losses`` holds each head's training loss at every epoch so far, this one included;
    ``grads``/``probe_losses`` the heads' gradients on the shared layer and losses on the
    probe batch (methods that need gradients), ``initial_probe_losses`` the probe losses
    when the run began, ``log_variances`` the learned log-variances (learned-loss methods).
    """

    used: dict[str, float]
    losses: dict[str, list[float]]
    grads: Mapping[str, Any] | None = None
    probe_losses: Mapping[str, float] | None = None
    initial_probe_losses: Mapping[str, float] | None = None
    log_variances: Mapping[str, float] | None = None


def _no_logs(info: EpochInfo) -> dict[str, float]:
    return {}


@dataclass(frozen=True)
class Method:
    """One way of choosing the loss weights.

    Attributes
    ----------
    name, label : str
        The ``method=`` value, and the text of the lab's dropdown.
    needs_gradients : bool
        Measure each head's gradient on the shared layer after every epoch.
    replays_as_code : bool
        ``to_code`` can repeat its runs (the weights change between epochs only).
    learned_loss : bool
        The model's total loss is the uncertainty-weighted form, not Keras's sum.
    next_weights : callable or None
        ``EpochInfo -> weights for the next epoch`` (None: the learner chooses them); with
        ``learned_loss``, the weights the loss has learned by the epoch's end.
    logs : callable
        ``EpochInfo -> extra log entries`` (``"group/head"`` keys become a panel).
    """

    name: str
    label: str
    needs_gradients: bool = False
    replays_as_code: bool = True
    learned_loss: bool = False
    next_weights: Callable[[EpochInfo], dict[str, float] | None] | None = None
    logs: Callable[[EpochInfo], dict[str, float]] = field(default=_no_logs)

    @property
    def chooses_weights(self) -> bool:
        """Whether the method, not the learner, sets the weights."""
        return self.next_weights is not None


def _clip(weights: Mapping[str, float]) -> dict[str, float]:
    return {h: float(min(WEIGHT_MAX, max(WEIGHT_MIN, w))) for h, w in weights.items()}


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

    Each weight is multiplied by ``(target_i / G_i) ** step`` and the weights are
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


def _dwa(info: EpochInfo) -> dict[str, float]:
    return dwa_weights({f"{h}_loss": v for h, v in info.losses.items()}, list(info.used))


def _gradnorm(info: EpochInfo) -> dict[str, float]:
    norms = {h: float(np.linalg.norm(g)) for h, g in info.grads.items()}
    return gradnorm_weights(info.used, norms, info.probe_losses, info.initial_probe_losses)


def _uncertainty(info: EpochInfo) -> dict[str, float]:
    return uncertainty_weights(info.log_variances)


def _learned_variances(info: EpochInfo) -> dict[str, float]:
    return {f"learned variance/{h}": math.exp(s) for h, s in info.log_variances.items()}


MANUAL = "manual"
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(MANUAL, "manual (sliders)"),
        Method(
            "uncertainty",
            "uncertainty",
            replays_as_code=False,  # its weights change at every training step
            learned_loss=True,
            next_weights=_uncertainty,
            logs=_learned_variances,
        ),
        Method("dwa", "DWA", next_weights=_dwa),
        Method("gradnorm", "GradNorm", needs_gradients=True, next_weights=_gradnorm),
    )
}


def train_mode(method: str, mode: str) -> str:
    """The mode the Train button trains in: a method that chooses the weights retrains."""
    return "retrain" if METHODS[method].chooses_weights else mode


def starting_weights(method: str, kind: str, weights, heads: Sequence[str]):
    """The weights a run starts from: ``weights`` for manual runs, 1 for every head else.

    Raises a ``ValueError`` for an unknown method, or a method that chooses the weights
    asked for live mode or given weights.
    """
    if method not in METHODS:
        names = ", ".join(map(repr, METHODS))
        raise ValueError(f"method must be one of {names}; got {method!r}")
    if not METHODS[method].chooses_weights:
        return weights
    if kind == "live":
        raise ValueError(
            f"method {method!r} chooses the weights itself while it trains; "
            "use mode='retrain' (live mode is for moving the sliders by hand)"
        )
    if weights:
        raise ValueError(
            f"method {method!r} chooses the weights itself, starting from 1 for every "
            f"head; leave weights= out (or use method={MANUAL!r})"
        )
    return dict.fromkeys(heads, 1.0)
