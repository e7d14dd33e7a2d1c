"""Live loss plots for single- and multi-output training, cheap enough to leave on.

:class:`LiveLossPlot` is a Keras callback that draws one persistent figure: the total
loss, one panel per output head, and optionally each head's weighted share and metrics.
Frames are drawn on a time budget and the final frame is always drawn. A new panel:
first, log ``"<group>/<member>"`` keys (each group becomes a panel with one curve per
member, as the lab's ``loss weight/<head>``); else pass ``extra_panels=[f]``, ``f(history,
heads) -> Panel``. Why it is built this way: ``docs/design.md``.

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
from ._options import PlotOptions

__all__ = ["FRAME_TEXT", "LiveLossPlot", "PlotOptions", "RedrawBudget", "plot_history"]


def __getattr__(name: str) -> Any:
    if name in ("LiveLossPlot", "plot_history"):
        from . import _callback

        return getattr(_callback, name)
    raise AttributeError(f"module 'helpers.live' has no attribute {name!r}")
