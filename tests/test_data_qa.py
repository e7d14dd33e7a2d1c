import numpy as np
import pytest

from helpers.data import make_qa
from helpers.data.qa import COLOURS, PEOPLE, PLACES


def test_shapes_dtypes_and_padding_at_the_start():
    d = make_qa(500, seed=0)
    assert d.text.shape == (500, 17) and d.question.shape == (500, 6)
    assert d.answer.shape == (500,) and len(d) == 500
    assert d.text.dtype == np.int32 and d.question.dtype == np.int32
    assert np.issubdtype(d.answer.dtype, np.integer)
    for array in (d.text, d.question):
        nonzero = array != 0
        # Once a row's words start, no padding follows: padding is all at the start.
        first = nonzero.argmax(axis=1)
        columns = np.arange(array.shape[1])
        assert np.array_equal(nonzero, columns[None, :] >= first[:, None])
        assert nonzero[:, -1].all(), "every row ends with a word, not padding"
    assert d.text.max() < len(d.vocab) and d.answer.min() > 0


def test_shapes_follow_the_settings_not_the_seed():
    kwargs = {"people_per_story": 3, "moves_per_person": 2, "n_distractors": 2}
    a, b = make_qa(100, seed=1, **kwargs), make_qa(100, seed=2, **kwargs)
    assert a.text.shape == b.text.shape == (100, 3 * 2 * 6 + 5 + 2 * 6)
    assert make_qa(50, question_types=["where"]).question.shape == (50, 4)


def test_vocabulary_round_trip_both_ways():
    vocab = make_qa(20).vocab
    assert vocab.id_to_word[0] == "<pad>" and vocab.word_to_id["<pad>"] == 0
    assert len(vocab) == len(vocab.id_to_word) == len(vocab.word_to_id)
    for i, word in enumerate(vocab.id_to_word):
        assert vocab.word_to_id[word] == i
        assert vocab.word(i) == word
    sentence = "where is Mary ?"
    ids = vocab.encode(sentence)
    assert ids.dtype == np.int32
    assert vocab.decode(ids) == sentence
    assert vocab.decode([0, 0, *ids]) == sentence, "padding is left out"
    assert vocab.encode(sentence.split()).tolist() == ids.tolist()
    assert vocab.word(len(vocab) + 5) == f"<unused id {len(vocab) + 5}>"
    assert "kitchen" in vocab and "spaceship" not in vocab


def test_reprs_are_short_summaries():
    d = make_qa(50)
    assert repr(d) == (
        "QA(50 examples, text 17 ids, question 6 ids, 68-word vocabulary, "
        "questions: where, colour, who)"
    )
    assert repr(d.vocab).startswith("Vocabulary(68 words: <pad>, to, the,")


def test_encoding_an_unknown_word_names_it():
    with pytest.raises(ValueError, match="'spaceship' is not in the vocabulary"):
        make_qa(20).vocab.encode("where is the spaceship ?")


def test_the_vocabulary_is_the_same_for_every_setting_and_seed():
    a = make_qa(20, seed=0).vocab
    b = make_qa(20, seed=9, n_people=3, people_per_story=2, question_types=("where",)).vocab
    assert a.id_to_word == b.id_to_word


def _answer_from_story(story: list[str], question: list[str]) -> str:
    """Work out the answer by reading the story the way a person would."""
    sentences, current = [], []
    for word in story:
        current.append(word)
        if word == ".":
            sentences.append(current)
            current = []
    where = {}
    colour = None
    for s in sentences:
        if s[0] in PEOPLE:
            where[s[0]] = s[4]  # "Mary went to the kitchen ." (later moves overwrite)
        elif len(s) == 5 and s[3] in COLOURS:
            colour = s[3]
    if question[0] == "where":
        return where[question[2]]
    if question[0] == "who":
        (person,) = [p for p, place in where.items() if place == question[4]]
        return person
    return colour


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"people_per_story": 3, "moves_per_person": 3, "n_distractors": 3}],
)
def test_every_answer_is_the_one_a_reader_of_the_story_gives(kwargs):
    d = make_qa(400, seed=5, **kwargs)
    for i in range(len(d)):
        story = d.vocab.decode(d.text[i]).split()
        question = d.vocab.decode(d.question[i]).split()
        assert d.vocab.word(d.answer[i]) == _answer_from_story(story, question)


def test_with_one_person_the_story_names_one_word_of_the_answers_kind():
    # This is what makes the default task solvable by concatenation and one softmax layer.
    d = make_qa(300, seed=2)
    for i in range(len(d)):
        kind = d.question_type[i]
        choices = set(d.answer_choices[kind])
        named = set(d.vocab.decode(d.text[i]).split()) & choices
        assert named == {d.vocab.word(d.answer[i])}


def test_question_types_are_the_ones_asked_for_and_all_are_used():
    d = make_qa(900, seed=0)
    counts = {t: int(np.sum(d.question_type == t)) for t in ("where", "colour", "who")}
    assert all(250 <= c <= 350 for c in counts.values()), counts
    only = make_qa(100, question_types=("where", "who"), seed=0)
    assert set(only.question_type) <= {"where", "who"}
    assert "colour" not in only.vocab.decode(only.question.ravel())


def test_examples_are_unique_and_the_held_out_part_is_disjoint():
    d = make_qa(2000, seed=1)
    pairs = {(t.tobytes(), q.tobytes()) for t, q in zip(d.text, d.question, strict=True)}
    assert len(pairs) == 2000
    train, test = d.split(0.25)
    assert (len(train), len(test)) == (1500, 500)
    train_pairs = {
        (t.tobytes(), q.tobytes()) for t, q in zip(train.text, train.question, strict=True)
    }
    assert not any(
        (t.tobytes(), q.tobytes()) in train_pairs
        for t, q in zip(test.text, test.question, strict=True)
    )
    assert train.vocab is d.vocab and test.answer_choices == d.answer_choices


def test_chance_and_story_guess_baselines():
    d = make_qa(600, seed=0)
    assert d.chance == pytest.approx(1 / 6)
    assert d.story_guess_baseline == pytest.approx(1.0)
    smaller = make_qa(600, n_places=4, question_types=("where",), seed=0)
    assert smaller.chance == pytest.approx(1 / 4)
    lookup = make_qa(600, people_per_story=3, question_types=("where",), seed=0)
    assert lookup.story_guess_baseline == pytest.approx(1 / 3)
    moving = make_qa(600, moves_per_person=2, question_types=("where",), seed=0)
    assert moving.story_guess_baseline == pytest.approx(1 / 2)


def test_show_prints_story_question_answer_and_a_prediction():
    d = make_qa(50, seed=0)
    text = d.show(0)
    story, qa_line = text.split("\n")
    assert story.endswith(".") and story[0].isupper()
    assert qa_line.startswith("Q: ") and f"A: {d.vocab.word(d.answer[0])}" in qa_line
    assert d.show(0, prediction=int(d.answer[0])).endswith("(right)")
    wrong = int(d.answer[0]) + 1
    assert d.show(0, prediction=wrong).endswith("(wrong)")
    assert "<unused id 499>" in d.show(-1, prediction=499)
    with pytest.raises(IndexError, match="between|in \\["):
        d.show(50)


def test_difficulty_knobs_change_the_stories():
    plain = make_qa(200, n_distractors=0, seed=0)
    noisy = make_qa(200, n_distractors=3, seed=0)
    assert (noisy.text != 0).sum(axis=1).mean() > (plain.text != 0).sum(axis=1).mean() + 10
    few = make_qa(200, n_people=2, n_places=3, seed=0)
    where = few.question_type == "where"
    assert {few.vocab.word(a) for a in few.answer[where]} <= set(PLACES[:3])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", "between 10 and", "5"]),
        ({"n_samples": 100.0}, TypeError, ["n_samples", "integer", "100.0"]),
        ({"n_people": 9}, ValueError, ["n_people", "between 1 and 8", "9"]),
        ({"n_places": 1}, ValueError, ["n_places", "between 2 and 8", "1"]),
        ({"n_colours": 0}, ValueError, ["n_colours", "between 2 and 8", "0"]),
        ({"n_objects": 20}, ValueError, ["n_objects", "between 1 and 8", "20"]),
        ({"people_per_story": 0}, ValueError, ["people_per_story", ">= 1", "0"]),
        (
            {"people_per_story": 4, "n_places": 3},
            ValueError,
            ["people_per_story", "between 1 and 3", "n_places=3", "got 4"],
        ),
        ({"moves_per_person": 6}, ValueError, ["moves_per_person", "between 1 and 5", "6"]),
        ({"n_distractors": -1}, ValueError, ["n_distractors", "between 0 and 8", "-1"]),
        ({"question_types": "where"}, TypeError, ["question_types", "list or tuple", "'where'"]),
        ({"question_types": ()}, ValueError, ["question_types", "at least one"]),
        ({"question_types": ("why",)}, ValueError, ["question_types", "'where'", "'why'"]),
        ({"question_types": ("who", "who")}, ValueError, ["question_types", "repeat"]),
        ({"n_people": 1}, ValueError, ["n_people", "at least 2", "'who'"]),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": "zero"}, TypeError, ["seed", "'zero'"]),
        (
            {"n_samples": 5000, "n_people": 2, "n_places": 2, "n_distractors": 0},
            ValueError,
            ["n_samples=5000", "without repeating", "lower n_samples"],
        ),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_qa(**kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "fraction, error, words",
    [(0.0, ValueError, ["test_fraction", "between 0.05 and 0.95"]), ("x", TypeError, ["'x'"])],
)
def test_split_checks_its_fraction(fraction, error, words):
    with pytest.raises(error) as info:
        make_qa(100).split(fraction)
    for word in words:
        assert word in str(info.value)


def test_a_small_two_branch_model_learns_far_above_chance():
    from helpers.env import quiet_keras_import

    keras = quiet_keras_import()
    from keras import layers

    keras.utils.set_random_seed(0)
    train, test = make_qa(2000, seed=11).split(0.25)
    vocab_size = len(train.vocab)
    text_input = keras.Input(shape=(None,), dtype="int32", name="text")
    question_input = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(16)(layers.Embedding(vocab_size, 16)(text_input))
    encoded_question = layers.LSTM(8)(layers.Embedding(vocab_size, 8)(question_input))
    merged = layers.concatenate([encoded_text, encoded_question])
    answer = layers.Dense(vocab_size, activation="softmax")(merged)
    model = keras.Model([text_input, question_input], answer)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.02),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit([train.text, train.question], train.answer, epochs=12, batch_size=32, verbose=0)
    accuracy = model.evaluate([test.text, test.question], test.answer, verbose=0)[1]
    assert accuracy >= 4 * test.chance, (
        f"held-out accuracy {accuracy:.3f}, chance {test.chance:.3f}"
    )
