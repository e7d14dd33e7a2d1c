"""The live plot without Keras, which :class:`helpers.live.LiveLossPlot` adapts ``fit`` to.

As ``ProgbarLogger`` adapts Keras's hooks to ``Progbar``. Drive it with ``begin``,
``epoch_ended``, ``finish``."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._budget import RedrawBudget
from ._figure import PanelFigure
from ._history import LossHistory, weights_by_head
from ._notebook import CellEndHook, frame_bundle, in_jupyter, open_handle
from ._options import PlotOptions
from ._panels import Panel, plan_panels

__all__ = ["LivePlot"]


class LivePlot:
    """Recorded epochs drawn as one figure, with frames sent on a time budget.

    ``options`` says what to draw, ``budget`` when. ``weights_source`` is called at each
    recorded epoch for the loss weights when ``options.loss_weights`` is not given (the
    Keras adapter reads the compiled ones).
    """

    def __init__(
        self, options: PlotOptions | None = None, budget: RedrawBudget | None = None
    ) -> None:
        self.options = options if options is not None else PlotOptions()
        self.budget = budget if budget is not None else RedrawBudget()
        self.output_names: Sequence[str] | None = None
        self.weights_source: Callable[[], Any] | None = None
        self.lock = threading.RLock()
        self._handle = None  # IPython DisplayHandle of the current run
        self._cell_end = CellEndHook(self._after_cell)
        self._training_thread: threading.Thread | None = None
        self._training = False
        self.planned_epochs: int | None = None
        self._drawing: PanelFigure | None = None
        self.panels: tuple[Panel, ...] = ()
        self.caption = self.options.caption  # the line under the legend; may change per run
        self._stale = False  # data newer than the figure's artists
        self._unsent = False  # data newer than the newest frame
        self._reset()

    def _reset(self) -> None:
        self.history = LossHistory()
        self.redraws = 0
        self.redraw_seconds = 0.0
        self.epochs_drawn = 0

    # ------------------------------------------------------------------ a run
    def begin(self, planned_epochs: int | None) -> None:
        """Start a new run: clear the history, open a display handle if frames are shown."""
        with self.lock:
            self._reset()  # the figure stays: a later run with the same panels reuses it
            self._stale = self._unsent = False
            self.planned_epochs = planned_epochs
            self._training_thread = threading.current_thread()
            self._training = True
            self.budget.start(time.perf_counter(), time.process_time())
            self._handle = None
            if self.options.display or (self.options.display is None and in_jupyter()):
                self._handle = open_handle()
            if self.frames_wanted():
                self._cell_end.listen()

    def epoch_ended(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """Record an epoch and send a frame if one is due."""
        with self.lock:
            self.record(epoch, logs)
            if not self.frames_wanted():
                return
            # The first epoch's frame: always, or (seconds) unless the final frame comes first.
            now = time.perf_counter()
            first_point = self.options.draw_first_epoch
            first = bool(first_point) and len(self.history.epochs) == 1
            if first and not isinstance(first_point, bool):
                first = not self.budget.final_frame_within(now, 1, self.planned_epochs, first_point)
            done, planned = len(self.history.epochs), self.planned_epochs
            if first or self.budget.due(
                now, time.process_time(), epochs_done=done, planned_epochs=planned
            ):
                self.send_frame()

    def finish(self) -> None:
        """Draw the final frame (if anything is new) and stop listening for the cell's end."""
        with self.lock:
            self._training = False
            epochs = self.history.epochs
            if epochs and self.planned_epochs and epochs[-1] >= self.planned_epochs:
                self.budget.run_ended(time.perf_counter(), self.planned_epochs)
            if epochs and self.planned_epochs and epochs[-1] < self.planned_epochs:
                # Stopped early: the final frame spans the epochs that ran, not the plan.
                self.planned_epochs = None
                self._stale = self._unsent = True
            if self.frames_wanted() and self._unsent:
                self.send_frame()
            self._cell_end.stop()

    def warm_up(self, logs: Mapping[str, Any], output_names: Sequence[str] | None) -> None:
        """Build and render the figure for runs with these logs' keys, off screen.

        The first frame of a new figure costs about three later ones (axes, ticks and fonts
        are set up). The lab calls this once, so its first Train press does not pay for it.
        Nothing is shown or kept but the figure.
        """
        with self.lock:
            self.output_names = output_names
            self.record(1, logs)
            self.to_png()
            self._reset()

    def redraw(self) -> None:
        """Draw a frame now, outside the budget; safe to call from any thread."""
        with self.lock:
            if self.frames_wanted() and self.history.epochs:
                self.send_frame()
            else:
                self.sync()

    # ------------------------------------------------------------------ recording
    def record(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """Add one epoch's logs (and the loss weights in use) and re-plan the panels."""
        self.history.record(epoch, logs)
        heads = self.history.heads(self.output_names)
        options = self.options
        if options.contributions:
            self.history.weights[-1] = self._current_weights(heads)
        panels = plan_panels(
            self.history,
            heads,
            contributions=options.contributions,
            metrics=options.metrics,
            extra=options.extra_panels,
        )
        if panels != self.panels:
            self.panels = panels
            self._drawing = None  # rebuilt by sync() with the new panels
        self._stale = self._unsent = True

    def _current_weights(self, heads: list[str]) -> dict[str, float] | None:
        """The loss weight of each head now, or None when they cannot be known."""
        source = self.options.loss_weights
        try:
            if callable(source):
                source = source()
            elif source is None and self.weights_source is not None:
                source = self.weights_source()
                if source == "all ones":
                    return dict.fromkeys(heads, 1.0)
            if source is None:
                return None
            return weights_by_head(source, heads, self.output_names)
        except (TypeError, ValueError, KeyError, IndexError):
            return None

    def set_caption(self, text: str) -> None:
        """A new line under the legend (say, which run the curves show), from the next frame."""
        with self.lock:
            self.caption = str(text)
            self._stale = True

    # ------------------------------------------------------------------ drawing
    def frames_wanted(self) -> bool:
        """Whether frames go anywhere (a display handle or ``on_frame``)."""
        return self._handle is not None or self.options.on_frame is not None

    @property
    def figure(self):
        """The figure with every recorded epoch drawn in; None before the first epoch."""
        with self.lock:
            self.sync()
            return self._drawing.figure if self._drawing is not None else None

    def sync(self) -> None:
        """Bring the figure up to date with the recorded epochs."""
        if not self._stale or not self.panels:
            return
        if self._drawing is None or (self._drawing.caption is None) == bool(self.caption):
            self._drawing = self.new_figure()
        self._drawing.sync(self.history, self.planned_epochs, self.caption)
        self._stale = False

    def new_figure(self) -> PanelFigure:
        """A new figure of this plot's panels, drawn as its options say (not yet synced)."""
        options = self.options
        return PanelFigure(
            self.panels,
            columns=options.columns,
            panel_size=options.panel_size,
            dpi=options.dpi,
            log_scale=options.log_scale,
            validation=self.history.has_validation(),
            caption=self.caption,
            legend=options.legend,
        )

    def to_png(self) -> bytes:
        """Render the figure, every recorded epoch included, to PNG bytes."""
        with self.lock:
            if not self.history.epochs:
                raise ValueError(
                    "nothing to draw yet: no epoch has been recorded. Train with this "
                    "callback, or build the plot with plot_history(history)."
                )
            self.sync()
            return self._drawing.to_png()

    def send_frame(self) -> None:
        """Render a frame and hand it to the display handle and ``on_frame``."""
        start = time.perf_counter()
        png = self.to_png()
        if self._handle is not None:
            self._handle.update(frame_bundle(png), raw=True)
        if self.options.on_frame is not None:
            self.options.on_frame(png)
        end = time.perf_counter()
        if self._training:
            self.budget.record(start, end)
        self.redraws += 1
        self.redraw_seconds += end - start
        self.epochs_drawn = len(self.history.epochs)
        self._unsent = False

    def mimebundle(self, text: str) -> dict[str, str]:
        """``text/plain`` plus the figure as PNG once an epoch is recorded."""
        data = {"text/plain": text}
        if self.history.epochs:
            data["image/png"] = base64.b64encode(self.to_png()).decode("ascii")
        return data

    def _after_cell(self, *args: Any) -> None:
        """IPython's ``post_run_cell``: if training was interrupted here, draw the last frame.

        Keras does not call ``on_train_end`` when ``fit`` raises, so without this the
        figure would stop at whatever frame the budget last allowed. A run still going on
        another thread is left alone: it finishes the plot itself (or, if that thread died
        with an error, the first cell to end afterwards does).
        """
        with self.lock:
            thread = self._training_thread
            if self._training and thread is not threading.current_thread() and thread.is_alive():
                return
            self.finish()
