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

The parts, one job each (livelossplot's input / logger / output split):
``_budget`` (when to draw), ``_history`` (what was recorded), ``_panels`` (what to
draw), ``_figure`` (matplotlib), ``_notebook`` (display handle, cell end) and
``_callback`` (the Keras adapter, the only part that imports Keras). Importing this
package loads Keras only when :class:`LiveLossPlot` or :func:`plot_history` is used.

Examples
--------
>>> model.fit(x, y, epochs=20, validation_split=0.2, verbose=0,
...           callbacks=[LiveLossPlot()])  # doctest: +SKIP
>>> plot_history(history, contributions=True)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ._budget import RedrawBudget
from ._notebook import FRAME_TEXT

__all__ = ["FRAME_TEXT", "LiveLossPlot", "RedrawBudget", "plot_history"]


def __getattr__(name: str) -> Any:
    if name in ("LiveLossPlot", "plot_history"):
        from . import _callback

        return getattr(_callback, name)
    raise AttributeError(f"module 'helpers.live' has no attribute {name!r}")
