"""The live plot's options: one frozen record, checked once (a bad one is named with a fix)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpers._validate import check_bool, check_choice, check_number

__all__ = ["LEGEND_PLACES", "PlotOptions"]

LEGEND_PLACES = ("inside", "above")
"""Where a panel's legend can go: :class:`PlotOptions`'s ``legend``."""


@dataclass(frozen=True)
class PlotOptions:
    """What a live plot draws and where its frames go; :class:`LiveLossPlot`'s keywords.

    Attributes
    ----------
    contributions : bool
        A panel with each head's weighted share of the total, ``loss_weight * <head>_loss``.
    log_scale : bool
        Loss panels on a logarithmic y axis (metric panels stay linear).
    metrics : bool
        A panel for every metric in the logs (accuracy, MAE, ...).
    loss_weights : mapping, sequence, float or callable, optional
        The total's weights for the contributions panel: by output name, in output order,
        or a callable returning either (read every epoch). Default: the compiled ones.
    columns : int, optional
        Panels per row; by default 1-3 (2 for four panels).
    panel_size : (float, float)
        Width and height of one panel, in inches.
    dpi : int
        Resolution of the frames.
    display : bool, optional
        Show frames through an IPython display handle; by default only inside Jupyter.
    on_frame : callable, optional
        Called with each new frame's PNG bytes, on the drawing thread.
    draw_first_epoch : bool or float
        Draw when the first epoch ends, whatever the budget; a number of seconds does so
        unless the whole run, at the first epoch's pace, ends within that time.
    caption : str
        A line of text under the legend.
    legend : {"inside", "above"}
        Where a panel with several named curves (weighted contributions, a group of
        ``"<group>/<member>"`` keys) puts its legend: in the upper right corner of its
        axes, or on one row between its title and its axes, where it covers no curve.
    extra_panels : sequence of callable
        Each takes ``(history, heads)`` and returns a :class:`~helpers.live._panels.Panel`
        or None; drawn after the built-in panels.
    """

    contributions: bool = False
    log_scale: bool = False
    metrics: bool = False
    loss_weights: Mapping[str, Any] | Sequence[Any] | float | Callable[[], Any] | None = None
    columns: int | None = None
    panel_size: tuple[float, float] = (3.4, 2.3)
    dpi: int = 80
    display: bool | None = None
    on_frame: Callable[[bytes], Any] | None = None
    draw_first_epoch: bool | float = False
    caption: str = ""
    legend: str = "inside"
    extra_panels: Sequence[Callable[..., Any]] = ()

    def __post_init__(self) -> None:
        for name in ("contributions", "log_scale", "metrics"):
            check_bool(name, getattr(self, name))
        if not isinstance(self.draw_first_epoch, bool):
            check_number(
                "draw_first_epoch",
                self.draw_first_epoch,
                low=0.0,
                low_open=True,
                fix="use True, False or seconds, e.g. 0.5",
            )
        if self.display is not None and not isinstance(self.display, bool):
            raise TypeError(
                f"display must be True, False or None (automatic), got {self.display!r}"
            )
        _check_loss_weights(self.loss_weights)
        if self.on_frame is not None and not callable(self.on_frame):
            raise TypeError(f"on_frame must be a function taking PNG bytes, got {self.on_frame!r}")
        columns = self.columns
        if columns is not None and (
            not isinstance(columns, int) or isinstance(columns, bool) or columns < 1
        ):
            raise ValueError(f"columns must be a positive int or None, got {columns!r}")
        size = self.panel_size
        if (
            not isinstance(size, (tuple, list))
            or len(size) != 2
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf")
                for v in size
            )
        ):
            raise ValueError(
                f"panel_size must be (width, height) in inches, e.g. (3.4, 2.3); got {size!r}"
            )
        object.__setattr__(self, "panel_size", (float(size[0]), float(size[1])))
        dpi = self.dpi
        if not isinstance(dpi, int) or isinstance(dpi, bool) or not 10 <= dpi <= 600:
            raise ValueError(f"dpi must be an int between 10 and 600, e.g. 80; got {dpi!r}")
        if not isinstance(self.caption, str):
            raise TypeError(f"caption must be a string, got {self.caption!r}")
        check_choice("legend", self.legend, LEGEND_PLACES)
        extra = self.extra_panels
        if isinstance(extra, (str, bytes)) or not all(callable(f) for f in extra):
            raise TypeError(
                "extra_panels must be a list of functions (history, heads) -> Panel or None, "
                f"got {extra!r}"
            )
        object.__setattr__(self, "extra_panels", tuple(extra))


def _check_loss_weights(loss_weights: Any) -> None:
    if isinstance(loss_weights, (str, bytes)):
        raise TypeError(f"loss_weights must hold numbers, got the string {loss_weights!r}")
    if loss_weights is not None and not (
        isinstance(loss_weights, (Mapping, Sequence, int, float)) or callable(loss_weights)
    ):
        raise TypeError(
            "loss_weights must be a dict keyed by output name, a list in output order, "
            f"a number or a callable returning one of those; got {loss_weights!r}"
        )
