"""What a drawn retrain of the loss-weight lab adds to Keras's own ``fit``, side by side.

For each backend asked for (TensorFlow and JAX by default) one fresh Jupyter kernel
(nbclient, ``KERAS_BACKEND=<name>``) holds both contestants:

- **plain fit**: lesson 03's compact posts model (:func:`helpers.models.compact_posts_model`)
  compiled as a learner would, with the lab's losses, metrics and ``Adam(0.02)``, on the
  lab's data (``make_posts(3000, standardize_age=True, seed=0)``, split as the lab splits
  it: 2,400 training posts, 600 held out), batch 64, ``fit(epochs=10, shuffle=False,
  verbose=0)``. ``steps_per_execution`` is a whole epoch: ``ceil(2400 / 64) = 38``, so
  each epoch is one call of the compiled training step (the floor Keras offers; the last
  batch of 32 posts is part of the same call). Timed from the ``fit`` call to its return;
  its held-out ``evaluate`` (batch 64, ``return_dict=True``) is timed apart. Before each
  fit the model's initial weights and optimizer state are put back, untimed.
- **drawn retrain**: the default ``LossWeightLab()``, displayed (so its widgets talk to
  a client as in JupyterLab), and ``lab.train(weights, block=True)`` with curves drawn,
  timed from the call to its return (restore, ``fit`` with the lab's callbacks and
  frames, held-out evaluation).

Both are traced once, untimed; then in every repeat each runs once, the order
alternating, the weights cycling through 1/1/1, gender x 100 and income x 100.

Where the retrain's time goes is measured inside the benchmark only, by wrapping
methods of the lab's classes with ``time.perf_counter`` (exclusive time: a part called
inside another counts only for itself): Keras's ``fit`` loop, the lab's per-epoch
control callback (``RunControl``, with the lab's status updates it calls), the live
plot's bookkeeping, its frames (render, PNG, send), held-out evaluation, restoring the
snapshot, and the rest (the worker, run records, the lab's start and end messages).

Bars (issue: a lean single run): a drawn retrain costs at most 1.5 x the plain fit on
TensorFlow and at most 2 x on JAX (ratio of medians, and the paired ratio).

Prints Markdown; ``--write`` puts it into benchmarks/RESULTS.md as this benchmark's own
section (replacing only that section). Raw timings: benchmarks/out/lab_retrain_vs_fit.json.

Usage: python benchmarks/lab_retrain_vs_fit.py [--repeats 10] [--runs 2]
       [--backends tensorflow,jax] [--write] [--check]
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
from _kernel import describe_machine, run_in_kernel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "lab_retrain_vs_fit.json"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## A drawn retrain against a plain fit (`benchmarks/lab_retrain_vs_fit.py`)"
BARS = {"tensorflow": 1.5, "jax": 2.0}
WEIGHTS = [
    {"age": 1, "income": 1, "gender": 1},
    {"age": 1, "income": 1, "gender": 100},
    {"age": 1, "income": 100, "gender": 1},
]
PARTS = {  # breakdown key -> what the table calls it
    "fit": "Keras's `fit` loop (inside the retrain)",
    "control": "per-epoch control callback and status updates",
    "curves": "live plot bookkeeping (record, plan panels)",
    "frames": "frames: draw, PNG, send",
    "evaluate": "held-out evaluation",
    "restore": "restore the snapshot",
    "other": "the rest (worker, run records, start and end messages)",
}

SETUP = """
import collections, functools, inspect, json, math, statistics, threading, time
from helpers.env import quiet_keras_import, set_seed

keras = quiet_keras_import()
from IPython.display import display
from helpers.data import make_posts
from helpers.lab import LossWeightLab
from helpers.lab import _trainer
from helpers.live import LiveLossPlot
from helpers.live._plot import LivePlot
from helpers.models import compact_posts_model

WEIGHTS = {weights}
lab = LossWeightLab()
display(lab)

# Exclusive timing of the retrain's parts, by wrapping methods here (the library has no
# timing code): each part's wall time (and its thread's CPU time) excludes the parts
# called inside it.
spent = collections.defaultdict(float)
spent_cpu = collections.defaultdict(float)
local = threading.local()

def timed(part, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        stack = getattr(local, "stack", None)
        if stack is None:
            stack = local.stack = []
        stack.append([0.0, 0.0])
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed, elapsed_cpu = time.perf_counter() - start, time.thread_time() - cpu
            inner, inner_cpu = stack.pop()
            spent[part] += elapsed - inner
            spent_cpu[part] += elapsed_cpu - inner_cpu
            if stack:
                stack[-1][0] += elapsed
                stack[-1][1] += elapsed_cpu
    return wrapper

def wrap_hooks(cls, part):
    for name, fn in list(vars(cls).items()):
        if name.startswith("on_") and callable(fn):
            setattr(cls, name, timed(part, fn))

model_class = type(lab.trainer.model)  # the lab's own subclass: the plain model is not one
model_class.fit = timed("fit", model_class.fit)
model_class.evaluate = timed("evaluate", model_class.evaluate)
wrap_hooks(_trainer.RunControl, "control")
wrap_hooks(LiveLossPlot, "curves")
LivePlot.send_frame = timed("frames", LivePlot.send_frame)
if hasattr(_trainer.Trainer, "_restore_snapshot"):
    _trainer.Trainer._restore_snapshot = timed("restore", _trainer.Trainer._restore_snapshot)
"""

MEASURE = """
posts = make_posts(3000, standardize_age=True, seed=0)
train, test = posts.split(0.2)  # as the lab splits it (test_fraction 0.2)
losses = {{"age": "mse", "income": "sparse_categorical_crossentropy",
          "gender": "binary_crossentropy"}}
metrics = {{"age": ["mae"], "income": ["accuracy"], "gender": ["accuracy"]}}
assert losses == lab.config.loss and metrics == lab.config.metrics
assert len(train.posts) == len(lab.config.x_train) and len(test.posts) == len(lab.config.x_test)
BATCH, EPOCHS = 64, 10
assert BATCH == lab.config.batch_size
whole_epoch = math.ceil(len(train.posts) / BATCH)  # steps per execution: one call per epoch
set_seed(0)
model = compact_posts_model()
model.compile(optimizer=keras.optimizers.Adam(0.02), loss=losses, metrics=metrics,
              steps_per_execution=whole_epoch)
fit_args = dict(batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=False)
model.optimizer.build(model.trainable_variables)
start_weights = [keras.ops.convert_to_numpy(v) for v in model.weights]
start_optimizer = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]

def plain_fit():
    for variable, value in zip(model.weights, start_weights, strict=True):
        variable.assign(value)
    for variable, value in zip(model.optimizer.variables, start_optimizer, strict=True):
        variable.assign(value)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(train.posts, train.targets, **fit_args)
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall = time.perf_counter()
    scores = model.evaluate(test.posts, test.targets, batch_size=BATCH, verbose=0,
                            return_dict=True)
    return {{"wall": fit_wall, "cpu": fit_cpu, "evaluate": time.perf_counter() - wall,
            "loss": float(scores["loss"])}}

def retrain(weights):
    spent.clear(); spent_cpu.clear()
    wall, cpu, thread_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    lab.train(weights, block=True)
    total, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    thread_total = time.thread_time() - thread_cpu
    run = max(lab.runs, key=lambda r: r.number)
    assert run.status == "done", run.message
    parts, parts_cpu = dict(spent), dict(spent_cpu)
    parts["other"] = total - sum(parts.values())
    parts_cpu["other"] = thread_total - sum(parts_cpu.values())
    return {{"wall": total, "cpu": total_cpu, "parts": parts, "parts_cpu": parts_cpu,
            "frames": lab.curves.redraws, "first_point": run.first_point_seconds,
            "epochs": run.epochs_run}}

plain_fit(); plain_fit()  # trace (and warm) the plain model, untimed
retrain(WEIGHTS[0])  # the lab traced while it was built; one untimed run warms the rest
fits, retrains = [], []
for repeat in range({repeats}):
    weights = WEIGHTS[repeat % len(WEIGHTS)]
    if repeat % 2:
        retrains.append(retrain(weights)); fits.append(plain_fit())
    else:
        fits.append(plain_fit()); retrains.append(retrain(weights))
lab_options = {{"steps_per_execution": lab.config.steps_per_execution,
               "jit_compile": lab.config.jit_compile}}
print("RESULTS " + json.dumps({{"backend": keras.backend.backend(), "whole_epoch": whole_epoch,
                               "lab": lab_options, "fits": fits, "retrains": retrains}}))
lab.close()
"""


def build_notebook(repeats: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells = [SETUP.format(weights=json.dumps(WEIGHTS)), MEASURE.format(repeats=repeats)]
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    return nb


def run_backend(backend: str, repeats: int) -> dict:
    """One fresh kernel with ``KERAS_BACKEND=backend``: every measurement of that backend."""
    saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = backend
    try:
        load_before, started = os.getloadavg(), time.perf_counter()
        result = run_in_kernel(build_notebook(repeats))
        result["seconds"] = time.perf_counter() - started
        result["load_before"] = [round(v, 2) for v in load_before]
        result["load_after"] = [round(v, 2) for v in os.getloadavg()]
    finally:
        if saved is None:
            os.environ.pop("KERAS_BACKEND", None)
        else:
            os.environ["KERAS_BACKEND"] = saved
    if result["backend"] != backend:
        raise RuntimeError(f"the kernel ran on {result['backend']!r}, not {backend!r}")
    return result


def summarise(result: dict) -> dict:
    fits, retrains = result["fits"], result["retrains"]
    fit = [f["wall"] for f in fits]
    lab = [r["wall"] for r in retrains]
    paired = [r / f for r, f in zip(lab, fit, strict=True)]
    paired_cpu = [r["cpu"] / f["cpu"] for r, f in zip(retrains, fits, strict=True)]
    parts = {p: statistics.median(r["parts"].get(p, 0.0) for r in retrains) for p in PARTS}
    parts_cpu = {  # not in results from before this benchmark measured CPU time
        p: statistics.median(r["parts_cpu"].get(p, 0.0) for r in retrains)
        for p in PARTS
        if all("parts_cpu" in r for r in retrains)
    }
    return {
        "fit_median": statistics.median(fit),
        "fit_range": (min(fit), max(fit)),
        "evaluate_median": statistics.median(f["evaluate"] for f in fits),
        "retrain_median": statistics.median(lab),
        "retrain_range": (min(lab), max(lab)),
        "ratio": statistics.median(lab) / statistics.median(fit),
        "paired": statistics.median(paired),
        "paired_range": (min(paired), max(paired)),
        "paired_cpu": statistics.median(paired_cpu),
        "parts": parts,
        "parts_cpu": parts_cpu,
        "frames": statistics.median(r["frames"] for r in retrains),
        "first_point_max": max(
            (r["first_point"] for r in retrains if r["first_point"] is not None), default=None
        ),
    }


def met(backend: str, s: dict) -> bool | None:
    bar = BARS.get(backend)
    return None if bar is None else s["ratio"] <= bar and s["paired"] <= bar


def markdown(runs: list[dict], machine: dict, repeats: int, before: str | None = None) -> str:
    """The section: ``runs`` (each with its ``label``), ``before`` saying what earlier runs are."""
    backend0 = next(iter(runs[-1]["results"].values()))
    lines = [
        HEADING,
        "",
        "**Question.** What does a drawn Train of the loss-weight lab add to Keras's own "
        "`fit` of the same model? Bars: a retrain costs at most "
        + " and ".join(f"{BARS[b]:g} x the plain fit on {b}" for b in BARS)
        + " (ratio of medians and paired ratio).",
        "",
        "**Set-up.** One fresh kernel per backend (nbclient), holding both: a plain `compile` "
        "+ `fit` of `compact_posts_model()` with the lab's losses, metrics, `Adam(0.02)` and "
        "data (2,400 training posts, 600 held out), batch 64, 10 epochs, `shuffle=False`, "
        f"`verbose=0`, and `steps_per_execution={backend0['whole_epoch']}`, a whole epoch per "
        "execution (`ceil(2400 / 64)` steps: each epoch is one call of the compiled step), "
        "timed from the call to its return, its `evaluate` apart; and the default "
        "`LossWeightLab()`, displayed, with `lab.train(weights, block=True)` drawing its "
        f"curves (lab: steps_per_execution {backend0['lab']['steps_per_execution']}, "
        f"jit_compile {backend0['lab']['jit_compile']!r}). Both traced first, untimed; "
        f"then {repeats} repeats, the order alternating, weights cycling through 1/1/1, "
        "gender x 100, income x 100.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}; "
        f"Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
        + f". Run {machine['date']}; each run of the whole benchmark starts a fresh kernel "
        "per backend." + (f" {before}" if before else ""),
        "",
        "| run | backend | load before / after | plain fit, median (range) | its evaluate "
        "| drawn retrain, median (range) | **retrain / fit** | paired (range) | paired CPU "
        "| frames | bar |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for backend, r in run["results"].items():
            s = run["summary"][backend]
            ok = met(backend, s)
            verdict = "-" if ok is None else f"<= {BARS[backend]:g}: {'met' if ok else 'MISSED'}"
            lines.append(
                f"| {run['label']} | {backend} "
                f"| {r['load_before'][0]:.1f} / {r['load_after'][0]:.1f} "
                f"| {s['fit_median']:.2f} s ({s['fit_range'][0]:.2f}-{s['fit_range'][1]:.2f}) "
                f"| {s['evaluate_median'] * 1e3:.0f} ms "
                f"| {s['retrain_median']:.2f} s "
                f"({s['retrain_range'][0]:.2f}-{s['retrain_range'][1]:.2f}) "
                f"| **{s['ratio']:.2f}** | {s['paired']:.2f} "
                f"({s['paired_range'][0]:.2f}-{s['paired_range'][1]:.2f}) "
                f"| {s['paired_cpu']:.2f} | {s['frames']:g} | {verdict} |"
            )
    columns = [(run, b) for run in runs for b in run["results"]]
    lines += [
        "",
        "Where a retrain's time goes: median per retrain over the repeats, in milliseconds of "
        "wall time (and of CPU time of the thread that trains and draws); exclusive: a part "
        "called inside another counts only for itself. Keras's own threads (its compiled "
        "steps) are not in the CPU figure. Beside it, the plain fit's:",
        "",
        "| part | " + " | ".join(f"run {run['label']}: {b}" for run, b in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for part, name in PARTS.items():
        cells = []
        for run, b in columns:
            s = run["summary"][b]
            cpu = s["parts_cpu"].get(part)
            cells.append(f"{s['parts'][part] * 1e3:.0f}" + (f" ({cpu * 1e3:.0f})" if cpu else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cells = [f"{run['summary'][b]['fit_median'] * 1e3:.0f}" for run, b in columns]
    lines.append("| *plain fit, for comparison* | " + " | ".join(cells) + " |")
    cells = [f"{run['summary'][b]['evaluate_median'] * 1e3:.0f}" for run, b in columns]
    lines.append("| *plain evaluate, for comparison* | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Columns: *retrain / fit* is the ratio of medians (the bar); *paired* is the median, "
        "over repeats, of a retrain's time over the plain fit of the same repeat; *paired "
        "CPU* the same in the kernel's CPU time (`time.process_time`); *frames* the live "
        "plot's frames per retrain.",
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
    parser.add_argument("--repeats", type=int, default=10, help="retrains and fits per run")
    parser.add_argument("--runs", type=int, default=2, help="whole runs, for the spread")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument(
        "--before",
        type=Path,
        help="raw timings of an earlier run of this benchmark (its JSON), shown first",
    )
    parser.add_argument(
        "--before-label",
        default="before",
        help="what the earlier runs are called in the tables, e.g. 'before 1a2b3c4'",
    )
    parser.add_argument("--write", action="store_true", help=f"put the section into {RESULTS.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bar is missed")
    args = parser.parse_args(argv)
    if args.repeats < 3 or args.runs < 1:
        parser.error("--repeats must be at least 3 and --runs at least 1")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    earlier, before_text = [], None
    if args.before is not None:
        saved = json.loads(args.before.read_text())
        for index, run in enumerate(saved["runs"], 1):
            earlier.append(
                {
                    "label": f"{args.before_label} {index}",
                    "results": run["results"],
                    "summary": {b: summarise(r) for b, r in run["results"].items()},
                }
            )
        before_text = (
            f"Runs '{args.before_label} N' are this benchmark on the lab before the changes it "
            f"measured, run {saved['machine']['date']} on the same machine."
        )
    load_before = os.getloadavg()
    runs = []
    for index in range(args.runs):
        results = {}
        for backend in backends:
            print(f"== run {index + 1}: {backend}", file=sys.stderr, flush=True)
            results[backend] = run_backend(backend, args.repeats)
        summary = {b: summarise(r) for b, r in results.items()}
        runs.append({"label": str(index + 1), "results": results, "summary": summary})
    machine = describe_machine(
        ["keras", "matplotlib", "ipywidgets", *backends], load_before, os.getloadavg()
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"machine": machine, "runs": runs}, indent=1))
    section = markdown(earlier + runs, machine, args.repeats, before_text)
    print(section)
    if args.write:
        write_section(section)
        print(f"Section written to {RESULTS.relative_to(ROOT)}.")
    verdicts = [met(b, run["summary"][b]) for run in runs for b in run["summary"]]
    return 1 if args.check and not all(v for v in verdicts if v is not None) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
