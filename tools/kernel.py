"""One way to run notebook code in a fresh ipykernel, for tools, tests and benchmarks."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "python3"
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}


def notebook_client(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 900) -> NotebookClient:
    """A client for ``nb`` whose kernel starts in ``cwd``, with ``timeout`` s per cell."""
    return NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )


def run_notebook(
    path: Path, *, save: bool = False, timeout: int = 900, env: Mapping[str, str] | None = None
) -> float:
    """Run the notebook at ``path`` top to bottom in a fresh kernel; return the kernel time.

    A cell that raises stops the run with ``SystemExit`` naming the cell, unless the cell
    is tagged ``raises-exception``. With ``save``, outputs and widget state are written back.
    """
    nb = nbformat.read(path, as_version=4)
    client = notebook_client(nb, path.parent, timeout)
    with client.setup_kernel(env=dict(env) if env is not None else dict(os.environ)):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                raise SystemExit(f"{path} cell {index} failed:\n{exc}") from None
        elapsed = time.perf_counter() - start
        # Save widget state, so a saved lab shows its controls (not "model not found").
        client.set_widgets_metadata()
        # The kernel's whole language_info, as JupyterLab writes it when a kernel starts:
        # with less, a lesson opens already marked as changed.
        reply = client.wait_for_reply(client.kc.kernel_info())
        nb.metadata["language_info"] = reply["content"]["language_info"]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if save:
        nbformat.write(nb, path)
    return elapsed
