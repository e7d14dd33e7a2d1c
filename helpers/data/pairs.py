"""Pairs of sentences that do or do not say the same thing: lesson 06's shared encoder.

Every sentence states one fact, *who is where*, in one of several wordings built from
:func:`make_qa`'s vocabulary: "Mary went to the kitchen.", "Mary is in the kitchen.",
"In the kitchen is Mary.", "The kitchen is where Mary is.". A pair is labelled 1 when
both sentences state the same fact (whatever their wording) and 0 when the person, the
place or both differ. Deciding needs an encoder that maps every wording of a fact to the
same meaning and one comparison of the two meanings: the task a siamese model is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from helpers._validate import check_float, check_int, make_rng

from ._base import call_text, made_by_field, per_example, split_dataset
from .qa import MOVE_VERBS, PEOPLE, PLACES, VOCAB, Vocabulary, _as_sentences

__all__ = ["DIFFERENCES", "WORDINGS", "Pairs", "make_pairs"]

WORDINGS = ("moved", "is_in", "in_is", "where")
"""The ways a sentence can say that a person is in a place.

``"moved"``: "Mary went to the kitchen." (any of the four verbs of motion);
``"is_in"``: "Mary is in the kitchen."; ``"in_is"``: "In the kitchen is Mary.";
``"where"``: "The kitchen is where Mary is.".
"""

DIFFERENCES = ("none", "person", "place", "both")
"""What differs between a pair's two facts; ``"none"`` is a pair that says the same thing."""

SENTENCE_LENGTH = 7  # the longest wording, "the kitchen is where Mary is ."
_MAX_REPEATS_IN_A_ROW = 2000


def _sentence(wording: str, person: str, place: str, verb: str) -> list[str]:
    if wording == "moved":
        return [person, verb, "to", "the", place, "."]
    if wording == "is_in":
        return [person, "is", "in", "the", place, "."]
    if wording == "in_is":
        return ["in", "the", place, "is", person, "."]
    return ["the", place, "is", "where", person, "is", "."]


@dataclass(frozen=True)
class Pairs:
    """Sentence pairs as padded word ids, labelled 1 when both say the same thing.

    Attributes
    ----------
    left, right : ndarray of int32, shape (n, 7)
        The two sentences' word ids, padded with 0 at the start (so a recurrent layer
        ends on the sentence's last word). Ids are those of ``vocab``.
    label : ndarray of float32, shape (n,)
        1.0 when the two sentences state the same fact, else 0.0 (for
        ``binary_crossentropy``).
    difference : ndarray of str, shape (n,)
        What differs between the two facts: ``"none"`` (a pair labelled 1),
        ``"person"``, ``"place"`` or ``"both"``.
    vocab : Vocabulary
        The vocabulary of :func:`make_qa`; ``Embedding(len(vocab), ...)`` covers it.
    made_by : str or None
        A call that rebuilds this data, such as ``make_pairs(300, seed=1).split(0.2)[0]``
        (``None`` for a NumPy ``Generator`` seed); ``lab.to_code()`` reads it.
    """

    left: np.ndarray = per_example()
    right: np.ndarray = per_example()
    label: np.ndarray = per_example()
    difference: np.ndarray = per_example()
    vocab: Vocabulary
    made_by: str | None = made_by_field()

    def __len__(self) -> int:
        return len(self.label)

    def __repr__(self) -> str:
        return (
            f"Pairs({len(self)} pairs of sentences of {self.left.shape[1]} ids, "
            f"{int(self.label.sum())} saying the same thing, {len(self.vocab)}-word vocabulary)"
        )

    @property
    def inputs(self) -> dict[str, np.ndarray]:
        """The two sentences keyed ``"left"`` and ``"right"``, for inputs with those names."""
        return {"left": self.left, "right": self.right}

    @property
    def majority(self) -> float:
        """Accuracy of always giving this set's more frequent answer (about 0.5)."""
        share = float(np.mean(self.label))
        return max(share, 1.0 - share)

    def swapped(self) -> Pairs:
        """The same pairs with the two sentences exchanged (labels unchanged).

        Examples
        --------
        >>> pairs = make_pairs(20)
        >>> bool((pairs.swapped().left == pairs.right).all())
        True
        """
        made_by = None if self.made_by is None else f"{self.made_by}.swapped()"
        return replace(self, left=self.right, right=self.left, made_by=made_by)

    def show(self, i: int, prediction: float | None = None) -> str:
        """Pair ``i`` as plain text; with ``prediction`` (a probability), the model's answer.

        Examples
        --------
        >>> print(make_pairs(10, seed=1).show(0))  # doctest: +SKIP
        A: Sandra is in the garden.
        B: The garden is where Sandra is.
        same meaning: yes
        """
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise IndexError(f"pair index must be an integer in [-{n}, {n}), got {i!r}")
        truth = "yes" if self.label[i] == 1 else "no"
        line = (
            f"A: {_as_sentences(self.vocab.decode(self.left[i]))}\n"
            f"B: {_as_sentences(self.vocab.decode(self.right[i]))}\n"
            f"same meaning: {truth}"
        )
        if prediction is not None:
            p = float(np.asarray(prediction).reshape(-1)[0])
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"prediction must be a probability in [0, 1], got {p!r}")
            guess = "yes" if p > 0.5 else "no"
            mark = "right" if guess == truth else "wrong"
            line += f"  model: {guess} (p = {p:.2f}, {mark})"
        return line

    def split(self, test_fraction: float = 0.2) -> tuple[Pairs, Pairs]:
        """Split into a training part and a held-out part (the last ``test_fraction``).

        No pair occurs twice, in either order, so no held-out pair (and no held-out
        pair swapped) is in the training part.

        Examples
        --------
        >>> train, test = make_pairs(1000).split(0.2)
        >>> len(train), len(test)
        (800, 200)
        """
        return split_dataset(self, test_fraction, "pairs")


def make_pairs(
    n_samples: int = 2000,
    *,
    n_people: int = 8,
    n_places: int = 8,
    same_fraction: float = 0.5,
    wordings: Sequence[str] = WORDINGS,
    seed=0,
) -> Pairs:
    """Pairs of sentences about who is where, labelled by whether they say the same thing.

    Each pair draws a fact (a person and a place). With probability ``same_fraction``
    both sentences state that fact; otherwise the second sentence changes the person,
    the place or both (each a third of the time), so a model must check both words.
    Each sentence's wording is drawn independently from ``wordings`` (and a verb of
    motion for ``"moved"``), so two sentences that say the same thing usually look
    different, and two that look alike may differ. Which sentence comes first is random.

    No pair occurs twice, in either order, so :meth:`Pairs.split` gives held-out pairs
    the model never saw, neither as they are nor swapped.

    Parameters
    ----------
    n_samples : int, default 2000
        Number of pairs, all different.
    n_people, n_places : int, default 8
        How many names and places the sentences draw from (2 to 8 each).
    same_fraction : float, default 0.5
        Share of pairs that say the same thing (label 1), between 0.05 and 0.95.
    wordings : sequence of str, default all of ``WORDINGS``
        Which wordings to use: ``"moved"``, ``"is_in"``, ``"in_is"``, ``"where"``.
        Fewer wordings make the task easier.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data; global random state is never touched.

    Returns
    -------
    Pairs
        ``left``, ``right`` (int32 word ids, 0 = padding), ``label`` (float32 0/1),
        ``inputs`` (a dict for inputs named ``"left"`` and ``"right"``), ``swapped()``,
        ``show(i)`` and ``split()``.

    Examples
    --------
    >>> pairs = make_pairs(1000, seed=1)
    >>> pairs.left.shape, pairs.right.shape, pairs.label.shape
    ((1000, 7), (1000, 7), (1000,))
    >>> train, test = pairs.split(0.2)
    >>> len(train), len(test)
    (800, 200)
    """
    made_by = call_text(make_pairs, locals())
    n_samples = check_int("n_samples", n_samples, low=10, high=1_000_000)
    n_people = check_int("n_people", n_people, low=2, high=len(PEOPLE))
    n_places = check_int("n_places", n_places, low=2, high=len(PLACES))
    same_fraction = check_float("same_fraction", same_fraction, low=0.05, high=0.95)
    wordings = _check_wordings(wordings)
    rng = make_rng(seed)

    people, places = PEOPLE[:n_people], PLACES[:n_places]
    left = np.zeros((n_samples, SENTENCE_LENGTH), dtype=np.int32)
    right = np.zeros((n_samples, SENTENCE_LENGTH), dtype=np.int32)
    label = np.zeros(n_samples, dtype=np.float32)
    difference = np.empty(n_samples, dtype="<U6")

    seen: set[frozenset[bytes]] = set()
    misses = 0  # repeats in a row; many means the settings cannot make more pairs
    i = 0
    says_same = rng.random() < same_fraction  # drawn once per pair, kept while redrawing
    while i < n_samples:
        if misses > _MAX_REPEATS_IN_A_ROW:
            raise ValueError(
                f"n_samples={n_samples} is more than these settings can make without "
                f"repeating a pair (found {i} different ones); lower n_samples or raise "
                "n_people, n_places or the number of wordings"
            )
        person, place = int(rng.integers(n_people)), int(rng.integers(n_places))
        other_person, other_place = person, place
        change = "none"
        if not says_same:
            change = ("person", "place", "both")[rng.integers(3)]
            if change in ("person", "both"):
                other_person = (person + 1 + int(rng.integers(n_people - 1))) % n_people
            if change in ("place", "both"):
                other_place = (place + 1 + int(rng.integers(n_places - 1))) % n_places
        a = _encode(rng, wordings, people[person], places[place])
        b = _encode(rng, wordings, people[other_person], places[other_place])
        if rng.random() < 0.5:
            a, b = b, a
        key = frozenset((a.tobytes(), b.tobytes()))  # unordered: (a, b) and (b, a) are one pair
        if key in seen:
            misses += 1
            continue
        misses = 0
        seen.add(key)
        left[i, SENTENCE_LENGTH - len(a) :] = a
        right[i, SENTENCE_LENGTH - len(b) :] = b
        label[i] = 1.0 if change == "none" else 0.0
        difference[i] = change
        i += 1
        says_same = rng.random() < same_fraction

    return Pairs(
        left=left, right=right, label=label, difference=difference, vocab=VOCAB, made_by=made_by
    )


def _encode(rng: np.random.Generator, wordings: tuple[str, ...], person: str, place: str):
    wording = wordings[rng.integers(len(wordings))]
    verb = MOVE_VERBS[rng.integers(len(MOVE_VERBS))]
    return VOCAB.encode(_sentence(wording, person, place, verb))


def _check_wordings(wordings) -> tuple[str, ...]:
    allowed = ", ".join(map(repr, WORDINGS))
    if isinstance(wordings, str) or not isinstance(wordings, Sequence):
        raise TypeError(
            f"wordings must be a list or tuple of wordings such as ('moved', 'is_in'), "
            f"got {wordings!r}"
        )
    if not wordings:
        raise ValueError(f"wordings must name at least one of {allowed}; got an empty sequence")
    for w in wordings:
        if w not in WORDINGS:
            raise ValueError(f"wordings must contain only {allowed}; got {w!r}")
    if len(set(wordings)) != len(wordings):
        raise ValueError(f"wordings must not repeat a wording, got {tuple(wordings)!r}")
    return tuple(wordings)
