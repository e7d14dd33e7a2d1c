"""How quickly the loss-weight lab answers, measured inside a real Jupyter kernel.

Three numbers, in one run, all on the default lab (lesson 03's compact posts model on
``make_posts(3000, standardize_age=True)``, 10 epochs, batch 64, displayed so that its
widgets talk to a client exactly as they do in JupyterLab):

- **retrain**: from a click on Train to the held-out metrics in the runs table, curves
  drawn on the way (the median over ``--repeats`` clicks, weights changing between
  clicks);
- **first point**: from the same clicks to the first frame with a curve point handed to
  the plot widget;
- **a weight change in live mode versus a recompile**: assigning new loss weights to the
  variables the compiled loss reads (and the epoch that follows, against the other
  epochs of the run), versus ``compile(loss_weights=...)`` with numbers plus the extra
  time of the next epoch, which traces the training step again.

The kernel runs through nbclient. Prints Markdown for benchmarks/RESULTS.md; ``--write``
puts it there as this benchmark's own section (replacing only that section). Raw
timings go to benchmarks/out/lab_latency.json.

Usage: python benchmarks/lab_latency.py [--repeats 7] [--write] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from _kernel import describe_machine
from _kernel import run_in_kernel as _run_in_kernel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "lab_latency.json"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## Loss-weight lab latency (`benchmarks/lab_latency.py`)"
RETRAIN_BAR = 3.0  # seconds, median
FIRST_POINT_BAR = 1.0  # seconds

SETUP = """
import json, statistics, time
from helpers.env import quiet_keras_import, set_seed

keras = quiet_keras_import()
from IPython.display import display
from helpers.data import make_posts
from helpers.lab import LossWeightLab
from helpers.models import compact_posts_model

set_seed(0)
lab = LossWeightLab()
display(lab)
results = {{"retrain": [], "first_point": []}}
SETTINGS = [
    {{"age": 1, "income": 1, "gender": 1}},
    {{"age": 0.25, "income": 1, "gender": 10}},
    {{"age": 0.001, "income": 0.1, "gender": 10}},
    {{"age": 0.001, "income": 10, "gender": 0.1}},
]
"""

RETRAIN = """
for i in range({repeats}):
    lab.set_weights(SETTINGS[i % len(SETTINGS)])  # what dragging the sliders does
    lab.buttons["train"].click()
    run = lab.wait()
    assert run.status == "done", run.message
    results["retrain"].append(run.seconds)
    results["first_point"].append(run.first_point_seconds)
"""

LIVE = """
lab.train(weights=SETTINGS[0], mode="live", epochs=40)
changes, assign_seconds = [], []
for k, epoch in enumerate((8, 16, 24, 32)):
    lab.wait(epoch=epoch)
    start = time.perf_counter()
    lab.set_weights(SETTINGS[(k + 1) % len(SETTINGS)])  # the slider callback's work
    changes.append(time.perf_counter() - start)
live_run = lab.wait()
applied = [e for e, _ in live_run.weight_changes]  # 1-based epochs that used new weights
epochs = live_run.epoch_seconds
others = [t for i, t in enumerate(epochs[1:], start=2) if i not in applied]
# The assignment itself, as the training thread does it at an epoch boundary.
for k in range(50):
    start = time.perf_counter()
    lab.loss_weights.assign(SETTINGS[k % len(SETTINGS)])
    assign_seconds.append(time.perf_counter() - start)
results["live"] = {{
    "set_weights_seconds": changes,
    "assign_seconds_median": statistics.median(assign_seconds),
    "epochs_with_new_weights": [epochs[e - 1] for e in applied],
    "other_epochs_median": statistics.median(others),
    "changes_applied": len(applied),
}}
"""

RECOMPILE = """
posts = make_posts(3000, standardize_age=True, seed=0)
train, test = posts.split(0.2)
model = compact_posts_model()
losses = {{"age": "mse", "income": "sparse_categorical_crossentropy",
          "gender": "binary_crossentropy"}}
fit = dict(batch_size=64, epochs=1, verbose=0, shuffle=False)
model.compile(optimizer=keras.optimizers.Adam(0.02), loss=losses, loss_weights=SETTINGS[0],
              steps_per_execution=8)
model.fit(train.posts, train.targets, **fit)  # trace once, untimed
recompile = []
for k in range({repeats}):
    start = time.perf_counter()
    model.compile(optimizer=model.optimizer, loss=losses,
                  loss_weights=SETTINGS[(k + 1) % len(SETTINGS)], steps_per_execution=8)
    compiled = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)  # traces the training step again
    first = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)  # an ordinary epoch, for comparison
    second = time.perf_counter()
    recompile.append({{"compile": compiled - start, "first_epoch": first - compiled,
                       "normal_epoch": second - first}})
results["recompile"] = recompile
print("RESULTS " + json.dumps(results))
"""


def build_notebook(repeats: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells = [
        SETUP.format(),
        RETRAIN.format(repeats=repeats),
        LIVE.format(),
        RECOMPILE.format(repeats=max(3, repeats // 2)),
    ]
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    return nb


def run_in_kernel(repeats: int) -> dict:
    return _run_in_kernel(build_notebook(repeats))


def summarise(results: dict) -> dict:
    live, recompile = results["live"], results["recompile"]
    retrace = [r["first_epoch"] - r["normal_epoch"] for r in recompile]
    return {
        "retrain_median": statistics.median(results["retrain"]),
        "first_point_median": statistics.median(results["first_point"]),
        "first_point_max": max(results["first_point"]),
        "set_weights_median": statistics.median(live["set_weights_seconds"]),
        "assign_median": live["assign_seconds_median"],
        "changed_epoch_extra": statistics.median(live["epochs_with_new_weights"])
        - live["other_epochs_median"],
        "epoch_median": live["other_epochs_median"],
        "compile_median": statistics.median(r["compile"] for r in recompile),
        "retrace_extra_median": statistics.median(retrace),
        "recompile_total_median": statistics.median(
            r["compile"] + r["first_epoch"] - r["normal_epoch"] for r in recompile
        ),
    }


def markdown(results: dict, summary: dict, machine: dict, repeats: int, wall: float) -> str:
    s = summary
    ok_retrain = s["retrain_median"] <= RETRAIN_BAR
    ok_first = s["first_point_max"] <= FIRST_POINT_BAR
    lines = [
        HEADING,
        "",
        f"Default lab (compact posts model, 2,400 training posts, 10 epochs, batch 64), "
        f"displayed in one kernel driven by nbclient; {repeats} Train clicks; {wall:.0f} s in all.",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}; "
        f"Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
        + f". Run {machine['date']}.",
        f"Load average (1/5/15 min) before {machine['load_before']}, "
        f"after {machine['load_after']}.",
        "",
        "| measure | median | range | bar |",
        "|---|---|---|---|",
        f"| retrain: Train click to held-out metrics, curves drawn | {s['retrain_median']:.2f} s "
        f"| {min(results['retrain']):.2f}-{max(results['retrain']):.2f} s "
        f"| <= {RETRAIN_BAR:g} s median: {'met' if ok_retrain else 'MISSED'} |",
        f"| first curve point after Train | {s['first_point_median']:.2f} s "
        f"| {min(results['first_point']):.2f}-{max(results['first_point']):.2f} s "
        f"| <= {FIRST_POINT_BAR:g} s every click: {'met' if ok_first else 'MISSED'} |",
        "",
        "| changing the loss weights | cost |",
        "|---|---|",
        f"| live mode: `lab.set_weights` (what a slider callback does) | "
        f"{s['set_weights_median'] * 1e3:.1f} ms |",
        f"| live mode: assigning the three variables (training thread, epoch boundary) | "
        f"{s['assign_median'] * 1e3:.2f} ms |",
        f"| live mode: an epoch with new weights, minus the run's median epoch "
        f"({s['epoch_median'] * 1e3:.0f} ms) | {s['changed_epoch_extra'] * 1e3:+.0f} ms "
        f"({results['live']['changes_applied']} changes) |",
        f"| recompile: `compile(loss_weights=...)` | {s['compile_median'] * 1e3:.0f} ms |",
        f"| recompile: extra time of the next epoch (retrace) | "
        f"{s['retrace_extra_median'] * 1e3:.0f} ms |",
        f"| recompile in all | {s['recompile_total_median']:.2f} s |",
        "",
        f"Raw timings: `{OUT.relative_to(ROOT)}`.",
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Put ``section`` into RESULTS.md, replacing only this benchmark's own section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="Train clicks to time (>= 5)")
    parser.add_argument("--write", action="store_true", help=f"put the section into {RESULTS.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 unless both bars are met")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error(f"--repeats must be at least 5 for a stable median, got {args.repeats}")

    load_before = os.getloadavg()
    started = time.perf_counter()
    results = run_in_kernel(args.repeats)
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    summary = summarise(results)
    machine = describe_machine(
        ("tensorflow", "keras", "matplotlib", "ipywidgets"), load_before, load_after
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"machine": machine, "results": results, "summary": summary}, indent=1)
    )
    section = markdown(results, summary, machine, args.repeats, wall)
    print(section)
    if args.write:
        write_section(section)
        print(f"Section written to {RESULTS.relative_to(ROOT)}.")
    ok = summary["retrain_median"] <= RETRAIN_BAR and summary["first_point_max"] <= FIRST_POINT_BAR
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
