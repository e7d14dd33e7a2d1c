"""The kit's JupyterLab opens lesson 01 without the "Jupyter news?" toast over it.

`make setup` installs config/jupyterlab-settings.json into .venv as a JupyterLab settings
override, so a learner who has never changed a setting gets the kit's defaults. The other
browser tests also write these values as a user setting; here that user setting is taken
away, to see what a fresh learner sees after `make lab`.
"""

import json
import time

from .conftest import (
    LAB_SETTINGS,
    NEWS_OFF,
    NOTIFICATION_PLUGIN,
    NOTIFICATION_SETTINGS,
    SCREENSHOTS,
    lesson_notebooks,
)
from .lab_driver import open_notebook

NEWS_QUESTION = "official Jupyter news"  # "Would you like to get notified about official ..."
INSTALLED = ".venv/share/jupyter/lab/settings/overrides.d/beyond-sequential.json"


def test_jupyterlab_defaults_are_the_kit_settings(jupyter_lab):
    answer = jupyter_lab.api("GET", f"/lab/api/settings/{NOTIFICATION_PLUGIN}")
    properties = answer["schema"]["properties"]
    kit = json.loads(LAB_SETTINGS.read_text(encoding="utf-8"))[NOTIFICATION_PLUGIN]
    differ = {name: properties[name].get("default") for name in kit}
    assert differ == kit, (
        f"JupyterLab's defaults are {differ}, the kit's {kit}: run `make setup`, which "
        f"installs {LAB_SETTINGS.name} as {INSTALLED}"
    )


def test_lesson_01_opens_without_the_news_toast(jupyter_lab, lab_page):
    notebook = lesson_notebooks()[0].name
    toast = lab_page.get_by_text(NEWS_QUESTION)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        # First show that this test can see the toast: a user who chose "Ask" gets it.
        jupyter_lab.write_setting(NOTIFICATION_SETTINGS, {"fetchNews": "none"})
        open_notebook(lab_page, jupyter_lab, notebook)
        opened = time.monotonic()
        toast.first.wait_for(state="visible", timeout=120_000)  # a guard against a hang
        toast_after_s = time.monotonic() - opened

        # A learner with no settings of their own: the kit's defaults only.
        jupyter_lab.remove_setting(NOTIFICATION_SETTINGS)
        open_notebook(lab_page, jupyter_lab, notebook)
        # The toast, if any, comes once the app is restored: wait for that, then twice as
        # long as the toast took to appear above (at least 3 s), so a slow machine waits more.
        lab_page.evaluate("() => window.jupyterapp.restored.then(() => true)")
        lab_page.wait_for_timeout(max(3.0, 2 * toast_after_s) * 1000)
        lab_page.screenshot(path=str(SCREENSHOTS / "01-no-news-toast.png"))
        shown = toast.count()
    finally:
        jupyter_lab.write_setting(NOTIFICATION_SETTINGS, NEWS_OFF)
    assert shown == 0, (
        f"{notebook} opened with the Jupyter news toast; the kit's {LAB_SETTINGS.name} "
        f"should switch it off (run `make setup` to install it as {INSTALLED})"
    )
