"""Drive a notebook in JupyterLab through its app object and judge what the learner sees.

The page is opened with ``--LabApp.expose_app_in_browser=True``, so ``window.jupyterapp``
gives the cell models (execution counts, outputs as nbformat JSON) and the Lumino widget
tree (which output renderers exist and what they show). Cells are counted from 0 over all
cells of the notebook, as nbformat does.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import pytest

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NBVAL_MARKER = re.compile(r"^\s*#\s*NBVAL_\w+\s*$")

# True once the notebook is open, its document loaded and its kernel idle and connected.
NOTEBOOK_READY_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return panel.context.isReady && !!kernel && kernel.status === 'idle'
    && kernel.connectionStatus === 'connected';
}"""

# Clear every output (execution counts become null), then start "Run All" (or, given a
# cell index, "Run All Above" that cell's successor) without awaiting it;
# window.__bseqRunAll records when and how it finished.
START_RUN_ALL_JS = """async (upto) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  await app.commands.execute('notebook:clear-all-cell-outputs');
  let command = 'notebook:run-all-cells';
  if (upto !== null && upto + 1 < notebook.widgets.length) {
    notebook.activeCellIndex = upto + 1;
    command = 'notebook:run-all-above';
  }
  window.__bseqRunAll = null;
  app.commands.execute(command).then(
    (result) => { window.__bseqRunAll = {done: true, result: String(result)}; },
    (error) => { window.__bseqRunAll = {done: true, error: String(error)}; });
}"""

# Watch the notebook's kernel connection:
# - execute requests sent and not yet answered (window.__bseqPending). JupyterLab's Run
#   All promise settles at the first error, even in a cell tagged raises-exception, while
#   later cells still wait in the kernel's queue; a run is over when none is pending.
# - errors and tracebacks the kernel sends while handling anything but a cell's code,
#   such as a widget message (a slider moved, a button pressed). JupyterLab shows these
#   in no cell, only in the log console, so learners see a control that does nothing.
# - kernel deaths, and the cell running at the time.
WATCH_KERNEL_JS = r"""() => {
  const app = window.jupyterapp;
  app.shell.collapseLeft();
  const kernel = app.shell.currentWidget.sessionContext.session.kernel;
  window.__bseqPending = new Set();
  kernel.anyMessage.connect((_, {msg, direction}) => {
    const type = msg.header.msg_type;
    if (direction === 'send' && type === 'execute_request') {
      window.__bseqPending.add(msg.header.msg_id);
    } else if (direction === 'recv' && type === 'execute_reply') {
      window.__bseqPending.delete(msg.parent_header.msg_id);
    }
  });
  window.__bseqCallbackErrors = [];
  kernel.iopubMessage.connect((_, msg) => {
    const parent = msg.parent_header || {};
    if (parent.msg_type === 'execute_request') return;
    const type = msg.header.msg_type;
    let text = null;
    if (type === 'error') {
      text = msg.content.ename + ': ' + msg.content.evalue;
    } else if (type === 'stream' && msg.content.name === 'stderr'
               && /Traceback \(most recent call last\)|Exception in /.test(msg.content.text)) {
      text = msg.content.text;
    }
    if (text !== null) {
      window.__bseqCallbackErrors.push({after: parent.msg_type || 'nothing', text});
    }
  });
  // A kernel that dies (and is restarted by JupyterLab) leaves the cell it was running
  // without an execution count; remember which cell that was.
  window.__bseqKernelDeaths = [];
  kernel.statusChanged.connect((_, status) => {
    if (['autorestarting', 'restarting', 'dead'].includes(status)) {
      window.__bseqPending.clear();  // a restarted kernel answers no earlier request
    }
    if (status !== 'autorestarting' && status !== 'dead') return;
    const cells = app.shell.currentWidget.content.widgets;
    const running = cells.findIndex((cell) => cell.model.type === 'code'
      && cell.promptNode && cell.promptNode.textContent.includes('[*]'));
    window.__bseqKernelDeaths.push({status, cell: running});
  });
}"""

# Run one cell (by index) without awaiting it, recorded like START_RUN_ALL_JS.
START_RUN_CELL_JS = """(index) => {
  const app = window.jupyterapp;
  app.shell.currentWidget.content.activeCellIndex = index;
  window.__bseqRunAll = null;
  app.commands.execute('notebook:run-cell').then(
    (result) => { window.__bseqRunAll = {done: true, result: String(result)}; },
    (error) => { window.__bseqRunAll = {done: true, error: String(error)}; });
}"""

# The run started last is over: its command settled, no request it sent is unanswered
# and the kernel is idle.
RUN_FINISHED_JS = """() => {
  const run = window.__bseqRunAll;
  if (!run || !run.done || window.__bseqPending.size > 0) return false;
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

# Every widget output renderer in the current notebook, with what it shows.
WIDGET_RENDERERS_JS = """() => {
  const MIME = 'application/vnd.jupyter.widget-view+json';
  const panel = window.jupyterapp.shell.currentWidget;
  const found = [];
  const walk = (widget, cellIndex) => {
    if (!widget) return;
    if (widget.mimeType === MIME) {
      found.push({cell: cellIndex, text: widget.node.textContent.trim().slice(0, 200),
                  children: widget.widgets ? widget.widgets.length : 0,
                  hidden: widget.isHidden});
    }
    if (widget.layout) for (const child of widget.layout) walk(child, cellIndex);
  };
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type === 'code') walk(cell.outputArea, index);
  });
  return found;
}"""

# What each cell holds and shows: source, tags, execution count, outputs (nbformat JSON),
# widget renderers (Lumino tree) and any widget error text in its output DOM.
CELL_REPORT_JS = r"""() => {
  const MIME = 'application/vnd.jupyter.widget-view+json';
  const ERROR_TEXT = /Error displaying widget|model not found/i;
  const panel = window.jupyterapp.shell.currentWidget;
  const rendererMimes = (widget, acc) => {
    if (!widget) return acc;
    if (widget.mimeType) acc.push(widget.mimeType);
    if (widget.layout) for (const child of widget.layout) rendererMimes(child, acc);
    return acc;
  };
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const report = {index, type: model.type, source: model.sharedModel.getSource(),
                    tags: model.getMetadata('tags') || []};
    if (model.type !== 'code') return report;
    report.execution_count = model.executionCount;
    report.prompt = cell.promptNode ? cell.promptNode.textContent : '';
    report.outputs = model.outputs.toJSON();
    report.renderers = cell.outputArea.widgets.map((child) => rendererMimes(child, []));
    report.widget_error_text = Array.from(
      cell.outputArea.node.querySelectorAll('.jp-OutputArea-output, .jupyter-widgets'))
      .map((node) => node.innerText || node.textContent || '')
      .filter((text) => ERROR_TEXT.test(text))
      .map((text) => text.trim().slice(0, 200));
    // ipywidgets shows a model it could not create (wrong version, missing module) as an
    // error icon; a click reveals the message, which the screenshot then shows too.
    report.error_widgets = Array.from(
      cell.outputArea.node.querySelectorAll('.jupyter-widgets-error-widget')).map((node) => {
        const owner = node.parentElement;
        if (node.classList.contains('icon-error') && owner && owner.onclick) owner.onclick();
        return (node.innerText || node.textContent || '').split('\n')
          .map((line) => line.replace(/\s+/g, ' ').trim())
          .filter((line) => line && !line.startsWith('[Open Browser Console'))
          .slice(0, 2).join(': ').slice(0, 300);
      });
    return report;
  });
}"""


@dataclass
class CellProblem:
    """Something wrong in one cell (``index`` None: in the notebook, no cell known)."""

    notebook: str
    index: int | None
    first_line: str
    message: str

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.notebook}: {self.message}"
        return f"{self.notebook} cell {self.index} (`{self.first_line}`): {self.message}"


@dataclass
class NotebookRun:
    """The cells of a notebook after Run All, and the problems found in them."""

    notebook: str
    cells: list[dict]
    problems: list[CellProblem] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def failure_message(self) -> str:
        lines = [f"{self.notebook}: {len(self.problems)} problem(s) in JupyterLab"]
        lines += [f"  {problem}" for problem in self.problems]
        if self.console_errors:
            lines.append("  browser console errors:")
            first_lines = [" ".join(text.split("\n", 1)[0].split()) for text in self.console_errors]
            lines += [f"    {text[:300]}" for text in list(dict.fromkeys(first_lines))[:5]]
        return "\n".join(lines)


def first_line(source: str) -> str:
    """The first line of a cell that is not an nbval marker comment, shortened."""
    lines = [line for line in source.splitlines() if line.strip()]
    for line in lines:
        if not NBVAL_MARKER.match(line):
            return line.strip()[:80]
    return lines[0].strip()[:80] if lines else ""


def expects_error(cell: dict) -> bool:
    """Cells allowed (and expected) to raise: tag ``raises-exception`` or the nbval marker."""
    return "raises-exception" in cell["tags"] or any(
        line.strip() == "# NBVAL_RAISES_EXCEPTION" for line in cell["source"].splitlines()
    )


def open_notebook(page, lab, notebook: str, timeout_ms: int = 180_000) -> None:
    """Open ``notebook`` alone in JupyterLab and wait for its kernel to be idle.

    Also starts recording what the kernel reports outside any cell (see
    :func:`callback_errors`) and folds the side bar away so screenshots show the notebook.
    """
    page.goto(lab.lab_url(notebook), wait_until="domcontentloaded")
    page.wait_for_function(NOTEBOOK_READY_JS, timeout=timeout_ms, polling=500)
    page.wait_for_selector("#jp-main-statusbar", timeout=timeout_ms)
    page.evaluate(WATCH_KERNEL_JS)


def run_all(page, notebook: str, timeout_ms: int, upto: int | None = None) -> None:
    """Clear outputs, Run All, and wait until every queued cell finished and widgets settled.

    With ``upto``, run only the cells up to and including that index. Fails, naming the
    cell still running, when the run takes longer than ``timeout_ms``.
    """
    page.evaluate(START_RUN_ALL_JS, upto)
    wait_for_run(page, notebook, timeout_ms)


def run_cell(page, notebook: str, index: int, timeout_ms: int) -> None:
    """Run the cell at ``index`` and wait for it like :func:`run_all`."""
    page.evaluate(START_RUN_CELL_JS, index)
    wait_for_run(page, notebook, timeout_ms)


def wait_for_run(page, notebook: str, timeout_ms: int) -> None:
    """Wait for the run started last to finish, the kernel to idle and widgets to settle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_ms / 1000
    finished = False
    while not finished:
        remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
        try:
            page.wait_for_function(RUN_FINISHED_JS, timeout=remaining_ms, polling=250)
        except PlaywrightTimeout:
            break
        # Still finished a moment later: not a gap between two queued cells.
        page.wait_for_timeout(500)
        finished = page.evaluate(RUN_FINISHED_JS)
    if not finished:
        cells = page.evaluate(CELL_REPORT_JS)
        running = [cell for cell in cells if "[*]" in cell.get("prompt", "")] or [
            cell
            for cell in cells
            if cell["type"] == "code" and cell["source"].strip() and cell["execution_count"] is None
        ]
        where = notebook
        if running:
            where = f"{notebook} cell {running[0]['index']} (`{first_line(running[0]['source'])}`)"
            scroll_to_cell(page, running[0]["index"])
        pytest.fail(
            f"{where}: still running when the limit of {timeout_ms / 1000:.0f} s ran out",
            pytrace=False,
        )
    wait_for_widgets(page)


def wait_for_widgets(page, timeout_s: float = 120.0) -> None:
    """Wait (at most ``timeout_s``) until no widget output still says "Loading widget..."."""
    deadline = timeout_s * 1000
    waited = 0
    while waited < deadline:
        renderers = page.evaluate(WIDGET_RENDERERS_JS)
        if not any(r["text"].startswith("Loading widget") for r in renderers):
            return
        page.wait_for_timeout(500)
        waited += 500


def judge(notebook: str, cells: list[dict]) -> list[CellProblem]:
    """Every code cell ran in order, errors only where expected, every widget displayed."""
    problems = []
    last_count = 0
    last_error = None  # the cell whose error most recently stopped or could stop Run All
    not_run = []
    for cell in cells:
        if cell["type"] != "code" or not cell["source"].strip():
            continue  # JupyterLab does not send empty cells to the kernel

        def problem(message: str, cell=cell) -> None:
            problems.append(
                CellProblem(notebook, cell["index"], first_line(cell["source"]), message)
            )

        count = cell["execution_count"]
        if count is None:
            not_run.append(cell)
            continue
        if count <= last_count:
            problem(f"ran out of order (execution count {count} after {last_count})")
        last_count = count

        errors = [out for out in cell["outputs"] if out.get("output_type") == "error"]
        if errors:
            last_error = cell
        if errors and not expects_error(cell):
            error = errors[0]
            problem(f"raised {error.get('ename')}: {error.get('evalue')}")
        elif expects_error(cell) and not errors:
            problem("is marked raises-exception but raised nothing")

        for out in cell["outputs"]:
            text = "".join(out.get("text", "")) if out.get("name") == "stderr" else ""
            if "Traceback (most recent call last)" in text or "Exception in thread" in text:
                last = [line for line in text.splitlines() if line.strip()][-1]
                problem(f"printed a traceback: {last.strip()[:200]}")
                break

        for text in cell["widget_error_text"]:
            problem(f'widget shows "{text}"')
        for text in cell["error_widgets"]:
            problem(f"widget shows an error instead of a control: {text}")
        for position, out in enumerate(cell["outputs"]):
            data = out.get("data") or {}
            view = data.get(WIDGET_MIME)
            if not view or not view.get("model_id"):
                continue
            if WIDGET_MIME not in cell["renderers"][position]:
                problem(
                    f"output {position} is a widget but JupyterLab shows it as plain text "
                    f"({str(data.get('text/plain', ''))[:60]!r}): the widget extension "
                    "(jupyterlab_widgets) is not loaded"
                )

    if not_run:
        first, others = not_run[0], [cell["index"] for cell in not_run[1:]]
        message = "did not run"
        if others:
            message += f", nor did cell(s) {', '.join(map(str, others))}"
        if last_error is not None:
            message += f" (Run All stopped at the error in cell {last_error['index']}"
            if expects_error(last_error) and "raises-exception" not in last_error["tags"]:
                message += ", which needs the cell tag raises-exception to let Run All go on"
            message += ")"
        problems.append(CellProblem(notebook, first["index"], first_line(first["source"]), message))
    return sorted(problems, key=lambda problem: problem.index)


def widget_loading_problems(notebook: str, page, cells: list[dict]) -> list[CellProblem]:
    """Widget outputs that never finished loading (front end never got their model)."""
    by_index = {cell["index"]: cell for cell in cells}
    problems = []
    for renderer in page.evaluate(WIDGET_RENDERERS_JS):
        if renderer["text"].startswith("Loading widget") and not renderer["hidden"]:
            cell = by_index[renderer["cell"]]
            problems.append(
                CellProblem(
                    notebook,
                    cell["index"],
                    first_line(cell["source"]),
                    'widget still shows "Loading widget..." (its model never arrived)',
                )
            )
    return problems


def callback_errors(page) -> list[str]:
    """Errors the kernel reported while handling widget messages since the page opened."""
    found = page.evaluate("() => window.__bseqCallbackErrors || []")
    messages = []
    for item in found:
        lines = [line for line in item["text"].strip().splitlines() if line.strip()]
        last = lines[-1] if lines else item["text"]
        messages.append(
            f"a widget callback raised in the kernel ({item['after']}): {last.strip()[:200]}"
        )
    return list(dict.fromkeys(messages))


def cell_index_of(locator) -> int:
    """Index of the notebook cell that holds the element ``locator`` points at."""
    return locator.evaluate(
        """(node) => window.jupyterapp.shell.currentWidget.content.widgets
             .findIndex((cell) => cell.node.contains(node))"""
    )


def read_cells(page) -> list[dict]:
    """Every cell as JupyterLab holds it now (see CELL_REPORT_JS)."""
    return page.evaluate(CELL_REPORT_JS)


def inspect_notebook(page, notebook: str, upto: int | None = None) -> NotebookRun:
    """Read every cell (up to index ``upto``) back from JupyterLab; list what is wrong."""
    cells = page.evaluate(CELL_REPORT_JS)
    if upto is not None:
        cells = [cell for cell in cells if cell["index"] <= upto]
    problems = judge(notebook, cells) + widget_loading_problems(notebook, page, cells)
    by_index = {cell["index"]: cell for cell in cells}
    for death in page.evaluate("() => window.__bseqKernelDeaths || []"):
        cell = by_index.get(death["cell"])
        problems.insert(
            0,
            CellProblem(
                notebook,
                cell["index"] if cell else None,
                first_line(cell["source"]) if cell else "",
                f"the kernel died while this ran (status {death['status']!r})"
                if cell
                else f"the kernel died (status {death['status']!r})",
            ),
        )
    for message in callback_errors(page):
        problems.append(CellProblem(notebook, None, "", message))
    return NotebookRun(notebook, cells, problems)


def scroll_to_cell(page, index: int) -> None:
    page.evaluate(
        """(index) => {
          const notebook = window.jupyterapp.shell.currentWidget.content;
          notebook.activeCellIndex = index;
          return notebook.scrollToItem(index, 'start');
        }""",
        index,
    )
    page.wait_for_timeout(500)


def execute_in_kernel(page, code: str, timeout_ms: int = 60_000) -> str:
    """Run ``code`` in the notebook's kernel, on a subshell when the kernel has them.

    A subshell answers while the main shell is busy (a cell still training). The
    subshell and its connection are made once per page and kept for later calls.
    Returns what the code printed to stdout; raises RuntimeError if the code failed.
    """
    result = page.evaluate(
        """async ([code, timeoutMs]) => {
          const panel = window.jupyterapp.shell.currentWidget;
          const kernel = panel.sessionContext.session.kernel;
          let probe = window.__bseqProbe;
          if (!probe || probe.kernelId !== kernel.id) {
            await kernel.info;
            probe = {kernelId: kernel.id, connection: kernel};
            if (kernel.supportsSubshells) {
              const reply = await kernel.requestCreateSubshell({}).done;
              probe.connection = kernel.clone({subshellId: reply.content.subshell_id});
              await probe.connection.info;
            }
            window.__bseqProbe = probe;
          }
          let stdout = '';
          let error = null;
          const future = probe.connection.requestExecute(
            {code, silent: false, store_history: false, stop_on_error: false});
          future.onIOPub = (msg) => {
            if (msg.header.msg_type === 'stream' && msg.content.name === 'stdout') {
              stdout += msg.content.text;
            } else if (msg.header.msg_type === 'error') {
              error = msg.content.ename + ': ' + msg.content.evalue;
            }
          };
          let timer;
          const timeout = new Promise((_, reject) => { timer = setTimeout(
            () => reject(new Error('no answer from the kernel in ' + timeoutMs + ' ms')),
            timeoutMs); });
          try {
            await Promise.race([future.done, timeout]);
          } finally {
            clearTimeout(timer);
          }
          return {stdout, error};
        }""",
        [code, timeout_ms],
    )
    if result["error"]:
        raise RuntimeError(f"kernel code failed: {result['error']}\n{code}")
    return result["stdout"]


def kernel_json(page, code: str, timeout_ms: int = 60_000):
    """Run ``code`` (which must print one JSON document) and return the decoded value."""
    stdout = execute_in_kernel(page, code, timeout_ms)
    return json.loads(stdout.strip().splitlines()[-1])
