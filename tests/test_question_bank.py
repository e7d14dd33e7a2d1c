"""The predict-first questions as data: every shipped file loads, and bad files are refused."""

import json
from pathlib import Path

import pytest

from helpers.questions import BANK, QUESTIONS, Question, QuestionBankError, load_bank, load_file

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(BANK.glob("*.json"))
NOTEBOOKS = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")}

NUMBER = {
    "id": "01-params",
    "text": "How many parameters?",
    "answer": 3466,
    "feedback": [{"value": 3392, "text": "That leaves out the biases."}],
    "hint": "Weights plus biases.",
}
CHOICE = {
    "id": "01-pick",
    "text": "Which head dominates?",
    "choices": ["age", "income"],
    "answer": "age",
    "feedback": {"income": "Income's loss is small."},
}


def write(folder: Path, questions, name: str = "01-sequential-to-functional.json") -> Path:
    path = folder / name
    text = questions if isinstance(questions, str) else json.dumps(questions)
    path.write_text(text, encoding="utf-8")
    return path


def refused(folder: Path, *parts: str) -> str:
    """Load ``folder``; the error must name every one of ``parts``."""
    with pytest.raises(QuestionBankError) as err:
        load_bank(folder)
    message = str(err.value)
    for part in parts:
        assert part in message, (part, message)
    return message


# ---------------------------------------------------------------------- the shipped files
def test_there_is_one_question_file_per_lesson_named_like_its_notebook():
    assert {p.stem for p in FILES} == NOTEBOOKS


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_shipped_file_loads_and_its_ids_carry_its_lesson_number(path):
    questions = load_file(path)
    assert len(questions) >= 3, f"{path.name} holds {len(questions)} questions"
    assert all(isinstance(q, Question) and q.id.startswith(path.name[:3]) for q in questions)
    assert [QUESTIONS[q.id] for q in questions] == questions


def test_questions_holds_every_file_in_lesson_order_and_cannot_be_changed():
    assert list(QUESTIONS) == [q.id for path in FILES for q in load_file(path)]
    assert QUESTIONS == load_bank()
    with pytest.raises(TypeError):
        QUESTIONS["01-params"] = None


def test_numeric_feedback_keeps_the_numbers_and_choice_feedback_the_choice_texts(tmp_path):
    write(tmp_path, [NUMBER, CHOICE])
    number, choice = load_bank(tmp_path).values()
    assert number.feedback == {3392: "That leaves out the biases."} and number.numeric
    assert number.grade(3392).misconception and number.grade("3,466").correct
    assert choice.choices == ("age", "income") and choice.grade("b").misconception


# ---------------------------------------------------------------------- refused, with the fix
def test_an_unknown_field_is_refused_with_the_field_it_probably_meant(tmp_path):
    path = write(tmp_path, [{**NUMBER, "hnt": "typo"}])
    refused(tmp_path, str(path), "'01-params'", "'hnt'", "'typo'", "did you mean 'hint'")


@pytest.mark.parametrize("field", ["id", "text", "answer", "feedback"])
def test_a_missing_required_field_is_refused_naming_it(tmp_path, field):
    write(tmp_path, [{k: v for k, v in NUMBER.items() if k != field}])
    who = "question 1" if field == "id" else "'01-params'"
    refused(tmp_path, who, f"field {field!r}", "missing", "every question gives id, text")


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [
        ("hint", 3, "must be a string"),
        ("text", ["a", "list"], "must be a string"),
        ("feedback", {"3392": "no"}, '[{"value": <number>, "text": "..."}'),
        ("feedback", [{"value": "3392", "text": "no"}], '[{"value": <number>, "text": "..."}'),
        ("feedback", [{"value": 3392, "text": 5}], "a text (a string)"),
        ("answer", "3466", "must be a number (or give choices=)"),
        ("tolerance", "0.1", "tolerance must be a number"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_with_what_it_must_be(tmp_path, field, value, fix):
    path = write(tmp_path, [{**NUMBER, field: value}])
    message = refused(tmp_path, str(path), "'01-params'", fix)
    assert field in message and repr(value) in message


def test_choice_feedback_must_be_keyed_by_choice(tmp_path):
    write(tmp_path, [{**CHOICE, "feedback": [{"value": 1, "text": "no"}]}])
    refused(tmp_path, "'01-pick'", "field 'feedback'", '{"<choice text>": "...", ...}')
    write(tmp_path, [{**CHOICE, "choices": "age, income"}])
    refused(tmp_path, "'01-pick'", "field 'choices' = 'age, income'", "must be a list")


def test_a_right_answer_that_is_not_among_the_choices_is_refused(tmp_path):
    path = write(tmp_path, [{**CHOICE, "answer": "gender"}])
    refused(
        tmp_path, str(path), "'01-pick'", "answer 'gender'", "not one of its choices",
        "['age', 'income']", "give the right choice's text",
    )  # fmt: skip


def test_choice_feedback_for_a_choice_that_does_not_exist_is_refused(tmp_path):
    write(tmp_path, [{**CHOICE, "feedback": {"gender": "?"}}])
    refused(tmp_path, "'01-pick'", "feedback", "'gender'", "not among its choices")


def test_the_same_wrong_number_given_twice_is_refused(tmp_path):
    twice = [{"value": 3392, "text": "biases"}, {"value": 3392, "text": "again"}]
    write(tmp_path, [{**NUMBER, "feedback": twice}])
    refused(tmp_path, "'01-params'", "field 'feedback'", "gives one value twice")


def test_an_id_used_twice_is_refused_in_one_file_and_across_files(tmp_path):
    path = write(tmp_path, [NUMBER, {**CHOICE, "id": "01-params"}])
    refused(tmp_path, f"{path}: question '01-params', field 'id' = '01-params'", "has it too")
    write(tmp_path, [NUMBER])
    write(tmp_path, [NUMBER], name="01-more.json")
    refused(tmp_path, f"{path}: question '01-params'", "01-more.json has it too; change one")


@pytest.mark.parametrize("bad", ["02-params", "01_params", "01-Params", "params", "01-"])
def test_an_id_that_is_not_its_files_lesson_number_and_a_topic_is_refused(tmp_path, bad):
    path = write(tmp_path, [{**NUMBER, "id": bad}])
    refused(tmp_path, str(path), f"field 'id' = {bad!r}", 'must be "01-topic"')


def test_a_file_that_is_not_a_list_of_questions_is_refused(tmp_path):
    path = write(tmp_path, "[{'id': '01-params'}]")
    refused(tmp_path, str(path), "is not valid JSON", "line 1")
    write(tmp_path, NUMBER)
    refused(tmp_path, "holds a list of questions")
    write(tmp_path, [NUMBER, "01-other"])
    refused(tmp_path, "question 2 must be an object, got '01-other'")


def test_a_file_not_named_like_a_lesson_and_an_empty_folder_are_refused(tmp_path):
    refused(tmp_path, str(tmp_path), "holds no questions")
    write(tmp_path, [NUMBER], name="questions.json")
    refused(tmp_path, "questions.json", "named like its lesson's notebook")


def test_a_question_the_question_class_refuses_is_refused_naming_its_file(tmp_path):
    path = write(tmp_path, [{**NUMBER, "feedback": [{"value": 3466.0, "text": "?"}]}])
    refused(tmp_path, str(path), "'01-params'", "counts as the right answer")
    write(tmp_path, [{**NUMBER, "text": "  "}])
    refused(tmp_path, "'01-params'", "text of question '01-params' must be a non-empty string")
