"""A lab run as one cell of plain Keras: what the cell says, and that it repeats the run.

The cell is written without Keras (fast tests on fake runs); two tests then train a real
lab, run its cell in a new Python process and compare the held-out metrics: a Retrain
run on loss weights nobody tuned, and a Live run whose weights changed mid-run (both
cells in one process, one after the other, each in a namespace of its own).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers.lab._config import make_config
from helpers.lab._provenance import data_lines, lab_to_code, optimizer_call
from helpers.lab._records import Run
from helpers.lab._replay_cell import DEFAULT_DATA_LINES, run_to_code

ROOT = Path(__file__).resolve().parents[1]
HEADS = ("age", "income", "gender")
LOSS = {"age": "mse", "income": "sparse_categorical_crossentropy", "gender": "binary_crossentropy"}
METRICS = {"age": ["mae"], "income": ["accuracy"], "gender": ["accuracy"]}
UNTUNED = {"age": 0.37, "income": 2.9, "gender": 0.61}
CELL_TIMEOUT_S = 600


def code_for(run, **kwargs):
    return run_to_code(run, heads=HEADS, loss=LOSS, metrics=METRICS, **kwargs)


def said(code: str) -> str:
    """The cell's comments as one line of text (however they are wrapped)."""
    lines = [line.split("#", 1)[1].strip() for line in code.splitlines() if "#" in line]
    return " ".join(lines)


def done(**kwargs):
    """A finished run; ``method=`` (a later field of Run) gives a plain record with it."""
    values = dict(number=2, mode="retrain", weights=dict(UNTUNED), epochs=10, epochs_run=10)
    values.update({"status": "done", **kwargs})
    method = values.pop("method", None)
    run = Run(**values)
    return run if method is None else SimpleNamespace(**{**vars(run), "method": method})


# ---------------------------------------------------------------------- the cell, as text
def test_a_retrain_cell_seeds_builds_compiles_with_the_run_weights_and_fits_in_order():
    code = code_for(done())
    compile(code, "cell", "exec")
    order = [
        "from helpers.data import make_posts",
        *DEFAULT_DATA_LINES,
        "keras.utils.set_random_seed(0)",
        "model = compact_posts_model()",
        "model.compile(",
        "optimizer=keras.optimizers.Adam(learning_rate=0.02)",
        'loss_weights={"age": 0.37, "income": 2.9, "gender": 0.61}',
        "model.fit(",
        "epochs=10",
        "shuffle=False",
        "scores = model.evaluate(",
        "return_dict=True",
    ]
    positions = [code.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Callback" not in code and "keras.Variable" not in code


def test_a_live_run_gets_variables_in_the_model_state_and_a_callback_replaying_its_changes():
    change = (7, {"age": 0.001, "income": 10.0, "gender": 0.1})
    run = done(mode="live", weights={"age": 0.001, "income": 0.1, "gender": 10.0}, epochs=20,
               epochs_run=20, weight_changes=[change])  # fmt: skip
    code = code_for(run)
    compile(code, "cell", "exec")
    assert 'setattr(model, f"loss_weight_{head}", variable)' in code
    assert "loss_weights=loss_weights" in code
    assert 'weight_changes = [(7, {"age": 0.001, "income": 10.0, "gender": 0.1})]' in code
    assert "callbacks=[ReplayWeightChanges()]" in code
    namespace = {}
    exec(code[code.index("weight_changes =") :].split("\n\n\n")[0], namespace)
    assert namespace["weight_changes"] == [change]


def test_the_cell_is_formatted_as_ruff_formats_and_passes_the_projects_lint(tmp_path):
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed next to this Python")
    live = done(mode="live", weight_changes=[(3, {"age": 1.0, "income": 1.0, "gender": 1.0})])
    for i, code in enumerate([code_for(done()), code_for(live)]):
        path = tmp_path / f"cell{i}.py"
        path.write_text(code, encoding="utf-8")
        checked = subprocess.run(
            [str(ruff), "format", "--check", "--line-length", "100", str(path)],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        linted = subprocess.run(
            [str(ruff), "check", "--select", "E,F,W,B,UP", "--line-length", "100", str(path)],
            capture_output=True,
            text=True,
        )
        assert linted.returncode == 0, linted.stdout


def test_a_stopped_run_says_its_last_epoch_was_cut_short_and_trains_the_epochs_it_ran():
    code = code_for(done(status="stopped", epochs_run=4))
    assert "Stop ended this run during epoch 4 of 10" in said(code)
    assert "epochs=4," in code


def test_a_diverged_run_is_repeated_with_a_warning_to_expect_nan():
    assert "expect NaN" in said(code_for(done(status="diverged", epochs_run=3)))


def test_runs_the_cell_cannot_repeat_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="still training.*lab.wait"):
        code_for(done(status="running"))
    with pytest.raises(ValueError, match="completed no epoch"):
        code_for(done(epochs_run=0))
    with pytest.raises(ValueError, match="every\\s+training step"):
        code_for(done(method="uncertainty"))


def test_a_method_that_chose_weights_between_epochs_is_replayed_and_says_so():
    run = done(method="dwa", weight_changes=[(3, {"age": 0.9, "income": 1.2, "gender": 0.9})])
    code = code_for(run)
    assert "weights chosen by dwa" in said(code) and "does not compute them again" in said(code)
    assert "ReplayWeightChanges" in code


def test_arguments_that_cannot_become_code_are_refused_naming_them():
    with pytest.raises(ValueError, match="loss must name the heads.*missing \\['gender'\\]"):
        run_to_code(done(), heads=HEADS, loss={"age": "mse", "income": "mse"})
    with pytest.raises(ValueError, match="only names"):
        run_to_code(done(), heads=HEADS, loss={**LOSS, "age": len})
    with pytest.raises(ValueError, match="data_lines"):
        code_for(done(), data_lines="posts = make_posts(10)")
    with pytest.raises(ValueError, match="seed"):
        code_for(done(), seed=-1)


def test_no_seed_leaves_the_random_state_alone():
    assert "set_random_seed" not in code_for(done(), seed=None)


# ---------------------------------------------------------------------- from a lab's values
def test_the_optimizer_is_written_with_only_its_non_default_settings():
    keras = pytest.importorskip("keras")
    assert optimizer_call(keras.optimizers.Adam(0.02)) == (
        "keras.optimizers.Adam(learning_rate=0.02)"
    )
    assert optimizer_call(keras.optimizers.SGD(0.1, momentum=0.9)) == (
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)"
    )
    assert optimizer_call(keras.optimizers.RMSprop()) == "keras.optimizers.RMSprop()"


def test_an_optimizer_class_of_ones_own_is_refused_with_the_fix():
    keras = pytest.importorskip("keras")

    class MyAdam(keras.optimizers.Adam):
        pass

    with pytest.raises(ValueError, match=r"MyAdam, not one of keras.optimizers; give optimizer="):
        optimizer_call(MyAdam(0.02))


class Made:
    """Posts-like data that records the call that made it, as helpers.data's do."""

    def __init__(self, made_by, n=10):
        self.made_by, self.n = made_by, n
        self.posts = [[0]] * n
        self.targets = {h: [0.0] * n for h in HEADS}

    def split(self, fraction):
        cut = self.n - round(self.n * fraction)
        halves = [f"{self.made_by}.split({fraction!r})[{i}]" for i in (0, 1)]
        if self.made_by is None:
            halves = [None, None]
        return Made(halves[0], cut), Made(halves[1], self.n - cut)


def lab_config(data, test_fraction=0.2):
    keras = pytest.importorskip("keras")
    inputs = keras.Input((1,))
    outputs = [keras.layers.Dense(1, name=h)(inputs) for h in HEADS]
    model = keras.Model(inputs, outputs)
    return make_config(
        model, data, loss=LOSS, metrics=METRICS, optimizer=None, batch_size=64,
        steps_per_execution=1, jit_compile="auto", test_fraction=test_fraction,
    )  # fmt: skip


def test_the_data_is_written_as_the_call_it_recorded_itself():
    config = lab_config(Made("make_posts(600, seed=3)"), 0.25)
    assert config.made_by == "make_posts(600, seed=3)"
    assert data_lines(config.made_by, 0.25) == (
        "posts = make_posts(600, seed=3)",
        "train, test = posts.split(0.25)",
    )
    train, test = Made("make_posts(600)").split(0.2)
    config = lab_config((train, test))
    assert data_lines(config.made_by) == (
        "train = make_posts(600).split(0.2)[0]",
        "test = make_posts(600).split(0.2)[1]",
    )


def test_data_that_recorded_no_call_is_refused_with_what_to_do():
    lab = SimpleNamespace(
        config=lab_config(Made(None)), runs=[done()], built_by=None, seed=0, model=None
    )
    with pytest.raises(ValueError, match=r"cannot be replayed.*data_call='make_posts\(...\)'"):
        lab_to_code(lab)
    assert data_lines(None) is None and data_lines(("make_posts(9)", None)) is None


# ---------------------------------------------------------------------- the cell, run
def run_cells(codes: list[str]) -> list[dict]:
    """Run each cell of ``codes`` in a new Python process (the kit's root as working
    folder), one after another, each in a namespace of its own; each cell's ``scores``.

    One process for all: one TensorFlow start-up (about 5 s of CPU) instead of one per
    cell. Every cell seeds Keras itself and imports what it uses, so a cell that leans on
    anything an earlier one left behind fails as it would in a fresh kernel.
    """
    script = (
        "import json, sys\n"
        "for code in json.loads(sys.stdin.read()):\n"
        "    namespace = {'__name__': '__main__'}\n"
        "    exec(compile(code, 'cell', 'exec'), namespace)\n"
        "    scores = {k: float(v) for k, v in namespace['scores'].items()}\n"
        "    print('SCORES', json.dumps(scores), flush=True)\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    done_ = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(codes),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CELL_TIMEOUT_S,
    )
    lines = [line for line in done_.stdout.splitlines() if line.startswith("SCORES ")]
    assert done_.returncode == 0 and len(lines) == len(codes), (
        f"cell {len(lines) + 1} of {len(codes)} failed:\n{done_.stderr[-3000:]}"
    )
    return [json.loads(line[len("SCORES ") :]) for line in lines]


def assert_same_to_3_decimals(cell: dict, lab: dict) -> None:
    assert sorted(cell) == sorted(lab)
    off = {k: (cell[k], lab[k]) for k in lab if abs(cell[k] - lab[k]) >= 5e-4}
    assert not off, f"the cell's held-out metrics differ from the lab run's: {off}"


@pytest.fixture(scope="module")
def lab():
    from helpers.lab import LossWeightLab

    lab = LossWeightLab(seed=0)
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def replayed(lab):
    """A Retrain run on loss weights nobody tuned and a Live run whose weights changed
    mid-run, each with its cell and what the cell gave in a new process."""
    retrain = lab.train(weights=UNTUNED, block=True, draw=False)
    retrain_code = lab_to_code(lab)
    lab.train(weights={"age": 0.001, "income": 0.1, "gender": 10}, mode="live", epochs=8,
              draw=False)  # fmt: skip
    lab.wait(timeout=300, epoch=3)
    lab.set_weights({"income": 10, "gender": 0.1})
    live = lab.wait(timeout=300)
    assert live.status == "done" and live.weight_changes, live.message
    live_code = lab_to_code(lab, live.number)
    retrain_cell, live_cell = run_cells([retrain_code, live_code])
    return {
        "retrain": (retrain, retrain_code, retrain_cell),
        "live": (live.metrics, live_code, live_cell),
    }


def test_the_cell_of_a_retrain_run_gives_its_held_out_metrics_in_a_fresh_process(replayed):
    metrics, code, cell = replayed["retrain"]
    assert 'loss_weights={"age": 0.37, "income": 2.9, "gender": 0.61}' in code
    assert_same_to_3_decimals(cell, metrics)


def test_the_cell_of_a_live_run_repeats_its_weight_change_and_its_metrics(replayed):
    metrics, code, cell = replayed["live"]
    assert "ReplayWeightChanges" in code
    assert_same_to_3_decimals(cell, metrics)


def test_a_method_run_shows_and_replays_only_the_weights_its_epochs_trained_with(lab):
    lab.train(method="dwa", epochs=4, block=True)  # drawn: the curves name their run
    run = lab.runs[-1]
    assert [epoch for epoch, _ in run.weight_changes] == [3, 4]  # none for an epoch 5
    assert run.final_weights == run.weight_history[-1] == lab.weights
    assert lab.trainer.weights_in_use() == pytest.approx(run.final_weights)
    assert f"run {run.number} (retrain · dwa): done" in lab.status
    caption = f"run {run.number} (retrain · dwa) · curves: training data"
    assert any(t.get_text().startswith(caption) for t in lab.curves.figure.texts)
    assert "(5, {" not in lab_to_code(lab, run.number)


def test_an_uncertainty_runs_last_weights_are_its_learned_ones_and_the_panels_last_point(lab):
    lab.train(method="uncertainty", epochs=2, block=True)
    run = lab.runs[-1]
    assert [epoch for epoch, _ in run.weight_changes] == [1, 2]  # read at each epoch's end
    for head in HEADS:
        learned = 1 / run.history[f"learned variance/{head}"][-1]
        assert run.final_weights[head] == pytest.approx(min(100.0, max(0.001, learned)))
        assert lab.curves.history[f"loss weight/{head}"][-1] == run.final_weights[head]
    assert lab.weights == run.final_weights
