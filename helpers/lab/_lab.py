"""``LossWeightLab``: the one class a notebook uses; it builds and wires the parts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpers.live import LiveLossPlot

from ._cells import retire_the_lab_this_cell_made_before
from ._config import CURVES, build_model_seeded, make_config
from ._map import DEFAULT_VALUES, MapResult
from ._map_sweep import MapAndSweep
from ._messages import fmt, lab_text, runs_table
from ._methods import MANUAL
from ._provenance import lab_to_code
from ._records import Run, check_lab_weights
from ._state import LabState
from ._sweep import SweepResult
from ._trainer import Trainer
from ._view import LabView

__all__ = ["LossWeightLab"]


class LossWeightLab:
    """Loss-weight sliders, live per-head curves and a table of runs for a multi-output model.

    Parameters
    ----------
    build_model : callable, optional
        Returns a new, uncompiled ``keras.Model`` with at least two named outputs
        (default :func:`helpers.models.compact_posts_model`).
    data : Posts, (Posts, Posts) or ((x_train, y_train), (x_test, y_test)), optional
        Default ``make_posts(3000, standardize_age=True, seed=0)``; a single ``Posts``
        is split with ``test_fraction`` (default 0.2).
    loss, metrics : dict, optional
        Per output name (defaults for the posts heads); a head's first metric is its
        column in the runs table.
    optimizer, weights : default Adam(0.02) and 1.0
        An optimizer (or a function making one); the starting loss weights (0.001 to
        100, a dict or one number for all heads), what Reset returns to.
    mode, epochs, live_epochs : default "retrain", 10, 100
        What the Train button does; the epochs of a retrain and of a live run.
    batch_size, steps_per_execution, jit_compile
        Passed to ``fit``/``compile`` (steps per execution: 8, or 1 on PyTorch).
    gradients : bool, default False
        The gradient view: each head's gradient norm on ``shared_layer`` (default
        "shared") and the cosines between heads, as panels, after every epoch.
    seed : int or None, default 0
        ``keras.utils.set_random_seed`` before the model is built (None: left alone).

    Examples
    --------
    >>> scores = LossWeightLab().train(weights={"gender": 10}, block=True)  # doctest: +SKIP
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
        steps_per_execution: int | None = None,
        jit_compile: bool | str = "auto",
        test_fraction: float = 0.2,
        gradients: bool = False,
        shared_layer: str = "shared",
        seed: int | None = 0,
    ) -> None:
        model, build_model = build_model_seeded(build_model, seed)
        self.config = make_config(
            model,
            data,
            loss=loss,
            metrics=metrics,
            optimizer=optimizer,
            batch_size=batch_size,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            test_fraction=test_fraction,
            shared_layer=shared_layer,
            gradient_view=gradients,
        )
        self.heads: tuple[str, ...] = self.config.heads  #: The output names.
        self.head_metrics: dict[str, str] = self.config.head_metrics  #: Each head's table column.
        self.curves = LiveLossPlot(
            loss_weights=lambda: self.trainer.weights_in_use(), on_frame=self._frame, **CURVES
        )
        start = check_lab_weights(weights, self.heads, None)  # before anything compiles
        self.trainer = Trainer(model, self.config, start, curves=self.curves)
        self.curves.plot.warm_up(self.trainer.warm_logs, self.trainer.model.output_names)
        self.state = LabState(
            self.trainer, self.heads, weights=start, epochs=epochs, live_epochs=live_epochs
        )
        self.built_by, self.seed = build_model, seed  # for to_code()
        self.view = LabView(self.state, self.heads, self.head_metrics)
        self.view.code_source = self.to_code
        self.view.map_action = lambda: self.map(block=False)
        self.model = self.trainer.model  #: The compiled model (every run resets its weights).
        self.loss_weights = self.trainer.loss_weights  #: The variables the loss reads.
        self.initial_losses = self.trainer.initial_losses  #: Unweighted, for Balance.
        self.sliders = self.view.sliders  #: The weight sliders, by head.
        self.buttons = self.view.buttons  #: Train, Stop, Reset, Balance and Code.
        self.plot, self.table = self.view.plot, self.view.table  #: Curves, runs table.
        self.widget = self.view.widget  #: The whole lab as one widget.
        self.mode = mode
        self._map_and_sweep = MapAndSweep(self.state, self.trainer, self.head_metrics)
        retire_the_lab_this_cell_made_before(self)

    def train(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        epochs: int | None = None,
        block: bool = False,
        mode: str | None = None,
        draw: bool = True,
        method: str = MANUAL,
    ) -> dict[str, float] | None:
        """Train once from the lab's initial weights; with ``block=True`` return the metrics.

        A call does what its arguments say, whatever the widgets show: ``mode``
        "retrain" (default) or "live" (the sliders act from the next epoch), the lab's
        ``epochs`` by default; ``weights`` for some heads (0.001 to 100), the others as
        the sliders are. ``block=False`` returns None at once (see :meth:`wait`).
        ``method`` (a name in ``helpers.lab.METHODS``) says who chooses the weights.

        Raises ``ValueError`` for bad arguments, ``RuntimeError`` while a run trains or
        once the lab is closed, :class:`LabDivergedError` if a blocking run's loss became
        NaN (the lab stays usable).
        """
        run = self.state.train(
            weights, epochs=epochs, block=block, mode=mode, draw=draw, method=method
        )
        return None if run is None else run.outcome()

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set the weights the sliders show (heads left out keep theirs); return them all.

        A live run uses them from its next epoch, otherwise the next run starts with
        them. Raises ``ValueError`` for an unknown head or a weight outside 0.001 to 100.
        """
        return self.state.set_weights(weights)

    def balance(self) -> dict[str, float]:
        """Set (and return) weights giving every head the same share of the initial loss.

        Head ``h`` gets ``G / initial_loss[h]``, ``G`` the losses' geometric mean.
        """
        return self.state.balance()

    def sweep(
        self,
        head: str,
        values: Sequence[float] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0),
        *,
        weights: Mapping[str, float] | None = None,
        epochs: int | None = None,
    ) -> SweepResult:
        """Retrain once per value of ``head``'s weight (others: ``weights`` or the sliders').

        The sliders end where they began; Stop ends the sweep with the runs done so far.
        """
        return self._map_and_sweep.sweep(head, values, weights=weights, epochs=epochs)

    def map(
        self,
        x: str | None = None,
        y: str | None = None,
        values: Sequence[float] = DEFAULT_VALUES,
        *,
        weights: Mapping[str, float] | None = None,
        epochs: int | None = None,
        block: bool = False,
    ) -> MapResult | None:
        """Train one run per (x weight, y weight) from ``values``, all together: the map.

        ``x`` and ``y`` are heads (default: the last two); the other heads keep
        ``weights`` or the sliders'. Every run starts from the lab's initial weights on
        the same batches, as ``train(weights=..., block=True)`` would, and the result
        (also kept as :attr:`last_map`) holds each run's weights and held-out metrics and
        draws the map. ``block=False`` returns None at once (see :meth:`wait`). Stop ends
        the map early; a run whose loss became NaN is a hole, not an error.
        """
        return self._map_and_sweep.map(x, y, values, weights=weights, epochs=epochs, block=block)

    def wait(self, timeout: float | None = None, *, epoch: int | None = None) -> Run | None:
        """Wait until no run trains (or it has ``epoch`` epochs); return the latest run.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        return self.state.wait(timeout, epoch=epoch)

    def stop(self, wait: bool = False, timeout: float | None = 30.0) -> None:
        """Ask the current run to stop (within one epoch); ``wait`` for its thread."""
        self.state.stop(wait=wait, timeout=timeout)

    def reset(self) -> None:
        """Stop training; sliders and model back to the start; the runs table stays."""
        self.state.reset()

    def clear_runs(self) -> None:
        """Empty the runs table."""
        self.state.clear_runs()

    def runs_table(self) -> list[dict[str, Any]]:
        """The runs table as rows, oldest first: run, mode, status, weights, metrics."""
        return runs_table(self.state.runs, self.heads, self.head_metrics)

    def to_code(self, run: Any = None, *, data_call: str | None = None) -> str:
        """One cell of plain Keras that repeats a run (a ``Run`` or its number; default: last).

        Same data, seeded model, loss weights (and their changes) and batches; held-out
        metrics in ``scores``. ``data_call``: the expression that makes the data, where
        its generator could not record it. ``ValueError`` says why a run cannot be.
        """
        return lab_to_code(self, run, data_call=data_call)

    def close(self) -> None:
        """Stop training, wait for the thread to end and close the widgets."""
        if not self.state.closed:
            self.state.close()
            self.view.close()

    # What the lab's state holds now, read-only: the methods above change it.
    weights = property(
        lambda self: dict(self.state.weights), doc="The loss weights the sliders show."
    )
    runs = property(lambda self: self.state.runs, doc="Every finished run, oldest first.")
    current_run = property(lambda self: self.state.current_run, doc="The run in progress, or None.")
    running = property(lambda self: self.state.running, doc="Whether a run is in progress.")
    message = property(lambda self: self.state.message, doc="The lab's latest message.")
    status = property(
        lambda self: self.state.status_now(),
        doc="The status line: the loss weights in use and the run's progress.",
    )
    last_map = property(
        lambda self: self.state.tasks.last_map,
        doc="The latest trade-off map (:meth:`map`), or None.",
    )

    @property
    def mode(self) -> str:
        """``"retrain"`` or ``"live"``: what the Train button does."""
        return self.state.button_mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.state.set_button_mode(value)

    def _frame(self, png: bytes) -> None:
        self.view.show_frame(png)
        self.state.worker.frame_drawn()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        return {**bundle, "text/plain": lab_text(self.heads)}

    def __repr__(self) -> str:
        weights = ", ".join(f"{h}={fmt(w)}" for h, w in self.weights.items())
        heads = ", ".join(self.heads)
        return f"<LossWeightLab: heads {heads}; weights {weights}; {len(self.runs)} runs>"
