"""``lab.map`` and ``lab.sweep``: many runs from the lab's one start, trained together.

:class:`MapAndSweep` does what :class:`~helpers.lab._lab.LossWeightLab` hands its
``map`` and ``sweep`` to. It builds the stacked copies' trainer at the first of them
(:class:`~helpers.lab._copies.CopiesTrainer`; for a model that cannot be stacked the
runs train one after another), checks the arguments (:func:`~._map_train.run_map`,
:func:`~._sweep.run_sweep`) and trains them as one task of the lab's state
(``state.tasks``), so Train, Stop and Reset treat a map or a sweep as they treat a run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._copies import CopiesTrainer
from ._map import MapResult
from ._map_train import run_map
from ._sweep import SweepResult, run_sweep

__all__ = ["MapAndSweep"]


class MapAndSweep:
    """Maps and sweeps on the lab ``state``, trained as copies of ``trainer``'s model."""

    def __init__(self, state: Any, trainer: Any, head_metrics: Mapping[str, str]) -> None:
        self.state, self.trainer, self.head_metrics = state, trainer, dict(head_metrics)
        self.copies_trainer: CopiesTrainer | None = None  # built at the first map or sweep

    def map(
        self,
        x: str | None,
        y: str | None,
        values: Sequence[float],
        *,
        weights: Mapping[str, float] | None,
        epochs: int | None,
        block: bool,
    ) -> MapResult | None:
        """Train the map of ``x``'s and ``y``'s weights (default: the last two heads).

        Checks every argument first; see ``LossWeightLab.map``.
        """
        state, heads = self.state, self.state.heads
        train = run_map(
            state,
            self._copies(),
            heads[-2] if x is None else x,
            heads[-1] if y is None else y,
            values,
            weights=weights,
            epochs=epochs,
            head_metrics=self.head_metrics,
        )

        def task(stop: Any, progress: Callable[[str], None]) -> MapResult | None:
            try:
                result = train(stop, progress)
            except Exception as exc:
                state.set_message(f"The map failed: {type(exc).__name__}: {exc}")
                if block:
                    raise
                return None
            state.tasks.map_done(result)
            return result

        return state.tasks.run("map", task, block)

    def sweep(
        self,
        head: str,
        values: Sequence[float],
        *,
        weights: Mapping[str, float] | None,
        epochs: int | None,
    ) -> SweepResult:
        """Retrain once per value of ``head``'s weight; see ``LossWeightLab.sweep``."""
        return run_sweep(
            self.state,
            self._copies(),
            head,
            values,
            weights=weights,
            epochs=epochs,
            head_metrics=self.head_metrics,
        )

    def _copies(self) -> Callable[..., Any] | None:
        """The stacked trainer's ``train``, or None when this model cannot be stacked."""
        if self.copies_trainer is None:
            self.copies_trainer = CopiesTrainer(self.trainer)
        return None if self.copies_trainer.reason else self.copies_trainer.train
