"""The loss-weight lab: sliders for a multi-output model's loss weights, live curves, runs.

:class:`LossWeightLab` trains a multi-output model (lesson 03's compact posts model by
default) with one log-scale slider per head. **Retrain** mode starts every run from the
same initial weights and optimizer state, with the same batches in the same order, so
runs differ only by their loss weights. **Live** mode lets a slider change the loss
weights of the running model from the next epoch on; the weights live in non-trainable
variables (:mod:`helpers.lossweights`), so a change costs no recompile and no retrace.

How it stays responsive and safe:

- Training runs on a background thread, so the cell returns at once and the kernel keeps
  handling widget events, in every front end (JupyterLab with or without comms on
  subshells, VS Code, Notebook 7). ``train(block=True)`` trains in the calling thread
  instead, for notebooks and tests.
- Widget callbacks only set state (the weights wanted, a stop flag, a reset request).
  The training thread applies them at epoch boundaries and is the only thread drawing
  while it runs; a module-wide lock keeps any two labs' drawing apart.
- Everything shown goes into the lab's own widgets (plot image, status line, runs
  table); nothing is printed from the training thread, so no output lands in another
  cell.
- Stop ends a run within one epoch. A run whose loss becomes NaN stops, says so and puts
  the model back to its initial weights. Creating a lab stops every other lab's
  training first, so re-running a cell never leaves a training thread behind;
  :meth:`LossWeightLab.close` stops the lab for good.

This is the only module in ``helpers`` that knows about widgets and threads.

Examples
--------
>>> lab = LossWeightLab()  # doctest: +SKIP
>>> lab  # doctest: +SKIP
>>> lab.train(weights={"age": 0.25, "income": 1, "gender": 10}, block=True)  # doctest: +SKIP
{'age_loss': ..., 'age_mae': ..., 'gender_accuracy': ..., 'gender_loss': ..., ...}
"""

from __future__ import annotations

import html
import io
import math
import numbers
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpers.env import quiet_keras_import
from helpers.live import LiveLossPlot
from helpers.lossweights import LossWeights, balanced_weights, check_loss_weights

keras = quiet_keras_import()

__all__ = ["LabDivergedError", "LossWeightLab", "Run", "SweepResult"]

SLIDER_MIN = 0.001
SLIDER_MAX = 100.0
MODES = ("retrain", "live")

# Any drawing the lab does (live frames, sweep figures) holds this lock, so two labs'
# threads never render at the same time.
_DRAW_LOCK = threading.RLock()

# Every lab alive in this kernel; a new lab stops the others' training first.
_LABS: weakref.WeakSet = weakref.WeakSet()

_POSTS_HEADS = ("age", "income", "gender")


class LabDivergedError(RuntimeError):
    """A blocking run's loss became NaN or infinite; the lab is reset and still usable."""


@dataclass
class Run:
    """One training run of the lab, as the runs table shows it.

    Attributes
    ----------
    number : int
        1 for the lab's first run, then counting up.
    mode : str
        ``"retrain"``, ``"live"`` or ``"sweep"``.
    weights : dict of str to float
        The loss weights the run started with.
    final_weights : dict of str to float
        The loss weights in use at its last epoch (differ from ``weights`` in live mode
        when a slider moved).
    weight_changes : list of (int, dict)
        Live mode: the epoch (1-based) from which new weights applied, and the weights.
    epochs : int
        Epochs asked for.
    epochs_run : int
        Epochs completed.
    status : str
        ``"running"``, ``"done"``, ``"stopped"``, ``"diverged"``, ``"failed"`` or
        ``"interrupted"``.
    metrics : dict of str to float or None
        Held-out results, named as ``model.evaluate(..., return_dict=True)`` names them;
        None when the run diverged or failed.
    history : dict of str to list of float
        Every epoch's training logs, plus ``"weight/<head>"`` for the weights in use.
    message : str
        One line for the learner: how the run ended.
    seconds : float
        Wall time from the request to the held-out results.
    first_point_seconds : float or None
        Wall time from the request to the first frame with a curve point.
    epoch_seconds : list of float
        Wall time of each epoch's training steps (drawing not included).
    """

    number: int
    mode: str
    weights: dict[str, float]
    epochs: int
    final_weights: dict[str, float] = field(default_factory=dict)
    weight_changes: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    epochs_run: int = 0
    status: str = "running"
    metrics: dict[str, float] | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    first_point_seconds: float | None = None
    epoch_seconds: list[float] = field(default_factory=list)
    error: BaseException | None = field(default=None, repr=False)


@dataclass
class _Request:
    weights: dict[str, float]
    epochs: int
    mode: str
    draw: bool
    requested: float
    stop: threading.Event = field(default_factory=threading.Event)


class LossWeightLab:
    """Loss-weight sliders, live per-head curves and a table of runs for a multi-output model.

    Parameters
    ----------
    build_model : callable, optional
        Returns a new, *uncompiled* ``keras.Model`` with at least two named outputs.
        Default: :func:`helpers.models.compact_posts_model`.
    data : Posts, (Posts, Posts) or ((x_train, y_train), (x_test, y_test)), optional
        Training and held-out data. A single ``Posts`` is split with ``test_fraction``;
        ``y`` may be a dict keyed by output name or a list in output order.
        Default: ``make_posts(3000, standardize_age=True, seed=0)``.
    loss : dict, optional
        One loss per output name. Default for the posts heads: MSE for ``age``,
        (sparse) categorical cross-entropy for ``income``, binary cross-entropy for
        ``gender``; other models must give it.
    metrics : dict, optional
        Metrics per output name; the first one of each head is that head's column in
        the runs table. Default: MAE for MSE heads, accuracy for cross-entropy heads.
    optimizer : str, keras.optimizers.Optimizer or callable, default Adam(0.02)
        The optimizer, or a function returning a new one. Its state goes back to the
        start before every run.
    weights : dict or float, default 1.0
        Starting loss weights, and what Reset returns to.
    mode : {"retrain", "live"}, default "retrain"
        What Train does (the mode buttons change it).
    epochs : int, default 10
        Epochs of a retrain run.
    live_epochs : int, default 100
        Epochs of a live run (Stop ends it earlier).
    batch_size : int, default 64
    steps_per_execution : int, default 8
        Training steps per call into the backend; larger is faster for small models.
    test_fraction : float, default 0.2
        Held-out share when ``data`` is a single ``Posts``.

    Attributes
    ----------
    model : keras.Model
        The compiled model (compiled once; runs reset its weights).
    loss_weights : helpers.lossweights.LossWeights
        The variables the compiled loss reads.
    heads : tuple of str
        The output names.
    head_metrics : dict of str to str
        For each head, the held-out metric the runs table shows (``"gender_accuracy"``).
    initial_losses : dict of str to float
        Each head's unweighted training loss at the initial weights (what Balance uses).
    runs : list of Run
        Every finished run, oldest first.

    Examples
    --------
    >>> lab = LossWeightLab()  # doctest: +SKIP
    >>> scores = lab.train(weights={"gender": 10}, block=True)  # doctest: +SKIP
    >>> scores["gender_accuracy"] > 0.8  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        build_model: Callable[[], Any] | None = None,
        data: Any = None,
        *,
        loss: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        optimizer: Any = None,
        weights: Mapping[str, float] | float = 1.0,
        mode: str = "retrain",
        epochs: int = 10,
        live_epochs: int = 100,
        batch_size: int = 64,
        steps_per_execution: int = 8,
        test_fraction: float = 0.2,
    ) -> None:
        self._epochs = {
            "retrain": _check_int("epochs", epochs, low=1, high=10_000),
            "live": _check_int("live_epochs", live_epochs, low=1, high=100_000),
        }
        self.batch_size = _check_int("batch_size", batch_size, low=1, high=1_000_000)
        self.steps_per_execution = _check_int(
            "steps_per_execution", steps_per_execution, low=1, high=10_000
        )
        mode = _check_mode(mode)
        if build_model is not None and not callable(build_model):
            raise TypeError(
                f"build_model must be a function returning an uncompiled keras.Model, "
                f"got {build_model!r}"
            )

        # Stop every other lab's training before this one starts using the CPU.
        for other in list(_LABS):
            other.stop(wait=True)

        (self._x_train, y_train), (self._x_test, y_test) = _unpack_data(data, test_fraction)
        if build_model is None:
            from helpers.models import compact_posts_model

            build_model = compact_posts_model
        model = build_model()
        if not isinstance(model, keras.Model):
            raise TypeError(f"build_model must return a keras.Model, got {type(model).__name__}")
        heads = tuple(model.output_names or ())
        if len(heads) < 2:
            raise ValueError(
                f"the lab needs a model with at least two named outputs, got {list(heads)}; "
                "give each output layer a name (Dense(1, name='age'))"
            )
        self.heads = heads
        self._y_train = _targets_by_head(y_train, heads, "training")
        self._y_test = _targets_by_head(y_test, heads, "held-out")
        loss = dict(loss) if loss is not None else _default_loss(heads, self._y_train)
        metrics = dict(metrics) if metrics is not None else _default_metrics(loss)
        unknown = sorted(set(metrics) - set(heads))
        if unknown:
            raise ValueError(f"metrics name unknown heads {unknown}; the heads are {list(heads)}")

        initial = (
            dict.fromkeys(heads, weights)
            if isinstance(weights, numbers.Real) and not isinstance(weights, bool)
            else weights
        )
        self.loss_weights = LossWeights(heads)
        self._initial_weights = self.loss_weights.check(initial)
        self.loss_weights.assign(self._initial_weights)
        self.loss_weights.compile(
            model,
            loss=loss,
            optimizer=_make_optimizer(optimizer),
            metrics=metrics,
            steps_per_execution=self.steps_per_execution,
        )
        self.model = model
        self.head_metrics = {h: _head_metric(h, metrics.get(h)) for h in heads}

        # State shared between widget callbacks, the API and the training thread.
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._model_lock = threading.Lock()
        self._weights = dict(self._initial_weights)
        self._mode = mode
        self._pending: dict[str, float] | None = None
        self._request: _Request | None = None
        self._current_run: Run | None = None
        self._thread: threading.Thread | None = None
        self._reset_requested = False
        self._syncing_widgets = False
        self._closed = False
        self.runs: list[Run] = []
        self._run_count = 0
        self.message = ""

        self._save_initial_state()
        self._curves = LiveLossPlot(
            contributions=True,
            metrics=True,
            loss_weights=self.loss_weights.values,
            min_interval=0.5,
            max_overhead=0.25,
            columns=4,
            panel_size=(3.0, 2.0),
            dpi=72,
            display=False,
            on_frame=self._on_frame,
        )
        self._build_widgets()
        _LABS.add(self)

    # ------------------------------------------------------------------ set-up
    def _save_initial_state(self) -> None:
        """Snapshot weights and optimizer state, measure initial losses, trace the steps.

        Tracing here (one short fit and two evaluations) means that no Train click
        waits for it later.
        """
        model = self.model
        model.optimizer.build(model.trainable_variables)
        self._initial_model_weights = [v.numpy() for v in model.weights]
        self._initial_optimizer_state = [v.numpy() for v in model.optimizer.variables]
        scores = model.evaluate(
            self._x_train,
            self._y_train,
            batch_size=self.batch_size,
            verbose=0,
            return_dict=True,
        )
        self.initial_losses = {h: float(scores[f"{h}_loss"]) for h in self.heads}
        model.fit(
            self._x_train,
            self._y_train,
            batch_size=self.batch_size,
            epochs=1,
            verbose=0,
            shuffle=False,
        )
        self._restore_initial_state()
        model.evaluate(self._x_test, self._y_test, batch_size=self.batch_size, verbose=0)

    def _restore_initial_state(self) -> None:
        for variable, value in zip(self.model.weights, self._initial_model_weights, strict=True):
            variable.assign(value)
        optimizer_variables = self.model.optimizer.variables
        for variable, value in zip(optimizer_variables, self._initial_optimizer_state, strict=True):
            variable.assign(value)

    def _build_widgets(self) -> None:
        import ipywidgets as widgets

        self._sliders = {}
        for head in self.heads:
            slider = widgets.FloatLogSlider(
                value=min(SLIDER_MAX, max(SLIDER_MIN, self._weights[head])),
                base=10,
                min=math.log10(SLIDER_MIN),
                max=math.log10(SLIDER_MAX),
                step=0.01,
                description=head,
                readout_format=".3g",
                continuous_update=False,
                layout=widgets.Layout(width="360px"),
            )
            slider.add_class("lw-slider")
            slider.add_class(f"lw-slider-{head}")
            slider.observe(self._on_slider, names="value")
            self._sliders[head] = slider

        self._mode_buttons = widgets.ToggleButtons(
            options=[("Retrain", "retrain"), ("Live", "live")],
            value=self._mode,
            tooltips=[
                "every Train starts from the same initial weights",
                "sliders change the running model's loss weights from the next epoch",
            ],
            style={"button_width": "80px"},
        )
        self._mode_buttons.add_class("lw-mode")
        self._mode_buttons.observe(self._on_mode, names="value")
        self._epochs_box = widgets.BoundedIntText(
            value=self._epochs[self._mode],
            min=1,
            max=100_000,
            description="epochs",
            layout=widgets.Layout(width="160px"),
        )
        self._epochs_box.add_class("lw-epochs")
        self._epochs_box.observe(self._on_epochs, names="value")

        def button(label, css, style, tooltip, handler):
            b = widgets.Button(description=label, button_style=style, tooltip=tooltip)
            b.layout.width = "90px"
            b.add_class(css)
            b.on_click(handler)
            return b

        self._train_button = button(
            "Train", "lw-train", "success", "train with the sliders' weights", self._on_train
        )
        self._stop_button = button(
            "Stop", "lw-stop", "danger", "stop at the end of this batch", self._on_stop
        )
        self._reset_button = button(
            "Reset", "lw-reset", "", "sliders and model back to the start", self._on_reset
        )
        self._balance_button = button(
            "Balance",
            "lw-balance",
            "info",
            "weights that give every head an equal share of the initial loss",
            self._on_balance,
        )
        self._status = widgets.HTML(value=self._status_text())
        self._status.add_class("lw-status")
        self._message = widgets.HTML(value="")
        self._message.add_class("lw-message")
        self._plot = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self._plot.add_class("lw-plot")
        self._table = widgets.HTML(value=self._table_html())
        self._table.add_class("lw-runs")

        controls = widgets.VBox(
            [
                self._mode_buttons,
                self._epochs_box,
                widgets.HBox(
                    [
                        self._train_button,
                        self._stop_button,
                        self._reset_button,
                        self._balance_button,
                    ]
                ),
            ]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([widgets.VBox(list(self._sliders.values())), controls]),
                self._status,
                self._message,
                self._plot,
                self._table,
            ]
        )
        self.widget.add_class("lw-lab")

    # ------------------------------------------------------------------ public API
    @property
    def weights(self) -> dict[str, float]:
        """The loss weights the next run starts with (what the sliders show)."""
        with self._lock:
            return dict(self._weights)

    @property
    def mode(self) -> str:
        """``"retrain"`` or ``"live"``: what Train does."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        value = _check_mode(value)
        self._mode_buttons.value = value  # its observer sets the state

    @property
    def sliders(self) -> dict[str, Any]:
        """The weight slider of each head (``ipywidgets.FloatLogSlider``, log scale)."""
        return dict(self._sliders)

    @property
    def buttons(self) -> dict[str, Any]:
        """The ``"train"``, ``"stop"``, ``"reset"`` and ``"balance"`` buttons."""
        return {
            "train": self._train_button,
            "stop": self._stop_button,
            "reset": self._reset_button,
            "balance": self._balance_button,
        }

    @property
    def plot(self) -> Any:
        """The ``ipywidgets.Image`` showing the live curves (PNG frames)."""
        return self._plot

    @property
    def table(self) -> Any:
        """The ``ipywidgets.HTML`` holding the runs table."""
        return self._table

    @property
    def curves(self) -> LiveLossPlot:
        """The live plot of the latest drawn run; shows as its final figure in a notebook."""
        return self._curves

    @property
    def current_run(self) -> Run | None:
        """The run in progress (its ``epochs_run`` and ``history`` grow), or None."""
        with self._lock:
            return self._current_run

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        with self._lock:
            return self._request is not None

    @property
    def status(self) -> str:
        """The status line's text (the loss weights in use, the epoch)."""
        return _strip_tags(self._status.value)

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set the weights the sliders show; heads left out keep their value.

        In live mode, during a run, the running model uses them from the next epoch;
        otherwise the next run starts with them. Returns the complete weights.

        Raises
        ------
        ValueError
            For an unknown head, or a weight that is negative, NaN or infinite, or when
            every weight would be 0 (the message lists what is allowed).
        """
        self._check_open()
        with self._lock:
            new = check_loss_weights(weights, self.heads, current=self._weights)
            self._weights = new
            self._queue_live_change()
        self._show_weights_on_sliders(new)
        return dict(new)

    def train(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        epochs: int | None = None,
        block: bool = False,
        mode: str | None = None,
        draw: bool = True,
    ) -> dict[str, float] | None:
        """Train once with the given loss weights (heads left out keep the sliders' value).

        Parameters
        ----------
        weights : dict of str to float, optional
            Loss weights for some or all heads; the sliders move to them.
        epochs : int, optional
            Defaults to the epochs box (10 for retrain, 100 for live).
        block : bool, default False
            True: train in this thread and return the held-out metrics. False: train
            on a background thread and return None at once (see :meth:`wait`).
        mode : {"retrain", "live"}, optional
            Defaults to the mode buttons. Both start from the initial weights; in live
            mode, :meth:`set_weights` and the sliders change the running model's loss
            weights from the next epoch on.
        draw : bool, default True
            Draw the live curves into the lab's plot.

        Returns
        -------
        dict or None
            With ``block=True``, the held-out metrics, named as
            ``model.evaluate(..., return_dict=True)`` names them.

        Raises
        ------
        ValueError
            For bad weights (see :meth:`set_weights`) or epochs.
        RuntimeError
            If a run is already in progress.
        LabDivergedError
            With ``block=True``, if the loss became NaN; the lab stays usable.
        """
        self._check_open()
        request = self._make_request(weights, epochs, mode, draw)
        if block:
            run = self._run(request)
            if run.status == "diverged":
                raise LabDivergedError(run.message)
            if run.status == "failed" and run.error is not None:
                raise run.error
            return dict(run.metrics) if run.metrics is not None else None
        thread = threading.Thread(
            target=self._run, args=(request,), name="loss-weight-lab-training", daemon=True
        )
        with self._lock:
            self._thread = thread
        thread.start()
        return None

    def wait(self, timeout: float | None = None, *, epoch: int | None = None) -> Run | None:
        """Wait until no run is in progress and return the latest run (None if none yet).

        With ``epoch``, return as soon as the run in progress has finished that many
        epochs (or has ended), giving the run. Raises ``TimeoutError`` if still waiting
        after ``timeout`` seconds.
        """
        if epoch is not None:
            epoch = _check_int("epoch", epoch, low=1, high=10_000_000)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._request is not None:
                run = self._current_run
                if epoch is not None and run is not None and run.epochs_run >= epoch:
                    return run
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"the lab is still training after {timeout} s")
                self._idle.wait(remaining)
            return self.runs[-1] if self.runs else None

    def stop(self, wait: bool = False, timeout: float | None = 30.0) -> None:
        """Ask the current run to stop; it ends within one epoch.

        With ``wait=True``, return only once the training thread has ended.
        """
        with self._lock:
            if self._request is not None:
                self._request.stop.set()
            thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def reset(self) -> None:
        """Stop training, put sliders and model back to the start, clear the curves.

        The runs table keeps earlier runs (:meth:`clear_runs` empties it).
        """
        self._check_open()
        with self._lock:
            self._weights = dict(self._initial_weights)
            self._pending = None
            if self._request is not None:
                self._request.stop.set()
                self._reset_requested = True
                busy = True
            else:
                busy = False
        self._show_weights_on_sliders(self._initial_weights)
        if not busy:
            self._do_reset()

    def balance(self) -> dict[str, float]:
        """Set weights that give every head the same share of the initial total loss.

        Each head gets ``G / initial_loss``, where ``G`` is the geometric mean of the
        heads' initial losses, clipped to the sliders' range (0.001 to 100). The
        explanation is in :attr:`message` and under the sliders. Returns the weights.
        """
        self._check_open()
        weights = balanced_weights(self.initial_losses, low=SLIDER_MIN, high=SLIDER_MAX)
        self.set_weights(weights)
        shares = {h: weights[h] * self.initial_losses[h] for h in self.heads}
        losses = ", ".join(f"{h} {self.initial_losses[h]:.3g}" for h in self.heads)
        chosen = ", ".join(f"{h} {weights[h]:.3g}" for h in self.heads)
        spread = max(shares.values()) / min(shares.values())
        share_text = (
            "so every head starts with the same share of the total "
            f"({_fmt(next(iter(shares.values())))} each)"
            if spread < 1.01
            else "clipped to the sliders' range, so the shares are only nearly equal"
        )
        self._set_message(
            f"Balance: at the initial weights the losses are {losses}; "
            f"weights {chosen} make each weighted loss equal, {share_text}."
        )
        return weights

    def sweep(
        self,
        head: str,
        values: Sequence[float] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0),
        *,
        weights: Mapping[str, float] | None = None,
        epochs: int | None = None,
    ) -> SweepResult:
        """Retrain once per value of one head's weight; plot every head's held-out metric.

        Parameters
        ----------
        head : str
            The head whose loss weight varies.
        values : sequence of float
            Its weights, one run each.
        weights : dict, optional
            The other heads' weights; default: the sliders' values.
        epochs : int, optional
            Epochs per run (default: the retrain epochs).

        Returns
        -------
        SweepResult
            Shown as the trade-off figure; ``metric(h)`` gives head ``h``'s held-out
            metric for each value (NaN where a run diverged). Stop ends the sweep; the
            result then holds the runs completed before it.
        """
        self._check_open()
        if head not in self.heads:
            raise ValueError(f"head must be one of {list(self.heads)}, got {head!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"values must be a non-empty list of weights, got {values!r}")
        base = check_loss_weights(weights or {}, self.heads, current=self.weights)
        plans = [
            check_loss_weights({head: v}, self.heads, current=base) for v in values
        ]  # all checked before any training
        epochs = self._epochs["retrain"] if epochs is None else epochs
        results = []
        for index, plan in enumerate(plans, start=1):
            self._set_message(f"Sweep over the {head} weight: run {index} of {len(plans)} ...")
            request = self._make_request(plan, epochs, "retrain", draw=False, kind="sweep")
            run = self._run(request)
            if run.status == "stopped":  # Stop (or Reset) ends the whole sweep
                break
            results.append(run.metrics if run.metrics is not None else {})
        done = len(results)
        self._set_message(
            f"Sweep over the {head} weight: {done} runs done."
            if done == len(plans)
            else f"Sweep over the {head} weight stopped after {done} of {len(plans)} runs."
        )
        return SweepResult(
            head=head,
            values=[p[head] for p in plans[:done]],
            others={h: base[h] for h in self.heads if h != head},
            results=results,
            head_metrics=dict(self.head_metrics),
        )

    def clear_runs(self) -> None:
        """Empty the runs table."""
        with self._lock:
            self.runs.clear()
        self._table.value = self._table_html()

    def runs_table(self) -> list[dict[str, Any]]:
        """The runs table as rows: number, mode, status, each weight, each head's metric."""
        with self._lock:
            runs = list(self.runs)
        rows = []
        for run in runs:
            row: dict[str, Any] = {"run": run.number, "mode": run.mode, "status": run.status}
            for h in self.heads:
                row[f"weight {h}"] = run.final_weights.get(h, run.weights[h])
            for key in self.head_metrics.values():
                row[key] = run.metrics.get(key, math.nan) if run.metrics else math.nan
            rows.append(row)
        return rows

    def close(self) -> None:
        """Stop training, wait for the thread to end and close the widgets."""
        if self._closed:
            return
        self.stop(wait=True)
        self._closed = True
        _LABS.discard(self)
        self._close_widgets()

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        # What a page without widgets (a saved notebook on GitHub) shows instead.
        bundle["text/plain"] = (
            f"Loss-weight lab for the heads {', '.join(self.heads)}: weight sliders, "
            "Train / Stop / Reset / Balance, live curves and a table of runs "
            "(run the notebook in Jupyter to use it)."
        )
        return bundle

    def __repr__(self) -> str:
        weights = ", ".join(f"{h}={_fmt(w)}" for h, w in self.weights.items())
        heads = ", ".join(self.heads)
        return f"<LossWeightLab: heads {heads}; weights {weights}; {len(self.runs)} runs>"

    # ------------------------------------------------------------------ widget callbacks
    # Each only changes state; the training thread or the next request acts on it.
    def _on_slider(self, change: dict) -> None:
        with self._lock:
            if self._syncing_widgets or self._closed:
                return
            head = change["owner"].description
            self._weights[head] = float(change["new"])
            self._queue_live_change()

    def _on_mode(self, change: dict) -> None:
        with self._lock:
            self._epochs[self._mode] = int(self._epochs_box.value)
            self._mode = change["new"]
            epochs = self._epochs[self._mode]
        self._epochs_box.value = epochs

    def _on_epochs(self, change: dict) -> None:
        with self._lock:
            self._epochs[self._mode] = int(change["new"])

    def _on_train(self, _button: Any) -> None:
        if self._closed:
            return
        try:
            self.train(block=False)
        except (RuntimeError, ValueError) as exc:
            self._set_message(str(exc))

    def _on_stop(self, _button: Any) -> None:
        self.stop(wait=False)

    def _on_reset(self, _button: Any) -> None:
        if not self._closed:
            self.reset()

    def _on_balance(self, _button: Any) -> None:
        if not self._closed:
            self.balance()

    # ------------------------------------------------------------------ training
    def _make_request(self, weights, epochs, mode, draw, kind=None) -> _Request:
        mode = self._mode if mode is None else _check_mode(mode)
        epochs = (
            self._epochs[mode]
            if epochs is None
            else _check_int("epochs", epochs, low=1, high=100_000)
        )
        with self._lock:
            if self._request is not None:
                raise RuntimeError(
                    "a run is already in progress: press Stop (or call lab.stop(wait=True)) first"
                )
            full = check_loss_weights(weights or {}, self.heads, current=self._weights)
            self._weights = dict(full)
            self._pending = None
            request = _Request(
                weights=full,
                epochs=epochs,
                mode=kind or mode,
                draw=bool(draw),
                requested=time.perf_counter(),
            )
            self._request = request
        self._show_weights_on_sliders(full)
        return request

    def _run(self, request: _Request) -> Run:
        """Train once; runs in the training thread, or the caller's for ``block=True``."""
        with self._lock:
            self._run_count += 1
            run = Run(
                number=self._run_count,
                mode=request.mode,
                weights=dict(request.weights),
                epochs=request.epochs,
            )
            self._current_run = run
        try:
            with self._model_lock:
                self._restore_initial_state()
                self.loss_weights.assign(request.weights)
                run.final_weights = dict(request.weights)
                callbacks = [_RunControl(self, run, request)]
                if request.draw:
                    callbacks.append(_CurveFeeder(self._curves, self, run, request))
                self._set_status(run, 0)
                self.model.fit(
                    self._x_train,
                    self._y_train,
                    batch_size=self.batch_size,
                    epochs=request.epochs,
                    verbose=0,
                    shuffle=False,
                    callbacks=callbacks,
                )
                if run.status != "diverged":
                    scores = self.model.evaluate(
                        self._x_test,
                        self._y_test,
                        batch_size=self.batch_size,
                        verbose=0,
                        return_dict=True,
                    )
                    scores = {k: float(v) for k, v in scores.items()}
                    if not all(math.isfinite(v) for v in scores.values()):
                        run.status = "diverged"
                        run.message = _diverged_text(run, "the held-out loss is NaN")
                    else:
                        run.metrics = scores
                if run.status == "diverged":
                    self._restore_initial_state()
                elif request.stop.is_set() and run.epochs_run < run.epochs:
                    run.status = "stopped"
                    run.message = (
                        f"Run {run.number} stopped after epoch {run.epochs_run} of {run.epochs}."
                    )
                else:
                    run.status = "done"
                    run.message = f"Run {run.number} done: {run.epochs_run} epochs."
        except Exception as exc:  # shown in the lab; raised again for block=True
            run.status = "failed"
            run.error = exc
            run.message = f"Run {run.number} failed: {type(exc).__name__}: {exc}"
        except BaseException:  # KeyboardInterrupt while blocking: note it, then let it go
            run.status = "interrupted"
            run.message = f"Run {run.number} interrupted after epoch {run.epochs_run}."
            raise
        finally:
            run.seconds = time.perf_counter() - request.requested
            self._finish(run)
        return run

    def _finish(self, run: Run) -> None:
        """Record the run and update the views, then let the next run start."""
        try:
            with self._lock:
                self.runs.append(run)
                reset, self._reset_requested = self._reset_requested, False
            if not self._closed:
                self._table.value = self._table_html()
                self._set_status(run, run.epochs_run, done=True)
                self._set_message(run.message)
                if reset:
                    self._do_reset()
        finally:
            with self._lock:
                self._request = None
                self._current_run = None
                if self._thread is threading.current_thread():
                    self._thread = None
                self._idle.notify_all()

    def _do_reset(self) -> None:
        with self._model_lock:
            self._restore_initial_state()
            self.loss_weights.assign(self._initial_weights)
        self._plot.layout.display = "none"
        self._status.value = self._status_text()
        self._set_message(
            "Reset: sliders and model are back at the start; earlier runs stay in the table."
        )

    def _queue_live_change(self) -> None:
        """Called with the lock held: hand the new weights to a running live run."""
        if self._request is not None and self._request.mode == "live":
            self._pending = dict(self._weights)

    def _take_pending(self) -> dict[str, float] | None:
        with self._lock:
            pending, self._pending = self._pending, None
            return pending

    def _on_frame(self, png: bytes) -> None:
        """LiveLossPlot's frame hook, on the drawing thread: show the new frame."""
        self._plot.value = png
        if self._plot.layout.display == "none":
            self._plot.layout.display = None

    # ------------------------------------------------------------------ views
    def _show_weights_on_sliders(self, weights: Mapping[str, float]) -> None:
        with self._lock:
            self._syncing_widgets = True
            try:
                for head, slider in self._sliders.items():
                    slider.value = min(SLIDER_MAX, max(SLIDER_MIN, weights[head]))
            finally:
                self._syncing_widgets = False

    def _status_text(self, run: Run | None = None, epoch: int = 0, done: bool = False) -> str:
        in_use = self.loss_weights.values()
        text = "loss weights in use: " + ", ".join(f"{h}={_fmt(in_use[h])}" for h in self.heads)
        if run is None:
            return html.escape(text)
        state = run.status if done else f"epoch {epoch}/{run.epochs}"
        return html.escape(f"{text} · run {run.number} ({run.mode}): {state}")

    def _set_status(self, run: Run, epoch: int, done: bool = False) -> None:
        if not self._closed:
            self._status.value = self._status_text(run, epoch, done)

    def _set_message(self, text: str) -> None:
        self.message = text
        if not self._closed:
            self._message.value = html.escape(text)

    def _table_html(self) -> str:
        rows = self.runs_table()
        if not rows:
            return "<i>No runs yet: press Train.</i>"
        weight_cols = [f"weight {h}" for h in self.heads]
        metric_cols = list(self.head_metrics.values())
        head = "".join(
            f"<th>{html.escape(c)}</th>"
            for c in ["run", "mode", *weight_cols, *metric_cols, "status"]
        )
        body = []
        for row in rows:
            cells = [str(row["run"]), row["mode"]]
            cells += [_fmt(row[c]) for c in weight_cols]
            cells += ["–" if math.isnan(row[c]) else f"{row[c]:.3f}" for c in metric_cols]
            cells.append(row["status"])
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return (
            "<style>.lw-runs-table th, .lw-runs-table td {padding: 1px 10px; text-align: right}"
            " .lw-runs-table th {border-bottom: 1px solid #999}</style>"
            '<table class="lw-runs-table" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def _close_widgets(self) -> None:
        for w in [
            *self._sliders.values(),
            self._mode_buttons,
            self._epochs_box,
            self._train_button,
            self._stop_button,
            self._reset_button,
            self._balance_button,
            self._status,
            self._message,
            self._plot,
            self._table,
            self.widget,
        ]:
            w.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this lab was closed; create a new LossWeightLab()")


class _RunControl(keras.callbacks.Callback):
    """Applies live weight changes, honours Stop, spots divergence, updates the status."""

    async_safe = True  # on_train_batch_end only reads an Event and sets a flag

    def __init__(self, lab: LossWeightLab, run: Run, request: _Request) -> None:
        super().__init__()
        self.lab, self.run, self.request = lab, run, request
        self._epoch_started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pending = self.lab._take_pending() if self.request.mode == "live" else None
        if pending is not None and pending != self.run.final_weights:
            self.lab.loss_weights.assign(pending)
            self.run.final_weights = dict(pending)
            self.run.weight_changes.append((epoch + 1, dict(pending)))
        self.lab._set_status(self.run, epoch + 1)
        self._epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.request.stop.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.run.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        self.run.epochs_run = epoch + 1
        history = self.run.history
        values = {k: float(v) for k, v in logs.items() if _is_number(v)}
        values.update({f"weight/{h}": w for h, w in self.run.final_weights.items()})
        for key, value in values.items():
            history.setdefault(key, [math.nan] * epoch).append(value)
        with self.lab._idle:
            self.lab._idle.notify_all()  # for wait(epoch=...)
        if not all(math.isfinite(v) for v in values.values()):
            self.run.status = "diverged"
            self.run.message = _diverged_text(self.run, "the training loss became NaN or infinite")
            self.model.stop_training = True
        if self.request.stop.is_set():
            self.model.stop_training = True


class _CurveFeeder(keras.callbacks.Callback):
    """Passes a run's epochs to the lab's LiveLossPlot while holding the drawing lock.

    The first epoch is drawn at once (whatever the redraw budget says), so a curve
    point appears as soon as the first epoch ends.
    """

    def __init__(self, curves: LiveLossPlot, lab: LossWeightLab, run: Run, request: _Request):
        super().__init__()
        self.curves, self.lab, self.run, self.request = curves, lab, run, request

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self.curves.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.curves.set_params(params)

    def on_train_begin(self, logs: dict | None = None) -> None:
        with _DRAW_LOCK:
            self.curves.on_train_begin(logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        with _DRAW_LOCK:
            self.curves.on_epoch_end(epoch, logs)
            if self.curves.epochs_drawn == 0:
                self.curves.redraw()
        if self.run.first_point_seconds is None and self.curves.epochs_drawn > 0:
            self.run.first_point_seconds = time.perf_counter() - self.request.requested

    def on_train_end(self, logs: dict | None = None) -> None:
        with _DRAW_LOCK:
            self.curves.on_train_end(logs)


@dataclass
class SweepResult:
    """Held-out metrics of a sweep over one head's loss weight (the trade-off picture).

    Shown in a notebook as a figure: one panel per head, its held-out metric against the
    swept weight (log scale).
    """

    head: str
    values: list[float]
    others: dict[str, float]
    results: list[dict[str, float]]
    head_metrics: dict[str, str]

    def metric(self, head: str) -> list[float]:
        """Head ``head``'s held-out metric for each swept value (NaN for a failed run)."""
        key = self.head_metrics[head]
        return [r.get(key, math.nan) for r in self.results]

    def rows(self) -> list[dict[str, float]]:
        """One row per swept value: the weight, then each head's held-out metric."""
        return [
            {
                f"{self.head} weight": v,
                **{k: r.get(k, math.nan) for k in self.head_metrics.values()},
            }
            for v, r in zip(self.values, self.results, strict=True)
        ]

    @property
    def figure(self):
        """The trade-off figure (a :class:`matplotlib.figure.Figure`)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        heads = list(self.head_metrics)
        fig = Figure(figsize=(3.2 * len(heads), 2.7), dpi=80, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(heads), squeeze=False)[0]
        for i, (ax, h) in enumerate(zip(axes, heads, strict=True)):
            key = self.head_metrics[h]
            ax.plot(
                self.values,
                self.metric(h),
                marker="o",
                color=f"C{i}",
                lw=2 if h == self.head else 1.5,
            )
            ax.set_xscale("log")
            ax.set_xlabel(f"{self.head} loss weight", fontsize=9)
            ax.set_title(f"held-out {key.replace('_', ' ')}", fontsize=10)
            ax.grid(True, alpha=0.3)
            ax.tick_params(labelsize=8)
        others = ", ".join(f"{h}={_fmt(w)}" for h, w in self.others.items())
        fig.suptitle(f"Sweeping the {self.head} weight (others: {others})", fontsize=10)
        return fig

    def to_png(self) -> bytes:
        """Render the figure to PNG bytes."""
        with _DRAW_LOCK:
            buffer = io.BytesIO()
            self.figure.canvas.print_png(buffer)
            return buffer.getvalue()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        import base64

        return {
            "text/plain": repr(self),
            "image/png": base64.b64encode(self.to_png()).decode("ascii"),
        }

    def __repr__(self) -> str:
        return (
            f"<Sweep of the {self.head} loss weight over {len(self.values)} values; "
            f"held-out {', '.join(self.head_metrics.values())}>"
        )


# ---------------------------------------------------------------------- helpers
def _unpack_data(data: Any, test_fraction: float):
    """Return ((x_train, y_train), (x_test, y_test)) from the forms the lab accepts."""
    if data is None:
        from helpers.data.posts import make_posts

        data = make_posts(3000, standardize_age=True, seed=0)
    if hasattr(data, "posts") and hasattr(data, "split"):
        train, test = data.split(test_fraction)
        return (train.posts, dict(train.targets)), (test.posts, dict(test.targets))
    if isinstance(data, (tuple, list)) and len(data) == 2:
        first, second = data
        if hasattr(first, "posts") and hasattr(second, "posts"):
            return (first.posts, dict(first.targets)), (second.posts, dict(second.targets))
        if all(isinstance(p, (tuple, list)) and len(p) == 2 for p in data):
            return tuple(first), tuple(second)
    raise TypeError(
        "data must be a Posts (from helpers.data.make_posts), a (train, test) pair of Posts, "
        f"or ((x_train, y_train), (x_test, y_test)); got {type(data).__name__}"
    )


def _targets_by_head(y: Any, heads: Sequence[str], which: str) -> dict[str, np.ndarray]:
    if isinstance(y, Mapping):
        missing = [h for h in heads if h not in y]
        if missing:
            raise ValueError(
                f"{which} targets lack heads {missing}; the model's heads are {list(heads)}"
            )
        return {h: np.asarray(y[h]) for h in heads}
    if isinstance(y, (list, tuple)) and len(y) == len(heads):
        return {h: np.asarray(t) for h, t in zip(heads, y, strict=True)}
    raise ValueError(
        f"{which} targets must be a dict keyed by output name or a list of {len(heads)} arrays "
        f"in the order {list(heads)}"
    )


def _default_loss(heads: Sequence[str], y: Mapping[str, np.ndarray]) -> dict[str, str]:
    if tuple(sorted(heads)) != tuple(sorted(_POSTS_HEADS)):
        raise ValueError(
            f"give loss={{...}} with one loss per head for a model with heads {list(heads)}; "
            "the lab only knows the posts model's losses"
        )
    income = (
        "categorical_crossentropy"
        if np.ndim(y["income"]) == 2
        else "sparse_categorical_crossentropy"
    )
    return {"age": "mse", "income": income, "gender": "binary_crossentropy"}


def _default_metrics(loss: Mapping[str, Any]) -> dict[str, list[str]]:
    metrics = {}
    for head, fn in loss.items():
        name = fn if isinstance(fn, str) else getattr(fn, "__name__", "")
        if "crossentropy" in name:
            metrics[head] = ["accuracy"]
        elif name in ("mse", "mean_squared_error", "mae", "mean_absolute_error", "huber"):
            metrics[head] = ["mae"]
    return metrics


def _head_metric(head: str, metrics: Any) -> str:
    """The evaluate() key of a head's first metric (or its loss when it has none)."""
    if isinstance(metrics, (list, tuple)) and metrics:
        metrics = metrics[0]
    if metrics is None or (isinstance(metrics, (list, tuple)) and not metrics):
        return f"{head}_loss"
    if isinstance(metrics, str):
        name = {"acc": "accuracy", "mean_absolute_error": "mae"}.get(metrics, metrics)
    else:
        name = getattr(metrics, "name", None) or getattr(metrics, "__name__", str(metrics))
    return f"{head}_{name}"


def _make_optimizer(optimizer: Any):
    if optimizer is None:
        return keras.optimizers.Adam(learning_rate=0.02)
    if isinstance(optimizer, (str, keras.optimizers.Optimizer)):
        return optimizer
    if callable(optimizer):
        made = optimizer()
        if not isinstance(made, keras.optimizers.Optimizer):
            raise TypeError(f"optimizer() must return a keras optimizer, got {made!r}")
        return made
    raise TypeError(
        "optimizer must be a name ('adam'), a keras optimizer or a function returning one, "
        f"got {optimizer!r}"
    )


def _check_int(name: str, value: Any, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def _check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}")
    return mode


def _diverged_text(run: Run, what: str) -> str:
    return (
        f"Run {run.number} diverged at epoch {max(run.epochs_run, 1)}: {what}. The model is "
        "back at its initial weights; lower the largest loss weight (or the learning rate) "
        "and train again."
    )


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _strip_tags(text: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))
