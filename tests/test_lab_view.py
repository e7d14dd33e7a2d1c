"""The lab's widgets against a fake state: wiring, classes, the runs table. No training."""

import pytest
import traitlets

from helpers.lab._messages import RETIRED, table_html
from helpers.lab._records import Run
from helpers.lab._view import LabView

HEADS = ("age", "income", "gender")
METRICS = {"age": "age_mae", "income": "income_accuracy", "gender": "gender_accuracy"}


class FakeTasks(traitlets.HasTraits):
    """The state's maps and sweeps: what trains many settings now, the latest map."""

    kind = traitlets.Unicode("")
    last_map = traitlets.Any(None, allow_none=True)


class FakeState(traitlets.HasTraits):
    """Holds the traits the view follows; records every method the view calls."""

    weights = traitlets.Dict()
    status = traitlets.Unicode("loss weights in use: age=1, income=1, gender=1")
    message = traitlets.Unicode()
    runs = traitlets.List()
    current_run = traitlets.Any(None, allow_none=True)
    resets = traitlets.Int(0)
    retired = traitlets.Unicode()
    button_mode = traitlets.Unicode("retrain")
    button_method = traitlets.Unicode("manual")
    button_epochs = traitlets.Dict({"retrain": 10, "live": 100})

    def __init__(self):
        super().__init__()
        self.calls = []
        self.weights = dict.fromkeys(HEADS, 1.0)
        self.closed = False
        self.tasks = FakeTasks()

    def _record(name):
        return lambda self, *args, **kwargs: self.calls.append((name, *args))

    slider_moved, press_train = _record("slider_moved"), _record("press_train")
    stop, reset, balance = _record("stop"), _record("reset"), _record("balance")
    set_button_epochs = _record("set_button_epochs")

    def set_button_method(self, method):
        self.calls.append(("set_button_method", method))
        self.button_method = method

    def set_button_mode(self, mode):
        self.calls.append(("set_button_mode", mode))
        self.button_mode = mode

    def set_message(self, text):
        self.message = text


@pytest.fixture
def view():
    state = FakeState()
    return LabView(state, HEADS, METRICS), state


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


def test_widgets_carry_stable_css_classes_and_sliders_span_the_lab_range(view):
    v, _ = view
    classes = {c for w in all_widgets(v.widget) for c in w._dom_classes}
    expected = {f"lw-slider-{h}" for h in HEADS} | {
        "lw-train", "lw-stop", "lw-reset", "lw-balance", "lw-plot", "lw-runs", "lw-status",
        "lw-mode", "lw-epochs", "lw-message", "lw-lab", "lw-method",
    }  # fmt: skip
    assert expected <= classes
    for slider in v.sliders.values():
        assert (slider.min, slider.max, slider.base) == (-3, 2, 10)
        assert 60 <= (slider.max - slider.min) / slider.step <= 150  # arrow keys cross it quickly


def test_each_control_calls_one_state_method(view):
    v, state = view
    v.sliders["gender"].value = 5.0
    v.buttons["train"].click()
    v.buttons["stop"].click()
    v.buttons["reset"].click()
    v.buttons["balance"].click()
    v.mode.value = "live"
    v.epochs_box.value = 7
    assert v.epochs_box.value == 7
    v.method.value = "dwa"  # a method retrains: the box shows Retrain's epochs
    names = [c[0] for c in state.calls]
    assert names == [
        "slider_moved", "press_train", "stop", "reset", "balance", "set_button_mode",
        "set_button_epochs", "set_button_method",
    ]  # fmt: skip
    assert state.calls[0] == ("slider_moved", "gender", 5.0)
    assert (v.mode.value, v.epochs_box.value) == ("retrain", 10)


def test_while_a_map_trains_only_stop_and_reset_act_and_map_calls_the_lab(view):
    v, state = view
    started = []
    v.map_action = lambda: started.append(True)
    v.buttons["map"].click()
    assert started == [True]
    state.tasks.kind = "map"
    assert v.buttons["train"].disabled and v.buttons["map"].disabled
    assert not v.buttons["stop"].disabled
    state.tasks.kind = ""
    assert not v.buttons["train"].disabled and not v.buttons["map"].disabled
    assert v.buttons["stop"].disabled


def test_switching_mode_shows_that_modes_epochs_without_changing_them(view):
    v, state = view
    v.mode.value = "live"
    assert v.epochs_box.value == 100
    assert ("set_button_epochs", 100) not in state.calls
    assert state.button_epochs == {"retrain": 10, "live": 100}


def test_the_view_follows_the_states_status_message_and_runs(view):
    v, state = view
    state.status = "loss weights in use: age=2 <b>"
    state.message = "Run 1 done: 3 epochs."
    state.runs = [Run(1, "retrain", dict.fromkeys(HEADS, 1.0), 3, status="done")]
    assert v.status.value == "loss weights in use: age=2 &lt;b&gt;"
    assert v.message.value == "Run 1 done: 3 epochs."
    assert "<td>1</td><td>retrain</td>" in v.table.value
    v.plot.layout.display = None
    state.resets += 1
    assert v.plot.layout.display == "none"


def test_weights_shown_by_the_state_do_not_come_back_as_slider_moves(view):
    v, state = view
    state.weights = {"age": 0.5, "income": 2.0, "gender": 3.0}
    assert v.sliders["income"].value == pytest.approx(2.0)
    assert state.calls == []


def test_while_a_run_trains_train_is_off_and_the_mode_shows_the_runs_mode(view):
    v, state = view
    run = Run(1, "live", dict.fromkeys(HEADS, 1.0), 40)
    state.current_run = run
    assert v.buttons["train"].disabled and not v.buttons["stop"].disabled
    assert (v.mode.value, v.epochs_box.value, v.mode.disabled) == ("live", 40, True)
    assert state.calls == []  # showing the run's mode is not a learner's choice
    state.current_run = None
    assert not v.buttons["train"].disabled and v.buttons["stop"].disabled
    assert (v.mode.value, v.epochs_box.value) == ("retrain", 10)


def test_a_method_run_drives_the_sliders_and_its_row_names_the_method(view):
    v, state = view
    run = Run(1, "retrain", dict.fromkeys(HEADS, 1.0), 10, "gradnorm")
    state.current_run = run
    assert all(s.disabled for s in v.sliders.values()) and v.method.disabled
    state.current_run = None
    assert not any(s.disabled for s in v.sliders.values())
    run.weight_changes = [(e, dict.fromkeys(HEADS, 1.0 + e)) for e in range(2, 6)]
    html = table_html([run], HEADS, METRICS)
    assert "<td>retrain · gradnorm</td>" in html and "1 → 6 (4 changes)" in html


def test_the_code_button_shows_the_last_runs_cell_or_says_why_not(view):
    v, _ = view
    assert v.code.layout.display == "none"
    v.code_source = lambda: "scores = model.evaluate(...)"
    v.buttons["code"].click()
    assert v.code.value == "scores = model.evaluate(...)" and v.code.layout.display is None

    def refuse():
        raise ValueError("the lab has no finished run yet: train once, then ask again")

    v.code_source = refuse
    v.buttons["code"].click()
    assert "no finished run yet" in v.message.value


def test_a_retired_lab_disables_every_control_and_says_why(view):
    v, state = view
    state.retired = "This lab was replaced."
    assert all(b.disabled for b in v.buttons.values())
    assert all(s.disabled for s in v.sliders.values())
    assert "This lab was replaced." in v.message.value


def test_the_runs_table_puts_the_newest_run_first_and_shows_live_changes():
    old = Run(1, "retrain", {"age": 0.25, "income": 1.0, "gender": 10.0}, 10, status="done")
    old.metrics = {"age_mae": 0.4, "income_accuracy": 0.7, "gender_accuracy": 0.9}
    live = Run(2, "live", {"age": 1.0, "income": 1.0, "gender": 1.69}, 20, status="stopped")
    live.weight_changes = [(11, {"age": 1.0, "income": 1.0, "gender": 100.0})]
    html = table_html([old, live], HEADS, METRICS)
    assert html.index("<td>2</td>") < html.index("<td>1</td>")
    assert "<td>1.69 → 100 (epoch 11)</td>" in html
    assert "<td>1</td><td>retrain</td><td>0.25</td><td>1</td><td>10</td>" in html
    assert "overflow-y: auto" in html and "held-out" in html
    assert "–" in html  # the live run has no held-out metrics


def test_with_a_method_chosen_mode_and_epochs_show_the_retrain_that_train_runs(view):
    v, state = view
    v.mode.value = "live"
    assert (v.mode.value, v.epochs_box.value) == ("live", 100)
    v.method.value = "uncertainty"
    assert (v.mode.value, v.epochs_box.value, v.mode.disabled) == ("retrain", 10, True)
    assert not v.epochs_box.disabled  # Train's epochs can still be typed
    assert state.button_mode == "live"  # shown, not chosen: the learner's Live stays
    v.method.value = "manual"
    assert (v.mode.value, v.epochs_box.value, v.mode.disabled) == ("live", 100, False)
    names = [c[0] for c in state.calls]
    assert names == ["set_button_mode", "set_button_method", "set_button_method"]


def test_the_code_box_empties_when_a_new_run_starts_and_when_code_is_refused(view):
    v, state = view
    v.code_source = lambda: "# Lab run 1 (retrain) in plain Keras"
    v.buttons["code"].click()
    assert v.code.layout.display is None
    state.current_run = Run(2, "retrain", dict.fromkeys(HEADS, 1.0), 10)
    assert (v.code.value, v.code.layout.display) == ("", "none")
    state.current_run = None
    v.buttons["code"].click()
    assert v.code.layout.display is None

    def refuse():
        raise ValueError("run 3 used 'uncertainty' weighting")

    v.code_source = refuse
    v.buttons["code"].click()
    assert (v.code.value, v.code.layout.display) == ("", "none")


def test_the_retired_message_says_to_run_the_cell_that_shows_the_lab(view):
    v, state = view
    state.retired = RETIRED
    assert "Run the cell that shows the lab again" in v.message.value
    assert "below" not in RETIRED


def test_stop_says_what_it_does_and_table_cells_do_not_wrap(view):
    v, _ = view
    assert v.buttons["stop"].tooltip == "stop: the epoch in progress ends early"
    run = Run(1, "retrain", dict.fromkeys(HEADS, 1.0), 10, "dwa", status="done")
    run.weight_changes = [(e, dict.fromkeys(HEADS, 2.0)) for e in range(3, 11)]
    html = table_html([run], HEADS, METRICS)
    assert "white-space: nowrap" in html and "<td>1 → 2 (8 changes)</td>" in html
