"""Loss weights in variables: validated, part of the model's state, read by the compiled loss,
changed without a retrace (on the backend this process runs; tests/test_backends.py runs the
backend checks on every installed backend)."""

import math
import threading

import numpy as np
import pytest

from helpers.env import quiet_keras_import
from helpers.lossweights import LossWeights, balanced_weights, check_loss_weights

keras = quiet_keras_import()
HEADS = ["a", "b"]


# ---------------------------------------------------------------------- validation
def test_check_loss_weights_fills_heads_left_out_from_current():
    assert check_loss_weights({"a": 2}, HEADS, current={"a": 1.0, "b": 0.5}) == {"a": 2.0, "b": 0.5}


def test_check_loss_weights_accepts_zero_for_some_heads_and_large_values():
    assert check_loss_weights({"a": 0, "b": 1e4}, HEADS) == {"a": 0.0, "b": 10000.0}


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, -math.inf])
def test_check_loss_weights_rejects_negative_nan_and_infinite_listing_what_is_allowed(bad):
    with pytest.raises(ValueError, match=r"loss weight for 'a' must be a finite number >= 0"):
        check_loss_weights({"a": bad, "b": 1.0}, HEADS)


def test_check_loss_weights_rejects_all_zero():
    with pytest.raises(ValueError, match="all loss weights are 0"):
        check_loss_weights({"a": 0, "b": 0.0}, HEADS)


def test_check_loss_weights_rejects_unknown_heads_and_lists_the_real_ones():
    with pytest.raises(ValueError, match=r"unknown head name\(s\) 'c'.*heads are 'a', 'b'"):
        check_loss_weights({"c": 1.0}, HEADS, current={"a": 1.0, "b": 1.0})


def test_check_loss_weights_needs_every_head_without_current():
    with pytest.raises(ValueError, match="no value for head 'b'"):
        check_loss_weights({"a": 1.0}, HEADS)


@pytest.mark.parametrize("bad", ["1", None, True, [1.0]])
def test_check_loss_weights_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="must be a number"):
        check_loss_weights({"a": bad, "b": 1.0}, HEADS)


def test_check_loss_weights_rejects_a_list():
    with pytest.raises(TypeError, match="dict of head name to number"):
        check_loss_weights([1.0, 1.0], HEADS)


# ---------------------------------------------------------------------- balance
def test_balanced_weights_give_every_head_the_same_weighted_loss_and_multiply_to_one():
    losses = {"age": 2000.0, "income": 2.3, "gender": 0.69}
    weights = balanced_weights(losses)
    shares = [weights[h] * losses[h] for h in losses]
    assert max(shares) / min(shares) == pytest.approx(1.0)
    assert math.prod(weights.values()) == pytest.approx(1.0)


def test_balanced_weights_clip_to_the_slider_range():
    weights = balanced_weights({"a": 1e9, "b": 1e-6}, low=0.001, high=100)
    assert weights == {"a": 0.001, "b": 100}


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_balanced_weights_reject_losses_they_cannot_balance(bad):
    with pytest.raises(ValueError, match="loss of head 'b'"):
        balanced_weights({"a": 1.0, "b": bad})


# ---------------------------------------------------------------------- variables
def test_loss_weights_start_at_one_and_assign_checks_before_changing_anything():
    weights = LossWeights(HEADS, {"a": 0.25})
    assert weights.values() == {"a": 0.25, "b": 1.0}
    with pytest.raises(ValueError):
        weights.assign({"a": 5.0, "b": -1.0})
    assert weights.values() == {"a": 0.25, "b": 1.0}
    assert weights.assign({"b": 10}) == {"a": 0.25, "b": 10.0}
    assert all(not v.trainable for v in weights.variables.values())
    assert repr(weights) == "LossWeights(a=0.25, b=10)"


def test_loss_weights_reject_duplicate_heads():
    with pytest.raises(ValueError, match="distinct"):
        LossWeights(["a", "a"])


TRACES = []


def counting_mse(y_true, y_pred):
    """MSE that notes each time it is traced (Python runs only while tracing)."""
    TRACES.append(1)
    return keras.losses.mean_squared_error(y_true, y_pred)


def two_head_model():
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    a = keras.layers.Dense(1, name="a")(hidden)
    b = keras.layers.Dense(1, name="b")(hidden)
    return keras.Model(inputs, [a, b])


def data(n=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, {"a": x[:, :1] * 3.0, "b": -x[:, 1:2]}


def test_compile_rejects_loss_weights_and_mismatched_heads():
    model = two_head_model()
    weights = LossWeights(["a", "b"])
    with pytest.raises(TypeError, match="sets loss_weights itself"):
        weights.compile(model, loss={"a": "mse", "b": "mse"}, loss_weights=[1, 1])
    with pytest.raises(ValueError, match="model's outputs are"):
        LossWeights(["a", "c"]).compile(model, loss={"a": "mse", "c": "mse"})
    with pytest.raises(ValueError, match="one entry per head"):
        weights.compile(model, loss={"a": "mse"})


def test_the_compiled_loss_reads_the_variables_and_a_change_needs_no_retrace():
    keras.utils.set_random_seed(0)
    model = two_head_model()
    weights = LossWeights(["a", "b"], {"a": 1.0, "b": 1.0})
    weights.compile(model, optimizer="sgd", loss={"a": counting_mse, "b": "mse"})
    x, y = data()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=64, verbose=0)
    traced = len(TRACES)  # the training and the test step, traced once each

    for a, b in [(1.0, 0.0), (0.0, 1.0), (2.0, 3.0)]:
        weights.assign({"a": a, "b": b})
        scores = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
        expected = a * scores["a_loss"] + b * scores["b_loss"]
        assert scores["loss"] == pytest.approx(expected, rel=1e-4)
        history = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
        logs = {k: v[0] for k, v in history.history.items()}
        assert logs["loss"] == pytest.approx(a * logs["a_loss"] + b * logs["b_loss"], rel=1e-4)
    if keras.backend.backend() != "torch":  # eager PyTorch runs the loss's Python every step
        assert len(TRACES) == traced, "changing a loss weight retraced the training step"


def test_a_zero_weight_leaves_that_head_untrained():
    keras.utils.set_random_seed(0)
    model = two_head_model()
    weights = LossWeights(["a", "b"], {"a": 0.0, "b": 1.0})
    weights.compile(model, optimizer=keras.optimizers.Adam(0.01), loss={"a": "mse", "b": "mse"})
    x, y = data()
    head_a = model.get_layer("a").kernel.numpy().copy()
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    np.testing.assert_array_equal(model.get_layer("a").kernel.numpy(), head_a)


def test_an_assignment_from_another_thread_reaches_a_running_fit():
    keras.utils.set_random_seed(0)
    model = two_head_model()
    weights = LossWeights(["a", "b"], {"a": 1.0, "b": 1.0})
    weights.compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})
    x, y = data()
    changed = threading.Event()

    class ChangeFromAThread(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # another thread changes the weights; this epoch waits for it
                thread = threading.Thread(target=weights.assign, args=({"a": 0.0, "b": 5.0},))
                thread.start()
                thread.join()
                changed.set()

    history = model.fit(
        x, y, batch_size=64, epochs=4, verbose=0, shuffle=False, callbacks=[ChangeFromAThread()]
    )
    assert changed.is_set()
    logs = history.history
    for epoch, (a, b) in enumerate([(1, 1), (1, 1), (0, 5), (0, 5)]):
        expected = a * logs["a_loss"][epoch] + b * logs["b_loss"][epoch]
        assert logs["loss"][epoch] == pytest.approx(expected, rel=1e-4)


def test_compile_makes_the_weights_non_trainable_state_of_the_model():
    model = two_head_model()
    weights = LossWeights(["a", "b"], {"a": 0.5, "b": 2.0})
    trainable_before = len(model.trainable_weights)
    weights.compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})
    state = [v for v in model.non_trainable_weights if v.name.startswith("loss_weight_")]
    assert {v.name for v in state} == {"loss_weight_a", "loss_weight_b"}
    assert all(any(s is w for s in state) for w in weights.variables.values())
    assert len(model.trainable_weights) == trainable_before  # the optimizer never moves them
    assert model.loss_weight_a is weights.variables["a"]


def test_compiling_again_with_other_weights_replaces_them_in_the_model():
    model = two_head_model()
    LossWeights(["a", "b"]).compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})
    LossWeights(["a", "b"]).compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})
    names = [v.name for v in model.non_trainable_weights]
    assert sorted(names) == ["loss_weight_a", "loss_weight_b"], names


def test_a_built_subclassed_model_gets_a_clear_error():
    class TwoHeads(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = keras.layers.Dense(1, name="a")
            self.b = keras.layers.Dense(1, name="b")

        def call(self, x):
            return {"a": self.a(x), "b": self.b(x)}

    model = TwoHeads()
    model(np.zeros((1, 4), "float32"))
    model.output_names = ["a", "b"]
    with pytest.raises(ValueError, match="loss weight of head 'a'.*functional API"):
        LossWeights(["a", "b"]).compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})


def test_values_can_be_read_at_any_step_and_follow_assign():
    keras.utils.set_random_seed(0)
    model = two_head_model()
    weights = LossWeights(["a", "b"], {"a": 1.0, "b": 1.0})
    weights.compile(model, optimizer="sgd", loss={"a": "mse", "b": "mse"})
    x, y = data()
    seen = []

    class ReadEveryStep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(weights.values())  # on JAX the variables hold no value here

        def on_epoch_begin(self, epoch, logs=None):
            weights.assign({"b": float(epoch + 1)})

    model.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=[ReadEveryStep()])
    assert seen[0] == {"a": 1.0, "b": 1.0} and seen[-1] == {"a": 1.0, "b": 2.0}
    assert {k: float(v.numpy()) for k, v in weights.variables.items()} == weights.values()
