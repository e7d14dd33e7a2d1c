"""How quickly the loss-weight lab answers, per Keras backend and compile setting, in one run.

For each backend installed here (TensorFlow, JAX; PyTorch when installed) one fresh
Jupyter kernel (nbclient, ``KERAS_BACKEND=<name>``) builds the default lab (lesson 03's
compact posts model on ``make_posts(3000, standardize_age=True)``, 10 epochs) once per
setting of ``jit_compile``, ``steps_per_execution`` and batch size, displays it so that
its widgets talk to a client as in JupyterLab, and clicks Train in code
(``lab.train(weights, block=True)``) several times, cycling through the weights 1/1/1,
gender x 100 and income x 100. For each setting it reports:

- **fit**: the lab's 10-epoch ``fit`` alone (plain Keras, no callbacks), for every
  setting, the settings interleaved so that load drifts hit them alike;
- **lab start**: ``LossWeightLab(...)``, which compiles and traces once;
- **retrain**: from ``train`` to the held-out metrics, curves drawn on the way (median
  and range over the clicks; every run starts from the same initial weights);
- **first point**: from ``train`` to the first frame with a curve point (``Run`` 's
  ``first_point_seconds``);
- **behaviour**: the held-out metrics at 1/1/1 and the trade-off the lab teaches: how
  many points of accuracy income loses when gender's weight is 100, and gender when
  income's is (lesson 04 checks at least 30 each), so a faster setting that changes
  what the lab shows is visible;
- **weights versus recompile** (per backend, plain Keras): assigning new loss weights
  (:mod:`helpers.lossweights`) and the epoch after, against ``compile(loss_weights=...)``
  with numbers plus the next epoch, which traces the training step again.

Only the lab's public API is used (``LossWeightLab(...)``, ``train(..., block=True)``,
``runs``). Prints Markdown for benchmarks/RESULTS.md; ``--write`` puts it there as this
benchmark's own section (replacing only that section). Raw timings go to
benchmarks/out/lab_latency.json.

Usage: python benchmarks/lab_latency.py [--repeats 6] [--backends tensorflow,jax] [--quick]
       [--write] [--check]
"""

from __future__ import annotations

import argparse
import importlib.util
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
BACKENDS = ("tensorflow", "jax", "torch")
# Bars (issue 12): the lab's retrain median on the default backend and on JAX, and the
# first curve point after any click.
RETRAIN_BAR = {"tensorflow": 1.0, "jax": 0.6}
FIRST_POINT_BAR = 0.5
TRADE_OFF_BAR = 0.30  # accuracy points a pushed head takes from each rival (lesson 04)

# The settings measured on each backend; None is the lab's own defaults. JAX always
# compiles its steps (jit_compile False would run them op by op), PyTorch never does here.
SETTINGS = {
    "tensorflow": [
        None,
        {"jit_compile": False, "steps_per_execution": 1, "batch_size": 64},
        {"jit_compile": False, "steps_per_execution": 8, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 1, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 8, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 38, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 8, "batch_size": 128},
    ],
    "jax": [
        None,
        {"jit_compile": "auto", "steps_per_execution": 1, "batch_size": 64},
        {"jit_compile": "auto", "steps_per_execution": 8, "batch_size": 64},
        {"jit_compile": "auto", "steps_per_execution": 38, "batch_size": 64},
        {"jit_compile": "auto", "steps_per_execution": 8, "batch_size": 128},
    ],
    "torch": [
        None,
        {"jit_compile": "auto", "steps_per_execution": 1, "batch_size": 64},
        {"jit_compile": "auto", "steps_per_execution": 8, "batch_size": 64},
    ],
}
# The lab itself (curves, evaluation, widgets) is timed for fewer settings: its defaults
# and the candidates the fit times point to.
LAB_SETTINGS = {
    "tensorflow": [
        None,
        {"jit_compile": False, "steps_per_execution": 1, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 8, "batch_size": 64},
        {"jit_compile": True, "steps_per_execution": 38, "batch_size": 64},
    ],
    "jax": [
        None,
        {"jit_compile": "auto", "steps_per_execution": 1, "batch_size": 64},
    ],
    "torch": [
        None,
        {"jit_compile": "auto", "steps_per_execution": 1, "batch_size": 64},
    ],
}
WEIGHTS = [
    {"age": 1, "income": 1, "gender": 1},
    {"age": 1, "income": 1, "gender": 100},
    {"age": 1, "income": 100, "gender": 1},
]

SETUP = """
import inspect, json, statistics, time
from helpers.env import quiet_keras_import, set_seed

keras = quiet_keras_import()
from IPython.display import display
from helpers.data import make_posts
from helpers.lab import LossWeightLab
from helpers.lab._config import default_steps_per_execution
from helpers.lossweights import LossWeights
from helpers.models import compact_posts_model

set_seed(0)
parameters = inspect.signature(LossWeightLab).parameters
DEFAULTS = {{k: parameters[k].default for k in ("jit_compile", "steps_per_execution",
                                                "batch_size", "epochs")}}
if DEFAULTS["steps_per_execution"] is None:  # resolved per backend when the lab is built
    DEFAULTS["steps_per_execution"] = default_steps_per_execution()
WEIGHTS = {weights}
results = {{"backend": keras.backend.backend(), "lab_defaults": DEFAULTS, "settings": []}}
"""

LABS = """
for setting in {settings}:
    options = {{}} if setting is None else dict(setting)
    start = time.perf_counter()
    try:
        lab = LossWeightLab(**options)
    except Exception as exc:  # e.g. a setting this backend refuses
        results["settings"].append({{"setting": setting, "effective": {{**DEFAULTS, **options}},
                                     "error": f"{{type(exc).__name__}}: {{exc}}"}})
        continue
    built = time.perf_counter() - start
    display(lab)
    clicks = []
    for i in range({repeats}):
        weights = WEIGHTS[i % len(WEIGHTS)]
        start = time.perf_counter()
        lab.train(weights=weights, block=True)
        wall = time.perf_counter() - start
        run = max(lab.runs, key=lambda r: r.number)
        assert run.status == "done", run.message
        clicks.append({{"weights": weights, "wall": wall, "seconds": run.seconds,
                        "first_point": run.first_point_seconds, "metrics": run.metrics}})
    results["settings"].append({{"setting": setting, "effective": {{**DEFAULTS, **options}},
                                 "lab_start": built, "clicks": clicks}})
    lab.close()
"""

FITS = """
posts = make_posts(3000, standardize_age=True, seed=0)
train, test = posts.split(0.2)
losses = {{"age": "mse", "income": "sparse_categorical_crossentropy",
          "gender": "binary_crossentropy"}}
candidates = []
for setting in {settings}:
    options = {{**DEFAULTS, **(setting or {{}})}}
    compile_options = {{"steps_per_execution": options["steps_per_execution"]}}
    if options["jit_compile"] != "auto":
        compile_options["jit_compile"] = options["jit_compile"]
    set_seed(0)
    model = compact_posts_model()
    weights = LossWeights(model.output_names, WEIGHTS[0])
    try:
        weights.compile(model, optimizer=keras.optimizers.Adam(0.02), loss=losses,
                        **compile_options)
        start = time.perf_counter()
        model.fit(train.posts, train.targets, batch_size=options["batch_size"], epochs=1,
                  verbose=0, shuffle=False)  # trace, timed apart
        trace = time.perf_counter() - start
    except Exception as exc:
        candidates.append({{"setting": setting, "error": f"{{type(exc).__name__}}: {{exc}}"}})
        continue
    start_state = [v.numpy() for v in model.weights]
    candidates.append({{"setting": setting, "effective": options, "model": model,
                        "start": start_state, "trace": trace, "wall": [], "cpu": []}})
for round_ in range({rounds}):  # settings interleaved, so load drifts hit them alike
    for c in candidates:
        if "error" in c:
            continue
        for variable, value in zip(c["model"].weights, c["start"], strict=True):
            variable.assign(value)
        wall, cpu = time.perf_counter(), time.process_time()
        c["model"].fit(train.posts, train.targets, batch_size=c["effective"]["batch_size"],
                       epochs=DEFAULTS["epochs"], verbose=0, shuffle=False)
        c["wall"].append(time.perf_counter() - wall)
        c["cpu"].append(time.process_time() - cpu)
results["fits"] = [{{k: v for k, v in c.items() if k not in ("model", "start")}}
                   for c in candidates]
del candidates
"""

RECOMPILE = """
posts = make_posts(3000, standardize_age=True, seed=0)
train, test = posts.split(0.2)
losses = {{"age": "mse", "income": "sparse_categorical_crossentropy",
          "gender": "binary_crossentropy"}}
fit = dict(batch_size=64, epochs=1, verbose=0, shuffle=False)
model = compact_posts_model()
model.compile(optimizer=keras.optimizers.Adam(0.02), loss=losses, loss_weights=WEIGHTS[0],
              steps_per_execution=8)
model.fit(train.posts, train.targets, **fit)  # trace once, untimed
recompile = []
for k in range({repeats}):
    start = time.perf_counter()
    model.compile(optimizer=model.optimizer, loss=losses,
                  loss_weights=WEIGHTS[(k + 1) % len(WEIGHTS)], steps_per_execution=8)
    compiled = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)  # traces the training step again
    first = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)  # an ordinary epoch, for comparison
    second = time.perf_counter()
    recompile.append({{"compile": compiled - start, "first_epoch": first - compiled,
                       "normal_epoch": second - first}})
model = compact_posts_model()
weights = LossWeights(model.output_names, WEIGHTS[0])
weights.compile(model, optimizer=keras.optimizers.Adam(0.02), loss=losses, steps_per_execution=8)
model.fit(train.posts, train.targets, **fit)  # trace once, untimed
assign = []
for k in range({repeats}):
    start = time.perf_counter()
    weights.assign(WEIGHTS[(k + 1) % len(WEIGHTS)])
    assigned = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)  # no new trace
    first = time.perf_counter()
    model.fit(train.posts, train.targets, **fit)
    second = time.perf_counter()
    assign.append({{"assign": assigned - start, "first_epoch": first - assigned,
                    "normal_epoch": second - first}})
results["recompile"], results["assign"] = recompile, assign
print("RESULTS " + json.dumps(results))
"""


def build_notebook(backend: str, repeats: int, quick: bool) -> nbformat.NotebookNode:
    settings = SETTINGS[backend][:2] if quick else SETTINGS[backend]
    lab_settings = settings[:2] if quick else LAB_SETTINGS[backend]
    cells = [
        SETUP.format(weights=json.dumps(WEIGHTS)),
        FITS.format(settings=repr(settings), rounds=3 if quick else 5),
        LABS.format(settings=repr(lab_settings), repeats=repeats),
        RECOMPILE.format(repeats=3),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    return nb


def run_backend(backend: str, repeats: int, quick: bool) -> dict:
    """Run one backend's measurements in a fresh kernel with ``KERAS_BACKEND=backend``."""
    saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = backend
    try:
        load_before, started = os.getloadavg(), time.perf_counter()
        results = _run_in_kernel(build_notebook(backend, repeats, quick))
        results["wall"] = time.perf_counter() - started
        results["load_before"] = [round(v, 2) for v in load_before]
        results["load_after"] = [round(v, 2) for v in os.getloadavg()]
    finally:
        if saved is None:
            os.environ.pop("KERAS_BACKEND", None)
        else:
            os.environ["KERAS_BACKEND"] = saved
    if results["backend"] != backend:
        raise RuntimeError(f"the kernel ran on {results['backend']!r}, not {backend!r}")
    return results


def summarise_setting(entry: dict) -> dict:
    clicks = entry["clicks"]
    walls = [c["seconds"] for c in clicks]
    firsts = [c["first_point"] for c in clicks if c["first_point"] is not None]
    by_weights: dict[str, dict] = {}
    for c in clicks:  # the first click with each weight setting
        by_weights.setdefault(json.dumps(c["weights"], sort_keys=True), c["metrics"])
    even, gender, income = (by_weights.get(json.dumps(w, sort_keys=True)) for w in WEIGHTS)
    repeatable = all(
        c["metrics"] == by_weights[json.dumps(c["weights"], sort_keys=True)] for c in clicks
    )
    summary = {
        "retrain_median": statistics.median(walls),
        "retrain_min": min(walls),
        "retrain_max": max(walls),
        "first_point_median": statistics.median(firsts) if firsts else None,
        "first_point_max": max(firsts) if firsts else None,
        "first_points": len(firsts),
        "clicks": len(clicks),
        "repeatable": repeatable,
    }
    if even and gender and income:
        summary["even"] = {
            k: even[k] for k in ("age_mae", "income_accuracy", "gender_accuracy") if k in even
        }
        summary["income_drop"] = even["income_accuracy"] - gender["income_accuracy"]
        summary["gender_drop"] = even["gender_accuracy"] - income["gender_accuracy"]
    return summary


def summarise(results: dict) -> dict:
    out = {}
    for backend, r in results.items():
        settings = [None if "error" in e else summarise_setting(e) for e in r["settings"]]
        retrace = [x["first_epoch"] - x["normal_epoch"] for x in r["recompile"]]
        out[backend] = {
            "settings": settings,
            "compile_median": statistics.median(x["compile"] for x in r["recompile"]),
            "retrace_extra_median": statistics.median(retrace),
            "assign_median": statistics.median(x["assign"] for x in r["assign"]),
            "assign_epoch_extra_median": statistics.median(
                x["first_epoch"] - x["normal_epoch"] for x in r["assign"]
            ),
        }
    return out


def meets_bars(backend: str, s: dict) -> bool | None:
    """Whether a setting meets the latency bars and keeps the lab's trade-off."""
    if backend not in RETRAIN_BAR or s["first_point_max"] is None or "income_drop" not in s:
        return None
    return (
        s["retrain_median"] <= RETRAIN_BAR[backend]
        and s["first_point_max"] <= FIRST_POINT_BAR
        and min(s["income_drop"], s["gender_drop"]) >= TRADE_OFF_BAR
    )


def label(entry: dict) -> tuple[str, str, str]:
    e = entry["effective"]
    jit = {True: "on", False: "off", "auto": "auto"}.get(e["jit_compile"], str(e["jit_compile"]))
    return jit, str(e["steps_per_execution"]), str(e["batch_size"])


def markdown(results: dict, summary: dict, machine: dict, repeats: int, wall: float) -> str:
    lines = [
        HEADING,
        "",
        "The default lab (compact posts model, 2,400 training posts, 10 epochs), displayed in "
        f"one fresh kernel per backend driven by nbclient; {repeats} Train clicks per setting "
        "(weights 1/1/1, gender x 100, income x 100 in turn, every run from the same initial "
        f"weights); {wall:.0f} s in all.",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}; "
        f"Python {machine['python']}, "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
        + f". Run {machine['date']}.",
        "Load average (1/5/15 min) per backend: "
        + "; ".join(
            f"{b} {r['load_before']} before, {r['load_after']} after" for b, r in results.items()
        )
        + ".",
        "",
        f"Bars: retrain median <= {RETRAIN_BAR['tensorflow']:g} s on TensorFlow and "
        f"<= {RETRAIN_BAR['jax']:g} s on JAX, first curve point <= {FIRST_POINT_BAR:g} s after "
        f"every click, and the trade-off kept (each rival loses >= {TRADE_OFF_BAR * 100:.0f} "
        "points of accuracy when a head's weight is 100).",
        "",
        "| backend | jit_compile | steps_per_execution | batch | lab start | retrain median "
        "(range) | first point median (max) | at 1/1/1: age MAE, income, gender | income drop "
        "at gender x 100 | gender drop at income x 100 | bars |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, r in results.items():
        for entry, s in zip(r["settings"], summary[backend]["settings"], strict=True):
            jit, spe, batch = label(entry)
            name = f"{backend} (lab default)" if entry["setting"] is None else backend
            if s is None:
                lines.append(
                    f"| {name} | {jit} | {spe} | {batch} | refused: {entry['error']} "
                    "| | | | | | - |"
                )
                continue
            first = (
                f"{s['first_point_median']:.2f} s ({s['first_point_max']:.2f} s)"
                if s["first_point_median"] is not None
                else "no frame"
            )
            even = s.get("even", {})
            behaviour = (
                f"{even.get('age_mae', float('nan')):.3f}, "
                f"{even.get('income_accuracy', float('nan')):.3f}, "
                f"{even.get('gender_accuracy', float('nan')):.3f}"
            )
            ok = meets_bars(backend, s)
            verdict = {True: "met", False: "missed", None: "-"}[ok]
            if not s["repeatable"]:
                verdict += " (runs not repeatable)"
            lines.append(
                f"| {name} | {jit} | {spe} | {batch} | {entry['lab_start']:.1f} s "
                f"| {s['retrain_median']:.2f} s ({s['retrain_min']:.2f}-{s['retrain_max']:.2f}) "
                f"| {first} | {behaviour} | {s.get('income_drop', float('nan')) * 100:+.0f} "
                f"| {s.get('gender_drop', float('nan')) * 100:+.0f} | {verdict} |"
            )
    lines += [
        "",
        "The 10-epoch `fit` alone (plain Keras, the lab's model, data and optimizer, loss "
        "weights from `LossWeights`, no callbacks, no evaluation), settings interleaved in "
        "each backend's kernel; wall time and the kernel's CPU time (less sensitive to load):",
        "",
        "| backend | jit_compile | steps_per_execution | batch | first fit (traces) "
        "| 10-epoch fit, median wall (range) | median CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, r in results.items():
        for fit in r["fits"]:
            jit, spe, batch = label({"effective": {**r["lab_defaults"], **(fit["setting"] or {})}})
            name = f"{backend} (lab default)" if fit["setting"] is None else backend
            if "error" in fit:
                lines.append(f"| {name} | {jit} | {spe} | {batch} | refused: {fit['error']} | | |")
                continue
            lines.append(
                f"| {name} | {jit} | {spe} | {batch} | {fit['trace']:.1f} s "
                f"| {statistics.median(fit['wall']):.2f} s "
                f"({min(fit['wall']):.2f}-{max(fit['wall']):.2f}) "
                f"| {statistics.median(fit['cpu']):.2f} s |"
            )
    lines += [
        "",
        "| changing the loss weights (plain Keras, steps_per_execution 8, one epoch) | "
        + " | ".join(results)
        + " |",
        "|---|" + "---|" * len(results),
        "| `LossWeights.assign` | "
        + " | ".join(f"{summary[b]['assign_median'] * 1e3:.2f} ms" for b in results)
        + " |",
        "| the epoch after an assignment, minus an ordinary epoch | "
        + " | ".join(f"{summary[b]['assign_epoch_extra_median'] * 1e3:+.0f} ms" for b in results)
        + " |",
        "| `compile(loss_weights=...)` with numbers | "
        + " | ".join(f"{summary[b]['compile_median'] * 1e3:.0f} ms" for b in results)
        + " |",
        "| the epoch after a recompile, minus an ordinary epoch (retrace) | "
        + " | ".join(f"{summary[b]['retrace_extra_median'] * 1e3:+.0f} ms" for b in results)
        + " |",
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


def installed_backends() -> list[str]:
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6, help="Train clicks per setting (>= 3)")
    parser.add_argument(
        "--backends",
        default=",".join(installed_backends()),
        help="comma-separated backends to measure (default: every one installed here)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the lab's defaults and one other setting only"
    )
    parser.add_argument("--write", action="store_true", help=f"put the section into {RESULTS.name}")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless the lab's default settings meet the bars on TensorFlow and JAX",
    )
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error(
            f"--repeats must be at least 3 (one click per weight setting), got {args.repeats}"
        )
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        parser.error(f"--backends must name some of {', '.join(BACKENDS)}, got {args.backends!r}")

    load_before = os.getloadavg()
    started = time.perf_counter()
    results = {}
    for backend in backends:
        print(f"== {backend}", file=sys.stderr, flush=True)
        results[backend] = run_backend(backend, args.repeats, args.quick)
    wall = time.perf_counter() - started
    summary = summarise(results)
    packages = ["keras", "matplotlib", "ipywidgets"] + [b for b in backends]
    machine = describe_machine(packages, load_before, os.getloadavg())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"machine": machine, "results": results, "summary": summary}, indent=1)
    )
    section = markdown(results, summary, machine, args.repeats, wall)
    print(section)
    if args.write:
        write_section(section)
        print(f"Section written to {RESULTS.relative_to(ROOT)}.")
    if not args.check:
        return 0
    verdicts = [
        s is not None and meets_bars(b, s)
        for b in backends
        for entry, s in zip(results[b]["settings"], summary[b]["settings"], strict=True)
        if entry["setting"] is None and b in RETRAIN_BAR
    ]
    return 0 if verdicts and all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
