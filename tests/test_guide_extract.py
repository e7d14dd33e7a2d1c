"""tools/guide_solutions.py finds a guide's solution code and judges it as the guide says.

Fast: no kernel. The slow check that runs every guide after its notebook is
tests/test_guide_solutions.py.
"""

import ast
from pathlib import Path

import pytest

from tools import guide_solutions as gs

ROOT = Path(__file__).resolve().parents[1]


GUIDE = """\
# 09 · A lesson

```python
print("not a solution: never run")
```

### Challenge 1: first
Text.

<details><summary>Solution</summary>

Prose with `inline_code()`.

```python
a = 1
```

```text
InvalidArgumentError: shown, not run
```

```py
b = a + 1
```
</details>

## 2. A section

### Challenge 2: second

<details>
<summary><b>Solution</b></summary>

    ```python
    c = 3
    ```
</details>

<details><summary>Hint</summary>

```python
hint = "not a solution"
```
</details>
"""


def test_only_python_blocks_inside_solutions_are_extracted_in_guide_order():
    blocks = gs.extract_solutions(GUIDE, "09-a-lesson.md")
    assert [b.code for b in blocks] == ["a = 1\n", "b = a + 1\n", "c = 3\n"]
    assert [b.number for b in blocks] == [1, 2, 3]


def test_each_block_knows_its_challenge_and_the_line_its_code_starts_on():
    blocks = gs.extract_solutions(GUIDE, "09-a-lesson.md")
    assert [b.challenge for b in blocks] == [
        "Challenge 1: first",
        "Challenge 1: first",
        "Challenge 2: second",
    ]
    lines = GUIDE.splitlines()
    for block in blocks:
        assert lines[block.line - 1].strip() == block.code.strip()
    assert "09-a-lesson.md, Challenge 2: second (solution block 3, line " in blocks[2].where()


def test_a_guide_without_solutions_has_no_blocks():
    assert gs.extract_solutions("# Title\n\n```python\nx = 1\n```\n") == []


def test_a_solution_closed_on_its_own_line_ends_there():
    text = "<details><summary>Solution</summary>Just prose.</details>\n```python\nx = 1\n```\n"
    assert gs.extract_solutions(text) == []


def test_html_inside_a_code_block_does_not_open_or_close_a_solution():
    text = (
        "<details><summary>Solution</summary>\n\n"
        "```python\nhtml = '</details>'\n```\n\n"
        "```python\nafter = 2\n```\n</details>\n"
    )
    assert [b.code for b in gs.extract_solutions(text)] == [
        "html = '</details>'\n",
        "after = 2\n",
    ]


def test_a_fence_without_a_language_inside_a_solution_is_an_error_naming_the_line():
    text = "### Challenge\n<details><summary>Solution</summary>\n\n```\nx = 1\n```\n</details>\n"
    with pytest.raises(ValueError, match=r"guide\.md line 4: a code fence without a language"):
        gs.extract_solutions(text, "guide.md")


def test_an_unclosed_solution_is_an_error_naming_the_line():
    with pytest.raises(ValueError, match=r"line 2: <details><summary>Solution</summary> is never"):
        gs.extract_solutions("text\n<details><summary>Solution</summary>\n\nprose\n")


def test_an_unclosed_fence_is_an_error_naming_the_line():
    with pytest.raises(ValueError, match=r"line 3: code fence ``` is never closed"):
        gs.extract_solutions("<details><summary>Solution</summary>\n\n```python\nx = 1\n")


@pytest.mark.parametrize(
    "code, expected",
    [
        ("# raises ValueError: bad value\nf()\n", ("ValueError", "bad value")),
        ("\n# raises KeyError\nd['x']\n", ("KeyError", "")),
        (
            "#raises tf.errors.InvalidArgumentError: ... [0, 32)\nf()\n",
            ("tf.errors.InvalidArgumentError", "... [0, 32)"),
        ),
    ],
)
def test_the_first_line_announces_the_error(code, expected):
    found = gs.expected_error(code)
    assert (found.name, found.message) == expected


@pytest.mark.parametrize(
    "code",
    ["f()\n# raises ValueError: not on the first line\n", "x = 1  # raises ValueError\n", ""],
)
def test_no_announcement_unless_the_first_line_is_one(code):
    assert gs.expected_error(code) is None


def test_an_expected_error_matches_its_class_and_the_pieces_of_its_message_in_order():
    expected = gs.ExpectedError("InvalidArgumentError", "Graph execution error: ... [0, 256)")
    long_message = (
        "Graph execution error:\n\n  File x\n\x1b[1mindices[8,225] = 46828 is not in [0, 256)"
    )
    assert expected.matches("InvalidArgumentError", long_message)
    assert not expected.matches("ValueError", long_message)
    assert not expected.matches("InvalidArgumentError", "is not in [0, 256) Graph execution error:")
    assert not expected.matches("InvalidArgumentError", "Graph execution error: [0, 32)")


def test_a_dotted_class_name_matches_the_class_and_no_message_matches_any():
    assert gs.ExpectedError("tf.errors.InvalidArgumentError").matches("InvalidArgumentError", "x")
    assert gs.ExpectedError("ValueError", "a   b").matches("ValueError", "a\nb")


def test_the_last_statement_is_split_off_with_the_comments_above_it():
    code = "x = 1\ny = f(\n    x,\n)\n# then the call that raises\nmodel.fit(\n    x, y\n)\n"
    before, last = gs.split_last_statement(code)
    assert before == "x = 1\ny = f(\n    x,\n)\n"
    assert last == "# then the call that raises\nmodel.fit(\n    x, y\n)\n"
    assert gs.split_last_statement("only()\n") == ("", "only()\n")


def _run_checked(code: str, namespace: dict | None = None) -> dict:
    namespace = {} if namespace is None else namespace
    exec(gs.CHECK_DEFINITION + gs.checked_source(code), namespace)
    return namespace


def test_an_expression_followed_by_a_literal_comment_must_equal_it():
    _run_checked("x = 6570\nx  # 6570\n(x, x > 0)  # (6570, True)\n")
    with pytest.raises(
        AssertionError, match=r"the guide says `x \+ 1  # 6570`, the kernel gives 6571"
    ):
        _run_checked("x = 6570\nx + 1  # 6570\n")


def test_a_quoted_float_is_compared_to_the_decimals_it_is_written_with():
    _run_checked("accuracy = 0.86499\naccuracy  # 0.865\n")
    with pytest.raises(AssertionError, match="0.866"):
        _run_checked("accuracy = 0.86499\naccuracy  # 0.866\n")


def test_a_multi_line_expression_is_checked_once_and_evaluated_once():
    namespace = _run_checked(
        "calls = []\ndef f(v):\n    calls.append(v)\n    return v\nf(\n    3,\n)  # 3\n"
    )
    assert namespace["calls"] == [3]


def test_prose_comments_assignments_and_inner_lines_are_not_checked():
    code = (
        "x = 5  # 6\n"  # an assignment: its comment is prose
        "x  # ≈ 0.79, roughly\n"
        "x  # as printed in the book\n"
        "if x:\n    x  # 7\n"  # not a top-level statement
    )
    assert gs.checked_source(code) == code
    _run_checked(code)


def test_a_block_without_literal_comments_is_left_as_it_is():
    code = "a = 1\nprint(a)\n"
    assert gs.checked_source(code) == code


# run_block judged with a stand-in for the kernel: exec in one namespace.
def _fake_kernel():
    namespace: dict = {}
    exec(gs.CHECK_DEFINITION, namespace)

    def execute(source: str) -> dict:
        try:
            exec(source, namespace)
        except Exception as exc:  # what a kernel reports as an error output
            error = {"output_type": "error", "ename": type(exc).__name__, "evalue": str(exc)}
            return {"outputs": [error]}
        return {"outputs": []}

    return execute


def _judge(code: str) -> str | None:
    block = gs.SolutionBlock("guide.md", "Challenge 1", 1, 10, code)
    return gs.run_block(block, _fake_kernel(), [])


def test_a_block_that_runs_is_fine_and_one_that_fails_reports_the_error():
    assert _judge("x = 1\nx  # 1\n") is None
    assert _judge("np.zeros(3)\n") == "NameError: name 'np' is not defined"


def test_an_announced_error_must_come_from_the_last_statement():
    announced = "# raises ZeroDivisionError: division by zero\nx = 1\n1 / 0\n"
    assert _judge(announced) is None
    problem = _judge("# raises ZeroDivisionError\n1 / 0\nprint('never')\n")
    assert problem == (
        "ZeroDivisionError: division by zero (before the last statement, which should raise "
        "ZeroDivisionError)"
    )


def test_an_announced_error_that_does_not_come_or_differs_is_reported():
    assert _judge("# raises ValueError: bad\nx = 1\n") == (
        "the guide says this raises ValueError: bad, but it ran without error"
    )
    assert _judge("# raises ValueError: bad\nint('x')\n") == (
        "the guide says this raises ValueError: bad, but it raised ValueError: "
        "invalid literal for int() with base 10: 'x'"
    )


def test_a_block_that_is_not_python_is_reported_as_a_syntax_error():
    assert _judge("x = = 1\n").startswith("SyntaxError")


def test_a_report_names_the_guide_the_challenge_and_the_error():
    block = gs.SolutionBlock("lessons/04-x.md", "Challenge 4: weights", 4, 96, "np\n")
    report = gs.GuideReport(guide=ROOT / "lessons" / "04-x.md", notebook=Path("nb.ipynb"))
    report.results.append(gs.BlockResult(block, "NameError: name 'np' is not defined", 0.1))
    text = report.describe()
    assert not report.ok
    assert "lessons/04-x.md: 1 of 1 solution blocks failed" in text
    assert "Challenge 4: weights (solution block 4, line 96):\n  NameError: name 'np'" in text


def test_guides_map_to_notebooks_of_the_same_name():
    guide = ROOT / "lessons" / "03-multi-output-posts.md"
    assert gs.notebook_for(guide) == ROOT / "notebooks" / "03-multi-output-posts.ipynb"


GUIDES = sorted((ROOT / "lessons").glob("[0-9][0-9]-*.md"))


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_every_guide_solution_is_python_and_has_a_notebook(guide):
    blocks = gs.read_solutions(guide)
    for block in blocks:
        try:
            ast.parse(block.code)
        except SyntaxError as exc:
            pytest.fail(f"{block.where()}: not valid Python: {exc.msg} (block line {exc.lineno})")
    if blocks:
        assert gs.notebook_for(guide).is_file(), f"{guide.name} has solutions but no notebook"


def test_the_kit_has_guides_with_solution_code():
    assert gs.guides_with_solutions(ROOT / "lessons"), "no guide in lessons/ has solution code"
