"""Every lesson runs top to bottom in JupyterLab in Chromium, and every widget displays.

nbval runs the notebooks without a browser, so it never sees what only the front end
shows: "Error displaying widget", a widget model that never arrives, a widget shown as
plain text because the JupyterLab extension is missing. These tests open each notebook
in a real JupyterLab, press Run All and read every cell back.
"""

import os

import pytest

from .conftest import SCREENSHOTS, lesson_notebooks
from .lab_driver import inspect_notebook, open_notebook, run_all, scroll_to_cell

NOTEBOOKS = lesson_notebooks()
RUN_TIMEOUT_MS = int(float(os.environ.get("BSEQ_E2E_NOTEBOOK_TIMEOUT_S", "600")) * 1000)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_all_cells_in_jupyterlab_without_errors(notebook, jupyter_lab, lab_page):
    console_errors = []
    lab_page.on(
        "console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None
    )
    open_notebook(lab_page, jupyter_lab, notebook.name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        run_all(lab_page, notebook.name, timeout_ms=RUN_TIMEOUT_MS)
        run = inspect_notebook(lab_page, notebook.name)
        run.console_errors = console_errors
        code_cells = [cell["index"] for cell in run.cells if cell["type"] == "code"]
        in_cells = [problem.index for problem in run.problems if problem.index is not None]
        if in_cells or code_cells:
            scroll_to_cell(lab_page, in_cells[0] if in_cells else code_cells[-1])
    finally:
        lab_page.screenshot(path=str(SCREENSHOTS / f"{notebook.stem}.png"))

    if run.problems:
        pytest.fail(run.failure_message(), pytrace=False)
