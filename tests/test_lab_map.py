"""The trade-off map: runs trained together equal separate retrains, on TensorFlow and JAX.

The map stacks one copy of the lab's model per weight setting and trains them in one
``fit`` (helpers.lab._copies); each copy must follow the run ``lab.train`` trains at
its weights, so every spot-checked run is compared with a separate retrain, on seeds
and data that were not tuned. JAX needs a process of its own (a process has one backend):
its check, ``agreement(*JAX_SEEDS)``, runs in tests/test_backends.py's JAX child, which
the loss-weight checks start anyway, and is judged there by ``check_agreement``. The map's
pictures are checked at the end: colours as far apart as the runs are, each panel's span in
its title, every run on the Pareto front labelled and no crowd of labels.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from helpers.data.posts import make_posts
from helpers.lab import LossWeightLab
from helpers.lab._copies import CopiesTrainer, held_out_scores
from helpers.lab._map import MapResult, plane_point
from helpers.lab._map_draw import LEAST_SPAN, colour_range, map_figure
from helpers.lab._stacked import unstackable

ACCURACY_TOL, MAE_REL_TOL = 0.004, 0.01  # the bars for "the same run"
SPOT = ({"income": 0.01, "gender": 100.0}, {"income": 1.0, "gender": 1.0}, {"income": 100.0})
JAX_SEEDS = (8, 5)  # data and model seeds of the check on JAX (tests/test_backends.py)


def differences(mapped: dict, separate: dict) -> dict:
    """Accuracy differences (absolute) and MAE differences (relative) of two runs."""
    out = {}
    for key, value in separate.items():
        if key.endswith("accuracy"):
            out[key] = abs(mapped[key] - value)
        elif key.endswith("mae"):
            out[key] = abs(mapped[key] - value) / value
    return out


def lab_on(data_seed: int, model_seed: int, **options) -> LossWeightLab:
    """A lab on 1,200 standardised posts made with ``data_seed``, its initial weights with
    ``model_seed``."""
    data = make_posts(1200, standardize_age=True, seed=data_seed)
    return LossWeightLab(data=data, seed=model_seed, **options)


def agreement(data_seed: int, model_seed: int, epochs: int, lab=None) -> dict:
    """Map a 3 x 3 plane, retrain three of its settings separately; the differences.

    On ``lab`` when one is given (built by ``lab_on`` with the same seeds), else on a lab
    of its own."""
    own = lab is None
    if own:
        lab = lab_on(data_seed, model_seed)
    try:
        result = lab.map("income", "gender", (0.01, 1.0, 100.0), epochs=epochs, block=True)
        worst: dict[str, float] = {}
        for spot in SPOT:
            weights = {"age": 1.0, "income": 1.0, "gender": 1.0, **spot}
            separate = lab.train(weights=weights, epochs=epochs, block=True, draw=False)
            mapped = result.metrics[result.weights.index(weights)]
            for key, value in differences(mapped, separate).items():
                worst[key] = max(worst.get(key, 0.0), value)
        return {
            "worst": worst,
            "together": result.together,
            "spans": {h: result.span(h) for h in lab.heads},
            "holes": sum(m is None for m in result.metrics),
        }
    finally:
        if own:
            lab.close()


def check_agreement(report: dict) -> None:
    assert report["together"], "the compact posts model should stack"
    assert report["holes"] == 0
    for key, value in report["worst"].items():
        limit = ACCURACY_TOL if key.endswith("accuracy") else MAE_REL_TOL
        assert value <= limit, f"{key}: the mapped run differs from a retrain by {value:.5f}"
    assert max(report["spans"].values()) >= 0.3, f"no head's metric moves: {report['spans']}"


LAB_SEEDS = (21, 13)  # the module's lab: data and model seeds


@pytest.fixture(scope="module")
def lab():
    # 2 epochs: what the Map button trains for; no test here asks that button's map to learn.
    made = lab_on(*LAB_SEEDS, epochs=2)
    yield made
    made.close()


# ---------------------------------------------------------------------- agreement
@pytest.mark.parametrize("seeds", [LAB_SEEDS, (4, 2)], ids=["21-13", "4-2"])
def test_every_spot_checked_mapped_run_equals_a_separate_retrain(seeds, request):
    # On these seeds the module's lab is the lab agreement would build: it maps on that one.
    shared = request.getfixturevalue("lab") if seeds == LAB_SEEDS else None
    check_agreement(agreement(*seeds, epochs=5, lab=shared))


def test_a_sweep_trains_its_runs_together_and_records_them(lab):
    before = dict(lab.weights)
    first = len(lab.runs)
    result = lab.sweep("gender", [0.01, 100.0], weights={"income": 1.0}, epochs=4)
    assert [run.mode for run in lab.runs[first:]] == ["sweep", "sweep"]
    assert [run.weights["gender"] for run in lab.runs[first:]] == [0.01, 100.0]
    assert lab.weights == before, "a sweep leaves the sliders where they were"
    gender = result.metric("gender")
    assert gender[1] - gender[0] >= 0.2, f"gender's weight should buy accuracy: {gender}"
    separate = lab.train(weights={"gender": 100.0, "income": 1.0}, epochs=4, block=True, draw=False)
    for key, value in differences(result.results[1], separate).items():
        assert value <= (ACCURACY_TOL if key.endswith("accuracy") else MAE_REL_TOL), key
    code = lab.to_code(lab.runs[first + 1])
    assert "loss_weights" in code and "100" in code


# ---------------------------------------------------------------------- the result
def test_the_map_names_its_metrics_as_evaluate_does_and_draws(lab):
    result = lab.map(values=(0.1, 10.0), epochs=2, block=True)
    assert lab.last_map is result
    assert (result.x, result.y) == ("income", "gender"), "default axes: the last two heads"
    assert len(result.weights) == 4 and result.others == {"age": lab.weights["age"]}
    assert set(result.metrics[0]) == set(lab.trainer.evaluate())
    assert result.grid("income").shape == (2, 2)
    png = result.with_marks(lab.weights, [{"age": 1, "income": 3, "gender": 0.5}]).to_png()
    assert png.startswith(b"\x89PNG")
    assert "Map done: 4 runs" in lab.message


def test_weights_that_differ_by_a_common_factor_are_the_same_point():
    assert plane_point({"age": 1, "income": 10, "gender": 1}, "income", "gender") == pytest.approx(
        plane_point({"age": 2, "income": 20, "gender": 2}, "income", "gender")
    )


def _result(metrics):
    values = [0.1, 10.0]
    weights = [{"age": 1.0, "income": x, "gender": y} for x in values for y in values]
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


def test_nearest_and_pareto_read_the_plane():
    metrics = [
        {"age_mae": 0.3, "income_accuracy": 0.2},  # income 0.1, gender 0.1
        {"age_mae": 0.5, "income_accuracy": 0.1},  # dominated by the first
        {"age_mae": 0.6, "income_accuracy": 0.8},
        None,  # a hole
    ]
    result = _result(metrics)
    assert result.nearest({"age": 1, "income": 8, "gender": 0.2}) == 2
    assert result.nearest({"age": 10, "income": 80, "gender": 2}) == 2, "only ratios count"
    assert result.pareto("age", "income") == [0, 2], "best age MAE first; run 1 is dominated"
    assert math.isnan(result.grid("age")[1, 1]), "the hole stays a hole"
    assert "diverged" in result.point_text({"age": 1, "income": 10, "gender": 10})
    assert "income accuracy 0.800" in result.point_text({"age": 1, "income": 10, "gender": 0.1})
    assert result.to_png().startswith(b"\x89PNG"), "a map with a hole still draws"
    front = result.front_picture("age", "income")
    assert front._repr_mimebundle_()["image/png"] and "Pareto front" in str(
        front.figure.axes[0].get_legend().get_texts()[0].get_text()
    )


def test_a_copy_whose_loss_is_nan_is_a_hole_and_the_others_keep_their_numbers(lab):
    config = lab.config
    n = len(config.x_test)
    good = {
        "age": np.zeros((n, 2, 1), "float32"),
        "income": np.full((n, 2, 10), 0.1, "float32"),
        "gender": np.full((n, 2, 1), 0.5, "float32"),
    }
    good["age"][:, 1] = np.nan
    scores = held_out_scores(config, good, np.ones((2, 3), "float32"))
    assert scores[1] is None
    assert scores[0]["gender_accuracy"] == pytest.approx(np.mean(config.y_test["gender"] == 0))


# ---------------------------------------------------------------------- control and errors
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"x": "height"}, "x must be one of the heads"),
        ({"x": "gender", "y": "gender"}, "two different heads"),
        ({"values": (1.0,)}, "at least two weights"),
        ({"values": (10.0, 1.0)}, "distinct and increasing"),
        ({"values": (0.0001, 1.0)}, "outside the lab's sliders"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_bad_map_arguments_say_what_and_how_to_fix_before_training(lab, kwargs, words):
    runs = len(lab.runs)
    with pytest.raises(ValueError, match=words):
        lab.map(**{"values": (0.1, 10.0), **kwargs}, block=True)
    assert len(lab.runs) == runs and not lab.running


def test_stop_ends_a_map_cleanly_and_the_lab_trains_after(lab):
    started = threading.Event()
    lab.state.observe(
        lambda change: started.set() if "epoch 1 of" in change.new else None, "status"
    )
    lab.map(values=(0.1, 10.0), epochs=500)
    assert started.wait(120), "the map never finished its first epoch"
    lab.stop(wait=True)
    lab.wait(120)
    result = lab.last_map
    assert result.stopped and 1 <= result.epochs < 500
    assert "stopped after epoch" in lab.message
    assert lab.train(epochs=1, block=True, draw=False) is not None, "the lab is usable after"


def test_train_waits_for_a_map_as_for_a_run(lab):
    lab.map(values=(0.1, 10.0), epochs=200)
    try:
        with pytest.raises(RuntimeError, match="already in progress"):
            lab.train(block=True)
    finally:
        lab.stop(wait=True)
        lab.wait(120)


def test_a_model_that_cannot_stack_is_mapped_one_run_after_another():
    import keras

    def build():
        ids = keras.Input((60,), dtype="int32", name="posts")
        x = keras.layers.Embedding(2000, 8)(ids)
        x = keras.layers.GlobalAveragePooling1D()(x)
        x = keras.layers.Dense(8, activation="relu", name="shared")(x)
        x = keras.layers.LayerNormalization()(x)
        outputs = [
            keras.layers.Dense(1, name="age")(x),
            keras.layers.Dense(10, activation="softmax", name="income")(x),
            keras.layers.Dense(1, activation="sigmoid", name="gender")(x),
        ]
        return keras.Model(ids, outputs)

    lab = LossWeightLab(build, data=make_posts(600, standardize_age=True, seed=2), seed=3)
    try:
        assert "LayerNormalization" in unstackable(lab.trainer.model)
        result = lab.map(values=(0.1, 10.0), epochs=2, block=True)
        assert not result.together
        separate = lab.train(weights={"income": 10.0, "gender": 0.1}, epochs=2, block=True)
        mapped = result.metrics[result.weights.index({"age": 1.0, "income": 10.0, "gender": 0.1})]
        assert differences(mapped, separate) == pytest.approx(
            dict.fromkeys(differences(mapped, separate), 0.0), abs=1e-6
        )
        assert len(lab.runs) == 1, "a map's runs do not fill the runs table"
    finally:
        lab.close()


def test_the_copies_trainer_is_built_once_per_number_of_copies(lab):
    copies = CopiesTrainer(lab.trainer)
    settings = [dict.fromkeys(lab.heads, 1.0)] * 2
    copies.train(settings, 1)
    model = copies._model(2)[0]
    copies.train(settings, 1)
    assert copies._model(2)[0] is model


# ---------------------------------------------------------------------- the lab's widgets
def test_the_map_button_maps_and_a_slider_then_reads_the_nearest_mapped_run(lab):
    lab.set_weights({"age": 1.0, "income": 1.0, "gender": 1.0})
    lab.buttons["map"].click()
    assert lab.buttons["map"].disabled and lab.buttons["train"].disabled
    lab.wait(300)
    assert lab.last_map is not None and len(lab.last_map.weights) == 25
    assert not lab.buttons["map"].disabled and not lab.buttons["train"].disabled
    picture = bytes(lab.view.map_plot.value)
    assert picture.startswith(b"\x89PNG") and lab.view.map_plot.layout.display is None
    assert "Map point nearest the sliders (age 1, income 1, gender 1)" in lab.view.map_point.value
    runs = len(lab.runs)
    lab.sliders["income"].value = 9.0  # nearest mapped income weight: 10
    index = lab.last_map.nearest(lab.weights)
    expected = lab.last_map.metrics[index]["income_accuracy"]
    assert "income 10, gender 1" in lab.view.map_point.value
    assert f"income accuracy {expected:.3f}" in lab.view.map_point.value
    assert bytes(lab.view.map_plot.value) != picture, "the star moved"
    assert len(lab.runs) == runs and not lab.running, "nothing trained"


def test_a_finished_run_is_marked_on_the_map(lab):
    lab.map(values=(0.1, 10.0), epochs=1, block=True)
    before = len(lab.view._map_picture.result.marks)
    lab.train(weights={"income": 3.0}, epochs=1, block=True, draw=False)
    assert len(lab.view._map_picture.result.marks) == before + 1


# ------------------------------------------------- the map's panels and front picture
def accuracy_map(income_accuracies):
    """A 2 x 2 map with these income accuracies and age MAEs 0.5, 0.6, 0.7, 0.8."""
    return _result(
        [{"age_mae": 0.5 + 0.1 * i, "income_accuracy": a} for i, a in enumerate(income_accuracies)]
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
    figure = map_figure(accuracy_map(accuracies))
    worst, best = corner_colours(figure, panel=1)
    distance = float(np.abs(np.subtract(best[:3], worst[:3])).sum())
    assert (distance > 1.0) is far_apart, distance
    low, high = figure.axes[1].images[0].get_clim()
    assert high - low >= LEAST_SPAN - 1e-9
    assert low <= min(accuracies) and high >= max(accuracies)


def test_each_panel_title_gives_its_runs_span():
    figure = map_figure(accuracy_map([0.80, 0.805, 0.81, 0.795]))
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
