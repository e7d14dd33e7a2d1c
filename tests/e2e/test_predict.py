"""Predict-first questions work in JupyterLab in Chromium, as a learner answers them.

Lesson 01 runs up to its third predict-first cell (no training before it). A wrong
number typed into the first question gets feedback naming the likely misconception;
the right number then gets "Right". A wrong choice in the multiple-choice question gets
its own targeted feedback, and the right choice gets "Right". Feedback comes from the
kernel, so each answer makes the round trip page -> kernel -> page.
"""

import os

import pytest

from .conftest import SCREENSHOTS, lesson_notebooks, missing_browser
from .lab_driver import callback_errors, inspect_notebook, open_notebook, read_cells, run_all

NOTEBOOKS = [path for path in lesson_notebooks() if path.name.startswith("01-")]
RUN_TIMEOUT_MS = int(float(os.environ.get("BSEQ_E2E_NOTEBOOK_TIMEOUT_S", "600")) * 1000)
FEEDBACK_TIMEOUT_MS = 120_000  # guards against a hang only

if not NOTEBOOKS and missing_browser() is None:
    pytest.skip("lesson 01 is missing", allow_module_level=True)


@pytest.fixture(scope="module")
def lesson(browser_context, jupyter_lab):
    """Lesson 01 run up to its last predict-first question; yields the page."""
    page = browser_context.new_page()
    notebook = NOTEBOOKS[0].name
    try:
        open_notebook(page, jupyter_lab, notebook)
        asked = [cell["index"] for cell in read_cells(page) if "predict-first" in cell["tags"]]
        assert len(asked) >= 3, f"{notebook}: {len(asked)} cells tagged predict-first"
        run_all(page, notebook, timeout_ms=RUN_TIMEOUT_MS, upto=asked[2])
        run = inspect_notebook(page, notebook, upto=asked[2])
        if run.problems:
            pytest.fail(run.failure_message(), pytrace=False)
        yield page
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "01-predict-first.png"))
        page.close()
        jupyter_lab.shutdown_kernels()


def question(page, qid: str):
    root = page.locator(f".pf-q-{qid}")
    assert root.count() == 1, f"the page shows {root.count()} widgets for question {qid}"
    root.scroll_into_view_if_needed()
    return root


def wait_for_feedback(page, root, css: str, words: str) -> str:
    """Wait until the question carries ``css`` and its feedback contains ``words``."""
    feedback = root.locator(".pf-feedback")
    try:
        page.wait_for_function(
            """([root, css, words]) => root.classList.contains(css)
                 && root.querySelector('.pf-feedback').innerText.includes(words)""",
            arg=[root.element_handle(), css, words],
            timeout=FEEDBACK_TIMEOUT_MS,
        )
    except Exception:  # noqa: BLE001 - report what the learner sees instead
        pytest.fail(
            f"after {FEEDBACK_TIMEOUT_MS / 1000:.0f} s the question shows "
            f"{feedback.inner_text()!r} (classes {root.get_attribute('class')!r}), "
            f"not {css} with {words!r}; kernel errors: {callback_errors(page)}",
            pytrace=False,
        )
    return feedback.inner_text()


def test_a_wrong_parameter_count_gets_the_misconception_then_the_right_one_gets_right(lesson):
    root = question(lesson, "01-params")
    box = root.locator(".pf-answer input")
    box.fill("3392")  # the weights without the biases
    root.locator(".pf-check").click()
    text = wait_for_feedback(lesson, root, "pf-misconception", "biases")
    assert "Not 3,392" in text and "Right" not in text

    box.fill("3,466")
    box.press("Enter")  # Enter checks too
    text = wait_for_feedback(lesson, root, "pf-right", "Right")
    assert "3,466" in text and "biases" not in text
    assert "pf-wrong" not in (root.get_attribute("class") or "")
    assert not callback_errors(lesson)


def test_a_wrong_choice_gets_its_own_feedback_then_the_right_choice_gets_right(lesson):
    root = question(lesson, "01-disconnected")
    root.get_by_text("It builds a model whose output ignores its input.").click()
    root.locator(".pf-check").click()
    text = wait_for_feedback(lesson, root, "pf-misconception", "never meets")
    assert text.startswith("❌")

    root.get_by_text("It raises an error: the output is not connected").click()
    root.locator(".pf-check").click()
    wait_for_feedback(lesson, root, "pf-right", "Right")
    assert not callback_errors(lesson)
