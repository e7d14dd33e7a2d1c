"""When a live plot may draw: a pure policy that takes the clocks as input."""

from __future__ import annotations

import time

from helpers._validate import check_number

__all__ = ["RedrawBudget"]


class RedrawBudget:
    """Decide when a live plot may draw its next frame.

    A frame is due when at least ``min_interval`` seconds have passed since the last
    frame ended (and, for a run of known length, are left before its end) *and* drawing
    it (estimated by the last frame's cost) keeps the total drawing time within
    ``max_overhead`` of the time training has had so far. The final frame is not subject
    to the budget, so drawing adds at most ``max_overhead * elapsed`` plus one frame.

    "The time training has had" is the wall time since training began or, when CPU
    readings are given, the process's CPU time over the same span if that is less. On a
    machine busy with other work, training gets only part of the CPU and its wall time
    stretches; drawing is slowed as much, so a budget in wall time alone would let the
    plot take a growing share of what the process gets. Counting the smaller of the two
    makes the plot back off when the machine is busy.

    Parameters
    ----------
    min_interval : float
        Fewest seconds between the end of one frame and the start of the next.
    max_overhead : float
        Largest share of the elapsed time spent drawing, in (0, 1].
    first_cost : float
        Cost in seconds assumed for a frame before one has been measured; later runs
        start from the last measured cost. The first frame of a new figure costs about
        three later ones (its axes and ticks are built), some 0.2 s for four panels on a
        small CPU.

    Examples
    --------
    >>> budget = RedrawBudget(min_interval=1.0, max_overhead=0.05, first_cost=0.1)
    >>> budget.start(now=0.0)
    >>> budget.due(now=1.0)  # 0.1 s of drawing would be 10% of 1 s
    False
    >>> budget.due(now=2.0)
    True
    >>> budget.record(start=2.0, end=2.1)
    >>> budget.due(now=2.5)  # too soon after the last frame
    False
    >>> budget.start(now=0.0, cpu=0.0)
    >>> budget.due(now=2.0, cpu=1.0)  # busy machine: only 1 s of CPU in 2 s of wall time
    False
    """

    def __init__(
        self, min_interval: float = 1.0, max_overhead: float = 0.05, first_cost: float = 0.2
    ) -> None:
        check_number("min_interval", min_interval, low=0.0, fix="use seconds, e.g. 1.0")
        check_number(
            "max_overhead",
            max_overhead,
            low=0.0,
            high=1.0,
            low_open=True,
            fix="use a share of the training time, e.g. 0.05",
        )
        check_number("first_cost", first_cost, low=0.0, fix="use seconds, e.g. 0.2")
        self.min_interval = float(min_interval)
        self.max_overhead = float(max_overhead)
        self.first_cost = float(first_cost)
        self.measured_cost: float | None = None  # the last frame's, kept from run to run
        # (epochs, seconds of training less its frames) of the last run that ended whole
        self.last_run: tuple[int, float] | None = None
        self.start(time.perf_counter())

    def start(self, now: float, cpu: float | None = None) -> None:
        """Start a new training run at wall time ``now`` and process CPU time ``cpu``.

        Times are in seconds, from any monotonic clocks (``time.perf_counter`` and
        ``time.process_time``); ``cpu`` is optional.
        """
        self.started = now
        self.cpu_started = cpu
        self.spent = 0.0
        self.count = 0
        self.last_end: float | None = None
        self.cost = self.measured_cost if self.measured_cost is not None else self.first_cost

    def due(
        self,
        now: float,
        cpu: float | None = None,
        *,
        epochs_done: int = 0,
        planned_epochs: int | None = None,
    ) -> bool:
        """Whether a frame may be drawn at wall time ``now`` (CPU time ``cpu``).

        Given the epochs done and planned, a frame is not due either when the run, at its
        training pace so far, ends within ``min_interval``: its final frame (always drawn)
        comes sooner than a next frame could.

        Examples
        --------
        >>> budget = RedrawBudget(min_interval=0.5, max_overhead=1.0, first_cost=0.0)
        >>> budget.start(now=0.0)
        >>> budget.due(now=0.8, epochs_done=8, planned_epochs=10)  # 0.2 s left
        False
        >>> budget.due(now=0.8, epochs_done=4, planned_epochs=10)  # 1.2 s left
        True
        """
        if self.last_end is not None and now - self.last_end < self.min_interval:
            return False
        if planned_epochs and epochs_done >= 1:
            pace = (now - self.started - self.spent) / epochs_done
            if pace * (planned_epochs - epochs_done) < self.min_interval:
                return False
        elapsed = now - self.started
        if cpu is not None and self.cpu_started is not None:
            elapsed = min(elapsed, cpu - self.cpu_started)
        return self.spent + self.cost <= self.max_overhead * elapsed

    def record(self, start: float, end: float) -> None:
        """Account for a frame drawn from ``start`` to ``end``."""
        self.cost = self.measured_cost = max(end - start, 0.0)
        self.spent += self.cost
        self.count += 1
        self.last_end = end

    def run_ended(self, now: float, epochs: int) -> None:
        """Note that a run of ``epochs`` epochs trained to its end at wall time ``now``.

        The frames it drew while training are left out: a next run that leaves its first
        point to the final frame does not draw them.
        """
        self.last_run = (epochs, now - self.started - self.spent)

    def final_frame_within(
        self, now: float, epochs_done: int, planned_epochs: int | None, seconds: float
    ) -> bool:
        """Whether the run's final frame is expected within ``seconds`` of its start.

        The expected end is that of the last run with as many epochs, if one ended whole
        (the same lab trains at a steady pace; its first epoch is the slowest), less the
        frames it drew on the way, else the epochs so far projected at their pace; plus the
        cost of one frame. A plot that must show its first point within ``seconds`` can then
        leave that point to the final frame instead of drawing one more.

        Examples
        --------
        >>> budget = RedrawBudget(first_cost=0.2)
        >>> budget.start(now=0.0)
        >>> budget.final_frame_within(now=0.02, epochs_done=1, planned_epochs=10, seconds=0.5)
        True
        >>> budget.final_frame_within(now=0.1, epochs_done=1, planned_epochs=10, seconds=0.5)
        False
        >>> budget.run_ended(now=0.25, epochs=10)  # the first epoch was slow, the rest not
        >>> budget.start(now=5.0)
        >>> budget.final_frame_within(now=5.1, epochs_done=1, planned_epochs=10, seconds=0.5)
        True
        >>> budget.final_frame_within(now=5.02, epochs_done=1, planned_epochs=None, seconds=0.5)
        False
        >>> budget.record(start=5.1, end=5.3)  # it drew its first point after all
        >>> budget.run_ended(now=5.5, epochs=10)  # 0.3 s of training, the frame left out
        >>> budget.start(now=9.0)
        >>> budget.final_frame_within(now=9.05, epochs_done=1, planned_epochs=10, seconds=0.45)
        False
        >>> budget.final_frame_within(now=9.05, epochs_done=1, planned_epochs=10, seconds=0.5)
        True
        """
        if not planned_epochs or epochs_done < 1:
            return False
        if self.last_run is not None and self.last_run[0] == planned_epochs:
            return self.last_run[1] + self.cost <= seconds
        elapsed = now - self.started
        projected = elapsed * max(planned_epochs, epochs_done) / epochs_done + self.cost
        return projected <= seconds
