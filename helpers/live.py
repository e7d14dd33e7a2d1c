"""Live loss plots for single- and multi-output training, cheap enough to leave on.

:class:`LiveLossPlot` is a Keras callback that draws one persistent figure: a panel for
the total loss, one for each output head, and optionally each head's weighted share of
the total and each head's metrics. Training curves are solid, validation curves dashed.

Why it stays cheap:

- The figure is a :class:`matplotlib.figure.Figure` rendered to PNG with the Agg canvas
  and shown through an IPython display handle, updated in place. Nothing is cleared, so
  Keras's own progress output stays where it is, and pyplot's global list of figures is
  never touched.
- Frames are drawn on a time budget (:class:`RedrawBudget`), not every epoch: at most one
  every ``min_interval`` seconds, and only while the time spent drawing stays under
  ``max_overhead`` of the time spent training. The callback records each epoch's logs
  (a few floats) and overrides no batch hook, so Keras keeps its fast batch loop.
- The last frame is always drawn: when training ends (also after ``EarlyStopping`` or
  ``model.stop_training = True``), and when it is interrupted (``KeyboardInterrupt`` or
  any error), from IPython's ``post_run_cell`` event once the cell stops. Outside IPython,
  use the plot as a context manager (``with LiveLossPlot() as live: model.fit(...)``) or
  call :meth:`LiveLossPlot.finish`.

Headless runs (nbclient, nbval, ``jupyter nbconvert --execute``) keep the final frame in
the saved notebook as ``image/png``. Every frame carries the same ``text/plain``, so
nbval's comparison (which skips images) sees a stable output.

Examples
--------
>>> model.fit(x, y, epochs=20, validation_split=0.2, verbose=0,
...           callbacks=[LiveLossPlot()])  # doctest: +SKIP
>>> plot_history(history, contributions=True)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator, ScalarFormatter

from helpers.env import quiet_keras_import

keras = quiet_keras_import()

__all__ = ["FRAME_TEXT", "LiveLossPlot", "RedrawBudget", "plot_history"]

#: The ``text/plain`` part of every live frame. It never changes between frames, so a
#: notebook's saved output compares equal under nbval whichever frame it holds.
FRAME_TEXT = "<Live loss plot>"

_TOTAL_COLOR = "black"
_HEAD_COLORS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9")


class RedrawBudget:
    """Decide when a live plot may draw its next frame.

    A frame is due when at least ``min_interval`` seconds have passed since the last
    frame ended *and* drawing it (estimated by the last frame's cost) keeps the total
    drawing time within ``max_overhead`` of the time training has had so far. The final
    frame is not subject to the budget, so drawing adds at most ``max_overhead * elapsed``
    plus one frame.

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
        Cost in seconds assumed for the first frame, before one has been measured. The
        first frame of a new figure costs about three later ones (its axes and ticks are
        built), some 0.2 s for four panels on a small CPU.

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
        _check_number("min_interval", min_interval, low=0.0, fix="use seconds, e.g. 1.0")
        _check_number(
            "max_overhead",
            max_overhead,
            low=0.0,
            high=1.0,
            low_open=True,
            fix="use a share of the training time, e.g. 0.05",
        )
        _check_number("first_cost", first_cost, low=0.0, fix="use seconds, e.g. 0.2")
        self.min_interval = float(min_interval)
        self.max_overhead = float(max_overhead)
        self.first_cost = float(first_cost)
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
        self.cost = self.first_cost

    def due(self, now: float, cpu: float | None = None) -> bool:
        """Whether a frame may be drawn at wall time ``now`` (CPU time ``cpu``)."""
        if self.last_end is not None and now - self.last_end < self.min_interval:
            return False
        elapsed = now - self.started
        if cpu is not None and self.cpu_started is not None:
            elapsed = min(elapsed, cpu - self.cpu_started)
        return self.spent + self.cost <= self.max_overhead * elapsed

    def record(self, start: float, end: float) -> None:
        """Account for a frame drawn from ``start`` to ``end``."""
        self.cost = max(end - start, 0.0)
        self.spent += self.cost
        self.count += 1
        self.last_end = end


@dataclass(frozen=True)
class _Series:
    """One curve: a history key, or ``("weighted", head)`` for a head's share."""

    key: str | tuple[str, str]
    color: str
    linestyle: str
    label: str


@dataclass(frozen=True)
class _Panel:
    name: str
    title: str
    series: tuple[_Series, ...]
    is_loss: bool
    legend: bool = False


class LiveLossPlot(keras.callbacks.Callback):
    """A Keras callback that plots every head's loss while ``fit`` runs.

    One figure, updated in place: the total loss, each output head's (unweighted) loss,
    optionally each head's weighted share of the total and each head's metrics. Panels
    follow the history keys Keras reports (``loss``, ``<head>_loss``,
    ``<head>_<metric>`` and their ``val_`` versions), so the same callback serves
    single- and multi-output models. Frames are drawn on a time budget and the final
    frame is always drawn, also when training is interrupted (see the module docstring).

    Each call to ``fit`` starts a new output (and new curves); the figure itself is reused
    while the panels stay the same. All drawing happens on the thread that runs the
    callback, or on the thread calling :meth:`redraw`; a lock keeps them apart.

    Parameters
    ----------
    contributions : bool
        Add a panel with each head's weighted contribution to the total,
        ``loss_weight * <head>_loss`` (training values). Multi-output models only.
    log_scale : bool
        Draw loss panels with a logarithmic y axis (metric panels stay linear).
    metrics : bool
        Add a panel for every metric in the logs (accuracy, MAE, ...).
    loss_weights : mapping, sequence, float or callable, optional
        The weights the total loss uses, for the contributions panel. A dict keyed by
        output name, a list in output order, or a callable returning either (read at
        every epoch, so weights held in variables that change during training are
        followed). Values may be numbers or Keras variables. By default the weights
        given to ``compile`` are read from the model (1.0 where none were given).
    min_interval : float
        Fewest seconds between two frames while training.
    max_overhead : float
        Largest share of the training time spent drawing frames, in (0, 1]: of the wall
        time, or of the process's CPU time when the machine is busy and that is less
        (see :class:`RedrawBudget`). The final frame is drawn regardless.
    columns : int, optional
        Panels per row; by default 1-3 (2 for four panels).
    panel_size : (float, float)
        Width and height of one panel, in inches.
    dpi : int
        Resolution of the frames.
    display : bool, optional
        Show frames in the notebook through an IPython display handle. By default frames
        are shown when running inside a Jupyter kernel and not otherwise (a plain script
        keeps the data only; :attr:`figure` draws it on demand).
    on_frame : callable, optional
        Called with each new frame's PNG bytes, on the drawing thread. Lets a front end
        of your own (an ``ipywidgets.Image``, a file) receive frames; combine with
        ``display=False`` to show them only there.

    Attributes
    ----------
    history : dict of str to list of float
        Everything recorded so far, one value per epoch (NaN where a key was missing).
    epochs : list of int
        The 1-based epoch numbers recorded.
    redraws : int
        Frames drawn during the latest ``fit`` (final frame included).
    redraw_seconds : float
        Wall time spent drawing those frames.
    epochs_drawn : int
        Epochs shown in the newest frame.

    Examples
    --------
    >>> live = LiveLossPlot(contributions=True)
    >>> history = model.fit(x, y, epochs=20, validation_split=0.2, verbose=0,
    ...                     callbacks=[live])  # doctest: +SKIP
    >>> LiveLossPlot.from_history(history, log_scale=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        contributions: bool = False,
        log_scale: bool = False,
        metrics: bool = False,
        loss_weights: Mapping[str, Any] | Sequence[Any] | float | Callable[[], Any] | None = None,
        min_interval: float = 1.0,
        max_overhead: float = 0.05,
        columns: int | None = None,
        panel_size: tuple[float, float] = (3.4, 2.3),
        dpi: int = 80,
        display: bool | None = None,
        on_frame: Callable[[bytes], Any] | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("contributions", contributions),
            ("log_scale", log_scale),
            ("metrics", metrics),
        ):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False, got {value!r}")
        if display is not None and not isinstance(display, bool):
            raise TypeError(f"display must be True, False or None (automatic), got {display!r}")
        if loss_weights is not None and not (
            isinstance(loss_weights, (Mapping, Sequence, int, float)) or callable(loss_weights)
        ):
            raise TypeError(
                "loss_weights must be a dict keyed by output name, a list in output order, "
                f"a number or a callable returning one of those; got {loss_weights!r}"
            )
        if isinstance(loss_weights, (str, bytes)):
            raise TypeError(f"loss_weights must hold numbers, got the string {loss_weights!r}")
        if on_frame is not None and not callable(on_frame):
            raise TypeError(f"on_frame must be a function taking PNG bytes, got {on_frame!r}")
        if columns is not None and (
            not isinstance(columns, int) or isinstance(columns, bool) or columns < 1
        ):
            raise ValueError(f"columns must be a positive int or None, got {columns!r}")
        if (
            not isinstance(panel_size, (tuple, list))
            or len(panel_size) != 2
            or not all(_is_positive_number(v) for v in panel_size)
        ):
            raise ValueError(
                f"panel_size must be (width, height) in inches, e.g. (3.4, 2.3); got {panel_size!r}"
            )
        if not isinstance(dpi, int) or isinstance(dpi, bool) or not 10 <= dpi <= 600:
            raise ValueError(f"dpi must be an int between 10 and 600, e.g. 80; got {dpi!r}")

        self.contributions = contributions
        self.log_scale = log_scale
        self.metrics = metrics
        self.loss_weights = loss_weights
        self.columns = columns
        self.panel_size = (float(panel_size[0]), float(panel_size[1]))
        self.dpi = dpi
        self.display = display
        self.on_frame = on_frame
        self.budget = RedrawBudget(min_interval=min_interval, max_overhead=max_overhead)

        self._lock = threading.RLock()
        self._handle = None  # IPython DisplayHandle of the current run
        self._shell = None  # IPython shell whose post_run_cell event we listen to
        self._training_thread: threading.Thread | None = None
        self._training = False
        self._planned_epochs: int | None = None
        self._figure: Figure | None = None
        self._panels: tuple[_Panel, ...] = ()
        self._artists: list[tuple[Any, _Panel, list[Line2D]]] = []
        self._stale = False  # data newer than the figure's artists
        self._unsent = False  # data newer than the newest frame
        self._reset()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_history(cls, history: Any, **options: Any) -> LiveLossPlot:
        """Plot a finished training run.

        Parameters
        ----------
        history : keras.callbacks.History or dict of str to list of float
            What ``fit`` returned, or its ``.history`` dict.
        **options
            Any of the constructor's keyword arguments (``contributions``,
            ``log_scale``, ``metrics``, ``loss_weights``, ...).

        Returns
        -------
        LiveLossPlot
            Shown as the figure when it is the last expression of a cell; its
            :attr:`figure` is the :class:`matplotlib.figure.Figure`.

        Examples
        --------
        >>> LiveLossPlot.from_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
        <Loss plot: 2 epochs; panels: loss>
        """
        options.setdefault("display", False)
        plot = cls(**options)
        if isinstance(history, Mapping):
            logs, model = history, None
        elif isinstance(getattr(history, "history", None), Mapping):
            logs, model = history.history, getattr(history, "model", None)
        else:
            raise TypeError(
                "history must be what model.fit returned (a keras.callbacks.History) "
                f"or its .history dict; got {type(history).__name__}"
            )
        columns = {}
        for key, values in logs.items():
            if not isinstance(key, str):
                raise TypeError(f"history keys must be strings, got {key!r}")
            values = list(np.ravel(np.asarray(values, dtype=float)))
            columns[key] = values
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(
                "every history entry needs one value per epoch; got lengths "
                f"{ {k: len(v) for k, v in columns.items()} }"
            )
        if model is not None:
            plot._model = model
        count = lengths.pop() if lengths else 0
        with plot._lock:
            plot._planned_epochs = count
            for index in range(count):
                plot._record(index, {k: v[index] for k, v in columns.items()})
        return plot

    def _reset(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self._weights: list[dict[str, float] | None] = []
        self.redraws = 0
        self.redraw_seconds = 0.0
        self.epochs_drawn = 0

    # ------------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        with self._lock:
            self._reset()  # the figure stays: a later fit with the same panels reuses it
            self._stale = self._unsent = False
            self._planned_epochs = (self.params or {}).get("epochs")
            self._training_thread = threading.current_thread()
            self._training = True
            self.budget.start(time.perf_counter(), time.process_time())
            self._handle = None
            shell = _jupyter_shell() if self.display is not False else None
            if shell is not None or self.display:
                self._handle = _show_placeholder()
            if self._handle is not None or self.on_frame is not None:
                self._listen_for_cell_end()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        with self._lock:
            self._record(epoch, logs or {})
            if self._frames_wanted() and self.budget.due(time.perf_counter(), time.process_time()):
                self._send_frame()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.finish()

    # ------------------------------------------------------------------ public API
    def finish(self) -> None:
        """Draw the final frame (if anything is new) and stop listening for the cell's end.

        Called by Keras when ``fit`` ends. Call it yourself after an interrupted ``fit``
        outside IPython, or use the plot as a context manager. Safe to call twice.
        """
        with self._lock:
            self._training = False
            if self._frames_wanted() and self._unsent:
                self._send_frame()
            self._stop_listening()

    def redraw(self) -> None:
        """Draw a frame now, outside the budget; safe to call from any thread."""
        with self._lock:
            if self._frames_wanted() and self.epochs:
                self._send_frame()
            else:
                self._sync()

    @property
    def figure(self) -> Figure | None:
        """The :class:`~matplotlib.figure.Figure` with every recorded epoch drawn in.

        ``None`` until the first epoch has been recorded.
        """
        with self._lock:
            self._sync()
            return self._figure

    @property
    def panel_titles(self) -> list[str]:
        """Titles of the panels, in drawing order, without the latest values."""
        with self._lock:
            return [panel.title for panel in self._panels]

    def to_png(self) -> bytes:
        """Render the figure, every recorded epoch included, to PNG bytes."""
        with self._lock:
            if not self.epochs:
                raise ValueError(
                    "nothing to draw yet: no epoch has been recorded. Train with this "
                    "callback, or build the plot with LiveLossPlot.from_history(history)."
                )
            self._sync()
            buffer = io.BytesIO()
            self._figure.canvas.print_png(buffer)
            return buffer.getvalue()

    def __enter__(self) -> LiveLossPlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        data = {"text/plain": repr(self)}
        if self.epochs:
            data["image/png"] = base64.b64encode(self.to_png()).decode("ascii")
        return data

    def __repr__(self) -> str:
        with self._lock:
            if not self._panels:
                return "<Loss plot: no epochs recorded yet>"
            names = ", ".join(panel.name for panel in self._panels)
            return f"<Loss plot: {len(self.epochs)} epochs; panels: {names}>"

    # ------------------------------------------------------------------ recording
    def _record(self, epoch: int, logs: Mapping[str, Any]) -> None:
        values = {}
        for key, value in logs.items():
            try:
                values[key] = float(value)
            except (TypeError, ValueError):
                continue  # not a scalar (Keras may log other things); nothing to plot
        count = len(self.epochs)
        for key in values:
            if key not in self.history:
                self.history[key] = [math.nan] * count
        for key, column in self.history.items():
            column.append(values.get(key, math.nan))
        self.epochs.append(int(epoch) + 1)
        self._weights.append(self._current_weights() if self.contributions else None)
        panels = self._layout()
        if panels != self._panels:
            self._panels = panels
            self._figure = None  # rebuilt by _sync with the new panels
        self._stale = self._unsent = True

    def _heads(self) -> list[str]:
        keys = [k for k in self.history if not k.startswith("val_")]
        names = getattr(getattr(self, "_model", None), "output_names", None)
        if isinstance(names, (list, tuple)) and len(names) > 1:
            heads = [n for n in names if isinstance(n, str) and f"{n}_loss" in self.history]
            if heads:
                return heads
        return [k[: -len("_loss")] for k in keys if k.endswith("_loss")]

    def _layout(self) -> tuple[_Panel, ...]:
        heads = self._heads()
        has_val = any(k.startswith("val_") for k in self.history)
        colors = {head: _HEAD_COLORS[i % len(_HEAD_COLORS)] for i, head in enumerate(heads)}

        def curves(key: str, color: str) -> tuple[_Series, ...]:
            found = [_Series(key, color, "-", "training")]
            if has_val and f"val_{key}" in self.history:
                found.append(_Series(f"val_{key}", color, "--", "validation"))
            return tuple(found)

        panels = []
        if "loss" in self.history:
            title = "total loss (weighted sum)" if heads else "loss"
            name = "total" if heads else "loss"
            panels.append(_Panel(name, title, curves("loss", _TOTAL_COLOR), is_loss=True))
        if self.contributions and heads:
            shares = tuple(_Series(("weighted", h), colors[h], "-", h) for h in heads)
            total = _Series("loss", _TOTAL_COLOR, ":", "total")
            panels.append(
                _Panel(
                    "contributions",
                    "weighted contributions to the total",
                    (total, *shares),
                    is_loss=True,
                    legend=True,
                )
            )
        for head in heads:
            panels.append(
                _Panel(head, f"{head} loss", curves(f"{head}_loss", colors[head]), is_loss=True)
            )
        if self.metrics:
            taken = {"loss", *(f"{h}_loss" for h in heads)}
            found = []
            for key in self.history:
                if key.startswith("val_") or key in taken:
                    continue
                owner = max((h for h in heads if key.startswith(f"{h}_")), key=len, default=None)
                order = heads.index(owner) if owner else len(heads)
                found.append((order, key, owner))
            for _, key, owner in sorted(found):
                color = colors[owner] if owner else _TOTAL_COLOR
                title = f"{owner} {key[len(owner) + 1 :]}" if owner else key
                panels.append(_Panel(title, title, curves(key, color), is_loss=False))
        return tuple(panels)

    def _current_weights(self) -> dict[str, float] | None:
        """The loss weight of each head now, or None when they cannot be known."""
        heads = self._heads()
        model = getattr(self, "_model", None)
        source = self.loss_weights
        try:
            if callable(source):
                source = source()
            if source is None:
                compiled = getattr(model, "_compile_loss", None)
                if compiled is None or not hasattr(compiled, "_user_loss_weights"):
                    return None
                source = compiled._user_loss_weights
                if source is None:
                    return dict.fromkeys(heads, 1.0)
            return _weights_by_head(source, heads, getattr(model, "output_names", None))
        except (TypeError, ValueError, KeyError, IndexError):
            return None

    def _series(self, key: str | tuple[str, str]) -> np.ndarray:
        if isinstance(key, tuple):
            head = key[1]
            losses = self.history.get(f"{head}_loss", [])
            return np.array(
                [
                    (w[head] * v) if w is not None and head in w else math.nan
                    for w, v in zip(self._weights, losses, strict=True)
                ],
                dtype=float,
            )
        return np.asarray(self.history.get(key, []), dtype=float)

    # ------------------------------------------------------------------ drawing
    def _frames_wanted(self) -> bool:
        return self._handle is not None or self.on_frame is not None

    def _build_figure(self) -> None:
        count = len(self._panels)
        columns = self.columns or (2 if count == 4 else min(count, 3))
        rows = math.ceil(count / columns)
        width, height = self.panel_size
        top_margin = 0.45  # inches for the figure legend
        fig = Figure(
            figsize=(columns * width, rows * height + top_margin), dpi=self.dpi, layout=None
        )
        FigureCanvasAgg(fig)
        fig.subplots_adjust(
            left=0.55 / (columns * width),
            right=1 - 0.15 / (columns * width),
            bottom=0.5 / (rows * height + top_margin),
            top=1 - (top_margin + 0.25) / (rows * height + top_margin),
            wspace=0.32,
            hspace=0.62,
        )
        has_val = any(k.startswith("val_") for k in self.history)
        handles = [Line2D([], [], color="0.3", linestyle="-", label="training")]
        if has_val:
            handles.append(Line2D([], [], color="0.3", linestyle="--", label="validation"))
        fig.legend(handles=handles, loc="upper center", ncols=2, frameon=False, fontsize=9)

        self._artists = []
        for index, panel in enumerate(self._panels):
            ax = fig.add_subplot(rows, columns, index + 1)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.tick_params(labelsize=8)
            ax.grid(True, alpha=0.3)
            if panel.is_loss and self.log_scale:
                ax.set_yscale("log", nonpositive="mask")
                # Plain tick labels: the default mathtext ones (10^-1) cost more to draw than
                # the rest of the frame. The locator is picked per frame in _sync.
                ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
                ax.yaxis.set_minor_locator(NullLocator())
            if index >= count - columns:
                ax.set_xlabel("epoch", fontsize=8)
            else:  # every panel shares the epochs: label them once, under the bottom row
                ax.tick_params(labelbottom=False)
            lines = [
                ax.plot([], [], color=s.color, linestyle=s.linestyle, label=s.label, lw=1.5)[0]
                for s in panel.series
            ]
            if panel.legend:
                ax.legend(fontsize=7, loc="best", framealpha=0.8, handlelength=1.5)
            self._artists.append((ax, panel, lines))
        self._figure = fig

    def _sync(self) -> None:
        """Bring the figure's artists up to date with the recorded epochs."""
        if not self._stale or not self._panels:
            return
        if self._figure is None:
            self._build_figure()
        x = np.asarray(self.epochs, dtype=float)
        right = max(self._planned_epochs or 0, int(x[-1]), 2)
        marker = "." if len(x) <= 30 else ""
        for ax, panel, lines in self._artists:
            if ax.get_xlim() != (1.0, right):
                ax.set_xlim(1, right)
            for series, line in zip(panel.series, lines, strict=True):
                line.set_data(x, self._series(series.key))
                line.set_marker(marker)
            ax.relim()
            ax.autoscale_view(scalex=False)
            if ax.get_yscale() == "log":
                _pick_log_ticks(ax)
            ax.set_title(_title_with_latest(panel, self._series), fontsize=9)
        self._stale = False

    def _send_frame(self) -> None:
        """Render a frame and hand it to the display handle and ``on_frame``."""
        start = time.perf_counter()
        png = self.to_png()
        if self._handle is not None:
            self._handle.update(_bundle(png), raw=True)
        if self.on_frame is not None:
            self.on_frame(png)
        end = time.perf_counter()
        if self._training:
            self.budget.record(start, end)
        self.redraws += 1
        self.redraw_seconds += end - start
        self.epochs_drawn = len(self.epochs)
        self._unsent = False

    # ------------------------------------------------------------------ cell end
    def _listen_for_cell_end(self) -> None:
        shell = _ipython_shell()
        if shell is None or self._shell is shell:
            return
        self._stop_listening()
        shell.events.register("post_run_cell", self._after_cell)
        self._shell = shell

    def _stop_listening(self) -> None:
        if self._shell is not None:
            try:
                self._shell.events.unregister("post_run_cell", self._after_cell)
            except ValueError:
                pass
            self._shell = None

    def _after_cell(self, *args: Any) -> None:
        """IPython's ``post_run_cell``: if ``fit`` was interrupted here, draw the last frame.

        Keras does not call ``on_train_end`` when ``fit`` raises, so without this the
        figure would stop at whatever frame the budget last allowed. A ``fit`` still
        running on another thread is left alone: it finishes the plot itself (or, if that
        thread died with an error, the first cell to end afterwards does).
        """
        with self._lock:
            thread = self._training_thread
            if self._training and thread is not threading.current_thread() and thread.is_alive():
                return
            self.finish()


def plot_history(history: Any, **options: Any) -> LiveLossPlot:
    """Plot a finished training run: the same figure :class:`LiveLossPlot` draws live.

    Parameters
    ----------
    history : keras.callbacks.History or dict of str to list of float
        What ``model.fit`` returned, or its ``.history`` dict.
    **options
        ``contributions``, ``log_scale``, ``metrics``, ``loss_weights``, ``columns``,
        ``panel_size``, ``dpi``: see :class:`LiveLossPlot`.

    Returns
    -------
    LiveLossPlot
        Shown as the figure when it is the last expression of a cell.

    Examples
    --------
    >>> plot_history({"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7]})
    <Loss plot: 3 epochs; panels: loss>
    """
    return LiveLossPlot.from_history(history, **options)


# ---------------------------------------------------------------------- helpers
def _ipython_shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _jupyter_shell():
    """The IPython shell if this runs inside a Jupyter kernel, else None."""
    shell = _ipython_shell()
    return shell if getattr(shell, "kernel", None) is not None else None


def _bundle(png: bytes) -> dict[str, str]:
    return {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": FRAME_TEXT}


def _show_placeholder():
    """Open the display handle that later frames replace; None outside IPython."""
    if _ipython_shell() is None:
        return None
    from IPython.display import display

    return display({"text/plain": FRAME_TEXT}, raw=True, display_id=True)


def _title_with_latest(panel: _Panel, series: Callable[[Any], np.ndarray]) -> str:
    if panel.legend:
        shares = [series(s.key) for s in panel.series if isinstance(s.key, tuple)]
        if not any(np.isfinite(values).any() for values in shares):
            return f"{panel.title}: loss weights unknown (pass loss_weights=)"
        return panel.title
    latest = []
    for s in panel.series:
        values = series(s.key)
        if len(values) and math.isfinite(values[-1]):
            latest.append(("val " if s.linestyle == "--" else "") + f"{values[-1]:.3g}")
    return f"{panel.title}: {' / '.join(latest)}" if latest else panel.title


def _pick_log_ticks(ax: Any) -> None:
    """Ticks at 1, 2, 5 x 10^k over wide ranges, evenly spaced ones over narrow ranges."""
    low, high = ax.get_ylim()
    if low > 0 and high / low >= 4:
        subs = (1.0, 2.0, 5.0) if high / low < 1e3 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(subs=subs, numticks=6))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except TypeError:
        return float(np.asarray(value))


def _weights_by_head(
    source: Any, heads: Sequence[str], output_names: Sequence[str] | None
) -> dict[str, float] | None:
    if isinstance(source, Mapping):
        return {h: _as_float(source[h]) for h in heads if h in source}
    if isinstance(source, (int, float)):
        return dict.fromkeys(heads, float(source))
    if isinstance(source, Sequence):
        names = list(output_names) if output_names else list(heads)
        if len(source) != len(names):
            return None
        by_name = {n: _as_float(w) for n, w in zip(names, source, strict=True)}
        return {h: by_name[h] for h in heads if h in by_name}
    return dict.fromkeys(heads, _as_float(source))  # a single variable


def _is_positive_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _check_number(
    name: str,
    value: Any,
    *,
    low: float,
    high: float | None = None,
    low_open: bool = False,
    fix: str,
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (high is None or value <= high)
    if not ok:
        low_text = f"> {low}" if low_open else f">= {low}"
        high_text = f" and <= {high}" if high is not None else ""
        raise ValueError(f"{name} must be a number {low_text}{high_text}, got {value!r}; {fix}")
