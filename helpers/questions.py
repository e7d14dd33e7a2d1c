"""Predict-first questions: what each lesson asks, and how an answer is graded.

Pure Python (no widgets, no Keras): a :class:`Question` holds the question, its answer,
the choices if it has any, and **targeted feedback**: for each common wrong answer, the
misconception that most likely produced it ("you forgot the biases"). :meth:`Question.grade`
turns a learner's answer into a :class:`Verdict`, locally, with no server.
:mod:`helpers.predict` shows a question as a widget; :data:`QUESTIONS` holds the
lessons' questions by id (``"01-params"``), so a notebook cell names a question without
showing its answer.

Examples
--------
>>> q = QUESTIONS["01-params"]
>>> q.grade(3392).correct
False
>>> q.grade("3,466").correct
True
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["QUESTIONS", "Question", "Verdict", "format_number", "parse_number"]

LETTERS = "abcdefghij"
# After this many wrong answers the feedback also says which cell shows the answer.
SHOW_WHERE_AFTER = 2


@dataclass(frozen=True)
class Verdict:
    """The grade of one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is right.
    message : str
        One line for the learner: right or not, and why.
    misconception : bool
        True when the message names the likely misconception behind this particular
        wrong answer (rather than a general hint).
    answer : float or str
        The answer as understood: a number, or the text of the chosen choice.
    """

    correct: bool
    message: str
    misconception: bool = False
    answer: float | str | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Question:
    """One predict-first question.

    Parameters
    ----------
    id : str
        A short name, ``"NN-topic"`` for a lesson's question.
    text : str
        The question. Backticks mark code, as in Markdown.
    answer : number or str
        The right answer: a number, or (with ``choices``) the text of the right choice.
    choices : sequence of str, optional
        Multiple choice: the options, shown as ``a)``, ``b)``, ... . Without it the
        learner types a number.
    feedback : mapping, optional
        Common wrong answers (numbers, or choice texts) and, for each, the misconception
        that most likely led to it.
    hint : str
        Shown for a wrong answer that ``feedback`` does not name.
    explain : str
        Shown with a right answer: why it is right.
    reveal : str
        Where the notebook shows the answer (``"the summary in the next cell"``).
    tolerance : float, default 0
        A typed number within ``tolerance`` of the answer (or of a ``feedback`` entry)
        counts as that value.
    """

    id: str
    text: str
    answer: float | str
    choices: tuple[str, ...] | None = None
    feedback: Mapping[Any, str] = field(default_factory=dict)
    hint: str = ""
    explain: str = ""
    reveal: str = "the next cell"
    tolerance: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not re.fullmatch(r"[A-Za-z0-9][\w-]*", self.id):
            raise ValueError(
                f"id must be a short name of letters, digits, '-' or '_', got {self.id!r}"
            )
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"text of question {self.id!r} must be a non-empty string")
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, numbers.Real):
            raise TypeError(f"tolerance must be a number >= 0, got {self.tolerance!r}")
        if not (math.isfinite(self.tolerance) and self.tolerance >= 0):
            raise ValueError(f"tolerance must be a finite number >= 0, got {self.tolerance!r}")
        if self.choices is not None:
            choices = tuple(self.choices)
            if not 2 <= len(choices) <= len(LETTERS) or len(set(choices)) != len(choices):
                raise ValueError(
                    f"choices of question {self.id!r} must be 2 to {len(LETTERS)} different "
                    f"texts, got {list(choices)!r}"
                )
            object.__setattr__(self, "choices", choices)
            if self.answer not in choices:
                raise ValueError(
                    f"answer {self.answer!r} of question {self.id!r} is not one of its choices "
                    f"{list(choices)!r}; give the right choice's text"
                )
            unknown = [k for k in self.feedback if k not in choices]
            if unknown:
                raise ValueError(
                    f"feedback of question {self.id!r} names {unknown!r}, which are not among "
                    f"its choices {list(choices)!r}"
                )
        else:
            if isinstance(self.answer, bool) or not isinstance(self.answer, numbers.Real):
                raise TypeError(
                    f"answer of question {self.id!r} must be a number (or give choices=), "
                    f"got {self.answer!r}"
                )
            for key in self.feedback:
                if isinstance(key, bool) or not isinstance(key, numbers.Real):
                    raise TypeError(
                        f"feedback of numeric question {self.id!r} must be keyed by numbers, "
                        f"got the key {key!r}"
                    )
                if abs(key - self.answer) <= self.tolerance:
                    raise ValueError(
                        f"feedback of question {self.id!r} names {key!r}, which counts as the "
                        f"right answer {self.answer!r}"
                    )
        object.__setattr__(self, "feedback", dict(self.feedback))

    @property
    def numeric(self) -> bool:
        """Whether the learner types a number (no choices)."""
        return self.choices is None

    def labelled_choices(self) -> list[str]:
        """The choices as the widget lists them: ``"a) ..."``, ``"b) ..."``."""
        return [f"{LETTERS[i]}) {c}" for i, c in enumerate(self.choices or ())]

    def understand(self, response: Any) -> float | str:
        """The learner's answer as a number or a choice's text; raise if it is neither.

        Numbers may be typed with thousands separators (``"3,466"``), as a percentage
        (``"10%"``) or in scientific notation (``"1e6"``). A choice may be given by its
        letter (``"b"``, ``"b)"``) or its text (case and surrounding spaces ignored).
        """
        if self.numeric:
            return parse_number(response, name="answer")
        if isinstance(response, str):
            text = response.strip()
            letter = text.rstrip(")").strip().lower()
            if len(letter) == 1 and letter in LETTERS[: len(self.choices)]:
                return self.choices[LETTERS.index(letter)]
            for choice, labelled in zip(self.choices, self.labelled_choices(), strict=True):
                if text.lower() in (choice.lower(), labelled.lower()):
                    return choice
        letters = ", ".join(f"'{LETTERS[i]}'" for i in range(len(self.choices)))
        raise ValueError(
            f"answer must be one of the letters {letters} or a choice's text, got {response!r}; "
            f"the choices are: {'; '.join(self.labelled_choices())}"
        )

    def grade(self, response: Any, *, wrong_so_far: int = 0) -> Verdict:
        """Grade ``response`` (see :meth:`understand` for the forms accepted).

        ``wrong_so_far`` counts earlier wrong answers: after
        :data:`SHOW_WHERE_AFTER` of them, a wrong answer's message also says where the
        notebook shows the answer.
        """
        value = self.understand(response)
        shown = self._shown(value)
        if self._matches(value, self.answer):
            message = f"✅ Right: {shown}."
            if self.explain:
                message += f" {_sentence(self.explain)}"
            return Verdict(True, f"{message} Check it against {self.reveal}.", answer=value)
        targeted = next(
            (text for key, text in self.feedback.items() if self._matches(value, key)), None
        )
        if targeted is not None:
            message = f"❌ Not {shown}. {_sentence(targeted)}"
        else:
            direction = ""
            if self.numeric:
                direction = " That is too high." if value > self.answer else " That is too low."
            message = f"❌ Not {shown}.{direction} {_sentence(self.hint)}".rstrip()
        if wrong_so_far + 1 >= SHOW_WHERE_AFTER:
            message += f" Try again, or run on and look at {self.reveal}."
        else:
            message += " Try again."
        return Verdict(False, message, misconception=targeted is not None, answer=value)

    def _matches(self, value: float | str, key: Any) -> bool:
        if self.numeric:
            return abs(value - key) <= self.tolerance
        return value == key

    def _shown(self, value: float | str) -> str:
        if self.numeric:
            return format_number(value)
        return f"({LETTERS[self.choices.index(value)]})"

    def text_html(self) -> str:
        """The question as HTML: escaped, with ``backticks`` as ``<code>``."""
        return code_html(self.text)


def code_html(text: str) -> str:
    """Escape ``text`` for HTML; ```code``` becomes ``<code>``, ``*stress*`` ``<em>``."""
    parts = html.escape(text, quote=False).split("`")
    return "".join(
        f"<code>{p}</code>" if i % 2 else re.sub(r"\*([^*\s][^*]*)\*", r"<em>\1</em>", p)
        for i, p in enumerate(parts)
    )


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (or its own ``?``/``!``), or "" for no text."""
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def parse_number(value: Any, *, name: str = "answer") -> float:
    """A typed or given number as a float: ``3466``, ``"3,466"``, ``"3 466"``, ``"10%"``.

    Raises
    ------
    ValueError
        Naming ``name`` and the value, for anything that is not a finite number.

    Examples
    --------
    >>> parse_number("1,000,052")
    1000052.0
    >>> parse_number("10%")
    0.1
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
        text = text.replace("\u202f", "").replace("\u00a0", "").replace("−", "-")
        percent = text.endswith("%")
        try:
            number = float(text[:-1] if percent else text)
        except ValueError:
            number = math.nan
        if percent:
            number /= 100
        if not text:
            raise ValueError(f"{name} is empty; type a number, for example 3466 or 0.25")
    else:
        raise TypeError(
            f"{name} must be a number (or a string holding one), got {value!r} "
            f"({type(value).__name__})"
        )
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a number such as 3466, 3,466, 0.25 or 25%, got {value!r}")
    return number


def format_number(value: float) -> str:
    """``3466.0`` as ``"3,466"``, ``0.25`` as ``"0.25"``: how feedback shows a number."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"


def _bank(questions: Sequence[Question]) -> dict[str, Question]:
    bank: dict[str, Question] = {}
    for q in questions:
        if q.id in bank:
            raise ValueError(f"two questions share the id {q.id!r}")
        bank[q.id] = q
    return bank


_FORGOT_BIASES = "That leaves out the biases: every Dense unit also has one bias."

#: The lessons' questions by id. A lesson's questions start with its number.
QUESTIONS: dict[str, Question] = _bank(
    [
        # ------------------------------------------------------------------ lesson 01
        Question(
            id="01-params",
            text=(
                "The next cell stacks `Dense(32)`, `Dense(32)` and `Dense(10)` on 64 input "
                "features. How many parameters (trainable numbers) does the model have in total?"
            ),
            answer=3466,
            feedback={
                3392: _FORGOT_BIASES + " That is 32 + 32 + 10 = 74 more numbers.",
                3520: "You gave each layer one bias per *input*; a bias belongs to each "
                "*output* unit (32, 32 and 10 of them).",
                3530: "The `Input` has no parameters: it only declares the shape (64,).",
                2080: "That is the first layer alone (64 × 32 + 32); add the other two.",
                74: "That counts the units (one bias each) but not the weights between layers.",
            },
            hint="A `Dense` layer with n_in inputs and `units` outputs has n_in × units "
            "weights plus one bias per unit.",
            explain="64 × 32 + 32, then 32 × 32 + 32, then 32 × 10 + 10.",
            reveal="the summary in the next cell",
        ),
        Question(
            id="01-dense8",
            text=(
                "The next cell calls a new `layers.Dense(8)` on `input_tensor` (64 features). "
                "How many parameters does that call create?"
            ),
            answer=520,
            feedback={
                512: _FORGOT_BIASES + " 8 of them here.",
                72: "Weights multiply: each of the 64 inputs connects to each of the 8 units "
                "(64 × 8), then one bias per unit.",
                0: "Calling a layer on a symbolic tensor moves no data, but it does create "
                "the layer's weights: Keras now knows the input size.",
                584: "The biases belong to the 8 output units, not to the 64 inputs.",
            },
            hint="Weights: one per (input, unit) pair. Biases: one per unit.",
            explain="A (64, 8) kernel and an (8,) bias: 512 + 8.",
            reveal="the weight shapes printed by the next cell",
        ),
        Question(
            id="01-disconnected",
            text=(
                "The next cell calls `keras.Model(unrelated_input, output_tensor)`, where "
                "`unrelated_input` is a new `Input` that no layer was ever called on. What happens?"
            ),
            choices=(
                "It builds a model whose output ignores its input.",
                "It raises an error: the output is not connected to that input.",
                "It builds the same model as before: Keras finds the right input itself.",
            ),
            answer="It raises an error: the output is not connected to that input.",
            feedback={
                "It builds a model whose output ignores its input.": "A model must compute "
                "its outputs from its inputs: walking back from `output_tensor`, Keras never "
                "meets `unrelated_input`, so there is no model to build.",
                "It builds the same model as before: Keras finds the right input itself.": (
                    "Keras does find `input_tensor` when it walks back from the output, but "
                    "you said the model starts at `unrelated_input`. It refuses rather than "
                    "guess which one you meant."
                ),
            },
            explain="Keras walks back from the output and never reaches the input you named.",
            reveal="the error in the next cell",
        ),
        # ------------------------------------------------------------------ lesson 02
        Question(
            id="02-embedding",
            text=(
                "The book's text branch starts with `layers.Embedding(10000, 64)`: 10,000 "
                "word ids, a vector of 64 numbers for each. How many parameters does that "
                "one layer have?"
            ),
            answer=640000,
            feedback={
                10000: "That counts one number per word id (vocab × 1). An `Embedding` "
                "stores a whole vector per id: 64 numbers for each of the 10,000 ids.",
                640064: "An `Embedding` has no biases: it is a lookup table, not a `Dense` layer.",
                10064: "The table's size is a product, not a sum: 10,000 rows of 64 numbers.",
                64: "That is one word's vector; the table holds one for every id.",
                650000: "The table's size is a product: 10,000 × 64.",
            },
            hint="An `Embedding(input_dim, output_dim)` is a table with input_dim rows of "
            "output_dim numbers.",
            explain="A table of 10,000 rows, 64 numbers each, and no biases.",
            reveal="the summary in the next cell (its first Embedding row)",
        ),
        Question(
            id="02-swapped",
            text=(
                "The printed book has `Embedding(64, text_vocabulary_size)` and "
                "`Embedding(32, question_vocabulary_size)`: the two arguments swapped. "
                "What does the next cell's `keras.Model(...)` do?"
            ),
            choices=(
                "Keras refuses to build it: the shapes do not fit.",
                "It builds, with far more parameters than 1,000,052.",
                "It builds, with the same 1,000,052 parameters: only the order changed.",
            ),
            answer="It builds, with far more parameters than 1,000,052.",
            feedback={
                "Keras refuses to build it: the shapes do not fit.": (
                    "The shapes do fit: `Embedding(64, 10000)` is a valid table, 64 ids with "
                    "10,000 numbers each, and the LSTM adapts to whatever width it reads. "
                    "Nothing checks word ids against the table until real data flows."
                ),
                "It builds, with the same 1,000,052 parameters: only the order changed.": (
                    "The text table alone keeps its 640,000 numbers (64 × 10,000), but every "
                    "word is now a vector of 10,000 numbers, so the LSTM that reads it grows "
                    "from 12,416 weights to over a million."
                ),
            },
            explain="Each word becomes a vector of 10,000 numbers, and both LSTMs grow to "
            "read them.",
            reveal="the parameter check in the next cell",
        ),
        Question(
            id="02-zero-loss",
            text=(
                "Every target row is all zeros, and the loss is `categorical_crossentropy`, "
                "−Σ y_i log p_i. What loss will `fit` print?"
            ),
            choices=(
                "About 6.2 (ln 500, a uniform guess), falling slowly as the model learns.",
                "Exactly 0.0, from the first epoch on.",
                "NaN: the log of zero.",
                "A large loss that falls towards 0 as the model learns to predict zeros.",
            ),
            answer="Exactly 0.0, from the first epoch on.",
            feedback={
                "About 6.2 (ln 500, a uniform guess), falling slowly as the model learns.": (
                    "That is right for real one-hot answers. Here every y_i is 0, so every "
                    "term y_i log p_i is 0 whatever the model predicts."
                ),
                "NaN: the log of zero.": (
                    "The log is taken of p_i, the softmax's output, which is never 0; it is "
                    "the targets y_i that are zero, and they multiply each term away."
                ),
                "A large loss that falls towards 0 as the model learns to predict zeros.": (
                    "A softmax cannot predict all zeros (its outputs sum to 1), and it need "
                    "not: with every y_i = 0 the loss is 0 before any training."
                ),
            },
            explain="Every term y_i log p_i has y_i = 0, so the loss is 0 whatever the model "
            "predicts, and nothing is learned.",
            reveal="the loss printed by the next cell",
        ),
        Question(
            id="02-who-where",
            text=(
                "Now two people per story, and the question asks where one of them is. Train "
                "the book's model on these stories for 20 epochs: where does its held-out "
                "accuracy end?"
            ),
            choices=(
                "Near 1.0, as on the one-person stories.",
                "Near 0.5: it finds the story's two places but not whose is whose.",
                "Near 0.17, chance from the question alone.",
            ),
            answer="Near 0.5: it finds the story's two places but not whose is whose.",
            feedback={
                "Near 1.0, as on the one-person stories.": (
                    "One-person stories only needed the kind of word. Here the answer "
                    "depends on story and question together, and the book's model scores "
                    "each answer as a story part plus a question part: no weights get both "
                    "people right in every story."
                ),
                "Near 0.17, chance from the question alone.": (
                    "It does better than that: the story part of its score can find the two "
                    "places the story names, so it picks one of two."
                ),
            },
            explain="The model can find the two places, but a sum of a story part and a "
            "question part cannot tell whose is whose.",
            reveal="the held-out accuracy printed further down",
        ),
        # ------------------------------------------------------------------ lesson 03
        Question(
            id="03-compact-params",
            text=(
                "The compact model: `Embedding(2000, 16)`, an average (no parameters), a "
                "shared `Dense(16)`, then three heads on it: `Dense(1)`, `Dense(10)` and "
                "`Dense(1)`. How many parameters in total?"
            ),
            answer=32476,
            feedback={
                32448: _FORGOT_BIASES + " 16 + 1 + 10 + 1 = 28 of them here.",
                2476: "An `Embedding` stores a vector per id, not one number (vocab × 1): "
                "2,000 × 16 = 32,000 for the table.",
                32000: "That is the embedding table alone; add the shared layer and the heads.",
                33020: "The shared `Dense(16)` exists once: all three heads read the same layer.",
                32492: "An `Embedding` has no biases: it is a lookup table.",
            },
            hint="Embedding: vocab × dim. Dense: n_in × units + units. Each head reads the "
            "16 shared units.",
            explain="32,000 (table) + 272 (shared) + 17 + 170 + 17 (heads).",
            reveal="the summary in the next cell",
        ),
        Question(
            id="03-dominant-head",
            text=(
                "Before any training, ages in years (18 to 70) and loss weights 0.25 / 1 / 10: "
                "which head makes up most of the total loss?"
            ),
            choices=("age", "income", "gender", "all three about equally"),
            answer="age",
            feedback={
                "gender": (
                    "Its weight of 10 makes gender's 0.69 about 6.9, but the untrained age "
                    "head predicts about 0 for people aged 18 to 70: its squared error is in "
                    "the thousands, and 0.25 × thousands is hundreds."
                ),
                "income": (
                    "An untrained income head guesses evenly: ln 10 ≈ 2.3, times 1. That is "
                    "tiny next to a squared error in years."
                ),
                "all three about equally": (
                    "The weights would have to undo a factor of about a thousand; 0.25 and 10 "
                    "were chosen for ages on a scale of about 1 (lesson section 7)."
                ),
            },
            hint="An untrained regression head predicts about 0. What is the squared error "
            "of 0 for a 45-year-old?",
            explain="Its squared error is in the thousands, and a weight of 0.25 cannot undo that.",
            reveal="the loss table printed by the next cell",
        ),
        Question(
            id="03-which-learn",
            text=(
                "Train 10 epochs like that: ages in years, weights 0.25 / 1 / 10. Which heads "
                "will beat their trivial baseline on held-out posts?"
            ),
            choices=(
                "all three",
                "age and gender, not income",
                "only age",
                "none of them",
            ),
            answer="age and gender, not income",
            feedback={
                "all three": (
                    "Income's 2.3 is about 1% of the first epoch's total, so the shared layer "
                    "never serves it; its head is left guessing."
                ),
                "only age": (
                    "The weight of 10 gets gender through: 10 × 0.69 ≈ 7 against income's "
                    "2.3. Income is the head left with about 1% of the loss."
                ),
                "none of them": (
                    "Age owns the shared layer, so it learns: its error falls far below that "
                    "of always predicting the mean age."
                ),
            },
            explain="Age owns the shared layer and gender's ×10 gets it through; income's "
            "share stays near 1%.",
            reveal="the held-out scores in section 5",
        ),
        # ------------------------------------------------------------------ lesson 04
        Question(
            id="04-raw-equal",
            text=(
                "Ages in years, loss weights 1 / 1 / 1, ten epochs. What happens to the two "
                "classification heads, income and gender, on held-out posts?"
            ),
            choices=(
                "Both learn well above chance.",
                "Both stay near chance: the age loss swamps them.",
                "Gender learns, income does not.",
                "Income learns, gender does not.",
            ),
            answer="Both stay near chance: the age loss swamps them.",
            feedback={
                "Both learn well above chance.": (
                    "Each head's own layer does learn, but both read the 16 shared units, "
                    "and with an age loss in the thousands every shared weight moves to fix "
                    "the ages."
                ),
                "Gender learns, income does not.": (
                    "That was lesson 03 with the book's weights, where gender had ×10. With "
                    "1 / 1 / 1, gender's 0.69 is as lost next to age's thousands as "
                    "income's 2.3."
                ),
                "Income learns, gender does not.": (
                    "Income's 2.3 is larger than gender's 0.69, but both are about a "
                    "thousandth of the age loss: neither gets the shared layer."
                ),
            },
            explain="Age's loss is about a thousand times the others', so the shared layer "
            "serves age alone.",
            reveal="the accuracies printed by the next cell",
        ),
        Question(
            id="04-balance-raw",
            text=(
                "Balance gives head h the weight G / initial_loss[h], G the geometric mean of "
                "the initial losses (here about 2,227, 2.30 and 0.69). What will it do to the "
                "age weight?"
            ),
            choices=(
                "Raise it above 1: age needs the most help.",
                "Cut it below 0.01.",
                "Leave it near 1.",
                "Set it to 0, switching age off.",
            ),
            answer="Cut it below 0.01.",
            feedback={
                "Raise it above 1: age needs the most help.": (
                    "Balance equalises the weighted losses, weight × loss. The largest loss "
                    "gets the smallest weight."
                ),
                "Leave it near 1.": (
                    "Only equal losses give weights near 1; age's loss is about a thousand "
                    "times the others'."
                ),
                "Set it to 0, switching age off.": (
                    "G / loss is never 0, and the lab clips every weight to at least 0.001: "
                    "age keeps its share, the same as every other head's."
                ),
            },
            explain="G is about 15, and 15 / 2,227 ≈ 0.007, while income gets 15 / 2.3 ≈ 6.6: "
            "a thousandth of income's weight for a loss a thousand times larger.",
            reveal="the weights printed by the next cell",
        ),
        Question(
            id="04-balance-std",
            text=(
                "Standardised ages: the initial losses are about 1.0, 2.3 and 0.69. What will "
                "Balance do now?"
            ),
            choices=(
                "Nudge the weights: all stay between 0.2 and 5.",
                "Cut age by a factor of about a thousand, as with raw ages.",
                "Set every weight to exactly 1.",
            ),
            answer="Nudge the weights: all stay between 0.2 and 5.",
            feedback={
                "Cut age by a factor of about a thousand, as with raw ages.": (
                    "That was for an age loss of 2,227. Standardised, the age loss is about "
                    "1, on the same scale as the others."
                ),
                "Set every weight to exactly 1.": (
                    "Only equal losses give equal weights; 1.0, 2.3 and 0.69 differ by a "
                    "factor of about 3, so the weights differ a little too."
                ),
            },
            explain="The losses differ by a factor of about 3, so the weights do too, and no more.",
            reveal="the weights printed by the next cell",
        ),
        Question(
            id="04-live-switch",
            text=(
                "A live run of 20 epochs: about five favouring gender (income weight 0.1), "
                "then income's weight goes to 10 and gender's to 0.1. What does income's "
                "training accuracy do after the switch?"
            ),
            choices=(
                "It climbs far above chance.",
                "It stays near chance: the shared layer was already given to gender.",
                "Nothing can change: new weights need a recompile.",
            ),
            answer="It climbs far above chance.",
            feedback={
                "It stays near chance: the shared layer was already given to gender.": (
                    "Five epochs freeze nothing: the shared layer keeps training, and from "
                    "the switch on most of its gradient comes from income."
                ),
                "Nothing can change: new weights need a recompile.": (
                    "Numbers passed to `compile` would; the lab's weights live in variables "
                    "in the model's state, so the next epoch reads the new values (section 8)."
                ),
            },
            explain="The shared layer keeps training and, after the switch, serves income.",
            reveal="the accuracies printed after the run",
        ),
        # ------------------------------------------------------------------ lesson 05
        Question(
            id="05-branch-size",
            text=(
                "Branch b of the book's module runs `Conv2D(128, 1)` and then "
                "`Conv2D(128, 3, strides=2)` on 28 × 28 images, with Keras's default padding. "
                "How many pixels a side does branch b output?"
            ),
            answer=13,
            feedback={
                14: 'That is what `padding="same"` gives, 28 / 2. With the default '
                '`"valid"` padding a 3 × 3 window is placed only where it fits whole: '
                "(28 − 3) // 2 + 1.",
                12: "(28 − 3) // 2 counts the strides but not the first window: a window fits "
                "at (n − k) // s + 1 positions.",
                26: "That is the 3 × 3 window without the stride; stride 2 halves the positions.",
                28: 'A 1 × 1 window keeps the size, but the 3 × 3 window with `"valid"` '
                "padding trims the border, and stride 2 halves what is left.",
            },
            hint="A k × k window with stride s on an n-pixel side fits (n − k) // s + 1 times "
            'with `"valid"` padding.',
            explain="The 1 × 1 convolution keeps 28; then (28 − 3) // 2 + 1 = 13.",
            reveal="the branch shapes printed by the next cell",
        ),
        Question(
            id="05-channels",
            text=(
                'With `padding="same"` all four branches give 14 × 14 pixels with 128 '
                "channels each, and `concatenate(..., axis=-1)` joins them. How many channels "
                "does the module's output have?"
            ),
            answer=512,
            feedback={
                128: "`concatenate` neither picks one branch nor adds them up: it lays the "
                "branches' channels side by side.",
                14: "14 is the side length; `axis=-1` is the channel axis, where the branches "
                "are joined.",
                56: "Along `axis=-1` the channels are joined, not the pixels: the sides stay 14.",
            },
            hint="`concatenate` along the last axis stacks each branch's channels after the "
            "previous branch's.",
            explain="Four branches of 128 channels, side by side: 4 × 128.",
            reveal="the output shape printed by the next cell",
        ),
        Question(
            id="05-residual-learns",
            text=(
                "Thirteen convolutions in a row, once plain and once with a shortcut around "
                "every block: the same layers, the same starting weights, the same six epochs. "
                "Which stack learns?"
            ),
            choices=(
                "Both about equally: the layers and the weights are the same.",
                "The residual stack learns far more.",
                "The plain stack learns more: the shortcuts only add noise.",
                "Neither: 13 convolutions are too deep for six epochs.",
            ),
            answer="The residual stack learns far more.",
            feedback={
                "Both about equally: the layers and the weights are the same.": (
                    "The weights are the same, the signal is not: each plain block shrinks "
                    "the activations, so after 12 convolutions the softmax sees nearly the "
                    "same tiny numbers for every image, and the gradient fades on its way back."
                ),
                "The plain stack learns more: the shortcuts only add noise.": (
                    "A shortcut adds each block's input to its output: the signal, and the "
                    "gradient, always have a path around the block. Nothing random is added."
                ),
                "Neither: 13 convolutions are too deep for six epochs.": (
                    "Depth alone is not the problem: with shortcuts the gradient reaches the "
                    "early layers directly, and six epochs are plenty."
                ),
            },
            explain="The shortcuts keep the signal and the gradient from fading with depth.",
            reveal="the held-out accuracies printed after both runs",
        ),
        # ------------------------------------------------------------------ lesson 06
        Question(
            id="06-siamese-params",
            text=(
                "The next cell creates one `LSTM(32)` and calls it on two inputs of 128-number "
                "word vectors, then puts `Dense(1)` on the two encodings concatenated. How many "
                "parameters does the model have?"
            ),
            answer=20673,
            feedback={
                41281: "That counts the LSTM twice. A layer called twice keeps one set of "
                "weights: both sentences are read by the same LSTM.",
                20608: "That is the LSTM alone; the `Dense(1)` on 32 + 32 numbers adds 65.",
                20641: "The `Dense(1)` reads both encodings, concatenated: 64 inputs, not 32.",
                16577: "An LSTM's gates also read the previous step's output: 32 × 32 recurrent "
                "weights per gate.",
            },
            hint="`LSTM(units)` on n features: 4 × (n × units + units × units + units).",
            explain="4 × (128 × 32 + 32 × 32 + 32) = 20,608 for the one LSTM, plus 64 + 1.",
            reveal="the summary in the next cell",
        ),
        Question(
            id="06-shared-wins",
            text=(
                "300 training pairs, the same recipe for both: one encoder shared by the two "
                "sentences, or two separate encoders (twice the parameters). Which does better "
                "on the held-out pairs?"
            ),
            choices=(
                "The shared encoder, by far.",
                "The separate encoders: more parameters, more to learn with.",
                "About the same: the data and the recipe are the same.",
            ),
            answer="The shared encoder, by far.",
            feedback={
                "The separate encoders: more parameters, more to learn with.": (
                    "More parameters fit the 300 training pairs, not new ones: each encoder "
                    "sees every sentence on one side only, and the two must agree on how to "
                    "encode a meaning without ever comparing notes."
                ),
                "About the same: the data and the recipe are the same.": (
                    "The shared encoder learns one way of reading from twice as many "
                    "sentences, and two encodings made by the same function can be compared "
                    "from the start."
                ),
            },
            explain="One encoder learns from both sides of every pair, and its two encodings "
            "are directly comparable.",
            reveal="the accuracies printed after both runs",
        ),
        Question(
            id="06-swap",
            text=(
                "Ask both trained models about every held-out pair, then about the same pairs "
                "with the two sentences swapped. How often does each model's answer change?"
            ),
            choices=(
                "Shared encoder: never. Separate encoders: often.",
                "Never, for both: a pair means the same in either order.",
                "Sometimes, for both: no network is exactly symmetric.",
            ),
            answer="Shared encoder: never. Separate encoders: often.",
            feedback={
                "Never, for both: a pair means the same in either order.": (
                    "The meaning does not change, but with separate encoders the computation "
                    "does: the swapped sentences go through the other encoder each."
                ),
                "Sometimes, for both: no network is exactly symmetric.": (
                    "With one shared encoder and a comparison that ignores order (|a − b| and "
                    "a × b), swapping the inputs swaps a and b, and nothing the model computes "
                    "changes."
                ),
            },
            explain="Shared weights and an order-free comparison make the answer symmetric by "
            "construction.",
            reveal="the counts printed further down",
        ),
        # ------------------------------------------------------------------ lesson 07
        Question(
            id="07-erratum",
            text=(
                "The book writes `right_input = xception_base(right_input)`: the right camera's "
                "features take the name of the right camera's `Input`. When does that go wrong?"
            ),
            choices=(
                "At once: the base cannot be called on `right_input`.",
                "Never: it only renames a tensor.",
                "When the model is made: the list of inputs no longer holds the right camera's "
                "`Input`.",
            ),
            answer="When the model is made: the list of inputs no longer holds the right "
            "camera's `Input`.",
            feedback={
                "At once: the base cannot be called on `right_input`.": (
                    "The call is fine: the base takes any 250 × 250 × 3 tensor. It is the "
                    "assignment that loses the `Input`."
                ),
                "Never: it only renames a tensor.": (
                    "Renaming is the trouble: `keras.Model([left_input, right_input], ...)` "
                    "then gets the features, a tensor computed inside the graph, where an "
                    "`Input` should be."
                ),
            },
            explain="The shapes all work out; `keras.Model` is the first to see that an input "
            "is missing.",
            reveal="the error in the cell after next",
        ),
        Question(
            id="07-dual-params",
            text=(
                "The fixed dual-camera model calls the Xception base (20,861,480 parameters) on "
                "both cameras and concatenates the two feature grids. How many parameters does "
                "the dual-camera model have?"
            ),
            choices=(
                "The base's 20,861,480.",
                "Twice that: one base per camera.",
                "The base's, plus the parameters of `concatenate`.",
            ),
            answer="The base's 20,861,480.",
            feedback={
                "Twice that: one base per camera.": (
                    "A model called twice is like a layer called twice: one set of weights, "
                    "used for both cameras."
                ),
                "The base's, plus the parameters of `concatenate`.": (
                    "`concatenate` has no parameters: it only lays the two grids side by side."
                ),
            },
            explain="One base, called twice, and a `concatenate` without weights.",
            reveal="the summary in the next cell",
        ),
        Question(
            id="07-frozen-head",
            text=(
                "With the Xception base frozen (`trainable = False`), the classifier averages "
                "the merged 8 × 8 × 4,096 grid to 4,096 numbers and puts `Dense(1)` on them. "
                "How many of its parameters are trainable?"
            ),
            answer=4097,
            feedback={
                4096: _FORGOT_BIASES + " Just one here.",
                20865577: "That is every parameter. `trainable = False` freezes the base "
                "inside the classifier too: `fit` leaves its weights alone.",
                2049: "The head reads both cameras' features, concatenated: 2 × 2,048 numbers.",
                262145: "Average pooling leaves one number per channel: 4,096, not 8 × 8 × 4,096.",
            },
            hint="Only the new `Dense(1)` head trains: one weight per input, plus a bias.",
            explain="4,096 weights and one bias; the 20,861,480 of the base stay frozen.",
            reveal="the counts printed by the next cell",
        ),
        # ------------------------------------------------------------------ lesson 08
        Question(
            id="08-learned-variance",
            text=(
                "Uncertainty weighting minimises `exp(-s) × L + s` for each head, learning `s` "
                "with the model. When it has settled, what does a head's learned variance "
                "`exp(s)` equal?"
            ),
            choices=(
                "The head's training loss.",
                "The head's held-out loss.",
                "1, for every head.",
                "The loss weight the head started with.",
            ),
            answer="The head's training loss.",
            feedback={
                "The head's held-out loss.": (
                    "The method only ever sees training batches: `s` follows the loss it is "
                    "trained on, and a model that memorises its training posts drives that "
                    "loss, and the variance, far below the held-out loss."
                ),
                "1, for every head.": (
                    "1 is where every `s` starts (`s = 0`). The derivative of "
                    "`exp(-s) × L + s` in `s` is `1 - exp(-s) × L`, zero where `exp(s) = L`."
                ),
                "The loss weight the head started with.": (
                    "The starting weights do not enter the formula; the weight it uses is "
                    "`exp(-s)`, one over the learned variance."
                ),
            },
            explain="Setting the derivative `1 - exp(-s) × L` to zero gives `exp(s) = L`: the "
            "weight `exp(-s)` becomes one over the head's training loss.",
            reveal="the table printed by the next cell",
        ),
        Question(
            id="08-noise-rise",
            text=(
                "Now add Gaussian noise with standard deviation 1 to the standardised ages, on "
                "20,000 posts that the model cannot memorise. What happens to the learned age "
                "variance?"
            ),
            choices=(
                "It rises by about the noise's variance, σ².",
                "It stays where it was: the model learns around the noise.",
                "It rises by about twice the noise's standard deviation.",
                "It falls: noisier targets make the head less sure, so it lowers its loss.",
            ),
            answer="It rises by about the noise's variance, σ².",
            feedback={
                "It stays where it was: the model learns around the noise.": (
                    "The model cannot predict noise it never sees twice, so the noise stays in "
                    "the age head's training loss, and the learned variance follows that loss."
                ),
                "It rises by about twice the noise's standard deviation.": (
                    "Noise adds its variance to a mean squared error: the square of the "
                    "standard deviation, not twice it."
                ),
                "It falls: noisier targets make the head less sure, so it lowers its loss.": (
                    "Noise cannot be learned away: it raises the age head's loss, and the "
                    "learned variance settles at that loss."
                ),
            },
            hint="The learned variance settles at the head's training loss, a mean squared error.",
            explain="The training MSE becomes the clean error plus the noise's variance σ²; the "
            "age weight `exp(-s)` falls with it.",
            reveal="the table printed by the next cell",
        ),
        Question(
            id="08-beats-tuned",
            text=(
                "Over three seeds, will any of the three methods beat a hand setting tuned on "
                "validation data (five runs of tuning) by more than the spread between seeds?"
            ),
            choices=(
                "No: a tuned weighted sum is as good as any of them.",
                "Yes: a method that adapts every epoch beats fixed weights.",
                "Yes, but only GradNorm, since it looks at the gradients.",
            ),
            answer="No: a tuned weighted sum is as good as any of them.",
            feedback={
                "Yes: a method that adapts every epoch beats fixed weights.": (
                    "Adapting is not the same as being better: each method follows a rule "
                    "(train losses, loss ratios, gradient norms), and the rule can lead away "
                    "from what you measure on held-out data."
                ),
                "Yes, but only GradNorm, since it looks at the gradients.": (
                    "Looking at the gradients tells GradNorm whose pull is larger, not whose "
                    "pull is worth more for the held-out scores."
                ),
            },
            explain="Xin et al. and Kurin et al. (NeurIPS 2022) found the same: a tuned "
            "weighted sum matches the specialised methods.",
            reveal="the comparison table and the checks after it",
        ),
    ]
)
