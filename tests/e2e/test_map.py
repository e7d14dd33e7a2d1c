"""The loss-weight lab's Map button works in JupyterLab in Chromium, as a learner uses it.

Map trains a 5 x 5 trade-off map of the last two heads' loss weights (all runs in one
fit) and shows it: a picture (``lw-map``) and one line naming the mapped run nearest the
sliders (``lw-map-point``). While it trains, the status counts its epochs and Train and
Map are disabled; afterwards both act again. A slider moved after the map reads another
mapped run at once: the line and the picture's star change, nothing trains and the runs
table keeps its rows.

Lesson 04 runs up to the first cell that shows a lab, as in test_lab.py, with
JupyterLab's default settings. What the buttons and the status showed during the map is
recorded in the page by a MutationObserver, so a map faster than any polling is still
checked.
"""

import re
from dataclasses import dataclass

import pytest

from .conftest import KERNELS_SETTINGS, SCREENSHOTS
from .lab_driver import WIDGET_MIME, cell_index_of, first_line, inspect_notebook, open_notebook
from .test_lab import (
    GUARD_S,
    LAB_NOTEBOOKS,
    TRAIN_TIMEOUT_S,
    Lab,
    lab_state,
    numbers_in,
    runs_table,
    show_lab,
    wait_until,
)

MAP_RUNS = 25
MAP_STATUS = re.compile(rf"Map of {MAP_RUNS} runs, trained together: epoch (\d+) of (\d+)")
POINT_TEXT = re.compile(r"Map point nearest the sliders \(([^)]*)\): held-out .*\d")

# From the moment it runs, records every different (status, message, Train disabled, Map
# disabled) the lab shows, in order, in window.__bseqMapSeen.
WATCH_MAP_JS = """(root) => {
  const text = (selector) => {
    const node = root.querySelector(selector);
    return node ? (node.innerText || node.textContent || '').trim() : '';
  };
  const disabled = (selector) => {
    const node = root.querySelector(selector);
    return !!node && node.disabled;
  };
  const seen = [];
  const record = () => {
    const now = {status: text('.lw-status'), message: text('.lw-message'),
                 train: disabled('.lw-train'), map: disabled('.lw-map-button')};
    const last = seen[seen.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(now)) seen.push(now);
  };
  record();
  if (window.__bseqMapObserver) window.__bseqMapObserver.disconnect();
  window.__bseqMapObserver = new MutationObserver(record);
  window.__bseqMapObserver.observe(root, {subtree: true, childList: true,
                                          characterData: true, attributes: true});
  window.__bseqMapSeen = seen;
}"""

# What the lab shows now: message, map point line, whether the map picture is shown (and
# its source), and whether Train and Map are disabled.
MAP_VIEW_JS = """(root) => {
  const node = (selector) => root.querySelector(selector);
  const text = (selector) => node(selector) ? node(selector).innerText.trim() : '';
  const image = node('img.lw-map') || node('.lw-map img');
  const box = image ? image.getBoundingClientRect() : null;
  return {
    message: text('.lw-message'),
    point: text('.lw-map-point'),
    status: text('.lw-status'),
    image_src: image ? image.getAttribute('src') || '' : '',
    image_shown: !!box && box.width > 0 && box.height > 0 && image.complete
      && image.naturalWidth > 0,
    image_size: image ? [image.naturalWidth, image.naturalHeight, box.width, box.height] : [],
    train: node('.lw-train') ? node('.lw-train').disabled : null,
    map: node('.lw-map-button') ? node('.lw-map-button').disabled : null,
  };
}"""


def map_view(lab: Lab) -> dict:
    return lab.root.evaluate(MAP_VIEW_JS)


def point_weights(lab: Lab, text: str) -> dict[str, float]:
    """The weights the map-point line names, e.g. ``{"age": 1, "income": 100, ...}``."""
    found = POINT_TEXT.search(text)
    lab.expect(found, f"the map-point line does not name a mapped run: {text!r}")
    weights = {}
    for part in found.group(1).split(","):
        head, _, value = part.strip().rpartition(" ")
        weights[head] = float(value)
    return weights


@dataclass
class Mapped:
    """The lab after Map: what it showed before, during and at the end of the map."""

    lab: Lab
    rows_before: list[list[str]]
    before: dict
    seen: list[dict]
    after: dict


@pytest.fixture(scope="module")
def mapped(browser_context, jupyter_lab):
    """Lesson 04 run up to its lab, Map pressed and the map shown.

    The screenshot (``04-...-map.png``) shows the map's line and picture when the module
    ends.
    """
    jupyter_lab.remove_setting(KERNELS_SETTINGS)
    page = browser_context.new_page()
    notebook = LAB_NOTEBOOKS[0].name
    try:
        open_notebook(page, jupyter_lab, notebook)
        upto = show_lab(page, notebook)
        run = inspect_notebook(page, notebook, upto=upto)
        if run.problems:
            pytest.fail(run.failure_message(), pytrace=False)
        root = page.locator(".jp-OutputArea-output", has=page.locator(".lw-map-button")).last
        if not root.count():
            pytest.fail(f"{notebook}: the lab shows no Map button", pytrace=False)
        root.scroll_into_view_if_needed()
        index = cell_index_of(root)
        cell = next(cell for cell in run.cells if cell["index"] == index)
        model_ids = [
            out["data"][WIDGET_MIME]["model_id"]
            for out in cell["outputs"]
            if WIDGET_MIME in out.get("data", {})
        ]
        lab = Lab(page, root, notebook, index, first_line(cell["source"]), model_ids)
        lab.forget_callback_errors()
        idle = wait_until(lab, "showing the lab", lambda: not lab_state(lab)["training"], GUARD_S)
        lab.expect(idle, f"the lab still trains {GUARD_S} s after its cell ran")
        rows_before, before = runs_table(lab)[1], map_view(lab)

        root.evaluate(WATCH_MAP_JS)
        lab.locator(".lw-map-button").click()

        def finished():
            view = map_view(lab)
            if view["message"].startswith(("The map failed", "Map stopped")):
                lab.expect(False, f"pressing Map: {view['message']}")
            return (
                view["image_shown"]
                and view["message"].startswith(f"Map done: {MAP_RUNS} runs in")
                and POINT_TEXT.search(view["point"])
                and view["train"] is False
                and view["map"] is False
                and view
            )

        after = wait_until(lab, "pressing Map", finished, TRAIN_TIMEOUT_S)
        seen = page.evaluate("() => window.__bseqMapSeen")
        page.evaluate("() => window.__bseqMapObserver.disconnect()")
        lab.expect(
            after,
            f"{TRAIN_TIMEOUT_S} s after Map, the lab does not show a finished map with Train "
            f"and Map enabled: {map_view(lab)}",
        )
        yield Mapped(lab, rows_before, before, seen, after)
    finally:
        page.evaluate(
            """() => { const line = document.querySelector('.lw-map-point');
                       if (line) line.scrollIntoView({block: 'start'}); }"""
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{LAB_NOTEBOOKS[0].stem}-map.png"))
        page.close()
        jupyter_lab.shutdown_kernels()


def test_map_trains_with_train_and_map_disabled_then_shows_the_picture_and_nearest_point(
    mapped,
):
    lab, seen = mapped.lab, mapped.seen
    lab.expect(not mapped.before["image_shown"], "a map picture was shown before Map")
    lab.expect(
        mapped.before["train"] is False and mapped.before["map"] is False,
        f"Train or Map was disabled before Map was pressed: {mapped.before}",
    )
    during = [state for state in seen if state["status"].startswith(f"Map of {MAP_RUNS} runs")]
    epochs = [
        (int(found.group(1)), int(found.group(2)))
        for state in during
        if (found := MAP_STATUS.search(state["status"]))
    ]
    lab.expect(
        epochs,
        f"the status never counted the map's epochs ('Map of {MAP_RUNS} runs, trained "
        f"together: epoch k of n'); it showed {[state['status'] for state in seen]}",
    )
    lab.expect(
        epochs[-1][0] == epochs[-1][1],
        f"the status counted the map's epochs up to {epochs[-1][0]} of {epochs[-1][1]} only",
    )
    pressable = [state for state in during if not (state["train"] and state["map"])]
    lab.expect(not pressable, f"while the map trained, Train or Map was enabled: {pressable[:3]}")

    after = mapped.after
    width, height, shown_width, shown_height = after["image_size"]
    lab.expect(
        min(width, height, shown_width, shown_height) > 0,
        f"the map picture is not shown: {after['image_size']}",
    )
    lab.expect(
        re.search(r"held-out .*accuracy \d\.\d{3}", after["point"]),
        f"the map-point line shows no held-out metric: {after['point']!r}",
    )
    wanted = lab_state(lab)["wanted"]
    lab.expect(
        set(point_weights(lab, after["point"])) == set(wanted),
        f"the map-point line names other heads than the lab's {list(wanted)}: {after['point']!r}",
    )
    lab.expect(
        runs_table(lab)[1] == mapped.rows_before,
        "the map changed the runs table (a map's runs are not the table's)",
    )
    lab.assert_no_callback_errors("pressing Map")


def test_slider_moved_after_the_map_reads_another_mapped_run_without_training(mapped):
    lab = mapped.lab
    lab.forget_callback_errors()
    rows_before = runs_table(lab)[1]
    view_before = map_view(lab)
    point_before = point_weights(lab, view_before["point"])

    readout = lab.locator(".lw-slider-income .widget-readout")
    income_before = numbers_in(readout.inner_text())[0]
    key = "Home" if income_before >= 1 else "End"  # as far as the slider goes
    handle = lab.locator(".lw-slider-income .noUi-handle")
    handle.focus()
    handle.press(key)
    income = numbers_in(readout.inner_text())[0]
    lab.expect(income != income_before, f"{key} did not move the income slider ({income})")
    step = f"moving the income slider from {income_before:g} to {income:g} ({key})"

    changed = wait_until(
        lab,
        step,
        lambda: (view := map_view(lab))["point"] != view_before["point"] and view,
        GUARD_S,
    )
    lab.expect(
        changed,
        f"after {step}, the map-point line still reads {view_before['point']!r} {GUARD_S} s later",
    )
    point = point_weights(lab, changed["point"])
    lab.expect(
        (point["income"] > point_before["income"]) == (key == "End"),
        f"after {step}, the nearest mapped run went from income {point_before['income']:g} "
        f"to {point['income']:g}",
    )
    lab.expect(
        {h: w for h, w in point.items() if h != "income"}
        == {h: w for h, w in point_before.items() if h != "income"},
        f"after {step}, a weight other than income changed: {point_before} -> {point}",
    )
    redrawn = wait_until(
        lab, step, lambda: map_view(lab)["image_src"] != view_before["image_src"], GUARD_S
    )
    lab.expect(redrawn, f"after {step}, the map picture (its star) did not change")

    state = lab_state(lab)
    lab.expect(not state["training"], f"after {step}, the lab trains: {state}")
    lab.expect(
        runs_table(lab)[1] == rows_before,
        f"after {step}, the runs table changed from {len(rows_before)} to "
        f"{len(runs_table(lab)[1])} rows",
    )
    lab.assert_no_callback_errors(step)
