"""Predict-first questions: what each lesson asks, and how an answer is graded.

Pure Python (no widgets, no Keras): a :class:`Question` holds the question, its answer,
the choices if it has any, and **targeted feedback**: for each common wrong answer, the
misconception that most likely produced it ("you forgot the biases"). :meth:`Question.grade`
turns a learner's answer into a :class:`Verdict`, locally, with no server.
:mod:`helpers.predict` shows a question as a widget; :data:`QUESTIONS` holds the
lessons' questions by id (``"01-params"``), so a notebook cell names a question without
showing its answer. The questions are data: one JSON file per lesson in
``helpers/question_bank/`` (CONTRIBUTING.md, "Predict-first questions"), read by :func:`load_bank`.

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
import json
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "QUESTIONS",
    "Question",
    "QuestionBankError",
    "Verdict",
    "format_number",
    "load_bank",
    "parse_number",
]

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


# ---------------------------------------------------------------------- the lessons' questions
#: The lessons' question files: one per lesson, named like its notebook.
BANK = Path(__file__).with_name("question_bank")
#: The fields of a question in a file (see :class:`Question`); the first four are required.
FIELDS = ("id", "text", "answer", "feedback", "choices", "hint", "explain", "reveal", "tolerance")


class QuestionBankError(ValueError):
    """A question file that does not load; the message names file, question, field and fix."""


def load_bank(folder: str | Path = BANK) -> dict[str, Question]:
    """Every question in the ``*.json`` files of ``folder``, by id, checked by :func:`load_file`.

    Raises :class:`QuestionBankError` for a file it refuses, or an id two questions share."""
    bank: dict[str, Question] = {}
    where: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.json")):
        for q in load_file(path):
            if q.id in bank:
                raise _error(path, repr(q.id), "id", q.id, f"{where[q.id]} has it too; change one")
            bank[q.id], where[q.id] = q, path.name
    if not bank:
        raise QuestionBankError(f"{folder}: holds no questions (*.json files)")
    return bank


def load_file(path: str | Path) -> list[Question]:
    """The questions of one lesson's file, checked: a list of objects with :data:`FIELDS`.

    Each id starts with the file's lesson number (``01-params`` in ``01-....json``)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QuestionBankError(f"{path}: is not valid JSON ({exc}); fix the syntax") from None
    if not re.fullmatch(r"\d\d-.+", path.stem) or not isinstance(data, list):
        raise QuestionBankError(
            f"{path}: a question file holds a list of questions [{{...}}, ...] and is named "
            "like its lesson's notebook (01-sequential-to-functional.json)"
        )
    return [_question(path, index, entry) for index, entry in enumerate(data)]


def _error(path: Path, who: str, key: str, value: Any, fix: str) -> QuestionBankError:
    return QuestionBankError(f"{path}: question {who}, field {key!r} = {value!r}: {fix}")


def _question(path: Path, index: int, entry: Any) -> Question:
    if not isinstance(entry, dict):
        raise QuestionBankError(f"{path}: question {index + 1} must be an object, got {entry!r}")
    who = repr(entry.get("id", index + 1))

    def fail(key: str, fix: str) -> QuestionBankError:
        return _error(path, who, key, entry.get(key), fix)

    for key in entry:
        if key not in FIELDS:
            near = "".join(f"did you mean {n!r}? " for n in get_close_matches(key, FIELDS, 1))
            raise fail(key, f"unknown field; {near}The fields are {', '.join(FIELDS)}")
    for key in FIELDS[:4]:
        if key not in entry:
            raise fail(key, f"missing; every question gives {', '.join(FIELDS[:4])}")
    for key in ("id", "text", "hint", "explain", "reveal"):
        if not isinstance(entry.get(key, ""), str):
            raise fail(key, "must be a string")
    lesson = path.name[:2]
    if not re.fullmatch(lesson + r"-[a-z0-9]+(-[a-z0-9]+)*", entry["id"]):
        raise fail("id", f'must be "{lesson}-topic": its file\'s number, "-", lowercase words')
    feedback, choices = entry["feedback"], entry.get("choices")
    if choices is None:
        pairs = feedback if isinstance(feedback, list) else [None]
        if not all(_is_pair(f) for f in pairs):
            raise fail("feedback", 'must be [{"value": <number>, "text": "..."}, ...]')
        feedback = {f["value"]: f["text"] for f in pairs}
        if len(feedback) < len(pairs):
            raise fail("feedback", "gives one value twice; give each wrong answer one text")
    elif not isinstance(choices, list):
        raise fail("choices", "must be a list of the choices' texts")
    elif not isinstance(feedback, dict):
        raise fail("feedback", 'must be {"<choice text>": "...", ...} (or leave out choices)')
    if not all(isinstance(text, str) for text in feedback.values()):
        raise fail("feedback", "must give each wrong answer a text (a string)")
    try:
        return Question(**{**entry, "feedback": feedback, "choices": choices})
    except (TypeError, ValueError) as exc:
        raise QuestionBankError(f"{path}: question {who}: {exc}") from None


def _is_pair(item: Any) -> bool:
    number = isinstance(item, dict) and isinstance(item.get("value"), numbers.Real)
    return number and item.keys() == {"value", "text"}


#: The lessons' questions by id (read-only), read from :data:`BANK` once, on import.
QUESTIONS: Mapping[str, Question] = MappingProxyType(load_bank())
