"""The Keras callback: a thin adapter from ``fit``'s hooks to :class:`LivePlot`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np

from helpers.env import quiet_keras_import

from ._budget import RedrawBudget
from ._options import PlotOptions
from ._plot import LivePlot

keras = quiet_keras_import()

__all__ = ["LiveLossPlot", "compiled_loss_weights", "plot_history"]


class LiveLossPlot(keras.callbacks.Callback):
    """A Keras callback that plots every head's loss while ``fit`` runs.

    One figure, updated in place: the total loss, each output head's (unweighted) loss,
    optionally each head's weighted share of the total and each head's metrics. Panels
    follow the history keys Keras reports (``loss``, ``<head>_loss``,
    ``<head>_<metric>`` and their ``val_`` versions), so the same callback serves
    single- and multi-output models. Panel titles give each curve's latest value,
    labelled "training" or "validation". Frames are drawn on a time budget and the
    final frame is always drawn, also when training is interrupted (see
    :mod:`helpers.live`).

    Each call to ``fit`` starts a new output (and new curves); the figure itself is reused
    while the panels stay the same. All drawing happens on the thread that runs the
    callback, or on the thread calling :meth:`redraw`; a lock keeps them apart.

    Parameters
    ----------
    min_interval, max_overhead : float
        The :class:`RedrawBudget`: fewest seconds between frames while training, and the
        largest share of the training time spent drawing (the final frame is free).
    **options
        What to draw and where frames go: the fields of
        :class:`~helpers.live._options.PlotOptions` (``contributions``, ``log_scale``,
        ``metrics``, ``loss_weights``, ``columns``, ``panel_size``, ``dpi``,
        ``display``, ``on_frame``, ``draw_first_epoch``, ``caption``, ``legend``,
        ``extra_panels``), each checked with a message naming it.

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
    >>> plot_history(history, log_scale=True)  # doctest: +SKIP
    """

    def __init__(self, *, min_interval: float = 1.0, max_overhead: float = 0.05, **options: Any):
        super().__init__()
        unknown = sorted(set(options) - {f.name for f in fields(PlotOptions)})
        if unknown:
            known = ", ".join(f.name for f in fields(PlotOptions))
            raise TypeError(
                f"LiveLossPlot got unknown options {unknown}; the options are min_interval, "
                f"max_overhead, {known}"
            )
        budget = RedrawBudget(min_interval=min_interval, max_overhead=max_overhead)
        self.plot = LivePlot(PlotOptions(**options), budget)
        self.plot.weights_source = lambda: compiled_loss_weights(getattr(self, "_model", None))

    # ------------------------------------------------------------------ Keras hooks
    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self.plot.output_names = getattr(model, "output_names", None)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.plot.begin((self.params or {}).get("epochs"))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.plot.epoch_ended(epoch, logs or {})

    def on_train_end(self, logs: dict | None = None) -> None:
        self.plot.finish()

    # ------------------------------------------------------------------ what it shows
    def finish(self) -> None:
        """Draw the final frame (if anything is new) and stop listening for the cell's end.

        Called by Keras when ``fit`` ends. Call it yourself after an interrupted ``fit``
        outside IPython, or use the plot as a context manager. Safe to call twice.
        """
        self.plot.finish()

    def redraw(self) -> None:
        """Draw a frame now, outside the budget; safe to call from any thread."""
        self.plot.redraw()

    def to_png(self) -> bytes:
        """Render the figure, every recorded epoch included, to PNG bytes."""
        return self.plot.to_png()

    @property
    def figure(self):
        """The :class:`~matplotlib.figure.Figure` with every recorded epoch drawn in.

        ``None`` until the first epoch has been recorded.
        """
        return self.plot.figure

    @property
    def caption(self) -> str:
        """The line under the legend; set it to label the frames that follow."""
        return self.plot.caption

    @caption.setter
    def caption(self, text: str) -> None:
        self.plot.set_caption(text)

    @property
    def panel_titles(self) -> list[str]:
        """Titles of the panels, in drawing order, without the latest values."""
        with self.plot.lock:
            return [panel.title for panel in self.plot.panels]

    @property
    def history(self) -> dict[str, list[float]]:
        """Everything recorded so far, one value per epoch (NaN where a key was missing)."""
        return self.plot.history.values

    @property
    def epochs(self) -> list[int]:
        """The 1-based epoch numbers recorded."""
        return self.plot.history.epochs

    @property
    def budget(self) -> RedrawBudget:
        """When frames are drawn."""
        return self.plot.budget

    @property
    def redraws(self) -> int:
        """Frames drawn during the latest ``fit`` (final frame included)."""
        return self.plot.redraws

    @property
    def redraw_seconds(self) -> float:
        """Wall time spent drawing those frames."""
        return self.plot.redraw_seconds

    @property
    def epochs_drawn(self) -> int:
        """Epochs shown in the newest frame."""
        return self.plot.epochs_drawn

    def __enter__(self) -> LiveLossPlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.plot.mimebundle(repr(self))

    def __repr__(self) -> str:
        with self.plot.lock:
            if not self.plot.panels:
                return "<Loss plot: no epochs recorded yet>"
            names = ", ".join(panel.name for panel in self.plot.panels)
            return f"<Loss plot: {len(self.plot.history.epochs)} epochs; panels: {names}>"


def compiled_loss_weights(model: Any) -> Any:
    """The loss weights given to ``model.compile``: a dict, a list, ``"all ones"`` or None.

    The one place that reads Keras's private compile state; None when it cannot be
    known (no model, or a Keras without that attribute).
    """
    compiled = getattr(model, "_compile_loss", None)
    if compiled is None or not hasattr(compiled, "_user_loss_weights"):
        return None
    weights = compiled._user_loss_weights
    return "all ones" if weights is None else weights


def plot_history(history: Any, **options: Any) -> LiveLossPlot:
    """Plot a finished training run: the same figure :class:`LiveLossPlot` draws live.

    Parameters
    ----------
    history : keras.callbacks.History or dict of str to list of float
        What ``model.fit`` returned, or its ``.history`` dict.
    **options
        Any of :class:`LiveLossPlot`'s options (``contributions``, ``log_scale``, ...).

    Returns
    -------
    LiveLossPlot
        Shown as the figure when it is the last expression of a cell; its
        :attr:`~LiveLossPlot.figure` is the :class:`matplotlib.figure.Figure`.

    Examples
    --------
    >>> plot_history({"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7]})
    <Loss plot: 3 epochs; panels: loss>
    """
    options.setdefault("display", False)
    live = LiveLossPlot(**options)
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
        columns[key] = list(np.ravel(np.asarray(values, dtype=float)))
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(
            "every history entry needs one value per epoch; got lengths "
            f"{ {k: len(v) for k, v in columns.items()} }"
        )
    if model is not None:
        live.set_model(model)
    count = lengths.pop() if lengths else 0
    with live.plot.lock:
        live.plot.planned_epochs = count
        for index in range(count):
            live.plot.record(index, {k: v[index] for k, v in columns.items()})
    return live
