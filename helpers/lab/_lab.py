"""``LossWeightLab``: the facade a notebook uses, composing config, trainer, state and view."""

from __future__ import annotations

import numbers
import sys
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from helpers.env import quiet_keras_import, set_seed
from helpers.live import LiveLossPlot

from ._api import LabAPI
from ._config import make_config
from ._runs import fmt
from ._state import LabState
from ._trainer import Trainer
from ._view import LabView

keras = quiet_keras_import()

# A Train press shows its first curve point within this many seconds: after the first
# epoch, or with the final frame when the whole run ends sooner than that (LivePlot).
FIRST_POINT_S = 0.5


def default_steps_per_execution() -> int:
    """The lab's steps per execution on this backend: 8, or 1 on PyTorch (Keras's limit)."""
    return 1 if keras.backend.backend() == "torch" else 8


__all__ = ["LossWeightLab"]

# The newest lab made by each notebook cell line: running the cell again retires it.
_LABS_BY_CELL: dict[tuple[str, int], weakref.ref] = {}


class LossWeightLab(LabAPI):
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
        Starting loss weights (0.001 to 100, the sliders' range), and what Reset
        returns to.
    epochs : int, default 10
        Epochs of a retrain run, in code and on the Train button.
    live_epochs : int, default 100
        Epochs of a live run (Stop ends it earlier).
    batch_size : int, default 64
    steps_per_execution : int, optional
        Training steps per call into the backend; larger is faster for small models.
        Default 8, or 1 on PyTorch (Keras allows no more there).
    jit_compile : bool or "auto", default "auto"
        Passed to ``compile``.
    test_fraction : float, default 0.2
        Held-out share when ``data`` is a single ``Posts``.
    gradients : bool, default False
        Measure, after every epoch, each head's weighted gradient norm on the shared
        layer and the cosine between every two heads' gradients (on a fixed batch of 256
        training posts), and draw them as panels: the gradient view. TensorFlow or JAX.
    shared_layer : str, default "shared"
        The layer the heads compete for (GradNorm and the gradient view watch it).
    seed : int or None, default 0
        Passed to ``keras.utils.set_random_seed`` before the model is built, so running
        the cell again builds the same lab and gives the same numbers. None leaves the
        random state as it is.

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
    trainer, state, view
        The parts: Keras (:class:`~helpers.lab._trainer.Trainer`), the thread and runs
        (:class:`~helpers.lab._state.LabState`), the widgets
        (:class:`~helpers.lab._view.LabView`).

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
        steps_per_execution: int | None = None,
        jit_compile: bool | str = "auto",
        test_fraction: float = 0.2,
        gradients: bool = False,
        shared_layer: str = "shared",
        seed: int | None = 0,
    ) -> None:
        if build_model is not None and not callable(build_model):
            raise TypeError(
                f"build_model must be a function returning an uncompiled keras.Model, "
                f"got {build_model!r}"
            )
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
                raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
            set_seed(int(seed))  # keeps TensorFlow's start-up lines out on other backends
        if build_model is None:
            from helpers.models import compact_posts_model

            build_model = compact_posts_model
        model = build_model()
        config = make_config(
            model,
            data,
            loss=loss,
            metrics=metrics,
            optimizer=optimizer,
            batch_size=batch_size,
            steps_per_execution=(
                steps_per_execution
                if steps_per_execution is not None
                else default_steps_per_execution()
            ),
            jit_compile=jit_compile,
            test_fraction=test_fraction,
            shared_layer=shared_layer,
            gradient_view=gradients,
        )
        heads = config.heads
        if isinstance(weights, numbers.Real) and not isinstance(weights, bool):
            weights = dict.fromkeys(heads, weights)
        self.curves = LiveLossPlot(
            contributions=True,
            metrics=True,
            loss_weights=lambda: self.trainer.weights_in_use(),
            min_interval=0.5,
            max_overhead=0.25,
            columns=4,
            panel_size=(3.0, 2.0),
            dpi=72,
            display=False,
            on_frame=self._frame,
            draw_first_epoch=FIRST_POINT_S,
            caption="curves: training data · runs table: held-out data",
        )
        # Checked by the state before the trainer compiles anything.
        from ._runs import check_lab_weights

        start = check_lab_weights(weights, heads, None)
        self.trainer = Trainer(model, config, start, curves=self.curves)
        self.curves.plot.warm_up(self.trainer.warm_logs, self.trainer.model.output_names)
        self.state = LabState(
            self.trainer, heads, weights=start, epochs=epochs, live_epochs=live_epochs
        )
        self.built_by, self.seed = build_model, seed  # for to_code()
        self.view = LabView(self.state, heads, config.head_metrics)
        self.view.code_source = self.to_code
        self.state.listeners.append(self.view)
        self.mode = mode
        self._retire_the_lab_this_cell_made_before()

    def _retire_the_lab_this_cell_made_before(self) -> None:
        """In a notebook, a lab made by the same cell line as an older one replaces it."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals.get("__name__", "").startswith("helpers."):
            frame = frame.f_back
        if (
            frame is None
            or frame.f_code.co_name != "<module>"
            or "ipykernel" not in str(frame.f_code.co_filename)
        ):
            return
        site = (frame.f_code.co_filename, frame.f_lineno)
        old = _LABS_BY_CELL.get(site)
        old = old() if old is not None else None
        if old is not None and old is not self and not old.state.closed:
            old.state.retire(
                "This lab was replaced: its cell ran again and made a new lab below. "
                "Use the new one; this one can no longer train."
            )
        _LABS_BY_CELL[site] = weakref.ref(self)

    def _frame(self, png: bytes) -> None:
        self.view.show_frame(png)
        self.state.frame_drawn()

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
        weights = ", ".join(f"{h}={fmt(w)}" for h, w in self.weights.items())
        return (
            f"<LossWeightLab: heads {', '.join(self.heads)}; weights {weights}; "
            f"{len(self.runs)} runs>"
        )
