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
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.kernel import run_notebook


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--no-save", action="store_true", help="run only; leave files as they are")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        elapsed = run_notebook(path, save=not args.no_save)
        print(f"{path}: {elapsed:.1f} s kernel time (kernel start excluded)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
