"""Loss-conditional training helpers: the weights they draw and the grid they read."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.conditional import WeightedBatches, conditional_grid, normalised_weights
from helpers.data import make_posts
from helpers.lab._map import MapResult

HEADS = ("age", "income", "gender")


def test_weights_keep_the_drawn_ratios_and_sum_to_the_number_of_heads():
    logs = np.array([[2.0, -2.0], [0.0, 0.0], [1.0, 1.0]])
    weights = normalised_weights(logs, HEADS, ("income", "gender"))
    total = sum(weights.values())
    assert np.allclose(total, 3.0)
    assert np.allclose(weights["income"] / weights["age"], [100.0, 1.0, 10.0], rtol=1e-5)
    assert np.allclose(weights["gender"] / weights["age"], [0.01, 1.0, 10.0], rtol=1e-5)


def test_batches_carry_posts_log_weights_targets_and_per_head_sample_weights():
    posts = make_posts(150, standardize_age=True, seed=4)
    batches = WeightedBatches(posts, HEADS, ("income", "gender"), batch_size=64, seed=1)
    assert len(batches) == 3
    (x, logs), targets, weights = batches[2]
    assert x.shape == (22, 60) and logs.shape == (22, 2)
    assert logs.min() >= -2 and logs.max() <= 2
    assert [len(t) for t in targets] == [22, 22, 22]
    assert np.allclose(sum(weights), 3.0)
    again = WeightedBatches(posts, HEADS, ("income", "gender"), batch_size=64, seed=1)
    assert np.array_equal(again[0][0][1], batches[0][0][1]), "the draws come from the seed"
    batches.on_epoch_end()
    assert not np.array_equal(again[0][0][1], batches[0][0][1]), "a new epoch, new weights"


def test_an_unknown_varied_head_is_named():
    posts = make_posts(10, seed=0)
    with pytest.raises(ValueError, match=r"varied names unknown heads \['height'\]"):
        WeightedBatches(posts, HEADS, ("height",))


def test_the_grid_asks_the_model_for_every_mapped_point():
    import keras

    from helpers.lab._config import make_config

    data = make_posts(200, standardize_age=True, seed=3)
    asked = []

    class Echo(keras.Model):
        """Answers from its weight input alone, so the grid shows what it was asked."""

        def call(self, inputs, training=False):
            _, logs = inputs
            asked.append(np.asarray(logs)[0].tolist())
            n = keras.ops.shape(logs)[0]
            income = keras.ops.one_hot(keras.ops.zeros((n,), "int32"), 10)
            gender = keras.ops.sigmoid(logs[:, 1:2] * 10)
            return [logs[:, :1], income, gender]

    from helpers.models import compact_posts_model

    config = make_config(
        compact_posts_model(), data, loss=None, metrics=None, optimizer=None, batch_size=64,
        steps_per_execution=1, jit_compile=False, test_fraction=0.2,
    )  # fmt: skip
    values = [0.1, 10.0]
    result = MapResult(
        x="income", y="gender", values=values, others={"age": 1.0},
        weights=[{"age": 1.0, "income": a, "gender": b} for a in values for b in values],
        metrics=[{}] * 4, head_metrics=config.head_metrics, seconds=0.0, epochs=1,
    )  # fmt: skip
    grids = conditional_grid(Echo(), config, result)
    assert asked == [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    assert grids["gender"].shape == (2, 2)
    ones = np.mean(config.y_test["gender"] == 1)
    assert grids["gender"][1, 0] == pytest.approx(ones) and grids["gender"][0, 0] == pytest.approx(
        1 - ones
    ), "gender weight 10 makes the echo say 1 for everyone, 0.1 says 0"
