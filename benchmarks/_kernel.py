"""Shared plumbing for the benchmarks: run a notebook in a real kernel, describe the machine."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks run as scripts; tools/ is the repository's

from tools.kernel import notebook_client  # noqa: E402


def run_in_kernel(nb: nbformat.NotebookNode):
    """Execute ``nb`` in a fresh ipykernel; return the JSON its last cell prints after
    ``RESULTS ``."""
    client = notebook_client(nb, ROOT)
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


def describe_machine(
    packages: Sequence[str], load_before: Sequence[float], load_after: Sequence[float]
) -> dict:
    """The machine line of a result: CPU, cores, system, versions, load and date."""
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {p: version(p) for p in packages},
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
