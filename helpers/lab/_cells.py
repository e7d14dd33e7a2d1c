"""Running a notebook cell again retires the lab that cell made before."""

from __future__ import annotations

import sys
import weakref
from typing import Any

from ._messages import RETIRED

__all__ = ["retire_the_lab_this_cell_made_before"]

# The newest lab made by each notebook cell line: running the cell again retires it.
_LABS_BY_CELL: dict[tuple[str, int], weakref.ref] = {}


def retire_the_lab_this_cell_made_before(lab: Any) -> None:
    """In a notebook, a lab made by the same cell line as an older one replaces it."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("helpers."):
        frame = frame.f_back
    if (
        frame is None
        or frame.f_code.co_name != "<module>"
        or "ipykernel" not in str(frame.f_code.co_filename)
    ):
        return
    site = (frame.f_code.co_filename, frame.f_lineno)
    old = _LABS_BY_CELL.get(site)
    old = old() if old is not None else None
    if old is not None and old is not lab and not old.state.closed:
        old.state.retire(RETIRED)
    _LABS_BY_CELL[site] = weakref.ref(lab)
