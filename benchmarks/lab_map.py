"""The trade-off map against single retrains, side by side in one kernel per backend.

For TensorFlow and JAX, one fresh Jupyter kernel (``KERAS_BACKEND=<name>``) builds the
default lab on a seed no test or lesson uses (data ``make_posts(3000,
standardize_age=True, seed=17)``, model seed 11), displays it so that its widgets talk
to a client as in JupyterLab, traces once, and then, interleaved, several times:

- **map**: ``lab.map(block=True)``: 25 runs (income x gender at 0.01-100, age 1),
  10 epochs each, trained together;
- **retrain**: ``lab.train(weights, block=True)``, the Train button's drawn retrain;
- **quiet retrain**: the same with ``draw=False``.

It reports the medians and the map's cost in retrains, measured side by side; whether
three spot-checked mapped runs equal separate retrains (accuracy within 0.004, MAE
within 1 %); the span of each head's metric across the map; the map's memory (the
stacked model's parameters and Adam's state, and the kernel's peak resident memory
before and after); and how long a slider move takes to show the nearest mapped run's
numbers and picture once a map exists (median over 40 moves).

Prints Markdown for benchmarks/RESULTS.md; ``--write`` puts it there as this
benchmark's own section. Raw numbers go to benchmarks/out/lab_map.json.

Usage: python benchmarks/lab_map.py [--repeats 3] [--backends tensorflow,jax] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from pathlib import Path

import nbformat
from _kernel import describe_machine, run_in_kernel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "lab_map.json"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## The trade-off map against single retrains (`benchmarks/lab_map.py`)"
MAP_BAR = 6.0  # retrains a 25-run map may cost (issue 20)
SLIDER_BAR = 0.1  # seconds from a slider move to the nearest mapped run's numbers

CELL = """
import json, resource, statistics, time
import numpy as np
from IPython.display import display
from helpers.data import make_posts
from helpers.lab import LossWeightLab

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

lab = LossWeightLab(data=make_posts(3000, standardize_age=True, seed=17), seed=11)
display(lab)
lab.train(block=True)  # traces nothing new: the lab traced at start; warms the frames
peak_before = peak_mib()
lab.map(epochs=1, block=True)  # builds and traces the stacked model once
times = {{"map": [], "retrain": [], "quiet retrain": []}}
weights = {{"age": 1.0, "income": 1.0, "gender": 1.0}}
for _ in range({repeats}):
    start = time.perf_counter(); result = lab.map(block=True)
    times["map"].append(time.perf_counter() - start)
    start = time.perf_counter(); lab.train(weights, block=True)
    times["retrain"].append(time.perf_counter() - start)
    start = time.perf_counter(); lab.train(weights, block=True, draw=False)
    times["quiet retrain"].append(time.perf_counter() - start)
peak_after = peak_mib()
stacked = lab._map_and_sweep.copies_trainer._model(25)[0]
parameters = sum(int(np.prod(v.shape)) for v in stacked.trainable_variables)
optimizer = sum(int(np.prod(v.shape)) for v in stacked.optimizer.variables)
worst = {{}}
for spot in ({{"income": 0.01, "gender": 100.0}}, {{"income": 1.0, "gender": 1.0}},
             {{"income": 100.0, "gender": 0.1}}):
    w = {{"age": 1.0, **spot}}
    separate = lab.train(weights=w, block=True, draw=False)
    mapped = result.metrics[result.weights.index(w)]
    for k, v in separate.items():
        if k.endswith("accuracy"):
            worst[k] = max(worst.get(k, 0), abs(mapped[k] - v))
        elif k.endswith("mae"):
            worst[k] = max(worst.get(k, 0), abs(mapped[k] - v) / v)
moves = []
values = [0.02, 0.3, 3.0, 40.0, 7.0, 0.05, 1.0, 15.0]
for i in range(40):
    start = time.perf_counter()
    lab.sliders["income" if i % 2 else "gender"].value = values[i % len(values)]
    text = lab.view.map_point.value
    moves.append(time.perf_counter() - start)
import keras
print("RESULTS " + json.dumps({{
    "backend": keras.backend.backend(), "times": times, "worst": worst,
    "spans": {{h: result.span(h) for h in lab.heads}},
    "stacked_parameters": parameters, "optimizer_values": optimizer,
    "model_parameters": lab.model.count_params(),
    "peak_mib_before": peak_before, "peak_mib_after": peak_after,
    "slider_median": statistics.median(moves), "slider_max": max(moves),
    "together": result.together,
}}))
"""


def run_backend(backend: str, repeats: int) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL.format(repeats=repeats))]
    os.environ["KERAS_BACKEND"] = backend
    return run_in_kernel(nb)


def markdown(results: list[dict], machine: dict, repeats: int) -> str:
    lines = [
        HEADING,
        "",
        f"{machine['cpu']}, {machine['cores']} cores, load {machine['load_before']} before and "
        f"{machine['load_after']} after; {machine['date']}. Data seed 17, model seed 11 (used by "
        f"no test or lesson); medians of {repeats} interleaved repeats in one kernel per backend.",
        "",
        "| backend | 25-run map | drawn retrain | quiet retrain | map / drawn retrain | "
        "map / quiet retrain | bar (<= 6 retrains) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t = {k: statistics.median(v) for k, v in r["times"].items()}
        drawn, quiet = t["map"] / t["retrain"], t["map"] / t["quiet retrain"]
        ok = "met" if drawn <= MAP_BAR else "not met"
        lines.append(
            f"| {r['backend']} | {t['map']:.2f} s | {t['retrain']:.2f} s | "
            f"{t['quiet retrain']:.2f} s | {drawn:.2f}x | {quiet:.2f}x | {ok} |"
        )
    lines += [
        "",
        "| backend | worst spot-check difference (3 runs) | metric span across the map | "
        "map memory | slider move to map numbers (median, max) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        worst = ", ".join(
            f"{k} {v:.4f}" if k.endswith("accuracy") else f"{k} {100 * v:.2f} %"
            for k, v in r["worst"].items()
        )
        spans = ", ".join(f"{h} {v:.2f}" for h, v in r["spans"].items())
        stacked_mib = 4 * (r["stacked_parameters"] + r["optimizer_values"]) / 2**20
        memory = (
            f"{r['stacked_parameters']:,} parameters ({r['model_parameters']:,} x 25) and "
            f"{r['optimizer_values']:,} optimizer values: {stacked_mib:.1f} MiB; kernel peak "
            f"{r['peak_mib_before']:.0f} -> {r['peak_mib_after']:.0f} MiB"
        )
        lines.append(
            f"| {r['backend']} | {worst} | {spans} | {memory} | "
            f"{1000 * r['slider_median']:.0f} ms, {1000 * r['slider_max']:.0f} ms |"
        )
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    results = RESULTS.read_text()
    pattern = re.compile(re.escape(HEADING) + r".*?(?=\n## |\Z)", re.S)
    if pattern.search(results):
        results = pattern.sub(lambda _: text.rstrip("\n") + "\n", results)
    else:
        results = results.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = [run_backend(b, args.repeats) for b in args.backends.split(",")]
    machine = describe_machine(["keras", "tensorflow", "jax"], load_before, os.getloadavg())
    text = markdown(results, machine, args.repeats)
    print(text)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
