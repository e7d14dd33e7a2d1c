"""The lab's widgets: the only module of :mod:`helpers.lab` that imports ipywidgets.

:class:`LabView` builds the controls (with the stable ``lw-*`` CSS classes), wires each
to one :class:`~helpers.lab._state.LabState` method, and follows the state's traits
(``observe``/``dlink``). A widget change that only shows what the state already holds
is not passed back. It never reads state back out of widget text.
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import dlink

from helpers.lossweights import WEIGHT_MAX, WEIGHT_MIN

from ._messages import run_how, runs_table, weight_text
from ._methods import METHODS, train_mode
from ._records import Run

__all__ = ["LabView", "table_html"]

# A log slider moves by 10**0.05 (12%) per arrow key: 60 presses from 1 to 0.001.
SLIDER_STEP = 0.05
TRAIN_SETTINGS = ["current_run", "button_mode", "button_method", "button_epochs"]
MODE_OPTIONS = [("Retrain", "retrain"), ("Live", "live")]


class LabView:
    """Sliders, mode, epochs, Train / Stop / Reset / Balance, status, plot and runs table."""

    def __init__(self, state: Any, heads: Sequence[str], head_metrics: Mapping[str, str]):
        self.state, self.heads, self.head_metrics = state, tuple(heads), dict(head_metrics)
        self.sliders = {h: self._slider(h, state.weights[h]) for h in self.heads}
        self.mode = widgets.ToggleButtons(
            options=MODE_OPTIONS,
            value=state.button_mode,
            tooltips=[
                "every Train starts from the same initial weights",
                "sliders change the running model's loss weights from the next epoch",
            ],
            style={"button_width": "80px"},
        )
        self.mode.add_class("lw-mode")
        self.mode.observe(self._mode_chosen, names="value")
        self.method = widgets.Dropdown(
            options=[(m.label, m.name) for m in METHODS.values()],
            value=state.button_method,
            description="weights",
            tooltip="who chooses the loss weights when you press Train",
            layout=widgets.Layout(width="220px"),
        )
        self.method.add_class("lw-method")
        self.method.observe(self._method_chosen, names="value")
        self.epochs_box = widgets.BoundedIntText(
            value=state.button_epochs[state.button_mode],
            min=1,
            max=100_000,
            description="epochs",
            layout=widgets.Layout(width="160px"),
        )
        self.epochs_box.add_class("lw-epochs")
        self.epochs_box.observe(self._epochs_typed, names="value")
        self.buttons = {
            "train": _button("Train", "lw-train", "success", "train with the sliders' weights"),
            "stop": _button("Stop", "lw-stop", "danger", "stop: the epoch in progress ends early"),
            "reset": _button("Reset", "lw-reset", "", "sliders and model back to the start"),
            "balance": _button(
                "Balance",
                "lw-balance",
                "info",
                "weights that give every head an equal share of the initial loss",
            ),
        }
        self.buttons["code"] = _button(
            "Code", "lw-code-button", "", "the last run as one cell of plain Keras"
        )
        self.buttons["map"] = _button(
            "Map",
            "lw-map-button",
            "warning",
            "train a 5 x 5 map of the last two heads' weights (the others as the sliders"
            " are), all runs together; then a slider move reads the nearest mapped run",
        )
        self.map_action: Any = None  # set by the lab: starts a map
        self.buttons["map"].on_click(lambda _: self._start_map())
        self.code_source: Any = None  # set by the lab: returns the last run's cell
        self.code = widgets.Textarea(
            layout=widgets.Layout(display="none", width="100%", height="18em")
        )
        self.code.add_class("lw-code")
        self.buttons["code"].on_click(lambda _: self._show_code())
        self.buttons["train"].on_click(lambda _: state.press_train())
        self.buttons["stop"].on_click(lambda _: state.stop(wait=False))
        self.buttons["reset"].on_click(lambda _: state.closed or state.reset())
        self.buttons["balance"].on_click(lambda _: state.closed or state.balance())
        self.buttons["stop"].disabled = True
        self.status = _html("lw-status", "")
        self.message = _html("lw-message", "")
        self.plot = widgets.Image(
            format="png", layout=widgets.Layout(display="none", max_width="100%")
        )
        self.plot.add_class("lw-plot")
        self.table = _html("lw-runs", table_html([], self.heads, self.head_metrics))
        self.map_point = _html("lw-map-point", "")
        self.map_plot = widgets.Image(  # drawn at its own size, not stretched
            format="png",
            layout=widgets.Layout(display="none", max_width="100%", align_self="flex-start"),
        )
        self.map_plot.add_class("lw-map")
        self._map_picture: Any = None
        controls = widgets.VBox(
            [
                self.mode,
                widgets.HBox([self.epochs_box, self.method]),
                widgets.HBox(list(self.buttons.values())),
            ]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([widgets.VBox(list(self.sliders.values())), controls]),
                self.status,
                self.message,
                self.map_point,  # beside the sliders: a slider move shows its numbers here
                self.map_plot,
                self.plot,
                self.table,
                self.code,
            ]
        )
        self.widget.add_class("lw-lab")
        dlink((state, "status"), (self.status, "value"), transform=html.escape)
        dlink((state, "message"), (self.message, "value"), transform=html.escape)
        state.observe(self._show_weights, names="weights")
        state.observe(self._show_runs, names="runs")
        state.observe(self._show_controls, names=TRAIN_SETTINGS)
        state.tasks.observe(self._show_controls, names="kind")  # a map or sweep trains
        state.tasks.observe(lambda change: self._show_map(change["new"]), names="last_map")
        state.observe(lambda _: self.hide_plot(), names="resets")
        state.observe(lambda change: self.retire(change["new"]), names="retired")

    def _slider(self, head: str, value: float):
        slider = widgets.FloatLogSlider(
            value=value,
            base=10,
            min=math.log10(WEIGHT_MIN),
            max=math.log10(WEIGHT_MAX),
            step=SLIDER_STEP,
            description=head,
            readout_format=".3g",
            continuous_update=False,
            tooltip=f"{head} loss weight, {WEIGHT_MIN:g} to {WEIGHT_MAX:g} (log scale)",
            layout=widgets.Layout(width="360px"),
        )
        slider.add_class("lw-slider")
        slider.add_class(f"lw-slider-{head}")
        slider.observe(functools.partial(self._slider_moved, head), names="value")
        return slider

    # ------------------------------------------------------------------ widgets -> state
    # A change that shows what the state already holds (the view following the state,
    # or a run's settings while it trains) is not the learner's: it is not passed back.
    def _slider_moved(self, head: str, change: dict) -> None:
        if change["new"] != self.state.weights.get(head):
            self.state.slider_moved(head, change["new"])

    def _mode_chosen(self, change: dict) -> None:
        state = self.state
        if state.current_run is None and change["new"] != self._train_mode():
            state.set_button_mode(change["new"])

    def _method_chosen(self, change: dict) -> None:
        if change["new"] != self.state.button_method:
            self.state.set_button_method(change["new"])

    def _epochs_typed(self, change: dict) -> None:
        state = self.state
        if state.current_run is None and change["new"] != state.button_epochs[self._train_mode()]:
            state.set_button_epochs(int(change["new"]))

    def _train_mode(self) -> str:
        """The mode Train trains in: the buttons' own, or Retrain when a method chooses."""
        return train_mode(self.state.button_method, self.state.button_mode)

    # ------------------------------------------------------------------ state -> widgets
    def _show_weights(self, change: dict) -> None:
        for head, slider in self.sliders.items():
            slider.value = change["new"][head]
        if self._map_picture is not None:  # the map answers at once; nothing trains
            self._show_map_point(change["new"])

    def _start_map(self) -> None:
        try:
            self.map_action()
        except (RuntimeError, ValueError) as exc:
            self.state.set_message(str(exc))

    def _show_map(self, result: Any) -> None:
        """Draw a new map (its runs-table marks included) and the nearest point's numbers."""
        from ._map_draw import MapPicture

        marks = [run.final_weights or run.weights for run in self.state.runs]
        self._map_picture = MapPicture(result, marks)
        self.map_plot.layout.display = None
        self._show_map_point(self.state.weights)

    def _show_map_point(self, weights: Mapping[str, float]) -> None:
        picture = self._map_picture
        self.map_point.value = html.escape(picture.result.point_text(weights))
        self.map_plot.value = picture.png(weights)

    def _show_runs(self, change: dict) -> None:
        self.table.value = table_html(change["new"], self.heads, self.head_metrics)
        if self._map_picture is not None:  # the map marks the table's runs
            self._show_map(self._map_picture.result)

    def _show_controls(self, change: Any = None) -> None:
        """Mode and epochs show what Train does, or (greyed) what the run in progress does."""
        state, run = self.state, self.state.current_run
        busy = run is not None
        self.buttons["map"].disabled = busy or bool(state.tasks.kind)
        if state.tasks.kind:  # a map or sweep trains: only Stop and Reset act
            self.buttons["train"].disabled = True
            self.buttons["stop"].disabled = False
            return
        self.buttons["train"].disabled = busy
        self.buttons["stop"].disabled = not busy
        self.mode.disabled = busy or METHODS[state.button_method].chooses_weights
        self.epochs_box.disabled = busy
        self.method.disabled = busy
        driven = busy and METHODS[run.method].chooses_weights  # a method moves the sliders
        for slider in self.sliders.values():
            slider.disabled = driven
        mode = ("live" if run.mode == "live" else "retrain") if busy else self._train_mode()
        self.mode.value = mode
        epochs = run.epochs if busy else state.button_epochs[mode]
        self.epochs_box.value = min(epochs, self.epochs_box.max)
        if busy:  # the code box held an older run's cell
            self.hide_code()

    def _show_code(self) -> None:
        """Put the last run's cell in the code box (or say why there is none)."""
        try:
            text = self.code_source()
        except (ValueError, TypeError) as exc:
            self.hide_code()
            self.state.set_message(str(exc))
            return
        self.code.value = text
        self.code.layout.display = None
        self.state.set_message(
            "The last run as one cell of plain Keras: copy it into a new cell and run it."
        )

    def hide_code(self) -> None:
        """Empty and hide the code box (a new run started; Code shows its cell again)."""
        self.code.value = ""
        self.code.layout.display = "none"

    def hide_plot(self) -> None:
        """Hide the curves until the next frame (after a Reset)."""
        self.plot.layout.display = "none"

    def retire(self, text: str) -> None:
        """Disable every control and say why (a newer lab replaced this one)."""
        for control in [*self.sliders.values(), self.mode, self.epochs_box, self.method]:
            control.disabled = True
        for button in self.buttons.values():
            button.disabled = True
        self.message.value = f"<b>{html.escape(text)}</b>"
        self.widget.add_class("lw-retired")

    def show_frame(self, png: bytes) -> None:
        """A new frame of the live curves (called on the drawing thread)."""
        self.plot.value = png
        if self.plot.layout.display == "none":
            self.plot.layout.display = None

    def close(self) -> None:
        """Close every widget (their front-end views go away)."""
        for w in [
            *self.sliders.values(),
            self.mode,
            self.method,
            self.epochs_box,
            *self.buttons.values(),
            self.status,
            self.message,
            self.plot,
            self.table,
            self.map_point,
            self.map_plot,
            self.code,
            self.widget,
        ]:
            w.close()


def table_html(runs: Sequence[Run], heads: Sequence[str], head_metrics: Mapping[str, str]) -> str:
    """The runs table, newest run first, in a box that scrolls after about six rows."""
    if not runs:
        return "<i>No runs yet: press Train.</i>"
    rows = runs_table(runs, heads, head_metrics)
    metric_cols = list(head_metrics.values())
    head = "".join(
        f"<th>{html.escape(c)}</th>"
        for c in ["run", "mode", *(f"weight {h}" for h in heads), *metric_cols, "status"]
    )
    body = []
    for run, row in reversed(list(zip(runs, rows, strict=True))):
        cells = [str(row["run"]), run_how(run), *(weight_text(run, h) for h in heads)]
        cells += ["–" if math.isnan(row[c]) else f"{row[c]:.3f}" for c in metric_cols]
        cells.append(row["status"])
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<style>.lw-runs-table th, .lw-runs-table td {padding: 1px 10px; text-align: right;"
        " white-space: nowrap}"
        " .lw-runs-table th {border-bottom: 1px solid #999; position: sticky; top: 0;"
        " background: var(--jp-layout-color1, white)}</style>"
        "<div>Runs, newest first (metrics on held-out data):</div>"
        '<div class="lw-runs-scroll" style="max-height: 12em; overflow-y: auto">'
        '<table class="lw-runs-table" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _button(label: str, css: str, style: str, tooltip: str):
    button = widgets.Button(description=label, button_style=style, tooltip=tooltip)
    button.layout.width = "90px"
    button.add_class(css)
    return button


def _html(css: str, value: str):
    widget = widgets.HTML(value=value)
    widget.add_class(css)
    return widget
