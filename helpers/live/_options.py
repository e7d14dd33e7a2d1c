"""The live plot's options, checked once: each bad one is named with its value and a fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpers._validate import check_bool, check_number

__all__ = ["check_options"]


def check_options(
    *,
    contributions: bool,
    log_scale: bool,
    metrics: bool,
    loss_weights: Any,
    columns: int | None,
    panel_size: Any,
    dpi: Any,
    display: Any,
    on_frame: Any,
    draw_first_epoch: Any,
    caption: Any,
) -> None:
    """Raise a ``TypeError`` or ``ValueError`` naming the first bad option and a fix."""
    for name, value in (
        ("contributions", contributions),
        ("log_scale", log_scale),
        ("metrics", metrics),
    ):
        check_bool(name, value)
    if not isinstance(draw_first_epoch, bool):
        check_number(
            "draw_first_epoch",
            draw_first_epoch,
            low=0.0,
            low_open=True,
            fix="use True, False or seconds, e.g. 0.5",
        )
    if display is not None and not isinstance(display, bool):
        raise TypeError(f"display must be True, False or None (automatic), got {display!r}")
    if isinstance(loss_weights, (str, bytes)):
        raise TypeError(f"loss_weights must hold numbers, got the string {loss_weights!r}")
    if loss_weights is not None and not (
        isinstance(loss_weights, (Mapping, Sequence, int, float)) or callable(loss_weights)
    ):
        raise TypeError(
            "loss_weights must be a dict keyed by output name, a list in output order, "
            f"a number or a callable returning one of those; got {loss_weights!r}"
        )
    if on_frame is not None and not callable(on_frame):
        raise TypeError(f"on_frame must be a function taking PNG bytes, got {on_frame!r}")
    if columns is not None and (
        not isinstance(columns, int) or isinstance(columns, bool) or columns < 1
    ):
        raise ValueError(f"columns must be a positive int or None, got {columns!r}")
    if (
        not isinstance(panel_size, (tuple, list))
        or len(panel_size) != 2
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf")
            for v in panel_size
        )
    ):
        raise ValueError(
            f"panel_size must be (width, height) in inches, e.g. (3.4, 2.3); got {panel_size!r}"
        )
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not 10 <= dpi <= 600:
        raise ValueError(f"dpi must be an int between 10 and 600, e.g. 80; got {dpi!r}")
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a string, got {caption!r}")
