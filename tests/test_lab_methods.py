"""Weighting methods in the lab: each changes the weights it uses, with no retrace."""

import math

import numpy as np
import pytest

from helpers.env import quiet_keras_import

keras = quiet_keras_import()

from helpers.data.posts import make_posts  # noqa: E402
from helpers.lab import LossWeightLab, _gradients  # noqa: E402
from helpers.lab._methods import (  # noqa: E402
    METHODS,
    dwa_weights,
    gradnorm_weights,
    uncertainty_weights,
)

HEADS = ("age", "income", "gender")


TRACES = []


def counting_mse(y_true, y_pred):
    """MSE that notes each time TensorFlow traces it (eager calls, as the gradient view
    makes them, do not count)."""
    import tensorflow as tf

    if not tf.executing_eagerly():
        TRACES.append(1)
    return keras.losses.mean_squared_error(y_true, y_pred)


def tracings(lab):
    """Traces so far; None where they are not counted (only TensorFlow counts them here)."""
    return len(TRACES) if keras.backend.backend() == "tensorflow" else None


@pytest.fixture(scope="module")
def lab():
    lab = LossWeightLab(
        data=make_posts(640, standardize_age=True, seed=0),
        loss={
            "age": counting_mse,
            "income": "sparse_categorical_crossentropy",
            "gender": "binary_crossentropy",
        },
        metrics={"age": ["mae"], "income": ["accuracy"], "gender": ["accuracy"]},
        epochs=4,
        gradients=True,
    )
    yield lab
    lab.close()


def test_dwa_gives_more_weight_to_the_head_whose_loss_falls_slowest():
    history = {"a_loss": [1.0, 0.5], "b_loss": [1.0, 0.9], "c_loss": [1.0, 1.0]}
    weights = dwa_weights(history, ["a", "b", "c"])
    assert sum(weights.values()) == pytest.approx(3.0)
    assert weights["a"] < weights["b"] < weights["c"]


def test_gradnorm_keeps_the_weights_summing_to_the_number_of_heads():
    weights = gradnorm_weights(
        {"a": 1.0, "b": 1.0, "c": 1.0},
        {"a": 10.0, "b": 1.0, "c": 0.1},
        {"a": 0.5, "b": 0.5, "c": 0.5},
        {"a": 1.0, "b": 1.0, "c": 1.0},
    )
    assert sum(weights.values()) == pytest.approx(3.0)
    assert weights["a"] < weights["b"] < weights["c"]


def test_dwa_uses_the_losses_of_the_epoch_that_just_ended(lab):
    lab.train(method="dwa", epochs=4, block=True, draw=False)
    run = lab.runs[-1]
    assert run.weight_history[:2] == [dict.fromkeys(HEADS, 1.0)] * 2  # 1 for two epochs
    assert run.weight_history[2] != dict.fromkeys(HEADS, 1.0)  # then L(2) / L(1)
    assert run.weight_changes[0][0] == 3


def test_uncertainty_weights_are_one_over_the_learned_variance():
    assert uncertainty_weights({"a": math.log(2.0)}) == {"a": pytest.approx(0.5)}


@pytest.mark.parametrize("method", [m.name for m in METHODS.values() if m.chooses_weights])
def test_every_method_changes_its_weights_without_a_retrace_and_the_sliders_follow(lab, method):
    lab.train(method="manual", block=True)  # traced long ago; nothing new to trace
    traced = tracings(lab)
    scores = lab.train(method=method, block=True)
    run = lab.runs[-1]
    assert run.method == method and run.weights == dict.fromkeys(HEADS, 1.0)
    assert len(run.weight_changes) >= 1
    assert len(run.weight_history) == run.epochs_run == 4
    assert run.weight_history[0] == dict.fromkeys(HEADS, 1.0)
    assert run.weight_history[-1] != run.weight_history[0]
    assert tracings(lab) == traced, f"{method} retraced the training step"
    assert all(math.isfinite(v) for v in scores.values())
    for head in HEADS:  # the sliders show the method's last weights
        assert lab.sliders[head].value == pytest.approx(run.final_weights[head], rel=1e-6)
    assert lab.weights == pytest.approx(run.final_weights)
    # Each epoch's total loss is the weighted sum with that epoch's weights (manual,
    # DWA, GradNorm) or Kendall's form (uncertainty).
    if not METHODS[method].learned_loss:
        for epoch, weights in enumerate(run.weight_history):
            total = sum(weights[h] * run.history[f"{h}_loss"][epoch] for h in HEADS)
            assert run.history["loss"][epoch] == pytest.approx(total, rel=0.03), epoch


def test_uncertainty_learns_one_variance_per_head_and_weights_are_their_inverse(lab):
    lab.train(method="uncertainty", block=True)
    run = lab.runs[-1]
    variances = {h: run.history[f"learned variance/{h}"][-1] for h in HEADS}
    assert all(v != pytest.approx(1.0) for v in variances.values())  # they moved from 1
    for head in HEADS:
        assert run.final_weights[head] == pytest.approx(
            min(100.0, max(0.001, 1 / variances[head])), rel=1e-5
        )
    # A manual run afterwards is Keras's own weighted sum again (the switch is off).
    lab.train(weights={"age": 1, "income": 2, "gender": 3}, epochs=1, block=True)
    manual = lab.runs[-1]
    total = sum(w * manual.history[f"{h}_loss"][0] for h, w in manual.weights.items())
    assert manual.history["loss"][0] == pytest.approx(total, rel=0.03)


def test_the_gradient_view_records_norms_and_cosines_every_epoch(lab):
    lab.train(weights={"age": 1, "income": 1, "gender": 1}, block=True)
    history = lab.runs[-1].history
    for head in HEADS:
        assert len(history[f"shared gradient norm/{head}"]) == 4
        assert all(v > 0 for v in history[f"shared gradient norm/{head}"])
    cosines = [k for k in history if k.startswith("shared gradient cosine/")]
    assert len(cosines) == 3
    assert all(-1 <= v <= 1 for k in cosines for v in history[k])
    assert {"shared gradient norm", "shared gradient cosine", "loss weight"} <= set(
        lab.curves.panel_titles
    )


def test_a_method_refuses_weights_and_live_mode_with_the_fix(lab):
    with pytest.raises(ValueError, match="chooses the weights itself.*leave weights= out"):
        lab.train(weights={"age": 2}, method="dwa", block=True)
    with pytest.raises(ValueError, match="use mode='retrain'"):
        lab.train(method="uncertainty", mode="live", block=True)
    with pytest.raises(ValueError, match="method must be one of 'manual', 'uncertainty'"):
        lab.train(method="pcgrad", block=True)


def test_per_head_gradients_on_another_backend_say_what_to_do(monkeypatch):
    monkeypatch.setattr(_gradients.keras.backend, "backend", lambda: "openvino")
    with pytest.raises(NotImplementedError, match="computed on tensorflow, jax, torch.*'openvino'"):
        _gradients.HeadGradients(None, np.zeros((1, 2)), {}, "shared")
