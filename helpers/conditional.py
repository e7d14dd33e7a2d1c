"""Train one model for every loss weight at once (loss-conditional training), and read it.

Lesson 09 tries the idea of "You Only Train Once" (Dosovitskiy and Djolonga, ICLR 2020):
give the model its loss weights as a second input, draw a new weight setting for every
example, and weight each example's loss by it. If it works, one model answers every
slider position. :class:`WeightedBatches` draws the weights and feeds them to ``fit``;
:func:`conditional_grid` evaluates such a model at every point of a trade-off map, so
its numbers can be set beside the map's exact runs.

This is a simplification of the paper's setting: the weights here are drawn per example
(log-uniform), normalised to sum to the number of heads, and used as Keras
``sample_weight`` per head; the paper draws them per batch element too, but conditions
every layer and trains far longer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from helpers._validate import check_float, check_int, check_seed
from helpers.env import quiet_keras_import

keras = quiet_keras_import()

__all__ = ["WeightedBatches", "conditional_grid", "normalised_weights"]


def normalised_weights(
    log_weights: np.ndarray, heads: Sequence[str], varied: Sequence[str]
) -> dict[str, np.ndarray]:
    """Per-example weights of every head from log10 weights of the ``varied`` heads.

    The heads not varied get weight 1 before normalising; each example's weights are
    then scaled to sum to ``len(heads)``, so only their ratios differ between examples.
    """
    log_weights = np.asarray(log_weights, dtype="float64")
    raw = np.ones((len(log_weights), len(heads)))
    for column, head in enumerate(varied):
        raw[:, list(heads).index(head)] = 10.0 ** log_weights[:, column]
    raw = len(heads) * raw / raw.sum(axis=1, keepdims=True)
    return {h: raw[:, i].astype("float32") for i, h in enumerate(heads)}


class WeightedBatches(keras.utils.PyDataset):
    """Batches of ``((posts, log_weights), targets, sample_weights)`` with fresh weights.

    Every example of every batch gets its own log10 weights for the ``varied`` heads,
    drawn uniformly from ``[low, high]`` (10**-2 to 10**2 by default), and each head's
    loss is weighted by :func:`normalised_weights` through ``sample_weight``. The batches
    are the posts in order (no shuffling); the draws come from ``seed``, the epoch and
    the batch's index, so they do not depend on the order Keras asks for batches.

    Parameters
    ----------
    posts : Posts
        The training posts (``helpers.data.make_posts(...).split(...)[0]``).
    heads : sequence of str
        The model's outputs, in order.
    varied : sequence of str
        The heads whose weights are drawn (the model's second input, in this order).
    """

    def __init__(
        self,
        posts: Any,
        heads: Sequence[str],
        varied: Sequence[str],
        *,
        batch_size: int = 64,
        low: float = -2.0,
        high: float = 2.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        unknown = [h for h in varied if h not in heads]
        if unknown:
            raise ValueError(f"varied names unknown heads {unknown}; the heads are {list(heads)}")
        self.x = np.asarray(posts.posts)
        self.targets = [np.asarray(posts.targets[h]) for h in heads]
        self.heads, self.varied = tuple(heads), tuple(varied)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.low = check_float("low", low)
        self.high = check_float("high", high, low=self.low)
        self.seed = check_seed("seed", seed)
        self.epoch = 0  # a new draw every epoch (Keras calls on_epoch_end)

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x = self.x[part]
        rng = np.random.default_rng([self.seed, self.epoch, index])  # the same in any order
        logs = rng.uniform(self.low, self.high, size=(len(x), len(self.varied)))
        weights = normalised_weights(logs, self.heads, self.varied)
        return (
            (x, logs.astype("float32")),
            tuple(t[part] for t in self.targets),
            tuple(weights[h] for h in self.heads),
        )


def conditional_grid(model: Any, config: Any, result: Any) -> dict[str, np.ndarray]:
    """The conditional model's held-out metric of each head at every point of a map.

    ``config`` is the lab's (``lab.config``: its held-out posts, losses and metrics);
    ``result`` a :class:`~helpers.lab.MapResult`. The model is asked for the weights of
    every mapped run (its second input: log10 of the ``x`` and ``y`` weights over the
    others', as the map's plane measures them). The metrics are computed as the map
    computes its runs' (named as ``evaluate`` names them). Returns one array per head,
    shaped like ``result.grid(head)``.
    """
    from helpers.lab._copies import as_numpy, held_out_scores
    from helpers.lab._map import plane_point

    x = np.asarray(config.x_test)
    outputs: list[list[np.ndarray]] = [[] for _ in config.heads]
    for weights in result.weights:
        point = np.array(plane_point(weights, result.x, result.y), dtype="float32")
        predicted = model((x, np.tile(point, (len(x), 1))), training=False)
        for column, value in enumerate(predicted):
            outputs[column].append(as_numpy(value))
    stacked = {h: np.stack(outputs[i], axis=1) for i, h in enumerate(config.heads)}
    scores = held_out_scores(config, stacked, np.ones((len(result.weights), len(config.heads))))
    n = len(result.values)
    grids = {}
    for head, key in result.head_metrics.items():
        grid = np.full((n, n), np.nan)
        for index, row in enumerate(scores):
            if row is not None:
                grid[index % n, index // n] = row[key]
        grids[head] = grid
    return grids
