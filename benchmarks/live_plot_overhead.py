"""What a live loss plot costs a lesson-sized fit, measured inside a real Jupyter kernel.

The same compact multi-output posts model (Embedding(2000, 16) -> GlobalAveragePooling1D
-> Dense(32) -> heads age / income / gender; 2,400 posts of 60 random token ids, batch
64, 20 epochs, 20% validation) is trained three ways in one kernel:

- ``bare``: no callback;
- ``LiveLossPlot``: ``helpers.live.LiveLossPlot()`` with its defaults;
- ``PlotLossesKeras``: livelossplot's callback with its defaults (the peer).

Every run builds a fresh model and traces it with a one-epoch fit that is not timed, so
only the timed ``fit`` differs between variants. Variants are interleaved within each
repeat: ``bare`` and ``LiveLossPlot`` run back to back, in alternating order, and the
peer before or after them in turn, so drift in the machine's load hits all three alike.
The notebook runs through nbclient, so frames travel to a client exactly as they do in
JupyterLab or under nbval.

Prints each variant's median wall time, its ratio to bare's median (the bar), the median
of its per-repeat ratios to that repeat's bare fit ("paired ratio"), the same ratio for
the kernel's CPU time (less sensitive to other processes on a busy machine),
LiveLossPlot's frames and cost per frame, and the machine and its load, as Markdown for
benchmarks/RESULTS.md. Raw timings go to benchmarks/out/live_plot_overhead.json.

Usage: python benchmarks/live_plot_overhead.py [--repeats 5] [--epochs 20] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from _kernel import describe_machine
from _kernel import run_in_kernel as _run_in_kernel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "live_plot_overhead.json"
VARIANTS = ("bare", "LiveLossPlot", "PlotLossesKeras")
BAR = 1.10  # LiveLossPlot may add at most 10% wall time

SETUP = """
import json, time
from helpers.env import quiet_keras_import

keras = quiet_keras_import()
from keras import layers
import numpy as np
from helpers.live import LiveLossPlot
from livelossplot import PlotLossesKeras

EPOCHS = {epochs}
rng = np.random.default_rng(0)
posts = rng.integers(0, 2000, size=(2400, 60))
targets = {{
    "age": rng.normal(size=(2400, 1)).astype("float32"),
    "income": rng.integers(0, 10, size=(2400,)),
    "gender": rng.integers(0, 2, size=(2400, 1)).astype("float32"),
}}


def build():
    keras.utils.set_random_seed(0)
    post_input = keras.Input(shape=(60,), dtype="int32", name="posts")
    x = layers.Embedding(2000, 16)(post_input)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(32, activation="relu")(x)
    age = layers.Dense(1, name="age")(x)
    income = layers.Dense(10, activation="softmax", name="income")(x)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = keras.Model(post_input, [age, income, gender])
    model.compile(
        optimizer="rmsprop",
        loss={{"age": "mse", "income": "sparse_categorical_crossentropy",
               "gender": "binary_crossentropy"}},
        loss_weights={{"age": 0.25, "income": 1.0, "gender": 10.0}},
    )
    return model


results = []


def run(variant, repeat):
    model = build()
    # Trace the train and test steps outside the timing: every variant pays this alike.
    model.fit(posts, targets, epochs=1, batch_size=64, validation_split=0.2, verbose=0)
    live = LiveLossPlot() if variant == "LiveLossPlot" else None
    callbacks = {{"bare": [], "LiveLossPlot": [live], "PlotLossesKeras": [PlotLossesKeras()]}}
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(posts, targets, epochs=EPOCHS, batch_size=64, validation_split=0.2, verbose=0,
              callbacks=callbacks[variant])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    results.append({{
        "variant": variant, "repeat": repeat, "seconds": seconds, "cpu_seconds": cpu,
        "redraws": live.redraws if live else None,
        "redraw_seconds": live.redraw_seconds if live else None,
    }})
"""


def run_order(repeat: int) -> list[str]:
    """bare and LiveLossPlot back to back, alternating; the peer first or last in turn."""
    pair = ["bare", "LiveLossPlot"] if repeat % 2 == 0 else ["LiveLossPlot", "bare"]
    return pair + ["PlotLossesKeras"] if repeat % 4 < 2 else ["PlotLossesKeras"] + pair


def build_notebook(repeats: int, epochs: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells = [SETUP.format(epochs=epochs)]
    for repeat in range(repeats):
        for variant in run_order(repeat):
            cells.append(f"run({variant!r}, {repeat})")
    cells.append('print("RESULTS " + json.dumps(results))')
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    return nb


def run_in_kernel(repeats: int, epochs: int) -> list[dict]:
    return _run_in_kernel(build_notebook(repeats, epochs))


def summarise(results: list[dict], repeats: int) -> dict:
    by_variant = {v: [r["seconds"] for r in results if r["variant"] == v] for v in VARIANTS}
    medians = {v: statistics.median(s) for v, s in by_variant.items()}

    def paired(measure: str) -> dict[str, float]:
        bare_of = {r["repeat"]: r[measure] for r in results if r["variant"] == "bare"}
        return {
            v: statistics.median(
                r[measure] / bare_of[r["repeat"]] for r in results if r["variant"] == v
            )
            for v in VARIANTS
        }

    ours = [r for r in results if r["variant"] == "LiveLossPlot"]
    frames = sum(r["redraws"] for r in ours)
    return {
        "times": by_variant,
        "medians": medians,
        "ratios": {v: medians[v] / medians["bare"] for v in VARIANTS},
        "paired_ratios": paired("seconds"),
        "paired_cpu_ratios": paired("cpu_seconds"),
        "frames_per_fit": statistics.median(r["redraws"] for r in ours),
        "seconds_per_frame": sum(r["redraw_seconds"] for r in ours) / max(frames, 1),
        "drawing_share": statistics.median(r["redraw_seconds"] / r["seconds"] for r in ours),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fits per variant (>= 5)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per timed fit")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 unless LiveLossPlot's ratio <= {BAR}"
    )
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error(f"--repeats must be at least 5 for a stable median, got {args.repeats}")
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")

    load_before = os.getloadavg()
    started = time.perf_counter()
    results = run_in_kernel(args.repeats, args.epochs)
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    summary = summarise(results, args.repeats)

    machine = describe_machine(
        ("tensorflow", "keras", "matplotlib", "livelossplot"), load_before, load_after
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"machine": machine, "results": results, "summary": summary}, indent=1)
    )

    print(
        f"{args.repeats} repeats x {len(VARIANTS)} variants, {args.epochs} epochs each, "
        f"in one kernel via nbclient; {wall:.0f} s in all."
    )
    print(f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}.")
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    print(f"Python {machine['python']}, {packages}. Run {machine['date']}.")
    print(
        f"Load average (1/5/15 min) before {machine['load_before']}, after {machine['load_after']}"
    )
    print()
    print(
        "| variant | median fit (s) | min-max (s) | ratio to bare | paired ratio "
        "| paired CPU-time ratio |"
    )
    print("|---|---|---|---|---|---|")
    for v in VARIANTS:
        times = summary["times"][v]
        print(
            f"| {v} | {summary['medians'][v]:.2f} | {min(times):.2f}-{max(times):.2f} "
            f"| {summary['ratios'][v]:.3f} | {summary['paired_ratios'][v]:.3f} "
            f"| {summary['paired_cpu_ratios'][v]:.3f} |"
        )
    print()
    print(
        f"LiveLossPlot: median {summary['frames_per_fit']:g} frame(s) per fit (final included), "
        f"{summary['seconds_per_frame'] * 1000:.0f} ms per frame, "
        f"{summary['drawing_share'] * 100:.1f}% of the fit spent drawing."
    )
    ok = summary["ratios"]["LiveLossPlot"] <= BAR
    print(f"Bar (LiveLossPlot ratio <= {BAR}): {'met' if ok else 'MISSED'}.")
    print(f"Raw timings: {OUT.relative_to(ROOT)}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
