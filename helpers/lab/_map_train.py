"""Training a map's (or a sweep's) runs: together when the model stacks, else one by one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpers._validate import check_int

from ._map import MapResult, check_map_values
from ._records import Run, RunRequest, check_lab_weights

__all__ = ["run_map", "train_plans"]


def run_map(
    state: Any,
    train_copies: Callable[..., tuple[list, int]] | None,
    x: str,
    y: str,
    values: Sequence[float],
    *,
    weights: Mapping[str, float] | None,
    epochs: int | None,
    head_metrics: Mapping[str, str],
) -> Callable[[], MapResult]:
    """Check a map's arguments; return the function that trains it and returns its result."""
    heads = state.heads
    values = check_map_values(values, heads, x, y)
    base = check_lab_weights(weights or {}, heads, state.weights)
    plans = [check_lab_weights({x: vx, y: vy}, heads, base) for vx in values for vy in values]
    epochs = state.default_epochs["retrain"] if epochs is None else epochs
    epochs = check_int("epochs", epochs, low=1, high=100_000)
    others = {h: base[h] for h in heads if h not in (x, y)}

    def train(stop: Any, progress: Callable[[str], None]) -> MapResult:
        started = time.perf_counter()
        metrics, done, _ = train_plans(
            state, train_copies, plans, epochs, stop, progress, f"Map of {len(plans)} runs"
        )
        return MapResult(
            x=x,
            y=y,
            values=values,
            others=others,
            weights=plans,
            metrics=metrics,
            head_metrics=dict(head_metrics),
            seconds=time.perf_counter() - started,
            epochs=done,
            stopped=stop.is_set(),
            together=train_copies is not None,
        )

    return train


def train_plans(
    state: Any,
    train_copies: Callable[..., tuple[list, int]] | None,
    plans: list[dict[str, float]],
    epochs: int,
    stop: Any,
    progress: Callable[[str], None],
    what: str,
) -> tuple[list[dict[str, float] | None], int, int]:
    """Train every plan: together when the model stacks, else one retrain after another.

    Returns ``(metrics, epochs_run, finished)``: held-out metrics per plan (None for a
    diverged or unfinished run), the epochs of the last run, and how many runs finished
    (after a Stop: none of the runs trained together; those before it, one by one).
    """
    if train_copies is not None:

        def epoch_done(epoch: int) -> None:
            progress(f"{what}, trained together: epoch {epoch} of {epochs} ...")

        progress(f"{what}, trained together: starting ...")
        metrics, done = train_copies(plans, epochs, stop=stop, progress=epoch_done)
        return metrics, done, 0 if stop.is_set() and done < epochs else len(plans)
    metrics: list[dict[str, float] | None] = []
    for index, plan in enumerate(plans, start=1):
        progress(f"{what}, one after another: run {index} of {len(plans)} ...")
        scores = _one_run(state.trainer, plan, epochs, stop)
        if stop.is_set():
            break
        metrics.append(scores)
    finished = len(metrics)
    return metrics + [None] * (len(plans) - finished), epochs, finished


class _NoHooks:
    """The hooks of a run nobody watches: no live weights, no progress."""

    def take_pending(self) -> None:
        return None

    def epoch_begun(self, run: Run, epoch: int) -> None:
        pass

    def epoch_ended(self, run: Run) -> None:
        pass


def _one_run(trainer: Any, plan: dict[str, float], epochs: int, stop: Any) -> dict | None:
    """One undrawn retrain at ``plan`` (for a model that cannot be stacked)."""
    request = RunRequest(dict(plan), epochs, "retrain", False)
    request.stop = stop  # the map's Stop ends this run too
    run = Run(0, "retrain", dict(plan), epochs)
    trainer.run(request, run, _NoHooks())
    return run.metrics if run.status == "done" else None
