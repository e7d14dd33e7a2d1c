"""The lab's public methods and attributes, each handed to the part that owns it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._runs import LabDivergedError, Run, runs_table
from ._sweep import SweepResult, run_sweep

__all__ = ["LabAPI"]


class LabAPI:
    """What :class:`~helpers.lab.LossWeightLab` offers; ``trainer``, ``state`` and ``view``
    are set by its constructor."""

    trainer: Any
    state: Any
    view: Any
    built_by: Any
    seed: int | None

    def train(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        epochs: int | None = None,
        block: bool = False,
        mode: str | None = None,
        draw: bool = True,
        method: str = "manual",
    ) -> dict[str, float] | None:
        """Train once from the lab's initial weights with the given loss weights.

        A call does what its arguments say, whatever the widgets show: ``mode`` defaults
        to ``"retrain"`` and ``epochs`` to the lab's own ``epochs`` (``live_epochs`` in
        live mode). Only the Train button uses the mode buttons and the epochs box.

        Parameters
        ----------
        weights : dict of str to float, optional
            Loss weights for some or all heads (0.001 to 100); heads left out keep the
            sliders' value. The sliders move to the run's weights.
        epochs : int, optional
            Epochs to train.
        block : bool, default False
            True: train in this thread and return the held-out metrics. False: train
            on a background thread and return None at once (see :meth:`wait`).
        mode : {"retrain", "live"}, default "retrain"
            In live mode, :meth:`set_weights` and the sliders change the running model's
            loss weights from the next epoch on.
        draw : bool, default True
            Draw the live curves into the lab's plot.
        method : {"manual", "uncertainty", "dwa", "gradnorm"}, default "manual"
            Who chooses the loss weights. ``"manual"``: ``weights`` and the sliders.
            The others start every head at 1 and change the weights after each epoch
            (see :mod:`helpers.lab._methods`); the sliders follow them and
            ``Run.weight_history`` keeps them. GradNorm needs TensorFlow or JAX.

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
            If a run is already in progress, or the lab was closed or replaced.
        LabDivergedError
            With ``block=True``, if the loss became NaN; the lab stays usable.
        """
        run = self.state.train(
            weights, epochs=epochs, block=block, mode=mode, draw=draw, method=method
        )
        if run is None:
            return None
        if run.status == "diverged":
            raise LabDivergedError(run.message)
        if run.status == "failed" and run.error is not None:
            raise run.error
        return dict(run.metrics) if run.metrics is not None else None

    def set_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Set the weights the sliders show; heads left out keep their value.

        In a live run the running model uses them from the next epoch; otherwise the
        next run starts with them. Returns the complete weights.

        Raises
        ------
        ValueError
            For an unknown head, or a weight outside the sliders' 0.001 to 100 (negative,
            NaN or infinite included); the message says what is allowed.
        """
        return self.state.set_weights(weights)

    def balance(self) -> dict[str, float]:
        """Set weights that give every head the same share of the initial total loss.

        Each head gets ``G / initial_loss``, where ``G`` is the geometric mean of the
        heads' initial losses, clipped to the sliders' range (0.001 to 100). The
        explanation is in :attr:`message` and under the sliders. Returns the weights.
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
        """Retrain once per value of one head's weight; plot every head's held-out metric.

        ``weights`` gives the other heads' weights (default: the sliders'); ``epochs``
        the epochs per run (default: the lab's retrain epochs). The sliders end where
        they began. Stop ends the sweep; the result then holds the runs completed before.
        ``metric(h)`` gives head ``h``'s held-out metric for each value (NaN where a run
        diverged).
        """
        return run_sweep(
            self.state, head, values, weights=weights, epochs=epochs, head_metrics=self.head_metrics
        )

    def wait(self, timeout: float | None = None, *, epoch: int | None = None) -> Run | None:
        """Wait until no run is in progress and return the latest run (None if none yet).

        With ``epoch``, return as soon as the run in progress has finished that many
        epochs (or has ended), giving the run. Raises ``TimeoutError`` after ``timeout``.
        """
        return self.state.wait(timeout, epoch=epoch)

    def stop(self, wait: bool = False, timeout: float | None = 30.0) -> None:
        """Ask the current run to stop (within one epoch); ``wait`` for its thread."""
        self.state.stop(wait=wait, timeout=timeout)

    def reset(self) -> None:
        """Stop training, put sliders and model back to the start, clear the curves.

        The runs table keeps earlier runs (:meth:`clear_runs` empties it).
        """
        self.state.reset()

    def clear_runs(self) -> None:
        """Empty the runs table."""
        self.state.clear_runs()

    def runs_table(self) -> list[dict[str, Any]]:
        """The runs table as rows, oldest first: run, mode, status, weights, metrics."""
        return runs_table(self.state.runs, self.heads, self.head_metrics)

    def to_code(self, run: Any = None, *, data_call: str | None = None) -> str:
        """One self-contained cell of plain Keras that repeats a run (default: the last).

        The cell builds the data and the model with the lab's seed, compiles with the
        run's loss weights, fits in the lab's batch order and leaves the held-out
        metrics in ``scores``; run in a fresh kernel it gives the run's metrics. Live
        and per-epoch method runs replay their weight changes; a run no cell can repeat
        (uncertainty weighting) raises ``ValueError`` saying why. ``run`` is a ``Run``
        or its number; ``data_call`` the call that made the lab's data, when the lab
        cannot work it out (see :func:`helpers.lab._code_lab.lab_to_code`).
        """
        from ._code_lab import lab_to_code

        return lab_to_code(
            self, run, data_call=data_call, build_model=self.built_by, seed=self.seed
        )

    def close(self) -> None:
        """Stop training, wait for the thread to end and close the widgets."""
        if not self.state.closed:
            self.state.close()
            self.view.close()

    # ------------------------------------------------------------------ what it holds
    model = property(lambda self: self.trainer.model, doc="The compiled model.")
    loss_weights = property(lambda self: self.trainer.loss_weights, doc="The weight variables.")
    heads = property(lambda self: self.trainer.config.heads, doc="The output names.")
    head_metrics = property(lambda self: self.trainer.config.head_metrics, doc="Table metrics.")
    initial_losses = property(lambda self: self.trainer.initial_losses, doc="Losses at start.")
    weights = property(lambda self: self.state.weights, doc="The weights the sliders show.")
    runs = property(lambda self: self.state.runs, doc="Every finished run, oldest first.")
    current_run = property(lambda self: self.state.current_run, doc="The run in progress.")
    running = property(lambda self: self.state.running, doc="Whether a run is in progress.")
    message = property(lambda self: self.state.message, doc="The lab's latest message.")
    sliders = property(lambda self: dict(self.view.sliders), doc="The weight sliders.")
    buttons = property(lambda self: dict(self.view.buttons), doc="Train, Stop, Reset, Balance.")
    plot = property(lambda self: self.view.plot, doc="The image showing the live curves.")
    table = property(lambda self: self.view.table, doc="The HTML runs table.")
    widget = property(lambda self: self.view.widget, doc="The whole lab as one widget.")

    @property
    def status(self) -> str:
        """The status line: the loss weights in use and the run's progress."""
        run = self.state.current_run
        if run is not None:
            return self.state.status_text(run, run.epochs_run)
        last = self.state.runs[-1] if self.state.runs else None
        return self.state.status_text(last, last.epochs_run if last else 0, done=True)

    @property
    def mode(self) -> str:
        """``"retrain"`` or ``"live"``: what the Train button does."""
        return self.state.button_mode

    @mode.setter
    def mode(self, value: str) -> None:
        self.state.set_button_mode(value)
        self.view.running_changed(self.state.current_run)
