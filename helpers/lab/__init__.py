"""The loss-weight lab: sliders for a multi-output model's loss weights, live curves, runs.

:class:`LossWeightLab` trains a multi-output model (lesson 03's compact posts model by
default) with one log-scale slider per head. **Retrain** mode starts every run from the
same initial weights and optimizer state, with the same batches in the same order, so
runs differ only by their loss weights. **Live** mode lets a slider change the loss
weights of the running model from the next epoch on; the weights live in variables
(:mod:`helpers.lossweights`), so a change costs no recompile and no retrace.

How it stays responsive, safe and truthful:

- Training runs on a background thread, so the cell returns at once and the kernel keeps
  handling widget events, in every front end. ``train(block=True)`` trains in the
  calling thread instead, for notebooks and tests.
- Widget callbacks only set state; the training thread applies it at epoch boundaries.
  Everything shown goes into the lab's own widgets; nothing is printed from the thread.
- A code call does what its arguments say (Retrain and the lab's epochs by default);
  only the buttons use the widgets' settings. While a run trains, Train is disabled and
  the mode buttons show that run's mode.
- Stop ends a run within one epoch. A run whose loss becomes NaN stops, says so and puts
  the model back to its initial weights. Creating a lab stops every other lab's
  training; running a lab's cell again retires the lab it made before (its widget says
  so and can no longer train).

The parts, one reason to change each: ``_runs`` (records, requests, messages: pure),
``_config`` (arguments checked once), ``_trainer`` (the only part that talks to Keras),
``_state`` (state and the one training thread; neither Keras nor widgets), ``_view``
(the only ipywidgets import), ``_sweep`` (the trade-off figure) and ``_lab`` (the
facade). A new weighting method goes in the trainer, a new control in the view and
the state, a new panel in :mod:`helpers.live`.

Examples
--------
>>> lab = LossWeightLab()  # doctest: +SKIP
>>> lab  # doctest: +SKIP
>>> lab.train(weights={"age": 0.25, "income": 1, "gender": 10}, block=True)  # doctest: +SKIP
{'age_loss': ..., 'age_mae': ..., 'gender_accuracy': ..., 'gender_loss': ..., ...}
"""

from __future__ import annotations

from typing import Any

from ._runs import LabDivergedError, Run

__all__ = ["LabDivergedError", "LossWeightLab", "Run", "SweepResult"]


def __getattr__(name: str) -> Any:
    if name == "LossWeightLab":
        from ._lab import LossWeightLab

        return LossWeightLab
    if name == "SweepResult":
        from ._sweep import SweepResult

        return SweepResult
    raise AttributeError(f"module 'helpers.lab' has no attribute {name!r}")
