"""The trade-off map's panels: colours as far apart as the runs are, the span in the title."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.lab._map import MapResult
from helpers.lab._map_draw import LEAST_SPAN, colour_range, map_figure


def result(income_accuracies):
    values = [0.1, 10.0]
    weights = [{"age": 1.0, "income": x, "gender": y} for x in values for y in values]
    metrics = [
        {"age_mae": 0.5 + 0.1 * i, "income_accuracy": a} for i, a in enumerate(income_accuracies)
    ]
    return MapResult(
        x="income",
        y="gender",
        values=values,
        others={"age": 1.0},
        weights=weights,
        metrics=metrics,
        head_metrics={"age": "age_mae", "income": "income_accuracy"},
        seconds=1.0,
        epochs=3,
    )


def corner_colours(figure, panel):
    image = figure.axes[panel].images[0]
    data = image.get_array()
    return image.cmap(image.norm(data.min())), image.cmap(image.norm(data.max()))


@pytest.mark.parametrize(
    ("accuracies", "far_apart"),
    [([0.80, 0.805, 0.81, 0.795], False), ([0.3, 0.5, 0.7, 0.9], True)],
)
def test_runs_that_hardly_differ_get_nearby_colours(accuracies, far_apart):
    figure = map_figure(result(accuracies))
    worst, best = corner_colours(figure, panel=1)
    distance = float(np.abs(np.subtract(best[:3], worst[:3])).sum())
    assert (distance > 1.0) is far_apart, distance
    low, high = figure.axes[1].images[0].get_clim()
    assert high - low >= LEAST_SPAN - 1e-9
    assert low <= min(accuracies) and high >= max(accuracies)


def test_each_panel_title_gives_its_runs_span():
    figure = map_figure(result([0.80, 0.805, 0.81, 0.795]))
    assert "income accuracy: 0.80 to 0.81" in figure.axes[1].get_title()
    assert "age MAE: 0.50 to 0.80" in figure.axes[0].get_title()


def test_colour_range_keeps_a_wide_span_and_widens_a_narrow_one():
    assert colour_range("age_mae", np.array([[0.4, 0.9]])) == (0.4, 0.9)
    low, high = colour_range("age_mae", np.array([[1.0, 1.01], [np.nan, 1.02]]))
    assert high - low == pytest.approx(0.101) and (low + high) / 2 == pytest.approx(1.01)
    assert colour_range("income_accuracy", np.full((2, 2), np.nan)) == (0.0, 1.0)


def test_the_front_picture_labels_every_front_run_and_no_crowd():
    values = [0.01, 0.1, 1.0, 10.0, 100.0]
    weights = [{"age": 1.0, "income": x, "gender": y} for x in values for y in values]
    rng = np.random.default_rng(0)
    metrics = [  # a crowd of dominated runs in one corner, and a front of three
        {
            "income_accuracy": 0.1 + 0.005 * rng.random(),
            "gender_accuracy": 0.5 + 0.005 * rng.random(),
        }
        for _ in weights
    ]
    metrics[4] = {"income_accuracy": 0.9, "gender_accuracy": 0.5}
    metrics[12] = {"income_accuracy": 0.7, "gender_accuracy": 0.8}
    metrics[20] = {"income_accuracy": 0.2, "gender_accuracy": 0.95}
    crowd = MapResult(
        x="income", y="gender", values=values, others={"age": 1.0}, weights=weights,
        metrics=metrics, head_metrics={"income": "income_accuracy", "gender": "gender_accuracy"},
        seconds=1.0, epochs=3,
    )  # fmt: skip
    front = crowd.pareto("income", "gender")
    assert sorted(front) == [4, 12, 20]
    labels = {t.get_text() for t in crowd.front_picture("income", "gender").figure.axes[0].texts}
    for index in front:
        w = weights[index]
        assert f"{w['income']:g}/{w['gender']:g}" in labels
    assert 3 < len(labels) < 6, "the 22 runs in one corner share one or two labels"
