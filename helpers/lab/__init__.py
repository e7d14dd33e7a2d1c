"""The loss-weight lab: sliders for a multi-output model's loss weights, live curves, runs.

:class:`LossWeightLab` trains a multi-output model (lesson 03's compact posts model by
default) with one log-scale slider per head, in Retrain mode (every run from the same
start) or Live mode (a slider acts from the next epoch). :data:`METHODS` lists who may
choose the weights; ``lab.map`` trains a whole plane of two heads' weights at once
(:class:`MapResult`). Why it is built this way: ``docs/design.md``.

Examples
--------
>>> lab = LossWeightLab()  # doctest: +SKIP
>>> lab.train(weights={"age": 0.25, "income": 1, "gender": 10}, block=True)  # doctest: +SKIP
{'age_loss': ..., 'age_mae': ..., 'gender_accuracy': ..., 'gender_loss': ..., ...}
"""

from __future__ import annotations

from typing import Any

from ._methods import METHODS, Method
from ._records import LabDivergedError, Run

__all__ = [
    "METHODS",
    "LabDivergedError",
    "LossWeightLab",
    "MapResult",
    "Method",
    "Run",
    "SweepResult",
    "plane_point",
]


def __getattr__(name: str) -> Any:
    if name == "LossWeightLab":
        from ._lab import LossWeightLab

        return LossWeightLab
    if name in ("MapResult", "plane_point"):
        from . import _map

        return getattr(_map, name)
    if name == "SweepResult":
        from ._sweep import SweepResult

        return SweepResult
    raise AttributeError(f"module 'helpers.lab' has no attribute {name!r}")
