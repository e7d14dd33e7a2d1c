"""Where live frames go in Jupyter: a display handle updated in place, and the cell's end.

IPython is imported lazily, so scripts and tests without it work.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

__all__ = ["FRAME_TEXT", "CellEndHook", "frame_bundle", "in_jupyter", "open_handle"]

#: The ``text/plain`` part of every live frame. It never changes between frames, so a
#: notebook's saved output compares equal under nbval whichever frame it holds.
FRAME_TEXT = "<Live loss plot>"


def ipython_shell():
    """The running IPython shell, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def in_jupyter() -> bool:
    """Whether this runs inside a Jupyter kernel (not a terminal IPython or a script)."""
    return getattr(ipython_shell(), "kernel", None) is not None


def frame_bundle(png: bytes) -> dict[str, str]:
    """The display data of one frame: the PNG and the constant :data:`FRAME_TEXT`."""
    return {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": FRAME_TEXT}


def open_handle():
    """Show a placeholder that later frames replace in place; None outside IPython."""
    if ipython_shell() is None:
        return None
    from IPython.display import display

    return display({"text/plain": FRAME_TEXT}, raw=True, display_id=True)


class CellEndHook:
    """Calls ``callback`` from IPython's ``post_run_cell`` event until :meth:`stop`.

    Keras does not call ``on_train_end`` when ``fit`` raises (Ctrl-C, an error), so a
    live plot listens for the end of the cell to draw its last frame.
    """

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback
        self._shell = None

    def listen(self) -> None:
        """Start listening in the current IPython shell (nothing outside IPython)."""
        shell = ipython_shell()
        if shell is None or self._shell is shell:
            return
        self.stop()
        shell.events.register("post_run_cell", self.callback)
        self._shell = shell

    def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._shell is not None:
            try:
                self._shell.events.unregister("post_run_cell", self.callback)
            except ValueError:
                pass
            self._shell = None
