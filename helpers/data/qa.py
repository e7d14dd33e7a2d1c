"""Short stories with a question and a one-word answer: lesson 02's two-input model.

The stories are generated procedurally in the style of Facebook's bAbI tasks ("Mary went
to the kitchen. Where is Mary?"), so nothing is downloaded. Every word has one id in a
small, fixed :class:`Vocabulary`; id 0 is padding. Answers are word ids too, so a softmax
over any vocabulary size at least ``len(vocab)`` (the book uses 500) can predict them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from helpers._validate import check_int, make_rng

from ._base import call_text, made_by_field, per_example, split_dataset

__all__ = ["QA", "QUESTION_TYPES", "Vocabulary", "make_qa"]

PAD = "<pad>"

PEOPLE = ("Mary", "John", "Sandra", "Daniel", "Julie", "Fred", "Bill", "Emma")
PLACES = ("kitchen", "garden", "office", "bedroom", "bathroom", "hallway", "cellar", "park")
OBJECTS = ("ball", "box", "cup", "book", "hat", "kite", "lamp", "bag")
COLOURS = ("red", "green", "blue", "yellow", "white", "black", "pink", "grey")
MOVE_VERBS = ("went", "moved", "travelled", "journeyed")
# Distractor sentences: words that are never an answer, so they carry no information.
FILLERS = (
    ("it", "is", "a", "sunny", "day", "."),
    ("the", "door", "is", "open", "."),
    ("the", "radio", "is", "playing", "music", "."),
    ("time", "goes", "by", "."),
    ("the", "window", "is", "closed", "."),
    ("everyone", "is", "quiet", "."),
    ("a", "dog", "barks", "outside", "."),
    ("the", "phone", "rings", "."),
)
FUNCTION_WORDS = ("to", "the", "is", "in", "where", "what", "colour", "who", ".", "?")

QUESTION_TYPES = ("where", "colour", "who")
"""The question types: "Where is Mary?", "What colour is the ball?", "Who is in the kitchen?"."""

_MOVE_LEN = 6  # "Mary went to the kitchen ."
_OBJECT_LEN = 5  # "the ball is red ."
_QUESTION_LEN = {"where": 4, "colour": 6, "who": 6}
_MAX_REPEATS_IN_A_ROW = 2000


@dataclass(frozen=True)
class Vocabulary:
    """Words and their integer ids, both ways. Id 0 is padding.

    Attributes
    ----------
    id_to_word : tuple of str
        ``id_to_word[i]`` is the word with id ``i``; ``id_to_word[0]`` is ``"<pad>"``.
    word_to_id : mapping of str to int
        The inverse of ``id_to_word``.

    Examples
    --------
    >>> vocab = make_qa(20).vocab
    >>> vocab.decode(vocab.encode("where is Mary ?"))
    'where is Mary ?'
    """

    id_to_word: tuple[str, ...]
    word_to_id: Mapping[str, int]

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocabulary:
        """A vocabulary with ``"<pad>"`` at id 0 and ``words`` after it, duplicates dropped."""
        ordered = tuple(dict.fromkeys([PAD, *words]))
        return cls(ordered, MappingProxyType({w: i for i, w in enumerate(ordered)}))

    def __len__(self) -> int:
        return len(self.id_to_word)

    def __repr__(self) -> str:
        first = ", ".join(self.id_to_word[:6])
        return f"Vocabulary({len(self)} words: {first}, ...)"

    def __contains__(self, word: object) -> bool:
        return word in self.word_to_id

    def encode(self, words: str | Iterable[str]) -> np.ndarray:
        """Ids (int32) of ``words``: a list of words, or one string split on spaces."""
        if isinstance(words, str):
            words = words.split()
        ids = []
        for word in words:
            if word not in self.word_to_id:
                raise ValueError(
                    f"word {word!r} is not in the vocabulary; known words are "
                    f"{', '.join(self.id_to_word[1:])}"
                )
            ids.append(self.word_to_id[word])
        return np.asarray(ids, dtype=np.int32)

    def word(self, word_id: int) -> str:
        """The word for one id; ids the vocabulary does not use read ``"<unused id N>"``."""
        word_id = int(word_id)
        if 0 <= word_id < len(self.id_to_word):
            return self.id_to_word[word_id]
        return f"<unused id {word_id}>"

    def decode(self, ids: Iterable[int]) -> str:
        """The words for ``ids``, joined with spaces, padding left out."""
        return " ".join(self.word(i) for i in ids if int(i) != 0)


VOCAB = Vocabulary.from_words(
    [*FUNCTION_WORDS, *MOVE_VERBS, *PEOPLE, *PLACES, *OBJECTS, *COLOURS]
    + [word for sentence in FILLERS for word in sentence]
)


@dataclass(frozen=True)
class QA:
    """Stories, questions and one-word answers, as padded integer arrays.

    Attributes
    ----------
    text : ndarray of int32, shape (n, text_length)
        The story's word ids, padded with 0 at the start (like
        ``keras.utils.pad_sequences``), so a recurrent layer ends on the story's last word.
    question : ndarray of int32, shape (n, question_length)
        The question's word ids, padded the same way.
    answer : ndarray of int64, shape (n,)
        The answer's word id (an id in ``vocab``).
    question_type : ndarray of str, shape (n,)
        ``"where"``, ``"colour"`` or ``"who"`` for each example.
    vocab : Vocabulary
        Shared by text, question and answer.
    answer_choices : mapping of str to tuple of str
        For each question type, the words that can answer it.
    made_by : str or None
        A call that rebuilds this data, such as ``make_qa(300, seed=1).split(0.2)[0]``
        (``None`` for a NumPy ``Generator`` seed); ``lab.to_code()`` reads it.
    """

    text: np.ndarray = per_example()
    question: np.ndarray = per_example()
    answer: np.ndarray = per_example()
    question_type: np.ndarray = per_example()
    vocab: Vocabulary
    answer_choices: Mapping[str, tuple[str, ...]]
    # per example: how many answer-type words the story names
    _story_choices: np.ndarray = per_example()
    made_by: str | None = made_by_field()

    def __len__(self) -> int:
        return len(self.answer)

    def __repr__(self) -> str:
        return (
            f"QA({len(self)} examples, text {self.text.shape[1]} ids, question "
            f"{self.question.shape[1]} ids, {len(self.vocab)}-word vocabulary, questions: "
            f"{', '.join(self.answer_choices)})"
        )

    @property
    def chance(self) -> float:
        """Accuracy of answering without reading the story.

        Knowing the question, a guesser picks a word of the right kind (a place for
        "where", a colour for "colour", a person for "who") uniformly at random. This is
        the best expected accuracy from the question alone, because stories are random.
        """
        sizes = np.array([len(self.answer_choices[t]) for t in self.question_type])
        return float(np.mean(1.0 / sizes))

    @property
    def story_guess_baseline(self) -> float:
        """Accuracy of guessing among the story's words of the right kind.

        For "Where is Mary?" this guesser picks one of the places the story mentions,
        without working out which one is Mary's. With one person who moves once it is
        1.0; with three people it is about 1/3. A model that cannot relate the question
        to the story can reach this, but not more.
        """
        return float(np.mean(1.0 / self._story_choices))

    def answer_words(self) -> list[str]:
        """The answers as words."""
        return [self.vocab.word(i) for i in self.answer]

    def show(self, i: int, prediction: int | None = None) -> str:
        """Example ``i`` as plain text; with ``prediction`` (a word id), the model's answer.

        Examples
        --------
        >>> print(make_qa(10, seed=1).show(0))  # doctest: +SKIP
        Sandra journeyed to the garden. The cup is white.
        Q: What colour is the cup?  A: white
        """
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise IndexError(f"example index must be an integer in [-{n}, {n}), got {i!r}")
        story = _as_sentences(self.vocab.decode(self.text[i]))
        question = _as_sentences(self.vocab.decode(self.question[i]))
        answer = self.vocab.word(self.answer[i])
        line = f"{story}\nQ: {question}  A: {answer}"
        if prediction is not None:
            guess = self.vocab.word(prediction)
            mark = "right" if int(prediction) == int(self.answer[i]) else "wrong"
            line += f"  model: {guess} ({mark})"
        return line

    def split(self, test_fraction: float = 0.2) -> tuple[QA, QA]:
        """Split into a training part and a held-out part (the last ``test_fraction``).

        Examples are unique and in random order, so no held-out story-and-question
        pair appears in the training part.
        """
        return split_dataset(self, test_fraction, "examples")


def make_qa(
    n_samples: int = 4000,
    *,
    n_people: int = 6,
    n_places: int = 6,
    n_objects: int = 6,
    n_colours: int = 6,
    people_per_story: int = 1,
    moves_per_person: int = 1,
    n_distractors: int = 1,
    question_types: Sequence[str] = QUESTION_TYPES,
    seed=0,
) -> QA:
    """bAbI-style stories, questions about them and one-word answers.

    Each story has, in random order: ``moves_per_person`` sentences for each of
    ``people_per_story`` people ("Mary went to the kitchen."; a person's last move says
    where they are), one sentence giving an object's colour ("The ball is red.") when
    "colour" questions are asked, and ``n_distractors`` sentences that carry no answer
    ("The door is open."). The question asks where a person is, what colour the object
    is, or who is in a place.

    With the defaults (one person per story) each kind of question has its own kind of
    answer, and the story names exactly one word of each kind. A model learns where to
    look from the question and what the word is from the story, so concatenating the
    two encodings and applying one softmax layer is enough. With ``people_per_story`` of
    2 or more, "Where is Mary?" means finding Mary's sentence among several: the answer
    depends on an interaction of story and question that a single linear layer over
    their concatenation cannot represent.

    The defaults are the settings lesson 02 trains the book's model on.

    Parameters
    ----------
    n_samples : int, default 4000
        Number of examples, all different (no story-and-question pair repeats).
    n_people, n_places, n_objects, n_colours : int, default 6
        How many names, places, objects and colours the stories draw from (at most 8
        each). More makes chance lower and the task harder.
    people_per_story : int, default 1
        People in each story, each ending in a different place. 2 or more makes
        "where" and "who" questions a look-up.
    moves_per_person : int, default 1
        Sentences per person; only the last says where the person is now.
    n_distractors : int, default 1
        Sentences per story that carry no answer (0 to 8).
    question_types : sequence of str, default ("where", "colour", "who")
        Which questions to ask, each example picking one uniformly.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data; global random state is never touched.

    Returns
    -------
    QA
        ``text``, ``question`` (int32, 0 = padding), ``answer`` (word ids), ``vocab``,
        and ``show(i)`` to read an example. ``split()`` holds part of it out.

    Examples
    --------
    >>> data = make_qa(1000, seed=1)
    >>> data.text.shape, data.question.shape, data.answer.shape
    ((1000, 17), (1000, 6), (1000,))
    >>> train, test = data.split(0.2)
    >>> len(train), len(test)
    (800, 200)
    """
    made_by = call_text(make_qa, locals())
    n_samples = check_int("n_samples", n_samples, low=10, high=1_000_000)
    n_people = check_int("n_people", n_people, low=1, high=len(PEOPLE))
    n_places = check_int("n_places", n_places, low=2, high=len(PLACES))
    n_objects = check_int("n_objects", n_objects, low=1, high=len(OBJECTS))
    n_colours = check_int("n_colours", n_colours, low=2, high=len(COLOURS))
    most = min(n_people, n_places)
    people_per_story = check_int("people_per_story", people_per_story, low=1)
    if people_per_story > most:
        raise ValueError(
            f"people_per_story must be between 1 and {most}: each person in a story needs "
            f"their own name (n_people={n_people}) and their own final place "
            f"(n_places={n_places}); got {people_per_story}"
        )
    moves_per_person = check_int("moves_per_person", moves_per_person, low=1, high=5)
    n_distractors = check_int("n_distractors", n_distractors, low=0, high=len(FILLERS))
    question_types = _check_question_types(question_types)
    if "who" in question_types and people_per_story == 1 and n_people == 1:
        raise ValueError(
            "n_people must be at least 2 when 'who' questions are asked, got n_people=1 "
            "(with one name the answer would never depend on the story)"
        )
    rng = make_rng(seed)

    people, places = PEOPLE[:n_people], PLACES[:n_places]
    objects, colours = OBJECTS[:n_objects], COLOURS[:n_colours]
    asks_colour = "colour" in question_types
    text_length = (
        people_per_story * moves_per_person * _MOVE_LEN
        + (_OBJECT_LEN if asks_colour else 0)
        + n_distractors * max(len(f) for f in FILLERS)
    )
    question_length = max(_QUESTION_LEN[t] for t in question_types)
    text = np.zeros((n_samples, text_length), dtype=np.int32)
    question = np.zeros((n_samples, question_length), dtype=np.int32)
    answer = np.zeros(n_samples, dtype=np.int64)
    kinds = np.empty(n_samples, dtype="<U6")
    story_choices = np.zeros(n_samples, dtype=np.int64)

    seen: set[tuple[bytes, bytes]] = set()
    misses = 0  # repeats in a row; many means the settings cannot make more examples
    i = 0
    while i < n_samples:
        if misses > _MAX_REPEATS_IN_A_ROW:
            raise ValueError(
                f"n_samples={n_samples} is more than these settings can make without "
                f"repeating an example (found {i} different ones); lower n_samples or "
                "raise n_people, n_places, n_objects, n_colours or n_distractors"
            )
        story, q_words, a_word, kind, n_choices = _one_example(
            rng,
            people,
            places,
            objects,
            colours,
            people_per_story,
            moves_per_person,
            n_distractors,
            question_types,
        )
        story_ids = VOCAB.encode(story)
        q_ids = VOCAB.encode(q_words)
        key = (story_ids.tobytes(), q_ids.tobytes())
        if key in seen:
            misses += 1
            continue
        misses = 0
        seen.add(key)
        text[i, text_length - len(story_ids) :] = story_ids
        question[i, question_length - len(q_ids) :] = q_ids
        answer[i] = VOCAB.word_to_id[a_word]
        kinds[i] = kind
        story_choices[i] = n_choices
        i += 1

    choices = {"where": places, "colour": colours, "who": people}
    return QA(
        text=text,
        question=question,
        answer=answer,
        question_type=kinds,
        vocab=VOCAB,
        answer_choices=MappingProxyType({t: choices[t] for t in question_types}),
        _story_choices=story_choices,
        made_by=made_by,
    )


def _one_example(
    rng, people, places, objects, colours, k, moves, n_distractors, question_types
) -> tuple[list[str], list[str], str, str, int]:
    """One story (list of words), its question, answer, question type and story choices."""
    who = [people[j] for j in rng.choice(len(people), size=k, replace=False)]
    final = [places[j] for j in rng.choice(len(places), size=k, replace=False)]
    # Each person's places in order; consecutive places differ, the last is where they are.
    paths = []
    for end in final:
        path = [end]
        for _ in range(moves - 1):
            options = [p for p in places if p != path[0]]
            path.insert(0, options[rng.integers(len(options))])
        paths.append(path)
    # Interleave the people's moves at random, keeping each person's own order.
    order = np.repeat(np.arange(k), moves)
    rng.shuffle(order)
    step = [0] * k
    sentences = []
    for person in order:
        place = paths[person][step[person]]
        step[person] += 1
        verb = MOVE_VERBS[rng.integers(len(MOVE_VERBS))]
        sentences.append([who[person], verb, "to", "the", place, "."])
    thing = objects[rng.integers(len(objects))]
    colour = colours[rng.integers(len(colours))]
    extra = []
    if "colour" in question_types:
        extra.append(["the", thing, "is", colour, "."])
    for j in rng.choice(len(FILLERS), size=n_distractors, replace=False):
        extra.append(list(FILLERS[j]))
    for sentence in extra:
        sentences.insert(int(rng.integers(len(sentences) + 1)), sentence)
    story = [word for sentence in sentences for word in sentence]

    kind = question_types[rng.integers(len(question_types))]
    if kind == "where":
        person = int(rng.integers(k))
        q, a = ["where", "is", who[person], "?"], final[person]
        n_choices = len({p for path in paths for p in path})
    elif kind == "who":
        person = int(rng.integers(k))
        q, a = ["who", "is", "in", "the", final[person], "?"], who[person]
        n_choices = k
    else:
        q, a = ["what", "colour", "is", "the", thing, "?"], colour
        n_choices = 1
    return story, q, a, kind, n_choices


def _check_question_types(question_types) -> tuple[str, ...]:
    if isinstance(question_types, str) or not isinstance(question_types, Sequence):
        raise TypeError(
            f"question_types must be a list or tuple of question types such as "
            f"('where', 'who'), got {question_types!r}"
        )
    if not question_types:
        raise ValueError(
            f"question_types must name at least one of {', '.join(map(repr, QUESTION_TYPES))}; "
            "got an empty sequence"
        )
    for t in question_types:
        if t not in QUESTION_TYPES:
            raise ValueError(
                f"question_types must contain only {', '.join(map(repr, QUESTION_TYPES))}; "
                f"got {t!r}"
            )
    if len(set(question_types)) != len(question_types):
        raise ValueError(f"question_types must not repeat a type, got {tuple(question_types)!r}")
    return tuple(question_types)


def _as_sentences(words: str) -> str:
    """'mary went to the kitchen . the ball is red .' -> 'Mary went to the kitchen. The ...'."""
    out, start = [], True
    for word in words.split():
        if word in {".", "?"}:
            if out:
                out[-1] += word
            start = True
            continue
        out.append(word[:1].upper() + word[1:] if start else word)
        start = False
    return " ".join(out)
