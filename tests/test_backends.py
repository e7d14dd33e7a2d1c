"""Loss weights on every installed Keras backend: read at every step, changed without a retrace.

Keras picks its backend once per process, so each backend's checks run in a child
process (``KERAS_BACKEND=<name> python tests/test_backends.py``) that trains a tiny
two-head model and prints what it measured as JSON; the tests below judge the numbers.
TensorFlow and JAX are pinned in requirements.txt and must be there; PyTorch is checked
when it is installed.

On TensorFlow any variable the traced step reads is read again at every step, and
PyTorch runs its steps eagerly. On JAX the traced step sees only the state its trainer
passes in, so a loss weight outside the model's tracked state keeps the value it had
when the step was traced: with loss weights that are plain ``keras.Variable`` objects
given to ``compile(loss_weights=...)``, the checks of the totals, the zero weight, the
retrains and the ``on_epoch_begin`` change all fail on JAX (and pass on TensorFlow).

The JAX child also maps a small plane of loss weights and retrains three of its settings
(``agreement`` in tests/test_lab_map.py, which owns that check and its bars): one JAX
process for both, so JAX and Keras are imported and set up once.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
REQUIRED = ("tensorflow", "jax")  # pinned in requirements.txt
# Settings each backend is checked with: the defaults, and the fast ones the lab may use.
SETTINGS = {
    "tensorflow": ("default", "fast"),
    "jax": ("default", "fast"),
    "torch": ("default",),  # torch's jit_compile means torch.compile: not used by the kit
}
FAST = {"jit_compile": True, "steps_per_execution": 4}
# The backend whose child also runs the map's agreement check (tests/test_lab_map.py).
MAP_BACKEND = "jax"
# Seconds per backend: the checks take about 10-25 s on an idle core, JAX's with the map
# about 30 s; the limit is for a hang, with room for a busy machine.
TIMEOUT = 600
REL = 1e-4


# ---------------------------------------------------------------------- the child process
def run_checks(setting: str) -> dict:  # pragma: no cover - runs in the child process
    """Train a tiny two-head model on the current backend and report what happened."""
    import numpy as np

    from helpers.env import quiet_keras_import, set_seed
    from helpers.lossweights import LossWeights

    keras = quiet_keras_import()
    compile_kwargs = FAST if setting == "fast" else {}
    traces = []

    def counting_mse(y_true, y_pred):
        traces.append(1)  # Python runs this only while tracing (every step on torch)
        return keras.losses.mean_squared_error(y_true, y_pred)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = {"a": x[:, :1] * 3.0, "b": -x[:, 1:2] * 2.0}

    set_seed(0)
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(
        inputs, [keras.layers.Dense(1, name="a")(hidden), keras.layers.Dense(1, name="b")(hidden)]
    )
    weights = LossWeights(["a", "b"], {"a": 1.0, "b": 1.0})
    weights.compile(
        model,
        optimizer=keras.optimizers.SGD(0.05),
        loss={"a": counting_mse, "b": "mse"},
        **compile_kwargs,
    )
    whole = dict(batch_size=256, verbose=0, shuffle=False)  # one step per epoch
    model.fit(x, y, epochs=1, **whole)  # trace the training step with weights 1 / 1
    model.evaluate(x, y, verbose=0, **{k: whole[k] for k in ("batch_size",)})
    traced = len(traces)
    report = {"backend": keras.backend.backend(), "setting": setting}

    # 1. evaluate: a new weight changes the total loss by (new - old) x the head's loss.
    evaluations = []
    for a, b in [(1.0, 1.0), (1.0, 0.0), (0.0, 3.0), (2.5, 0.5)]:
        weights.assign({"a": a, "b": b})
        s = model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)
        evaluations.append(
            {"weights": [a, b], **{k: float(s[k]) for k in ("loss", "a_loss", "b_loss")}}
        )
    report["evaluate"] = evaluations

    # 2. fit: each step's total is the weighted sum with the weights assigned before it.
    steps = []
    for a, b in [(1.0, 1.0), (0.0, 1.0), (3.0, 0.0), (2.0, 2.0), (0.1, 0.1)]:
        weights.assign({"a": a, "b": b})
        h = model.fit(x, y, epochs=1, **whole).history
        steps.append({"weights": [a, b], **{k: h[k][0] for k in ("loss", "a_loss", "b_loss")}})
    report["steps"] = steps

    # 3. a zero weight reaches the gradient too: that head's layer stops moving (plain SGD).
    weights.assign({"a": 0.0, "b": 1.0})
    kernel_a = model.get_layer("a").kernel.numpy().copy()
    kernel_b = model.get_layer("b").kernel.numpy().copy()
    model.fit(x, y, epochs=2, **whole)
    report["zero_weight"] = {
        "a_kernel_change": float(np.abs(model.get_layer("a").kernel.numpy() - kernel_a).max()),
        "b_kernel_change": float(np.abs(model.get_layer("b").kernel.numpy() - kernel_b).max()),
    }
    # Ten assignments, four evaluations and seven training steps since the first trace.
    report["traces"] = {"after_first_fit_and_evaluate": traced, "after_all_changes": len(traces)}

    # 4. two retrains from the same start with different weights end differently.
    start = [v.numpy().copy() for v in model.trainable_variables]
    start_optimizer = [v.numpy().copy() for v in model.optimizer.variables]
    retrains = {}
    for label, setting_weights in [("favour_a", (1.0, 0.01)), ("favour_b", (0.01, 1.0))]:
        for variable, value in zip(model.trainable_variables, start, strict=True):
            variable.assign(value)
        for variable, value in zip(model.optimizer.variables, start_optimizer, strict=True):
            variable.assign(value)
        weights.assign(dict(zip(("a", "b"), setting_weights, strict=True)))
        model.fit(x, y, epochs=8, batch_size=32, verbose=0, shuffle=False)
        s = model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)
        retrains[label] = {k: float(s[k]) for k in ("a_loss", "b_loss")}
    report["retrains"] = retrains

    # 5. live: a callback's on_epoch_begin assignment changes that epoch's weighted loss.
    plan = {0: (1.0, 1.0), 2: (0.0, 5.0), 3: (4.0, 0.5)}

    class ChangeAtEpochBegin(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch in plan:
                weights.assign(dict(zip(("a", "b"), plan[epoch], strict=True)))

    h = model.fit(
        x, y, epochs=5, batch_size=64, verbose=0, shuffle=False, callbacks=[ChangeAtEpochBegin()]
    ).history
    report["live"] = {k: h[k] for k in ("loss", "a_loss", "b_loss")}
    report["live_plan"] = {str(k): v for k, v in plan.items()}
    report["values_after"] = weights.values()
    report["variables_after"] = {k: float(v.numpy()) for k, v in weights.variables.items()}
    return report


def child_main(argv: list[str]) -> int:  # pragma: no cover - runs in the child process
    sys.path.insert(0, str(ROOT))
    reports = {setting: run_checks(setting) for setting in argv if setting != "map"}
    if "map" in argv:
        from tests.test_lab_map import JAX_SEEDS, agreement

        reports["map"] = agreement(*JAX_SEEDS, epochs=5)
    print("REPORT " + json.dumps(reports))
    print("still here", file=sys.stderr)  # standard error works after the quiet import
    return 0


# ---------------------------------------------------------------------- the tests
def installed(backend: str) -> bool:
    return importlib.util.find_spec(PACKAGES[backend]) is not None


def report(backend: str, setting: str) -> dict:
    return reports(backend)[setting]


@cache
def reports(backend: str) -> dict:
    """Run every setting's checks for ``backend`` in one child process."""
    if not installed(backend):
        if backend in REQUIRED:
            pytest.fail(
                f"{PACKAGES[backend]} is pinned in requirements.txt but not installed; "
                "run `make setup`"
            )
        pytest.skip(f"{PACKAGES[backend]} is not installed (optional backend)")
    # No TF_CPP_MIN_LOG_LEVEL: quiet_keras_import alone must keep TensorFlow's start-up
    # lines off standard error, as in a learner's set-up cell.
    env = {**os.environ, "KERAS_BACKEND": backend}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    jobs = [*SETTINGS[backend], *(["map"] if backend == MAP_BACKEND else [])]
    result = subprocess.run(
        [sys.executable, str(Path(__file__)), *jobs],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert result.returncode == 0 and lines, (
        f"the {backend} checks failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
    )
    found = json.loads(lines[-1].removeprefix("REPORT "))
    found["stderr"] = result.stderr
    return found


CASES = [
    pytest.param(backend, setting, id=f"{backend}-{setting}")
    for backend, settings in SETTINGS.items()
    for setting in settings
]


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_the_child_runs_on_the_backend_it_was_given(backend, setting):
    assert report(backend, setting)["backend"] == backend


@pytest.mark.parametrize("backend", sorted(SETTINGS))
def test_the_quiet_import_leaves_nothing_on_stderr_and_stderr_works_after(backend):
    # Keras imports TensorFlow on every backend when it is installed (to seed it); its
    # start-up lines (oneDNN, absl) must not reach a learner's set-up cell.
    assert reports(backend)["stderr"] == "still here\n", reports(backend)["stderr"]


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_a_new_weight_changes_the_evaluated_total_by_the_expected_amount(backend, setting):
    evaluations = report(backend, setting)["evaluate"]
    first = evaluations[0]
    for e in evaluations:
        (a, b), la, lb = e["weights"], e["a_loss"], e["b_loss"]
        assert la == pytest.approx(first["a_loss"], rel=REL)  # the model did not change
        assert e["loss"] == pytest.approx(a * la + b * lb, rel=REL), e
        change = (a - 1.0) * la + (b - 1.0) * lb  # against the weights 1 / 1 it was traced with
        assert e["loss"] - first["loss"] == pytest.approx(change, rel=1e-3, abs=1e-4), e


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_each_training_step_uses_the_weights_assigned_before_it(backend, setting):
    for step in report(backend, setting)["steps"]:
        (a, b), la, lb = step["weights"], step["a_loss"], step["b_loss"]
        assert step["loss"] == pytest.approx(a * la + b * lb, rel=REL), step
        # Against the weights 1 / 1 the step was traced with: a real difference.
        if (a, b) != (1.0, 1.0):
            assert abs(step["loss"] - (la + lb)) > 0.05 * (la + lb), step


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_a_zero_weight_stops_that_heads_layer_learning(backend, setting):
    change = report(backend, setting)["zero_weight"]
    assert change["a_kernel_change"] == 0.0, change
    assert change["b_kernel_change"] > 1e-4, change


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_two_retrains_with_different_weights_end_with_different_metrics(backend, setting):
    retrains = report(backend, setting)["retrains"]
    favour_a, favour_b = retrains["favour_a"], retrains["favour_b"]
    # Each run learns its favoured head better than the other run does, by a wide margin.
    assert favour_a["a_loss"] < 0.5 * favour_b["a_loss"], retrains
    assert favour_b["b_loss"] < 0.5 * favour_a["b_loss"], retrains


@pytest.mark.parametrize(("backend", "setting"), CASES)
def test_an_assignment_in_on_epoch_begin_changes_that_epochs_weighted_loss(backend, setting):
    r = report(backend, setting)
    live, plan = r["live"], {int(k): v for k, v in r["live_plan"].items()}
    in_force = None
    for epoch, total in enumerate(live["loss"]):
        in_force = plan.get(epoch, in_force)
        a, b = in_force
        expected = a * live["a_loss"][epoch] + b * live["b_loss"][epoch]
        assert total == pytest.approx(expected, rel=REL), (epoch, in_force, live)
    assert r["values_after"] == {"a": 4.0, "b": 0.5}
    assert r["variables_after"] == {"a": 4.0, "b": 0.5}


@pytest.mark.parametrize(("backend", "setting"), [c for c in CASES if c.values[0] != "torch"])
def test_changing_weights_traces_nothing_again(backend, setting):
    # The loss function's Python body runs only while a step is traced (torch, which
    # runs eagerly, calls it at every step and is left out).
    traces = report(backend, setting)["traces"]
    assert traces["after_first_fit_and_evaluate"] >= 1, traces
    assert traces["after_all_changes"] == traces["after_first_fit_and_evaluate"], traces


def test_mapped_runs_equal_separate_retrains_on_jax_too():
    # tests/test_lab_map.py's check, on JAX: its map and retrains ran in the JAX child.
    from tests.test_lab_map import check_agreement

    check_agreement(reports(MAP_BACKEND)["map"])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(child_main(sys.argv[1:]))
