import numpy as np
import pytest

from helpers.data import make_posts
from helpers.env import quiet_keras_import, set_seed
from helpers.models import compact_posts_model

keras = quiet_keras_import()

LOSSES = {
    "age": "mse",
    "income": "sparse_categorical_crossentropy",
    "gender": "binary_crossentropy",
}
METRICS = {"age": ["mae"], "income": ["accuracy"], "gender": ["accuracy"]}


def train_and_score(weights, seed, epochs=10):
    """Lesson 03's recommended recipe on make_posts defaults; held-out scores and test set."""
    set_seed(seed)
    train, test = make_posts(standardize_age=True, seed=seed).split(0.2)
    model = compact_posts_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
        loss=LOSSES,
        loss_weights=weights,
        metrics=METRICS,
    )
    model.fit(train.posts, train.targets, epochs=epochs, batch_size=64, verbose=0)
    return model.evaluate(test.posts, test.targets, verbose=0, return_dict=True), test


def test_outputs_are_named_heads_in_order_and_the_model_is_not_compiled():
    model = compact_posts_model()
    assert model.output_names == ["age", "income", "gender"]
    assert [t.name for t in model.inputs] == ["posts"]
    assert model.inputs[0].shape == (None, 60)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 1), (None, 10), (None, 1)]
    assert not model.compiled


def test_parameter_count_matches_the_lessons_arithmetic():
    # Embedding 2000 x 16, shared Dense(16), heads 1 + 10 + 1 on 16 units.
    expected = 2000 * 16 + (16 * 16 + 16) + (16 + 1) + (16 * 10 + 10) + (16 + 1)
    assert compact_posts_model().count_params() == expected == 32_476


def test_keyword_arguments_change_the_architecture():
    model = compact_posts_model(
        vocab_size=500, sequence_length=None, embedding_dim=8, shared_width=4, n_income_groups=5
    )
    assert model.inputs[0].shape == (None, None)
    assert model.get_layer("shared").units == 4
    assert model.get_layer("income").units == 5
    assert model.count_params() == 500 * 8 + (8 * 4 + 4) + 5 + (4 * 5 + 5) + 5


def test_the_lessons_inline_model_has_the_same_architecture():
    """Lesson 03 writes the model out; the builder must stay the same model."""
    layers = keras.layers
    posts_input = keras.Input(shape=(60,), dtype="int32", name="posts")
    x = layers.Embedding(2000, 16, name="embedding")(posts_input)
    x = layers.GlobalAveragePooling1D(name="average")(x)
    x = layers.Dense(16, activation="relu", name="shared")(x)
    outputs = [
        layers.Dense(1, name="age")(x),
        layers.Dense(10, activation="softmax", name="income")(x),
        layers.Dense(1, activation="sigmoid", name="gender")(x),
    ]
    inline = keras.Model(posts_input, outputs, name="compact_posts_model")

    def describe(model):
        return [
            (type(layer).__name__, layer.name, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers
        ]

    assert describe(inline) == describe(compact_posts_model())


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"vocab_size": 0}, ValueError, ["vocab_size", ">= 1", "0"]),
        ({"shared_width": 2.5}, TypeError, ["shared_width", "integer", "2.5"]),
        ({"sequence_length": 0}, ValueError, ["sequence_length", ">= 1"]),
        ({"n_income_groups": 1}, ValueError, ["n_income_groups", ">= 2"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        compact_posts_model(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_every_head_beats_its_baseline_on_held_out_posts():
    """The lesson's bars, on make_posts defaults with a seed the notebook does not use."""
    scores, test = train_and_score({"age": 0.25, "income": 1.0, "gender": 10.0}, seed=3)
    assert scores["age_mae"] <= 0.7 * test.age_baseline_mae
    assert scores["income_accuracy"] >= 2 * test.income_chance
    assert scores["gender_accuracy"] >= 0.75


def test_loss_weights_decide_which_head_gets_the_shared_layer():
    """The loss-weight lab's extremes: the favoured head wins by at least 30 points."""
    favour_gender, _ = train_and_score({"age": 0.001, "income": 0.1, "gender": 10.0}, seed=1)
    favour_income, _ = train_and_score({"age": 0.001, "income": 10.0, "gender": 0.1}, seed=1)
    gain_gender = favour_gender["gender_accuracy"] - favour_income["gender_accuracy"]
    gain_income = favour_income["income_accuracy"] - favour_gender["income_accuracy"]
    assert gain_gender >= 0.30, (favour_gender, favour_income)
    assert gain_income >= 0.30, (favour_gender, favour_income)
    assert np.isfinite(favour_gender["loss"]) and np.isfinite(favour_income["loss"])
