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
       [--backends tensorflow,jax] [--before JSON [--before-label TEXT]] [--render JSON]
       [--write] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
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
try:
    from helpers.lab._run_control import RunControl
except ImportError:  # a commit from before the control had its own module
    RunControl = _trainer.RunControl
wrap_hooks(RunControl, "control")
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
    firsts = [r["first_point"] for r in retrains if r["first_point"] is not None]
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
        "first_point_median": statistics.median(firsts) if firsts else None,
        "first_point_max": max(firsts, default=None),
        "frames_range": (min(r["frames"] for r in retrains), max(r["frames"] for r in retrains)),
    }


def frames_text(s: dict) -> str:
    low, high = s.get("frames_range", (s["frames"], s["frames"]))
    return f"{low}" if low == high else f"{low}-{high}"


def first_point_text(s: dict) -> str:
    if s.get("first_point_median") is None:
        return "-"
    return f"{s['first_point_median']:.2f} s ({s['first_point_max']:.2f} s)"


def met(backend: str, s: dict) -> bool | None:
    bar = BARS.get(backend)
    return None if bar is None else s["ratio"] <= bar and s["paired"] <= bar


def groups(runs: list[dict], before_label: str) -> dict[str, list[dict]]:
    """The runs by group: the earlier ones (``before_label``) first, then this benchmark's."""
    found: dict[str, list[dict]] = {}
    for run in runs:
        name = before_label if run.get("earlier") else ("after" if runs[0].get("earlier") else "")
        found.setdefault(name, []).append(run)
    return found


def span(values: list[float], digits: int = 2) -> str:
    """The median of ``values`` and, for more than one, their range."""
    middle = f"{statistics.median(values):.{digits}f}"
    if len(values) < 2:
        return middle
    return f"{middle} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def markdown(
    runs: list[dict],
    machine: dict,
    repeats: int,
    before: str | None = None,
    commit: str | None = None,
    before_label: str = "before",
) -> str:
    """The section: ``runs`` (each with its ``label``), ``before`` saying what earlier runs are."""
    backend0 = next(iter(runs[-1]["results"].values()))
    by_group = groups(runs, before_label)
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
        + f". Run {machine['date']}"
        + (f" on commit {commit}" if commit else "")
        + "; each run of the whole benchmark starts a fresh kernel per backend."
        + (f" {before}" if before else ""),
        "",
        "Per group of runs, the median of the runs' figures (and their range):",
        "",
        "| runs | backend | load (1 min) | **retrain / fit** | paired | paired CPU | frames "
        "| first point, median (max) | bar met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, members in by_group.items():
        for backend in dict.fromkeys(b for run in members for b in run["summary"]):
            found = [run for run in members if backend in run["summary"]]
            summaries = [run["summary"][backend] for run in found]
            loads = [run["results"][backend]["load_before"][0] for run in found]
            firsts = [s["first_point_median"] for s in summaries if s.get("first_point_median")]
            worst = max(
                (s["first_point_max"] for s in summaries if s["first_point_max"]), default=0
            )
            frames = sorted({f for s in summaries for f in s.get("frames_range", [s["frames"]])})
            met_count = sum(bool(met(backend, s)) for s in summaries)
            lines.append(
                f"| {name or 'all'} ({len(found)}) | {backend} "
                f"| {min(loads):.1f}-{max(loads):.1f} "
                f"| **{span([s['ratio'] for s in summaries])}** "
                f"| {span([s['paired'] for s in summaries])} "
                f"| {span([s['paired_cpu'] for s in summaries])} "
                f"| {frames[0]}{f'-{frames[-1]}' if len(frames) > 1 else ''} "
                f"| {statistics.median(firsts):.2f} s ({worst:.2f} s) "
                f"| {met_count} of {len(found)} |"
            )
    lines += [
        "",
        "Each run: medians over its repeats.",
        "",
        "| run | backend | load before / after | plain fit, median (range) | its evaluate "
        "| drawn retrain, median (range) | **retrain / fit** | paired (range) | paired CPU "
        "| frames | first point, median (max) | bar |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
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
                f"| {s['paired_cpu']:.2f} | {frames_text(s)} | {first_point_text(s)} | {verdict} |"
            )
    columns = [
        (name, backend, [run for run in members if backend in run["summary"]])
        for name, members in by_group.items()
        for backend in dict.fromkeys(b for run in members for b in run["summary"])
    ]
    lines += [
        "",
        "Where a retrain's time goes: milliseconds of wall time (and of CPU time of the thread "
        "that trains and draws) per retrain, the median over a group's runs of each run's "
        "median; exclusive: a part called inside another counts only for itself. Keras's own "
        "threads (its compiled steps) are not in the CPU figure. Beside it, the plain fit's:",
        "",
        "| part | " + " | ".join(f"{n or 'all'}: {b}" for n, b, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]

    def cell(found: list[dict], backend: str, key: str, part: str | None = None) -> str:
        values = [
            (
                run["summary"][backend][key]
                if part is None
                else run["summary"][backend][key].get(part)
            )
            for run in found
        ]
        if any(v is None for v in values):
            return ""
        return f"{statistics.median(values) * 1e3:.0f}"

    for part, name in PARTS.items():
        cells = []
        for _, backend, found in columns:
            wall, cpu = cell(found, backend, "parts", part), cell(found, backend, "parts_cpu", part)
            cells.append(wall + (f" ({cpu})" if cpu else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for key, name in (("fit_median", "plain fit"), ("evaluate_median", "plain evaluate")):
        cells = [cell(found, backend, key) for _, backend, found in columns]
        lines.append(f"| *{name}, for comparison* | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Columns: *retrain / fit* is the ratio of medians (the bar); *paired* is the median, "
        "over repeats, of a retrain's time over the plain fit of the same repeat; *paired "
        "CPU* the same in the kernel's CPU time (`time.process_time`); *frames* the live "
        "plot's frames per retrain (fewest-most); *first point* the seconds from `train` to "
        "the first frame with a curve point (the lab's promise: 0.5 s).",
        "",
        *reading([run for run in runs if not run.get("earlier")]),
        f"Raw timings: `{OUT.relative_to(ROOT)}`.",
    ]
    return "\n".join(lines) + "\n"


def reading(runs: list[dict]) -> list[str]:
    """A paragraph per backend: the ratios over ``runs`` and the largest additions to fit."""
    lines = []
    backends = dict.fromkeys(b for run in runs for b in run["summary"])
    for backend in backends:
        summaries = [run["summary"][backend] for run in runs if backend in run["summary"]]
        ratios = sorted(s["ratio"] for s in summaries)
        added = {
            part: statistics.median(s["parts"][part] for s in summaries)
            for part in PARTS
            if part != "fit"
        }
        loop = statistics.median(s["parts"]["fit"] - s["fit_median"] for s in summaries)
        largest = sorted(added, key=added.get, reverse=True)[:2]
        bar = BARS.get(backend)
        why = ""
        if backend == "tensorflow" and loop < 0:
            why = (
                " (the lab feeds it batches built once as a `tf.data.Dataset`; the plain fit "
                "builds an input pipeline from the arrays at every call)"
            )
        lines += [
            f"**{backend}.** A drawn retrain cost {ratios[0]:.2f}"
            + (f"-{ratios[-1]:.2f}" if len(ratios) > 1 else "")
            + f" x the plain fit over {len(ratios)} run(s)"
            + (f" (bar {bar:g} x)" if bar else "")
            + f". Its own `fit` loop took {loop * 1e3:+.0f} ms against the plain fit's, "
            f"median over runs{why}; the largest additions were "
            + " and ".join(f"{PARTS[p].split(':')[0]} ({added[p] * 1e3:.0f} ms)" for p in largest)
            + ".",
            "",
        ]
    return lines


def write_section(section: str) -> None:
    """Put ``section`` into RESULTS.md, replacing only this benchmark's own section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def commit_measured() -> str | None:
    """The checkout's commit, marked "+ changes" when the files of ``helpers`` differ."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "helpers"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return f"{head} + changes" if head and changed else head or None


def labelled(runs: list[dict], prefix: str, earlier: bool = False) -> list[dict]:
    """Raw runs (``{"results": ...}``) numbered from 1 after ``prefix``, with summaries."""
    return [
        {
            "label": f"{prefix}{index}",
            "earlier": earlier,
            "results": run["results"],
            "summary": {b: summarise(r) for b, r in run["results"].items()},
        }
        for index, run in enumerate(runs, 1)
    ]


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
    parser.add_argument(
        "--render",
        type=Path,
        help="measure nothing: write the section from this run's raw timings (its JSON)",
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
        earlier = labelled(saved["runs"], f"{args.before_label} ", earlier=True)
        commit = f" (commit {saved['commit']})" if saved.get("commit") else ""
        before_text = (
            f"Runs '{args.before_label} N' are this benchmark on the lab before the changes it "
            f"measured{commit}, run {saved['machine']['date']} on the same machine."
        )
    if args.render is not None:
        saved = json.loads(args.render.read_text())
        machine, runs, commit = saved["machine"], labelled(saved["runs"], ""), saved.get("commit")
        repeats = len(runs[0]["results"][next(iter(runs[0]["results"]))]["fits"])
    else:
        load_before = os.getloadavg()
        results_by_run = []
        for index in range(args.runs):
            results = {}
            for backend in backends:
                print(f"== run {index + 1}: {backend}", file=sys.stderr, flush=True)
                results[backend] = run_backend(backend, args.repeats)
            results_by_run.append({"results": results})
        machine = describe_machine(
            ["keras", "matplotlib", "ipywidgets", *backends], load_before, os.getloadavg()
        )
        runs, repeats, commit = labelled(results_by_run, ""), args.repeats, commit_measured()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        saved = {"machine": machine, "commit": commit, "runs": runs}
        OUT.write_text(json.dumps(saved, indent=1))
    section = markdown(earlier + runs, machine, repeats, before_text, commit, args.before_label)
    print(section)
    if args.write:
        write_section(section)
        print(f"Section written to {RESULTS.relative_to(ROOT)}.")
    verdicts = [met(b, run["summary"][b]) for run in runs for b in run["summary"]]
    return 1 if args.check and not all(v for v in verdicts if v is not None) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
