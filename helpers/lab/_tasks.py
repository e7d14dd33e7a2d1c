"""A map or a sweep on the lab's thread: many settings trained as one task, held like a run.

No Keras, no widgets. :class:`LabTasks` belongs to a
:class:`~helpers.lab._state.LabState` (``state.tasks``): a task holds the state's one
thread as a run does, so Train waits and Stop and Reset reach it; its progress shows in
the state's status line; a map's result stays as :attr:`LabTasks.last_map`, and a
sweep's runs join the runs table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import traitlets

from ._messages import map_text
from ._records import Run, RunRequest

__all__ = ["LabTasks"]


class LabTasks(traitlets.HasTraits):
    """What trains many settings at once on ``state``'s thread, and the latest map."""

    kind = traitlets.Unicode("", help="What trains many settings now ('map', 'sweep'), or ''.")
    last_map = traitlets.Any(None, allow_none=True, help="The latest trade-off map, or None.")

    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state

    def run(self, kind: str, task: Callable[..., Any], block: bool) -> Any:
        """Train many settings at once (a map, a sweep): ``task(stop, progress)``.

        The task holds the lab as a run does (Train waits, Stop and Reset reach it);
        ``progress(text)`` shows a line in the status. Returns the task's result when
        ``block``, else None at once (the task then runs on the lab's thread).
        """
        state = self.state
        request = state.claim_for_task(kind)

        def progress(text: str) -> None:
            state.status = text

        def body(request: RunRequest) -> Any:
            self.kind = kind
            try:
                return task(request.stop, progress)
            finally:
                state.task_ended()
                self.kind = ""

        return state.worker.start_task(request, body, block)

    def map_done(self, result: Any) -> None:
        """Keep ``result`` as the lab's map and say what it holds."""
        self.last_map = result
        self.state.set_message(map_text(result))

    def record(self, make: Callable[[int], Run]) -> Run:
        """Add a finished run made by ``make(number)`` (a sweep's) to the runs table."""
        run = self.state.worker.record(make)
        self.state.runs = list(self.state.worker.runs)
        return run
