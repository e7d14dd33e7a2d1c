import base64
import hashlib
import io
import json
import textwrap
import threading

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (only to check that pyplot is left alone)
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.env import quiet_keras_import  # noqa: E402
from helpers.live import FRAME_TEXT, LiveLossPlot, RedrawBudget, plot_history  # noqa: E402
from helpers.live._options import PlotOptions  # noqa: E402
from helpers.live._panels import Panel, Series  # noqa: E402
from helpers.live._plot import LivePlot  # noqa: E402
from tools.kernel import notebook_client  # noqa: E402

keras = quiet_keras_import()
layers = keras.layers

HEADS = ["net_worth", "income", "gender"]  # an underscore in a head name on purpose


class InterruptAt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt as epoch ``epoch`` (0-based) begins: ``epoch`` epochs done."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def small_data(rows=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8)).astype("float32")
    targets = {
        "net_worth": x[:, :1] * 2.0,
        "income": (x[:, 1] > 0).astype("int32") + (x[:, 2] > 0).astype("int32"),
        "gender": (x[:, 3:4] > 0).astype("float32"),
    }
    return x, targets


def three_head_model(loss_weights=None, metrics=None):
    inputs = keras.Input((8,), name="features")
    hidden = layers.Dense(8, activation="relu")(inputs)
    outputs = [
        layers.Dense(1, name="net_worth")(hidden),
        layers.Dense(3, activation="softmax", name="income")(hidden),
        layers.Dense(1, activation="sigmoid", name="gender")(hidden),
    ]
    model = keras.Model(inputs, outputs)
    model.compile(
        "adam",
        loss=["mse", "sparse_categorical_crossentropy", "binary_crossentropy"],
        loss_weights=loss_weights,
        metrics=metrics,
    )
    return model


@pytest.fixture(scope="module")
def multi():
    """A compiled three-head model, traced once, and its data."""
    model = three_head_model(loss_weights=[0.5, 1.0, 4.0], metrics=[["mae"], ["acc"], ["acc"]])
    x, targets = small_data()
    y = [targets[h] for h in HEADS]
    model.fit(x, y, epochs=1, batch_size=24, validation_split=0.25, verbose=0)
    return model, x, y


def fit(model, x, y, live, epochs=3, extra=()):
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=24,  # 72 training rows: equal batches, so the losses' means add up
        validation_split=0.25,
        verbose=0,
        callbacks=[live, *extra],
    )


def lines_of(live, title):
    index = live.panel_titles.index(title)
    return live.figure.axes[index].get_lines()


def shares_of(live):
    """The contributions panel's curves, by label (head name, or "total")."""
    lines = lines_of(live, "weighted contributions to the total")
    return {line.get_label(): line for line in lines}


# ---------------------------------------------------------------- panels and keys
def test_panels_follow_the_history_keys_of_a_multi_output_model(multi):
    model, x, y = multi
    live = LiveLossPlot(metrics=True)
    history = fit(model, x, y, live)
    assert live.panel_titles == [
        "total loss (weighted sum)",
        "net_worth loss",
        "income loss",
        "gender loss",
        "net_worth mae",
        "income acc",
        "gender acc",
    ]
    assert live.history.keys() == history.history.keys()
    for title in live.panel_titles:
        training, validation = lines_of(live, title)
        assert list(training.get_xdata()) == [1, 2, 3]
        assert validation.get_linestyle() == "--"
    key = "val_income_loss"
    assert list(lines_of(live, "income loss")[1].get_ydata()) == history.history[key]


def test_panels_follow_the_history_keys_of_a_single_output_model():
    model = keras.Sequential([keras.Input((8,)), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", loss="binary_crossentropy", metrics=["acc"])
    x, targets = small_data()
    live = LiveLossPlot(metrics=True, contributions=True)  # no heads: no contributions panel
    model.fit(x, targets["gender"], epochs=2, verbose=0, callbacks=[live])
    assert live.panel_titles == ["loss", "acc"]
    assert [len(lines_of(live, t)) for t in live.panel_titles] == [1, 1]  # no validation
    assert repr(live) == "<Loss plot: 2 epochs; panels: loss, acc>"


def test_without_metrics_there_is_one_panel_per_head_plus_the_total():
    logs = {"loss": [3.0, 2.0], "a_loss": [1.0, 0.5], "b_loss": [2.0, 1.5], "a_mae": [1, 1]}
    live = plot_history(logs)
    assert live.panel_titles == ["total loss (weighted sum)", "a loss", "b loss"]


def test_contributions_are_loss_weight_times_head_loss(multi):
    model, x, y = multi  # compiled with loss_weights [0.5, 1.0, 4.0]
    live = LiveLossPlot(contributions=True)
    history = fit(model, x, y, live).history
    lines = {
        line.get_label(): line for line in lines_of(live, "weighted contributions to the total")
    }
    for head, weight in zip(HEADS, [0.5, 1.0, 4.0], strict=True):
        expected = weight * np.array(history[f"{head}_loss"])
        np.testing.assert_allclose(lines[head].get_ydata(), expected)
    total = sum(lines[h].get_ydata() for h in HEADS)
    np.testing.assert_allclose(total, history["loss"], rtol=1e-4)


def test_loss_weights_given_as_a_callable_are_read_every_epoch():
    logs = {"loss": [1.0, 1.0, 1.0], "a_loss": [1.0, 1.0, 1.0], "b_loss": [1.0, 1.0, 1.0]}
    weights = iter([{"a": 1.0, "b": 0.0}, {"a": 0.5, "b": 0.5}, {"a": 0.0, "b": 1.0}])
    live = plot_history(logs, contributions=True, loss_weights=lambda: next(weights))
    lines = {
        line.get_label(): line for line in lines_of(live, "weighted contributions to the total")
    }
    assert list(lines["a"].get_ydata()) == [1.0, 0.5, 0.0]
    assert list(lines["b"].get_ydata()) == [0.0, 0.5, 1.0]


def test_unknown_loss_weights_leave_the_rest_of_the_plot_intact():
    logs = {"loss": [3.0, 2.0], "a_loss": [1.0, 0.5], "b_loss": [2.0, 1.5]}
    live = plot_history(logs, contributions=True)  # a plain dict: no model to ask
    assert live.figure.axes[1].get_title().endswith("loss weights unknown (pass loss_weights=)")
    assert list(lines_of(live, "a loss")[0].get_ydata()) == [1.0, 0.5]


def test_log_scale_applies_to_loss_panels_only():
    logs = {"loss": [2.0, 0.2], "acc": [0.5, 0.9], "val_loss": [2.1, 0.4], "val_acc": [0.5, 0.8]}
    live = plot_history(logs, log_scale=True, metrics=True)
    assert [ax.get_yscale() for ax in live.figure.axes] == ["log", "linear"]
    assert live.to_png().startswith(b"\x89PNG")


def test_from_history_accepts_a_keras_history(multi):
    model, x, y = multi
    history = fit(model, x, y, LiveLossPlot(), epochs=2)
    live = plot_history(history, contributions=True)
    assert live.epochs == [1, 2]
    assert "weighted contributions to the total" in live.panel_titles
    bundle = live._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("history", "error", "match"),
    [
        ([1.0, 2.0], TypeError, "history must be what model.fit returned"),
        ({"loss": [1.0, 2.0], "val_loss": [1.0]}, ValueError, "one value per epoch"),
    ],
)
def test_from_history_rejects_what_is_not_a_history(history, error, match):
    with pytest.raises(error, match=match):
        plot_history(history)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_interval": -1}, "min_interval must be a number >= 0"),
        ({"max_overhead": 0}, "max_overhead must be a number > 0"),
        ({"max_overhead": 1.5}, "max_overhead must be a number > 0.0 and <= 1.0"),
        ({"columns": 0}, "columns must be a positive int"),
        ({"panel_size": (3, 0)}, "panel_size must be"),
        ({"dpi": 5}, "dpi must be an int between 10 and 600"),
        ({"legend": "below"}, "legend must be one of 'inside', 'above'; got 'below'"),
    ],
)
def test_bad_arguments_are_named_with_a_fix(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LiveLossPlot(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"log_scale": "yes"}, {"display": 1}, {"loss_weights": "equal"}, {"on_frame": 3}],
)
def test_arguments_of_the_wrong_type_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        LiveLossPlot(**kwargs)


def test_an_unknown_option_is_named_with_the_known_ones():
    with pytest.raises(TypeError, match=r"unknown options \['colour'\].*min_interval.*caption"):
        LiveLossPlot(colour="red")


def test_an_extra_panel_is_a_function_of_the_history():
    def spread(history, heads):
        if "loss" not in history.values:
            return None
        return Panel("spread", "my spread", (Series("loss", "C3", "-", "training"),), False)

    live = plot_history({"loss": [1.0, 0.5]}, extra_panels=[spread])
    assert live.panel_titles == ["loss", "my spread"]
    with pytest.raises(TypeError, match="extra_panels must be a list of functions"):
        LiveLossPlot(extra_panels=["spread"])


def test_group_member_log_keys_share_one_panel():
    live = plot_history({"loss": [1.0, 0.5], "noise/a": [0.1, 0.2], "noise/b": [0.3, 0.1]})
    assert live.panel_titles == ["loss", "noise"]


def test_titles_give_training_and_validation_alike_to_three_figures():
    history = {"loss": [2.0, 1.3], "val_loss": [2.0, 1.234], "acc": [0.5, 1.0]}
    live = plot_history(history, metrics=True)
    titles = [ax.get_title() for ax in live.figure.axes]
    assert titles == ["loss: training 1.30 / validation 1.23", "acc: training 1.00"]


def test_a_new_caption_shows_from_the_next_frame_on_the_same_figure():
    plot = LivePlot(PlotOptions(caption="curves: training data"))
    plot.record(1, {"loss": 1.0})
    figure = plot.figure
    assert "curves: training data" in [t.get_text() for t in figure.texts]
    plot.set_caption("run 2 (retrain) · curves: training data")
    plot.record(2, {"loss": 0.5})
    assert plot.figure is figure  # relabelled, not rebuilt
    assert "run 2 (retrain) · curves: training data" in [t.get_text() for t in figure.texts]


GROUPED = {  # panels "loss" and "b loss" without a legend, "noise" with one
    "loss": [1.0, 0.5, 0.4],
    "b_loss": [0.8, 0.6, 0.2],
    "noise/a": [0.1, 0.2, 0.15],
    "noise/b": [0.3, 0.1, 0.25],
}


def boxes(figure):
    """Each axes' title, legend (or None) and axes box in display units, after a draw."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    return [
        (
            ax.title.get_window_extent(renderer),
            ax.get_legend().get_window_extent(renderer) if ax.get_legend() else None,
            ax.get_window_extent(renderer),
        )
        for ax in figure.axes
    ]


def test_a_legend_inside_sits_in_the_upper_right_of_its_axes():
    live = plot_history(GROUPED, columns=3)
    assert live.panel_titles == ["total loss (weighted sum)", "b loss", "noise"]
    _, legend, axes = boxes(live.figure)[2]
    assert axes.x0 < legend.x0 < legend.x1 <= axes.x1 and axes.y0 < legend.y0 < legend.y1 <= axes.y1


def test_a_legend_above_sits_between_the_title_and_the_axes_on_one_row():
    live = plot_history(GROUPED, columns=3, legend="above")
    title, legend, axes = boxes(live.figure)[2]
    assert axes.y1 <= legend.y0 and legend.y1 <= title.y0  # covers no curve, nor the title
    assert [t.get_text() for t in live.figure.axes[2].get_legend().get_texts()] == ["a", "b"]
    assert legend.height < 2 * title.height  # one row, not one entry a line


def test_a_legend_above_lifts_every_title_of_its_row_and_grows_the_figure():
    inside = plot_history(GROUPED, columns=3, panel_size=(3.0, 2.0), dpi=72).figure
    above = plot_history(GROUPED, columns=3, panel_size=(3.0, 2.0), dpi=72, legend="above")
    titles = [title.y0 for title, _, _ in boxes(above.figure)]
    assert titles[0] == pytest.approx(titles[1]) == pytest.approx(titles[2])
    assert above.figure.get_figheight() > inside.get_figheight()
    assert above.figure.get_figwidth() == inside.get_figwidth()


def test_without_legend_panels_legend_above_changes_nothing():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    inside = plot_history(history).figure
    above = plot_history(history, legend="above").figure
    assert above.get_size_inches() == pytest.approx(inside.get_size_inches())
    assert boxes(above)[0][0].y0 == pytest.approx(boxes(inside)[0][0].y0)


def epoch_logs(epoch):
    """Made-up logs of a three-head model at 0-based ``epoch``, with validation."""
    logs = {
        "loss": 3.0 / (epoch + 1),
        "val_loss": 3.3 / (epoch + 1),
        "income_accuracy": 0.1 * epoch,
    }
    for index, head in enumerate(HEADS):
        logs[f"{head}_loss"] = (index + 1.0) / (epoch + 1) ** 0.5
    return logs


def drawn_whole(figure):
    """The figure's pixels from matplotlib's own full draw."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def frame_pixels(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize(
    "options",
    [
        {"contributions": True, "metrics": True, "caption": "run 1 (retrain)"},
        {"contributions": True, "log_scale": True, "legend": "above", "columns": 2},
        {},
    ],
)
def test_a_frame_drawn_over_the_kept_still_parts_equals_a_full_redraw(options):
    plot = LivePlot(PlotOptions(display=False, loss_weights={h: 2.0 for h in HEADS}, **options))
    plot.output_names = HEADS
    plot.begin(planned_epochs=5)
    for epoch in range(7):  # past the planned epochs: the epoch axis grows
        plot.record(epoch, epoch_logs(epoch))
        if epoch == 3:
            plot.set_caption("run 2 (retrain)")
        frame = frame_pixels(plot.to_png())
        assert np.array_equal(frame, drawn_whole(plot.figure)), f"epoch {epoch + 1}"


# ---------------------------------------------------------------- redraw budget
def test_redraw_budget_caps_drawing_to_a_share_of_elapsed_time():
    budget = RedrawBudget(min_interval=0.0, max_overhead=0.05, first_cost=0.1)
    budget.start(now=0.0)
    now, frames = 0.0, 0
    for _ in range(2000):  # 2,000 epochs of 10 ms; each frame costs 0.1 s
        now += 0.01
        if budget.due(now):
            budget.record(now, now + 0.1)
            now += 0.1
            frames += 1
    assert budget.spent <= 0.05 * now
    assert 9 <= frames <= 11  # 5% of about 20 s is 1 s: ten frames of 0.1 s


def test_redraw_budget_waits_min_interval_between_frames():
    budget = RedrawBudget(min_interval=1.0, max_overhead=1.0, first_cost=0.0)
    budget.start(now=0.0)
    times = []
    for step in range(1, 501):  # 5 s of 10 ms epochs; frames are free
        now = step * 0.01
        if budget.due(now):
            budget.record(now, now)
            times.append(now)
    assert len(times) == 5
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))


def test_redraw_budget_draws_no_frame_just_before_a_runs_final_frame():
    def frames(planned_epochs):
        budget = RedrawBudget(min_interval=0.3, max_overhead=1.0, first_cost=0.0)
        budget.start(now=0.0)
        drawn = []
        for epoch in range(1, 11):  # ten epochs of 0.125 s; frames are free
            now = epoch * 0.125
            if budget.due(now, epochs_done=epoch, planned_epochs=planned_epochs):
                budget.record(now, now)
                drawn.append(epoch)
        return drawn

    assert frames(planned_epochs=None) == [1, 4, 7, 10]
    assert frames(planned_epochs=10) == [1, 4, 7]  # the final frame follows epoch 10 anyway


def test_redraw_budget_backs_off_when_training_gets_only_part_of_the_cpu():
    def frames(cpu_share):
        budget = RedrawBudget(min_interval=0.0, max_overhead=0.05, first_cost=0.1)
        budget.start(now=0.0, cpu=0.0)
        count = 0
        for step in range(1, 2001):  # 20 s of wall time
            now = step * 0.01
            if budget.due(now, cpu=now * cpu_share):
                budget.record(now, now + 0.1)
                count += 1
        return count

    idle, busy = frames(cpu_share=1.0), frames(cpu_share=0.25)
    assert 9 <= idle <= 10  # an idle machine: 5% of 20 s is 1 s, 0.1 s a frame
    assert 1 <= busy <= 2  # a busy one: 5% of the 5 s of CPU that training had


def test_redraw_budget_projects_when_a_run_ends_with_its_final_frame():
    budget = RedrawBudget(first_cost=0.2)
    budget.start(now=10.0)
    # 10 epochs at the first epoch's 30 ms pace plus a 0.2 s frame: 0.5 s from the start.
    assert budget.final_frame_within(now=10.03, epochs_done=1, planned_epochs=10, seconds=0.51)
    assert not budget.final_frame_within(now=10.03, epochs_done=1, planned_epochs=10, seconds=0.49)
    budget.record(start=10.03, end=10.33)  # a measured frame replaces the assumed cost
    assert not budget.final_frame_within(now=10.03, epochs_done=1, planned_epochs=10, seconds=0.51)
    assert not budget.final_frame_within(now=10.0, epochs_done=0, planned_epochs=10, seconds=9.0)
    assert not budget.final_frame_within(now=10.0, epochs_done=1, planned_epochs=None, seconds=9.0)


def test_redraw_budget_leaves_the_frames_a_run_drew_out_of_its_training_time():
    budget = RedrawBudget(first_cost=0.1)
    budget.start(now=0.0)
    budget.record(start=0.05, end=0.35)  # its first point: 0.3 s of drawing
    budget.run_ended(now=0.6, epochs=10)  # so 0.3 s of training
    budget.start(now=1.0)
    # Left to the final frame, the next run's first point comes after 0.3 s + one frame.
    assert budget.final_frame_within(now=1.05, epochs_done=1, planned_epochs=10, seconds=0.61)
    assert not budget.final_frame_within(now=1.05, epochs_done=1, planned_epochs=10, seconds=0.59)


@pytest.mark.parametrize(("first", "frames"), [(True, 2), (60.0, 1), (1e-9, 2), (False, 1)])
def test_a_first_point_in_seconds_leaves_a_quick_run_to_its_final_frame(first, frames):
    sent = []
    options = PlotOptions(display=False, on_frame=sent.append, draw_first_epoch=first)
    plot = LivePlot(options, RedrawBudget(min_interval=1e6))
    plot.begin(planned_epochs=3)
    for epoch in range(3):  # three quick epochs: the run ends well within 60 s
        plot.epoch_ended(epoch, {"loss": 1.0 / (epoch + 1)})
    plot.finish()
    assert len(sent) == plot.redraws == frames
    assert plot.epochs_drawn == 3


@pytest.mark.parametrize("first", [0, -0.5, float("nan"), "soon"])
def test_a_first_point_that_is_not_a_positive_number_of_seconds_is_refused(first):
    with pytest.raises((TypeError, ValueError), match="draw_first_epoch"):
        LiveLossPlot(draw_first_epoch=first)


def test_a_fast_fit_draws_a_bounded_number_of_frames(multi):
    # No clock here: with an interval no run reaches, only the first point and the final
    # frame may be drawn, however fast or slow the machine. The spacing of frames by
    # min_interval is RedrawBudget's, tested with injected clocks.
    model, x, y = multi
    frames = []
    live = LiveLossPlot(display=False, on_frame=frames.append, min_interval=1e6)
    epochs = 20
    fit(model, x, y, live, epochs=epochs)
    assert len(frames) == live.redraws
    assert 1 <= live.redraws <= 2
    assert live.epochs_drawn == epochs  # the final frame holds every epoch
    assert frames[-1] == live.to_png()


def test_a_context_manager_draws_the_final_frame_after_an_interrupt(multi):
    model, x, y = multi
    frames = []
    live = LiveLossPlot(display=False, on_frame=frames.append, min_interval=1e6)
    with pytest.raises(KeyboardInterrupt), live:
        fit(model, x, y, live, epochs=10, extra=[InterruptAt(4)])
    assert live.redraws == 1 and live.epochs_drawn == 4
    assert [len(line.get_xdata()) for line in lines_of(live, "gender loss")] == [4, 4]
    assert frames[-1] == live.to_png()
    # The final frame spans the epochs that ran, not the ten that were planned.
    assert all(ax.get_xlim() == (1.0, 4.0) for ax in live.figure.axes)


def test_redraw_is_safe_from_another_thread_during_fit(multi):
    model, x, y = multi
    frames, errors = [], []
    live = LiveLossPlot(display=False, on_frame=frames.append, min_interval=0.0)
    stop = threading.Event()

    def hammer():
        while not stop.wait(0.02):
            try:
                live.redraw()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        fit(model, x, y, live, epochs=5)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert live.epochs_drawn == 5 and frames[-1] == live.to_png()


def test_outside_ipython_the_callback_displays_nothing(multi, capsys):
    model, x, y = multi
    live = LiveLossPlot()  # display=None: only inside a Jupyter kernel
    fit(model, x, y, live, epochs=2)
    assert capsys.readouterr().out == ""
    assert live.redraws == 0 and live.epochs == [1, 2]


def test_pyplot_keeps_no_figures(multi):
    model, x, y = multi
    before = plt.get_fignums()
    live = LiveLossPlot(display=False, on_frame=lambda png: None, contributions=True)
    fit(model, x, y, live, epochs=2)
    plot_history({"loss": [1.0, 0.5]}).to_png()
    assert plt.get_fignums() == before


# ---------------------------------------------------------------- in a real kernel
KERNEL_CELLS = [
    """
    import json, hashlib
    from helpers.env import quiet_keras_import
    keras = quiet_keras_import()
    import matplotlib.pyplot as plt
    import numpy as np
    from helpers.live import LiveLossPlot, plot_history
    figures_before = len(plt.get_fignums())

    class InterruptAt(keras.callbacks.Callback):
        def __init__(self, epoch):
            super().__init__()
            self.epoch = epoch
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == self.epoch:
                raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = [x[:, :1], (x[:, 1:2] > 0).astype("float32")]
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1, name="score")(hidden),
                                 keras.layers.Dense(1, activation="sigmoid", name="label")(hidden)])
    model.compile("adam", loss=["mse", "binary_crossentropy"])
    model.fit(x, y, epochs=1, batch_size=32, validation_split=0.25, verbose=0)
    """,
    """
    live = LiveLossPlot(min_interval=0.3)
    history = model.fit(x, y, epochs=30, batch_size=32, validation_split=0.25, verbose=0,
                        callbacks=[live])
    """,
    """
    print("STATE " + json.dumps({"redraws": live.redraws, "epochs_drawn": live.epochs_drawn,
                                 "seconds": live.redraw_seconds}))
    """,
    """
    stopped = LiveLossPlot(min_interval=1e6)  # no frame while training: only the last one
    model.fit(x, y, epochs=10, batch_size=32, verbose=0, callbacks=[stopped, InterruptAt(3)])
    """,
    """
    print("STATE " + json.dumps({
        "redraws": stopped.redraws, "epochs_drawn": stopped.epochs_drawn,
        "points": [len(l.get_xdata()) for ax in stopped.figure.axes for l in ax.get_lines()],
        "sha": hashlib.sha256(stopped.to_png()).hexdigest(),
        "new_pyplot_figures": len(plt.get_fignums()) - figures_before}))
    """,
    """
    plot_history(history)
    """,
]


@pytest.fixture(scope="module")
def kernel_notebook(tmp_path_factory):
    """A small notebook that trains with LiveLossPlot, run headless like nbval and CI do."""
    folder = tmp_path_factory.mktemp("live_notebook")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in KERNEL_CELLS]
    nb.cells[3].metadata["tags"] = ["raises-exception"]
    notebook_client(nb, folder, timeout=300).execute(env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    path = folder / "live.ipynb"
    nbformat.write(nb, path)
    return nbformat.read(path, as_version=4)


def state(cell):
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return json.loads(text.split("STATE ", 1)[1])


def test_headless_execution_keeps_the_final_frame_in_the_saved_notebook(kernel_notebook):
    outputs = kernel_notebook.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data"]  # one output, updated in place
    assert outputs[0].data["text/plain"] == FRAME_TEXT
    assert base64.b64decode(outputs[0].data["image/png"]).startswith(b"\x89PNG")
    ran = state(kernel_notebook.cells[2])
    assert ran["epochs_drawn"] == 30


def test_a_fast_fit_in_a_kernel_draws_a_bounded_number_of_frames(kernel_notebook):
    ran = state(kernel_notebook.cells[2])
    assert 1 <= ran["redraws"] <= 10  # 30 epochs: far fewer frames than epochs


def test_an_interrupted_fit_in_a_kernel_ends_with_a_complete_frame(kernel_notebook):
    cell = kernel_notebook.cells[3]
    kinds = [o.output_type for o in cell.outputs]
    assert "error" in kinds and cell.outputs[kinds.index("error")].ename == "KeyboardInterrupt"
    ran = state(kernel_notebook.cells[4])
    assert ran["redraws"] == 1 and ran["epochs_drawn"] == 3
    assert set(ran["points"]) == {3}
    frame = cell.outputs[kinds.index("display_data")].data["image/png"]
    assert hashlib.sha256(base64.b64decode(frame)).hexdigest() == ran["sha"]
    assert ran["new_pyplot_figures"] == 0


def test_plot_history_shows_an_image_in_a_notebook(kernel_notebook):
    (output,) = kernel_notebook.cells[5].outputs
    assert output.output_type == "execute_result"
    assert output.data["text/plain"].startswith("<Loss plot: 30 epochs; panels: total, score")
    assert "image/png" in output.data
