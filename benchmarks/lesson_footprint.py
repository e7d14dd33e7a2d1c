"""Each lesson's kernel footprint: peak memory and CPU time, for sizing a JupyterHub.

Usage: python benchmarks/lesson_footprint.py [--server] [NOTEBOOK ...]

Runs each lesson notebook (default: every ``notebooks/NN-*.ipynb``) top to bottom in a
fresh ipykernel, as a learner's *Run All* does, and reads the kernel's own accounting
(``resource.getrusage``) at two points: right after the set-up cell (Python, TensorFlow
and Keras imported) and after the last cell. Reported per lesson:

- peak resident memory of the kernel (``ru_maxrss``). Its child processes
  (``graphviz-pure``, which draws the model pictures) are left out: their ``ru_maxrss``
  counts the pages they share with the kernel between ``fork`` and ``exec``, so it only
  repeats the kernel's size;
- resident memory after the set-up cell and at the end;
- CPU time of the kernel (user + system, every thread) and of its children, and wall
  time, both from the set-up cell to the end.

``--server`` also starts a JupyterLab server (loopback, random token) and reports its
resident memory once it answers: the part of a learner's container that is there before
any kernel starts. Results go to ``benchmarks/out/lesson_footprint.json`` and are printed
as the Markdown table of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _kernel import ROOT, describe_machine, run_in_kernel  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "lesson_footprint.json"
PACKAGES = ["tensorflow", "keras", "jupyterlab", "ipykernel"]

PROBE = """
import resource as _r, time as _t
def _bseq_usage():
    me, kids = _r.getrusage(_r.RUSAGE_SELF), _r.getrusage(_r.RUSAGE_CHILDREN)
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return {
        "wall": _t.perf_counter(),
        "cpu": me.ru_utime + me.ru_stime,
        "children_cpu": kids.ru_utime + kids.ru_stime,
        "peak_kib": me.ru_maxrss,
        "rss_kib": rss,
    }
_bseq_after_setup = _bseq_usage()
"""

REPORT = """
import json as _json
_end = _bseq_usage()
print("RESULTS " + _json.dumps({"after_setup": _bseq_after_setup, "end": _end}))
"""


def footprint(path: Path) -> dict:
    """Run ``path`` in a fresh kernel with the probe after its set-up cell."""
    nb = nbformat.read(path, as_version=4)
    setup = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(PROBE))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    started = time.perf_counter()
    raw = run_in_kernel(nb)
    total = time.perf_counter() - started
    a, b = raw["after_setup"], raw["end"]
    mib = 1024
    return {
        "notebook": path.stem,
        "peak_rss_mib": round(b["peak_kib"] / mib, 1),
        "rss_after_setup_mib": round(a["rss_kib"] / mib, 1),
        "rss_end_mib": round(b["rss_kib"] / mib, 1),
        "cpu_s": round(b["cpu"] - a["cpu"], 1),
        "children_cpu_s": round(b["children_cpu"] - a["children_cpu"], 1),
        "wall_s": round(b["wall"] - a["wall"], 1),
        "setup_cpu_s": round(a["cpu"], 1),
        "run_with_kernel_start_s": round(total, 1),
    }


def server_rss() -> float:
    """Resident memory (MiB) of an idle JupyterLab server, once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=tmp, JUPYTERLAB_WORKSPACES_DIR=tmp)
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}",
        ]  # fmt: skip
        if os.getuid() == 0:
            command.append("--ServerApp.allow_root=True")
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    url = f"http://127.0.0.1:{port}/api/status?token={token}"
                    urllib.request.urlopen(url, timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("JupyterLab did not answer within 120 s")
            time.sleep(2)  # let start-up settle
            status = Path(f"/proc/{server.pid}/status").read_text()
            kib = next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)
            return round(kib / 1024, 1)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def table(rows: list[dict]) -> str:
    lines = [
        "| notebook | peak kernel memory | after set-up | at the end | kernel CPU time "
        "| children's CPU time | wall time |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['notebook']} | **{r['peak_rss_mib']:.0f} MiB** | {r['rss_after_setup_mib']:.0f}"
            f" MiB | {r['rss_end_mib']:.0f} MiB | {r['cpu_s']:.1f} s | {r['children_cpu_s']:.1f} s "
            f"| {r['wall_s']:.1f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--server", action="store_true", help="also measure an idle server")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    load_before = os.getloadavg()
    rows = []
    for path in notebooks:
        rows.append(footprint(path.resolve()))
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "machine": describe_machine(PACKAGES, load_before, os.getloadavg()),
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "lessons": rows,
    }
    if args.server:
        result["server_rss_mib"] = server_rss()
        print(f"idle JupyterLab server: {result['server_rss_mib']:.0f} MiB")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(rows))
    print(f"machine: {json.dumps(result['machine'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
