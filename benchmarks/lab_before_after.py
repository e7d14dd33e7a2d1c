"""Retrain time of the loss-weight lab now against the lab of an earlier commit, side by side.

Usage: python benchmarks/lab_before_after.py [--base COMMIT] [--repeats N]

Loads ``helpers/lab.py`` as it was at ``--base`` (the single-module lab, before it became
the ``helpers.lab`` package) into this process under another name, builds one lab of
each on the same data with the same seed, and alternates their retrains (10 epochs,
the book's weights), so both see the same machine load. Prints each one's median and
the ratio new / old. Needs git and the repository's history.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.env import quiet_keras_import, set_seed  # noqa: E402

keras = quiet_keras_import()

from helpers.data import make_posts  # noqa: E402
from helpers.lab import LossWeightLab  # noqa: E402

WEIGHTS = {"age": 0.25, "income": 1.0, "gender": 10.0}


def old_lab_class(base: str):
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{base}:helpers/lab.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_lab.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_lab", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_lab"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module.LossWeightLab


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="cd1e8f0")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    posts = make_posts(3000, standardize_age=True, seed=0)
    set_seed(0)
    old = old_lab_class(args.base)(data=posts)
    new = LossWeightLab(data=posts, seed=0)
    times = {"old": [], "new": []}
    for repeat in range(args.repeats):
        order = [("old", old), ("new", new)] if repeat % 2 == 0 else [("new", new), ("old", old)]
        for name, lab in order:
            start = time.perf_counter()
            lab.train(weights=WEIGHTS, block=True)
            times[name].append(time.perf_counter() - start)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    old_median, new_median = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"load average after: {load}; {args.repeats} retrains each, alternating")
    for name, label in (("old", f"before ({args.base})"), ("new", "now")):
        runs = sorted(round(t, 2) for t in times[name])
        print(f"{label:>18}: median {statistics.median(times[name]):.2f} s  {runs}")
    print(f"ratio now / before: {new_median / old_median:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
