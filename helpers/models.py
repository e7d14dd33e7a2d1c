"""Ready-made Keras models that later lessons and the loss-weight lab start from.

The lessons write these models out in full where they teach them; the builders here
give the same architecture to code that only needs a model (the lab, benchmarks,
tests). Keras is imported when a builder is called, not when this module is imported.
"""

from __future__ import annotations

from helpers._validate import check_int
from helpers.env import quiet_keras_import

__all__ = ["compact_posts_model"]


def compact_posts_model(
    *,
    vocab_size: int = 2000,
    sequence_length: int | None = 60,
    embedding_dim: int = 16,
    shared_width: int = 16,
    n_income_groups: int = 10,
    name: str = "compact_posts_model",
):
    """Lesson 03's compact three-head posts model, uncompiled.

    ``posts -> Embedding -> GlobalAveragePooling1D -> Dense(shared_width, relu)`` (layers
    named ``"embedding"``, ``"average"`` and ``"shared"``) and,
    on that shared layer, three heads: ``age`` (``Dense(1)``, linear, for MSE),
    ``income`` (``Dense(n_income_groups)``, softmax) and ``gender`` (``Dense(1)``,
    sigmoid). Every head reads only the small shared layer, so the heads compete for
    it: the loss weights decide which head the shared layer serves best.

    It trains in a few seconds on a laptop CPU on ``helpers.data.make_posts`` defaults
    and is the same model that lesson 03 builds inline.

    Parameters
    ----------
    vocab_size : int, default 2000
        Rows of the embedding; token ids must be below it (``Posts.vocab_size``).
    sequence_length : int or None, default 60
        Tokens per post; ``None`` accepts posts of any length.
    embedding_dim : int, default 16
        Width of each token's embedding vector.
    shared_width : int, default 16
        Units of the shared ``Dense`` layer all three heads read (the bottleneck).
    n_income_groups : int, default 10
        Classes of the income head.
    name : str, default "compact_posts_model"
        The model's name.

    Returns
    -------
    keras.Model
        Not compiled. Input ``"posts"`` (int32 ids); outputs named ``"age"``,
        ``"income"`` and ``"gender"``, in that order.

    Examples
    --------
    >>> model = compact_posts_model()
    >>> model.output_names
    ['age', 'income', 'gender']
    >>> model.compile(
    ...     optimizer="adam",
    ...     loss={"age": "mse", "income": "sparse_categorical_crossentropy",
    ...           "gender": "binary_crossentropy"},
    ...     loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    ... )
    """
    for arg, value in [
        ("vocab_size", vocab_size),
        ("embedding_dim", embedding_dim),
        ("shared_width", shared_width),
        ("n_income_groups", n_income_groups),
    ]:
        check_int(arg, value, low=2 if arg == "n_income_groups" else 1)
    if sequence_length is not None:
        check_int("sequence_length", sequence_length, low=1)

    keras = quiet_keras_import()
    from keras import layers

    posts_input = keras.Input(shape=(sequence_length,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocab_size, embedding_dim, name="embedding")(posts_input)
    x = layers.GlobalAveragePooling1D(name="average")(embedded_posts)
    x = layers.Dense(shared_width, activation="relu", name="shared")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(n_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    return keras.Model(
        posts_input, [age_prediction, income_prediction, gender_prediction], name=name
    )
