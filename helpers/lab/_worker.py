"""The lab's one training thread: a run at a time, Stop within an epoch, waits on events.

:class:`RunWorker` knows nothing about sliders, Keras or widgets: it trains a checked
:class:`~helpers.lab._records.RunRequest` through the injected :class:`TrainerLike`, is
the :class:`RunHooks` the trainer's callback calls, and tells its owner when a run
starts, progresses and ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from helpers._validate import check_int

from ._records import Run, RunRequest

__all__ = ["THREAD_NAME", "RunHooks", "RunWorker", "TrainerLike"]

THREAD_NAME = "loss-weight-lab-training"


class RunHooks(Protocol):
    """What the trainer's per-epoch callback may call on the worker, and nothing else."""

    def take_pending(self) -> dict[str, float] | None: ...
    def epoch_begun(self, run: Run, epoch: int) -> None: ...
    def epoch_ended(self, run: Run) -> None: ...


class TrainerLike(Protocol):
    """What the lab needs from a trainer (the Keras one, or a fake in tests)."""

    initial_losses: dict[str, float]

    def check_method(self, method: str) -> None: ...
    def run(self, request: RunRequest, run: Run, hooks: RunHooks) -> None: ...
    def restore(self, weights: Mapping[str, float]) -> None: ...
    def weights_in_use(self) -> dict[str, float]: ...


class RunWorker:
    """Runs requests one at a time and implements :class:`RunHooks`.

    Parameters
    ----------
    trainer : TrainerLike
        Trains a run.
    started, progressed, ended : callable
        Called (with no lock held) with the run when it starts, after each epoch begins
        (with the epoch), and when it has ended and been recorded.
    """

    def __init__(
        self,
        trainer: TrainerLike,
        *,
        started: Callable[[Run, RunRequest], None],
        progressed: Callable[[Run, int], None],
        ended: Callable[[Run], None],
    ) -> None:
        self.trainer = trainer
        self._started, self._progressed, self._ended = started, progressed, ended
        self.runs: list[Run] = []
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._request: RunRequest | None = None
        self._current_run: Run | None = None
        self._thread: threading.Thread | None = None
        self._pending: dict[str, float] | None = None
        self._count = 0

    @property
    def current_run(self) -> Run | None:
        """The run in progress, or None."""
        with self._lock:
            return self._current_run

    @property
    def current_request(self) -> RunRequest | None:
        """The request being trained, or None."""
        with self._lock:
            return self._request

    def claim(self, request: RunRequest) -> None:
        """Reserve the worker for ``request``; raise if a run is already in progress."""
        with self._lock:
            if self._request is not None:
                raise RuntimeError(
                    "a run is already in progress: press Stop (or call lab.stop(wait=True)) first"
                )
            self._request = request
            self._pending = None

    def start(self, request: RunRequest, block: bool) -> Run | None:
        """Train a claimed request: here and return the run, or on the thread (None)."""
        if block:
            return self._run(request)
        thread = threading.Thread(target=self._run, args=(request,), name=THREAD_NAME, daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        return None

    def start_task(
        self, request: RunRequest, task: Callable[[RunRequest], Any], block: bool
    ) -> Any:
        """Run ``task(request)`` for a claimed request that is not one run (a map).

        Stop, ``wait`` and the one-run-at-a-time claim work as for a run; no run is
        recorded. Returns the task's result here, or None at once on the thread.
        """

        def body() -> Any:
            try:
                return task(request)
            finally:
                with self._lock:
                    self._request = None
                    if self._thread is threading.current_thread():
                        self._thread = None
                    self._idle.notify_all()

        if block:
            return body()
        thread = threading.Thread(target=body, name=THREAD_NAME, daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        return None

    def record(self, make: Callable[[int], Run]) -> Run:
        """Add a finished run made elsewhere (a sweep's) to the runs, numbered in turn."""
        with self._lock:
            self._count += 1
            run = make(self._count)
            self.runs.append(run)
        return run

    def offer(self, weights: Mapping[str, float]) -> None:
        """New wanted weights: a live run takes them at its next epoch."""
        with self._lock:
            if self._request is not None and self._request.live:
                self._pending = dict(weights)

    def _run(self, request: RunRequest) -> Run:
        with self._lock:
            self._count += 1
            run = Run(
                self._count, request.kind, dict(request.weights), request.epochs, request.method
            )
            self._current_run = run
        self._started(run, request)
        try:
            self.trainer.run(request, run, self)
        except Exception as exc:  # shown in the lab; raised again for block=True
            run.status = "failed"
            run.error = exc
            run.message = f"Run {run.number} failed: {type(exc).__name__}: {exc}"
        except BaseException:  # KeyboardInterrupt while blocking: note it, then let it go
            run.status = "interrupted"
            run.message = f"Run {run.number} interrupted after epoch {run.epochs_run}."
            raise
        finally:
            run.seconds = time.perf_counter() - request.requested
            with self._lock:
                self.runs.append(run)
            try:
                self._ended(run)
            finally:
                with self._lock:
                    self._request = None
                    self._current_run = None
                    if self._thread is threading.current_thread():
                        self._thread = None
                    self._idle.notify_all()
        return run

    def frame_drawn(self) -> None:
        """The live plot showed a frame: note the run's first curve point."""
        with self._lock:
            run, request = self._current_run, self._request
        if run is not None and request is not None and run.first_point_seconds is None:
            run.first_point_seconds = time.perf_counter() - request.requested

    # RunHooks: called by the trainer's callback on the training thread.
    def take_pending(self) -> dict[str, float] | None:
        with self._lock:
            pending, self._pending = self._pending, None
            return pending

    def epoch_begun(self, run: Run, epoch: int) -> None:
        self._progressed(run, epoch)

    def epoch_ended(self, run: Run) -> None:
        with self._idle:
            self._idle.notify_all()  # for wait(epoch=...)

    def wait(self, timeout: float | None = None, *, epoch: int | None = None) -> Run | None:
        """Wait until no run is in progress, or the run in progress has ``epoch`` epochs.

        Returns that run, or the latest run once idle (None if there is none). Raises
        ``TimeoutError`` if still waiting after ``timeout`` seconds.
        """
        if epoch is not None:
            epoch = check_int("epoch", epoch, low=1, high=10_000_000)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._request is not None:
                run = self._current_run
                if epoch is not None and run is not None and run.epochs_run >= epoch:
                    return run
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"the lab is still training after {timeout} s")
                self._idle.wait(remaining)
            return self.runs[-1] if self.runs else None

    def stop(self, wait: bool = False, timeout: float | None = 30.0) -> bool:
        """Ask the run in progress to stop within an epoch; return whether one was running."""
        with self._lock:
            busy = self._request is not None
            if busy:
                self._request.stop.set()
            thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return busy

    def __repr__(self) -> str:  # pragma: no cover - a debugging aid
        state: Any = self._current_run.number if self._current_run else "idle"
        return f"<RunWorker {state}>"
