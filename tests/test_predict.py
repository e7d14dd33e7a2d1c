"""Predict-first questions: grading, targeted feedback, the widget, and the lessons' cells."""

import json
import re
from pathlib import Path

import pytest

from helpers.predict import PredictFirst, predict
from helpers.questions import (
    QUESTIONS,
    SHOW_WHERE_AFTER,
    Question,
    code_html,
    format_number,
    parse_number,
)

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
TAG = "predict-first"
CALL = re.compile(r'^predict\("([\w-]+)"\)\s*$')


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


# ---------------------------------------------------------------------- grading
@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_every_question_grades_its_answer_right_and_each_known_wrong_answer_with_its_misconception(
    qid,
):
    q = QUESTIONS[qid]
    right = q.grade(q.answer)
    assert right.correct and right.message.startswith("✅") and not right.misconception
    assert q.reveal in right.message
    assert q.feedback, f"{qid} names no common wrong answer"
    for wrong, why in q.feedback.items():
        verdict = q.grade(wrong)
        assert not verdict.correct and verdict.misconception
        assert why.strip().rstrip(".") in verdict.message
        assert verdict.message.startswith("❌")


@pytest.mark.parametrize("qid", sorted(q for q in QUESTIONS if QUESTIONS[q].numeric))
def test_a_wrong_number_nobody_anticipated_gets_the_hint_and_which_way_it_is_off(qid):
    q = QUESTIONS[qid]
    high, low = q.grade(q.answer * 7 + 13), q.grade(q.answer / 7 - 1)
    for verdict in (high, low):
        assert not verdict.correct and not verdict.misconception
        assert q.hint.strip().rstrip(".") in verdict.message
    assert "too high" in high.message and "too low" in low.message


def test_a_wrong_choice_without_its_own_feedback_gets_the_general_hint():
    q = Question(
        id="x", text="?", answer="a", choices=("a", "b", "c"), feedback={"b": "b is a trap"},
        hint="Think of the biases.",
    )  # fmt: skip
    verdict = q.grade("c")
    assert not verdict.correct and not verdict.misconception
    assert "Think of the biases." in verdict.message and "trap" not in verdict.message


def test_numbers_can_be_typed_as_people_write_them():
    q = QUESTIONS["02-embedding"]
    for typed in ("640000", "640,000", "640 000", " 640_000 ", "6.4e5", 640000, 640000.0):
        assert q.grade(typed).correct, typed
    assert parse_number("10%") == pytest.approx(0.1)
    assert parse_number("−3") == -3
    assert format_number(3466.0) == "3,466" and format_number(0.25) == "0.25"


@pytest.mark.parametrize("bad", ["", "   ", "three thousand", "nan", "inf", "1.2.3"])
def test_a_typed_answer_that_is_no_number_is_refused_with_what_to_type(bad):
    with pytest.raises(ValueError, match="answer"):
        QUESTIONS["01-params"].grade(bad)


def test_an_answer_of_the_wrong_type_is_refused_naming_it():
    with pytest.raises(TypeError, match="answer must be a number"):
        QUESTIONS["01-params"].grade([3466])


def test_a_choice_is_accepted_by_letter_by_text_or_as_listed_and_nothing_else():
    q = QUESTIONS["03-dominant-head"]
    for given in ("b", "B", "b)", " age ", "AGE", "b) age"):
        assert q.grade(given).correct, given
    assert not q.grade("c").correct
    with pytest.raises(ValueError, match="letters 'a', 'b', 'c', 'd'") as err:
        q.grade("e")
    assert "b) age" in str(err.value)
    with pytest.raises(ValueError):
        q.grade(0)


def test_after_repeated_wrong_answers_the_feedback_says_where_the_notebook_shows_the_answer():
    q = QUESTIONS["01-params"]
    first = q.grade(3392, wrong_so_far=0)
    later = q.grade(3392, wrong_so_far=SHOW_WHERE_AFTER - 1)
    assert q.reveal not in first.message
    assert q.reveal in later.message


def test_a_malformed_question_is_refused_with_a_message_naming_the_problem():
    with pytest.raises(ValueError, match="not one of its choices"):
        Question(id="x", text="?", answer="c", choices=("a", "b"))
    with pytest.raises(ValueError, match="not among its choices"):
        Question(id="x", text="?", answer="a", choices=("a", "b"), feedback={"z": "no"})
    with pytest.raises(ValueError, match="counts as the right answer"):
        Question(id="x", text="?", answer=10, feedback={10.4: "no"}, tolerance=0.5)
    with pytest.raises(TypeError, match="must be a number"):
        Question(id="x", text="?", answer="ten")
    with pytest.raises(ValueError, match="id must be"):
        Question(id="has space", text="?", answer=1)
    with pytest.raises(ValueError, match="2 to"):
        Question(id="x", text="?", answer="a", choices=("a",))


def test_tolerance_lets_close_enough_numbers_count():
    q = Question(id="acc", text="accuracy?", answer=0.5, tolerance=0.05, feedback={0.17: "chance"})
    assert q.grade("0.53").correct and q.grade("52%").correct
    assert q.grade(0.2).misconception  # within 0.05 of 0.17
    assert not q.grade(0.6).correct


def test_code_spans_and_stress_become_html_and_everything_else_is_escaped():
    assert code_html("a `<b>` *c* 2 * 3") == "a <code>&lt;b&gt;</code> <em>c</em> 2 * 3"


# ---------------------------------------------------------------------- the widget
def test_the_widget_carries_stable_css_classes_for_browser_tests():
    number = predict("01-params")
    choice = predict("03-dominant-head")
    classes = {c for w in all_widgets(number.widget) for c in w._dom_classes}
    assert {"pf-question", "pf-q-01-params", "pf-prompt", "pf-answer", "pf-check"} <= classes
    assert {"pf-feedback"} <= classes
    assert "pf-choices" in {c for w in all_widgets(choice.widget) for c in w._dom_classes}
    assert choice.input.value is None  # no choice made for the learner


def test_typing_a_wrong_number_shows_its_misconception_then_the_right_one_shows_right():
    ask = predict("01-params")
    ask.input.value = "3392"  # what Enter (or leaving the box) sends
    assert "biases" in ask.feedback.value
    assert {"pf-wrong", "pf-misconception"} <= set(ask.widget._dom_classes)
    ask.check.click()  # the click that followed the typing: graded once, not twice
    assert len(ask.attempts) == 1
    ask.input.value = "3,466"
    ask.check.click()
    assert ask.correct and "Right" in ask.feedback.value
    assert "pf-right" in ask.widget._dom_classes
    assert not {"pf-wrong", "pf-misconception"} & set(ask.widget._dom_classes)


def test_check_without_an_answer_asks_for_one_and_counts_nothing():
    ask = predict("02-zero-loss")
    ask.check.click()
    assert "Choose one of the answers" in ask.feedback.value and not ask.attempts
    assert "pf-invalid" in ask.widget._dom_classes
    ask.input.value = ask.question.labelled_choices()[0]
    ask.check.click()
    assert ask.attempts[-1].misconception and "pf-misconception" in ask.widget._dom_classes
    ask.input.value = ask.question.labelled_choices()[3]
    ask.check.click()
    assert ask.correct


def test_a_typed_answer_that_is_no_number_says_so_in_the_widget_without_raising():
    ask = predict("01-params")
    ask.input.value = "lots"
    assert "pf-invalid" in ask.widget._dom_classes and "number" in ask.feedback.value
    assert not ask.attempts


def test_answer_in_code_grades_shows_the_feedback_in_the_widget_and_moves_the_choice():
    ask = predict("04-balance-std", answer_now="a")
    assert ask.attempts[-1].misconception
    assert ask.input.value == ask.question.labelled_choices()[0]
    verdict = ask.answer("b")
    assert verdict.correct and "Right" in ask.feedback.value
    assert repr(ask) == "<PredictFirst 04-balance-std: answered right>"


def test_the_right_answers_are_spread_over_the_letters():
    letters = [
        "abcd"[q.choices.index(q.answer)] for q in QUESTIONS.values() if q.choices is not None
    ]
    counts = {letter: letters.count(letter) for letter in "abcd"}
    assert all(counts.values()), f"a letter is never the answer: {counts}"
    assert max(counts.values()) <= len(letters) / 2, f"one letter is the answer too often: {counts}"


def test_the_plain_text_version_is_stable_and_does_not_give_the_answer_away():
    for qid, q in QUESTIONS.items():
        shown = predict(qid)
        bundle = shown._repr_mimebundle_()
        assert bundle["text/plain"] == predict(qid).text()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        if q.numeric:
            for form in (format_number(q.answer), str(int(q.answer))):
                assert form not in bundle["text/plain"], (qid, form)
        else:  # no example letter, which would read as a hint where it is the answer
            assert "answer_now=..." in bundle["text/plain"], qid
        shown.close()


def test_an_instructor_can_ask_an_own_question_with_targeted_feedback():
    ask = predict("What is 6 × 7?", answer=42, feedback={13: "that is 6 + 7"})
    assert ask.question.id == "what-is-6-7"
    assert ask.answer(13).message.startswith("❌ Not 13. that is 6 + 7.")
    mc = predict("Pick one", answer="yes", choices=["yes", "no"], id="mine")
    assert mc.answer("a").correct


def test_unknown_ids_and_contradictory_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="unknown question id '01-nope'.*01-params"):
        predict("01-nope")
    with pytest.raises(ValueError, match="only be given with answer="):
        predict("01-params", choices=["a", "b"])
    with pytest.raises(TypeError, match="question must be"):
        predict(42)
    with pytest.raises(TypeError, match="Question"):
        PredictFirst("01-params")


# ---------------------------------------------------------------------- the lessons
def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell) -> str:
    """A cell's source and its outputs' text, as a learner would read them."""
    parts = ["".join(cell["source"])]
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        data = out.get("data", {})
        for mime in ("text/plain", "text/html", "text/markdown"):
            parts.append("".join(data.get(mime, "")))
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(parts))


def _predict_cells(path):
    return [(i, c) for i, c in enumerate(_cells(path)) if TAG in c["metadata"].get("tags", [])]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_asks_at_least_three_predict_first_questions_of_its_own(path):
    found = _predict_cells(path)
    assert len(found) >= 3, f"{path.name} has {len(found)} cells tagged {TAG!r}"
    ids = []
    for index, cell in found:
        match = CALL.match("".join(cell["source"]).strip())
        assert match, f'{path.name} cell {index}: a {TAG} cell is one call, predict("NN-topic")'
        qid = match.group(1)
        assert qid in QUESTIONS and qid.startswith(path.name[:3]), (path.name, qid)
        ids.append(qid)
        outputs = [o.get("data", {}) for o in cell["outputs"]]
        plain = [data["text/plain"] for data in outputs if "text/plain" in data]
        assert ["".join(p) for p in plain] == [predict(qid).text()], (
            f"{path.name} cell {index}: the saved question differs from {qid!r} in "
            "helpers/question_bank; re-run the notebook"
        )
    assert len(set(ids)) == len(ids), f"{path.name} asks a question twice: {ids}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_number_to_predict_appears_only_after_its_question(path):
    cells = _cells(path)
    for index, cell in _predict_cells(path):
        q = QUESTIONS[CALL.match("".join(cell["source"]).strip()).group(1)]
        if not q.numeric:
            continue
        number = re.escape(format_number(q.answer))
        shown = re.compile(rf"(?<![\d.])(?<!\d,){number}(?!\d|[.,]\d)")
        before = [i for i in range(index) if shown.search(_text(cells[i]))]
        after = [i for i in range(index + 1, len(cells)) if shown.search(_text(cells[i]))]
        assert not before, f"{path.name}: {q.id}'s answer shows in cells {before}, before it"
        assert after and after[0] <= index + 3, (
            f"{path.name}: {q.id}'s answer is not shown within three cells after the question"
        )


def test_every_lesson_question_is_asked_in_its_lesson():
    asked = {
        CALL.match("".join(c["source"]).strip()).group(1)
        for path in LESSONS
        for _, c in _predict_cells(path)
    }
    lessons = {p.name[:2] for p in LESSONS}
    unasked = [q for q in QUESTIONS if q[:2] in lessons and q not in asked]
    assert not unasked, f"questions no lesson asks: {unasked}"
