import numpy as np
import pytest

from helpers.data import Pairs, make_pairs, make_qa
from helpers.data.pairs import DIFFERENCES, WORDINGS
from helpers.data.qa import PEOPLE, PLACES


def facts(pairs, side):
    """(person, place) stated by each sentence on one side, read back from the words."""
    vocab = pairs.vocab
    out = []
    for row in getattr(pairs, side):
        words = vocab.decode(row).split()
        person = [w for w in words if w in PEOPLE]
        place = [w for w in words if w in PLACES]
        assert len(person) == 1 and len(place) == 1, words
        out.append((person[0], place[0]))
    return out


def test_shapes_dtypes_and_padding_at_the_start():
    d = make_pairs(500, seed=0)
    assert isinstance(d, Pairs) and len(d) == 500
    assert d.left.shape == d.right.shape == (500, 7)
    assert d.left.dtype == d.right.dtype == np.int32
    assert d.label.shape == (500,) and d.label.dtype == np.float32
    assert set(np.unique(d.label)) == {0.0, 1.0}
    for array in (d.left, d.right):
        nonzero = array != 0
        first = nonzero.argmax(axis=1)
        assert np.array_equal(nonzero, np.arange(7)[None, :] >= first[:, None])
        assert nonzero[:, -1].all() and array.max() < len(d.vocab)


def test_the_vocabulary_is_make_qas():
    d = make_pairs(20)
    assert d.vocab == make_qa(20).vocab
    assert d.inputs.keys() == {"left", "right"}
    assert d.inputs["left"] is d.left and d.inputs["right"] is d.right


def test_labels_say_whether_the_two_sentences_state_the_same_fact():
    d = make_pairs(1500, seed=2)
    left, right = facts(d, "left"), facts(d, "right")
    for (lp, ll), (rp, rl), label, diff in zip(left, right, d.label, d.difference, strict=True):
        assert label == float((lp, ll) == (rp, rl))
        expected = {
            (True, True): "none",
            (False, True): "person",
            (True, False): "place",
            (False, False): "both",
        }[(lp == rp, ll == rl)]
        assert diff == expected


def test_kinds_of_difference_are_balanced_and_the_labels_follow_same_fraction():
    d = make_pairs(3000, seed=5)
    counts = {k: int(np.sum(d.difference == k)) for k in DIFFERENCES}
    assert counts["none"] == int(d.label.sum())
    assert abs(d.label.mean() - 0.5) < 0.03
    for k in ("person", "place", "both"):
        assert abs(counts[k] / 3000 - 0.5 / 3) < 0.03, counts
    assert abs(make_pairs(2000, same_fraction=0.2, seed=5).label.mean() - 0.2) < 0.03


def test_sentences_that_say_the_same_thing_usually_look_different():
    d = make_pairs(2000, seed=6)
    same = d.label == 1
    identical = np.all(d.left == d.right, axis=1)
    assert identical[same].mean() < 0.3
    assert not identical[~same].any()
    # Each wording appears on both sides: order and position of the names vary.
    starts = {d.vocab.word(row[row != 0][0]) for row in d.left}
    assert {"in", "the"} <= starts and starts & set(PEOPLE)


def test_one_wording_only_gives_one_sentence_form():
    d = make_pairs(100, wordings=["is_in"], n_people=8, n_places=8, seed=0)
    words = {tuple(d.vocab.decode(row).split()[1:4]) for row in np.concatenate([d.left, d.right])}
    assert words == {("is", "in", "the")}


def test_no_pair_repeats_in_either_order_so_split_parts_are_disjoint():
    d = make_pairs(3000, seed=1)
    keys = [frozenset((a.tobytes(), b.tobytes())) for a, b in zip(d.left, d.right, strict=True)]
    assert len(set(keys)) == len(keys)
    train, test = d.split(0.5)
    train_keys = {
        frozenset((a.tobytes(), b.tobytes())) for a, b in zip(train.left, train.right, strict=True)
    }
    swapped = test.swapped()
    for a, b in zip(swapped.left, swapped.right, strict=True):
        assert frozenset((a.tobytes(), b.tobytes())) not in train_keys


def test_the_first_sentence_is_the_changed_one_half_of_the_time():
    """Which side holds the drawn fact is random, so no side is special."""
    d = make_pairs(3000, seed=8)
    # With n_people = n_places = 8, every person appears about equally on each side.
    left_people = np.array([p for p, _ in facts(d, "left")])
    right_people = np.array([p for p, _ in facts(d, "right")])
    for person in PEOPLE:
        assert abs(np.mean(left_people == person) - np.mean(right_people == person)) < 0.03


def test_swapped_exchanges_the_sentences_and_keeps_the_labels():
    d = make_pairs(100, seed=3)
    s = d.swapped()
    np.testing.assert_array_equal(s.left, d.right)
    np.testing.assert_array_equal(s.right, d.left)
    np.testing.assert_array_equal(s.label, d.label)
    np.testing.assert_array_equal(s.swapped().left, d.left)


def test_majority_is_the_share_of_the_more_frequent_answer():
    d = make_pairs(1000, same_fraction=0.3, seed=4)
    assert d.majority == pytest.approx(1 - d.label.mean())
    assert 0.65 < d.majority < 0.75


def test_show_reads_a_pair_and_a_prediction():
    d = make_pairs(40, seed=1)
    i = int(np.argmax(d.label == 1))
    text = d.show(i)
    lines = text.splitlines()
    assert lines[0].startswith("A: ") and lines[1].startswith("B: ")
    assert lines[0].endswith(".") and lines[0][3].isupper()
    assert lines[2] == "same meaning: yes"
    assert d.show(i, prediction=0.9).endswith("model: yes (p = 0.90, right)")
    assert d.show(i, prediction=np.array([0.2])).endswith("model: no (p = 0.20, wrong)")
    j = int(np.argmax(d.label == 0))
    assert d.show(j).endswith("same meaning: no")
    assert d.show(-1) == d.show(len(d) - 1)
    with pytest.raises(IndexError, match="pair index"):
        d.show(40)
    with pytest.raises(ValueError, match="prediction must be a probability"):
        d.show(0, prediction=3.0)


def test_repr_is_a_short_summary():
    d = make_pairs(50, seed=0)
    assert repr(d) == (
        f"Pairs(50 pairs of sentences of 7 ids, {int(d.label.sum())} saying the same thing, "
        "68-word vocabulary)"
    )


def test_too_many_pairs_for_the_settings_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="without repeating a pair"):
        make_pairs(500, n_people=2, n_places=2, wordings=["is_in"])


def test_wordings_are_the_four_documented_ones():
    assert WORDINGS == ("moved", "is_in", "in_is", "where")


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", "between 10 and 1000000", "5"]),
        ({"n_samples": 2.5}, TypeError, ["n_samples", "integer", "2.5"]),
        ({"n_people": 1}, ValueError, ["n_people", "between 2 and 8", "1"]),
        ({"n_places": 9}, ValueError, ["n_places", "between 2 and 8", "9"]),
        ({"same_fraction": 1.0}, ValueError, ["same_fraction", "between 0.05 and 0.95", "1"]),
        ({"same_fraction": "half"}, TypeError, ["same_fraction", "number", "'half'"]),
        ({"wordings": "moved"}, TypeError, ["wordings", "list or tuple", "'moved'"]),
        ({"wordings": []}, ValueError, ["wordings", "at least one"]),
        ({"wordings": ["shouted"]}, ValueError, ["wordings", "'moved'", "'shouted'"]),
        ({"wordings": ["moved", "moved"]}, ValueError, ["wordings", "repeat", "'moved'"]),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": "zero"}, TypeError, ["seed", "'zero'"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_pairs(**kwargs)
    for word in words:
        assert word in str(info.value)
