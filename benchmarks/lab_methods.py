"""What each loss-weighting method costs against a manual retrain, side by side in one run.

For each Keras backend asked for (TensorFlow by default; JAX with ``--backends
tensorflow,jax``) a fresh Python process (``KERAS_BACKEND=<name>``) builds the default lab
(lesson 03's compact posts model on ``make_posts(3000, standardize_age=True)``, 2,400
training posts, 10 epochs, batch 64, the gradient view off) and then, in every repeat,
trains once with each method: a manual retrain at 1 / 1 / 1 and
``lab.train(method=NAME, block=True)`` for uncertainty weighting, DWA and GradNorm. The
order of the four rotates from one repeat to the next, so all four see the same machine
load. Each run draws its curves as a learner's Train click does (``--no-draw`` to
leave them out).

It reports, per method: the median wall time of a run (``train`` to held-out metrics),
the ratio of medians to the manual retrain, the paired ratio (median over repeats of the
method's time over the manual run of the same repeat), the same paired ratio in process
CPU time (which moves less when other processes compete for the cores), how many times
the method changed its weights, and whether Keras traced the training step again
(``model.train_function`` is the same object before and after, on every backend).

Bars (issue 15): a method run costs at most 2 x a manual retrain, GradNorm at most 3 x;
every method changes the weights it uses at least once, with no recompile.

Only the lab's public API is used. Prints Markdown for benchmarks/RESULTS.md; raw
timings go to benchmarks/out/lab_methods.json.

Usage: python benchmarks/lab_methods.py [--repeats 5] [--backends tensorflow,jax]
       [--no-draw] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "lab_methods.json"
sys.path.insert(0, str(ROOT))
from helpers.lab import METHODS as REGISTRY  # noqa: E402  (NumPy only: no Keras yet)

METHODS = tuple(REGISTRY)  # every method in the lab's registry, the learner's first
BARS = {"uncertainty": 2.0, "dwa": 2.0, "gradnorm": 3.0}
EVEN = {"age": 1.0, "income": 1.0, "gender": 1.0}


def load() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def measure(repeats: int, draw: bool) -> dict:
    """In this process: build the default lab and time every method ``repeats`` times."""
    sys.path.insert(0, str(ROOT))
    from helpers.env import quiet_keras_import

    keras = quiet_keras_import()
    from helpers.lab import LossWeightLab

    before = load()
    start = time.perf_counter()
    lab = LossWeightLab(seed=0)
    build = time.perf_counter() - start
    step = lab.model.train_function  # traced while the lab was built
    wall = {m: [] for m in METHODS}
    cpu = {m: [] for m in METHODS}
    changes = {m: [] for m in METHODS}
    for repeat in range(repeats):
        shift = repeat % len(METHODS)
        for method in METHODS[shift:] + METHODS[:shift]:
            chooses = REGISTRY[method].chooses_weights
            kwargs = {"method": method} if chooses else {"weights": EVEN}
            w0, c0 = time.perf_counter(), time.process_time()
            lab.train(block=True, draw=draw, **kwargs)
            wall[method].append(time.perf_counter() - w0)
            cpu[method].append(time.process_time() - c0)
            run = lab.runs[-1]
            history = run.weight_history
            changes[method].append(sum(a != b for a, b in zip(history, history[1:], strict=False)))
    retraced = lab.model.train_function is not step
    lab.close()
    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "build_seconds": build,
        "wall": wall,
        "cpu": cpu,
        "weight_changes": changes,
        "retraced": retraced,
        "load_before": before,
        "load_after": load(),
        "draw": draw,
        "repeats": repeats,
    }


def summarise(result: dict) -> list[dict]:
    wall, cpu = result["wall"], result["cpu"]
    rows = []
    for method in METHODS:
        paired = [m / b for m, b in zip(wall[method], wall[METHODS[0]], strict=True)]
        paired_cpu = [m / b for m, b in zip(cpu[method], cpu[METHODS[0]], strict=True)]
        rows.append(
            {
                "method": method,
                "median_s": statistics.median(wall[method]),
                "range_s": (min(wall[method]), max(wall[method])),
                "ratio": statistics.median(wall[method]) / statistics.median(wall[METHODS[0]]),
                "paired": statistics.median(paired),
                "paired_cpu": statistics.median(paired_cpu),
                "changes": min(result["weight_changes"][method]),
                "bar": BARS.get(method),
            }
        )
    return rows


def markdown(result: dict, rows: list[dict]) -> str:
    lines = [
        f"Backend {result['backend']} (Keras {result['keras']}), {result['repeats']} repeats, "
        f"curves {'drawn' if result['draw'] else 'not drawn'}; lab built in "
        f"{result['build_seconds']:.1f} s. Load average (1/5/15 min) before "
        f"{result['load_before']}, after {result['load_after']}. Training step traced again "
        f"during the runs: {'yes' if result['retraced'] else 'no'}.",
        "",
        "| method | median run (s) | range (s) | ratio to manual | paired ratio | "
        "paired CPU-time ratio | weight changes per run (fewest) | bar |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["bar"] is None:
            bar = "reference"
        else:
            met = r["ratio"] <= r["bar"] and r["paired"] <= r["bar"]
            bar = f"<= {r['bar']:g} x: {'met' if met else 'MISSED'}"
        lines.append(
            f"| {r['method']} | {r['median_s']:.2f} | {r['range_s'][0]:.2f}-{r['range_s'][1]:.2f} "
            f"| **{r['ratio']:.2f}** | {r['paired']:.2f} | {r['paired_cpu']:.2f} "
            f"| {r['changes']} | {bar} |"
        )
    return "\n".join(lines)


def passed(result: dict, rows: list[dict]) -> bool:
    ok = not result["retraced"]
    for r in rows:
        if r["bar"] is not None:
            ok &= r["ratio"] <= r["bar"] and r["paired"] <= r["bar"] and r["changes"] >= 1
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="tensorflow")
    parser.add_argument("--no-draw", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bar is missed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(measure(args.repeats, draw=not args.no_draw)))
        return 0
    results = []
    for backend in args.backends.split(","):
        command = [sys.executable, __file__, "--child", "--repeats", str(args.repeats)]
        if args.no_draw:
            command.append("--no-draw")
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        results.append(json.loads(done.stdout.split("RESULT ", 1)[1]))
    ok = True
    for result in results:
        rows = summarise(result)
        print(markdown(result, rows), end="\n\n")
        ok &= passed(result, rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1))
    print(f"bars {'met' if ok else 'MISSED'}; raw timings: {OUT.relative_to(ROOT)}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
