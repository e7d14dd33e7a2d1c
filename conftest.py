"""``pytest --nbval --guides``: every guide's solutions run in its notebook's nbval kernel.

nbval runs each lesson's notebook in one kernel and compares every cell's output with the
committed one. With ``--guides`` each notebook's nbval items are followed by one item per
solution block of its guide (``lessons/NN-slug.md`` beside ``notebooks/``, read by
tools/guide_solutions.py), run in that same kernel, after the last cell: a block announced with
``# raises NAME: MESSAGE`` must raise that error and ``expression  # LITERAL`` lines must
give that value. So a guide is checked without running its notebook a second time;
``make guides`` still runs them one fresh kernel per guide.
"""

from __future__ import annotations

import resource
from pathlib import Path
from queue import Empty

import pytest

from tools import guide_solutions as gs

ROOT = Path(__file__).resolve().parent
BLOCK_TIMEOUT_S = 900


def pytest_addoption(parser):
    parser.addoption(
        "--guides",
        action="store_true",
        default=False,
        help="after each notebook's nbval cells, run its guide's solutions in that kernel",
    )
    parser.addoption(
        "--cpu-report",
        type=int,
        default=0,
        metavar="N",
        help="list the N tests that used the most CPU time (with the processes they waited for)",
    )


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


_CPU_BY_FILE: dict[str, float] = {}
_CPU_BY_TEST: dict[str, float] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not item.config.getoption("--cpu-report"):
        return (yield)
    start = _cpu_seconds()
    try:
        return (yield)
    finally:
        used = _cpu_seconds() - start
        _CPU_BY_TEST[item.nodeid] = used
        name = item.nodeid.split("::")[0]
        _CPU_BY_FILE[name] = _CPU_BY_FILE.get(name, 0.0) + used


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    count = config.getoption("--cpu-report")
    if not count or not _CPU_BY_TEST:
        return
    write = terminalreporter.write_line
    total = sum(_CPU_BY_TEST.values())
    write(f"CPU time (user + system, with waited-for processes): {total:.0f} s")
    for name, used in sorted(_CPU_BY_FILE.items(), key=lambda pair: -pair[1])[:count]:
        write(f"  {used:7.1f} s  {name}")
    for name, used in sorted(_CPU_BY_TEST.items(), key=lambda pair: -pair[1])[:count]:
        write(f"  {used:7.1f} s  {name}")


class GuideBlockFailed(Exception):
    """A solution block did not do what its guide says."""


def _run_in_kernel(kernel, source: str, timeout: float = BLOCK_TIMEOUT_S) -> dict:
    """Run ``source`` in nbval's kernel; return a cell-like dict with its outputs."""
    msg_id = kernel.execute_cell_input(source, allow_stdin=False)
    outputs: list[dict] = []
    while True:
        try:
            msg = kernel.get_message(stream="iopub", timeout=timeout)
        except Empty as exc:
            raise GuideBlockFailed(f"no answer from the kernel in {timeout} s") from exc
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind == "stream":
            outputs.append({"output_type": "stream", "text": content["text"]})
        elif kind in ("execute_result", "display_data"):
            outputs.append({"output_type": kind, "data": content.get("data", {})})
        elif kind == "error":
            outputs.append(
                {"output_type": "error", "ename": content["ename"], "evalue": content["evalue"]}
            )
    kernel.await_reply(msg_id, timeout=timeout)
    return {"outputs": outputs}


class GuideBlockItem(pytest.Item):
    """One solution block of a guide, run in the kernel of its notebook's nbval items."""

    def __init__(self, *, block, guide, **kwargs):
        super().__init__(**kwargs)
        self.block, self.guide = block, guide

    def runtest(self):
        kernel = getattr(self.parent, "kernel", None)
        if kernel is None or not kernel.is_alive():
            raise GuideBlockFailed("the notebook's kernel is not running")
        error = gs.error_of(_run_in_kernel(kernel, gs.CHECK_DEFINITION))
        if error is not None:
            raise GuideBlockFailed(f"defining the checks failed: {error}")
        shown: list[str] = []
        problem = gs.run_block(self.block, lambda source: _run_in_kernel(kernel, source), shown)
        if problem is not None:
            raise GuideBlockFailed(
                f"{self.block.where()}:\n{problem}\n\nit showed:\n{''.join(shown)}"
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GuideBlockFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.guide, self.block.line - 1, self.block.where()


def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("--guides"):
        return
    last_of: dict[object, int] = {}
    for index, item in enumerate(items):
        if type(item.parent).__name__ == "IPyNbFile":
            last_of[item.parent] = index
    for notebook_file, index in sorted(last_of.items(), key=lambda pair: -pair[1]):
        notebook = Path(str(notebook_file.path)).resolve()
        guide = notebook.parent.parent / "lessons" / f"{notebook.stem}.md"
        if not guide.is_file():
            continue
        added = [
            GuideBlockItem.from_parent(
                notebook_file,
                name=f"guide block {block.number} (line {block.line})",
                block=block,
                guide=guide,
            )
            for block in gs.read_solutions(guide)
        ]
        items[index + 1 : index + 1] = added
