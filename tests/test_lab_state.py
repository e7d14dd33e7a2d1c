"""The lab's state and run worker against a fake trainer: no TensorFlow, milliseconds.

The fake trains one "epoch" each time the test lets it (a semaphore), so every
interleaving of slider moves, Stop, Reset and new labs is exact, with no sleeps and no
wall-clock bounds.
"""

import subprocess
import sys
import threading

import pytest

from helpers.lab._records import Run, RunRequest
from helpers.lab._state import LabState
from helpers.lab._sweep import run_sweep
from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN

HEADS = ("age", "income", "gender")
METRICS = {"age": "age_mae", "income": "income_accuracy", "gender": "gender_accuracy"}


class FakeTrainer:
    """Trains when told to: ``step()`` lets one epoch finish. The loss is the weights' sum."""

    initial_losses = {"age": 4.0, "income": 2.0, "gender": 0.5}

    def __init__(self, free=False):
        self.free = free
        self.gate = threading.Semaphore(0)
        self.weights = dict.fromkeys(HEADS, 1.0)
        self.restored = 0
        self.run_started = threading.Event()

    def step(self, epochs=1):
        for _ in range(epochs):
            self.gate.release()

    def check_method(self, method):
        pass

    def weights_in_use(self):
        return dict(self.weights)

    def restore(self, weights):
        self.restored += 1
        self.weights = dict(weights)

    def run(self, request: RunRequest, run: Run, hooks) -> None:
        self.weights = dict(request.weights)
        run.final_weights = dict(request.weights)
        self.run_started.set()
        for epoch in range(request.epochs):
            if not self.free:
                assert self.gate.acquire(timeout=10), "the test never let the epoch run"
            pending = hooks.take_pending() if request.live else None
            if pending is not None and pending != run.final_weights:
                self.weights = dict(pending)
                run.final_weights = dict(pending)
                run.weight_changes.append((epoch + 1, dict(pending)))
            hooks.epoch_begun(run, epoch + 1)
            run.record_epoch({"loss": sum(self.weights.values())}, 0.0)
            hooks.epoch_ended(run)
            if request.stop.is_set():
                break
        run.metrics = {v: 0.5 for v in METRICS.values()}
        run.finish(stopped=request.stop.is_set())


class Recorder:
    """Keeps every change of the state's traits, as a view observing them would see it."""

    def __init__(self, state):
        self.events = []
        state.observe(lambda change: self.events.append((change["name"], change["new"])))

    def last(self, name):
        return [e for e in self.events if e[0] == name][-1]


def make_state(free=False, **options):
    trainer = FakeTrainer(free=free)
    state = LabState(trainer, HEADS, weights=dict.fromkeys(HEADS, 1.0), **options)
    return state, trainer, Recorder(state)


def test_a_live_change_applies_from_the_next_epoch():
    state, trainer, _ = make_state()
    state.train(mode="live", epochs=5)
    trainer.step()
    run = state.wait(timeout=5, epoch=1)
    state.slider_moved("gender", 20.0)
    trainer.step(4)
    state.wait(timeout=5)
    assert run.weight_changes == [(2, {"age": 1.0, "income": 1.0, "gender": 20.0})]
    assert [w["gender"] for w in run.weight_history] == [1.0, 20.0, 20.0, 20.0, 20.0]
    assert run.history["loss"] == [3.0, 22.0, 22.0, 22.0, 22.0]


def test_in_retrain_mode_a_slider_change_waits_for_the_next_run():
    state, trainer, _ = make_state(free=True)
    state.train(epochs=3)
    state.slider_moved("income", 5.0)
    run = state.wait(timeout=5)
    assert run.weight_changes == []
    assert state.weights["income"] == 5.0
    state.train(block=True, epochs=1)
    assert state.runs[-1].weights["income"] == 5.0


def test_code_calls_use_the_labs_defaults_not_the_buttons():
    state, _, _ = make_state(free=True, epochs=4, live_epochs=50)
    state.set_button_mode("live")
    state.set_button_epochs(7)
    run = state.train(block=True)
    assert (run.mode, run.epochs) == ("retrain", 4)
    run = state.train(block=True, mode="live", epochs=2)
    assert (run.mode, run.epochs) == ("live", 2)


def test_the_train_button_uses_the_widgets_settings():
    state, _, recorder = make_state(free=True)
    state.set_button_mode("live")
    state.set_button_epochs(3)
    state.press_train()
    run = state.wait(timeout=5)
    assert (run.mode, run.epochs) == ("live", 3)
    running = [e[1] for e in recorder.events if e[0] == "current_run"]
    assert running[0] is run and running[-1] is None


def test_a_press_during_a_run_says_so_and_starts_nothing():
    state, trainer, _ = make_state()
    state.train(epochs=2)
    state.press_train()
    assert "already in progress" in state.message
    trainer.step(2)
    state.wait(timeout=5)
    assert len(state.runs) == 1


def test_stop_ends_a_run_within_one_epoch():
    state, trainer, _ = make_state()
    state.train(epochs=100)
    trainer.step(2)
    state.wait(timeout=5, epoch=2)
    state.stop()
    trainer.step()
    run = state.wait(timeout=5)
    assert run.status == "stopped" and run.epochs_run == 3
    assert "stopped after epoch 3 of 100" in state.message


def test_reset_during_a_run_stops_it_then_resets():
    state, trainer, recorder = make_state()
    state.set_weights({"gender": 3.0})
    state.train(epochs=100)
    trainer.step()
    state.wait(timeout=5, epoch=1)
    restored = trainer.restored
    state.reset()
    trainer.step()
    run = state.wait(timeout=5)
    assert run.status == "stopped"
    assert trainer.restored == restored + 1
    assert state.weights == dict.fromkeys(HEADS, 1.0)
    assert recorder.last("weights")[1] == dict.fromkeys(HEADS, 1.0)
    assert recorder.last("resets")[1] == 1  # the view hides its curves
    assert state.message.startswith("Reset:")


def test_stop_ends_a_sweep_run_one_after_another_and_the_sliders_stay():
    state, trainer, _ = make_state()
    state.set_weights({"gender": 2.0})
    result = {}

    def sweep():
        result["r"] = run_sweep(
            state, None, "gender", [0.1, 1, 10], weights=None, epochs=5, head_metrics=METRICS
        )

    thread = threading.Thread(target=sweep)
    thread.start()
    assert trainer.run_started.wait(5)
    trainer.run_started.clear()
    trainer.step(5)  # the whole first run
    assert trainer.run_started.wait(5)  # the second run has begun
    state.stop()
    trainer.step()  # its first epoch ends, and with it the sweep
    thread.join(5)
    assert result["r"].values == [0.1]
    assert "stopped; 1 of 3 runs finished" in state.message
    assert state.weights["gender"] == 2.0
    assert [run.mode for run in state.runs] == ["sweep"]


def test_a_sweep_checks_every_value_before_training():
    state, _, _ = make_state(free=True)
    with pytest.raises(ValueError, match="loss weight for 'gender'"):
        run_sweep(state, None, "gender", [1.0, -1.0], weights=None, epochs=1, head_metrics=METRICS)
    with pytest.raises(ValueError, match="head must be one of"):
        run_sweep(state, None, "height", [1.0], weights=None, epochs=1, head_metrics=METRICS)
    assert state.runs == []


def test_a_new_lab_stops_the_old_ones_training():
    first, trainer, _ = make_state()
    first.train(epochs=100)
    trainer.step()
    first.wait(timeout=5, epoch=1)

    def release_soon():
        trainer.step(3)

    threading.Timer(0.05, release_soon).start()
    make_state(free=True)
    assert not first.running
    assert first.runs[-1].status == "stopped"


def test_wait_for_an_epoch_returns_the_run_in_progress():
    state, trainer, _ = make_state()
    state.train(epochs=10)
    trainer.step(3)
    run = state.wait(timeout=5, epoch=3)
    assert run.epochs_run >= 3 and state.running
    with pytest.raises(TimeoutError):
        state.wait(timeout=0.01)
    state.stop()
    trainer.step()
    state.wait(timeout=5)


@pytest.mark.parametrize("weights", [{"gender": 1000.0}, {"age": 0.0}, {"income": 0.0001}])
def test_weights_beyond_the_sliders_are_refused_with_the_range(weights):
    state, _, _ = make_state(free=True)
    with pytest.raises(ValueError, match=r"outside the lab's sliders \(0.001 to 100\)"):
        state.set_weights(weights)
    with pytest.raises(ValueError, match="outside the lab's sliders"):
        state.train(weights=weights, block=True)
    assert state.weights == dict.fromkeys(HEADS, 1.0)
    assert (WEIGHT_MIN, WEIGHT_MAX) == (0.001, 100.0)


def test_a_closed_or_retired_lab_refuses_work_and_says_why():
    state, _, recorder = make_state(free=True)
    state.retire("This lab was replaced.")
    assert recorder.last("retired") == ("retired", "This lab was replaced.")
    with pytest.raises(RuntimeError, match="This lab was replaced"):
        state.train(block=True)
    state.press_train()
    assert state.message == "This lab was replaced."
    assert state.runs == []


def test_the_message_is_replaced_when_a_run_starts():
    state, _, recorder = make_state(free=True)
    state.reset()
    assert state.message.startswith("Reset:")
    state.train(mode="live", epochs=1, block=True)
    messages = [e[1] for e in recorder.events if e[0] == "message"]
    assert messages[-2].startswith("Run 1 (live) is training 1 epochs. Move a slider")
    assert messages[-1] == "Run 1 done: 1 epochs."


def test_a_method_starts_every_head_at_one_and_the_sliders_keep_its_last_weights():
    state, trainer, recorder = make_state(free=True)
    state.set_weights({"gender": 5.0})

    def method_run(request, run, hooks):
        run.final_weights = dict(request.weights)
        hooks.epoch_begun(run, 1)
        run.record_epoch({"loss": 3.0}, 0.0)
        run.final_weights = {"age": 0.5, "income": 2.0, "gender": 1.5}
        run.weight_changes.append((2, dict(run.final_weights)))
        hooks.epoch_begun(run, 2)
        run.record_epoch({"loss": 2.0}, 0.0)
        run.finish(stopped=False)

    trainer.run = method_run
    run = state.train(method="dwa", epochs=2, block=True)
    assert run.weights == dict.fromkeys(HEADS, 1.0) and run.method == "dwa"
    shown = [e[1] for e in recorder.events if e[0] == "weights"]
    assert {"age": 0.5, "income": 2.0, "gender": 1.5} in shown  # the sliders followed
    assert state.weights == {"age": 0.5, "income": 2.0, "gender": 1.5}


def test_the_train_button_runs_the_chosen_method_in_retrain_mode():
    state, _, _ = make_state(free=True)
    state.set_button_mode("live")
    state.set_button_method("uncertainty")
    state.press_train()
    run = state.wait(timeout=5)
    assert (run.mode, run.method) == ("retrain", "uncertainty")


def test_the_state_and_pure_modules_load_neither_keras_nor_ipywidgets():
    code = (
        "import sys\n"
        "import helpers.lab._state, helpers.lab._records, helpers.lab._worker\n"
        "import helpers.lab._methods, helpers.lab._messages, helpers.lab._replay_cell\n"
        "import helpers.live._budget, helpers.live._panels, helpers.live._history\n"
        "bad = [m for m in ('keras', 'tensorflow', 'ipywidgets', 'jax') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def method_run_with(trainer, weights_by_epoch):
    """A fake method run: epoch e trains with ``weights_by_epoch[e - 1]``, as the trainer does."""

    def run(request, run, hooks):
        for epoch, weights in enumerate(weights_by_epoch, start=1):
            if weights != run.final_weights:
                run.final_weights = dict(weights)
                run.weight_changes.append((epoch, dict(weights)))
            trainer.weights = dict(weights)
            hooks.epoch_begun(run, epoch)
            run.record_epoch({"loss": sum(weights.values())}, 0.0)
        run.finish(stopped=False)

    return run


def test_after_a_method_run_status_and_sliders_show_its_last_epochs_weights_and_method():
    state, trainer, _ = make_state(free=True)
    last = {"age": 0.5, "income": 2.0, "gender": 1.5}
    trainer.run = method_run_with(trainer, [dict.fromkeys(HEADS, 1.0), last])
    run = state.train(method="dwa", epochs=2, block=True)
    assert run.weight_history[-1] == last == run.final_weights == state.weights
    assert state.status == (
        "loss weights in use: age=0.5, income=2, gender=1.5 · run 1 (retrain · dwa): done"
    )
    assert state.message == "Run 1 done: 2 epochs."


def test_a_method_run_says_which_method_trains_when_it_starts():
    state, _, recorder = make_state(free=True)
    state.train(method="gradnorm", epochs=1, block=True)
    messages = [e[1] for e in recorder.events if e[0] == "message"]
    assert "Run 1 (retrain · gradnorm) is training 1 epochs." in messages


def test_with_a_method_chosen_train_retrains_the_epochs_the_controls_show():
    state, _, _ = make_state(free=True, epochs=10, live_epochs=100)
    state.set_button_mode("live")
    state.set_button_method("dwa")
    assert state.message == (
        "DWA chooses the weights while it trains: Train retrains 10 epochs, starting every "
        "head at 1."
    )
    state.set_button_epochs(3)  # typed while the box shows Retrain's epochs
    assert state.button_epochs == {"retrain": 3, "live": 100}
    state.press_train()
    run = state.wait(timeout=5)
    assert (run.mode, run.epochs, run.method) == ("retrain", 3, "dwa")
    state.set_button_method("manual")
    assert state.button_mode == "live"  # the learner's choice comes back with the sliders
    assert "Train uses the mode and epochs shown" in state.message


@pytest.mark.parametrize(("typed", "lands"), [(1000.0, 100.0), (-1.0, 0.001), (0.0, 0.001)])
def test_a_slider_pushed_past_its_end_says_where_the_range_ends(typed, lands):
    state, _, _ = make_state(free=True)
    state.slider_moved("gender", typed)
    assert state.weights["gender"] == lands
    assert state.message.startswith(f"The gender weight is {lands:g}, the sliders' limit")
    assert "0.001 to 100" in state.message
    state.set_message("")
    state.slider_moved("gender", 5.0)
    assert state.message == ""  # inside the range: nothing to say


def test_a_stopped_run_says_its_last_epoch_was_cut_short():
    state, trainer, _ = make_state()
    state.train(epochs=10)
    trainer.step()
    state.wait(timeout=5, epoch=1)
    state.stop()
    trainer.step()
    state.wait(timeout=5)
    assert state.message == (
        "Run 1 stopped after epoch 2 of 10 (Stop ends the epoch in progress early)."
    )


def test_a_sweep_within_one_decade_labels_every_swept_weight():
    state, _, _ = make_state(free=True)
    values = [0.1, 0.2, 0.3, 0.5, 0.7, 1.0]
    result = run_sweep(state, None, "gender", values, weights=None, epochs=1, head_metrics=METRICS)
    for ax in result.figure.axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "0.1",
            "0.2",
            "0.3",
            "0.5",
            "0.7",
            "1",
        ]
