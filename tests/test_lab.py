"""The loss-weight lab: trade-off, retrain and live modes, Stop, divergence, re-runs, widgets."""

import math
import threading

import numpy as np
import pytest

from helpers.env import quiet_keras_import

keras = quiet_keras_import()

from helpers.data.posts import make_posts  # noqa: E402
from helpers.lab import LabDivergedError, LossWeightLab  # noqa: E402

HEADS = ("age", "income", "gender")
POSTS_LOSS = {
    "income": "sparse_categorical_crossentropy",
    "gender": "binary_crossentropy",
}
POSTS_METRICS = {"age": ["mae"], "income": ["accuracy"], "gender": ["accuracy"]}
TRACES = []


def counting_mse(y_true, y_pred):
    """MSE that notes each time it is traced (Python runs only while tracing)."""
    TRACES.append(1)
    return keras.losses.mean_squared_error(y_true, y_pred)


def training_threads():
    return [t for t in threading.enumerate() if t.name == "loss-weight-lab-training"]


def small_lab(**options):
    """A quick lab on 640 posts (raw ages unless told otherwise)."""
    options.setdefault("data", make_posts(640, seed=0))
    options.setdefault("epochs", 3)
    return LossWeightLab(**options)


@pytest.fixture(scope="module")
def lab():
    """Lesson 03's compact posts model on 1,200 standardised posts (the lab's default data
    is 3,000: these tests check the lab's behaviour, and fewer posts cost less CPU; that
    the weights decide which head learns is tests/test_models.py's and lesson 04's)."""
    keras.utils.set_random_seed(0)
    lab = LossWeightLab(data=make_posts(1200, standardize_age=True, seed=0))
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def counting_lab():
    """The default lab with an age loss that counts its traces."""
    keras.utils.set_random_seed(0)
    lab = LossWeightLab(loss={"age": counting_mse, **POSTS_LOSS}, metrics=POSTS_METRICS)
    yield lab
    lab.close()


@pytest.fixture(autouse=True)
def no_training_left_behind():
    yield
    for thread in training_threads():
        thread.join(10)
    assert not training_threads(), "a training thread outlived its test"


# ---------------------------------------------------------------------- training
def test_train_returns_held_out_metrics_named_as_evaluate_names_them(lab):
    scores = lab.train(weights={"age": 1, "income": 1, "gender": 1}, epochs=2, block=True)
    assert lab.head_metrics == {
        "age": "age_mae",
        "income": "income_accuracy",
        "gender": "gender_accuracy",
    }
    expected = lab.model.evaluate(*lab.trainer.test_data, verbose=0, return_dict=True)
    assert set(scores) == set(expected)
    assert scores["gender_accuracy"] == pytest.approx(expected["gender_accuracy"])
    assert lab.runs[-1].metrics == scores


def test_retrain_starts_every_run_from_the_same_initial_weights(lab):
    weights = {"age": 0.25, "income": 1.0, "gender": 10.0}
    first = lab.train(weights=weights, epochs=4, block=True)
    lab.train(weights={"age": 10, "income": 0.01, "gender": 0.01}, epochs=4, block=True)
    again = lab.train(weights=weights, epochs=4, block=True)
    for key in first:
        assert again[key] == pytest.approx(first[key], abs=1e-3), key


def test_train_fills_in_heads_left_out_from_the_sliders_and_moves_the_sliders(lab):
    lab.set_weights({"age": 0.5, "income": 2.0, "gender": 3.0})
    lab.train(weights={"gender": 7.0}, epochs=1, block=True)
    assert lab.runs[-1].weights == {"age": 0.5, "income": 2.0, "gender": 7.0}
    assert lab.sliders["gender"].value == pytest.approx(7.0)
    assert lab.weights == {"age": 0.5, "income": 2.0, "gender": 7.0}


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"age": -1.0}, r"loss weight for 'age' must be a finite number >= 0, got -1.0"),
        ({"income": math.nan}, r"loss weight for 'income' must be a finite number >= 0, got nan"),
        ({"gender": math.inf}, r"loss weight for 'gender' must be a finite number >= 0, got inf"),
        ({"age": 0, "income": 0, "gender": 0}, r"all loss weights are 0"),
        ({"agee": 1.0}, r"unknown head name\(s\) 'agee'.*'age', 'income', 'gender'"),
    ],
)
def test_bad_weights_raise_a_clear_error_and_start_nothing(lab, weights, message):
    runs = len(lab.runs)
    for call in (lambda: lab.train(weights=weights, block=True), lambda: lab.set_weights(weights)):
        with pytest.raises(ValueError, match=message):
            call()
    assert not lab.running
    assert len(lab.runs) == runs


def test_a_weight_that_is_not_a_number_raises_type_error(lab):
    with pytest.raises(TypeError, match="must be a number"):
        lab.train(weights={"age": "high"}, block=True)


def test_bad_arguments_raise_clear_errors(lab):
    with pytest.raises(ValueError, match="mode must be one of 'retrain', 'live'"):
        lab.train(mode="fast", block=True)
    with pytest.raises(ValueError, match="epochs must be between 1 and"):
        lab.train(epochs=0, block=True)
    with pytest.raises(ValueError, match="head must be one of"):
        lab.sweep("height")
    with pytest.raises(TypeError, match="build_model must be a function"):
        LossWeightLab(build_model="compact")


def test_a_model_that_is_not_the_posts_model_needs_its_losses():
    def two_heads():
        inputs = keras.Input(shape=(4,))
        return keras.Model(
            inputs,
            [keras.layers.Dense(1, name="a")(inputs), keras.layers.Dense(1, name="b")(inputs)],
        )

    x = np.zeros((40, 4), "float32")
    y = {"a": np.zeros(40, "float32"), "b": np.zeros(40, "float32")}
    with pytest.raises(ValueError, match=r"give loss=\{...\} with one loss per head"):
        LossWeightLab(two_heads, data=((x, y), (x, y)))
    custom = LossWeightLab(
        two_heads, data=((x, y), (x, y)), loss={"a": "mse", "b": "mse"}, epochs=1
    )
    assert custom.head_metrics == {"a": "a_mae", "b": "b_mae"}
    assert set(custom.train(block=True)) >= {"loss", "a_loss", "b_loss", "a_mae", "b_mae"}
    custom.close()


# ---------------------------------------------------------------------- background runs
def test_train_in_the_background_returns_at_once_and_draws_curves(lab):
    assert lab.train(weights={"age": 1, "income": 1, "gender": 1}, epochs=5) is None
    assert lab.running
    with pytest.raises(RuntimeError, match="already in progress"):
        lab.train(block=True)
    run = lab.wait(timeout=60)
    assert run.status == "done" and run.epochs_run == 5
    assert run.first_point_seconds is not None
    assert lab.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert lab.plot.layout.display != "none"
    assert f"run {run.number} (retrain): done" in lab.status


def test_the_train_button_uses_the_sliders_and_stop_ends_within_one_epoch(lab):
    lab.mode = "retrain"
    lab.sliders["gender"].value = 2.0  # what a drag does
    lab.buttons["train"].click()
    assert lab.running
    run = lab.current_run
    lab.wait(timeout=60, epoch=2)
    epochs_at_stop = run.epochs_run
    lab.buttons["stop"].click()
    lab.wait(timeout=30)
    assert run.status == "stopped"
    assert run.epochs_run <= epochs_at_stop + 1
    assert run.weights["gender"] == pytest.approx(2.0)
    assert "stopped after epoch" in lab.message


def test_in_retrain_mode_a_slider_moved_during_a_run_waits_for_the_next_run(lab):
    lab.train(weights={"age": 1, "income": 1, "gender": 1}, epochs=200, mode="retrain")
    run = lab.current_run
    lab.wait(timeout=60, epoch=1)
    lab.sliders["income"].value = 5.0
    lab.wait(timeout=60, epoch=run.epochs_run + 2)
    lab.stop(wait=True)
    assert run.weight_changes == []
    assert run.final_weights["income"] == 1.0
    assert lab.weights["income"] == pytest.approx(5.0)


# ---------------------------------------------------------------------- live mode
def test_live_changes_reach_the_running_model_from_the_next_epoch_without_a_retrace(
    counting_lab,
):
    lab = counting_lab
    traced = len(TRACES)
    assert traced > 0
    lab.train(weights={"age": 1, "income": 1, "gender": 1}, mode="live", epochs=500)
    run = lab.current_run
    lab.wait(timeout=60, epoch=2)
    # A slider callback runs on another thread (comms on subshells); it only sets state.
    mover = threading.Thread(target=setattr, args=(lab.sliders["gender"], "value", 0.01))
    mover.start()
    mover.join()
    lab.wait(timeout=60, epoch=run.epochs_run + 2)  # the next epoch begins with it
    assert len(run.weight_changes) == 1
    lab.set_weights({"income": 20.0})
    lab.wait(timeout=60, epoch=run.epochs_run + 2)
    assert len(run.weight_changes) == 2
    changed_from = run.weight_changes[1][0]
    lab.wait(timeout=60, epoch=changed_from + 1)  # an epoch with the new weights
    assert "income=20" in lab.status and "gender=0.01" in lab.status
    lab.stop(wait=True)

    assert run.status == "stopped" and run.mode == "live"
    assert run.weight_changes[0][1]["gender"] == pytest.approx(0.01)
    assert run.final_weights == pytest.approx({"age": 1.0, "income": 20.0, "gender": 0.01})
    assert lab.loss_weights.values() == pytest.approx(run.final_weights, rel=1e-6)
    history = run.history
    first_change = run.weight_changes[0][0]
    assert history["weight/gender"][: first_change - 1] == [1.0] * (first_change - 1)
    assert history["weight/gender"][first_change - 1] == pytest.approx(0.01)
    # The running model's total loss is the weighted sum with the weights of each epoch
    # (to within 2%: Keras averages the total over samples, the head losses over batches,
    # and the last batch is smaller).
    for epoch in range(run.epochs_run):
        total = sum(history[f"weight/{h}"][epoch] * history[f"{h}_loss"][epoch] for h in HEADS)
        assert history["loss"][epoch] == pytest.approx(total, rel=0.02), epoch
    assert len(TRACES) == traced, "a live weight change retraced the training step"


def test_switching_to_live_mode_shows_the_live_epochs(lab):
    lab.mode = "live"
    assert lab.mode == "live"
    assert lab.view.epochs_box.value == 100
    lab.mode = "retrain"
    assert lab.view.epochs_box.value == 10


# ---------------------------------------------------------------------- balance, reset, sweep
def test_balance_gives_every_head_an_equal_share_of_the_initial_loss_and_says_so(lab):
    lab.buttons["balance"].click()
    weights = lab.weights
    shares = [weights[h] * lab.initial_losses[h] for h in HEADS]
    assert max(shares) / min(shares) == pytest.approx(1.0, abs=1e-6)
    assert "same share of the total" in lab.message
    for head in HEADS:
        assert lab.sliders[head].value == pytest.approx(weights[head])
    assert lab.initial_losses["income"] == pytest.approx(math.log(10), rel=0.05)


def test_reset_returns_sliders_and_model_to_the_start_and_keeps_the_runs(lab):
    lab.train(weights={"age": 3, "income": 3, "gender": 3}, epochs=2, block=True)
    runs = len(lab.runs)
    lab.buttons["reset"].click()
    assert lab.weights == {"age": 1.0, "income": 1.0, "gender": 1.0}
    assert [s.value for s in lab.sliders.values()] == [1.0, 1.0, 1.0]
    for variable, start in zip(lab.model.weights, lab.trainer.snapshot.parameters, strict=True):
        np.testing.assert_array_equal(variable.numpy(), start)
    assert lab.loss_weights.values() == {"age": 1.0, "income": 1.0, "gender": 1.0}
    assert lab.plot.layout.display == "none"
    assert len(lab.runs) == runs


def test_reset_during_a_run_stops_it_first(lab):
    lab.train(weights={"age": 2, "income": 2, "gender": 2}, epochs=500)
    run = lab.current_run
    lab.wait(timeout=60, epoch=1)
    lab.reset()
    lab.wait(timeout=30)
    assert run.status == "stopped"
    assert lab.weights == {"age": 1.0, "income": 1.0, "gender": 1.0}
    assert lab.loss_weights.values() == {"age": 1.0, "income": 1.0, "gender": 1.0}


def test_sweep_shows_the_trade_off_for_every_head(lab):
    result = lab.sweep("gender", [0.01, 100.0], weights={"age": 0.001, "income": 1.0}, epochs=8)
    gender, income = result.metric("gender"), result.metric("income")
    assert gender[1] - gender[0] >= 0.2
    assert income[0] - income[1] >= 0.2
    assert [row["gender weight"] for row in result.rows()] == [0.01, 100.0]
    assert [run.mode for run in lab.runs[-2:]] == ["sweep", "sweep"]
    assert result.to_png()[:8] == b"\x89PNG\r\n\x1a\n"
    assert repr(result) == (
        "<Sweep of the gender loss weight over 2 values; "
        "held-out age_mae, income_accuracy, gender_accuracy>"
    )
    with pytest.raises(ValueError, match="loss weight for 'gender'"):
        lab.sweep("gender", [1.0, -1.0])


def test_stop_ends_a_whole_sweep_trained_together(lab):
    runs = len(lab.runs)
    first_epoch = threading.Event()
    lab.state.observe(
        lambda change: "epoch 1 of" in change["new"] and first_epoch.set(), names="status"
    )

    def press_stop_after_the_first_epoch():
        assert first_epoch.wait(120), "the sweep never finished an epoch"
        lab.buttons["stop"].click()  # a click handled while the sweep's cell runs

    presser = threading.Thread(target=press_stop_after_the_first_epoch)
    presser.start()
    result = lab.sweep("gender", [0.01, 0.1, 1.0, 10.0], epochs=500)
    presser.join()
    assert result.values == [] and result.results == []
    assert "stopped; 0 of 4 runs finished" in lab.message
    assert len(lab.runs) == runs and not lab.running


# ---------------------------------------------------------------------- divergence
def test_a_diverging_run_stops_with_a_message_and_leaves_the_lab_usable():
    lab = small_lab(optimizer=lambda: keras.optimizers.SGD(learning_rate=0.1))
    with pytest.raises(
        LabDivergedError, match="diverged at epoch 1.*lower the largest loss weight"
    ):
        lab.train(weights={"age": 100}, block=True)
    assert lab.runs[-1].status == "diverged"
    assert lab.runs[-1].metrics is None
    for variable, start in zip(lab.model.weights, lab.trainer.snapshot.parameters, strict=True):
        np.testing.assert_array_equal(variable.numpy(), start)

    lab.train(weights={"age": 100}, epochs=20)  # in the background: no exception, a message
    run = lab.wait(timeout=60)
    assert run.status == "diverged" and run.epochs_run < 20
    assert "diverged" in lab.message and "diverged" in lab.status

    scores = lab.train(weights={"age": 0.001}, block=True)
    assert all(math.isfinite(v) for v in scores.values())
    assert "–" in lab.table.value  # the diverged runs have no held-out metrics
    lab.close()


def test_to_code_and_the_code_button_give_the_last_run_as_a_cell(lab):
    from helpers.lab._provenance import lab_to_code

    lab.train(weights={"age": 0.37, "income": 2.9, "gender": 0.61}, epochs=1, block=True)
    code = lab.to_code()
    assert code == lab_to_code(lab)
    assert "scores = " in code and "0.37" in code
    lab.buttons["code"].click()
    assert lab.view.code.value == code


# ---------------------------------------------------------------------- what a cell says
def test_a_code_call_does_what_its_arguments_say_whatever_the_widgets_show():
    lab = small_lab(epochs=3, live_epochs=50)
    lab.mode = "live"  # what clicking Live does
    lab.view.epochs_box.value = 40  # and typing in the epochs box
    lab.train(weights={"age": 1, "income": 1, "gender": 1}, block=True)
    run = lab.runs[-1]
    assert (run.mode, run.epochs, run.epochs_run) == ("retrain", 3, 3)
    assert lab.mode == "live" and lab.view.epochs_box.value == 40  # the widgets keep theirs
    lab.close()


def test_building_the_lab_again_gives_the_same_numbers(lab):
    weights = {"age": 0.25, "income": 1, "gender": 10}
    first = lab.train(weights=weights, epochs=2, block=True)  # a lab used by other tests too
    keras.random.uniform((3,))  # other work in between moves the global random state
    np.random.default_rng().random()
    built_again = LossWeightLab(data=make_posts(1200, standardize_age=True, seed=0))
    again = built_again.train(weights=weights, epochs=2, block=True)
    built_again.close()
    assert again == pytest.approx(first, abs=1e-6)


# ---------------------------------------------------------------------- re-runs and close
def test_a_new_lab_stops_the_training_thread_of_the_previous_one(lab):
    first = lab
    first.train(mode="live", epochs=100_000)
    run = first.current_run
    first.wait(timeout=60, epoch=1)
    assert len(training_threads()) == 1

    second = small_lab()  # what re-running the cell does
    assert not training_threads()
    assert not first.running and run.status == "stopped"
    assert first.train(epochs=1, block=True)["loss"] > 0  # stopped, not broken
    second.close()


def test_close_stops_training_and_the_lab_refuses_more_work():
    lab = small_lab()
    lab.train(mode="live", epochs=100_000)
    lab.wait(timeout=60, epoch=1)
    lab.close()
    assert not training_threads()
    assert lab.widget.comm is None
    with pytest.raises(RuntimeError, match="closed"):
        lab.train(block=True)
    lab.close()  # twice is fine


# ---------------------------------------------------------------------- widgets
def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_widgets_carry_stable_css_classes(lab):
    classes = {c for w in _all_widgets(lab.widget) for c in w._dom_classes}
    expected = {f"lw-slider-{h}" for h in HEADS} | {
        "lw-train",
        "lw-stop",
        "lw-reset",
        "lw-balance",
        "lw-plot",
        "lw-runs",
        "lw-status",
        "lw-mode",
    }
    assert expected <= classes
    for head in HEADS:
        slider = lab.sliders[head]
        assert f"lw-slider-{head}" in slider._dom_classes
        assert (slider.min, slider.max, slider.base) == (-3, 2, 10)  # 0.001 to 100, log scale


def test_the_runs_table_lists_weights_then_held_out_metrics(lab):
    lab.train(weights={"age": 0.25, "income": 1, "gender": 10}, epochs=1, block=True)
    row = lab.runs_table()[-1]
    assert list(row)[:6] == [
        "run",
        "mode",
        "status",
        "weight age",
        "weight income",
        "weight gender",
    ]
    assert row["weight gender"] == 10
    assert set(lab.head_metrics.values()) <= set(row)
    table = lab.table.value
    assert table.index("weight age") < table.index("age_mae")
    assert f"<td>{row['run']}</td><td>retrain</td><td>0.25</td><td>1</td><td>10</td>" in table


def test_the_status_line_shows_the_loss_weights_in_use(lab):
    lab.train(weights={"age": 0.25, "income": 1, "gender": 10}, epochs=1, block=True)
    assert lab.status.startswith("loss weights in use: age=0.25, income=1, gender=10")


def test_the_lab_displays_as_its_widget(lab):
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(lab).startswith("<LossWeightLab: heads age, income, gender;")


# ---------------------------------------------------------------------- in a real kernel
def test_in_a_kernel_widget_events_reach_a_run_and_nothing_prints_into_other_cells():
    """Drive a real kernel the way a front end does: cells, and widget messages sent
    with comms on a subshell (JupyterLab's default) and on the main shell (comms off,
    VS Code, Notebook 7)."""
    jupyter_client = pytest.importorskip("jupyter_client")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)

        def run_cell(code, timeout=120):
            outputs = []

            def keep(msg):
                if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
                    outputs.append(msg["content"])

            reply = client.execute_interactive(code, timeout=timeout, output_hook=keep)
            assert reply["content"]["status"] == "ok", outputs
            return outputs

        def widget_event(model_id, data, subshell_id=None):
            msg = client.session.msg("comm_msg", {"comm_id": model_id, "data": data})
            if subshell_id is not None:
                msg["header"]["subshell_id"] = subshell_id
            client.shell_channel.send(msg)

        ids = run_cell(
            "from helpers.env import quiet_keras_import\n"
            "keras = quiet_keras_import()\n"
            "from helpers.data import make_posts\n"
            "from helpers.lab import LossWeightLab\n"
            "lab = LossWeightLab(data=make_posts(640, seed=0))\n"
            "print(lab.sliders['gender'].model_id, lab.buttons['stop'].model_id)\n"
        )
        slider_id, stop_id = ids[0]["text"].split()
        client.control_channel.send(client.session.msg("create_subshell_request", {}))
        subshell_id = client.control_channel.get_msg(timeout=10)["content"]["subshell_id"]

        assert run_cell("lab.train(mode='live', epochs=100_000)") == []
        # Comms on a subshell: a slider drag while the run trains.
        widget_event(
            slider_id,
            {"method": "update", "state": {"value": 5.0}, "buffer_paths": []},
            subshell_id,
        )
        outputs = run_cell(
            "run = lab.current_run\n"
            "for _ in range(200):  # the drag takes effect at the next epoch boundary\n"
            "    if run.weight_changes:\n"
            "        break\n"
            "    lab.wait(timeout=30, epoch=run.epochs_run + 1)\n"
            "gender = run.weight_changes[0][1]['gender']\n"
            "print('this cell ran while training:', lab.running, gender)\n"
        )
        assert outputs == [
            {"name": "stdout", "text": "this cell ran while training: True 5.0\n"}
        ], outputs
        # Comms on the main shell: a click on Stop.
        widget_event(stop_id, {"method": "custom", "content": {"event": "click"}})
        outputs = run_cell("print(lab.wait(timeout=30).status, 'in', run.mode, 'mode')")
        assert outputs == [{"name": "stdout", "text": "stopped in live mode\n"}], outputs
        same_cell = (
            "old = globals().get('twice')\n"
            "twice = LossWeightLab(data=make_posts(640, seed=0), epochs=2)\n"
        )
        run_cell(same_cell)
        run_cell(same_cell)  # the same cell, run again
        outputs = run_cell(
            "print(old.buttons['train'].disabled, twice.buttons['train'].disabled)\n"
            "try:\n"
            "    old.train(block=True)\n"
            "except RuntimeError as error:\n"
            "    print('old:', error)\n"
        )
        assert outputs[0]["text"].startswith("True False\nold: This lab was replaced"), outputs
        outputs = run_cell(
            "lab.train(mode='live', epochs=100_000)\n"
            "lab = LossWeightLab(data=make_posts(640, seed=0))  # the cell, re-run\n"
            "import threading\n"
            "print(sorted(t.name for t in threading.enumerate() if 'lab' in t.name))\n"
        )
        assert outputs == [{"name": "stdout", "text": "[]\n"}], outputs
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
