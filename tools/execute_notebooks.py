"""Run notebooks top to bottom in a fresh kernel, save them, and report kernel time.

Usage: python tools/execute_notebooks.py [--no-save] NOTEBOOK [NOTEBOOK ...]

Committed outputs must come from a clean run: this is what `make notebooks` calls.
Cells tagged ``raises-exception`` (and marked ``# NBVAL_RAISES_EXCEPTION`` for nbval)
may raise; any other error stops the run and names the notebook and cell.
Kernel time is measured from the first cell to the last, kernel start excluded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "python3"


def execute(path: Path, save: bool) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=900,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                raise SystemExit(f"{path} cell {index} failed:\n{exc}") from None
        elapsed = time.perf_counter() - start
        # Save widget state, so a saved lab shows its controls (not "model not found").
        client.set_widgets_metadata()
    nb.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    if save:
        nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--no-save", action="store_true", help="run only; leave files as they are")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        elapsed = execute(path, save=not args.no_save)
        print(f"{path}: {elapsed:.1f} s kernel time (kernel start excluded)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
