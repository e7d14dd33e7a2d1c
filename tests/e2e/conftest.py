"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session.

The server runs on 127.0.0.1 with a random port and a random token, over a temporary
copy of the notebooks, with its own config, settings, workspaces and runtime folders.
It is stopped, and any kernel it left behind is killed, whatever the tests do.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("BSEQ_E2E_NOTEBOOKS", ROOT / "notebooks")).resolve()
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

HOW_TO_ENABLE = (
    "install Debian's chromium (apt-get install chromium) and Playwright for Python "
    "(pip install -r requirements.txt), or set BSEQ_CHROMIUM to a Chromium binary; "
    "never `playwright install`"
)
SKIPPED = "browser tests skipped"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 120
VIEWPORT = {"width": 1400, "height": 1000}

# The kit's JupyterLab settings (`make setup` installs them into .venv for `make lab`): no
# "Jupyter news?" toast, no update check. The browser tests' server gets the same values.
LAB_SETTINGS = ROOT / "config" / "jupyterlab-settings.json"
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"
NEWS_OFF = json.loads(LAB_SETTINGS.read_text(encoding="utf-8"))[NOTIFICATION_PLUGIN]
NOTIFICATION_SETTINGS = "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
KERNELS_SETTINGS = "@jupyterlab/apputils-extension/kernels-settings.jupyterlab-settings"


def lesson_notebooks() -> list[Path]:
    """The lesson notebooks (``NN-slug.ipynb``) present now, in teaching order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))


def chromium_executable() -> str | None:
    """Path of the Chromium to drive: ``$BSEQ_CHROMIUM``, else ``chromium`` on the PATH."""
    configured = os.environ.get("BSEQ_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("chromium")


def missing_browser() -> str | None:
    """What is missing for the browser tests, or None when they can run."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if chromium_executable() is None:
        return "no Chromium found (`chromium` on the PATH or $BSEQ_CHROMIUM)"
    return None


def require_browser() -> None:
    """Skip with one clear line when the browser is missing; fail instead in CI."""
    missing = missing_browser()
    if missing is None:
        return
    if os.environ.get("BSEQ_REQUIRE_E2E") == "1":
        pytest.fail(
            f"browser tests required (BSEQ_REQUIRE_E2E=1) but {missing}: {HOW_TO_ENABLE}",
            pytrace=False,
        )
    pytest.skip(f"{SKIPPED} ({missing}): {HOW_TO_ENABLE}")


_SKIP_LINE = require_browser.__code__.co_firstlineno - 1  # pytest shows it 1-based


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.path)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report every "browser missing" skip at this file, so ``-ra`` folds them to one line."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if SKIPPED in reason:
            report.longrepr = (__file__, _SKIP_LINE, reason)
    return report


_CLOSERS: list = []


def _close_after_last_browser_test(close):
    """Register ``close`` to run once: after the last browser test, or at session end."""
    done = []

    def once():
        if not done:
            done.append(True)
            close()

    _CLOSERS.append(once)
    return once


def _is_browser_test(item) -> bool:
    return item is not None and item.get_closest_marker("e2e") is not None


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """Stop Chromium and JupyterLab as soon as the last browser test is done.

    ``make test`` runs nbval after these tests in the same session; the browser and the
    server should not sit on memory and CPU meanwhile.
    """
    if not _is_browser_test(item):
        return
    items = item.session.items
    later = items[items.index(item) + 1 :] if item in items else []
    if not any(_is_browser_test(other) for other in later):
        while _CLOSERS:
            _CLOSERS.pop()()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: ask the OS to send the server SIGTERM if the test process dies first."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class JupyterLab:
    """A running JupyterLab server and the folders it was given."""

    root: Path
    port: int
    token: str
    settings_dir: Path
    runtime_dir: Path
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, notebook: str) -> str:
        """URL that opens ``notebook`` alone in a fresh workspace."""
        return f"{self.base_url}/lab/tree/{notebook}?reset&token={self.token}"

    def api(self, method: str, path: str, body: dict | None = None):
        """Call the server's REST API; returns the decoded JSON answer (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def write_setting(self, relative: str, values: dict) -> None:
        path = self.settings_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")

    def remove_setting(self, relative: str) -> None:
        (self.settings_dir / relative).unlink(missing_ok=True)

    def shutdown_kernels(self) -> None:
        """Shut down every session and kernel, so the next notebook starts fresh."""
        for session in self.api("GET", "/api/sessions") or []:
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}")
            except urllib.error.HTTPError:
                pass
        for kernel in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
            except urllib.error.HTTPError:
                pass

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root.parent / "config"),
            JUPYTER_DATA_DIR=str(self.root.parent / "data"),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.root.parent / "workspaces"),
            IPYTHONDIR=str(self.root.parent / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_TOKEN", None)
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--ServerApp.allow_root=True")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )
        log.close()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            try:
                self.api("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(
            f"JupyterLab did not answer within {SERVER_START_TIMEOUT_S} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server and every kernel it started, politely first."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                self.shutdown_kernels()
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for pid in self._orphan_kernels():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _orphan_kernels(self) -> list[int]:
        """Processes whose command line names this server's runtime folder (its kernels)."""
        marker = str(self.runtime_dir).encode()
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and int(proc.name) != os.getpid():
                pids.append(int(proc.name))
        return pids


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory) -> Iterator[JupyterLab]:
    """A JupyterLab server over a temporary copy of the notebooks folder."""
    require_browser()
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    shutil.copytree(
        NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    )
    settings_dir = base / "settings"
    runtime_dir = base / "runtime"
    for folder in (settings_dir, runtime_dir):
        folder.mkdir()
    lab = None
    for _attempt in range(3):  # the random port may be taken between choosing and binding
        lab = JupyterLab(
            root=root,
            port=_free_port(),
            token=secrets.token_hex(24),
            settings_dir=settings_dir,
            runtime_dir=runtime_dir,
            log_path=base / "jupyterlab.log",
        )
        lab.write_setting(NOTIFICATION_SETTINGS, NEWS_OFF)
        try:
            lab.start()
            break
        except RuntimeError:
            lab.stop()
            if "address already in use" not in lab.log_tail().lower():
                raise
    else:
        raise RuntimeError("no free port for JupyterLab after 3 tries:\n" + lab.log_tail())
    _close_after_last_browser_test(lab.stop)
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
def browser_context():
    """One headless Chromium (Debian's, never a downloaded one) and one browser context."""
    require_browser()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True
        )
        context = chromium.new_context(viewport=VIEWPORT)
        context.set_default_timeout(60_000)
    except BaseException:
        playwright.stop()
        raise
    close = _close_after_last_browser_test(lambda: (chromium.close(), playwright.stop()))
    try:
        yield context
    finally:
        close()


@pytest.fixture
def lab_page(browser_context, jupyter_lab):
    """A fresh browser tab; its kernels are shut down when the test ends."""
    page = browser_context.new_page()
    try:
        yield page
    finally:
        page.close()
        jupyter_lab.shutdown_kernels()
