"""Predict-first cells: the learner answers before the next cell shows the result.

``predict("01-params")`` shows one of the lessons' questions (:data:`helpers.questions.
QUESTIONS`) as a small widget: the question, a box for a number or buttons for the
choices, **Check**, and feedback. A wrong answer that a common misconception produces
gets feedback naming that misconception ("that leaves out the biases"); grading happens
in the notebook's own kernel, with no server and nothing recorded elsewhere. Learners
who prefer code answer with ``predict("01-params", answer_now=3466)`` or
``question.answer(3466)``; instructors ask their own question by giving its answer:
``predict("How many ...?", answer=42, feedback={41: "off by one"})``.

This is the only module of the predict-first cells that imports ipywidgets; what is
asked and how answers are graded lives in :mod:`helpers.questions` (pure Python). The
widgets carry stable CSS classes (``pf-question``, ``pf-answer``, ``pf-choices``,
``pf-check``, ``pf-feedback``; ``pf-right``, ``pf-wrong``, ``pf-misconception`` on the
question once graded). Where widgets cannot show, and in nbval's comparison of saved
outputs, the cell shows a stable plain-text version of the question.

Examples
--------
>>> ask = predict("01-params")  # doctest: +SKIP
>>> ask  # doctest: +SKIP
>>> ask.answer(3392)
❌ Not 3,392. That leaves out the biases: every Dense unit also has one bias. ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from helpers.questions import QUESTIONS, Question, Verdict, code_html

__all__ = ["PredictFirst", "predict"]

STATE_CLASSES = ("pf-right", "pf-wrong", "pf-misconception", "pf-invalid")
_COLOURS = {"right": "#1a7f37", "wrong": "#b3261e", "invalid": "#8a6d00"}


class PredictFirst:
    """One predict-first question, shown as a widget and answerable in code.

    Parameters
    ----------
    question : Question
        What to ask (see :class:`helpers.questions.Question`).

    Attributes
    ----------
    question : Question
    attempts : list of Verdict
        Every graded answer, first to last.
    widget : ipywidgets.VBox
        The whole question as one widget.
    """

    def __init__(self, question: Question) -> None:
        if not isinstance(question, Question):
            raise TypeError(f"question must be a helpers.questions.Question, got {question!r}")
        self.question = question
        self.attempts: list[Verdict] = []
        self._last_graded: Any = None
        self.prompt = widgets.HTML(value=f"<b>Predict first.</b> {question.text_html()}")
        self.prompt.add_class("pf-prompt")
        if question.numeric:
            self.input = widgets.Text(
                value="",
                placeholder="your answer, e.g. 1,234",
                description="Answer:",
                continuous_update=False,  # Enter (or leaving the box) sends the answer
                layout=widgets.Layout(width="260px"),
            )
            self.input.add_class("pf-answer")
            self.input.observe(self._typed, names="value")
        else:
            self.input = widgets.RadioButtons(
                options=question.labelled_choices(),
                value=None,
                layout=widgets.Layout(width="auto"),
            )
            self.input.add_class("pf-choices")
        self.check = widgets.Button(
            description="Check",
            button_style="primary",
            tooltip="grade your answer, here in this notebook",
            layout=widgets.Layout(width="90px"),
        )
        self.check.add_class("pf-check")
        self.check.on_click(lambda _: self._check_pressed())
        self.feedback = widgets.HTML(value="")
        self.feedback.add_class("pf-feedback")
        self.widget = widgets.VBox(
            [self.prompt, widgets.HBox([self.input, self.check]), self.feedback],
            layout=widgets.Layout(
                border="1px solid var(--jp-border-color1, #ccc)", padding="4px 10px", margin="4px 0"
            ),
        )
        self.widget.add_class("pf-question")
        self.widget.add_class(f"pf-q-{question.id}")

    # ------------------------------------------------------------------ answering
    def answer(self, response: Any) -> Verdict:
        """Grade ``response`` and show the feedback in the widget; return the verdict.

        A number (``3466``, ``"3,466"``, ``"10%"``), or for a multiple-choice question
        a choice's letter (``"b"``) or text.

        Raises
        ------
        ValueError, TypeError
            For an answer that is not a number, or not one of the choices; the message
            says what the question accepts. Nothing is counted.
        """
        verdict = self.question.grade(response, wrong_so_far=self.wrong_answers)
        self.attempts.append(verdict)
        self._last_graded = response
        self._show(verdict.message, "right" if verdict.correct else "wrong", verdict.misconception)
        if not self.question.numeric:
            self._set_choice(verdict.answer)
        elif self.input.value != str(response).strip():
            self.input.value = str(response).strip()  # graded already: _typed skips it
        return verdict

    @property
    def correct(self) -> bool:
        """Whether any answer so far was right."""
        return any(v.correct for v in self.attempts)

    @property
    def wrong_answers(self) -> int:
        """How many answers so far were wrong."""
        return sum(not v.correct for v in self.attempts)

    # ------------------------------------------------------------------ widgets -> grade
    def _typed(self, change: dict) -> None:
        """Enter in the number box (or leaving it) grades what it holds, if not graded yet."""
        text = str(change["new"]).strip()
        if text and text != str(self._last_graded).strip():
            self._grade_widget_value(change["new"])

    def _check_pressed(self) -> None:
        value = self.input.value
        if value is None or not str(value).strip():
            what = "Type a number" if self.question.numeric else "Choose one of the answers"
            self._show(f"{what}, then press Check.", "invalid")
            return
        if value == self._last_graded and self.attempts:
            return  # already graded when the box sent it (Enter, or the click that left it)
        self._grade_widget_value(value)

    def _grade_widget_value(self, value: Any) -> None:
        try:
            self.answer(value)
        except (TypeError, ValueError) as exc:
            self._last_graded = value
            self._show(str(exc)[:1].upper() + str(exc)[1:] + ".", "invalid")

    def _set_choice(self, choice: str) -> None:
        labelled = self.question.labelled_choices()[self.question.choices.index(choice)]
        if self.input.value != labelled:
            self.input.value = labelled

    def _show(self, message: str, state: str, misconception: bool = False) -> None:
        colour = _COLOURS[state]
        self.feedback.value = (
            f'<div style="border-left: 4px solid {colour}; padding: 2px 8px; '
            f'white-space: normal">{code_html(message)}</div>'
        )
        for css in STATE_CLASSES:
            self.widget.remove_class(css)
        self.widget.add_class(f"pf-{state}")
        if misconception:
            self.widget.add_class("pf-misconception")

    # ------------------------------------------------------------------ showing
    def text(self) -> str:
        """The question as plain text: what a page without widgets shows (stable)."""
        q = self.question
        lines = [f"Predict first · {q.text}"]
        lines += [f"  {c}" for c in q.labelled_choices()]
        # No example letter: a fixed one ("b") reads as a hint wherever it is the answer.
        what = (
            "your number" if q.numeric else f"your choice's letter, a to {chr(96 + len(q.choices))}"
        )
        lines.append(
            "Answer in the widget (run the notebook in Jupyter), or in code: "
            f"predict({q.id!r}, answer_now=...) with {what}"
        )
        if self.attempts:
            lines.append(self.attempts[-1].message)
        return "\n".join(lines)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        state = "unanswered"
        if self.attempts:
            state = "answered right" if self.correct else f"{self.wrong_answers} wrong so far"
        return f"<PredictFirst {self.question.id}: {state}>"

    def close(self) -> None:
        """Close the widgets (their views in the page go away)."""
        for w in (self.prompt, self.input, self.check, self.feedback, self.widget):
            w.close()


def predict(
    question: str | Question,
    *,
    answer: float | str | None = None,
    choices: Sequence[str] | None = None,
    feedback: Mapping[Any, str] | None = None,
    hint: str = "",
    explain: str = "",
    reveal: str = "the next cell",
    tolerance: float = 0.0,
    answer_now: Any = None,
    id: str | None = None,
) -> PredictFirst:
    """Ask a predict-first question; the learner answers in the widget or in code.

    Parameters
    ----------
    question : str or Question
        The id of one of the lessons' questions (``"01-params"``; see
        :data:`helpers.questions.QUESTIONS`), or the text of your own question (then
        give ``answer``), or a :class:`~helpers.questions.Question`.
    answer : number or str, optional
        Your own question's right answer (a choice's text when ``choices`` is given).
    choices : sequence of str, optional
        Your own question's choices; without them the learner types a number.
    feedback : dict, optional
        Common wrong answers and the misconception behind each.
    hint, explain, reveal, tolerance
        See :class:`~helpers.questions.Question`.
    answer_now : optional
        Grade this answer at once, as if typed in the widget (for learners who prefer
        code; the feedback shows in the widget and in the cell's plain-text output).
    id : str, optional
        Your own question's id (default: made from its text).

    Returns
    -------
    PredictFirst
        Shown as the widget when it is a cell's last value; ``.answer(x)`` grades more
        answers.

    Raises
    ------
    ValueError
        For an unknown question id without ``answer``, or a malformed question.

    Examples
    --------
    >>> predict("01-params", answer_now=3466).correct  # doctest: +SKIP
    True
    >>> ask = predict("What is 6 × 7?", answer=42, feedback={13: "that is 6 + 7"})
    >>> ask.answer(13).misconception
    True
    """
    if isinstance(question, Question):
        q = question
    elif not isinstance(question, str):
        raise TypeError(
            f"question must be a question id such as '01-params', a question's text or a "
            f"Question, got {question!r} ({type(question).__name__})"
        )
    elif answer is None:
        if question not in QUESTIONS:
            raise ValueError(
                f"unknown question id {question!r}; the lessons' ids are "
                f"{', '.join(sorted(QUESTIONS))}. To ask your own question, give its answer: "
                f"predict({question!r}, answer=...)"
            )
        extras = {"choices": choices, "feedback": feedback, "id": id}
        given = [k for k, v in extras.items() if v is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} can only be given with answer= (your own question); "
                f"{question!r} is one of the lessons' questions"
            )
        q = QUESTIONS[question]
    else:
        q = Question(
            id=id or _id_from(question),
            text=question,
            answer=answer,
            choices=tuple(choices) if choices is not None else None,
            feedback=dict(feedback or {}),
            hint=hint,
            explain=explain,
            reveal=reveal,
            tolerance=tolerance,
        )
    shown = PredictFirst(q)
    if answer_now is not None:
        shown.answer(answer_now)
    return shown


def _id_from(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text.lower())[:6]
    return "-".join(words) or "question"
