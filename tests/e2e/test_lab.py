"""The loss-weight lab works in JupyterLab in Chromium, as a learner uses it.

A slider moved with the keyboard and a press on Train give a new run: the plot image
changes and the runs table gains a row with the new weight. In Live mode, a slider
moved while training runs changes the loss weight the running model uses, and Stop ends
training within one epoch. Everything runs twice: with JupyterLab's default settings
(widget messages go to a kernel subshell) and with ``commsOverSubshells`` disabled.

Lesson 04 runs up to the first cell that shows a lab (test_notebooks.py runs all of it).
What the running model uses is read in the kernel, on a subshell, from the lab's
``loss_weights`` variables; the lab is found by its widget's model id.
"""

import os
import re
import time
from dataclasses import dataclass

import pytest

from .conftest import KERNELS_SETTINGS, SCREENSHOTS, lesson_notebooks, missing_browser
from .lab_driver import (
    WIDGET_MIME,
    callback_errors,
    cell_index_of,
    first_line,
    inspect_notebook,
    kernel_json,
    open_notebook,
    read_cells,
    run_all,
    run_cell,
)

LAB_NOTEBOOKS = [path for path in lesson_notebooks() if path.name.startswith("04-")]
# Waits end as soon as their condition holds; the limits only guard against a hang, and
# are generous so that a busy machine (another job on the cores) never fails a test.
GUARD_S = 120
RUN_TIMEOUT_MS = int(float(os.environ.get("BSEQ_E2E_NOTEBOOK_TIMEOUT_S", "600")) * 1000)
TRAIN_TIMEOUT_S = 300
LIVE_EPOCHS = 5000

if not LAB_NOTEBOOKS and missing_browser() is None:
    pytest.skip(
        "lab tests wait for the lab: notebooks/04-*.ipynb does not exist yet",
        allow_module_level=True,
    )

# Prints, as JSON, the state of the lab whose widget the page shows (found by the widget's
# model id): whether it is training, the epochs finished in the current or last run, how
# that run ended, the loss weights read back from the variables the compiled loss uses
# (helpers.lossweights.LossWeights), and what the kernel has received from the page so
# far: the sliders' weights, the mode and the epochs box.
LAB_STATE_CODE = """
def _bseq_lab_state(model_ids):
    import gc, json

    def find(objects):
        for lab in list(objects):
            if type(lab).__name__ == "LossWeightLab" and getattr(
                getattr(lab, "widget", None), "model_id", None
            ) in model_ids:
                return lab
        return None

    lab = find(get_ipython().user_ns.values()) or find(gc.get_objects())
    if lab is None:
        raise LookupError(f"no LossWeightLab in the kernel shows widget {{model_ids}}")
    def by_class(widget, name):
        if name in getattr(widget, "_dom_classes", ()):
            return widget
        for child in getattr(widget, "children", ()):
            found = by_class(child, name)
            if found is not None:
                return found
        return None

    run = lab.current_run or (lab.runs[-1] if lab.runs else None)
    epochs_box = by_class(lab.widget, "lw-epochs")
    print(json.dumps({{
        "training": lab.running,
        "epoch": run.epochs_run if run else 0,
        "epochs": run.epochs if run else 0,
        "status": run.status if run else None,
        "weights": lab.loss_weights.values(),
        "wanted": lab.weights,
        "mode": lab.mode,
        "epochs_box": epochs_box.value if epochs_box is not None else None,
    }}))


_bseq_lab_state({model_ids!r})
del _bseq_lab_state
"""


@dataclass
class Lab:
    """The lab's widgets on the page, the cell that displayed them and their model ids."""

    page: object
    root: object
    notebook: str
    cell: int
    cell_line: str
    model_ids: list[str]

    def locator(self, selector: str):
        return self.root.locator(selector)

    @property
    def where(self) -> str:
        return f"{self.notebook} cell {self.cell} (`{self.cell_line}`)"

    def expect(self, condition, message: str) -> None:
        """Fail with ``message``, naming the notebook and the lab's cell, unless true."""
        if not condition:
            pytest.fail(f"{self.where}: {message}", pytrace=False)

    def forget_callback_errors(self) -> None:
        self.page.evaluate("() => { window.__bseqCallbackErrors = []; }")

    def assert_no_callback_errors(self, step: str) -> None:
        errors = callback_errors(self.page)
        if errors:
            pytest.fail(f"{self.where}: after {step}, " + "; ".join(errors), pytrace=False)


def lab_state(lab: Lab) -> dict:
    """What the kernel says about the lab the page shows (see LAB_STATE_CODE)."""
    return kernel_json(lab.page, LAB_STATE_CODE.format(model_ids=lab.model_ids))


def numbers_in(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def readout_value(lab: Lab) -> float:
    values = numbers_in(lab.locator(".lw-slider-gender .widget-readout").inner_text())
    lab.expect(values, "the gender slider's readout shows no number")
    return values[0]


def move_gender_slider(lab: Lab, presses: int = 10) -> float:
    """Focus the gender slider's handle and press an arrow key; returns the new readout.

    ArrowRight, or ArrowLeft when the slider sits in the upper half of its range.
    """
    before = readout_value(lab)
    handle = lab.locator(".lw-slider-gender .noUi-handle")
    key = "ArrowLeft" if before >= 10 else "ArrowRight"
    handle.focus()
    for _ in range(presses):
        handle.press(key)
    after = readout_value(lab)
    lab.expect(not close_to(after, before), f"{key} did not move the gender slider ({before})")
    return after


def plot_source(lab) -> str:
    image = lab.locator("img.lw-plot, .lw-plot img").first
    return image.get_attribute("src") or ""


def runs_table(lab) -> tuple[list[str], list[list[str]]]:
    """The runs table's header cells and rows (each a list of cell texts)."""
    return lab.root.evaluate(
        """(root) => {
          const table = root.querySelector('.lw-runs');
          if (!table) return [[], []];
          const rows = Array.from(table.querySelectorAll('tr'));
          const header = rows.length && rows[0].querySelector('th')
            ? Array.from(rows.shift().querySelectorAll('th')).map((c) => c.innerText.trim())
            : [];
          return [header, rows.map((r) => Array.from(r.querySelectorAll('td, th'))
            .map((c) => c.innerText.trim()))];
        }"""
    )


def gender_cell(header: list[str], row: list[str]) -> str:
    """The row's gender-weight cell ("weight gender" column), else the whole row."""
    titles = [title.lower() for title in header]
    for wanted in (lambda t: "gender" in t and "weight" in t, lambda t: "gender" in t):
        for position, title in enumerate(titles):
            if wanted(title) and position < len(row):
                return row[position]
    return " ".join(row)


def select_mode(lab, mode: str) -> None:
    """Choose Retrain or Live, whatever widget offers the choice."""
    for candidate in (
        lab.locator(".lw-mode").get_by_role("button", name=mode, exact=True),
        lab.root.get_by_role("button", name=mode, exact=True),
        lab.root.get_by_role("radio", name=mode, exact=True),
    ):
        if candidate.count():
            candidate.first.click()
            return
    for select in lab.locator("select").all():
        if mode in select.inner_text():
            select.select_option(label=mode)
            return
    lab.expect(False, f"the lab offers no '{mode}' mode (button, radio or drop-down)")


def show_lab(page, notebook: str) -> int:
    """Run the notebook up to the first cell that shows a lab; return that cell's index.

    Runs every cell up to the first one that calls ``LossWeightLab(``, then one cell at
    a time until a lab's sliders are on the page. Later cells (sweeps, long trainings)
    are left to test_notebooks.py.
    """
    code = [
        cell["index"]
        for cell in read_cells(page)
        if cell["type"] == "code" and cell["source"].strip()
    ]
    sources = {cell["index"]: cell["source"] for cell in read_cells(page)}
    creating = [index for index in code if "LossWeightLab(" in sources[index]]
    if not creating:
        pytest.fail(f"{notebook}: no code cell creates a LossWeightLab", pytrace=False)
    slider = page.locator(".lw-slider-gender")
    run_all(page, notebook, timeout_ms=RUN_TIMEOUT_MS, upto=creating[0])
    upto = creating[0]
    for index in (index for index in code if index > creating[0]):
        if slider.count():
            break
        run_cell(page, notebook, index, timeout_ms=RUN_TIMEOUT_MS)
        upto = index
    return upto


@pytest.fixture(scope="module", params=["default", "commsOverSubshells-disabled"])
def lab(request, browser_context, jupyter_lab):
    """Lesson 04 run up to its lab in a fresh tab; yields the lab's widgets."""
    if request.param == "default":
        jupyter_lab.remove_setting(KERNELS_SETTINGS)
    else:
        jupyter_lab.write_setting(KERNELS_SETTINGS, {"commsOverSubshells": "disabled"})
    page = browser_context.new_page()
    notebook = LAB_NOTEBOOKS[0].name
    try:
        open_notebook(page, jupyter_lab, notebook)
        comms = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            ".commsOverSubshells"
        )
        expected = "disabled" if request.param != "default" else "perCommTarget"
        assert comms == expected, f"JupyterLab uses commsOverSubshells={comms!r}"
        upto = show_lab(page, notebook)
        run = inspect_notebook(page, notebook, upto=upto)
        if run.problems:
            pytest.fail(run.failure_message(), pytrace=False)
        root = page.locator(".jp-OutputArea-output", has=page.locator(".lw-slider-gender")).last
        if not root.count():
            pytest.fail(f"{notebook}: no lab with a gender slider is shown", pytrace=False)
        root.scroll_into_view_if_needed()
        index = cell_index_of(root)
        cell = next(cell for cell in run.cells if cell["index"] == index)
        model_ids = [
            out["data"][WIDGET_MIME]["model_id"]
            for out in cell["outputs"]
            if WIDGET_MIME in out.get("data", {})
        ]
        yield Lab(page, root, notebook, index, first_line(cell["source"]), model_ids)
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{LAB_NOTEBOOKS[0].stem}-{request.param}.png"))
        page.close()
        jupyter_lab.shutdown_kernels()
        jupyter_lab.remove_setting(KERNELS_SETTINGS)


def wait_until(lab, step: str, condition, timeout_s: float, interval_ms: int = 250):
    """Poll ``condition()`` until it returns something true; fail early on kernel errors."""
    deadline = time.monotonic() + timeout_s
    while True:
        lab.assert_no_callback_errors(step)
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        lab.page.wait_for_timeout(interval_ms)


def close_to(value: float, target: float) -> bool:
    """Equal up to the rounding of a three-significant-digit display (".3g")."""
    return abs(value - target) <= 0.006 * abs(target)


def test_slider_then_train_redraws_the_plot_and_adds_a_run_with_the_new_weight(lab):
    lab.forget_callback_errors()
    select_mode(lab, "Retrain")
    in_mode = wait_until(
        lab, "choosing Retrain", lambda: lab_state(lab)["mode"] == "retrain", GUARD_S
    )
    lab.expect(in_mode, f"the lab did not switch to Retrain mode: {lab_state(lab)}")
    rows_before = runs_table(lab)[1]
    plot_before = plot_source(lab)
    weight = move_gender_slider(lab)
    # A learner pauses before pressing Train; ipywidgets may hold back fast slider
    # updates for a moment, and a click can overtake them.
    synced = wait_until(
        lab,
        f"moving the gender slider to {weight}",
        lambda: close_to(lab_state(lab)["wanted"]["gender"], weight),
        GUARD_S,
    )
    lab.expect(synced, f"the kernel never received the gender slider's value {weight}")

    lab.locator(".lw-train").click()
    step = f"moving the gender slider to {weight} and pressing Train"
    grew = wait_until(
        lab, step, lambda: len(runs_table(lab)[1]) > len(rows_before), TRAIN_TIMEOUT_S
    )
    lab.expect(grew, f"the runs table gained no row within {TRAIN_TIMEOUT_S} s of Train")
    header, rows_after = runs_table(lab)
    new_rows = [row for row in rows_after if row not in rows_before]
    lab.expect(
        len(rows_after) == len(rows_before) + 1,
        f"the runs table went from {len(rows_before)} to {len(rows_after)} rows after one Train",
    )
    shown = [value for row in new_rows for value in numbers_in(gender_cell(header, row))]
    lab.expect(
        any(close_to(value, weight) for value in shown),
        f"no new run shows the gender weight {weight}: new rows {new_rows}, header {header}",
    )
    redrawn = wait_until(lab, step, lambda: plot_source(lab) != plot_before, GUARD_S)
    lab.expect(redrawn, "the plot image did not change after a training run")


def test_live_slider_changes_the_running_weight_and_stop_ends_within_an_epoch(lab):
    lab.forget_callback_errors()
    select_mode(lab, "Live")
    epochs_box = lab.locator(".lw-epochs input")
    # Switching modes makes the kernel put that mode's epochs in the box; wait for it.
    settled = wait_until(
        lab,
        "choosing Live",
        lambda: (
            (s := lab_state(lab))["mode"] == "live"
            and str(s["epochs_box"]) == epochs_box.input_value()
        ),
        GUARD_S,
    )
    lab.expect(settled, f"the lab did not switch to Live mode: {lab_state(lab)}")
    # Many epochs, so that only Stop can end the run.
    epochs_box.fill(str(LIVE_EPOCHS))
    epochs_box.press("Enter")
    typed = wait_until(
        lab,
        f"typing {LIVE_EPOCHS} epochs",
        lambda: lab_state(lab)["epochs_box"] == LIVE_EPOCHS,
        GUARD_S,
    )
    lab.expect(typed, f"the kernel never received the {LIVE_EPOCHS} epochs typed in")
    lab.locator(".lw-train").click()
    state = wait_until(
        lab,
        "pressing Train in Live mode",
        lambda: (s := lab_state(lab))["training"] and s["epoch"] >= 1 and s,
        GUARD_S,
    )
    lab.expect(state, f"Train in Live mode did not start training: {lab_state(lab)}")

    weight = move_gender_slider(lab)
    step = f"moving the gender slider to {weight} while training"
    state = wait_until(
        lab,
        step,
        lambda: close_to((s := lab_state(lab))["weights"]["gender"], weight) and s,
        GUARD_S,
    )
    lab.expect(
        state,
        f"the slider shows gender {weight} but the running model still uses "
        f"{lab_state(lab)['weights']} {GUARD_S} s later",
    )
    lab.expect(state["training"], "training ended before the new weight could be checked")

    lab.locator(".lw-stop").click()
    # The epoch reached once the press has left the browser: Stop may let the epoch
    # under way finish, but no further one.
    epoch_at_stop = lab_state(lab)["epoch"]
    state = wait_until(
        lab, "pressing Stop", lambda: not (s := lab_state(lab))["training"] and s, GUARD_S
    )
    lab.expect(state, f"training still runs {GUARD_S} s after Stop (epoch {epoch_at_stop})")
    lab.expect(
        state["epochs"] == LIVE_EPOCHS,
        f"the live run was asked for {state['epochs']} epochs, not the {LIVE_EPOCHS} typed in",
    )
    lab.expect(state["status"] == "stopped", f"the run ended as {state['status']!r}, not 'stopped'")
    lab.expect(
        state["epoch"] <= epoch_at_stop + 1,
        f"Stop pressed during epoch {epoch_at_stop + 1}; training went on to finish epoch "
        f"{state['epoch']}",
    )
