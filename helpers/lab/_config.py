"""What a lab trains on: the data by head, the losses, metrics and optimizer, checked once.

:func:`make_config` turns the constructor's flexible arguments into a frozen
:class:`LabConfig`, so the trainer never has to guess what it was given. :data:`CURVES`
is how every lab draws its live curves.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers._validate import check_bool, check_float, check_int

from ._messages import CURVES_NOTE

__all__ = [
    "CURVES",
    "LabConfig",
    "build_model_seeded",
    "default_steps_per_execution",
    "make_config",
]

_POSTS_HEADS = ("age", "income", "gender")

# A Train press aims to show its first curve point within this many seconds: the first
# epoch is drawn when the run is expected to last longer, else its points come with the
# final frame. Measured medians 0.16 s (TensorFlow) and 0.33 s (JAX) at load 2-3; a run
# near the threshold or on a busy machine can take longer (up to 0.8-1.0 s at load 4-7,
# benchmarks/RESULTS.md).
FIRST_POINT_S = 0.5
CURVES = dict(  # the lab's live plot: every panel, small, drawn into the lab's image
    contributions=True,
    metrics=True,
    min_interval=0.5,
    max_overhead=0.25,
    columns=3,
    panel_size=(3.2, 2.0),
    dpi=96,
    legend="above",
    display=False,
    draw_first_epoch=FIRST_POINT_S,
    caption=CURVES_NOTE,
)


@dataclass(frozen=True)
class LabConfig:
    """The lab's fixed set-up: heads, data, losses, metrics and batching."""

    heads: tuple[str, ...]
    x_train: Any
    y_train: dict[str, np.ndarray]
    x_test: Any
    y_test: dict[str, np.ndarray]
    loss: dict[str, Any]
    metrics: dict[str, Any]
    head_metrics: dict[str, str]
    optimizer: Callable[[], Any]
    batch_size: int
    steps_per_execution: int
    jit_compile: Any
    shared_layer: str = "shared"
    gradient_view: bool = False
    made_by: Any = None  # the data's call (a pair of calls for a pair), None if unknown
    test_fraction: float = 0.2


def default_steps_per_execution() -> int:
    """The lab's steps per execution on this backend: 8, or 1 on PyTorch (Keras's limit)."""
    import keras

    return 1 if keras.backend.backend() == "torch" else 8


def build_model_seeded(build_model: Any, seed: Any) -> tuple[Any, Callable[[], Any]]:
    """Seed Keras (unless ``seed`` is None), build the model; return it and its builder."""
    if build_model is not None and not callable(build_model):
        raise TypeError(
            f"build_model must be a function returning an uncompiled keras.Model, "
            f"got {build_model!r}"
        )
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
        from helpers.env import set_seed

        set_seed(int(seed))  # keeps TensorFlow's start-up lines out on other backends
    if build_model is None:
        from helpers.models import compact_posts_model

        build_model = compact_posts_model
    return build_model(), build_model


def make_config(
    model: Any,
    data: Any,
    *,
    loss: Mapping[str, Any] | None,
    metrics: Mapping[str, Any] | None,
    optimizer: Any,
    batch_size: int,
    steps_per_execution: int | None,
    jit_compile: Any,
    test_fraction: float,
    shared_layer: str = "shared",
    gradient_view: bool = False,
) -> LabConfig:
    """Check the lab's arguments against ``model`` and return them as a :class:`LabConfig`."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"build_model must return a keras.Model, got {type(model).__name__}")
    heads = tuple(model.output_names or ())
    if len(heads) < 2:
        raise ValueError(
            f"the lab needs a model with at least two named outputs, got {list(heads)}; "
            "give each output layer a name (Dense(1, name='age'))"
        )
    test_fraction = check_float("test_fraction", test_fraction, low=0.01, high=0.99)
    (x_train, y_train), (x_test, y_test), made_by = _unpack_data(data, test_fraction)
    y_train = _targets_by_head(y_train, heads, "training")
    y_test = _targets_by_head(y_test, heads, "held-out")
    loss = dict(loss) if loss is not None else _default_loss(heads, y_train)
    metrics = dict(metrics) if metrics is not None else _default_metrics(loss)
    unknown = sorted(set(metrics) - set(heads))
    if unknown:
        raise ValueError(f"metrics name unknown heads {unknown}; the heads are {list(heads)}")
    return LabConfig(
        heads=heads,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        loss=loss,
        metrics=metrics,
        head_metrics={h: _head_metric(h, metrics.get(h)) for h in heads},
        optimizer=_optimizer_factory(optimizer),
        batch_size=check_int("batch_size", batch_size, low=1, high=1_000_000),
        steps_per_execution=check_int(
            "steps_per_execution",
            default_steps_per_execution() if steps_per_execution is None else steps_per_execution,
            low=1,
            high=10_000,
        ),
        jit_compile=jit_compile,
        shared_layer=shared_layer,
        gradient_view=check_bool("gradients", gradient_view),
        made_by=made_by,
        test_fraction=test_fraction,
    )


def _unpack_data(data: Any, test_fraction: float):
    """((x_train, y_train), (x_test, y_test), made_by) from the forms the lab accepts.

    ``made_by`` is the data's own record of the call that made it (``Posts.made_by``),
    a pair of them for a (train, test) pair, or None for arrays.
    """
    if data is None:
        from helpers.data.posts import make_posts

        data = make_posts(3000, standardize_age=True, seed=0)
    if hasattr(data, "posts") and hasattr(data, "split"):
        train, test = data.split(test_fraction)
        made_by = getattr(data, "made_by", None)
        return (train.posts, dict(train.targets)), (test.posts, dict(test.targets)), made_by
    if isinstance(data, (tuple, list)) and len(data) == 2:
        first, second = data
        if hasattr(first, "posts") and hasattr(second, "posts"):
            made_by = (getattr(first, "made_by", None), getattr(second, "made_by", None))
            return (first.posts, dict(first.targets)), (second.posts, dict(second.targets)), made_by
        if all(isinstance(p, (tuple, list)) and len(p) == 2 for p in data):
            return tuple(first), tuple(second), None
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


def _optimizer_factory(optimizer: Any) -> Callable[[], Any]:
    """A function returning the lab's optimizer (checked now, called once by the trainer)."""
    import keras

    if optimizer is None:
        return lambda: keras.optimizers.Adam(learning_rate=0.02)
    if isinstance(optimizer, (str, keras.optimizers.Optimizer)):
        return lambda: optimizer
    if callable(optimizer):

        def made():
            value = optimizer()
            if not isinstance(value, keras.optimizers.Optimizer):
                raise TypeError(f"optimizer() must return a keras optimizer, got {value!r}")
            return value

        return made
    raise TypeError(
        "optimizer must be a name ('adam'), a keras optimizer or a function returning one, "
        f"got {optimizer!r}"
    )
