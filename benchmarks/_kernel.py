"""Shared plumbing for the benchmarks: run a notebook in a real kernel, name the CPU."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run_in_kernel(nb: nbformat.NotebookNode):
    """Execute ``nb`` in a fresh ipykernel; return the JSON its last cell prints after
    ``RESULTS ``."""
    client = NotebookClient(
        nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute(env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.split("RESULTS ", 1)[1])


def cpu_name() -> str:
    """The CPU's model name, for the results' machine line."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
