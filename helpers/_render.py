"""Rendering matplotlib figures to PNG, one thread at a time.

Agg itself is thread-safe per figure, but the lab's training thread and a notebook cell
may both render (live frames, sweep figures) while fonts and caches are shared; every
render in ``helpers`` goes through :func:`png_bytes`, which holds :data:`RENDER_LOCK`.
"""

from __future__ import annotations

import io
import threading

__all__ = ["RENDER_LOCK", "png_bytes"]

#: Held by every render in the package, so two threads never draw at the same time.
RENDER_LOCK = threading.RLock()


def png_bytes(figure) -> bytes:
    """Render ``figure`` (a :class:`matplotlib.figure.Figure` with an Agg canvas) to PNG."""
    with RENDER_LOCK:
        buffer = io.BytesIO()
        figure.canvas.print_png(buffer)
        return buffer.getvalue()
