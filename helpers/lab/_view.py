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

from ._messages import CODE_SHOWN, TOOLTIPS, table_html
from ._methods import METHODS, train_mode

__all__ = ["LabView"]

# A log slider moves by 10**0.05 (12%) per arrow key: 60 presses from 1 to 0.001.
SLIDER_STEP = 0.05
TRAIN_SETTINGS = ["current_run", "button_mode", "button_method", "button_epochs"]
MODE_OPTIONS = [("Retrain", "retrain"), ("Live", "live")]
BUTTONS = [  # name (its label and TOOLTIPS key), CSS class, style
    ("train", "lw-train", "success"),
    ("stop", "lw-stop", "danger"),
    ("reset", "lw-reset", ""),
    ("balance", "lw-balance", "info"),
    ("code", "lw-code-button", ""),
    ("map", "lw-map-button", "warning"),
]


class LabView:
    """Sliders, mode, epochs, Train / Stop / Reset / Balance, status, plot and runs table."""

    def __init__(self, state: Any, heads: Sequence[str], head_metrics: Mapping[str, str]):
        self.state, self.heads, self.head_metrics = state, tuple(heads), dict(head_metrics)
        self.sliders = {h: _slider(h, state.weights[h]) for h in self.heads}
        for head, slider in self.sliders.items():
            slider.observe(functools.partial(self._slider_moved, head), names="value")
        self.mode = _widget(
            widgets.ToggleButtons,
            "lw-mode",
            options=MODE_OPTIONS,
            value=state.button_mode,
            tooltips=[TOOLTIPS[mode] for _, mode in MODE_OPTIONS],
            style={"button_width": "80px"},
        )
        self.mode.observe(self._mode_chosen, names="value")
        self.method = _widget(
            widgets.Dropdown,
            "lw-method",
            options=[(m.label, m.name) for m in METHODS.values()],
            value=state.button_method,
            description="weights",
            tooltip=TOOLTIPS["method"],
            layout={"width": "220px"},
        )
        self.method.observe(self._method_chosen, names="value")
        self.epochs_box = _widget(
            widgets.BoundedIntText,
            "lw-epochs",
            value=state.button_epochs[state.button_mode],
            min=1,
            max=100_000,
            description="epochs",
            layout={"width": "160px"},
        )
        self.epochs_box.observe(self._epochs_typed, names="value")
        self.buttons = {name: _button(name, css, style) for name, css, style in BUTTONS}
        self.buttons["stop"].disabled = True
        self.buttons["train"].on_click(lambda _: state.press_train())
        self.buttons["stop"].on_click(lambda _: state.stop(wait=False))
        self.buttons["reset"].on_click(lambda _: state.closed or state.reset())
        self.buttons["balance"].on_click(lambda _: state.closed or state.balance())
        self.buttons["code"].on_click(lambda _: self._show_code())
        self.buttons["map"].on_click(lambda _: self._start_map())
        self.code_source: Any = None  # set by the lab: returns the last run's cell
        self.map_action: Any = None  # set by the lab: starts a map
        self.status = _widget(widgets.HTML, "lw-status")
        self.message = _widget(widgets.HTML, "lw-message")
        self.table = _widget(widgets.HTML, "lw-runs", value=table_html([], heads, head_metrics))
        self.map_point = _widget(widgets.HTML, "lw-map-point")
        hidden = {"display": "none", "max_width": "100%"}  # shown once there is something
        self.map_plot = _widget(  # drawn at its own size, not stretched
            widgets.Image, "lw-map", format="png", layout={**hidden, "align_self": "flex-start"}
        )
        self.plot = _widget(widgets.Image, "lw-plot", format="png", layout=hidden)
        self.code = _widget(
            widgets.Textarea, "lw-code", layout={**hidden, "width": "100%", "height": "18em"}
        )
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
        self.state.set_message(CODE_SHOWN)

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
        """Close every widget, the boxes too (their front-end views go away)."""
        _close_all(self.widget)


def _slider(head: str, value: float):
    slider = _widget(
        widgets.FloatLogSlider,
        "lw-slider",
        value=value,
        base=10,
        min=math.log10(WEIGHT_MIN),
        max=math.log10(WEIGHT_MAX),
        step=SLIDER_STEP,
        description=head,
        readout_format=".3g",
        continuous_update=False,
        tooltip=f"{head} loss weight, {WEIGHT_MIN:g} to {WEIGHT_MAX:g} (log scale)",
        layout={"width": "360px"},
    )
    slider.add_class(f"lw-slider-{head}")
    return slider


def _button(name: str, css: str, style: str):
    button = _widget(
        widgets.Button, css, description=name.title(), button_style=style, tooltip=TOOLTIPS[name]
    )
    button.layout.width = "90px"
    return button


def _widget(kind: Any, css: str, **options: Any):
    """A ``kind`` widget made with ``options``, with its stable CSS class."""
    widget = kind(**options)
    widget.add_class(css)
    return widget


def _close_all(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close_all(child)
    widget.close()
